#!/usr/bin/env python3
"""Regenerate tests/fixtures/dedup/datatrove_signatures.jsonl with datatrove 0.10.1's own code.

For ~30 real documents from ../shared/data (plus a few edge cases) this records what datatrove's
MinhashDedupSignature computes: the simplified text's word tokens, the shingle count and the
signature (112 = 14 buckets x 8 hashes, datatrove's default MinhashConfig; for a few documents
also 128 = 16 x 8 and the 32-bit hash_config). A document with fewer than 5 words has no
signature (datatrove writes none), recorded as null.

It also writes tests/fixtures/dedup/datatrove_clusters.jsonl: a small near-duplicate set (short
real documents and copies with random word edits) run through datatrove's real three MinHash stages
(signatures → 14 bucket workers → clustering with save_cluster_id); per row its text, datatrove's
cluster id (null when in no cluster) and whether datatrove removes it.

Usage (repository root): bench/.venv/bin/python scripts/gen_minhash_fixture.py [DATA_DIR]
"""
import gzip
import random
import struct
import tempfile
import json
import pathlib
import sys

from datatrove.data import Document
from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupSignature
from datatrove.utils.hashing import HashConfig
from datatrove.utils.text import simplify_text

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
if not DATA.exists():
    DATA = pathlib.Path("/work/shared/data")
OUT = ROOT / "tests/fixtures/dedup/datatrove_signatures.jsonl"
MAX_CHARS = 1500  # keep the fixture small; datatrove runs on exactly the stored (cut) text


def cut(text: str) -> str:
    return text[:MAX_CHARS]


def documents():
    docs = []
    with open(DATA / "dclm-human-quality-labels/majority_data.jsonl") as f:
        dclm = [json.loads(line)["text"] for line in f]
    for i in range(0, 400, 20):  # 20 web pages spread over the file
        docs.append(("dclm-human-quality-labels/majority_data.jsonl", i, cut(dclm[i])))
    with gzip.open(DATA / "sotu-addresses/sotu.jsonl.gz", "rt") as f:
        sotu = [json.loads(line)["text"] for line in f]
    for i in (0, 100, 200, 232):
        docs.append(("sotu-addresses/sotu.jsonl.gz", i, cut(sotu[i])))
    alpaca = json.load(open(DATA / "llamafactory-demos/alpaca_en_demo.json"))
    for i in (0, 7, 42):
        docs.append(("llamafactory-demos/alpaca_en_demo.json", i, cut(alpaca[i]["output"])))
    alpaca_zh = json.load(open(DATA / "llamafactory-demos/alpaca_zh_demo.json"))
    docs.append(("llamafactory-demos/alpaca_zh_demo.json", 0, cut(alpaca_zh[0]["output"])))
    edge = [
        "",
        "Too short: four words.",
        "Exactly five words here now",
        "I cannot believe we'd pay 5.5MB, 3,000 EUR or ½ — café naïve façade! Don't we?\tTabs\n\nand   spaces",
        "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ and ﬁ ligatures, Ωmega αβγ, 12:30pm on 2024-01-02, e-mail a.b@c.de http://x.y/z?q=1",
    ]
    for i, text in enumerate(edge):
        docs.append(("edge-case", i, text))
    return docs


def main() -> None:
    default = MinhashDedupSignature(output_folder="/tmp/unused-minhash-fixture")
    wide = MinhashDedupSignature(output_folder="/tmp/unused-minhash-fixture", config=MinhashConfig(num_buckets=16))
    narrow = MinhashDedupSignature(
        output_folder="/tmp/unused-minhash-fixture", config=MinhashConfig(hash_config=HashConfig(precision=32))
    )

    def signature(step, text):
        shingles = step.get_shingles(text)
        if shingles.size == 0:
            return None, 0
        return [int(v) for bucket in step.get_signature(shingles) for v in bucket], int(shingles.shape[0])

    with open(OUT, "w") as out:
        for n, (source, row, text) in enumerate(documents()):
            tokens = default.word_tokenizer.word_tokenize(simplify_text(text, default.config.norm_config))
            sig, count = signature(default, text)
            record = {"source": source, "row": row, "text": text, "tokens": tokens, "shingles": count, "sig112": sig}
            if n % 6 == 0 or source == "edge-case":
                record["sig128"] = signature(wide, text)[0]
                record["sig112_32bit"] = signature(narrow, text)[0]
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    write_cluster_fixture()


CLUSTERS_OUT = ROOT / "tests/fixtures/dedup/datatrove_clusters.jsonl"


def write_cluster_fixture() -> None:
    rng = random.Random(3)
    with open(DATA / "dclm-human-quality-labels/majority_data.jsonl") as f:
        pages = [json.loads(line)["text"] for line in f]
    # Short real documents (60-150 words) so the fixture stays small.
    bases = []
    for page in pages:
        words = page.split()
        if len(words) >= 60:
            bases.append(" ".join(words[: rng.randint(60, 150)]))
        if len(bases) == 60:
            break
    vocabulary = sorted({w for b in bases for w in b.split()})
    texts = list(bases)
    for base in bases[:30]:
        for _ in range(rng.choice((1, 2, 3))):
            words = base.split()
            for _ in range(rng.randint(0, 8)):
                i = rng.randrange(len(words))
                if rng.random() < 0.6:
                    words[i] = rng.choice(vocabulary)
                else:
                    words.insert(i, rng.choice(vocabulary))
            texts.append(" ".join(words))
    texts.append(bases[0])  # one exact copy
    rng.shuffle(texts)

    config = MinhashConfig()
    with tempfile.TemporaryDirectory() as tmp:
        sigs, buckets, clusters = f"{tmp}/sigs", f"{tmp}/buckets", f"{tmp}/clusters"
        docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
        MinhashDedupSignature(output_folder=sigs, config=config).run(iter(docs), rank=0, world_size=1)
        for bucket in range(config.num_buckets):
            MinhashDedupBuckets(input_folder=sigs, output_folder=buckets, config=config).run(rank=bucket, world_size=config.num_buckets)
        MinhashDedupCluster(input_folder=buckets, output_folder=clusters, config=config, save_cluster_id=True).run()
        cluster_of, removed = {}, set()
        path = pathlib.Path(clusters)
        for file in path.glob("*.clusters"):
            data = file.read_bytes()
            for doc, cluster in struct.iter_unpack("<II", data):
                cluster_of[doc] = cluster
        for file in path.glob("*.remove"):
            removed.update(doc for (doc,) in struct.iter_unpack("<I", file.read_bytes()))
    with open(CLUSTERS_OUT, "w") as out:
        for i, text in enumerate(texts):
            out.write(json.dumps({"row": i, "text": text, "cluster": cluster_of.get(i), "removed": i in removed}, ensure_ascii=False) + "\n")
    n_clusters = len(set(cluster_of.values()))
    print(f"wrote {CLUSTERS_OUT} ({CLUSTERS_OUT.stat().st_size} bytes): {len(texts)} rows, {n_clusters} clusters, {len(removed)} removed")


if __name__ == "__main__":
    main()
