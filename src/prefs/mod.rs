//! Preference-pair validation (issue 5): the pre-flight check for DPO/KTO data.
//!
//! Use it in two streaming passes over parsed rows:
//! 1. family detection: [`FamilyDetector::observe`] every row, then [`FamilyDetector::finish`]
//!    (skip it when [`PrefsConfig::format`] names a family);
//! 2. checking: [`PrefsChecker::new`] with that family, [`PrefsChecker::check`] every row (or
//!    [`PrefsChecker::check_unparsable`] for rows the reader could not parse), then
//!    [`PrefsChecker::finish`] for the [`PrefsStats`].
//!
//! Every family converts into a [`NormalizedRow`] ([`normalize_row`]); [`export_trl`] writes
//! that in TRL's form. Codes are the constants of [`codes`]. Everything is deterministic and
//! builds for `wasm32-unknown-unknown` (no threads, files or clocks).
//!
//! ```
//! use datasieve::prefs::{codes, export_trl, resolve_family, FamilyDetector, PrefsChecker, PrefsConfig};
//! use serde_json::json;
//!
//! let rows = [
//!     json!({"prompt": "2+2?", "chosen": "4", "rejected": "5"}),
//!     json!({"prompt": "2+2?", "chosen": "5", "rejected": "4"}),
//! ];
//! let config = PrefsConfig::default();
//! let mut detector = FamilyDetector::new();
//! rows.iter().for_each(|row| detector.observe(row));
//! let detection = detector.finish();
//! let mut checker = PrefsChecker::new(config.clone(), resolve_family(&config, Some(&detection)));
//! let first = checker.check_row(0, &rows[0]);
//! assert!(first.findings.is_valid());
//! let trl = export_trl(first.row.as_ref().unwrap(), true);
//! assert_eq!(trl["chosen"], json!([{"role": "assistant", "content": "4"}]));
//! let second = checker.check(1, &rows[1]);
//! assert_eq!(second.warnings, [codes::CONTRADICTION]);
//! assert_eq!(second.duplicate_of, Some(0));
//! let stats = checker.finish();
//! assert_eq!(stats.warning_counts[codes::CONTRADICTION], 1);
//! ```

pub mod codes;
pub mod config;
pub mod convert;
pub mod export;
pub mod family;
pub mod pair;
pub mod stats;
pub mod text;
pub mod tokens;

mod checker;

pub use checker::{CheckedRow, ContaminationProbe, PrefsChecker, RowFindings};
pub use config::{
    AbLabelSide, AssumedSettings, FormatChoice, PrefsConfig, RankDirection, ScoreScale,
};
pub use convert::{normalize_row, Converted};
pub use export::export_trl;
pub use family::{classify_row, detect_family, Detection, Family, FamilyDetector};
pub use pair::{FindingDetail, Message, NormalizedPair, NormalizedRow, NormalizedUnpaired, Role};
pub use stats::PrefsStats;
pub use tokens::{EstimateTokenCounter, TokenCountMethod, TokenCounter};

/// The family to check with: the configured one, or the detected one under `auto`.
pub fn resolve_family(config: &PrefsConfig, detection: Option<&Detection>) -> Option<Family> {
    match config.format {
        FormatChoice::Family(family) => Some(family),
        FormatChoice::Auto => detection.and_then(|d| d.family),
    }
}
