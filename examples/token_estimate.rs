//! The built-in token-count estimate over texts: for bench/tokens/estimate_error.mjs, which
//! compares it with real tokenizers. Reads a JSON array of strings on stdin, writes the JSON
//! array of their estimated counts (`EstimateTokenCounter::count`, what the prefs checks use).
//!
//!   cargo build --release --example token_estimate

use datasieve::prefs::{EstimateTokenCounter, TokenCounter};

fn main() {
    let texts: Vec<String> =
        serde_json::from_reader(std::io::stdin().lock()).expect("a JSON array of strings on stdin");
    let counts: Vec<u64> = texts
        .iter()
        .map(|t| EstimateTokenCounter.count(t))
        .collect();
    println!(
        "{}",
        serde_json::to_string(&counts).expect("numbers serialise")
    );
}
