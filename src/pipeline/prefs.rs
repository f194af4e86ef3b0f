//! The `prefs` stage: preference-pair validation (DPO, KTO, ...) as a pipeline stage.
//!
//! With `format: auto` the family is detected over every row first, in a pass of its own
//! ([`super::Pass::Detect`]); then each row is checked in the analyse pass. Errors remove a row,
//! warnings keep it.

use serde_json::Value;

use crate::prefs::{
    export_trl, normalize_row, resolve_family, Detection, Family, FamilyDetector, FormatChoice,
    PrefsChecker, PrefsConfig, RowFindings, TokenCounter,
};

/// TRL export form for `--export` (pipeline config `prefs_export`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportForm {
    /// `prompt` message list, `chosen`/`rejected` assistant message lists.
    Trl,
    /// `prompt`, `chosen`, `rejected` strings.
    TrlStandard,
}

impl ExportForm {
    pub fn file_name(self) -> &'static str {
        match self {
            ExportForm::Trl => "export.trl.jsonl",
            ExportForm::TrlStandard => "export.trl-standard.jsonl",
        }
    }
}

pub struct PrefsStage {
    config: PrefsConfig,
    detector: Option<FamilyDetector>,
    detection: Option<Detection>,
    checker: Option<PrefsChecker>,
    token_counter: Option<Box<dyn TokenCounter>>,
    probe: Option<crate::prefs::ContaminationProbe>,
}

impl PrefsStage {
    pub fn new(config: PrefsConfig) -> Self {
        let detector = matches!(config.format, FormatChoice::Auto).then(FamilyDetector::new);
        PrefsStage {
            config,
            detector,
            detection: None,
            checker: None,
            token_counter: None,
            probe: None,
        }
    }

    /// Exact token counts (from a tokenizer.json) instead of the estimate.
    pub fn set_token_counter(&mut self, counter: Box<dyn TokenCounter>) {
        self.token_counter = Some(counter);
    }

    /// The `contamination` warning: a function telling whether a pair's text shares an n-gram
    /// with an evaluation set.
    pub fn set_contamination_probe(&mut self, probe: crate::prefs::ContaminationProbe) {
        self.probe = Some(probe);
    }

    /// Whether a detection pass is needed before checking.
    pub fn needs_detection(&self) -> bool {
        self.detector.is_some()
    }

    /// Detection pass: one row.
    pub fn observe(&mut self, value: &Value) {
        if let Some(d) = &mut self.detector {
            d.observe(value);
        }
    }

    /// Ends detection (if any) and prepares the checker.
    pub fn start_checking(&mut self) {
        if let Some(d) = self.detector.take() {
            self.detection = Some(d.finish());
        }
        let family = resolve_family(&self.config, self.detection.as_ref());
        let mut checker = PrefsChecker::new(self.config.clone(), family);
        if let Some(c) = self.token_counter.take() {
            checker = checker.with_token_counter(c);
        }
        if let Some(p) = self.probe.take() {
            checker = checker.with_contamination_probe(p);
        }
        self.checker = Some(checker);
    }

    /// Starts the checker if no row did (an empty input).
    pub fn check_started(&mut self) {
        if self.checker.is_none() {
            self.start_checking();
        }
    }

    pub fn family(&self) -> Option<Family> {
        self.checker.as_ref().and_then(PrefsChecker::family)
    }

    pub fn check(&mut self, row: u64, value: Option<&Value>) -> RowFindings {
        if self.checker.is_none() {
            self.start_checking();
        }
        let checker = self.checker.as_mut().expect("started above");
        match value {
            Some(v) => checker.check(row, v),
            None => checker.check_unparsable(row),
        }
    }

    /// `stats.prefs`: the detection and the checker's statistics.
    pub fn finish(mut self) -> Value {
        if self.checker.is_none() {
            self.start_checking();
        }
        let stats = self.checker.take().expect("started above").finish();
        let mut v = serde_json::to_value(stats).expect("serialisable");
        if let (Some(d), Value::Object(o)) = (&self.detection, &mut v) {
            o.insert(
                "detection".into(),
                serde_json::to_value(d).expect("serialisable"),
            );
        }
        v
    }
}

/// Converts one kept row to its TRL form (one JSON line), or `None` when it does not convert.
pub fn export_row(
    value: &Value,
    family: Family,
    config: &PrefsConfig,
    form: ExportForm,
) -> Option<Vec<u8>> {
    let converted = normalize_row(value, family, config).ok()?;
    let mut line = serde_json::to_vec(&export_trl(&converted.row, form == ExportForm::Trl)).ok()?;
    line.push(b'\n');
    Some(line)
}

/// The normalised view of a row (prompt, chosen, rejected messages) for the page's row viewer.
pub fn normalized_view(value: &Value, family: Family, config: &PrefsConfig) -> Option<Value> {
    match normalize_row(value, family, config) {
        Ok(c) => serde_json::to_value(&c.row).ok(),
        Err(findings) => Some(serde_json::json!({ "unconvertible": findings })),
    }
}
