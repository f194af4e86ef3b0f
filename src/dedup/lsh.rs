//! Locality-sensitive hashing over MinHash signatures, streaming union-find clustering, optional
//! exact-Jaccard verification, survivor choice and cluster statistics.
//!
//! How it reproduces datatrove's default MinHash dedup: datatrove cuts each signature into
//! `num_buckets` bands of `hashes_per_bucket` values and links two documents when any band is equal
//! (sorting each bucket and pairing neighbours), then unions those pairs. Here each band becomes one
//! 64-bit key ([`band_keys`]); [`NearDedupIndex`] remembers, per key, only the first row that had it,
//! and links every later row with that key to it. Rows sharing a band are therefore connected
//! exactly as in datatrove, so the clusters (connected components) are the same — up to a 2^-64
//! chance of two different bands hashing to one key.
//!
//! Survivor: datatrove keeps the root of its union-by-size forest, which depends on the order of
//! its pair files (often, not always, the lowest document id). We make the choice explicit:
//! [`KeepPolicy::First`] (the lowest row) or [`KeepPolicy::Longest`]; to reproduce datatrove's
//! survivors exactly, replay its procedure per cluster with [`datatrove_survivor`] (needs the
//! members' signatures, e.g. recomputed in a second pass) and apply it with
//! [`Clusters::set_kept_row`].
//!
//! Memory: the index stores one 10-byte slot (64-bit key, split into shard and remainder, and the
//! row) per distinct band key in tables kept ~80 % full, plus 4 bytes per row for the union-find:
//! about 14 × 12.5 + 4 ≈ 180 bytes per row with 14 bands, plus a fixed 2 MB of shard headers;
//! see [`NearDedupIndex::heap_bytes`].

use std::collections::{BTreeMap, HashMap};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Bands × rows-per-band of an LSH scheme. `bands * rows` signature values are used (the first
/// ones); it must not exceed the signature length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LshParams {
    /// Number of bands (datatrove `num_buckets`).
    pub bands: usize,
    /// Signature values per band (datatrove `hashes_per_bucket`).
    pub rows: usize,
}

impl Default for LshParams {
    /// datatrove's default: 14 bands × 8 rows.
    fn default() -> Self {
        LshParams { bands: 14, rows: 8 }
    }
}

/// The `(bands, rows)` minimising `0.5·P(false positive) + 0.5·P(false negative)` for a Jaccard
/// `threshold` and `num_perm` permutations — datasketch 2.0's `_optimal_param` with its default
/// weights: the false-positive probability is ∫₀ᵗ 1−(1−sʳ)ᵇ ds, the false-negative one
/// ∫ₜ¹ (1−sʳ)ᵇ ds; all `b·r ≤ num_perm` are tried with `b` then `r` ascending and the first strict
/// minimum wins. (datasketch integrates with scipy's QUADPACK; we use adaptive Simpson to 1e-12.)
pub fn optimal_param(threshold: f64, num_perm: usize) -> LshParams {
    let mut best = (f64::INFINITY, LshParams { bands: 1, rows: 1 });
    for bands in 1..=num_perm {
        for rows in 1..=num_perm / bands {
            let (b, r) = (bands as f64, rows as f64);
            let false_positive = integrate(|s| 1.0 - (1.0 - s.powf(r)).powf(b), 0.0, threshold);
            let false_negative = integrate(|s| (1.0 - s.powf(r)).powf(b), threshold, 1.0);
            let error = 0.5 * false_positive + 0.5 * false_negative;
            if error < best.0 {
                best = (error, LshParams { bands, rows });
            }
        }
    }
    best.1
}

/// Adaptive Simpson quadrature of a smooth function to an absolute tolerance of about 1e-12.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    fn simpson(f: &dyn Fn(f64) -> f64, a: f64, fa: f64, b: f64, fb: f64) -> (f64, f64, f64) {
        let m = 0.5 * (a + b);
        let fm = f(m);
        (m, fm, (b - a) / 6.0 * (fa + 4.0 * fm + fb))
    }
    #[allow(clippy::too_many_arguments)]
    fn refine(
        f: &dyn Fn(f64) -> f64,
        a: f64,
        fa: f64,
        b: f64,
        fb: f64,
        m: f64,
        fm: f64,
        whole: f64,
        tol: f64,
        depth: u32,
    ) -> f64 {
        let (lm, flm, left) = simpson(f, a, fa, m, fm);
        let (rm, frm, right) = simpson(f, m, fm, b, fb);
        let delta = left + right - whole;
        if depth == 0 || delta.abs() <= 15.0 * tol {
            return left + right + delta / 15.0;
        }
        refine(f, a, fa, m, fm, lm, flm, left, tol / 2.0, depth - 1)
            + refine(f, m, fm, b, fb, rm, frm, right, tol / 2.0, depth - 1)
    }
    if b <= a {
        return 0.0;
    }
    let (fa, fb) = (f(a), f(b));
    let (m, fm, whole) = simpson(&f, a, fa, b, fb);
    refine(&f, a, fa, b, fb, m, fm, whole, 1e-12, 40)
}

/// Writes one 64-bit key per band of `signature` into `out` (cleared first): xxh3-64 of the band's
/// values as little-endian bytes, seeded with the band index so equal values in different bands
/// give different keys. Fixed-width and target-independent. Panics if the signature is shorter
/// than `bands * rows`.
pub fn band_keys(signature: &[u64], params: LshParams, out: &mut Vec<u64>) {
    assert!(
        signature.len() >= params.bands * params.rows,
        "signature shorter than bands × rows"
    );
    out.clear();
    let mut bytes = Vec::with_capacity(params.rows * 8);
    for (band, values) in signature
        .chunks_exact(params.rows)
        .take(params.bands)
        .enumerate()
    {
        bytes.clear();
        for value in values {
            bytes.extend_from_slice(&value.to_le_bytes());
        }
        out.push(xxh3_64_with_seed(&bytes, band as u64));
    }
}

/// Map from a band key to the first row that had it, built for memory: 65 536 shards chosen by the
/// key's top 16 bits, each an open-addressing table (linear probing) of 10-byte slots holding the
/// key's low 48 bits and `row + 1` (0 marks an empty slot) as five u16 — the full 64-bit key is
/// kept (shard + remainder), so there are no false matches beyond band-key collisions.
///
/// Shards grow by 1.25× when 90 % full, and start at slightly different sizes so they do not all
/// grow at once: the table stays about 80 % full on average (≈ 12.5 bytes per key) and growth never
/// copies more than one small shard at a time (no large reallocation spikes on a wasm heap).
#[derive(Debug)]
struct FirstRowTable {
    shards: Vec<Shard>,
    len: usize,
}

#[derive(Debug, Default, Clone)]
struct Shard {
    slots: Vec<[u16; 5]>,
    len: u32,
}

const SHARD_BITS: u32 = 16;
const REMAINDER_MASK: u64 = (1 << (64 - SHARD_BITS)) - 1;
const EMPTY_SLOT: [u16; 5] = [0; 5];

impl Default for FirstRowTable {
    fn default() -> Self {
        FirstRowTable {
            shards: vec![Shard::default(); 1 << SHARD_BITS],
            len: 0,
        }
    }
}

impl Shard {
    fn encode(remainder: u64, row: u32) -> [u16; 5] {
        let stored_row = row + 1;
        [
            remainder as u16,
            (remainder >> 16) as u16,
            (remainder >> 32) as u16,
            stored_row as u16,
            (stored_row >> 16) as u16,
        ]
    }

    fn remainder(slot: &[u16; 5]) -> u64 {
        slot[0] as u64 | (slot[1] as u64) << 16 | (slot[2] as u64) << 32
    }

    fn row(slot: &[u16; 5]) -> u32 {
        (slot[3] as u32 | (slot[4] as u32) << 16) - 1
    }

    /// Home slot by multiply-shift of the remainder ("fastrange"), so any shard size works.
    fn home(remainder: u64, slots: usize) -> usize {
        ((remainder as u128 * slots as u128) >> (64 - SHARD_BITS)) as usize
    }

    fn get_or_insert(&mut self, remainder: u64, row: u32, initial_slots: usize) -> Option<u32> {
        if (self.len as usize + 1) * 10 > self.slots.len() * 9 {
            let grown = if self.slots.is_empty() {
                initial_slots
            } else {
                self.slots.len() * 5 / 4 + 1
            };
            self.resize(grown);
        }
        let slots = self.slots.len();
        let mut at = Self::home(remainder, slots);
        loop {
            let slot = &self.slots[at];
            if *slot == EMPTY_SLOT {
                self.slots[at] = Self::encode(remainder, row);
                self.len += 1;
                return None;
            }
            if Self::remainder(slot) == remainder {
                return Some(Self::row(slot));
            }
            at = if at + 1 == slots { 0 } else { at + 1 };
        }
    }

    fn resize(&mut self, slots: usize) {
        let old = std::mem::replace(&mut self.slots, vec![EMPTY_SLOT; slots]);
        for slot in old.into_iter().filter(|slot| *slot != EMPTY_SLOT) {
            let mut at = Self::home(Self::remainder(&slot), slots);
            while self.slots[at] != EMPTY_SLOT {
                at = if at + 1 == slots { 0 } else { at + 1 };
            }
            self.slots[at] = slot;
        }
    }
}

impl FirstRowTable {
    fn with_capacity(entries: usize) -> Self {
        let mut table = FirstRowTable::default();
        // Pre-size every shard to hold its share at ~85 % load.
        let per_shard = entries / table.shards.len();
        if per_shard > 0 {
            let slots = per_shard * 20 / 17 + 1;
            table
                .shards
                .iter_mut()
                .for_each(|shard| shard.resize(slots));
        }
        table
    }

    /// The row already stored under `key`, or `None` after storing `row` under it. Rows must be
    /// below `u32::MAX`.
    fn get_or_insert(&mut self, key: u64, row: u32) -> Option<u32> {
        assert!(row < u32::MAX, "row numbers must be below u32::MAX");
        let shard_index = (key >> (64 - SHARD_BITS)) as usize;
        // Spread first sizes over one growth step (16..=19 slots) to desynchronise shard growth.
        let initial_slots = 16 + (shard_index & 3);
        let found =
            self.shards[shard_index].get_or_insert(key & REMAINDER_MASK, row, initial_slots);
        if found.is_none() {
            self.len += 1;
        }
        found
    }

    fn heap_bytes(&self) -> usize {
        self.shards.capacity() * std::mem::size_of::<Shard>()
            + self
                .shards
                .iter()
                .map(|s| s.slots.capacity() * 10)
                .sum::<usize>()
    }
}

/// Union-find over row numbers (dense; rows never added stay singletons). The root of a set is
/// always its lowest row, which makes clusters and their ids independent of union order.
#[derive(Debug, Default, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    fn ensure(&mut self, row: u32) {
        let needed = row as usize + 1;
        if self.parent.len() < needed {
            let start = self.parent.len() as u32;
            self.parent.extend(start..needed as u32);
        }
    }

    /// The lowest row of `row`'s set (path halving).
    pub fn find(&mut self, row: u32) -> u32 {
        if row as usize >= self.parent.len() {
            return row;
        }
        let mut x = row;
        while self.parent[x as usize] != x {
            let grandparent = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grandparent;
            x = grandparent;
        }
        x
    }

    /// Merges the sets of `a` and `b`; returns `false` if they were already one set.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        self.ensure(a.max(b));
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (low, high) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[high as usize] = low;
        true
    }

    /// Rows covered so far (one past the highest row ever united).
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether no row was ever united.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    fn heap_bytes(&self) -> usize {
        self.parent.capacity() * 4
    }
}

/// A candidate pair found by the index: `row` shares a band key with the earlier row `earlier`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CandidatePair {
    /// The earlier row (first row seen with the shared band key).
    pub earlier: u32,
    /// The row being inserted.
    pub row: u32,
}

/// Streaming near-duplicate index: feed rows with their band keys; it finds the previously inserted
/// rows they collide with and maintains clusters by union-find. Rows may arrive in any order (e.g.
/// from parallel workers), each at most once; the clusters do not depend on the order, and each
/// cluster's root is its lowest row.
///
/// Two ways to use it:
/// - without verification (datatrove's behaviour): [`NearDedupIndex::insert`] — every collision
///   joins the clusters at once;
/// - with verification: [`NearDedupIndex::insert_with`] and a closure that decides each candidate
///   pair (e.g. exact Jaccard from a shingle store), or record candidates with
///   [`NearDedupIndex::candidates`] in a first pass and verify them in a second pass with
///   [`EdgeVerifier`], then [`NearDedupIndex::link`] the accepted pairs.
#[derive(Debug, Default)]
pub struct NearDedupIndex {
    table: FirstRowTable,
    clusters: UnionFind,
    rows_inserted: u64,
}

impl NearDedupIndex {
    /// An empty index.
    pub fn new() -> Self {
        NearDedupIndex::default()
    }

    /// An empty index sized for about `rows × bands` distinct band keys (avoids regrowth when the
    /// row count can be estimated, e.g. from the file size).
    pub fn with_expected_rows(rows: usize, bands: usize) -> Self {
        NearDedupIndex {
            table: FirstRowTable::with_capacity(rows * bands),
            ..Default::default()
        }
    }

    /// Records `row`'s band keys and returns the distinct previously inserted rows it collides with
    /// (ascending), without joining any cluster. Each band key remembers the first row inserted
    /// with it.
    pub fn candidates(&mut self, row: u32, band_keys: &[u64]) -> Vec<u32> {
        self.rows_inserted += 1;
        let mut earlier: Vec<u32> = band_keys
            .iter()
            .filter_map(|&key| self.table.get_or_insert(key, row))
            .collect();
        earlier.sort_unstable();
        earlier.dedup();
        earlier
    }

    /// Records `row` and joins it with every earlier row it collides with (datatrove's rule).
    /// Returns the number of candidate rows found.
    pub fn insert(&mut self, row: u32, band_keys: &[u64]) -> usize {
        self.insert_with(row, band_keys, |_| true)
    }

    /// Records `row`; for each distinct earlier row it collides with that is not already in its
    /// cluster, asks `accept(earlier)` and joins the two when it says yes. Returns the number of
    /// candidate rows found.
    pub fn insert_with(
        &mut self,
        row: u32,
        band_keys: &[u64],
        mut accept: impl FnMut(u32) -> bool,
    ) -> usize {
        let earlier = self.candidates(row, band_keys);
        for &candidate in &earlier {
            if self.clusters.find(candidate) != self.clusters.find(row) && accept(candidate) {
                self.clusters.union(candidate, row);
            }
        }
        earlier.len()
    }

    /// Joins the clusters of two rows (e.g. a pair accepted by [`EdgeVerifier`]).
    pub fn link(&mut self, a: u32, b: u32) {
        self.clusters.union(a, b);
    }

    /// Rows inserted so far.
    pub fn rows_inserted(&self) -> u64 {
        self.rows_inserted
    }

    /// Heap bytes held by the index (band-key table and union-find).
    pub fn heap_bytes(&self) -> usize {
        self.table.heap_bytes() + self.clusters.heap_bytes()
    }

    /// The clusters formed so far, with `keep` deciding each cluster's survivor. `row_count` is the
    /// total number of rows in the input (rows beyond any inserted one are singletons); `length`
    /// gives a row's text length, used only by [`KeepPolicy::Longest`].
    pub fn clusters(
        &mut self,
        row_count: u32,
        keep: KeepPolicy,
        length: impl Fn(u32) -> u64,
    ) -> Clusters {
        Clusters::from_union_find(&mut self.clusters, row_count, keep, length)
    }
}

/// Which row of a cluster survives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeepPolicy {
    /// The lowest row (first in the file).
    #[default]
    First,
    /// The row with the longest text; ties go to the lowest row.
    Longest,
}

impl KeepPolicy {
    /// The policy's name as used in config and reports: `first` or `longest`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeepPolicy::First => "first",
            KeepPolicy::Longest => "longest",
        }
    }

    /// Parses `first` or `longest`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "first" => Some(KeepPolicy::First),
            "longest" => Some(KeepPolicy::Longest),
            _ => None,
        }
    }
}

/// One cluster of two or more rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// Cluster id: clusters are numbered 0, 1, … in order of their lowest row.
    pub id: u32,
    /// The lowest row of the cluster.
    pub first_row: u32,
    /// The surviving row (per [`KeepPolicy`]).
    pub kept_row: u32,
    /// Number of rows.
    pub size: u32,
}

/// What a row's cluster membership means for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowCluster {
    /// The row's cluster id.
    pub cluster: u32,
    /// The cluster's surviving row (equal to the row itself for the survivor).
    pub duplicate_of: u32,
}

impl RowCluster {
    /// Whether the row is removed as a near-duplicate of `duplicate_of`.
    pub fn is_removed(&self, row: u32) -> bool {
        self.duplicate_of != row
    }
}

/// Final clustering: per row, its cluster (if in one of size ≥ 2), and per cluster its survivor.
#[derive(Clone, Debug, Default)]
pub struct Clusters {
    /// Per row: index into `clusters`, or `u32::MAX` for rows in no cluster.
    cluster_of_row: Vec<u32>,
    /// Clusters in id order.
    pub clusters: Vec<Cluster>,
    /// The survivor policy used.
    pub keep: KeepPolicy,
}

const NO_CLUSTER: u32 = u32::MAX;

impl Clusters {
    fn from_union_find(
        uf: &mut UnionFind,
        row_count: u32,
        keep: KeepPolicy,
        length: impl Fn(u32) -> u64,
    ) -> Clusters {
        let covered = (uf.len() as u32).min(row_count);
        let mut cluster_of_row = vec![NO_CLUSTER; row_count as usize];
        // Roots are lowest rows, so walking rows upwards meets each cluster's root first.
        let mut id_of_root: HashMap<u32, u32> = HashMap::new();
        let mut sizes: Vec<u32> = Vec::new();
        let mut roots: Vec<u32> = Vec::new();
        let mut root_of_row = vec![0u32; covered as usize];
        for row in 0..covered {
            let root = uf.find(row);
            root_of_row[row as usize] = root;
            if root != row {
                let next = roots.len() as u32;
                let id = *id_of_root.entry(root).or_insert_with(|| {
                    roots.push(root);
                    sizes.push(1);
                    next
                });
                sizes[id as usize] += 1;
            }
        }
        let mut clusters: Vec<Cluster> = roots
            .iter()
            .zip(&sizes)
            .enumerate()
            .map(|(id, (&root, &size))| Cluster {
                id: id as u32,
                first_row: root,
                kept_row: root,
                size,
            })
            .collect();
        let mut kept_length: Vec<u64> = match keep {
            KeepPolicy::First => Vec::new(),
            KeepPolicy::Longest => roots.iter().map(|&root| length(root)).collect(),
        };
        for row in 0..covered {
            let root = root_of_row[row as usize];
            let Some(&id) = id_of_root.get(&root) else {
                continue;
            };
            cluster_of_row[row as usize] = id;
            if keep == KeepPolicy::Longest && row != root {
                let len = length(row);
                if len > kept_length[id as usize] {
                    kept_length[id as usize] = len;
                    clusters[id as usize].kept_row = row;
                }
            }
        }
        Clusters {
            cluster_of_row,
            clusters,
            keep,
        }
    }

    /// The cluster a row belongs to, or `None` when the row has no near-duplicate.
    pub fn row(&self, row: u32) -> Option<RowCluster> {
        let id = *self.cluster_of_row.get(row as usize)?;
        (id != NO_CLUSTER).then(|| RowCluster {
            cluster: id,
            duplicate_of: self.clusters[id as usize].kept_row,
        })
    }

    /// Makes `row` the survivor of `cluster` (e.g. the row [`datatrove_survivor`] picks). Panics if
    /// the row is not a member of the cluster.
    pub fn set_kept_row(&mut self, cluster: u32, row: u32) {
        assert_eq!(
            self.cluster_of_row.get(row as usize),
            Some(&cluster),
            "row {row} is not in cluster {cluster}"
        );
        self.clusters[cluster as usize].kept_row = row;
    }

    /// Number of rows removed (cluster members other than the survivor).
    pub fn removed_rows(&self) -> u64 {
        self.clusters.iter().map(|c| c.size as u64 - 1).sum()
    }

    /// Number of clusters of each size.
    pub fn size_histogram(&self) -> BTreeMap<u32, u32> {
        let mut histogram = BTreeMap::new();
        for cluster in &self.clusters {
            *histogram.entry(cluster.size).or_insert(0) += 1;
        }
        histogram
    }

    /// The `k` largest clusters, largest first (ties: lower id first).
    pub fn largest(&self, k: usize) -> Vec<&Cluster> {
        let mut order: Vec<&Cluster> = self.clusters.iter().collect();
        order.sort_by(|a, b| b.size.cmp(&a.size).then(a.id.cmp(&b.id)));
        order.truncate(k);
        order
    }

    /// The rows of one cluster, ascending.
    pub fn members(&self, cluster: u32) -> Vec<u32> {
        (0..self.cluster_of_row.len() as u32)
            .filter(|&row| self.cluster_of_row[row as usize] == cluster)
            .collect()
    }
}

/// The row datatrove 0.10.1 keeps of one cluster, given every member's row number and signature.
///
/// datatrove does not keep the lowest row: stage 2 sorts each bucket by (band values, row) and
/// emits consecutive equal rows as pairs; stage 3 reads the buckets in order and unions each pair
/// `(a, b)` by size — `b`'s root joins `a`'s unless `a`'s set is strictly smaller — and keeps each
/// set's final root. Clusters never interact, so replaying this on one cluster's members gives
/// datatrove's choice exactly (single input file; row = datatrove's document index).
pub fn datatrove_survivor(members: &[(u32, &[u64])], params: LshParams) -> u32 {
    let mut parent: HashMap<u32, u32> = members.iter().map(|&(row, _)| (row, row)).collect();
    let mut size: HashMap<u32, u32> = HashMap::new();
    fn root(parent: &mut HashMap<u32, u32>, mut x: u32) -> u32 {
        while parent[&x] != x {
            let up = parent[&parent[&x]];
            parent.insert(x, up);
            x = up;
        }
        x
    }
    let mut order: Vec<usize> = (0..members.len()).collect();
    for band in 0..params.bands {
        let values = |i: usize| &members[i].1[band * params.rows..(band + 1) * params.rows];
        order.sort_by(|&x, &y| {
            values(x)
                .cmp(values(y))
                .then(members[x].0.cmp(&members[y].0))
        });
        for pair in order.windows(2) {
            if values(pair[0]) != values(pair[1]) {
                continue;
            }
            let (mut ra, mut rb) = (
                root(&mut parent, members[pair[0]].0),
                root(&mut parent, members[pair[1]].0),
            );
            if ra == rb {
                continue;
            }
            let (sa, sb) = (
                size.get(&ra).copied().unwrap_or(1),
                size.get(&rb).copied().unwrap_or(1),
            );
            if sa < sb {
                std::mem::swap(&mut ra, &mut rb);
            }
            parent.insert(rb, ra);
            size.insert(ra, sa + sb);
            size.remove(&rb);
        }
    }
    let first = members.first().expect("a cluster has members").0;
    root(&mut parent, first)
}

/// Sorts and deduplicates shingle hashes into a set usable by [`jaccard`].
pub fn shingle_set(mut shingles: Vec<u64>) -> Vec<u64> {
    shingles.sort_unstable();
    shingles.dedup();
    shingles
}

/// Exact Jaccard similarity |A∩B| / |A∪B| of two sorted, deduplicated shingle sets (as from
/// [`shingle_set`]); 0 when both are empty.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 {
        0.0
    } else {
        common as f64 / union as f64
    }
}

/// MinHash estimate of Jaccard similarity: the fraction of equal signature positions.
pub fn signature_agreement(a: &[u64], b: &[u64]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / n as f64
}

/// Second-pass verification of candidate pairs with bounded memory.
///
/// Pass 1 collects candidate pairs (from [`NearDedupIndex::candidates`]); pass 2 feeds every row
/// involved, in increasing row order, with its shingle set ([`shingle_set`]). A row's set is kept
/// only until its last later partner has been fed, so memory is the pairs (8 bytes each) plus the
/// sets of rows whose partners are still ahead — not all sets. Each pair is decided by exact
/// Jaccard ≥ `threshold`.
#[derive(Debug)]
pub struct EdgeVerifier {
    threshold: f64,
    /// Earlier partners of each later row.
    earlier_of: HashMap<u32, Vec<u32>>,
    /// Remaining later partners per earlier row; its set is dropped when this reaches 0.
    pending_later: HashMap<u32, u32>,
    open_sets: HashMap<u32, Vec<u64>>,
    verified: Vec<VerifiedPair>,
}

/// A candidate pair with its exact Jaccard similarity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VerifiedPair {
    /// The earlier row.
    pub earlier: u32,
    /// The later row.
    pub row: u32,
    /// Exact Jaccard similarity of their shingle sets.
    pub jaccard: f64,
    /// Whether `jaccard ≥ threshold`.
    pub accepted: bool,
}

impl EdgeVerifier {
    /// A verifier for `pairs` (any order; duplicates ignored) at `threshold`.
    pub fn new(pairs: impl IntoIterator<Item = CandidatePair>, threshold: f64) -> Self {
        let mut earlier_of: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut pending_later: HashMap<u32, u32> = HashMap::new();
        for pair in pairs {
            // Rows are fed in ascending order, so the lower row of each pair is the one kept open.
            let (earlier, row) = (pair.earlier.min(pair.row), pair.earlier.max(pair.row));
            let pair = CandidatePair { earlier, row };
            let partners = earlier_of.entry(pair.row).or_default();
            if !partners.contains(&pair.earlier) {
                partners.push(pair.earlier);
                *pending_later.entry(pair.earlier).or_insert(0) += 1;
            }
        }
        EdgeVerifier {
            threshold,
            earlier_of,
            pending_later,
            open_sets: HashMap::new(),
            verified: Vec::new(),
        }
    }

    /// Whether `row` takes part in any pair (other rows need not be fed).
    pub fn needs(&self, row: u32) -> bool {
        self.earlier_of.contains_key(&row) || self.pending_later.contains_key(&row)
    }

    /// Feeds one row's shingle set; rows must come in ascending order (pairs were normalised so the
    /// lower row is the earlier one).
    pub fn feed(&mut self, row: u32, shingle_set: Vec<u64>) {
        if let Some(earlier) = self.earlier_of.remove(&row) {
            for e in earlier {
                let jaccard = self
                    .open_sets
                    .get(&e)
                    .map_or(0.0, |set| jaccard(set, &shingle_set));
                self.verified.push(VerifiedPair {
                    earlier: e,
                    row,
                    jaccard,
                    accepted: jaccard >= self.threshold,
                });
                if let Some(pending) = self.pending_later.get_mut(&e) {
                    *pending -= 1;
                    if *pending == 0 {
                        self.pending_later.remove(&e);
                        self.open_sets.remove(&e);
                    }
                }
            }
        }
        if self.pending_later.contains_key(&row) {
            self.open_sets.insert(row, shingle_set);
        }
    }

    /// Shingle sets currently held.
    pub fn open_sets(&self) -> usize {
        self.open_sets.len()
    }

    /// All decided pairs, in the order they were decided.
    pub fn finish(self) -> Vec<VerifiedPair> {
        self.verified
    }
}

/// Similarity statistics of one cluster against its survivor.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClusterSimilarity {
    /// Cluster id.
    pub cluster: u32,
    /// Cluster size.
    pub size: u32,
    /// The survivor (representative).
    pub kept_row: u32,
    /// Members compared with the survivor.
    pub compared: u32,
    /// Mean and minimum MinHash-estimated Jaccard (signature agreement) member vs survivor.
    pub estimated_mean: f64,
    /// Minimum estimated Jaccard.
    pub estimated_min: f64,
    /// Mean exact Jaccard member vs survivor (present when shingle sets were given).
    pub true_mean: Option<f64>,
    /// Minimum exact Jaccard.
    pub true_min: Option<f64>,
}

/// Collects, in a second pass, the data to report the largest clusters' similarity: the survivor
/// and up to `members_per_cluster` other members (the lowest rows) of each of the `k` largest
/// clusters. Holds at most `k × (members_per_cluster + 1)` signatures and shingle sets.
#[derive(Debug)]
pub struct ClusterSampler {
    wanted: HashMap<u32, u32>,
    summaries: Vec<Cluster>,
    observed: HashMap<u32, (Vec<u64>, Option<Vec<u64>>)>,
}

impl ClusterSampler {
    /// Picks the rows to sample from `clusters`.
    pub fn new(clusters: &Clusters, k: usize, members_per_cluster: usize) -> Self {
        let summaries: Vec<Cluster> = clusters.largest(k).into_iter().cloned().collect();
        let mut wanted = HashMap::new();
        let mut taken: HashMap<u32, usize> = HashMap::new();
        for cluster in &summaries {
            wanted.insert(cluster.kept_row, cluster.id);
            taken.insert(cluster.id, 0);
        }
        // One pass over the rows picks the lowest `members_per_cluster` other members of each.
        for (row, &id) in clusters.cluster_of_row.iter().enumerate() {
            let row = row as u32;
            if let Some(count) = taken.get_mut(&id) {
                if *count < members_per_cluster && !wanted.contains_key(&row) {
                    wanted.insert(row, id);
                    *count += 1;
                }
            }
        }
        ClusterSampler {
            wanted,
            summaries,
            observed: HashMap::new(),
        }
    }

    /// Whether `row` should be observed.
    pub fn wants(&self, row: u32) -> bool {
        self.wanted.contains_key(&row)
    }

    /// Records a sampled row's signature and, optionally, shingle set ([`shingle_set`]).
    pub fn observe(&mut self, row: u32, signature: Vec<u64>, shingle_set: Option<Vec<u64>>) {
        if self.wants(row) {
            self.observed.insert(row, (signature, shingle_set));
        }
    }

    /// Similarity of each sampled cluster, largest cluster first.
    pub fn finish(self) -> Vec<ClusterSimilarity> {
        self.summaries
            .iter()
            .map(|cluster| {
                let kept = self.observed.get(&cluster.kept_row);
                let mut estimated = Vec::new();
                let mut exact = Vec::new();
                // Ascending rows, so the sums (and thus the reported means) are reproducible.
                let mut rows: Vec<u32> = self
                    .wanted
                    .iter()
                    .filter(|&(&row, &id)| id == cluster.id && row != cluster.kept_row)
                    .map(|(&row, _)| row)
                    .collect();
                rows.sort_unstable();
                for row in rows {
                    let (Some((kept_sig, kept_set)), Some((sig, set))) =
                        (kept, self.observed.get(&row))
                    else {
                        continue;
                    };
                    estimated.push(signature_agreement(kept_sig, sig));
                    if let (Some(a), Some(b)) = (kept_set, set) {
                        exact.push(jaccard(a, b));
                    }
                }
                let mean =
                    |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
                let min = |v: &[f64]| v.iter().copied().reduce(f64::min);
                ClusterSimilarity {
                    cluster: cluster.id,
                    size: cluster.size,
                    kept_row: cluster.kept_row,
                    compared: estimated.len() as u32,
                    estimated_mean: mean(&estimated).unwrap_or(0.0),
                    estimated_min: min(&estimated).unwrap_or(0.0),
                    true_mean: if exact.is_empty() { None } else { mean(&exact) },
                    true_min: min(&exact),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimal_param_matches_datasketch() {
        // datasketch 2.0 `_optimal_param(t, n, 0.5, 0.5)` values.
        let expected = [
            (112, 0.5, (22, 5)),
            (112, 0.6, (16, 7)),
            (112, 0.7, (12, 9)),
            (112, 0.75, (11, 10)),
            (112, 0.8, (9, 12)),
            (112, 0.85, (7, 16)),
            (112, 0.9, (5, 22)),
            (112, 0.95, (3, 37)),
            (128, 0.5, (25, 5)),
            (128, 0.75, (11, 11)),
            (128, 0.8, (9, 13)),
            (128, 0.9, (5, 25)),
            (256, 0.8, (17, 15)),
            (64, 0.7, (8, 8)),
            (64, 0.95, (2, 32)),
        ];
        for (num_perm, threshold, (bands, rows)) in expected {
            assert_eq!(
                optimal_param(threshold, num_perm),
                LshParams { bands, rows },
                "{num_perm} perms at {threshold}"
            );
        }
    }

    #[test]
    fn integration_is_accurate() {
        assert!((integrate(|s| s * s, 0.0, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        // scipy.integrate.quad values.
        assert!(
            (integrate(|s| (1.0 - s.powf(8.0)).powf(14.0), 0.0, 1.0) - 0.6737787022379601).abs()
                < 1e-10
        );
        assert!(
            (integrate(|s| 1.0 - (1.0 - s.powf(12.0)).powf(9.0), 0.0, 0.8) - 0.033165809593675696)
                .abs()
                < 1e-10
        );
    }

    #[test]
    fn band_keys_equal_iff_bands_equal() {
        let params = LshParams { bands: 3, rows: 2 };
        let a = [1, 2, 3, 4, 5, 6, 99];
        let b = [1, 2, 0, 4, 5, 6];
        let (mut ka, mut kb) = (Vec::new(), Vec::new());
        band_keys(&a, params, &mut ka);
        band_keys(&b, params, &mut kb);
        assert_eq!(ka.len(), 3);
        assert_eq!(ka[0], kb[0]);
        assert_ne!(ka[1], kb[1]);
        assert_eq!(ka[2], kb[2]);
        // Same values in different bands give different keys.
        let mut kc = Vec::new();
        band_keys(&[7, 7, 7, 7, 7, 7], params, &mut kc);
        assert_ne!(kc[0], kc[1]);
    }

    #[test]
    fn table_grows_and_keeps_first_rows() {
        let mut table = FirstRowTable::default();
        for i in 0..10_000u64 {
            assert_eq!(
                table.get_or_insert(i.wrapping_mul(0x9e37_79b9_7f4a_7c15), i as u32),
                None
            );
        }
        for i in 0..10_000u64 {
            assert_eq!(
                table.get_or_insert(i.wrapping_mul(0x9e37_79b9_7f4a_7c15), 99_999),
                Some(i as u32)
            );
        }
        assert_eq!(table.len, 10_000);
        // Keys differing only in the shard bits or only in the remainder stay distinct.
        assert_eq!(table.get_or_insert(1 << 63, 1), None);
        assert_eq!(table.get_or_insert((1 << 63) | 1, 2), None);
        assert_eq!(table.get_or_insert(1 << 63, 3), Some(1));
        assert_eq!(table.get_or_insert(0x123, u32::MAX - 1), None);
        assert_eq!(table.get_or_insert(0x123, 5), Some(u32::MAX - 1));
        let mut presized = FirstRowTable::with_capacity(1 << 20);
        assert_eq!(presized.get_or_insert(42, 7), None);
        assert_eq!(presized.get_or_insert(42, 8), Some(7));
    }

    #[test]
    fn clusters_are_connected_components_with_lowest_row_roots() {
        let mut index = NearDedupIndex::new();
        // rows 0,2 share key 10; rows 2,5 share key 20; rows 1,3 share key 30; row 4 unique.
        index.insert(0, &[10, 11]);
        index.insert(1, &[30, 31]);
        assert_eq!(index.candidates(2, &[10, 20]), vec![0]);
        index.link(0, 2);
        index.insert(3, &[32, 30]);
        index.insert(4, &[40, 41]);
        assert_eq!(index.insert(5, &[20, 50]), 1);
        let clusters = index.clusters(7, KeepPolicy::First, |_| 0);
        assert_eq!(clusters.clusters.len(), 2);
        assert_eq!(
            clusters.row(0),
            Some(RowCluster {
                cluster: 0,
                duplicate_of: 0
            })
        );
        assert_eq!(
            clusters.row(5),
            Some(RowCluster {
                cluster: 0,
                duplicate_of: 0
            })
        );
        assert!(clusters.row(5).unwrap().is_removed(5));
        assert_eq!(
            clusters.row(3),
            Some(RowCluster {
                cluster: 1,
                duplicate_of: 1
            })
        );
        assert_eq!(clusters.row(4), None);
        assert_eq!(clusters.row(6), None);
        assert_eq!(clusters.members(0), vec![0, 2, 5]);
        assert_eq!(clusters.removed_rows(), 3);
        assert_eq!(clusters.size_histogram(), BTreeMap::from([(2, 1), (3, 1)]));
        assert_eq!(clusters.largest(1)[0].size, 3);

        let lengths = [5u64, 1, 9, 1, 1, 9, 1];
        let longest = index.clusters(7, KeepPolicy::Longest, |row| lengths[row as usize]);
        assert_eq!(
            longest.row(0).unwrap().duplicate_of,
            2,
            "longest, ties to the lowest row"
        );
        assert_eq!(longest.row(1).unwrap().duplicate_of, 1);
    }

    #[test]
    fn insertion_order_does_not_change_clusters() {
        let keys: [&[u64]; 5] = [&[1, 2], &[3, 4], &[1, 5], &[6, 4], &[7, 8]];
        let mut forward = NearDedupIndex::new();
        for (row, k) in keys.iter().enumerate() {
            forward.insert(row as u32, k);
        }
        let mut backward = NearDedupIndex::new();
        for (row, k) in keys.iter().enumerate().rev() {
            backward.insert(row as u32, k);
        }
        let (a, b) = (
            forward.clusters(5, KeepPolicy::First, |_| 0),
            backward.clusters(5, KeepPolicy::First, |_| 0),
        );
        assert_eq!(a.clusters, b.clusters);
        assert_eq!(a.members(0), vec![0, 2]);
        assert_eq!(a.members(1), vec![1, 3]);
        // A verifier given a pair in either orientation keeps the lower row open.
        let mut verifier = EdgeVerifier::new([CandidatePair { earlier: 3, row: 1 }], 0.5);
        verifier.feed(1, vec![1, 2]);
        verifier.feed(3, vec![1, 2]);
        assert_eq!(verifier.finish()[0].jaccard, 1.0);
    }

    #[test]
    fn insert_with_skips_rows_already_joined_and_respects_rejections() {
        let mut index = NearDedupIndex::new();
        index.insert(0, &[1, 2]);
        index.insert(1, &[1, 3]);
        let mut asked = Vec::new();
        // Row 2 collides with 0 (key 2) and 1 (key 3), both already in one cluster: asked once.
        index.insert_with(2, &[2, 3], |e| {
            asked.push(e);
            true
        });
        assert_eq!(asked, vec![0]);
        index.insert_with(3, &[1, 9], |_| false);
        let clusters = index.clusters(4, KeepPolicy::First, |_| 0);
        assert_eq!(clusters.members(0), vec![0, 1, 2]);
        assert_eq!(clusters.row(3), None);
    }

    #[test]
    fn jaccard_and_agreement() {
        let a = shingle_set(vec![5, 1, 3, 3, 7]);
        let b = shingle_set(vec![1, 3, 9]);
        assert_eq!(a, vec![1, 3, 5, 7]);
        assert!((jaccard(&a, &b) - 2.0 / 5.0).abs() < 1e-12);
        assert_eq!(jaccard(&[], &[]), 0.0);
        assert_eq!(signature_agreement(&[1, 2, 3, 4], &[1, 0, 3, 0]), 0.5);
    }

    #[test]
    fn edge_verifier_keeps_only_open_sets_and_decides_pairs() {
        let pairs = [
            CandidatePair { earlier: 0, row: 2 },
            CandidatePair { earlier: 0, row: 3 },
            CandidatePair { earlier: 1, row: 3 },
        ];
        let mut verifier = EdgeVerifier::new(pairs, 0.5);
        assert!(verifier.needs(0) && verifier.needs(3) && !verifier.needs(4));
        verifier.feed(0, vec![1, 2, 3, 4]);
        verifier.feed(1, vec![10, 11]);
        assert_eq!(verifier.open_sets(), 2);
        verifier.feed(2, vec![1, 2, 3, 5]);
        verifier.feed(3, vec![1, 2, 3, 4, 10]);
        assert_eq!(verifier.open_sets(), 0);
        let verified = verifier.finish();
        assert_eq!(verified.len(), 3);
        assert!(verified[0].accepted && (verified[0].jaccard - 0.6).abs() < 1e-12);
        let to_three: Vec<_> = verified
            .iter()
            .filter(|p| p.row == 3)
            .map(|p| (p.earlier, p.accepted))
            .collect();
        assert_eq!(to_three, vec![(0, true), (1, false)]);
    }

    #[test]
    fn sampler_reports_estimated_and_true_similarity() {
        let mut index = NearDedupIndex::new();
        index.insert(0, &[1]);
        index.insert(1, &[1]);
        index.insert(2, &[1]);
        let clusters = index.clusters(3, KeepPolicy::First, |_| 0);
        let mut sampler = ClusterSampler::new(&clusters, 5, 10);
        assert!(sampler.wants(0) && sampler.wants(2));
        sampler.observe(0, vec![1, 2, 3, 4], Some(vec![1, 2, 3]));
        sampler.observe(1, vec![1, 2, 3, 0], Some(vec![1, 2, 3]));
        sampler.observe(2, vec![1, 2, 0, 0], Some(vec![1, 2]));
        let similarity = sampler.finish();
        assert_eq!(similarity.len(), 1);
        let s = &similarity[0];
        assert_eq!((s.size, s.kept_row, s.compared), (3, 0, 2));
        assert!((s.estimated_mean - 0.625).abs() < 1e-12 && (s.estimated_min - 0.5).abs() < 1e-12);
        assert!((s.true_mean.unwrap() - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
    }
}
