#!/usr/bin/env python3
"""Near-duplicate detection quality: precision / recall / F1 at Jaccard 0.8, with and without --verify.

1. Builds a labelled set from ../shared/data: distinct base documents (>= 60 words: DCLM web pages,
   State of the Union pieces, C4 demo rows, Alpaca outputs), plus, for a third of them, one or two
   copies with a known number of random word edits (substitute / delete / insert), the edit count
   drawn so true Jaccard spreads over about 0.5-1.0, i.e. both sides of the threshold. Rows are
   shuffled (a copy may come before its original). Deterministic (random.Random(7)).
2. Ground truth, exactly: datatrove's own shingles (simplify_text, spaCy tokenizer, word 5-grams,
   xxh64) per row; every pair of rows sharing at least one shingle gets its exact Jaccard; pairs
   with J >= 0.8 are the true near-duplicates (planted or naturally occurring).
3. Runs `minhash_bench cluster` (release example) with datatrove's 14x8 bands and with the
   datasketch-optimal bands for 0.8 (9x12 of 112), each without and with --verify.
   Predicted pairs = pairs of rows in the same cluster.

Usage: python bench/minhash/neardup_eval.py [--bases 1500] [--data /work/shared/data]
"""
import argparse
import gzip
import itertools
import json
import pathlib
import random
import subprocess
from collections import defaultdict

from datatrove.pipeline.dedup.minhash import MinhashDedupSignature

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "target/release/examples/minhash_bench"
THRESHOLD = 0.8


def base_documents(data: pathlib.Path) -> list[str]:
    docs = []
    with open(data / "dclm-human-quality-labels/majority_data.jsonl") as f:
        docs.extend(json.loads(line)["text"] for line in f)
    with gzip.open(data / "sotu-addresses/sotu.jsonl.gz", "rt") as f:
        for line in f:
            paras = [p for p in json.loads(line)["text"].split("\n") if p.strip()]
            for i in range(0, len(paras), 4):
                docs.append("\n".join(paras[i : i + 4]))
    with open(data / "llamafactory-demos/c4_demo.jsonl") as f:
        docs.extend(json.loads(line)["text"] for line in f)
    docs.extend(r["output"] for r in json.load(open(data / "llamafactory-demos/alpaca_en_demo.json")))
    seen, out = set(), []
    for d in docs:
        if len(d.split()) >= 60 and d not in seen:
            seen.add(d)
            out.append(d)
    return out


def edit(text: str, edits: int, vocabulary: list[str], rng: random.Random) -> str:
    words = text.split(" ")
    for _ in range(edits):
        op = rng.random()
        i = rng.randrange(len(words))
        if op < 0.5:
            words[i] = rng.choice(vocabulary)
        elif op < 0.75 and len(words) > 10:
            del words[i]
        else:
            words.insert(i, rng.choice(vocabulary))
    return " ".join(words)


def build(bases: int, data: pathlib.Path, path: pathlib.Path):
    rng = random.Random(7)
    docs = base_documents(data)
    rng.shuffle(docs)
    docs = docs[:bases]
    vocabulary = sorted({w for d in docs[:200] for w in d.split()})
    rows = [{"text": d, "origin": i, "edits": 0} for i, d in enumerate(docs)]
    for i, d in enumerate(docs[: bases // 3]):
        n_words = len(d.split())
        for _ in range(rng.choice((1, 1, 2))):
            # One scattered edit removes up to 5 of ~n shingles: J ~ (n - 5e) / (n + 5e).
            max_edits = max(1, int(n_words * 0.07))
            rows.append({"text": edit(d, rng.randint(0, max_edits), vocabulary, rng), "origin": i, "edits": 1})
    rng.shuffle(rows)
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows


def ground_truth(rows):
    step = MinhashDedupSignature(output_folder="/tmp/unused-neardup-eval")
    sets = [set(int(x) for x in step.get_shingles(r["text"]).ravel()) for r in rows]
    by_shingle = defaultdict(list)
    for i, s in enumerate(sets):
        for h in s:
            by_shingle[h].append(i)
    candidate_pairs = set()
    for members in by_shingle.values():
        if len(members) > 1:
            candidate_pairs.update(itertools.combinations(members, 2))
    jaccard = {}
    for a, b in candidate_pairs:
        inter = len(sets[a] & sets[b])
        jaccard[(a, b)] = inter / (len(sets[a]) + len(sets[b]) - inter)
    return {p for p, j in jaccard.items() if j >= THRESHOLD}, jaccard


def predicted_pairs(path, extra):
    out = subprocess.run([str(EXAMPLE), "cluster", str(path), *extra], check=True, capture_output=True, text=True).stdout
    lines = [json.loads(l) for l in out.splitlines()]
    summary = lines[-1]
    members = defaultdict(list)
    for l in lines[:-1]:
        if l["cluster"] is not None:
            members[l["cluster"]].append(l["row"])
    pairs = set()
    for rows in members.values():
        pairs.update(itertools.combinations(sorted(rows), 2))
    return pairs, summary


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bases", type=int, default=1500)
    parser.add_argument("--data", default="/work/shared/data")
    parser.add_argument("--out", default="/tmp/dsbench/neardup_eval.jsonl")
    args = parser.parse_args()
    path = pathlib.Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = build(args.bases, pathlib.Path(args.data), path)
    truth, jaccard = ground_truth(rows)
    planted = sum(1 for r in rows if r["edits"])
    near = sum(1 for j in jaccard.values() if 0.6 <= j < THRESHOLD)
    print(f"{len(rows)} rows ({planted} edited copies); {len(truth)} true pairs with J >= {THRESHOLD}; {near} pairs with 0.6 <= J < {THRESHOLD}")
    for label, extra in (
        ("14x8 (datatrove default)", ["--bands", "14", "--rows", "8"]),
        ("14x8 + verify", ["--bands", "14", "--rows", "8", "--verify", "--threshold", str(THRESHOLD)]),
        ("9x12 (optimal for 0.8)", ["--bands", "9", "--rows", "12"]),
        ("9x12 + verify", ["--bands", "9", "--rows", "12", "--verify", "--threshold", str(THRESHOLD)]),
    ):
        pred, summary = predicted_pairs(path, extra)
        tp = len(pred & truth)
        precision = tp / len(pred) if pred else 1.0
        recall = tp / len(truth) if truth else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(
            f"{label:<26} pairs {len(pred):5d}  TP {tp:5d}  FP {len(pred) - tp:4d}  FN {len(truth) - tp:4d}  "
            f"precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}  "
            f"(clusters {summary['clusters']}, candidates {summary['candidate_pairs']}, accepted {summary['accepted_pairs']})"
        )


if __name__ == "__main__":
    main()
