//! Gopher repetition rules (Rae et al. 2021, table A1), as datatrove 0.10.1's
//! `GopherRepetitionFilter` applies them: duplicate paragraphs and lines (by count and by
//! characters), the most frequent word 2/3/4-gram's character share, and the character share of
//! repeated 5..10-grams. Same order of checks and reason codes as datatrove.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::datatrove_text::{py_len, py_strip};
use super::{ratio, Bound, FoldBuildHasher, Threshold};

/// The text is empty.
pub const EMPTY: &str = "empty";
/// Duplicate paragraphs / paragraphs above `dup_para_frac`.
pub const DUP_PARA_FRAC: &str = "dup_para_frac";
/// Characters in duplicate paragraphs / text characters above `dup_para_char_frac`.
pub const DUP_PARA_CHAR_FRAC: &str = "dup_para_char_frac";
/// Duplicate lines / lines above `dup_line_frac`.
pub const DUP_LINE_FRAC: &str = "dup_line_frac";
/// Characters in duplicate lines / text characters above `dup_line_char_frac`.
pub const DUP_LINE_CHAR_FRAC: &str = "dup_line_char_frac";

/// Largest `n` accepted for top and duplicated n-gram rules (reason codes are static strings).
pub const MAX_N: u32 = 20;

/// Reason codes `top_{n}_gram` for n = 1..=20, indexed by n - 1.
pub const TOP_N_GRAM_CODES: [&str; MAX_N as usize] = [
    "top_1_gram",
    "top_2_gram",
    "top_3_gram",
    "top_4_gram",
    "top_5_gram",
    "top_6_gram",
    "top_7_gram",
    "top_8_gram",
    "top_9_gram",
    "top_10_gram",
    "top_11_gram",
    "top_12_gram",
    "top_13_gram",
    "top_14_gram",
    "top_15_gram",
    "top_16_gram",
    "top_17_gram",
    "top_18_gram",
    "top_19_gram",
    "top_20_gram",
];
/// Reason codes `duplicated_{n}_n_grams` for n = 1..=20, indexed by n - 1.
pub const DUPLICATED_N_GRAMS_CODES: [&str; MAX_N as usize] = [
    "duplicated_1_n_grams",
    "duplicated_2_n_grams",
    "duplicated_3_n_grams",
    "duplicated_4_n_grams",
    "duplicated_5_n_grams",
    "duplicated_6_n_grams",
    "duplicated_7_n_grams",
    "duplicated_8_n_grams",
    "duplicated_9_n_grams",
    "duplicated_10_n_grams",
    "duplicated_11_n_grams",
    "duplicated_12_n_grams",
    "duplicated_13_n_grams",
    "duplicated_14_n_grams",
    "duplicated_15_n_grams",
    "duplicated_16_n_grams",
    "duplicated_17_n_grams",
    "duplicated_18_n_grams",
    "duplicated_19_n_grams",
    "duplicated_20_n_grams",
];
/// Metric names `gopher_repetition.top_{n}_gram_char_frac`, indexed by n - 1.
pub const TOP_N_GRAM_METRICS: [&str; MAX_N as usize] = [
    "gopher_repetition.top_1_gram_char_frac",
    "gopher_repetition.top_2_gram_char_frac",
    "gopher_repetition.top_3_gram_char_frac",
    "gopher_repetition.top_4_gram_char_frac",
    "gopher_repetition.top_5_gram_char_frac",
    "gopher_repetition.top_6_gram_char_frac",
    "gopher_repetition.top_7_gram_char_frac",
    "gopher_repetition.top_8_gram_char_frac",
    "gopher_repetition.top_9_gram_char_frac",
    "gopher_repetition.top_10_gram_char_frac",
    "gopher_repetition.top_11_gram_char_frac",
    "gopher_repetition.top_12_gram_char_frac",
    "gopher_repetition.top_13_gram_char_frac",
    "gopher_repetition.top_14_gram_char_frac",
    "gopher_repetition.top_15_gram_char_frac",
    "gopher_repetition.top_16_gram_char_frac",
    "gopher_repetition.top_17_gram_char_frac",
    "gopher_repetition.top_18_gram_char_frac",
    "gopher_repetition.top_19_gram_char_frac",
    "gopher_repetition.top_20_gram_char_frac",
];
/// Metric names `gopher_repetition.duplicated_{n}_n_grams_char_frac`, indexed by n - 1.
pub const DUPLICATED_N_GRAMS_METRICS: [&str; MAX_N as usize] = [
    "gopher_repetition.duplicated_1_n_grams_char_frac",
    "gopher_repetition.duplicated_2_n_grams_char_frac",
    "gopher_repetition.duplicated_3_n_grams_char_frac",
    "gopher_repetition.duplicated_4_n_grams_char_frac",
    "gopher_repetition.duplicated_5_n_grams_char_frac",
    "gopher_repetition.duplicated_6_n_grams_char_frac",
    "gopher_repetition.duplicated_7_n_grams_char_frac",
    "gopher_repetition.duplicated_8_n_grams_char_frac",
    "gopher_repetition.duplicated_9_n_grams_char_frac",
    "gopher_repetition.duplicated_10_n_grams_char_frac",
    "gopher_repetition.duplicated_11_n_grams_char_frac",
    "gopher_repetition.duplicated_12_n_grams_char_frac",
    "gopher_repetition.duplicated_13_n_grams_char_frac",
    "gopher_repetition.duplicated_14_n_grams_char_frac",
    "gopher_repetition.duplicated_15_n_grams_char_frac",
    "gopher_repetition.duplicated_16_n_grams_char_frac",
    "gopher_repetition.duplicated_17_n_grams_char_frac",
    "gopher_repetition.duplicated_18_n_grams_char_frac",
    "gopher_repetition.duplicated_19_n_grams_char_frac",
    "gopher_repetition.duplicated_20_n_grams_char_frac",
];
/// Metric: duplicate paragraphs / paragraphs.
pub const METRIC_DUP_PARA_FRAC: &str = "gopher_repetition.dup_para_frac";
/// Metric: duplicate paragraph characters / text characters.
pub const METRIC_DUP_PARA_CHAR_FRAC: &str = "gopher_repetition.dup_para_char_frac";
/// Metric: duplicate lines / lines.
pub const METRIC_DUP_LINE_FRAC: &str = "gopher_repetition.dup_line_frac";
/// Metric: duplicate line characters / text characters.
pub const METRIC_DUP_LINE_CHAR_FRAC: &str = "gopher_repetition.dup_line_char_frac";

/// Thresholds of the Gopher repetition rules. Defaults are datatrove 0.10.1's (Gopher table A1).
///
/// The four `dup_*` fractions are disabled by `None` or zero (datatrove's truthiness test). The
/// n-gram lists are `[n, max_char_fraction]` pairs, checked in list order; their fractions are read
/// by [`judge`], their `n` values by [`GopherRepetition::measure`] (a new `n` needs a new
/// measurement). `n` must be in 1..=[`MAX_N`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GopherRepetitionConfig {
    /// Maximum share of lines that repeat an earlier line. Default 0.3.
    pub dup_line_frac: Option<f64>,
    /// Maximum share of paragraphs (split on 2+ newlines) that repeat an earlier one. Default 0.3.
    pub dup_para_frac: Option<f64>,
    /// Maximum characters in repeated lines over text characters. Default 0.2.
    pub dup_line_char_frac: Option<f64>,
    /// Maximum characters in repeated paragraphs over text characters. Default 0.2.
    pub dup_para_char_frac: Option<f64>,
    /// `[n, fraction]`: maximum characters covered by the most frequent word n-gram (space-joined
    /// length × count) over text characters. Default `[[2, 0.2], [3, 0.18], [4, 0.16]]`.
    pub top_n_grams: Vec<(u32, f64)>,
    /// `[n, fraction]`: maximum characters in repeated word n-grams (datatrove's greedy scan)
    /// over text characters. Default `[[5, 0.15], [6, 0.14], … [10, 0.10]]`.
    pub dup_n_grams: Vec<(u32, f64)>,
}

impl Default for GopherRepetitionConfig {
    fn default() -> Self {
        GopherRepetitionConfig {
            dup_line_frac: Some(0.3),
            dup_para_frac: Some(0.3),
            dup_line_char_frac: Some(0.2),
            dup_para_char_frac: Some(0.2),
            top_n_grams: vec![(2, 0.2), (3, 0.18), (4, 0.16)],
            dup_n_grams: vec![
                (5, 0.15),
                (6, 0.14),
                (7, 0.13),
                (8, 0.12),
                (9, 0.11),
                (10, 0.10),
            ],
        }
    }
}

impl GopherRepetitionConfig {
    /// Checks that every n-gram size is in 1..=[`MAX_N`].
    pub fn validate(&self) -> Result<(), String> {
        for (n, _) in self.top_n_grams.iter().chain(&self.dup_n_grams) {
            if *n == 0 || *n > MAX_N {
                return Err(format!(
                    "gopher_repetition: n-gram size {n} is outside 1..={MAX_N}"
                ));
            }
        }
        Ok(())
    }
}

/// Everything the repetition rules look at, as exact counts. Lengths are in code points.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GopherRepetitionMetrics {
    /// Length of the whole text (the denominator of every character fraction).
    pub text_chars: u32,
    /// Paragraphs of the stripped text split on runs of 2+ newlines.
    pub paragraphs: u32,
    /// Paragraphs equal to an earlier paragraph.
    pub dup_paragraphs: u32,
    /// Total length of those repeated paragraphs.
    pub dup_paragraph_chars: u32,
    /// Lines of the text split on runs of newlines (leading/trailing empties included).
    pub lines: u32,
    /// Lines equal to an earlier line.
    pub dup_lines: u32,
    /// Total length of those repeated lines.
    pub dup_line_chars: u32,
    /// `(n, chars)`: length × count of the most frequent n-gram; `None` when the text has fewer
    /// than `n` words (datatrove skips the rule then).
    pub top_n_gram_chars: Vec<(u32, Option<u32>)>,
    /// `(n, chars)`: characters in repeated n-grams.
    pub dup_n_gram_chars: Vec<(u32, u32)>,
}

impl GopherRepetitionMetrics {
    fn top_frac(&self, n: u32) -> Option<f64> {
        let (_, chars) = self.top_n_gram_chars.iter().find(|(m, _)| *m == n)?;
        chars.map(|c| ratio(c as u64, self.text_chars as u64))
    }
    fn dup_frac(&self, n: u32) -> Option<f64> {
        let (_, chars) = self.dup_n_gram_chars.iter().find(|(m, _)| *m == n)?;
        Some(ratio(*chars as u64, self.text_chars as u64))
    }
    /// Duplicate paragraphs / paragraphs.
    pub fn dup_para_frac(&self) -> f64 {
        ratio(self.dup_paragraphs as u64, self.paragraphs as u64)
    }
    /// Duplicate paragraph characters / text characters.
    pub fn dup_para_char_frac(&self) -> f64 {
        ratio(self.dup_paragraph_chars as u64, self.text_chars as u64)
    }
    /// Duplicate lines / lines.
    pub fn dup_line_frac(&self) -> f64 {
        ratio(self.dup_lines as u64, self.lines as u64)
    }
    /// Duplicate line characters / text characters.
    pub fn dup_line_char_frac(&self) -> f64 {
        ratio(self.dup_line_chars as u64, self.text_chars as u64)
    }

    /// Named scores for histograms, in the order of the checks. A top n-gram share is NaN when
    /// the text has fewer than n words.
    pub fn scores(&self) -> Vec<(&'static str, f64)> {
        let mut out = vec![
            (METRIC_DUP_PARA_FRAC, self.dup_para_frac()),
            (METRIC_DUP_PARA_CHAR_FRAC, self.dup_para_char_frac()),
            (METRIC_DUP_LINE_FRAC, self.dup_line_frac()),
            (METRIC_DUP_LINE_CHAR_FRAC, self.dup_line_char_frac()),
        ];
        for (n, _) in &self.top_n_gram_chars {
            out.push((
                TOP_N_GRAM_METRICS[*n as usize - 1],
                self.top_frac(*n).unwrap_or(f64::NAN),
            ));
        }
        for (n, _) in &self.dup_n_gram_chars {
            out.push((
                DUPLICATED_N_GRAMS_METRICS[*n as usize - 1],
                self.dup_frac(*n).unwrap_or(f64::NAN),
            ));
        }
        out
    }
}

/// The Gopher repetition filter, prepared from its config.
#[derive(Debug, Clone)]
pub struct GopherRepetition {
    config: GopherRepetitionConfig,
}

impl GopherRepetition {
    /// Prepares the filter; fails on an n-gram size outside 1..=[`MAX_N`].
    pub fn new(config: GopherRepetitionConfig) -> Result<Self, String> {
        config.validate()?;
        Ok(GopherRepetition { config })
    }

    /// The config this filter was prepared with.
    pub fn config(&self) -> &GopherRepetitionConfig {
        &self.config
    }

    /// Measures `text`, tokenizing it with [`crate::text::tokenizer`].
    pub fn measure(&self, text: &str) -> GopherRepetitionMetrics {
        let words = super::word_tokens(text);
        self.measure_words(text, &words)
    }

    /// Measures `text` whose word tokens (datatrove's `split_into_words`) are already known.
    pub fn measure_words(&self, text: &str, words: &[&str]) -> GopherRepetitionMetrics {
        // datatrove stops at an empty text ("empty"); the counts below are still well defined
        // for it (one empty paragraph, one empty line, no n-grams), so every row has every
        // metric, its character fractions being 0/0 = NaN.
        let mut metrics = GopherRepetitionMetrics {
            text_chars: saturate(py_len(text)),
            ..Default::default()
        };
        let paragraphs = split_newline_runs(py_strip(text), 2);
        let (count, dups, chars) = find_duplicates(&paragraphs);
        (
            metrics.paragraphs,
            metrics.dup_paragraphs,
            metrics.dup_paragraph_chars,
        ) = (count, dups, chars);
        let lines = split_newline_runs(text, 1);
        let (count, dups, chars) = find_duplicates(&lines);
        (metrics.lines, metrics.dup_lines, metrics.dup_line_chars) = (count, dups, chars);

        let word_chars: Vec<u32> = words.iter().map(|w| saturate(py_len(w))).collect();
        let concatenated = Concatenation::new(words, &word_chars);
        if !self.config.top_n_grams.is_empty() {
            let word_hashes = PrefixHashes::new(concatenated.word_hashes());
            for (n, _) in &self.config.top_n_grams {
                let chars = top_n_gram_chars(&concatenated, &word_hashes, &word_chars, *n as usize);
                metrics.top_n_gram_chars.push((*n, chars));
            }
        }
        for (n, _) in &self.config.dup_n_grams {
            metrics
                .dup_n_gram_chars
                .push((*n, concatenated.repeated_n_gram_chars(*n as usize)));
        }
        metrics
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Python's `re.split(r"\n{min_run,}", text)`: pieces between runs of at least `min_run`
/// newlines, empty leading/trailing pieces kept.
fn split_newline_runs(text: &str, min_run: usize) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while let Some(offset) = memchr::memchr(b'\n', &bytes[i..]) {
        let run_start = i + offset;
        let mut run_end = run_start;
        while run_end < bytes.len() && bytes[run_end] == b'\n' {
            run_end += 1;
        }
        if run_end - run_start >= min_run {
            pieces.push(&text[start..run_start]);
            start = run_end;
        }
        i = run_end;
    }
    pieces.push(&text[start..]);
    pieces
}

/// datatrove's `find_duplicates`: `(elements, repeated elements, characters in repeated
/// elements)`, where an element is repeated if it equals an earlier one.
fn find_duplicates(elements: &[&str]) -> (u32, u32, u32) {
    let mut seen: HashSet<&str, FoldBuildHasher> =
        HashSet::with_capacity_and_hasher(elements.len(), FoldBuildHasher::default());
    let (mut dups, mut chars) = (0u32, 0u64);
    for element in elements {
        if !seen.insert(element) {
            dups += 1;
            chars += py_len(element) as u64;
        }
    }
    (
        saturate(elements.len()),
        dups,
        u32::try_from(chars).unwrap_or(u32::MAX),
    )
}

/// Multiplier of the polynomial prefix hashes (odd, so its powers never vanish mod 2^64).
const HASH_BASE: u64 = 0x9E37_79B9_7F4A_7C15;

/// `HASH_BASE^exp` mod 2^64.
fn base_pow(mut exp: usize) -> u64 {
    let (mut result, mut base) = (1u64, HASH_BASE);
    while exp > 0 {
        if exp & 1 == 1 {
            result = result.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        exp >>= 1;
    }
    result
}

/// MurmurHash3's 64-bit finaliser: spreads a polynomial hash over all bits (hash tables index
/// by the low bits, which a polynomial hash mod 2^64 mixes poorly).
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Polynomial prefix hashes of a sequence, so that any window hashes in O(1):
/// `hash(a..b) = prefix[b] - prefix[a] · BASE^(b-a)`.
struct PrefixHashes {
    prefix: Vec<u64>,
}

impl PrefixHashes {
    fn new(items: impl Iterator<Item = u64>) -> Self {
        let mut prefix = vec![0u64];
        let mut h = 0u64;
        for item in items {
            h = h.wrapping_mul(HASH_BASE).wrapping_add(item);
            prefix.push(h);
        }
        PrefixHashes { prefix }
    }

    /// The mixed hash of window `start..end`, given `BASE^(end - start)`.
    #[inline]
    fn window(&self, start: usize, end: usize, base_pow: u64) -> u64 {
        mix(self.prefix[end].wrapping_sub(self.prefix[start].wrapping_mul(base_pow)))
    }
}

/// A window of a sequence keyed by its precomputed hash: hashing a key costs nothing, and
/// equality still compares the contents, so a hash collision can never merge two different
/// windows.
#[derive(Clone, Copy)]
struct Window<'a, T> {
    hash: u64,
    items: &'a [T],
}

impl<T: PartialEq> PartialEq for Window<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.items == other.items
    }
}

impl<T: Eq> Eq for Window<'_, T> {}

impl<T> Hash for Window<'_, T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Hasher for [`Window`] keys: their hash is already mixed, so it is passed through.
#[derive(Default)]
struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only reached for keys other than `Window`; fold the bytes in so it stays a hash.
        for b in bytes {
            self.0 = (self.0 ^ *b as u64).wrapping_mul(HASH_BASE);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type WindowBuildHasher = BuildHasherDefault<PassThroughHasher>;

/// Which window hashes occur more than once, up to false positives: two bitsets indexed by the
/// hash. A window whose hash is not flagged has content found nowhere else in the document, so it
/// can neither repeat nor be repeated and needs no place in an exact hash set; skipping those
/// (most windows of ordinary prose) is what keeps the n-gram rules cheap.
struct RepeatFilter {
    once: Vec<u64>,
    twice: Vec<u64>,
    mask: usize,
}

impl RepeatFilter {
    /// A filter for `hashes`, sized at 16 bits per window (about 6 % false positives).
    fn new(hashes: &[u64]) -> Self {
        let bits = (hashes.len() * 16).next_power_of_two().max(64);
        let mut filter = RepeatFilter {
            once: vec![0; bits / 64],
            twice: vec![0; bits / 64],
            mask: bits - 1,
        };
        for hash in hashes {
            let (word, bit) = filter.slot(*hash);
            // Branch-free: whether a hash was seen before is as good as random.
            let once = filter.once[word];
            filter.twice[word] |= once & bit;
            filter.once[word] = once | bit;
        }
        filter
    }

    #[inline]
    fn slot(&self, hash: u64) -> (usize, u64) {
        let index = (hash >> 7) as usize & self.mask;
        (index >> 6, 1u64 << (index & 63))
    }

    /// Whether another window may have the same content.
    #[inline]
    fn may_repeat(&self, hash: u64) -> bool {
        let (word, bit) = self.slot(hash);
        self.twice[word] & bit != 0
    }
}

/// datatrove's `find_top_duplicate` over the space-joined n-grams: length × count of the most
/// frequent n-gram, ties going to the one seen first (`Counter.most_common(1)` keeps insertion
/// order among equal counts). `None` with fewer than `n` words.
///
/// Space-joined n-grams are equal exactly when their word sequences are (tokens never contain a
/// space), so windows of words stand in for the joined strings. Only windows that may repeat are
/// counted: if none occurs twice, every count is 1 and the first window wins.
fn top_n_gram_chars(
    concatenated: &Concatenation,
    word_hashes: &PrefixHashes,
    word_chars: &[u32],
    n: usize,
) -> Option<u32> {
    let words = concatenated.words();
    if n == 0 || words < n {
        return None;
    }
    let pow = base_pow(n);
    let hashes: Vec<u64> = (0..words - n + 1)
        .map(|start| word_hashes.window(start, start + n, pow))
        .collect();
    let filter = RepeatFilter::new(&hashes);
    // Value: (count, first window index).
    let mut counts: HashMap<WordWindow, (u32, u32), WindowBuildHasher> = HashMap::default();
    for (start, hash) in hashes.iter().enumerate() {
        if filter.may_repeat(*hash) {
            let key = WordWindow {
                hash: *hash,
                start: start as u32,
                n: n as u32,
                words: concatenated,
            };
            counts.entry(key).or_insert((0, start as u32)).0 += 1;
        }
    }
    let (count, first) = counts
        .values()
        .copied()
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        .filter(|(count, _)| *count >= 2)
        .unwrap_or((1, 0));
    let first = first as usize;
    let joined_len: u64 = word_chars[first..first + n]
        .iter()
        .map(|c| *c as u64)
        .sum::<u64>()
        + (n as u64 - 1);
    Some(u32::try_from(joined_len * count as u64).unwrap_or(u32::MAX))
}

/// A window of `n` words keyed by its precomputed hash; equal when the word sequences are equal
/// (compared as one byte slice of the concatenation plus the word lengths, not word by word).
#[derive(Clone, Copy)]
struct WordWindow<'a> {
    hash: u64,
    start: u32,
    n: u32,
    words: &'a Concatenation,
}

impl PartialEq for WordWindow<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash
            && self.n == other.n
            && self
                .words
                .same_words(self.start as usize, other.start as usize, self.n as usize)
    }
}

impl Eq for WordWindow<'_> {}

impl Hash for WordWindow<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// All words concatenated without separators, with each word's byte offset, cumulative code
/// point count and the prefix hashes of the bytes, so that any run of words is one byte slice
/// with an O(1) hash. datatrove joins the duplicated n-grams with `""`, so ["ab", "c"] and
/// ["a", "bc"] are the same n-gram: comparing the concatenated bytes reproduces that exactly.
struct Concatenation {
    bytes: Vec<u8>,
    /// `byte_offsets[i]` = start of word i; one extra entry at the end.
    byte_offsets: Vec<usize>,
    /// `char_offsets[i]` = code points before word i; one extra entry at the end.
    char_offsets: Vec<u64>,
    hashes: PrefixHashes,
    /// `BASE^k` for short lengths k (most windows); longer ones are computed.
    pows: Vec<u64>,
}

impl Concatenation {
    fn new(words: &[&str], word_chars: &[u32]) -> Self {
        let total: usize = words.iter().map(|w| w.len()).sum();
        let mut bytes = Vec::with_capacity(total);
        let mut byte_offsets = Vec::with_capacity(words.len() + 1);
        let mut char_offsets = Vec::with_capacity(words.len() + 1);
        let mut chars = 0u64;
        for (word, n_chars) in words.iter().zip(word_chars) {
            byte_offsets.push(bytes.len());
            char_offsets.push(chars);
            bytes.extend_from_slice(word.as_bytes());
            chars += *n_chars as u64;
        }
        byte_offsets.push(bytes.len());
        char_offsets.push(chars);
        let hashes = PrefixHashes::new(bytes.iter().map(|b| *b as u64 + 1));
        let mut pows = Vec::with_capacity(257);
        let mut p = 1u64;
        for _ in 0..=256 {
            pows.push(p);
            p = p.wrapping_mul(HASH_BASE);
        }
        Concatenation {
            bytes,
            byte_offsets,
            char_offsets,
            hashes,
            pows,
        }
    }

    fn words(&self) -> usize {
        self.byte_offsets.len() - 1
    }

    /// Whether words `s..s + n` and `t..t + n` are the same words: the same bytes, split at the
    /// same places.
    #[inline]
    fn same_words(&self, s: usize, t: usize, n: usize) -> bool {
        let offsets = &self.byte_offsets;
        let (a, b) = (offsets[s], offsets[t]);
        offsets[s + n] - a == offsets[t + n] - b
            && (1..n).all(|k| offsets[s + k] - a == offsets[t + k] - b)
            && self.bytes[a..offsets[s + n]] == self.bytes[b..offsets[t + n]]
    }

    /// The key of words `start..end`: their concatenated bytes.
    #[inline]
    fn key(&self, start: usize, end: usize) -> Window<'_, u8> {
        let (a, b) = (self.byte_offsets[start], self.byte_offsets[end]);
        let pow = self
            .pows
            .get(b - a)
            .copied()
            .unwrap_or_else(|| base_pow(b - a));
        Window {
            hash: self.hashes.window(a, b, pow),
            items: &self.bytes[a..b],
        }
    }

    /// The hash of each word's bytes.
    fn word_hashes(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.words()).map(|i| self.key(i, i + 1).hash)
    }

    /// datatrove's `find_all_duplicate`: scan windows left to right; a window equal to an earlier
    /// *recorded* window adds its length and jumps past itself (its inner windows are never
    /// recorded), otherwise it is recorded and the scan moves one word.
    fn repeated_n_gram_chars(&self, n: usize) -> u32 {
        let words = self.words();
        if n == 0 || words < n {
            return 0;
        }
        let hashes: Vec<u64> = (0..words - n + 1)
            .map(|start| self.key(start, start + n).hash)
            .collect();
        let filter = RepeatFilter::new(&hashes);
        let mut seen: HashSet<Window<u8>, WindowBuildHasher> = HashSet::default();
        let mut repeated = 0u64;
        let mut start = 0;
        while start + n <= words {
            // A window with unique content is never found again: recording it changes nothing.
            if !filter.may_repeat(hashes[start]) || seen.insert(self.key(start, start + n)) {
                start += 1;
            } else {
                repeated += self.char_offsets[start + n] - self.char_offsets[start];
                start += n;
            }
        }
        u32::try_from(repeated).unwrap_or(u32::MAX)
    }
}

/// datatrove's truthiness test on an optional threshold: `None` and zero disable the rule.
fn active(threshold: Option<f64>) -> Option<f64> {
    threshold.filter(|t| *t != 0.0)
}

/// The first failing rule in datatrove's order, or `None` if the document passes. N-gram rules
/// whose `n` was not measured are skipped.
pub fn judge(
    metrics: &GopherRepetitionMetrics,
    config: &GopherRepetitionConfig,
) -> Option<&'static str> {
    if metrics.text_chars == 0 {
        return Some(EMPTY);
    }
    if active(config.dup_para_frac).is_some_and(|max| metrics.dup_para_frac() > max) {
        return Some(DUP_PARA_FRAC);
    }
    if active(config.dup_para_char_frac).is_some_and(|max| metrics.dup_para_char_frac() > max) {
        return Some(DUP_PARA_CHAR_FRAC);
    }
    if active(config.dup_line_frac).is_some_and(|max| metrics.dup_line_frac() > max) {
        return Some(DUP_LINE_FRAC);
    }
    if active(config.dup_line_char_frac).is_some_and(|max| metrics.dup_line_char_frac() > max) {
        return Some(DUP_LINE_CHAR_FRAC);
    }
    for (n, max) in &config.top_n_grams {
        if metrics.top_frac(*n).is_some_and(|frac| frac > *max) {
            return TOP_N_GRAM_CODES.get(*n as usize - 1).copied();
        }
    }
    for (n, max) in &config.dup_n_grams {
        if metrics.dup_frac(*n).is_some_and(|frac| frac > *max) {
            return DUPLICATED_N_GRAMS_CODES.get(*n as usize - 1).copied();
        }
    }
    None
}

/// The thresholds of `config` against the metrics of [`GopherRepetitionMetrics::scores`].
pub fn thresholds(config: &GopherRepetitionConfig) -> Vec<Threshold> {
    let mut out = Vec::new();
    let fixed = [
        (METRIC_DUP_PARA_FRAC, DUP_PARA_FRAC, config.dup_para_frac),
        (
            METRIC_DUP_PARA_CHAR_FRAC,
            DUP_PARA_CHAR_FRAC,
            config.dup_para_char_frac,
        ),
        (METRIC_DUP_LINE_FRAC, DUP_LINE_FRAC, config.dup_line_frac),
        (
            METRIC_DUP_LINE_CHAR_FRAC,
            DUP_LINE_CHAR_FRAC,
            config.dup_line_char_frac,
        ),
    ];
    for (metric, reason, value) in fixed {
        if let Some(value) = active(value) {
            out.push(Threshold {
                metric,
                reason,
                bound: Bound::Max,
                value,
            });
        }
    }
    for (n, value) in &config.top_n_grams {
        if (1..=MAX_N).contains(n) {
            let i = *n as usize - 1;
            out.push(Threshold {
                metric: TOP_N_GRAM_METRICS[i],
                reason: TOP_N_GRAM_CODES[i],
                bound: Bound::Max,
                value: *value,
            });
        }
    }
    for (n, value) in &config.dup_n_grams {
        if (1..=MAX_N).contains(n) {
            let i = *n as usize - 1;
            out.push(Threshold {
                metric: DUPLICATED_N_GRAMS_METRICS[i],
                reason: DUPLICATED_N_GRAMS_CODES[i],
                bound: Bound::Max,
                value: *value,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> GopherRepetition {
        GopherRepetition::new(GopherRepetitionConfig::default()).unwrap()
    }

    #[test]
    fn splits_like_python_re_split() {
        // re.split(r"\n{2,}", "a\n\nb\nc\n\n\nd") == ['a', 'b\nc', 'd']
        assert_eq!(
            split_newline_runs("a\n\nb\nc\n\n\nd", 2),
            vec!["a", "b\nc", "d"]
        );
        // re.split("\n+", "\na\n\nb\n") == ['', 'a', 'b', '']
        assert_eq!(split_newline_runs("\na\n\nb\n", 1), vec!["", "a", "b", ""]);
        assert_eq!(split_newline_runs("abc", 1), vec!["abc"]);
    }

    #[test]
    fn duplicate_counts() {
        assert_eq!(
            find_duplicates(&["a", "bb", "a", "bb", "bb", ""]),
            (6, 3, 5)
        );
    }

    #[test]
    fn top_n_gram_ties_go_to_the_first_seen() {
        // Bigrams: "a b" ×2, "b c" ×1, "c a"... ; "xx yy" ×2 appears later with a longer length:
        // the tie at count 2 goes to "a b" (length 3), as Counter.most_common(1) does.
        let words = ["a", "b", "a", "b", "xx", "yy", "xx", "yy"];
        let chars: Vec<u32> = words.iter().map(|w| w.len() as u32).collect();
        let concatenated = Concatenation::new(&words, &chars);
        let hashes = PrefixHashes::new(concatenated.word_hashes());
        assert_eq!(
            top_n_gram_chars(&concatenated, &hashes, &chars, 2),
            Some(3 * 2)
        );
        assert_eq!(top_n_gram_chars(&concatenated, &hashes, &chars, 9), None);
        // No bigram repeats: every count is 1 and the first bigram ("a b", 3 chars) wins.
        let words = ["a", "b", "ccc", "dddd"];
        let chars: Vec<u32> = words.iter().map(|w| w.len() as u32).collect();
        let concatenated = Concatenation::new(&words, &chars);
        let hashes = PrefixHashes::new(concatenated.word_hashes());
        assert_eq!(top_n_gram_chars(&concatenated, &hashes, &chars, 2), Some(3));
    }

    #[test]
    fn repeated_n_grams_use_concatenation_and_skip() {
        // datatrove: find_all_duplicate(["ab","c","a","bc"], 2): "abc" recorded, "ca" recorded,
        // "abc" repeated (+3).
        let words = ["ab", "c", "a", "bc"];
        let chars: Vec<u32> = words.iter().map(|w| w.len() as u32).collect();
        assert_eq!(
            Concatenation::new(&words, &chars).repeated_n_gram_chars(2),
            3
        );
        // x y x y x y with n=2: "xy","yx" recorded, then "xy" repeated at 2 (+2, jump to 4),
        // "xy" repeated at 4 (+2).
        let words = ["x", "y", "x", "y", "x", "y"];
        let chars = vec![1; 6];
        assert_eq!(
            Concatenation::new(&words, &chars).repeated_n_gram_chars(2),
            4
        );
    }

    #[test]
    fn windows_with_equal_hashes_but_different_content_stay_distinct() {
        let (a, b) = (
            Window {
                hash: 7,
                items: &b"ab"[..],
            },
            Window {
                hash: 7,
                items: &b"ba"[..],
            },
        );
        assert!(a != b);
        let mut set: HashSet<Window<u8>, WindowBuildHasher> = HashSet::default();
        assert!(set.insert(a) && set.insert(b));
        assert!(!set.insert(Window {
            hash: 7,
            items: &b"ab"[..]
        }));
    }

    #[test]
    fn long_words_hash_consistently() {
        // 300-byte words exceed the precomputed powers; the repeated pair must still be found.
        let long_a = "a".repeat(300);
        let long_b = "b".repeat(300);
        let words = [
            long_a.as_str(),
            long_b.as_str(),
            "x",
            long_a.as_str(),
            long_b.as_str(),
        ];
        let chars: Vec<u32> = words.iter().map(|w| w.len() as u32).collect();
        assert_eq!(
            Concatenation::new(&words, &chars).repeated_n_gram_chars(2),
            600
        );
    }

    /// datatrove's `find_all_duplicate`, transcribed naively with joined strings.
    fn naive_all_duplicate(words: &[&str], n: usize) -> u32 {
        let mut unique = HashSet::new();
        let (mut repeated, mut idx) = (0, 0);
        while words.len() >= n && idx < words.len() - n + 1 {
            let gram: String = words[idx..idx + n].concat();
            if unique.contains(&gram) {
                repeated += gram.chars().count() as u32;
                idx += n;
            } else {
                unique.insert(gram);
                idx += 1;
            }
        }
        repeated
    }

    /// datatrove's `find_top_duplicate` (Counter.most_common(1): first-inserted among the most
    /// frequent), transcribed naively.
    fn naive_top_duplicate(words: &[&str], n: usize) -> Option<u32> {
        if words.len() < n {
            return None;
        }
        let mut order: Vec<String> = Vec::new();
        let mut counts: HashMap<String, u32> = HashMap::new();
        for start in 0..words.len() - n + 1 {
            let gram = words[start..start + n].join(" ");
            if !counts.contains_key(&gram) {
                order.push(gram.clone());
            }
            *counts.entry(gram).or_default() += 1;
        }
        let best = order.iter().fold(None::<&String>, |best, g| match best {
            Some(b) if counts[b] >= counts[g] => Some(b),
            _ => Some(g),
        })?;
        Some(best.chars().count() as u32 * counts[best])
    }

    #[test]
    fn matches_naive_transcription_on_random_repetitive_text() {
        use rand::{rngs::SmallRng, Rng, SeedableRng};
        // A tiny vocabulary whose words concatenate ambiguously ("ab"+"c" = "a"+"bc").
        let vocabulary = ["a", "b", "c", "ab", "bc", "abc", "é", "ü", "the"];
        let mut rng = SmallRng::seed_from_u64(7);
        for _ in 0..400 {
            let len = rng.gen_range(0..80);
            let words: Vec<&str> = (0..len)
                .map(|_| vocabulary[rng.gen_range(0..vocabulary.len())])
                .collect();
            let chars: Vec<u32> = words.iter().map(|w| w.chars().count() as u32).collect();
            let concatenated = Concatenation::new(&words, &chars);
            let hashes = PrefixHashes::new(concatenated.word_hashes());
            for n in 1..=10 {
                assert_eq!(
                    concatenated.repeated_n_gram_chars(n),
                    naive_all_duplicate(&words, n),
                    "{words:?} n={n}"
                );
                assert_eq!(
                    top_n_gram_chars(&concatenated, &hashes, &chars, n),
                    naive_top_duplicate(&words, n),
                    "{words:?} n={n}"
                );
            }
        }
    }

    #[test]
    fn judges_repeated_lines() {
        let text = "same line here\nsame line here\nsame line here\nother";
        let words: Vec<&str> = text.split_whitespace().collect();
        let m = filter().measure_words(text, &words);
        assert_eq!((m.lines, m.dup_lines, m.dup_line_chars), (4, 2, 28));
        assert_eq!((m.paragraphs, m.dup_paragraphs), (1, 0));
        assert_eq!(
            judge(&m, &GopherRepetitionConfig::default()),
            Some(DUP_LINE_FRAC)
        );
        let lenient = GopherRepetitionConfig {
            dup_line_frac: None,
            ..Default::default()
        };
        assert_eq!(judge(&m, &lenient), Some(DUP_LINE_CHAR_FRAC));
    }

    #[test]
    fn empty_text() {
        let m = filter().measure_words("", &[]);
        assert_eq!(judge(&m, &GopherRepetitionConfig::default()), Some(EMPTY));
        assert_eq!(m.scores().len(), 4 + 3 + 6);
        assert!(m.scores()[1].1.is_nan());
    }

    #[test]
    fn rejects_out_of_range_n() {
        let config = GopherRepetitionConfig {
            top_n_grams: vec![(21, 0.1)],
            ..Default::default()
        };
        assert!(GopherRepetition::new(config).is_err());
        let parsed: GopherRepetitionConfig =
            serde_json::from_str(r#"{"top_n_grams": [[2, 0.5]]}"#).unwrap();
        assert_eq!(parsed.top_n_grams, vec![(2, 0.5)]);
        assert_eq!(parsed.dup_n_grams.len(), 6);
    }
}
