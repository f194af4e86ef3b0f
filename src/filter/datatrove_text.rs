//! Python string semantics that datatrove's filters rely on, reproduced exactly so that the Rust
//! filters see the same lines, words and characters as the Python reference.
//!
//! Python counts lengths in code points (not bytes), strips with `str.isspace` (which, unlike
//! Rust's `char::is_whitespace`, includes the information separators U+001C..U+001F), and
//! `str.splitlines` breaks on more characters than `\n`. Getting any of these wrong flips verdicts
//! on real web text, which is full of `\r`, NBSP and form feeds. The white-space and line helpers
//! come from [`crate::text`]; the character classes datatrove's filters add are here.

// Python's `str.isspace`, `strip`, `split()` and `splitlines` are shared with the text layer.
pub(crate) use crate::text::{is_py_space, py_split_whitespace, py_splitlines, py_strip};

/// Python's `str.lstrip()` with no argument.
#[inline]
pub(crate) fn py_lstrip(s: &str) -> &str {
    s.trim_start_matches(is_py_space)
}

/// Python's `str.rstrip()` with no argument.
#[inline]
pub(crate) fn py_rstrip(s: &str) -> &str {
    s.trim_end_matches(is_py_space)
}

/// Number of code points, Python's `len(str)`.
#[inline]
pub(crate) fn py_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Python's `str.isalpha` for one character: general category L* (Lu, Ll, Lt, Lm, Lo).
///
/// Rust's `is_alphabetic` is the wider `Alphabetic` property; the difference is letter numbers
/// (Nl, e.g. Roman numerals), combining marks with `Other_Alphabetic` (e.g. Devanagari vowel
/// signs) and enclosed/squared Latin letters (So). Those are removed here.
#[inline]
pub(crate) fn py_isalpha(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    c.is_alphabetic()
        && !unicode_normalization::char::is_combining_mark(c)
        && !is_letter_number(c)
        && !is_enclosed_alphabetic_symbol(c)
}

/// General category Nl (letter numbers), all of which are `Alphabetic` in Rust.
fn is_letter_number(c: char) -> bool {
    matches!(c as u32,
        0x16EE..=0x16F0 | 0x2160..=0x2182 | 0x2185..=0x2188 | 0x3007 | 0x3021..=0x3029
        | 0x3038..=0x303A | 0xA6E6..=0xA6EF | 0x10140..=0x10174 | 0x10341 | 0x1034A
        | 0x103D1..=0x103D5 | 0x12400..=0x1246E)
}

/// Symbols (So) that carry `Other_Alphabetic`: circled and squared Latin letters.
fn is_enclosed_alphabetic_symbol(c: char) -> bool {
    matches!(c as u32, 0x24B6..=0x24E9 | 0x1F130..=0x1F149 | 0x1F150..=0x1F169 | 0x1F170..=0x1F189)
}

/// Membership in datatrove's `PUNCTUATION_SET`.
#[inline]
pub(crate) fn is_datatrove_punctuation(c: char) -> bool {
    if c.is_ascii() {
        // ASCII members: controls except \t and \n, plus most printable punctuation.
        return ASCII_PUNCTUATION_MASK & (1u128 << c as u32) != 0;
    }
    PUNCTUATION_CHARS.binary_search(&c).is_ok()
}

/// Bit `c` is set for each ASCII character `c` of [`PUNCTUATION_CHARS`].
const ASCII_PUNCTUATION_MASK: u128 = {
    let mut mask = 0u128;
    let mut i = 0;
    while i < ASCII_PUNCTUATION_COUNT {
        mask |= 1u128 << (PUNCTUATION_CHARS[i] as u32);
        i += 1;
    }
    mask
};

/// Membership in datatrove's `TERMINAL_PUNCTUATION` (FineWeb's default stop characters).
#[inline]
pub(crate) fn is_terminal_punctuation(c: char) -> bool {
    TERMINAL_PUNCTUATION_CHARS.binary_search(&c).is_ok()
}

/// How many entries of [`PUNCTUATION_CHARS`] are ASCII (they sort first).
const ASCII_PUNCTUATION_COUNT: usize = {
    let mut n = 0;
    while n < PUNCTUATION_CHARS.len() && (PUNCTUATION_CHARS[n] as u32) < 0x80 {
        n += 1;
    }
    n
};

/// datatrove 0.10.1 `PUNCTUATION_SET` (its `PUNCTUATION` string plus `TERMINAL_PUNCTUATION`), sorted.
pub(crate) const PUNCTUATION_CHARS: [char; 281] = [
    '\u{0}',
    '\u{1}',
    '\u{2}',
    '\u{3}',
    '\u{4}',
    '\u{5}',
    '\u{6}',
    '\u{7}',
    '\u{8}',
    '\u{b}',
    '\u{c}',
    '\u{d}',
    '\u{e}',
    '\u{f}',
    '\u{10}',
    '\u{11}',
    '\u{12}',
    '\u{13}',
    '\u{14}',
    '\u{15}',
    '\u{16}',
    '\u{17}',
    '\u{18}',
    '\u{19}',
    '\u{1a}',
    '\u{1b}',
    '\u{1c}',
    '\u{1d}',
    '\u{1e}',
    '\u{1f}',
    '\u{21}',
    '\u{22}',
    '\u{23}',
    '\u{24}',
    '\u{25}',
    '\u{26}',
    '\u{27}',
    '\u{28}',
    '\u{29}',
    '\u{2a}',
    '\u{2b}',
    '\u{2c}',
    '\u{2d}',
    '\u{2e}',
    '\u{2f}',
    '\u{3a}',
    '\u{3b}',
    '\u{3c}',
    '\u{3d}',
    '\u{3e}',
    '\u{3f}',
    '\u{40}',
    '\u{5b}',
    '\u{5c}',
    '\u{5d}',
    '\u{5e}',
    '\u{5f}',
    '\u{60}',
    '\u{7b}',
    '\u{7c}',
    '\u{7d}',
    '\u{7e}',
    '\u{7f}',
    '\u{80}',
    '\u{81}',
    '\u{82}',
    '\u{83}',
    '\u{84}',
    '\u{85}',
    '\u{86}',
    '\u{87}',
    '\u{88}',
    '\u{89}',
    '\u{8a}',
    '\u{8b}',
    '\u{8c}',
    '\u{8d}',
    '\u{8e}',
    '\u{8f}',
    '\u{90}',
    '\u{91}',
    '\u{92}',
    '\u{93}',
    '\u{94}',
    '\u{95}',
    '\u{96}',
    '\u{97}',
    '\u{98}',
    '\u{99}',
    '\u{9a}',
    '\u{9b}',
    '\u{9c}',
    '\u{9d}',
    '\u{9e}',
    '\u{9f}',
    '\u{ab}',
    '\u{b4}',
    '\u{bb}',
    '\u{589}',
    '\u{61d}',
    '\u{61e}',
    '\u{61f}',
    '\u{6d4}',
    '\u{700}',
    '\u{701}',
    '\u{702}',
    '\u{7f9}',
    '\u{837}',
    '\u{839}',
    '\u{83d}',
    '\u{83e}',
    '\u{964}',
    '\u{965}',
    '\u{104a}',
    '\u{104b}',
    '\u{1362}',
    '\u{1367}',
    '\u{1368}',
    '\u{166e}',
    '\u{1735}',
    '\u{1736}',
    '\u{17d4}',
    '\u{17d5}',
    '\u{17d6}',
    '\u{17d9}',
    '\u{17da}',
    '\u{1803}',
    '\u{1809}',
    '\u{1944}',
    '\u{1945}',
    '\u{1aa8}',
    '\u{1aa9}',
    '\u{1aaa}',
    '\u{1aab}',
    '\u{1b5a}',
    '\u{1b5b}',
    '\u{1b5e}',
    '\u{1b5f}',
    '\u{1b7d}',
    '\u{1b7e}',
    '\u{1c3b}',
    '\u{1c3c}',
    '\u{1c7e}',
    '\u{1c7f}',
    '\u{2013}',
    '\u{2014}',
    '\u{2019}',
    '\u{201c}',
    '\u{201d}',
    '\u{201e}',
    '\u{2026}',
    '\u{203c}',
    '\u{203d}',
    '\u{2047}',
    '\u{2048}',
    '\u{2049}',
    '\u{2236}',
    '\u{2501}',
    '\u{25ba}',
    '\u{2e2e}',
    '\u{2e3c}',
    '\u{2e53}',
    '\u{2e54}',
    '\u{3001}',
    '\u{3002}',
    '\u{3008}',
    '\u{3009}',
    '\u{300a}',
    '\u{300b}',
    '\u{300c}',
    '\u{300d}',
    '\u{3010}',
    '\u{3011}',
    '\u{a4ff}',
    '\u{a60e}',
    '\u{a60f}',
    '\u{a6f3}',
    '\u{a6f7}',
    '\u{a876}',
    '\u{a877}',
    '\u{a8ce}',
    '\u{a8cf}',
    '\u{a92f}',
    '\u{a9c8}',
    '\u{a9c9}',
    '\u{aa5d}',
    '\u{aa5e}',
    '\u{aa5f}',
    '\u{aaf0}',
    '\u{aaf1}',
    '\u{abeb}',
    '\u{fe52}',
    '\u{fe56}',
    '\u{fe57}',
    '\u{ff01}',
    '\u{ff05}',
    '\u{ff08}',
    '\u{ff09}',
    '\u{ff0c}',
    '\u{ff0e}',
    '\u{ff11}',
    '\u{ff1a}',
    '\u{ff1b}',
    '\u{ff1f}',
    '\u{ff5e}',
    '\u{ff61}',
    '\u{10a56}',
    '\u{10a57}',
    '\u{10f55}',
    '\u{10f56}',
    '\u{10f57}',
    '\u{10f58}',
    '\u{10f59}',
    '\u{10f86}',
    '\u{10f87}',
    '\u{10f88}',
    '\u{10f89}',
    '\u{11047}',
    '\u{11048}',
    '\u{110be}',
    '\u{110bf}',
    '\u{110c0}',
    '\u{110c1}',
    '\u{11141}',
    '\u{11142}',
    '\u{11143}',
    '\u{111c5}',
    '\u{111c6}',
    '\u{111cd}',
    '\u{111de}',
    '\u{111df}',
    '\u{11238}',
    '\u{11239}',
    '\u{1123b}',
    '\u{1123c}',
    '\u{112a9}',
    '\u{1144b}',
    '\u{1144c}',
    '\u{115c2}',
    '\u{115c3}',
    '\u{115c9}',
    '\u{115ca}',
    '\u{115cb}',
    '\u{115cc}',
    '\u{115cd}',
    '\u{115ce}',
    '\u{115cf}',
    '\u{115d0}',
    '\u{115d1}',
    '\u{115d2}',
    '\u{115d3}',
    '\u{115d4}',
    '\u{115d5}',
    '\u{115d6}',
    '\u{115d7}',
    '\u{11641}',
    '\u{11642}',
    '\u{1173c}',
    '\u{1173d}',
    '\u{1173e}',
    '\u{11944}',
    '\u{11946}',
    '\u{11a42}',
    '\u{11a43}',
    '\u{11a9b}',
    '\u{11a9c}',
    '\u{11c41}',
    '\u{11c42}',
    '\u{11ef7}',
    '\u{11ef8}',
    '\u{11f43}',
    '\u{11f44}',
    '\u{16a6e}',
    '\u{16a6f}',
    '\u{16af5}',
    '\u{16b37}',
    '\u{16b38}',
    '\u{16b44}',
    '\u{16e98}',
    '\u{1bc9f}',
    '\u{1da88}',
];

/// datatrove 0.10.1 `TERMINAL_PUNCTUATION`, sorted.
pub(crate) const TERMINAL_PUNCTUATION_CHARS: [char; 159] = [
    '\u{21}',
    '\u{2e}',
    '\u{3f}',
    '\u{589}',
    '\u{61d}',
    '\u{61e}',
    '\u{61f}',
    '\u{6d4}',
    '\u{700}',
    '\u{701}',
    '\u{702}',
    '\u{7f9}',
    '\u{837}',
    '\u{839}',
    '\u{83d}',
    '\u{83e}',
    '\u{964}',
    '\u{965}',
    '\u{104a}',
    '\u{104b}',
    '\u{1362}',
    '\u{1367}',
    '\u{1368}',
    '\u{166e}',
    '\u{1735}',
    '\u{1736}',
    '\u{17d4}',
    '\u{17d5}',
    '\u{17d6}',
    '\u{17d9}',
    '\u{17da}',
    '\u{1803}',
    '\u{1809}',
    '\u{1944}',
    '\u{1945}',
    '\u{1aa8}',
    '\u{1aa9}',
    '\u{1aaa}',
    '\u{1aab}',
    '\u{1b5a}',
    '\u{1b5b}',
    '\u{1b5e}',
    '\u{1b5f}',
    '\u{1b7d}',
    '\u{1b7e}',
    '\u{1c3b}',
    '\u{1c3c}',
    '\u{1c7e}',
    '\u{1c7f}',
    '\u{203c}',
    '\u{203d}',
    '\u{2047}',
    '\u{2048}',
    '\u{2049}',
    '\u{2e2e}',
    '\u{2e3c}',
    '\u{2e53}',
    '\u{2e54}',
    '\u{3002}',
    '\u{a4ff}',
    '\u{a60e}',
    '\u{a60f}',
    '\u{a6f3}',
    '\u{a6f7}',
    '\u{a876}',
    '\u{a877}',
    '\u{a8ce}',
    '\u{a8cf}',
    '\u{a92f}',
    '\u{a9c8}',
    '\u{a9c9}',
    '\u{aa5d}',
    '\u{aa5e}',
    '\u{aa5f}',
    '\u{aaf0}',
    '\u{aaf1}',
    '\u{abeb}',
    '\u{fe52}',
    '\u{fe56}',
    '\u{fe57}',
    '\u{ff01}',
    '\u{ff0e}',
    '\u{ff1f}',
    '\u{ff61}',
    '\u{10a56}',
    '\u{10a57}',
    '\u{10f55}',
    '\u{10f56}',
    '\u{10f57}',
    '\u{10f58}',
    '\u{10f59}',
    '\u{10f86}',
    '\u{10f87}',
    '\u{10f88}',
    '\u{10f89}',
    '\u{11047}',
    '\u{11048}',
    '\u{110be}',
    '\u{110bf}',
    '\u{110c0}',
    '\u{110c1}',
    '\u{11141}',
    '\u{11142}',
    '\u{11143}',
    '\u{111c5}',
    '\u{111c6}',
    '\u{111cd}',
    '\u{111de}',
    '\u{111df}',
    '\u{11238}',
    '\u{11239}',
    '\u{1123b}',
    '\u{1123c}',
    '\u{112a9}',
    '\u{1144b}',
    '\u{1144c}',
    '\u{115c2}',
    '\u{115c3}',
    '\u{115c9}',
    '\u{115ca}',
    '\u{115cb}',
    '\u{115cc}',
    '\u{115cd}',
    '\u{115ce}',
    '\u{115cf}',
    '\u{115d0}',
    '\u{115d1}',
    '\u{115d2}',
    '\u{115d3}',
    '\u{115d4}',
    '\u{115d5}',
    '\u{115d6}',
    '\u{115d7}',
    '\u{11641}',
    '\u{11642}',
    '\u{1173c}',
    '\u{1173d}',
    '\u{1173e}',
    '\u{11944}',
    '\u{11946}',
    '\u{11a42}',
    '\u{11a43}',
    '\u{11a9b}',
    '\u{11a9c}',
    '\u{11c41}',
    '\u{11c42}',
    '\u{11ef7}',
    '\u{11ef8}',
    '\u{11f43}',
    '\u{11f44}',
    '\u{16a6e}',
    '\u{16a6f}',
    '\u{16af5}',
    '\u{16b37}',
    '\u{16b38}',
    '\u{16b44}',
    '\u{16e98}',
    '\u{1bc9f}',
    '\u{1da88}',
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_uses_python_whitespace() {
        assert_eq!(py_lstrip("\x1c\u{a0} hi \x1f"), "hi \x1f");
        assert_eq!(py_rstrip("\x1c hi \x1f\u{3000}"), "\x1c hi");
        // U+200B ZERO WIDTH SPACE is not whitespace in Python.
        assert_eq!(py_lstrip("\u{200b}x"), "\u{200b}x");
    }

    #[test]
    fn isalpha_matches_python_on_known_differences() {
        assert!(py_isalpha('é'));
        assert!(py_isalpha('ß'));
        assert!(py_isalpha('中'));
        assert!(!py_isalpha('Ⅻ')); // Nl
        assert!(!py_isalpha('\u{93e}')); // DEVANAGARI VOWEL SIGN AA, Mc
        assert!(!py_isalpha('Ⓐ')); // So
        assert!(!py_isalpha('1'));
        assert!(!py_isalpha('_'));
    }

    #[test]
    fn punctuation_sets() {
        for c in ['!', '#', '.', '…', '»', '\u{0}', '\u{7f}', '\u{9f}', '。'] {
            assert!(is_datatrove_punctuation(c), "{c:?}");
        }
        for c in ['\t', '\n', ' ', 'a', '0', '\u{a0}'] {
            assert!(!is_datatrove_punctuation(c), "{c:?}");
        }
        assert!(is_terminal_punctuation('.'));
        assert!(is_terminal_punctuation('。'));
        assert!(!is_terminal_punctuation('"'));
        assert!(!is_terminal_punctuation(','));
    }
}
