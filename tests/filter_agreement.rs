//! Agreement of the quality filters with datatrove 0.10.1 on every document of the shared real
//! web text (../shared/data), per filter.
//!
//! `tests/fixtures/filter/datatrove_verdicts_shared.tsv` holds datatrove's verdicts (written by
//! `scripts/gen_filter_fixture.py`), keyed by file and line, with an xxh3 of the text; the texts
//! are read from ../shared/data (or `$DATASIEVE_SHARED_DATA`). Without them the test prints why
//! and passes. Run with `--nocapture` to see the figures and every disagreement.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use datasieve::filter::{
    c4, fineweb, gopher_quality, gopher_repetition, C4Config, FilterConfig, C4,
};

/// The verdict columns of the TSV, in order.
const FILTERS: [&str; 5] = [
    "gopher_quality",
    "gopher_repetition",
    "c4",
    "c4_fineweb_style",
    "fineweb",
];
/// The target: at least this share of identical verdicts (keep/drop and reason) per filter.
const MIN_AGREEMENT: f64 = 0.99;

fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("DATASIEVE_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    };
    dir.join("dclm-human-quality-labels")
        .is_dir()
        .then_some(dir)
}

/// The lines of a shared file, split on `\n` exactly as the generator split them.
fn file_lines(dir: &Path, rel: &str) -> Vec<String> {
    let path = dir.join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = if rel.ends_with(".gz") {
        let mut out = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut out)
            .expect("gzip");
        out
    } else {
        String::from_utf8(bytes).expect("utf-8")
    };
    text.split('\n').map(str::to_string).collect()
}

fn document_text(line: &str, rel: &str) -> String {
    if rel.ends_with(".txt") {
        return line.to_string();
    }
    let value: serde_json::Value = serde_json::from_str(line).expect("json line");
    value["text"].as_str().expect("text field").to_string()
}

/// Our verdicts in the TSV's column order ("keep" or the reason code).
fn our_verdicts(text: &str) -> [String; 5] {
    let defaults = FilterConfig::datatrove_defaults();
    let words = datasieve_words(text);
    let gq = gopher_quality::GopherQuality::new(defaults.gopher_quality.clone().unwrap());
    let gr = gopher_repetition::GopherRepetition::new(defaults.gopher_repetition.clone().unwrap())
        .unwrap();
    let fw = fineweb::FineWeb::new(defaults.fineweb.clone().unwrap());
    let c4_default = C4::new(C4Config::default());
    let c4_fineweb = C4::new(FilterConfig::fineweb_style().c4.unwrap());
    let show = |code: Option<&str>| code.unwrap_or("keep").to_string();
    // The pipeline counts C4's sentences from the document's tokens: same counts as per line.
    let tokens = datasieve::text::tokenizer::spacy_tokens(text);
    for c4 in [&c4_default, &c4_fineweb] {
        assert_eq!(
            c4.measure(text).sentences,
            c4.measure_with_tokens(text, &tokens).sentences,
            "{text:?}"
        );
    }
    [
        show(gopher_quality::judge(
            &gq.measure_words(text, &words),
            gq.config(),
        )),
        show(gopher_repetition::judge(
            &gr.measure_words(text, &words),
            gr.config(),
        )),
        show(c4::judge(&c4_default.measure(text), c4_default.config())),
        show(c4::judge(&c4_fineweb.measure(text), c4_fineweb.config())),
        show(fineweb::judge(&fw.measure_words(text, &words), fw.config())),
    ]
}

fn datasieve_words(text: &str) -> Vec<&str> {
    datasieve::text::tokenizer::word_tokenize(text)
}

#[test]
fn agreement_with_datatrove_on_shared_real_text() {
    let Some(dir) = shared_dir() else {
        println!("skipping: ../shared/data not found (set DATASIEVE_SHARED_DATA to its path)");
        return;
    };
    let tsv = include_str!("fixtures/filter/datatrove_verdicts_shared.tsv");
    let mut files: HashMap<String, Vec<String>> = HashMap::new();
    let mut agree = [0usize; 5];
    let mut total = 0usize;
    let mut confusion: HashMap<(usize, String, String), usize> = HashMap::new();
    for row in tsv.lines().skip(1) {
        let fields: Vec<&str> = row.split('\t').collect();
        let (rel, index, digest) = (fields[0], fields[1].parse::<usize>().unwrap(), fields[2]);
        let lines = files
            .entry(rel.to_string())
            .or_insert_with(|| file_lines(&dir, rel));
        let text = document_text(&lines[index], rel);
        assert_eq!(
            format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes())),
            digest,
            "{rel}#{index} changed"
        );
        total += 1;
        let ours = our_verdicts(&text);
        for (i, expected) in fields[3..8].iter().enumerate() {
            if ours[i] == *expected {
                agree[i] += 1;
            } else {
                println!(
                    "{}: {rel}#{index}: datatrove {expected}, datasieve {}",
                    FILTERS[i], ours[i]
                );
                *confusion
                    .entry((i, expected.to_string(), ours[i].clone()))
                    .or_default() += 1;
            }
        }
    }
    println!("documents: {total}");
    let mut failures = Vec::new();
    for (i, name) in FILTERS.iter().enumerate() {
        let share = agree[i] as f64 / total as f64;
        println!(
            "{name}: {}/{total} identical verdicts ({:.2} %)",
            agree[i],
            100.0 * share
        );
        let mut pairs: Vec<_> = confusion.iter().filter(|((j, _, _), _)| *j == i).collect();
        pairs.sort_by(|a, b| b.1.cmp(a.1));
        for ((_, expected, ours), n) in pairs {
            println!("    datatrove {expected} -> datasieve {ours}: {n}");
        }
        if share < MIN_AGREEMENT {
            failures.push(format!("{name} {:.2} %", 100.0 * share));
        }
    }
    assert!(
        failures.is_empty(),
        "below {} % agreement: {failures:?}",
        100.0 * MIN_AGREEMENT
    );
}

/// Checks the filter logic alone: the same comparison, but with spaCy's own tokens and sentence
/// counts (dumped by `scripts/gen_filter_fixture.py --dump-reference PATH`, named by
/// `$DATASIEVE_FILTER_REFERENCE`) instead of the Rust tokenizer and sentence splitter. Any
/// disagreement here is a bug in the rules, not in tokenization. Skipped without the dump.
#[test]
fn filter_logic_agrees_with_datatrove_given_spacy_tokens() {
    let (Some(dir), Some(reference)) =
        (shared_dir(), std::env::var_os("DATASIEVE_FILTER_REFERENCE"))
    else {
        println!("skipping: needs ../shared/data and $DATASIEVE_FILTER_REFERENCE (a --dump-reference file)");
        return;
    };
    let dump = std::fs::read_to_string(reference).expect("reference dump");
    let tsv = include_str!("fixtures/filter/datatrove_verdicts_shared.tsv");
    let defaults = FilterConfig::datatrove_defaults();
    let gq = gopher_quality::GopherQuality::new(defaults.gopher_quality.clone().unwrap());
    let gr = gopher_repetition::GopherRepetition::new(defaults.gopher_repetition.clone().unwrap())
        .unwrap();
    let fw = fineweb::FineWeb::new(defaults.fineweb.clone().unwrap());
    let c4_default = C4::new(C4Config::default());
    let c4_fineweb = C4::new(FilterConfig::fineweb_style().c4.unwrap());
    let mut files: HashMap<String, Vec<String>> = HashMap::new();
    let mut disagreements = Vec::new();
    let mut total = 0;
    for (row, reference) in tsv.lines().skip(1).zip(dump.lines()) {
        let fields: Vec<&str> = row.split('\t').collect();
        let (rel, index) = (fields[0], fields[1].parse::<usize>().unwrap());
        let lines = files
            .entry(rel.to_string())
            .or_insert_with(|| file_lines(&dir, rel));
        let text = document_text(&lines[index], rel);
        let reference: serde_json::Value = serde_json::from_str(reference).unwrap();
        assert_eq!(
            (
                reference["file"].as_str().unwrap(),
                reference["line"].as_u64().unwrap() as usize
            ),
            (rel, index)
        );
        let words: Vec<&str> = reference["words"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        let sentences = reference["sentences"].as_object().unwrap();
        let count = |line: &str| {
            sentences
                .get(line)
                .and_then(|v| v.as_u64())
                .unwrap_or_else(|| panic!("{rel}#{index}: no count for {line:?}"))
                as usize
        };
        let show = |code: Option<&str>| code.unwrap_or("keep").to_string();
        let ours = [
            show(gopher_quality::judge(
                &gq.measure_words(&text, &words),
                gq.config(),
            )),
            show(gopher_repetition::judge(
                &gr.measure_words(&text, &words),
                gr.config(),
            )),
            show(c4::judge(
                &c4_default.measure_with(&text, count),
                c4_default.config(),
            )),
            show(c4::judge(
                &c4_fineweb.measure_with(&text, count),
                c4_fineweb.config(),
            )),
            show(fineweb::judge(
                &fw.measure_words(&text, &words),
                fw.config(),
            )),
        ];
        total += 1;
        for (i, expected) in fields[3..8].iter().enumerate() {
            if ours[i] != *expected {
                disagreements.push(format!(
                    "{}: {rel}#{index}: datatrove {expected}, datasieve {}",
                    FILTERS[i], ours[i]
                ));
            }
        }
    }
    println!("{total} documents, {} disagreements", disagreements.len());
    for d in &disagreements {
        println!("{d}");
    }
    assert!(
        total > 1000,
        "reference dump and verdict table do not match"
    );
    assert!(disagreements.is_empty());
}
