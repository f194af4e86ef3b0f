//! Runs the preference checker over the real files in ../shared/data (skipped with a message
//! when absent) and prints what each holds, plus throughput. Run with
//! `cargo test --release --test prefs_real_data -- --nocapture` for meaningful MB/s.

use std::path::{Path, PathBuf};
use std::time::Instant;

use datasieve::prefs::{codes, Family, FamilyDetector, PrefsChecker, PrefsConfig, PrefsStats};
use serde_json::Value;

fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    let dir = if dir.is_dir() {
        dir
    } else {
        PathBuf::from("/work/shared/data")
    };
    dir.is_dir().then_some(dir)
}

/// Parses a JSON-lines file or a JSON array file into rows (`None` for unparsable lines).
fn parse_rows(bytes: &[u8]) -> Vec<Option<Value>> {
    let trimmed = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&bytes[..0], |i| &bytes[i..]);
    if trimmed.first() == Some(&b'[') {
        let rows: Vec<Value> = serde_json::from_slice(trimmed).expect("JSON array file parses");
        return rows.into_iter().map(Some).collect();
    }
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .map(|line| serde_json::from_slice(line).ok())
        .collect()
}

struct Run {
    family: Option<Family>,
    stats: PrefsStats,
    seconds_total: f64,
    seconds_check: f64,
    /// The first few findings per code: (code, row index, details as JSON).
    examples: Vec<(&'static str, usize, String)>,
}

/// Parse + detect + check, timing the whole and the check pass alone.
fn run(bytes: &[u8], config: &PrefsConfig) -> Run {
    let start = Instant::now();
    let rows = parse_rows(bytes);
    let mut detector = FamilyDetector::new();
    for row in rows.iter().flatten() {
        detector.observe(row);
    }
    let detection = detector.finish();
    let check_start = Instant::now();
    let mut checker = PrefsChecker::new(config.clone(), detection.family);
    let mut examples: Vec<(&'static str, usize, String)> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let findings = match row {
            Some(value) => checker.check(index as u64, value),
            None => checker.check_unparsable(index as u64),
        };
        for detail in &findings.details {
            if examples.iter().filter(|e| e.0 == detail.code).count() < 2 {
                examples.push((detail.code, index, serde_json::to_string(detail).unwrap()));
            }
        }
    }
    let stats = checker.finish();
    Run {
        family: detection.family,
        stats,
        seconds_total: start.elapsed().as_secs_f64(),
        seconds_check: check_start.elapsed().as_secs_f64(),
        examples,
    }
}

const FILES: &[(&str, Family)] = &[
    ("hh-rlhf-harmless-base-sample/sample.jsonl", Family::StandardImplicit),
    ("llamafactory-demos/dpo_en_demo.json", Family::SharegptRanking),
    ("llamafactory-demos/dpo_zh_demo.json", Family::SharegptRanking),
    ("llamafactory-demos/kto_en_demo.json", Family::Kto),
    ("llamafactory-demos/v1_dpo_demo.jsonl", Family::ConversationalImplicit),
    ("azure-foundry-finetuning-samples/Direct_Preference_Optimization/orca_dpo_pairs/validation.jsonl", Family::OpenaiDpo),
];

#[test]
fn real_preference_files() {
    let Some(dir) = shared_data() else {
        println!("skipped: ../shared/data is absent");
        return;
    };
    let config = PrefsConfig {
        max_length: Some(1024),
        max_prompt_length: Some(512),
        ..PrefsConfig::default()
    };
    for &(relative, expected) in FILES {
        let path = dir.join(relative);
        let Ok(bytes) = std::fs::read(&path) else {
            println!("skipped: {} is absent", path.display());
            continue;
        };
        // Best of five runs: the files are under 2 MB, so one run is a few milliseconds and
        // noisy on a shared machine.
        let result = (0..5)
            .map(|_| run(&bytes, &config))
            .min_by(|a, b| a.seconds_total.total_cmp(&b.seconds_total))
            .expect("five runs");
        let stats = &result.stats;
        assert_eq!(result.family, Some(expected), "{relative}");
        assert_eq!(stats.rows, stats.valid_rows + stats.rows_with_errors);
        assert!(
            !stats.error_counts.contains_key(codes::PARSE_ERROR),
            "{relative}: {:?}",
            stats.error_counts
        );
        assert!(
            !stats.error_counts.contains_key(codes::UNKNOWN_SCHEMA),
            "{relative}"
        );
        let mb = bytes.len() as f64 / 1e6;
        println!(
            "{relative}: {:.2} MB, family {:?}, rows {}, valid {}, pairs {}, unpaired {}",
            mb,
            result.family.map(Family::name),
            stats.rows,
            stats.valid_rows,
            stats.pairs,
            stats.unpaired
        );
        println!("  errors   {:?}", stats.error_counts);
        println!("  warnings {:?}", stats.warning_counts);
        println!(
            "  chosen longer {:.3?}, median ratio {:.3?}, unique prompts {}, refusals chosen/rejected {:?}/{:?}, kto {:?}",
            stats.length_bias.chosen_longer_share,
            stats.length_bias.median_length_ratio,
            stats.prompts.unique_prompts,
            stats.refusals.as_ref().map(|r| r.chosen),
            stats.refusals.as_ref().map(|r| r.rejected),
            stats.kto_labels.as_ref().map(|k| (k.desirable, k.undesirable)),
        );
        if std::env::var_os("PREFS_EXAMPLES").is_some() {
            for (code, index, detail) in &result.examples {
                println!("    e.g. {code} row {index}: {detail}");
            }
        }
        println!(
            "  throughput: {:.1} MB/s parse+detect+check, {:.1} MB/s check only",
            mb / result.seconds_total,
            mb / result.seconds_check
        );
    }
}
