//! Signatures must equal the ones datatrove 0.10.1 itself computed (fixture made by
//! scripts/gen_minhash_fixture.py from real documents; see tests/fixtures/dedup/README.md).

use datasieve::dedup::minhash::{datatrove_permutations, HashWidth, MinHasher, MinhashParams};
use serde_json::Value;

const SIGNATURES: &str = include_str!("fixtures/dedup/datatrove_signatures.jsonl");
const PARAMS: &str = include_str!("fixtures/dedup/datatrove_params.json");

fn records() -> Vec<Value> {
    SIGNATURES
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn u64s(value: &Value) -> Option<Vec<u64>> {
    value
        .as_array()
        .map(|a| a.iter().map(|v| v.as_u64().unwrap()).collect())
}

fn hasher(num_perm: usize, width: HashWidth) -> MinHasher {
    MinHasher::new(&MinhashParams {
        ngram: 5,
        num_perm,
        width,
    })
    .unwrap()
}

#[test]
fn permutation_parameters_equal_numpy_random_state_1() {
    let fixture: Value = serde_json::from_str(PARAMS).unwrap();
    for (count, arrays) in fixture["params"].as_object().unwrap() {
        let (a, b) = datatrove_permutations(count.parse().unwrap()).unwrap();
        assert_eq!(a, u64s(&arrays["a"]).unwrap(), "a for {count}");
        assert_eq!(b, u64s(&arrays["b"]).unwrap(), "b for {count}");
    }
}

/// The hashing half (n-grams → xxh64 → permutations → minima) from datatrove's own tokens.
#[test]
fn signatures_from_datatrove_tokens_equal_datatrove() {
    let records = records();
    assert!(records.len() >= 30);
    let variants = [
        ("sig112", 112, HashWidth::Bits64),
        ("sig128", 128, HashWidth::Bits64),
        ("sig112_32bit", 112, HashWidth::Bits32),
    ];
    let mut compared = 0;
    for (key, num_perm, width) in variants {
        let hasher = hasher(num_perm, width);
        for record in &records {
            let Some(expected) = record.get(key) else {
                continue;
            };
            let tokens: Vec<&str> = record["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            let mut shingles = Vec::new();
            hasher.shingles_of_words(&tokens, &mut shingles);
            assert_eq!(shingles.len() as u64, record["shingles"].as_u64().unwrap());
            let mut signature = Vec::new();
            let has_signature = hasher.signature_of_shingles(&shingles, &mut signature);
            match u64s(expected) {
                Some(expected) => {
                    assert!(has_signature);
                    assert_eq!(
                        signature, expected,
                        "{key} of {} row {}",
                        record["source"], record["row"]
                    );
                    compared += 1;
                }
                None => assert!(
                    !has_signature,
                    "datatrove gave no signature for {}",
                    record["text"]
                ),
            }
        }
    }
    assert!(compared >= 30 + 5);
}

/// End to end from the raw text: simplify_text → word tokenizer → n-grams → signature, for every
/// fixture document and every recorded configuration.
#[test]
fn signatures_from_text_equal_datatrove() {
    let records = records();
    let variants = [
        ("sig112", 112, HashWidth::Bits64),
        ("sig128", 128, HashWidth::Bits64),
        ("sig112_32bit", 112, HashWidth::Bits32),
    ];
    let mut compared = 0;
    for (key, num_perm, width) in variants {
        let hasher = hasher(num_perm, width);
        for record in &records {
            let Some(expected) = record.get(key) else {
                continue;
            };
            let text = record["text"].as_str().unwrap();
            let mut signature = vec![7];
            let has_signature = hasher.signature(text, &mut signature);
            match u64s(expected) {
                Some(expected) => {
                    assert!(
                        has_signature,
                        "no signature for {} row {}",
                        record["source"], record["row"]
                    );
                    assert_eq!(
                        signature, expected,
                        "{key} of {} row {}",
                        record["source"], record["row"]
                    );
                    compared += 1;
                }
                None => assert!(
                    !has_signature && signature.is_empty(),
                    "datatrove gave no signature for {text:?}"
                ),
            }
        }
    }
    assert!(compared >= 30 + 5, "compared {compared}");
}

#[test]
fn shingle_hashes_from_text_match_datatrove_tokens() {
    let hasher = hasher(112, HashWidth::Bits64);
    for record in records() {
        let tokens: Vec<&str> = record["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let (mut from_tokens, mut from_text) = (Vec::new(), Vec::new());
        hasher.shingles_of_words(&tokens, &mut from_tokens);
        hasher.shingles(record["text"].as_str().unwrap(), &mut from_text);
        assert_eq!(
            from_text, from_tokens,
            "{} row {}",
            record["source"], record["row"]
        );
    }
}
