//! Basic rules: length bounds, regular expressions and a word blocklist.
//!
//! Counting conventions (stable, the page shows them):
//! - **words** are the pieces of the text split on Unicode white space (`str::split_whitespace`):
//!   `"don't stop."` is 2 words, a CJK sentence without spaces is 1 word. This is deliberately
//!   simpler than the spaCy-faithful tokenizer the Gopher rules use, so users can predict it.
//! - **chars** are Unicode scalar values (`str::chars().count()`), not bytes and not graphemes.
//!
//! Rules and codes:
//! - `min_words` / `min_chars` → `too_short`; `max_words` / `max_chars` → `too_long`.
//! - `regex_exclude`: a row matching any of these patterns → `regex_match`.
//! - `regex_include`: if any are given, a row matching none of them → `regex_match`.
//! - `blocklist`: a row containing any listed word or phrase, case-insensitively and as a whole
//!   word → `blocklist`.
//!
//! Patterns use the `regex` crate's syntax (no look-around, no back-references); an invalid
//! pattern is a configuration error that names the pattern.

use std::ops::Range;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Reason code: fewer words or characters than the configured minimum.
pub const TOO_SHORT: &str = "too_short";
/// Reason code: more words or characters than the configured maximum.
pub const TOO_LONG: &str = "too_long";
/// Reason code: an exclude pattern matched, or no include pattern did.
pub const REGEX_MATCH: &str = "regex_match";
/// Reason code: a blocklisted word occurs in the text.
pub const BLOCKLIST: &str = "blocklist";

/// Configuration of the basic rules. Every bound is optional; an empty configuration passes
/// every row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BasicConfig {
    pub min_words: Option<usize>,
    pub max_words: Option<usize>,
    pub min_chars: Option<usize>,
    pub max_chars: Option<usize>,
    /// Rows matching any of these patterns are dropped.
    pub regex_exclude: Vec<String>,
    /// If non-empty, rows matching none of these patterns are dropped.
    pub regex_include: Vec<String>,
    /// Words or phrases; a row containing one (case-insensitive, whole word) is dropped.
    pub blocklist: Vec<String>,
}

/// Parses a blocklist file: one word or phrase per line; surrounding white space is trimmed;
/// blank lines and lines starting with `#` are skipped.
pub fn parse_blocklist(contents: &str) -> Vec<String> {
    contents
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// The measured values the length rules judge, kept per row so thresholds can be re-applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextLength {
    pub words: usize,
    pub chars: usize,
}

impl TextLength {
    /// Counts words (white-space split) and chars (Unicode scalar values) of `text`.
    pub fn of(text: &str) -> Self {
        TextLength {
            words: text.split_whitespace().count(),
            chars: text.chars().count(),
        }
    }
}

/// One failed basic rule, with the offending value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "failure", rename_all = "snake_case")]
pub enum BasicFailure {
    TooFewWords {
        words: usize,
        min: usize,
    },
    TooManyWords {
        words: usize,
        max: usize,
    },
    TooFewChars {
        chars: usize,
        min: usize,
    },
    TooManyChars {
        chars: usize,
        max: usize,
    },
    /// The first exclude pattern (in configuration order) that matches, and its first match.
    ExcludedPatternMatched {
        pattern: String,
        byte_range: Range<usize>,
    },
    /// Include patterns were given and none matched.
    NoIncludedPatternMatched,
    /// A blocklisted entry occurs; `word` is the entry as configured, `byte_range` the first
    /// occurrence, `occurrences` the number of blocklist hits in the text.
    Blocklisted {
        word: String,
        byte_range: Range<usize>,
        occurrences: usize,
    },
}

impl BasicFailure {
    /// The stable reason code of this failure.
    pub fn code(&self) -> &'static str {
        match self {
            BasicFailure::TooFewWords { .. } | BasicFailure::TooFewChars { .. } => TOO_SHORT,
            BasicFailure::TooManyWords { .. } | BasicFailure::TooManyChars { .. } => TOO_LONG,
            BasicFailure::ExcludedPatternMatched { .. }
            | BasicFailure::NoIncludedPatternMatched => REGEX_MATCH,
            BasicFailure::Blocklisted { .. } => BLOCKLIST,
        }
    }

    /// A one-line explanation for the page: `"3 words < min 5"`.
    pub fn describe(&self) -> String {
        match self {
            BasicFailure::TooFewWords { words, min } => format!("{words} words < min {min}"),
            BasicFailure::TooManyWords { words, max } => format!("{words} words > max {max}"),
            BasicFailure::TooFewChars { chars, min } => format!("{chars} chars < min {min}"),
            BasicFailure::TooManyChars { chars, max } => format!("{chars} chars > max {max}"),
            BasicFailure::ExcludedPatternMatched {
                pattern,
                byte_range,
            } => {
                format!(
                    "matches excluded pattern /{pattern}/ at bytes {}..{}",
                    byte_range.start, byte_range.end
                )
            }
            BasicFailure::NoIncludedPatternMatched => {
                "matches none of the include patterns".to_string()
            }
            BasicFailure::Blocklisted {
                word, occurrences, ..
            } => {
                format!("contains blocklisted word {word:?} ({occurrences} blocklist hit(s))")
            }
        }
    }
}

/// The basic rules with their patterns compiled.
#[derive(Clone, Debug)]
pub struct BasicFilter {
    config: BasicConfig,
    exclude: Vec<Regex>,
    exclude_set: Option<RegexSet>,
    include_set: Option<RegexSet>,
    blocklist: Option<Regex>,
    /// Blocklist entry for each alternative of `blocklist`, in pattern order.
    blocklist_entries: Vec<String>,
}

/// Compiled patterns may be large (a blocklist of thousands of words); the regex crate's default
/// 10 MB limit is too tight for that, 256 MB is not reached by any sensible list.
const COMPILED_SIZE_LIMIT: usize = 256 << 20;

impl BasicFilter {
    /// Compiles the patterns and checks the bounds. Errors name the offending pattern or field.
    pub fn new(config: &BasicConfig) -> Result<Self> {
        if let (Some(min), Some(max)) = (config.min_words, config.max_words) {
            if min > max {
                return Err(Error::Config(format!(
                    "basic: min_words {min} > max_words {max}"
                )));
            }
        }
        if let (Some(min), Some(max)) = (config.min_chars, config.max_chars) {
            if min > max {
                return Err(Error::Config(format!(
                    "basic: min_chars {min} > max_chars {max}"
                )));
            }
        }
        let exclude = config
            .regex_exclude
            .iter()
            .map(|p| compile("regex_exclude", p))
            .collect::<Result<Vec<_>>>()?;
        for p in &config.regex_include {
            compile("regex_include", p)?;
        }
        let exclude_set = build_set(&config.regex_exclude)?;
        let include_set = build_set(&config.regex_include)?;
        let blocklist_entries: Vec<String> = config
            .blocklist
            .iter()
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect();
        let blocklist = if blocklist_entries.is_empty() {
            None
        } else {
            // Longest entries first: at a given position the alternation then tries "bad word"
            // before "bad", so a failed boundary check on the short entry cannot hide the long one.
            let mut by_length: Vec<&String> = blocklist_entries.iter().collect();
            by_length.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            let alternatives: Vec<String> = by_length.iter().map(|w| literal_pattern(w)).collect();
            let pattern = format!("(?i:{})", alternatives.join("|"));
            let regex = RegexBuilder::new(&pattern)
                .size_limit(COMPILED_SIZE_LIMIT)
                .build()
                .map_err(|e| Error::Config(format!("blocklist could not be compiled: {e}")))?;
            Some(regex)
        };
        Ok(BasicFilter {
            config: config.clone(),
            exclude,
            exclude_set,
            include_set,
            blocklist,
            blocklist_entries,
        })
    }

    /// The configuration this filter was built from.
    pub fn config(&self) -> &BasicConfig {
        &self.config
    }

    /// Every failing rule for `text`, in the order: length, exclude, include, blocklist. Empty
    /// when the row passes.
    pub fn check(&self, text: &str) -> Vec<BasicFailure> {
        let mut failures = self.judge_length(TextLength::of(text));
        if let Some(set) = &self.exclude_set {
            if let Some(index) = set.matches(text).iter().next() {
                let found = self.exclude[index]
                    .find(text)
                    .expect("set and single pattern agree");
                failures.push(BasicFailure::ExcludedPatternMatched {
                    pattern: self.config.regex_exclude[index].clone(),
                    byte_range: found.range(),
                });
            }
        }
        if let Some(set) = &self.include_set {
            if !set.is_match(text) {
                failures.push(BasicFailure::NoIncludedPatternMatched);
            }
        }
        if let Some(blocklist) = &self.blocklist {
            let mut hits = whole_word_matches(blocklist, text);
            if let Some(first) = hits.next() {
                let occurrences = 1 + hits.count();
                failures.push(BasicFailure::Blocklisted {
                    word: self.entry_for(&text[first.clone()]),
                    byte_range: first,
                    occurrences,
                });
            }
        }
        failures
    }

    /// The length failures for already measured lengths, so thresholds can be re-applied to
    /// stored measurements without reading the text again.
    pub fn judge_length(&self, length: TextLength) -> Vec<BasicFailure> {
        let c = &self.config;
        let mut failures = Vec::new();
        if let Some(min) = c.min_words.filter(|&min| length.words < min) {
            failures.push(BasicFailure::TooFewWords {
                words: length.words,
                min,
            });
        }
        if let Some(max) = c.max_words.filter(|&max| length.words > max) {
            failures.push(BasicFailure::TooManyWords {
                words: length.words,
                max,
            });
        }
        if let Some(min) = c.min_chars.filter(|&min| length.chars < min) {
            failures.push(BasicFailure::TooFewChars {
                chars: length.chars,
                min,
            });
        }
        if let Some(max) = c.max_chars.filter(|&max| length.chars > max) {
            failures.push(BasicFailure::TooManyChars {
                chars: length.chars,
                max,
            });
        }
        failures
    }

    /// The configured entry a blocklist hit stands for (entries match case-insensitively, so the
    /// hit's own spelling may differ).
    fn entry_for(&self, hit: &str) -> String {
        let normalised = |s: &str| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        let hit_key = normalised(hit);
        self.blocklist_entries
            .iter()
            .find(|entry| normalised(entry) == hit_key)
            .cloned()
            .unwrap_or_else(|| hit.to_string())
    }
}

fn compile(field: &str, pattern: &str) -> Result<Regex> {
    RegexBuilder::new(pattern)
        .size_limit(COMPILED_SIZE_LIMIT)
        .build()
        .map_err(|e| Error::Config(format!("{field}: invalid pattern {pattern:?}: {e}")))
}

fn build_set(patterns: &[String]) -> Result<Option<RegexSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    RegexSetBuilder::new(patterns)
        .size_limit(COMPILED_SIZE_LIMIT)
        .build()
        .map(Some)
        .map_err(|e| {
            Error::Config(format!(
                "regex patterns could not be compiled together: {e}"
            ))
        })
}

/// A pattern matching `entry` literally, case-insensitively; phrases match across any run of
/// white space, as they would be written.
fn literal_pattern(entry: &str) -> String {
    let words: Vec<String> = entry.split_whitespace().map(regex::escape).collect();
    format!("(?:{})", words.join(r"\s+"))
}

/// A letter, digit or underscore: the characters a whole-word match must not be glued to.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The matches of `literals` that stand as whole words: a side of the match whose outer
/// character is a word character must not touch another word character (so `c++` still matches
/// in "c++ rocks", where a `\b` after `+` could never hold).
///
/// The boundary is checked here instead of with `\b` in the pattern because a Unicode `\b` keeps
/// the regex crate off its fast engines on any non-ASCII text (0.4 MB/s against 120 MB/s with a
/// 1,000-word list). After a rejected match the search resumes one character further, so a
/// whole-word occurrence overlapping a glued one is still found.
fn whole_word_matches<'t>(
    literals: &'t Regex,
    text: &'t str,
) -> impl Iterator<Item = Range<usize>> + 't {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at <= text.len() {
            let found = literals.find_at(text, at)?;
            let range = found.range();
            let starts_word = text[range.clone()].chars().next().is_some_and(is_word_char);
            let ends_word = text[range.clone()]
                .chars()
                .next_back()
                .is_some_and(is_word_char);
            let glued_before = starts_word
                && text[..range.start]
                    .chars()
                    .next_back()
                    .is_some_and(is_word_char);
            let glued_after =
                ends_word && text[range.end..].chars().next().is_some_and(is_word_char);
            if glued_before || glued_after || range.is_empty() {
                at = range.start + text[range.start..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
            at = range.end;
            return Some(range);
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(config: BasicConfig) -> BasicFilter {
        BasicFilter::new(&config).unwrap()
    }

    #[test]
    fn length_rules_report_the_measured_value() {
        let f = filter(BasicConfig {
            min_words: Some(5),
            max_chars: Some(10),
            ..Default::default()
        });
        let failures = f.check("one two  three\n");
        assert_eq!(
            failures,
            vec![
                BasicFailure::TooFewWords { words: 3, min: 5 },
                BasicFailure::TooManyChars { chars: 15, max: 10 }
            ]
        );
        assert_eq!(failures[0].describe(), "3 words < min 5");
        assert_eq!(failures[0].code(), TOO_SHORT);
        assert_eq!(failures[1].code(), TOO_LONG);
    }

    #[test]
    fn chars_count_scalar_values_not_bytes() {
        assert_eq!(
            TextLength::of("héllo wörld"),
            TextLength {
                words: 2,
                chars: 11
            }
        );
        assert_eq!(
            TextLength::of("敏捷的狐狸"),
            TextLength { words: 1, chars: 5 }
        );
    }

    #[test]
    fn invalid_pattern_error_names_the_pattern() {
        let err = BasicFilter::new(&BasicConfig {
            regex_exclude: vec!["ok".into(), "(unclosed".into()],
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("\"(unclosed\"") && err.contains("regex_exclude"),
            "{err}"
        );
        let err = BasicFilter::new(&BasicConfig {
            regex_include: vec!["[z-a]".into()],
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("\"[z-a]\"") && err.contains("regex_include"),
            "{err}"
        );
    }

    #[test]
    fn min_above_max_is_a_config_error() {
        assert!(BasicFilter::new(&BasicConfig {
            min_words: Some(10),
            max_words: Some(5),
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn blocklist_boundaries_hold_for_non_ascii_words_and_after_a_glued_hit() {
        let f = filter(BasicConfig {
            blocklist: vec![
                "mädchen".into(),
                "ab".into(),
                "bad".into(),
                "bad word".into(),
            ],
            ..Default::default()
        });
        assert!(f.check("Die Mädchenschule und ümädchen").is_empty());
        let hit = |text: &str| match f.check(text).pop() {
            Some(BasicFailure::Blocklisted {
                word,
                byte_range,
                occurrences,
            }) => (word, text[byte_range].to_string(), occurrences),
            other => panic!("expected a blocklist hit in {text:?}, got {other:?}"),
        };
        assert_eq!(
            hit("das MÄDCHEN lacht"),
            ("mädchen".into(), "MÄDCHEN".into(), 1)
        );
        assert_eq!(hit("xab ab"), ("ab".into(), "ab".into(), 1));
        assert_eq!(
            hit("a BAD  Word here"),
            ("bad word".into(), "BAD  Word".into(), 1)
        );
    }

    #[test]
    fn blocklist_is_case_insensitive_and_whole_word() {
        let f = filter(BasicConfig {
            blocklist: parse_blocklist("# slurs etc.\nBadWord\n\n  c++ \nvery bad thing\n"),
            ..Default::default()
        });
        let failures = f.check("No BADWORD here. badword again");
        assert_eq!(
            failures,
            vec![BasicFailure::Blocklisted {
                word: "BadWord".into(),
                byte_range: 3..10,
                occurrences: 2
            }]
        );
        assert!(f.check("badwords and subbadword do not count").is_empty());
        assert_eq!(f.check("I like C++ a lot")[0].code(), BLOCKLIST);
        assert_eq!(f.check("a Very  bad\nthing indeed").len(), 1);
    }
}
