//! Native counterparts of the wasm timings:
//!   native-timing [ROUNDS]          runs `check()` ROUNDS times (see run.mjs)
//!   native-timing --corpus FILE     signs every row of a JSONL corpus (see corpus.mjs)
//!   native-timing --permute         the permutation loop alone (see permute.mjs)
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--corpus") {
        let corpus = std::fs::read(&args[2]).expect("read corpus");
        let start = std::time::Instant::now();
        let checksum = minhash_wasm_check::sign_corpus_bytes(&corpus);
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{{\"native\":true,\"seconds\":{seconds},\"mb_per_s\":{},\"checksum\":{checksum}}}",
            corpus.len() as f64 / 1e6 / seconds
        );
        return;
    }
    if args.get(1).map(String::as_str) == Some("--permute") {
        let (shingles, rounds) = (1000u32, 20_000u32);
        let start = std::time::Instant::now();
        let checksum = minhash_wasm_check::permute_rounds(shingles, rounds);
        let seconds = start.elapsed().as_secs_f64();
        let ns_per_pair = seconds * 1e9 / (shingles as f64 * rounds as f64 * 112.0);
        println!("{{\"native\":true,\"ns_per_pair\":{ns_per_pair},\"checksum\":{checksum}}}");
        return;
    }
    let rounds: u32 = args.get(1).map_or(20, |v| v.parse().unwrap());
    let start = std::time::Instant::now();
    let mut last = 0;
    for _ in 0..rounds {
        last = minhash_wasm_check::check();
    }
    let seconds = start.elapsed().as_secs_f64();
    println!("{{\"native\":true,\"rounds\":{rounds},\"seconds\":{seconds},\"per_round_ms\":{},\"mismatches\":{}}}", seconds * 1e3 / rounds as f64, last & 0xffff_ffff);
}
