//! A job: the configured stages run over a stream of rows, then one decision per row.
//!
//! ```text
//! bytes ──push──▶ RowReader ──Record──▶ stages (inspect, exact dedup, ...) ──▶ per-row decision
//!                                                                  finish ──▶ Outcome { decisions, report }
//! ```
//! The job keeps one small [`Decision`] per row and the stages' indexes, never the rows
//! themselves; the bytes are copied to the outputs by a second pass ([`Outcome::splitter`]).

pub mod filter;
pub mod near;
pub mod prefs;

use serde::Serialize;
use serde_json::Value;

use crate::config::PipelineConfig;
use crate::dedup::exact::ExactDeduper;
use crate::inspect::Inspector;
use crate::io::{Detected, IgnoredTrailing, Record, RowContent, RowReader, Splitter};
use crate::reasons;
use crate::report::{InputSummary, Report, RowProblem, MAX_LISTED_PARSE_ERRORS};
use crate::schema::{self, FieldPath, Schema, SchemaDetector};
use crate::{Result, VERSION};
use filter::{FilterStage, FiltersConfig, Rejudged};
use near::NearStage;
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
    near: Option<NearStage>,
    contamination: Option<crate::dedup::contamination::ContaminationIndex>,
    contamination_min_overlap: u32,
    contaminated_rows: u64,
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
                let message = if message.starts_with(&prefix) {
                    message.clone()
                } else {
                    format!("{prefix}: {message}")
                };
                if self.parse_errors.len() < MAX_LISTED_PARSE_ERRORS {
                    self.parse_errors.push(RowProblem {
                        row: record.row,
                        line: record.line,
                        message: message.clone(),
                    });
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
            self.removed_elsewhere
                .resize(record.row as usize + 1, false);
        }
        if matches!(record.content, RowContent::Invalid(_)) {
            self.removed_elsewhere[record.row as usize] = true;
        }
        self.decisions.push(decision);
    }

    fn text_of<'v>(&self, value: &'v Value) -> Option<std::borrow::Cow<'v, str>> {
        compared_text(&self.fields, &self.defaults, value)
    }

    /// The analyse pass for one parsed row. Filters and preference checks see every row; dedup
    /// sees only the rows still kept, so a duplicate is never kept in favour of a row that a
    /// filter removed.
    fn on_value(&mut self, value: &Value, decision: &mut Decision) {
        self.schema.observe(value);
        let text = self.text_of(value);
        self.inspector.observe(value, text.as_deref());
        if let Some(filters) = &mut self.filters {
            let verdict = filters.check(decision.row, text.as_deref());
            for r in verdict.reasons {
                decision.remove(r);
            }
            decision.warnings.extend(verdict.warnings);
            if !verdict.details.is_empty() {
                decision.message = Some(verdict.details.join("; "));
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
            decision.details.extend(
                findings
                    .details
                    .iter()
                    .map(|d| serde_json::to_value(d).expect("serialisable")),
            );
        }
        if let Some(c) = &self.contamination {
            if let Some(text) = &text {
                let matches = c.check(text, self.contamination_min_overlap);
                if !matches.is_empty() {
                    // For preference data contamination is a warning (the pair may still be
                    // wanted); elsewhere it removes the row.
                    if self.prefs.is_some() {
                        decision.warnings.push(reasons::CONTAMINATION);
                    } else {
                        decision.remove(reasons::CONTAMINATION);
                    }
                    decision.details.extend(matches.iter().take(10).map(|m| {
                        serde_json::json!({
                            "code": reasons::CONTAMINATION,
                            "eval_source": c.source_name(m.eval_source),
                            "eval_row": m.eval_row,
                            "shared_ngrams": m.shared_ngrams,
                            "span": [m.span.start, m.span.end],
                        })
                    }));
                    self.contaminated_rows += 1;
                }
            }
        }
        if decision.reasons.contains(&reasons::CONTAMINATION) {
            self.mark_removed_elsewhere(decision.row);
        }
        let still_kept = decision.kept;
        if let Some(exact) = &mut self.exact {
            if let (Some(text), true) = (&text, still_kept) {
                if let Some(first) = exact.check(decision.row, text) {
                    decision.remove(reasons::EXACT_DUPLICATE);
                    decision.duplicate_of = Some(first);
                    self.mark_removed_elsewhere(decision.row);
                }
            }
        }
        if let Some(near) = &mut self.near {
            near.observe(decision.row, text.as_deref().filter(|_| decision.kept));
        }
    }

    /// Verify and sample passes: the near-duplicate stage asks for some rows' text again.
    fn on_near_pass(&mut self, pass: Pass, record: Record<'_>) {
        let RowContent::Value(value) = &record.content else {
            return;
        };
        let text = self.text_of(value);
        if let Some(near) = &mut self.near {
            match pass {
                Pass::Verify => near.verify_row(record.row, text.as_deref()),
                _ => near.sample_row(record.row, text.as_deref()),
            }
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

/// Every string in a value, joined by newlines (eval rows of no known schema).
fn all_text(v: &Value) -> Option<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut parts = Vec::new();
    walk(v, &mut parts);
    (!parts.is_empty()).then(|| parts.join("\n"))
}

/// The compared text of a row: the configured `fields`, or (none configured) its own schema's
/// defaults. The one definition the job and the parallel signer ([`near::RangeSigner`]) share,
/// so precomputed signatures are of exactly the text the job compares.
pub(crate) fn compared_text<'v>(
    fields: &[FieldPath],
    defaults: &DefaultFields,
    value: &'v Value,
) -> Option<std::borrow::Cow<'v, str>> {
    if fields.is_empty() {
        schema::text_of(value, defaults.for_row(value))
    } else {
        schema::text_of(value, fields)
    }
}

/// The fields compared for a row when none are configured: its own schema's defaults, so a
/// mixed file is handled row by row. Parsed once per job, not per row.
pub(crate) struct DefaultFields {
    by_spelling: Vec<(Schema, u8, Vec<FieldPath>)>,
}

impl DefaultFields {
    pub(crate) fn new() -> Self {
        let parse = |paths: Vec<&str>| {
            paths
                .into_iter()
                .map(|p| FieldPath::parse(p).expect("built-in paths are valid"))
                .collect()
        };
        let mut by_spelling = Vec::new();
        for schema in [
            Schema::Text,
            Schema::Alpaca,
            Schema::Sharegpt,
            Schema::Messages,
            Schema::Preference,
            Schema::Kto,
        ] {
            for spelling in 0..schema::default_fields_spellings(schema) {
                by_spelling.push((
                    schema,
                    spelling,
                    parse(schema::default_fields(schema, spelling)),
                ));
            }
        }
        DefaultFields { by_spelling }
    }

    fn for_row(&self, row: &Value) -> &[FieldPath] {
        let s = schema::classify(row);
        let spelling = schema::default_fields_spelling(s, row);
        self.by_spelling
            .iter()
            .find(|(schema, v, _)| *schema == s && *v == spelling)
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
    /// Near-duplicate verification: exact Jaccard of candidate pairs (only with `verify`).
    Verify,
    /// Similarity of the largest near-duplicate clusters, for the report.
    Sample,
}

impl Pass {
    pub fn name(self) -> &'static str {
        match self {
            Pass::Detect => "detect",
            Pass::Analyse => "analyse",
            Pass::Verify => "verify",
            Pass::Sample => "sample",
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
    /// What the analyse pass found (later passes use fresh readers).
    header: Option<Vec<u8>>,
    detected: Option<Detected>,
    /// Bytes after the end of the compressed data that were ignored (analyse pass).
    ignored_trailing: Option<IgnoredTrailing>,
    /// The detected format has been checked against the config ([`Job::check_detected_format`]).
    format_checked: bool,
    /// Evaluation sets for the contamination check: (name, rows).
    eval_sets: Vec<(String, u64)>,
    /// Input bytes have been pushed: set-up calls (tokenizer, eval sets) are too late.
    started: bool,
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
            near: config.dedup.near.clone().map(NearStage::new).transpose()?,
            contamination: None,
            contamination_min_overlap: config.contamination.as_ref().map_or(1, |c| c.min_overlap),
            contaminated_rows: 0,
            removed_elsewhere: Vec::new(),
            decisions: Vec::new(),
            parse_errors: Vec::new(),
        };
        let stages_need_detection = stages
            .prefs
            .as_ref()
            .is_some_and(PrefsStage::needs_detection);
        Ok(Job {
            reader: RowReader::new(config.input.clone()),
            config,
            stages,
            pass: if stages_need_detection {
                Pass::Detect
            } else {
                Pass::Analyse
            },
            done: false,
            input_bytes: 0,
            header: None,
            detected: None,
            ignored_trailing: None,
            format_checked: false,
            eval_sets: Vec::new(),
            started: false,
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
        self.start()?;
        let Job {
            reader,
            stages,
            pass,
            ..
        } = self;
        reader.push(chunk, &mut |r| {
            match pass {
                Pass::Detect => stages.on_detect(r),
                Pass::Analyse => stages.on_record(r),
                Pass::Verify | Pass::Sample => stages.on_near_pass(*pass, r),
            }
            Ok(())
        })?;
        self.check_detected_format()
    }

    /// Once the reader has told the format: refuses what the config cannot do with it (rewriting
    /// CSV, TSV or text rows), with the message a format named up front gets from
    /// [`PipelineConfig::validate`].
    fn check_detected_format(&mut self) -> Result<()> {
        if self.format_checked {
            return Ok(());
        }
        let Some(detected) = self.reader.detected() else {
            return Ok(());
        };
        self.format_checked = true;
        match self.config.filter.as_ref() {
            Some(f) => crate::config::rewrite_refusal(f, detected.format).map_or(Ok(()), Err),
            None => Ok(()),
        }
    }

    pub fn progress(&self) -> Progress {
        Progress {
            bytes_in: self.reader.bytes_in(),
            rows: self.reader.rows(),
        }
    }

    /// Ends the current pass. Returns `true` when the job needs the input again, from its first
    /// byte, for another pass.
    pub fn end_pass(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        self.start()?;
        let Job {
            reader,
            stages,
            pass,
            ..
        } = self;
        reader.finish(&mut |r| {
            match pass {
                Pass::Detect => stages.on_detect(r),
                Pass::Analyse => stages.on_record(r),
                Pass::Verify | Pass::Sample => stages.on_near_pass(*pass, r),
            }
            Ok(())
        })?;
        self.check_detected_format()?;
        let rows = self.stages.decisions.len() as u64;
        let next = match self.pass {
            Pass::Detect => {
                if let Some(p) = &mut self.stages.prefs {
                    p.start_checking();
                }
                Some(Pass::Analyse)
            }
            Pass::Analyse => {
                self.input_bytes = self.reader.bytes_in();
                self.header = self.reader.header_raw().map(<[u8]>::to_vec);
                self.detected = self.reader.detected();
                self.ignored_trailing = self.reader.ignored_trailing();
                match &mut self.stages.near {
                    Some(near) => near.after_analyse(rows).then(|| {
                        if near.verifying() {
                            Pass::Verify
                        } else {
                            Pass::Sample
                        }
                    }),
                    None => None,
                }
            }
            Pass::Verify => match &mut self.stages.near {
                Some(near) => near.after_verify(rows).then_some(Pass::Sample),
                None => None,
            },
            Pass::Sample => {
                if let Some(near) = &mut self.stages.near {
                    near.after_sample();
                }
                None
            }
        };
        match next {
            Some(pass) => {
                self.pass = pass;
                self.reader = RowReader::new(self.config.input.clone());
                Ok(true)
            }
            None => {
                self.done = true;
                Ok(false)
            }
        }
    }

    /// Precomputed near-duplicate band keys for rows `first_row .. first_row + rows` of the
    /// analyse pass (as made by [`near::RangeSigner`] over a byte range of the input, offset by
    /// the rows before it). `signed` is a bitmap (bit `i % 64` of word `i / 64`: row
    /// `first_row + i` has a signature); `keys` holds `bands` keys per row, zeros for rows
    /// without one. The stage uses them instead of hashing those rows itself; everything else
    /// is unchanged (a row removed before near dedup is still not indexed), so decisions are the
    /// same as without. Rows not covered are hashed as usual. Call before pushing those rows.
    pub fn supply_band_keys(
        &mut self,
        first_row: u64,
        rows: u32,
        signed: &[u64],
        keys: &[u64],
    ) -> Result<()> {
        match &mut self.stages.near {
            Some(near) => near.supply_band_keys(first_row, rows, signed, keys),
            None => Err(crate::Error::Usage(
                "band keys supplied to a job without dedup.near".into(),
            )),
        }
    }

    /// Adds an evaluation set for the contamination check (`contamination` in the config):
    /// the whole file's bytes, any supported format. Call before the first `push`.
    pub fn add_eval_set(&mut self, name: &str, bytes: &[u8]) -> Result<u64> {
        self.before_input("add_eval_set")?;
        let ngram = self.config.contamination.as_ref().map_or(13, |c| c.ngram);
        let index = self
            .stages
            .contamination
            .get_or_insert_with(|| crate::dedup::contamination::ContaminationIndex::new(ngram));
        let source = index.add_source(name);
        let mut reader = RowReader::new(crate::io::ReaderOptions {
            file_name: Some(name.to_string()),
            ..Default::default()
        });
        let defaults = DefaultFields::new();
        let mut rows = 0u64;
        let mut add = |r: Record<'_>| {
            if let RowContent::Value(v) = &r.content {
                let paths = defaults.for_row(v);
                let text = if paths.is_empty() {
                    all_text(v)
                } else {
                    schema::text_of(v, paths).map(|t| t.into_owned())
                };
                if let Some(text) = text {
                    index.add_eval_row(source, r.row as u32, &text);
                }
                rows += 1;
            }
            Ok(())
        };
        reader
            .push(bytes, &mut add)
            .map_err(|e| crate::Error::Format(format!("eval set {name}: {e}")))?;
        reader
            .finish(&mut add)
            .map_err(|e| crate::Error::Format(format!("eval set {name}: {e}")))?;
        if index.source_ngrams(source) == 0 {
            // Nothing could ever match it: a contamination check against it would pass any file.
            let why = match rows {
                0 => "it has no rows".to_string(),
                1 => format!("its one row has fewer than {ngram} words (or only numbers)"),
                n => format!("its {n} rows each have fewer than {ngram} words (or only numbers)"),
            };
            return Err(crate::Error::Input(format!(
                "eval set `{name}` gives no {ngram}-word n-gram, so no row could match it: {why}. \
                 Check the file, or use shorter n-grams (contamination.ngram, CLI `--ngram`)"
            )));
        }
        self.eval_sets.push((name.to_string(), rows));
        Ok(rows)
    }

    /// The first push (or the end of an empty input's first pass): the set-up is complete. A
    /// contamination check without an evaluation set would compare nothing and pass any file.
    fn start(&mut self) -> Result<()> {
        if self.started {
            return Ok(());
        }
        if self.config.contamination.is_some() && self.eval_sets.is_empty() {
            return Err(crate::Error::Config(
                "contamination is enabled but no evaluation set was given, so nothing would be \
                 compared: add one (CLI `--against EVAL`, repeatable; in the page, pick eval \
                 set(s) beside the file) or remove `contamination` from the config"
                    .into(),
            ));
        }
        self.started = true;
        Ok(())
    }

    fn before_input(&self, what: &str) -> Result<()> {
        if self.started {
            return Err(crate::Error::Usage(format!(
                "{what} must come before the first push"
            )));
        }
        Ok(())
    }

    /// Exact token counts for the preference checks, from a Hugging Face `tokenizer.json`.
    #[cfg(feature = "hf-tokenizer")]
    pub fn set_tokenizer_json(&mut self, json: &[u8], name: &str) -> Result<()> {
        self.before_input("set_tokenizer_json")?;
        let counter = crate::prefs::tokens::TokenizerJsonCounter::from_bytes(json, name)
            .map_err(|e| crate::Error::Config(format!("tokenizer: {e}")))?;
        match &mut self.stages.prefs {
            Some(p) => {
                p.set_token_counter(Box::new(counter));
                Ok(())
            }
            None => Err(crate::Error::Config(
                "a tokenizer is only used by the preference checks (prefs)".into(),
            )),
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
        let detected = self
            .detected
            .or(self.reader.detected())
            .unwrap_or(Detected {
                format: crate::io::Format::Jsonl,
                compression: crate::io::Compression::None,
                bom: false,
            });
        let stages = self.stages;
        let schema_report = stages.schema.report();
        let mut stats = std::collections::BTreeMap::new();
        stats.insert(
            "schema",
            serde_json::to_value(&schema_report).expect("serialisable"),
        );
        let inspect = stages.inspector.finish();
        stats.insert(
            "inspect",
            serde_json::to_value(&inspect).expect("serialisable"),
        );
        let compares_text = stages.exact.is_some()
            || stages.near.is_some()
            || stages.filters.is_some()
            || stages.contamination.is_some();
        // A preference check reads its own fields: no word about compared text then.
        let checks_prefs = stages.prefs.is_some();
        let mut decisions = stages.decisions;
        let mut removed_elsewhere = stages.removed_elsewhere;
        let mut dedup = serde_json::Map::new();
        if let Some(exact) = stages.exact {
            dedup.insert(
                "exact".into(),
                serde_json::to_value(exact.finish()).expect("serialisable"),
            );
        }
        let mut viewer = Vec::new();
        if let Some(near) = &stages.near {
            for d in decisions.iter_mut() {
                if let Some((cluster, kept_row)) = near.row_cluster(d.row) {
                    d.cluster = Some(cluster);
                    if kept_row != d.row {
                        d.remove(reasons::NEAR_DUPLICATE);
                        d.duplicate_of = Some(kept_row);
                        if let Some(r) = removed_elsewhere.get_mut(d.row as usize) {
                            *r = true;
                        }
                    }
                }
            }
            // A row that duplicates a row near dedup then removed (an exact duplicate of it, a
            // repeated preference pair) points at that row's survivor, so `duplicate_of` names a
            // kept row.
            for d in decisions.iter_mut() {
                if let Some((_, survivor)) = d.duplicate_of.and_then(|of| near.row_cluster(of)) {
                    if survivor != d.row {
                        d.duplicate_of = Some(survivor);
                    }
                }
            }
            dedup.insert(
                "near".into(),
                serde_json::to_value(near.stats()).expect("serialisable"),
            );
            viewer = near.viewer_rows();
        }
        if !dedup.is_empty() {
            stats.insert("dedup", Value::Object(dedup));
        }
        if self.config.contamination.is_some() || !self.eval_sets.is_empty() {
            stats.insert(
                "contamination",
                serde_json::json!({
                    "eval_sets": self.eval_sets.iter().map(|(n, r)| serde_json::json!({"name": n, "rows": r})).collect::<Vec<_>>(),
                    "ngram": self.config.contamination.as_ref().map_or(13, |c| c.ngram),
                    "min_overlap": stages.contamination_min_overlap,
                    "rows_flagged": stages.contaminated_rows,
                }),
            );
        }
        if let Some(f) = &stages.filters {
            // Rewriting CSV, TSV or text rows was refused once the format was known.
            let filter_stats = f.stats();
            stats.insert(
                "filter",
                serde_json::to_value(filter_stats).expect("serialisable"),
            );
        }
        let mut prefs_family = None;
        if let Some(p) = stages.prefs {
            let mut p = p;
            // Make sure the checker exists (an empty input never started it) before asking.
            p.check_started();
            prefs_family = p.family();
            stats.insert("prefs", p.finish());
        }
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
        let readable = rows_in - removed_by.get(reasons::PARSE_ERROR).copied().unwrap_or(0);
        // How the file was read, first: a guess from an unknown extension, ignored bytes.
        let file_name = self
            .config
            .input
            .file_name
            .as_deref()
            .filter(|n| !n.is_empty());
        let mut notices = Vec::new();
        if self.config.input.format.is_none() && detected.format == crate::io::Format::Text {
            notices.extend(file_name.and_then(crate::io::unrecognised_extension));
        }
        if let Some(trailing) = self.ignored_trailing {
            let what = trailing.describe(detected.compression);
            notices.push(match file_name {
                Some(name) => format!("`{name}`: {what}"),
                None => what,
            });
        }
        let text = if compares_text || !checks_prefs {
            text_notices(
                compares_text,
                checks_prefs,
                &stages.fields,
                &schema_report,
                &inspect,
                readable,
            )
        } else {
            Vec::new()
        };
        // No readable row had text at the compared fields (named ones no row has, a typo most
        // often, or a schema without a default text field): the job compared nothing. Unless
        // preference checks ran, which read their own fields.
        let compared_nothing = (compares_text
            && !checks_prefs
            && readable > 0
            && inspect.rows_without_text == readable)
            .then(|| text.first().cloned())
            .flatten();
        notices.extend(text);
        let unreadable = rows_in - readable;
        if detected.format == crate::io::Format::Json && unreadable > 0 {
            // Nothing is lost: an element that is not JSON is written to removed.json as its
            // bytes stand, which a JSON parser then refuses. Say so before someone finds out.
            let first = stages.parse_errors.first().map_or(0, |p| p.line);
            notices.push(if compares_text || checks_prefs {
                format!(
                    "removed.json holds the {unreadable} unreadable element(s) exactly as they \
                     are in the input (the first on line {first}), so it is not valid JSON; \
                     kept.json is."
                )
            } else {
                // An inspection writes nothing: say what a job's outputs would be.
                format!(
                    "{unreadable} element(s) are not valid JSON (the first on line {first}); a \
                     job's removed.json would hold them exactly as they are, so it would not be \
                     valid JSON (kept.json would be)."
                )
            });
        }
        let report = Report {
            version: VERSION,
            input: InputSummary {
                format: detected.format.name(),
                compression: detected.compression.name(),
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
            notices,
            stats,
            timings_ms: Default::default(),
            config: self.config,
        };
        Ok(Outcome {
            decisions,
            report,
            detected,
            header: self
                .header
                .or_else(|| self.reader.header_raw().map(<[u8]>::to_vec)),
            filters: stages.filters,
            prefs_family,
            removed_elsewhere,
            near: stages.near,
            cluster_rows: viewer,
            fields: stages.fields,
            compared_nothing,
        })
    }
}

/// What a person must know about the compared text: that no row had any (nothing was checked,
/// which would otherwise look like a clean file), or how many rows had none (kept unchecked).
/// `compared`: the job ran a stage that compares text; an inspection only hears about the
/// first case, as what a dedup or filter of the file would do.
fn text_notices(
    compared: bool,
    checks_prefs: bool,
    configured: &[FieldPath],
    schema: &schema::SchemaReport,
    inspect: &crate::inspect::InspectStats,
    readable: u64,
) -> Vec<String> {
    let without = inspect.rows_without_text;
    if readable == 0 || without == 0 || (!compared && without < readable) {
        return Vec::new();
    }
    let quoted = |names: Vec<String>| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let compared_fields = if configured.is_empty() {
        quoted(schema.default_fields.clone())
    } else {
        quoted(configured.iter().map(ToString::to_string).collect())
    };
    // The preference checks read their own fields, so such rows were still checked by them.
    let unchecked = if checks_prefs {
        "not checked for duplicates, quality or contamination (the preference checks read their \
         own fields)"
    } else {
        "kept without being checked"
    };
    if without < readable {
        return vec![format!(
            "{without} of {readable} readable {rows} no text at the compared field(s) \
             {compared_fields}; they were {unchecked}.",
            rows = if readable == 1 {
                "row has"
            } else {
                "rows have"
            }
        )];
    }
    // Fields that could hold text, most frequent first: strings as they are, lists as `[*]`.
    let mut candidates: Vec<(&String, &crate::inspect::FieldStats)> =
        inspect.fields.iter().collect();
    candidates.sort_by(|a, b| b.1.present.cmp(&a.1.present).then(a.0.cmp(b.0)));
    let suggestions: Vec<String> = candidates
        .iter()
        .filter_map(|(name, f)| {
            if f.types.contains_key("string") {
                Some(name.to_string())
            } else if f.types.contains_key("array") {
                Some(format!("{name}[*]"))
            } else {
                None
            }
        })
        .take(6)
        .collect();
    let what = if configured.is_empty() && schema.default_fields.is_empty() {
        format!(
            "The file's schema is `{}`, which has no default text field",
            schema.schema.name()
        )
    } else {
        format!("No row has text at the compared field(s) {compared_fields}")
    };
    let outcome = if compared {
        let all = match (readable, checks_prefs) {
            (1, _) => "the one readable row was".to_string(),
            (_, true) => format!("the {readable} readable rows were"),
            (_, false) => format!("all {readable} readable rows were"),
        };
        format!("so nothing was compared: {all} {unchecked}")
    } else {
        "so dedup, filters and contamination checks would compare nothing".to_string()
    };
    let hint = if !configured.is_empty() {
        // Named fields that no row has, a typo most often: the fields the rows do have.
        let have: Vec<String> = candidates
            .iter()
            .take(6)
            .map(|(name, f)| {
                let most = f
                    .types
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map_or("", |(t, _)| t);
                let rows = if f.present == 1 { "row" } else { "rows" };
                format!("`{name}` ({most}, {} {rows})", f.present)
            })
            .collect();
        if have.is_empty() {
            String::new()
        } else {
            format!(
                " The rows' fields, most frequent first: {}{}.",
                have.join(", "),
                if candidates.len() > have.len() {
                    format!(" and {} more", candidates.len() - have.len())
                } else {
                    String::new()
                }
            )
        }
    } else if suggestions.is_empty() {
        String::new()
    } else {
        format!(" Fields that may hold text: {}.", quoted(suggestions))
    };
    vec![format!(
        "{what}, {outcome}. Name the field(s) to compare (CLI `--field`, page \"field(s)\").{hint}"
    )]
}

/// Parses one row's bytes as the analyse pass did: JSON, or a CSV/TSV line read with the
/// input's header (so export, views and the cluster viewer work on every format).
#[derive(Debug, Clone)]
struct RowParser {
    format: crate::io::Format,
    header: Option<Vec<u8>>,
    options: crate::io::ReaderOptions,
}

impl RowParser {
    fn value(&self, raw: &[u8]) -> Option<Value> {
        use crate::io::Format;
        match self.format {
            Format::Json | Format::Jsonl => return serde_json::from_slice(raw).ok(),
            Format::Text => return crate::io::text_line_value(raw).ok(),
            Format::Csv | Format::Tsv => {}
        }
        let options = crate::io::ReaderOptions {
            format: Some(self.format),
            ..self.options.clone()
        };
        let mut reader = RowReader::new(options);
        let mut value = None;
        let mut take = |r: Record<'_>| {
            if let RowContent::Value(v) = r.content {
                value.get_or_insert(v);
            }
            Ok(())
        };
        if let Some(header) = &self.header {
            reader.push(header, &mut take).ok()?;
        }
        reader.push(raw, &mut take).ok()?;
        reader.finish(&mut take).ok()?;
        value
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
    near: Option<NearStage>,
    /// The largest near-duplicate clusters' rows (survivor first), for the cluster viewer.
    pub cluster_rows: Vec<(u64, Vec<u64>)>,
    fields: Vec<FieldPath>,
    compared_nothing: Option<String>,
}

impl Outcome {
    /// When the job compares text (dedup, filters, contamination; not preference checks, which
    /// read their own fields) and no readable row has text at the compared fields, so its
    /// stages compared nothing: the report's notice saying so. The fields were named (`fields`,
    /// CLI `--field`) and no row has them, a typo most often; or none were named and the
    /// schema has no default text field. The notice names the fields and lists those the rows
    /// do have. A caller that gates on the outcome (the CLI's exit code) treats it as a usage
    /// error, not as a clean file.
    pub fn compared_nothing(&self) -> Option<&str> {
        self.compared_nothing.as_deref()
    }

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
        .with_sample_mask(self.sample_mask())
        .with_pinned_samples(
            self.cluster_rows
                .iter()
                .flat_map(|(_, rows)| rows.iter().copied())
                .collect(),
        );
        if let Some(r) = self.rewriter() {
            splitter = splitter.with_rewriter(r);
        }
        if let Some(e) = self.exporter() {
            splitter = splitter.with_exporter(e);
        }
        splitter
    }

    /// Rows the page lists: removed or warned rows (the members of the largest clusters are
    /// pinned in [`Outcome::splitter`]).
    fn sample_mask(&self) -> Vec<bool> {
        self.decisions
            .iter()
            .map(|d| !d.kept || !d.warnings.is_empty())
            .collect()
    }

    /// Exact Jaccard of two texts under the near-duplicate settings (`None` without near dedup).
    pub fn near_jaccard(&self, a: &str, b: &str) -> Option<f64> {
        self.near.as_ref().map(|n| n.jaccard(a, b))
    }

    /// Reads one row's bytes (as the splitter hands them out) back into a value.
    fn row_parser(&self) -> RowParser {
        RowParser {
            format: self.detected.format,
            header: self.header.clone(),
            options: self.report.config.input.clone(),
        }
    }

    /// The compared text of a row's bytes (the configured fields or its schema's).
    pub fn compared_text(&self, raw: &[u8]) -> Option<String> {
        let value = self.row_parser().value(raw)?;
        compared_text(&self.fields, &DefaultFields::new(), &value).map(|t| t.into_owned())
    }

    /// The file the export output goes to, when the config asks for one.
    pub fn export_name(&self) -> Option<&'static str> {
        self.exporter().map(|_| {
            self.report
                .config
                .export
                .expect("exporter implies export")
                .file_name()
        })
    }

    fn exporter(&self) -> Option<crate::io::split::Rewriter> {
        let form = self.report.config.export?;
        let family = self.prefs_family?;
        let config = self.report.config.prefs.clone()?;
        let parser = self.row_parser();
        Some(Box::new(move |raw: &[u8]| {
            prefs::export_row(&parser.value(raw)?, family, &config, form)
        }))
    }

    /// The normalised preference pair of a row's bytes, for display (`None` without prefs).
    pub fn prefs_view(&self, raw: &[u8]) -> Option<Value> {
        let value = self.row_parser().value(raw)?;
        prefs::normalized_view(
            &value,
            self.prefs_family?,
            self.report.config.prefs.as_ref()?,
        )
    }

    fn rewriter(&self) -> Option<crate::io::split::Rewriter> {
        let f = self.filters.as_ref()?;
        let config = f.config();
        if !config.rewrites_kept_rows() {
            return None;
        }
        if self.detected.format.is_line_records() {
            return None; // refused for CSV, TSV and text, named or detected (`rewrite_refusal`)
        }
        let stage = FilterStage::new(config.clone()).ok()?;
        let fields = self.fields.clone();
        let defaults = DefaultFields::new();
        Some(Box::new(move |raw: &[u8]| {
            let mut value: Value = serde_json::from_slice(raw).ok()?;
            let paths: Vec<FieldPath> = if fields.is_empty() {
                defaults.for_row(&value).to_vec()
            } else {
                fields.clone()
            };
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
