//! datatrove's default English word tokenizer, reproduced exactly.
//!
//! datatrove 0.10.1 `load_word_tokenizer("en")` is `SpaCyTokenizer("en")`: spaCy 3.8's blank
//! English pipeline (rule-based tokenizer, no model) plus the `sentencizer`. This module ports
//! the tokenizer algorithm of `spacy/tokenizer.pyx` (`_tokenize_affixes`, `_split_affixes`,
//! `_attach_tokens`, `_apply_special_cases`) and the English rules (prefixes, suffixes, infixes,
//! `URL_MATCH`, tokenizer exceptions). The rule data is generated from the installed spaCy by
//! `scripts/gen_text_tables.py` into [`super::tables`].
//!
//! Every token is a sub-slice of the input: spaCy's exceptions only split text (their pieces
//! concatenate back to the original), so tokens are reported as byte ranges of the input.
//! Offsets are UTF-8 byte offsets (Python reports code-point offsets).
//!
//! Agreement with datatrove (scripts/gen_text_fixture.py + tests/text_agreement.rs): identical
//! token lists, sentence splits and simplified text on all 3,498 web-text and chat documents of
//! the shared data (15.2 MB) and on 40,000 synthetic stress strings. Known, deliberate gaps:
//! - datatrove retries a text whose spaCy run raised an error with every "IS_ALPHA" removed (an
//!   old spaCy bug); that retry is not reproduced.
//! - Character tables come from Python 3.11 (Unicode 14.0), but lower-casing and canonical
//!   decomposition use Rust's and `unicode-normalization`'s newer Unicode data: only characters
//!   assigned after Unicode 14.0 can differ.
//! - URL_MATCH's IPv4 branch is checked on the regex's first parse only; Python's backtracking
//!   could find a different parse for strings with several '@'.
//! - The tokenizer's result cache is not modelled: datatrove tokenizes inside spaCy's
//!   `memory_zone`, where nothing is cached, so uncached behaviour is the reference.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::charclass::is_py_space;
use super::tables::{
    ALPHA, ALPHA_OR_DIGIT, ALPHA_UPPER, ICONS, INFIX_DOT_AFTER, INFIX_DOT_BEFORE, MATCHER_PATTERNS,
    PREFIX_RULES, SPECIAL_CASES, SUFFIX_CURRENCIES, SUFFIX_DOT_AFTER, SUFFIX_LITERALS,
    SUFFIX_UNITS, URL_HOST_PATTERN, URL_IP_PATTERN,
};

/// One alternative of spaCy's English prefix regex, tried in table order (the regex is an
/// ordered alternation anchored at the start, so the first alternative that matches wins).
pub(crate) enum PrefixRule {
    /// A fixed string.
    Literal(&'static str),
    /// `\.\.+`: two or more full stops.
    Dots,
    /// One character of spaCy's symbol class (LIST_ICONS).
    Icon,
    /// `\+(?![0-9])`: a plus sign not followed by an ASCII digit.
    PlusNotBeforeDigit,
}

/// Python's white space among ASCII characters: \t \n \v \f \r, U+001C..U+001F and ' '.
const ASCII_PY_SPACE: u128 =
    (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (0xF << 28) | (1 << 32);

const BYTE_SPACE: u8 = 1;
const BYTE_ALPHA: u8 = 2;
const BYTE_DIGIT: u8 = 4;
const BYTE_NON_ASCII: u8 = 8;

/// Per-byte classes for the chunking scan.
static BYTE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        table[b] = if b >= 0x80 {
            BYTE_NON_ASCII
        } else if (ASCII_PY_SPACE >> b) & 1 == 1 {
            BYTE_SPACE
        } else if (b as u8).is_ascii_alphabetic() {
            BYTE_ALPHA
        } else if (b as u8).is_ascii_digit() {
            BYTE_DIGIT
        } else {
            0
        };
        b += 1;
    }
    table
};

/// All tokens of `text` as spaCy's English tokenizer produces them, including the tokens made of
/// white space (any run of white space other than the single ASCII space that follows a token).
///
/// The ranges are byte ranges into `text`, in order, non-overlapping.
pub fn spacy_tokens(text: &str) -> Vec<Range<usize>> {
    let mut tokens: Vec<Range<usize>> = Vec::with_capacity(text.len() / 4 + 1);
    let Some(first) = text.chars().next() else {
        return tokens;
    };
    // Split into maximal runs of white space / non-white space; a single ' ' directly after a
    // non-space run is the token's trailing space and not a token itself.
    let bytes = text.as_bytes();
    let mut in_ws = is_py_space(first);
    let mut start = 0usize;
    // For the current non-space run: BYTE_ALPHA / BYTE_DIGIT if every byte so far is one.
    let mut run_kind = BYTE_ALPHA | BYTE_DIGIT;
    let mut i = 0usize;
    while i < bytes.len() {
        // Tight scan over the common case: ASCII non-space bytes inside a non-space run.
        if !in_ws {
            while i < bytes.len() {
                let class = BYTE_CLASS[usize::from(bytes[i])];
                if class & (BYTE_SPACE | BYTE_NON_ASCII) != 0 {
                    break;
                }
                run_kind &= class;
                i += 1;
            }
            if i == bytes.len() {
                break;
            }
        }
        let b = bytes[i];
        let (is_space, width) = if b < 0x80 {
            (super::charclass::ascii_bit(ASCII_PY_SPACE, b.into()), 1)
        } else {
            let c = text[i..].chars().next().expect("char boundary");
            (is_py_space(c), c.len_utf8())
        };
        if is_space != in_ws {
            if start < i {
                tokenize_chunk(text, start, i, !in_ws && run_kind != 0, &mut tokens);
            }
            start = if b == b' ' { i + 1 } else { i };
            in_ws = !in_ws;
            run_kind = BYTE_ALPHA | BYTE_DIGIT;
        }
        if !is_space {
            // The first character of a run, or a non-ASCII one inside it.
            run_kind &= BYTE_CLASS[usize::from(b)];
        }
        i += width;
    }
    if start < text.len() {
        tokenize_chunk(
            text,
            start,
            text.len(),
            !in_ws && run_kind != 0,
            &mut tokens,
        );
    }
    apply_matched_special_cases(text, &mut tokens);
    tokens
}

/// datatrove's `SpaCyTokenizer("en").word_tokenize`: the spaCy tokens, `strip()`ped, without the
/// ones that are empty after stripping (the white-space tokens).
pub fn word_tokenize(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    for_each_word(text, |w| words.push(w));
    words
}

/// Calls `f` with each word of [`word_tokenize`] in order, without collecting them.
pub fn for_each_word<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    for range in spacy_tokens(text) {
        let token = &text[range];
        if is_word_token(token) {
            f(token);
        }
    }
}

/// Whether a token of [`spacy_tokens`] is a word of [`word_tokenize`] (is not white space).
///
/// A token is either all white space (a chunk of white space, or a piece of one) or has none
/// (rules never put white space into a non-space chunk), so `strip()` either empties it or leaves
/// it as is; looking at its first character is enough.
#[inline]
pub fn is_word_token(token: &str) -> bool {
    !token.starts_with(is_py_space)
}

/// The number of words [`word_tokenize`] returns.
pub fn count_words(text: &str) -> usize {
    let mut n = 0;
    for_each_word(text, |_| n += 1);
    n
}

/// datatrove's `split_into_words(text, "en")` (the same as [`word_tokenize`]).
pub fn split_into_words(text: &str) -> Vec<&str> {
    word_tokenize(text)
}

/// A small, fixed (not randomly seeded) multiplicative hasher for the rule lookups below: the
/// keys are short strings and the tables are built once.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    #[inline]
    fn write_u8(&mut self, b: u8) {
        self.write(&[b]);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A bit set over (first byte, last byte, length) of a set of keys: a cheap pre-check before a
/// hash-map lookup (false positives only).
struct EndsFilter(Box<[u64; 1024]>);

impl EndsFilter {
    fn new<'a>(keys: impl Iterator<Item = &'a str>) -> Self {
        let mut bits = Box::new([0u64; 1024]);
        for key in keys {
            let idx = Self::index(key);
            bits[idx / 64] |= 1 << (idx % 64);
        }
        EndsFilter(bits)
    }

    /// The first byte, the last byte and the length in 16 bits: the low six bits of each byte
    /// (distinct for `[a-z]`, so for the words of simplified text only 'p' and '0' share), and
    /// the length up to 15. Lower-case words that pass are then those sharing both ends and the
    /// length with a key, about 5 % of web text's words; an earlier mix that let the length
    /// overlap the first byte passed 16 % ("and", "that", "has"), each a mispredicted branch
    /// and a probe of the table behind.
    #[inline]
    fn index(key: &str) -> usize {
        Self::index_bytes(key.as_bytes())
    }

    #[inline]
    fn index_bytes(b: &[u8]) -> usize {
        Self::index_ends(b[0], b[b.len() - 1], b.len())
    }

    #[inline]
    fn index_ends(first: u8, last: u8, len: usize) -> usize {
        (usize::from(first & 0x3F) << 10) | (usize::from(last & 0x3F) << 4) | len.min(15)
    }

    #[inline]
    fn may_contain(&self, key: &str) -> bool {
        self.may_contain_bytes(key.as_bytes())
    }

    #[inline]
    fn may_contain_bytes(&self, key: &[u8]) -> bool {
        if key.is_empty() {
            return false;
        }
        let idx = Self::index_bytes(key);
        (self.0[idx / 64] >> (idx % 64)) & 1 == 1
    }

    /// [`EndsFilter::may_contain_bytes`] for a non-empty key given by its ends and length.
    #[inline]
    fn may_contain_ends(&self, first: u8, last: u8, len: usize) -> bool {
        let idx = Self::index_ends(first, last, len);
        (self.0[idx / 64] >> (idx % 64)) & 1 == 1
    }
}

struct SpecialCases {
    map: FxMap<&'static str, &'static [&'static str]>,
    ends: EndsFilter,
    max_len: usize,
}

fn special_cases() -> &'static SpecialCases {
    static CELL: OnceLock<SpecialCases> = OnceLock::new();
    CELL.get_or_init(|| SpecialCases {
        map: SPECIAL_CASES.iter().map(|&(k, v)| (k, v)).collect(),
        ends: EndsFilter::new(SPECIAL_CASES.iter().map(|(k, _)| *k)),
        max_len: SPECIAL_CASES
            .iter()
            .map(|(k, _)| k.len())
            .max()
            .unwrap_or(0),
    })
}

/// The pieces of a tokenizer exception (special case) whose text is exactly `s`.
#[inline]
pub(crate) fn special_case(s: &str) -> Option<&'static [&'static str]> {
    let cases = special_cases();
    if s.len() > cases.max_len || !cases.ends.may_contain(s) {
        return None;
    }
    cases.map.get(s).copied()
}

/// The tokenizer exceptions whose text is a plain word, `[a-z0]+` (what simplified ASCII text is
/// made of): an open-addressing table keyed by the word's bytes packed into a `u128` (every
/// such key is at most 16 bytes and has no NUL byte, so the zero-padded packing is exact). A
/// lookup is one multiply and usually one probe that finds an empty slot, with no
/// data-dependent branch for the common miss.
pub(crate) struct PlainWordSpecialCases {
    /// `(packed key, pieces)`; key 0 marks an empty slot.
    slots: Box<[(u128, &'static [&'static str])]>,
    /// Slot count minus one (a power of two minus one).
    mask: usize,
    max_len: usize,
    /// Asked first: 8 KB that stay in L1 where the slots (32 KB) do not, and a miss
    /// costs no multiply. Almost every word is a miss.
    ends: EndsFilter,
}

/// Longest plain-word key the packed table can hold.
pub(crate) const PLAIN_KEY_MAX: usize = 16;

/// `word` (at most [`PLAIN_KEY_MAX`] bytes) zero-padded into a little-endian `u128`.
#[inline]
pub(crate) fn pack_plain_word(word: &[u8]) -> u128 {
    let mut bytes = [0u8; PLAIN_KEY_MAX];
    bytes[..word.len()].copy_from_slice(word);
    u128::from_le_bytes(bytes)
}

impl PlainWordSpecialCases {
    #[inline]
    fn slot_of(&self, key: u128) -> usize {
        let folded = (key as u64) ^ ((key >> 64) as u64).rotate_left(29);
        (folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize & self.mask
    }

    /// The longest key.
    #[inline]
    pub(crate) fn max_len(&self) -> usize {
        self.max_len
    }

    /// [`special_case`] for a word of only ASCII lower-case letters and '0' (the caller
    /// guarantees it): the same answer, faster.
    #[inline]
    pub(crate) fn get(&self, word: &[u8]) -> Option<&'static [&'static str]> {
        if word.is_empty() || word.len() > self.max_len || !self.ends.may_contain_bytes(word) {
            return None;
        }
        self.get_packed(pack_plain_word(word))
    }

    /// The pre-check of [`PlainWordSpecialCases::get`] for a word of `len` bytes (1 to
    /// [`PlainWordSpecialCases::max_len`]) from `first` to `last`: `false` means no key.
    #[inline]
    pub(crate) fn may_contain(&self, first: u8, last: u8, len: usize) -> bool {
        self.ends.may_contain_ends(first, last, len)
    }

    /// [`PlainWordSpecialCases::get`] for a word already packed by [`pack_plain_word`] (and no
    /// longer than [`PlainWordSpecialCases::max_len`]).
    #[inline]
    pub(crate) fn get_packed(&self, key: u128) -> Option<&'static [&'static str]> {
        let mut slot = self.slot_of(key);
        loop {
            let (stored, pieces) = self.slots[slot];
            if stored == key {
                return Some(pieces);
            }
            if stored == 0 {
                return None;
            }
            slot = (slot + 1) & self.mask;
        }
    }
}

pub(crate) fn plain_word_special_cases() -> &'static PlainWordSpecialCases {
    static CELL: OnceLock<PlainWordSpecialCases> = OnceLock::new();
    CELL.get_or_init(|| {
        let plain: Vec<(&'static str, &'static [&'static str])> = SPECIAL_CASES
            .iter()
            .copied()
            .filter(|(k, _)| {
                !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'0')
            })
            .collect();
        let max_len = plain.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        assert!(
            max_len <= PLAIN_KEY_MAX,
            "plain special case longer than {PLAIN_KEY_MAX} bytes"
        );
        // At most 1/4 full, so a miss almost always ends at the first probe.
        let size = (plain.len() * 4).next_power_of_two().max(16);
        let mut table = PlainWordSpecialCases {
            slots: vec![(0u128, &[][..]); size].into_boxed_slice(),
            mask: size - 1,
            max_len,
            ends: EndsFilter::new(plain.iter().map(|(k, _)| *k)),
        };
        for (key, pieces) in plain {
            let packed = pack_plain_word(key.as_bytes());
            let mut slot = table.slot_of(packed);
            while table.slots[slot].0 != 0 {
                slot = (slot + 1) & table.mask;
            }
            table.slots[slot] = (packed, pieces);
        }
        table
    })
}

/// Pushes the pieces of a special case that starts at byte `start` of the text.
pub(crate) fn push_pieces(pieces: &[&str], mut start: usize, tokens: &mut Vec<Range<usize>>) {
    for piece in pieces {
        tokens.push(start..start + piece.len());
        start += piece.len();
    }
}

/// Tokenizes one chunk `text[start..end]` (a run of white space or of non-space characters):
/// spaCy's `_try_specials_and_cache` + `_tokenize` (affix splitting, then `_attach_tokens`).
///
/// `letters_or_digits_only` tells that the chunk is only ASCII letters or only ASCII digits.
pub(crate) fn tokenize_chunk(
    text: &str,
    start: usize,
    end: usize,
    letters_or_digits_only: bool,
    tokens: &mut Vec<Range<usize>>,
) {
    let chunk = &text[start..end];
    if let Some(pieces) = special_case(chunk) {
        push_pieces(pieces, start, tokens);
        return;
    }
    // Fast path: a chunk of only ASCII letters, or only ASCII digits, has no prefix (no rule
    // starts with a letter or digit unless followed by '$'), no suffix (letter/digit-final
    // suffixes need an apostrophe or a digit-then-unit), no infix and no '.' for a URL, so it is
    // one token.
    if letters_or_digits_only {
        debug_assert!(
            chunk.bytes().all(|b| b.is_ascii_alphabetic())
                || chunk.bytes().all(|b| b.is_ascii_digit())
        );
        tokens.push(start..end);
        return;
    }
    // _split_affixes: peel prefixes and suffixes off until nothing changes or a special case
    // remains. `lo..hi` is the remaining middle, as byte offsets into `text`.
    let mut lo = start;
    let mut hi = end;
    // Prefixes come out first and in order, so they go straight into `tokens`. Suffixes come
    // out last and innermost first; they always tile the end of the chunk, so their start
    // offsets are enough.
    let mut suffix_starts = SuffixStarts::default();
    let mut last_size = usize::MAX;
    // The span last found not to be a special case: spaCy asks again for the same text (the
    // whole chunk, then what is left after peeling an affix, then the final middle), and the
    // answer cannot change, so each distinct span is looked up once.
    let mut not_special = start..end;
    let is_special = |lo: usize, hi: usize, not_special: &mut Range<usize>| {
        if *not_special == (lo..hi) {
            return false;
        }
        let found = special_case(&text[lo..hi]).is_some();
        if !found {
            *not_special = lo..hi;
        }
        found
    };
    while lo < hi && hi - lo != last_size {
        let s = &text[lo..hi];
        if is_special(lo, hi, &mut not_special) {
            break;
        }
        last_size = hi - lo;
        let pre_len = find_prefix(s);
        if pre_len != 0 && lo + pre_len < hi && is_special(lo + pre_len, hi, &mut not_special) {
            tokens.push(lo..lo + pre_len);
            lo += pre_len;
            break;
        }
        let suf_len = find_suffix(&s[pre_len..]);
        if suf_len != 0 && lo < hi - suf_len && is_special(lo, hi - suf_len, &mut not_special) {
            suffix_starts.push(hi - suf_len);
            hi -= suf_len;
            break;
        }
        if pre_len != 0 && suf_len != 0 && pre_len + suf_len <= s.len() {
            tokens.push(lo..lo + pre_len);
            suffix_starts.push(hi - suf_len);
            lo += pre_len;
            hi -= suf_len;
        } else if pre_len != 0 {
            tokens.push(lo..lo + pre_len);
            lo += pre_len;
        } else if suf_len != 0 {
            suffix_starts.push(hi - suf_len);
            hi -= suf_len;
        }
    }
    // _attach_tokens (prefixes already pushed)
    if lo < hi {
        let s = &text[lo..hi];
        let pieces = if not_special == (lo..hi) {
            None
        } else {
            special_case(s)
        };
        if let Some(pieces) = pieces {
            push_pieces(pieces, lo, tokens);
        } else if url_match(s) {
            tokens.push(lo..hi);
        } else {
            attach_infixes(s, lo, tokens);
        }
    }
    suffix_starts.emit(end, tokens);
}

/// Start offsets of the suffixes peeled off a chunk, outermost first; a few inline, the rest
/// (a run of many closing brackets, say) on the heap.
#[derive(Default)]
struct SuffixStarts {
    inline: [usize; 8],
    len: usize,
    overflow: Vec<usize>,
}

impl SuffixStarts {
    fn push(&mut self, start: usize) {
        if self.len < self.inline.len() {
            self.inline[self.len] = start;
            self.len += 1;
        } else {
            self.overflow.push(start);
        }
    }

    /// Pushes the suffix tokens innermost first; the outermost one ends at `chunk_end`.
    fn emit(&self, chunk_end: usize, tokens: &mut Vec<Range<usize>>) {
        let starts: std::borrow::Cow<[usize]> = if self.overflow.is_empty() {
            std::borrow::Cow::Borrowed(&self.inline[..self.len])
        } else {
            std::borrow::Cow::Owned([&self.inline[..self.len], &self.overflow[..]].concat())
        };
        for j in (0..starts.len()).rev() {
            let end = if j == 0 { chunk_end } else { starts[j - 1] };
            tokens.push(starts[j]..end);
        }
    }
}

/// Splits `s` (starting at byte `base` of the text) on infixes the way `_attach_tokens` does,
/// including its quirk of ignoring an infix found at the very start.
fn attach_infixes(s: &str, base: usize, tokens: &mut Vec<Range<usize>>) {
    let mut start = 0usize;
    let mut found_any = false;
    for_each_infix(s, |infix_start, infix_end| {
        found_any = true;
        if infix_start == 0 {
            return;
        }
        if infix_start != start {
            tokens.push(base + start..base + infix_start);
        }
        if infix_start != infix_end {
            tokens.push(base + infix_start..base + infix_end);
        }
        start = infix_end;
    });
    if !found_any {
        tokens.push(base..base + s.len());
    } else if start < s.len() {
        tokens.push(base + start..base + s.len());
    }
}

#[inline]
fn is_ascii_digit(c: Option<char>) -> bool {
    matches!(c, Some('0'..='9'))
}

#[inline]
fn in_class(c: Option<char>, class: &super::charclass::CharClass) -> bool {
    c.is_some_and(|c| class.contains(c))
}

/// Length in bytes of the prefix spaCy's `prefix_search` finds at the start of `s` (0 if none).
pub(crate) fn find_prefix(s: &str) -> usize {
    let Some(first) = s.chars().next() else {
        return 0;
    };
    // Fast path: no prefix rule starts with an ASCII letter or digit except the currencies
    // "US$", "C$" and "A$" (checked by a unit test against the table).
    if first.is_ascii_alphanumeric() && !matches!(first, 'U' | 'C' | 'A') {
        return 0;
    }
    let candidates = prefix_candidates();
    let from = candidates.partition_point(|&(c, _)| c < first);
    let literal_candidates = candidates[from..]
        .iter()
        .take_while(|&&(c, _)| c == first)
        .map(|&(_, i)| i);
    // Rules that can match here: literals starting with `first` plus the non-literal rules, tried
    // in table order.
    let mut order: [usize; 8] = [usize::MAX; 8];
    let mut n = 0;
    for i in literal_candidates.chain(prefix_non_literal_rules().iter().copied()) {
        if n < order.len() {
            order[n] = i;
            n += 1;
        }
    }
    debug_assert!(n < order.len(), "more prefix candidates than expected");
    order[..n].sort_unstable();
    for rule in order[..n].iter().map(|&i| &PREFIX_RULES[i]) {
        let len = match rule {
            PrefixRule::Literal(lit) => {
                if s.starts_with(lit) {
                    lit.len()
                } else {
                    0
                }
            }
            PrefixRule::Dots => {
                let n = s.bytes().take_while(|&b| b == b'.').count();
                if n >= 2 {
                    n
                } else {
                    0
                }
            }
            PrefixRule::Icon => {
                if ICONS.contains(first) {
                    first.len_utf8()
                } else {
                    0
                }
            }
            PrefixRule::PlusNotBeforeDigit => {
                if first == '+' && !is_ascii_digit(s[1..].chars().next()) {
                    1
                } else {
                    0
                }
            }
        };
        if len != 0 {
            return len;
        }
    }
    0
}

/// Literal prefix rules as (first character, rule index), sorted.
fn prefix_candidates() -> &'static Vec<(char, usize)> {
    static CELL: OnceLock<Vec<(char, usize)>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut v: Vec<(char, usize)> = PREFIX_RULES
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                PrefixRule::Literal(lit) => lit.chars().next().map(|c| (c, i)),
                _ => None,
            })
            .collect();
        v.sort_unstable();
        v
    })
}

/// Indices of the prefix rules that are not literals.
fn prefix_non_literal_rules() -> &'static Vec<usize> {
    static CELL: OnceLock<Vec<usize>> = OnceLock::new();
    CELL.get_or_init(|| {
        PREFIX_RULES
            .iter()
            .enumerate()
            .filter(|(_, r)| !matches!(r, PrefixRule::Literal(_)))
            .map(|(i, _)| i)
            .collect()
    })
}

type SuffixCandidates = (Vec<(char, bool, &'static str)>, [(u16, u16); 128]);

/// Suffix strings by last character: (last char, needs an ASCII digit before it, text), sorted,
/// plus for every ASCII last character the index range of its entries. Literals match anywhere;
/// currencies and units only right after a digit.
fn suffix_candidates() -> &'static SuffixCandidates {
    static CELL: OnceLock<SuffixCandidates> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut v: Vec<(char, bool, &'static str)> = Vec::new();
        for lit in SUFFIX_LITERALS {
            v.push((lit.chars().next_back().expect("non-empty"), false, lit));
        }
        for unit in SUFFIX_CURRENCIES.iter().chain(SUFFIX_UNITS) {
            v.push((unit.chars().next_back().expect("non-empty"), true, unit));
        }
        v.sort_unstable();
        let mut ascii = [(0u16, 0u16); 128];
        for (b, slot) in ascii.iter_mut().enumerate() {
            let c = b as u8 as char;
            let from = v.partition_point(|&(d, _, _)| d < c);
            let to = v.partition_point(|&(d, _, _)| d <= c);
            *slot = (from as u16, to as u16);
        }
        (v, ascii)
    })
}

/// Length in bytes of the suffix spaCy's `suffix_search` finds at the end of `s` (0 if none).
///
/// Every suffix alternative is anchored at the end, so `re.search` returns the match that
/// starts earliest, i.e. the longest suffix any alternative matches.
pub(crate) fn find_suffix(s: &str) -> usize {
    let mut rev = s.chars().rev();
    let Some(last) = rev.next() else {
        return 0;
    };
    let mut best = 0usize;
    let (candidates, ascii_ranges) = suffix_candidates();
    let range = if last.is_ascii() {
        let (from, to) = ascii_ranges[last as usize];
        from as usize..to as usize
    } else {
        let from = candidates.partition_point(|&(c, _, _)| c < last);
        from..from
            + candidates[from..]
                .iter()
                .take_while(|&&(c, _, _)| c == last)
                .count()
    };
    let bytes = s.as_bytes();
    for &(_, after_digit, lit) in &candidates[range] {
        if lit.len() <= best || lit.len() > s.len() {
            continue;
        }
        // The digit test is on a byte: an ASCII digit byte is always a whole character.
        if after_digit && !(lit.len() < s.len() && bytes[s.len() - lit.len() - 1].is_ascii_digit())
        {
            continue;
        }
        if s.ends_with(lit) {
            best = lit.len();
        }
    }
    let dots = s.bytes().rev().take_while(|&b| b == b'.').count();
    if dots >= 2 {
        best = best.max(dots);
    }
    if ICONS.contains(last) {
        best = best.max(last.len_utf8());
    }
    let before_last = rev.next();
    if last == '+' && is_ascii_digit(before_last) {
        best = best.max(1);
    }
    if last == '.' {
        // (?<=°[FfCcKk])\.
        if matches!(before_last, Some('F' | 'f' | 'C' | 'c' | 'K' | 'k'))
            && rev.clone().next() == Some('°')
        {
            best = best.max(1);
        }
        // (?<=[0-9 lower-case letters, punctuation, quotes ...])\.
        if in_class(before_last, &SUFFIX_DOT_AFTER) {
            best = best.max(1);
        }
        // (?<=[ALPHA_UPPER][ALPHA_UPPER])\.
        if in_class(before_last, &ALPHA_UPPER) && in_class(rev.clone().next(), &ALPHA_UPPER) {
            best = best.max(1);
        }
    }
    best
}

/// The infix matches of spaCy's English `infix_finditer` over `s`, as byte ranges, in order
/// (non-overlapping, left to right, alternatives tried in regex order at each position).
pub(crate) fn for_each_infix(s: &str, mut f: impl FnMut(usize, usize)) {
    const DASHES: [&str; 7] = [
        "-",
        "\u{2013}",
        "\u{2014}",
        "--",
        "---",
        "\u{2014}\u{2014}",
        "~",
    ];
    let mut prev: Option<char> = None;
    let mut pos = 0usize;
    while pos < s.len() {
        let rest = &s[pos..];
        let mut it = rest.chars();
        let c = it.next().expect("pos is inside s");
        // No infix starts with an ASCII letter or digit: skip the common case cheaply.
        if c.is_ascii_alphanumeric() {
            prev = Some(c);
            pos += 1;
            continue;
        }
        let next = it.next();
        // Alternatives in regex order; the single-character ones that need context come last.
        let single_with_context = (matches!(c, '+' | '-' | '*' | '^')
            && is_ascii_digit(prev)
            && (is_ascii_digit(next) || next == Some('-')))
            || (c == '.' && in_class(prev, &INFIX_DOT_BEFORE) && in_class(next, &INFIX_DOT_AFTER))
            || (c == ',' && in_class(prev, &ALPHA) && in_class(next, &ALPHA));
        let mut end = 0usize;
        if c == '.' && next == Some('.') {
            end = pos + rest.bytes().take_while(|&b| b == b'.').count();
        } else if c == '\u{2026}' || ICONS.contains(c) {
            end = pos + c.len_utf8();
        } else if single_with_context {
            end = pos + 1;
        } else if matches!(
            c,
            '-' | '\u{2013}' | '\u{2014}' | '~' | ':' | '<' | '>' | '=' | '/'
        ) && in_class(prev, &ALPHA_OR_DIGIT)
        {
            for dash in DASHES {
                if rest.starts_with(dash) && in_class(rest[dash.len()..].chars().next(), &ALPHA) {
                    end = pos + dash.len();
                    break;
                }
            }
            if end == 0 && matches!(c, ':' | '<' | '>' | '=' | '/') && in_class(next, &ALPHA) {
                end = pos + 1;
            }
        }
        if end > pos {
            f(pos, end);
            prev = s[..end].chars().next_back();
            pos = end;
        } else {
            prev = Some(c);
            pos += c.len_utf8();
        }
    }
}

struct UrlRegexes {
    host: Regex,
    ip: Regex,
}

fn url_regexes() -> &'static UrlRegexes {
    static CELL: OnceLock<UrlRegexes> = OnceLock::new();
    CELL.get_or_init(|| {
        let build = |pattern: &str| {
            regex::RegexBuilder::new(pattern)
                .size_limit(256 << 20)
                .dfa_size_limit(64 << 20)
                .build()
                .expect("generated URL pattern compiles")
        };
        UrlRegexes {
            host: build(URL_HOST_PATTERN),
            ip: build(URL_IP_PATTERN),
        }
    })
}

/// spaCy's English `url_match` (`URL_MATCH` in `spacy/lang/tokenizer_exceptions.py`).
pub fn url_match(s: &str) -> bool {
    // Both the host-name and the IPv4 branch need a '.', which most tokens lack.
    if memchr::memchr(b'.', s.as_bytes()).is_none() {
        return false;
    }
    let regexes = url_regexes();
    if regexes.host.is_match(s) {
        return true;
    }
    match regexes.ip.captures(s) {
        Some(caps) => !is_private_ipv4(caps.get(1).map_or("", |m| m.as_str())),
        None => false,
    }
}

/// The negative look-aheads of URL_MATCH's IPv4 branch: 10.x, 127.x, 169.254.x, 192.168.x and
/// 172.16-31.x addresses are not URLs. `ip` is the dotted address the branch matched.
fn is_private_ipv4(ip: &str) -> bool {
    let mut octets = ip.split('.');
    let first = octets.next().unwrap_or("");
    let second = octets.next().unwrap_or("");
    if first == "10" || first == "127" {
        return true;
    }
    if (first == "169" && second == "254") || (first == "192" && second == "168") {
        return true;
    }
    if first == "172" {
        // 1[6-9] | 2\d | 3[0-1], where \d is any Unicode decimal digit.
        let mut cs = second.chars();
        let (a, b, rest) = (cs.next(), cs.next(), cs.next());
        if rest.is_none() {
            return match (a, b) {
                (Some('1'), Some('6'..='9')) | (Some('3'), Some('0' | '1')) => true,
                (Some('2'), Some(d)) => super::tables::PY_DIGIT.contains(d),
                _ => false,
            };
        }
    }
    false
}

/// The matcher-pattern indices grouped by the text of their first token.
fn matcher_index() -> &'static (FxMap<&'static str, Vec<usize>>, EndsFilter) {
    static CELL: OnceLock<(FxMap<&'static str, Vec<usize>>, EndsFilter)> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut index: FxMap<&'static str, Vec<usize>> = FxMap::default();
        for (i, (_, pattern)) in MATCHER_PATTERNS.iter().enumerate() {
            index.entry(pattern[0]).or_default().push(i);
        }
        let ends = EndsFilter::new(index.keys().copied());
        (index, ends)
    })
}

/// spaCy's `_apply_special_cases`: a final pass that finds token sequences the affix rules split
/// out of a special case (e.g. ":" ")" from "word:)") and re-joins them into the special case's
/// pieces when the sequence's text is exactly the special case.
pub(crate) fn apply_matched_special_cases(text: &str, tokens: &mut Vec<Range<usize>>) {
    let (index, ends) = matcher_index();
    let mut matches: Vec<(usize, usize)> = Vec::new();
    for i in 0..tokens.len() {
        let token = &text[tokens[i].clone()];
        if !ends.may_contain(token) {
            continue;
        }
        let Some(pattern_ids) = index.get(token) else {
            continue;
        };
        for &pattern_idx in pattern_ids {
            let pattern = MATCHER_PATTERNS[pattern_idx].1;
            let end = i + pattern.len();
            if end <= tokens.len()
                && pattern
                    .iter()
                    .zip(&tokens[i..end])
                    .all(|(p, r)| *p == &text[r.clone()])
            {
                matches.push((i, end));
            }
        }
    }
    if matches.is_empty() {
        return;
    }
    matches.sort_unstable();
    matches.dedup();
    // _filter_special_spans: longest first, then leftmost; a span is kept unless its first or
    // last token was covered by a span considered before it (kept or not).
    matches.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
    let mut seen = std::collections::BTreeSet::new();
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for &(start, end) in &matches {
        if !seen.contains(&start) && !seen.contains(&(end - 1)) {
            kept.push((start, end));
        }
        seen.extend(start..end);
    }
    kept.sort_unstable();
    let mut out: Vec<Range<usize>> = Vec::with_capacity(tokens.len());
    let mut i = 0usize;
    for (start, end) in kept {
        out.extend_from_slice(&tokens[i..start]);
        let span = tokens[start].start..tokens[end - 1].end;
        match special_case(&text[span.clone()]) {
            Some(pieces) => push_pieces(pieces, span.start, &mut out),
            None => out.extend_from_slice(&tokens[start..end]),
        }
        i = end;
    }
    out.extend_from_slice(&tokens[i..]);
    *tokens = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        word_tokenize(text)
    }

    #[test]
    fn ascii_space_mask_matches_python_table() {
        for b in 0u8..128 {
            assert_eq!(
                (ASCII_PY_SPACE >> b) & 1 == 1,
                is_py_space(b as char),
                "{b}"
            );
        }
    }

    #[test]
    fn letter_and_digit_chunks_are_single_tokens_by_the_full_rules() {
        // The fast path in tokenize_chunk must agree with the full affix and infix rules.
        for chunk in ["hello", "HELLO", "USA", "CA", "A", "s", "km", "12345", "0"] {
            assert_eq!(find_prefix(chunk), 0, "{chunk}");
            assert_eq!(find_suffix(chunk), 0, "{chunk}");
            let mut n = 0;
            for_each_infix(chunk, |_, _| n += 1);
            assert_eq!(n, 0, "{chunk}");
        }
        for c in (b'a'..=b'z').chain(b'A'..=b'Z').chain(b'0'..=b'9') {
            let last = c as char;
            let (candidates, ascii) = suffix_candidates();
            let (from, to) = ascii[c as usize];
            for &(_, after_digit, lit) in &candidates[from as usize..to as usize] {
                // Only apostrophe forms ("'s") or units after a digit end in a letter.
                assert!(
                    after_digit || lit.contains(['\'', '\u{2019}']),
                    "{last} {lit}"
                );
            }
        }
    }

    #[test]
    fn no_rule_puts_white_space_into_a_token() {
        // for_each_word relies on this to replace strip() by a first-character test.
        for rule in PREFIX_RULES {
            if let PrefixRule::Literal(lit) = rule {
                assert!(!lit.contains(is_py_space), "{lit:?}");
            }
        }
        let (candidates, _) = suffix_candidates();
        assert!(candidates
            .iter()
            .all(|(_, _, lit)| !lit.contains(is_py_space)));
        assert!(!ICONS
            .ranges
            .iter()
            .any(|&(lo, hi)| (lo..=hi).filter_map(char::from_u32).any(is_py_space)));
        for (key, pieces) in SPECIAL_CASES {
            let all_space = key.chars().all(is_py_space);
            assert!(all_space || !key.contains(is_py_space), "{key:?}");
            assert!(pieces.iter().all(|p| !p.is_empty()));
        }
    }

    #[test]
    fn prefix_fast_path_is_sound() {
        for rule in PREFIX_RULES {
            if let PrefixRule::Literal(lit) = rule {
                let c = lit.chars().next().unwrap();
                assert!(
                    !c.is_ascii_alphanumeric() || matches!(c, 'U' | 'C' | 'A'),
                    "{lit}"
                );
            }
        }
    }

    #[test]
    fn prefix_candidate_buffer_is_large_enough() {
        let candidates = prefix_candidates();
        let most = candidates
            .iter()
            .map(|&(c, _)| candidates.iter().filter(|&&(d, _)| d == c).count())
            .max()
            .unwrap();
        assert!(most + prefix_non_literal_rules().len() < 8, "{most}");
    }

    #[test]
    fn no_special_case_pattern_can_span_a_line_break() {
        // C4 counts a line's sentences from the whole document's tokens (filter::c4), which
        // relies on this: the final matcher is the only step that joins tokens of different
        // white-space chunks, and its only white-space piece is a lone " ".
        for (key, pieces) in MATCHER_PATTERNS {
            if *key == " " {
                assert_eq!(*pieces, [" "]);
                continue;
            }
            assert!(
                pieces.iter().all(|p| !p.chars().any(is_py_space)),
                "{key:?}"
            );
        }
    }

    #[test]
    fn contractions_split_like_spacy() {
        assert_eq!(words("I don't know"), ["I", "do", "n't", "know"]);
        assert_eq!(words("We cannot go"), ["We", "can", "not", "go"]);
        assert_eq!(words("wed"), ["we", "d"]);
        assert_eq!(
            words("It's fine, isn't it?"),
            ["It", "'s", "fine", ",", "is", "n't", "it", "?"]
        );
        assert_eq!(words("(don't)"), ["(", "do", "n't", ")"]);
        assert_eq!(words("y'all gonna"), ["y'", "all", "gon", "na"]);
    }

    #[test]
    fn punctuation_and_abbreviations() {
        assert_eq!(words("Hello, world."), ["Hello", ",", "world", "."]);
        assert_eq!(
            words("Mr. Smith at 10a.m. with a."),
            ["Mr.", "Smith", "at", "10", "a.m.", "with", "a."]
        );
        assert_eq!(words("U.S.A. is big."), ["U.S.A.", "is", "big", "."]);
        assert_eq!(words("Wait... what…ok"), ["Wait", "...", "what", "…", "ok"]);
        assert_eq!(
            words("\"Quoted\" 'single'"),
            ["\"", "Quoted", "\"", "'", "single", "'"]
        );
    }

    #[test]
    fn hyphens_numbers_and_units() {
        assert_eq!(
            words("well-known 3-4 pages"),
            ["well", "-", "known", "3", "-", "4", "pages"]
        );
        assert_eq!(
            words("10km 5$ 0mb 20%"),
            ["10", "km", "5", "$", "0", "mb", "20", "%"]
        );
        assert_eq!(words("$100 +1 +x"), ["$", "100", "+1", "+", "x"]);
        assert_eq!(words("1,000,000 and 3.14"), ["1,000,000", "and", "3.14"]);
        assert_eq!(words("end.Start"), ["end", ".", "Start"]);
    }

    #[test]
    fn urls_and_emoticons() {
        assert_eq!(
            words("see http://example.com/foo)."),
            ["see", "http://example.com/foo", ")", "."]
        );
        assert_eq!(words("www.example.co.uk"), ["www.example.co.uk"]);
        assert_eq!(words("1.2.3.4 10.0.0.1"), ["1.2.3.4", "10.0.0.1"]);
        assert_eq!(
            words("nice :) word:) <3"),
            ["nice", ":)", "word", ":)", "<3"]
        );
        assert!(url_match("https://x.org/a?b=c"));
        assert!(!url_match("10.0.0.1"));
        assert!(!url_match("example.Com"));
    }

    #[test]
    fn many_suffixes_keep_their_order() {
        let text = format!("word{}", ")".repeat(20) + ".");
        let expected: Vec<&str> = std::iter::once("word")
            .chain(std::iter::repeat_n(")", 20))
            .chain(["."])
            .collect();
        assert_eq!(words(&text), expected);
        assert_eq!(words("(((x)))."), ["(", "(", "(", "x", ")", ")", ")", "."]);
    }

    #[test]
    fn whitespace_tokens_are_dropped_from_words_only() {
        let text = "a  b\n\nc ";
        let toks: Vec<&str> = spacy_tokens(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(toks, ["a", " ", "b", "\n\n", "c"]);
        assert_eq!(words(text), ["a", "b", "c"]);
        assert_eq!(count_words(text), 3);
        assert!(words("").is_empty());
        assert!(words(" \t\n").is_empty());
    }

    #[test]
    fn unicode_text() {
        assert_eq!(
            words("Café naïve — «quoted»"),
            ["Café", "naïve", "—", "«", "quoted", "»"]
        );
        assert_eq!(words("日本語のテキスト。"), ["日本語のテキスト", "。"]);
    }
}
