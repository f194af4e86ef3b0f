//! The wasm façade: conversion between JavaScript and the datasieve core, nothing else.
//!
//! The page's worker drives two passes, as the CLI does:
//! ```js
//! const engine = new Engine(configJson);          // 1. analyse (one or more passes)
//! do { for (const chunk of chunks) engine.push(chunk); } while (engine.end_pass());
//! const outcome = engine.finish();
//! const split = outcome.splitter();               // 2. copy rows to kept / removed
//! for (const chunk of chunks) { split.push(chunk); keptParts.push(split.take_kept()); ... }
//! split.finish();
//! ```
//! For near dedup of a large JSONL file the worker may first start sign workers, each running a
//! [`Signer`] over one byte range, and hand their keys to `engine.supply_band_keys` before
//! pushing that range (see www/worker.js); an uncompressed file's ranges come from a
//! [`RangePlanner`], a gzip or zstd file's from a [`RangeCutter`] in one more worker.
//! Every error is the core's one error type, turned into a JS `Error` with its message.

use datasieve::config::PipelineConfig;
use std::collections::VecDeque;

use datasieve::io::{
    compression_of, Destination, LineRangePlanner, OutputParts, Part, PlainRangeCutter, Splitter,
};
use datasieve::pipeline::near::{RangeSigner, SignedRows};
use datasieve::pipeline::{Job, Outcome};
use wasm_bindgen::prelude::*;

fn js_error(e: datasieve::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// The core's version.
#[wasm_bindgen]
pub fn version() -> String {
    datasieve::VERSION.to_string()
}

/// Checks a pipeline config; returns it normalised (every default filled in) as JSON.
#[wasm_bindgen(js_name = normalizeConfig)]
pub fn normalize_config(config_json: &str) -> Result<String, JsError> {
    let config = PipelineConfig::from_json(config_json).map_err(js_error)?;
    Ok(serde_json::to_string(&config).expect("a config is always serialisable"))
}

/// Whether a run of this config over a file starting with `head` (its first
/// `signingHeadBytes()`, or all of a shorter file) may sign in parallel workers: see the core's
/// `parallel_signing_applies`. For a gzip or zstd file the ranges come from a [`RangeCutter`].
#[wasm_bindgen(js_name = parallelSigningApplies)]
pub fn parallel_signing_applies(config_json: &str, head: &[u8]) -> Result<bool, JsError> {
    let config = PipelineConfig::from_json(config_json).map_err(js_error)?;
    Ok(datasieve::pipeline::near::parallel_signing_applies(
        &config, head,
    ))
}

/// How many first bytes of a file `parallelSigningApplies` needs (a compressed file's head is
/// decompressed to decide).
#[wasm_bindgen(js_name = signingHeadBytes)]
pub fn signing_head_bytes() -> u32 {
    datasieve::pipeline::near::COMPRESSED_HEAD_BYTES as u32
}

/// Whether a file of `file_len` bytes starting with `head` is large enough for signing in
/// parallel to pay off (the core's `parallel_signing_pays_off`, the CLI's rule).
#[wasm_bindgen(js_name = parallelSigningPaysOff)]
pub fn parallel_signing_pays_off(file_len: f64, head: &[u8]) -> bool {
    datasieve::pipeline::near::parallel_signing_pays_off(file_len as u64, compression_of(head))
}

/// Whether a file starting with `head` is gzip or zstd (the core's `compression_of`, which the
/// engine's reader detects from).
#[wasm_bindgen(js_name = isCompressed)]
pub fn is_compressed(head: &[u8]) -> bool {
    compression_of(head) != datasieve::io::Compression::None
}

/// The first `want` plain bytes of a gzip or zstd file whose first bytes are `head` (give it
/// `signingHeadBytes()` of them, or the whole file), for the page's preview; `undefined` when
/// `head` is not compressed or gives too few: see the core's `decompressed_head`.
#[wasm_bindgen(js_name = decompressedHead)]
pub fn decompressed_head(head: &[u8], want: u32) -> Option<Vec<u8>> {
    datasieve::io::decompressed_head(head, want as usize)
}

/// First pass: analyse the input.
#[wasm_bindgen]
pub struct Engine {
    job: Option<Job>,
}

#[wasm_bindgen]
impl Engine {
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<Engine, JsError> {
        let config = PipelineConfig::from_json(config_json).map_err(js_error)?;
        Ok(Engine {
            job: Some(Job::new(config).map_err(js_error)?),
        })
    }

    /// Feeds the next chunk of the file (any size, cut anywhere).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), JsError> {
        self.job_mut()?.push(chunk).map_err(js_error)
    }

    /// Exact token counts for the preference checks from a Hugging Face `tokenizer.json`.
    pub fn set_tokenizer(&mut self, json: &[u8], name: &str) -> Result<(), JsError> {
        self.job_mut()?
            .set_tokenizer_json(json, name)
            .map_err(js_error)
    }

    /// Adds an evaluation set (a whole file's bytes) for the contamination check. Returns its rows.
    pub fn add_eval_set(&mut self, name: &str, bytes: &[u8]) -> Result<f64, JsError> {
        self.job_mut()?
            .add_eval_set(name, bytes)
            .map(|n| n as f64)
            .map_err(js_error)
    }

    /// The name of the pass the next bytes belong to (`analyse`, ...).
    pub fn pass(&self) -> String {
        self.job
            .as_ref()
            .map_or("done", |j| j.pass().name())
            .to_string()
    }

    /// Ends the current pass over the input; `true` = feed the whole input again, from its
    /// first byte.
    pub fn end_pass(&mut self) -> Result<bool, JsError> {
        self.job_mut()?.end_pass().map_err(js_error)
    }

    /// Band keys a [`Signer`] computed for rows `first_row .. first_row + rows` (its `finish()`
    /// output, `first_row` = the rows of the ranges before it). Call before pushing those rows.
    pub fn supply_band_keys(
        &mut self,
        first_row: f64,
        rows: u32,
        packed: &[u64],
    ) -> Result<(), JsError> {
        let (signed, keys) = SignedRows::split_packed(rows, packed).map_err(js_error)?;
        self.job_mut()?
            .supply_band_keys(first_row as u64, rows, signed, keys)
            .map_err(js_error)
    }

    /// Rows read so far.
    pub fn rows(&self) -> f64 {
        self.job.as_ref().map_or(0.0, |j| j.progress().rows as f64)
    }

    /// Ends the input and decides every row. The engine cannot be used afterwards.
    pub fn finish(&mut self) -> Result<JobOutcome, JsError> {
        let job = self
            .job
            .take()
            .ok_or_else(|| JsError::new("finish called twice"))?;
        Ok(JobOutcome {
            inner: job.finish().map_err(js_error)?,
        })
    }

    fn job_mut(&mut self) -> Result<&mut Job, JsError> {
        self.job
            .as_mut()
            .ok_or_else(|| JsError::new("push after finish"))
    }
}

/// Near-duplicate band keys of one byte range of a JSONL file (a sign worker), for
/// [`Engine::supply_band_keys`]. The range starts at the file's start or after a `\n` and ends
/// at its end or after a `\n`.
#[wasm_bindgen]
pub struct Signer {
    inner: Option<RangeSigner>,
    /// Rows of the range once finished.
    finished_rows: u32,
}

#[wasm_bindgen]
impl Signer {
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<Signer, JsError> {
        let config = PipelineConfig::from_json(config_json).map_err(js_error)?;
        Ok(Signer {
            inner: Some(RangeSigner::new(&config).map_err(js_error)?),
            finished_rows: 0,
        })
    }

    /// Feeds the next chunk of the range (any size, cut anywhere).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), JsError> {
        self.signer_mut()?.push(chunk).map_err(js_error)
    }

    /// Rows framed so far (after `finish`: all the range's rows).
    pub fn rows(&self) -> u32 {
        self.inner
            .as_ref()
            .map_or(self.finished_rows, RangeSigner::rows)
    }

    /// Ends the range: every row's keys, packed (bitmap words of "has a signature", then
    /// `bands` keys per row). The signer cannot be pushed to afterwards.
    pub fn finish(&mut self) -> Result<Vec<u64>, JsError> {
        let signer = self
            .inner
            .take()
            .ok_or_else(|| JsError::new("finish called twice"))?;
        let signed = signer.finish().map_err(js_error)?;
        self.finished_rows = signed.rows;
        Ok(signed.packed())
    }

    fn signer_mut(&mut self) -> Result<&mut RangeSigner, JsError> {
        self.inner
            .as_mut()
            .ok_or_else(|| JsError::new("push after finish"))
    }
}

/// Byte ranges of an uncompressed file for [`Signer`]s, cut at line ends (the core's
/// `signing_range_planner`; the CLI plans with it too): read `rangeProbeBytes()` at `wanted()` and
/// `feed` them, until `wanted()` is `undefined`; then `ranges()`. Offsets are numbers (exact up
/// to 2^53 bytes).
#[wasm_bindgen]
pub struct RangePlanner(LineRangePlanner);

#[wasm_bindgen]
impl RangePlanner {
    /// A file of `len` bytes for `signers` sign workers.
    #[wasm_bindgen(constructor)]
    pub fn new(len: f64, signers: u32) -> RangePlanner {
        RangePlanner(datasieve::pipeline::near::signing_range_planner(
            len as u64,
            signers as usize,
        ))
    }

    /// The offset to read at next, or `undefined` when the ranges are ready.
    pub fn wanted(&self) -> Option<f64> {
        self.0.wanted().map(|at| at as f64)
    }

    /// The bytes read at `wanted()` (empty: the file ended there).
    pub fn feed(&mut self, bytes: &[u8]) {
        self.0.feed(bytes)
    }

    /// The ranges as `[start0, end0, start1, end1, …]`.
    pub fn ranges(&self) -> Vec<f64> {
        self.0
            .ranges()
            .into_iter()
            .flat_map(|(start, end)| [start as f64, end as f64])
            .collect()
    }
}

/// How many bytes `RangePlanner` wants read at a time.
#[wasm_bindgen(js_name = rangeProbeBytes)]
pub fn range_probe_bytes() -> u32 {
    datasieve::io::PROBE_BYTES as u32
}

/// Plain ranges of a gzip or zstd file for [`Signer`]s (the core's `PlainRangeCutter`): push
/// the compressed file in pieces, take each complete range with `next_range`.
#[wasm_bindgen]
pub struct RangeCutter {
    inner: Option<PlainRangeCutter>,
    ready: VecDeque<Vec<u8>>,
}

#[wasm_bindgen]
impl RangeCutter {
    /// `head`: the file's first bytes (its compression).
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str, head: &[u8]) -> Result<RangeCutter, JsError> {
        let config = PipelineConfig::from_json(config_json).map_err(js_error)?;
        let inner = datasieve::pipeline::near::signing_range_cutter(
            compression_of(head),
            config.input.max_row_bytes,
        )
        .ok_or_else(|| JsError::new("not a gzip or zstd file"))?;
        Ok(RangeCutter {
            inner: Some(inner),
            ready: VecDeque::new(),
        })
    }

    /// Feeds the next piece of the compressed file (any size, cut anywhere).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), JsError> {
        let ready = &mut self.ready;
        self.inner
            .as_mut()
            .ok_or_else(|| JsError::new("push after finish"))?
            .push(chunk, &mut |range| {
                ready.push_back(range);
                Ok(())
            })
            .map_err(js_error)
    }

    /// Ends the file: its last range becomes ready.
    pub fn finish(&mut self) -> Result<(), JsError> {
        let cutter = self
            .inner
            .take()
            .ok_or_else(|| JsError::new("finish called twice"))?;
        self.ready.extend(cutter.finish().map_err(js_error)?);
        Ok(())
    }

    /// The next complete range, in order (`undefined` when none is ready).
    pub fn next_range(&mut self) -> Option<Vec<u8>> {
        self.ready.pop_front()
    }
}

/// Decisions and report of a finished analysis.
#[wasm_bindgen]
pub struct JobOutcome {
    inner: Outcome,
}

#[wasm_bindgen]
impl JobOutcome {
    /// Records a timing (milliseconds) in the report: the core reads no clocks.
    pub fn set_timing(&mut self, name: &str, ms: f64) {
        self.inner.report.timings_ms.insert(name.to_string(), ms);
    }

    /// `report.json`, the same document the CLI writes.
    pub fn report_json(&self) -> String {
        self.inner.report.to_json_pretty()
    }

    /// `decisions.jsonl`.
    pub fn decisions_jsonl(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.inner
            .write_decisions(&mut out)
            .expect("writing to memory cannot fail");
        out
    }

    /// Kept/removed counts if the filters ran with the thresholds of `filter_json` (the
    /// pipeline config's `filter` section), recounted from stored measurements: instant.
    pub fn rejudge(&self, filter_json: &str) -> Result<String, JsError> {
        let config = serde_json::from_str(filter_json)
            .map_err(|e| JsError::new(&format!("invalid filter config: {e}")))?;
        let counts = self.inner.rejudge(&config).map_err(js_error)?;
        Ok(serde_json::to_string(&counts).expect("serialisable"))
    }

    /// One row's decision as JSON (as in `decisions.jsonl`), or `null` past the end.
    pub fn decision_json(&self, row: u32) -> String {
        serde_json::to_string(&self.inner.decisions.get(row as usize)).expect("serialisable")
    }

    pub fn rows(&self) -> u32 {
        self.inner.decisions.len() as u32
    }

    pub fn kept_name(&self) -> String {
        self.inner.output_names().0
    }

    pub fn removed_name(&self) -> String {
        self.inner.output_names().1
    }

    /// The largest near-duplicate clusters as JSON `[[cluster, [rows, survivor first]], ...]`.
    pub fn cluster_rows_json(&self) -> String {
        serde_json::to_string(&self.inner.cluster_rows).expect("serialisable")
    }

    /// Exact Jaccard of two rows' compared texts under the near-dedup settings; -1 without near
    /// dedup or when a row cannot be read (e.g. cut for display).
    pub fn near_jaccard(&self, row_a: &str, row_b: &str) -> f64 {
        let text = |raw: &str| self.inner.compared_text(raw.as_bytes());
        match (text(row_a), text(row_b)) {
            (Some(a), Some(b)) => self.inner.near_jaccard(&a, &b).unwrap_or(-1.0),
            _ => -1.0,
        }
    }

    /// The compared text of a row (its configured fields, or its schema's).
    pub fn compared_text(&self, row_text: &str) -> Option<String> {
        self.inner.compared_text(row_text.as_bytes())
    }

    /// The export file's name (`export.trl.jsonl`, ...), or `undefined` without export.
    pub fn export_name(&self) -> Option<String> {
        self.inner.export_name().map(str::to_string)
    }

    /// The normalised preference pair of a row's text, as JSON (`null` without prefs).
    pub fn prefs_view(&self, row_text: &str) -> String {
        serde_json::to_string(&self.inner.prefs_view(row_text.as_bytes())).expect("serialisable")
    }

    /// Second pass: routes rows to the kept and removed outputs.
    pub fn splitter(&self) -> Split {
        Split {
            inner: self.inner.splitter(),
            parts: OutputParts::default(),
            offset: 0,
            copied: Default::default(),
        }
    }
}

/// Second pass. Push the whole input again from its first byte; after each `push` (and after
/// `finish`), take each output's parts: spans of the input (which the page slices from the
/// `File`, no copy) and copied bytes (see `datasieve::io::OutputParts`).
#[wasm_bindgen]
pub struct Split {
    inner: Splitter,
    parts: OutputParts,
    /// Input offset of the next pushed byte.
    offset: u64,
    /// Copied bytes of the parts last taken, per output, until `take_copied`.
    copied: [Vec<u8>; 3],
}

#[wasm_bindgen]
impl Split {
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), JsError> {
        let Split {
            inner,
            parts,
            offset,
            ..
        } = self;
        let at = *offset;
        inner
            .push(chunk, &mut |dest, bytes| parts.add(chunk, at, dest, bytes))
            .map_err(js_error)?;
        *offset += chunk.len() as u64;
        Ok(())
    }

    pub fn finish(&mut self) -> Result<(), JsError> {
        let Split {
            inner,
            parts,
            offset,
            ..
        } = self;
        inner
            .finish(&mut |dest, bytes| parts.add(&[], *offset, dest, bytes))
            .map_err(js_error)?;
        Ok(())
    }

    /// Parts of output `output` (0 kept, 1 removed, 2 export) completed since the last call
    /// (all that remain once `done`), as pairs: `start, end` input offsets, or `-1 - start, end`
    /// for bytes `start..end` of the next `take_copied(output)`.
    pub fn take_parts(&mut self, output: u8, done: bool) -> Result<Vec<f64>, JsError> {
        let dest = match output {
            0 => Destination::Kept,
            1 => Destination::Removed,
            2 => Destination::Export,
            _ => {
                return Err(JsError::new(
                    "output is 0 (kept), 1 (removed) or 2 (export)",
                ))
            }
        };
        let (list, copied) = self.parts.take(dest, done);
        self.copied[usize::from(output)] = copied;
        Ok(list
            .into_iter()
            .flat_map(|part| match part {
                Part::Input { start, end } => [start as f64, end as f64],
                Part::Copied { start, end } => [-1.0 - start as f64, end as f64],
            })
            .collect())
    }

    /// The copied bytes the parts last taken for `output` refer to.
    pub fn take_copied(&mut self, output: u8) -> Vec<u8> {
        self.copied
            .get_mut(usize::from(output))
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// The first removed rows as JSON `[[row, text], ...]` (text cut at 32 kB).
    pub fn removed_samples_json(&self) -> String {
        serde_json::to_string(self.inner.removed_samples()).expect("serialisable")
    }
}
