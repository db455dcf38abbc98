#!/usr/bin/env python3
"""Checks tools/strata_reader.py and tools/strata_format.py against the spec's test vectors
(spec/vectors/*.json: valid ones decode to their JSON, refused ones fail as their JSON says), and
strata_reader.py against corrupted copies of them. Run from the repository root; exit status 0 = all
checks passed. (tools/tests/test_format_vectors.py runs the same vector checks under unittest.)"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))
import strata_format as sf  # noqa: E402
import strata_reader as sr  # noqa: E402

VECTORS = "spec/vectors"


def check_vector(json_name):
    """One vector against both Python readers: tools/strata_reader.py (this reader) and
    tools/strata_format.py (the implementation that wrote the vectors). A valid vector decodes to its
    JSON; a refused one (`error` in its JSON) fails with the named kind, and at the named time."""
    with open(os.path.join(VECTORS, json_name), encoding="utf-8") as f:
        expected = json.load(f)
    path = os.path.join(VECTORS, expected["file"])
    if "error" in expected:
        check_refused(path, expected["error"])
    elif not expected.get("sealed", True):
        check_refused(path, {"kind": "unsealed", "at": "open"})
    else:
        check_decodes(path, expected)


def raises(kind, action, what):
    """Runs action(); it must raise the reader's format error of `kind`."""
    try:
        action()
    except (sr.StrataFormatError, sf.FormatError) as error:
        assert error.kind == kind, f"{what}: expected a {kind} error, got {error.kind}: {error}"
        return
    raise AssertionError(f"{what}: accepted, expected a {kind} error")


def check_refused(path, error):
    kind, at = error["kind"], error["at"]
    whole = sf.read_dataset if os.path.isdir(path) else sf.read_shard
    raises(kind, lambda: whole(path), f"strata_format {path}")
    if at == "open":
        raises(kind, lambda: sr.open_dataset(path), f"strata_reader {path}: open")
        return
    with sr.open_dataset(path) as ds:
        for i in range(len(ds)):
            if at == "read" and i == error["record"]:
                raises(kind, lambda: (ds.info(i), ds.read(i)), f"strata_reader {path}: record {i}")
            else:
                ds.info(i), ds.read(i)
    if at == "verify":
        whole(path, check_crc=False)
        raises(kind, lambda: sr.open_dataset(path, verify_files=True), f"strata_reader {path}: verify")


def check_decodes(path, expected):
    with sr.open_dataset(path, verify_files=True) as ds:
        check_decodes_with(ds, path, expected)


def check_decodes_with(ds, path, expected):
    for shard in ds.shards:
        shard.verify()
    assert ds.metadata == expected["metadata"], f"{path}: metadata"
    assert len(ds) == len(expected["records"]), f"{path}: record count"
    whole_metadata, whole_records = (sf.read_dataset if os.path.isdir(path) else sf.read_shard)(path)
    assert whole_metadata == expected["metadata"] and len(whole_records) == len(expected["records"]), f"{path}: strata_format"
    for i, r in enumerate(expected["records"]):
        info, values = ds.info(i), ds.read(i)
        assert (info["id"], info["labels"], info["token_ids"].tolist(), info["text"], info["metadata"]) == \
            (r["id"], r["labels"], r["token_ids"], r["text"], r["metadata"]), f"{path} record {i}"
        assert list(values.shape) == r["shape"], f"{path} record {i}: shape"
        want = np.array(r["values"], dtype=np.float32).view(np.uint32)
        assert np.array_equal(values.ravel().view(np.uint32), want), f"{path} record {i}"
        assert sorted(info["auxiliary"]) == sorted(r["auxiliary"]), f"{path} record {i}: auxiliary names"
        for name, vector in r["auxiliary"].items():
            assert np.array_equal(info["auxiliary"][name], np.array(vector, dtype=np.float32))
        w = whole_records[i]
        assert (w["id"], w["labels"], w["token_ids"], w["text"], w["metadata"], w["auxiliary"], w["shape"]) == \
            (r["id"], r["labels"], r["token_ids"], r["text"], r["metadata"], r["auxiliary"], r["shape"]), f"{path} record {i}: strata_format"
        assert np.array_equal(w["values"].ravel().view(np.uint32), want), f"{path} record {i}: strata_format values"
        # Layer subsets and token ranges agree with the whole record.
        if values.shape[0] > 1 and values.shape[1] > 1:
            part = ds.read(i, layers=[-1, 0], tokens=range(1, values.shape[1]))
            assert np.array_equal(part.view(np.uint32), values[[-1, 0], 1:].view(np.uint32)), f"{path} subset"


def check_iterable():
    """The DataLoader-facing views: map-style ds[i] and the iterable (plain and shuffled) yield every
    record once with the values read() returns."""
    ds = sr.open_dataset(os.path.join(VECTORS, "dataset"))
    items = list(ds.iterable())
    assert [item["id"] for item in items] == [ds.info(i)["id"] for i in range(len(ds))]
    assert all(np.array_equal(item["values"], ds.read(i)) for i, item in enumerate(items))
    shuffled = [item["id"] for item in ds.iterable(shuffle=True, seed=3)]
    assert sorted(shuffled) == sorted(item["id"] for item in items)
    assert np.array_equal(ds[1]["values"], ds.read(1)) and ds[1]["id"] == ds.info(1)["id"]
    last = next(iter(ds.iterable(layers=[-1])))["values"]
    assert last.shape[0] == 1 and np.array_equal(last[0], ds.read(0)[-1])


def check_corruption():
    """Every flipped byte of a sealed shard is reported as StrataFormatError, never returned as data."""
    source = os.path.join(VECTORS, "f16-many-blocks.strata")
    original = open(source, "rb").read()
    reference = sr.open_dataset(source).read(0)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "x.strata")
        for position in range(0, len(original), 7):
            damaged = bytearray(original)
            damaged[position] ^= 0x5A
            with open(path, "wb") as f:
                f.write(damaged)
            try:
                ds = sr.open_dataset(path)
                values = ds.read(0)
                info = ds.info(0)
            except sr.StrataFormatError:
                continue
            # Not detected: only acceptable if nothing that is returned changed (cannot happen: all covered).
            raise AssertionError(f"flipped byte {position} not detected (values equal: "
                                 f"{np.array_equal(values, reference)}, id {info['id']})")


def vector_names():
    names = sorted(n for n in os.listdir(VECTORS) if n.endswith(".json"))
    assert names, "no vectors"
    return names


def main():
    assert sr.crc32c(b"123456789") == 0xE3069283
    blob = os.urandom((3 << 18) + 12345)
    assert sr.crc32c(blob) == sr._crc_register(0xFFFFFFFF, blob) ^ 0xFFFFFFFF
    names = vector_names()
    for name in names:
        check_vector(name)
    check_iterable()
    check_corruption()
    print(f"strata_reader: {len(names)} vectors and byte-flip corruption checks passed")


if __name__ == "__main__":
    main()
