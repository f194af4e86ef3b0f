#!/usr/bin/env python3
"""MinHash signature throughput, single core, end to end from a JSONL file, all in one run.

Each implementation reads the file line by line, parses the JSON, takes "text" and computes one
MinHash signature per row:
  - datasieve (Rust, release build, examples/minhash_bench.rs): datatrove scheme — simplify_text,
    spaCy-faithful word tokenizer, word 5-grams, xxh64, 112 and 128 permutations — and the whole
    near-dedup job (signatures + LSH band keys + index + clusters);
  - datasketch 2.0: MinHash(num_perm=128), words by str.split(), update_batch of UTF-8 bytes;
  - rensa 0.5: RMinHash(num_perm=128, seed=42), words by str.split();
  - datatrove 0.10.1: MinhashDedupSignature.get_shingles + get_signature (its signature stage
    without the sorted bucket files), default MinhashConfig (112).
Every process is pinned to one CPU with taskset. Slow implementations can be limited to the first
--python-mb / --datatrove-mb megabytes (throughput per MB is reported, so ratios stay comparable).

Usage: python bench/minhash/bench.py CORPUS.jsonl [--python-mb 0] [--datatrove-mb 10] [--cpu 0] [--rounds 1]
       [--peers rensa,datasketch,datatrove]
Prerequisite: cargo build --release --example minhash_bench (run from the repository root).
"""
import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "target/release/examples/minhash_bench"


def run_python(kind, path, limit_mb):
    """Imports and builds the implementation first, then times only the read-parse-hash loop
    (wall with perf_counter, CPU with process_time), so interpreter and library start-up (seconds
    for spaCy) are not charged to throughput."""
    limit = int(limit_mb * 1e6) if limit_mb else 0
    if kind == "datasketch":
        from datasketch import MinHash

        def signature(text):
            m = MinHash(num_perm=128)
            m.update_batch([w.encode("utf-8") for w in text.split()])
            return m.digest()

    elif kind == "rensa":
        from rensa import RMinHash

        def signature(text):
            m = RMinHash(num_perm=128, seed=42)
            m.update(text.split())
            return m.digest()

    elif kind == "datatrove":
        from datatrove.pipeline.dedup.minhash import MinhashDedupSignature

        step = MinhashDedupSignature(output_folder="/tmp/unused-minhash-bench")
        step.get_shingles("warm up the spaCy tokenizer once before timing")

        def signature(text):
            shingles = step.get_shingles(text)
            return step.get_signature(shingles) if shingles.size else None

    start, cpu_start = time.perf_counter(), time.process_time()
    docs = read = 0
    with open(path, "rb") as f:
        for line in f:
            read += len(line)
            signature(json.loads(line)["text"])
            docs += 1
            if limit and read >= limit:
                break
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {"impl": kind, "docs": docs, "bytes": read, "seconds": seconds, "docs_per_s": docs / seconds, "mb_per_s": read / 1e6 / seconds,
            "cpu_seconds": cpu, "mb_per_cpu_s": read / 1e6 / cpu}


def pinned(cmd, cpu):
    return ["taskset", "-c", str(cpu), *cmd]


def run_measured(cmd):
    """Runs a child process and returns its JSON output. CPU seconds (user + sys) let throughput be
    compared even when other processes share the core: the Rust binary's are taken from the
    child's rusage (its start-up is ~1 ms); the Python children measure their timed loop
    themselves (process_time), excluding imports."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.stdout)
    if "cpu_seconds" not in result:
        result["cpu_seconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        result["mb_per_cpu_s"] = result["bytes"] / 1e6 / result["cpu_seconds"]
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--python-mb", type=float, default=0, help="limit for datasketch/rensa (0 = whole file)")
    parser.add_argument("--datatrove-mb", type=float, default=10)
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument(
        "--rounds", type=int, default=1,
        help="run every implementation this many times, interleaved; report each one's fastest round "
        "(CPU seconds) and the spread, for machines whose speed drifts",
    )
    parser.add_argument(
        "--peers", default="rensa,datasketch,datatrove",
        help="comma-separated peers to run (datasieve always runs); e.g. --peers rensa for a quick "
        "paired comparison over many rounds",
    )
    args = parser.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    # Read the corpus once untimed, so that the first implementation does not pay for the page cache.
    with open(args.corpus, "rb") as f:
        while f.read(1 << 24):
            pass
    commands = [
        pinned([str(EXAMPLE), mode, args.corpus, "--perms", str(perms)], args.cpu)
        for mode, perms in (("signatures", 112), ("signatures", 128), ("dedup", 112))
    ] + [
        pinned([sys.executable, __file__, "--child", kind, args.corpus, str(limit)], args.cpu)
        for kind, limit in (("rensa", args.python_mb), ("datasketch", args.python_mb), ("datatrove", args.datatrove_mb))
        if kind in peers
    ]
    rounds = [[] for _ in commands]
    for _ in range(max(1, args.rounds)):
        for i, cmd in enumerate(commands):
            rounds[i].append(run_measured(cmd))
            print(json.dumps(rounds[i][-1]), flush=True)
    results = [min(runs, key=lambda r: r["cpu_seconds"]) for runs in rounds]
    if args.rounds > 1:
        print(f"\nSpread over {args.rounds} rounds (MB per CPU second, slowest to fastest):")
        for runs in rounds:
            speeds = sorted(r["mb_per_cpu_s"] for r in runs)
            print(f"  {runs[0]['impl']:<48} {speeds[0]:8.2f} .. {speeds[-1]:8.2f}")
    by = {r["impl"]: r for r in results}
    print("\nThroughput (wall clock and per CPU second; Python imports excluded, Rust process included;"
          " with --rounds, each implementation's fastest round):")
    for r in results:
        print(
            f"  {r['impl']:<48} {r['mb_per_s']:8.2f} MB/s wall {r['mb_per_cpu_s']:8.2f} MB/cpu-s {r['docs_per_s']:9.0f} docs/s"
            f"  ({r['docs']} docs, {r['bytes'] / 1e6:.1f} MB, {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s cpu)"
        )
    print("Ratios, datasieve ÷ other (wall / cpu):")
    for ours in ("datasieve 112", "datasieve 128"):
        for other in peers:
            wall = by[ours]["mb_per_s"] / by[other]["mb_per_s"]
            cpu = by[ours]["mb_per_cpu_s"] / by[other]["mb_per_cpu_s"]
            print(f"  {ours} / {other}: {wall:.2f}x wall, {cpu:.2f}x cpu")
    if args.rounds > 1:
        # The machine's speed drifts between rounds; a ratio within one round (the runs minutes or
        # seconds apart) is less exposed to it than fastest over fastest.
        print("Paired within each round, datasieve 112 ÷ other (CPU), median and range:")
        by_impl = {runs[0]["impl"]: runs for runs in rounds}
        for other in peers:
            ratios = sorted(
                ours["mb_per_cpu_s"] / theirs["mb_per_cpu_s"]
                for ours, theirs in zip(by_impl["datasieve 112"], by_impl[other])
            )
            print(f"  / {other}: {ratios[len(ratios) // 2]:.2f}x ({ratios[0]:.2f} .. {ratios[-1]:.2f})")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, kind, path, limit = sys.argv
        print(json.dumps(run_python(kind, path, float(limit))))
    else:
        main()
