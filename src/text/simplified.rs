//! `word_tokenize(simplify_text(text))` in one pass, for MinHash shingles ([`crate::dedup::minhash`]).
//!
//! The result is always exactly what the two separate steps give; only the speed differs. Most
//! web text is ASCII apart from punctuation such as ’ “ ” — …, and its simplified form is then made
//! of `[a-z0]` words separated by single spaces. For such a text the tokenizer has little left to
//! do, so one byte loop simplifies the text and cuts it into chunks (a run of plain words, ASCII
//! letters between ASCII separators, several words per step: [`plain_words`]), and only a chunk
//! that mixes letters and digits ("0mb", "covid0"), or holds a character other than `[a-z0]`
//! ("£0", "‘quote", "©"), goes through the full affix rules. Any other text (a character that
//! simplification changes in a way the table below does not cover: an upper-case Greek letter,
//! a combining mark, an emoji past U+2FFF) takes the general path: [`simplify_text`] then
//! [`spacy_tokens`].
//!
//! Why the shortcuts are exact, rule by rule:
//! - simplification of an ASCII byte is a table lookup ([`super::simplify`] uses the same table);
//!   a non-ASCII character that is punctuation or white space becomes a separator whatever its
//!   case (lower-casing leaves every character of datatrove's punctuation set unchanged), and a
//!   non-ASCII decimal digit starts a number as in the general path;
//! - any other non-ASCII character below U+3000 is looked up in a table made by running
//!   [`simplify_text`] on the character alone: one that simplifies to ASCII letters ("é" → "e",
//!   "İ" → "i") is those letters; one that simplifies to itself and has canonical combining
//!   class 0 ("‘", "©", "°", "д") is copied as it is. Both are exact in any context:
//!   lower-casing depends on context only for Σ (which simplifies to σ: neither kind), and a
//!   character of combining class 0 is not reordered by the decomposition of its neighbours;
//! - a chunk of only ASCII letters or only ASCII digits is one token unless it is a tokenizer
//!   exception ([`super::tokenizer`]'s fast path, with the same reasoning); any other chunk is
//!   split by [`tokenize_chunk`], the rules the general path applies to the same chunk;
//! - spaCy's final special-case matcher never fires on a text whose words are made of `[a-z0]`
//!   and copied characters that no matcher pattern has: every pattern has a piece with a
//!   character outside `[a-z0]` (checked by a test against the generated table), which must then
//!   be in a word. For a text with a copied character some pattern has ("‘" of "‘s", "°" of
//!   "°c") the matcher runs on the words, which are then exactly the tokens it runs on in the
//!   general path.

use std::ops::Range;

use super::charclass::is_py_space;
use super::simplify::{ascii_classes, is_nd, simplify_text, skip_rest_of_number, AsciiClass};
use super::tables::{DATATROVE_PUNCTUATION, MATCHER_PATTERNS};
use super::tokenizer::{
    apply_matched_special_cases, is_word_token, plain_word_special_cases, push_pieces,
    spacy_tokens, tokenize_chunk, PlainWordSpecialCases, PLAIN_KEY_MAX,
};

/// Reusable buffers for [`simplified_words`]: the simplified text and its words.
#[derive(Default, Debug)]
pub struct SimplifiedWords {
    /// `simplify_text` of the input.
    pub text: String,
    /// Byte ranges into [`SimplifiedWords::text`] of `word_tokenize(text)`, in order.
    pub words: Vec<Range<usize>>,
    /// Indices into `words` of chunks still to be split by the full rules (fast path only).
    mixed: Vec<usize>,
    /// The words' previous buffer, reused when mixed chunks are split (a fresh one per text
    /// cost a page fault per few texts).
    spare_words: Vec<Range<usize>>,
}

impl SimplifiedWords {
    /// The words as string slices.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(|r| &self.text[r.clone()])
    }
}

/// Fills `out` with `simplify_text(text)` and the words of `word_tokenize` on it.
pub fn simplified_words(text: &str, out: &mut SimplifiedWords) {
    if fast_path(text, out) {
        return;
    }
    out.text = simplify_text(text);
    out.words.clear();
    // On simplified text every white-space token is a run of spaces (none is left after
    // collapsing, but `spacy_tokens` is the reference and is asked anyway).
    let text = &out.text;
    out.words.extend(
        spacy_tokens(text)
            .into_iter()
            .filter(|r| is_word_token(&text[r.clone()])),
    );
}

/// The fused pass; `false` (with `out` in an unspecified state) when the text needs the general
/// path.
fn fast_path(text: &str, out: &mut SimplifiedWords) -> bool {
    let mut buf = std::mem::take(&mut out.text).into_bytes();
    buf.clear();
    buf.reserve(text.len());
    out.words.clear();
    out.mixed.clear();
    let bytes = text.as_bytes();
    let mut pending_space = false;
    // The chunk being built: where it starts in `buf`, and what kinds of bytes it holds.
    let mut chunk_start = 0usize;
    let mut kinds = ChunkKinds::default();
    let mut i = 0usize;
    let mut ok = true;
    let classes = ascii_classes();
    let cases = plain_word_special_cases();
    let non_ascii = non_ascii_table();
    // The text holds a character of a special-case matcher pattern: it needs the matcher.
    let mut may_match = false;
    while i < bytes.len() {
        let b = bytes[i];
        // A new word of ASCII letters starts here: whole words at once while the text is plain.
        if (pending_space || buf.is_empty()) && b.is_ascii_alphabetic() {
            if let Some(window) = bytes.get(i..i + WINDOW) {
                let window: &[u8; WINDOW] = window.try_into().expect("WINDOW bytes");
                if let Some(consumed) =
                    plain_words(window, &mut buf, &mut chunk_start, &mut kinds, cases, out)
                {
                    i += consumed;
                    pending_space = true;
                    continue;
                }
            }
        }
        // What the next piece of output is.
        let piece = if b < 0x80 {
            i += 1;
            match classes[usize::from(b)] {
                AsciiClass::Separator => {
                    pending_space = true;
                    continue;
                }
                AsciiClass::Digit => {
                    skip_rest_of_number(text, &mut i);
                    Piece::Number
                }
                AsciiClass::Letter(_) => {
                    // The common case: a whole run of ASCII letters at once.
                    let run_start = i - 1;
                    i = end_of_ascii_letters(bytes, i);
                    Piece::AsciiLetters(run_start..i)
                }
                AsciiClass::Other(_) => {
                    ok = false;
                    break;
                }
            }
        } else {
            let c = text[i..].chars().next().expect("char boundary");
            let at = i;
            i += c.len_utf8();
            if is_nd(c) {
                skip_rest_of_number(text, &mut i);
                Piece::Number
            } else if DATATROVE_PUNCTUATION.contains(c) || is_py_space(c) {
                pending_space = true;
                continue;
            } else {
                match non_ascii.class(c) {
                    NonAscii::Letters(letters) => Piece::MappedLetters(letters),
                    NonAscii::Verbatim { in_patterns } => {
                        may_match |= in_patterns;
                        Piece::Verbatim(at..i)
                    }
                    NonAscii::Other => {
                        ok = false;
                        break;
                    }
                }
            }
        };
        if pending_space && !buf.is_empty() {
            end_chunk(&buf, chunk_start, kinds.needs_full_rules(), cases, out);
            buf.push(b' ');
            chunk_start = buf.len();
            kinds = ChunkKinds::default();
        }
        pending_space = false;
        match piece {
            Piece::AsciiLetters(run) => {
                push_lowercase_letters(&mut buf, bytes, run);
                kinds.letter = true;
            }
            Piece::MappedLetters(letters) => {
                buf.extend_from_slice(letters.as_bytes());
                kinds.letter = true;
            }
            Piece::Number => {
                buf.push(b'0');
                kinds.digit = true;
            }
            Piece::Verbatim(character) => {
                buf.extend_from_slice(&bytes[character]);
                kinds.other = true;
            }
        }
    }
    if ok && !buf.is_empty() {
        end_chunk(&buf, chunk_start, kinds.needs_full_rules(), cases, out);
    }
    out.text = String::from_utf8(buf).expect("ASCII and whole characters of the input");
    if !ok {
        return false;
    }
    if !out.mixed.is_empty() {
        split_mixed_chunks(out);
    }
    if may_match {
        // The words are now exactly spaCy's tokens of the simplified text before its matcher
        // (simplified text has no white-space token), so the matcher applies as it is.
        apply_matched_special_cases(&out.text, &mut out.words);
    }
    true
}

/// What the chunk being built holds.
#[derive(Clone, Copy, Default)]
struct ChunkKinds {
    letter: bool,
    digit: bool,
    /// A character other than `[a-z0]`.
    other: bool,
}

impl ChunkKinds {
    /// The chunk needs the full affix rules: it mixes letters and digits ("0mb"), or holds a
    /// character other than `[a-z0]`.
    fn needs_full_rules(self) -> bool {
        (self.letter && self.digit) || self.other
    }
}

/// The next piece of the fused pass's output.
enum Piece {
    /// A run of ASCII letters of the input (`bytes[run]`), lower-cased.
    AsciiLetters(Range<usize>),
    /// A non-ASCII letter that simplifies to these ASCII letters.
    MappedLetters(&'static str),
    /// A number: "0".
    Number,
    /// A non-ASCII character that simplifies to itself (`bytes[character]`), copied.
    Verbatim(Range<usize>),
}

/// What the fused pass does with a non-ASCII character that is neither a decimal digit, nor
/// punctuation, nor white space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NonAscii {
    /// It simplifies to these ASCII lower-case letters, whatever surrounds it.
    Letters(&'static str),
    /// It simplifies to itself and has canonical combining class 0; `in_patterns`: some
    /// special-case matcher pattern has it ("‘" of "‘s", "°" of "°c").
    Verbatim { in_patterns: bool },
    /// Anything else: the text takes the general path.
    Other,
}

/// Characters below this are in the table; others are [`NonAscii::Other`].
const NON_ASCII_TABLE_END: u32 = 0x3000;

struct NonAsciiTable {
    /// Per code point from 0x80: 0 = other, 1 = verbatim, 2 = verbatim and in a matcher
    /// pattern, k ≥ 3 = the letters `letters[k − 3]`.
    classes: Vec<u16>,
    letters: Vec<&'static str>,
}

impl NonAsciiTable {
    #[inline]
    fn class(&self, c: char) -> NonAscii {
        match self.classes.get((c as usize).wrapping_sub(0x80)) {
            None | Some(0) => NonAscii::Other,
            Some(1) => NonAscii::Verbatim { in_patterns: false },
            Some(2) => NonAscii::Verbatim { in_patterns: true },
            Some(&k) => NonAscii::Letters(self.letters[usize::from(k) - 3]),
        }
    }
}

/// The table of [`NonAscii`] classes, made once by running [`simplify_text`] on every character
/// below [`NON_ASCII_TABLE_END`] alone (a few milliseconds), so it cannot disagree with it.
fn non_ascii_table() -> &'static NonAsciiTable {
    static CELL: std::sync::OnceLock<NonAsciiTable> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        let mut letters: Vec<&'static str> = Vec::new();
        let in_patterns: std::collections::BTreeSet<char> = MATCHER_PATTERNS
            .iter()
            .flat_map(|(_, pieces)| pieces.iter().flat_map(|p| p.chars()))
            .collect();
        let classes = (0x80..NON_ASCII_TABLE_END)
            .map(|cp| {
                let Some(c) = char::from_u32(cp) else {
                    return 0;
                };
                let mut alone = [0u8; 4];
                let alone = c.encode_utf8(&mut alone);
                let simplified = simplify_text(alone);
                if !simplified.is_empty() && simplified.bytes().all(|b| b.is_ascii_lowercase()) {
                    let k = match letters.iter().position(|l| *l == simplified) {
                        Some(k) => k,
                        None => {
                            letters.push(Box::leak(simplified.into_boxed_str()));
                            letters.len() - 1
                        }
                    };
                    u16::try_from(k + 3).expect("few distinct letter strings")
                } else if simplified == *alone
                    && unicode_normalization::char::canonical_combining_class(c) == 0
                {
                    if in_patterns.contains(&c) {
                        2
                    } else {
                        1
                    }
                } else {
                    0
                }
            })
            .collect();
        NonAsciiTable { classes, letters }
    })
}

/// The index of the first byte at or after `i` that is not an ASCII letter (or `bytes.len()`).
/// Eight bytes at a time: web text words are mostly shorter than that, so a word usually takes
/// one step instead of a branch per letter.
#[inline(always)]
fn end_of_ascii_letters(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let v = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let not_letter = !ascii_letter_flags(v) & HIGH;
        if not_letter != 0 {
            return i + (not_letter.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
        i += 1;
    }
    i
}

/// `0x01` in every byte of a `u64`.
const ONES: u64 = 0x0101_0101_0101_0101;
/// Bit 7 of every byte of a `u64`.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Bit 7 of each byte of the result is set where that byte of `v` is an ASCII letter; no other
/// bit is set. Per byte, with no carry between bytes (each sum stays below 0x100): bit 5 set
/// folds upper case onto lower case; then bit 7 of `low + 0x1F` says "≥ 'a'" and of
/// `low + 0x05` says "≥ '{'". A byte ≥ 0x80 (part of a non-ASCII character) has bit 7 set in `v`.
#[inline(always)]
fn ascii_letter_flags(v: u64) -> u64 {
    let low = (v | (0x20 * ONES)) & !HIGH;
    (low + 0x1F * ONES) & !(low + 0x05 * ONES) & !v & HIGH
}

/// As [`ascii_letter_flags`] for ASCII digits: bit 7 of `seven + 0x50` says "≥ '0'" and of
/// `seven + 0x46` says "≥ ':'".
#[inline(always)]
fn ascii_digit_flags(v: u64) -> u64 {
    let seven = v & !HIGH;
    (seven + 0x50 * ONES) & !(seven + 0x46 * ONES) & !v & HIGH
}

/// Appends `bytes[run]`, a run of ASCII letters, lower-cased (bit 5 set), eight bytes at a time:
/// each step writes eight bytes of `bytes` from the run's next position (those past the run's
/// end, if any, are cut off again).
#[inline(always)]
fn push_lowercase_letters(buf: &mut Vec<u8>, bytes: &[u8], run: Range<usize>) {
    const LOWER: u64 = 0x2020_2020_2020_2020;
    let end_len = buf.len() + run.len();
    let mut i = run.start;
    while i < run.end {
        match bytes.get(i..i + 8) {
            Some(chunk) => {
                let v = u64::from_le_bytes(chunk.try_into().expect("8 bytes")) | LOWER;
                buf.extend_from_slice(&v.to_le_bytes());
                i += 8;
            }
            None => {
                buf.extend(bytes[i..run.end].iter().map(|b| b | 0x20));
                i = run.end;
            }
        }
    }
    buf.truncate(end_len);
}

/// Bytes looked at by one step of [`plain_words`].
const WINDOW: usize = 32;

/// The byte loop's work for the plain words at the start of `window`, all at once: what the
/// loop does, one piece at a time, from a point where an ASCII letter starts a new chunk
/// (separators were just consumed, or nothing was output yet) up to the end of the last word
/// that a separator follows before the window's first digit or non-ASCII byte. Those words are
/// maximal runs of ASCII letters between ASCII separators, so each is one piece and one chunk
/// of letters, lower-cased, and the separators between them become one space each: the same
/// [`end_chunk`] calls, in the same order, on the same bytes. The last word is left open as the
/// current chunk, as the loop would leave it. Returns how many input bytes it consumed (the
/// last word and the one separator after it; the loop consumes further ones), or `None` when
/// the window starts with no such word (a word that runs into a digit, a non-ASCII byte or the
/// window's end), for the byte loop to take.
///
/// Why: in this loop a word costs a piece dispatch, a run scan and a copy loop with
/// length-dependent exits (mispredicted branches), and a table lookup per separator byte; here
/// a word costs two bit scans and one fixed-size copy.
#[inline(always)]
fn plain_words(
    window: &[u8; WINDOW],
    buf: &mut Vec<u8>,
    chunk_start: &mut usize,
    kinds: &mut ChunkKinds,
    cases: &PlainWordSpecialCases,
    out: &mut SimplifiedWords,
) -> Option<usize> {
    let mut lower = [0u8; 2 * WINDOW];
    let masks = WindowMasks::of(window, &mut lower);
    // Only what comes before the first digit or non-ASCII byte is plain.
    let plain = (1u64 << masks.stop.trailing_zeros()) - 1;
    let letters = u64::from(masks.letters) & plain;
    let separators = u64::from(!masks.letters & !masks.stop) & plain;
    // Word starts (bit 0 is one: the caller starts at a letter that begins a word), and ends of
    // words a separator follows.
    let mut starts = letters & !(letters << 1);
    let mut ends = letters & (separators >> 1);
    if ends == 0 {
        return None;
    }
    let mut end = 0;
    while ends != 0 {
        let start = starts.trailing_zeros() as usize;
        end = ends.trailing_zeros() as usize + 1;
        starts &= starts - 1;
        ends &= ends - 1;
        if !buf.is_empty() {
            end_chunk(buf, *chunk_start, kinds.needs_full_rules(), cases, out);
            buf.push(b' ');
        }
        *chunk_start = buf.len();
        *kinds = ChunkKinds {
            letter: true,
            ..ChunkKinds::default()
        };
        // A fixed-size copy, cut back to the word.
        buf.extend_from_slice(&lower[start..start + WINDOW]);
        buf.truncate(*chunk_start + (end - start));
    }
    Some(end + 1)
}

/// Bit `k` of each mask says what byte `k` of a [`WINDOW`] is.
struct WindowMasks {
    /// An ASCII letter.
    letters: u32,
    /// A digit or part of a non-ASCII character. Every other byte is an ASCII separator: in
    /// ASCII, simplification keeps only letters and digits (checked by a test).
    stop: u32,
}

impl WindowMasks {
    /// The masks of `window`, and into `lower` its bytes with bit 5 set (its letters lower-cased).
    /// Eight bytes at a time, in plain integer arithmetic (the same on every target).
    #[inline(always)]
    fn of(window: &[u8; WINDOW], lower: &mut [u8; 2 * WINDOW]) -> Self {
        // Bit 7 of byte j to bit j of the top byte: the eight partial products land on distinct
        // bits, so nothing carries.
        let pack = |flags: u64| ((flags >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32;
        let (mut letters, mut stop) = (0u32, 0u32);
        for (j, (eight, to)) in window
            .chunks_exact(8)
            .zip(lower.chunks_exact_mut(8))
            .enumerate()
        {
            let v = u64::from_le_bytes(eight.try_into().expect("8 bytes"));
            to.copy_from_slice(&(v | (0x20 * ONES)).to_le_bytes());
            letters |= pack(ascii_letter_flags(v)) << (8 * j);
            stop |= pack(ascii_digit_flags(v) | (v & HIGH)) << (8 * j);
        }
        WindowMasks { letters, stop }
    }
}

/// Records the chunk `buf[start..]`: its word(s) now, or a placeholder for a mixed chunk.
#[inline(always)]
fn end_chunk(
    buf: &[u8],
    start: usize,
    mixed: bool,
    cases: &PlainWordSpecialCases,
    out: &mut SimplifiedWords,
) {
    let end = buf.len();
    if mixed {
        out.mixed.push(out.words.len());
        out.words.push(start..end);
    } else if let Some(pieces) = plain_special_case(buf, start, end, cases) {
        push_pieces(pieces, start, &mut out.words);
    } else {
        out.words.push(start..end);
    }
}

/// The tokenizer exception `buf[start..end]` is (a plain word), if any. The key is read as the 16
/// bytes that end at the word, shifted so only the word's bytes remain: no copy.
#[inline(always)]
fn plain_special_case(
    buf: &[u8],
    start: usize,
    end: usize,
    cases: &PlainWordSpecialCases,
) -> Option<&'static [&'static str]> {
    let len = end - start;
    if len > cases.max_len() || !cases.may_contain(buf[start], buf[end - 1], len) {
        return None;
    }
    if end >= PLAIN_KEY_MAX {
        let tail: [u8; PLAIN_KEY_MAX] = buf[end - PLAIN_KEY_MAX..end].try_into().expect("16 bytes");
        let shift = 8 * (PLAIN_KEY_MAX - len) as u32;
        cases.get_packed(shift_right(u128::from_le_bytes(tail), shift))
    } else {
        cases.get(&buf[start..end])
    }
}

/// `x >> shift` for `shift` < 128, on two `u64` halves: a variable `u128` shift is a library call
/// in wasm32 (`__lshrti3`), here once per candidate word.
#[inline(always)]
fn shift_right(x: u128, shift: u32) -> u128 {
    let (low, high) = (x as u64, (x >> 64) as u64);
    let (low, high) = match shift {
        0 => (low, high),
        1..=63 => ((low >> shift) | (high << (64 - shift)), high >> shift),
        _ => (high >> (shift - 64), 0),
    };
    (u128::from(high) << 64) | u128::from(low)
}

/// Replaces each mixed-chunk placeholder by the chunk's tokens under the full rules.
fn split_mixed_chunks(out: &mut SimplifiedWords) {
    let mut words = std::mem::take(&mut out.spare_words);
    words.clear();
    words.reserve(out.words.len() + out.mixed.len());
    let mut copied = 0;
    for &k in &out.mixed {
        words.extend_from_slice(&out.words[copied..k]);
        let chunk = &out.words[k];
        tokenize_chunk(&out.text, chunk.start, chunk.end, false, &mut words);
        copied = k + 1;
    }
    words.extend_from_slice(&out.words[copied..]);
    out.spare_words = std::mem::replace(&mut out.words, words);
}

#[cfg(test)]
mod tests {
    use super::shift_right;

    #[test]
    fn shift_right_equals_the_u128_shift() {
        let values = [
            0,
            1,
            u128::MAX,
            0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
            1 << 127,
            1 << 64,
            (1 << 64) - 1,
        ];
        for x in values {
            for shift in 0..128 {
                assert_eq!(shift_right(x, shift), x >> shift, "{x:#x} >> {shift}");
            }
        }
    }

    use super::*;
    use crate::test_rng::xorshift;
    use crate::text::tokenizer::word_tokenize;

    fn reference(text: &str) -> (String, Vec<String>) {
        let simplified = simplify_text(text);
        let words = word_tokenize(&simplified)
            .into_iter()
            .map(str::to_string)
            .collect();
        (simplified, words)
    }

    fn check(text: &str) {
        let mut out = SimplifiedWords::default();
        simplified_words(text, &mut out);
        let (simplified, words) = reference(text);
        assert_eq!(out.text, simplified, "{text:?}");
        assert_eq!(out.iter().collect::<Vec<_>>(), words, "{text:?}");
    }

    #[test]
    fn no_matcher_pattern_is_made_of_plain_words_only() {
        // The reason the fast path skips spaCy's final special-case matcher for a text whose
        // words are all `[a-z0]`.
        let plain =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'0');
        for (key, pieces) in MATCHER_PATTERNS {
            assert!(!pieces.iter().all(|p| plain(p)), "{key:?}");
        }
    }

    #[test]
    fn the_non_ascii_table_maps_letters_and_copies_what_simplification_keeps() {
        let table = non_ascii_table();
        assert_eq!(table.class('é'), NonAscii::Letters("e"));
        assert_eq!(table.class('Ñ'), NonAscii::Letters("n"));
        assert_eq!(table.class('İ'), NonAscii::Letters("i"));
        assert_eq!(table.class('\u{212A}'), NonAscii::Letters("k")); // Kelvin sign
        for c in [
            '‘', '°', '©', '£', '®', '•', '€', '™', '½', '²', 'д', 'λ', 'ß', '\u{903}',
        ] {
            assert!(matches!(table.class(c), NonAscii::Verbatim { .. }), "{c}");
        }
        // Changed by simplification in other ways, a combining mark, outside the table.
        for c in ['Σ', 'Д', '\u{301}', 'ǅ', '中', '😀'] {
            assert!(!matches!(table.class(c), NonAscii::Verbatim { .. }), "{c}");
        }
        assert_eq!(table.class('中'), NonAscii::Other, "past the table");
        assert_eq!(table.class('‘'), NonAscii::Verbatim { in_patterns: true });
        assert_eq!(table.class('°'), NonAscii::Verbatim { in_patterns: true });
        assert_eq!(table.class('©'), NonAscii::Verbatim { in_patterns: false });
    }

    #[test]
    fn end_of_ascii_letters_agrees_with_is_ascii_alphabetic_for_every_byte() {
        // Every byte value at every position of a 19-byte window of letters, and runs of every
        // length up to the window.
        for b in 0..=255u8 {
            for pos in 0..19 {
                let mut bytes = vec![b'k'; 19];
                bytes[pos] = b;
                for start in 0..=pos {
                    let expected = (start..19)
                        .find(|&j| !bytes[j].is_ascii_alphabetic())
                        .unwrap_or(19);
                    assert_eq!(
                        end_of_ascii_letters(&bytes, start),
                        expected,
                        "{b:#x} at {pos}"
                    );
                }
            }
        }
    }

    #[test]
    fn ascii_simplifies_to_letters_digits_and_separators_only() {
        // What `WindowMasks` relies on: an ASCII byte that is neither a letter nor a digit is a
        // separator.
        for (b, class) in ascii_classes().iter().enumerate() {
            let b = b as u8;
            match class {
                AsciiClass::Letter(lower) => {
                    assert!(b.is_ascii_alphabetic(), "{b:#x}");
                    assert_eq!(*lower, b | 0x20);
                }
                AsciiClass::Digit => assert!(b.is_ascii_digit(), "{b:#x}"),
                AsciiClass::Separator => assert!(!b.is_ascii_alphanumeric(), "{b:#x}"),
                AsciiClass::Other(_) => {
                    panic!("{b:#x} is neither a letter, a digit nor a separator")
                }
            }
        }
    }

    #[test]
    fn window_masks_agree_with_each_byte() {
        // Every byte value at every position of a window of letters, of separators, of digits.
        for background in [b'q', b'Q', b' ', b'.', b'7', 0xC3] {
            for b in 0..=255u8 {
                for pos in 0..WINDOW {
                    let mut window = [background; WINDOW];
                    window[pos] = b;
                    let mut lower = [0u8; 2 * WINDOW];
                    let masks = WindowMasks::of(&window, &mut lower);
                    for (k, &byte) in window.iter().enumerate() {
                        let bit = |mask: u32| (mask >> k) & 1 == 1;
                        assert_eq!(
                            bit(masks.letters),
                            byte.is_ascii_alphabetic(),
                            "{byte:#x} at {k}"
                        );
                        assert_eq!(
                            bit(masks.stop),
                            byte.is_ascii_digit() || byte >= 0x80,
                            "{byte:#x} at {k}"
                        );
                        assert_eq!(lower[k], byte | 0x20);
                    }
                }
            }
        }
    }

    #[test]
    fn long_texts_of_plain_words_at_every_alignment() {
        // Texts past one window, so whole-word steps start at every offset: words of every
        // length up to past the window, runs of separators of every kind, words ending at a
        // digit or a non-ASCII character, exceptions in every case, all shifted by 0 to 40 bytes.
        let pieces = [
            "a",
            "I",
            "of",
            "The",
            "word",
            "cannot",
            "CANNOT",
            "Cannot",
            "gonna",
            "wed",
            "Wed",
            "im",
            "youre",
            "ill",
            "id",
            "abcdefghijklmnop",
            "ABCDEFGHIJKLMNOPQ",
            "abcdefghijklmnopqrstuvwxyzabcde",
            "abcdefghijklmnopqrstuvwxyzabcdef",
            "abcdefghijklmnopqrstuvwxyzabcdefghijklmnop",
            " ",
            " ",
            " ",
            "  ",
            ", ",
            ". ",
            "\n",
            "--",
            "\t",
            "(",
            ")\n\n",
            "x1",
            "10km",
            "5",
            "3.14",
            "é",
            "Ñ",
            "’",
            "‘s",
            "—",
            "中",
            "😀",
            "Σ",
            "0mb",
            "don't",
            "U.S.",
        ];
        let mut next = xorshift(0x2545_F491_4F6C_DD1Du64);
        for round in 0..6000 {
            let mut text = " ."
                .repeat(round % 3)
                .chars()
                .take(round % 41)
                .collect::<String>();
            for _ in 0..(next() % 40) {
                text.push_str(pieces[(next() % pieces.len() as u64) as usize]);
                if next().is_multiple_of(2) {
                    text.push(' ');
                }
            }
            check(&text);
        }
    }

    #[test]
    fn equals_simplify_then_tokenize() {
        for text in [
            "",
            "   ",
            "Hello, World!",
            "I cannot believe we'd go—wouldn't you? It's 10MB, 3.5GB or 1,000km.",
            "CANNOT Cannot cannot gonna GoNnA wed Wed WED",
            "v2.0beta covid19 19th 4x4 0mb 100mph 5am",
            "don’t “quoted” — dash… ellipsis",
            "Café naïve İstanbul Σίσυφος",
            "٣٤٥ and ４２ and 1٫5",
            "tabs\tand\nnew\r\nlines\u{a0}nbsp\u{2003}em",
            "a\u{7}b\u{1c}c\u{1f}d\x7fe",
            "emoji 😀 stays",
            "https://example.com/x?y=1 mail@example.org",
            "im youre hes shes theyre id ill",
            "   leading and trailing   ",
            "0 00 000 1.2.3 1,2,3 .5 5.",
        ] {
            check(text);
        }
    }

    #[test]
    fn random_ascii_and_punctuation_mixtures() {
        // Small deterministic generator: words, digits, ASCII punctuation, a few non-ASCII
        // punctuation marks, letters and digits, and exception words, in random order.
        let pieces = [
            "the",
            "cannot",
            "gonna",
            "wed",
            "0mb",
            "10km",
            "x1",
            "1x",
            "don't",
            "ll",
            "'s",
            ".",
            ",",
            "-",
            "—",
            "’",
            "“",
            "…",
            " ",
            "  ",
            "\t",
            "\n",
            "2024",
            "3.14",
            "1,000",
            "a.m.",
            "U.S.",
            "e-mail",
            "AT&T",
            "Ünïcode",
            "٣",
            "(",
            ")",
            "mph",
            "em",
            "Id",
            "ID",
            "5am",
            // Characters the fast path maps or copies, and ones that send it to the general path.
            "é",
            "Ñ",
            "İ",
            "‘",
            "©",
            "°",
            "£",
            "®",
            "•",
            "€",
            "™",
            "½",
            "²",
            "→",
            "д",
            "Σ",
            "ς",
            "\u{301}",
            "(c)",
            "’s",
            "‘s",
            "°c",
            "£5",
            "5°",
        ];
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15u64);
        for _ in 0..30000 {
            let n = (next() % 12) as usize;
            let mut text = String::new();
            for _ in 0..n {
                text.push_str(pieces[(next() % pieces.len() as u64) as usize]);
                if next().is_multiple_of(3) {
                    text.push(' ');
                }
            }
            check(&text);
        }
    }
}
