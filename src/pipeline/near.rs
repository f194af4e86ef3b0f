//! The near-duplicate stage: MinHash signatures (datatrove's scheme, bit for bit), LSH band keys
//! in an index, union-find clusters, optional exact-Jaccard verification of candidate pairs.
//!
//! Passes: signatures and band keys in the analyse pass; with `verify`, a verify pass computes
//! the shingle sets of the rows in candidate pairs and keeps only pairs at or above the
//! threshold; then a sample pass measures the largest clusters' similarity for the report.
//!
//! Parallel signing: the signatures are the costly part, and they need nothing but the row's
//! text. A [`RangeSigner`] computes the band keys of one byte range of a JSONL input (in a worker
//! of its own); [`NearStage::supply_band_keys`] takes them, and the analyse pass then only looks
//! them up. The index and the union-find stay in the one job, so the decisions do not change.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::config::PipelineConfig;
use crate::dedup::lsh::{
    band_keys, optimal_param, shingle_set, CandidatePair, ClusterSampler, ClusterSimilarity,
    Clusters, EdgeVerifier, KeepPolicy, LshParams, NearDedupIndex,
};
use crate::dedup::minhash::{MinHasher, MinhashParams};
use crate::io::{Format, ReaderOptions, RowContent, RowReader};
use crate::schema::FieldPath;
use crate::{Error, Result};

/// Pipeline config key `dedup.near`. With nothing set it is datatrove's default MinHash dedup:
/// 5-word shingles, 112 permutations as 14 bands × 8 rows, no verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NearConfig {
    /// Target Jaccard similarity. Without `bands`/`rows` it picks them (datasketch's weighted
    /// false-positive/false-negative optimum for `perms`); with `verify` it is the cut for
    /// candidate pairs (0.8 when unset).
    pub threshold: Option<f64>,
    /// Words per shingle.
    pub ngram: usize,
    /// Permutations (signature length).
    pub perms: usize,
    pub bands: Option<usize>,
    pub rows: Option<usize>,
    /// Compute the true Jaccard of each candidate pair and keep only edges at or above the
    /// threshold (needs one more pass over the input).
    pub verify: bool,
    /// Which row of a cluster survives.
    pub keep: KeepPolicy,
}

impl Default for NearConfig {
    fn default() -> Self {
        NearConfig {
            threshold: None,
            ngram: 5,
            perms: 112,
            bands: None,
            rows: None,
            verify: false,
            keep: KeepPolicy::First,
        }
    }
}

impl NearConfig {
    /// Bands × rows in force.
    pub fn lsh(&self) -> Result<LshParams> {
        let params = match (self.bands, self.rows, self.threshold) {
            (Some(bands), Some(rows), _) => LshParams { bands, rows },
            (None, None, Some(t)) => optimal_param(t, self.perms),
            (None, None, None) if self.perms == 112 => LshParams::default(),
            (None, None, None) => optimal_param(0.8, self.perms),
            _ => {
                return Err(Error::Config(
                    "dedup.near: give both bands and rows, or neither".into(),
                ))
            }
        };
        if params.bands * params.rows > self.perms {
            return Err(Error::Config(format!(
                "dedup.near: {} bands × {} rows need {} permutations, perms is {}",
                params.bands,
                params.rows,
                params.bands * params.rows,
                self.perms
            )));
        }
        Ok(params)
    }

    pub fn verify_threshold(&self) -> f64 {
        self.threshold.unwrap_or(0.8)
    }

    pub fn validate(&self) -> Result<()> {
        if let Some(t) = self.threshold {
            if !(0.0..=1.0).contains(&t) || t == 0.0 {
                return Err(Error::Config(format!(
                    "dedup.near.threshold must be in (0, 1], not {t}"
                )));
            }
        }
        self.hasher()?;
        self.lsh()?;
        Ok(())
    }

    fn hasher(&self) -> Result<MinHasher> {
        let params = MinhashParams {
            ngram: self.ngram,
            num_perm: self.perms,
            ..Default::default()
        };
        MinHasher::new(&params).map_err(|e| Error::Config(format!("dedup.near: {e}")))
    }
}

/// The `stats.dedup.near` section of the report.
#[derive(Debug, Clone, Serialize)]
pub struct NearStats {
    pub bands: usize,
    pub rows_per_band: usize,
    pub perms: usize,
    pub ngram: usize,
    pub verify: bool,
    pub threshold: Option<f64>,
    pub keep: KeepPolicy,
    /// Rows with a signature (rows with fewer words than `ngram` have none, as in datatrove).
    pub rows_hashed: u64,
    pub clusters: u64,
    pub rows_in_clusters: u64,
    pub duplicate_rows: u64,
    /// Cluster size → number of clusters.
    pub size_histogram: BTreeMap<u32, u32>,
    /// With `verify`: candidate pairs checked and how many held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_pairs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_pairs: Option<u64>,
    /// The largest clusters: representative (kept row), size, estimated and (with verify or in the
    /// sample) true Jaccard against the representative.
    pub largest: Vec<ClusterSimilarity>,
}

impl std::fmt::Debug for NearStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NearStage")
            .field("config", &self.config)
            .field("rows_hashed", &self.rows_hashed)
            .finish()
    }
}

pub struct NearStage {
    config: NearConfig,
    hasher: MinHasher,
    lsh: LshParams,
    index: NearDedupIndex,
    candidates: Vec<CandidatePair>,
    verifier: Option<EdgeVerifier>,
    verified: Option<(u64, u64)>,
    sampler: Option<ClusterSampler>,
    clusters: Option<Clusters>,
    largest: Vec<ClusterSimilarity>,
    /// Text length per row (for `keep: longest`).
    lengths: Vec<u32>,
    rows_hashed: u64,
    /// Heap bytes of the LSH index after the analyse pass (platform-dependent, so not in the
    /// report).
    index_bytes: u64,
    signature: Vec<u64>,
    keys: Vec<u64>,
    /// Band keys computed elsewhere (parallel signers), by first row, waiting for their rows.
    supplied: VecDeque<SignedRows>,
}

/// How many of the largest clusters the report describes, and members compared per cluster.
const LARGEST: usize = 10;
const MEMBERS_SAMPLED: usize = 5;

impl NearStage {
    pub fn new(config: NearConfig) -> Result<Self> {
        config.validate()?;
        Ok(NearStage {
            hasher: config.hasher()?,
            lsh: config.lsh()?,
            config,
            index: NearDedupIndex::new(),
            candidates: Vec::new(),
            verifier: None,
            verified: None,
            sampler: None,
            clusters: None,
            largest: Vec::new(),
            lengths: Vec::new(),
            rows_hashed: 0,
            index_bytes: 0,
            signature: Vec::new(),
            keys: Vec::new(),
            supplied: VecDeque::new(),
        })
    }

    /// Queues precomputed band keys for rows `first_row ..` (see
    /// [`Job::supply_band_keys`](super::Job::supply_band_keys) for the layout).
    pub fn supply_band_keys(
        &mut self,
        first_row: u64,
        rows: u32,
        signed: &[u64],
        keys: &[u64],
    ) -> Result<()> {
        let bands = self.lsh.bands;
        if signed.len() != (rows as usize).div_ceil(64) || keys.len() != rows as usize * bands {
            return Err(Error::Usage(format!(
                "band keys for {rows} rows need {} bitmap words and {} keys ({bands} bands), got {} and {}",
                (rows as usize).div_ceil(64),
                rows as usize * bands,
                signed.len(),
                keys.len()
            )));
        }
        let block = SignedRows {
            first_row,
            rows,
            bands,
            signed: signed.to_vec(),
            keys: keys.to_vec(),
        };
        // Kept in row order whatever order they come in; lookups walk from the front.
        let at = self.supplied.partition_point(|b| b.first_row < first_row);
        self.supplied.insert(at, block);
        Ok(())
    }

    /// The supplied keys of `row`: `None` = not supplied, `Some(None)` = supplied, no signature.
    fn supplied_keys(supplied: &mut VecDeque<SignedRows>, row: u64) -> Option<Option<&[u64]>> {
        // Rows arrive in increasing order, so blocks wholly before this row are spent.
        while supplied
            .front()
            .is_some_and(|b| b.first_row + u64::from(b.rows) <= row)
        {
            supplied.pop_front();
        }
        let block = supplied.front().filter(|b| b.first_row <= row)?;
        Some(block.keys_of((row - block.first_row) as usize))
    }

    /// Analyse pass: one row's compared text (`None`: no text or removed already; not indexed).
    pub fn observe(&mut self, row: u64, text: Option<&str>) {
        let row32 = row as u32;
        let index = row as usize;
        if self.lengths.len() <= index {
            self.lengths.resize(index + 1, 0);
        }
        let Some(text) = text else { return };
        self.lengths[index] = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
        match Self::supplied_keys(&mut self.supplied, row) {
            Some(Some(keys)) => {
                self.keys.clear();
                self.keys.extend_from_slice(keys);
            }
            Some(None) => return,
            None => {
                if !self.hasher.signature(text, &mut self.signature) {
                    return;
                }
                band_keys(&self.signature, self.lsh, &mut self.keys);
            }
        }
        self.rows_hashed += 1;
        if self.config.verify {
            for earlier in self.index.candidates(row32, &self.keys) {
                self.candidates.push(CandidatePair {
                    earlier,
                    row: row32,
                });
            }
        } else {
            self.index.insert(row32, &self.keys);
        }
    }

    /// After the analyse pass: which pass comes next (`true` = the input is needed again).
    pub fn after_analyse(&mut self, rows: u64) -> bool {
        self.index_bytes = self.index.heap_bytes() as u64;
        if self.config.verify {
            let pairs = std::mem::take(&mut self.candidates);
            let verifier = EdgeVerifier::new(pairs, self.config.verify_threshold());
            self.verifier = Some(verifier);
            return true;
        }
        self.cluster(rows)
    }

    /// Whether the verify pass is under way (candidate pairs wait for their shingle sets).
    pub fn verifying(&self) -> bool {
        self.verifier.is_some()
    }

    /// Verify pass: one row. Returns nothing; call [`after_verify`](Self::after_verify) at the end.
    pub fn verify_row(&mut self, row: u64, text: Option<&str>) {
        let Some(v) = &mut self.verifier else { return };
        let row32 = row as u32;
        if let (true, Some(text)) = (v.needs(row32), text) {
            let mut shingles = Vec::new();
            self.hasher.shingles(text, &mut shingles);
            v.feed(row32, shingle_set(shingles));
        }
    }

    pub fn after_verify(&mut self, rows: u64) -> bool {
        if let Some(v) = self.verifier.take() {
            let pairs = v.finish();
            let accepted = pairs.iter().filter(|p| p.accepted).count() as u64;
            self.verified = Some((pairs.len() as u64, accepted));
            for p in pairs.iter().filter(|p| p.accepted) {
                self.index.link(p.earlier, p.row);
            }
        }
        self.cluster(rows)
    }

    /// Forms the clusters; `true` when a sample pass is wanted for the report's similarity figures.
    fn cluster(&mut self, rows: u64) -> bool {
        let lengths = &self.lengths;
        let clusters = self.index.clusters(rows as u32, self.config.keep, |r| {
            u64::from(lengths.get(r as usize).copied().unwrap_or(0))
        });
        let sample = !clusters.clusters.is_empty();
        if sample {
            self.sampler = Some(ClusterSampler::new(&clusters, LARGEST, MEMBERS_SAMPLED));
        }
        self.clusters = Some(clusters);
        sample
    }

    /// Sample pass: one row.
    pub fn sample_row(&mut self, row: u64, text: Option<&str>) {
        let Some(s) = &mut self.sampler else { return };
        let row32 = row as u32;
        if let (true, Some(text)) = (s.wants(row32), text) {
            let mut signature = Vec::new();
            self.hasher.signature(text, &mut signature);
            let mut shingles = Vec::new();
            self.hasher.shingles(text, &mut shingles);
            s.observe(row32, signature, Some(shingle_set(shingles)));
        }
    }

    pub fn after_sample(&mut self) {
        if let Some(s) = self.sampler.take() {
            self.largest = s.finish();
        }
    }

    /// The cluster and survivor of a row in a cluster of two or more.
    pub fn row_cluster(&self, row: u64) -> Option<(u64, u64)> {
        let c = self.clusters.as_ref()?.row(row as u32)?;
        Some((u64::from(c.cluster), u64::from(c.duplicate_of)))
    }

    /// Rows of the largest clusters (survivor first), for the page's cluster viewer.
    pub fn viewer_rows(&self) -> Vec<(u64, Vec<u64>)> {
        let Some(c) = &self.clusters else {
            return Vec::new();
        };
        c.largest(20)
            .into_iter()
            .map(|cl| {
                let mut members: Vec<u64> = vec![u64::from(cl.kept_row)];
                members.extend(
                    c.members(cl.id)
                        .into_iter()
                        .filter(|&r| r != cl.kept_row)
                        .take(7)
                        .map(u64::from),
                );
                (u64::from(cl.id), members)
            })
            .collect()
    }

    pub fn stats(&self) -> NearStats {
        let clusters = self.clusters.as_ref();
        NearStats {
            bands: self.lsh.bands,
            rows_per_band: self.lsh.rows,
            perms: self.config.perms,
            ngram: self.config.ngram,
            verify: self.config.verify,
            threshold: self.config.threshold,
            keep: self.config.keep,
            rows_hashed: self.rows_hashed,
            clusters: clusters.map_or(0, |c| c.clusters.len() as u64),
            rows_in_clusters: clusters
                .map_or(0, |c| c.clusters.iter().map(|x| u64::from(x.size)).sum()),
            duplicate_rows: clusters.map_or(0, Clusters::removed_rows),
            size_histogram: clusters.map(Clusters::size_histogram).unwrap_or_default(),
            candidate_pairs: self.verified.map(|v| v.0),
            verified_pairs: self.verified.map(|v| v.1),
            largest: self.largest.clone(),
        }
    }

    /// Heap bytes the LSH index held after the analyse pass (for benchmarks; differs between
    /// 32- and 64-bit targets, so it is not part of the report).
    pub fn index_bytes(&self) -> u64 {
        self.index_bytes
    }

    /// Exact Jaccard of two texts' shingle sets (the page's cluster viewer).
    pub fn jaccard(&self, a: &str, b: &str) -> f64 {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        self.hasher.shingles(a, &mut x);
        self.hasher.shingles(b, &mut y);
        crate::dedup::lsh::jaccard(&shingle_set(x), &shingle_set(y))
    }
}

/// Band keys of consecutive rows: for each row whether it has a MinHash signature (rows whose
/// compared text is missing, unreadable or shorter than `ngram` words have none) and its `bands`
/// LSH band keys (zeros when it has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRows {
    /// Row index of the first row (0 from a [`RangeSigner`]: the coordinator offsets).
    pub first_row: u64,
    pub rows: u32,
    pub bands: usize,
    /// Bit `i % 64` of word `i / 64`: row `first_row + i` has a signature.
    pub signed: Vec<u64>,
    /// `rows × bands` keys, row after row.
    pub keys: Vec<u64>,
}

impl SignedRows {
    /// Keys of the `i`-th row of the block, `None` when it has no signature.
    pub fn keys_of(&self, i: usize) -> Option<&[u64]> {
        let signed = self
            .signed
            .get(i / 64)
            .is_some_and(|w| w >> (i % 64) & 1 == 1);
        signed.then(|| &self.keys[i * self.bands..(i + 1) * self.bands])
    }

    /// One flat array for handing across a boundary (the page's workers): the bitmap words,
    /// then the keys. Split again with [`SignedRows::split_packed`] given the row count.
    pub fn packed(&self) -> Vec<u64> {
        let mut out = Vec::with_capacity(self.signed.len() + self.keys.len());
        out.extend_from_slice(&self.signed);
        out.extend_from_slice(&self.keys);
        out
    }

    /// `(signed, keys)` of a [`packed`](Self::packed) array of `rows` rows.
    pub fn split_packed(rows: u32, packed: &[u64]) -> Result<(&[u64], &[u64])> {
        let words = (rows as usize).div_ceil(64);
        if packed.len() < words {
            return Err(Error::Usage(format!(
                "packed band keys of {rows} rows are too short"
            )));
        }
        Ok(packed.split_at(words))
    }
}

/// Below this many bytes an uncompressed file is signed by the job itself: starting signers
/// costs more than it saves.
const PARALLEL_MIN_BYTES: u64 = 8 << 20;
/// A gzip or zstd file this large or larger is signed in parallel (it holds some 3-5 times as
/// many plain bytes).
const PARALLEL_MIN_COMPRESSED_BYTES: u64 = PARALLEL_MIN_BYTES / 4;
/// Ranges per signer, so the job starts indexing soon and signing and indexing overlap.
const RANGES_PER_SIGNER: usize = 4;
/// Plain bytes per range cut from a decompressed stream.
const STREAM_RANGE_BYTES: usize = 4 << 20;

/// Whether a file of `file_len` bytes compressed as `compression` is large enough for signing
/// in parallel to pay for starting signers. The size half of the decision the CLI's sign
/// threads and the page's sign workers both take (the other half: [`parallel_signing_applies`]).
pub fn parallel_signing_pays_off(file_len: u64, compression: crate::io::Compression) -> bool {
    let min_bytes = match compression {
        crate::io::Compression::None => PARALLEL_MIN_BYTES,
        _ => PARALLEL_MIN_COMPRESSED_BYTES,
    };
    file_len >= min_bytes
}

/// The byte ranges of an uncompressed file of `file_len` bytes for `signers` signers: a few
/// ranges per signer, cut at line ends.
pub fn signing_range_planner(file_len: u64, signers: usize) -> crate::io::LineRangePlanner {
    crate::io::LineRangePlanner::new(file_len, signers.saturating_mul(RANGES_PER_SIGNER))
}

/// The cutter of a gzip or zstd file's plain bytes into ranges for signers (`None` for an
/// uncompressed file, which is cut by seeking: [`signing_range_planner`]).
pub fn signing_range_cutter(
    compression: crate::io::Compression,
    max_row_bytes: usize,
) -> Option<crate::io::PlainRangeCutter> {
    crate::io::PlainRangeCutter::new(compression, STREAM_RANGE_BYTES, max_row_bytes)
}

/// Compressed bytes to pass to [`parallel_signing_applies`] (or the whole file if shorter):
/// enough for [`SNIFF_BYTES`](crate::io::SNIFF_BYTES) plain bytes of any gzip or zstd file.
pub const COMPRESSED_HEAD_BYTES: usize = 1 << 20;

/// Whether the analyse pass of `config` over a file that starts with `head` may be signed in
/// parallel, by [`RangeSigner`]s over plain ranges cut after newlines: near dedup is on and the
/// file is JSONL, named so (`input.format`) or detected from `head` as the job's reader will
/// detect it (pass at least [`SNIFF_BYTES`](crate::io::SNIFF_BYTES), or the whole file if
/// shorter). The one decision for the CLI's sign threads and the page's sign workers: a range
/// signer reads JSONL, so signing anything else in parallel would give rows no keys.
///
/// A gzip or zstd file is decided on its plain bytes: `head` may be its plain head, or its first
/// compressed bytes (at least [`COMPRESSED_HEAD_BYTES`], or the whole file), which are then
/// decompressed here; too few to give `SNIFF_BYTES` plain bytes decides "no". Its ranges are
/// cut from the decompressed stream ([`PlainRangeCutter`](crate::io::PlainRangeCutter)), as
/// it cannot be cut by seeking.
pub fn parallel_signing_applies(config: &PipelineConfig, head: &[u8]) -> bool {
    if config.dedup.near.is_none() || config.input.format.is_some_and(|f| f != Format::Jsonl) {
        return false;
    }
    if crate::io::compression_of(head) != crate::io::Compression::None {
        return match crate::io::decompressed_head(head, crate::io::SNIFF_BYTES) {
            Some(plain) => parallel_signing_applies(config, &plain),
            None => false,
        };
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    // Rows that are objects (a JSON array, or JSONL of bare values, is framed or keyed otherwise).
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    config.input.format.is_some()
        || matches!(
            crate::io::detect_format(
                &body[..body.len().min(crate::io::SNIFF_BYTES)],
                config.input.file_name.as_deref()
            ),
            Ok(Format::Jsonl)
        )
}

/// Signs one byte range of an uncompressed JSONL input on its own (a parallel worker), so the
/// job's analyse pass can take the band keys instead of hashing (see
/// [`Job::supply_band_keys`](super::Job::supply_band_keys)).
///
/// The range must start at the input's first byte or just after a `\n`, and end at the input's
/// end or just after a `\n`: then its rows are exactly the job's rows there, framed by the same
/// [`RowReader`], and their compared text is taken by the job's own function. Rows are numbered
/// from 0 within the range. Whether a row was removed before near dedup (filters, exact dups, ...)
/// is not the signer's business: the job simply does not index such rows.
pub struct RangeSigner {
    reader: RowReader,
    /// Everything but the reader, so rows can be signed while the reader is borrowed.
    rows: RowSigner,
}

struct RowSigner {
    fields: Vec<FieldPath>,
    defaults: super::DefaultFields,
    hasher: MinHasher,
    lsh: LshParams,
    signature: Vec<u64>,
    keys: Vec<u64>,
    out: SignedRows,
}

impl RowSigner {
    /// Appends one row: its band keys, or zeros and no `signed` bit when it has no signature.
    fn sign(&mut self, content: &RowContent) -> Result<()> {
        let out = &mut self.out;
        let i = out.rows as usize;
        out.rows += 1;
        if out.signed.len() * 64 <= i {
            out.signed.push(0);
        }
        let text = match content {
            RowContent::Value(v) => super::compared_text(&self.fields, &self.defaults, v),
            _ => None,
        };
        if text.is_some_and(|t| self.hasher.signature(&t, &mut self.signature)) {
            band_keys(&self.signature, self.lsh, &mut self.keys);
            out.signed[i / 64] |= 1 << (i % 64);
            out.keys.extend_from_slice(&self.keys);
        } else {
            out.keys.extend(std::iter::repeat_n(0, out.bands));
        }
        Ok(())
    }
}

impl RangeSigner {
    /// A signer for `config`'s `dedup.near` settings and compared fields. The range is read as
    /// JSONL whatever `input.format` says (the coordinator only splits JSONL).
    pub fn new(config: &PipelineConfig) -> Result<RangeSigner> {
        let near =
            config.dedup.near.clone().ok_or_else(|| {
                Error::Config("a range signer needs dedup.near in the config".into())
            })?;
        near.validate()?;
        let lsh = near.lsh()?;
        let options = ReaderOptions {
            format: Some(Format::Jsonl),
            ..config.input.clone()
        };
        Ok(RangeSigner {
            reader: RowReader::new(options),
            rows: RowSigner {
                fields: config.field_paths()?,
                defaults: super::DefaultFields::new(),
                hasher: near.hasher()?,
                lsh,
                signature: Vec::new(),
                keys: Vec::new(),
                out: SignedRows {
                    first_row: 0,
                    rows: 0,
                    bands: lsh.bands,
                    signed: Vec::new(),
                    keys: Vec::new(),
                },
            },
        })
    }

    /// Feeds the next bytes of the range (any size, cut anywhere).
    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        let rows = &mut self.rows;
        self.reader.push(chunk, &mut |r| rows.sign(&r.content))
    }

    /// Rows signed so far.
    pub fn rows(&self) -> u32 {
        self.rows.out.rows
    }

    /// Ends the range (its last row may lack a newline) and hands out every row's keys.
    pub fn finish(mut self) -> Result<SignedRows> {
        let rows = &mut self.rows;
        self.reader.finish(&mut |r| rows.sign(&r.content))?;
        Ok(self.rows.out)
    }
}
