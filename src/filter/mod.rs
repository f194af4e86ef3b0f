//! Quality filters: datatrove 0.10.1's Gopher quality, Gopher repetition, C4 and FineWeb rules,
//! reproduced rule for rule (same thresholds, order of checks and reason codes).
//!
//! Measuring is separate from judging so that a page can move a threshold and recount kept and
//! removed rows from stored scores without reading the file again:
//!
//! ```text
//! let filters = QualityFilters::new(FilterConfig::fineweb_style())?;
//! let row: ScoreRow = filters.measure_all(text);        // once per row: exact counts
//! let reasons = filters.judge_all(&row);                // codes of every failing filter
//! let reasons = judge_all(&row, &edited_config);        // later, with moved thresholds
//! ```
//!
//! Each filter's config says which of its fields shape the measurement (changing those needs a
//! new [`QualityFilters::measure_all`]) and which are thresholds read by the judge.
//! [`ScoreHistograms`] accumulates a histogram per metric, with the thresholds, for the report.

pub mod basic;
pub mod c4;
mod datatrove_text;
pub mod fineweb;
pub mod gopher_quality;
pub mod gopher_repetition;
pub mod lang;
pub mod pii;

use serde::{Deserialize, Serialize};

pub use c4::{C4Config, C4Metrics, C4};
pub use fineweb::{FineWeb, FineWebConfig, FineWebMetrics};
pub use gopher_quality::{GopherQuality, GopherQualityConfig, GopherQualityMetrics};
pub use gopher_repetition::{GopherRepetition, GopherRepetitionConfig, GopherRepetitionMetrics};

/// Filter name: Gopher quality rules.
pub const GOPHER_QUALITY: &str = "gopher_quality";
/// Filter name: Gopher repetition rules.
pub const GOPHER_REPETITION: &str = "gopher_repetition";
/// Filter name: C4 rules.
pub const C4_FILTER: &str = "c4";
/// Filter name: FineWeb rules.
pub const FINEWEB: &str = "fineweb";
/// Every filter name, as `--rules` spells them.
pub const FILTER_NAMES: [&str; 4] = [GOPHER_QUALITY, GOPHER_REPETITION, C4_FILTER, FINEWEB];

/// datatrove's word list for a text: spaCy blank-English tokens, stripped, empty ones dropped.
pub(crate) fn word_tokens(text: &str) -> Vec<&str> {
    crate::text::tokenizer::word_tokenize(text)
}

/// datatrove's `len(split_into_sentences(line))` (at least 1, even for text without a sentence).
pub(crate) fn sentence_count(text: &str) -> usize {
    crate::text::sentences::count_sentences(text)
}

/// `numerator / denominator` in f64, as Python computes it; 0/0 is NaN (an undefined score,
/// which passes every check, like a NaN comparison in numpy) and x/0 is infinite.
pub(crate) fn ratio(numerator: u64, denominator: u64) -> f64 {
    numerator as f64 / denominator as f64
}

/// The filters' hasher for their duplicate sets: deterministic (no random seed) and fast on
/// short keys, one one-shot xxh3 per `write` folded into the state. (The streaming
/// `Xxh3Default` costs more than the lookups it serves here.)
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FoldHasher(u64);

impl std::hash::Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.fold(xxhash_rust::xxh3::xxh3_64(bytes));
    }
    fn write_u8(&mut self, n: u8) {
        self.fold(n as u64);
    }
    fn write_u32(&mut self, n: u32) {
        self.fold(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.fold(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.fold(n as u64);
    }
}

impl FoldHasher {
    #[inline]
    fn fold(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(23) ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// `BuildHasher` for [`FoldHasher`].
pub(crate) type FoldBuildHasher = std::hash::BuildHasherDefault<FoldHasher>;

/// Which side of a threshold fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// The row fails when its score is below the value.
    Min,
    /// The row fails when its score is above the value.
    Max,
}

/// One cut on one metric: rows on the failing side of `value` get `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Threshold {
    /// The metric name (as in [`ScoreRow::scores`]).
    pub metric: &'static str,
    /// The reason code a failing row gets.
    pub reason: &'static str,
    /// Which side fails.
    pub bound: Bound,
    /// The threshold. Equal scores pass.
    pub value: f64,
}

/// Which quality filters run, each with its settings. A filter runs when its entry is present:
/// `{"gopher_quality": {}}` runs the Gopher quality rules with datatrove's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilterConfig {
    /// Gopher quality rules.
    pub gopher_quality: Option<GopherQualityConfig>,
    /// Gopher repetition rules.
    pub gopher_repetition: Option<GopherRepetitionConfig>,
    /// C4 rules.
    pub c4: Option<C4Config>,
    /// FineWeb rules.
    pub fineweb: Option<FineWebConfig>,
}

impl FilterConfig {
    /// All four filters with datatrove's default arguments.
    pub fn datatrove_defaults() -> Self {
        FilterConfig {
            gopher_quality: Some(GopherQualityConfig::default()),
            gopher_repetition: Some(GopherRepetitionConfig::default()),
            c4: Some(C4Config::default()),
            fineweb: Some(FineWebConfig::default()),
        }
    }

    /// The "FineWeb-style web text" preset: the four filters as the FineWeb pipeline runs them,
    /// i.e. C4 without the terminal-punctuation line rule.
    pub fn fineweb_style() -> Self {
        FilterConfig {
            c4: Some(C4Config {
                filter_no_terminal_punct: false,
                ..C4Config::default()
            }),
            ..Self::datatrove_defaults()
        }
    }

    /// Turns on the filter called `name` (one of [`FILTER_NAMES`]) with datatrove's defaults,
    /// keeping its settings if it is already on. Returns false for an unknown name.
    pub fn enable(&mut self, name: &str) -> bool {
        match name {
            GOPHER_QUALITY => {
                self.gopher_quality.get_or_insert_with(Default::default);
            }
            GOPHER_REPETITION => {
                self.gopher_repetition.get_or_insert_with(Default::default);
            }
            C4_FILTER => {
                self.c4.get_or_insert_with(Default::default);
            }
            FINEWEB => {
                self.fineweb.get_or_insert_with(Default::default);
            }
            _ => return false,
        }
        true
    }

    /// Whether no filter is configured.
    pub fn is_empty(&self) -> bool {
        self.gopher_quality.is_none()
            && self.gopher_repetition.is_none()
            && self.c4.is_none()
            && self.fineweb.is_none()
    }

    /// Checks values serde cannot (n-gram sizes).
    pub fn validate(&self) -> crate::Result<()> {
        if let Some(config) = &self.gopher_repetition {
            config.validate().map_err(crate::Error::Config)?;
        }
        Ok(())
    }

    /// Every active threshold, per configured filter, in the order of the checks.
    pub fn thresholds(&self) -> Vec<Threshold> {
        let mut out = Vec::new();
        if let Some(config) = &self.gopher_quality {
            out.extend(gopher_quality::thresholds(config));
        }
        if let Some(config) = &self.gopher_repetition {
            out.extend(gopher_repetition::thresholds(config));
        }
        if let Some(config) = &self.c4 {
            out.extend(c4::thresholds(config));
        }
        if let Some(config) = &self.fineweb {
            out.extend(fineweb::thresholds(config));
        }
        out
    }
}

/// One row's measurements: exact counts per configured filter (`None` for filters that did not
/// run). Verdicts are recomputed from these by [`judge_all`]; [`ScoreRow::scores`] gives the
/// derived named scores (ratios, means) for display.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreRow {
    /// Gopher quality counts.
    pub gopher_quality: Option<GopherQualityMetrics>,
    /// Gopher repetition counts.
    pub gopher_repetition: Option<GopherRepetitionMetrics>,
    /// C4 line-walk counts.
    pub c4: Option<C4Metrics>,
    /// FineWeb counts.
    pub fineweb: Option<FineWebMetrics>,
}

impl ScoreRow {
    /// Named scores with stable names (`"<filter>.<score>"`, e.g. `"gopher_quality.avg_word_length"`),
    /// filter by filter in the order of their checks. Undefined scores (0/0) are NaN.
    pub fn scores(&self) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        if let Some(m) = &self.gopher_quality {
            out.extend(m.scores());
        }
        if let Some(m) = &self.gopher_repetition {
            out.extend(m.scores());
        }
        if let Some(m) = &self.c4 {
            out.extend(m.scores());
        }
        if let Some(m) = &self.fineweb {
            out.extend(m.scores());
        }
        out
    }

    /// One named score, if measured.
    pub fn score(&self, metric: &str) -> Option<f64> {
        self.scores()
            .into_iter()
            .find(|(name, _)| *name == metric)
            .map(|(_, v)| v)
    }
}

/// The configured quality filters, prepared once and applied to many rows.
#[derive(Debug, Clone)]
pub struct QualityFilters {
    config: FilterConfig,
    gopher_quality: Option<GopherQuality>,
    gopher_repetition: Option<GopherRepetition>,
    c4: Option<C4>,
    fineweb: Option<FineWeb>,
}

impl QualityFilters {
    /// Prepares the filters of `config`; fails on invalid settings.
    pub fn new(config: FilterConfig) -> crate::Result<Self> {
        config.validate()?;
        Ok(QualityFilters {
            gopher_quality: config.gopher_quality.clone().map(GopherQuality::new),
            gopher_repetition: match &config.gopher_repetition {
                Some(c) => Some(GopherRepetition::new(c.clone()).map_err(crate::Error::Config)?),
                None => None,
            },
            c4: config.c4.clone().map(C4::new),
            fineweb: config.fineweb.clone().map(FineWeb::new),
            config,
        })
    }

    /// The config these filters were prepared with.
    pub fn config(&self) -> &FilterConfig {
        &self.config
    }

    /// Measures one text for every configured filter, tokenizing it once.
    pub fn measure_all(&self, text: &str) -> ScoreRow {
        let needs_words = self.gopher_quality.is_some()
            || self.gopher_repetition.is_some()
            || self.fineweb.is_some();
        // All spaCy tokens once: the words of Gopher and FineWeb are the non-space ones, and C4
        // counts each kept line's sentences from the tokens inside it.
        let tokens = if needs_words {
            crate::text::tokenizer::spacy_tokens(text)
        } else {
            Vec::new()
        };
        let words: Vec<&str> = tokens
            .iter()
            .map(|range| &text[range.clone()])
            .filter(|token| crate::text::tokenizer::is_word_token(token))
            .collect();
        ScoreRow {
            gopher_quality: self
                .gopher_quality
                .as_ref()
                .map(|f| f.measure_words(text, &words)),
            gopher_repetition: self
                .gopher_repetition
                .as_ref()
                .map(|f| f.measure_words(text, &words)),
            c4: self.c4.as_ref().map(|f| {
                if needs_words {
                    f.measure_with_tokens(text, &tokens)
                } else {
                    f.measure(text)
                }
            }),
            fineweb: self.fineweb.as_ref().map(|f| f.measure_words(text, &words)),
        }
    }

    /// The reason codes of `row` under this config: see [`judge_all`].
    pub fn judge_all(&self, row: &ScoreRow) -> Vec<&'static str> {
        judge_all(row, &self.config)
    }

    /// C4's cleaned text (surviving lines only) for `--rewrite`, or `None` when C4 is not
    /// configured.
    pub fn c4_rewrite(&self, text: &str) -> Option<String> {
        self.c4.as_ref().map(|f| f.rewrite(text))
    }
}

/// One reason code per failing filter (each filter's first failing check, in datatrove's order),
/// filters in the order gopher_quality, gopher_repetition, c4, fineweb. Empty if the row passes.
/// Filters configured but not measured in `row` are skipped; `config`'s measurement-shaping
/// fields must match those `row` was measured with.
pub fn judge_all(row: &ScoreRow, config: &FilterConfig) -> Vec<&'static str> {
    let mut reasons = Vec::new();
    if let (Some(m), Some(c)) = (&row.gopher_quality, &config.gopher_quality) {
        reasons.extend(gopher_quality::judge(m, c));
    }
    if let (Some(m), Some(c)) = (&row.gopher_repetition, &config.gopher_repetition) {
        reasons.extend(gopher_repetition::judge(m, c));
    }
    if let (Some(m), Some(c)) = (&row.c4, &config.c4) {
        reasons.extend(c4::judge(m, c));
    }
    if let (Some(m), Some(c)) = (&row.fineweb, &config.fineweb) {
        reasons.extend(fineweb::judge(m, c));
    }
    reasons
}

/// A histogram of one metric over all measured rows, with the thresholds that cut it.
///
/// Bin `i` holds scores in `[edges[i], edges[i + 1])`; the last bin also holds scores equal to
/// its upper edge (a ratio of exactly 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricHistogram {
    /// The metric name, as in [`ScoreRow::scores`].
    pub metric: &'static str,
    /// Bin edges, ascending; one more than `counts`.
    pub edges: Vec<f64>,
    /// Rows per bin.
    pub counts: Vec<u64>,
    /// Rows with a score below the first edge.
    pub below: u64,
    /// Rows with a score above the last edge.
    pub above: u64,
    /// Rows whose score is undefined (NaN, e.g. a mean over no words).
    pub undefined: u64,
    /// Smallest and largest defined score seen (`None` before any).
    pub min: Option<f64>,
    /// Largest defined score seen.
    pub max: Option<f64>,
    /// The thresholds on this metric (a metric can have a minimum and a maximum).
    pub thresholds: Vec<Threshold>,
}

impl MetricHistogram {
    fn new(metric: &'static str, edges: Vec<f64>, thresholds: Vec<Threshold>) -> Self {
        let bins = edges.len() - 1;
        MetricHistogram {
            metric,
            edges,
            counts: vec![0; bins],
            below: 0,
            above: 0,
            undefined: 0,
            min: None,
            max: None,
            thresholds,
        }
    }

    fn add(&mut self, value: f64) {
        if value.is_nan() {
            self.undefined += 1;
            return;
        }
        self.min = Some(self.min.map_or(value, |m| m.min(value)));
        self.max = Some(self.max.map_or(value, |m| m.max(value)));
        let last = *self.edges.last().expect("edges");
        if value < self.edges[0] {
            self.below += 1;
        } else if value > last {
            self.above += 1;
        } else if value == last {
            *self.counts.last_mut().expect("bins") += 1;
        } else {
            let bin = self.edges.partition_point(|edge| *edge <= value) - 1;
            self.counts[bin] += 1;
        }
    }
}

/// Bin edges for a metric: ratios get 50 bins over [0, 1], counts get hand-picked edges that
/// resolve the region around their default thresholds.
fn edges_for(metric: &str) -> Vec<f64> {
    let uniform = |lo: f64, hi: f64, bins: usize| {
        (0..=bins)
            .map(|i| lo + (hi - lo) * i as f64 / bins as f64)
            .collect::<Vec<_>>()
    };
    match metric {
        gopher_quality::METRIC_WORDS => vec![
            0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0, 150.0, 200.0, 300.0, 500.0, 1e3,
            2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 1e6,
        ],
        gopher_quality::METRIC_AVG_WORD_LENGTH => uniform(0.0, 20.0, 40),
        gopher_quality::METRIC_STOP_WORDS => uniform(0.0, 10.0, 10),
        c4::METRIC_SENTENCES => {
            let mut edges = uniform(0.0, 20.0, 20);
            edges.extend([30.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 1e4]);
            edges
        }
        c4::METRIC_LOREM_IPSUM | c4::METRIC_CURLY_BRACKET => vec![0.0, 0.5, 1.0],
        fineweb::METRIC_LIST_RATIO => uniform(0.0, 1.5, 60),
        _ => uniform(0.0, 1.0, 50),
    }
}

/// Per-metric histograms over many rows, for the report: where each threshold falls in the
/// distribution of its score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreHistograms {
    /// Rows added.
    pub rows: u64,
    /// One histogram per metric, in [`ScoreRow::scores`] order of first appearance.
    pub metrics: Vec<MetricHistogram>,
}

impl ScoreHistograms {
    /// An empty accumulator whose histograms carry `config`'s thresholds.
    pub fn new(config: &FilterConfig) -> Self {
        let thresholds = config.thresholds();
        let mut metrics: Vec<MetricHistogram> = Vec::new();
        // Pre-create histograms for every thresholded metric so that they appear even when no
        // row was measured.
        for t in &thresholds {
            if !metrics.iter().any(|h| h.metric == t.metric) {
                let on_metric = thresholds
                    .iter()
                    .filter(|u| u.metric == t.metric)
                    .copied()
                    .collect();
                metrics.push(MetricHistogram::new(
                    t.metric,
                    edges_for(t.metric),
                    on_metric,
                ));
            }
        }
        ScoreHistograms { rows: 0, metrics }
    }

    /// Adds one row's scores.
    pub fn add(&mut self, row: &ScoreRow) {
        self.rows += 1;
        for (metric, value) in row.scores() {
            let histogram = match self.metrics.iter_mut().position(|h| h.metric == metric) {
                Some(i) => &mut self.metrics[i],
                None => {
                    self.metrics
                        .push(MetricHistogram::new(metric, edges_for(metric), Vec::new()));
                    self.metrics.last_mut().expect("just pushed")
                }
            };
            histogram.add(value);
        }
    }

    /// The histogram of one metric.
    pub fn get(&self, metric: &str) -> Option<&MetricHistogram> {
        self.metrics.iter().find(|h| h.metric == metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets() {
        let fw = FilterConfig::fineweb_style();
        assert!(!fw.c4.as_ref().unwrap().filter_no_terminal_punct);
        assert_eq!(fw.gopher_quality, Some(GopherQualityConfig::default()));
        assert!(
            FilterConfig::datatrove_defaults()
                .c4
                .unwrap()
                .filter_no_terminal_punct
        );
        assert!(FilterConfig::default().is_empty());
        let mut by_name = FilterConfig::default();
        for name in FILTER_NAMES {
            assert!(by_name.enable(name));
        }
        assert_eq!(by_name, FilterConfig::datatrove_defaults());
        assert!(!by_name.enable("pii"));
        // Enabling keeps edited settings.
        let mut fw = FilterConfig::fineweb_style();
        fw.enable(C4_FILTER);
        assert_eq!(fw, FilterConfig::fineweb_style());
    }

    #[test]
    fn config_from_json() {
        let config: FilterConfig =
            serde_json::from_str(r#"{"gopher_quality": {"min_doc_words": 20}, "fineweb": {}}"#)
                .unwrap();
        assert_eq!(
            config.gopher_quality.as_ref().unwrap().min_doc_words,
            Some(20)
        );
        assert_eq!(config.fineweb, Some(FineWebConfig::default()));
        assert!(config.c4.is_none());
        assert!(serde_json::from_str::<FilterConfig>(r#"{"gopher": {}}"#).is_err());
        let bad: FilterConfig =
            serde_json::from_str(r#"{"gopher_repetition": {"dup_n_grams": [[0, 0.1]]}}"#).unwrap();
        assert!(QualityFilters::new(bad).is_err());
    }

    #[test]
    fn judge_all_collects_one_code_per_filter_and_follows_moved_thresholds() {
        let row = ScoreRow {
            gopher_quality: Some(GopherQualityMetrics {
                words: 10,
                non_symbol_words: 10,
                non_symbol_word_chars: 40,
                lines: 1,
                alpha_words: 10,
                stop_words: 2,
                ..Default::default()
            }),
            fineweb: Some(FineWebMetrics {
                lines: 1,
                punct_lines: 0,
                short_lines: 1,
                non_newline_chars: 49,
                words: 10,
                ..Default::default()
            }),
            ..Default::default()
        };
        let config = FilterConfig::datatrove_defaults();
        assert_eq!(
            judge_all(&row, &config),
            vec![gopher_quality::GOPHER_SHORT_DOC, fineweb::LINE_PUNCT_RATIO]
        );
        let mut moved = config.clone();
        moved.gopher_quality.as_mut().unwrap().min_doc_words = Some(5);
        moved.fineweb.as_mut().unwrap().line_punct_exclude_zero = true;
        moved.fineweb.as_mut().unwrap().short_line_thr = 1.0;
        assert!(judge_all(&row, &moved).is_empty());
    }

    #[test]
    fn measure_all_names_every_score_and_judges_a_real_paragraph() {
        let text = "The committee met on Tuesday to discuss the budget. Members argued about the cost \
                    of the new bridge, and several of them asked for a second study. The chair said \
                    that the study would have to wait until spring. No vote was taken.\n\
                    The next meeting is planned for the first week of March, when the engineers \
                    will present their estimates to the committee and to the public.";
        let filters = QualityFilters::new(FilterConfig::datatrove_defaults()).unwrap();
        let row = filters.measure_all(text);
        let names: Vec<&str> = row.scores().iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            [
                "gopher_quality.words",
                "gopher_quality.avg_word_length",
                "gopher_quality.hash_word_ratio",
                "gopher_quality.ellipsis_word_ratio",
                "gopher_quality.bullet_line_ratio",
                "gopher_quality.end_ellipsis_line_ratio",
                "gopher_quality.alpha_word_ratio",
                "gopher_quality.stop_words",
                "gopher_repetition.dup_para_frac",
                "gopher_repetition.dup_para_char_frac",
                "gopher_repetition.dup_line_frac",
                "gopher_repetition.dup_line_char_frac",
                "gopher_repetition.top_2_gram_char_frac",
                "gopher_repetition.top_3_gram_char_frac",
                "gopher_repetition.top_4_gram_char_frac",
                "gopher_repetition.duplicated_5_n_grams_char_frac",
                "gopher_repetition.duplicated_6_n_grams_char_frac",
                "gopher_repetition.duplicated_7_n_grams_char_frac",
                "gopher_repetition.duplicated_8_n_grams_char_frac",
                "gopher_repetition.duplicated_9_n_grams_char_frac",
                "gopher_repetition.duplicated_10_n_grams_char_frac",
                "c4.sentences",
                "c4.lorem_ipsum",
                "c4.curly_bracket",
                "c4.kept_line_ratio",
                "fineweb.line_punct_ratio",
                "fineweb.short_line_ratio",
                "fineweb.char_dup_ratio",
                "fineweb.list_ratio",
            ]
        );
        // Prose in two lines, five sentences: every filter keeps it.
        assert_eq!(row.c4.unwrap().sentences, 5);
        assert_eq!(row.score("fineweb.line_punct_ratio"), Some(1.0));
        assert!(
            filters.judge_all(&row).is_empty(),
            "{:?}",
            filters.judge_all(&row)
        );
        // Raising the sentence minimum drops it for C4 alone, without measuring again.
        let mut stricter = FilterConfig::datatrove_defaults();
        stricter.c4.as_mut().unwrap().min_num_sentences = 6;
        assert_eq!(judge_all(&row, &stricter), vec![c4::TOO_FEW_SENTENCES]);
        // Every thresholded metric has a histogram, even before any row.
        let histograms = ScoreHistograms::new(filters.config());
        for t in filters.config().thresholds() {
            assert!(histograms.get(t.metric).unwrap().thresholds.contains(&t));
        }
    }

    #[test]
    fn histograms_bin_scores_and_carry_thresholds() {
        let config = FilterConfig {
            fineweb: Some(FineWebConfig::default()),
            ..Default::default()
        };
        let mut histograms = ScoreHistograms::new(&config);
        for (punct, lines) in [(0, 10), (5, 10), (10, 10), (0, 0)] {
            histograms.add(&ScoreRow {
                fineweb: Some(FineWebMetrics {
                    lines,
                    punct_lines: punct,
                    non_newline_chars: 100,
                    words: 20,
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        let h = histograms.get(fineweb::METRIC_LINE_PUNCT_RATIO).unwrap();
        assert_eq!(histograms.rows, 4);
        assert_eq!(h.counts[0], 1);
        assert_eq!(h.counts[25], 1);
        assert_eq!(h.counts[49], 1); // exactly 1.0 lands in the last bin
        assert_eq!(h.undefined, 1);
        assert_eq!(h.thresholds[0].value, 0.12);
        assert_eq!(h.thresholds[0].bound, Bound::Min);
        let json = serde_json::to_value(&histograms).unwrap();
        assert_eq!(json["metrics"][0]["metric"], "fineweb.line_punct_ratio");
    }
}
