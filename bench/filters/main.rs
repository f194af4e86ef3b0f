//! Single-core throughput of datasieve's four quality filters (Gopher quality, Gopher
//! repetition, C4, FineWeb: measure every metric, then judge) on a JSONL corpus of `{"text": …}`
//! lines. `bench/filters/run.py` writes the corpus, times datatrove's four filters on it, runs
//! this binary and prints the ratio.
//!
//! Usage: `cargo bench --bench filters -- CORPUS.jsonl [MIN_SECONDS]`
//! Prints one JSON object: docs, bytes, passes, seconds, docs_per_s, mb_per_s, dropped per filter.

use std::time::Instant;

use datasieve::filter::{judge_all, FilterConfig, QualityFilters};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(path) = args.first() else {
        eprintln!("usage: cargo bench --bench filters -- CORPUS.jsonl [MIN_SECONDS]");
        std::process::exit(2);
    };
    let min_seconds: f64 = args
        .get(1)
        .map(|s| s.parse().expect("seconds"))
        .unwrap_or(3.0);
    let corpus = std::fs::read_to_string(path).expect("read corpus");
    let texts: Vec<String> = corpus
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let value: serde_json::Value = serde_json::from_str(l).expect("json line");
            value["text"].as_str().expect("text").to_string()
        })
        .collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let config = FilterConfig::datatrove_defaults();
    let filters = QualityFilters::new(config.clone()).expect("config");

    if args.iter().any(|a| a == "--breakdown") {
        breakdown(&texts, &config);
        return;
    }

    let mut dropped = std::collections::BTreeMap::<&'static str, u64>::new();
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let mut passes = 0u64;
    loop {
        for text in &texts {
            let row = filters.measure_all(text);
            let reasons = judge_all(&row, &config);
            if passes == 0 {
                for reason in reasons {
                    *dropped.entry(reason).or_default() += 1;
                }
            } else {
                std::hint::black_box(reasons);
            }
        }
        passes += 1;
        if start.elapsed().as_secs_f64() >= min_seconds {
            break;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu_start).map(|(end, begin)| end - begin);
    let docs = texts.len() as f64 * passes as f64;
    let report = serde_json::json!({
        "docs": texts.len(),
        "bytes": bytes,
        "passes": passes,
        "seconds": seconds,
        "docs_per_s": docs / seconds,
        "mb_per_s": bytes as f64 * passes as f64 / seconds / 1e6,
        "cpu_seconds": cpu,
        "cpu_docs_per_s": cpu.map(|c| docs / c),
        "cpu_mb_per_s": cpu.map(|c| bytes as f64 * passes as f64 / c / 1e6),
        "dropped": dropped,
    });
    println!("{report}");
}

/// `--breakdown`: CPU seconds per stage over one pass (word tokens, then each filter alone on
/// them), to see where the time goes.
fn breakdown(texts: &[String], config: &FilterConfig) {
    use datasieve::filter::gopher_repetition::GopherRepetition;
    use datasieve::filter::{c4::C4, fineweb::FineWeb, gopher_quality::GopherQuality};
    use datasieve::text::tokenizer::{spacy_tokens, word_tokenize};
    let time = |f: &mut dyn FnMut(&str)| {
        let begin = cpu_seconds_precise();
        for _ in 0..3 {
            for text in texts {
                f(text);
            }
        }
        (cpu_seconds_precise() - begin) / 3.0
    };
    let gq = GopherQuality::new(config.gopher_quality.clone().unwrap());
    let gr = GopherRepetition::new(config.gopher_repetition.clone().unwrap()).unwrap();
    let gr_lines = GopherRepetition::new(
        datasieve::filter::gopher_repetition::GopherRepetitionConfig {
            top_n_grams: vec![],
            dup_n_grams: vec![],
            ..config.gopher_repetition.clone().unwrap()
        },
    )
    .unwrap();
    let gr_top = GopherRepetition::new(
        datasieve::filter::gopher_repetition::GopherRepetitionConfig {
            dup_n_grams: vec![],
            ..config.gopher_repetition.clone().unwrap()
        },
    )
    .unwrap();
    let c4 = C4::new(config.c4.clone().unwrap());
    let fw = FineWeb::new(config.fineweb.clone().unwrap());
    let words: Vec<Vec<&str>> = texts.iter().map(|t| word_tokenize(t)).collect();
    let mut k = 0;
    let mut next_words = |n: usize| {
        let w = &words[k % n];
        k += 1;
        w
    };
    let n = texts.len();
    let report = serde_json::json!({
        "word_tokenize": time(&mut |t| { std::hint::black_box(word_tokenize(t)); }),
        "gopher_quality": time(&mut |t| { std::hint::black_box(gq.measure_words(t, next_words(n))); }),
        "gopher_repetition": time(&mut |t| { std::hint::black_box(gr.measure_words(t, next_words(n))); }),
        "gopher_repetition_lines_only": time(&mut |t| { std::hint::black_box(gr_lines.measure_words(t, next_words(n))); }),
        "gopher_repetition_lines_top": time(&mut |t| { std::hint::black_box(gr_top.measure_words(t, next_words(n))); }),
        "c4_own_tokens": time(&mut |t| { std::hint::black_box(c4.measure(t)); }),
        "c4_document_tokens": time(&mut |t| { std::hint::black_box(c4.measure_with_tokens(t, &spacy_tokens(t))); }),
        "spacy_tokens": time(&mut |t| { std::hint::black_box(spacy_tokens(t)); }),
        "fineweb": time(&mut |t| { std::hint::black_box(fw.measure_words(t, next_words(n))); }),
    });
    println!("{report}");
}

/// Thread CPU time in seconds with nanosecond resolution (Linux), for short stages.
fn cpu_seconds_precise() -> f64 {
    let mut ts = std::mem::MaybeUninit::<[i64; 2]>::uninit();
    // SAFETY: clock_gettime writes a timespec (two 64-bit fields on Linux x86-64/aarch64).
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut [i64; 2]) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    unsafe {
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, ts.as_mut_ptr());
        let [s, ns] = ts.assume_init();
        s as f64 + ns as f64 * 1e-9
    }
}

/// User + system CPU time of this process (Linux `/proc/self/stat`, clock ticks of 1/100 s), so
/// the figure holds on a machine shared with other jobs. `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
