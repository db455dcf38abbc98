#!/usr/bin/env python3
"""Writes the seed corpora of Strata's fuzz targets from the repository's own vectors and samples.

usage: make_seeds.py ROOT OUT      (OUT/<target>/ is replaced for every target)

Seeds carry each target's leading selector byte (see the target's source in fuzz/Sources).
"""
import csv
import io
import json
import pathlib
import shutil
import sys

root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
vectors = root / "spec" / "vectors"
fixtures = root / "Tests" / "StrataModelTests" / "Fixtures"
samples = sorted((root / "samples").glob("*.jsonl"))


def target(name):
    directory = out / name
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    count = 0

    def put(data):
        nonlocal count
        (directory / f"seed-{count:04d}").write_bytes(data)
        count += 1

    return put


def sample_rows(limit):
    rows = []
    for path in samples:
        with open(path, encoding="utf-8") as f:
            rows += [json.loads(line) for _, line in zip(range(limit), f)]
    return rows


# Shard reader: every spec vector, with checksum repair (mode 1) and as it is (mode 0).
put = target("shard")
for path in sorted(vectors.glob("*.strata")) + sorted((vectors / "dataset").glob("*.strata")):
    for mode in (1, 0):
        put(bytes([mode]) + path.read_bytes())

# Manifest: the spec's dataset manifest, and variants naming the other files beside it.
put = target("manifest")
manifest = json.loads((vectors / "dataset" / "manifest.json").read_text())
put(json.dumps(manifest, indent=1, sort_keys=True).encode())
for first, second in [("inside", "sub/shard.strata"), ("up/outside.strata", "shard-00001.strata"),
                      ("outside", "bf16-unsealed.strata"), ("bf16-two-records.strata", "f16-many-blocks.strata")]:
    variant = json.loads(json.dumps(manifest))
    variant["shards"][0]["path"], variant["shards"][1]["path"] = first, second
    put(json.dumps(variant, sort_keys=True).encode())

# GGUF: the metadata/tensor fixture and the tokenizer fixtures (byte-level BPE and SentencePiece).
put = target("gguf")
for path in [fixtures / "gguf" / "tiny.gguf"] + [fixtures / "tokenizer" / f"{name}.gguf" for name in
                                                 ("mini-llama-bpe", "mini-qwen2", "spm-llama", "spm-gemma")]:
    put(path.read_bytes())

# Tokenizer: the tokenizer fixture's adversarial texts and some sample texts, for each tokenizer.
put = target("tokenizer")
texts = json.loads((fixtures / "tokenizer" / "mini.json").read_text())["texts"]
texts += [row["text"] for row in sample_rows(10)]
for index, text in enumerate(texts):
    put(bytes([index % 5 | (8 if index % 3 == 0 else 0)]) + text.encode("utf-8", "surrogatepass"))

# JSON lines and CSV capture inputs from the samples (selector: bit 0 CSV, bit 1 label names,
# bit 2 "sentence" text column and no id column).
put = target("text")
rows = sample_rows(8)
named = [{**row, "label": ["negative", "positive"][row["label"]]} if row.get("label") in (0, 1) else row
         for row in rows]
for selector, table in [(0, rows), (2, named)]:
    put(bytes([selector]) + "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in table).encode())
for selector, table, text_column in [(1, rows, "text"), (3, named, "text"), (5, rows, "sentence")]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = ["id", text_column, "label"] if text_column == "text" else [text_column, "label"]
    writer.writerow(columns)
    for row in table:
        writer.writerow([row.get("id", ""), row["text"], row.get("label", "")] if text_column == "text"
                        else [row["text"], row.get("label", "")])
    put(bytes([selector]) + buffer.getvalue().encode())
