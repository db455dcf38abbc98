"""The light version of checks/check_sklearn_pooling.py on real hidden states: SmolLM2-135M states of
600 / 200 / 300 Rotten Tomatoes reviews (a fixed hash-chosen subset of the committed splits, 7 of
the 31 hidden states), captured here; scikit-learn logistic regression (C chosen on validation) on
the `strata features` output must match the pooling probe's mean test accuracy over 3 seeds within
1 point or 2 standard errors of the paired accuracy difference (about 3.6 points at 300 test
reviews), and the two must agree on most test predictions.

Run: python3 -m unittest discover -s checks   (after tools/fetch-data; not part of tools/test)

Needs a release build (a debug `strata capture` takes ~2.6 s per review, so capturing in debug
is not light): with STRATA_BIN set it uses that binary; with a .build/release folder present it
brings it up to date (`swift build -c release --product strata`, incremental); otherwise the test
is skipped and says so. Also needs the model (strata fetch-model smollm2) and the Rotten Tomatoes
splits (tools/fetch-data --sets rotten_tomatoes); skipped without them. About 2 minutes on 2 cores.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

CHECKS = Path(__file__).resolve().parent
REPO = CHECKS.parent
sys.path.insert(0, str(REPO / "datasets"))
from strata_data.splitting import hashed_subset  # noqa: E402

HOME = Path(os.environ.get("STRATA_HOME", Path.home() / ".cache" / "strata"))
MODEL = HOME / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
DATA = HOME / "data" / "rotten_tomatoes"
SIZES = {"train": 600, "val": 200, "test": 300}
LAYERS = "0,5,10,15,20,25,30"


def strata_binary() -> tuple[str | None, str]:
    """The release `strata` to use, or None and why not."""
    if os.environ.get("STRATA_BIN"):
        return os.environ["STRATA_BIN"], ""
    if not (REPO / ".build" / "release").is_dir():
        return None, "no release build (run `swift build -c release` to enable this check)"
    done = subprocess.run(["swift", "build", "-c", "release", "--product", "strata", "--package-path", str(REPO)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError("swift build -c release failed:\n" + done.stdout[-3000:] + done.stderr[-3000:])
    return str(REPO / ".build" / "release" / "strata"), ""


class SklearnPoolingCheck(unittest.TestCase):
    def test_logistic_regression_matches_the_pooling_probe_on_real_states(self):
        missing = [str(p) for p in [MODEL] + [DATA / f"{s}.jsonl" for s in SIZES] if not p.exists()]
        if missing:
            self.skipTest("needs the model and Rotten Tomatoes splits (strata fetch-model smollm2; tools/fetch-data "
                          "--sets rotten_tomatoes); missing: " + ", ".join(missing))
        strata, why = strata_binary()
        if strata is None:
            self.skipTest(why)
        with tempfile.TemporaryDirectory(prefix="strata-sklearn-pooling-") as tmp:
            work = Path(tmp)
            for split, n in SIZES.items():
                hashed_subset(DATA / f"{split}.jsonl", work / f"{split}.jsonl", n)
                subprocess.run([strata, "capture", "--model", str(MODEL), "--input", str(work / f"{split}.jsonl"),
                                "--out", str(work / split), "--layers", LAYERS, "--dtype", "bf16"],
                               check=True, capture_output=True)
            result = work / "result.json"
            done = subprocess.run([sys.executable, str(CHECKS / "check_sklearn_pooling.py"), "--strata", strata,
                                   "--train", str(work / "train"), "--val", str(work / "val"), "--test", str(work / "test"),
                                   "--work", str(work / "check"), "--json", str(result), "--se-bound", "2"],
                                  capture_output=True, text=True)
            self.assertTrue(result.exists(), done.stdout + done.stderr)
            r = json.loads(result.read_text())
            self.assertEqual(r["records"], SIZES)
            self.assertTrue(r["ok"], done.stdout)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            # The same linear model on the same features: most test predictions agree.
            self.assertGreaterEqual(r["pooling_probe"]["vs_tuned_lr"]["agreement"], 0.8, done.stdout)


if __name__ == "__main__":
    unittest.main()
