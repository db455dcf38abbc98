"""The writer: Python writer → Python reader, stored values against a conversion computed in the tests
(support.stored_as_float32), refusals, locks, datasets, merge. The Swift reader and writer check the same
files in test_swift_interop.py (byte-identical shards, Swift's export read by h5py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import unittest

import numpy as np

from support import REPO, TempDirTest, read_bytes, records, stored_as_float32

import strata

LAYERS, HIDDEN = 5, 24


class RoundTripTests(TempDirTest):
    def write(self, path, dtype, recs, **options):
        with strata.Writer(path, hidden=HIDDEN, layers=LAYERS, dtype=dtype, label_names=["a", "b", "c"],
                           auxiliary={"logprobs": None}, extra={"task": "test/1"}, **options) as w:
            for r in recs:
                w.append(r["id"], r["values"], token_ids=r["token_ids"], labels=r["labels"], text=r["text"],
                         metadata=r["metadata"], aux={"logprobs": r["values"][-1, :, 0]})
        return path

    def test_every_dtype_round_trips_with_the_stored_values(self):
        recs = records(11, 9, LAYERS, HIDDEN)
        for dtype in ("bf16", "f16", "f32"):
            for options in ({}, {"block_target_bytes": 700}, {"layers_per_block": 2, "zstd_level": 3}):
                with self.subTest(dtype=dtype, options=options):
                    path = self.write(self.path(f"{dtype}-{len(options)}.strata"), dtype, recs, **options)
                    ds = strata.open(path)
                    self.assertEqual(ds.verify()["records"], len(recs))
                    self.assertEqual((ds.metadata["dtype"], ds.metadata["hidden"], len(ds.metadata["layers"])),
                                     (dtype, HIDDEN, LAYERS))
                    for i, r in enumerate(recs):
                        want = stored_as_float32(r["values"], dtype)
                        got = ds[i]
                        np.testing.assert_array_equal(got.values.view(np.uint32), want.view(np.uint32))
                        self.assertEqual((got.id, got.labels, got.text, got.metadata), (r["id"], r["labels"], r["text"],
                                                                                          r["metadata"]))
                        np.testing.assert_array_equal(got.token_ids, r["token_ids"])
                        np.testing.assert_array_equal(got.auxiliary["logprobs"], r["values"][-1, :, 0])

    def test_stored_inputs_are_kept_bit_for_bit(self):
        """f16 values into an f16 shard, bf16 bit patterns (ml_dtypes-style) into a bf16 shard."""
        rng = np.random.default_rng(3)
        half = rng.standard_normal((LAYERS, 7, HIDDEN)).astype(np.float16)
        with strata.Writer(self.path("h.strata"), hidden=HIDDEN, layers=LAYERS, dtype="f16") as w:
            w.append("h", half, token_ids=range(7))
        np.testing.assert_array_equal(strata.open(self.path("h.strata")).read(0, dtype="stored"), half)
        floats = rng.standard_normal((LAYERS, 7, HIDDEN)).astype(np.float32)
        floats.reshape(-1)[:4] = [np.nan, np.inf, -np.inf, 3.0e38]
        bits = (stored_as_float32(floats, "bf16").view(np.uint32) >> np.uint32(16)).astype(np.uint16)
        with strata.Writer(self.path("b.strata"), hidden=HIDDEN, layers=LAYERS, dtype="bf16") as w:
            w.append("from-f32", floats, token_ids=range(7))
        np.testing.assert_array_equal(strata.open(self.path("b.strata")).read(0, dtype="stored"), bits)

    def test_refusals_leave_the_shard_as_it_was(self):
        path = self.path("r.strata")
        rec = records(5, 1, LAYERS, HIDDEN)[0]
        with strata.Writer(path, hidden=HIDDEN, layers=LAYERS, dtype="bf16", auxiliary={"x": 2}) as w:
            w.append("one", rec["values"], token_ids=rec["token_ids"], aux={"x": [1, 2]})
            cases = [
                (dict(id="one", values=rec["values"], token_ids=rec["token_ids"], aux={"x": [1, 2]}), "duplicate"),
                (dict(id="two", values=rec["values"][:, :-1] if rec["values"].shape[1] > 1 else rec["values"][:1],
                      token_ids=rec["token_ids"], aux={"x": [1, 2]}), "shape"),
                (dict(id="two", values=rec["values"], token_ids=rec["token_ids"], aux={"x": [1]}), "expected 2"),
                (dict(id="two", values=rec["values"], token_ids=rec["token_ids"], aux={"x": [1, 2], "y": [0]}),
                 "not declared"),
                (dict(id="two", values=rec["values"], token_ids=rec["token_ids"]), "missing auxiliary"),
            ]
            for fields, fragment in cases:
                size = w.byte_count
                with self.assertRaises(strata.StrataError) as caught:
                    w.append(fields.pop("id"), fields.pop("values"), **fields)
                self.assertIn(fragment, str(caught.exception))
                self.assertEqual((caught.exception.record, w.byte_count, os.path.getsize(path)), (1, size, size))
        self.assertEqual(len(strata.open(path)), 1)

    def test_an_existing_output_is_refused_or_replaced_only_when_complete(self):
        path = self.path("e.strata")
        rec = records(6, 2, LAYERS, HIDDEN)
        self.write(path, "bf16", rec[:1])
        before = read_bytes(path)
        with self.assertRaises(strata.StrataError) as caught:
            strata.Writer(path, hidden=HIDDEN, layers=LAYERS, dtype="bf16")
        self.assertIn("overwrite=True", str(caught.exception))
        w = strata.Writer(path, hidden=HIDDEN, layers=LAYERS, dtype="bf16", overwrite=True)
        w.append("new", rec[1]["values"], token_ids=rec[1]["token_ids"])
        self.assertEqual(read_bytes(path), before)   # the old shard stays until the new one is sealed
        w.close()
        self.assertEqual(strata.open(path).info(0).id, "new")
        self.assertEqual(sorted(os.listdir(self.dir)), ["e.strata"])   # no partial file, no lock file left

    def test_an_exception_in_the_with_block_leaves_an_unsealed_shard(self):
        path = self.path("x.strata")
        rec = records(8, 1, LAYERS, HIDDEN)[0]
        with self.assertRaises(RuntimeError):
            with strata.Writer(path, hidden=HIDDEN, layers=LAYERS, dtype="bf16") as w:
                w.append("kept", rec["values"], token_ids=rec["token_ids"])
                raise RuntimeError("stop")
        with self.assertRaises(strata.StrataError) as caught:
            strata.open(path)
        self.assertEqual(caught.exception.kind, "unsealed")

    def test_a_second_writer_of_the_same_output_is_refused_naming_the_first(self):
        path = self.path("l.strata")
        first = strata.Writer(path, hidden=HIDDEN, layers=LAYERS, dtype="bf16")
        self.assertTrue(os.path.exists(self.path(".l.strata.lock")))
        # Another process: flock locks belong to open file descriptions, so a second process is the real test.
        code = ("import sys; sys.path.insert(0, sys.argv[1]); import strata\n"
                "try:\n    strata.Writer(sys.argv[2], hidden=4, layers=1, dtype='f32', overwrite=True)\n"
                "except strata.StrataError as e:\n    print(e.kind, e)\n")
        out = subprocess.run([sys.executable, "-c", code, os.path.join(REPO, "python"), path], capture_output=True, text=True)
        self.assertIn("locked", out.stdout)
        self.assertIn(f"pid {os.getpid()}", out.stdout)
        first.close()
        self.assertFalse(os.path.exists(self.path(".l.strata.lock")))


class DatasetWriterTests(TempDirTest):
    def test_rolling_shards_manifest_and_merge(self):
        recs = records(21, 7, LAYERS, HIDDEN, max_tokens=12)
        out = self.path("ds")
        with strata.DatasetWriter(out, hidden=HIDDEN, layers=LAYERS, dtype="f16", records_per_shard=3) as w:
            for r in recs:
                w.append(r["id"], r["values"], token_ids=r["token_ids"], labels=r["labels"])
        ds = strata.open(out)
        self.assertEqual([len(s) for s in ds.shards], [3, 3, 1])
        self.assertEqual(ds.verify()["records"], 7)
        self.assertEqual([r.id for r in ds], [r["id"] for r in recs])
        with open(os.path.join(out, "manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["records"], 7)
        self.assertFalse(os.path.exists(os.path.join(out, ".strata.lock")))

        by_size = self.path("by-size")
        with strata.DatasetWriter(by_size, ds.metadata, shard_bytes=1) as w:
            for r in recs[:3]:
                w.append(r["id"], r["values"], token_ids=r["token_ids"])
        self.assertEqual([len(s) for s in strata.open(by_size).shards], [1, 1, 1])

        with self.assertRaises(strata.StrataError) as caught:
            strata.DatasetWriter(out, ds.metadata)
        self.assertIn("new or empty", str(caught.exception))

        merged = self.path("merged")
        with self.assertRaises(strata.StrataError) as caught:
            strata.merge([out, by_size], merged)
        self.assertIn(f'record id "{recs[0]["id"]}"', str(caught.exception))       # by_size repeats ids of out
        self.assertFalse(os.path.exists(os.path.join(merged, "manifest.json")))
        renamed = self.path("renamed")
        with strata.DatasetWriter(renamed, ds.metadata, records_per_shard=2) as w:
            for r in recs[:3]:
                w.append("other-" + r["id"], r["values"], token_ids=r["token_ids"])
        manifest = strata.merge([out, renamed], merged, mode="copy")
        self.assertEqual(manifest["records"], 10)
        self.assertEqual(strata.open(merged).verify()["records"], 10)
        first_shard = os.path.join(out, "shard-00000.strata")
        os.symlink(first_shard, self.path("link.strata"))
        with self.assertRaises(strata.StrataError) as caught:
            strata.merge([first_shard, self.path("link.strata")], self.path("twice"))
        self.assertIn("same shard file", str(caught.exception))

        other = self.path("other.strata")
        with strata.Writer(other, hidden=HIDDEN, layers=LAYERS, dtype="bf16") as w:
            w.append("z", recs[0]["values"], token_ids=recs[0]["token_ids"])
        with self.assertRaises(strata.StrataError) as caught:
            strata.merge([other], merged, append=True)
        self.assertIn("dtype differs", str(caught.exception))
        appended = self.path("f16.strata")
        with strata.Writer(appended, ds.metadata) as w:
            w.append("new-id", recs[0]["values"], token_ids=recs[0]["token_ids"])
        self.assertEqual(strata.merge([appended], merged, append=True)["records"], 11)


class CommandLineTests(TempDirTest):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, "-m", "strata", *args], capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": os.path.join(REPO, "python")})

    def test_info_verify_dump(self):
        vectors = os.path.join(REPO, "spec", "vectors")
        info = self.run_cli("info", os.path.join(vectors, "dataset"), "--json")
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertEqual(json.loads(info.stdout)["records"], 3)
        self.assertEqual(self.run_cli("verify", os.path.join(vectors, "f16-many-blocks.strata")).returncode, 0)
        bad = self.run_cli("verify", os.path.join(vectors, "bf16-unsealed.strata"))
        self.assertEqual(bad.returncode, 1)
        self.assertIn("error:", bad.stderr)
        prefix = self.path("dump")
        self.assertEqual(self.run_cli("dump", os.path.join(vectors, "bf16-two-records.strata"), prefix).returncode, 0)
        with open(prefix + ".json") as f:
            dumped = json.load(f)
        self.assertEqual(len(dumped["records"]), 2)
        self.assertEqual(os.path.getsize(prefix + ".bin"), 2 * sum(np.prod(r["shape"]) for r in dumped["records"]))


if __name__ == "__main__":
    unittest.main()
