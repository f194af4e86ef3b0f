//! Agreement of the Rust text layer with datatrove over a full reference dump of the shared
//! data. Not part of the normal suite's evidence: it needs the dump that
//! `scripts/gen_text_fixture.py full OUT` writes from ../shared/data, named by the environment
//! variable DATASIEVE_TEXT_REFERENCE, and skips with a message when that is absent.
//!
//! Run: `DATASIEVE_TEXT_REFERENCE=/tmp/ref.jsonl cargo test --release --test text_agreement -- --nocapture`

mod text_support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};

#[test]
fn agreement_over_reference_dump() {
    let Some(path) = std::env::var_os("DATASIEVE_TEXT_REFERENCE") else {
        println!("skipped: DATASIEVE_TEXT_REFERENCE is not set (see scripts/gen_text_fixture.py)");
        return;
    };
    let Ok(file) = std::fs::File::open(&path) else {
        println!("skipped: {path:?} is not readable");
        return;
    };
    // source -> [documents, words, sentences+spans, simplified, simplified words, all]
    let mut per_source: BTreeMap<String, [usize; 6]> = BTreeMap::new();
    let mut bytes = 0usize;
    let mut examples = Vec::new();
    for line in BufReader::new(file).lines() {
        let row: serde_json::Value = serde_json::from_str(&line.expect("line")).expect("json");
        bytes += row["text"].as_str().unwrap().len();
        let a = text_support::compare(&row);
        let counts = per_source.entry(row["source"].as_str().unwrap().to_string()).or_default();
        counts[0] += 1;
        counts[1] += a.words as usize;
        counts[2] += (a.sentences && a.spans) as usize;
        counts[3] += a.simplified as usize;
        counts[4] += a.simplified_words as usize;
        counts[5] += a.all() as usize;
        if !a.all() && examples.len() < 40 {
            examples.push(text_support::describe(&row));
        }
    }
    let mut total = [0usize; 6];
    println!("source          docs   words%  sents%  simpl%  simplw%  all%");
    for (source, c) in &per_source {
        for i in 0..6 {
            total[i] += c[i];
        }
        print_row(source, c);
    }
    print_row("TOTAL", &total);
    println!("{bytes} bytes of text");
    for e in &examples {
        print!("{e}");
    }
    assert!(total[0] > 0, "empty reference dump");
}

fn print_row(name: &str, c: &[usize; 6]) {
    let pct = |k: usize| 100.0 * c[k] as f64 / c[0].max(1) as f64;
    println!(
        "{name:<14} {:>6}  {:>6.2}  {:>6.2}  {:>6.2}  {:>6.2}  {:>6.2}",
        c[0],
        pct(1),
        pct(2),
        pct(3),
        pct(4),
        pct(5)
    );
}
