//! `report.json`: one format, written by the CLI and by the page, rendered by the page.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::config::PipelineConfig;

/// The report of one job. Field order is the order written.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: &'static str,
    pub input: InputSummary,
    pub rows_in: u64,
    pub rows_kept: u64,
    pub rows_removed: u64,
    /// Rows removed per reason code (a row with two reasons counts under both).
    pub removed_by: BTreeMap<&'static str, u64>,
    /// Rows warned per warning code.
    pub warned_by: BTreeMap<&'static str, u64>,
    /// The first rows that could not be read, with line numbers and why.
    pub parse_errors: Vec<RowProblem>,
    /// What a person must know about the run as a whole, in sentences (e.g. that no row had
    /// text at the compared fields, so nothing was checked). Shown by the CLI and the page.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    /// Per-stage statistics: `inspect`, `schema`, `dedup`, ...
    pub stats: BTreeMap<&'static str, Value>,
    /// Filled by the caller (the core does not read clocks, so it runs the same everywhere).
    pub timings_ms: BTreeMap<String, f64>,
    pub config: PipelineConfig,
}

/// What the input was.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    pub format: &'static str,
    pub compression: &'static str,
    pub bom: bool,
    /// Bytes as given (compressed if the input was).
    pub bytes: u64,
    pub schema: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RowProblem {
    pub row: u64,
    pub line: u64,
    pub message: String,
}

/// How many parse errors the report lists by line (all are counted, and all are in decisions).
pub const MAX_LISTED_PARSE_ERRORS: usize = 20;

impl Report {
    /// The report without its timings: what must be equal between two runs of the same job.
    pub fn comparable(&self) -> Value {
        let mut v = serde_json::to_value(self).expect("a report is always serialisable");
        if let Value::Object(o) = &mut v {
            o.remove("timings_ms");
        }
        v
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report is always serialisable")
    }
}
