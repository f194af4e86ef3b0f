//! The pipeline configuration: one JSON document shared by the page and the CLI
//! (`datasieve run FILE --config pipeline.json`). Unknown keys are errors, so a typo never
//! silently turns a check off.

use serde::{Deserialize, Serialize};

use crate::dedup::exact::ExactConfig;
use crate::io::ReaderOptions;
use crate::pipeline::filter::FiltersConfig;
use crate::pipeline::prefs::ExportForm;
use crate::prefs::PrefsConfig;
use crate::schema::FieldPath;
use crate::{Error, Result};

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
            if f.rewrite && self.input.format.is_some_and(|f| f.is_line_records()) {
                return Err(Error::Config(
                    "filter.rewrite works on JSON and JSONL inputs, not CSV, TSV or text".into(),
                ));
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

    pub fn field_paths(&self) -> Result<Vec<FieldPath>> {
        self.fields.iter().map(|f| FieldPath::parse(f)).collect()
    }
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
