#!/usr/bin/env python3
"""Build the ~100 MB JSONL benchmark corpus ({"id", "text"} per line) from ../shared/data.

Pool: State of the Union speeches cut into ~3 000-character pieces at paragraph breaks, DCLM web
pages, C4 demo rows, Alpaca outputs and hh-rlhf dialogues (about 15 MB of distinct text). The pool
is repeated until the target size; every repetition after the first changes ~8 % of each
document's words (a random word of the same document substitutes), so copies are near-duplicates,
not exact ones. Deterministic (random.Random(0)).

Usage: python bench/minhash/make_corpus.py OUT.jsonl [--mb 100] [--data /work/shared/data]
"""
import argparse
import gzip
import json
import pathlib
import random


def pool(data: pathlib.Path) -> list[str]:
    docs = []
    with gzip.open(data / "sotu-addresses/sotu.jsonl.gz", "rt") as f:
        for line in f:
            piece = ""
            for para in json.loads(line)["text"].split("\n"):
                piece = f"{piece}\n{para}" if piece else para
                if len(piece) > 3000:
                    docs.append(piece)
                    piece = ""
            if piece:
                docs.append(piece)
    for name in ("majority_data.jsonl",):
        with open(data / "dclm-human-quality-labels" / name) as f:
            docs.extend(json.loads(line)["text"] for line in f)
    with open(data / "llamafactory-demos/c4_demo.jsonl") as f:
        docs.extend(json.loads(line)["text"] for line in f)
    docs.extend(row["output"] for row in json.load(open(data / "llamafactory-demos/alpaca_en_demo.json")))
    with open(data / "hh-rlhf-harmless-base-sample/sample.jsonl") as f:
        docs.extend(json.loads(line)["chosen"] for line in f)
    return [d for d in docs if d.strip()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--mb", type=float, default=100)
    parser.add_argument("--data", default="/work/shared/data")
    args = parser.parse_args()
    docs = pool(pathlib.Path(args.data))
    rng = random.Random(0)
    target = int(args.mb * 1e6)
    written = 0
    row = 0
    with open(args.out, "w") as out:
        repetition = 0
        while written < target:
            for doc in docs:
                text = doc
                if repetition:
                    words = doc.split(" ")
                    for _ in range(max(1, len(words) // 12)):
                        words[rng.randrange(len(words))] = words[rng.randrange(len(words))]
                    text = " ".join(words)
                line = json.dumps({"id": row, "text": text}, ensure_ascii=False) + "\n"
                out.write(line)
                written += len(line.encode())
                row += 1
                if written >= target:
                    break
            repetition += 1
    print(f"{args.out}: {row} rows, {written / 1e6:.1f} MB from a pool of {len(docs)} documents")


if __name__ == "__main__":
    main()
