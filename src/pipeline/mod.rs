//! A job: the configured stages run over a stream of rows, then one decision per row.
//!
//! ```text
//! bytes ──push──▶ RowReader ──Record──▶ stages (inspect, exact dedup, ...) ──▶ per-row decision
//!                                                                  finish ──▶ Outcome { decisions, report }
//! ```
//! The job keeps one small [`Decision`] per row and the stages' indexes, never the rows
//! themselves; the bytes are copied to the outputs by a second pass ([`Outcome::splitter`]).

pub mod filter;
pub mod prefs;

use serde::Serialize;
use serde_json::Value;

use crate::config::PipelineConfig;
use crate::dedup::exact::ExactDeduper;
use crate::inspect::Inspector;
use crate::io::{Detected, Record, RowContent, RowReader, Splitter};
use crate::reasons;
use crate::report::{InputSummary, Report, RowProblem, MAX_LISTED_PARSE_ERRORS};
use crate::schema::{self, FieldPath, Schema, SchemaDetector};
use crate::{Result, VERSION};
use filter::{FilterStage, FiltersConfig, Rejudged};
use prefs::PrefsStage;

/// What happens to one input row. Serialised as one line of `decisions.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// 0-based row index.
    pub row: u64,
    /// 1-based line number of the row's first byte.
    pub line: u64,
    pub kept: bool,
    /// Why the row was removed (stable codes, see [`crate::reasons`]); empty when kept.
    pub reasons: Vec<&'static str>,
    /// Findings that do not remove the row.
    pub warnings: Vec<&'static str>,
    /// Near-duplicate cluster id.
    pub cluster: Option<u64>,
    /// The kept row this row duplicates.
    pub duplicate_of: Option<u64>,
    /// For people: why a row could not be read, which value tripped a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Where each finding applies (preference checks: field, message index, char offset).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Value>,
}

impl Decision {
    fn new(row: u64, line: u64) -> Self {
        Decision {
            row,
            line,
            kept: true,
            reasons: Vec::new(),
            warnings: Vec::new(),
            cluster: None,
            duplicate_of: None,
            message: None,
            details: Vec::new(),
        }
    }

    fn remove(&mut self, reason: &'static str) {
        self.kept = false;
        if !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
    }
}

/// Progress counters, cheap to read at any time.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Progress {
    pub bytes_in: u64,
    pub rows: u64,
}

/// Everything but the reader, so rows can be handled while the reader is borrowed.
struct Stages {
    fields: Vec<FieldPath>,
    defaults: DefaultFields,
    schema: SchemaDetector,
    inspector: Inspector,
    exact: Option<ExactDeduper>,
    filters: Option<FilterStage>,
    prefs: Option<PrefsStage>,
    /// Per row: removed by a stage other than the filters (for re-judging filter thresholds).
    removed_elsewhere: Vec<bool>,
    decisions: Vec<Decision>,
    parse_errors: Vec<RowProblem>,
}

impl Stages {
    /// The detection pass: only the preference-family detector looks at rows.
    fn on_detect(&mut self, record: Record<'_>) {
        if let (Some(p), RowContent::Value(v)) = (&mut self.prefs, &record.content) {
            p.observe(v);
        }
    }

    fn on_record(&mut self, record: Record<'_>) {
        let mut decision = Decision::new(record.row, record.line);
        match &record.content {
            RowContent::Invalid(message) => {
                decision.remove(reasons::PARSE_ERROR);
                let prefix = format!("line {}", record.line);
                let message =
                    if message.starts_with(&prefix) { message.clone() } else { format!("{prefix}: {message}") };
                if self.parse_errors.len() < MAX_LISTED_PARSE_ERRORS {
                    self.parse_errors.push(RowProblem { row: record.row, line: record.line, message: message.clone() });
                }
                decision.message = Some(message);
            }
            RowContent::Value(value) => self.on_value(value, &mut decision),
            RowContent::Unparsed => {}
        }
        if matches!(record.content, RowContent::Invalid(_)) {
            if let Some(f) = &mut self.filters {
                f.check(record.row, None);
            }
            if let Some(p) = &mut self.prefs {
                p.check(record.row, None);
            }
        }
        if self.removed_elsewhere.len() <= record.row as usize {
            self.removed_elsewhere.resize(record.row as usize + 1, false);
        }
        if matches!(record.content, RowContent::Invalid(_)) {
            self.removed_elsewhere[record.row as usize] = true;
        }
        self.decisions.push(decision);
    }

    fn on_value(&mut self, value: &Value, decision: &mut Decision) {
        self.schema.observe(value);
        let text = if self.fields.is_empty() {
            schema::text_of(value, self.defaults.for_row(value))
        } else {
            schema::text_of(value, &self.fields)
        };
        self.inspector.observe(value, text.as_deref());
        if let Some(exact) = &mut self.exact {
            if let Some(text) = &text {
                if let Some(first) = exact.check(decision.row, text) {
                    decision.remove(reasons::EXACT_DUPLICATE);
                    decision.duplicate_of = Some(first);
                }
            }
        }
        if let Some(filters) = &mut self.filters {
            let removed_before = !decision.kept;
            let verdict = filters.check(decision.row, text.as_deref());
            for r in verdict.reasons {
                decision.remove(r);
            }
            decision.warnings.extend(verdict.warnings);
            if !verdict.details.is_empty() {
                decision.message = Some(verdict.details.join("; "));
            }
            if removed_before {
                self.mark_removed_elsewhere(decision.row);
            }
        }
        if let Some(p) = &mut self.prefs {
            let findings = p.check(decision.row, Some(value));
            if !findings.errors.is_empty() {
                self.mark_removed_elsewhere(decision.row);
            }
            for code in findings.errors {
                decision.remove(code);
            }
            decision.warnings.extend(findings.warnings);
            if decision.duplicate_of.is_none() {
                decision.duplicate_of = findings.duplicate_of;
            }
            decision.details.extend(findings.details.iter().map(|d| serde_json::to_value(d).expect("serialisable")));
        }
    }

    fn mark_removed_elsewhere(&mut self, row: u64) {
        let i = row as usize;
        if self.removed_elsewhere.len() <= i {
            self.removed_elsewhere.resize(i + 1, false);
        }
        self.removed_elsewhere[i] = true;
    }
}

/// The fields compared for a row when none are configured: its own schema's defaults, so a
/// mixed file is handled row by row. Parsed once per job, not per row.
struct DefaultFields {
    by_variant: Vec<(Schema, bool, Vec<FieldPath>)>,
}

impl DefaultFields {
    fn new() -> Self {
        let parse = |paths: Vec<&str>| paths.into_iter().map(|p| FieldPath::parse(p).expect("built-in paths are valid")).collect();
        let mut by_variant = Vec::new();
        for schema in [Schema::Text, Schema::Alpaca, Schema::Sharegpt, Schema::Messages, Schema::Preference, Schema::Kto] {
            for variant in [false, true] {
                by_variant.push((schema, variant, parse(schema::default_fields(schema, variant))));
            }
        }
        DefaultFields { by_variant }
    }

    fn for_row(&self, row: &Value) -> &[FieldPath] {
        let s = schema::classify(row);
        let variant = schema::default_fields_variant(s, row);
        self.by_variant
            .iter()
            .find(|(schema, v, _)| *schema == s && *v == variant)
            .map(|(_, _, p)| p.as_slice())
            .unwrap_or(&[])
    }
}

/// A pass over the input. Most jobs need one; some stages need the input again (see
/// [`Job::end_pass`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pass {
    /// Detect the preference-data family over every row (only with `prefs.format: auto`).
    Detect,
    /// Read, parse and run every stage; one decision per row.
    Analyse,
}

impl Pass {
    pub fn name(self) -> &'static str {
        match self {
            Pass::Detect => "detect",
            Pass::Analyse => "analyse",
        }
    }
}

/// One run of the pipeline over one input.
///
/// The caller feeds the whole input with [`push`](Self::push), then calls
/// [`end_pass`](Self::end_pass); while that returns `true` the job needs the same input again
/// from its first byte (a later pass). Then [`finish`](Self::finish):
/// ```no_run
/// # fn chunks() -> Vec<Vec<u8>> { vec![] }
/// # fn main() -> datasieve::Result<()> {
/// let mut job = datasieve::pipeline::Job::new(Default::default())?;
/// loop {
///     for chunk in chunks() { job.push(&chunk)?; }
///     if !job.end_pass()? { break; }
/// }
/// let outcome = job.finish()?;
/// # Ok(()) }
/// ```
pub struct Job {
    config: PipelineConfig,
    reader: RowReader,
    stages: Stages,
    pass: Pass,
    /// Set once the last pass has ended.
    done: bool,
    /// Bytes of the input (as given) in the analyse pass.
    input_bytes: u64,
}

impl Job {
    pub fn new(config: PipelineConfig) -> Result<Job> {
        config.validate()?;
        let stages = Stages {
            fields: config.field_paths()?,
            defaults: DefaultFields::new(),
            schema: SchemaDetector::default(),
            inspector: Inspector::default(),
            exact: config.dedup.exact.clone().map(ExactDeduper::new),
            filters: config.filter.clone().map(FilterStage::new).transpose()?,
            prefs: config.prefs.clone().map(PrefsStage::new),
            removed_elsewhere: Vec::new(),
            decisions: Vec::new(),
            parse_errors: Vec::new(),
        };
        let stages_need_detection = stages.prefs.as_ref().is_some_and(PrefsStage::needs_detection);
        Ok(Job {
            reader: RowReader::new(config.input.clone()),
            config,
            stages,
            pass: if stages_need_detection { Pass::Detect } else { Pass::Analyse },
            done: false,
            input_bytes: 0,
        })
    }

    /// The pass the next bytes belong to.
    pub fn pass(&self) -> Pass {
        self.pass
    }

    /// Feeds the next chunk of the input (any size, cut anywhere).
    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        if self.done {
            return Err(crate::Error::Usage("push after the last pass ended".into()));
        }
        let Job { reader, stages, pass, .. } = self;
        reader.push(chunk, &mut |r| {
            match pass {
                Pass::Detect => stages.on_detect(r),
                Pass::Analyse => stages.on_record(r),
            }
            Ok(())
        })
    }

    pub fn progress(&self) -> Progress {
        Progress { bytes_in: self.reader.bytes_in(), rows: self.reader.rows() }
    }

    /// Ends the current pass. Returns `true` when the job needs the input again, from its first
    /// byte, for another pass.
    pub fn end_pass(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        let Job { reader, stages, pass, .. } = self;
        reader.finish(&mut |r| {
            match pass {
                Pass::Detect => stages.on_detect(r),
                Pass::Analyse => stages.on_record(r),
            }
            Ok(())
        })?;
        if self.pass == Pass::Detect {
            if let Some(p) = &mut self.stages.prefs {
                p.start_checking();
            }
            self.pass = Pass::Analyse;
            self.reader = RowReader::new(self.config.input.clone());
            return Ok(true);
        }
        self.input_bytes = self.reader.bytes_in();
        self.done = true;
        Ok(false)
    }

    /// Exact token counts for the preference checks, from a Hugging Face `tokenizer.json`.
    #[cfg(feature = "hf-tokenizer")]
    pub fn set_tokenizer_json(&mut self, json: &[u8], name: &str) -> Result<()> {
        let counter = crate::prefs::tokens::TokenizerJsonCounter::from_bytes(json, name)
            .map_err(|e| crate::Error::Config(format!("tokenizer: {e}")))?;
        match &mut self.stages.prefs {
            Some(p) => {
                p.set_token_counter(Box::new(counter));
                Ok(())
            }
            None => Err(crate::Error::Config("a tokenizer is only used by the preference checks (prefs)".into())),
        }
    }

    /// Decides every row. Ends the current pass first if the caller has not; it is an error to
    /// finish while the job still wants another pass.
    pub fn finish(mut self) -> Result<Outcome> {
        if !self.done && self.end_pass()? {
            return Err(crate::Error::Usage(format!(
                "the job needs another pass over the input ({}) before finish",
                self.pass.name()
            )));
        }
        let detected = self.reader.detected().unwrap_or(Detected {
            format: crate::io::Format::Jsonl,
            compression: crate::io::Compression::None,
            bom: false,
        });
        let stages = self.stages;
        let schema_report = stages.schema.report();
        let mut stats = std::collections::BTreeMap::new();
        stats.insert("schema", serde_json::to_value(&schema_report).expect("serialisable"));
        stats.insert("inspect", serde_json::to_value(stages.inspector.finish()).expect("serialisable"));
        if let Some(exact) = stages.exact {
            stats.insert("dedup", serde_json::json!({ "exact": exact.finish() }));
        }
        if let Some(f) = &stages.filters {
            stats.insert("filter", serde_json::to_value(f.stats()).expect("serialisable"));
        }
        let mut prefs_family = None;
        if let Some(p) = stages.prefs {
            let mut p = p;
            // Make sure the checker exists (an empty input never started it) before asking.
            p.check_started();
            prefs_family = p.family();
            stats.insert("prefs", p.finish());
        }
        let decisions = stages.decisions;
        let mut removed_by = std::collections::BTreeMap::new();
        let mut warned_by = std::collections::BTreeMap::new();
        let mut rows_kept = 0;
        for d in &decisions {
            rows_kept += u64::from(d.kept);
            for r in &d.reasons {
                *removed_by.entry(*r).or_insert(0) += 1;
            }
            for w in &d.warnings {
                *warned_by.entry(*w).or_insert(0) += 1;
            }
        }
        let rows_in = decisions.len() as u64;
        let report = Report {
            version: VERSION,
            input: InputSummary {
                format: detected.format.name(),
                compression: match detected.compression {
                    crate::io::Compression::None => "none",
                    crate::io::Compression::Gzip => "gzip",
                },
                bom: detected.bom,
                bytes: self.input_bytes,
                schema: schema_report.schema.name(),
            },
            rows_in,
            rows_kept,
            rows_removed: rows_in - rows_kept,
            removed_by,
            warned_by,
            parse_errors: stages.parse_errors,
            stats,
            timings_ms: Default::default(),
            config: self.config,
        };
        Ok(Outcome {
            decisions,
            report,
            detected,
            header: self.reader.header_raw().map(<[u8]>::to_vec),
            filters: stages.filters,
            prefs_family,
            removed_elsewhere: stages.removed_elsewhere,
            fields: stages.fields,
        })
    }
}

/// The result of a job.
#[derive(Debug)]
pub struct Outcome {
    pub decisions: Vec<Decision>,
    pub report: Report,
    pub detected: Detected,
    /// CSV/TSV header line, with its terminator.
    pub header: Option<Vec<u8>>,
    filters: Option<FilterStage>,
    /// The preference-data family the rows were checked as.
    prefs_family: Option<crate::prefs::Family>,
    removed_elsewhere: Vec<bool>,
    fields: Vec<FieldPath>,
}

impl Outcome {
    /// Which rows are kept, by row index.
    pub fn kept_mask(&self) -> Vec<bool> {
        self.decisions.iter().map(|d| d.kept).collect()
    }

    /// The second pass over the same input: copies rows to the kept and removed outputs (kept
    /// rows with cleaned text when the filter config says `rewrite` or PII `redact`).
    pub fn splitter(&self) -> Splitter {
        let mut splitter = Splitter::new(
            self.report.config.input.clone(),
            self.detected.format,
            self.header.clone(),
            self.kept_mask(),
        )
        .with_sample_mask(self.decisions.iter().map(|d| !d.kept || !d.warnings.is_empty()).collect());
        if let Some(r) = self.rewriter() {
            splitter = splitter.with_rewriter(r);
        }
        if let Some(e) = self.exporter() {
            splitter = splitter.with_exporter(e);
        }
        splitter
    }

    /// The file the export output goes to, when the config asks for one.
    pub fn export_name(&self) -> Option<&'static str> {
        self.exporter().map(|_| self.report.config.export.expect("exporter implies export").file_name())
    }

    fn exporter(&self) -> Option<crate::io::split::Rewriter> {
        let form = self.report.config.export?;
        let family = self.prefs_family?;
        let config = self.report.config.prefs.clone()?;
        Some(Box::new(move |raw: &[u8]| prefs::export_row(raw, family, &config, form)))
    }

    /// The normalised preference pair of a row's bytes, for display (`None` without prefs).
    pub fn prefs_view(&self, raw: &[u8]) -> Option<Value> {
        prefs::normalized_view(raw, self.prefs_family?, self.report.config.prefs.as_ref()?)
    }

    fn rewriter(&self) -> Option<crate::io::split::Rewriter> {
        let f = self.filters.as_ref()?;
        let config = f.config();
        let redact = config.pii.as_ref().is_some_and(|p| p.mode == crate::filter::pii::PiiMode::Redact);
        if !config.rewrite && !redact {
            return None;
        }
        if matches!(self.detected.format, crate::io::Format::Csv | crate::io::Format::Tsv) {
            return None; // validated for explicit formats; detected CSV keeps its bytes
        }
        let stage = FilterStage::new(config.clone()).ok()?;
        let fields = self.fields.clone();
        let defaults = DefaultFields::new();
        Some(Box::new(move |raw: &[u8]| {
            let mut value: Value = serde_json::from_slice(raw).ok()?;
            let paths: Vec<FieldPath> =
                if fields.is_empty() { defaults.for_row(&value).to_vec() } else { fields.clone() };
            let changed = filter::rewrite_value(&mut value, &paths, &|t| stage.rewrite_text(t));
            if changed {
                serde_json::to_vec(&value).ok()
            } else {
                None
            }
        }))
    }

    /// Kept and removed counts if the filters ran with `config`'s thresholds instead, from the
    /// measurements stored in the first pass (no re-reading). Same rules, other thresholds.
    pub fn rejudge(&self, config: &FiltersConfig) -> Result<Rejudged> {
        match &self.filters {
            Some(f) => f.rejudge(config, &self.removed_elsewhere),
            None => Err(crate::Error::Usage("this job ran no filters".into())),
        }
    }

    /// `decisions.jsonl`: one object per input row, in input order.
    pub fn write_decisions(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for d in &self.decisions {
            serde_json::to_writer(&mut *out, d)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// File names of the kept and removed outputs for this input's format.
    pub fn output_names(&self) -> (String, String) {
        let ext = self.detected.format.output_extension();
        (format!("kept.{ext}"), format!("removed.{ext}"))
    }
}
