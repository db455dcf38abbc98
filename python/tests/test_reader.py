"""The reader against the spec's test vectors (written by tools/strata_format.py, an independent
implementation of spec/FORMAT.md), against corrupted copies of them, and against the strict rules."""
from __future__ import annotations

import json
import os
import shutil
import struct
import unittest

import numpy as np

from support import VECTORS, TempDirTest, read_bytes, write_bytes

import strata
from strata.checksum import crc32c


def vector_names():
    return sorted(n for n in os.listdir(VECTORS) if n.endswith(".json"))


class VectorTests(unittest.TestCase):
    def test_every_vector_decodes_to_its_json(self):
        names = vector_names()
        self.assertGreaterEqual(len(names), 5)
        for name in names:
            with open(os.path.join(VECTORS, name)) as f:
                expected = json.load(f)
            path = os.path.join(VECTORS, expected["file"])
            with self.subTest(vector=name):
                if not expected.get("sealed", True):
                    with self.assertRaises(strata.StrataError) as caught:
                        strata.open(path)
                    self.assertEqual(caught.exception.kind, "unsealed")
                    self.assertIn("strata recover", str(caught.exception))
                    continue
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
                    for aux_name, vector in r["auxiliary"].items():
                        np.testing.assert_array_equal(record.auxiliary[aux_name], np.array(vector, dtype=np.float32))
                    L, T, _ = r["shape"]
                    if L > 1 and T > 1:
                        part = ds.read(i, layers=[-1, 0], tokens=range(1, T))
                        np.testing.assert_array_equal(part.view(np.uint32), want[[-1, 0], 1:].view(np.uint32))
                        single = ds.read(i, layers=1, tokens=slice(1, 2))
                        self.assertEqual(single.shape, (1, want.shape[2]))
                        np.testing.assert_array_equal(single, want[1, 1:2])
                    stored = ds.read(i, dtype="stored")
                    widened = ((stored.astype(np.uint32) << 16).view(np.float32) if ds.dtype == "bf16"
                               else stored.astype(np.float32))
                    np.testing.assert_array_equal(widened.view(np.uint32), want.view(np.uint32))

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


def _reseal_block_header(data: bytearray, offset: int) -> None:
    data[offset + 68:offset + 72] = struct.pack("<I", crc32c(bytes(data[offset:offset + 68])))


class StrictRuleTests(TempDirTest):
    """Where the spec could be read loosely, the reader takes the strict reading."""

    def setUp(self):
        super().setUp()
        self.source = os.path.join(VECTORS, "bf16-two-records.strata")
        self.data = bytearray(read_bytes(self.source))
        self.entry = strata.open(self.source).shards[0].entry(0)

    def refused(self, data: bytes, fragment: str) -> None:
        path = self.path("z.strata")
        write_bytes(path, data)
        with self.assertRaises(strata.StrataError) as caught:
            strata.open(path).verify()
        self.assertIn(fragment, str(caught.exception))

    def test_nonzero_reserved_block_byte(self):
        offset = int(self.entry.blocks["offset"][0])
        self.data[offset + 47] = 1
        _reseal_block_header(self.data, offset)
        self.refused(bytes(self.data), "reserved")

    def test_nonzero_trailer_reserved_field(self):
        n = len(self.data)
        self.data[n - 8:n - 4] = struct.pack("<I", 1)
        self.data[n - 4:] = struct.pack("<I", crc32c(bytes(self.data[n - 32:n - 4])))
        self.refused(bytes(self.data), "reserved")

    def test_zstd_frame_with_trailing_bytes(self):
        """A payload must be exactly one frame: a byte appended after it (CRCs fixed) is refused."""
        from strata_format import Writer  # the independent reference writer
        import zstandard
        path = self.path("w.strata")
        meta = {"hidden": 4, "layers": [{"index": 0, "kind": "embedding"}], "dtype": "f32"}
        writer = Writer(path, meta)
        writer.append({"id": "a", "labels": [], "token_ids": [1], "text": None},
                      np.ones((1, 1, 4), dtype=np.float32), [(0, 1, 0, 1)])
        writer.close()
        data = bytearray(read_bytes(path))
        reader = strata.open(path)
        block = int(reader.shards[0].entry(0).blocks["offset"][0])
        stored = struct.unpack_from("<Q", data, block + 56)[0]
        frame = bytes(data[block + 72:block + 72 + stored])
        self.assertEqual(zstandard.get_frame_parameters(frame).content_size, 16)
        self.refused_frame(frame + b"\x00", meta)

    def refused_frame(self, frame: bytes, meta: dict) -> None:
        """Writes, with the reference writer, a shard whose only block carries `frame` (checksums
        consistent), and expects the reader to refuse the frame."""
        import strata_format

        class FixedCompressor:
            def __init__(self, **options):
                pass

            def compress(self, raw):
                return frame
        path = self.path("f.strata")
        writer = strata_format.Writer(path, meta)
        saved = strata_format.zstandard.ZstdCompressor
        strata_format.zstandard.ZstdCompressor = FixedCompressor
        try:
            writer.append({"id": "a", "labels": [], "token_ids": [1], "text": None},
                          np.ones((1, 1, 4), dtype=np.float32), [(0, 1, 0, 1)])
        finally:
            strata_format.zstandard.ZstdCompressor = saved
        writer.close()
        with self.assertRaises(strata.StrataError) as caught:
            strata.open(path).read(0)
        self.assertIn("zstd frame", str(caught.exception))

    def test_gap_between_records_is_refused(self):
        """No bytes may sit between structures: a record entry moved later by one byte is refused."""
        rows_offset = struct.unpack_from("<Q", self.data, len(self.data) - 24)[0]
        index = bytes(self.data[rows_offset:])
        body = bytes(self.data[:rows_offset])
        first_entry = struct.unpack_from("<Q", index, 32)[0]
        # Insert one zero byte before record 0's entry and shift every later offset in the index.
        patched = body[:first_entry] + b"\x00" + body[first_entry:]
        rows = bytearray(index[32:32 + 32 * 2])
        for r in range(2):
            off = struct.unpack_from("<Q", rows, 32 * r)[0]
            struct.pack_into("<Q", rows, 32 * r, off + 1)
        header = bytearray(index[:32])
        struct.pack_into("<I", header, 24, crc32c(bytes(rows)))
        struct.pack_into("<I", header, 28, crc32c(bytes(header[:28])))
        trailer = bytearray(index[-32:])
        struct.pack_into("<Q", trailer, 8, rows_offset + 1)
        struct.pack_into("<I", trailer, 28, crc32c(bytes(trailer[:28])))
        self.refused(patched + bytes(header) + bytes(rows) + bytes(trailer), "unaccounted")


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
        self.assertIn("bytes but the manifest says", str(caught.exception))
        target2 = self.path("ds2")
        shutil.copytree(os.path.join(VECTORS, "dataset"), target2)
        self.edit_manifest(target2, lambda m: m["shards"][1].update(crc32c="00000000"))
        ds = strata.open(target2)           # opening reads no whole file ...
        with self.assertRaises(strata.StrataError) as caught:
            ds.verify()                     # ... verify checks every byte against the manifest
        self.assertIn("CRC32C", str(caught.exception))

    def test_a_fifo_is_refused_without_blocking(self):
        fifo = self.path("pipe.strata")
        os.mkfifo(fifo)
        with self.assertRaises(strata.StrataError) as caught:
            strata.open(fifo)
        self.assertIn("not a regular file", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
