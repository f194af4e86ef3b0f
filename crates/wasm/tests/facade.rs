#![cfg(target_arch = "wasm32")]
//! The wasm half of the parity check, run in headless Chromium: the façade decides the parity
//! fixture exactly as the native core does (`tests/parity.rs` checks native against the same
//! recorded decisions), and the split outputs hold every input row once.

use datasieve_wasm::{Engine, JobOutcome};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const INPUT: &[u8] = include_bytes!("../../../tests/fixtures/parity/mixed.jsonl");
const CONFIG: &str = include_str!("../../../tests/fixtures/parity/exact_config.json");
const EXPECTED: &str = include_str!("../../../tests/fixtures/parity/expected_decisions.jsonl");

fn analyse(chunk: usize) -> JobOutcome {
    let mut engine = Engine::new(CONFIG).unwrap_or_else(|_| panic!("config accepted"));
    for piece in INPUT.chunks(chunk) {
        engine.push(piece).unwrap_or_else(|_| panic!("push"));
    }
    engine.finish().unwrap_or_else(|_| panic!("finish"))
}

#[wasm_bindgen_test]
fn wasm_decisions_equal_native_decisions() {
    for chunk in [1, 13, 4096] {
        let outcome = analyse(chunk);
        assert_eq!(
            String::from_utf8(outcome.decisions_jsonl()).unwrap(),
            EXPECTED,
            "chunk {chunk}"
        );
    }
}

#[wasm_bindgen_test]
fn split_outputs_hold_every_row_once_byte_identical() {
    let outcome = analyse(4096);
    let mut split = outcome.splitter();
    let (mut kept, mut removed) = (Vec::new(), Vec::new());
    // What the page does with the parts: input spans are sliced from the file, copied bytes
    // taken as they are.
    let mut take = |split: &mut datasieve_wasm::Split, done: bool| {
        for (output, bytes) in [(0u8, &mut kept), (1u8, &mut removed)] {
            let parts = split
                .take_parts(output, done)
                .unwrap_or_else(|_| panic!("parts"));
            let copied = split.take_copied(output);
            for pair in parts.chunks(2) {
                let (a, b) = (pair[0], pair[1] as usize);
                if a >= 0.0 {
                    bytes.extend_from_slice(&INPUT[a as usize..b]);
                } else {
                    bytes.extend_from_slice(&copied[(-1.0 - a) as usize..b]);
                }
            }
        }
    };
    for piece in INPUT.chunks(5) {
        split.push(piece).unwrap_or_else(|_| panic!("split push"));
        take(&mut split, false);
    }
    split.finish().unwrap_or_else(|_| panic!("split finish"));
    take(&mut split, true);
    // Rows with their own line endings; the last input row has none and gets "\n".
    let rows: Vec<Vec<u8>> = INPUT[3..]
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| !l.iter().all(|b| b.is_ascii_whitespace()))
        .map(|l| {
            if l.ends_with(b"\n") {
                l.to_vec()
            } else {
                [l, b"\n"].concat()
            }
        })
        .collect();
    let decisions: Vec<bool> = EXPECTED
        .lines()
        .map(|l| l.contains("\"kept\":true"))
        .collect();
    assert_eq!(rows.len(), decisions.len());
    let expect_kept: Vec<u8> = rows
        .iter()
        .zip(&decisions)
        .filter(|(_, k)| **k)
        .flat_map(|(r, _)| r.clone())
        .collect();
    let expect_removed: Vec<u8> = rows
        .iter()
        .zip(&decisions)
        .filter(|(_, k)| !**k)
        .flat_map(|(r, _)| r.clone())
        .collect();
    assert_eq!(kept, expect_kept);
    assert_eq!(removed, expect_removed);
}

#[wasm_bindgen_test]
fn bad_config_is_an_error() {
    assert!(Engine::new(r#"{"dedupe": {}}"#).is_err());
}

#[wasm_bindgen_test]
fn range_planner_cuts_the_fixture_after_newlines_as_the_core_does() {
    use datasieve::pipeline::near::signing_range_planner;
    use datasieve_wasm::{range_probe_bytes, RangePlanner};
    // Small reads, as a slower file would give them, so searches span several feeds.
    let probe = (range_probe_bytes() as usize).min(97);
    // Two sign workers: a few ranges each.
    let mut planner = RangePlanner::new(INPUT.len() as f64, 2);
    let mut core = signing_range_planner(INPUT.len() as u64, 2);
    while let Some(at) = planner.wanted() {
        assert_eq!(Some(at as u64), core.wanted());
        let bytes = &INPUT[at as usize..(at as usize + probe).min(INPUT.len())];
        planner.feed(bytes);
        core.feed(bytes);
    }
    assert_eq!(core.wanted(), None);
    let flat = planner.ranges();
    let expected: Vec<f64> = core
        .ranges()
        .into_iter()
        .flat_map(|(start, end)| [start as f64, end as f64])
        .collect();
    assert_eq!(flat, expected);
    assert!(
        flat.len() >= 4,
        "the fixture is cut at least once: {flat:?}"
    );
    assert_eq!(flat[0], 0.0);
    assert_eq!(*flat.last().unwrap(), INPUT.len() as f64);
    for k in (1..flat.len() - 1).step_by(2) {
        assert_eq!(
            INPUT[flat[k] as usize - 1],
            b'\n',
            "range ends after a newline"
        );
    }
}

#[wasm_bindgen_test]
fn the_page_gets_the_clis_parallel_signing_policy() {
    use datasieve::io::{compression_of, Compression};
    use datasieve::pipeline::near::parallel_signing_pays_off;
    let gzip_head: &[u8] = &[0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
    for head in [INPUT, gzip_head] {
        assert_ne!(compression_of(head) == Compression::None, head == gzip_head);
        for mib in [0u64, 1, 2, 3, 7, 8, 9, 1 << 20] {
            let len = mib << 20;
            for len in [len.saturating_sub(1), len] {
                assert_eq!(
                    datasieve_wasm::parallel_signing_pays_off(len as f64, head),
                    parallel_signing_pays_off(len, compression_of(head)),
                    "{len} bytes"
                );
            }
        }
    }
    assert!(!datasieve_wasm::parallel_signing_pays_off(1e6, INPUT));
    assert!(datasieve_wasm::parallel_signing_pays_off(1e9, INPUT));
}
