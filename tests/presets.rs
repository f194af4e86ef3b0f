//! The presets the page offers (www/presets/*.json) are pipeline configs equal to the core's
//! named presets, so the page, the CLI's `--preset` and the files agree.
//! `UPDATE_PRESETS=1 cargo test --test presets` rewrites the files from the core.

use datasieve::config::PipelineConfig;
use datasieve::pipeline::filter::FiltersConfig;

/// `keep`: the top-level keys the preset sets (others are left to the user's settings).
fn check(name: &str, expected: PipelineConfig, keep: &[&str]) {
    let path = format!("{}/www/presets/{name}.json", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_PRESETS").is_some() {
        let mut json = serde_json::to_value(&expected).unwrap();
        let o = json.as_object_mut().unwrap();
        o.retain(|k, _| keep.contains(&k.as_str()));
        std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap() + "\n").unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let parsed = PipelineConfig::from_json(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(parsed, expected, "{path} differs from the core's preset");
}

#[test]
fn fineweb_style_preset_file_equals_the_core_preset() {
    check(
        "fineweb-style",
        PipelineConfig {
            filter: Some(FiltersConfig::fineweb_style()),
            ..Default::default()
        },
        &["filter"],
    );
}

#[test]
fn sft_sanity_preset_file_equals_the_core_preset() {
    check(
        "sft-sanity",
        PipelineConfig {
            filter: Some(FiltersConfig::sft_sanity()),
            ..Default::default()
        },
        &["filter"],
    );
}

#[test]
fn dpo_preflight_preset_checks_pairs_without_dedup_and_exports_for_trl() {
    let expected = PipelineConfig {
        prefs: Some(Default::default()),
        export: Some(datasieve::pipeline::prefs::ExportForm::Trl),
        ..Default::default()
    };
    check("dpo-preflight", expected, &["prefs", "export", "dedup"]);
}

#[test]
fn fineweb_style_turns_off_only_the_terminal_punctuation_line_rule() {
    let p = FiltersConfig::fineweb_style();
    let c4 = p.c4.expect("c4 runs");
    assert!(!c4.filter_no_terminal_punct);
    assert!(p.gopher_quality.is_some() && p.gopher_repetition.is_some() && p.fineweb.is_some());
}
