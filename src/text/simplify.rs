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
fn is_nd(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        REGEX_ND.contains(c)
    }
}

/// datatrove's `simplify_text(text)` with the default configuration (see the module docs).
pub fn simplify_text(text: &str) -> String {
    let lowered: std::borrow::Cow<str> = if text.is_ascii() {
        std::borrow::Cow::Owned(text.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Owned(text.to_lowercase())
    };
    // Steps 2-4 in one pass: numbers to "0", punctuation to space, white space collapsed.
    let mut out = String::with_capacity(lowered.len());
    let mut pending_space = false;
    let mut chars = lowered.chars().peekable();
    while let Some(c) = chars.next() {
        let mapped = if is_nd(c) {
            while chars.peek().is_some_and(|&d| is_nd(d)) {
                chars.next();
            }
            // Optional "<separator><digits>": look two characters ahead without consuming.
            let mut ahead = chars.clone();
            if ahead.next().is_some_and(is_decimal_separator) && ahead.next().is_some_and(is_nd) {
                chars.next();
                while chars.peek().is_some_and(|&d| is_nd(d)) {
                    chars.next();
                }
            }
            '0'
        } else if DATATROVE_PUNCTUATION.contains(c) {
            ' '
        } else {
            c
        };
        if is_py_space(mapped) {
            pending_space = true;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(mapped);
        }
    }
    // Step 5-6: decompose, drop non-spacing marks, strip.
    if out.is_ascii() {
        return out;
    }
    let decomposed: String = out.nfd().filter(|&c| !GC_MN.contains(c)).collect();
    py_strip(&decomposed).to_string()
}

#[cfg(test)]
mod tests {
    use super::simplify_text;

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
