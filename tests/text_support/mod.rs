//! Shared by the text tests: compare the Rust text layer with one line of reference output
//! written by scripts/gen_text_fixture.py (datatrove 0.10.1 + spaCy 3.8).

use datasieve::text::sentences::{sent_tokenize, sentence_spans};
use datasieve::text::simplified::{simplified_words as simplified_words_fused, SimplifiedWords};
use datasieve::text::simplify::simplify_text;
use datasieve::text::tokenizer::word_tokenize;
use serde_json::Value;

/// Which outputs of one reference document the Rust port reproduces.
#[derive(Debug, Default, Clone, Copy)]
pub struct Agreement {
    pub words: bool,
    pub sentences: bool,
    pub spans: bool,
    pub simplified: bool,
    pub simplified_words: bool,
    /// The fused `simplified_words` (MinHash's path) gives the same text and words.
    pub fused: bool,
}

impl Agreement {
    pub fn all(&self) -> bool {
        self.words
            && self.sentences
            && self.spans
            && self.simplified
            && self.simplified_words
            && self.fused
    }
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string"))
        .collect()
}

/// Byte offset -> code-point offset, for comparing with Python's offsets.
fn char_offset(text: &str, byte: usize) -> u64 {
    text[..byte].chars().count() as u64
}

pub fn compare(row: &Value) -> Agreement {
    let text = row["text"].as_str().expect("text");
    let words = word_tokenize(text);
    let sentences = sent_tokenize(text);
    let spans: Vec<[u64; 2]> = sentence_spans(text)
        .into_iter()
        .map(|r| [char_offset(text, r.start), char_offset(text, r.end)])
        .collect();
    let expected_spans: Vec<[u64; 2]> = row["spans"]
        .as_array()
        .expect("spans")
        .iter()
        .map(|p| [p[0].as_u64().unwrap(), p[1].as_u64().unwrap()])
        .collect();
    let simplified = simplify_text(text);
    let simplified_words = word_tokenize(&simplified);
    let mut fused = SimplifiedWords::default();
    simplified_words_fused(text, &mut fused);
    Agreement {
        fused: row["simplified"].as_str() == Some(fused.text.as_str())
            && fused.iter().collect::<Vec<_>>() == strings(&row["simplified_words"]),
        words: words == strings(&row["words"]),
        sentences: sentences == strings(&row["sentences"]),
        spans: spans == expected_spans,
        simplified: simplified == row["simplified"].as_str().expect("simplified"),
        simplified_words: row["simplified"].as_str() != Some(simplified.as_str())
            || simplified_words == strings(&row["simplified_words"]),
    }
}

/// First differing position of two token lists, for readable failure messages.
pub fn first_difference(ours: &[&str], theirs: &[&str]) -> String {
    let i = ours.iter().zip(theirs).take_while(|(a, b)| a == b).count();
    let lo = i.saturating_sub(3);
    format!(
        "at token {i}: ours {:?} vs datatrove {:?}",
        &ours[lo..(i + 4).min(ours.len())],
        &theirs[lo..(i + 4).min(theirs.len())]
    )
}

pub fn describe(row: &Value) -> String {
    let text = row["text"].as_str().unwrap();
    let a = compare(row);
    let mut out = format!("[{}] {:?}\n", row["source"], a);
    if !a.words {
        out += &format!(
            "  words {}\n",
            first_difference(&word_tokenize(text), &strings(&row["words"]))
        );
    }
    if !a.sentences {
        out += &format!(
            "  sentences {}\n",
            first_difference(&sent_tokenize(text), &strings(&row["sentences"]))
        );
    }
    if !a.simplified {
        let ours = simplify_text(text);
        let theirs = row["simplified"].as_str().unwrap();
        let i = ours
            .chars()
            .zip(theirs.chars())
            .take_while(|(a, b)| a == b)
            .count();
        let o: String = ours.chars().skip(i.saturating_sub(10)).take(30).collect();
        let t: String = theirs.chars().skip(i.saturating_sub(10)).take(30).collect();
        out += &format!("  simplified at char {i}: ours {o:?} vs datatrove {t:?}\n");
    }
    if a.simplified && !a.simplified_words {
        let s = simplify_text(text);
        out += &format!(
            "  simplified words {}\n",
            first_difference(&word_tokenize(&s), &strings(&row["simplified_words"]))
        );
    }
    out
}
