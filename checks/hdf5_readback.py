#!/usr/bin/env python3
"""Reads an HDF5 file exported by `strata export-hdf5` with h5py + hdf5plugin only, as a
researcher would, and writes what it got: OUT.bin = every record's activations layer-major
([layer][token][hidden], little-endian, stored dtype), records concatenated; OUT.json = per record
id, labels, token ids, text. Used by Strata's tests as the independent reader of its exports.

Usage: python3 checks/hdf5_readback.py FILE.h5 OUT_PREFIX
"""
import json
import sys

import h5py
import hdf5plugin  # noqa: F401  (registers the zstd filter 32015 with h5py)
import numpy as np


def main(path, prefix):
    records, chunks = [], []
    with h5py.File(path, "r") as f:
        layout = f.attrs["strata_layout"]
        if layout == "groups":
            for name in sorted(f.keys()):
                g = f[name]
                values = g["hidden"][...]                     # [layers, tokens, hidden]
                chunks.append(np.ascontiguousarray(values).tobytes())
                records.append({"id": g.attrs["id"], "labels": [int(x) for x in g.attrs.get("labels", [])],
                                "token_ids": [int(x) for x in g["token_ids"][...]],
                                "text": g.attrs.get("text"), "tokens": int(values.shape[1])})
        else:
            data = f["hidden_states"]
            axes = data.attrs["strata_axes"]
            offsets = f["offsets"][...]
            token_ids = f["token_ids"][...]
            ids = [s.decode() if isinstance(s, bytes) else s for s in f["ids"][...]]
            labels = f["labels"][...] if "labels" in f else None
            counts = f["label_counts"][...] if "label_counts" in f else None
            texts = [s.decode() for s in f["texts"][...]] if "texts" in f else None
            has_text = f["has_text"][...] if "has_text" in f else None
            whole = data[...]
            for i in range(len(offsets) - 1):
                a, b = int(offsets[i]), int(offsets[i + 1])
                if axes == "layers,tokens,hidden":
                    values = whole[:, a:b, :]
                else:
                    values = whole[a:b].transpose(1, 0, 2)
                chunks.append(np.ascontiguousarray(values).tobytes())
                if labels is None:
                    row = []
                elif labels.ndim == 1:
                    row = [int(labels[i])]
                else:
                    row = [int(x) for x in labels[i][: int(counts[i])]]
                text = texts[i] if texts is not None and (has_text is None or has_text[i]) else None
                records.append({"id": ids[i], "labels": row, "token_ids": [int(x) for x in token_ids[a:b]], "text": text, "tokens": b - a})
    with open(prefix + ".bin", "wb") as out:
        out.write(b"".join(chunks))
    with open(prefix + ".json", "w") as out:
        json.dump(records, out, ensure_ascii=False)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
