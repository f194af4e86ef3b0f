//! One fixture row per check: the exact error and warning codes each row gets.

use std::path::Path;

use datasieve::prefs::{
    codes, detect_family, Family, PrefsChecker, PrefsConfig, PrefsStats, RowFindings,
};
use serde_json::Value;

/// Parses a fixture; `None` for lines that are not JSON.
fn rows(name: &str) -> Vec<Option<Value>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/prefs")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Detects the family, checks every row, returns the findings and the stats.
fn check_file(name: &str, expected: Family, config: PrefsConfig) -> (Vec<RowFindings>, PrefsStats) {
    let rows = rows(name);
    let detection = detect_family(rows.iter().flatten());
    assert_eq!(detection.family, Some(expected), "{name}");
    let mut checker = PrefsChecker::new(config, detection.family);
    let findings = rows
        .iter()
        .enumerate()
        .map(|(index, row)| match row {
            Some(value) => checker.check(index as u64, value),
            None => checker.check_unparsable(index as u64),
        })
        .collect();
    (findings, checker.finish())
}

/// Asserts each row's exact error and warning codes (order-insensitive).
fn assert_codes(name: &str, findings: &[RowFindings], expected: &[(&[&str], &[&str])]) {
    assert_eq!(findings.len(), expected.len(), "{name}: row count");
    for (index, (found, (errors, warnings))) in findings.iter().zip(expected).enumerate() {
        let mut got_errors = found.errors.clone();
        let mut got_warnings = found.warnings.clone();
        got_errors.sort_unstable();
        got_warnings.sort_unstable();
        let mut want_errors = errors.to_vec();
        let mut want_warnings = warnings.to_vec();
        want_errors.sort_unstable();
        want_warnings.sort_unstable();
        assert_eq!(
            (got_errors, got_warnings),
            (want_errors, want_warnings),
            "{name} row {index}: {:#?}",
            found.details
        );
    }
}

const NONE: &[&str] = &[];

#[test]
fn standard_rows_one_check_each() {
    let (findings, stats) = check_file(
        "checks_standard.jsonl",
        Family::StandardExplicit,
        PrefsConfig::default(),
    );
    use codes::*;
    assert_codes(
        "checks_standard.jsonl",
        &findings,
        &[
            (NONE, NONE),
            (&[EMPTY_PROMPT], NONE),
            (&[EMPTY_CHOSEN], NONE),
            (&[EMPTY_REJECTED], NONE),
            (&[IDENTICAL_PAIR], NONE),
            (&[MISSING_FIELD], NONE),
            (&[MIXED_SCHEMA], NONE),
            (&[MIXED_SCHEMA], NONE),
            (&[SENTINEL_VALUE], NONE),
            (&[SCORE_INVERTED], NONE),
            (NONE, &[SCORE_TIE]),
            (&[SENTINEL_VALUE, SCORE_INVERTED], NONE),
            (NONE, &[DUPLICATE_PAIR]),
            (NONE, &[CONTRADICTION]),
            (NONE, &[TEMPLATE_TOKENS]),
            (NONE, &[REFUSAL_IN_CHOSEN]),
            (NONE, &[LANGUAGE_MISMATCH]),
            (&[PARSE_ERROR], NONE),
            (&[UNKNOWN_SCHEMA], NONE),
        ],
    );
    assert_eq!(findings[12].duplicate_of, Some(0));
    assert_eq!(findings[13].duplicate_of, Some(0));
    assert_eq!(findings[0].duplicate_of, None);
    let template = &findings[14].details[0];
    assert_eq!(
        (
            template.field.as_deref(),
            template.message_index,
            template.char_offset
        ),
        (Some("chosen"), Some(0), Some(0))
    );
    assert_eq!(findings[5].details[0].field.as_deref(), Some("rejected"));
    assert_eq!(
        findings[7].details[0].field.as_deref(),
        Some("completion"),
        "the foreign key is named"
    );
    // Counts: rows per code, valid rows.
    assert_eq!(stats.rows, 19);
    assert_eq!(stats.rows_with_errors, 12);
    assert_eq!(stats.valid_rows, 7);
    assert_eq!(stats.error_counts[MIXED_SCHEMA], 2);
    assert_eq!(stats.error_counts[SENTINEL_VALUE], 2);
    assert_eq!(stats.warning_counts[DUPLICATE_PAIR], 1);
}

#[test]
fn length_checks_follow_a_keep_start_trainer() {
    let config = PrefsConfig {
        max_length: Some(20),
        max_prompt_length: Some(10),
        ..PrefsConfig::default()
    };
    let (findings, stats) = check_file("checks_lengths.jsonl", Family::StandardExplicit, config);
    use codes::*;
    assert_codes(
        "checks_lengths.jsonl",
        &findings,
        &[
            (NONE, NONE),
            (NONE, &[PROMPT_TOO_LONG]),
            (NONE, &[PAIR_TRUNCATED, IDENTICAL_AFTER_TRUNCATION]),
            (NONE, &[PAIR_TRUNCATED]),
        ],
    );
    assert_eq!(stats.token_counting.kind, "estimate");
    assert!(stats.token_counting.expected_error.contains("English"));
    assert_eq!(stats.length_tokens.prompt.max, 12);
    // Without limits no length warning fires.
    let (findings, _) = check_file(
        "checks_lengths.jsonl",
        Family::StandardExplicit,
        PrefsConfig::default(),
    );
    assert!(findings.iter().all(|f| f.warnings.is_empty()));
}

#[test]
fn conversational_rows_one_check_each() {
    let (findings, _) = check_file(
        "checks_conversational.jsonl",
        Family::ConversationalExplicit,
        PrefsConfig::default(),
    );
    use codes::*;
    assert_codes(
        "checks_conversational.jsonl",
        &findings,
        &[
            (NONE, NONE),
            (&[BAD_MESSAGE], NONE),
            (&[BAD_MESSAGE], NONE),
            (&[BAD_MESSAGE], NONE),
            (&[BAD_LAST_ROLE, ROLE_ORDER], NONE),
            (&[BAD_LAST_ROLE, ROLE_ORDER], NONE),
            (&[ROLE_ORDER], NONE),
            (&[ROLE_ORDER], NONE),
            (&[BAD_MESSAGE], NONE),
            (NONE, NONE),
        ],
    );
    let bad_role = &findings[1].details[0];
    assert_eq!(
        (bad_role.field.as_deref(), bad_role.message_index),
        (Some("prompt"), Some(0))
    );
    assert!(bad_role.note.as_deref().unwrap().contains("narrator"));
    let order = findings[7]
        .details
        .iter()
        .find(|d| d.code == ROLE_ORDER)
        .unwrap();
    assert_eq!(
        (order.field.as_deref(), order.message_index),
        (Some("prompt"), Some(1))
    );
}

#[test]
fn implicit_prompts_must_agree() {
    let (findings, _) = check_file(
        "checks_implicit.jsonl",
        Family::ConversationalImplicit,
        PrefsConfig::default(),
    );
    use codes::*;
    assert_codes(
        "checks_implicit.jsonl",
        &findings,
        &[
            (NONE, NONE),
            (&[PROMPT_MISMATCH], NONE),
            (&[PROMPT_MISMATCH], NONE),
            (&[EMPTY_CHOSEN, BAD_LAST_ROLE], NONE),
        ],
    );
    let divergence = &findings[1].details[0];
    assert_eq!(
        (divergence.message_index, divergence.char_offset),
        (Some(0), Some("Tell me about the history of ".len()))
    );
    assert_eq!(findings[2].details[0].message_index, Some(0));
}

#[test]
fn hh_transcripts() {
    let (findings, stats) = check_file(
        "checks_hh.jsonl",
        Family::StandardImplicit,
        PrefsConfig::default(),
    );
    use codes::*;
    assert_codes(
        "checks_hh.jsonl",
        &findings,
        &[
            (NONE, NONE),
            (&[PROMPT_MISMATCH], NONE),
            (&[EMPTY_CHOSEN], NONE),
        ],
    );
    let divergence = &findings[1].details[0];
    assert_eq!(
        (divergence.message_index, divergence.char_offset),
        (Some(0), Some("How do I bake ".len()))
    );
    assert_eq!(stats.pairs, 1);
}

#[test]
fn kto_rows() {
    let (findings, stats) = check_file("checks_kto.jsonl", Family::Kto, PrefsConfig::default());
    use codes::*;
    assert_codes(
        "checks_kto.jsonl",
        &findings,
        &[
            (NONE, NONE),
            (NONE, NONE),
            (&[LABEL_NOT_BOOL], NONE),
            (&[LABEL_NOT_BOOL], NONE),
            (NONE, &[DUPLICATE_PAIR]),
            (NONE, &[CONTRADICTION]),
            (&[MISSING_FIELD], NONE),
            (&[EMPTY_CHOSEN], NONE),
            (NONE, &[REFUSAL_IN_CHOSEN]),
        ],
    );
    assert_eq!(
        (findings[4].duplicate_of, findings[5].duplicate_of),
        (Some(0), Some(0))
    );
    let balance = stats.kto_labels.expect("KTO files report label balance");
    assert_eq!((balance.desirable, balance.undesirable), (3, 2));
    assert_eq!(stats.unpaired, 5);
}

#[test]
fn contamination_probe_flags_rows() {
    let mut checker = PrefsChecker::new(PrefsConfig::default(), Some(Family::StandardExplicit))
        .with_contamination_probe(Box::new(|text: &str| text.contains("capital of France")));
    let rows = rows("family_standard_explicit.jsonl");
    let flagged = checker.check(0, rows[0].as_ref().unwrap());
    let clean = checker.check(1, rows[1].as_ref().unwrap());
    assert_eq!(flagged.warnings, vec![codes::CONTAMINATION]);
    assert!(clean.warnings.is_empty());
}

#[test]
fn unknown_family_marks_every_row() {
    let mut checker = PrefsChecker::new(PrefsConfig::default(), None);
    let findings = checker.check(0, &serde_json::json!({"text": "hello"}));
    assert_eq!(findings.errors, vec![codes::UNKNOWN_SCHEMA]);
    assert_eq!(checker.finish().error_counts[codes::UNKNOWN_SCHEMA], 1);
}

#[test]
fn codes_are_the_issue_vocabulary() {
    let errors = [
        "parse_error",
        "unknown_schema",
        "mixed_schema",
        "missing_field",
        "bad_message",
        "empty_prompt",
        "empty_chosen",
        "empty_rejected",
        "identical_pair",
        "prompt_mismatch",
        "bad_last_role",
        "role_order",
        "label_not_bool",
        "score_inverted",
        "sentinel_value",
    ];
    let warnings = [
        "score_tie",
        "duplicate_pair",
        "contradiction",
        "prompt_too_long",
        "pair_truncated",
        "identical_after_truncation",
        "template_tokens",
        "refusal_in_chosen",
        "language_mismatch",
        "contamination",
    ];
    assert_eq!(codes::ERROR_CODES, errors);
    assert_eq!(codes::WARNING_CODES, warnings);
}
