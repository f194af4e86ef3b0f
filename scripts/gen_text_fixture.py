#!/usr/bin/env python3
"""Reference outputs of datatrove 0.10.1's English text layer, for checking the Rust port.

Development-only (needs bench/.venv (scripts/setup-bench-venv.sh): datatrove + spaCy). Two modes:

  gen_text_fixture.py fixture   writes tests/fixtures/text/datatrove_text.jsonl.gz, a small
                                committed sample of excerpts of real documents plus synthetic
                                stress strings (< 200 KB);
  gen_text_fixture.py synthetic OUT [N]
                                writes N synthetic stress strings (rule-family pieces glued with
                                assorted white space) to OUT, for the agreement test;
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


# Pieces for synthetic stress strings: every rule family of the tokenizer, sentencizer and
# simplify_text, glued together with and without white space.
SYNTHETIC_PIECES = [
    "don't", "Don't", "cannot", "wed", "I'm", "y'all", "gonna", "it's", "It’s", "o'clock", "ma'am",
    "Mr.", "Dr.", "e.g.", "i.e.", "U.S.", "a.m.", "p.m.", "10a.m.", "Ph.D.", "vs.", "etc.", "a.", "Jan.",
    ":)", ":-)", ";)", ":(", "<3", ":D", "(-:", "^_^", "o.O", "=)", ":/", "xD", "(╯°□°）╯︵┻━┻",
    "http://example.com/a?b=c", "https://www.x.org/path).", "www.site.co.uk", "user@mail.com",
    "10.0.0.1", "8.8.8.8", "192.168.1.1:80", "172.16.0.1", "1.2.3", "example.Com", "file.txt",
    "1,000", "3.14", "10km", "5$", "$5", "US$10", "0mb", "20%", "100°C.", "°F.", "+1", "1+2", "3-4", "2^3",
    "1-", "-1", "5kg.", "12:30", "1/2", "24/7", "9am", "1st", "2nd",
    "well-known", "e-mail", "--", "---", "—", "–", "~", "a~b", "x-y-z", "A--B", "co-op",
    "...", "…", "……", "?!", "!!", "?", "!", ".", ",", ";", ":", "„", "«", "»", "“", "”", "‘", "’",
    "'", '"', "`", "´", "(", ")", "[", "]", "{", "}", "<", ">", "/", "\\", "|", "&", "*", "#", "@", "_",
    "end.Start", "foo,bar", "a:b", "x=y", "a/b", "A.B.", "AB.", "ab.", "Ab.", "É.", "é.", "“Quote.”",
    "Café", "naïve", "ÉCOLE", "İstanbul", "straße", "ΣΊΣΥΦΟΣ", "Москва.", "日本語。", "中文，", "한국어",
    "١٢٣", "４２", "①", "½", "x²", "☺", "😀", "👍🏽", "©", "®", "™", "§", "¶", "•", "·", "¿Qué?", "¡Hola!",
    "\u0301", "e\u0301", "\u200b", "\ufeff", "\x07", "\x85",
]
SYNTHETIC_SPACES = [" ", " ", " ", " ", "  ", "\n", "\n\n", "\t", " \n ", "\xa0", "\u2028", "\x1c", "\r\n", "\u3000", ""]


def synthetic(rng, n):
    pieces = SYNTHETIC_PIECES
    spaces = SYNTHETIC_SPACES
    out = []
    for _ in range(n):
        k = rng.randint(1, 14)
        parts = []
        for _ in range(k):
            parts.append(rng.choice(pieces) if rng.random() < 0.7 else rng.choice(["the", "The", "word", "A", "I", "x", "cat", "HELLO", "and"]))
            parts.append("" if rng.random() < 0.3 else rng.choice(spaces))
        out.append("".join(parts[: rng.randint(2 * k - 1, 2 * k)]))
    return out


def excerpt(text, rng, length):
    if len(text) <= length:
        return text
    start = rng.randrange(0, len(text) - length)
    return text[start:start + length]


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "fixture"
    tok = load_word_tokenizer("en")
    docs = documents()
    if mode == "synthetic":
        out = Path(sys.argv[2])
        n = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
        rng = random.Random(7)
        with open(out, "w", encoding="utf-8") as f:
            for text in synthetic(rng, n):
                f.write(json.dumps(reference(tok, "synthetic", text), ensure_ascii=False) + "\n")
        print(f"wrote {n} synthetic strings to {out}", file=sys.stderr)
        return
    if mode == "full":
        out = Path(sys.argv[2])
        with open(out, "w", encoding="utf-8") as f:
            for source, text in docs:
                f.write(json.dumps(reference(tok, source, text), ensure_ascii=False) + "\n")
        print(f"wrote {len(docs)} documents to {out}", file=sys.stderr)
        return
    # Fixture: excerpts of a fixed random sample, a few per source, plus synthetic stress strings.
    rng = random.Random(20241127)
    by_source = {}
    for source, text in docs:
        by_source.setdefault(source, []).append(text)
    per_source = {"dclm": 75, "dolma": 35, "data-juicer": 45, "c4_demo": 35, "sotu": 35,
                  "hh-rlhf": 40, "alpaca_en": 25, "fastchat": 25}
    rows = []
    for source, n in per_source.items():
        texts = by_source.get(source, [])
        for text in rng.sample(texts, min(n, len(texts))):
            rows.append(reference(tok, source, excerpt(text, rng, 450)))
    for text in synthetic(random.Random(11), 400):
        rows.append(reference(tok, "synthetic", text))
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(FIXTURE, "wb", mtime=0) as f:
        for row in rows:
            f.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"wrote {len(rows)} excerpts, {FIXTURE.stat().st_size} bytes, to {FIXTURE}", file=sys.stderr)


if __name__ == "__main__":
    main()
