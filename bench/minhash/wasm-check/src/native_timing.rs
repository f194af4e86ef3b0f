//! Native counterpart of run.mjs's timing: runs `check()` ROUNDS times and prints the seconds.
fn main() {
    let rounds: u32 = std::env::args().nth(1).map_or(20, |v| v.parse().unwrap());
    let start = std::time::Instant::now();
    let mut last = 0;
    for _ in 0..rounds {
        last = minhash_wasm_check::check();
    }
    let seconds = start.elapsed().as_secs_f64();
    println!("{{\"native\":true,\"rounds\":{rounds},\"seconds\":{seconds},\"per_round_ms\":{},\"mismatches\":{}}}", seconds * 1e3 / rounds as f64, last & 0xffff_ffff);
}
