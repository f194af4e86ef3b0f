#!/usr/bin/env python3
"""Filter throughput, datasieve vs datatrove 0.10.1, single core, same corpus, same run.

Builds a JSONL corpus from the shared real web text (the documents of
scripts/gen_filter_fixture.py), times datatrove's four filters (GopherQualityFilter,
GopherRepetitionFilter, C4QualityFilter, FineWebQualityFilter, default arguments) on every
document, then runs `cargo bench --bench filters` (datasieve's same four filters: measure every
metric and judge) on the same corpus and prints both figures and the ratio. Dev-only.

Usage: bench/.venv/bin/python bench/filters/run.py [--shared ../shared/data] [--out results.json]
"""

import argparse
import importlib.util
import json
import os
import subprocess
import time

from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load_generator():
    spec = importlib.util.spec_from_file_location("gen", os.path.join(ROOT, "scripts", "gen_filter_fixture.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--corpus", default="/tmp/datasieve_filter_bench.jsonl")
    parser.add_argument("--out")
    args = parser.parse_args()

    texts = [text for _, _, text in load_generator().iter_documents(args.shared)]
    with open(args.corpus, "w", encoding="utf-8") as f:
        for text in texts:
            f.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)

    filters = [GopherQualityFilter(), GopherRepetitionFilter(), C4QualityFilter(), FineWebQualityFilter()]
    for f in filters:  # load spaCy outside the timing
        f.filter(Document(text="Warm up the tokenizer. It loads lazily.", id="w"))
    start = time.perf_counter()
    cpu_start = time.process_time()
    for text in texts:
        for f in filters:
            # Every filter sees every document (as datasieve measures all four); C4 rewrites
            # doc.text, so each filter gets its own Document.
            f.filter(Document(text=text, id="x"))
    python_seconds = time.perf_counter() - start
    python_cpu = time.process_time() - cpu_start
    datatrove = {
        "docs": len(texts),
        "bytes": n_bytes,
        "seconds": python_seconds,
        "docs_per_s": len(texts) / python_seconds,
        "mb_per_s": n_bytes / python_seconds / 1e6,
        "cpu_seconds": python_cpu,
        "cpu_docs_per_s": len(texts) / python_cpu,
        "cpu_mb_per_s": n_bytes / python_cpu / 1e6,
    }
    print("datatrove:", json.dumps(datatrove))

    out = subprocess.run(
        ["cargo", "bench", "--quiet", "--bench", "filters", "--", args.corpus, "5"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    datasieve = json.loads(out.strip().splitlines()[-1])
    print("datasieve:", json.dumps(datasieve))
    # CPU time is the fair measure on a machine shared with other jobs; wall time for reference.
    ratio = datasieve["cpu_docs_per_s"] / datatrove["cpu_docs_per_s"]
    wall_ratio = datasieve["docs_per_s"] / datatrove["docs_per_s"]
    print(
        f"speed-up (CPU time): {ratio:.1f}x ({datasieve['cpu_mb_per_s']:.2f} vs {datatrove['cpu_mb_per_s']:.3f} MB/s, "
        f"{datasieve['cpu_docs_per_s']:.0f} vs {datatrove['cpu_docs_per_s']:.1f} docs/s); wall time: {wall_ratio:.1f}x"
    )
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"datatrove": datatrove, "datasieve": datasieve, "ratio_cpu": ratio, "ratio_wall": wall_ratio}, f, indent=2)


if __name__ == "__main__":
    main()
