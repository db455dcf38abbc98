"""The short version of the server's load test (benchmarks/serve_load.py): 1 and 4 clients for 5 s each
get only 200s, and 8 clients against --queue-limit 2 get 200s and 429s with Retry-After, never a 5xx,
a dropped connection or a timeout; the server exits 0 on SIGTERM. Synthetic model (behaviour, not speed)."""
from __future__ import annotations

import os
import sys
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_support import strata_binary  # noqa: E402
import serve_load  # noqa: E402

CI = os.environ.get("CI") == "true"


@unittest.skipIf(not strata_binary() and not CI, "needs the strata binary (swift build, or STRATA_BIN)")
class ServeLoadTests(unittest.TestCase):
    def test_short_load_below_and_above_the_queue_limit(self):
        self.assertEqual(serve_load.main(["--synthetic", "--seconds", "5", "--clients", "1,4",
                                          "--overload-clients", "8", "--overload-queue-limit", "2"]), 0)


if __name__ == "__main__":
    unittest.main()
