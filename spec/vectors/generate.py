#!/usr/bin/env python3
"""Generates spec/vectors/ (the folder this file is in): small Strata shards and datasets, written with
the Python package's encoding (python/strata, through vector_writer.py, which takes the tiling and the
odd cases as given), plus, for each, a JSON file with what a reader must make of it. Valid vectors list
their decoded contents (computed from the values written, not read back); the `bad-*` vectors break one
rule each and say which error a reader must report, and when (FORMAT.md §13). The Swift reader
(Tests/StrataTests/VectorTests.swift) and the Python package's reader (python/tests/test_reader.py) check
every one; tools/tests/test_format_vectors.py checks that this script reproduces the committed files.

    python3 spec/vectors/generate.py [OUT_DIR]     # default: spec/vectors itself

Deterministic: the same inputs give the same files (zstd level 1, fixed seeds).
"""
import json
import os
import shutil
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else HERE   # the vectors sit beside this generator
sys.path.insert(0, HERE)
from vector_writer import VectorWriter, stored_values  # noqa: E402  (beside this file; puts python/ on sys.path)

from strata import q8  # noqa: E402
from strata.checksum import crc32c  # noqa: E402
from strata.layout import TAG_BLOCK  # noqa: E402


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
         "label_names": ["negative", "positive"], "auxiliary": [], "tool_version": "vectors-2",
         "extra": {"purpose": "spec test vector"},
         "codec": {"name": "zstd", "level": 1, "shuffle": True, "block_target_bytes": 256, "layers_per_block": None}}
    m.update(extra)
    return m


def values(rng, layers, tokens, hidden):
    v = rng.standard_normal((layers, tokens, hidden)).astype(np.float32) * np.float32(3)
    if tokens:
        v[:, 0, 0] = 26000.0 + np.arange(layers, dtype=np.float32)   # a massive-activation channel
    return v


def grid(layers, tokens, layers_per_block, tokens_per_block):
    tiles = []
    for ls in range(0, layers, layers_per_block):
        lc = min(layers_per_block, layers - ls)
        for ts in range(0, tokens, tokens_per_block):
            tiles.append((ls, lc, ts, min(tokens_per_block, tokens - ts)))
    return tiles


def record_json(rec, v):
    return {"id": rec["id"], "labels": rec["labels"], "token_ids": rec["token_ids"], "text": rec.get("text"),
            "metadata": rec.get("metadata", {}), "auxiliary": rec.get("auxiliary", {}),
            "shape": list(v.shape), "values": [float(x) for x in v.reshape(-1)]}


def write_json(path, doc):
    with open(path + ".json", "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")


def expected_json(path, meta, recs, stored, sealed=True, recoverable=None):
    doc = {"file": os.path.basename(path), "sealed": sealed, "metadata": meta,
           "records": [record_json(rec, v) for rec, v in zip(recs, stored)]}
    if recoverable is not None:
        doc["records_after_recover"] = recoverable
    write_json(path, doc)


def refused_json(path, why, kind, at, record=None, recoverable=None, only_by_decoding=False):
    """A vector a reader must refuse: `kind` as spec/FORMAT.md names it (unsealed, brokenSeal, corrupt,
    dataset); `at` when: "open" (opening the shard or dataset), "read" (reading record `record`; the
    others read) or "verify" (only a whole-file check: `strata verify`, and the commands that rewrite a
    whole dataset). `only_by_decoding`: the damage is inside a zstd frame whose header is valid, so a
    command that copies the block as stored (without decoding it) carries it over unchanged (§5)."""
    error = {"kind": kind, "at": at}
    if record is not None:
        error["record"] = record
    if only_by_decoding:
        error["only_by_decoding"] = True
    doc = {"file": os.path.basename(path), "why": why, "error": error}
    if recoverable is not None:
        doc["records_after_recover"] = recoverable
    write_json(path, doc)


def write(name, meta, recs, vals, tiles, codec="zstd", shuffle=True, seal=True, partial=None, gap_before_index=0):
    path = os.path.join(OUT, name)
    w = VectorWriter(path, meta, level=1)
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
        w.block_offsets.pop()
        w.decoded.pop()
    w.f.write(b"\x00" * gap_before_index)
    w.close(seal=seal)
    return path, [stored_values(v, meta["dtype"]) for v in vals], w


# --- byte patches for the refused vectors (each keeps every CRC valid except where it says) -----------

def patch(path, edit):
    data = bytearray(open(path, "rb").read())
    edit(data)
    with open(path, "wb") as f:
        f.write(data)


def put(data, offset, fmt, value):
    struct.pack_into(fmt, data, offset, value)


def reseal_crc(data, start, length):
    """Rewrites the CRC32C that follows `length` bytes at `start` (a header's own CRC field)."""
    put(data, start + length, "<I", crc32c(bytes(data[start:start + length])))


def set_field(data, start, offset, fmt, value, crc_length):
    """Sets the field at `offset` of the structure at `start`, then rewrites the structure's own CRC
    over its first `crc_length` bytes: a wrong value under a valid CRC."""
    put(data, start + offset, fmt, value)
    reseal_crc(data, start, crc_length)


def reseal_entry(data, entry):
    """Recomputes a record entry's body CRC and then its header CRC."""
    body_length = struct.unpack_from("<Q", data, entry + 24)[0]
    put(data, entry + 32, "<I", crc32c(bytes(data[entry + 48:entry + 48 + body_length])))
    reseal_crc(data, entry, 44)


def skippable_then(frame):
    """A skippable frame (magic 0x184D2A50) in front of the real frame: not one zstd frame (§5)."""
    return struct.pack("<II", 0x184D2A50, 4) + b"skip" + frame


def flip_last_byte(frame):
    """The frame with its last byte changed: for a frame with a content checksum, a wrong checksum."""
    return frame[:-1] + bytes([frame[-1] ^ 0x01])


def with_dictionary_id(frame):
    """The same frame with a 1-byte Dictionary_ID (42) in its header (RFC 8878 §3.1.1.1): a frame that
    needs a dictionary, which §5 does not allow."""
    descriptor = frame[4]
    assert descriptor & 0x03 == 0 and descriptor & 0x20, "expected a single-segment frame without a dictionary id"
    return frame[:4] + bytes([descriptor | 0x01]) + bytes([42]) + frame[5:]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):   # every vector, not the generator
        if name.endswith((".py", "__pycache__")):
            continue
        path = os.path.join(OUT, name)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    rng = np.random.default_rng(20261129)

    # 1. bf16, two records, 2 layers per block and token splits, unicode text/metadata, labels, auxiliary vector.
    #    Blocks where zstd does not shrink the bytes are stored with codec 0 (the writer rule of §5).
    meta = metadata("bf16", 3, 64, auxiliary=[{"name": "next_token_logprobs", "length": 2}])
    recs = [
        {"id": "review-0", "labels": [1], "token_ids": [1, 504, 2201, 17], "text": "Great film — 10/10 ✨ 映画",
         "metadata": {"source": "imdb", "язык": "en"}, "auxiliary": {"next_token_logprobs": [-0.5, -2.25]}},
        {"id": "review-1 🙂", "labels": [0, 1], "token_ids": [1], "text": None, "metadata": {},
         "auxiliary": {"next_token_logprobs": [0.0, -1.0]}},
    ]
    vals = [values(rng, 3, 4, 64), values(rng, 3, 1, 64)]
    tiles = [grid(3, 4, 2, 3), grid(3, 1, 2, 3)]
    path, stored, _ = write("bf16-two-records.strata", meta, recs, vals, tiles)
    expected_json(path, meta, recs, stored)

    # 2. f16, one record, one layer per block, one token per block: 8-byte blocks that zstd cannot
    #    shrink, so every block is stored shuffled without compression (codec 0, shuffle 1).
    meta = metadata("f16", 2, 4)
    recs = [{"id": "many-blocks", "labels": [], "token_ids": list(range(100, 106)), "text": "six tokens", "metadata": {"k": "v"}}]
    vals = [values(rng, 2, 6, 4) / np.float32(1000)]
    vals[0][1, 2, 3] = np.float32(1e-6)      # an f16 subnormal
    path, stored, _ = write("f16-many-blocks.strata", meta, recs, vals, [grid(2, 6, 1, 1)])
    expected_json(path, meta, recs, stored)

    # 3. f32, uncompressed and unshuffled blocks (codec 0, shuffle 0): the alternative payload paths.
    meta = metadata("f32", 2, 3)
    meta["codec"] = {"name": "none", "level": 0, "shuffle": False, "block_target_bytes": 1024, "layers_per_block": 1}
    recs = [{"id": "raw", "labels": [1], "token_ids": [5, 6], "text": "", "metadata": {}}]
    vals = [values(rng, 2, 2, 3)]
    path, stored, _ = write("f32-uncompressed.strata", meta, recs, vals, [grid(2, 2, 1, 2)], codec="none", shuffle=False)
    expected_json(path, meta, recs, stored)

    # 4. Every payload form in one record, a record with 0 tokens, and optional metadata keys left out
    #    (a missing key means null, §4): `auxiliary` without `length` (variable), `codec` without
    #    `layers_per_block`. Values are multiples of 1/4 so that even unshuffled f32 compresses.
    meta = metadata("f32", 3, 32, auxiliary=[{"name": "scores"}])
    del meta["codec"]["layers_per_block"]
    recs = [{"id": "payloads", "labels": [0], "token_ids": [3, 1, 4, 1, 5], "text": "zstd, raw and checksummed",
             "metadata": {}, "auxiliary": {"scores": [0.25, -1.5, 8.0]}},
            {"id": "no-tokens", "labels": [1], "token_ids": [], "text": "", "metadata": {"note": "0 tokens, no blocks"},
             "auxiliary": {"scores": []}}]
    vals = [np.round(rng.standard_normal((3, 5, 32)) * 12).astype(np.float32) / np.float32(4),
            np.zeros((3, 0, 32), dtype=np.float32)]
    tiles = [[(0, 1, 0, 2, {"codec": "zstd", "shuffle": False}), (0, 1, 2, 3, {"codec": "zstd", "shuffle": False}),
              (1, 1, 0, 5, {"codec": "none", "shuffle": True}),
              (2, 1, 0, 1, {"codec": "none", "shuffle": True}), (2, 1, 1, 4, {"codec": "zstd", "shuffle": True, "checksum": True})],
             []]
    path, stored, _ = write("payload-forms.strata", meta, recs, vals, tiles)
    expected_json(path, meta, recs, stored)
    assert_codecs(path, [(1, 0), (1, 0), (0, 1), (0, 1), (1, 1)])

    # 5. Unsealed: two committed records and the first block of a third, no index or trailer.
    meta = metadata("bf16", 2, 4)
    recs = [{"id": f"u{i}", "labels": [i % 2], "token_ids": [1, 2, 3], "text": f"record {i}", "metadata": {}} for i in range(3)]
    vals = [values(rng, 2, 3, 4) for _ in range(3)]
    tiles = [grid(2, 3, 1, 3)] * 3
    path, stored, _ = write("bf16-unsealed.strata", meta, recs[:2], vals[:2], tiles[:2], seal=False, partial=(recs[2], vals[2], tiles[2]))
    expected_json(path, meta, recs[:2], stored, sealed=False, recoverable=2)

    # 6. A dataset directory: manifest.json + two shards.
    meta = metadata("bf16", 2, 4)
    all_recs, all_stored = write_dataset("dataset", meta, rng)
    expected_json(os.path.join(OUT, "dataset"), meta, all_recs, all_stored)

    write_q8_vectors(np.random.default_rng(20261202))   # its own generator: the vectors above and below stay as they were
    write_refused_shards(rng)
    write_refused_datasets(rng)
    for name in sorted(os.listdir(OUT)):
        if not name.endswith((".py", "__pycache__")):
            print(name)


def q8_metadata(layers, hidden, bound=0.01):
    meta = metadata("q8", layers, hidden)
    meta["quantization"] = {"scheme": "q8", "max_rel_error": bound, "max_outliers": q8.MAX_OUTLIERS, "rel_error": None}
    return meta


def q8_record(rng, rid, tokens, layers=3, hidden=64):
    v = values(rng, layers, tokens, hidden)
    if tokens > 1:
        v[1, 1, :] = 0.0                        # an all-zero vector: scale 0, error 0
        v[2, 1, 5] = -3000.0                    # a second, negative massive channel
    rec = {"id": rid, "labels": [len(rid) % 2], "token_ids": list(range(7, 7 + tokens)), "text": f"q8 {rid}", "metadata": {}}
    return rec, v


def write_q8_vectors(rng):
    """q8 (§5.1): k chosen per block by the bound rule, a larger fixed k, an unshuffled block, a raw
    (codec 0) block, an all-zero vector, massive channels; and the refused forms."""
    meta = q8_metadata(3, 64)
    (r0, v0), (r1, v1) = q8_record(rng, "q8-a", 4), q8_record(rng, "q8-b", 1)
    tiles = [[(0, 2, 0, 3), (0, 2, 3, 1, {"k": 9}), (2, 1, 0, 2, {"shuffle": False}), (2, 1, 2, 2, {"codec": "none"})],
             grid(3, 1, 3, 1)]
    path, _, w = write("q8-outliers.strata", meta, [r0, r1], [v0, v1], tiles)
    expected_json(path, meta, [r0, r1], w.decoded)

    def mangled(name, mangle, why):
        p, _, _ = write(name, q8_metadata(3, 64), [r0], [v0], [[(0, 3, 0, 4, {"k": 3, "mangle": mangle})]])
        refused_json(p, why, "corrupt", "read", record=0, only_by_decoding=True)   # block copies carry it (§5.1)

    def swap_indices(raw, n, k):
        a = 4 * n                                # vector 0's first two outlier channels, swapped
        raw[a:a + 2], raw[a + 2:a + 4] = raw[a + 2:a + 4], raw[a:a + 2]
        return bytes(raw)

    def negative_scale(raw, n, k):
        raw[3] |= 0x80                           # vector 0's scale with its sign bit set
        return bytes(raw)

    mangled("bad-q8-index-order.strata", swap_indices, "q8 vector 0 lists its outlier channels in descending order (§5.1)")
    mangled("bad-q8-scale.strata", negative_scale, "q8 vector 0 has a negative scale (§5.1)")
    p, _, _ = write("bad-q8-version.strata", q8_metadata(3, 64), [r0], [v0], [grid(3, 4, 3, 4)])
    patch(p, lambda d: set_field(d, 0, 10, "<H", 0, 28))
    refused_json(p, "a q8 shard whose file header says format 1.0; q8 needs 1.1 (§3, §12)", "corrupt", "open")


def assert_codecs(path, expected):
    """The (codec, shuffle) of every block of record 0, as the vector means them to be."""
    data = open(path, "rb").read()
    meta_length = struct.unpack_from("<Q", data, 16)[0]
    offset, found = 32 + meta_length, []
    while data[offset:offset + 4] == struct.pack("<I", TAG_BLOCK):
        codec, shuffle = data[offset + 45], data[offset + 46]
        found.append((codec, shuffle))
        offset += 72 + struct.unpack_from("<Q", data, offset + 56)[0]
    assert found == expected, (path, found)


def write_dataset(name, meta, rng, manifest_metadata=None):
    """A dataset directory with two shards (2 records, then 1); returns its records and values."""
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    entries, all_recs, all_stored = [], [], []
    for s in range(2):
        recs = [{"id": f"s{s}-r{i}", "labels": [i % 2], "token_ids": [7] * (i + 1), "text": None, "metadata": {}} for i in range(2 - s)]
        vals = [values(rng, 2, i + 1, 4) for i in range(2 - s)]
        path, stored, _ = write(f"{name}/shard-{s:05d}.strata", meta, recs, vals, [grid(2, i + 1, 2, 8) for i in range(2 - s)])
        data = open(path, "rb").read()
        entries.append({"path": os.path.basename(path), "records": len(recs), "bytes": len(data), "crc32c": f"{crc32c(data):08x}"})
        all_recs += recs
        all_stored += stored
    manifest = {"format": "strata-dataset", "version": 1, "records": sum(e["records"] for e in entries),
                "metadata": manifest_metadata or meta, "shards": entries, "extra": {}}
    write_manifest(directory, manifest)
    return all_recs, all_stored


def write_manifest(directory, manifest):
    with open(os.path.join(directory, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


def two_records(rng, name, meta=None, recs=None, **write_options):
    """A sealed bf16 shard of two 3-token records, one block per layer, each block zstd-compressed."""
    meta = meta or metadata("bf16", 2, 64)
    recs = recs or [{"id": f"{name}-{i}", "labels": [i], "token_ids": [1, 2, 3], "text": None, "metadata": {}} for i in range(2)]
    vals = [values(rng, 2, 3, 64) for _ in recs]
    tiles = write_options.pop("tiles", [grid(2, 3, 1, 3)] * len(recs))
    path, _, writer = write(name, meta, recs, vals, tiles, **write_options)
    assert_codecs(path, [(1, 1), (1, 1)])
    return path, writer


def write_refused_shards(rng):
    """Shards breaking one rule each (FORMAT.md §13)."""
    path, w = two_records(rng, "bad-payload-crc.strata")
    patch(path, lambda d: d.__setitem__(w.block_offsets[1][0] + 72 + 5, d[w.block_offsets[1][0] + 72 + 5] ^ 0x10))
    refused_json(path, "a byte of record 1's first block payload is changed: its payload CRC32C does not match (§9)",
                 "corrupt", "read", record=1)

    path, w = two_records(rng, "bad-truncated.strata")
    patch(path, lambda d: d.__delitem__(slice(len(d) - 5, None)))
    refused_json(path, "a sealed shard without its last 5 bytes: no valid trailer, so it is unsealed (§2, §7)",
                 "unsealed", "open", recoverable=2)

    path, w = two_records(rng, "bad-index-crc.strata")
    index = w.rows[-1][0] + w.rows[-1][1]
    patch(path, lambda d: d.__setitem__(index + 32 + 8, d[index + 32 + 8] ^ 0x01))
    refused_json(path, "an index row is changed, so the index body CRC fails while the trailer is valid: a broken seal (§7)",
                 "brokenSeal", "open", recoverable=2)

    path, w = two_records(rng, "bad-index-offset.strata")
    index = w.rows[-1][0] + w.rows[-1][1]
    patch(path, lambda d: set_field(d, len(d) - 32, 8, "<Q", index - 8, 28))
    refused_json(path, "the trailer (CRC valid) points 8 bytes before the index: a broken seal (§7)",
                 "brokenSeal", "open", recoverable=2)

    path, w = two_records(rng, "bad-reserved-trailer.strata")
    patch(path, lambda d: set_field(d, len(d) - 32, 24, "<I", 1, 28))
    refused_json(path, "the trailer's reserved field is 1 (CRC valid): a broken seal (§1, §7)",
                 "brokenSeal", "open", recoverable=2)

    path, w = two_records(rng, "bad-reserved-block.strata")
    patch(path, lambda d: set_field(d, w.block_offsets[0][1], 47, "<B", 1, 68))
    refused_json(path, "byte 47 of record 0's second block header is 1 (header CRC valid) (§1, §5)", "corrupt", "read", record=0)

    path, w = two_records(rng, "bad-reserved-record.strata")
    patch(path, lambda d: set_field(d, w.rows[1][0], 40, "<I", 1, 44))
    refused_json(path, "the reserved field of record 1's entry header is 1 (header CRC valid) (§1, §6)", "corrupt", "read", record=1)

    path, w = two_records(rng, "bad-reserved-reference.strata")

    def reference_reserved(d):
        entry, length = w.rows[0][0], w.rows[0][1]
        put(d, entry + length - 4, "<I", 1)        # the last field of the last block reference
        reseal_entry(d, entry)
    patch(path, reference_reserved)
    refused_json(path, "the reserved field of record 0's last block reference is 1 (body and header CRCs valid) (§1, §6)",
                 "corrupt", "read", record=0)

    tiles = [grid(2, 3, 1, 3), [(0, 1, 0, 3), (1, 1, 0, 3, {"gap": 4})]]
    path, w = two_records(rng, "bad-gap-between-blocks.strata", tiles=tiles)
    refused_json(path, "4 zero bytes between record 1's two blocks; every offset and CRC is consistent (§1)",
                 "corrupt", "open", recoverable=1)

    path, w = two_records(rng, "bad-gap-before-index.strata", gap_before_index=8)
    refused_json(path, "8 zero bytes between the last record entry and the index; every offset and CRC is consistent (§1, §7)",
                 "corrupt", "open", recoverable=2)

    tiles = [[(0, 1, 0, 3, {"frame": skippable_then}), (1, 1, 0, 3)], grid(2, 3, 1, 3)]
    path, w = two_records(rng, "bad-zstd-skippable.strata", tiles=tiles)
    refused_json(path, "record 0's first block payload is a skippable frame followed by the zstd frame (§5)", "corrupt", "read", record=0)

    tiles = [grid(2, 3, 1, 3), [(0, 1, 0, 3), (1, 1, 0, 3, {"frame": with_dictionary_id})]]
    path, w = two_records(rng, "bad-zstd-dictionary.strata", tiles=tiles)
    refused_json(path, "record 1's second block is a zstd frame that names dictionary 42 (§5)", "corrupt", "read", record=1)

    tiles = [[(0, 1, 0, 3, {"checksum": True, "frame": flip_last_byte}), (1, 1, 0, 3)], grid(2, 3, 1, 3)]
    path, w = two_records(rng, "bad-zstd-checksum.strata", tiles=tiles)
    refused_json(path, "record 0's first block is a zstd frame whose content checksum does not match its content "
                 "(the payload CRC32C is valid) (§5)", "corrupt", "read", record=0, only_by_decoding=True)

    recs = [{"id": "aux-0", "labels": [], "token_ids": [1, 2, 3], "text": None, "metadata": {}},
            {"id": "aux-1", "labels": [], "token_ids": [1, 2, 3], "text": None, "metadata": {}, "auxiliary": {"undeclared": [1.0]}}]
    path, w = two_records(rng, "bad-auxiliary-undeclared.strata", recs=recs)
    refused_json(path, "record 1 carries an auxiliary vector the metadata does not declare (§4)", "corrupt", "read", record=1)

    meta = metadata("bf16", 2, 64, auxiliary=[{"name": "logprobs", "length": 2}])
    recs = [{"id": f"aux-{i}", "labels": [], "token_ids": [1, 2, 3], "text": None, "metadata": {},
             "auxiliary": {"logprobs": [-1.0, -2.0, -3.0][:2 + i]}} for i in range(2)]
    path, w = two_records(rng, "bad-auxiliary-length.strata", meta=meta, recs=recs)
    refused_json(path, "record 1's auxiliary vector has 3 values where the metadata declares length 2 (§4)", "corrupt", "read", record=1)


def write_refused_datasets(rng):
    """Dataset directories whose manifest disagrees with valid shards (FORMAT.md §11)."""
    meta = metadata("bf16", 2, 4)
    write_dataset("bad-dataset-bytes", meta, rng)
    edit_manifest("bad-dataset-bytes", lambda m: m["shards"][1].update(bytes=m["shards"][1]["bytes"] + 1))
    refused_json(os.path.join(OUT, "bad-dataset-bytes"), "the manifest lists shard 1 one byte longer than it is",
                 "dataset", "open")

    write_dataset("bad-dataset-crc", meta, rng)
    edit_manifest("bad-dataset-crc", lambda m: m["shards"][0].update(crc32c="0badf00d"))
    refused_json(os.path.join(OUT, "bad-dataset-crc"),
                 "the manifest's crc32c of shard 0 is not the file's; sizes and record counts agree", "dataset", "verify")

    declared = dict(meta, auxiliary=[{"name": "logprobs", "length": 2}])
    write_dataset("bad-dataset-auxiliary", meta, rng, manifest_metadata=declared)
    refused_json(os.path.join(OUT, "bad-dataset-auxiliary"),
                 "the manifest declares an auxiliary vector that the shards do not", "dataset", "open")


def edit_manifest(name, edit):
    directory = os.path.join(OUT, name)
    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    edit(manifest)
    write_manifest(directory, manifest)


if __name__ == "__main__":
    main()
