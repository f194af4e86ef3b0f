//! The native half of the native/wasm parity check: the core decides the parity fixture exactly
//! as recorded in `expected_decisions.jsonl`; `crates/wasm/tests/facade.rs` checks the wasm build
//! against the same file in Chromium.

use datasieve::config::PipelineConfig;
use datasieve::pipeline::Job;

const INPUT: &[u8] = include_bytes!("fixtures/parity/mixed.jsonl");
const CONFIG: &str = include_str!("fixtures/parity/exact_config.json");
const EXPECTED: &str = include_str!("fixtures/parity/expected_decisions.jsonl");

#[test]
fn native_decisions_match_the_recorded_ones_at_any_chunk_size() {
    for chunk in [1, 7, 64, 4096, INPUT.len()] {
        let mut job = Job::new(PipelineConfig::from_json(CONFIG).unwrap()).unwrap();
        for piece in INPUT.chunks(chunk) {
            job.push(piece).unwrap();
        }
        let outcome = job.finish().unwrap();
        let mut out = Vec::new();
        outcome.write_decisions(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            EXPECTED,
            "chunk size {chunk}"
        );
        assert_eq!(outcome.report.rows_removed, 4);
    }
}
