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
            return (self.ascii >> cp) & 1 == 1;
        }
        // Binary search for the last range starting at or before `cp`.
        let idx = self.ranges.partition_point(|&(lo, _)| lo <= cp);
        idx > 0 && cp <= self.ranges[idx - 1].1
    }
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
