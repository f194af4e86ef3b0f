//! The statistics of `datasieve prefs` on small hand-made inputs.

use datasieve::prefs::{detect_family, Family, PrefsChecker, PrefsConfig, ScoreScale};
use serde_json::{json, Value};

fn stats_of(rows: &[Value], config: PrefsConfig) -> datasieve::prefs::PrefsStats {
    let family = detect_family(rows).family;
    let mut checker = PrefsChecker::new(config, family);
    for (index, row) in rows.iter().enumerate() {
        checker.check(index as u64, row);
    }
    checker.finish()
}

#[test]
fn length_bias_margins_prompts_and_models() {
    let rows = vec![
        json!({"prompt": "Q1", "chosen": "long answer here", "rejected": "short", "score_chosen": 9, "score_rejected": 4, "chosen_model": "big", "rejected_model": "small"}),
        json!({"prompt": "Q1", "chosen": "another long one", "rejected": "tiny", "score_chosen": 7, "score_rejected": 6, "chosen_model": "big", "rejected_model": "small"}),
        json!({"prompt": "Q2", "chosen": "abc", "rejected": "abcdef", "score_chosen": 5, "score_rejected": 5, "chosen_model": "small", "rejected_model": "big"}),
        json!({"prompt": "Q3", "chosen": "same", "rejected": "sama"}),
    ];
    let stats = stats_of(
        &rows,
        PrefsConfig {
            score_scale: Some(ScoreScale {
                min: 1.0,
                max: 10.0,
            }),
            ..PrefsConfig::default()
        },
    );
    assert_eq!(stats.family, Some(Family::StandardExplicit));
    assert_eq!(stats.pairs, 4);
    assert_eq!(stats.length_bias.chosen_longer_share, Some(0.5));
    assert_eq!(stats.length_bias.equal_length_share, Some(0.25));
    // Ratios 16/5, 16/4, 3/6, 4/4 → median of [0.5, 1, 3.2, 4] = 2.1.
    let median = stats.length_bias.median_length_ratio.unwrap();
    assert!((median - 2.1).abs() < 1e-6, "{median}");
    let margin = stats.score_margin.as_ref().unwrap();
    assert_eq!(margin.scored_pairs, 3);
    assert_eq!((margin.ties, margin.inverted), (1, 0));
    assert_eq!(margin.edges.first(), Some(&-9.0));
    assert_eq!(margin.edges.last(), Some(&9.0));
    assert_eq!(stats.warning_counts.get("score_tie"), Some(&1));
    assert_eq!(stats.prompts.unique_prompts, 3);
    assert_eq!(stats.prompts.max_pairs_per_prompt, 2);
    assert_eq!(stats.prompts.pairs_per_prompt.get("1"), Some(&2));
    assert_eq!(stats.prompts.pairs_per_prompt.get("2"), Some(&1));
    assert_eq!(stats.model_matrix["big"]["small"], 2);
    assert_eq!(stats.model_matrix["small"]["big"], 1);
    assert_eq!(stats.prompt_user_turns.get(&1), Some(&4));
    // "same" vs "sama" first differ at char 3; "abc" is a prefix of "abcdef".
    assert_eq!(stats.first_divergence.offsets.total, 4);
    assert_eq!(stats.first_divergence.prefix_pairs, 1);
    assert_eq!(stats.length_chars.chosen.max, 16);
    assert_eq!(stats.length_tokens.chosen.max, 4);
    // The four settings that cannot be inferred are in the output.
    let json = serde_json::to_value(&stats).unwrap();
    for key in [
        "rank_direction",
        "ab_label_side",
        "score_scale",
        "role_tags",
    ] {
        assert!(json["settings"].get(key).is_some(), "{key}");
    }
    assert_eq!(
        json["settings"]["score_scale"],
        json!({"min": 1.0, "max": 10.0})
    );
}

#[test]
fn refusal_rates_compare_chosen_and_rejected() {
    let rows = vec![
        json!({"prompt": "Help me hack a bank.", "chosen": "I cannot help with that request.", "rejected": "Sure, first..."}),
        json!({"prompt": "Write a poem.", "chosen": "Roses are red.", "rejected": "As an AI language model, I cannot write poems."}),
        json!({"prompt": "Say hi.", "chosen": "Hi!", "rejected": "Hello."}),
    ];
    let stats = stats_of(&rows, PrefsConfig::default());
    let refusals = stats.refusals.unwrap();
    assert_eq!(
        (refusals.chosen, refusals.rejected, refusals.chosen_examined),
        (1, 1, 3)
    );
    assert_eq!(stats.warning_counts.get("refusal_in_chosen"), Some(&1));
    let off = stats_of(
        &rows,
        PrefsConfig {
            detect_refusals: false,
            ..PrefsConfig::default()
        },
    );
    assert!(off.refusals.is_none());
    assert!(off.warning_counts.is_empty());
}

#[test]
fn statistics_skip_rows_with_errors() {
    let rows = vec![
        json!({"prompt": "Q", "chosen": "fine answer", "rejected": "bad"}),
        json!({"prompt": "Q", "chosen": "identical", "rejected": "identical"}),
    ];
    let stats = stats_of(&rows, PrefsConfig::default());
    assert_eq!((stats.rows, stats.valid_rows, stats.pairs), (2, 1, 1));
    assert_eq!(stats.length_chars.chosen.total, 1);
}

#[test]
fn detection_reports_mixed_files() {
    let rows = vec![
        json!({"prompt": "a", "chosen": "b", "rejected": "c"}),
        json!({"prompt": "a", "chosen": "b", "rejected": "d"}),
        json!({"prompt": "a", "completion": "b", "label": true}),
        json!({"text": "unrelated"}),
        json!("not an object"),
        json!({"prompt": "a", "chosen": "b", "rejected": "e", "conversations": [{"from": "human", "value": "a"}]}),
    ];
    let detection = detect_family(&rows);
    assert_eq!(detection.family, Some(Family::StandardExplicit));
    assert_eq!(detection.counts[&Family::StandardExplicit], 2);
    assert_eq!(detection.counts[&Family::Kto], 1);
    assert_eq!(
        (
            detection.unknown_rows,
            detection.non_object_rows,
            detection.rows
        ),
        (1, 1, 6)
    );
    assert!(detection
        .evidence
        .iter()
        .any(|line| line.contains("standard_explicit")));
    let mut checker = PrefsChecker::new(PrefsConfig::default(), detection.family);
    let codes: Vec<Vec<&str>> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| checker.check(i as u64, row).errors)
        .collect();
    assert_eq!(codes[2], vec!["mixed_schema"]);
    assert_eq!(codes[3], vec!["missing_field"]);
    assert_eq!(codes[4], vec!["unknown_schema"]);
    assert_eq!(
        codes[5],
        vec!["mixed_schema"],
        "a complete row of another family is mixed too"
    );
}

#[test]
fn output_is_deterministic() {
    let rows: Vec<Value> = (0..50)
        .map(|i| json!({"prompt": format!("Q{}", i % 7), "chosen": format!("answer {i}"), "rejected": format!("no {}", i % 5), "chosen_model": format!("m{}", i % 3)}))
        .collect();
    let first = serde_json::to_string(&stats_of(&rows, PrefsConfig::default())).unwrap();
    let second = serde_json::to_string(&stats_of(&rows, PrefsConfig::default())).unwrap();
    assert_eq!(first, second);
}

#[test]
fn detection_serialises_with_family_names() {
    let detection = detect_family(&[
        json!({"chosen": "\n\nHuman: hi\n\nAssistant: yo", "rejected": "\n\nHuman: hi\n\nAssistant: no"}),
    ]);
    let value = serde_json::to_value(&detection).unwrap();
    assert_eq!(value["family"], json!("standard_implicit"));
    assert_eq!(value["counts"], json!({"standard_implicit": 1}));
    assert_eq!(value["hh_transcript_rows"], json!(1));
}
