//! MinHash / LSH benchmark: single core, end to end from a JSONL file (read, parse, simplify,
//! tokenize, shingle, hash, permute), plus the near-dedup index's memory per row.
//!
//!   cargo run --release --example minhash_bench -- signatures FILE [--perms 112] [--field text]
//!   cargo run --release --example minhash_bench -- dedup FILE          (signatures + LSH + clusters)
//!   cargo run --release --example minhash_bench -- index-memory 1000000
//!
//! Prints one JSON object per run on stdout (consumed by bench/minhash/bench.py).

use datasieve::dedup::lsh::{
    band_keys, shingle_set, CandidatePair, EdgeVerifier, KeepPolicy, LshParams, NearDedupIndex,
};
use datasieve::dedup::minhash::{MinHasher, MinhashParams};
use serde::Deserialize;
use std::borrow::Cow;
use std::io::{BufRead, BufReader};
use std::time::Instant;

#[derive(Deserialize)]
struct Row<'a> {
    #[serde(borrow)]
    text: Cow<'a, str>,
}

fn arg_value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("signatures") => signatures(&args[1], &args, false),
        Some("dedup") => signatures(&args[1], &args, true),
        Some("stages") => stages(&args[1]),
        Some("permute") => permute(),
        Some("contamination") => contamination(&args[1], &args[2]),
        Some("cluster") => cluster(&args[1], &args),
        Some("index-memory") => index_memory(args[1].parse().expect("row count")),
        _ => {
            eprintln!("usage: minhash_bench signatures|dedup FILE [--perms N] | index-memory ROWS");
            std::process::exit(2);
        }
    }
}

fn signatures(path: &str, args: &[String], dedup: bool) {
    let num_perm: usize = arg_value(args, "--perms").map_or(112, |v| v.parse().unwrap());
    let hasher = MinHasher::new(&MinhashParams {
        num_perm,
        ..Default::default()
    })
    .unwrap();
    let lsh = if num_perm == 112 {
        LshParams::default()
    } else {
        LshParams {
            bands: num_perm / 8,
            rows: 8,
        }
    };
    let start = Instant::now();
    let reader = BufReader::with_capacity(1 << 20, std::fs::File::open(path).expect("open corpus"));
    let (mut docs, mut bytes, mut signed, mut checksum) = (0u64, 0u64, 0u64, 0u64);
    let (mut signature, mut keys) = (Vec::new(), Vec::new());
    let mut index = NearDedupIndex::new();
    let mut lengths: Vec<u32> = Vec::new();
    // One reused line buffer, as the pipeline's framer does (no allocation per line).
    let mut reader = reader;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).expect("read line") == 0 {
            break;
        }
        bytes += line.len() as u64;
        let row: Row = serde_json::from_slice(&line).expect("JSON row with a text field");
        // What the pipeline calls.
        if hasher.signature(&row.text, &mut signature) {
            signed += 1;
            checksum ^= signature[0].wrapping_add(signature[num_perm - 1]);
            if dedup {
                band_keys(&signature, lsh, &mut keys);
                index.insert(docs as u32, &keys);
            }
        }
        if dedup {
            lengths.push(row.text.len() as u32);
        }
        docs += 1;
    }
    let mut clusters_found = 0;
    let mut removed = 0;
    if dedup {
        let clusters = index.clusters(docs as u32, KeepPolicy::First, |row| {
            lengths[row as usize] as u64
        });
        clusters_found = clusters.clusters.len();
        removed = clusters.removed_rows();
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "impl": if dedup { format!("datasieve dedup (sig {num_perm} + LSH + clusters)") } else { format!("datasieve {num_perm}") },
            "docs": docs, "signed_docs": signed, "bytes": bytes, "seconds": seconds,
            "docs_per_s": docs as f64 / seconds, "mb_per_s": bytes as f64 / 1e6 / seconds,
            "checksum": checksum, "clusters": clusters_found, "removed": removed,
            "index_heap_bytes": index.heap_bytes(),
        })
    );
}

/// Near-dedup clustering of FILE, printing one JSON line per row: {"row", "cluster", "duplicate_of"}
/// (null for rows in no cluster), then a summary line. `--bands B --rows R` (default 14 × 8),
/// `--verify` (two passes: candidates, then exact Jaccard ≥ `--threshold`, default 0.8).
fn cluster(path: &str, args: &[String]) {
    let bands: usize = arg_value(args, "--bands").map_or(14, |v| v.parse().unwrap());
    let rows: usize = arg_value(args, "--rows").map_or(8, |v| v.parse().unwrap());
    let threshold: f64 = arg_value(args, "--threshold").map_or(0.8, |v| v.parse().unwrap());
    let verify = args.iter().any(|a| a == "--verify");
    let lsh = LshParams { bands, rows };
    let hasher = MinHasher::new(&MinhashParams {
        num_perm: (bands * rows).max(112),
        ..Default::default()
    })
    .unwrap();
    let texts: Vec<String> = std::fs::read_to_string(path)
        .expect("read file")
        .lines()
        .map(|line| serde_json::from_str::<Row>(line).unwrap().text.into_owned())
        .collect();
    let mut index = NearDedupIndex::new();
    let (mut shingles, mut signature, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    let mut pairs = Vec::new();
    // Pass 1: signatures, band keys, candidates.
    for (row, text) in texts.iter().enumerate() {
        shingles.clear();
        hasher.shingles(text, &mut shingles);
        if !hasher.signature_of_shingles(&shingles, &mut signature) {
            continue;
        }
        band_keys(&signature, lsh, &mut keys);
        if verify {
            for earlier in index.candidates(row as u32, &keys) {
                pairs.push(CandidatePair {
                    earlier,
                    row: row as u32,
                });
            }
        } else {
            index.insert(row as u32, &keys);
        }
    }
    // Pass 2 (verify only): exact Jaccard of each candidate pair, holding only open shingle sets.
    let (mut candidates, mut accepted, mut max_open) = (pairs.len(), 0, 0);
    if verify {
        let mut verifier = EdgeVerifier::new(pairs, threshold);
        for (row, text) in texts.iter().enumerate() {
            if verifier.needs(row as u32) {
                let mut row_shingles = Vec::new();
                hasher.shingles(text, &mut row_shingles);
                verifier.feed(row as u32, shingle_set(row_shingles));
                max_open = max_open.max(verifier.open_sets());
            }
        }
        let decided = verifier.finish();
        candidates = decided.len();
        for pair in decided.into_iter().filter(|p| p.accepted) {
            index.link(pair.earlier, pair.row);
            accepted += 1;
        }
    }
    let clusters = index.clusters(texts.len() as u32, KeepPolicy::First, |row| {
        texts[row as usize].len() as u64
    });
    for row in 0..texts.len() as u32 {
        let c = clusters.row(row);
        println!(
            "{}",
            serde_json::json!({"row": row, "cluster": c.map(|c| c.cluster), "duplicate_of": c.map(|c| c.duplicate_of)})
        );
    }
    println!(
        "{}",
        serde_json::json!({"summary": true, "bands": bands, "rows": rows, "verify": verify, "threshold": threshold,
            "clusters": clusters.clusters.len(), "removed": clusters.removed_rows(), "candidate_pairs": candidates,
            "accepted_pairs": accepted, "max_open_shingle_sets": max_open,
            "size_histogram": clusters.size_histogram()})
    );
}

/// Contamination check throughput: index the "text" rows of EVAL, check every row of FILE.
fn contamination(path: &str, eval_path: &str) {
    use datasieve::dedup::contamination::{ContaminationIndex, DEFAULT_NGRAM};
    let mut index = ContaminationIndex::new(DEFAULT_NGRAM);
    let source = index.add_source(eval_path);
    for (row, line) in std::fs::read_to_string(eval_path)
        .expect("read eval")
        .lines()
        .enumerate()
    {
        let parsed: Row = serde_json::from_str(line).expect("eval row with a text field");
        index.add_eval_row(source, row as u32, &parsed.text);
    }
    let start = Instant::now();
    let (mut bytes, mut docs, mut flagged, mut matches) = (0u64, 0u64, 0u64, 0u64);
    let reader = BufReader::with_capacity(1 << 20, std::fs::File::open(path).expect("open file"));
    for line in reader.lines() {
        let line = line.expect("read line");
        bytes += line.len() as u64 + 1;
        docs += 1;
        let row: Row = serde_json::from_str(&line).unwrap();
        let found = index.check(&row.text, 1);
        flagged += !found.is_empty() as u64;
        matches += found.len() as u64;
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"impl": "datasieve contamination 13-gram", "eval_rows": index.eval_rows(), "eval_ngrams": index.distinct_ngrams(),
            "docs": docs, "bytes": bytes, "seconds": seconds, "mb_per_s": bytes as f64 / 1e6 / seconds, "flagged_rows": flagged, "matches": matches})
    );
}

/// The permutation loop alone: 1M synthetic shingles × 112 permutations, per vector unit.
fn permute() {
    use datasieve::dedup::minhash::VectorUnit;
    // Shingles per document (PERMUTE_DOC_SHINGLES, default 1000): the filtered loops meet more
    // passing pairs, early in a document, in short ones.
    let doc_shingles: usize = std::env::var("PERMUTE_DOC_SHINGLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let shingles: Vec<u64> = (0..1_000_000u64)
        .map(|i| xxhash_rust::xxh64::xxh64(&i.to_le_bytes(), 0))
        .collect();
    let mut results = Vec::new();
    for unit in [VectorUnit::Baseline, VectorUnit::Avx2, VectorUnit::Avx512] {
        let hasher = MinHasher::new(&MinhashParams::default())
            .unwrap()
            .with_vector_unit(unit);
        let mut signature = Vec::new();
        let start = Instant::now();
        for chunk in shingles.chunks(doc_shingles) {
            hasher.signature_of_shingles(chunk, &mut signature);
        }
        let seconds = start.elapsed().as_secs_f64();
        results.push(serde_json::json!({"unit": format!("{:?}", hasher.vector_unit()), "ns_per_shingle": seconds * 1e9 / 1e6, "ns_per_permutation": seconds * 1e9 / 1e6 / 112.0}));
    }
    println!("{}", serde_json::Value::Array(results));
}

/// Time per stage (parse, simplify, tokenize, shingle hashing, permutations), cumulative over the file.
/// Time per stage of what [`MinHasher::signature`] does: JSON parse, the fused simplify +
/// tokenize pass, n-gram hashes, permutations. The signature hashes n-grams grouped by length,
/// which only it can do, so the hashing stage is the whole signature's time less the other two
/// stages timed on their own (the same work: the fused pass again, and the permutations of the
/// same shingles in text order).
fn stages(path: &str) {
    use datasieve::text::simplified::{simplified_words, SimplifiedWords};
    let hasher = MinHasher::new(&MinhashParams::default()).unwrap();
    let text = std::fs::read_to_string(path).expect("read corpus");
    let (mut parse, mut fused, mut whole, mut permute) = (0f64, 0f64, 0f64, 0f64);
    let (mut shingles, mut signature) = (Vec::new(), Vec::new());
    let mut simplified = SimplifiedWords::default();
    for line in text.lines() {
        let s0 = Instant::now();
        let row: Row = serde_json::from_str(line).unwrap();
        let s1 = Instant::now();
        simplified_words(&row.text, &mut simplified);
        let s2 = Instant::now();
        hasher.signature(&row.text, &mut signature);
        let s3 = Instant::now();
        shingles.clear();
        hasher.shingles(&row.text, &mut shingles);
        let s4 = Instant::now();
        hasher.signature_of_shingles(&shingles, &mut signature);
        let s5 = Instant::now();
        parse += (s1 - s0).as_secs_f64();
        fused += (s2 - s1).as_secs_f64();
        whole += (s3 - s2).as_secs_f64();
        permute += (s5 - s4).as_secs_f64();
    }
    println!(
        "{}",
        serde_json::json!({"parse_s": parse, "simplify_tokenize_s": fused,
            "ngram_hash_s": whole - fused - permute, "permute_s": permute, "signature_s": whole})
    );
}

fn index_memory(rows: u32) {
    // Synthetic signatures: distinct random values, so every row adds 14 new band keys (the worst
    // case for memory; real duplicates add fewer).
    let params = LshParams::default();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut report = Vec::new();
    for presized in [false, true] {
        let mut index = if presized {
            NearDedupIndex::with_expected_rows(rows as usize, params.bands)
        } else {
            NearDedupIndex::new()
        };
        let (mut signature, mut keys) = (vec![0u64; 112], Vec::new());
        let start = Instant::now();
        for row in 0..rows {
            signature.iter_mut().for_each(|v| *v = next() >> 3);
            band_keys(&signature, params, &mut keys);
            index.insert(row, &keys);
        }
        let seconds = start.elapsed().as_secs_f64();
        report.push(serde_json::json!({
            "rows": rows, "presized": presized, "heap_bytes": index.heap_bytes(),
            "bytes_per_row": index.heap_bytes() as f64 / rows as f64, "insert_rows_per_s": rows as f64 / seconds,
        }));
    }
    println!("{}", serde_json::Value::Array(report));
}
