//! Contamination check: which training rows share word n-grams (13 by default) with rows of one or
//! more evaluation sets.
//!
//! Words are those of the MinHash scheme — [`simplify_text`] then [`word_tokenize`] — so
//! "The U.S. spent $3,000" and "the u s spent 0" match. To report where in the training text the
//! overlap is, the text is simplified one white-space-separated chunk at a time and each word keeps
//! the byte range of the chunk it came from; `simplify_text` works within such chunks (its number,
//! punctuation, case and accent rules never cross white space), so the words equal those of the
//! whole text in practice. An n-gram is hashed with xxh64 of its words joined by single spaces.
//!
//! Evaluation rows with fewer than `ngram` words have no n-gram and cannot match; they are counted
//! ([`ContaminationIndex::short_eval_rows`]) so reports can say so.

use crate::text::simplify::simplify_text;
use crate::text::tokenizer::word_tokenize;
use std::collections::HashMap;
use std::ops::Range;
use xxhash_rust::xxh64::Xxh64;

/// Default n-gram length in words.
pub const DEFAULT_NGRAM: usize = 13;

/// Index of an evaluation source (file) in the order it was added.
pub type SourceId = u32;

/// A training row's overlap with one evaluation row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// The evaluation source.
    pub eval_source: SourceId,
    /// The evaluation row number within its source.
    pub eval_row: u32,
    /// Distinct n-grams shared with that evaluation row.
    pub shared_ngrams: u32,
    /// Byte range in the training text from the start of the first shared n-gram to the end of the
    /// last one (whole white-space-separated chunks).
    pub span: Range<usize>,
}

/// n-grams of one or more evaluation sets, queried with training rows.
#[derive(Debug)]
pub struct ContaminationIndex {
    ngram: usize,
    sources: Vec<String>,
    /// n-grams (windows, repeats included) added per source.
    source_ngrams: Vec<u64>,
    /// n-gram hash → evaluation rows containing it (each listed once).
    owners: HashMap<u64, Vec<(SourceId, u32)>>,
    eval_rows: u64,
    short_eval_rows: u64,
}

/// One word of a text with the byte range of the white-space chunk it came from.
struct Word {
    text: String,
    chunk: Range<usize>,
}

/// The words of `text` (simplified and tokenized per white-space chunk), with chunk byte ranges.
fn words_with_chunks(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut offset = 0;
    for chunk in text.split_inclusive(char::is_whitespace) {
        let start = offset;
        offset += chunk.len();
        let trimmed = chunk.trim_end_matches(char::is_whitespace);
        if trimmed.is_empty() {
            continue;
        }
        let simplified = simplify_text(trimmed);
        for word in word_tokenize(&simplified) {
            words.push(Word {
                text: word.to_owned(),
                chunk: start..start + trimmed.len(),
            });
        }
    }
    words
}

/// The n-grams' hashes and training-text spans, leaving out n-grams made only of numbers: every
/// number is "0" after simplification, so a run of arithmetic ("33 * 16 = 528, 3 * 10 = 30")
/// would match any other run of as many numbers.
fn ngram_hashes(words: &[Word], n: usize) -> impl Iterator<Item = (u64, Range<usize>)> + '_ {
    let numbers_only = |window: &[Word]| window.iter().all(|w| w.text == "0");
    words
        .windows(n)
        .filter(move |w| !numbers_only(w))
        .map(move |window| {
            let mut hasher = Xxh64::new(0);
            for (i, word) in window.iter().enumerate() {
                if i > 0 {
                    hasher.update(b" ");
                }
                hasher.update(word.text.as_bytes());
            }
            (
                hasher.digest(),
                window[0].chunk.start..window[n - 1].chunk.end,
            )
        })
}

impl ContaminationIndex {
    /// An empty index of word `ngram`-grams (`ngram` ≥ 1; 13 is the usual choice).
    pub fn new(ngram: usize) -> Self {
        assert!(ngram >= 1, "n-gram length must be at least 1");
        ContaminationIndex {
            ngram,
            sources: Vec::new(),
            source_ngrams: Vec::new(),
            owners: HashMap::new(),
            eval_rows: 0,
            short_eval_rows: 0,
        }
    }

    /// The n-gram length.
    pub fn ngram(&self) -> usize {
        self.ngram
    }

    /// Registers an evaluation source (e.g. a file name) and returns its id.
    pub fn add_source(&mut self, name: &str) -> SourceId {
        self.sources.push(name.to_owned());
        self.source_ngrams.push(0);
        (self.sources.len() - 1) as SourceId
    }

    /// The name a source was registered with.
    pub fn source_name(&self, source: SourceId) -> &str {
        &self.sources[source as usize]
    }

    /// Adds the n-grams of one evaluation row.
    pub fn add_eval_row(&mut self, source: SourceId, row: u32, text: &str) {
        assert!(
            (source as usize) < self.sources.len(),
            "unknown evaluation source {source}"
        );
        self.eval_rows += 1;
        let words = words_with_chunks(text);
        if words.len() < self.ngram {
            self.short_eval_rows += 1;
            return;
        }
        for (hash, _) in ngram_hashes(&words, self.ngram) {
            self.source_ngrams[source as usize] += 1;
            let owners = self.owners.entry(hash).or_default();
            // Rows are added one at a time, so a repeat within this row is the last entry.
            if owners.last() != Some(&(source, row)) {
                owners.push((source, row));
            }
        }
    }

    /// Evaluation rows added.
    pub fn eval_rows(&self) -> u64 {
        self.eval_rows
    }

    /// Evaluation rows too short to have any n-gram (they can never match).
    pub fn short_eval_rows(&self) -> u64 {
        self.short_eval_rows
    }

    /// n-grams a source's rows gave (0: nothing can match that source).
    pub fn source_ngrams(&self, source: SourceId) -> u64 {
        self.source_ngrams[source as usize]
    }

    /// Distinct n-grams indexed.
    pub fn distinct_ngrams(&self) -> usize {
        self.owners.len()
    }

    /// The evaluation rows sharing at least `min_overlap` distinct n-grams with `text` (a
    /// `min_overlap` of 0 is treated as 1), ordered by source then row.
    pub fn check(&self, text: &str, min_overlap: u32) -> Vec<Match> {
        let words = words_with_chunks(text);
        if words.len() < self.ngram || self.owners.is_empty() {
            return Vec::new();
        }
        let mut seen = std::collections::HashSet::new();
        let mut found: HashMap<(SourceId, u32), Match> = HashMap::new();
        for (hash, span) in ngram_hashes(&words, self.ngram) {
            let Some(owners) = self.owners.get(&hash) else {
                continue;
            };
            if !seen.insert(hash) {
                // A repeated n-gram counts once but still widens the span.
                for &(source, row) in owners {
                    if let Some(m) = found.get_mut(&(source, row)) {
                        m.span.end = m.span.end.max(span.end);
                    }
                }
                continue;
            }
            for &(source, row) in owners {
                let entry = found.entry((source, row)).or_insert_with(|| Match {
                    eval_source: source,
                    eval_row: row,
                    shared_ngrams: 0,
                    span: span.clone(),
                });
                entry.shared_ngrams += 1;
                entry.span.end = entry.span.end.max(span.end);
            }
        }
        let mut matches: Vec<Match> = found
            .into_values()
            .filter(|m| m.shared_ngrams >= min_overlap.max(1))
            .collect();
        matches.sort_by_key(|m| (m.eval_source, m.eval_row));
        matches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVAL: &str = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?";

    fn index() -> ContaminationIndex {
        let mut index = ContaminationIndex::new(13);
        let gsm = index.add_source("gsm8k.jsonl");
        let other = index.add_source("other.jsonl");
        index.add_eval_row(gsm, 0, "Too short to have a 13-gram.");
        index.add_eval_row(gsm, 7, EVAL);
        index.add_eval_row(other, 3, "An entirely different evaluation question about the boiling point of water at the top of a high mountain.");
        index
    }

    #[test]
    fn finds_normalised_overlap_with_span() {
        let index = index();
        assert_eq!(index.eval_rows(), 3);
        assert_eq!(index.short_eval_rows(), 1);
        assert_eq!(index.source_name(1), "other.jsonl");
        // Case, digits and punctuation differ; the words are the same after normalisation.
        let training = "Intro text here.  NATALIA sold clips to 12 of her friends in April; and then she sold half as many clips in May! The end.";
        let matches = index.check(training, 1);
        assert_eq!(matches.len(), 1);
        let m = &matches[0];
        assert_eq!((m.eval_source, m.eval_row), (0, 7));
        // 20 shared words from "natalia" to "may" → 20 − 13 + 1 = 8 n-grams.
        assert_eq!(m.shared_ngrams, 8);
        assert_eq!(&training[m.span.clone()], "NATALIA sold clips to 12 of her friends in April; and then she sold half as many clips in May!");
        assert!(index.check(training, 9).is_empty());
    }

    #[test]
    fn runs_of_numbers_alone_do_not_match() {
        // GSM8K-style working and a stock-price table: all numbers, so all "0" once simplified.
        let mut index = ContaminationIndex::new(5);
        let source = index.add_source("prices.jsonl");
        index.add_eval_row(source, 0, "Open 12.5 13.1 12.9 14.2 15.0 16.3 17.8 close");
        assert!(index
            .check("33 * 16 = 528 and 3 * 10 = 30 so 528 + 30 = 558", 1)
            .is_empty());
        // Words among the numbers still match.
        let hits = index.check("the open 12.5 13.1 12.9 14.2 price", 1);
        assert_eq!(hits.len(), 1, "{hits:?}");
    }

    #[test]
    fn unrelated_or_short_text_does_not_match() {
        let index = index();
        assert!(index
            .check("Natalia sold clips to her friends.", 1)
            .is_empty());
        assert!(index.check("A completely unrelated paragraph about gardening, soil, compost and the best time of year to plant tomatoes outdoors.", 1).is_empty());
    }

    #[test]
    fn matches_several_sources_ordered() {
        let mut index = index();
        let third = index.add_source("third.jsonl");
        index.add_eval_row(third, 0, EVAL);
        let matches = index.check(EVAL, 1);
        let ids: Vec<(SourceId, u32)> = matches
            .iter()
            .map(|m| (m.eval_source, m.eval_row))
            .collect();
        assert_eq!(ids, vec![(0, 7), (2, 0)]);
        assert_eq!(matches[0].span, 0..EVAL.len());
    }
}
