//! Compact Unicode character classes for the generated tables in [`super::tables`].

/// A set of code points: a bit mask for ASCII plus sorted, disjoint inclusive ranges for the rest
/// (the ranges also cover ASCII, so either half alone is a correct answer for its inputs).
pub(crate) struct CharClass {
    pub(crate) ascii: u128,
    pub(crate) ranges: &'static [(u32, u32)],
}

impl CharClass {
    /// Whether `c` belongs to the class.
    #[inline]
    pub(crate) fn contains(&self, c: char) -> bool {
        let cp = c as u32;
        if cp < 128 {
            return ascii_bit(self.ascii, cp);
        }
        // Binary search for the last range starting at or before `cp`.
        let idx = self.ranges.partition_point(|&(lo, _)| lo <= cp);
        idx > 0 && cp <= self.ranges[idx - 1].1
    }
}

/// Bit `b` (< 128) of an ASCII mask. Shifting the `u128` by a variable amount is a library call
/// in wasm32 (`__lshrti3`, about 1 % of the signing time there); a shift of one `u64` half is
/// one instruction everywhere.
#[inline(always)]
pub(crate) fn ascii_bit(mask: u128, b: u32) -> bool {
    debug_assert!(b < 128);
    let half = if b < 64 {
        mask as u64
    } else {
        (mask >> 64) as u64
    };
    (half >> (b & 63)) & 1 == 1
}

/// Python's `str.isspace()`, which is also what `re`'s `\s` and `str.strip()` use. It differs
/// from Rust's `char::is_whitespace` (e.g. U+001C..U+001F are spaces for Python only).
#[inline]
pub fn is_py_space(c: char) -> bool {
    super::tables::PY_SPACE.contains(c)
}

/// Python's `str.strip()` with no argument.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Python's `str.split()` with no argument: the non-empty runs between white space.
pub fn py_split_whitespace(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_py_space).filter(|w| !w.is_empty())
}

/// Whether Python's `str.splitlines()` breaks a line at `c` ("\r\n" counts as one break).
#[cfg(test)]
fn is_py_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{B}'
            | '\u{C}'
            | '\u{1C}'
            | '\u{1D}'
            | '\u{1E}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Python's `str.splitlines()` (without `keepends`), which datatrove's C4 and FineWeb filters use:
/// besides "\n", "\r\n" and "\r" it breaks at \v, \f, U+001C..U+001E, U+0085, U+2028 and
/// U+2029; a final line break does not start an empty last line; "" has no lines.
pub fn py_splitlines(s: &str) -> Vec<&str> {
    // Scans bytes: every line break is an ASCII byte, or U+0085 (C2 85), or U+2028/U+2029
    // (E2 80 A8/A9), so a byte that cannot start one is skipped with one table lookup.
    const MAY_BREAK: [bool; 256] = {
        let mut table = [false; 256];
        let starts = [b'\n', b'\r', 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0xC2, 0xE2];
        let mut k = 0;
        while k < starts.len() {
            table[starts[k] as usize] = true;
            k += 1;
        }
        table
    };
    let bytes = s.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        if !MAY_BREAK[usize::from(b)] {
            i += 1;
            continue;
        }
        let width = match b {
            0xC2 if bytes.get(i + 1) == Some(&0x85) => 2,
            0xE2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) =>
            {
                3
            }
            0xC2 | 0xE2 => {
                i += 1;
                continue;
            }
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => 2,
            _ => 1,
        };
        lines.push(&s[start..i]);
        i += width;
        start = i;
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn ascii_bit_equals_the_u128_shift() {
        let masks = [
            0,
            u128::MAX,
            0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
            1 << 127,
            1 << 64,
            1 << 63,
        ];
        for mask in masks {
            for b in 0..128 {
                assert_eq!(
                    super::ascii_bit(mask, b),
                    (mask >> b) & 1 == 1,
                    "{mask:#x} bit {b}"
                );
            }
        }
    }

    use super::*;

    /// `py_splitlines` written the obvious way, over characters.
    fn splitlines_by_chars(s: &str) -> Vec<&str> {
        let mut lines = Vec::new();
        let mut start = 0usize;
        let mut iter = s.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            if is_py_line_break(c) {
                lines.push(&s[start..i]);
                let mut next = i + c.len_utf8();
                if c == '\r' && iter.peek().is_some_and(|&(_, d)| d == '\n') {
                    iter.next();
                    next += 1;
                }
                start = next;
            }
        }
        if start < s.len() {
            lines.push(&s[start..]);
        }
        lines
    }

    #[test]
    fn splitlines_byte_scan_equals_the_char_definition() {
        let pieces = [
            "a",
            "bc",
            " ",
            "\n",
            "\r",
            "\r\n",
            "\n\r",
            "\u{b}",
            "\u{c}",
            "\u{1c}",
            "\u{1d}",
            "\u{1e}",
            "\u{1f}",
            "\u{85}",
            "\u{2028}",
            "\u{2029}",
            "\u{2027}",
            "\u{202a}",
            "\u{a0}",
            "\u{e9}",
            "\u{20ac}",
            "\u{2010}",
            "\u{c5}",
            "\u{1F600}",
            "\t",
        ];
        let mut next = crate::test_rng::xorshift(0x2545_F491_4F6C_DD1D);
        let mut checked = 0;
        for _ in 0..20_000 {
            let state = next();
            let n = (state % 9) as usize;
            let text: String = (0..n)
                .map(|k| pieces[(state.rotate_left(7 * k as u32) % pieces.len() as u64) as usize])
                .collect();
            assert_eq!(py_splitlines(&text), splitlines_by_chars(&text), "{text:?}");
            checked += usize::from(text.len() > 3);
        }
        assert!(checked > 10_000);
    }

    #[test]
    fn python_string_helpers() {
        // Expected values from CPython 3.11.
        assert_eq!(py_splitlines(""), Vec::<&str>::new());
        assert_eq!(py_splitlines("a\n"), ["a"]);
        assert_eq!(py_splitlines("a\n\nb"), ["a", "", "b"]);
        assert_eq!(
            py_splitlines("a\r\nb\rc\u{2028}d\u{85}e\u{c}f\u{1c}g"),
            ["a", "b", "c", "d", "e", "f", "g"]
        );
        assert_eq!(py_splitlines("\n"), [""]);
        assert_eq!(py_splitlines("a\r\n\r\n"), ["a", ""]);
        assert_eq!(
            py_split_whitespace(" a\u{1f}b\u{a0} c ").collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(py_strip("\u{1c} x \u{3000}"), "x");
        assert!(is_py_space('\u{1f}') && !'\u{1f}'.is_whitespace());
        assert!(!is_py_space('\u{200b}'));
    }
}
