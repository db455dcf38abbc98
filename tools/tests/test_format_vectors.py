"""The spec's test vectors (spec/vectors, FORMAT.md §13) against both Python readers,
tools/strata_reader.py and tools/strata_format.py: valid vectors decode to their JSON, refused ones
fail with the error kind their JSON names, when it says. The checks live in tools/test_strata_reader.py
(which the Swift HDF5 tests run as a script); this runs them under unittest, one subtest per vector.

Run: python3 -m unittest discover -s tools/tests"""
from __future__ import annotations

import os
import sys
import unittest
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS))

import test_strata_reader as vectors  # noqa: E402


class FormatVectorTests(unittest.TestCase):
    def setUp(self):
        self.previous = os.getcwd()
        os.chdir(TOOLS.parent)      # the vector paths are relative to the repository root
        self.addCleanup(os.chdir, self.previous)

    def test_every_vector_reads_as_its_json_says(self):
        names = vectors.vector_names()
        self.assertTrue(any(n.startswith("bad-") for n in names) and "dataset.json" in names, names)
        for name in names:
            with self.subTest(vector=name):
                vectors.check_vector(name)


if __name__ == "__main__":
    unittest.main()
