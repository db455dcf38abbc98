"""Shared helpers of the package's tests: where the repository and the `strata` binary are, and a
requirement decorator that skips with a stated reason — except under CI=true, where it fails."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest
from typing import Callable, List

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
VECTORS = os.path.join(REPO, "spec", "vectors")
sys.path.insert(0, os.path.join(REPO, "python"))   # the package under test, installed or not

CI = os.environ.get("CI") == "true"


def strata_binary() -> str:
    """The Swift `strata` tool: $STRATA_BIN, else the repository's debug then release build; '' if none."""
    for candidate in (os.environ.get("STRATA_BIN", ""), os.path.join(REPO, ".build", "debug", "strata"),
                      os.path.join(REPO, ".build", "release", "strata")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return ""


def requires(condition: bool, reason: str) -> Callable:
    """Skips the test (class) with `reason` when `condition` is false; under CI=true it runs and fails."""
    if condition:
        return lambda target: target
    if CI:
        def failing(target):
            if isinstance(target, type):
                def setUpClass(cls):
                    raise AssertionError(f"CI=true but the test cannot run: {reason}")
                target.setUpClass = classmethod(setUpClass)
                return target

            def test(*args, **kwargs):
                raise AssertionError(f"CI=true but the test cannot run: {reason}")
            return test
        return failing
    return unittest.skip(reason)


needs_strata = requires(bool(strata_binary()), "needs the strata binary (swift build, or STRATA_BIN)")


def stored_as_float32(values: np.ndarray, dtype: str) -> np.ndarray:
    """float32 values as a ``dtype`` shard returns them (spec/FORMAT.md §5: round to nearest even), computed
    here without the package's conversion: f16 by numpy's cast; bf16 by rounding each significand to 8 bits
    with ``np.rint`` (ties to even) in float64. Exact for normal numbers, zeros, infinities and NaN (a quiet
    NaN), which is what the tests write."""
    v = np.asarray(values, dtype=np.float32)
    if dtype == "f32":
        return v.copy()
    if dtype == "f16":
        with np.errstate(over="ignore"):
            return v.astype(np.float16).astype(np.float32)
    significand, exponent = np.frexp(v.astype(np.float64))
    with np.errstate(over="ignore", invalid="ignore"):
        return np.ldexp(np.rint(significand * 256.0), exponent - 8).astype(np.float32)


def has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def run_strata(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([strata_binary(), *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"strata {' '.join(args)} failed ({result.returncode}): {result.stderr}{result.stdout}")
    return result


class TempDirTest(unittest.TestCase):
    """A test case with a fresh temporary directory `self.dir`, removed afterwards."""

    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="strata-pytest-")
        self.dir = self._tmp.name

    def tearDown(self) -> None:
        self._tmp.cleanup()

    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)


def residual_like(rng: np.random.Generator, layers: int, tokens: int, hidden: int) -> np.ndarray:
    """Seeded float32 values shaped like a residual stream: scale growing with depth, one outlier channel."""
    scale = np.linspace(0.05, 4.0, layers, dtype=np.float32)[:, None, None]
    values = rng.standard_normal((layers, tokens, hidden)).astype(np.float32) * scale
    values[2:, :1, hidden // 3] = 26000.0
    return values


def records(seed: int, count: int, layers: int, hidden: int, max_tokens: int = 40) -> List[dict]:
    """Deterministic test records: id, values, token ids, labels, text, metadata."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        tokens = int(rng.integers(1, max_tokens + 1))
        out.append({"id": f"rec-{i}/é", "values": residual_like(rng, layers, tokens, hidden),
                    "token_ids": rng.integers(0, 49152, tokens).astype(np.int32), "labels": [i % 3, 7][: 1 + i % 2],
                    "text": None if i % 4 == 3 else f"text {i} — naïve",
                    "metadata": {"source": "test", "row": str(i)} if i % 2 else {}})
    return out


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
