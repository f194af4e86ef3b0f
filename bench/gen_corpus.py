#!/usr/bin/env python3
"""Writes a JSONL benchmark corpus of about --mb megabytes: {"id", "text"} rows.

Texts are real web documents from ../shared/data (DCLM human-labelled pages, LLaMA-Factory's C4
sample, State of the Union addresses split into paragraphs) when that folder exists, else
synthetic. Every document appears once unchanged; after that it is repeated with a few words
edited (near duplicates) and, for one row in ten, verbatim (exact duplicates), so dedup has real
work. Deterministic: the same arguments give the same bytes.
"""
import argparse, gzip, json, os, random, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data")


def real_texts():
    texts = []
    for name in ("dclm-human-quality-labels/majority_data.jsonl", "dclm-human-quality-labels/agreement_data.jsonl",
                 "llamafactory-demos/c4_demo.jsonl"):
        path = os.path.join(SHARED, name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                texts += [json.loads(l)["text"] for l in f if l.strip()]
    path = os.path.join(SHARED, "sotu-addresses/sotu.jsonl.gz")
    if os.path.exists(path):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                doc = json.loads(line)
                body = doc.get("text") or doc.get("content") or ""
                texts += [p for p in body.split("\n\n") if len(p) > 200]
    return texts


def synthetic_texts(rng, n=2000):
    words = [''.join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(5000)]
    return [' '.join(rng.choice(words) for _ in range(rng.randint(50, 600))) + '.' for _ in range(n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out")
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--max-chars", type=int, default=0,
                    help="cut every text to at most this many characters (many small rows)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    texts = real_texts()
    source = "shared data" if texts else "synthetic"
    if not texts:
        texts = synthetic_texts(rng)
    if args.max_chars:
        # Many short rows: every window of max_chars of every text becomes a text of its own.
        texts = [t[i:i + args.max_chars] for t in texts for i in range(0, len(t), args.max_chars)
                 if len(t[i:i + args.max_chars]) > args.max_chars // 3]
    target = int(args.mb * 1e6)
    written = rows = 0
    with open(args.out, "w", encoding="utf-8") as out:
        i = 0
        while written < target:
            base = texts[i % len(texts)]
            if i >= len(texts) and rng.random() >= 0.1:
                words = base.split(" ")
                for _ in range(max(1, len(words) // 50)):
                    words[rng.randrange(len(words))] = rng.choice(words)
                base = " ".join(words)
            line = json.dumps({"id": rows, "text": base}, ensure_ascii=False) + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
            rows += 1
            i += 1
    print(f"wrote {args.out}: {rows} rows, {written / 1e6:.1f} MB from {source}", file=sys.stderr)


if __name__ == "__main__":
    main()
