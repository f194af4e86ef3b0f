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

Usage: python bench/minhash/bench.py CORPUS.jsonl [--python-mb 100] [--datatrove-mb 5] [--cpu 0]
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


def rows(path, limit_bytes):
    read = 0
    with open(path, "rb") as f:
        for line in f:
            read += len(line)
            yield json.loads(line)["text"]
            if limit_bytes and read >= limit_bytes:
                break


def run_python(kind, path, limit_mb):
    start = time.perf_counter()
    docs = 0
    limit = int(limit_mb * 1e6) if limit_mb else 0
    if kind == "datasketch":
        from datasketch import MinHash

        for text in rows(path, limit):
            m = MinHash(num_perm=128)
            m.update_batch([w.encode("utf-8") for w in text.split()])
            m.digest()
            docs += 1
    elif kind == "rensa":
        from rensa import RMinHash

        for text in rows(path, limit):
            m = RMinHash(num_perm=128, seed=42)
            m.update(text.split())
            m.digest()
            docs += 1
    elif kind == "datatrove":
        from datatrove.pipeline.dedup.minhash import MinhashDedupSignature

        step = MinhashDedupSignature(output_folder="/tmp/unused-minhash-bench")
        for text in rows(path, limit):
            shingles = step.get_shingles(text)
            if shingles.size:
                step.get_signature(shingles)
            docs += 1
    seconds = time.perf_counter() - start
    read = 0
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            if i >= docs:
                break
            read += len(line)
    return {"impl": kind, "docs": docs, "bytes": read, "seconds": seconds, "docs_per_s": docs / seconds, "mb_per_s": read / 1e6 / seconds}


def pinned(cmd, cpu):
    return ["taskset", "-c", str(cpu), *cmd]


def run_measured(cmd):
    """Runs a child process; returns its JSON output plus the CPU seconds it used (user + sys), so
    throughput can be compared even when other processes share the core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["cpu_seconds"] = cpu
    result["mb_per_cpu_s"] = result["bytes"] / 1e6 / cpu
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--python-mb", type=float, default=0, help="limit for datasketch/rensa (0 = whole file)")
    parser.add_argument("--datatrove-mb", type=float, default=5)
    parser.add_argument("--cpu", type=int, default=0)
    args = parser.parse_args()
    results = []
    for mode, perms in (("signatures", 112), ("signatures", 128), ("dedup", 112)):
        results.append(run_measured(pinned([str(EXAMPLE), mode, args.corpus, "--perms", str(perms)], args.cpu)))
        print(json.dumps(results[-1]), flush=True)
    for kind, limit in (("rensa", args.python_mb), ("datasketch", args.python_mb), ("datatrove", args.datatrove_mb)):
        results.append(run_measured(pinned([sys.executable, __file__, "--child", kind, args.corpus, str(limit)], args.cpu)))
        print(json.dumps(results[-1]), flush=True)
    by = {r["impl"]: r for r in results}
    print("\nThroughput (wall clock and per CPU second; python start-up and imports included):")
    for r in results:
        print(
            f"  {r['impl']:<48} {r['mb_per_s']:8.2f} MB/s wall {r['mb_per_cpu_s']:8.2f} MB/cpu-s {r['docs_per_s']:9.0f} docs/s"
            f"  ({r['docs']} docs, {r['bytes'] / 1e6:.1f} MB, {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s cpu)"
        )
    print("Ratios, datasieve ÷ other (wall / cpu):")
    for ours in ("datasieve 112", "datasieve 128"):
        for other in ("rensa", "datasketch", "datatrove"):
            wall = by[ours]["mb_per_s"] / by[other]["mb_per_s"]
            cpu = by[ours]["mb_per_cpu_s"] / by[other]["mb_per_cpu_s"]
            print(f"  {ours} / {other}: {wall:.2f}x wall, {cpu:.2f}x cpu")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, kind, path, limit = sys.argv
        print(json.dumps(run_python(kind, path, float(limit))))
    else:
        main()
