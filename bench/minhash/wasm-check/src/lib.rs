//! Exports `check() -> u64`: (documents compared << 32) | mismatches, for every signature in the
//! datatrove fixture (112, 128 and 32-bit variants), computed from the raw text inside wasm.

use datasieve::dedup::minhash::{HashWidth, MinHasher, MinhashParams};

const FIXTURE: &str = include_str!("../../../../tests/fixtures/dedup/datatrove_signatures.jsonl");

#[no_mangle]
pub extern "C" fn check() -> u64 {
    let (mut compared, mut mismatches) = (0u64, 0u64);
    for (key, num_perm, width) in [
        ("sig112", 112, HashWidth::Bits64),
        ("sig128", 128, HashWidth::Bits64),
        ("sig112_32bit", 112, HashWidth::Bits32),
    ] {
        let hasher = MinHasher::new(&MinhashParams {
            ngram: 5,
            num_perm,
            width,
        })
        .unwrap();
        for line in FIXTURE.lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            let Some(expected) = record.get(key) else {
                continue;
            };
            let mut signature = Vec::new();
            hasher.signature(record["text"].as_str().unwrap(), &mut signature);
            let expected: Vec<u64> = expected
                .as_array()
                .map(|a| a.iter().map(|v| v.as_u64().unwrap()).collect())
                .unwrap_or_default();
            compared += 1;
            if signature != expected {
                mismatches += 1;
            }
        }
    }
    compared << 32 | mismatches
}
