//! Exact token counts from a tokenizer.json (cargo feature `hf-tokenizer`):
//! `cargo test --features hf-tokenizer --test prefs_tokenizer`. The fixture
//! `tiny-bpe-tokenizer.json` is a 400-token byte-level BPE trained on the other fixtures with
//! the Python `tokenizers` package; the expected counts below are that package's.
#![cfg(feature = "hf-tokenizer")]

use std::path::Path;

use datasieve::prefs::tokens::TokenizerJsonCounter;
use datasieve::prefs::{codes, Family, PrefsChecker, PrefsConfig, TokenCounter};
use serde_json::json;

fn counter() -> TokenizerJsonCounter {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/prefs/tiny-bpe-tokenizer.json");
    TokenizerJsonCounter::from_bytes(&std::fs::read(path).unwrap(), "tiny-bpe-tokenizer.json")
        .unwrap()
}

#[test]
fn counts_match_the_reference_implementation() {
    let counter = counter();
    assert_eq!(counter.count("What is two plus two?"), 10);
    assert_eq!(
        counter.count("The quick brown fox jumps over the lazy dog again and again!!"),
        42
    );
    assert_eq!(counter.count("光合作用是植物"), 21);
    assert_eq!(counter.count(""), 0);
    assert_eq!(counter.method().kind, "tokenizer");
}

#[test]
fn prefixes_follow_token_offsets() {
    let counter = counter();
    assert_eq!(
        counter.prefix_len("What is two plus two?", 3),
        "What is".len()
    );
    assert_eq!(
        counter.prefix_len("What is two plus two?", 100),
        "What is two plus two?".len()
    );
    assert_eq!(counter.prefix_len("What is two plus two?", 0), 0);
    let cjk = "光合作用是植物";
    assert!(cjk.is_char_boundary(counter.prefix_len(cjk, 4)));
}

#[test]
fn checker_uses_the_tokenizer() {
    let config = PrefsConfig {
        max_length: Some(12),
        ..PrefsConfig::default()
    };
    let mut checker = PrefsChecker::new(config, Some(Family::StandardExplicit))
        .with_token_counter(Box::new(counter()));
    // 10 prompt tokens + more than 2 completion tokens exceed 12; the estimate (6 + 3) would not.
    let findings = checker.check(0, &json!({"prompt": "What is two plus two?", "chosen": "It is four.", "rejected": "It is five."}));
    assert!(
        findings.warnings.contains(&codes::PAIR_TRUNCATED),
        "{findings:?}"
    );
    assert_eq!(checker.finish().token_counting.kind, "tokenizer");
}
