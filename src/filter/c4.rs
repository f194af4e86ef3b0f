//! C4's line and document rules (Raffel et al. 2020), as datatrove 0.10.1's `C4QualityFilter`
//! applies them with default arguments (`split_paragraph=True`): walk the lines, drop lines with
//! a word over 1000 characters, remove Wikipedia citation marks, drop lines without terminal
//! punctuation, with fewer than 3 words, mentioning javascript or a cookie/terms policy; drop the
//! whole document on "lorem ipsum" or a curly bracket in a surviving line, or when the surviving
//! lines hold fewer than 5 sentences (spaCy sentencizer). Same codes as datatrove.
//!
//! Besides the verdict, C4 rewrites kept documents to their surviving lines: [`C4::rewrite`].

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::datatrove_text::{py_len, py_split_whitespace, py_splitlines, py_strip};
use super::{Bound, Threshold};
use crate::text::sentences::count_sentences_of_tokens;

/// A surviving line contains "lorem ipsum" (any case).
pub const LOREM_IPSUM: &str = "lorem_ipsum";
/// A surviving line contains `{`.
pub const CURLY_BRACKET: &str = "curly_bracket";
/// The surviving lines hold fewer than `min_num_sentences` sentences.
pub const TOO_FEW_SENTENCES: &str = "too_few_sentences";

/// Metric: sentences in the surviving lines.
pub const METRIC_SENTENCES: &str = "c4.sentences";
/// Metric: 1 if a surviving line contains "lorem ipsum", else 0.
pub const METRIC_LOREM_IPSUM: &str = "c4.lorem_ipsum";
/// Metric: 1 if a surviving line contains `{`, else 0.
pub const METRIC_CURLY_BRACKET: &str = "c4.curly_bracket";
/// Metric: surviving lines over all lines (informational; no rule reads it).
pub const METRIC_KEPT_LINE_RATIO: &str = "c4.kept_line_ratio";

/// Lines mentioning any of these (lowercased) are dropped when `filter_policy` is on.
pub const POLICY_SUBSTRINGS: [&str; 6] = [
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
];

/// Endings that count as terminal punctuation for the line rule (an ellipsis does not).
const END_PUNCTUATION: [char; 5] = ['.', '?', '!', '"', '\''];

/// Settings of the C4 rules. Defaults are datatrove 0.10.1's.
///
/// The line rules (`remove_citations`, `filter_no_terminal_punct`, `min_words_per_line`,
/// `max_word_length`, `filter_javascript`, `filter_policy`) decide which lines survive, so they
/// shape [`C4::measure`]; `filter_lorem_ipsum`, `filter_curly_bracket` and `min_num_sentences`
/// are read by [`judge`] and can change without a new measurement (a `min_num_sentences` of -1 at
/// measurement time skips sentence splitting, though).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct C4Config {
    /// Remove `[1]`, `[edit]`, `[citation needed]` marks from lines. Default true.
    pub remove_citations: bool,
    /// Drop lines not ending in `. ? ! " '` (or ending in `...`). Default true; the
    /// FineWeb-style preset turns it off.
    pub filter_no_terminal_punct: bool,
    /// Drop the document if its surviving lines hold fewer sentences; -1 disables. Default 5.
    pub min_num_sentences: i64,
    /// Drop lines with fewer whitespace-separated words; -1 disables. Default 3.
    pub min_words_per_line: i64,
    /// Drop lines with a word longer than this many characters; -1 disables. Default 1000.
    pub max_word_length: i64,
    /// Drop the document if a surviving line contains "lorem ipsum". Default true.
    pub filter_lorem_ipsum: bool,
    /// Drop lines mentioning "javascript". Default true.
    pub filter_javascript: bool,
    /// Drop the document if a surviving line contains `{`. Default true.
    pub filter_curly_bracket: bool,
    /// Drop lines mentioning a cookie or terms-of-use policy ([`POLICY_SUBSTRINGS`]). Default true.
    pub filter_policy: bool,
}

impl Default for C4Config {
    fn default() -> Self {
        C4Config {
            remove_citations: true,
            filter_no_terminal_punct: true,
            min_num_sentences: 5,
            min_words_per_line: 3,
            max_word_length: 1000,
            filter_lorem_ipsum: true,
            filter_javascript: true,
            filter_curly_bracket: true,
            filter_policy: true,
        }
    }
}

/// What the C4 rules found, walking every line as if the two document-dropping checks (lorem
/// ipsum, curly bracket) were off, and recording where they would have fired. Because datatrove
/// stops at the first of them and the line walk before that point is the same either way,
/// [`judge`] can switch those checks on or off afterwards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct C4Metrics {
    /// Lines (Python `str.splitlines`).
    pub lines: u32,
    /// Lines that survived every line rule.
    pub kept_lines: u32,
    /// Sentences in the surviving lines (0 if measured with `min_num_sentences` = -1).
    pub sentences: u32,
    /// Index of the first line that reached the lorem-ipsum check and contains it.
    pub first_lorem_ipsum_line: Option<u32>,
    /// Index of the first line that reached the curly-bracket check and contains `{`.
    pub first_curly_bracket_line: Option<u32>,
    /// Lines dropped for a word over `max_word_length`.
    pub too_long_word_lines: u32,
    /// Lines dropped for lacking terminal punctuation.
    pub no_terminal_punct_lines: u32,
    /// Lines dropped for having fewer than `min_words_per_line` words.
    pub too_few_words_lines: u32,
    /// Lines dropped for mentioning javascript.
    pub javascript_lines: u32,
    /// Lines dropped for mentioning a policy.
    pub policy_lines: u32,
}

impl C4Metrics {
    /// Named scores for histograms.
    pub fn scores(&self) -> [(&'static str, f64); 4] {
        let flag = |found: Option<u32>| if found.is_some() { 1.0 } else { 0.0 };
        [
            (METRIC_SENTENCES, self.sentences as f64),
            (METRIC_LOREM_IPSUM, flag(self.first_lorem_ipsum_line)),
            (METRIC_CURLY_BRACKET, flag(self.first_curly_bracket_line)),
            (
                METRIC_KEPT_LINE_RATIO,
                super::ratio(self.kept_lines as u64, self.lines as u64),
            ),
        ]
    }
}

/// The C4 quality filter, prepared from its config.
#[derive(Debug, Clone)]
pub struct C4 {
    config: C4Config,
}

/// What happened to one line.
enum LineFate {
    TooLongWord,
    NoTerminalPunct,
    TooFewWords,
    Javascript,
    Policy,
    Kept,
}

struct LineVisit<'a> {
    /// The stripped line, citations removed.
    text: Cow<'a, str>,
    fate: LineFate,
    /// The line reached the lorem-ipsum check and contains it.
    lorem_ipsum: bool,
    /// The line reached the curly-bracket check and contains `{`.
    curly_bracket: bool,
}

/// Word count and longest word (in characters) of an ASCII line, split at Python white space.
fn ascii_word_stats(line: &[u8]) -> (i64, usize) {
    const ASCII_SPACE: [bool; 256] = {
        let mut table = [false; 256];
        let spaces = [
            b' ', b'\t', b'\n', b'\r', 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x1F,
        ];
        let mut k = 0;
        while k < spaces.len() {
            table[spaces[k] as usize] = true;
            k += 1;
        }
        table
    };
    let (mut words, mut longest, mut run) = (0i64, 0usize, 0usize);
    for &b in line {
        if ASCII_SPACE[usize::from(b)] {
            if run > 0 {
                words += 1;
                longest = longest.max(run);
            }
            run = 0;
        } else {
            run += 1;
        }
    }
    if run > 0 {
        words += 1;
        longest = longest.max(run);
    }
    (words, longest)
}

/// Substring searchers for the lower-cased line checks, built once.
struct LineFinders {
    lorem_ipsum: memchr::memmem::Finder<'static>,
    javascript: memchr::memmem::Finder<'static>,
    policy: Vec<memchr::memmem::Finder<'static>>,
}

fn line_finders() -> &'static LineFinders {
    static CELL: OnceLock<LineFinders> = OnceLock::new();
    CELL.get_or_init(|| LineFinders {
        lorem_ipsum: memchr::memmem::Finder::new("lorem ipsum"),
        javascript: memchr::memmem::Finder::new("javascript"),
        policy: POLICY_SUBSTRINGS
            .iter()
            .map(memchr::memmem::Finder::new)
            .collect(),
    })
}

fn citation_regex() -> &'static Regex {
    static CITATION: OnceLock<Regex> = OnceLock::new();
    CITATION
        .get_or_init(|| Regex::new(r"\[\d*\]|\[edit\]|\[citation needed\]").expect("valid regex"))
}

impl C4 {
    /// Prepares the filter.
    pub fn new(config: C4Config) -> Self {
        C4 { config }
    }

    /// The config this filter was prepared with.
    pub fn config(&self) -> &C4Config {
        &self.config
    }

    /// Applies the line rules to one line of `str.splitlines`.
    fn visit<'a>(&self, raw_line: &'a str) -> LineVisit<'a> {
        let config = &self.config;
        let stripped = py_strip(raw_line);
        let mut visit = LineVisit {
            text: Cow::Borrowed(stripped),
            fate: LineFate::Kept,
            lorem_ipsum: false,
            curly_bracket: false,
        };
        let (words, longest) = if stripped.is_ascii() {
            ascii_word_stats(stripped.as_bytes())
        } else {
            let mut words = 0i64;
            let mut longest = 0usize;
            for word in py_split_whitespace(stripped) {
                words += 1;
                longest = longest.max(py_len(word));
            }
            (words, longest)
        };
        if config.max_word_length != -1 && words > 0 && (longest as i64) > config.max_word_length {
            visit.fate = LineFate::TooLongWord;
            return visit;
        }
        if config.remove_citations && stripped.contains('[') {
            visit.text = citation_regex().replace_all(stripped, "");
        }
        let line: &str = &visit.text;
        if config.filter_no_terminal_punct
            && (!line.ends_with(END_PUNCTUATION) || line.ends_with("..."))
        {
            visit.fate = LineFate::NoTerminalPunct;
            return visit;
        }
        if words < config.min_words_per_line {
            visit.fate = LineFate::TooFewWords;
            return visit;
        }
        let lower: Cow<str> =
            if config.filter_lorem_ipsum || config.filter_javascript || config.filter_policy {
                if line
                    .bytes()
                    .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
                {
                    Cow::Owned(line.to_lowercase())
                } else {
                    Cow::Borrowed(line)
                }
            } else {
                Cow::Borrowed("")
            };
        let finders = line_finders();
        let lower = lower.as_bytes();
        visit.lorem_ipsum = finders.lorem_ipsum.find(lower).is_some();
        if config.filter_javascript && finders.javascript.find(lower).is_some() {
            visit.fate = LineFate::Javascript;
            return visit;
        }
        visit.curly_bracket = memchr::memchr(b'{', line.as_bytes()).is_some();
        if config.filter_policy && finders.policy.iter().any(|f| f.find(lower).is_some()) {
            visit.fate = LineFate::Policy;
            return visit;
        }
        visit
    }

    /// Measures `text`, counting sentences with [`crate::text::sentences`].
    pub fn measure(&self, text: &str) -> C4Metrics {
        self.measure_with(text, super::sentence_count)
    }

    /// Measures `text` whose spaCy tokens (all of them, white-space tokens included: the byte
    /// ranges of [`crate::text::tokenizer::spacy_tokens`]) are already known, so that a kept
    /// line's sentences are counted from the tokens inside it instead of tokenizing it again.
    ///
    /// Same result as [`C4::measure`]: tokens never cross white space, so no token crosses a
    /// line break, and each chunk between white space is tokenized on its own; spaCy's final
    /// special-case matcher, the one step that looks across chunks, has no pattern with a line
    /// break in it (tested against the generated table), so the tokens of a stripped line are
    /// the document's tokens inside the line's span. A line whose citations were cut out is
    /// different text and is tokenized on its own.
    pub fn measure_with_tokens(&self, text: &str, tokens: &[Range<usize>]) -> C4Metrics {
        self.measure_spans(text, |line, span| match span {
            Some(span) => {
                let first = tokens.partition_point(|t| t.start < span.start);
                let end = first + tokens[first..].partition_point(|t| t.start < span.end);
                count_sentences_of_tokens(text, &tokens[first..end])
            }
            None => super::sentence_count(line),
        })
    }

    /// Measures `text`, counting the sentences of each surviving line with `count_sentences`
    /// (datatrove: `len(split_into_sentences(line))`).
    pub fn measure_with(
        &self,
        text: &str,
        mut count_sentences: impl FnMut(&str) -> usize,
    ) -> C4Metrics {
        self.measure_spans(text, |line, _| count_sentences(line))
    }

    /// [`C4::measure_with`], where `count_sentences` also gets the kept line's byte span in
    /// `text` when the line is a slice of it (stripped, nothing cut out).
    fn measure_spans(
        &self,
        text: &str,
        mut count_sentences: impl FnMut(&str, Option<Range<usize>>) -> usize,
    ) -> C4Metrics {
        let mut metrics = C4Metrics::default();
        let mut sentences = 0u64;
        for (index, raw_line) in py_splitlines(text).into_iter().enumerate() {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            metrics.lines = metrics.lines.saturating_add(1);
            let visit = self.visit(raw_line);
            if visit.lorem_ipsum && metrics.first_lorem_ipsum_line.is_none() {
                metrics.first_lorem_ipsum_line = Some(index);
            }
            if visit.curly_bracket && metrics.first_curly_bracket_line.is_none() {
                metrics.first_curly_bracket_line = Some(index);
            }
            match visit.fate {
                LineFate::TooLongWord => metrics.too_long_word_lines += 1,
                LineFate::NoTerminalPunct => metrics.no_terminal_punct_lines += 1,
                LineFate::TooFewWords => metrics.too_few_words_lines += 1,
                LineFate::Javascript => metrics.javascript_lines += 1,
                LineFate::Policy => metrics.policy_lines += 1,
                LineFate::Kept => {
                    metrics.kept_lines += 1;
                    if self.config.min_num_sentences != -1 {
                        let span = match &visit.text {
                            Cow::Borrowed(line) => {
                                let start = line.as_ptr() as usize - text.as_ptr() as usize;
                                Some(start..start + line.len())
                            }
                            Cow::Owned(_) => None,
                        };
                        sentences += count_sentences(&visit.text, span) as u64;
                    }
                }
            }
        }
        metrics.sentences = u32::try_from(sentences).unwrap_or(u32::MAX);
        metrics
    }

    /// The text datatrove writes for a kept document: the surviving lines (stripped, citations
    /// removed) joined with `\n`, then stripped.
    pub fn rewrite(&self, text: &str) -> String {
        let kept: Vec<Cow<str>> = py_splitlines(text)
            .into_iter()
            .map(|line| self.visit(line))
            .filter(|visit| matches!(visit.fate, LineFate::Kept))
            .map(|visit| visit.text)
            .collect();
        py_strip(&kept.join("\n")).to_string()
    }
}

/// The first failing rule in datatrove's order, or `None` if the document passes.
pub fn judge(metrics: &C4Metrics, config: &C4Config) -> Option<&'static str> {
    let lorem = metrics
        .first_lorem_ipsum_line
        .filter(|_| config.filter_lorem_ipsum);
    let curly = metrics
        .first_curly_bracket_line
        .filter(|_| config.filter_curly_bracket);
    match (lorem, curly) {
        // On the same line the lorem-ipsum check comes first.
        (Some(l), Some(c)) => return Some(if l <= c { LOREM_IPSUM } else { CURLY_BRACKET }),
        (Some(_), None) => return Some(LOREM_IPSUM),
        (None, Some(_)) => return Some(CURLY_BRACKET),
        (None, None) => {}
    }
    if (metrics.sentences as i64) < config.min_num_sentences {
        return Some(TOO_FEW_SENTENCES);
    }
    None
}

/// The thresholds of `config` against the metrics of [`C4Metrics::scores`].
pub fn thresholds(config: &C4Config) -> Vec<Threshold> {
    let mut out = Vec::new();
    if config.min_num_sentences != -1 {
        out.push(Threshold {
            metric: METRIC_SENTENCES,
            reason: TOO_FEW_SENTENCES,
            bound: Bound::Min,
            value: config.min_num_sentences as f64,
        });
    }
    // The flags fail at 1: "at most 0.5" keeps 0 and drops 1.
    if config.filter_lorem_ipsum {
        out.push(Threshold {
            metric: METRIC_LOREM_IPSUM,
            reason: LOREM_IPSUM,
            bound: Bound::Max,
            value: 0.5,
        });
    }
    if config.filter_curly_bracket {
        out.push(Threshold {
            metric: METRIC_CURLY_BRACKET,
            reason: CURLY_BRACKET,
            bound: Bound::Max,
            value: 0.5,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in sentence counter for unit tests: sentences end at '.', '!' or '?'.
    fn count_by_stops(line: &str) -> usize {
        line.split_inclusive(['.', '!', '?'])
            .filter(|s| !s.trim().is_empty())
            .count()
            .max(1)
    }

    fn measure(config: C4Config, text: &str) -> C4Metrics {
        C4::new(config).measure_with(text, count_by_stops)
    }

    #[test]
    fn line_rules_in_order() {
        let text = "Menu\n\
                    Read our privacy policy here today.\n\
                    Please enable JavaScript in your browser.\n\
                    Too short.\n\
                    This line is fine. It has two sentences.\n\
                    This one ends badly...\n\
                    A citation follows here.[1]\n\
                    Another citation. [2]\n";
        let m = measure(C4Config::default(), text);
        assert_eq!(m.lines, 8);
        assert_eq!(m.no_terminal_punct_lines, 3); // "Menu", "...", and "Another citation. " after removal
        assert_eq!(m.too_few_words_lines, 1);
        assert_eq!(m.javascript_lines, 1);
        assert_eq!(m.policy_lines, 1);
        assert_eq!(m.kept_lines, 2);
        assert_eq!(m.sentences, 3);
        assert_eq!(judge(&m, &C4Config::default()), Some(TOO_FEW_SENTENCES));
        let lenient = C4Config {
            min_num_sentences: 3,
            ..Default::default()
        };
        assert_eq!(judge(&m, &lenient), None);
        assert_eq!(
            C4::new(C4Config::default()).rewrite(text),
            "This line is fine. It has two sentences.\nA citation follows here."
        );
    }

    #[test]
    fn document_drops_follow_line_order() {
        let text = "Code like {this} is here.\nLorem ipsum dolor sit amet.\n";
        let m = measure(C4Config::default(), text);
        assert_eq!(m.first_curly_bracket_line, Some(0));
        assert_eq!(m.first_lorem_ipsum_line, Some(1));
        assert_eq!(judge(&m, &C4Config::default()), Some(CURLY_BRACKET));
        let no_curly = C4Config {
            filter_curly_bracket: false,
            ..Default::default()
        };
        assert_eq!(judge(&m, &no_curly), Some(LOREM_IPSUM));
        // A javascript line is removed before the bracket check sees it.
        let m = measure(
            C4Config::default(),
            "function javascript() { return 1; }.\n",
        );
        assert_eq!(m.first_curly_bracket_line, None);
        // Without the terminal punctuation rule, unpunctuated lines reach the bracket check.
        let fineweb_style = C4Config {
            filter_no_terminal_punct: false,
            ..Default::default()
        };
        let m = measure(fineweb_style, "var x = { a: 1 }\n");
        assert_eq!(m.first_curly_bracket_line, Some(0));
    }

    #[test]
    fn long_words_and_disabled_limits() {
        let long = "x".repeat(1001);
        let text = format!("A line with {long} in it.\n");
        assert_eq!(measure(C4Config::default(), &text).too_long_word_lines, 1);
        let off = C4Config {
            max_word_length: -1,
            min_num_sentences: -1,
            ..Default::default()
        };
        let m = measure(off.clone(), &text);
        assert_eq!((m.kept_lines, m.sentences), (1, 0));
        assert_eq!(judge(&m, &off), None);
    }
}
