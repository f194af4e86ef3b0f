//! datasieve core: streaming readers, schema detection, deduplication, quality filters and
//! preference-pair checks for LLM training data.
//!
//! The core is plain Rust with no WebAssembly types: the wasm façade (`crates/wasm`) and the CLI
//! (`crates/cli`) only convert between their world and the types here.
//!
//! Data flows in two passes over the input bytes:
//! 1. [`pipeline::Job`] takes the input in chunks of any size, frames rows ([`io::RowReader`]),
//!    parses them, runs the configured stages and keeps a small per-row record;
//!    [`pipeline::Job::finish`] turns those records into one [`pipeline::Decision`] per row and a
//!    [`report::Report`].
//! 2. [`io::Splitter`] reads the same bytes again and routes every row, byte-identical, to the kept
//!    or the removed output.

pub mod config;
pub mod dedup;
pub mod error;
pub mod filter;
pub mod inspect;
pub mod io;
pub mod pipeline;
pub mod prefs;
pub mod reasons;
pub mod report;
pub mod schema;
pub mod text;

#[cfg(test)]
mod test_rng;

pub use error::{Error, Result};

/// The version written into every report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
