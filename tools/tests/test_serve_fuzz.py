"""A fuzz pass over `strata serve`'s JSON endpoints: no request may get a 5xx or take the server down.

With schemathesis installed (pip install schemathesis) it runs against the server's own /openapi.json
(check: not_a_server_error, seeded). Without it, a seeded random-JSON fuzzer sends mutated valid bodies
(fields dropped, retyped, replaced by extreme or odd values, nested junk) and raw byte garbage to every
JSON endpoint. Either way every 4xx must be OpenAI's error object, and the server must still answer
/health afterwards. The server runs a synthetic model (milliseconds per request)."""
from __future__ import annotations

import http.client
import json
import random
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_support import Server, strata_binary, synthetic_model  # noqa: E402

import os
CI = os.environ.get("CI") == "true"

VALID = {
    "/v1/chat/completions": {"model": "m", "messages": [{"role": "user", "content": "the cat"}], "max_tokens": 3},
    "/v1/completions": {"model": "m", "prompt": "the cat", "max_tokens": 3},
    "/v1/classify": {"texts": ["the cat", "a dog"], "probes": ["topic"]},
    "/v1/hidden-states": {"text": "the cat", "layers": [0, 2], "pooling": "mean"},
}
ODD_VALUES = [None, True, False, 0, -1, 1, 2**31, -2**63, 2**64, 1e308, -1e-308, float("nan"), "", "x" * 5000,
              "\u0000", "\ud7ff\ue000", "😀" * 50, [], [None], [[]], {}, {"a": {"b": {"c": []}}}, [1, 2, 3] * 100,
              "none", "mean", "last", "float32", "bfloat16", "user", "system", "assistant"]


def mutate(value, rng: random.Random, depth: int = 0):
    """One random change somewhere inside a JSON value."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        changed = dict(value)
        roll = rng.random()
        if roll < 0.2:
            del changed[key]
        elif roll < 0.3:
            changed[rng.choice(["stream", "n", "temperature", "top_k", "seed", "dtype", "extra"])] = rng.choice(ODD_VALUES)
        elif roll < 0.6 and depth < 4:
            changed[key] = mutate(value[key], rng, depth + 1)
        else:
            changed[key] = rng.choice(ODD_VALUES)
        return changed
    if isinstance(value, list) and value and rng.random() < 0.8:
        index = rng.randrange(len(value))
        changed = list(value)
        if rng.random() < 0.5 and depth < 4:
            changed[index] = mutate(value[index], rng, depth + 1)
        else:
            changed[index] = rng.choice(ODD_VALUES)
        return changed
    return rng.choice(ODD_VALUES)


def garbage(rng: random.Random) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
    if kind == 1:
        return b"[" * rng.randrange(1, 5000)
    if kind == 2:
        text = json.dumps(rng.choice(list(VALID.values())))
        cut = rng.randrange(len(text))
        return text[:cut].encode()
    return b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}'


@unittest.skipIf(not strata_binary() and not CI, "needs the strata binary (swift build, or STRATA_BIN)")
class ServeFuzzTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not strata_binary():
            raise AssertionError("CI=true but the test cannot run: needs the strata binary")
        cls.tmp = tempfile.TemporaryDirectory(prefix="strata-serve-fuzz-")
        model, probe = synthetic_model(cls.tmp.name)
        cls.server = Server(model, "--probe", f"topic={probe}", "--guard", probe, "--max-body-bytes", "65536",
                            "--max-completion-tokens", "8")
        url = urlparse(cls.server.url)
        cls.host, cls.port = url.hostname, url.port

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "server"):
            cls.server.stop()
        cls.tmp.cleanup()

    def send(self, path: str, body: bytes):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            connection.request("POST", path, body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def test_random_bodies_never_get_a_server_error(self):
        rng = random.Random(20261202)
        statuses = {}
        for i in range(600):
            path = rng.choice(list(VALID))
            if i % 5 == 4:
                body = garbage(rng)
            else:
                value = VALID[path]
                for _ in range(rng.randrange(1, 4)):
                    value = mutate(value, rng)
                body = json.dumps(value, allow_nan=True).encode()
            status, payload = self.send(path, body)
            statuses[status] = statuses.get(status, 0) + 1
            self.assertLess(status, 500, f"{path} {body[:300]!r} -> {status} {payload[:300]!r}")
            if status >= 400:
                error = json.loads(payload)["error"]
                self.assertIsInstance(error["message"], str)
        self.assertGreater(statuses.get(200, 0), 0, statuses)
        self.assertGreater(sum(v for k, v in statuses.items() if 400 <= k < 500), 0, statuses)
        self.assertEqual(self.send("/v1/classify", json.dumps(VALID["/v1/classify"]).encode())[0], 200)

    @unittest.skipIf(shutil.which("schemathesis") is None, "schemathesis not installed (pip install schemathesis)")
    def test_schemathesis_finds_no_server_error(self):
        result = subprocess.run(
            ["schemathesis", "run", f"http://{self.host}:{self.port}/openapi.json", "--checks", "not_a_server_error",
             "--max-examples", "20", "--seed", "1", "--request-timeout", "120"],
            capture_output=True, text=True, timeout=1800)
        self.assertEqual(result.returncode, 0, result.stdout[-4000:] + result.stderr[-2000:])


if __name__ == "__main__":
    unittest.main()
