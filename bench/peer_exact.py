#!/usr/bin/env python3
"""The peer for the exact-dedup benchmark: the straightforward Python job people write
(read JSONL, json.loads, hash the text, keep the first occurrence, write kept and removed
bytes). Same input, same output contract as `datasieve dedup --exact`."""
import hashlib, json, os, sys


def main(path, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    seen = set()
    with open(path, "rb") as f, open(os.path.join(out_dir, "kept.jsonl"), "wb") as kept, \
            open(os.path.join(out_dir, "removed.jsonl"), "wb") as removed:
        for line in f:
            if not line.strip():
                continue
            try:
                text = json.loads(line)["text"]
            except Exception:
                removed.write(line)
                continue
            key = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
            if key in seen:
                removed.write(line)
            else:
                seen.add(key)
                kept.write(line)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
