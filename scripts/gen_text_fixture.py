#!/usr/bin/env python3
"""Reference outputs of datatrove 0.10.1's English text layer, for checking the Rust port.

Development-only (needs /work/pyenv: datatrove + spaCy). Two modes:

  gen_text_fixture.py fixture   writes tests/fixtures/text/datatrove_text.jsonl.gz, a small
                                committed sample of excerpts of real documents (< 200 KB);
  gen_text_fixture.py full OUT  writes every document of the shared web-text and chat data, whole,
                                to OUT (not committed); `DATASIEVE_TEXT_REFERENCE=OUT cargo test
                                --release --test text_agreement -- --nocapture` then reports the
                                share of documents on which the Rust port agrees.

Each output line: {"source", "text", "words", "sentences", "spans", "simplified",
"simplified_words"}, where words = word_tokenize(text), sentences = sent_tokenize(text),
spans = span_tokenize(text) (code-point offsets), simplified = simplify_text(text) and
simplified_words = word_tokenize(simplified).
"""
import glob
import gzip
import json
import os
import random
import sys
from pathlib import Path

from datatrove.utils.text import simplify_text
from datatrove.utils.word_tokenizers import load_word_tokenizer

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SHARED_DATA", ROOT.parent / "shared" / "data"))
if not SHARED.exists():
    SHARED = Path("/work/shared/data")
FIXTURE = ROOT / "tests" / "fixtures" / "text" / "datatrove_text.jsonl.gz"


def read_jsonl(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def documents():
    """(source, text) for every web-text and chat document in the shared data."""
    web = []
    for row in read_jsonl(SHARED / "dclm-human-quality-labels" / "majority_data.jsonl"):
        web.append(("dclm", row["text"]))
    seen = set()
    for path in sorted(glob.glob(str(SHARED / "dolma-test-fixtures" / "data" / "**" / "*.json*"), recursive=True)):
        if "/expected/" in path or "/attributes/" in path:
            continue
        if path.endswith(".gz") and os.path.exists(path[:-3]):
            continue
        try:
            for row in read_jsonl(path):
                if isinstance(row, dict) and isinstance(row.get("text"), str) and row["text"] not in seen:
                    seen.add(row["text"])
                    web.append(("dolma", row["text"]))
        except (ValueError, OSError, UnicodeDecodeError):
            continue
    for path in sorted(glob.glob(str(SHARED / "data-juicer-demos" / "*.jsonl"))):
        try:
            for row in read_jsonl(path):
                if isinstance(row, dict) and isinstance(row.get("text"), str):
                    web.append(("data-juicer", row["text"]))
        except (ValueError, UnicodeDecodeError):
            continue
    for row in read_jsonl(SHARED / "llamafactory-demos" / "c4_demo.jsonl"):
        web.append(("c4_demo", row["text"]))
    for row in read_jsonl(SHARED / "sotu-addresses" / "sotu.jsonl.gz"):
        web.append(("sotu", row["text"]))
    chat = []
    for row in read_jsonl(SHARED / "hh-rlhf-harmless-base-sample" / "sample.jsonl"):
        chat.append(("hh-rlhf", row["chosen"]))
        chat.append(("hh-rlhf", row["rejected"]))
    for row in json.load(open(SHARED / "llamafactory-demos" / "alpaca_en_demo.json")):
        chat.append(("alpaca_en", row["instruction"] + "\n" + row["input"] + "\n" + row["output"]))
    for path in ["mt_bench__question.jsonl", "vicuna_bench__question.jsonl", "mt_bench__reference_answer__gpt-4.jsonl"]:
        for row in read_jsonl(SHARED / "fastchat-data" / path):
            turns = row.get("turns") or [t for c in row.get("choices", []) for t in c.get("turns", [])]
            chat.append(("fastchat", "\n".join(turns)))
    return [d for d in web + chat if d[1]]


def reference(tok, source, text):
    simplified = simplify_text(text)
    return {
        "source": source,
        "text": text,
        "words": tok.word_tokenize(text),
        "sentences": tok.sent_tokenize(text),
        "spans": [list(s) for s in tok.span_tokenize(text)],
        "simplified": simplified,
        "simplified_words": tok.word_tokenize(simplified),
    }


def excerpt(text, rng, length):
    if len(text) <= length:
        return text
    start = rng.randrange(0, len(text) - length)
    return text[start:start + length]


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "fixture"
    tok = load_word_tokenizer("en")
    docs = documents()
    if mode == "full":
        out = Path(sys.argv[2])
        with open(out, "w", encoding="utf-8") as f:
            for source, text in docs:
                f.write(json.dumps(reference(tok, source, text), ensure_ascii=False) + "\n")
        print(f"wrote {len(docs)} documents to {out}", file=sys.stderr)
        return
    # Fixture: excerpts of a fixed random sample, a few per source, plus hand-picked tricky lines.
    rng = random.Random(20241127)
    by_source = {}
    for source, text in docs:
        by_source.setdefault(source, []).append(text)
    per_source = {"dclm": 80, "dolma": 40, "data-juicer": 50, "c4_demo": 40, "sotu": 40,
                  "hh-rlhf": 40, "alpaca_en": 25, "fastchat": 25}
    rows = []
    for source, n in per_source.items():
        texts = by_source.get(source, [])
        for text in rng.sample(texts, min(n, len(texts))):
            rows.append(reference(tok, source, excerpt(text, rng, 450)))
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(FIXTURE, "wb", mtime=0) as f:
        for row in rows:
            f.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"wrote {len(rows)} excerpts, {FIXTURE.stat().st_size} bytes, to {FIXTURE}", file=sys.stderr)


if __name__ == "__main__":
    main()
