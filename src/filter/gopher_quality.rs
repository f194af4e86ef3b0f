//! Gopher quality rules (Rae et al. 2021, table A1), as datatrove 0.10.1's `GopherQualityFilter`
//! applies them with default arguments: same words (spaCy blank-English tokens), same order of
//! checks, same reason codes.
//!
//! [`GopherQuality::measure`] computes every count the rules look at; [`judge`] turns those counts
//! into the first failing reason under a config, so thresholds can move without re-reading text.

use serde::{Deserialize, Serialize};

use super::datatrove_text::{
    is_datatrove_punctuation, py_isalpha, py_len, py_lstrip, py_rstrip, py_splitlines,
};
use super::{ratio, Bound, Threshold};

/// Fewer non-symbol words than `min_doc_words`.
pub const GOPHER_SHORT_DOC: &str = "gopher_short_doc";
/// More non-symbol words than `max_doc_words`.
pub const GOPHER_LONG_DOC: &str = "gopher_long_doc";
/// Mean length of non-symbol words below `min_avg_word_length`.
pub const GOPHER_BELOW_AVG_THRESHOLD: &str = "gopher_below_avg_threshold";
/// Mean length of non-symbol words above `max_avg_word_length`.
pub const GOPHER_ABOVE_AVG_THRESHOLD: &str = "gopher_above_avg_threshold";
/// `#` characters per word above `max_symbol_word_ratio`.
pub const GOPHER_TOO_MANY_HASHES: &str = "gopher_too_many_hashes";
/// Ellipses (`...` or `…`) per word above `max_symbol_word_ratio`.
pub const GOPHER_TOO_MANY_ELLIPSIS: &str = "gopher_too_many_ellipsis";
/// Share of lines starting with a bullet (`•` or `-`) above `max_bullet_lines_ratio`.
pub const GOPHER_TOO_MANY_BULLETS: &str = "gopher_too_many_bullets";
/// Share of lines ending with an ellipsis above `max_ellipsis_lines_ratio`.
pub const GOPHER_TOO_MANY_END_ELLIPSIS: &str = "gopher_too_many_end_ellipsis";
/// Share of words containing a letter below `max_non_alpha_words_ratio`.
pub const GOPHER_BELOW_ALPHA_THRESHOLD: &str = "gopher_below_alpha_threshold";
/// Fewer distinct stop words than `min_stop_words`. (datatrove's name, although the document
/// fails for having too *few* stop words.)
pub const GOPHER_ENOUGH_STOP_WORDS: &str = "gopher_enough_stop_words";

/// datatrove's default stop words for the Gopher stop-word rule.
pub const DEFAULT_STOP_WORDS: [&str; 8] = ["the", "be", "to", "of", "and", "that", "have", "with"];

/// Thresholds of the Gopher quality rules. Defaults are datatrove 0.10.1's.
///
/// As in datatrove, a threshold that is `None` **or zero** disables its rule (datatrove tests
/// `if self.min_doc_words and ...`). Every field is read by [`judge`] except `stop_words`, which
/// [`GopherQuality::measure`] uses; changing it needs a new measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GopherQualityConfig {
    /// Minimum number of non-symbol words (words with a character outside datatrove's
    /// punctuation set). Default 50.
    pub min_doc_words: Option<u64>,
    /// Maximum number of non-symbol words. Default 100 000.
    pub max_doc_words: Option<u64>,
    /// Minimum mean length (code points) of non-symbol words. Default 3.
    pub min_avg_word_length: Option<f64>,
    /// Maximum mean length of non-symbol words. Default 10.
    pub max_avg_word_length: Option<f64>,
    /// Maximum ratio of `#` characters, and separately of ellipses, to all words (symbols
    /// included). Default 0.1.
    pub max_symbol_word_ratio: Option<f64>,
    /// Maximum share of lines whose first non-space character is `•` or `-`. Default 0.9.
    pub max_bullet_lines_ratio: Option<f64>,
    /// Maximum share of lines ending (before trailing spaces) in `...` or `…`. Default 0.3.
    pub max_ellipsis_lines_ratio: Option<f64>,
    /// Despite datatrove's name, the *minimum* share of words containing at least one letter.
    /// Default 0.8.
    pub max_non_alpha_words_ratio: Option<f64>,
    /// Minimum number of distinct stop words present. Default 2.
    pub min_stop_words: Option<u64>,
    /// The stop words (case-sensitive, whole tokens). Default [`DEFAULT_STOP_WORDS`].
    pub stop_words: Vec<String>,
}

impl Default for GopherQualityConfig {
    fn default() -> Self {
        GopherQualityConfig {
            min_doc_words: Some(50),
            max_doc_words: Some(100_000),
            min_avg_word_length: Some(3.0),
            max_avg_word_length: Some(10.0),
            max_symbol_word_ratio: Some(0.1),
            max_bullet_lines_ratio: Some(0.9),
            max_ellipsis_lines_ratio: Some(0.3),
            max_non_alpha_words_ratio: Some(0.8),
            min_stop_words: Some(2),
            stop_words: DEFAULT_STOP_WORDS.iter().map(|w| w.to_string()).collect(),
        }
    }
}

/// Everything the Gopher quality rules look at, as exact counts (so that [`judge`] reproduces
/// Python's float arithmetic bit for bit). Lengths are in code points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct GopherQualityMetrics {
    /// All word tokens, symbols included (the denominator of the symbol and alpha ratios).
    pub words: u32,
    /// Tokens with at least one character outside datatrove's punctuation set.
    pub non_symbol_words: u32,
    /// Total length of the non-symbol words.
    pub non_symbol_word_chars: u64,
    /// `#` characters in the text.
    pub hashes: u32,
    /// Non-overlapping `...` plus `…` in the text.
    pub ellipses: u32,
    /// Lines as Python's `str.splitlines` counts them.
    pub lines: u32,
    /// Lines whose first non-whitespace character is `•` or `-`.
    pub bullet_lines: u32,
    /// Lines ending (before trailing whitespace) in `...` or `…`.
    pub end_ellipsis_lines: u32,
    /// Tokens containing at least one letter (Python `str.isalpha`).
    pub alpha_words: u32,
    /// Distinct configured stop words present among the tokens.
    pub stop_words: u32,
}

impl GopherQualityMetrics {
    /// Mean length of non-symbol words; NaN without any (as `numpy.mean` of an empty list).
    pub fn avg_word_length(&self) -> f64 {
        ratio(self.non_symbol_word_chars, self.non_symbol_words as u64)
    }
    /// `#` characters per word.
    pub fn hash_word_ratio(&self) -> f64 {
        ratio(self.hashes as u64, self.words as u64)
    }
    /// Ellipses per word.
    pub fn ellipsis_word_ratio(&self) -> f64 {
        ratio(self.ellipses as u64, self.words as u64)
    }
    /// Share of lines starting with a bullet.
    pub fn bullet_line_ratio(&self) -> f64 {
        ratio(self.bullet_lines as u64, self.lines as u64)
    }
    /// Share of lines ending with an ellipsis.
    pub fn end_ellipsis_line_ratio(&self) -> f64 {
        ratio(self.end_ellipsis_lines as u64, self.lines as u64)
    }
    /// Share of words containing a letter.
    pub fn alpha_word_ratio(&self) -> f64 {
        ratio(self.alpha_words as u64, self.words as u64)
    }

    /// Named scores for histograms, in the order of the checks.
    pub fn scores(&self) -> [(&'static str, f64); 8] {
        [
            (METRIC_WORDS, self.non_symbol_words as f64),
            (METRIC_AVG_WORD_LENGTH, self.avg_word_length()),
            (METRIC_HASH_WORD_RATIO, self.hash_word_ratio()),
            (METRIC_ELLIPSIS_WORD_RATIO, self.ellipsis_word_ratio()),
            (METRIC_BULLET_LINE_RATIO, self.bullet_line_ratio()),
            (
                METRIC_END_ELLIPSIS_LINE_RATIO,
                self.end_ellipsis_line_ratio(),
            ),
            (METRIC_ALPHA_WORD_RATIO, self.alpha_word_ratio()),
            (METRIC_STOP_WORDS, self.stop_words as f64),
        ]
    }
}

/// Metric: number of non-symbol words.
pub const METRIC_WORDS: &str = "gopher_quality.words";
/// Metric: mean non-symbol word length.
pub const METRIC_AVG_WORD_LENGTH: &str = "gopher_quality.avg_word_length";
/// Metric: `#` per word.
pub const METRIC_HASH_WORD_RATIO: &str = "gopher_quality.hash_word_ratio";
/// Metric: ellipses per word.
pub const METRIC_ELLIPSIS_WORD_RATIO: &str = "gopher_quality.ellipsis_word_ratio";
/// Metric: share of bullet lines.
pub const METRIC_BULLET_LINE_RATIO: &str = "gopher_quality.bullet_line_ratio";
/// Metric: share of lines ending in an ellipsis.
pub const METRIC_END_ELLIPSIS_LINE_RATIO: &str = "gopher_quality.end_ellipsis_line_ratio";
/// Metric: share of words with a letter.
pub const METRIC_ALPHA_WORD_RATIO: &str = "gopher_quality.alpha_word_ratio";
/// Metric: distinct stop words present.
pub const METRIC_STOP_WORDS: &str = "gopher_quality.stop_words";

/// The Gopher quality filter, prepared from its config.
#[derive(Debug, Clone)]
pub struct GopherQuality {
    config: GopherQualityConfig,
    /// Sorted, deduplicated stop words, for binary search.
    stop_words: Vec<String>,
    /// Bit `min(len, 63)` is set for the byte length of each stop word.
    stop_word_lengths: u64,
    /// Bit set over the first bytes of the stop words.
    stop_word_firsts: [u64; 4],
}

impl GopherQuality {
    /// Prepares the filter.
    pub fn new(config: GopherQualityConfig) -> Self {
        let mut stop_words = config.stop_words.clone();
        stop_words.sort();
        stop_words.dedup();
        let mut stop_word_lengths = 0u64;
        let mut stop_word_firsts = [0u64; 4];
        for word in &stop_words {
            stop_word_lengths |= 1u64 << word.len().min(63);
            let first = word.as_bytes().first().copied().unwrap_or(0);
            stop_word_firsts[usize::from(first >> 6)] |= 1u64 << (first & 63);
        }
        GopherQuality {
            config,
            stop_words,
            stop_word_lengths,
            stop_word_firsts,
        }
    }

    /// The config this filter was prepared with.
    pub fn config(&self) -> &GopherQualityConfig {
        &self.config
    }

    /// Measures `text`, tokenizing it with [`crate::text::tokenizer`].
    pub fn measure(&self, text: &str) -> GopherQualityMetrics {
        let words = super::word_tokens(text);
        self.measure_words(text, &words)
    }

    /// Measures `text` whose word tokens (datatrove's `split_into_words`: spaCy tokens, stripped,
    /// empty ones dropped) are already known.
    pub fn measure_words(&self, text: &str, words: &[&str]) -> GopherQualityMetrics {
        let mut metrics = GopherQualityMetrics {
            words: saturate(words.len()),
            ..Default::default()
        };
        let mut stop_word_seen = vec![false; self.stop_words.len()];
        let ascii_class: &[u8; 256] = &ASCII_WORD_CLASS;
        for word in words {
            let (non_symbol, alpha, chars) = if word.is_ascii() {
                // One pass over the bytes for the common case.
                let mut seen = 0u8;
                for &b in word.as_bytes() {
                    seen |= ascii_class[usize::from(b)];
                }
                (seen & NOT_PUNCTUATION != 0, seen & ALPHA != 0, word.len())
            } else {
                (
                    word.chars().any(|c| !is_datatrove_punctuation(c)),
                    word.chars().any(py_isalpha),
                    py_len(word),
                )
            };
            if non_symbol {
                metrics.non_symbol_words += 1;
                metrics.non_symbol_word_chars += chars as u64;
            }
            if alpha {
                metrics.alpha_words += 1;
            }
            // Most words are rejected by length and first byte without comparing strings.
            let first = word.as_bytes().first().copied().unwrap_or(0);
            if self.stop_word_lengths & (1u64 << word.len().min(63)) != 0
                && self.stop_word_firsts[usize::from(first >> 6)] & (1u64 << (first & 63)) != 0
            {
                if let Ok(index) = self.stop_words.binary_search_by(|s| s.as_str().cmp(word)) {
                    stop_word_seen[index] = true;
                }
            }
        }
        metrics.stop_words = saturate(stop_word_seen.iter().filter(|seen| **seen).count());
        metrics.hashes = saturate(memchr::memchr_iter(b'#', text.as_bytes()).count());
        metrics.ellipses = saturate(text.matches("...").count() + text.matches('…').count());
        for line in py_splitlines(text) {
            metrics.lines += 1;
            let head = py_lstrip(line);
            if head.starts_with('•') || head.starts_with('-') {
                metrics.bullet_lines += 1;
            }
            let tail = py_rstrip(line);
            if tail.ends_with("...") || tail.ends_with('…') {
                metrics.end_ellipsis_lines += 1;
            }
        }
        metrics
    }
}

/// [`ASCII_WORD_CLASS`] bit: the byte is not one of datatrove's punctuation characters.
const NOT_PUNCTUATION: u8 = 1;
/// [`ASCII_WORD_CLASS`] bit: the byte is a letter (`str.isalpha`).
const ALPHA: u8 = 2;

/// Per ASCII byte: [`NOT_PUNCTUATION`] and [`ALPHA`], as `is_datatrove_punctuation` and
/// `py_isalpha` say (bytes 128 and up never occur in an ASCII word).
static ASCII_WORD_CLASS: std::sync::LazyLock<[u8; 256]> = std::sync::LazyLock::new(|| {
    std::array::from_fn(|b| {
        let c = char::from(b as u8);
        if !c.is_ascii() {
            return 0;
        }
        let mut class = 0;
        if !is_datatrove_punctuation(c) {
            class |= NOT_PUNCTUATION;
        }
        if py_isalpha(c) {
            class |= ALPHA;
        }
        class
    })
});

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// datatrove's truthiness test on an optional threshold: `None` and zero disable the rule.
fn active<T: Copy + PartialEq + Default>(threshold: Option<T>) -> Option<T> {
    threshold.filter(|t| *t != T::default())
}

/// The first failing rule in datatrove's order, or `None` if the document passes.
///
/// Undefined ratios (0/0, e.g. no lines in an empty text with the word-count rules disabled)
/// pass, as NaN comparisons do in numpy; datatrove itself would raise `ZeroDivisionError` there.
pub fn judge(metrics: &GopherQualityMetrics, config: &GopherQualityConfig) -> Option<&'static str> {
    let words = metrics.non_symbol_words as u64;
    if active(config.min_doc_words).is_some_and(|min| words < min) {
        return Some(GOPHER_SHORT_DOC);
    }
    if active(config.max_doc_words).is_some_and(|max| words > max) {
        return Some(GOPHER_LONG_DOC);
    }
    let avg = metrics.avg_word_length();
    if active(config.min_avg_word_length).is_some_and(|min| avg < min) {
        return Some(GOPHER_BELOW_AVG_THRESHOLD);
    }
    if active(config.max_avg_word_length).is_some_and(|max| avg > max) {
        return Some(GOPHER_ABOVE_AVG_THRESHOLD);
    }
    if let Some(max) = active(config.max_symbol_word_ratio) {
        if metrics.hash_word_ratio() > max {
            return Some(GOPHER_TOO_MANY_HASHES);
        }
        if metrics.ellipsis_word_ratio() > max {
            return Some(GOPHER_TOO_MANY_ELLIPSIS);
        }
    }
    if active(config.max_bullet_lines_ratio).is_some_and(|max| metrics.bullet_line_ratio() > max) {
        return Some(GOPHER_TOO_MANY_BULLETS);
    }
    if active(config.max_ellipsis_lines_ratio)
        .is_some_and(|max| metrics.end_ellipsis_line_ratio() > max)
    {
        return Some(GOPHER_TOO_MANY_END_ELLIPSIS);
    }
    if active(config.max_non_alpha_words_ratio).is_some_and(|min| metrics.alpha_word_ratio() < min)
    {
        return Some(GOPHER_BELOW_ALPHA_THRESHOLD);
    }
    if active(config.min_stop_words).is_some_and(|min| (metrics.stop_words as u64) < min) {
        return Some(GOPHER_ENOUGH_STOP_WORDS);
    }
    None
}

/// The thresholds of `config` against the metrics of [`GopherQualityMetrics::scores`], for
/// histograms. Disabled rules are left out.
pub fn thresholds(config: &GopherQualityConfig) -> Vec<Threshold> {
    let mut out = Vec::new();
    let mut push = |metric, reason, bound, value: Option<f64>| {
        if let Some(value) = value.filter(|v| *v != 0.0) {
            out.push(Threshold {
                metric,
                reason,
                bound,
                value,
            });
        }
    };
    push(
        METRIC_WORDS,
        GOPHER_SHORT_DOC,
        Bound::Min,
        config.min_doc_words.map(|v| v as f64),
    );
    push(
        METRIC_WORDS,
        GOPHER_LONG_DOC,
        Bound::Max,
        config.max_doc_words.map(|v| v as f64),
    );
    push(
        METRIC_AVG_WORD_LENGTH,
        GOPHER_BELOW_AVG_THRESHOLD,
        Bound::Min,
        config.min_avg_word_length,
    );
    push(
        METRIC_AVG_WORD_LENGTH,
        GOPHER_ABOVE_AVG_THRESHOLD,
        Bound::Max,
        config.max_avg_word_length,
    );
    push(
        METRIC_HASH_WORD_RATIO,
        GOPHER_TOO_MANY_HASHES,
        Bound::Max,
        config.max_symbol_word_ratio,
    );
    push(
        METRIC_ELLIPSIS_WORD_RATIO,
        GOPHER_TOO_MANY_ELLIPSIS,
        Bound::Max,
        config.max_symbol_word_ratio,
    );
    push(
        METRIC_BULLET_LINE_RATIO,
        GOPHER_TOO_MANY_BULLETS,
        Bound::Max,
        config.max_bullet_lines_ratio,
    );
    push(
        METRIC_END_ELLIPSIS_LINE_RATIO,
        GOPHER_TOO_MANY_END_ELLIPSIS,
        Bound::Max,
        config.max_ellipsis_lines_ratio,
    );
    push(
        METRIC_ALPHA_WORD_RATIO,
        GOPHER_BELOW_ALPHA_THRESHOLD,
        Bound::Min,
        config.max_non_alpha_words_ratio,
    );
    push(
        METRIC_STOP_WORDS,
        GOPHER_ENOUGH_STOP_WORDS,
        Bound::Min,
        config.min_stop_words.map(|v| v as f64),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(text: &str, words: &[&str]) -> GopherQualityMetrics {
        GopherQuality::new(GopherQualityConfig::default()).measure_words(text, words)
    }

    #[test]
    fn counts_symbols_lines_and_stop_words() {
        let text = "# The cat ... sat\n  - with the hat…\n\r\n• end...  ";
        let words = [
            "#", "The", "cat", "...", "sat", "-", "with", "the", "hat", "…", "•", "end", "...",
        ];
        let m = measure(text, &words);
        assert_eq!(m.words, 13);
        assert_eq!(m.non_symbol_words, 8); // '#', '...', '-', '…', '...' are punctuation; '•' is not
        assert_eq!(m.non_symbol_word_chars, 3 + 3 + 3 + 4 + 3 + 3 + 1 + 3);
        assert_eq!(m.hashes, 1);
        assert_eq!(m.ellipses, 3);
        assert_eq!(m.lines, 4);
        assert_eq!(m.bullet_lines, 2);
        assert_eq!(m.end_ellipsis_lines, 2);
        assert_eq!(m.alpha_words, 7);
        assert_eq!(m.stop_words, 2); // "with", "the"; "The" is not a stop word (case-sensitive)
    }

    #[test]
    fn judges_in_datatrove_order() {
        let config = GopherQualityConfig::default();
        let mut m = GopherQualityMetrics {
            words: 100,
            non_symbol_words: 100,
            non_symbol_word_chars: 500,
            lines: 10,
            alpha_words: 100,
            stop_words: 3,
            ..Default::default()
        };
        assert_eq!(judge(&m, &config), None);
        m.stop_words = 1;
        assert_eq!(judge(&m, &config), Some(GOPHER_ENOUGH_STOP_WORDS));
        m.alpha_words = 79;
        assert_eq!(judge(&m, &config), Some(GOPHER_BELOW_ALPHA_THRESHOLD));
        m.hashes = 11;
        assert_eq!(judge(&m, &config), Some(GOPHER_TOO_MANY_HASHES));
        m.non_symbol_word_chars = 1001;
        assert_eq!(judge(&m, &config), Some(GOPHER_ABOVE_AVG_THRESHOLD));
        m.non_symbol_words = 49;
        assert_eq!(judge(&m, &config), Some(GOPHER_SHORT_DOC));
        // Zero disables a rule, as datatrove's truthiness test does.
        let lenient = GopherQualityConfig {
            min_doc_words: Some(0),
            ..config.clone()
        };
        assert_eq!(judge(&m, &lenient), Some(GOPHER_ABOVE_AVG_THRESHOLD));
    }

    #[test]
    fn boundary_values_pass() {
        // Exactly 10 % hashes is not "more than" 0.1; exactly 0.8 alpha is not "below".
        let m = GopherQualityMetrics {
            words: 50,
            non_symbol_words: 50,
            non_symbol_word_chars: 150,
            hashes: 5,
            lines: 10,
            bullet_lines: 9,
            alpha_words: 40,
            stop_words: 2,
            ..Default::default()
        };
        assert_eq!(judge(&m, &GopherQualityConfig::default()), None);
    }

    #[test]
    fn config_rejects_unknown_fields_and_fills_defaults() {
        let c: GopherQualityConfig = serde_json::from_str(r#"{"min_doc_words": 10}"#).unwrap();
        assert_eq!(c.min_doc_words, Some(10));
        assert_eq!(c.max_avg_word_length, Some(10.0));
        assert!(serde_json::from_str::<GopherQualityConfig>(r#"{"min_words": 10}"#).is_err());
        let off: GopherQualityConfig = serde_json::from_str(r#"{"max_doc_words": null}"#).unwrap();
        assert_eq!(off.max_doc_words, None);
    }
}
