"""The package against the Swift tool: byte-identical shards for the same inputs and options, Python
writer → `strata verify` → Swift reader → Python reader bit for bit, a SIGKILLed Python writer
recovered by `strata recover`, and the output lock shared with the Swift commands."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import unittest

import numpy as np

from support import (REPO, TempDirTest, has_module, needs_strata, read_bytes, records, requires, run_strata,
                     stored_as_float32)

import strata


def rewrite_with_python(source: str, target: str) -> None:
    """Writes every record of `source` again with strata.Writer, with the source's metadata and codec options."""
    ds = strata.open(source)
    codec = ds.metadata["codec"]
    with strata.Writer(target, ds.metadata, zstd_level=codec["level"], block_target_bytes=codec["block_target_bytes"],
                       layers_per_block=codec.get("layers_per_block")) as w:
        for record in ds:
            w.append(record.id, record.values, token_ids=record.token_ids, labels=record.labels, text=record.text,
                     metadata=record.metadata, aux=record.auxiliary)


@needs_strata
class ByteIdentityTests(TempDirTest):
    def test_the_python_writer_writes_what_strata_synth_writes(self):
        cases = [("bf16", []), ("f16", ["--block-size", "900"]), ("f32", ["--layers-per-block", "2", "--zstd-level", "3"]),
                 ("bf16", ["--block-size", "5000", "--min-tokens", "60", "--max-tokens", "90"])]
        for n, (dtype, options) in enumerate(cases):
            with self.subTest(dtype=dtype, options=options):
                swift = self.path(f"swift-{n}.strata")
                run_strata("synth", "--out", swift, "--records", "6", "--layers", "5", "--hidden", "48", "--dtype", dtype,
                           "--seed", str(n + 1), "--labels", "3", "--id-prefix", "r/é-", "--min-tokens", "1",
                           "--max-tokens", "40", *options)
                python = self.path(f"python-{n}.strata")
                rewrite_with_python(swift, python)
                self.assertEqual(read_bytes(python), read_bytes(swift))


@needs_strata
@requires(has_module("h5py"), "needs h5py (tools/setup --python)")
class RoundTripThroughSwiftTests(TempDirTest):
    def test_python_writer_to_strata_verify_to_swift_reader_to_python_reader(self):
        import h5py
        recs = records(31, 6, 4, 32)
        for dtype in ("bf16", "f16", "f32"):
            with self.subTest(dtype=dtype):
                shard = self.path(f"py-{dtype}.strata")
                with strata.Writer(shard, hidden=32, layers=4, dtype=dtype, auxiliary={"lp": None},
                                   block_target_bytes=600) as w:
                    for r in recs:
                        w.append(r["id"], r["values"], token_ids=r["token_ids"], labels=r["labels"], text=r["text"],
                                 metadata=r["metadata"], aux={"lp": r["values"][0, :, 1]})
                verified = run_strata("verify", shard)
                self.assertIn("6 records", verified.stdout)
                exported = self.path(f"{dtype}.h5")      # the Swift reader decodes every block
                run_strata("export-hdf5", shard, exported, "--compression", "none")
                ds = strata.open(shard)
                with h5py.File(exported, "r") as f:
                    values, offsets = f["hidden_states"][...], f["offsets"][...]
                    ids = [x.decode() if isinstance(x, bytes) else x for x in f["ids"][...]]
                self.assertEqual(ids, [r["id"] for r in recs])
                for i in range(len(recs)):
                    stored = ds.read(i, dtype="stored")
                    np.testing.assert_array_equal(values[:, offsets[i]:offsets[i + 1]].view(stored.dtype), stored)
                back = self.path(f"back-{dtype}.strata")  # the Swift writer, read back here
                run_strata("import-hdf5", exported, back)
                again = strata.open(back)
                for i in range(len(recs)):
                    np.testing.assert_array_equal(again.read(i).view(np.uint32), ds.read(i).view(np.uint32))
                    np.testing.assert_array_equal(again.info(i).token_ids, recs[i]["token_ids"])


@needs_strata
class SwiftShardTests(TempDirTest):
    def test_a_merged_swift_dataset_reads_as_its_shards(self):
        shards = []
        for n, dtype in enumerate(("bf16", "bf16")):
            shards.append(self.path(f"s{n}.strata"))
            run_strata("synth", "--out", shards[-1], "--records", "4", "--layers", "3", "--hidden", "20", "--dtype", dtype,
                       "--seed", str(n), "--id-prefix", f"s{n}-", "--block-size", "300")
        merged = self.path("merged")
        run_strata("merge", *shards, "--out", merged)
        ds = strata.open(merged)
        expected = [(shard.info(i).id, shard.read(i)) for shard in map(strata.open, shards) for i in range(len(shard))]
        self.assertEqual(len(ds), len(expected))
        for i, (record_id, values) in enumerate(expected):
            self.assertEqual(ds.info(i).id, record_id)
            np.testing.assert_array_equal(ds.read(i).view(np.uint32), values.view(np.uint32))
        python_merged = self.path("py-merged")
        strata.merge(shards, python_merged)
        self.assertIn("8 records", run_strata("verify", python_merged).stdout)

    def test_strata_verify_accepts_a_python_dataset_directory(self):
        recs = records(41, 5, 3, 16)
        out = self.path("rolled")
        with strata.DatasetWriter(out, hidden=16, layers=3, dtype="bf16", records_per_shard=2, extra={"src": "a/b"}) as w:
            for r in recs:
                w.append(r["id"], r["values"], token_ids=r["token_ids"], labels=r["labels"], text=r["text"])
        self.assertIn("3 shard(s), 5 records", run_strata("verify", out).stdout)


_KILLED_WRITER = """
import sys
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])
import strata
from support import records
recs = records(77, 400, 12, 256, max_tokens=60)
with strata.Writer(sys.argv[3], hidden=256, layers=12, dtype="bf16", auxiliary={"lp": None}) as w:
    for i, r in enumerate(recs):
        w.append(r["id"], r["values"], token_ids=r["token_ids"], labels=r["labels"], text=r["text"],
                 metadata=r["metadata"], aux={"lp": r["values"][0, :, 0]})
        print(i + 1, flush=True)
"""


@needs_strata
class KilledWriterTests(TempDirTest):
    def test_a_sigkilled_python_writer_is_recovered_by_strata_recover(self):
        recs = records(77, 400, 12, 256, max_tokens=60)
        for kill_after in (1, 4):
            with self.subTest(kill_after=kill_after):
                path = self.path(f"killed-{kill_after}.strata")
                child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, os.path.join(REPO, "python"),
                                          os.path.dirname(os.path.abspath(__file__)), path],
                                         stdout=subprocess.PIPE, text=True)
                committed = 0
                while committed < kill_after:
                    committed = int(child.stdout.readline())
                child.send_signal(signal.SIGKILL)   # mid-write: the writer never pauses between records
                child.wait()
                child.stdout.close()
                self.assertEqual(child.returncode, -signal.SIGKILL)
                with self.assertRaises(strata.StrataError) as caught:
                    strata.open(path)
                self.assertEqual(caught.exception.kind, "unsealed")
                run_strata("recover", path)
                run_strata("verify", path)
                ds = strata.open(path)
                self.assertGreaterEqual(len(ds), committed)        # nothing committed is lost ...
                self.assertLess(len(ds), len(recs))
                for i in range(len(ds)):                           # ... and what is kept is exact
                    want = stored_as_float32(recs[i]["values"], "bf16").reshape(-1)
                    np.testing.assert_array_equal(ds.read(i).reshape(-1).view(np.uint32), want.view(np.uint32))
                    self.assertEqual(ds.info(i).id, recs[i]["id"])
                # The killed writer's lock died with it: a new writer may take the path again.
                strata.Writer(path, ds.metadata, overwrite=True).close()


@needs_strata
class LockInteropTests(TempDirTest):
    def test_swift_commands_are_refused_while_a_python_writer_holds_the_output(self):
        out = self.path("x.strata")
        with strata.Writer(out, hidden=8, layers=2, dtype="f32"):
            refused = run_strata("synth", "--out", out, "--records", "1", "--layers", "2", "--hidden", "8", check=False)
            self.assertNotEqual(refused.returncode, 0)
            self.assertIn(f"pid {os.getpid()}", refused.stderr + refused.stdout)
        directory = self.path("ds")
        with strata.DatasetWriter(directory, hidden=8, layers=2, dtype="f32"):
            refused = run_strata("merge", out, "--out", directory, check=False)
            self.assertNotEqual(refused.returncode, 0)
            self.assertIn(f"pid {os.getpid()}", refused.stderr + refused.stdout)


if __name__ == "__main__":
    unittest.main()
