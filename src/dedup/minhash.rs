//! MinHash signatures, bit-exact with datatrove 0.10.1's `MinhashDedupSignature`.
//!
//! datatrove's scheme (pipeline/dedup/minhash.py, utils/text.py, utils/hashing.py):
//! 1. `simplify_text` (lower case, digits → 0, punctuation → space, diacritics stripped, NFC,
//!    white space collapsed) — [`crate::text::simplify::simplify_text`];
//! 2. words from its English word tokenizer (spaCy blank "en") — [`crate::text::tokenizer::word_tokenize`];
//! 3. word n-grams (`n = 5` by default) as a sliding window; a document with fewer than `n` words
//!    has **no** n-grams, and datatrove then writes no signature for it (it can never be a
//!    duplicate) — [`MinHasher::signature`] returns `false` for it;
//! 4. each n-gram's words joined by one ASCII space, hashed with xxh64 (seed 0) of its UTF-8 bytes
//!    (or xxh32 under [`HashWidth::Bits32`]);
//! 5. for each permutation `i`: `min over shingles of ((h·a[i] + b[i]) mod 2^64) mod (2^61 − 1)`
//!    (numpy uint64 arithmetic wraps; under `Bits32` each value is then masked to its low 32 bits),
//!    with `(a, b)` drawn from numpy `RandomState(1)` ([`datatrove_permutations`]).
//!
//! Only fixed-width integer operations are used, so signatures are identical on every target
//! (native with or without AVX2, wasm32 with or without SIMD).

use super::minhash_params::{DATATROVE_SEED, RANDOM_STATE_1_MASKED_DRAWS};
use crate::text::simplified::{simplified_words, SimplifiedWords};
use xxhash_rust::{xxh32::xxh32, xxh64::xxh64};

/// The Mersenne prime 2^61 − 1 that bounds datatrove's permuted hash values.
pub const MERSENNE_PRIME_61: u64 = (1 << 61) - 1;

/// The largest permutation count the shipped `RandomState(1)` draw table supports.
pub const MAX_PERMUTATIONS: usize = RANDOM_STATE_1_MASKED_DRAWS.len() / 2;

/// Width of the n-gram hash and of the signature values (datatrove's `HashConfig.precision`;
/// datatrove's default and ours is 64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HashWidth {
    /// xxh64 of the n-gram; signature values below 2^61 − 1.
    #[default]
    Bits64,
    /// xxh32 of the n-gram; signature values masked to 32 bits.
    Bits32,
}

/// What a MinHash signature is computed from. `Default` is datatrove 0.10.1's `MinhashConfig()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinhashParams {
    /// Words per shingle (datatrove `n_grams`, default 5).
    pub ngram: usize,
    /// Number of permutations = signature length (datatrove `num_buckets × hashes_per_bucket`,
    /// default 14 × 8 = 112).
    pub num_perm: usize,
    /// Hash width (datatrove `hash_config.precision`, default 64).
    pub width: HashWidth,
}

impl Default for MinhashParams {
    fn default() -> Self {
        MinhashParams {
            ngram: 5,
            num_perm: 112,
            width: HashWidth::Bits64,
        }
    }
}

/// Why a [`MinhashParams`] cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MinhashParamsError {
    /// `ngram` must be at least 1.
    ZeroNgram,
    /// `num_perm` must be in `1..=MAX_PERMUTATIONS`.
    PermutationCount(usize),
    /// Own permutation arrays (`a`, `b` lengths) must both have `num_perm` entries.
    PermutationLengths { num_perm: usize, a: usize, b: usize },
}

impl std::fmt::Display for MinhashParamsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MinhashParamsError::ZeroNgram => write!(f, "n-gram size must be at least 1"),
            MinhashParamsError::PermutationCount(n) => {
                write!(f, "permutation count {n} is outside 1..={MAX_PERMUTATIONS}")
            }
            MinhashParamsError::PermutationLengths { num_perm, a, b } => write!(
                f,
                "permutation arrays have {a} and {b} entries where {num_perm} permutations need {num_perm} each"
            ),
        }
    }
}

impl std::error::Error for MinhashParamsError {}

/// The `(a, b)` permutation parameters datatrove draws for `num_perm` permutations with its default
/// seed 1: `a = randint(1, 2^61−1, num_perm)` then `b = randint(0, 2^61−1, num_perm)` from numpy
/// `RandomState(1)`. numpy draws each value by masked rejection from one stream, so `a` is a prefix
/// of the stream but `b` starts after it: `b` depends on `num_perm` (the 112-permutation `b` is
/// not a prefix of the 128-permutation `b`). We therefore ship the stream and apply numpy's rule.
/// Returns `None` when `num_perm` exceeds what the shipped stream covers.
pub fn datatrove_permutations(num_perm: usize) -> Option<(Vec<u64>, Vec<u64>)> {
    debug_assert_eq!(DATATROVE_SEED, 1);
    let mut stream = RANDOM_STATE_1_MASKED_DRAWS.iter().copied();
    // numpy: bound = high - 1 - low; redraw while masked value > bound; result = low + value.
    let mut draw = |low: u64, high: u64| -> Option<u64> {
        let bound = high - 1 - low;
        stream
            .find(|&value| value <= bound)
            .map(|value| low + value)
    };
    let a = (0..num_perm)
        .map(|_| draw(1, MERSENNE_PRIME_61))
        .collect::<Option<Vec<_>>>()?;
    let b = (0..num_perm)
        .map(|_| draw(0, MERSENNE_PRIME_61))
        .collect::<Option<Vec<_>>>()?;
    Some((a, b))
}

/// `x` folded once modulo `2^61 − 1`: congruent to `x`, below `2^61 + 7`, and equal to
/// `x mod (2^61 − 1)` unless it is at least `2^61 − 1`.
#[inline(always)]
fn fold_mersenne_61(x: u64) -> u64 {
    (x & MERSENNE_PRIME_61) + (x >> 61)
}

/// `x mod (2^61 − 1)` for any u64, without division: 2^61 ≡ 1, so x ≡ (x & p) + (x >> 61), which is
/// below 2^61 + 8 and needs at most one subtraction. Equal to `x % MERSENNE_PRIME_61` for all x.
#[inline(always)]
fn mod_mersenne_61(x: u64) -> u64 {
    let folded = fold_mersenne_61(x);
    // Branch-free so the permutation loop vectorises. `folded` < 2^62, so comparing it as i64 gives
    // the same answer as unsigned, and signed 64-bit compares are what SSE4.2/AVX2 and wasm SIMD
    // have (unsigned ones must be emulated).
    let reduce = ((folded as i64) >= (MERSENNE_PRIME_61 as i64)) as u64;
    folded - (MERSENNE_PRIME_61 & 0u64.wrapping_sub(reduce))
}

/// Computes datatrove-compatible shingles and MinHash signatures. Cheap to share: immutable.
#[derive(Clone, Debug)]
pub struct MinHasher {
    params: MinhashParams,
    a: Vec<u64>,
    b: Vec<u64>,
    value_mask: u64,
    vector_unit: VectorUnit,
}

/// Per-thread buffers for [`MinHasher::signature`], reused from document to document.
#[derive(Default)]
struct SignatureScratch {
    words: SimplifiedWords,
    shingles: Vec<u64>,
    /// (byte offset, byte length) of each n-gram that is a slice of the simplified text.
    spans: Vec<(u32, u32)>,
    /// `spans` grouped by length.
    order: Vec<(u32, u32)>,
    joined: Vec<u8>,
}

/// Which compiled variant of the permutation loop runs; all give identical results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VectorUnit {
    /// Baseline target features (SSE2 on x86-64; simd128 on wasm when the build enables it).
    Baseline,
    /// x86 AVX2 (4 × u64 lanes, 64-bit multiply emulated).
    Avx2,
    /// x86 AVX-512 F+DQ+VL (8 × u64 lanes, native 64-bit multiply and unsigned min).
    Avx512,
}

/// Permutations processed together in the hot loop: their running minima stay in registers while
/// the loop walks all shingles (8 × u64 = two AVX2 registers, four wasm SIMD registers).
const LANES: usize = 8;

impl MinHasher {
    /// A hasher for `params`; fails for `ngram == 0` or a permutation count outside
    /// `1..=MAX_PERMUTATIONS`.
    pub fn new(params: &MinhashParams) -> Result<Self, MinhashParamsError> {
        if params.ngram == 0 {
            return Err(MinhashParamsError::ZeroNgram);
        }
        let (a, b) = (params.num_perm >= 1)
            .then(|| datatrove_permutations(params.num_perm))
            .flatten()
            .ok_or(MinhashParamsError::PermutationCount(params.num_perm))?;
        let value_mask = match params.width {
            HashWidth::Bits64 => u64::MAX,
            HashWidth::Bits32 => u32::MAX as u64,
        };
        Ok(MinHasher {
            params: params.clone(),
            a,
            b,
            value_mask,
            vector_unit: best_vector_unit(),
        })
    }

    /// The same hasher with its own permutation parameters instead of datatrove's: signature entry
    /// `i` becomes `min over shingles of ((h·a[i] + b[i]) mod 2^64) mod (2^61 − 1)`, any u64
    /// values. For another tool's seeds, and for testing the permutation loops on chosen values
    /// (the wasm tests do). Fails unless `a` and `b` both have `num_perm` entries.
    pub fn with_permutations(
        mut self,
        a: Vec<u64>,
        b: Vec<u64>,
    ) -> Result<Self, MinhashParamsError> {
        let num_perm = self.params.num_perm;
        if a.len() != num_perm || b.len() != num_perm {
            return Err(MinhashParamsError::PermutationLengths {
                num_perm,
                a: a.len(),
                b: b.len(),
            });
        }
        (self.a, self.b) = (a, b);
        Ok(self)
    }

    /// The parameters this hasher was built with.
    pub fn params(&self) -> &MinhashParams {
        &self.params
    }

    /// Signature length.
    pub fn num_perm(&self) -> usize {
        self.params.num_perm
    }

    /// The vector unit the permutation loop uses on this machine.
    pub fn vector_unit(&self) -> VectorUnit {
        self.vector_unit
    }

    /// Forces a vector unit (for benchmarks and cross-checks); a unit the CPU lacks falls back to
    /// the best available one.
    pub fn with_vector_unit(mut self, unit: VectorUnit) -> Self {
        let best = best_vector_unit();
        let rank = |u: VectorUnit| match u {
            VectorUnit::Baseline => 0,
            VectorUnit::Avx2 => 1,
            VectorUnit::Avx512 => 2,
        };
        self.vector_unit = if rank(unit) <= rank(best) { unit } else { best };
        self
    }

    /// The permutation parameters `(a, b)` in use (datatrove's arrays).
    pub fn permutations(&self) -> (&[u64], &[u64]) {
        (&self.a, &self.b)
    }

    /// Appends to `out` the shingle hashes of `text` in datatrove's order: one per word n-gram of
    /// the simplified, tokenized text, duplicates kept. Empty when the text has fewer than `ngram`
    /// words.
    pub fn shingles(&self, text: &str, out: &mut Vec<u64>) {
        thread_local! {
            static SCRATCH: std::cell::RefCell<SimplifiedWords> = Default::default();
        }
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            simplified_words(text, &mut scratch);
            self.hash_word_ranges(scratch.text.as_bytes(), &scratch.words, out);
        })
    }

    /// The n-gram hashes of `words`, byte ranges into `text`, in text order.
    fn hash_word_ranges(&self, text: &[u8], words: &[std::ops::Range<usize>], out: &mut Vec<u64>) {
        out.reserve((words.len() + 1).saturating_sub(self.params.ngram));
        let mut joined = Vec::new();
        for_each_ngram(text, words, self.params.ngram, &mut joined, |bytes| {
            out.push(self.hash_bytes(bytes))
        });
    }

    /// xxh64 (or xxh32 under [`HashWidth::Bits32`]) of one n-gram.
    #[inline]
    fn hash_bytes(&self, bytes: &[u8]) -> u64 {
        match self.params.width {
            HashWidth::Bits64 => xxh64(bytes, 0),
            HashWidth::Bits32 => xxh32(bytes, 0) as u64,
        }
    }

    /// Appends to `out` the hashes of the word n-grams of `words` (already simplified and
    /// tokenized): each n-gram's words joined by one space, hashed as UTF-8.
    pub fn shingles_of_words<S: AsRef<str>>(&self, words: &[S], out: &mut Vec<u64>) {
        self.hash_ngrams("", words, out)
    }

    /// As [`MinHasher::shingles_of_words`] for words borrowed from `buffer` (e.g. the simplified
    /// text they were tokenized from): n-grams whose words are separated there by exactly one
    /// space are hashed straight from `buffer` instead of being copied and joined. The result is
    /// the same as [`MinHasher::shingles_of_words`]; only the speed differs.
    pub fn shingles_of_words_in<S: AsRef<str>>(
        &self,
        buffer: &str,
        words: &[S],
        out: &mut Vec<u64>,
    ) {
        self.hash_ngrams(buffer, words, out)
    }

    /// The n-gram hashes of `words` in text order: hashed in place when every word is a slice of
    /// `buffer` ([`for_each_ngram`] joins the n-grams whose words are not one space apart there),
    /// otherwise from the words joined with single spaces into a new buffer.
    fn hash_ngrams<S: AsRef<str>>(&self, buffer: &str, words: &[S], out: &mut Vec<u64>) {
        let in_buffer: Option<Vec<std::ops::Range<usize>>> = words
            .iter()
            .map(|w| {
                let w = w.as_ref().as_bytes();
                slice_offset(buffer.as_bytes(), w).map(|start| start..start + w.len())
            })
            .collect();
        if let Some(ranges) = in_buffer {
            return self.hash_word_ranges(buffer.as_bytes(), &ranges, out);
        }
        let mut joined = String::new();
        let mut ranges = Vec::with_capacity(words.len());
        for (i, word) in words.iter().enumerate() {
            if i > 0 {
                joined.push(' ');
            }
            ranges.push(joined.len()..joined.len() + word.as_ref().len());
            joined.push_str(word.as_ref());
        }
        self.hash_word_ranges(joined.as_bytes(), &ranges, out)
    }

    /// Writes the signature of `text` into `out` (cleared first; `num_perm` values) and returns
    /// `true`, or clears `out` and returns `false` when the text has no n-gram (fewer than `ngram`
    /// words): datatrove gives such a document no signature, so it is never a near-duplicate.
    pub fn signature(&self, text: &str, out: &mut Vec<u64>) -> bool {
        thread_local! {
            static SCRATCH: std::cell::RefCell<SignatureScratch> = Default::default();
        }
        SCRATCH.with(|scratch| {
            let scratch = &mut *scratch.borrow_mut();
            simplified_words(text, &mut scratch.words);
            scratch.shingles.clear();
            if scratch.words.text.len() < u32::MAX as usize {
                self.hash_word_ranges_by_length(scratch);
            } else {
                let words = &scratch.words;
                self.hash_word_ranges(words.text.as_bytes(), &words.words, &mut scratch.shingles);
            }
            self.signature_of_shingles(&scratch.shingles, out)
        })
    }

    /// The shingle hashes of `scratch.words` into `scratch.shingles`, in no particular order (a
    /// signature is a minimum, so order does not matter): n-grams are hashed grouped by byte
    /// length, which makes xxh64's length-dependent branches predictable (in text order they
    /// are a coin toss per n-gram, and mispredictions cost more than the hashing).
    fn hash_word_ranges_by_length(&self, scratch: &mut SignatureScratch) {
        const LONG: usize = 64; // n-grams this long or longer share the last group
        let text = scratch.words.text.as_bytes();
        let (spans, order, shingles) = (
            &mut scratch.spans,
            &mut scratch.order,
            &mut scratch.shingles,
        );
        spans.clear();
        let mut counts = [0u32; LONG + 1];
        for_each_ngram(
            text,
            &scratch.words.words,
            self.params.ngram,
            &mut scratch.joined,
            |bytes| {
                match slice_offset(text, bytes) {
                    Some(start) => {
                        spans.push((start as u32, bytes.len() as u32));
                        counts[bytes.len().min(LONG)] += 1;
                    }
                    // Joined words (a chunk the tokenizer split): hashed at once.
                    None => shingles.push(self.hash_bytes(bytes)),
                }
            },
        );
        // Counting sort of the spans by length group.
        let mut next = [0u32; LONG + 1];
        let mut total = 0u32;
        for (slot, count) in next.iter_mut().zip(counts) {
            *slot = total;
            total += count;
        }
        order.clear();
        order.resize(spans.len(), (0, 0));
        for &(start, len) in spans.iter() {
            let group = (len as usize).min(LONG);
            order[next[group] as usize] = (start, len);
            next[group] += 1;
        }
        shingles.reserve(order.len());
        for &(start, len) in order.iter() {
            let (start, len) = (start as usize, len as usize);
            shingles.push(self.hash_bytes(&text[start..start + len]));
        }
    }

    /// The signature of already computed shingle hashes (as from [`MinHasher::shingles`]); same
    /// contract as [`MinHasher::signature`].
    pub fn signature_of_shingles(&self, shingles: &[u64], out: &mut Vec<u64>) -> bool {
        out.clear();
        if shingles.is_empty() {
            return false;
        }
        out.resize(self.params.num_perm, u64::MAX);
        match self.vector_unit {
            // SAFETY (both x86 arms): the unit is only selected when the CPU reported its features.
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            VectorUnit::Avx512 => unsafe {
                permute_min_avx512(shingles, &self.a, &self.b, self.value_mask, out)
            },
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            VectorUnit::Avx2 => unsafe {
                permute_min_avx2(shingles, &self.a, &self.b, self.value_mask, out)
            },
            _ => permute_min_portable(shingles, &self.a, &self.b, self.value_mask, out),
        }
        true
    }
}

/// Calls `f` with the bytes of each word n-gram of `words` (byte ranges into simplified `text`,
/// where words are one space apart, or adjacent when the tokenizer split a chunk), in order: a
/// slice of `text` when the n-gram's words are one space apart there, else the words joined with
/// single spaces in `joined`.
#[inline(always)]
fn for_each_ngram(
    text: &[u8],
    words: &[std::ops::Range<usize>],
    n: usize,
    joined: &mut Vec<u8>,
    mut f: impl FnMut(&[u8]),
) {
    if n == 0 || words.len() < n {
        return;
    }
    let single_space_gap = |i: usize| {
        let end = words[i].end;
        words[i + 1].start == end + 1 && text[end] == b' '
    };
    // A running count of bad gaps over the window decides in O(1) per window.
    let mut bad_gaps = (0..n - 1).filter(|&i| !single_space_gap(i)).count();
    for first in 0..=words.len() - n {
        if first > 0 && n > 1 {
            bad_gaps -= !single_space_gap(first - 1) as usize;
            bad_gaps += !single_space_gap(first + n - 2) as usize;
        }
        if bad_gaps == 0 {
            f(&text[words[first].start..words[first + n - 1].end]);
        } else {
            joined.clear();
            for (i, word) in words[first..first + n].iter().enumerate() {
                if i > 0 {
                    joined.push(b' ');
                }
                joined.extend_from_slice(&text[word.clone()]);
            }
            f(joined);
        }
    }
}

/// The offset of `part` in `whole` when it is a sub-slice of it.
#[inline]
fn slice_offset(whole: &[u8], part: &[u8]) -> Option<usize> {
    let offset = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (offset + part.len() <= whole.len()).then_some(offset)
}

fn best_vector_unit() -> VectorUnit {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            return VectorUnit::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return VectorUnit::Avx2;
        }
    }
    VectorUnit::Baseline
}

/// The hot loop: for each permutation, the minimum over shingles of the permuted hash.
///
/// All seven strategies give exactly `min over h of mod_mersenne_61(h·a + b)` (masked to the
/// width): this exact one (32-bit signatures), three with a *lazy reduction*
/// ([`permute_min_keyed_vector`] for AVX-512, [`permute_min_keyed_avx2`] for short documents on
/// AVX2, [`permute_min_filtered_scalar`] elsewhere) and three on 32-bit keys: the cell loops for
/// the other documents ([`permute_min_cells_avx2`], [`permute_min_cells_simd128`] for wasm SIMD)
/// and [`permute_min_filtered_simd128`] for the shortest in wasm SIMD.
/// `fold_mersenne_61` leaves a value in `[0, 2^61 + 7)` that equals the reduced value unless it
/// is at least `2^61 − 1`, which happens for about 8 in 2^61 pairs; the lazy loops order pairs
/// without the final compare-and-subtract and recompute exactly only a block that may have met
/// such a pair.
// Only the x86 vector units call this (and the tests, everywhere).
#[cfg_attr(
    not(any(target_arch = "x86", target_arch = "x86_64")),
    allow(dead_code)
)]
#[inline(always)]
fn permute_min_body(shingles: &[u64], a: &[u64], b: &[u64], value_mask: u64, out: &mut [u64]) {
    // Separate instantiations so the 64-bit case carries no masking instruction.
    if value_mask == u64::MAX {
        permute_min_exact::<false>(shingles, a, b, out)
    } else {
        permute_min_exact::<true>(shingles, a, b, out)
    }
}

/// Exact reduction per pair; [`LANES`] permutations per pass over the shingles so their minima
/// stay in registers. The inner fixed-width loop auto-vectorises (SSE2/AVX2). Used for 32-bit
/// signatures, whose mask breaks the lazy ordering, and by the tests as the reference.
#[inline(always)]
fn permute_min_exact<const LOW_32_BITS: bool>(
    shingles: &[u64],
    a: &[u64],
    b: &[u64],
    out: &mut [u64],
) {
    let value_mask = if LOW_32_BITS {
        u32::MAX as u64
    } else {
        u64::MAX
    };
    let full = a.len() / LANES * LANES;
    for start in (0..full).step_by(LANES) {
        let a_block: [u64; LANES] = a[start..start + LANES].try_into().unwrap();
        let b_block: [u64; LANES] = b[start..start + LANES].try_into().unwrap();
        // Every permuted value is below 2^61 − 1, so starting from it loses nothing (there is at
        // least one shingle), and the minimum can be taken as i64 — identical for values below
        // 2^63, and a native instruction on more targets than the unsigned minimum.
        let mut minima = [MERSENNE_PRIME_61 as i64; LANES];
        for &h in shingles {
            for k in 0..LANES {
                let permuted = mod_mersenne_61(h.wrapping_mul(a_block[k]).wrapping_add(b_block[k]));
                let value = if LOW_32_BITS {
                    permuted & value_mask
                } else {
                    permuted
                };
                minima[k] = minima[k].min(value as i64);
            }
        }
        let minima = minima.map(|m| m as u64);
        out[start..start + LANES].copy_from_slice(&minima);
    }
    exact_minima(
        shingles,
        &a[full..],
        &b[full..],
        value_mask,
        &mut out[full..],
    );
}

/// The exact minimum per permutation, one permutation at a time: the tail that does not fill a
/// block, and the rare block whose lazy reduction met a value it could not order.
#[inline(never)]
fn exact_minima(shingles: &[u64], a: &[u64], b: &[u64], value_mask: u64, out: &mut [u64]) {
    for ((out, &a), &b) in out.iter_mut().zip(a).zip(b) {
        *out = shingles
            .iter()
            .map(|&h| mod_mersenne_61(h.wrapping_mul(a).wrapping_add(b)) & value_mask)
            .min()
            .unwrap_or(u64::MAX);
    }
}

/// [`exact_minima`] for the permutations in `block`: a lazy block that met a value it could not
/// order.
fn exact_block(
    shingles: &[u64],
    a: &[u64],
    b: &[u64],
    block: std::ops::Range<usize>,
    out: &mut [u64],
) {
    let (a, b) = (&a[block.clone()], &b[block.clone()]);
    exact_minima(shingles, a, b, u64::MAX, &mut out[block]);
}

/// Lazy reduction for AVX-512 (a vector rotate and an unsigned minimum): one instruction fewer
/// per pair than keeping the minimum and the maximum of the folded values (the maximum telling
/// whether any reached the prime), which this loop did before: here the order key of a pair
/// tells by itself whether the pair could be misordered.
///
/// With `x = h·a + b` (mod 2^64), `q = x >> 61` and `r = x & p`, the permuted value is
/// `v = (r + q) mod p`. The loop computes `y = x + 1` (from `b + 1`), `t = y + (y >> 61)` and the
/// key `rotl(t, 3)`, and keeps each lane's minimum key:
/// - an ordinary pair (`r + q < p`) has `t = q·2^61 + (v + 1)` with no carry, so its key is
///   `8·(v + 1) + q`, at least 8: keys order pairs by `v` (ties by `q`), and `v = (key >> 3) − 1`;
/// - a pair with `r + q ≥ p` (whose true value `r + q − p` is below 8; including `r = 2^61 − 1`,
///   where `x + 1` carries into the top bits) has a key below 64.
///
/// So a lane whose minimum key is 64 or more met only ordinary pairs and its minimum is exact; a
/// block with a lane below 64 (a minimum below 7, or a pair of the second kind: some 8 in 2^61
/// pairs) is recomputed exactly. Measured per pair (`minhash_bench permute`, AVX-512): see
/// bench/minhash/README.md.
#[cfg_attr(
    not(any(target_arch = "x86", target_arch = "x86_64")),
    allow(dead_code)
)]
#[inline(always)]
fn permute_min_keyed_vector(shingles: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    /// Keys of ordinary pairs are at least 8; below this bound a lane is recomputed.
    const ORDINARY_KEYS_FROM: u64 = 64;
    let full = a.len() / LANES * LANES;
    for start in (0..full).step_by(LANES) {
        let block = start..start + LANES;
        let a_block: [u64; LANES] = a[block.clone()].try_into().unwrap();
        let b_block: [u64; LANES] = std::array::from_fn(|k| b[start + k].wrapping_add(1));
        let mut keys = [u64::MAX; LANES];
        for &h in shingles {
            for k in 0..LANES {
                let y = h.wrapping_mul(a_block[k]).wrapping_add(b_block[k]);
                let t = y.wrapping_add(y >> 61);
                keys[k] = keys[k].min(t.rotate_left(3));
            }
        }
        if keys.iter().all(|&key| key >= ORDINARY_KEYS_FROM) {
            out[block].copy_from_slice(&keys.map(|key| (key >> 3) - 1));
        } else {
            exact_block(shingles, a, b, block, out);
        }
    }
    exact_minima(shingles, &a[full..], &b[full..], u64::MAX, &mut out[full..]);
}

/// Lazy reduction for AVX2 (documents too short for [`permute_min_cells_avx2`]), which has neither
/// a vector rotate nor an unsigned 64-bit minimum: the order key of [`permute_min_keyed_vector`]
/// without its rotation, kept below 2^61 so that the signed compare-and-blend orders it. Four
/// shingles per register (one per lane) against four permutations per block, whose `a`,
/// `a >> 32` and `b + 1` stay broadcast in registers.
///
/// With `x = h·a + b` (mod 2^64), `q = x >> 61`, `r = x & p` and the permuted value
/// `v = (r + q) mod p`, the loop computes `y = x + 1` (from `b + 1`), `t = y + (y >> 61)` and the
/// key `t & p`:
/// - an ordinary pair (`r < p` and `r + q < p`) has `t = q·2^61 + (v + 1)` with no carry into the
///   top bits, so its key is `v + 1`, at least 1;
/// - a pair with `r < p` and `r + q ≥ p` has `t = (q + 1)·2^61 + (r + q − p)` (mod 2^64): its key
///   is its true value, below 7;
/// - a pair with `r = p` has `y = (q + 1)·2^61` (mod 2^64): its key is `q + 1` for `q < 7`, 0 for
///   `q = 7`; at most 7.
///
/// So a permutation whose minimum key is 8 or more met only ordinary pairs and its minimum is
/// `key − 1`; a block with a minimum below 8 (a true minimum below 7, or a pair of the other
/// kinds: some 8 in 2^61 pairs) is recomputed exactly.
///
/// The 64-bit product from 32-bit multiplies: `h·a = h_lo·a_lo + ((h_lo·a_hi + h_hi·a_lo) << 32)`
/// (mod 2^64), three `vpmuludq` per four pairs. Measured per pair on a Zen 3 core
/// (`minhash_bench permute`, bench/minhash/README.md): 0.51–0.54 ns for the exact loop this unit
/// ran before, 0.42–0.46 ns for this key in the portable loop (LLVM vectorises it across shingles
/// but recomputes `a >> 32` per pair and spills), 0.39–0.41 ns here; the same loop with the
/// shingle broadcast and permutations across the lanes measured 0.44–0.52 ns.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(unused_unsafe)] // intrinsics are safe inside a matching target_feature from Rust 1.87 on
unsafe fn permute_min_keyed_avx2(shingles: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    use std::arch::x86_64::*;
    /// Permutations per block: their three constants and running minima fill the 16 registers.
    const BLOCK: usize = 4;
    /// Keys of ordinary pairs are at least 1 and every other key is at most 7.
    const ORDINARY_KEYS_FROM: u64 = 8;
    #[inline(always)]
    fn scalar_key(h: u64, a: u64, b_plus_1: u64) -> u64 {
        let y = h.wrapping_mul(a).wrapping_add(b_plus_1);
        y.wrapping_add(y >> 61) & MERSENNE_PRIME_61
    }
    if shingles.is_empty() {
        // The same contract as `exact_minima`; the lanes below would report `i64::MAX`.
        out.fill(u64::MAX);
        return;
    }
    let vector_shingles = shingles.len() / 4 * 4;
    let full = a.len() / BLOCK * BLOCK;
    for start in (0..full).step_by(BLOCK) {
        let block = start..start + BLOCK;
        let b_plus_1: [u64; BLOCK] = std::array::from_fn(|k| b[start + k].wrapping_add(1));
        let mut lane_keys = [[0u64; 4]; BLOCK];
        // SAFETY: AVX2 is enabled on this function; each load reads four u64 at
        // `shingles[i..i + 4]` with `i + 4 <= shingles.len()`, each store writes one `[u64; 4]`
        // (unaligned forms).
        unsafe {
            let prime = _mm256_set1_epi64x(MERSENNE_PRIME_61 as i64);
            let splat = |value: u64| _mm256_set1_epi64x(value as i64);
            let a_lo: [__m256i; BLOCK] = std::array::from_fn(|k| splat(a[start + k]));
            let a_hi: [__m256i; BLOCK] = std::array::from_fn(|k| splat(a[start + k] >> 32));
            let b1: [__m256i; BLOCK] = std::array::from_fn(|k| splat(b_plus_1[k]));
            let mut keys = [_mm256_set1_epi64x(i64::MAX); BLOCK];
            for four in shingles[..vector_shingles].chunks_exact(4) {
                let h = _mm256_loadu_si256(four.as_ptr().cast());
                let h_hi = _mm256_srli_epi64::<32>(h);
                for k in 0..BLOCK {
                    let low = _mm256_mul_epu32(a_lo[k], h);
                    let cross = _mm256_add_epi64(
                        _mm256_mul_epu32(a_hi[k], h),
                        _mm256_mul_epu32(a_lo[k], h_hi),
                    );
                    let y = _mm256_add_epi64(
                        _mm256_add_epi64(low, _mm256_slli_epi64::<32>(cross)),
                        b1[k],
                    );
                    let key =
                        _mm256_and_si256(_mm256_add_epi64(y, _mm256_srli_epi64::<61>(y)), prime);
                    let lower = _mm256_cmpgt_epi64(keys[k], key);
                    keys[k] = _mm256_blendv_epi8(keys[k], key, lower);
                }
            }
            for k in 0..BLOCK {
                _mm256_storeu_si256(lane_keys[k].as_mut_ptr().cast(), keys[k]);
            }
        }
        // Keys are below 2^61 (and i64::MAX for lanes that met no shingle): unsigned order is
        // the signed order the loop kept.
        let minima: [u64; BLOCK] = std::array::from_fn(|k| {
            let tail = shingles[vector_shingles..]
                .iter()
                .map(|&h| scalar_key(h, a[start + k], b_plus_1[k]));
            lane_keys[k]
                .iter()
                .copied()
                .chain(tail)
                .min()
                .unwrap_or(u64::MAX)
        });
        if minima.iter().all(|&key| key >= ORDINARY_KEYS_FROM) {
            out[block].copy_from_slice(&minima.map(|key| key - 1));
        } else {
            exact_block(shingles, a, b, block, out);
        }
    }
    exact_minima(shingles, &a[full..], &b[full..], u64::MAX, &mut out[full..]);
}

/// Shingles per part of [`permute_min_cells_avx2`]: the loop passes over a part's split copy
/// (96 bytes per eight shingles) once per two permutations, so a part stays within L2; a long
/// document goes in parts whose minima are combined.
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
const CELLS_PART: usize = 1 << 13;
/// Steps of eight shingles per cell: a cell is one lane over this many steps.
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
const CELL_STEPS: usize = 16;
/// Documents with fewer shingles run [`permute_min_keyed_avx2`] natively: for them the cells'
/// bookkeeping costs more than the cheaper key saves (`minhash_bench permute` with
/// `PERMUTE_DOC_SHINGLES` 130–400: the cells lose below about 300).
#[cfg(target_arch = "x86_64")]
const CELLS_FROM: usize = 320;
/// In wasm the other loop, [`permute_min_filtered_simd128`], mispredicts its branch often in short
/// documents: the cells win from about 40 shingles in Chromium (`chromium.mjs` with 30–250
/// shingles per document).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
const CELLS_FROM: usize = 32;
/// Where the shingle of key lane `s` sits among a step's eight: the lane order that
/// `vshufps` leaves the high halves of the products in (see [`permute_min_cells_avx2`]).
#[cfg(target_arch = "x86_64")]
const KEY_LANE_SHINGLE: [usize; 8] = [0, 2, 1, 3, 4, 6, 5, 7];

/// 32-bit keys in AVX2, eight shingles per register, with the exact minimum found afterwards
/// among the few shingles whose keys could hold it.
///
/// The key of a pair is the top of `x' = h·(8a) + 8b = 8x` (mod 2^64, `x = h·a + b`) from 32-bit
/// halves, like [`permute_min_filtered_simd128`]'s but with the high half of `h_lo·a'_lo` exact
/// (`vpmuludq`): `k = hi32(h_lo·a'_lo) + lo32(h_lo·a'_hi) + lo32(h_hi·a'_lo) + hi32(b') + 2`
/// (mod 2^32), which is bits 60..29 of `x` plus `2 − c` (`c ∈ {0, 1}`, the carry out of the low
/// halves, left out). Per eight pairs that is two `vpmuludq`, two `vpmulld`, a shuffle, three adds
/// and an unsigned minimum, against the keyed loop's three multiplies and nine other instructions
/// per four. What makes it exact is one bound: every pair has `k ≤ (v >> 29) + 2`, where `v` is its
/// permuted value:
/// - an ordinary pair (`v = (x & p) + (x >> 61)` below `p`) has `(x & p) >> 29 ≤ v >> 29`;
/// - a pair whose fold reaches the prime (`x & p ≥ p − 7`, true value below 7) has bits 60..29
///   all ones, so `k ≤ 1`;
/// - where `+ 2 − c` wraps past 2^32 the key only gets smaller.
///
/// The loop keeps the minimum key of each *cell* (one lane over [`CELL_STEPS`] steps) in memory;
/// afterwards, per permutation, [`exact_minimum_of_cells`] scans exactly the few cells whose key
/// could hold the minimum (usually one).
///
/// The shingles are split once per part, eight per step: their low halves in order (for
/// `vpmuludq`, which multiplies lanes 0, 2, 4, 6, and those shifted right by 32 for lanes 1, 3, 5,
/// 7), and low and high halves in the order [`KEY_LANE_SHINGLE`] that one `vshufps` leaves the two
/// products' high halves in. The last step is padded with the first shingle (a repeated shingle
/// changes no minimum). Measured per pair: see bench/minhash/README.md.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(unused_unsafe)] // intrinsics are safe inside a matching target_feature from Rust 1.87 on
unsafe fn permute_min_cells_avx2(shingles: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    use std::arch::x86_64::*;
    /// Permutations per pass over a part's steps: their constants and minima stay in registers.
    const BLOCK: usize = 2;
    if shingles.len() < CELLS_FROM {
        // SAFETY: AVX2 is enabled on this function.
        return unsafe { permute_min_keyed_avx2(shingles, a, b, out) };
    }
    if shingles.len() > CELLS_PART {
        return minima_in_parts(shingles, CELLS_PART, out, |part, out| {
            // SAFETY: AVX2 is enabled on this function.
            unsafe { permute_min_cells_avx2(part, a, b, out) }
        });
    }
    thread_local! {
        /// The split shingles and the cell minima of one block.
        static SCRATCH: std::cell::RefCell<(Vec<SplitStep>, Vec<[u32; 8]>)> = Default::default();
    }
    SCRATCH.with(|scratch| {
        let (steps, cells) = &mut *scratch.borrow_mut();
        let first = shingles[0];
        steps.clear();
        steps.extend(shingles.chunks(8).map(|eight| {
            let h: [u64; 8] = std::array::from_fn(|i| eight.get(i).copied().unwrap_or(first));
            let in_key_order: [u64; 8] = KEY_LANE_SHINGLE.map(|i| h[i]);
            SplitStep {
                lows: h.map(|h| h as u32),
                key_lows: in_key_order.map(|h| h as u32),
                key_highs: in_key_order.map(|h| (h >> 32) as u32),
            }
        }));
        let cells_per_lane = steps.len().div_ceil(CELL_STEPS);
        // Every block overwrites every cell, so they are sized once per document.
        cells.clear();
        cells.resize(BLOCK * cells_per_lane, [0; 8]);
        let full = a.len() / BLOCK * BLOCK;
        for start in (0..full).step_by(BLOCK) {
            // SAFETY: AVX2 is enabled on this function; each load reads one `[u32; 8]` of
            // `steps` and each store writes one of `cells` (unaligned forms).
            unsafe {
                let splat = |value: u32| _mm256_set1_epi32(value as i32);
                let a8: [u64; BLOCK] = std::array::from_fn(|k| a[start + k].wrapping_mul(8));
                let a_lo: [__m256i; BLOCK] = a8.map(|a| splat(a as u32));
                let a_hi: [__m256i; BLOCK] = a8.map(|a| splat((a >> 32) as u32));
                let b_hi_plus_2: [__m256i; BLOCK] = std::array::from_fn(|k| {
                    splat(((b[start + k].wrapping_mul(8) >> 32) as u32).wrapping_add(2))
                });
                for (cell, cell_steps) in steps.chunks(CELL_STEPS).enumerate() {
                    let mut minima = [_mm256_set1_epi32(-1); BLOCK];
                    for step in cell_steps {
                        let lows = _mm256_loadu_si256(step.lows.as_ptr().cast());
                        let odd_lows = _mm256_srli_epi64::<32>(lows);
                        let key_lows = _mm256_loadu_si256(step.key_lows.as_ptr().cast());
                        let key_highs = _mm256_loadu_si256(step.key_highs.as_ptr().cast());
                        for k in 0..BLOCK {
                            let even = _mm256_castsi256_ps(_mm256_mul_epu32(lows, a_lo[k]));
                            let odd = _mm256_castsi256_ps(_mm256_mul_epu32(odd_lows, a_lo[k]));
                            // The high halves: lanes 1 and 3 of each 128-bit half of both.
                            let carried =
                                _mm256_castps_si256(_mm256_shuffle_ps::<0b11_01_11_01>(even, odd));
                            let cross = _mm256_add_epi32(
                                _mm256_mullo_epi32(key_lows, a_hi[k]),
                                _mm256_mullo_epi32(key_highs, a_lo[k]),
                            );
                            let key =
                                _mm256_add_epi32(_mm256_add_epi32(carried, cross), b_hi_plus_2[k]);
                            minima[k] = _mm256_min_epu32(minima[k], key);
                        }
                    }
                    for k in 0..BLOCK {
                        let at = &mut cells[k * cells_per_lane + cell];
                        _mm256_storeu_si256(at.as_mut_ptr().cast(), minima[k]);
                    }
                }
            }
            for k in 0..BLOCK {
                let cells = &cells[k * cells_per_lane..(k + 1) * cells_per_lane];
                let (a, b) = (a[start + k], b[start + k]);
                // SAFETY: AVX2 is enabled on this function.
                out[start + k] = unsafe { exact_minimum_of_cells_avx2(shingles, cells, a, b) };
            }
        }
        exact_minima(shingles, &a[full..], &b[full..], u64::MAX, &mut out[full..]);
    })
}

/// Eight shingles as [`permute_min_cells_avx2`] reads them.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct SplitStep {
    /// Low halves in shingle order.
    lows: [u32; 8],
    /// Low and high halves in [`KEY_LANE_SHINGLE`] order.
    key_lows: [u32; 8],
    key_highs: [u32; 8],
}

/// The exact minimum of one permutation `(a, b)` over `shingles` from the cell minima that
/// [`permute_min_cells_avx2`] kept for it: [`exact_minimum_of_cells`] with AVX2 compares.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(unused_unsafe)] // intrinsics are safe inside a matching target_feature from Rust 1.87 on
unsafe fn exact_minimum_of_cells_avx2(shingles: &[u64], cells: &[[u32; 8]], a: u64, b: u64) -> u64 {
    use std::arch::x86_64::*;
    // SAFETY: AVX2 is enabled on this function; each load reads one `[u32; 8]` of `cells`.
    let load = |keys: &[u32; 8]| unsafe { _mm256_loadu_si256(keys.as_ptr().cast()) };
    let smallest_lanes = cells.iter().fold(_mm256_set1_epi32(-1), |smallest, keys| {
        _mm256_min_epu32(smallest, load(keys))
    });
    let mut lanes = [0u32; 8];
    // SAFETY: AVX2 is enabled on this function; the store writes one `[u32; 8]`.
    unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), smallest_lanes) };
    let smallest = lanes.iter().copied().min().unwrap_or(0);
    let lanes_at_most = |keys: &[u32; 8], bound: u32| {
        let keys = load(keys);
        let within = _mm256_cmpeq_epi32(
            _mm256_min_epu32(keys, _mm256_set1_epi32(bound as i32)),
            keys,
        );
        _mm256_movemask_ps(_mm256_castsi256_ps(within)) as u32
    };
    let scan = |cell: usize, lane: usize| {
        let step_shingles = |step: usize| step * 8 + KEY_LANE_SHINGLE[lane];
        exact_minimum_at(
            shingles,
            a,
            b,
            (cell * CELL_STEPS..(cell + 1) * CELL_STEPS).map(step_shingles),
        )
    };
    exact_minimum_of_cells(cells, 2, smallest, lanes_at_most, scan)
}

/// The minima over `shingles` taken in parts of `part` shingles and combined, for the loops whose
/// scratch grows with the document (a 64 MB row holds up to 32 M shingles).
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
fn minima_in_parts(
    shingles: &[u64],
    part: usize,
    out: &mut [u64],
    mut minima_of: impl FnMut(&[u64], &mut [u64]),
) {
    let mut part_minima = vec![0; out.len()];
    out.fill(u64::MAX);
    for part in shingles.chunks(part) {
        minima_of(part, &mut part_minima);
        for (out, &minimum) in out.iter_mut().zip(&part_minima) {
            *out = (*out).min(minimum);
        }
    }
}

/// The exact minimum of `mod_mersenne_61(h·a + b)` over the shingles at `indices`, in increasing
/// order and stopping at the first past the padded last step (a padded lane repeats the first
/// shingle).
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
#[inline(always)]
fn exact_minimum_at(shingles: &[u64], a: u64, b: u64, indices: impl Iterator<Item = usize>) -> u64 {
    let padded = shingles.len().next_multiple_of(8);
    indices
        .take_while(|&at| at < padded)
        .map(|at| {
            let h = shingles.get(at).copied().unwrap_or(shingles[0]);
            mod_mersenne_61(h.wrapping_mul(a).wrapping_add(b))
        })
        .min()
        .unwrap_or(u64::MAX)
}

/// The exact minimum of one permutation from the minimum key of each cell (a lane over some steps)
/// of a 32-bit key loop whose keys satisfy `k ≤ (v >> 29) + margin` for every pair with permuted
/// value `v`: the cells whose key is within `margin` of the `smallest` are scanned exactly
/// (`scan(cell, lane)`), giving a minimum `m`, then every cell whose key is at most
/// `(m >> 29) + margin` (almost always none new). That `m` is the true minimum, because a shingle
/// of an unscanned cell has `(v >> 29) + margin ≥ k > (m >> 29) + margin`, so `v > m`.
/// `lanes_at_most(keys, bound)` is a bit per lane whose key is at most `bound`.
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
#[inline(always)]
fn exact_minimum_of_cells<const LANES: usize>(
    cells: &[[u32; LANES]],
    margin: u32,
    smallest: u32,
    lanes_at_most: impl Fn(&[u32; LANES], u32) -> u32,
    scan: impl Fn(usize, usize) -> u64,
) -> u64 {
    // Scans the cells whose key is in `above + 1..=up_to` (`above` none: from 0).
    let scan_keys = |above: Option<u32>, up_to: u32, minimum: &mut u64| {
        for (cell, keys) in cells.iter().enumerate() {
            let mut lanes = lanes_at_most(keys, up_to);
            if let Some(above) = above {
                lanes &= !lanes_at_most(keys, above);
            }
            while lanes != 0 {
                *minimum = (*minimum).min(scan(cell, lanes.trailing_zeros() as usize));
                lanes &= lanes - 1;
            }
        }
    };
    let near = smallest.saturating_add(margin);
    let mut minimum = u64::MAX;
    scan_keys(None, near, &mut minimum);
    let reach = u32::try_from((minimum >> 29) + u64::from(margin)).unwrap_or(u32::MAX);
    if reach > near {
        scan_keys(Some(near), reach, &mut minimum);
    }
    minimum
}

/// Scalar permutation loop with a cheap filter, eight permutations per pass over the shingles,
/// for targets without a vector loop of their own (x86 without AVX2, other architectures, wasm
/// without SIMD): one `imul` per pair beats the vector forms of a 64-bit multiply there. wasm with
/// SIMD runs the same idea on 32-bit keys, [`permute_min_filtered_simd128`].
///
/// Almost no pair lowers a minimum (about ln n of a document's n shingles do, per permutation),
/// so each pair is first tested with four instructions (multiply, add, mask, compare-and-branch)
/// and only the rare pair that passes is folded. The filter value is
/// `w = (h·a + b + 8) & (2^61 − 1)`, which equals `(v & p) + 8` for `v = h·a + b`, except where
/// `v & p ≥ p − 7`: there the addition wraps, leaving `w < 8`. A lane keeps `t = m + 8`, with `m`
/// its minimum of folded values, and a pair passes when `w < t`:
/// - a pair whose folded value is below `m` has `v & p ≤ fold(v) < m`, so `w < t`: it passes;
/// - a pair whose folded value could reach `p` (which the lazy minimum cannot order) has
///   `w < 8 ≤ t`: it passes, and is noted;
/// - every other pair that is filtered out has `fold(v) ≥ v & p ≥ m`: it cannot lower `m`.
///
/// So the lane minima equal the minima of the folded values, and a block that met a folded value
/// at or above `p` is recomputed exactly. Measured per pair (`bench/minhash/wasm-check`):
/// in Chromium 0.90 ns for the previous loop (fold, minimum and overflow check on every pair)
/// against 0.55 ns for this one; in Node 0.70 against 0.53. Eight lanes measured a little faster
/// than four; fourteen or more no longer stay in registers (2 ns).
// Everywhere but wasm with SIMD, which runs `permute_min_filtered_simd128` (and the tests).
#[cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128"),
    allow(dead_code)
)]
#[inline(always)]
fn permute_min_filtered_scalar(shingles: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    const SCALAR_LANES: usize = 8;
    const SLACK: u64 = 8;
    /// The pair that passed the filter (`shifted` = `h·a + b + 8`): the lane's new threshold,
    /// `min(m, fold(h·a + b)) + 8`.
    #[inline(always)]
    fn lower(threshold: u64, shifted: u64, overflow: &mut bool) -> u64 {
        let folded = fold_mersenne_61(shifted.wrapping_sub(SLACK));
        *overflow |= folded >= MERSENNE_PRIME_61;
        threshold.min(folded + SLACK)
    }
    let full = a.len() / SCALAR_LANES * SCALAR_LANES;
    for start in (0..full).step_by(SCALAR_LANES) {
        let block = start..start + SCALAR_LANES;
        let a_block: [u64; SCALAR_LANES] = a[block.clone()].try_into().unwrap();
        // `b + 8`, so that the filter value costs no more than `h·a + b`.
        let b_block: [u64; SCALAR_LANES] =
            std::array::from_fn(|k| b[start + k].wrapping_add(SLACK));
        // "Everything passes" until a lane's first pair.
        let mut thresholds = [u64::MAX; SCALAR_LANES];
        let mut overflow = false;
        for &h in shingles {
            for k in 0..SCALAR_LANES {
                let shifted = h.wrapping_mul(a_block[k]).wrapping_add(b_block[k]);
                if shifted & MERSENNE_PRIME_61 < thresholds[k] {
                    thresholds[k] = lower(thresholds[k], shifted, &mut overflow);
                }
            }
        }
        if !overflow {
            // There is at least one shingle, so every threshold is some `m + 8`.
            out[block].copy_from_slice(&thresholds.map(|t| t - SLACK));
        } else {
            exact_block(shingles, a, b, block, out);
        }
    }
    exact_minima(shingles, &a[full..], &b[full..], u64::MAX, &mut out[full..]);
}

/// Four shingles as the wasm SIMD loops read them: low halves, high halves (u32 lanes), low halves
/// as f64 (two vectors).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Quad = [std::arch::wasm32::v128; 4];

/// `shingles` (non-empty) as quads into `quads`, padded with the first shingle to a multiple of
/// eight shingles (a repeated shingle changes no minimum).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn split_into_quads(shingles: &[u64], quads: &mut Vec<Quad>) {
    use std::arch::wasm32::*;
    let first = shingles[0];
    quads.clear();
    quads.extend((0..shingles.len().div_ceil(8) * 2).map(|quad| {
        let h: [u64; 4] =
            std::array::from_fn(|i| shingles.get(quad * 4 + i).copied().unwrap_or(first));
        let low = |i: usize| h[i] as u32;
        let high = |i: usize| (h[i] >> 32) as u32;
        [
            u32x4(low(0), low(1), low(2), low(3)),
            u32x4(high(0), high(1), high(2), high(3)),
            f64x2(low(0) as f64, low(1) as f64),
            f64x2(low(2) as f64, low(3) as f64),
        ]
    }));
}

/// The high halves of `x = h·a + b` (mod 2^64) for the four shingles `h` of a quad, from 32-bit
/// halves, plus 2 and give or take one: `hi32(h_lo·a_lo) + e + lo32(h_lo·a_hi) + lo32(h_hi·a_lo) +
/// hi32(b) + 2` (mod 2^32), which is `hi32(x) + 2 + e − c`. The first term comes from an `f64`
/// product (exact within 2^11) rounded to a multiple of 2^32 by adding 2^84, so it is
/// `hi32(h_lo·a_lo) + e` with `e ∈ {0, 1}`; `c ∈ {0, 1}` is the carry out of the low halves,
/// left out. No 64-bit multiply: V8 expands `i64x2.mul` into three multiplies per lane, and
/// LLVM turns `i64x2.extmul_*_i32x4_u` into that.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn quad_high_halves(a: u64, b: u64) -> impl Fn(&Quad) -> std::arch::wasm32::v128 {
    use std::arch::wasm32::*;
    // Added to a product below 2^64, 2^84 leaves it rounded to a multiple of 2^32, the quotient
    // in the low 32 bits of the f64's bits.
    let round_to_high_half = (1u128 << 84) as f64;
    let a_lo = u32x4_splat(a as u32);
    let a_lo_f64 = f64x2_splat(a as u32 as f64);
    let a_hi = u32x4_splat((a >> 32) as u32);
    // `hi32(b) + 2` rides in the rounding constant: 2^84 + k·2^32 (k < 2^32) is exact, and the
    // sum with the product stays below 2^85, so the low 32 bits come out as the quotient + k.
    let round_and_add_b = f64x2_splat(f64::from_bits(
        round_to_high_half.to_bits() + u64::from(((b >> 32) as u32).wrapping_add(2)),
    ));
    move |&[lows, highs, lows_01, lows_23]: &Quad| {
        let carried_plus_b = i32x4_shuffle::<0, 2, 4, 6>(
            f64x2_add(f64x2_mul(lows_01, a_lo_f64), round_and_add_b),
            f64x2_add(f64x2_mul(lows_23, a_lo_f64), round_and_add_b),
        );
        let cross = i32x4_add(i32x4_mul(lows, a_hi), i32x4_mul(highs, a_lo));
        i32x4_add(carried_plus_b, cross)
    }
}

/// The filtered loop of [`permute_min_filtered_scalar`] on wasm SIMD, eight shingles per step,
/// with a filter that needs no 64-bit multiply.
///
/// The key of a pair is the top of `x = h·a + b` (mod 2^64), [`quad_high_halves`] modulo 2^29:
/// bits 60..32 of `x` plus `2 + e − c`, between 1 and 3.
/// With `v` the permuted value and `m` the running minimum, a pair with `v < m` always has
/// `k ≤ (m >> 32) + 3`, and a step whose keys are all above that is skipped:
/// - an ordinary pair (`v = (x & p) + (x >> 61)`) has `(x & p) >> 32 ≤ v >> 32 ≤ m >> 32`; the
///   offset wraps `k` modulo 2^29 only for `(x & p) >> 32 ≥ 2^29 − 3`, where
///   `m >> 32 ≥ 2^29 − 3` lets every key through;
/// - a pair whose fold reaches the prime (`x & p ≥ p − 7`, true value below 7) has bits 60..32
///   all ones and `k ≤ 2`: it always passes.
///
/// A pair that passes is reduced exactly, so the minima are exact with no recomputation.
/// `quads` are the (non-empty) `shingles` split by [`split_into_quads`]; documents of
/// [`CELLS_FROM`] shingles or more run [`permute_min_cells_simd128`] instead. Measured per pair:
/// see bench/minhash/README.md.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn permute_min_filtered_simd128(
    shingles: &[u64],
    quads: &[Quad],
    a: &[u64],
    b: &[u64],
    out: &mut [u64],
) {
    use std::arch::wasm32::*;
    /// A key passes when below this bound, `(m >> 32) + 4`; keys are below 2^29.
    fn bound_of(minimum: u64) -> v128 {
        i32x4_splat(((minimum >> 32) + 4).min(i32::MAX as u64) as i32)
    }
    let first = shingles[0];
    let low_bits = u32x4_splat((1 << 29) - 1);
    for ((out, &a), &b) in out.iter_mut().zip(a).zip(b) {
        let high_halves = quad_high_halves(a, b);
        let keys = |quad: &Quad| v128_and(high_halves(quad), low_bits);
        let mut minimum = u64::MAX;
        let mut bound = bound_of(minimum);
        for pair in quads.chunks_exact(2) {
            let (first_keys, second_keys) = (keys(&pair[0]), keys(&pair[1]));
            let (first_pass, second_pass) =
                (i32x4_lt(first_keys, bound), i32x4_lt(second_keys, bound));
            if v128_any_true(v128_or(first_pass, second_pass)) {
                // The step's index from its address: no counter live in the loop.
                let step = (pair.as_ptr() as usize - quads.as_ptr() as usize)
                    / (2 * std::mem::size_of::<Quad>());
                let mut lanes = i32x4_bitmask(first_pass) | i32x4_bitmask(second_pass) << 4;
                while lanes != 0 {
                    let at = step * 8 + lanes.trailing_zeros() as usize;
                    let h = shingles.get(at).copied().unwrap_or(first);
                    minimum = minimum.min(mod_mersenne_61(h.wrapping_mul(a).wrapping_add(b)));
                    lanes &= lanes - 1;
                }
                bound = bound_of(minimum);
            }
        }
        *out = minimum;
    }
}

/// The cell loop of [`permute_min_cells_avx2`] on wasm SIMD, four shingles per vector, the key
/// [`quad_high_halves`] of `8a` and `8b` (whose `f64` product may round up by one):
/// `k ≤ (v >> 29) + 3` for every pair.
/// No branch per step, so no misprediction where a document's early shingles keep lowering the
/// minimum. Shorter documents keep the filtered loop. Measured per pair: see
/// bench/minhash/README.md.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn permute_min_cells_simd128(shingles: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    use std::arch::wasm32::*;
    if shingles.is_empty() {
        // The same contract as `exact_minima`.
        out.fill(u64::MAX);
        return;
    }
    if shingles.len() > CELLS_PART {
        return minima_in_parts(shingles, CELLS_PART, out, |part, out| {
            permute_min_cells_simd128(part, a, b, out)
        });
    }
    thread_local! {
        /// The split shingles and one permutation's cell minima.
        static SCRATCH: std::cell::RefCell<(Vec<Quad>, Vec<[u32; 4]>)> = Default::default();
    }
    SCRATCH.with(|scratch| {
        let (quads, cells) = &mut *scratch.borrow_mut();
        split_into_quads(shingles, quads);
        if shingles.len() < CELLS_FROM {
            return permute_min_filtered_simd128(shingles, quads, a, b, out);
        }
        for ((out, &a), &b) in out.iter_mut().zip(a).zip(b) {
            // Bits 60..29 of `h·a + b`: the high halves of `h·8a + 8b`.
            let keys = quad_high_halves(a.wrapping_mul(8), b.wrapping_mul(8));
            cells.clear();
            cells.extend(quads.chunks(CELL_STEPS).map(|cell_quads| {
                let mut minimum = u32x4_splat(u32::MAX);
                for quad in cell_quads {
                    minimum = u32x4_min(minimum, keys(quad));
                }
                [
                    u32x4_extract_lane::<0>(minimum),
                    u32x4_extract_lane::<1>(minimum),
                    u32x4_extract_lane::<2>(minimum),
                    u32x4_extract_lane::<3>(minimum),
                ]
            }));
            let smallest = cells.iter().flatten().copied().min().unwrap_or(0);
            let lanes_at_most = |keys: &[u32; 4], bound: u32| {
                let keys = u32x4(keys[0], keys[1], keys[2], keys[3]);
                u32x4_bitmask(u32x4_le(keys, u32x4_splat(bound))) as u32
            };
            let scan = |cell: usize, lane: usize| {
                let quads = cell * CELL_STEPS..(cell + 1) * CELL_STEPS;
                exact_minimum_at(shingles, a, b, quads.map(|quad| quad * 4 + lane))
            };
            *out = exact_minimum_of_cells(cells, 3, smallest, lanes_at_most, scan);
        }
    })
}

fn permute_min_portable(shingles: &[u64], a: &[u64], b: &[u64], value_mask: u64, out: &mut [u64]) {
    if value_mask != u64::MAX {
        return permute_min_exact::<true>(shingles, a, b, out);
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    permute_min_cells_simd128(shingles, a, b, out);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    permute_min_filtered_scalar(shingles, a, b, out);
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
unsafe fn permute_min_avx2(
    shingles: &[u64],
    a: &[u64],
    b: &[u64],
    value_mask: u64,
    out: &mut [u64],
) {
    #[cfg(target_arch = "x86_64")]
    if value_mask == u64::MAX {
        return permute_min_cells_avx2(shingles, a, b, out);
    }
    permute_min_body(shingles, a, b, value_mask, out)
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx512f,avx512dq,avx512vl")]
unsafe fn permute_min_avx512(
    shingles: &[u64],
    a: &[u64],
    b: &[u64],
    value_mask: u64,
    out: &mut [u64],
) {
    if value_mask == u64::MAX {
        permute_min_keyed_vector(shingles, a, b, out)
    } else {
        permute_min_exact::<true>(shingles, a, b, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature by its definition, with the `%` operator: per `(a, b)`, the minimum over
    /// shingles of `((h·a + b) mod 2^64) mod (2^61 − 1)`.
    fn definition(shingles: &[u64], a: &[u64], b: &[u64]) -> Vec<u64> {
        a.iter()
            .zip(b)
            .map(|(&a, &b)| {
                let permuted = |&h: &u64| h.wrapping_mul(a).wrapping_add(b) % MERSENNE_PRIME_61;
                shingles.iter().map(permuted).min().unwrap()
            })
            .collect()
    }

    #[test]
    fn mersenne_reduction_equals_remainder() {
        let edge = [
            0,
            1,
            MERSENNE_PRIME_61 - 1,
            MERSENNE_PRIME_61,
            MERSENNE_PRIME_61 + 1,
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            (1 << 62) - 2,
        ];
        for x in edge {
            assert_eq!(mod_mersenne_61(x), x % MERSENNE_PRIME_61, "{x}");
        }
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            assert_eq!(mod_mersenne_61(x), x % MERSENNE_PRIME_61);
        }
    }

    #[test]
    fn datatrove_first_parameters() {
        // numpy RandomState(1).randint(1, 2**61-1, dtype=uint64, size=4) and the following b draws.
        let (a, b) = datatrove_permutations(4).unwrap();
        assert_eq!(
            a,
            [
                775169054918279404,
                1758426461858698313,
                2109959069025162,
                965365488286768774
            ]
        );
        assert_eq!(
            b,
            [
                401325382989534144,
                1703346441743126657,
                1130051441076870727,
                1762784241922636284
            ]
        );
        assert!(datatrove_permutations(MAX_PERMUTATIONS + 1).is_none());
    }

    #[test]
    fn vector_paths_agree_with_scalar_definition() {
        for num_perm in [1, 7, 112, 128, 131] {
            let hasher = MinHasher::new(&MinhashParams {
                num_perm,
                ..Default::default()
            })
            .unwrap();
            // Short and long documents take different AVX2 loops.
            for length in [257u64, 1000] {
                let shingles: Vec<u64> = (0..length).map(|i| xxh64(&i.to_le_bytes(), 0)).collect();
                let mut sig = Vec::new();
                assert!(hasher.signature_of_shingles(&shingles, &mut sig));
                let (a, b) = hasher.permutations();
                let expected = definition(&shingles, a, b);
                assert_eq!(sig, expected);
                for unit in [VectorUnit::Baseline, VectorUnit::Avx2, VectorUnit::Avx512] {
                    let forced = hasher.clone().with_vector_unit(unit);
                    let mut other = Vec::new();
                    forced.signature_of_shingles(&shingles, &mut other);
                    assert_eq!(other, expected, "{unit:?}, {length} shingles");
                }
            }
        }
    }

    #[test]
    fn lazy_reduction_recomputes_blocks_whose_folded_value_reaches_the_prime() {
        // With a = 1 and b = 0 the permuted value of h is h mod (2^61 − 1). h = 2^61 − 1 folds to
        // 2^61 − 1 itself (true value 0) and h = 2^64 − 1 folds to 2^61 + 6 (true value 7): a
        // lazy minimum that skipped the recomputation would answer 5 for both.
        type Strategy = fn(&[u64], &[u64], &[u64], &mut [u64]);
        let strategies: [(&str, Strategy); 3] = [
            ("exact", permute_min_exact::<false>),
            ("keyed_vector", permute_min_keyed_vector),
            ("filtered_scalar", permute_min_filtered_scalar),
        ];
        let cases: [(Vec<u64>, u64, u64); 15] = [
            (vec![5, MERSENNE_PRIME_61, 9], 1, 0),
            (vec![5, u64::MAX, 9], 1, 0),
            (vec![u64::MAX, 5], 1, 0),
            // 2^61 − 1 = 1·(2^61 − 3) + 2: reached through b.
            (vec![MERSENNE_PRIME_61 - 2, 3], 1, 1),
            // The scalar filter's edges: `v & p` at p − 8 (an ordinary value) and p − 7 (whose
            // filter value wraps below 8), after a small minimum, and a large one first.
            (
                vec![5, MERSENNE_PRIME_61 - 8, MERSENNE_PRIME_61 - 7, 9],
                1,
                0,
            ),
            (
                vec![
                    MERSENNE_PRIME_61 - 8,
                    (1 << 63) | (MERSENNE_PRIME_61 - 1),
                    4,
                ],
                1,
                0,
            ),
            // `b + 8` wraps past 2^64.
            (vec![3, 9, 1 << 62], 1, u64::MAX - 2),
            (vec![0, 1, 2, 3], 1, u64::MAX - 7),
            // The keyed loop's edges: true minima just below and at 7 (keys 56 and 64), a pair
            // whose low 61 bits are all ones (`x + 1` carries into the top bits) in several
            // top-bit patterns, `r + q` just past the prime, and `b + 1` wrapping to 0.
            (vec![6, 1000, 1 << 62], 1, 0),
            (vec![1000, 7, 1 << 62], 1, 0),
            (vec![1 << 40, (3 << 61) | MERSENNE_PRIME_61, 1 << 50], 1, 0),
            (
                vec![1 << 40, MERSENNE_PRIME_61, (6 << 61) | MERSENNE_PRIME_61],
                1,
                0,
            ),
            (vec![1 << 40, (5 << 61) | (MERSENNE_PRIME_61 - 3)], 1, 0),
            (
                vec![1 << 40, (7 << 61) | (MERSENNE_PRIME_61 - 6), 1 << 41],
                1,
                0,
            ),
            (vec![3, 9, 1 << 62, 0], 1, u64::MAX),
        ];
        // Ordinary shingles put in front move the special ones across the lanes of a four-shingle
        // vector and into the tail that the AVX2 loop finishes in scalar code.
        let padded_cases = cases.into_iter().flat_map(|(shingles, a_value, b_value)| {
            [0u64, 1, 2, 3, 5].map(|pad| {
                let mut padded: Vec<u64> = (0..pad).map(|i| (1 << 50) + 12_345 * i).collect();
                padded.extend_from_slice(&shingles);
                (padded, a_value, b_value)
            })
        });
        for (shingles, a_value, b_value) in padded_cases {
            for num_perm in [1, 4, 8, 13, 16] {
                // The special permutation in every position, among ordinary ones.
                for special in 0..num_perm {
                    let mut a: Vec<u64> = (0..num_perm as u64).map(|i| 0x9E37_79B9 + i).collect();
                    let mut b: Vec<u64> = (0..num_perm as u64).map(|i| 77 * i).collect();
                    a[special] = a_value;
                    b[special] = b_value;
                    let expected = definition(&shingles, &a, &b);
                    for (name, strategy) in strategies {
                        let mut out = vec![0; num_perm];
                        strategy(&shingles, &a, &b, &mut out);
                        assert_eq!(
                            out, expected,
                            "{name} {shingles:?} perm {special}/{num_perm}"
                        );
                    }
                    #[cfg(target_arch = "x86_64")]
                    if std::arch::is_x86_feature_detected!("avx2") {
                        let mut out = vec![0; num_perm];
                        // SAFETY: the CPU reported AVX2.
                        unsafe { permute_min_keyed_avx2(&shingles, &a, &b, &mut out) };
                        assert_eq!(
                            out, expected,
                            "keyed_avx2 {shingles:?} perm {special}/{num_perm}"
                        );
                    }
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let mut out = vec![0; 5];
            // SAFETY: the CPU reported AVX2.
            unsafe { permute_min_keyed_avx2(&[], &[3; 5], &[7; 5], &mut out) };
            assert_eq!(
                out,
                vec![u64::MAX; 5],
                "no shingles: the exact loop's answer"
            );
        }
    }

    /// The cell loop on documents long enough to take it (and long enough to go in parts),
    /// against the definition: pairs whose folded value reaches the prime, a pair whose key
    /// wraps to 0 while its value is huge (only the second scan, within reach of the minimum, can
    /// find the true minimum then), a pair whose key is one above that of a larger value (the top
    /// bits of `x` lower the key's source), repeated shingles (tied cells), each placed in the
    /// first and last cell, in the padded last step and across a part boundary.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn cell_loop_equals_the_definition() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("cell_loop_equals_the_definition: no AVX2 on this CPU, nothing to check");
            return;
        }
        let mut next = crate::test_rng::xorshift(0x9E37_79B9_7F4A_7C15);
        const K: u64 = 3 << 29;
        const WRAPS_TO_0: u64 = MERSENNE_PRIME_61 - (1 << 29);
        // Values, each at its distance after the place: 8 is the same lane a step later (the
        // same cell), 9 another lane, 1000 another cell.
        let specials: [(&str, Vec<(usize, u64)>); 7] = [
            (
                "fold reaches the prime",
                vec![(0, MERSENNE_PRIME_61), (9, u64::MAX)],
            ),
            ("key wraps to 0", vec![(0, WRAPS_TO_0)]),
            // The first scan finds K + 5 beside the wrapped pair; K, elsewhere, has key 5, just
            // within reach: (m >> 29) + 2 = 5.
            (
                "minimum just within reach",
                vec![(0, WRAPS_TO_0), (8, K + 5), (1000, K)],
            ),
            // v = K + 1 with key 5, then v = K + 3 (x & p = K − 4, x >> 61 = 7) with key 4.
            (
                "smaller value, larger key",
                vec![(0, K + 1), (9, (7 << 61) | (K - 4))],
            ),
            ("true minima below 7", vec![(0, 6), (9, 2)]),
            ("repeated", vec![(0, K), (9, K), (1000, K)]),
            ("none", vec![]),
        ];
        let (real_a, real_b) = datatrove_permutations(112).unwrap();
        for length in [CELLS_FROM, 333, 1000, CELLS_PART + 5] {
            for (name, special) in &specials {
                let places = [0, 1, 7, 8 * CELL_STEPS, length / 2, length - 1];
                for at in places {
                    let mut shingles: Vec<u64> = (0..length).map(|_| next()).collect();
                    for &(distance, value) in special {
                        shingles[(at + distance) % length] = value;
                    }
                    // The special values with `a = 1, b = 0` (values are `h mod p`) in every
                    // position of a block, then the real permutations.
                    for num_perm in [1, 2, 3] {
                        for special_perm in 0..num_perm {
                            let mut a: Vec<u64> = (0..num_perm).map(|i| real_a[i]).collect();
                            let mut b: Vec<u64> = (0..num_perm).map(|i| real_b[i]).collect();
                            a[special_perm] = 1;
                            b[special_perm] = 0;
                            let mut out = vec![0; num_perm];
                            // SAFETY: the CPU reported AVX2.
                            unsafe { permute_min_cells_avx2(&shingles, &a, &b, &mut out) };
                            assert_eq!(
                                out,
                                definition(&shingles, &a, &b),
                                "{name} at {at}, length {length}, perm {special_perm}/{num_perm}"
                            );
                        }
                    }
                    let mut out = vec![0; 112];
                    // SAFETY: the CPU reported AVX2.
                    unsafe { permute_min_cells_avx2(&shingles, &real_a, &real_b, &mut out) };
                    assert_eq!(
                        out,
                        definition(&shingles, &real_a, &real_b),
                        "{name} at {at}, length {length}, 112 permutations"
                    );
                }
            }
        }
    }

    #[test]
    fn shingles_join_words_with_single_space_and_skip_short_docs() {
        let hasher = MinHasher::new(&MinhashParams {
            ngram: 3,
            ..Default::default()
        })
        .unwrap();
        let mut out = Vec::new();
        hasher.shingles_of_words(&["a", "b"], &mut out);
        assert!(out.is_empty());
        // Owned words (not contiguous) and borrowed words (contiguous) hash the same.
        let text = "one two three four";
        let borrowed: Vec<&str> = text.split(' ').collect();
        let owned: Vec<String> = borrowed.iter().map(|w| w.to_string()).collect();
        hasher.hash_ngrams(text, &borrowed, &mut out);
        let mut out_owned = Vec::new();
        hasher.shingles_of_words(&owned, &mut out_owned);
        assert_eq!(
            out,
            vec![xxh64(b"one two three", 0), xxh64(b"two three four", 0)]
        );
        assert_eq!(out, out_owned);
        // Words from one buffer separated by two spaces are not contiguous: joined with one space.
        let text = "one  two three";
        let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
        let mut out = Vec::new();
        hasher.hash_ngrams(text, &words, &mut out);
        assert_eq!(out, vec![xxh64(b"one two three", 0)]);
        let mut sig = vec![1];
        assert!(!hasher.signature_of_shingles(&[], &mut sig));
        assert!(sig.is_empty());
    }

    #[test]
    fn in_place_hashing_equals_joining_for_any_word_layout() {
        // Words borrowed from the buffer with single spaces, words split inside one run ("can"
        // "not"), words after double spaces, and words from elsewhere (owned strings).
        let buffer = "we cannot  go to the big old house now x y";
        let mut words: Vec<&str> = Vec::new();
        for piece in buffer.split(' ').filter(|w| !w.is_empty()) {
            if piece == "cannot" {
                words.push(&piece[..3]);
                words.push(&piece[3..]);
            } else {
                words.push(piece);
            }
        }
        let elsewhere = String::from("elsewhere");
        words.insert(7, &elsewhere);
        for n in 1..=6 {
            let hasher = MinHasher::new(&MinhashParams {
                ngram: n,
                ..Default::default()
            })
            .unwrap();
            let (mut in_place, mut joined) = (Vec::new(), Vec::new());
            hasher.shingles_of_words_in(buffer, &words, &mut in_place);
            hasher.shingles_of_words(&words, &mut joined);
            assert_eq!(in_place, joined, "n = {n}");
            assert_eq!(joined.len(), words.len() + 1 - n);
        }
    }

    #[test]
    fn signature_equals_the_signature_of_ordered_shingles() {
        // `signature` hashes n-grams grouped by length, `shingles` in text order: the minimum
        // is the same. Cases with split chunks (joined n-grams), very long words (the last
        // length group), non-ASCII text (the general path), and too few words.
        let long_word = "x".repeat(200);
        let texts = [
            "I cannot believe it is 10MB, we'd said 3GB at most, and it's only 5am here."
                .to_string(),
            format!("{long_word} a b c d {long_word} e f g h i j k"),
            "Café naïve İstanbul Σίσυφος: ein kurzer Text über nichts und alles.".to_string(),
            "too few words".to_string(),
            "one two three four five six seven eight nine ten eleven twelve".repeat(20),
        ];
        for width in [HashWidth::Bits64, HashWidth::Bits32] {
            let hasher = MinHasher::new(&MinhashParams {
                width,
                ..Default::default()
            })
            .unwrap();
            for text in &texts {
                let (mut direct, mut shingles, mut ordered) = (Vec::new(), Vec::new(), Vec::new());
                let signed = hasher.signature(text, &mut direct);
                hasher.shingles(text, &mut shingles);
                assert_eq!(
                    signed,
                    hasher.signature_of_shingles(&shingles, &mut ordered)
                );
                assert_eq!(direct, ordered, "{text:?}");
            }
        }
    }

    #[test]
    fn every_strategy_equals_the_definition_on_random_documents() {
        // Short documents (where the scalar filter's first pairs and a lone shingle matter) and
        // longer ones, with values near the prime's edges mixed in, for the real permutations.
        let mut next = crate::test_rng::xorshift(0x2545_F491_4F6C_DD1D);
        let (a, b) = datatrove_permutations(112).unwrap();
        type Strategy = fn(&[u64], &[u64], &[u64], &mut [u64]);
        let strategies: [(&str, Strategy); 3] = [
            ("exact", permute_min_exact::<false>),
            ("keyed_vector", permute_min_keyed_vector),
            ("filtered_scalar", permute_min_filtered_scalar),
        ];
        for document in 0..300 {
            let length = if document % 3 == 0 {
                1 + document % 7
            } else {
                1 + document * 3
            };
            let shingles: Vec<u64> = (0..length)
                .map(|i| match (document + i) % 41 {
                    0 => MERSENNE_PRIME_61 - (next() % 9),
                    1 => u64::MAX - (next() % 9),
                    _ => next(),
                })
                .collect();
            let expected = definition(&shingles, &a, &b);
            for (name, strategy) in strategies {
                let mut out = vec![0; 112];
                strategy(&shingles, &a, &b, &mut out);
                assert_eq!(out, expected, "{name}, document {document}");
            }
        }
    }

    #[test]
    fn thirty_two_bit_width_masks_values() {
        let params = MinhashParams {
            width: HashWidth::Bits32,
            ..Default::default()
        };
        let hasher = MinHasher::new(&params).unwrap();
        let mut out = Vec::new();
        hasher.shingles_of_words(&["a", "b", "c", "d", "e"], &mut out);
        assert_eq!(out, vec![xxh32(b"a b c d e", 0) as u64]);
        let mut sig = Vec::new();
        hasher.signature_of_shingles(&out, &mut sig);
        let (a, b) = hasher.permutations();
        for i in 0..112 {
            assert_eq!(
                sig[i],
                (out[0].wrapping_mul(a[i]).wrapping_add(b[i]) % MERSENNE_PRIME_61) & 0xffff_ffff
            );
        }
    }

    #[test]
    fn rejects_bad_params() {
        assert_eq!(
            MinHasher::new(&MinhashParams {
                ngram: 0,
                ..Default::default()
            })
            .unwrap_err(),
            MinhashParamsError::ZeroNgram
        );
        assert!(MinHasher::new(&MinhashParams {
            num_perm: 0,
            ..Default::default()
        })
        .is_err());
        assert!(MinHasher::new(&MinhashParams {
            num_perm: MAX_PERMUTATIONS + 1,
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn own_permutations_replace_datatrove_arrays_on_every_unit() {
        let params = MinhashParams {
            num_perm: 3,
            ..Default::default()
        };
        let hasher = MinHasher::new(&params).unwrap();
        let error = hasher
            .clone()
            .with_permutations(vec![1, 2, 3], vec![0, 0])
            .unwrap_err();
        assert_eq!(
            error,
            MinhashParamsError::PermutationLengths {
                num_perm: 3,
                a: 3,
                b: 2
            }
        );
        assert!(error.to_string().contains("3 and 2 entries"), "{error}");
        let (a, b) = (vec![1, u64::MAX, 0x9E37_79B9], vec![0, 5, u64::MAX]);
        let own = hasher.with_permutations(a.clone(), b.clone()).unwrap();
        assert_eq!(own.permutations(), (&a[..], &b[..]));
        let shingles = [MERSENNE_PRIME_61, 17, u64::MAX - 3, 1 << 40];
        let expected = definition(&shingles, &a, &b);
        for unit in [VectorUnit::Baseline, VectorUnit::Avx2, VectorUnit::Avx512] {
            let mut signature = Vec::new();
            own.clone()
                .with_vector_unit(unit)
                .signature_of_shingles(&shingles, &mut signature);
            assert_eq!(signature, expected, "{unit:?}");
        }
    }
}
