//! datatrove's English sentence splitting, reproduced exactly.
//!
//! datatrove's `SpaCyTokenizer("en")` adds spaCy's rule-based `sentencizer` to the blank English
//! pipeline: after a token that is one of the sentence punctuation characters (`.`, `!`, `?` and
//! their equivalents in other scripts), the first following token that is neither such a
//! character nor punctuation (every character of general category P*) starts a new sentence.
//! White-space tokens (e.g. "\n\n") are not punctuation, so they start the next sentence.
//!
//! Offsets are UTF-8 byte offsets into the input (Python reports code-point offsets).

use std::ops::Range;
use std::sync::OnceLock;

use super::charclass::py_strip;
use super::tables::{GC_P, SENTENCE_PUNCT};
use super::tokenizer::spacy_tokens;

/// Whether the token is exactly one of the sentencizer's punctuation characters (all of them are
/// single characters, which a unit test checks).
fn is_sentence_punct(token: &str) -> bool {
    let mut chars = token.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return false;
    };
    is_sentence_punct_char(c)
}

/// Whether `c` is one of the sentencizer's punctuation characters.
fn is_sentence_punct_char(c: char) -> bool {
    if c.is_ascii() {
        return matches!(c, '!' | '.' | '?');
    }
    sentence_punct_chars().binary_search(&c).is_ok()
}

fn sentence_punct_chars() -> &'static Vec<char> {
    static CELL: OnceLock<Vec<char>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut v: Vec<char> = SENTENCE_PUNCT
            .iter()
            .filter_map(|p| p.chars().next())
            .collect();
        v.sort_unstable();
        v
    })
}

/// spaCy's lexical `is_punct`: every character is in a P* general category.
fn is_punct(token: &str) -> bool {
    token.chars().all(|c| GC_P.contains(c))
}

/// The sentences of `text` as byte ranges (datatrove's `span_tokenize`): each runs from its first
/// token's start to its last token's end, so white space between sentences belongs to the next
/// sentence when it is a token and to no sentence when it is a single space. Empty for "".
pub fn sentence_spans(text: &str) -> Vec<Range<usize>> {
    let tokens = spacy_tokens(text);
    let mut spans = Vec::new();
    if tokens.is_empty() {
        return spans;
    }
    let mut start = 0usize;
    let mut seen_period = false;
    for (i, range) in tokens.iter().enumerate() {
        let token = &text[range.clone()];
        let in_punct_chars = is_sentence_punct(token);
        if seen_period && !in_punct_chars && !is_punct(token) {
            spans.push(tokens[start].start..tokens[i - 1].end);
            start = i;
            seen_period = false;
        } else if in_punct_chars {
            seen_period = true;
        }
    }
    spans.push(tokens[start].start..tokens[tokens.len() - 1].end);
    spans
}

/// `split_into_sentences(text).len()` (at least 1), without building the pieces.
///
/// A new sentence can only start at a token after a sentence-punctuation token, and such a token
/// is exactly one sentence-punctuation character of `text`. So when `text` has no such character,
/// or when every character after the first one is punctuation (P*, hence never white space, and
/// every later token is made only of them and so is punctuation), there is one piece and the text
/// need not be tokenized. Otherwise the sentencizer runs over the tokens and only counts.
pub fn count_sentences(text: &str) -> usize {
    let first_terminal = if text.is_ascii() {
        text.bytes().position(|b| matches!(b, b'!' | b'.' | b'?'))
    } else {
        text.char_indices()
            .find(|&(_, c)| is_sentence_punct_char(c))
            .map(|(i, _)| i)
    };
    let Some(first_terminal) = first_terminal else {
        return 1;
    };
    if text[first_terminal..].chars().all(|c| GC_P.contains(c)) {
        return 1;
    }
    count_sentences_of_tokens(text, &spacy_tokens(text))
}

/// The sentence count of the spaCy tokens `tokens` (byte ranges into `text`, in order): the
/// sentencizer's boundaries among them, plus one. Equal to [`count_sentences`] of a text when
/// `tokens` are that text's tokens, e.g. the tokens of a whole document that fall inside one of
/// its lines (no token crosses a line break).
pub fn count_sentences_of_tokens(text: &str, tokens: &[Range<usize>]) -> usize {
    let mut boundaries = 0usize;
    let mut seen_period = false;
    for range in tokens {
        let token = &text[range.clone()];
        let in_punct_chars = is_sentence_punct(token);
        if seen_period && !in_punct_chars && !is_punct(token) {
            boundaries += 1;
            seen_period = false;
        } else if in_punct_chars {
            seen_period = true;
        }
    }
    boundaries + 1
}

/// datatrove's `SpaCyTokenizer("en").sent_tokenize`: the sentence texts, `strip()`ped, without
/// the empty ones (white-space-only sentences).
pub fn sent_tokenize(text: &str) -> Vec<&str> {
    sentence_spans(text)
        .into_iter()
        .map(|r| py_strip(&text[r]))
        .filter(|s| !s.is_empty())
        .collect()
}

/// datatrove's `split_into_sentences(text, "en")`: `text` cut at the end of every sentence but
/// the last, so the pieces concatenate back to `text` exactly (white space after a sentence end
/// goes to the following piece). Always at least one piece; `[""]` for empty text.
pub fn split_into_sentences(text: &str) -> Vec<&str> {
    let spans = sentence_spans(text);
    let mut pieces = Vec::with_capacity(spans.len().max(1));
    let mut start = 0usize;
    if let Some((_, all_but_last)) = spans.split_last() {
        for span in all_but_last {
            pieces.push(&text[start..span.end]);
            start = span.end;
        }
    }
    pieces.push(&text[start..]);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_punctuation_is_single_characters() {
        for p in SENTENCE_PUNCT {
            assert_eq!(p.chars().count(), 1, "{p}");
            assert!(is_sentence_punct(p), "{p}");
            assert!(!p.is_ascii() || matches!(*p, "!" | "." | "?"), "{p}");
        }
        assert!(!is_sentence_punct("..") && !is_sentence_punct(",") && !is_sentence_punct(""));
    }

    #[test]
    fn splits_after_terminal_punctuation() {
        let text = "Hello world. \n\nNew one!  Yes";
        assert_eq!(sent_tokenize(text), ["Hello world.", "New one!", "Yes"]);
        assert_eq!(sentence_spans(text), vec![0..12, 13..23, 24..28]);
        assert_eq!(
            split_into_sentences(text),
            ["Hello world.", " \n\nNew one!", "  Yes"]
        );
    }

    #[test]
    fn punctuation_after_the_period_stays_in_the_sentence() {
        assert_eq!(
            sent_tokenize("He said \"stop.\" Then left?! Ok"),
            ["He said \"stop.\"", "Then left?!", "Ok"]
        );
        assert_eq!(
            sent_tokenize("Mr. Smith went home. Dr. Who"),
            ["Mr. Smith went home.", "Dr. Who"]
        );
    }

    #[test]
    fn count_sentences_equals_the_number_of_pieces() {
        let cases = [
            "",
            "  \n ",
            "No terminal punctuation here",
            "One sentence.",
            "One sentence.\")]",
            "Ends with punctuation then space. ",
            "Two.  Spaces",
            "Hello world. \n\nNew one!  Yes",
            "He said \"stop.\" Then left?! Ok",
            "Mr. Smith went home. Dr. Who",
            "U.S. policy is set. It changes.",
            "Zahl 3.14 ist Pi. Ja",
            "Fin。次の文。",
            "¿Qué? ¡Sí! Bueno.",
            "a.b.c",
            "...",
            ". a",
            "Hi!!! \u{3000}",
            "Wait\u{2026} what?\u{201d} yes",
        ];
        for text in cases {
            assert_eq!(
                count_sentences(text),
                split_into_sentences(text).len(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn empty_and_blank_text() {
        assert!(sent_tokenize("").is_empty());
        assert_eq!(split_into_sentences(""), [""]);
        assert!(sent_tokenize("  \n ").is_empty());
        assert_eq!(split_into_sentences("  \n "), ["  \n "]);
    }
}
