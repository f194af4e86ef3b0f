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
    let mut texts: Vec<String> = Vec::new();
    for line in BufReader::new(file).lines() {
        let row: serde_json::Value = serde_json::from_str(&line.expect("line")).expect("json");
        bytes += row["text"].as_str().unwrap().len();
        texts.push(row["text"].as_str().unwrap().to_string());
        let a = text_support::compare(&row);
        let counts = per_source
            .entry(row["source"].as_str().unwrap().to_string())
            .or_default();
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
    report_throughput(&texts);
    for e in &examples {
        print!("{e}");
    }
    assert!(total[0] > 0, "empty reference dump");
}

/// Throughput of each layer over the whole dump (meaningful with --release only).
fn report_throughput(texts: &[String]) {
    use datasieve::text::{sentences, simplify, tokenizer};
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let mb = bytes as f64 / 1e6;
    let time = |name: &str, f: &dyn Fn(&str) -> usize| {
        let start = std::time::Instant::now();
        let cpu_start = thread_cpu_seconds();
        let n: usize = texts.iter().map(|t| f(t)).sum();
        let secs = start.elapsed().as_secs_f64();
        let cpu = match (cpu_start, thread_cpu_seconds()) {
            (Some(a), Some(b)) if b > a => format!("{:>8.1} MB/s per CPU-second", mb / (b - a)),
            _ => String::new(),
        };
        println!("{name:<28} {:>8.1} MB/s wall {cpu} ({n} items)", mb / secs);
    };
    time("word_tokenize", &|t| tokenizer::word_tokenize(t).len());
    time("count_words", &|t| tokenizer::count_words(t));
    time("sent_tokenize", &|t| sentences::sent_tokenize(t).len());
    time("simplify_text", &|t| simplify::simplify_text(t).len());
    time("simplify + word_tokenize", &|t| {
        tokenizer::word_tokenize(&simplify::simplify_text(t)).len()
    });
}

/// This thread's user+system CPU time from /proc (Linux only), so that throughput can be read
/// on a busy shared machine.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    // utime and stime are fields 14 and 15 of the full line, 12 and 13 after "pid (comm) ".
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
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
