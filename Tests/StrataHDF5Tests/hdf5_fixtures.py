#!/usr/bin/env python3
"""Writes HDF5 files in the layouts researchers produce with h5py, for Strata's import tests.

Usage: python3 Tests/StrataHDF5Tests/hdf5_fixtures.py OUT_DIR

For every fixture it writes OUT_DIR/<name>.h5 and, for files that must import, the expected
values as OUT_DIR/<name>.expected.bin: every record's activations, layer-major
([layer][token][hidden]), little-endian, in the stored element type (f16/bf16 as 16-bit
patterns), records concatenated. OUT_DIR/fixtures.json lists each fixture: its import options,
its expected records (id, labels, token ids, text, token count) or the error text expected.
The values are random but seeded, so every run writes the same files.
"""
import json
import os
import sys

import h5py
import hdf5plugin
import numpy as np

RNG = np.random.default_rng(20261129)
LAYERS, HIDDEN = 3, 8


def make_records(n, dtype, min_tokens=1, max_tokens=9):
    """n records of random length: list of (values[L, T, H], token_ids[T])."""
    records = []
    for _ in range(n):
        t = int(RNG.integers(min_tokens, max_tokens + 1))
        if dtype == "bf16":
            # bf16 bit patterns: the upper halves of random float32 values (incl. negatives).
            f = RNG.standard_normal((LAYERS, t, HIDDEN)).astype(np.float32) * 3
            values = (f.view(np.uint32) >> 16).astype(np.uint16)
        else:
            values = (RNG.standard_normal((LAYERS, t, HIDDEN)) * 5).astype(dtype)
        records.append((values, RNG.integers(0, 50000, size=t).astype(np.int32)))
    return records


def expected_bytes(records):
    return b"".join(np.ascontiguousarray(v).astype(v.dtype.newbyteorder("<")).tobytes() for v, _ in records)


def describe(records, labels=None, ids=None, texts=None, with_tokens=True):
    out = []
    for i, (values, tokens) in enumerate(records):
        out.append({
            "id": ids[i] if ids is not None else str(i),
            "labels": [int(x) for x in np.atleast_1d(labels[i])] if labels is not None else [],
            "token_ids": [int(x) for x in tokens] if with_tokens else [],
            "text": texts[i] if texts is not None else None,
            "tokens": int(values.shape[1]),
        })
    return out


def main(out):
    global LAYERS
    os.makedirs(out, exist_ok=True)
    fixtures = []

    def add(name, records, options, value_type, layout, **described):
        with open(os.path.join(out, name + ".expected.bin"), "wb") as f:
            f.write(expected_bytes(records))
        fixtures.append({"name": name, "options": options, "value_type": value_type, "layout": layout,
                         "layers": LAYERS, "hidden": HIDDEN, "records": describe(records, **described)})

    def offsets_of(records):
        return np.concatenate([[0], np.cumsum([v.shape[1] for v, _ in records])]).astype(np.int64)

    # 1. Ragged, token-major [T, L, H] float32, N+1 offsets, gzip + shuffle, all side data.
    recs = make_records(7, np.float32)
    labels = RNG.integers(0, 2, size=7)
    ids = [f"doc-{i}" for i in range(7)]
    texts = [f"text number {i} — ünïcödé" for i in range(7)]
    with h5py.File(os.path.join(out, "ragged_offsets_f32.h5"), "w") as f:
        data = np.concatenate([v.transpose(1, 0, 2) for v, _ in recs], axis=0)
        f.create_dataset("hidden_states", data=data, chunks=(4, LAYERS, HIDDEN), compression="gzip", shuffle=True)
        f["offsets"] = offsets_of(recs)
        f["labels"] = labels
        f["token_ids"] = np.concatenate([t for _, t in recs])
        f.create_dataset("ids", data=ids, dtype=h5py.string_dtype())
        f.create_dataset("texts", data=texts, dtype=h5py.string_dtype())
    add("ragged_offsets_f32", recs, {}, "f32", "ragged", labels=labels, ids=ids, texts=texts)

    # 2. Ragged, layer-major [L, T, H] float16, lengths, zstd (hdf5plugin), custom names.
    recs = make_records(6, np.float16)
    with h5py.File(os.path.join(out, "ragged_lengths_f16_zstd.h5"), "w") as f:
        data = np.concatenate([v for v, _ in recs], axis=1)
        f.create_dataset("acts", data=data, chunks=(1, 8, HIDDEN), **hdf5plugin.Zstd(clevel=5))
        f["seq_lens"] = np.array([v.shape[1] for v, _ in recs], dtype=np.int32)
        f["y"] = RNG.integers(0, 3, size=6)
    with h5py.File(os.path.join(out, "ragged_lengths_f16_zstd.h5"), "r") as f:
        y = f["y"][...]
    add("ragged_lengths_f16_zstd", recs, {"data": "acts", "lengths": "seq_lens", "labels": "y"}, "f16", "ragged",
        labels=y, with_tokens=False)

    # 3. Padded [N, T, L, H] float32 with lengths (right padding), zstd + shuffle.
    recs = make_records(5, np.float32)
    tmax = max(v.shape[1] for v, _ in recs)
    padded = np.full((5, tmax, LAYERS, HIDDEN), np.nan, dtype=np.float32)
    for i, (v, _) in enumerate(recs):
        padded[i, :v.shape[1]] = v.transpose(1, 0, 2)
    labels = RNG.integers(0, 2, size=5)
    with h5py.File(os.path.join(out, "padded_lengths_f32.h5"), "w") as f:
        f.create_dataset("hidden_states", data=padded, chunks=(1, tmax, LAYERS, HIDDEN), shuffle=True,
                         **hdf5plugin.Zstd(clevel=3))
        f["lengths"] = np.array([v.shape[1] for v, _ in recs])
        f["labels"] = labels
    add("padded_lengths_f32", recs, {}, "f32", "padded", labels=labels, with_tokens=False)

    # 4. Padded [N, L, T, H] float16, left-padded attention mask, token ids [N, T], string labels.
    recs = make_records(5, np.float16)
    tmax = 10
    padded = np.zeros((5, LAYERS, tmax, HIDDEN), dtype=np.float16)
    mask = np.zeros((5, tmax), dtype=np.int64)
    token_ids = np.zeros((5, tmax), dtype=np.int64)
    for i, (v, t) in enumerate(recs):
        n = v.shape[1]
        padded[i, :, tmax - n:] = v
        mask[i, tmax - n:] = 1
        token_ids[i, tmax - n:] = t
    names = ["neg", "pos", "pos", "neg", "pos"]
    with h5py.File(os.path.join(out, "padded_mask_f16_layers_first.h5"), "w") as f:
        f.create_dataset("hidden_states", data=padded, chunks=(2, LAYERS, tmax, HIDDEN), compression="gzip")
        f["attention_mask"] = mask
        f["input_ids"] = token_ids
        f.create_dataset("labels", data=names, dtype=h5py.string_dtype())
    add("padded_mask_f16_layers_first", recs, {}, "f16", "padded", labels=[0 if s == "neg" else 1 for s in names])

    # 5. One group per example, [T, L, H] float32 datasets plus token ids, label/text attributes.
    recs = make_records(4, np.float32, min_tokens=2)
    with h5py.File(os.path.join(out, "groups_f32.h5"), "w") as f:
        for i, (v, t) in enumerate(recs):
            g = f.create_group(f"example_{i}")
            g.create_dataset("hidden", data=v.transpose(1, 0, 2), compression="gzip")
            g["token_ids"] = t
            g.attrs["label"] = i % 2
            g.attrs["text"] = f"example text {i}"
    add("groups_f32", recs, {}, "f32", "groups", labels=[i % 2 for i in range(4)],
        ids=[f"example_{i}" for i in range(4)], texts=[f"example text {i}" for i in range(4)])

    # 6. bf16 stored as uint16 with the attribute Strata writes, ragged with offsets, zstd + shuffle.
    recs = make_records(4, "bf16")
    with h5py.File(os.path.join(out, "ragged_bf16_uint16.h5"), "w") as f:
        data = np.concatenate([v.transpose(1, 0, 2) for v, _ in recs], axis=0)
        d = f.create_dataset("hidden_states", data=data, chunks=(5, LAYERS, HIDDEN), shuffle=True,
                             **hdf5plugin.Zstd(clevel=1))
        d.attrs["strata_dtype"] = "bf16"
        f["offsets"] = offsets_of(recs)
    add("ragged_bf16_uint16", recs, {}, "bf16", "ragged", with_tokens=False)

    # 7. Ragged [T, H] (a single layer) float32, lengths.
    saved, LAYERS = LAYERS, 1
    recs = make_records(3, np.float32)
    with h5py.File(os.path.join(out, "ragged_single_layer.h5"), "w") as f:
        f["x"] = np.concatenate([v[0] for v, _ in recs], axis=0)
        f["lengths"] = np.array([v.shape[1] for v, _ in recs])
    add("ragged_single_layer", recs, {}, "f32", "ragged", with_tokens=False)
    LAYERS = saved

    # 8. float64 holding float32-representable values: imports with --allow-float64, exactly.
    recs = make_records(3, np.float32)
    with h5py.File(os.path.join(out, "padded_float64_allowed.h5"), "w") as f:
        tmax = max(v.shape[1] for v, _ in recs)
        padded = np.zeros((3, tmax, LAYERS, HIDDEN), dtype=np.float64)
        for i, (v, _) in enumerate(recs):
            padded[i, :v.shape[1]] = v.transpose(1, 0, 2)
        f["hidden_states"] = padded
        f["lengths"] = np.array([v.shape[1] for v, _ in recs])
    add("padded_float64_allowed", recs, {"allow_float64": "1"}, "f32", "padded", with_tokens=False)

    # 9. One group per example, [L, T, H] bf16 (uint16 + attribute) with [shuffle, zstd] chunks
    #    chosen per group: one layer × all tokens (every chunk whole: copied as Strata blocks),
    #    2 layers × 4 tokens (edge chunks partial: those pieces are re-encoded), and one layer × half
    #    the hidden size (no chunk spans a row: the whole record is decoded and re-encoded). ex3 has
    #    zstd without shuffle (copied as unshuffled blocks, spec/FORMAT.md §5 shuffle = 0).
    #    "chunks_copied" is how many whole chunks the importer must copy.
    recs = make_records(6, "bf16", min_tokens=3, max_tokens=12)
    copied = 0
    with h5py.File(os.path.join(out, "groups_chunked_bf16_zstd.h5"), "w") as f:
        for i, (v, t) in enumerate(recs):
            g = f.create_group(f"ex{i}")
            if i % 3 == 0:
                chunks = (1, v.shape[1], HIDDEN)
                copied += LAYERS
            elif i % 3 == 1:
                chunks = (2, 4, HIDDEN)
                copied += (LAYERS // 2) * (v.shape[1] // 4)
            else:
                chunks = (1, v.shape[1], HIDDEN // 2)
            d = g.create_dataset("hidden", data=v, chunks=chunks, shuffle=i != 3, **hdf5plugin.Zstd(clevel=3))
            d.attrs["strata_dtype"] = "bf16"
            g["token_ids"] = t
    add("groups_chunked_bf16_zstd", recs, {}, "bf16", "groups", ids=[f"ex{i}" for i in range(6)])
    fixtures[-1]["chunks_copied"] = copied

    # Files that must be refused, with the text the error must contain.
    def refuse(name, error, options=None):
        fixtures.append({"name": name, "options": options or {}, "error": error})

    with h5py.File(os.path.join(out, "no_boundaries.h5"), "w") as f:
        f["hidden_states"] = np.zeros((12, LAYERS, HIDDEN), dtype=np.float32)
        f["labels"] = np.zeros(3, dtype=np.int64)
    refuse("no_boundaries", "nothing that delimits its records")

    with h5py.File(os.path.join(out, "float64.h5"), "w") as f:
        f["hidden_states"] = np.zeros((4, 2, LAYERS, HIDDEN), dtype=np.float64)
    refuse("float64", "float64")

    with h5py.File(os.path.join(out, "integers_only.h5"), "w") as f:
        f["counts"] = np.arange(10)
    refuse("integers_only", "no activation array")

    with h5py.File(os.path.join(out, "bad_offsets.h5"), "w") as f:
        f["hidden_states"] = np.zeros((10, LAYERS, HIDDEN), dtype=np.float32)
        f["offsets"] = np.array([0, 6, 4, 10])
    refuse("bad_offsets", "not non-decreasing")

    with h5py.File(os.path.join(out, "blosc_filter.h5"), "w") as f:
        f.create_dataset("hidden_states", data=np.ones((6, LAYERS, HIDDEN), dtype=np.float32),
                         chunks=(3, LAYERS, HIDDEN), **hdf5plugin.Blosc())
        f["offsets"] = np.array([0, 2, 6])
    refuse("blosc_filter", "32001")

    # Side datasets found by their names that do not fit the records: an error naming them, never
    # silently left out (import-hdf5 --ignore leaves them out on purpose).
    with h5py.File(os.path.join(out, "labels_misfit.h5"), "w") as f:
        f["hidden_states"] = np.zeros((10, LAYERS, HIDDEN), dtype=np.float32)
        f["offsets"] = np.array([0, 4, 10])
        f["labels"] = np.array([0, 1, 1])
    refuse("labels_misfit", "/labels (found by its name) has shape [3]")

    with h5py.File(os.path.join(out, "token_ids_misfit.h5"), "w") as f:
        f["hidden_states"] = np.zeros((10, LAYERS, HIDDEN), dtype=np.float32)
        f["offsets"] = np.array([0, 4, 10])
        f["token_ids"] = np.arange(9)
    refuse("token_ids_misfit", "/token_ids (found by its name) has shape [9]")

    # Every dimension within its own limit, the record (64 x 2^24 x 1024 x 4 bytes = 4 TiB) not: refused
    # before anything is allocated, although the file is 2 KB (its chunks were never written).
    with h5py.File(os.path.join(out, "record_over_limit.h5"), "w") as f:
        f.create_dataset("hidden_states", shape=(2**24, 64, 1024), dtype="f4", chunks=(1, 64, 1024))
        f["offsets"] = np.array([0, 2**24])
    refuse("record_over_limit", "record 0 holds 64 layers")

    with open(os.path.join(out, "not_hdf5.h5"), "wb") as f:
        f.write(b"this is not an HDF5 file\n" * 10)
    refuse("not_hdf5", "not an HDF5 file")

    # A real file cut short: the superblock survives, the data does not.
    with open(os.path.join(out, "ragged_offsets_f32.h5"), "rb") as f:
        whole = f.read()
    with open(os.path.join(out, "truncated.h5"), "wb") as f:
        f.write(whole[: len(whole) // 3])
    refuse("truncated", "truncated.h5")

    # A zstd chunk whose frame header is overwritten: the read must fail naming the dataset.
    corrupt = os.path.join(out, "corrupt_chunk.h5")
    with h5py.File(corrupt, "w") as f:
        d = f.create_dataset("hidden_states", data=np.ones((8, LAYERS, HIDDEN), dtype=np.float32),
                             chunks=(8, LAYERS, HIDDEN), **hdf5plugin.Zstd())
        f["offsets"] = np.array([0, 3, 8])
    with h5py.File(corrupt, "r") as f:
        chunk_offset = f["hidden_states"].id.get_chunk_info(0).byte_offset
    with open(corrupt, "r+b") as f:
        f.seek(chunk_offset)
        f.write(b"\x00\x00\x00\x00")
    refuse("corrupt_chunk", "/hidden_states")

    with open(os.path.join(out, "fixtures.json"), "w") as f:
        json.dump(fixtures, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
