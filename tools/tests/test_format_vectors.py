"""The spec's test vectors (spec/vectors, FORMAT.md §13) are what their generator writes: running
spec/vectors/generate.py into an empty folder reproduces every committed vector and JSON byte for byte, so
the committed files are the generator's and the Python package's encoding has not drifted from them.
The vectors themselves are checked by the Swift reader (Tests/StrataTests/VectorTests.swift) and by the
Python package's reader (python/tests/test_reader.py).

Run: python3 -m unittest discover -s tools/tests"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"


def files_under(root: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every vector file (not the generator's own .py files or caches)."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not relative.endswith(".py") and "__pycache__" not in relative:
            found[relative] = path.read_bytes()
    return found


class FormatVectorTests(unittest.TestCase):
    def test_the_generator_reproduces_the_committed_vectors(self):
        committed = files_under(VECTORS)
        self.assertTrue(any(n.startswith("bad-") for n in committed) and "dataset.json" in committed, sorted(committed))
        with tempfile.TemporaryDirectory(prefix="vectors-") as out:
            done = subprocess.run([sys.executable, "-B", str(VECTORS / "generate.py"), out], capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            generated = files_under(Path(out))
        self.assertEqual(sorted(generated), sorted(committed))
        for name, data in committed.items():
            with self.subTest(vector=name):
                self.assertEqual(generated[name], data, f"spec/vectors/{name} differs from what generate.py writes")


if __name__ == "__main__":
    unittest.main()
