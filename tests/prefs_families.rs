//! Per-family detection and normalisation on the fixtures in tests/fixtures/prefs.

use std::path::Path;

use datasieve::prefs::{
    detect_family, export_trl, normalize_row, Family, NormalizedPair, NormalizedRow, PrefsChecker,
    PrefsConfig, Role,
};
use serde_json::{json, Value};

fn rows(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/prefs")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|line| serde_json::from_str(line).expect("fixture line parses"))
        .collect()
}

/// Detects the file's family, asserts it, checks every row and asserts none has an error.
/// Returns the normalised rows.
fn load(name: &str, expected: Family) -> Vec<NormalizedRow> {
    let rows = rows(name);
    let detection = detect_family(&rows);
    assert_eq!(
        detection.family,
        Some(expected),
        "{name}: {:?}",
        detection.evidence
    );
    assert_eq!(
        detection.counts.get(&expected),
        Some(&(rows.len() as u64)),
        "{name}: every row is {expected:?}"
    );
    let mut checker = PrefsChecker::new(PrefsConfig::default(), detection.family);
    let mut normalized = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let checked = checker.check_row(index as u64, row);
        assert!(
            checked.findings.errors.is_empty(),
            "{name} row {index}: {:?}",
            checked.findings
        );
        normalized.push(checked.row.expect("a row without errors converts"));
    }
    let stats = checker.finish();
    assert_eq!(stats.valid_rows, rows.len() as u64);
    normalized
}

fn pair(row: &NormalizedRow) -> &NormalizedPair {
    match row {
        NormalizedRow::Pair(pair) => pair,
        NormalizedRow::Unpaired(_) => panic!("expected a pair"),
    }
}

fn roles(messages: &[datasieve::prefs::Message]) -> Vec<Role> {
    messages.iter().map(|m| m.role).collect()
}

fn last_text(messages: &[datasieve::prefs::Message]) -> &str {
    &messages.last().expect("non-empty").content
}

#[test]
fn standard_explicit() {
    let rows = load("family_standard_explicit.jsonl", Family::StandardExplicit);
    let first = pair(&rows[0]);
    assert_eq!(first.prompt.len(), 1);
    assert_eq!(first.prompt[0].role, Role::User);
    assert_eq!(last_text(&first.chosen), "Paris is the capital of France.");
    let second = pair(&rows[1]);
    assert_eq!(
        (second.score_chosen, second.score_rejected),
        (Some(8.0), Some(2.0))
    );
}

#[test]
fn standard_implicit_splits_hh_transcripts_and_plain_prefixes() {
    let rows = load("family_standard_implicit.jsonl", Family::StandardImplicit);
    let hh = pair(&rows[0]);
    assert_eq!(
        roles(&hh.prompt),
        vec![Role::User, Role::Assistant, Role::User]
    );
    assert_eq!(hh.prompt[2].content, "Tell me a fact.");
    assert_eq!(last_text(&hh.chosen), "Honey never spoils.");
    assert_eq!(last_text(&hh.rejected), "No.");
    let plain = pair(&rows[1]);
    assert_eq!(plain.prompt[0].content, "Question: 2+2? Answer: ");
    assert_eq!(
        (last_text(&plain.chosen), last_text(&plain.rejected)),
        ("4", "5")
    );
}

#[test]
fn conversational_explicit_keeps_tool_calls_and_text_parts() {
    let rows = load(
        "family_conversational_explicit.jsonl",
        Family::ConversationalExplicit,
    );
    let tools = pair(&rows[0]);
    assert_eq!(
        roles(&tools.prompt),
        vec![Role::System, Role::User, Role::Assistant, Role::Tool]
    );
    assert!(tools.prompt[2].tool_calls.is_some());
    assert_eq!(tools.prompt[2].content, "");
    assert_eq!(last_text(&pair(&rows[1]).rejected), "Go away.");
}

#[test]
fn conversational_implicit_including_llamafactory_v1() {
    let rows = load(
        "family_conversational_implicit.jsonl",
        Family::ConversationalImplicit,
    );
    let first = pair(&rows[0]);
    assert_eq!(first.prompt.len(), 1);
    assert_eq!(
        (last_text(&first.chosen), last_text(&first.rejected)),
        ("9", "6")
    );
    let v1 = pair(&rows[1]);
    assert_eq!(v1.prompt[0].content, "Spell cat.");
    assert_eq!(
        (last_text(&v1.chosen), last_text(&v1.rejected)),
        ("C-A-T", "K-A-T")
    );
}

#[test]
fn h4_hybrid() {
    let rows = load("family_h4_hybrid.jsonl", Family::H4Hybrid);
    let row = pair(&rows[0]);
    assert_eq!(row.prompt.len(), 1);
    assert_eq!(last_text(&row.rejected), "Rain is wet.");
    assert_eq!(
        (row.score_chosen, row.score_rejected),
        (Some(8.5), Some(4.0))
    );
}

#[test]
fn sharegpt_ranking_with_system_and_history() {
    let rows = load("family_sharegpt_ranking.jsonl", Family::SharegptRanking);
    let first = pair(&rows[0]);
    assert_eq!(roles(&first.prompt), vec![Role::System, Role::User]);
    assert_eq!(last_text(&first.chosen), "Bonjour.");
    let second = pair(&rows[1]);
    assert_eq!(
        roles(&second.prompt),
        vec![Role::User, Role::Assistant, Role::User]
    );
}

#[test]
fn alpaca_ranking_joins_instruction_and_input() {
    let rows = load("family_alpaca_ranking.jsonl", Family::AlpacaRanking);
    let first = pair(&rows[0]);
    assert_eq!(
        roles(&first.prompt),
        vec![Role::System, Role::User, Role::Assistant, Role::User]
    );
    assert_eq!(
        last_text(&first.prompt),
        "Summarise the text.\nThe cat sat on the mat all day."
    );
    assert_eq!(last_text(&pair(&rows[1]).prompt), "Give a synonym for big.");
}

#[test]
fn named_field_pairs() {
    let rows = load("family_named_field_pairs.jsonl", Family::NamedFieldPairs);
    assert_eq!(
        roles(&pair(&rows[0]).prompt),
        vec![Role::System, Role::User]
    );
    let second = pair(&rows[1]);
    assert_eq!(last_text(&second.prompt), "List two colours.");
    assert_eq!(last_text(&second.chosen), "Red and blue.");
    assert_eq!(
        last_text(&pair(&rows[2]).prompt),
        "Translate to German.\nGood morning"
    );
}

#[test]
fn openai_dpo() {
    let rows = load("family_openai_dpo.jsonl", Family::OpenaiDpo);
    let row = pair(&rows[0]);
    assert_eq!(roles(&row.prompt), vec![Role::System, Role::User]);
    assert_eq!(
        (last_text(&row.chosen), last_text(&row.rejected)),
        ("Cold", "Warm-ish, I guess")
    );
}

#[test]
fn kto_in_both_layouts() {
    for (file, count) in [("family_kto.jsonl", 3), ("family_kto_messages.jsonl", 2)] {
        let rows = load(file, Family::Kto);
        assert_eq!(rows.len(), count);
        for row in &rows {
            let NormalizedRow::Unpaired(example) = row else {
                panic!("KTO rows are unpaired")
            };
            assert_eq!(example.prompt.last().unwrap().role, Role::User);
            assert_eq!(example.completion[0].role, Role::Assistant);
        }
    }
    let NormalizedRow::Unpaired(example) = &load("family_kto_messages.jsonl", Family::Kto)[1]
    else {
        unreachable!()
    };
    assert_eq!(
        (example.completion[0].content.as_str(), example.label),
        ("Paris.", false)
    );
}

#[test]
fn ranked_lists_pick_best_and_worst() {
    let nectar = load("family_ranked_nectar.jsonl", Family::RankedList);
    let row = pair(&nectar[0]);
    assert_eq!(last_text(&row.prompt), "Suggest a pet name.");
    assert_eq!(
        roles(&row.prompt),
        vec![Role::User],
        "the trailing empty Assistant: cue is dropped"
    );
    assert_eq!(
        (last_text(&row.chosen), last_text(&row.rejected)),
        ("Biscuit", "Dog")
    );
    assert_eq!(
        (row.model_chosen.as_deref(), row.model_rejected.as_deref()),
        (Some("gpt-4"), Some("llama"))
    );

    let generations = load("family_ranked_generations.jsonl", Family::RankedList);
    let row = pair(&generations[0]);
    assert_eq!(
        (last_text(&row.chosen), last_text(&row.rejected)),
        ("Apple", "Rock")
    );
    assert_eq!(
        (row.score_chosen, row.score_rejected),
        (Some(5.0), Some(1.0))
    );
    assert_eq!(row.model_rejected.as_deref(), Some("m2"));

    let ultrafeedback = load("family_ranked_ultrafeedback.jsonl", Family::RankedList);
    let row = pair(&ultrafeedback[0]);
    assert_eq!(
        (last_text(&row.chosen), row.score_chosen),
        ("A measure of disorder.", Some(8.0))
    );
}

#[test]
fn ranked_list_direction_is_a_setting() {
    let row = &rows("family_ranked_nectar.jsonl")[0];
    let config = PrefsConfig {
        rank_direction: datasieve::prefs::RankDirection::HigherIsBetter,
        ..PrefsConfig::default()
    };
    let converted = normalize_row(row, Family::RankedList, &config).unwrap();
    let flipped = pair(&converted.row);
    assert_eq!(
        (last_text(&flipped.chosen), last_text(&flipped.rejected)),
        ("Dog", "Biscuit")
    );
}

#[test]
fn ab_labels_shp_arena_and_judge() {
    let shp = load("family_ab_shp.jsonl", Family::AbLabel);
    // labels = 0: B preferred.
    let row = pair(&shp[0]);
    assert_eq!(
        (last_text(&row.chosen), row.score_chosen),
        ("Read anything.", Some(10.0))
    );
    assert_eq!(
        last_text(&pair(&shp[1]).chosen),
        "Play daily and review games."
    );

    let arena = load("family_ab_arena.jsonl", Family::AbLabel);
    let row = pair(&arena[0]);
    assert_eq!(
        last_text(&row.prompt),
        "Tell me a joke.",
        "JSON-encoded turn lists are decoded"
    );
    assert_eq!(row.model_chosen.as_deref(), Some("alpha"));
    assert!(pair(&arena[1]).tie);
    assert_eq!(pair(&arena[2]).model_chosen.as_deref(), Some("gamma"));

    let judge = load("family_ab_judge.jsonl", Family::AbLabel);
    assert_eq!(last_text(&pair(&judge[0]).chosen), "Hello and welcome!");
    assert_eq!(last_text(&pair(&judge[1]).chosen), "Farewell, friend!");
}

#[test]
fn ab_label_side_is_a_setting() {
    let row = &rows("family_ab_judge.jsonl")[0];
    let config = PrefsConfig {
        ab_label_side: datasieve::prefs::AbLabelSide::Rejected,
        ..PrefsConfig::default()
    };
    let converted = normalize_row(row, Family::AbLabel, &config).unwrap();
    assert_eq!(last_text(&pair(&converted.row).chosen), "hi");
}

#[test]
fn role_tags_are_a_setting() {
    let row = json!({"conversations": [{"from": "asker", "value": "Hi"}], "chosen": {"from": "gpt", "value": "Hello"}, "rejected": {"from": "gpt", "value": "Go"}});
    let default =
        normalize_row(&row, Family::SharegptRanking, &PrefsConfig::default()).unwrap_err();
    assert_eq!(default[0].code, "bad_message");
    let mut config = PrefsConfig::default();
    config.role_tags.insert("asker".into(), Role::User);
    assert!(normalize_row(&row, Family::SharegptRanking, &config).is_ok());
}

#[test]
fn export_trl_conversational_and_standard() {
    let rows = load("family_sharegpt_ranking.jsonl", Family::SharegptRanking);
    assert_eq!(
        export_trl(&rows[0], true),
        json!({
            "prompt": [{"role": "system", "content": "You are a translator."}, {"role": "user", "content": "Translate 'hello' to French."}],
            "chosen": [{"role": "assistant", "content": "Bonjour."}],
            "rejected": [{"role": "assistant", "content": "Hola."}],
        })
    );
    let standard = load("family_standard_explicit.jsonl", Family::StandardExplicit);
    assert_eq!(
        export_trl(&standard[0], false),
        json!({"prompt": "What is the capital of France?", "chosen": "Paris is the capital of France.", "rejected": "Lyon."})
    );
    let multi = export_trl(&rows[1], false);
    assert_eq!(
        multi["prompt"],
        json!("User: Hi\n\nAssistant: Hello!\n\nUser: Bye")
    );
    let kto = load("family_kto.jsonl", Family::Kto);
    assert_eq!(
        export_trl(&kto[1], false),
        json!({"prompt": "Is water wet?", "completion": "No idea.", "label": false})
    );
}

#[test]
fn forced_format_and_config_parsing() {
    let config: PrefsConfig = serde_json::from_value(json!({
        "format": "kto",
        "rank_direction": "higher_is_better",
        "ab_label_side": "rejected",
        "score_scale": {"min": 1, "max": 10},
        "max_length": 1024
    }))
    .unwrap();
    assert_eq!(
        datasieve::prefs::resolve_family(&config, None),
        Some(Family::Kto)
    );
    let auto: PrefsConfig = serde_json::from_value(json!({"format": "auto"})).unwrap();
    assert_eq!(auto, PrefsConfig::default());
    assert!(
        serde_json::from_value::<PrefsConfig>(json!({"max_lenght": 5})).is_err(),
        "unknown keys are rejected"
    );
    assert!(serde_json::from_value::<PrefsConfig>(json!({"format": "nonsense"})).is_err());
    let round_trip: PrefsConfig =
        serde_json::from_value(serde_json::to_value(&config).unwrap()).unwrap();
    assert_eq!(round_trip, config);
}

/// The page's pair viewer shows both prompts of a `prompt_mismatch`: the rejected side's own
/// prompt is kept, and only then.
#[test]
fn implicit_prompt_mismatch_keeps_the_rejected_prompt_for_the_viewer() {
    let config = PrefsConfig::default();
    let turn = |role: &str, content: &str| json!({"role": role, "content": content});
    let row = |rejected_question: &str| {
        json!({
            "chosen": [turn("user", "What is 2+2?"), turn("assistant", "4")],
            "rejected": [turn("user", rejected_question), turn("assistant", "5")],
        })
    };
    let family = Family::ConversationalImplicit;

    let mismatched = normalize_row(&row("What is 2+3?"), family, &config).expect("converts");
    let pair_view = pair(&mismatched.row);
    let rejected_prompt = pair_view
        .rejected_prompt
        .as_deref()
        .expect("kept on a mismatch");
    assert_eq!(last_text(rejected_prompt), "What is 2+3?");
    assert_eq!(last_text(&pair_view.prompt), "What is 2+2?");
    let view = datasieve::pipeline::prefs::normalized_view(&row("What is 2+3?"), family, &config)
        .expect("a view");
    assert_eq!(view["rejected_prompt"][0]["content"], "What is 2+3?");

    let matched = normalize_row(&row("What is 2+2?"), family, &config).expect("converts");
    assert_eq!(pair(&matched.row).rejected_prompt, None);
    let view = datasieve::pipeline::prefs::normalized_view(&row("What is 2+2?"), family, &config)
        .expect("a view");
    assert!(view.get("rejected_prompt").is_none(), "{view}");
}
