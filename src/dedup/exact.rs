//! Exact duplicates: rows whose compared text is equal (raw, or after normalisation) to an
//! earlier row's. The first occurrence is kept.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

/// Settings of exact dedup (pipeline config key `dedup.exact`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExactConfig {
    /// Compare normalised text instead of raw text (see [`crate::text::normalize::dedup_key_text`]).
    pub normalize: bool,
}

/// Keys are already uniform 128-bit hashes: use their low bits as the table hash. A fixed,
/// unseeded hasher keeps runs reproducible on every platform.
#[derive(Default)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

pub type HashedMap<K, V> = HashMap<K, V, BuildHasherDefault<PassThroughHasher>>;

/// 128-bit XXH3 of the text's UTF-8 bytes: the identity of a text.
pub fn text_key(text: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(text.as_bytes())
}

#[derive(Debug, Clone, Copy)]
struct Group {
    first_row: u64,
    rows: u32,
}

/// Streaming exact-duplicate finder.
#[derive(Default)]
pub struct ExactDeduper {
    config: ExactConfig,
    groups: HashedMap<u128, Group>,
    duplicates: u64,
}

/// The `stats.dedup.exact` section of the report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExactStats {
    pub normalize: bool,
    /// Rows compared (rows with text).
    pub rows_compared: u64,
    pub distinct_texts: u64,
    pub duplicate_rows: u64,
    /// The biggest groups of equal texts: the kept row and how many rows share its text.
    pub largest_groups: Vec<GroupSummary>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupSummary {
    pub kept_row: u64,
    pub rows: u64,
}

impl ExactDeduper {
    pub fn new(config: ExactConfig) -> Self {
        ExactDeduper {
            config,
            ..Default::default()
        }
    }

    /// Records `row`'s text; returns the earlier row it duplicates, if any.
    pub fn check(&mut self, row: u64, text: &str) -> Option<u64> {
        let key = if self.config.normalize {
            text_key(&crate::text::normalize::dedup_key_text(text))
        } else {
            text_key(text)
        };
        let group = self.groups.entry(key).or_insert(Group {
            first_row: row,
            rows: 0,
        });
        group.rows += 1;
        if group.rows > 1 {
            self.duplicates += 1;
            Some(group.first_row)
        } else {
            None
        }
    }

    pub fn finish(self) -> ExactStats {
        let mut groups: Vec<GroupSummary> = self
            .groups
            .values()
            .filter(|g| g.rows > 1)
            .map(|g| GroupSummary {
                kept_row: g.first_row,
                rows: u64::from(g.rows),
            })
            .collect();
        // Largest first; ties by row so the report is the same on every run.
        groups.sort_unstable_by(|a, b| b.rows.cmp(&a.rows).then(a.kept_row.cmp(&b.kept_row)));
        groups.truncate(20);
        ExactStats {
            normalize: self.config.normalize,
            rows_compared: self.groups.values().map(|g| u64::from(g.rows)).sum(),
            distinct_texts: self.groups.len() as u64,
            duplicate_rows: self.duplicates,
            largest_groups: groups,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_and_names_it() {
        let mut d = ExactDeduper::new(ExactConfig::default());
        assert_eq!(d.check(0, "a"), None);
        assert_eq!(d.check(1, "b"), None);
        assert_eq!(d.check(2, "a"), Some(0));
        assert_eq!(d.check(3, "a"), Some(0));
        assert_eq!(d.check(4, "A"), None);
        let s = d.finish();
        assert_eq!(s.duplicate_rows, 2);
        assert_eq!(s.distinct_texts, 3);
        assert_eq!(
            s.largest_groups,
            vec![GroupSummary {
                kept_row: 0,
                rows: 3
            }]
        );
    }

    #[test]
    fn normalised_comparison_ignores_case_and_spacing() {
        let mut d = ExactDeduper::new(ExactConfig { normalize: true });
        assert_eq!(d.check(0, "Hello,   World!"), None);
        assert_eq!(d.check(1, "hello world"), Some(0));
    }
}
