//! FineWeb's extra quality rules, as datatrove 0.10.1's `FineWebQualityFilter` applies them:
//! share of lines ending in terminal punctuation, share of short lines, characters in
//! duplicate lines, and newlines per word. Same order of checks and reason codes.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::datatrove_text::{is_terminal_punctuation, py_len, py_strip};
use super::{ratio, Bound, FoldBuildHasher, Threshold};

/// The text has no non-blank line.
pub const EMPTY: &str = "empty";
/// Share of lines ending in a stop character below `line_punct_thr`.
pub const LINE_PUNCT_RATIO: &str = "line_punct_ratio";
/// Share of short lines above `short_line_thr`.
pub const SHORT_LINE_RATIO: &str = "short_line_ratio";
/// Characters in repeated lines over non-newline characters above `char_duplicates_ratio`.
pub const CHAR_DUP_RATIO: &str = "char_dup_ratio";
/// Newlines per word above `new_line_ratio`.
pub const LIST_RATIO: &str = "list_ratio";

/// Metric: share of non-blank lines ending in a stop character.
pub const METRIC_LINE_PUNCT_RATIO: &str = "fineweb.line_punct_ratio";
/// Metric: share of non-blank lines no longer than `short_line_length`.
pub const METRIC_SHORT_LINE_RATIO: &str = "fineweb.short_line_ratio";
/// Metric: characters in repeated lines over non-newline characters.
pub const METRIC_CHAR_DUP_RATIO: &str = "fineweb.char_dup_ratio";
/// Metric: newlines per word.
pub const METRIC_LIST_RATIO: &str = "fineweb.list_ratio";

/// Thresholds of the FineWeb rules. Defaults are datatrove 0.10.1's.
///
/// `stop_chars` and `short_line_length` shape the measurement ([`FineWeb::measure`]); the other
/// fields are read by [`judge`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FineWebConfig {
    /// Minimum share of non-blank lines ending in a stop character. Default 0.12.
    pub line_punct_thr: f64,
    /// Let documents with *no* line ending in a stop character pass the rule above. Default false.
    pub line_punct_exclude_zero: bool,
    /// Line endings that count as punctuation; `None` means datatrove's `TERMINAL_PUNCTUATION`
    /// (159 sentence-final marks across scripts). Default `None`.
    pub stop_chars: Option<Vec<String>>,
    /// Maximum share of short lines. Default 0.67.
    pub short_line_thr: f64,
    /// A line is short if it has at most this many characters. Default 30.
    pub short_line_length: u32,
    /// Maximum characters in repeated non-blank lines over characters other than `\n`.
    /// Default 0.01.
    pub char_duplicates_ratio: f64,
    /// Maximum newlines per word. Default 0.3.
    pub new_line_ratio: f64,
}

impl Default for FineWebConfig {
    fn default() -> Self {
        FineWebConfig {
            line_punct_thr: 0.12,
            line_punct_exclude_zero: false,
            stop_chars: None,
            short_line_thr: 0.67,
            short_line_length: 30,
            char_duplicates_ratio: 0.01,
            new_line_ratio: 0.3,
        }
    }
}

/// Everything the FineWeb rules look at, as exact counts. Lengths are in code points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct FineWebMetrics {
    /// Lines (split on `\n`) that are not blank.
    pub lines: u32,
    /// Of those, lines ending (untrimmed) in a stop character.
    pub punct_lines: u32,
    /// Of those, lines of at most `short_line_length` characters.
    pub short_lines: u32,
    /// Characters in non-blank lines equal to an earlier non-blank line.
    pub dup_line_chars: u32,
    /// Characters of the text other than `\n`.
    pub non_newline_chars: u32,
    /// `\n` characters.
    pub newlines: u32,
    /// Word tokens.
    pub words: u32,
}

impl FineWebMetrics {
    /// Share of non-blank lines ending in a stop character.
    pub fn line_punct_ratio(&self) -> f64 {
        ratio(self.punct_lines as u64, self.lines as u64)
    }
    /// Share of short lines.
    pub fn short_line_ratio(&self) -> f64 {
        ratio(self.short_lines as u64, self.lines as u64)
    }
    /// Repeated-line characters over non-newline characters.
    pub fn char_dup_ratio(&self) -> f64 {
        ratio(self.dup_line_chars as u64, self.non_newline_chars as u64)
    }
    /// Newlines per word (infinite for newlines without words).
    pub fn list_ratio(&self) -> f64 {
        ratio(self.newlines as u64, self.words as u64)
    }
    /// Named scores for histograms, in the order of the checks.
    pub fn scores(&self) -> [(&'static str, f64); 4] {
        [
            (METRIC_LINE_PUNCT_RATIO, self.line_punct_ratio()),
            (METRIC_SHORT_LINE_RATIO, self.short_line_ratio()),
            (METRIC_CHAR_DUP_RATIO, self.char_dup_ratio()),
            (METRIC_LIST_RATIO, self.list_ratio()),
        ]
    }
}

/// The FineWeb filter, prepared from its config.
#[derive(Debug, Clone)]
pub struct FineWeb {
    config: FineWebConfig,
}

impl FineWeb {
    /// Prepares the filter.
    pub fn new(config: FineWebConfig) -> Self {
        FineWeb { config }
    }

    /// The config this filter was prepared with.
    pub fn config(&self) -> &FineWebConfig {
        &self.config
    }

    /// Measures `text`, tokenizing it with [`crate::text::tokenizer`] (only the word count is
    /// used, and only when the text has a non-blank line).
    pub fn measure(&self, text: &str) -> FineWebMetrics {
        let mut metrics = self.measure_lines(text);
        if metrics.lines > 0 {
            metrics.words = saturate(super::word_tokens(text).len());
        }
        metrics
    }

    /// Measures `text` whose word tokens (datatrove's `split_into_words`) are already known.
    pub fn measure_words(&self, text: &str, words: &[&str]) -> FineWebMetrics {
        FineWebMetrics {
            words: saturate(words.len()),
            ..self.measure_lines(text)
        }
    }

    fn ends_with_stop_char(&self, line: &str) -> bool {
        match &self.config.stop_chars {
            None => line
                .chars()
                .next_back()
                .is_some_and(is_terminal_punctuation),
            Some(stops) => stops.iter().any(|s| line.ends_with(s.as_str())),
        }
    }

    fn measure_lines(&self, text: &str) -> FineWebMetrics {
        let mut metrics = FineWebMetrics::default();
        let mut seen: HashSet<&str, FoldBuildHasher> =
            HashSet::with_hasher(FoldBuildHasher::default());
        let mut dup_chars = 0u64;
        for line in text.split('\n') {
            if py_strip(line).is_empty() {
                continue;
            }
            metrics.lines += 1;
            if self.ends_with_stop_char(line) {
                metrics.punct_lines += 1;
            }
            let chars = py_len(line);
            if chars <= self.config.short_line_length as usize {
                metrics.short_lines += 1;
            }
            if !seen.insert(line) {
                dup_chars += chars as u64;
            }
        }
        metrics.dup_line_chars = u32::try_from(dup_chars).unwrap_or(u32::MAX);
        metrics.newlines = saturate(memchr::memchr_iter(b'\n', text.as_bytes()).count());
        metrics.non_newline_chars = saturate(py_len(text) - metrics.newlines as usize);
        metrics
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The first failing rule in datatrove's order, or `None` if the document passes.
pub fn judge(metrics: &FineWebMetrics, config: &FineWebConfig) -> Option<&'static str> {
    if metrics.lines == 0 {
        return Some(EMPTY);
    }
    let punct = metrics.line_punct_ratio();
    if punct < config.line_punct_thr && !(punct == 0.0 && config.line_punct_exclude_zero) {
        return Some(LINE_PUNCT_RATIO);
    }
    if metrics.short_line_ratio() > config.short_line_thr {
        return Some(SHORT_LINE_RATIO);
    }
    if metrics.char_dup_ratio() > config.char_duplicates_ratio {
        return Some(CHAR_DUP_RATIO);
    }
    if metrics.list_ratio() > config.new_line_ratio {
        return Some(LIST_RATIO);
    }
    None
}

/// The thresholds of `config` against the metrics of [`FineWebMetrics::scores`].
pub fn thresholds(config: &FineWebConfig) -> Vec<Threshold> {
    vec![
        Threshold {
            metric: METRIC_LINE_PUNCT_RATIO,
            reason: LINE_PUNCT_RATIO,
            bound: Bound::Min,
            value: config.line_punct_thr,
        },
        Threshold {
            metric: METRIC_SHORT_LINE_RATIO,
            reason: SHORT_LINE_RATIO,
            bound: Bound::Max,
            value: config.short_line_thr,
        },
        Threshold {
            metric: METRIC_CHAR_DUP_RATIO,
            reason: CHAR_DUP_RATIO,
            bound: Bound::Max,
            value: config.char_duplicates_ratio,
        },
        Threshold {
            metric: METRIC_LIST_RATIO,
            reason: LIST_RATIO,
            bound: Bound::Max,
            value: config.new_line_ratio,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(text: &str) -> FineWebMetrics {
        let words: Vec<&str> = text.split_whitespace().collect();
        FineWeb::new(FineWebConfig::default()).measure_words(text, &words)
    }

    #[test]
    fn counts_lines_like_datatrove() {
        let text = "A sentence that ends here.\n  \nshort\nA sentence that ends here.\nno stop \n";
        let m = measure(text);
        assert_eq!(m.lines, 4); // the blank "  " and the trailing "" are skipped
        assert_eq!(m.punct_lines, 2); // "no stop " ends with a space, not punctuation
        assert_eq!(m.short_lines, 4); // every line here has at most 30 characters
        assert_eq!(m.dup_line_chars, 26);
        assert_eq!(m.newlines, 5);
        assert_eq!(m.non_newline_chars as usize, text.len() - 5);
        assert_eq!(judge(&m, &FineWebConfig::default()), Some(SHORT_LINE_RATIO));
    }

    #[test]
    fn judge_order_and_exclude_zero() {
        let config = FineWebConfig::default();
        let m = FineWebMetrics {
            lines: 10,
            punct_lines: 0,
            short_lines: 0,
            non_newline_chars: 1000,
            newlines: 9,
            words: 100,
            dup_line_chars: 0,
        };
        assert_eq!(judge(&m, &config), Some(LINE_PUNCT_RATIO));
        let exclude = FineWebConfig {
            line_punct_exclude_zero: true,
            ..config.clone()
        };
        assert_eq!(judge(&m, &exclude), None);
        let m = FineWebMetrics {
            punct_lines: 10,
            dup_line_chars: 11,
            ..m
        };
        assert_eq!(judge(&m, &config), Some(CHAR_DUP_RATIO));
        let m = FineWebMetrics {
            dup_line_chars: 10,
            newlines: 31,
            ..m
        };
        assert_eq!(judge(&m, &config), Some(LIST_RATIO));
        assert_eq!(judge(&FineWebMetrics::default(), &config), Some(EMPTY));
    }

    #[test]
    fn custom_stop_chars() {
        let config = FineWebConfig {
            stop_chars: Some(vec![";".into(), "!!".into()]),
            ..Default::default()
        };
        let m =
            FineWeb::new(config).measure_words("a;\nb!\nc!!\n", &["a", ";", "b", "!", "c", "!!"]);
        assert_eq!(m.punct_lines, 2);
    }
}
