//! The basic rules as the pipeline and the page use them: configuration from JSON, every failing
//! rule with its offending value, and re-judging stored lengths.

use datasieve::filter::basic::{
    parse_blocklist, BasicConfig, BasicFailure, BasicFilter, TextLength, BLOCKLIST, REGEX_MATCH,
    TOO_LONG, TOO_SHORT,
};

fn from_json(json: &str) -> BasicFilter {
    let config: BasicConfig = serde_json::from_str(json).expect("valid config JSON");
    BasicFilter::new(&config).expect("valid config")
}

#[test]
fn config_from_json_with_unknown_keys_rejected() {
    let filter =
        from_json(r#"{"min_words": 3, "max_chars": 40, "regex_exclude": ["(?i)lorem ipsum"]}"#);
    assert_eq!(filter.config().min_words, Some(3));
    assert!(serde_json::from_str::<BasicConfig>(r#"{"min_word": 3}"#).is_err());
    // An empty configuration passes everything.
    assert!(from_json("{}").check("").is_empty());
}

#[test]
fn every_failing_rule_is_reported_with_its_value() {
    let filter = from_json(
        r#"{"min_words": 5, "max_chars": 20, "regex_exclude": ["\\d{4}-\\d{2}-\\d{2}"],
            "regex_include": ["(?i)answer"], "blocklist": ["spam"]}"#,
    );
    let failures = filter.check("Spam on 2024-01-02!!");
    let codes: Vec<&str> = failures.iter().map(BasicFailure::code).collect();
    assert_eq!(codes, [TOO_SHORT, REGEX_MATCH, REGEX_MATCH, BLOCKLIST]);
    let described: Vec<String> = failures.iter().map(BasicFailure::describe).collect();
    assert_eq!(
        described,
        [
            "3 words < min 5",
            "matches excluded pattern /\\d{4}-\\d{2}-\\d{2}/ at bytes 8..18",
            "matches none of the include patterns",
            "contains blocklisted word \"spam\" (1 blocklist hit(s))",
        ]
    );
    let too_long = filter.check("the answer is forty-two, as everyone knows");
    assert_eq!(
        too_long,
        [BasicFailure::TooManyChars { chars: 42, max: 20 }]
    );
    assert_eq!(too_long[0].code(), TOO_LONG);
    assert!(filter.check("an answer is 42 ok").is_empty());
}

#[test]
fn failures_serialise_for_the_page() {
    let filter = from_json(r#"{"max_words": 2}"#);
    let json = serde_json::to_string(&filter.check("one two three")).unwrap();
    assert_eq!(json, r#"[{"failure":"too_many_words","words":3,"max":2}]"#);
}

#[test]
fn stored_lengths_rejudge_like_the_text() {
    let strict = from_json(r#"{"min_words": 4, "min_chars": 10}"#);
    let loose = from_json(r#"{"min_words": 2}"#);
    for text in [
        "a b c",
        "hello there world again",
        "x",
        "  ",
        "ünïcödé wörds here now",
    ] {
        let length = TextLength::of(text);
        assert_eq!(strict.judge_length(length), strict.check(text), "{text:?}");
        assert_eq!(loose.judge_length(length), loose.check(text), "{text:?}");
    }
}

#[test]
fn large_blocklist_compiles_and_matches_whole_words_only() {
    let words: String = (0..5_000).map(|i| format!("blockedword{i}\n")).collect();
    let filter = BasicFilter::new(&BasicConfig {
        blocklist: parse_blocklist(&words),
        ..Default::default()
    })
    .unwrap();
    let failures = filter.check("this mentions BlockedWord4999 once");
    assert_eq!(
        failures,
        [BasicFailure::Blocklisted {
            word: "blockedword4999".into(),
            byte_range: 14..29,
            occurrences: 1
        }]
    );
    assert!(filter
        .check("blockedword50000 is not listed; xblockedword1 is glued")
        .is_empty());
}
