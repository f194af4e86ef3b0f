//! The wiring of the pipeline's stages through `Job` and `Outcome`: near dedup (passes, clusters,
//! survivors), filters (codes, messages, re-judging, presets, rewriting), preference checks
//! (detection pass, export, tokenizer), contamination, config errors, and the output-folder
//! invariant with every stage configured. Each test fails if a stage is disconnected.

mod common;

use common::{feed_every_pass, fixed, random_sizes};
use datasieve::config::PipelineConfig;
use datasieve::dedup::lsh::optimal_param;
use datasieve::io::{Destination, Format};
use datasieve::pipeline::{Decision, Job, Outcome, Pass};
use serde_json::{json, Value};

fn stages_fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/stages")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn prefs_fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/prefs")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A config from JSON, with the input's file name (as the CLI passes it).
fn config(json: Value, file_name: &str) -> PipelineConfig {
    let mut c =
        PipelineConfig::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{json}: {e}"));
    c.input.file_name = Some(file_name.to_string());
    c
}

/// A finished job and the passes it made, in order.
struct Run {
    outcome: Outcome,
    passes: Vec<Pass>,
}

/// Runs every pass the job asks for, feeding `input` in chunks of the given sizes; `setup` runs
/// before the first push (eval sets, tokenizer).
fn run_with(
    input: &[u8],
    config: PipelineConfig,
    sizes: &mut dyn FnMut() -> usize,
    setup: impl FnOnce(&mut Job),
) -> Run {
    let mut job = Job::new(config).expect("valid config");
    setup(&mut job);
    let passes = feed_every_pass(&mut job, input, sizes);
    Run {
        outcome: job.finish().expect("finish"),
        passes,
    }
}

fn run(input: &[u8], config: PipelineConfig) -> Run {
    run_with(input, config, &mut fixed(4096), |_| {})
}

/// The second pass: kept, removed and export bytes.
struct Split {
    kept: Vec<u8>,
    removed: Vec<u8>,
    export: Vec<u8>,
}

fn split(outcome: &Outcome, input: &[u8], sizes: &mut dyn FnMut() -> usize) -> Split {
    let mut splitter = outcome.splitter();
    let mut s = Split {
        kept: Vec::new(),
        removed: Vec::new(),
        export: Vec::new(),
    };
    let mut out = |dest: Destination, bytes: &[u8]| match dest {
        Destination::Kept => s.kept.extend_from_slice(bytes),
        Destination::Removed => s.removed.extend_from_slice(bytes),
        Destination::Export => s.export.extend_from_slice(bytes),
    };
    let mut rest = input;
    while !rest.is_empty() {
        let n = sizes().clamp(1, rest.len());
        splitter.push(&rest[..n], &mut out).expect("split push");
        rest = &rest[n..];
    }
    let (k, r) = splitter.finish(&mut out).expect("split finish");
    assert_eq!(k + r, outcome.decisions.len() as u64);
    s
}

/// The kept flag per row, read back from `decisions.jsonl` as written.
fn kept_flags_from_decisions_jsonl(outcome: &Outcome) -> Vec<bool> {
    let mut jsonl = Vec::new();
    outcome.write_decisions(&mut jsonl).unwrap();
    String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let d: Value = serde_json::from_str(line).unwrap();
            assert_eq!(d["row"], i as u64);
            d["kept"].as_bool().unwrap()
        })
        .collect()
}

/// Lines of a JSONL text, each with its `\n`.
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|&b| b == b'\n').collect()
}

/// kept + removed, merged back in row order by the decisions, equal the input (JSONL whose every
/// line is a row ending in `\n`). `rewritten`: rows whose kept line may differ from the input.
fn assert_partition(what: &str, input: &[u8], outcome: &Outcome, s: &Split) -> Vec<usize> {
    let flags = kept_flags_from_decisions_jsonl(outcome);
    let input_lines = lines(input);
    assert_eq!(
        flags.len(),
        input_lines.len(),
        "{what}: a decision per input row"
    );
    let (kept, removed) = (lines(&s.kept), lines(&s.removed));
    assert_eq!(
        kept.len(),
        flags.iter().filter(|&&k| k).count(),
        "{what}: kept rows"
    );
    assert_eq!(
        removed.len(),
        flags.iter().filter(|&&k| !k).count(),
        "{what}: removed rows"
    );
    let (mut k, mut r) = (kept.into_iter(), removed.into_iter());
    let mut changed = Vec::new();
    for (row, (&keep, &original)) in flags.iter().zip(&input_lines).enumerate() {
        if keep {
            let out = k.next().unwrap();
            if out != original {
                changed.push(row);
            }
        } else {
            assert_eq!(
                r.next().unwrap(),
                original,
                "{what}: removed row {row} is byte-identical"
            );
        }
    }
    changed
}

fn removed_by(outcome: &Outcome, code: &str) -> u64 {
    outcome.report.removed_by.get(code).copied().unwrap_or(0)
}

fn with_code<'a>(outcome: &'a Outcome, code: &str) -> Vec<&'a Decision> {
    outcome
        .decisions
        .iter()
        .filter(|d| d.reasons.contains(&code) || d.warnings.contains(&code))
        .collect()
}

fn rows_of(decisions: &[&Decision]) -> Vec<u64> {
    decisions.iter().map(|d| d.row).collect()
}

/// A JSONL input of `{"text": ...}` rows.
fn text_rows(texts: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in texts {
        out.extend(serde_json::to_vec(&json!({ "text": t })).unwrap());
        out.push(b'\n');
    }
    out
}

/// 60 made-up words (two or three syllables each, few repeats), different for each `seed`.
fn paragraph(seed: u64) -> String {
    let syllables = [
        "ka", "lo", "mi", "ren", "tu", "sa", "vo", "pe", "dor", "li", "na", "gu",
    ];
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    (0..60)
        .map(|_| {
            (0..2 + next() % 2)
                .map(|_| syllables[next() % syllables.len()])
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// Near dedup through the job.

#[test]
fn near_duplicates_name_their_cluster_and_its_kept_row() {
    let input = stages_fixture("demo.jsonl");
    let r = run(&input, config(json!({"dedup": {"near": {}}}), "demo.jsonl"));
    let near = with_code(&r.outcome, "near_duplicate");
    // Row 8 repeats row 7 with a word or two changed, row 10 row 9 (a shorter cut of the same
    // article), row 11 row 6 (identical), row 13 row 12 (Chinese, one word added).
    for (row, survivor) in [(8, 7), (10, 9), (11, 6), (13, 12)] {
        let d = &r.outcome.decisions[row];
        assert_eq!(d.reasons, ["near_duplicate"], "row {row}");
        assert_eq!(d.duplicate_of, Some(survivor), "row {row}");
    }
    assert_eq!(rows_of(&near), [8, 10, 11, 13]);
    // Every near duplicate points at its cluster's one kept row.
    for d in &near {
        assert!(!d.kept);
        let cluster = d.cluster.expect("a near duplicate has a cluster");
        let survivor = &r.outcome.decisions[d.duplicate_of.expect("and a survivor") as usize];
        assert!(
            survivor.kept,
            "row {}'s survivor {} is kept",
            d.row, survivor.row
        );
        assert_eq!(
            survivor.cluster,
            Some(cluster),
            "the survivor is in the same cluster"
        );
        assert_eq!(survivor.duplicate_of, None);
    }
    let mut clusters: std::collections::BTreeMap<u64, Vec<&Decision>> = Default::default();
    for d in r.outcome.decisions.iter().filter(|d| d.cluster.is_some()) {
        clusters.entry(d.cluster.unwrap()).or_default().push(d);
    }
    for (id, members) in &clusters {
        assert!(members.len() >= 2, "cluster {id} has two or more rows");
        assert_eq!(
            members.iter().filter(|d| d.kept).count(),
            1,
            "cluster {id} keeps one row"
        );
    }
    let stats = &r.outcome.report.stats["dedup"]["near"];
    assert_eq!(stats["clusters"], clusters.len() as u64);
    assert_eq!(stats["duplicate_rows"], near.len() as u64);
    assert_eq!(removed_by(&r.outcome, "near_duplicate"), near.len() as u64);
    assert_eq!(
        (stats["bands"].as_u64(), stats["rows_per_band"].as_u64()),
        (Some(14), Some(8)),
        "datatrove's default"
    );
    // The sample pass measured the largest clusters.
    assert!(!stats["largest"].as_array().unwrap().is_empty());
    assert!(!r.outcome.cluster_rows.is_empty());
    // The page's Jaccard of two rows of a cluster is high, of unrelated rows low.
    let text = |row: usize| {
        r.outcome
            .compared_text(lines(&input)[row].strip_suffix(b"\n").unwrap())
            .unwrap()
    };
    assert!(r.outcome.near_jaccard(&text(7), &text(8)).unwrap() > 0.7);
    assert!(r.outcome.near_jaccard(&text(7), &text(20)).unwrap() < 0.1);
}

#[test]
fn near_dedup_makes_the_passes_it_needs() {
    let input = stages_fixture("demo.jsonl");
    let plain = run(&input, config(json!({"dedup": {"near": {}}}), "demo.jsonl"));
    assert_eq!(
        plain.passes,
        [Pass::Analyse, Pass::Sample],
        "analyse, then sample the clusters"
    );
    let verified = run(
        &input,
        config(json!({"dedup": {"near": {"verify": true}}}), "demo.jsonl"),
    );
    assert_eq!(verified.passes, [Pass::Analyse, Pass::Verify, Pass::Sample]);
    let stats = &verified.outcome.report.stats["dedup"]["near"];
    assert!(
        stats["candidate_pairs"].as_u64().unwrap() >= stats["verified_pairs"].as_u64().unwrap()
    );
    assert!(stats["verified_pairs"].as_u64().unwrap() > 0);
    // No clusters: nothing to sample.
    let unique = text_rows(&(0..5).map(paragraph).collect::<Vec<_>>());
    let none = run(&unique, config(json!({"dedup": {"near": {}}}), "u.jsonl"));
    assert_eq!(none.passes, [Pass::Analyse]);
    assert_eq!(none.outcome.report.rows_kept, 5);
    // Without near dedup the job reads the input once.
    assert_eq!(
        run(
            &input,
            config(json!({"dedup": {"exact": {}}}), "demo.jsonl")
        )
        .passes,
        [Pass::Analyse]
    );
}

#[test]
fn verify_with_a_high_threshold_removes_no_more_rows() {
    let input = stages_fixture("demo.jsonl");
    let lsh = json!({"bands": 14, "rows": 8});
    let unverified = run(
        &input,
        config(json!({"dedup": {"near": lsh}}), "demo.jsonl"),
    )
    .outcome;
    for threshold in [0.5, 0.8, 0.95, 1.0] {
        let verified = run(
            &input,
            config(json!({"dedup": {"near": {"bands": 14, "rows": 8, "verify": true, "threshold": threshold}}}), "demo.jsonl"),
        )
        .outcome;
        let removed = |o: &Outcome| {
            o.decisions
                .iter()
                .filter(|d| !d.kept)
                .map(|d| d.row)
                .collect::<Vec<_>>()
        };
        let (v, u) = (removed(&verified), removed(&unverified));
        assert!(v.len() <= u.len(), "threshold {threshold}: {v:?} vs {u:?}");
        assert!(
            v.iter().all(|row| u.contains(row)),
            "threshold {threshold}: verification only drops edges"
        );
    }
    // At 1.0 only identical shingle sets stay linked: the repeated sentence (rows 6 and 11), not
    // the edited Smithfield rows.
    let strict = run(
        &input,
        config(
            json!({"dedup": {"near": {"bands": 14, "rows": 8, "verify": true, "threshold": 1.0}}}),
            "demo.jsonl",
        ),
    )
    .outcome;
    assert_eq!(strict.decisions[11].duplicate_of, Some(6));
    assert!(strict.decisions[8].kept);
}

#[test]
fn keep_longest_keeps_the_longest_member() {
    let base = paragraph(1);
    let texts = vec![
        base.clone(),
        format!("{base} and a few more words at the end"),
        format!("{base} plus"),
        paragraph(2),
    ];
    let input = text_rows(&texts);
    let first = run(
        &input,
        config(json!({"dedup": {"near": {"keep": "first"}}}), "x.jsonl"),
    )
    .outcome;
    assert_eq!(
        first
            .decisions
            .iter()
            .map(|d| (d.kept, d.duplicate_of))
            .collect::<Vec<_>>(),
        [
            (true, None),
            (false, Some(0)),
            (false, Some(0)),
            (true, None)
        ]
    );
    let longest = run(
        &input,
        config(json!({"dedup": {"near": {"keep": "longest"}}}), "x.jsonl"),
    )
    .outcome;
    assert_eq!(
        longest
            .decisions
            .iter()
            .map(|d| (d.kept, d.duplicate_of))
            .collect::<Vec<_>>(),
        [
            (false, Some(1)),
            (true, None),
            (false, Some(1)),
            (true, None)
        ]
    );
    assert_eq!(longest.report.stats["dedup"]["near"]["keep"], "longest");
}

#[test]
fn bands_and_rows_follow_the_threshold() {
    let input = stages_fixture("demo.jsonl");
    for (threshold, perms) in [(0.5, 112), (0.7, 112), (0.9, 112), (0.8, 64)] {
        let r = run(
            &input,
            config(
                json!({"dedup": {"near": {"threshold": threshold, "perms": perms}}}),
                "demo.jsonl",
            ),
        );
        let expected = optimal_param(threshold, perms);
        let stats = &r.outcome.report.stats["dedup"]["near"];
        assert_eq!(
            (
                stats["bands"].as_u64().unwrap() as usize,
                stats["rows_per_band"].as_u64().unwrap() as usize
            ),
            (expected.bands, expected.rows),
            "threshold {threshold}, {perms} perms"
        );
        assert_eq!(stats["perms"], perms);
    }
    // Explicit bands and rows win over the threshold.
    let r = run(
        &input,
        config(
            json!({"dedup": {"near": {"threshold": 0.5, "bands": 10, "rows": 5}}}),
            "demo.jsonl",
        ),
    );
    assert_eq!(
        (
            r.outcome.report.stats["dedup"]["near"]["bands"].as_u64(),
            r.outcome.report.stats["dedup"]["near"]["rows_per_band"].as_u64()
        ),
        (Some(10), Some(5))
    );
}

#[test]
fn rows_shorter_than_a_shingle_are_never_near_duplicates() {
    let texts: Vec<String> = vec!["one two three four".into(); 4];
    let input = text_rows(&texts);
    let r = run(&input, config(json!({"dedup": {"near": {}}}), "x.jsonl")).outcome;
    assert!(
        r.decisions.iter().all(|d| d.kept && d.cluster.is_none()),
        "{:?}",
        r.decisions
    );
    assert_eq!(r.report.stats["dedup"]["near"]["rows_hashed"], 0);
    // With 3-word shingles the same rows have signatures and are duplicates.
    let r = run(
        &input,
        config(json!({"dedup": {"near": {"ngram": 3}}}), "x.jsonl"),
    )
    .outcome;
    assert_eq!(r.report.stats["dedup"]["near"]["rows_hashed"], 4);
    assert_eq!(removed_by(&r, "near_duplicate"), 3);
}

#[test]
fn an_exact_duplicate_is_not_also_a_near_duplicate() {
    let input = stages_fixture("demo.jsonl");
    let near_only = run(&input, config(json!({"dedup": {"near": {}}}), "demo.jsonl")).outcome;
    let both = run(
        &input,
        config(json!({"dedup": {"exact": {}, "near": {}}}), "demo.jsonl"),
    )
    .outcome;
    let exact = with_code(&both, "exact_duplicate");
    assert!(!exact.is_empty());
    assert_eq!(
        both.decisions[11].reasons,
        ["exact_duplicate"],
        "row 11 repeats row 6"
    );
    assert_eq!(both.decisions[11].duplicate_of, Some(6));
    for d in &both.decisions {
        assert!(
            !(d.reasons.contains(&"exact_duplicate") && d.reasons.contains(&"near_duplicate")),
            "row {} counted twice",
            d.row
        );
        if d.reasons.contains(&"exact_duplicate") {
            assert_eq!(
                d.cluster, None,
                "an exact duplicate is not in a near cluster"
            );
        }
    }
    // The same rows go; only the reason differs.
    assert_eq!(near_only.kept_mask(), both.kept_mask());
    assert_eq!(
        removed_by(&both, "exact_duplicate") + removed_by(&both, "near_duplicate"),
        removed_by(&near_only, "near_duplicate")
    );
    assert_eq!(
        both.report.stats["dedup"]["near"]["duplicate_rows"],
        removed_by(&both, "near_duplicate")
    );
    // Row 2 repeats row 1 exactly; row 1 is then a near duplicate of row 0: row 2 names row 0,
    // the row that is kept.
    let base = paragraph(7);
    let input = text_rows(&[base.clone(), format!("{base} plus"), format!("{base} plus")]);
    let r = run(
        &input,
        config(json!({"dedup": {"exact": {}, "near": {}}}), "x.jsonl"),
    )
    .outcome;
    let d = &r.decisions;
    assert_eq!(
        (d[1].reasons.as_slice(), d[1].duplicate_of),
        (&["near_duplicate"][..], Some(0))
    );
    assert_eq!(
        (d[2].reasons.as_slice(), d[2].duplicate_of),
        (&["exact_duplicate"][..], Some(0))
    );
    assert!(d[0].kept);
}

#[test]
fn a_row_removed_by_a_filter_is_not_a_dedup_survivor() {
    // Near: row 0 is row 1 plus a blocked word; the blocklist removes row 0, so row 1 stays.
    let base = paragraph(3);
    let input = text_rows(&[format!("{base} forbiddenword"), base.clone(), base.clone()]);
    let c = config(
        json!({"dedup": {"near": {}}, "filter": {"basic": {"blocklist": ["forbiddenword"]}}}),
        "x.jsonl",
    );
    let r = run(&input, c).outcome;
    assert_eq!(r.decisions[0].reasons, ["blocklist"]);
    assert_eq!(
        r.decisions[0].cluster, None,
        "a filtered row is not clustered"
    );
    assert!(r.decisions[1].kept, "{:?}", r.decisions[1]);
    assert_eq!(
        (r.decisions[2].kept, r.decisions[2].duplicate_of),
        (false, Some(1))
    );
    // Exact, normalised: row 1 equals row 0 after normalisation; the regex removes row 0.
    let input = text_rows(&[
        "Hello world, once again!!!".into(),
        "hello world once again".into(),
        "hello world once again".into(),
    ]);
    let c = config(
        json!({"dedup": {"exact": {"normalize": true}}, "filter": {"basic": {"regex_exclude": ["!!!"]}}}),
        "x.jsonl",
    );
    let r = run(&input, c).outcome;
    assert_eq!(r.decisions[0].reasons, ["regex_match"]);
    assert_eq!(
        (r.decisions[1].kept, r.decisions[1].duplicate_of),
        (true, None)
    );
    assert_eq!(
        (r.decisions[2].kept, r.decisions[2].duplicate_of),
        (false, Some(1))
    );
}

// ---------------------------------------------------------------------------------------------
// The output folder with every stage configured.

#[test]
fn kept_and_removed_partition_the_input_with_every_stage() {
    let demo = stages_fixture("demo.jsonl");
    let prefs = prefs_fixture("checks_standard.jsonl");
    let cases: Vec<(&str, &[u8], Value)> = vec![
        (
            "near + exact",
            &demo,
            json!({"dedup": {"exact": {}, "near": {"verify": true}}}),
        ),
        (
            "near + filters",
            &demo,
            json!({"dedup": {"near": {"keep": "longest"}}, "filter": {"gopher_quality": {}, "c4": {}, "lang": {"allowed": ["en"]}, "basic": {"min_words": 3}}}),
        ),
        (
            "filters preset",
            &demo,
            serde_json::from_slice(&std::fs::read(preset_path("fineweb-style")).unwrap()).unwrap(),
        ),
        (
            "prefs",
            &prefs,
            json!({"prefs": {}, "dedup": {"exact": {}}}),
        ),
        (
            "prefs + near",
            &prefs,
            json!({"prefs": {"format": "standard_explicit"}, "dedup": {"near": {"ngram": 2}}}),
        ),
    ];
    for (what, input, json) in cases {
        let c = config(json, "in.jsonl");
        let whole = run(input, c.clone()).outcome;
        assert!(
            whole.report.rows_removed > 0,
            "{what}: something is removed"
        );
        assert!(whole.report.rows_kept > 0, "{what}: something is kept");
        let s = split(&whole, input, &mut fixed(input.len()));
        let changed = assert_partition(what, input, &whole, &s);
        assert!(
            changed.is_empty(),
            "{what}: without rewrite the kept rows are the input's bytes ({changed:?})"
        );
        for seed in 0..3 {
            let chunked = run_with(input, c.clone(), &mut random_sizes(seed, 97), |_| {});
            assert_eq!(
                chunked.outcome.decisions, whole.decisions,
                "{what}: decisions at random chunks (seed {seed})"
            );
            assert_eq!(
                chunked.outcome.report.comparable(),
                whole.report.comparable(),
                "{what}: report (seed {seed})"
            );
            let again = split(&whole, input, &mut random_sizes(seed + 50, 61));
            assert_eq!(
                (again.kept, again.removed),
                (s.kept.clone(), s.removed.clone()),
                "{what}: outputs (seed {seed})"
            );
        }
    }
}

#[test]
fn rewrite_and_redact_change_exactly_the_rows_they_clean() {
    let texts: Vec<String> = vec![
        "Write to jane.doe@example.com for the minutes of the meeting.".into(),
        "Nothing personal in this sentence at all, just words.".into(),
        "Call me at 415-555-0132 or mail bob@example.org after lunch.".into(),
        "Another clean row about rivers and mountains.".into(),
        "x".into(),
    ];
    let input = text_rows(&texts);
    for json in [
        json!({"filter": {"pii": {"mode": "redact"}, "basic": {"min_words": 2}}}),
        json!({"filter": {"pii": {"mode": "redact"}, "basic": {"min_words": 2}, "rewrite": true}}),
    ] {
        let outcome = run(&input, config(json.clone(), "x.jsonl")).outcome;
        assert_eq!(
            outcome.report.stats["filter"]["rewrite"], true,
            "{json}: the report says the kept rows were rewritten"
        );
        assert_eq!(outcome.decisions[0].warnings, ["pii_email"], "{json}");
        assert!(outcome.decisions[0].kept);
        assert_eq!(outcome.decisions[4].reasons, ["too_short"]);
        for seed in 0..3 {
            let s = split(&outcome, &input, &mut random_sizes(seed, 13));
            let changed = assert_partition(&json.to_string(), &input, &outcome, &s);
            assert_eq!(
                changed,
                [0, 2],
                "{json}: only the rows with personal data are rewritten"
            );
            let kept: Vec<Value> = lines(&s.kept)
                .iter()
                .map(|l| serde_json::from_slice(l).unwrap())
                .collect();
            assert_eq!(
                kept[0]["text"],
                "Write to <EMAIL> for the minutes of the meeting."
            );
            let row2 = kept[2]["text"].as_str().unwrap();
            assert!(
                row2.contains("<PHONE>") && row2.contains("<EMAIL>") && !row2.contains("bob@"),
                "{row2}"
            );
        }
    }
    // C4's line removal under `rewrite`: the citation is cut from the kept text.
    let para = "The committee met on Tuesday to discuss the new library budget in detail.";
    let texts: Vec<String> = vec![
        format!("{para} Members agreed on most points.[1] They will meet again next month. The chair thanked everyone. The vote passed easily."),
        format!("{para} Members agreed on most points. They will meet again next month. The chair thanked everyone. The vote passed easily."),
    ];
    let input = text_rows(&texts);
    let outcome = run(
        &input,
        config(
            json!({"filter": {"c4": {"min_num_sentences": 1}, "rewrite": true}}),
            "x.jsonl",
        ),
    )
    .outcome;
    assert_eq!(outcome.report.rows_kept, 2);
    let s = split(&outcome, &input, &mut fixed(7));
    assert_eq!(assert_partition("c4 rewrite", &input, &outcome, &s), [0]);
    let kept: Value = serde_json::from_slice(lines(&s.kept)[0]).unwrap();
    assert!(!kept["text"].as_str().unwrap().contains("[1]"), "{kept}");
}

// ---------------------------------------------------------------------------------------------
// Filters through the job.

fn preset_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("www/presets")
        .join(format!("{name}.json"))
}

#[test]
fn one_row_gets_the_codes_of_several_rules_and_a_message_naming_the_metric() {
    let input = text_rows(&[
        "buy buy buy buy buy buy buy buy buy buy now now now now now now".into(),
        paragraph(4),
    ]);
    let c = config(
        json!({"filter": {"gopher_quality": {}, "gopher_repetition": {}, "basic": {"min_chars": 200}}}),
        "x.jsonl",
    );
    let outcome = run(&input, c).outcome;
    let d = &outcome.decisions[0];
    assert!(!d.kept);
    for code in ["gopher_short_doc", "too_short"] {
        assert!(d.reasons.contains(&code), "{code} in {:?}", d.reasons);
    }
    assert!(d.reasons.contains(&"top_2_gram"), "{:?}", d.reasons);
    // One message, a part per rule: metric, value and threshold.
    let message = d.message.as_deref().expect("a message for people");
    assert!(
        message.contains("gopher_short_doc: gopher_quality.words = 16 (min 50)"),
        "{message}"
    );
    assert!(
        message.contains("top_2_gram: gopher_repetition.top_2_gram_char_frac = 1 (max 0.200)"),
        "{message}"
    );
    assert!(message.contains("63 chars < min 200"), "{message}");
    for code in &d.reasons {
        assert_eq!(outcome.report.removed_by[code], 1, "{code}");
    }
}

#[test]
fn rejudging_with_the_same_config_reproduces_the_counts_and_thresholds_move_them() {
    let input = stages_fixture("demo.jsonl");
    let json = json!({
        "dedup": {"exact": {}},
        "filter": {"gopher_quality": {}, "lang": {"allowed": ["en"]}, "basic": {"min_words": 100}}
    });
    let c = config(json, "demo.jsonl");
    let outcome = run(&input, c.clone()).outcome;
    let filters = c.filter.clone().unwrap();
    let same = outcome.rejudge(&filters).unwrap();
    assert_eq!(
        (same.rows_kept, same.rows_removed),
        (outcome.report.rows_kept, outcome.report.rows_removed)
    );
    for code in ["too_short", "wrong_language"] {
        assert_eq!(
            same.removed_by.get(code),
            outcome.report.removed_by.get(code),
            "{code}"
        );
    }
    // Each moved threshold agrees with a fresh run at that threshold.
    let rerun = |filters: &datasieve::pipeline::filter::FiltersConfig| {
        let mut c2 = c.clone();
        c2.filter = Some(filters.clone());
        let fresh = run(&input, c2).outcome;
        (fresh.report.rows_kept, fresh.report.rows_removed)
    };
    // A lower minimum word count keeps more rows, a higher one fewer.
    let mut looser = filters.clone();
    looser.basic.as_mut().unwrap().min_words = Some(5);
    let l = outcome.rejudge(&looser).unwrap();
    assert!(l.rows_kept > same.rows_kept, "{l:?} vs {same:?}");
    assert!(l.removed_by.get("too_short").copied().unwrap_or(0) < same.removed_by["too_short"]);
    assert_eq!((l.rows_kept, l.rows_removed), rerun(&looser));
    let mut stricter = filters.clone();
    stricter.gopher_quality.as_mut().unwrap().min_doc_words = Some(400);
    let s = outcome.rejudge(&stricter).unwrap();
    assert!(s.rows_kept < same.rows_kept, "{s:?} vs {same:?}");
    assert_eq!((s.rows_kept, s.rows_removed), rerun(&stricter));
    // Allowing more languages removes fewer rows for their language (the French and Chinese
    // rows are short, so the Gopher rules still remove them).
    let mut more_langs = looser.clone();
    more_langs
        .lang
        .as_mut()
        .unwrap()
        .allowed
        .extend(["fr".to_string(), "zh".to_string()]);
    let m = outcome.rejudge(&more_langs).unwrap();
    assert!(
        m.removed_by["wrong_language"] < l.removed_by["wrong_language"],
        "{m:?} vs {l:?}"
    );
    assert_eq!((m.rows_kept, m.rows_removed), rerun(&more_langs));
    // Rows removed by dedup stay removed in the recount: with a low minimum both copies of the
    // repeated sentence (rows 6 and 11) pass the filter and dedup removes row 11.
    let c = config(
        json!({"dedup": {"exact": {}, "near": {}}, "filter": {"basic": {"min_words": 5}}}),
        "demo.jsonl",
    );
    let outcome = run(&input, c.clone()).outcome;
    assert_eq!(outcome.decisions[11].reasons, ["exact_duplicate"]);
    assert!(removed_by(&outcome, "near_duplicate") > 0);
    let filters = c.filter.clone().unwrap();
    let same = outcome.rejudge(&filters).unwrap();
    assert_eq!(
        (same.rows_kept, same.rows_removed),
        (outcome.report.rows_kept, outcome.report.rows_removed)
    );
    let mut stricter = filters.clone();
    stricter.basic.as_mut().unwrap().min_words = Some(8);
    let s = outcome.rejudge(&stricter).unwrap();
    assert!(s.rows_kept < same.rows_kept, "{s:?} vs {same:?}");
    let mut c2 = c.clone();
    c2.filter = Some(stricter);
    let fresh = run(&input, c2).outcome;
    assert_eq!(
        (s.rows_kept, s.rows_removed),
        (fresh.report.rows_kept, fresh.report.rows_removed)
    );
    // A job without filters cannot re-judge.
    let plain = run(
        &input,
        config(json!({"dedup": {"exact": {}}}), "demo.jsonl"),
    )
    .outcome;
    assert!(plain.rejudge(&filters).is_err());
}

#[test]
fn the_page_presets_run_through_the_config() {
    let demo = stages_fixture("demo.jsonl");
    let prefs = prefs_fixture("checks_standard.jsonl");
    for (name, input, stat) in [
        ("fineweb-style", &demo, "filter"),
        ("sft-sanity", &demo, "filter"),
        ("dpo-preflight", &prefs, "prefs"),
    ] {
        let text = std::fs::read_to_string(preset_path(name)).unwrap();
        let c = PipelineConfig::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let outcome = run(input, c).outcome;
        assert!(
            outcome.report.stats.contains_key(stat),
            "{name}: stats.{stat}"
        );
        assert!(
            outcome.report.rows_removed > 0 && outcome.report.rows_kept > 0,
            "{name}: {:?}",
            outcome.report.removed_by
        );
    }
    let fineweb: Value =
        serde_json::from_str(&std::fs::read_to_string(preset_path("fineweb-style")).unwrap())
            .unwrap();
    assert_eq!(
        serde_json::from_value::<datasieve::pipeline::filter::FiltersConfig>(
            fineweb["filter"].clone()
        )
        .unwrap(),
        datasieve::pipeline::filter::FiltersConfig::fineweb_style(),
        "the page's preset is the CLI's"
    );
    let sft: Value =
        serde_json::from_str(&std::fs::read_to_string(preset_path("sft-sanity")).unwrap()).unwrap();
    assert_eq!(
        serde_json::from_value::<datasieve::pipeline::filter::FiltersConfig>(sft["filter"].clone())
            .unwrap(),
        datasieve::pipeline::filter::FiltersConfig::sft_sanity()
    );
}

// ---------------------------------------------------------------------------------------------
// Preference checks through the job.

#[test]
fn prefs_detect_first_errors_remove_warnings_keep() {
    let input = prefs_fixture("checks_standard.jsonl");
    let auto = run(&input, config(json!({"prefs": {}}), "p.jsonl"));
    assert_eq!(
        auto.passes,
        [Pass::Detect, Pass::Analyse],
        "format auto detects over all rows first"
    );
    let explicit = run(
        &input,
        config(json!({"prefs": {"format": "standard_explicit"}}), "p.jsonl"),
    );
    assert_eq!(explicit.passes, [Pass::Analyse]);
    for o in [&auto.outcome, &explicit.outcome] {
        let d = &o.decisions;
        assert_eq!(
            (d[0].kept, d[0].reasons.len(), d[0].warnings.len()),
            (true, 0, 0)
        );
        assert_eq!(
            (d[1].kept, d[1].reasons.as_slice()),
            (false, &["empty_prompt"][..])
        );
        assert_eq!(
            (d[10].kept, d[10].warnings.as_slice()),
            (true, &["score_tie"][..])
        );
        assert_eq!(
            (d[12].kept, d[12].warnings.as_slice()),
            (true, &["duplicate_pair"][..])
        );
        assert_eq!(
            d[12].duplicate_of,
            Some(0),
            "duplicate_pair names the first pair"
        );
        assert_eq!(
            d[13].duplicate_of,
            Some(0),
            "a contradiction names the pair it contradicts"
        );
        assert_eq!(
            (d[17].kept, d[17].reasons.as_slice()),
            (false, &["parse_error"][..])
        );
        assert!(
            !d[14].details.is_empty(),
            "details say where a finding applies"
        );
        assert_eq!(d[14].details[0]["field"], "chosen");
        assert_eq!(o.report.warned_by["duplicate_pair"], 1);
        assert_eq!(
            o.report.stats["prefs"]["token_counting"]["kind"],
            "estimate"
        );
    }
    assert_eq!(auto.outcome.decisions, explicit.outcome.decisions);
    assert!(
        auto.outcome.report.stats["prefs"]
            .get("detection")
            .is_some(),
        "the detection is reported"
    );
    let view = auto
        .outcome
        .prefs_view(lines(&input)[0])
        .expect("a normalised view");
    assert!(view.get("chosen").is_some(), "{view}");
}

#[test]
fn prefs_export_writes_one_trl_line_per_kept_row() {
    let input = prefs_fixture("checks_standard.jsonl");
    for (form, file, lists) in [
        ("trl", "export.trl.jsonl", true),
        ("trl-standard", "export.trl-standard.jsonl", false),
    ] {
        let outcome = run(
            &input,
            config(json!({"prefs": {}, "export": form}), "p.jsonl"),
        )
        .outcome;
        assert_eq!(outcome.export_name(), Some(file));
        let s = split(&outcome, &input, &mut random_sizes(3, 40));
        let exported = lines(&s.export);
        assert_eq!(
            exported.len() as u64,
            outcome.report.rows_kept,
            "{form}: one line per kept row"
        );
        let first: Value = serde_json::from_slice(exported[0]).unwrap();
        for key in ["prompt", "chosen", "rejected"] {
            assert_eq!(first[key].is_array(), lists, "{form}: {key} in {first}");
            assert_eq!(first[key].is_string(), !lists, "{form}: {key} in {first}");
        }
        if lists {
            assert_eq!(
                first["prompt"],
                json!([{"role": "user", "content": "What is two plus two?"}])
            );
            assert_eq!(
                first["chosen"],
                json!([{"role": "assistant", "content": "Two plus two is four."}])
            );
        } else {
            assert_eq!(
                (first["prompt"].as_str(), first["rejected"].as_str()),
                (Some("What is two plus two?"), Some("It is five."))
            );
        }
        assert_partition(form, &input, &outcome, &s);
    }
    // No export configured: no export output.
    let outcome = run(&input, config(json!({"prefs": {}}), "p.jsonl")).outcome;
    assert_eq!(outcome.export_name(), None);
    assert!(split(&outcome, &input, &mut fixed(100)).export.is_empty());
}

#[cfg(feature = "hf-tokenizer")]
#[test]
fn a_tokenizer_json_switches_to_exact_token_counts() {
    let input = prefs_fixture("checks_standard.jsonl");
    let tokenizer = prefs_fixture("tiny-bpe-tokenizer.json");
    let r = run_with(
        &input,
        config(json!({"prefs": {"max_length": 8}}), "p.jsonl"),
        &mut fixed(50),
        |job| {
            job.set_tokenizer_json(&tokenizer, "tiny-bpe-tokenizer.json")
                .unwrap();
        },
    );
    let counting = &r.outcome.report.stats["prefs"]["token_counting"];
    assert_eq!(counting["kind"], "tokenizer", "{counting}");
    let estimate = run(
        &input,
        config(json!({"prefs": {"max_length": 8}}), "p.jsonl"),
    )
    .outcome;
    assert_eq!(
        estimate.report.stats["prefs"]["token_counting"]["kind"],
        "estimate"
    );
    // A tokenizer without preference checks is a config error.
    let mut job = Job::new(config(json!({"dedup": {"exact": {}}}), "p.jsonl")).unwrap();
    assert!(job.set_tokenizer_json(&tokenizer, "t.json").is_err());
}

// ---------------------------------------------------------------------------------------------
// Contamination.

fn with_evals(job: &mut Job) {
    assert_eq!(
        job.add_eval_set("eval_a.jsonl", &stages_fixture("eval_a.jsonl"))
            .unwrap(),
        2
    );
    assert_eq!(
        job.add_eval_set("eval_b.csv", &stages_fixture("eval_b.csv"))
            .unwrap(),
        2
    );
}

#[test]
fn rows_sharing_an_ngram_with_an_eval_set_are_removed_with_details() {
    let input = stages_fixture("demo.jsonl");
    let r = run_with(
        &input,
        config(json!({"contamination": {}}), "demo.jsonl"),
        &mut fixed(1000),
        with_evals,
    )
    .outcome;
    let flagged = with_code(&r, "contamination");
    assert_eq!(rows_of(&flagged), [14, 19]);
    for (d, source, eval_row) in [
        (flagged[0], "eval_a.jsonl", 0),
        (flagged[1], "eval_b.csv", 1),
    ] {
        assert_eq!(
            (d.kept, d.reasons.as_slice()),
            (false, &["contamination"][..])
        );
        let detail = &d.details[0];
        assert_eq!(detail["eval_source"], source, "{detail}");
        assert_eq!(detail["eval_row"], eval_row, "{detail}");
        let span = detail["span"].as_array().unwrap();
        assert!(
            span[0].as_u64().unwrap() < span[1].as_u64().unwrap(),
            "{detail}"
        );
    }
    let stats = &r.report.stats["contamination"];
    assert_eq!(
        stats["eval_sets"],
        json!([{"name": "eval_a.jsonl", "rows": 2}, {"name": "eval_b.csv", "rows": 2}])
    );
    assert_eq!(
        (stats["ngram"].as_u64(), stats["rows_flagged"].as_u64()),
        (Some(13), Some(2))
    );
    // Longer n-grams than the shared span (17 words), not longer than the eval rows (23):
    // nothing is flagged.
    let r = run_with(
        &input,
        config(json!({"contamination": {"ngram": 20}}), "demo.jsonl"),
        &mut fixed(1000),
        |job| {
            job.add_eval_set("eval_a.jsonl", &stages_fixture("eval_a.jsonl"))
                .unwrap();
        },
    )
    .outcome;
    assert_eq!(r.report.rows_removed, 0);
}

#[test]
fn an_eval_set_that_gives_no_ngram_is_refused_naming_it() {
    // Nothing could match it, so a check against it would pass any file: an error, before any
    // input is read, naming the file and why.
    let cases: [(&str, &[u8], u64, &str); 4] = [
        ("empty.jsonl", b"", 13, "it has no rows"),
        (
            "short.jsonl",
            b"{\"question\": \"What is the capital of France?\"}\n",
            13,
            "its one row has fewer than 13 words",
        ),
        (
            "numbers.csv",
            b"a\n1 2 3 4 5 6 7 8 9 10 11 12 13 14\n",
            13,
            "its one row has fewer than 13 words (or only numbers)",
        ),
        (
            "eval_a.jsonl",
            &stages_fixture("eval_a.jsonl"),
            40,
            "its 2 rows each have fewer than 40 words",
        ),
    ];
    for (name, bytes, ngram, why) in cases {
        let mut job = Job::new(config(
            json!({"contamination": {"ngram": ngram}}),
            "demo.jsonl",
        ))
        .unwrap();
        let e = job.add_eval_set(name, bytes).expect_err(name);
        assert!(matches!(e, datasieve::Error::Input(_)), "{name}: {e:?}");
        let message = e.to_string();
        assert!(
            message.starts_with(&format!(
                "eval set `{name}` gives no {ngram}-word n-gram, so no row could match it: "
            )) && message.contains(why),
            "{name}: {message}"
        );
    }
    // One row with enough words is enough.
    let mut job = Job::new(config(json!({"contamination": {}}), "demo.jsonl")).unwrap();
    assert_eq!(
        job.add_eval_set("eval_a.jsonl", &stages_fixture("eval_a.jsonl"))
            .unwrap(),
        2
    );
}

#[test]
fn contamination_without_an_eval_set_is_refused_at_the_first_byte() {
    // It would compare nothing and pass any file. Refused at the first push, and at the end of
    // the first pass of an empty input (which pushes nothing).
    let message = "contamination is enabled but no evaluation set was given";
    for input in [&b"{\"text\": \"a b c\"}\n"[..], b""] {
        let mut job = Job::new(config(json!({"contamination": {}}), "demo.jsonl")).unwrap();
        let e = if input.is_empty() {
            job.end_pass().expect_err("empty input")
        } else {
            job.push(input).expect_err("first push")
        };
        assert!(matches!(e, datasieve::Error::Config(_)), "{e:?}");
        assert!(e.to_string().contains(message), "{e}");
        assert!(e.to_string().contains("--against"), "{e}");
    }
    // With one, the job runs.
    let run = run_with(
        b"{\"text\": \"a b c\"}\n",
        config(json!({"contamination": {}}), "demo.jsonl"),
        &mut fixed(7),
        |job| {
            job.add_eval_set("eval_a.jsonl", &stages_fixture("eval_a.jsonl"))
                .unwrap();
        },
    );
    assert_eq!(run.outcome.report.rows_in, 1);
}

#[test]
fn contamination_is_a_warning_for_preference_data() {
    let row = json!({
        "prompt": "Athlone Community Radio will be broadcasting live for 4 hours from Golden Island Shopping Centre in Athlone today",
        "chosen": "Yes.",
        "rejected": "No."
    });
    let input = format!(
        "{row}\n{}\n",
        json!({"prompt": "Say hi.", "chosen": "Hi.", "rejected": "Go away."})
    );
    let r = run_with(
        input.as_bytes(),
        config(json!({"prefs": {}, "contamination": {}}), "p.jsonl"),
        &mut fixed(30),
        with_evals,
    )
    .outcome;
    let d = &r.decisions[0];
    assert!(d.kept, "{d:?}");
    assert!(d.warnings.contains(&"contamination"), "{d:?}");
    assert!(
        d.details.iter().any(|x| x["eval_source"] == "eval_a.jsonl"),
        "{:?}",
        d.details
    );
    assert_eq!(r.report.warned_by["contamination"], 1);
    assert!(r.decisions[1].warnings.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Config errors name the key.

#[test]
fn config_errors_name_the_offending_key() {
    let cases = [
        (json!({"dedup": {"near": {"treshold": 0.8}}}), "treshold"),
        (json!({"filter": {"gopher_qualty": {}}}), "gopher_qualty"),
        (json!({"prefs": {"formatt": "auto"}}), "formatt"),
        (json!({"dedup": {"near": {"bands": 10}}}), "bands"),
        (json!({"dedup": {"near": {"rows": 10}}}), "rows"),
        (json!({"dedup": {"near": {"threshold": 1.5}}}), "threshold"),
        (json!({"dedup": {"near": {"threshold": 0.0}}}), "threshold"),
        (
            json!({"dedup": {"near": {"bands": 20, "rows": 10}}}),
            "perms",
        ),
        (
            json!({"filter": {"basic": {"regex_exclude": ["(unclosed"]}}}),
            "(unclosed",
        ),
        (
            json!({"filter": {"lang": {"allowed": ["english"]}}}),
            "english",
        ),
        (json!({"export": "trl"}), "prefs"),
        (json!({"contamination": {"ngram": 0}}), "contamination"),
        (
            json!({"input": {"format": "csv"}, "filter": {"c4": {}, "rewrite": true}}),
            "filter.rewrite",
        ),
        (json!({"fields": ["messages[*"]}), "messages[*"),
    ];
    for (json, key) in cases {
        let e = PipelineConfig::from_json(&json.to_string()).expect_err(&json.to_string());
        assert!(e.to_string().contains(key), "{json}: `{e}` names {key}");
        // The job refuses the same config built in code.
        if let Ok(c) = serde_json::from_value::<PipelineConfig>(json.clone()) {
            assert!(Job::new(c).is_err(), "{json}");
        }
    }
}

#[test]
fn rewriting_csv_tsv_or_text_rows_is_refused_named_or_detected_with_one_message() {
    // CSV, TSV and text rows can only be copied as they are. Rewriting them (`rewrite`, or PII
    // redaction, which keeps rows with personal data and rewrites them) cannot happen: a format
    // named in the config is refused by the config, a detected one by the job as soon as the
    // format is known, with the same message, so no output that still holds the data is
    // written as if cleaned.
    let csv =
        b"id,text\n1,Write to jane.doe@example.com today please\n2,A clean row about the weather\n";
    let tsv = b"id\ttext\n1\tWrite to jane.doe@example.com today please\n2\tA clean row\n";
    let text = b"Write to jane.doe@example.com today please\nA clean row about the weather\n";
    let cases: [(&[u8], &str, Format, &str); 3] = [
        (csv, "x.csv", Format::Csv, "this input is CSV,"),
        (tsv, "x.tsv", Format::Tsv, "this input is TSV,"),
        (text, "notes.txt", Format::Text, "this input is plain text"),
    ];
    let filters = [
        (
            json!({"c4": {}, "rewrite": true}),
            "filter.rewrite (CLI `--rewrite`) rewrites the text of kept rows",
        ),
        (
            json!({"pii": {"mode": "redact"}}),
            "PII redaction (filter.pii.mode `redact`, CLI `--pii-mode redact`) rewrites",
        ),
    ];
    for (input, name, format, says) in cases {
        for (filter, what) in &filters {
            let case = format!("{name} {filter}");
            let named = PipelineConfig::from_json(
                &json!({"input": {"format": format, "file_name": name}, "filter": filter})
                    .to_string(),
            )
            .expect_err(&case)
            .to_string();
            for mut sizes in [fixed(input.len()), fixed(3)] {
                let mut job = Job::new(config(json!({ "filter": filter }), name)).unwrap();
                let mut result = Ok(());
                let mut rest: &[u8] = input;
                while !rest.is_empty() && result.is_ok() {
                    let n = sizes().min(rest.len());
                    result = job.push(&rest[..n]);
                    rest = &rest[n..];
                }
                let detected = result
                    .and_then(|()| job.end_pass().map(drop))
                    .expect_err(&case)
                    .to_string();
                assert_eq!(detected, named, "{case}: one message");
            }
            assert!(
                named.contains(what) && named.contains(says),
                "{case}: {named}"
            );
        }
    }
    // Drop mode rewrites nothing, on any format; the report says so.
    let outcome = run(csv, config(json!({"filter": {"pii": {}}}), "x.csv")).outcome;
    assert_eq!(outcome.report.stats["filter"]["rewrite"], false);
    assert_eq!(outcome.decisions[0].reasons, ["pii_email"]);
    assert!(
        outcome.report.notices.is_empty(),
        "{:?}",
        outcome.report.notices
    );
    let input = text_rows(&["Write to jane.doe@example.com today please".into()]);
    let outcome = run(&input, config(json!({"filter": {"pii": {}}}), "x.jsonl")).outcome;
    assert_eq!(outcome.report.stats["filter"]["rewrite"], false);
    assert_eq!(outcome.decisions[0].reasons, ["pii_email"]);
}

#[test]
fn the_job_refuses_to_finish_early_or_take_bytes_late() {
    let input = stages_fixture("demo.jsonl");
    let mut job = Job::new(config(json!({"dedup": {"near": {}}}), "demo.jsonl")).unwrap();
    job.push(&input).unwrap();
    let e = job.finish().expect_err("the sample pass is still wanted");
    assert!(e.to_string().contains("sample"), "{e}");
    let mut job = Job::new(config(json!({"dedup": {"exact": {}}}), "demo.jsonl")).unwrap();
    job.push(&input).unwrap();
    assert!(!job.end_pass().unwrap());
    assert!(
        job.push(b"{\"text\": \"late\"}\n").is_err(),
        "no bytes after the last pass"
    );
    assert!(!job.end_pass().unwrap(), "ending again is harmless");
    assert_eq!(job.finish().unwrap().report.rows_in, 24);
}

#[test]
fn later_passes_reread_every_input_format() {
    // The same rows as JSONL, a JSON array, gzip-compressed JSONL and CSV: every pass starts a
    // fresh reader, so the near-duplicate decisions must not depend on the container.
    let jsonl = stages_fixture("demo.jsonl");
    let values: Vec<Value> = lines(&jsonl)
        .iter()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let array = serde_json::to_vec_pretty(&values).unwrap();
    let gzip = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&jsonl).unwrap();
        e.finish().unwrap()
    };
    let csv = {
        let mut out = b"id,text\n".to_vec();
        for (i, v) in values.iter().enumerate() {
            let text = v["text"].as_str().unwrap().replace('"', "\"\"");
            out.extend(format!("{i},\"{text}\"\n").into_bytes());
        }
        out
    };
    let json = json!({"dedup": {"near": {"verify": true, "threshold": 0.7}}});
    let expected = run(&jsonl, config(json.clone(), "demo.jsonl"));
    assert_eq!(expected.passes, [Pass::Analyse, Pass::Verify, Pass::Sample]);
    let near_rows = |o: &Outcome| rows_of(&with_code(o, "near_duplicate"));
    assert!(!near_rows(&expected.outcome).is_empty());
    for (name, input) in [
        ("demo.json", &array),
        ("demo.jsonl.gz", &gzip),
        ("demo.csv", &csv),
    ] {
        for seed in 0..2 {
            let r = run_with(
                input,
                config(json.clone(), name),
                &mut random_sizes(seed, 500),
                |_| {},
            );
            assert_eq!(r.passes, expected.passes, "{name}");
            assert_eq!(
                near_rows(&r.outcome),
                near_rows(&expected.outcome),
                "{name} (seed {seed})"
            );
            let pairs = |o: &Outcome| {
                o.decisions
                    .iter()
                    .map(|d| (d.kept, d.cluster, d.duplicate_of))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                pairs(&r.outcome),
                pairs(&expected.outcome),
                "{name} (seed {seed})"
            );
            assert_eq!(
                r.outcome.report.stats["dedup"]["near"],
                expected.outcome.report.stats["dedup"]["near"],
                "{name}: the verify and sample passes saw the same rows"
            );
        }
    }
}

#[test]
fn csv_rows_are_read_with_their_header_for_export_views_and_the_cluster_viewer() {
    // Preference pairs as CSV: the export, the normalised view and the compared text read each
    // row's bytes with the header, as the analyse pass did.
    let csv = b"prompt,chosen,rejected\n\
        \"What is two plus two?\",\"Two plus two is four.\",\"It is five.\"\n\
        \"Name a colour.\",\"Blue is a colour.\",\"A chair.\"\n\
        \"Say one.\",\"\",\"Two.\"\n";
    let outcome = run(
        csv,
        config(json!({"prefs": {}, "export": "trl-standard"}), "pairs.csv"),
    )
    .outcome;
    assert_eq!(outcome.report.input.format, "csv");
    assert_eq!(outcome.decisions[2].reasons, ["empty_chosen"]);
    let s = split(&outcome, csv, &mut fixed(11));
    let exported: Vec<Value> = lines(&s.export)
        .iter()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(
        exported,
        [
            json!({"prompt": "What is two plus two?", "chosen": "Two plus two is four.", "rejected": "It is five."}),
            json!({"prompt": "Name a colour.", "chosen": "Blue is a colour.", "rejected": "A chair."}),
        ],
        "one export line per kept CSV row"
    );
    let row0 = lines(csv)[1].strip_suffix(b"\n").unwrap();
    let view = outcome.prefs_view(row0).expect("a view of a CSV row");
    assert!(view.to_string().contains("Two plus two is four."), "{view}");
    assert_eq!(
        outcome.compared_text(row0).as_deref(),
        Some("What is two plus two?")
    );

    // Near duplicates in a CSV: the cluster viewer's text and Jaccard.
    let base = paragraph(5);
    let csv = format!(
        "id,text\n1,\"{base}\"\n2,\"{base} plus\"\n3,\"{}\"\n",
        paragraph(6)
    );
    let outcome = run(
        csv.as_bytes(),
        config(json!({"dedup": {"near": {}}}), "x.csv"),
    )
    .outcome;
    assert_eq!(outcome.decisions[1].duplicate_of, Some(0));
    let rows: Vec<&[u8]> = lines(csv.as_bytes())
        .iter()
        .map(|l| l.strip_suffix(b"\n").unwrap())
        .collect();
    let (a, b) = (
        outcome.compared_text(rows[1]).expect("CSV row text"),
        outcome.compared_text(rows[2]).unwrap(),
    );
    assert_eq!(a, base);
    assert!(outcome.near_jaccard(&a, &b).unwrap() > 0.9);
}

#[test]
fn random_stage_combinations_keep_the_output_invariant() {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    let demo = stages_fixture("demo.jsonl");
    let prefs = prefs_fixture("checks_standard.jsonl");
    let mut rng = SmallRng::seed_from_u64(7);
    for case in 0..24 {
        let mut json = json!({"dedup": {}});
        if rng.gen_bool(0.5) {
            json["dedup"]["exact"] = json!({"normalize": rng.gen_bool(0.5)});
        }
        if rng.gen_bool(0.6) {
            json["dedup"]["near"] = json!({
                "verify": rng.gen_bool(0.5),
                "keep": if rng.gen_bool(0.5) { "first" } else { "longest" },
                "ngram": rng.gen_range(2..6),
            });
        }
        let mut filter = json!({});
        if rng.gen_bool(0.4) {
            filter["gopher_quality"] = json!({});
        }
        if rng.gen_bool(0.4) {
            filter["basic"] = json!({"min_words": rng.gen_range(1..40)});
        }
        if rng.gen_bool(0.3) {
            filter["pii"] = json!({"mode": if rng.gen_bool(0.5) { "drop" } else { "redact" }});
        }
        if !filter.as_object().unwrap().is_empty() {
            json["filter"] = filter;
        }
        let use_prefs = rng.gen_bool(0.3);
        if use_prefs {
            json["prefs"] = json!({});
        }
        let contamination = rng.gen_bool(0.3);
        if contamination {
            json["contamination"] = json!({});
        }
        let input: &[u8] = if use_prefs { &prefs } else { &demo };
        let what = format!("case {case}: {json}");
        let setup = |job: &mut Job| {
            if contamination {
                with_evals(job);
            }
        };
        let whole = run_with(
            input,
            config(json.clone(), "in.jsonl"),
            &mut fixed(input.len()),
            setup,
        )
        .outcome;
        let chunked = run_with(
            input,
            config(json.clone(), "in.jsonl"),
            &mut random_sizes(case, 300),
            setup,
        )
        .outcome;
        assert_eq!(chunked.decisions, whole.decisions, "{what}");
        assert_eq!(
            chunked.report.comparable(),
            whole.report.comparable(),
            "{what}"
        );
        let s = split(&whole, input, &mut random_sizes(case + 99, 200));
        let changed = assert_partition(&what, input, &whole, &s);
        let redacting = json["filter"]["pii"]["mode"] == "redact";
        assert!(
            redacting || changed.is_empty(),
            "{what}: rewritten rows {changed:?}"
        );
        for row in &changed {
            assert!(
                !whole.decisions[*row].warnings.is_empty(),
                "{what}: row {row} rewritten without a PII finding"
            );
        }
        // A row removed as a duplicate names a kept row (with exact and near dedup together
        // too, where the exact survivor may itself be a near duplicate).
        for d in &whole.decisions {
            if d.reasons
                .iter()
                .any(|r| *r == "exact_duplicate" || *r == "near_duplicate")
            {
                let of = d.duplicate_of.expect("a duplicate names its survivor");
                assert!(
                    whole.decisions[of as usize].kept,
                    "{what}: row {} duplicates removed row {of}",
                    d.row
                );
            }
        }
    }
}
