//! The `datasieve` binary's stage commands, driven as a user would: `dedup --near`, `filter`
//! (rules, presets, errors), `prefs` (export, --fail-on, tokenizer), `contamination`, `run` with
//! the page's presets, and the help of each. Fixtures: tests/fixtures/stages and
//! tests/fixtures/prefs of the core crate.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

mod common;
use common::{code, datasieve, path_str, stderr, stdout};

fn core_fixture(folder: &str, name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(folder)
        .join(name);
    assert!(path.exists(), "fixture {} missing", path.display());
    path
}

fn demo() -> PathBuf {
    core_fixture("stages", "demo.jsonl")
}

fn preset(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../www/presets")
        .join(format!("{name}.json"));
    assert!(path.exists(), "preset {} missing", path.display());
    path
}

fn report(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report.json"))
        .expect("report is JSON")
}

fn decisions(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("decisions.jsonl"))
        .expect("decisions.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a decision is JSON"))
        .collect()
}

/// Rows whose decision carries `code` as a reason or a warning.
fn rows_with(decisions: &[Value], code: &str) -> Vec<u64> {
    decisions
        .iter()
        .filter(|d| {
            let has = |key: &str| d[key].as_array().unwrap().iter().any(|c| c == code);
            has("reasons") || has("warnings")
        })
        .map(|d| d["row"].as_u64().unwrap())
        .collect()
}

/// kept + removed, merged back by the decisions, equal the input (JSONL, every line a row).
fn assert_outputs_partition(input: &Path, out: &Path) {
    let input = std::fs::read(input).unwrap();
    let kept = std::fs::read(out.join("kept.jsonl")).unwrap();
    let removed = std::fs::read(out.join("removed.jsonl")).unwrap();
    let (mut k, mut r) = (
        kept.split_inclusive(|&b| b == b'\n'),
        removed.split_inclusive(|&b| b == b'\n'),
    );
    let mut merged = Vec::new();
    for d in decisions(out) {
        let row = if d["kept"] == true {
            k.next()
        } else {
            r.next()
        };
        merged.extend_from_slice(row.expect("an output row per decision"));
    }
    assert!(k.next().is_none() && r.next().is_none(), "no extra rows");
    assert_eq!(merged, input, "kept + removed = the input, byte for byte");
}

// ---------------------------------------------------------------------------------------------
// Help.

#[test]
fn help_of_each_stage_command_lists_its_flags() {
    let cases: [(&[&str], &[&str]); 6] = [
        (
            &["dedup", "--help"],
            &[
                "--exact",
                "--normalize",
                "--near",
                "--threshold",
                "--bands",
                "--rows",
                "--perms",
                "--ngram",
                "--verify",
                "--keep",
            ],
        ),
        (
            &["filter", "--help"],
            &[
                "--rules",
                "--preset",
                "--pii-mode",
                "--rewrite",
                "--min-words",
                "--max-words",
                "--min-chars",
                "--max-chars",
                "--regex-exclude",
                "--regex-include",
                "--blocklist",
                "--field",
                "--out",
                "fineweb-style",
                "sft-sanity",
                "gopher_quality",
                "lang=",
            ],
        ),
        (
            &["prefs", "--help"],
            &[
                "--format",
                "--rank-direction",
                "--ab-label-side",
                "--score-scale",
                "--role-tag",
                "--max-length",
                "--max-prompt-length",
                "--tokenizer",
                "--export",
                "--fail-on",
                "--against",
                "--out",
                "standard_explicit",
            ],
        ),
        (
            &["contamination", "--help"],
            &["--against", "--ngram", "--min-overlap", "--field", "--out"],
        ),
        (&["run", "--help"], &["--config", "--against", "--out"]),
        (&["--help"], &["filter", "prefs", "contamination", "run"]),
    ];
    for (args, flags) in cases {
        let o = datasieve(args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        let text = stdout(&o);
        for flag in flags {
            assert!(
                text.contains(flag),
                "{args:?} help does not list {flag}:\n{text}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// dedup --near.

#[test]
fn dedup_near_removes_near_duplicates_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = datasieve(&[
        "dedup",
        path_str(&demo()),
        "--near",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).contains("near_duplicate"), "{}", stdout(&o));
    let r = report(&out);
    assert_eq!(r["removed_by"], json!({"near_duplicate": 4}));
    assert_eq!(r["stats"]["dedup"]["near"]["clusters"], 4);
    assert_eq!(
        (
            r["stats"]["dedup"]["near"]["bands"].as_u64(),
            r["stats"]["dedup"]["near"]["rows_per_band"].as_u64()
        ),
        (Some(14), Some(8))
    );
    assert_eq!(r["config"]["dedup"]["near"]["keep"], "first");
    let d = decisions(&out);
    assert_eq!(rows_with(&d, "near_duplicate"), [8, 10, 11, 13]);
    assert_eq!(
        (d[8]["duplicate_of"].as_u64(), d[8]["cluster"].clone()),
        (Some(7), d[7]["cluster"].clone())
    );
    assert!(d[7]["cluster"].is_u64());
    assert_outputs_partition(&demo(), &out);

    // Exact and near together: the repeated sentence is an exact duplicate, the rest near.
    let o = datasieve(&[
        "dedup",
        path_str(&demo()),
        "--exact",
        "--near",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        report(&out)["removed_by"],
        json!({"exact_duplicate": 1, "near_duplicate": 3})
    );

    // Verification at 1.0 keeps only identical shingle sets linked.
    let o = datasieve(&[
        "dedup",
        path_str(&demo()),
        "--near",
        "--verify",
        "--threshold",
        "1.0",
        "--bands",
        "14",
        "--rows",
        "8",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = report(&out);
    assert_eq!(r["removed_by"], json!({"near_duplicate": 1}));
    assert_eq!(r["stats"]["dedup"]["near"]["verify"], true);
    assert!(
        r["stats"]["dedup"]["near"]["candidate_pairs"]
            .as_u64()
            .unwrap()
            >= 4
    );

    // A threshold picks bands × rows; --keep longest is recorded.
    let o = datasieve(&[
        "dedup",
        path_str(&demo()),
        "--near",
        "--threshold",
        "0.7",
        "--keep",
        "longest",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = report(&out);
    assert_eq!(
        (
            r["stats"]["dedup"]["near"]["bands"].as_u64(),
            r["stats"]["dedup"]["near"]["rows_per_band"].as_u64()
        ),
        (Some(12), Some(9))
    );
    assert_eq!(r["stats"]["dedup"]["near"]["keep"], "longest");
}

#[test]
fn dedup_near_rejects_bad_settings_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let cases: [(&[&str], &str); 5] = [
        (&["--near", "--bands", "10"], "--rows"),
        (&["--near", "--threshold", "1.5"], "threshold"),
        (&["--near", "--bands", "20", "--rows", "10"], "perms"),
        (&["--near", "--keep", "shortest"], "--keep"),
        (&[], "--exact"),
    ];
    let input = demo();
    for (flags, mention) in cases {
        let mut args = vec!["dedup", path_str(&input)];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["--out", path_str(&out)]);
        let o = datasieve(&args);
        assert_eq!(code(&o), 2, "{flags:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(mention), "{flags:?}: {}", stderr(&o));
    }
    assert!(
        !out.join("report.json").exists(),
        "nothing written after a usage error"
    );
}

// ---------------------------------------------------------------------------------------------
// filter.

#[test]
fn filter_preset_fineweb_style_runs_the_datatrove_rules() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = datasieve(&[
        "filter",
        path_str(&demo()),
        "--preset",
        "fineweb-style",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = report(&out);
    let removed_by = r["removed_by"].as_object().unwrap();
    assert!(
        removed_by.contains_key("gopher_short_doc"),
        "{removed_by:?}"
    );
    assert!(r["rows_kept"].as_u64().unwrap() > 0);
    for rule in ["gopher_quality", "gopher_repetition", "c4", "fineweb"] {
        assert!(
            r["config"]["filter"].get(rule).is_some(),
            "{rule} in {}",
            r["config"]["filter"]
        );
    }
    assert_eq!(
        r["config"]["filter"]["c4"]["filter_no_terminal_punct"],
        false
    );
    assert!(!r["stats"]["filter"]["thresholds"]
        .as_array()
        .unwrap()
        .is_empty());
    // The page's preset file gives the same decisions through `run --config`.
    let via_run = dir.path().join("via_run");
    let o = datasieve(&[
        "run",
        path_str(&demo()),
        "--config",
        path_str(&preset("fineweb-style")),
        "--out",
        path_str(&via_run),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("decisions.jsonl")).unwrap(),
        std::fs::read(via_run.join("decisions.jsonl")).unwrap()
    );
    assert_outputs_partition(&demo(), &out);
}

#[test]
fn filter_rules_with_a_language_list() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = datasieve(&[
        "filter",
        path_str(&demo()),
        "--rules",
        "gopher_quality,lang=en,de",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = report(&out);
    assert_eq!(
        r["config"]["filter"]["lang"]["allowed"],
        json!(["en", "de"])
    );
    assert!(r["config"]["filter"]["gopher_quality"].is_object());
    assert!(
        r["stats"]["filter"]["languages"].is_object(),
        "{}",
        r["stats"]["filter"]
    );
    let d = decisions(&out);
    // The Chinese and French rows are the wrong language.
    for row in [2, 3, 4] {
        assert!(
            rows_with(&d, "wrong_language").contains(&row),
            "row {row}: {}",
            d[row as usize]
        );
    }
    // Only English and German allowed: the English rows are not wrong_language.
    assert!(!rows_with(&d, "wrong_language").contains(&14));
    // A language code alone after another rule is an unknown rule.
    let o = datasieve(&[
        "filter",
        path_str(&demo()),
        "--rules",
        "gopher_quality,de",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("unknown rule `de`"), "{}", stderr(&o));
    // An unknown language code is a config error naming it.
    let o = datasieve(&[
        "filter",
        path_str(&demo()),
        "--rules",
        "lang=english",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("english"), "{}", stderr(&o));
}

#[test]
fn filter_without_rules_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = demo();
    for extra in [&[][..], &["--rewrite"][..]] {
        let mut args = vec!["filter", path_str(&input), "--out", path_str(&out)];
        args.extend_from_slice(extra);
        let o = datasieve(&args);
        assert_eq!(code(&o), 2, "{extra:?}");
        assert!(
            stderr(&o).contains("choose rules"),
            "{extra:?}: {}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty());
    }
    assert!(!out.exists(), "nothing written");
    let o = datasieve(&[
        "filter",
        path_str(&demo()),
        "--preset",
        "nope",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown preset `nope`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn filter_basic_flags_and_redaction() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"text\": \"Write to jane.doe@example.com for the minutes.\"}\n\
         {\"text\": \"A clean row about the weather today.\"}\n\
         {\"text\": \"short\"}\n\
         {\"text\": \"This row mentions a forbiddenword once.\"}\n",
    )
    .unwrap();
    let blocklist = dir.path().join("block.txt");
    std::fs::write(&blocklist, "# words\nforbiddenword\n").unwrap();
    let out = dir.path().join("out");
    let o = datasieve(&[
        "filter",
        path_str(&input),
        "--pii-mode",
        "redact",
        "--min-words",
        "2",
        "--blocklist",
        path_str(&blocklist),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = report(&out);
    assert_eq!(r["removed_by"], json!({"blocklist": 1, "too_short": 1}));
    assert_eq!(r["warned_by"], json!({"pii_email": 1}));
    assert_eq!(r["stats"]["filter"]["rewrite"], true);
    let kept = std::fs::read_to_string(out.join("kept.jsonl")).unwrap();
    assert_eq!(
        kept,
        "{\"text\":\"Write to <EMAIL> for the minutes.\"}\n{\"text\": \"A clean row about the weather today.\"}\n"
    );
    let removed = std::fs::read_to_string(out.join("removed.jsonl")).unwrap();
    assert_eq!(
        removed,
        "{\"text\": \"short\"}\n{\"text\": \"This row mentions a forbiddenword once.\"}\n"
    );
}

// ---------------------------------------------------------------------------------------------
// prefs.

#[test]
fn prefs_export_trl_writes_one_line_per_kept_row() {
    let dir = tempfile::tempdir().unwrap();
    let input = core_fixture("prefs", "checks_standard.jsonl");
    for (form, file, lists) in [
        ("trl", "export.trl.jsonl", true),
        ("trl-standard", "export.trl-standard.jsonl", false),
    ] {
        let out = dir.path().join(form);
        let o = datasieve(&[
            "prefs",
            path_str(&input),
            "--export",
            form,
            "--out",
            path_str(&out),
        ]);
        assert_eq!(code(&o), 1, "{form}: errors in the fixture: {}", stderr(&o));
        assert!(stdout(&o).contains(file), "{}", stdout(&o));
        let r = report(&out);
        let exported = std::fs::read_to_string(out.join(file)).unwrap();
        let lines: Vec<Value> = exported
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines.len() as u64,
            r["rows_kept"].as_u64().unwrap(),
            "{form}"
        );
        assert_eq!(lines[0]["prompt"].is_array(), lists, "{form}: {}", lines[0]);
        assert_eq!(
            lines[0]["chosen"].is_string(),
            !lists,
            "{form}: {}",
            lines[0]
        );
        assert_eq!(r["config"]["export"], form);
    }
    let o = datasieve(&[
        "prefs",
        path_str(&input),
        "--export",
        "parquet",
        "--out",
        path_str(&dir.path().join("x")),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--export"), "{}", stderr(&o));
}

#[test]
fn prefs_fail_on_warning_exits_1_on_warnings_only() {
    let dir = tempfile::tempdir().unwrap();
    let pair = json!({"prompt": "What is two plus two?", "chosen": "Two plus two is four.", "rejected": "It is five."});
    let other =
        json!({"prompt": "Name a colour.", "chosen": "Blue is a colour.", "rejected": "A chair."});
    let warned = dir.path().join("warned.jsonl");
    std::fs::write(&warned, format!("{pair}\n{other}\n{pair}\n")).unwrap();
    let clean = dir.path().join("clean.jsonl");
    std::fs::write(&clean, format!("{pair}\n{other}\n")).unwrap();
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(
        &broken,
        format!(
            "{pair}\n{}\n",
            json!({"prompt": "", "chosen": "a", "rejected": "b"})
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = |file: &Path, fail_on: &str| {
        let o = datasieve(&[
            "prefs",
            path_str(file),
            "--fail-on",
            fail_on,
            "--out",
            path_str(&out),
        ]);
        (code(&o), stderr(&o))
    };
    assert_eq!(
        run(&warned, "error").0,
        0,
        "warnings alone keep exit 0 by default"
    );
    assert_eq!(report(&out)["warned_by"], json!({"duplicate_pair": 1}));
    assert_eq!(decisions(&out)[2]["duplicate_of"], 0);
    assert_eq!(run(&warned, "warning").0, 1, "--fail-on warning");
    assert_eq!(run(&clean, "warning").0, 0);
    assert_eq!(run(&broken, "error").0, 1);
    assert_eq!(run(&broken, "warning").0, 1);
    let (c, e) = run(&clean, "info");
    assert_eq!(c, 2);
    assert!(e.contains("--fail-on"), "{e}");
}

#[test]
fn prefs_tokenizer_gives_exact_token_counts() {
    let dir = tempfile::tempdir().unwrap();
    let input = core_fixture("prefs", "checks_standard.jsonl");
    let out = dir.path().join("out");
    let o = datasieve(&[
        "prefs",
        path_str(&input),
        "--max-length",
        "8",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        report(&out)["stats"]["prefs"]["token_counting"]["kind"],
        "estimate"
    );
    let tokenizer = core_fixture("prefs", "tiny-bpe-tokenizer.json");
    let o = datasieve(&[
        "prefs",
        path_str(&input),
        "--max-length",
        "8",
        "--tokenizer",
        path_str(&tokenizer),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        report(&out)["stats"]["prefs"]["token_counting"]["kind"],
        "tokenizer"
    );
}

// ---------------------------------------------------------------------------------------------
// contamination.

#[test]
fn contamination_against_two_eval_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (a, b) = (
        core_fixture("stages", "eval_a.jsonl"),
        core_fixture("stages", "eval_b.csv"),
    );
    let o = datasieve(&[
        "contamination",
        path_str(&demo()),
        "--against",
        path_str(&a),
        "--against",
        path_str(&b),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).contains("contamination"), "{}", stdout(&o));
    let r = report(&out);
    assert_eq!(r["removed_by"], json!({"contamination": 2}));
    assert_eq!(
        r["stats"]["contamination"]["eval_sets"],
        json!([{"name": "eval_a.jsonl", "rows": 2}, {"name": "eval_b.csv", "rows": 2}])
    );
    let d = decisions(&out);
    assert_eq!(rows_with(&d, "contamination"), [14, 19]);
    assert_eq!(d[14]["details"][0]["eval_source"], "eval_a.jsonl");
    assert_eq!(d[19]["details"][0]["eval_source"], "eval_b.csv");
    assert_eq!(d[19]["details"][0]["eval_row"], 1);
    assert_outputs_partition(&demo(), &out);
    // One eval set: one row.
    let o = datasieve(&[
        "contamination",
        path_str(&demo()),
        "--against",
        path_str(&b),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1);
    assert_eq!(rows_with(&decisions(&out), "contamination"), [19]);
    // Longer n-grams than the shared span (17 words), not than eval_a's rows (23): nothing
    // found, exit 0.
    let o = datasieve(&[
        "contamination",
        path_str(&demo()),
        "--against",
        path_str(&a),
        "--ngram",
        "20",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Longer than eval_a's rows: it gives no n-gram, so nothing could match it. Not a pass:
    // exit 2 naming the file (see `an_eval_set_that_gives_no_ngram_is_exit_2`).
    let o = datasieve(&[
        "contamination",
        path_str(&demo()),
        "--against",
        path_str(&a),
        "--ngram",
        "40",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("eval set `eval_a.jsonl` gives no 40-word n-gram"),
        "{}",
        stderr(&o)
    );
    // --against is required.
    let o = datasieve(&["contamination", path_str(&demo()), "--out", path_str(&out)]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--against"), "{}", stderr(&o));
}

#[test]
fn run_with_a_config_and_eval_sets() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pipeline.json");
    std::fs::write(
        &config,
        json!({"dedup": {"exact": {}, "near": {}}, "filter": {"basic": {"min_words": 3}}, "contamination": {}}).to_string(),
    )
    .unwrap();
    let out = dir.path().join("out");
    let a = core_fixture("stages", "eval_a.jsonl");
    let o = datasieve(&[
        "run",
        path_str(&demo()),
        "--config",
        path_str(&config),
        "--against",
        path_str(&a),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = report(&out);
    let removed_by = r["removed_by"].as_object().unwrap();
    for code in [
        "exact_duplicate",
        "near_duplicate",
        "too_short",
        "contamination",
    ] {
        assert!(removed_by.contains_key(code), "{code} in {removed_by:?}");
    }
    assert_outputs_partition(&demo(), &out);
    // A config error names the key and the file.
    std::fs::write(&config, r#"{"dedup": {"near": {"treshold": 0.8}}}"#).unwrap();
    let o = datasieve(&[
        "run",
        path_str(&demo()),
        "--config",
        path_str(&config),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("treshold") && stderr(&o).contains("pipeline.json"),
        "{}",
        stderr(&o)
    );
    // The page's preference preset runs and writes the TRL export.
    let prefs_out = dir.path().join("prefs");
    let input = core_fixture("prefs", "checks_standard.jsonl");
    let o = datasieve(&[
        "run",
        path_str(&input),
        "--config",
        path_str(&preset("dpo-preflight")),
        "--out",
        path_str(&prefs_out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(prefs_out.join("export.trl.jsonl").exists());
}

#[test]
fn prefs_against_eval_sets_warns_and_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.jsonl");
    let leaked = json!({
        "prompt": "Athlone Community Radio will be broadcasting live for 4 hours from Golden Island Shopping Centre in Athlone today",
        "chosen": "Yes, it will.",
        "rejected": "No."
    });
    let fine =
        json!({"prompt": "Name a colour.", "chosen": "Blue is a colour.", "rejected": "A chair."});
    std::fs::write(&input, format!("{leaked}\n{fine}\n")).unwrap();
    let out = dir.path().join("out");
    let a = core_fixture("stages", "eval_a.jsonl");
    let o = datasieve(&[
        "prefs",
        path_str(&input),
        "--against",
        path_str(&a),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 0, "a warning keeps the row: {}", stderr(&o));
    let r = report(&out);
    assert_eq!(r["warned_by"], json!({"contamination": 1}));
    assert_eq!(r["rows_kept"], 2);
    assert_eq!(
        r["stats"]["contamination"]["eval_sets"],
        json!([{"name": "eval_a.jsonl", "rows": 2}])
    );
    assert_eq!(
        decisions(&out)[0]["details"][0]["eval_source"],
        "eval_a.jsonl"
    );
    let o = datasieve(&[
        "prefs",
        path_str(&input),
        "--against",
        path_str(&a),
        "--fail-on",
        "warning",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1);
}

#[test]
fn prefs_export_from_a_csv_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.csv");
    std::fs::write(&input, "prompt,chosen,rejected\n\"Say hi.\",\"Hi there.\",\"Go away.\"\n\"Say one.\",\"\",\"Two.\"\n").unwrap();
    let out = dir.path().join("out");
    let o = datasieve(&[
        "prefs",
        path_str(&input),
        "--export",
        "trl",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "the empty answer is an error: {}", stderr(&o));
    let exported = std::fs::read_to_string(out.join("export.trl.jsonl")).unwrap();
    let lines: Vec<Value> = exported
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [json!({
            "prompt": [{"role": "user", "content": "Say hi."}],
            "chosen": [{"role": "assistant", "content": "Hi there."}],
            "rejected": [{"role": "assistant", "content": "Go away."}]
        })]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("kept.csv")).unwrap(),
        "prompt,chosen,rejected\n\"Say hi.\",\"Hi there.\",\"Go away.\"\n"
    );
}

// ---------------------------------------------------------------------------------------------
// Runs that would compare nothing: exit 2, not a pass.

#[test]
fn an_eval_set_that_gives_no_ngram_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let empty = dir.path().join("empty-eval.jsonl");
    std::fs::write(&empty, "").unwrap();
    let short = dir.path().join("short.csv");
    std::fs::write(
        &short,
        "question,answer\nWhat is the capital of France?,Paris\n",
    )
    .unwrap();
    let (a, b) = (
        core_fixture("stages", "eval_a.jsonl"),
        core_fixture("stages", "eval_b.csv"),
    );
    let demo = demo();
    for (evals, named, why) in [
        (vec![&empty], "empty-eval.jsonl", "it has no rows"),
        (vec![&a, &empty, &b], "empty-eval.jsonl", "it has no rows"),
        (
            vec![&short],
            "short.csv",
            "its one row has fewer than 13 words",
        ),
    ] {
        for command in ["contamination", "run"] {
            let mut args = vec![command, path_str(&demo)];
            if command == "run" {
                args.extend(["--config", r#"{"contamination": {}}"#]);
            }
            for e in &evals {
                args.extend(["--against", path_str(e)]);
            }
            args.extend(["--out", path_str(&out)]);
            let o = datasieve(&args);
            assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
            let e = stderr(&o);
            assert!(
                e.starts_with(&format!(
                    "datasieve: eval set `{named}` gives no 13-word n-gram, so no row could match it: {why}"
                )),
                "{args:?}: {e}"
            );
            assert!(stdout(&o).is_empty(), "{}", stdout(&o));
            assert!(
                !out.exists(),
                "refused before the input is read: nothing written"
            );
        }
    }
    // The same in `prefs --against`, where contamination is a warning.
    let o = datasieve(&[
        "prefs",
        path_str(&core_fixture("prefs", "checks_standard.jsonl")),
        "--against",
        path_str(&empty),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("empty-eval.jsonl"), "{}", stderr(&o));
}

#[test]
fn a_config_that_enables_no_step_is_refused_before_the_input_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // The input does not exist: the config is refused first.
    let missing = dir.path().join("not-read.jsonl");
    let file = dir.path().join("empty-steps.json");
    std::fs::write(
        &file,
        r#"{"input": {"format": "jsonl"}, "fields": ["text"], "dedup": {}}"#,
    )
    .unwrap();
    for (config, named) in [
        ("{}", "--config"),
        (r#"{"filter": {"rewrite": false}}"#, "--config"),
        (path_str(&file), path_str(&file)),
    ] {
        let o = datasieve(&[
            "run",
            path_str(&missing),
            "--config",
            config,
            "--out",
            path_str(&out),
        ]);
        assert_eq!(code(&o), 2, "{config}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.starts_with(&format!(
                "datasieve: {named}: invalid configuration: no step is enabled"
            )),
            "{config}: {e}"
        );
        for key in [
            "dedup.exact",
            "dedup.near",
            "filter",
            "prefs",
            "contamination",
        ] {
            assert!(e.contains(key), "{config}: names {key}: {e}");
        }
        assert!(!e.contains("not-read.jsonl"), "the input is not read: {e}");
        assert!(!out.exists());
    }
    assert!(stderr(&datasieve(&[
        "run",
        path_str(&missing),
        "--config",
        r#"{"filter": {}}"#,
        "--out",
        path_str(&out),
    ]))
    .contains("`filter` is there but names no rule"),);
    // `--against` turns the contamination step on, as in `run --config '{}' --against EVAL`.
    let o = datasieve(&[
        "run",
        path_str(&demo()),
        "--config",
        "{}",
        "--against",
        path_str(&core_fixture("stages", "eval_a.jsonl")),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(report(&out)["removed_by"], json!({"contamination": 1}));
}

#[test]
fn rewrite_on_csv_tsv_or_text_is_refused_whether_named_or_detected() {
    // One message, up front: `--input-format text` at once, a detected text file as soon as its
    // format is known, before any output is written.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let notes = dir.path().join("notes.txt");
    std::fs::write(
        &notes,
        "Write to jane.doe@example.com today please.\nA second line of prose, with commas, here.\n",
    )
    .unwrap();
    let csv = dir.path().join("rows.csv");
    std::fs::write(
        &csv,
        "id,text\n1,Write to jane.doe@example.com today please\n",
    )
    .unwrap();
    let refusal = |flags: &[&str], input: &Path, format: Option<&str>| {
        let mut args = vec!["filter", path_str(input), "--out", path_str(&out)];
        args.extend_from_slice(flags);
        if let Some(f) = format {
            args.extend(["--input-format", f]);
        }
        let o = datasieve(&args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
        assert!(!out.exists(), "{args:?}: nothing written");
        stderr(&o)
    };
    let rewrite = ["--rules", "c4", "--rewrite"];
    let named = refusal(&rewrite, &notes, Some("text"));
    let detected = refusal(&rewrite, &notes, None);
    let why = "filter.rewrite (CLI `--rewrite`) rewrites the text of kept rows, which works on \
               JSON and JSONL rows only, and this input is plain text (one document per line), \
               whose rows can only be copied as they are: turn rewriting off, or convert the file \
               to JSONL";
    assert_eq!(named, format!("datasieve: invalid configuration: {why}\n"));
    assert_eq!(
        detected,
        format!(
            "datasieve: {}: invalid configuration: {why}\n",
            notes.display()
        )
    );
    // PII redaction rewrites kept rows too: refused on CSV, named or detected, with one message.
    let redact = ["--rules", "pii", "--pii-mode", "redact"];
    let named = refusal(&redact, &csv, Some("csv"));
    let detected = refusal(&redact, &csv, None);
    assert!(
        named.contains("PII redaction (filter.pii.mode `redact`, CLI `--pii-mode redact`)")
            && named.contains("this input is CSV")
            && named.contains("use PII mode `drop`"),
        "{named}"
    );
    assert_eq!(
        detected,
        named.replacen("datasieve: ", &format!("datasieve: {}: ", csv.display()), 1)
    );
    // Without rewriting, the same files run.
    let o = datasieve(&[
        "filter",
        path_str(&notes),
        "--rules",
        "pii",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(report(&out)["removed_by"], json!({"pii_email": 1}));
}

#[test]
fn run_with_contamination_but_no_eval_set_is_refused() {
    // It would compare nothing and pass any file (exit 0): a usage error instead.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = datasieve(&[
        "run",
        path_str(&demo()),
        "--config",
        r#"{"contamination": {}}"#,
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("contamination is enabled but no evaluation set was given")
            && stderr(&o).contains("--against EVAL"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "nothing written");
    // With --against the same config runs.
    let o = datasieve(&[
        "run",
        path_str(&demo()),
        "--config",
        r#"{"contamination": {}}"#,
        "--against",
        path_str(&core_fixture("stages", "eval_a.jsonl")),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "one row shares a 13-gram: {}", stderr(&o));
    assert_eq!(report(&out)["removed_by"]["contamination"], 1);
}
