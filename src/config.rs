//! The pipeline configuration: one JSON document shared by the page and the CLI
//! (`datasieve run FILE --config pipeline.json`). Unknown keys are errors, so a typo never
//! silently turns a check off.

use serde::{Deserialize, Serialize};

use crate::dedup::exact::ExactConfig;
use crate::io::{Format, ReaderOptions};
use crate::pipeline::filter::FiltersConfig;
use crate::pipeline::prefs::ExportForm;
use crate::prefs::PrefsConfig;
use crate::schema::FieldPath;
use crate::{Error, Result};

/// The config keys of the steps a job can run (all others set how they run).
pub const STEP_KEYS: &[&str] = &[
    "dedup.exact",
    "dedup.near",
    "filter",
    "prefs",
    "contamination",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    pub input: ReaderOptions,
    /// Field paths whose text is compared and filtered (`text`, `messages[*].content`, ...).
    /// Empty: chosen per row from its schema (see [`crate::schema::SchemaDetector::default_fields`]).
    pub fields: Vec<String>,
    pub dedup: DedupConfig,
    /// Quality rules; absent = none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<FiltersConfig>,
    /// Preference-pair checks; absent = none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefs: Option<PrefsConfig>,
    /// Contamination check against evaluation sets; absent = off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contamination: Option<ContaminationConfig>,
    /// Also write the kept preference rows in TRL's form (`trl` or `trl-standard`); needs `prefs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<ExportForm>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DedupConfig {
    /// Exact dedup; absent = off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact: Option<ExactConfig>,
    /// Near-duplicate dedup (MinHash + LSH); absent = off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near: Option<crate::pipeline::near::NearConfig>,
}

/// Pipeline config key `contamination`: rows sharing word n-grams (after datatrove's
/// normalisation) with an evaluation set. The eval sets themselves are files given to the job
/// (`--against` in the CLI, a file picker in the page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContaminationConfig {
    /// Words per n-gram.
    pub ngram: usize,
    /// Shared n-grams with one eval row needed to flag a training row.
    pub min_overlap: u32,
}

impl Default for ContaminationConfig {
    fn default() -> Self {
        ContaminationConfig {
            ngram: 13,
            min_overlap: 1,
        }
    }
}

impl PipelineConfig {
    /// Parses a config document; the error names the offending key and position.
    pub fn from_json(json: &str) -> Result<PipelineConfig> {
        let config: PipelineConfig =
            serde_json::from_str(json).map_err(|e| Error::Config(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<()> {
        self.field_paths()?;
        if let Some(f) = &self.filter {
            f.validate()?;
            // A format named up front is refused up front; a detected one as soon as it is
            // known, with the same message (`Job`).
            if let Some(e) = self
                .input
                .format
                .and_then(|format| rewrite_refusal(f, format))
            {
                return Err(e);
            }
        }
        if let Some(n) = &self.dedup.near {
            n.validate()?;
        }
        if let Some(c) = &self.contamination {
            if c.ngram == 0 || c.min_overlap == 0 {
                return Err(Error::Config(
                    "contamination.ngram and min_overlap must be at least 1".into(),
                ));
            }
        }
        if self.export.is_some() && self.prefs.is_none() {
            return Err(Error::Config(
                "export needs the preference checks (prefs)".into(),
            ));
        }
        if self.input.max_row_bytes == 0 {
            return Err(Error::Config("input.max_row_bytes must be above 0".into()));
        }
        Ok(())
    }

    /// The steps this config runs, by config key (see [`STEP_KEYS`]); a `filter` counts when it
    /// has a rule. None: a job only inspects the file.
    pub fn enabled_steps(&self) -> Vec<&'static str> {
        let enabled = [
            self.dedup.exact.is_some(),
            self.dedup.near.is_some(),
            self.filter.as_ref().is_some_and(FiltersConfig::has_rules),
            self.prefs.is_some(),
            self.contamination.is_some(),
        ];
        STEP_KEYS
            .iter()
            .zip(enabled)
            .filter_map(|(key, on)| on.then_some(*key))
            .collect()
    }

    /// Refuses a config that enables no step (`{}`): a run of it would compare nothing and
    /// pass any file. For callers running a config as a job (the CLI's `run`); an inspection
    /// is a job without steps.
    pub fn require_a_step(&self) -> Result<()> {
        if !self.enabled_steps().is_empty() {
            return Ok(());
        }
        let empty_filter = if self.filter.is_some() {
            " (`filter` is there but names no rule)"
        } else {
            ""
        };
        Err(Error::Config(format!(
            "no step is enabled{empty_filter}, so a run would compare nothing: add one of the \
             step keys {} (a filter with at least one of {}), e.g. {{\"dedup\": {{\"exact\": {{}}}}}}",
            STEP_KEYS.join(", "),
            FiltersConfig::RULE_KEYS.join(", ")
        )))
    }

    pub fn field_paths(&self) -> Result<Vec<FieldPath>> {
        self.fields.iter().map(|f| FieldPath::parse(f)).collect()
    }
}

/// Kept rows cannot be rewritten in this format while the filters would rewrite them
/// (`filter.rewrite`, or PII redaction, which rewrites kept rows): the error, one message
/// whether the format was named (`input.format`) or detected from the content.
pub fn rewrite_refusal(filter: &FiltersConfig, format: Format) -> Option<Error> {
    if !filter.rewrites_kept_rows() || !format.is_line_records() {
        return None;
    }
    let redact = filter
        .pii
        .as_ref()
        .is_some_and(|p| p.mode == crate::filter::pii::PiiMode::Redact);
    let what = match (filter.rewrite, redact) {
        (true, false) => "filter.rewrite (CLI `--rewrite`) rewrites",
        (false, _) => "PII redaction (filter.pii.mode `redact`, CLI `--pii-mode redact`) rewrites",
        (true, true) => {
            "filter.rewrite (CLI `--rewrite`) and PII redaction (filter.pii.mode `redact`, CLI \
             `--pii-mode redact`) rewrite"
        }
    };
    let fix = match (filter.rewrite, redact) {
        (true, false) => "turn rewriting off",
        (false, _) => "use PII mode `drop` (rows with personal data are removed)",
        (true, true) => "turn rewriting off and use PII mode `drop`",
    };
    let format = match format {
        Format::Text => "plain text (one document per line)",
        Format::Csv => "CSV",
        Format::Tsv => "TSV",
        Format::Jsonl | Format::Json => unreachable!("JSON rows can be rewritten"),
    };
    Some(Error::Config(format!(
        "{what} the text of kept rows, which works on JSON and JSONL rows only, and this input \
         is {format}, whose rows can only be copied as they are: {fix}, or convert the file to \
         JSONL"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let e = PipelineConfig::from_json(r#"{"dedup": {"exakt": {}}}"#).unwrap_err();
        assert!(e.to_string().contains("exakt"), "{e}");
    }

    #[test]
    fn a_config_without_a_step_is_refused_listing_the_step_keys() {
        for json in [
            "{}",
            r#"{"dedup": {}}"#,
            r#"{"filter": {"rewrite": false}}"#,
        ] {
            let c = PipelineConfig::from_json(json).unwrap();
            assert!(c.enabled_steps().is_empty(), "{json}");
            let e = c.require_a_step().unwrap_err().to_string();
            assert!(
                e.starts_with("invalid configuration: no step is enabled"),
                "{json}: {e}"
            );
            for key in STEP_KEYS.iter().chain(FiltersConfig::RULE_KEYS) {
                assert!(e.contains(key), "{json}: names {key}: {e}");
            }
        }
        let c = PipelineConfig::from_json(
            r#"{"dedup": {"near": {}}, "filter": {"c4": {}}, "contamination": {}}"#,
        )
        .unwrap();
        assert_eq!(c.enabled_steps(), ["dedup.near", "filter", "contamination"]);
        assert!(c.require_a_step().is_ok());
    }

    #[test]
    fn round_trips() {
        let c = PipelineConfig::from_json(
            r#"{"fields": ["text"], "dedup": {"exact": {"normalize": true}}}"#,
        )
        .unwrap();
        assert_eq!(c.dedup.exact, Some(ExactConfig { normalize: true }));
        let again = PipelineConfig::from_json(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(again, c);
    }
}
