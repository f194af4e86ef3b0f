//! datatrove's `simplify_text` with its default `TextNormConfig`, reproduced exactly.
//!
//! The steps and their order (datatrove/utils/text.py):
//! 1. lower-case (Python `str.lower()`: full Unicode case mapping, final sigma included);
//! 2. every number — a run of Unicode decimal digits, optionally followed by one separator out of
//!    `. , ، ٫ ⎖ ⎗ ⎘` and another run of digits — becomes `0`;
//! 3. every character of datatrove's `PUNCTUATION` (ASCII and CJK punctuation, dashes, quotes and
//!    the C0/C1 control characters except tab and line feed) becomes a space;
//! 4. the text is stripped and every run of white space (Python's definition) becomes one space;
//! 5. the text is decomposed (NFD, *not* recomposed) and non-spacing marks (Mn) are dropped, which
//!    removes accents ("é" → "e");
//! 6. the result is stripped again.
//!
//! Weekday and month-name replacement are off in the default config and not implemented.

use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use super::charclass::{is_py_space, py_strip};
use super::tables::{DATATROVE_PUNCTUATION, GC_MN, REGEX_ND};

/// Decimal separators NUMBERS_PATTERN accepts between two digit runs.
fn is_decimal_separator(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | '\u{60C}' | '\u{66B}' | '\u{2396}' | '\u{2397}' | '\u{2398}'
    )
}

#[inline]
pub(super) fn is_nd(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        REGEX_ND.contains(c)
    }
}

/// The character at byte `i` of `s` and its length, decoding ASCII without the UTF-8 machinery.
#[inline]
fn char_at(s: &str, i: usize) -> Option<(char, usize)> {
    let b = *s.as_bytes().get(i)?;
    if b < 0x80 {
        return Some((char::from(b), 1));
    }
    let c = s[i..].chars().next().expect("char boundary");
    Some((c, c.len_utf8()))
}

/// [`ascii_table`] entry of a byte that becomes white space (punctuation or white space).
const ASCII_SPACE: u8 = 0;
/// [`ascii_table`] entry of a decimal digit (the start of a number).
const ASCII_DIGIT: u8 = 0xFF;

/// Steps 1-3 for each ASCII byte: [`ASCII_DIGIT`], [`ASCII_SPACE`], or the (lower-cased) byte
/// itself. Punctuation is checked before lower-casing, as datatrove does after lower-casing the
/// whole text (no ASCII letter is punctuation in either case).
fn ascii_table() -> &'static [u8; 128] {
    static CELL: OnceLock<[u8; 128]> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut table = [0u8; 128];
        for (b, entry) in (0u8..128).zip(table.iter_mut()) {
            let c = char::from(b);
            *entry = if c.is_ascii_digit() {
                ASCII_DIGIT
            } else if DATATROVE_PUNCTUATION.contains(c) || is_py_space(c) {
                ASCII_SPACE
            } else {
                b.to_ascii_lowercase()
            };
        }
        table
    })
}

/// What simplification does with an ASCII byte (steps 1-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AsciiClass {
    /// Punctuation or white space: becomes (part of) a single space.
    Separator,
    /// A decimal digit: starts a number, which becomes "0".
    Digit,
    /// A letter, lower-cased.
    Letter(u8),
    /// Anything else (kept as is; no ASCII byte is in this class with datatrove's tables, but
    /// callers that assume `[a-z0 ]` output check for it).
    Other(u8),
}

/// [`AsciiClass`] of every ASCII byte, indexed by the byte.
pub(super) fn ascii_classes() -> &'static [AsciiClass; 128] {
    static CELL: OnceLock<[AsciiClass; 128]> = OnceLock::new();
    CELL.get_or_init(|| {
        let table = ascii_table();
        std::array::from_fn(|b| match table[b] {
            ASCII_SPACE => AsciiClass::Separator,
            ASCII_DIGIT => AsciiClass::Digit,
            lower if lower.is_ascii_lowercase() => AsciiClass::Letter(lower),
            other => AsciiClass::Other(other),
        })
    })
}

/// Having consumed a number's first digit, advances `i` past the rest of NUMBERS_PATTERN's
/// match: the digit run, then optionally one separator followed by another digit run.
#[inline]
pub(super) fn skip_rest_of_number(s: &str, i: &mut usize) {
    while let Some((_, w)) = char_at(s, *i).filter(|&(d, _)| is_nd(d)) {
        *i += w;
    }
    if let Some((_, sep_width)) = char_at(s, *i).filter(|&(c, _)| is_decimal_separator(c)) {
        if char_at(s, *i + sep_width).is_some_and(|(d, _)| is_nd(d)) {
            *i += sep_width;
            while let Some((_, w)) = char_at(s, *i).filter(|&(d, _)| is_nd(d)) {
                *i += w;
            }
        }
    }
}

/// datatrove's `simplify_text(text)` with the default configuration (see the module docs).
pub fn simplify_text(text: &str) -> String {
    // Step 1. ASCII text is lower-cased byte by byte in the loop below (by `ascii_table`, which
    // leaves the ASCII of already lower-cased text as it is); other text needs the full mapping,
    // final sigma included, on the whole string.
    let lowered: std::borrow::Cow<str> = if text.is_ascii() {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.to_lowercase())
    };
    let s: &str = &lowered;
    // Steps 2-4 in one pass: numbers to "0", punctuation to space, white space collapsed.
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let table = ascii_table();
    let bytes = s.as_bytes();
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        let mapped = if b < 0x80 {
            i += 1;
            match table[usize::from(b)] {
                ASCII_SPACE => {
                    pending_space = true;
                    continue;
                }
                ASCII_DIGIT => {
                    skip_rest_of_number(s, &mut i);
                    '0'
                }
                other => char::from(other),
            }
        } else {
            let (c, width) = char_at(s, i).expect("in bounds");
            i += width;
            if is_nd(c) {
                skip_rest_of_number(s, &mut i);
                '0'
            } else if DATATROVE_PUNCTUATION.contains(c) || is_py_space(c) {
                pending_space = true;
                continue;
            } else {
                c
            }
        };
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(mapped);
    }
    // Step 5-6: decompose, drop non-spacing marks, strip.
    if out.is_ascii() {
        return out;
    }
    // An ASCII character is its own NFD and a starter (combining class 0), so canonical
    // reordering never moves anything across it: NFD of the whole text is the concatenation of
    // the ASCII characters and the NFD of each maximal non-ASCII run between them.
    let mut decomposed = String::with_capacity(out.len() + out.len() / 4);
    let mut rest = out.as_str();
    while !rest.is_empty() {
        let ascii_len = rest.bytes().position(|b| b >= 0x80).unwrap_or(rest.len());
        decomposed.push_str(&rest[..ascii_len]);
        rest = &rest[ascii_len..];
        let run_len = rest.bytes().position(|b| b < 0x80).unwrap_or(rest.len());
        decomposed.extend(rest[..run_len].nfd().filter(|&c| !GC_MN.contains(c)));
        rest = &rest[run_len..];
    }
    py_strip(&decomposed).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_table_markers_do_not_collide() {
        // NUL is punctuation, so no byte that maps to itself is confused with ASCII_SPACE.
        assert!(DATATROVE_PUNCTUATION.contains('\0'));
        assert_eq!(ascii_table()[0], ASCII_SPACE);
        assert_eq!(ascii_table()[usize::from(b'Q')], b'q');
        assert_eq!(ascii_table()[usize::from(b'7')], ASCII_DIGIT);
        assert_eq!(ascii_table()[usize::from(b'\t')], ASCII_SPACE);
        assert_eq!(ascii_table()[usize::from(b'-')], ASCII_SPACE);
    }

    #[test]
    fn ascii_fast_path_equals_the_general_path() {
        // The general path on the same text with one non-ASCII character appended (which maps
        // to itself and stays at the end) must give the fast path's result plus that character.
        let cases = [
            "",
            "Hello, World!",
            "  A\t\tB \n\n C  ",
            "In 2023, 1,000.50 and 3.14.15",
            "1,000,000 items",
            "v2.0beta 7. 8,x 9,",
            "a\u{7}b\u{1c}c\u{1f}d\x7fe",
            " ... ",
            "MiXeD CaSe_with-dashes/and\\slashes {braces} [x] ~`^|@#$%&*+=<>",
        ];
        for text in cases {
            let fast = simplify_text(text);
            assert!(text.is_ascii());
            let general = simplify_text(&format!("{text} \u{4e00}"));
            let expected = if fast.is_empty() {
                "\u{4e00}".to_string()
            } else {
                format!("{fast} \u{4e00}")
            };
            assert_eq!(general, expected, "{text:?}");
        }
    }

    #[test]
    fn lowercases_and_removes_punctuation() {
        assert_eq!(simplify_text("Hello, World!"), "hello world");
        assert_eq!(simplify_text("  A\t\tB \n\n C  "), "a b c");
        assert_eq!(simplify_text("don't stop—ever…"), "don t stop ever");
    }

    #[test]
    fn numbers_become_zero() {
        assert_eq!(
            simplify_text("In 2023, 1,000.50 and 3.14.15"),
            "in 0 0 0 and 0 0"
        );
        assert_eq!(simplify_text("1,000,000 items"), "0 0 items");
        assert_eq!(simplify_text("٣٤٥ and ４２"), "0 and 0");
        assert_eq!(simplify_text("v2.0beta"), "v0beta");
    }

    #[test]
    fn accents_are_stripped_without_recomposition() {
        assert_eq!(simplify_text("Café Naïve ÉCOLE"), "cafe naive ecole");
        assert_eq!(simplify_text("İstanbul"), "istanbul");
        // Hangul decomposes into conjoining jamo, which are not marks, and stays decomposed.
        assert_eq!(simplify_text("한"), "\u{1112}\u{1161}\u{11AB}");
        // A trailing mark after a space is dropped and the space stripped.
        assert_eq!(simplify_text("a \u{301}"), "a");
    }

    #[test]
    fn control_characters_and_empty_text() {
        assert_eq!(simplify_text("a\u{7}b\u{85}c"), "a b c");
        assert_eq!(simplify_text(""), "");
        assert_eq!(simplify_text(" ... "), "");
    }
}
