//! The `filter` stage: datatrove's quality rules, PII, language and basic rules over each row's
//! compared text. Measurements are kept per row so thresholds can be moved afterwards and the
//! verdicts recounted without reading the file again ([`FilterStage::rejudge`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::filter::basic::{BasicConfig, BasicFilter, TextLength};
use crate::filter::lang::{LangConfig, LangDistribution, LangFilter};
use crate::filter::pii::{self, PiiConfig, PiiMode};
use crate::filter::{
    judge_all, Bound, C4Config, FilterConfig, FineWebConfig, GopherQualityConfig,
    GopherRepetitionConfig, QualityFilters, ScoreHistograms, ScoreRow,
};
use crate::Result;

/// Pipeline config key `filter`: which rules run. A rule runs when its entry is present;
/// `{"gopher_quality": {}}` runs it with datatrove's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FiltersConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gopher_quality: Option<GopherQualityConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gopher_repetition: Option<GopherRepetitionConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub c4: Option<C4Config>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fineweb: Option<FineWebConfig>,
    /// Personal data: `drop` rows (codes `pii_*`) or `redact` them (warnings; the kept output
    /// holds the redacted text, with or without `rewrite`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pii: Option<PiiConfig>,
    /// Language identification (`wrong_language`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<LangConfig>,
    /// Lengths (`too_short`, `too_long`), regular expressions (`regex_match`), a word blocklist
    /// (`blocklist`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basic: Option<BasicConfig>,
    /// Write cleaned text for kept rows (C4's line removal, PII redaction) instead of their
    /// original bytes. Off by default: outputs stay byte-identical to the input.
    pub rewrite: bool,
}

impl FiltersConfig {
    /// The keys of the rules; a filter config without any runs nothing.
    pub const RULE_KEYS: &'static [&'static str] = &[
        "gopher_quality",
        "gopher_repetition",
        "c4",
        "fineweb",
        "pii",
        "lang",
        "basic",
    ];

    /// At least one rule runs.
    pub fn has_rules(&self) -> bool {
        self.gopher_quality.is_some()
            || self.gopher_repetition.is_some()
            || self.c4.is_some()
            || self.fineweb.is_some()
            || self.pii.is_some()
            || self.lang.is_some()
            || self.basic.is_some()
    }

    /// Kept rows are written with cleaned text: `rewrite`, or PII redaction (which rewrites even
    /// without it).
    pub fn rewrites_kept_rows(&self) -> bool {
        self.rewrite || self.pii.as_ref().is_some_and(|p| p.mode == PiiMode::Redact)
    }

    /// The datatrove part.
    pub fn quality(&self) -> FilterConfig {
        FilterConfig {
            gopher_quality: self.gopher_quality.clone(),
            gopher_repetition: self.gopher_repetition.clone(),
            c4: self.c4.clone(),
            fineweb: self.fineweb.clone(),
        }
    }

    /// "FineWeb-style web text": Gopher quality and repetition, C4 without the
    /// terminal-punctuation line rule, FineWeb.
    pub fn fineweb_style() -> Self {
        let q = FilterConfig::fineweb_style();
        FiltersConfig {
            gopher_quality: q.gopher_quality,
            gopher_repetition: q.gopher_repetition,
            c4: q.c4,
            fineweb: q.fineweb,
            ..Default::default()
        }
    }

    /// "SFT sanity": length bounds, PII, English.
    pub fn sft_sanity() -> Self {
        FiltersConfig {
            basic: Some(BasicConfig {
                min_words: Some(3),
                max_words: Some(100_000),
                ..Default::default()
            }),
            pii: Some(PiiConfig::default()),
            lang: Some(LangConfig {
                allowed: vec!["en".into()],
                // SFT rows are often one short instruction.
                min_letters: 150,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    pub fn validate(&self) -> Result<()> {
        self.quality().validate()?;
        if let Some(p) = &self.pii {
            p.validate()?;
        }
        if let Some(l) = &self.lang {
            LangFilter::new(l)?;
        }
        if let Some(b) = &self.basic {
            BasicFilter::new(b)?;
        }
        Ok(())
    }
}

/// What one row's filters found.
#[derive(Debug, Default)]
pub struct RowVerdict {
    pub reasons: Vec<&'static str>,
    pub warnings: Vec<&'static str>,
    /// For people: the value that tripped each rule.
    pub details: Vec<String>,
}

/// The per-row measurements kept for re-judging.
#[derive(Debug, Clone, Default)]
struct Stored {
    scores: Option<ScoreRow>,
    lang: Option<(&'static str, f32)>,
    /// Letters of the text, counted up to `LETTERS_COUNTED` (or `min_letters`).
    letters: u32,
    length: Option<TextLength>,
    /// Removed by rules that thresholds do not move (PII, regex, blocklist).
    fixed: bool,
}

impl std::fmt::Debug for FilterStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilterStage")
            .field("config", &self.config)
            .field("rows", &self.stored.len())
            .finish()
    }
}

pub struct FilterStage {
    config: FiltersConfig,
    quality: Option<QualityFilters>,
    lang: Option<LangFilter>,
    basic: Option<BasicFilter>,
    histograms: Option<ScoreHistograms>,
    languages: LangDistribution,
    pii_found: BTreeMap<&'static str, u64>,
    stored: Vec<Stored>,
}

/// The `stats.filter` section of the report.
#[derive(Debug, Clone, Serialize)]
pub struct FilterStats {
    /// Per metric: histogram of the score and the threshold(s) on it, to show where the cut falls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub histograms: Option<ScoreHistograms>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub languages: Option<LangDistribution>,
    /// Rows with each kind of personal data (in drop and in redact mode).
    pub pii_rows: BTreeMap<&'static str, u64>,
    /// Whether kept rows were written with cleaned text instead of their original bytes.
    pub rewrite: bool,
    /// Every threshold in force, with the config key that sets it (`gopher_quality.min_doc_words`,
    /// `gopher_repetition.top_n_grams.0.1`): what the page's sliders edit.
    pub thresholds: Vec<TunableThreshold>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TunableThreshold {
    pub metric: &'static str,
    pub reason: &'static str,
    pub bound: Bound,
    pub value: f64,
    /// Dotted path inside the `filter` config; `None` for on/off rules (lorem_ipsum, ...).
    pub key: Option<String>,
}

/// The `filter` config key that sets the threshold behind `reason`.
pub fn threshold_key(reason: &str, config: &FiltersConfig) -> Option<String> {
    let n_gram_index = |list: &[(u32, f64)], prefix: &str, suffix: &str| -> Option<usize> {
        let n: u32 = reason
            .strip_prefix(prefix)?
            .strip_suffix(suffix)?
            .parse()
            .ok()?;
        list.iter().position(|(k, _)| *k == n)
    };
    let key = match reason {
        "gopher_short_doc" => "gopher_quality.min_doc_words",
        "gopher_long_doc" => "gopher_quality.max_doc_words",
        "gopher_below_avg_threshold" => "gopher_quality.min_avg_word_length",
        "gopher_above_avg_threshold" => "gopher_quality.max_avg_word_length",
        "gopher_too_many_hashes" | "gopher_too_many_ellipsis" => {
            "gopher_quality.max_symbol_word_ratio"
        }
        "gopher_too_many_bullets" => "gopher_quality.max_bullet_lines_ratio",
        "gopher_too_many_end_ellipsis" => "gopher_quality.max_ellipsis_lines_ratio",
        "gopher_below_alpha_threshold" => "gopher_quality.max_non_alpha_words_ratio",
        "gopher_enough_stop_words" => "gopher_quality.min_stop_words",
        "dup_line_frac" | "dup_para_frac" | "dup_line_char_frac" | "dup_para_char_frac" => {
            return Some(format!("gopher_repetition.{reason}"))
        }
        "too_few_sentences" => "c4.min_num_sentences",
        "line_punct_ratio" => "fineweb.line_punct_thr",
        "short_line_ratio" => "fineweb.short_line_thr",
        "char_dup_ratio" => "fineweb.char_duplicates_ratio",
        "list_ratio" => "fineweb.new_line_ratio",
        _ => {
            let rep = config.gopher_repetition.as_ref()?;
            if let Some(i) = n_gram_index(&rep.top_n_grams, "top_", "_gram") {
                return Some(format!("gopher_repetition.top_n_grams.{i}.1"));
            }
            if let Some(i) = n_gram_index(&rep.dup_n_grams, "duplicated_", "_n_grams") {
                return Some(format!("gopher_repetition.dup_n_grams.{i}.1"));
            }
            return None;
        }
    };
    Some(key.to_string())
}

/// Counts after moving thresholds ([`FilterStage::rejudge`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejudged {
    pub rows_kept: u64,
    pub rows_removed: u64,
    pub removed_by: BTreeMap<&'static str, u64>,
}

impl FilterStage {
    pub fn new(config: FiltersConfig) -> Result<Self> {
        config.validate()?;
        let quality_config = config.quality();
        let quality = if quality_config.is_empty() {
            None
        } else {
            Some(QualityFilters::new(quality_config.clone())?)
        };
        Ok(FilterStage {
            histograms: quality
                .as_ref()
                .map(|_| ScoreHistograms::new(&quality_config)),
            quality,
            lang: config.lang.as_ref().map(LangFilter::new).transpose()?,
            basic: config.basic.as_ref().map(BasicFilter::new).transpose()?,
            languages: LangDistribution::default(),
            pii_found: BTreeMap::new(),
            stored: Vec::new(),
            config,
        })
    }

    pub fn config(&self) -> &FiltersConfig {
        &self.config
    }

    /// Runs every configured rule on row `row`'s text (`None`: the row has no text and no
    /// measurements; it is not judged).
    pub fn check(&mut self, row: u64, text: Option<&str>) -> RowVerdict {
        let mut verdict = RowVerdict::default();
        let index = row as usize;
        if self.stored.len() <= index {
            self.stored.resize(index + 1, Stored::default());
        }
        let Some(text) = text else { return verdict };
        let mut stored = Stored::default();
        if let Some(q) = &self.quality {
            let scores = q.measure_all(text);
            if let Some(h) = &mut self.histograms {
                h.add(&scores);
            }
            for reason in q.judge_all(&scores) {
                verdict.reasons.push(reason);
                verdict.details.push(explain(reason, &scores, q.config()));
            }
            stored.scores = Some(scores);
        }
        if let Some(p) = &self.config.pii {
            let outcome = pii::apply(p, text);
            for code in pii::reason_codes(&outcome.matches) {
                *self.pii_found.entry(code).or_default() += 1;
                match p.mode {
                    PiiMode::Drop => {
                        verdict.reasons.push(code);
                        stored.fixed = true;
                    }
                    PiiMode::Redact => verdict.warnings.push(code),
                }
            }
            if let Some(m) = outcome.matches.first() {
                verdict.details.push(format!(
                    "{} found: {}",
                    outcome.matches.len(),
                    m.describe(text)
                ));
            }
        }
        if let Some(l) = &self.lang {
            let v = l.check(text);
            self.languages.add(v.detected);
            stored.lang = v.detected.map(|(code, c)| (code, c as f32));
            stored.letters = u32::try_from(v.letters).unwrap_or(u32::MAX);
            if let Some(f) = v.failure {
                verdict.reasons.push(f.code());
                verdict.details.push(f.describe(l.allowed()));
            }
        }
        if let Some(b) = &self.basic {
            stored.length = Some(TextLength::of(text));
            for f in b.check(text) {
                let code = f.code();
                if !matches!(
                    code,
                    crate::filter::basic::TOO_SHORT | crate::filter::basic::TOO_LONG
                ) {
                    stored.fixed = true;
                }
                if !verdict.reasons.contains(&code) {
                    verdict.reasons.push(code);
                }
                verdict.details.push(f.describe());
            }
        }
        self.stored[index] = stored;
        verdict
    }

    /// The cleaned text written for a kept row under `rewrite`: C4's surviving lines, then PII
    /// redaction. `None` when nothing changes.
    pub fn rewrite_text(&self, text: &str) -> Option<String> {
        let mut out: Option<String> = None;
        if self.config.rewrite {
            if let Some(q) = &self.quality {
                out = q.c4_rewrite(text);
            }
        }
        if let Some(p) = &self.config.pii {
            if p.mode == PiiMode::Redact {
                let current = out.as_deref().unwrap_or(text);
                if let Some(red) = pii::apply(p, current).redacted {
                    out = Some(red);
                }
            }
        }
        out.filter(|t| t != text)
    }

    /// Recounts kept and removed rows with other thresholds (same rules; only threshold values,
    /// allowed languages and length bounds may differ), from the stored measurements.
    /// `removed_elsewhere[i]` says whether row `i` is removed by another stage (parse, dedup, ...).
    pub fn rejudge(&self, config: &FiltersConfig, removed_elsewhere: &[bool]) -> Result<Rejudged> {
        let quality = config.quality();
        quality.validate()?;
        let lang = config.lang.as_ref().map(LangFilter::new).transpose()?;
        let basic = config.basic.as_ref().map(BasicFilter::new).transpose()?;
        let mut out = Rejudged {
            rows_kept: 0,
            rows_removed: 0,
            removed_by: BTreeMap::new(),
        };
        for (i, elsewhere) in removed_elsewhere.iter().enumerate() {
            let stored = self.stored.get(i).cloned().unwrap_or_default();
            let mut reasons: Vec<&'static str> = Vec::new();
            if let Some(scores) = &stored.scores {
                reasons.extend(judge_all(scores, &quality));
            }
            if let (Some(l), true) = (
                &lang,
                stored.scores.is_some() || stored.lang.is_some() || stored.length.is_some(),
            ) {
                let detected = stored.lang.map(|(c, x)| (c, f64::from(x)));
                if let Some(f) = l.judge(detected, stored.letters as usize) {
                    reasons.push(f.code());
                }
            }
            if let (Some(b), Some(len)) = (&basic, stored.length) {
                reasons.extend(b.judge_length(len).iter().map(|f| f.code()));
            }
            for r in &reasons {
                *out.removed_by.entry(*r).or_default() += 1;
            }
            if reasons.is_empty() && !stored.fixed && !elsewhere {
                out.rows_kept += 1;
            } else {
                out.rows_removed += 1;
            }
        }
        Ok(out)
    }

    pub fn stats(&self) -> FilterStats {
        FilterStats {
            histograms: self.histograms.clone(),
            languages: self.lang.as_ref().map(|_| self.languages.clone()),
            pii_rows: self.pii_found.clone(),
            rewrite: self.config.rewrites_kept_rows(),
            thresholds: self
                .config
                .quality()
                .thresholds()
                .into_iter()
                .map(|t| TunableThreshold {
                    metric: t.metric,
                    reason: t.reason,
                    bound: t.bound,
                    value: t.value,
                    key: threshold_key(t.reason, &self.config),
                })
                .collect(),
        }
    }
}

/// "gopher_short_doc: gopher_quality.n_words = 38, min 50".
fn explain(reason: &'static str, scores: &ScoreRow, config: &FilterConfig) -> String {
    for t in config.thresholds() {
        if t.reason == reason {
            if let Some(v) = scores.score(t.metric) {
                let failing = match t.bound {
                    Bound::Min => v < t.value,
                    Bound::Max => v > t.value,
                };
                if failing {
                    let bound = if t.bound == Bound::Min { "min" } else { "max" };
                    return format!(
                        "{reason}: {} = {} ({bound} {})",
                        t.metric,
                        round(v),
                        round(t.value)
                    );
                }
            }
        }
    }
    reason.to_string()
}

fn round(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v}")
    } else {
        format!("{v:.3}")
    }
}

/// Replaces, in a row, every string the fields reach with `rewrite(string)` where it returns a
/// new text. Returns whether anything changed.
pub fn rewrite_value(
    row: &mut Value,
    fields: &[crate::schema::FieldPath],
    rewrite: &dyn Fn(&str) -> Option<String>,
) -> bool {
    let mut changed = false;
    for f in fields {
        f.for_each_string_mut(row, &mut |s| {
            if let Some(new) = rewrite(s) {
                *s = new;
                changed = true;
            }
        });
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every threshold's key points at the config value it came from, so the page edits the
    /// right setting.
    #[test]
    fn threshold_keys_point_at_their_values() {
        let config = FiltersConfig {
            rewrite: false,
            ..FiltersConfig::fineweb_style()
        };
        let json = serde_json::to_value(&config).unwrap();
        let thresholds = config.quality().thresholds();
        assert!(thresholds.len() > 20);
        for t in thresholds {
            let Some(key) = threshold_key(t.reason, &config) else {
                assert!(
                    ["lorem_ipsum", "curly_bracket"].contains(&t.reason),
                    "{} has no key",
                    t.reason
                );
                continue;
            };
            let mut v = &json;
            for part in key.split('.') {
                v = match part.parse::<usize>() {
                    Ok(i) => &v[i],
                    Err(_) => &v[part],
                };
            }
            assert_eq!(v.as_f64(), Some(t.value), "{} at {key}", t.reason);
        }
    }

    #[test]
    fn rejudge_recounts_from_stored_scores() {
        let mut stage = FilterStage::new(FiltersConfig {
            gopher_quality: Some(Default::default()),
            ..Default::default()
        })
        .unwrap();
        let long = "Researchers have studied the seasonal migration of songbirds across the northern \
            hemisphere for decades, and they found that changing temperatures shift departure dates. \
            The birds that travel farthest adjust their timing with remarkable precision, which \
            suggests that internal clocks and external signals work together. Further fieldwork \
            across several continents will test whether these patterns hold for other species.";
        let short = "Researchers have studied the seasonal migration of songbirds.";
        assert!(stage.check(0, Some(long)).reasons.is_empty());
        assert_eq!(
            stage.check(1, Some(short)).reasons,
            vec!["gopher_short_doc"]
        );
        let same = stage.rejudge(stage.config(), &[false, false]).unwrap();
        assert_eq!((same.rows_kept, same.rows_removed), (1, 1));
        let mut looser = stage.config().clone();
        looser.gopher_quality.as_mut().unwrap().min_doc_words = Some(5);
        let r = stage.rejudge(&looser, &[false, false]).unwrap();
        assert_eq!((r.rows_kept, r.rows_removed), (2, 0));
        let r = stage.rejudge(&looser, &[false, true]).unwrap();
        assert_eq!(
            (r.rows_kept, r.rows_removed),
            (1, 1),
            "removed by another stage stays removed"
        );
    }
}
