#!/usr/bin/env python3
"""Record datatrove 0.10.1's quality-filter verdicts on the shared real web text.

Dev-only: needs a venv with `datatrove[processing]==0.10.1` and spaCy (`bash scripts/setup-bench-venv.sh` makes bench/.venv). The
four filters run offline with default arguments, plus C4 as the FineWeb pipeline runs it
(`filter_no_terminal_punct=False`).

Writes, under tests/fixtures/filter/:
  datatrove_verdicts_shared.tsv  one line per document of ../shared/data (file, line, xxh3 of the
                                 text, verdicts); no text. tests/filter_agreement.rs re-reads the
                                 documents from ../shared/data and compares.
  datatrove_verdicts.jsonl       a few hundred of those documents, truncated at a line boundary
                                 to a length that keeps all five verdicts, with their text;
                                 tests/filter_datatrove_fixture.rs asserts the same verdicts.

Optionally (--dump-reference PATH) the spaCy word tokens and per-line sentence counts of every
document, so the Rust filters can be checked independently of the Rust tokenizer.

Usage: bench/.venv/bin/python scripts/gen_filter_fixture.py [--shared ../shared/data]
       [--dump-reference /tmp/filter_reference.jsonl]
"""

import argparse
import gzip
import json
import os
import re
from collections import defaultdict

import xxhash
from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)
from datatrove.utils.text import split_into_sentences, split_into_words

# (path under the shared data folder, format). "jsonl" and "jsonl.gz": one JSON object per line,
# the document is its "text" string. "lines": one document per line of plain text.
SOURCES = [
    ("dclm-human-quality-labels/majority_data.jsonl", "jsonl"),
    ("dolma-test-fixtures/data/provided/documents/000.json.gz", "jsonl.gz"),
    ("dolma-test-fixtures/data/provided/deduper/documents/000.json.gz", "jsonl.gz"),
    ("dolma-test-fixtures/data/multiple_files/cc_en_head-0091.jsonl", "jsonl"),
    ("dolma-test-fixtures/data/multiple_files/cc_en_head-0174.jsonl", "jsonl"),
    ("data-juicer-demos/demos_data_demo-dataset.jsonl", "jsonl"),
    ("data-juicer-demos/demos_data_demo-dataset-deduplication.jsonl", "jsonl"),
    ("data-juicer-demos/demos_data_mixture_data_redpajama-c4-refined.jsonl", "jsonl"),
    ("data-juicer-demos/demos_data_mixture_data_redpajama-cc-2023-06-refined.jsonl", "jsonl"),
    ("data-juicer-demos/demos_data_mixture_data_redpajama-pile-stackexchange-refined.jsonl", "jsonl"),
    ("data-juicer-demos/demos_data_mixture_data_the-pile-nih-refined.jsonl", "jsonl"),
    ("data-juicer-demos/demos_data_mixture_data_the-pile-uspto-refined.jsonl", "jsonl"),
    ("data-juicer-demos/demos_data_process_loop_data_demo-dataset.jsonl", "jsonl"),
    ("data-juicer-demos/demos_process_code_data_data_stack_exchange.jsonl", "jsonl"),
    ("data-juicer-demos/demos_process_sci_data_data_arxiv.jsonl", "jsonl"),
    ("llamafactory-demos/c4_demo.jsonl", "jsonl"),
    ("llamafactory-demos/wiki_demo.txt", "lines"),
    ("sotu-addresses/sotu.jsonl.gz", "jsonl.gz"),
]

FILTERS = {
    "gopher_quality": lambda: GopherQualityFilter(),
    "gopher_repetition": lambda: GopherRepetitionFilter(),
    "c4": lambda: C4QualityFilter(),
    "c4_fineweb_style": lambda: C4QualityFilter(filter_no_terminal_punct=False),
    "fineweb": lambda: FineWebQualityFilter(),
}
CITATION_REGEX = re.compile(r"\[\d*]|\[edit]|\[citation needed]")

FIXTURE_BUDGET_BYTES = 190_000
TRUNCATION_LENGTHS = [200, 300, 450, 650, 900, 1300, 1800]


def iter_documents(shared):
    """Yields (file, line index, text) for every document with a string text, first occurrence
    of each text only."""
    seen = set()
    for rel, fmt in SOURCES:
        path = os.path.join(shared, rel)
        opener = gzip.open if fmt.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", newline="") as f:
            # newline="" keeps "\r" inside lines; splitting on "\n" matches Rust's line reader.
            for index, line in enumerate(f.read().split("\n")):
                if fmt == "lines":
                    if not line.strip():
                        continue
                    text = line
                else:
                    if not line.strip():
                        continue
                    text = json.loads(line).get("text")
                if not isinstance(text, str) or text in seen:
                    continue
                seen.add(text)
                yield rel, index, text


def verdicts(filters, text):
    out = {}
    for name, f in filters.items():
        result = f.filter(Document(text=text, id="x"))
        if isinstance(result, tuple):
            out[name] = result[1]
        else:
            out[name] = "keep" if result else "drop"
    return out


def truncate(text, limit):
    """The longest prefix of at most `limit` characters ending at a line boundary (or a space if
    the first line is longer)."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    if cut <= 0:
        cut = text.rfind(" ", 0, limit)
    if cut <= 0:
        return text[:limit]
    return text[:cut]


def reference(text):
    lines = {}
    for line in text.splitlines():
        line = CITATION_REGEX.sub("", line.strip())
        if line and line not in lines:
            lines[line] = len(split_into_sentences(line))
    return {"words": split_into_words(text), "sentences": lines}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(root, "..", "shared", "data"))
    parser.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "filter"))
    parser.add_argument("--dump-reference")
    args = parser.parse_args()

    filters = {name: make() for name, make in FILTERS.items()}
    os.makedirs(args.out, exist_ok=True)
    documents = []
    with open(os.path.join(args.out, "datatrove_verdicts_shared.tsv"), "w", encoding="utf-8") as tsv:
        tsv.write("file\tline\txxh3\t" + "\t".join(FILTERS) + "\n")
        for rel, index, text in iter_documents(args.shared):
            v = verdicts(filters, text)
            digest = xxhash.xxh3_64_hexdigest(text.encode("utf-8"))
            tsv.write(f"{rel}\t{index}\t{digest}\t" + "\t".join(v[n] for n in FILTERS) + "\n")
            documents.append((rel, index, text, v))
    print(f"{len(documents)} documents")
    counts = defaultdict(lambda: defaultdict(int))
    for _, _, _, v in documents:
        for name, code in v.items():
            counts[name][code] += 1
    for name in FILTERS:
        print(name, dict(sorted(counts[name].items(), key=lambda kv: -kv[1])))

    if args.dump_reference:
        with open(args.dump_reference, "w", encoding="utf-8") as f:
            for rel, index, text, _ in documents:
                f.write(json.dumps({"file": rel, "line": index, **reference(text)}, ensure_ascii=False) + "\n")

    # Small fixture: truncated documents that keep all five verdicts, picked round-robin over
    # verdict combinations so that rare reasons are represented.
    by_signature = defaultdict(list)
    for rel, index, text, v in documents:
        by_signature[tuple(v[n] for n in FILTERS)].append((rel, index, text, v))
    queues = [list(reversed(docs)) for _, docs in sorted(by_signature.items(), key=lambda kv: (len(kv[1]), kv[0]))]
    fixture, size = [], 0
    while any(queues) and size < FIXTURE_BUDGET_BYTES:
        for queue in queues:
            if not queue:
                continue
            rel, index, text, v = queue.pop()
            for limit in TRUNCATION_LENGTHS:
                short = truncate(text, limit)
                if verdicts(filters, short) == v:
                    record = {"source": f"{rel}#{index}", "text": short, **v}
                    line = json.dumps(record, ensure_ascii=False) + "\n"
                    if size + len(line.encode("utf-8")) <= FIXTURE_BUDGET_BYTES:
                        fixture.append(line)
                        size += len(line.encode("utf-8"))
                    break
    with open(os.path.join(args.out, "datatrove_verdicts.jsonl"), "w", encoding="utf-8") as f:
        f.writelines(fixture)
    print(f"fixture: {len(fixture)} documents, {size} bytes")


if __name__ == "__main__":
    main()
