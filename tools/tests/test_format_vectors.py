"""The spec's test vectors (spec/vectors, FORMAT.md §13) against tools/strata_format.py, the independent
implementation that wrote them: valid vectors decode to their JSON, refused ones fail with the error
kind their JSON names (a dataset whose only fault is a shard's whole-file CRC reads without the
CRC check). The Python package is checked against the same vectors in python/tests/test_reader.py.

Run: python3 -m unittest discover -s tools/tests"""
from __future__ import annotations

import json
import os
import sys
import unittest
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parents[1]
VECTORS = TOOLS.parent / "spec" / "vectors"
sys.path.insert(0, str(TOOLS))

import strata_format as sf  # noqa: E402


class FormatVectorTests(unittest.TestCase):
    def test_every_vector_reads_as_its_json_says(self):
        names = sorted(n for n in os.listdir(VECTORS) if n.endswith(".json"))
        self.assertTrue(any(n.startswith("bad-") for n in names) and "dataset.json" in names, names)
        for name in names:
            with self.subTest(vector=name):
                with open(VECTORS / name, encoding="utf-8") as f:
                    expected = json.load(f)
                path = str(VECTORS / expected["file"])
                read = sf.read_dataset if os.path.isdir(path) else sf.read_shard
                error = expected.get("error") or (None if expected.get("sealed", True) else {"kind": "unsealed"})
                if error is not None:
                    with self.assertRaises(sf.FormatError) as caught:
                        read(path)
                    self.assertEqual(caught.exception.kind, error["kind"], str(caught.exception))
                    if error.get("at") == "verify":
                        read(path, check_crc=False)
                    continue
                metadata, records = read(path)
                self.assertEqual(metadata, expected["metadata"])
                self.assertEqual(len(records), len(expected["records"]))
                for got, want in zip(records, expected["records"]):
                    self.assertEqual((got["id"], got["labels"], got["token_ids"], got["text"], got["metadata"],
                                      got["auxiliary"], got["shape"]),
                                     (want["id"], want["labels"], want["token_ids"], want["text"], want["metadata"],
                                      want["auxiliary"], want["shape"]))
                    np.testing.assert_array_equal(got["values"].ravel().view(np.uint32),
                                                  np.array(want["values"], dtype=np.float32).view(np.uint32))


if __name__ == "__main__":
    unittest.main()
