"""The reader against the spec's test vectors (spec/vectors: their JSON gives the values written, or the
error a reader must report; the Swift reader checks the same files), against corrupted copies of them,
and against the strict rules."""
from __future__ import annotations

import json
import os
import shutil
import unittest

import numpy as np

from support import VECTORS, TempDirTest, read_bytes, write_bytes

import strata


def vector_names():
    return sorted(n for n in os.listdir(VECTORS) if n.endswith(".json"))


class VectorTests(unittest.TestCase):
    def test_every_vector_reads_or_is_refused_as_its_json_says(self):
        names = vector_names()
        self.assertTrue(any(n.startswith("bad-") for n in names) and "payload-forms.strata.json" in names, names)
        for name in names:
            with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
                expected = json.load(f)
            path = os.path.join(VECTORS, expected["file"])
            error = expected.get("error") or (None if expected.get("sealed", True) else {"kind": "unsealed", "at": "open"})
            with self.subTest(vector=name):
                if error is None:
                    self.check_decodes(path, expected)
                else:
                    self.check_refused(path, error)

    def check_refused(self, path, error):
        """`open`: opening fails; `read`: only record `record` fails, with the kind named; `verify`:
        everything reads and only the whole-file check fails."""
        if error["at"] == "open":
            with self.assertRaises(strata.StrataError) as caught:
                strata.open(path)
            self.assertEqual(caught.exception.kind, error["kind"], str(caught.exception))
            self.assertIsNotNone(caught.exception.path)
            return
        with strata.open(path) as ds:
            for i in range(len(ds)):
                if error["at"] == "read" and i == error["record"]:
                    with self.assertRaises(strata.StrataError) as caught:
                        ds.info(i), ds.read(i)
                    self.assertEqual((caught.exception.kind, caught.exception.record), (error["kind"], i),
                                     str(caught.exception))
                else:
                    ds.info(i), ds.read(i)
            if error["at"] == "verify":
                with self.assertRaises(strata.StrataError) as caught:
                    ds.verify()
                self.assertEqual(caught.exception.kind, error["kind"], str(caught.exception))

    def check_decodes(self, path, expected):
        ds = strata.open(path)
        self.assertEqual(ds.verify()["records"], len(expected["records"]))
        self.assertEqual(ds.metadata, expected["metadata"])
        self.assertEqual(len(ds), len(expected["records"]))
        for i, r in enumerate(expected["records"]):
            record = ds[i]
            self.assertEqual((record.id, record.labels, record.token_ids.tolist(), record.text, record.metadata),
                             (r["id"], r["labels"], r["token_ids"], r["text"], r["metadata"]))
            self.assertEqual(list(record.shape), r["shape"])
            self.assertEqual(record.label, r["labels"][0] if r["labels"] else None)
            want = np.array(r["values"], dtype=np.float32).reshape(r["shape"])
            np.testing.assert_array_equal(record.values.view(np.uint32), want.view(np.uint32))
            self.assertEqual(sorted(record.auxiliary), sorted(r["auxiliary"]))
            for aux_name, vector in r["auxiliary"].items():
                np.testing.assert_array_equal(record.auxiliary[aux_name], np.array(vector, dtype=np.float32))
            L, T, _ = r["shape"]
            if L > 1 and T > 1:
                part = ds.read(i, layers=[-1, 0], tokens=range(1, T))
                np.testing.assert_array_equal(part.view(np.uint32), want[[-1, 0], 1:].view(np.uint32))
                single = ds.read(i, layers=1, tokens=slice(1, 2))
                self.assertEqual(single.shape, (1, want.shape[2]))
                np.testing.assert_array_equal(single, want[1, 1:2])
            if ds.dtype == "q8":   # lossy: float32 reconstructions only
                with self.assertRaises(ValueError):
                    ds.read(i, dtype="stored")
                continue
            stored = ds.read(i, dtype="stored")
            widened = ((stored.astype(np.uint32) << 16).view(np.float32) if ds.dtype == "bf16"
                       else stored.astype(np.float32))
            np.testing.assert_array_equal(widened.view(np.uint32), want.view(np.uint32))

    def test_a_format_10_reader_refuses_q8_saying_why(self):
        """spec/FORMAT.md §12: q8 is format 1.1; read as a 1.0 reader, it is refused as a newer format."""
        path = os.path.join(VECTORS, "q8-outliers.strata")
        with self.assertRaises(strata.StrataError) as caught:
            strata.Shard(path, reader_minor=0)
        self.assertEqual(caught.exception.kind, "notAShard")
        self.assertIn('"q8" (format 1.1)', str(caught.exception))
        self.assertIn("format 1.0", str(caught.exception))
        self.assertTrue(strata.Shard(path).lossy and strata.open(path).lossy)
        self.assertFalse(strata.open(os.path.join(VECTORS, "bf16-two-records.strata")).lossy)
        self.assertEqual(strata.Shard(os.path.join(VECTORS, "bf16-two-records.strata"), reader_minor=0).version, (1, 0))

    def test_dataset_views_agree(self):
        ds = strata.open(os.path.join(VECTORS, "dataset"))
        ids = [record.id for record in ds]
        self.assertEqual(ids, [ds.info(i).id for i in range(len(ds))])
        self.assertEqual([r.id for r in ds[1:]], ids[1:])
        self.assertEqual(ds[-1].id, ids[-1])
        self.assertEqual(ds.info(-1).index, len(ds) - 1)
        with self.assertRaises(IndexError):
            ds.read(len(ds))
        with self.assertRaises(IndexError):
            ds.read(0, layers=[len(ds.layers)])
        one = next(ds.records(layers=[-1]))
        np.testing.assert_array_equal(one.values[0], ds.read(0)[-1])
        out = np.empty(ds.info(0).shape, dtype=np.float32)
        self.assertTrue(np.shares_memory(ds.read(0, out=out), out))
        np.testing.assert_array_equal(out, ds.read(0))


class CorruptionTests(TempDirTest):
    def test_every_flipped_byte_is_refused(self):
        """Every byte of a sealed shard is covered by a checksum: a flip is reported, never returned."""
        source = os.path.join(VECTORS, "f16-many-blocks.strata")
        original = read_bytes(source)
        path = self.path("x.strata")
        for position in range(len(original)):
            damaged = bytearray(original)
            damaged[position] ^= 0x5A
            write_bytes(path, bytes(damaged))
            with self.subTest(position=position):
                with self.assertRaises(strata.StrataError) as caught:
                    strata.open(path).verify()
                self.assertEqual(caught.exception.path, path)

    def test_a_damaged_payload_names_record_block_and_offset(self):
        source = os.path.join(VECTORS, "bf16-two-records.strata")
        ds = strata.open(source)
        entry = ds.shards[0].entry(1)
        offset = int(entry.blocks["offset"][1])
        damaged = bytearray(read_bytes(source))
        damaged[offset + 72] ^= 1
        path = self.path("y.strata")
        write_bytes(path, bytes(damaged))
        reader = strata.open(path)
        np.testing.assert_array_equal(reader.read(0), ds.read(0))   # other records still read
        with self.assertRaises(strata.StrataError) as caught:
            reader.read(1)
        error = caught.exception
        self.assertEqual((error.kind, error.path, error.record, error.record_id, error.block, error.offset),
                         ("corrupt", path, 1, entry.id, 1, offset))
        self.assertIn("payload checksum", str(error))
        # A read of other layers or tokens does not touch the damaged block.
        layers, tokens = int(entry.blocks["layer_start"][0]), int(entry.blocks["token_count"][0])
        reader.read(1, layers=[layers], tokens=range(0, tokens))


class ZstdFrameRuleTests(TempDirTest):
    """A zstd payload is exactly one frame (spec §5); the refused vectors cover the other frame rules."""

    def test_a_frame_followed_by_a_byte_is_refused(self):
        from strata.codec import PlaneCompressor
        original = PlaneCompressor.compress
        path = self.path("trailing.strata")
        PlaneCompressor.compress = lambda self, planes: original(self, planes) + b"\x00"   # checksums stay consistent
        try:
            with strata.Writer(path, hidden=64, layers=1, dtype="f32") as w:
                w.append("a", np.zeros((1, 4, 64), dtype=np.float32), token_ids=range(4))
        finally:
            PlaneCompressor.compress = original
        ds = strata.open(path)
        self.assertEqual(ds.shards[0].entry(0).blocks["stored_size"][0] > 0, True)
        with self.assertRaises(strata.StrataError) as caught:
            ds.read(0)
        self.assertEqual((caught.exception.kind, caught.exception.record, caught.exception.block), ("corrupt", 0, 0))
        self.assertIn("zstd frame size does not match", str(caught.exception))


class DatasetRuleTests(TempDirTest):
    def copy_dataset(self) -> str:
        target = self.path("ds")
        shutil.copytree(os.path.join(VECTORS, "dataset"), target)
        return target

    def edit_manifest(self, directory: str, change) -> None:
        path = os.path.join(directory, "manifest.json")
        with open(path) as f:
            manifest = json.load(f)
        change(manifest)
        with open(path, "w") as f:
            json.dump(manifest, f)

    def test_shard_path_escaping_the_directory_is_refused(self):
        target = self.copy_dataset()
        self.edit_manifest(target, lambda m: m["shards"][0].update(path="../dataset/" + m["shards"][0]["path"]))
        with self.assertRaises(strata.StrataError) as caught:
            strata.open(target)
        self.assertIn("'..'", str(caught.exception))
        self.assertTrue(caught.exception.path.endswith("manifest.json"))

    def test_manifest_size_and_crc_must_match(self):
        target = self.copy_dataset()
        self.edit_manifest(target, lambda m: m["shards"][0].update(bytes=m["shards"][0]["bytes"] + 1))
        with self.assertRaises(strata.StrataError) as caught:
            strata.open(target)
        self.assertIn("bytes but the manifest's shards[0] says", str(caught.exception))
        target2 = self.path("ds2")
        shutil.copytree(os.path.join(VECTORS, "dataset"), target2)
        self.edit_manifest(target2, lambda m: m["shards"][1].update(crc32c="00000000"))
        ds = strata.open(target2)           # opening reads no whole file ...
        with self.assertRaises(strata.StrataError) as caught:
            ds.verify()                     # ... verify checks every byte against the manifest
        self.assertIn("CRC32C", str(caught.exception))

    def test_the_same_file_twice_is_refused(self):
        def list_twice(manifest):
            first = manifest["shards"][0]
            manifest["shards"].append(dict(first, path="./" + first["path"]))
            manifest["records"] += first["records"]
        target = self.copy_dataset()
        self.edit_manifest(target, list_twice)
        with self.assertRaises(strata.StrataError) as caught:
            strata.open(target)
        self.assertEqual(caught.exception.kind, "dataset")
        self.assertIn("same shard file twice", str(caught.exception))

    def test_an_id_in_two_shards_is_refused(self):
        from strata.manifest import manifest_entry, write_manifest
        target = self.path("dup")
        os.mkdir(target)
        for name in ("a.strata", "b.strata"):
            with strata.Writer(os.path.join(target, name), hidden=4, layers=1, dtype="f32") as w:
                w.append(f"unique-{name}", np.ones((1, 1, 4)), token_ids=[1])
                w.append("shared", np.ones((1, 2, 4)), token_ids=[1, 2])
        metadata = strata.open(os.path.join(target, "a.strata")).metadata
        write_manifest(target, metadata, [manifest_entry(target, n, 2) for n in ("a.strata", "b.strata")])
        with self.assertRaises(strata.StrataError) as caught:
            strata.open(target)
        self.assertEqual(caught.exception.kind, "dataset")
        self.assertIn('record id "shared" occurs twice', str(caught.exception))
        self.assertIn("a.strata record 1", str(caught.exception))

    def test_a_fifo_is_refused_without_blocking(self):
        fifo = self.path("pipe.strata")
        os.mkfifo(fifo)
        with self.assertRaises(strata.StrataError) as caught:
            strata.open(fifo)
        self.assertIn("not a regular file", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
