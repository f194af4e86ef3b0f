//! What is in a file: per-field presence, nulls and types, and the length distribution of the
//! compared text. Runs as part of every job; `datasieve inspect` runs it alone.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// Per top-level field.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct FieldStats {
    /// Rows where the key is present (null included).
    pub present: u64,
    pub nulls: u64,
    /// Rows per JSON type of the value: string, number, bool, array, object, null.
    pub types: BTreeMap<&'static str, u64>,
}

/// Summary of a list of lengths.
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq)]
pub struct Distribution {
    pub min: u64,
    pub p50: u64,
    pub p90: u64,
    pub max: u64,
    pub mean: f64,
}

impl Distribution {
    /// Nearest-rank percentiles of `values` (sorted in place).
    pub fn of(values: &mut [u32]) -> Option<Distribution> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        let rank = |p: f64| {
            let k = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
            u64::from(values[k - 1])
        };
        let sum: u64 = values.iter().map(|&v| u64::from(v)).sum();
        Some(Distribution {
            min: u64::from(values[0]),
            p50: rank(0.5),
            p90: rank(0.9),
            max: u64::from(values[values.len() - 1]),
            mean: sum as f64 / values.len() as f64,
        })
    }
}

/// The `stats.inspect` section of the report.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct InspectStats {
    pub fields: BTreeMap<String, FieldStats>,
    /// Rows that are not JSON objects (arrays, strings, numbers at the top level).
    pub non_object_rows: u64,
    /// Rows where none of the compared fields is present.
    pub rows_without_text: u64,
    /// Length of the compared text in Unicode scalar values.
    pub chars: Option<Distribution>,
    /// Length of the compared text in white-space separated words.
    pub words: Option<Distribution>,
}

/// Accumulates [`InspectStats`] row by row.
#[derive(Debug, Default)]
pub struct Inspector {
    fields: BTreeMap<String, FieldStats>,
    non_object_rows: u64,
    rows_without_text: u64,
    chars: Vec<u32>,
    words: Vec<u32>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl Inspector {
    pub fn observe(&mut self, row: &Value, text: Option<&str>) {
        match row {
            Value::Object(o) => {
                for (k, v) in o {
                    let f = match self.fields.get_mut(k.as_str()) {
                        Some(f) => f,
                        None => self.fields.entry(k.clone()).or_default(),
                    };
                    f.present += 1;
                    if v.is_null() {
                        f.nulls += 1;
                    }
                    *f.types.entry(type_name(v)).or_default() += 1;
                }
            }
            _ => self.non_object_rows += 1,
        }
        match text {
            Some(t) => {
                let (chars, words) = char_and_word_counts(t);
                self.chars.push(saturate(chars));
                self.words.push(saturate(words));
            }
            None => self.rows_without_text += 1,
        }
    }

    pub fn finish(mut self) -> InspectStats {
        InspectStats {
            fields: self.fields,
            non_object_rows: self.non_object_rows,
            rows_without_text: self.rows_without_text,
            chars: Distribution::of(&mut self.chars),
            words: Distribution::of(&mut self.words),
        }
    }
}

/// `(t.chars().count(), t.split_whitespace().count())`, in one branch-free byte pass for ASCII
/// text (every job runs this on every row, for the report's length distributions).
pub(crate) fn char_and_word_counts(t: &str) -> (usize, usize) {
    if !t.is_ascii() {
        return (t.chars().count(), t.split_whitespace().count());
    }
    // Rust's white space among ASCII bytes: \t \n \v \f \r and ' '.
    let mut words = 0usize;
    let mut after_space = true;
    for &b in t.as_bytes() {
        let space = matches!(b, b'\t'..=b'\r' | b' ');
        words += usize::from(after_space & !space);
        after_space = space;
    }
    (t.len(), words)
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_counts_equal_the_char_definitions() {
        for t in [
            "",
            " ",
            "a",
            " a ",
            "one two  three",
            "\ttabs\nand\x0bvt\x0cff\r\n",
            "\x1cnot\x1fspace",
            "x\u{a0}y",
            "caf\u{e9} au lait",
            "\u{2003}em space",
        ] {
            assert_eq!(
                char_and_word_counts(t),
                (t.chars().count(), t.split_whitespace().count()),
                "{t:?}"
            );
        }
    }
    use serde_json::json;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<u32> = (1..=10).collect();
        let d = Distribution::of(&mut v).unwrap();
        assert_eq!((d.min, d.p50, d.p90, d.max), (1, 5, 9, 10));
        assert_eq!(d.mean, 5.5);
        assert!(Distribution::of(&mut []).is_none());
    }

    #[test]
    fn counts_fields_nulls_and_types() {
        let mut i = Inspector::default();
        i.observe(&json!({"text": "a b", "id": 1}), Some("a b"));
        i.observe(&json!({"text": null}), None);
        i.observe(&json!([1]), None);
        let s = i.finish();
        assert_eq!(s.fields["text"].present, 2);
        assert_eq!(s.fields["text"].nulls, 1);
        assert_eq!(s.fields["text"].types["string"], 1);
        assert_eq!(s.fields["id"].types["number"], 1);
        assert_eq!(s.non_object_rows, 1);
        assert_eq!(s.rows_without_text, 2);
        assert_eq!(s.words.unwrap().max, 2);
    }
}
