#!/usr/bin/env python3
"""Generates spec/vectors/: small Strata shards written by the independent Python implementation
(tools/strata_format.py, written from spec/FORMAT.md) plus, for each, a JSON file with its decoded
contents. The Swift tests (Tests/StrataTests/VectorTests.swift) read every vector and compare.

Run from the repository root:  python3 tools/make_format_vectors.py
Deterministic: the same inputs give the same files (zstd level 1, fixed seeds).
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import strata_format as sf  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spec", "vectors")


def hf_layers(n):
    """The first n entries of the HF output_hidden_states list of a model with n-1 blocks."""
    blocks = n - 1
    out = [{"index": 0, "kind": "embedding"}]
    out += [{"index": l, "kind": "block"} for l in range(1, blocks)]
    out.append({"index": blocks, "kind": "final_norm"})
    return out[:n]


def metadata(dtype, layers, hidden, **extra):
    m = {"hidden": hidden, "layers": hf_layers(layers), "dtype": dtype, "layer_semantics": "hf_output_hidden_states",
         "model": {"name": "vector-model", "architecture": "llama", "n_blocks": layers - 1, "hidden_size": hidden},
         "tokenizer": {"kind": "gpt2", "pre": "smollm", "vocab_size": 49152},
         "label_names": ["negative", "positive"], "auxiliary": [], "tool_version": "vectors-1",
         "extra": {"purpose": "spec test vector"},
         "codec": {"name": "zstd", "level": 1, "shuffle": True, "block_target_bytes": 256, "layers_per_block": None}}
    m.update(extra)
    return m


def values(rng, layers, tokens, hidden):
    v = rng.standard_normal((layers, tokens, hidden)).astype(np.float32) * np.float32(3)
    v[:, 0, 0] = 26000.0 + np.arange(layers, dtype=np.float32)   # a massive-activation channel
    return v


def grid(layers, tokens, layers_per_block, tokens_per_block):
    tiles = []
    for ls in range(0, layers, layers_per_block):
        lc = min(layers_per_block, layers - ls)
        for ts in range(0, tokens, tokens_per_block):
            tiles.append((ls, lc, ts, min(tokens_per_block, tokens - ts)))
    return tiles


def expected_json(path, meta, recs, stored, sealed=True, recoverable=None):
    records = []
    for rec, v in zip(recs, stored):
        records.append({"id": rec["id"], "labels": rec["labels"], "token_ids": rec["token_ids"], "text": rec.get("text"),
                        "metadata": rec.get("metadata", {}), "auxiliary": rec.get("auxiliary", {}),
                        "shape": list(v.shape), "values": [float(x) for x in v.reshape(-1)]})
    doc = {"file": os.path.basename(path), "sealed": sealed, "metadata": meta, "records": records}
    if recoverable is not None:
        doc["records_after_recover"] = recoverable
    with open(path + ".json", "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")


def write(name, meta, recs, vals, tiles, codec="zstd", shuffle=True, seal=True, partial=None):
    path = os.path.join(OUT, name)
    w = sf.Writer(path, meta, level=1)
    for rec, v, t in zip(recs, vals, tiles):
        w.append(rec, v, t, codec=codec, shuffle=shuffle)
    if partial is not None:   # blocks of one more record, without its commit entry: what a killed writer leaves
        rec, v, t = partial
        w.append(rec, v, t[:1], codec=codec, shuffle=shuffle)
        # Cut the last record entry off by truncating right after its first block.
        w.f.flush()
        last_entry_offset = w.rows[-1][0]
        w.f.truncate(last_entry_offset)
        w.rows.pop()
    w.close(seal=seal)
    stored = [sf.stored_bits_to_f32(sf.to_stored_bits(v.reshape(-1), meta["dtype"]), meta["dtype"]).reshape(v.shape) for v in vals]
    return path, stored


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261129)

    # 1. bf16, two records, 2 layers per block and token splits, unicode text/metadata, labels, auxiliary vector.
    meta = metadata("bf16", 3, 8, auxiliary=[{"name": "next_token_logprobs", "length": 2}])
    recs = [
        {"id": "review-0", "labels": [1], "token_ids": [1, 504, 2201, 17], "text": "Great film — 10/10 ✨ 映画",
         "metadata": {"source": "imdb", "язык": "en"}, "auxiliary": {"next_token_logprobs": [-0.5, -2.25]}},
        {"id": "review-1 🙂", "labels": [0, 1], "token_ids": [1], "text": None, "metadata": {},
         "auxiliary": {"next_token_logprobs": [0.0, -1.0]}},
    ]
    vals = [values(rng, 3, 4, 8), values(rng, 3, 1, 8)]
    tiles = [grid(3, 4, 2, 3), grid(3, 1, 2, 3)]
    path, stored = write("bf16-two-records.strata", meta, recs, vals, tiles)
    expected_json(path, meta, recs, stored)

    # 2. f16, one record, one layer per block, one token per block (many tiny blocks).
    meta = metadata("f16", 2, 4)
    recs = [{"id": "many-blocks", "labels": [], "token_ids": list(range(100, 106)), "text": "six tokens", "metadata": {"k": "v"}}]
    vals = [values(rng, 2, 6, 4) / np.float32(1000)]
    vals[0][1, 2, 3] = np.float32(1e-6)      # an f16 subnormal
    path, stored = write("f16-many-blocks.strata", meta, recs, vals, [grid(2, 6, 1, 1)])
    expected_json(path, meta, recs, stored)

    # 3. f32, uncompressed and unshuffled blocks (codec 0, shuffle 0): the alternative payload paths.
    meta = metadata("f32", 2, 3)
    meta["codec"] = {"name": "none", "level": 0, "shuffle": False, "block_target_bytes": 1024, "layers_per_block": 1}
    recs = [{"id": "raw", "labels": [1], "token_ids": [5, 6], "text": "", "metadata": {}}]
    vals = [values(rng, 2, 2, 3)]
    path, stored = write("f32-uncompressed.strata", meta, recs, vals, [grid(2, 2, 1, 2)], codec="none", shuffle=False)
    expected_json(path, meta, recs, stored)

    # 4. Unsealed: two committed records and the first block of a third, no index or trailer.
    meta = metadata("bf16", 2, 4)
    recs = [{"id": f"u{i}", "labels": [i % 2], "token_ids": [1, 2, 3], "text": f"record {i}", "metadata": {}} for i in range(3)]
    vals = [values(rng, 2, 3, 4) for _ in range(3)]
    tiles = [grid(2, 3, 1, 3)] * 3
    path, stored = write("bf16-unsealed.strata", meta, recs[:2], vals[:2], tiles[:2], seal=False, partial=(recs[2], vals[2], tiles[2]))
    expected_json(path, meta, recs[:2], stored, sealed=False, recoverable=2)

    # 5. A dataset directory: manifest.json + two shards.
    ddir = os.path.join(OUT, "dataset")
    os.makedirs(ddir, exist_ok=True)
    meta = metadata("bf16", 2, 4)
    shard_entries = []
    all_recs, all_stored = [], []
    for s in range(2):
        recs = [{"id": f"s{s}-r{i}", "labels": [i % 2], "token_ids": [7] * (i + 1), "text": None, "metadata": {}} for i in range(2 - s)]
        vals = [values(rng, 2, i + 1, 4) for i in range(2 - s)]
        name = f"dataset/shard-{s:05d}.strata"
        path, stored = write(name, meta, recs, vals, [grid(2, i + 1, 2, 8) for i in range(2 - s)])
        data = open(path, "rb").read()
        shard_entries.append({"path": os.path.basename(path), "records": len(recs), "bytes": len(data), "crc32c": f"{sf.crc32c(data):08x}"})
        all_recs += recs
        all_stored += stored
    manifest = {"format": "strata-dataset", "version": 1, "records": sum(e["records"] for e in shard_entries),
                "metadata": meta, "shards": shard_entries, "extra": {}}
    with open(os.path.join(ddir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    expected_json(ddir, meta, all_recs, all_stored)
    for name in sorted(os.listdir(OUT)):
        print(name)


if __name__ == "__main__":
    main()
