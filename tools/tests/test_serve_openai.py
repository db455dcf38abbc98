"""`strata serve` against the official `openai` Python client, with the real model (SmolLM2-135M).

Every answer is checked against an independent path: the same prompt through `strata generate`,
`strata classify` and `strata hidden` (the command-line tools, no server), and the guard's verdicts
against `strata classify`. The guard is trained here on the committed safety sample.

Run: python3 -m unittest discover -s tools/tests   (needs the strata binary, the cached model and `openai`)"""
from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_support import REPO, Server, real_model, run_strata, strata_binary  # noqa: E402

try:
    import openai
except ImportError:  # pragma: no cover - reported by the skip below
    openai = None

CI = os.environ.get("CI") == "true"
MISSING = [what for what, ok in (("the strata binary", strata_binary()), ("the real model (strata fetch-model smollm2)",
                                                                          real_model()),
                                 ("the openai package (tools/setup --python)", openai)) if not ok]


def post(url: str, body, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@unittest.skipIf(MISSING and not CI, "needs " + ", ".join(MISSING))
class ServeOpenAITests(unittest.TestCase):
    LAYERS = "6,18,30"

    @classmethod
    def setUpClass(cls):
        if MISSING:
            raise AssertionError("CI=true but the test cannot run: needs " + ", ".join(MISSING))
        cls.tmp = tempfile.TemporaryDirectory(prefix="strata-serve-test-")
        cls.model = real_model()
        # The 4 shortest prompts of each label in the committed safety sample (a debug build captures slowly).
        rows = [json.loads(line) for line in (REPO / "samples" / "safety_sample.jsonl").read_text().splitlines()]
        chosen = [row for label in (0, 1) for row in sorted((r for r in rows if r["label"] == label),
                                                              key=lambda r: len(r["text"]))[:4]]
        samples = Path(cls.tmp.name) / "safety.jsonl"
        samples.write_text("".join(json.dumps(row) + "\n" for row in chosen))
        data = os.path.join(cls.tmp.name, "safety")
        cls.guard = os.path.join(cls.tmp.name, "guard.probe")
        run_strata("capture", "--model", cls.model, "--input", str(samples), "--out", data, "--chat-template",
                   "--layers", cls.LAYERS, "--dtype", "f32", "--progress-interval", "0")
        run_strata("train", "--data", data, "--probe", "pooling", "--out", cls.guard, "--epochs", "30",
                   "--val-fraction", "0", "--threshold", "0.5", "--seed", "1")
        # The guard's verdicts on the sample from the command line: the reference for which prompts it flags.
        lines = run_strata("classify", "--model", cls.model, "--probe", cls.guard, "--input", str(samples),
                           "--chat-template", "--json").stdout.splitlines()
        cls.texts = {json.loads(line)["id"]: json.loads(line) for line in lines}
        by_id = {row["id"]: row["text"] for row in chosen}
        ranked = sorted(cls.texts.values(), key=lambda row: row["probability"])
        cls.flagged_prompt = by_id[ranked[-1]["id"]]
        cls.passed_prompt = by_id[ranked[0]["id"]]
        assert ranked[-1]["probability"] >= 0.5 > ranked[0]["probability"], "the guard separates nothing"
        cls.sample_texts = [by_id[row["id"]] for row in ranked[::2]]
        cls.reference = {by_id[row["id"]]: row["probability"] for row in ranked}
        cls.server = Server(cls.model, "--guard", cls.guard, "--probe", f"safety={cls.guard}", "--max-completion-tokens",
                            "64")
        cls.client = openai.OpenAI(base_url=cls.server.url + "/v1", api_key="unused", max_retries=0, timeout=300)

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "server"):
            cls.server.stop()
        cls.tmp.cleanup()

    def generate(self, prompt: str, *flags: str) -> dict:
        return json.loads(run_strata("generate", "--model", self.model, "--prompt", prompt, "--max-tokens", "12",
                                     "--json", *flags).stdout)

    def test_chat_equals_strata_generate(self):
        reply = self.client.chat.completions.create(
            model="smollm2", messages=[{"role": "user", "content": self.passed_prompt}], max_tokens=12)
        reference = self.generate(self.passed_prompt)
        choice = reply.choices[0]
        self.assertEqual(choice.message.content, reference["text"])
        self.assertEqual(choice.finish_reason, "stop" if reference["stop"] == "stop-token" else "length")
        self.assertEqual(reply.usage.prompt_tokens, reference["prompt_tokens"])
        self.assertEqual(reply.usage.completion_tokens, reference["tokens"])
        report = reply.model_extra["strata_guard"]
        self.assertFalse(report["flagged"])
        self.assertLess(report["probability"], 0.5)

    def test_streaming_gives_the_same_text(self):
        messages = [{"role": "user", "content": "Name three colours."}]
        whole = self.client.chat.completions.create(model="smollm2", messages=messages, max_tokens=12)
        pieces, reasons, usage = [], [], None
        stream = self.client.chat.completions.create(model="smollm2", messages=messages, max_tokens=12, stream=True,
                                                     stream_options={"include_usage": True})
        for chunk in stream:
            if chunk.usage:
                usage = chunk.usage
            for choice in chunk.choices:
                pieces.append(choice.delta.content or "")
                if choice.finish_reason:
                    reasons.append(choice.finish_reason)
        self.assertEqual("".join(pieces), whole.choices[0].message.content)
        self.assertEqual(reasons, [whole.choices[0].finish_reason])
        self.assertEqual(usage.completion_tokens, whole.usage.completion_tokens)

    def test_completion_equals_strata_generate_raw(self):
        prompt = "The capital of France is"
        reply = self.client.completions.create(model="smollm2", prompt=prompt, max_tokens=12)
        reference = self.generate(prompt, "--raw")
        self.assertEqual(reply.choices[0].text, reference["text"])

    def test_guard_refuses_what_strata_generate_refuses(self):
        self.assertTrue(self.generate(self.flagged_prompt, "--guard", self.guard)["refused"])
        reply = self.client.chat.completions.create(
            model="smollm2", messages=[{"role": "user", "content": self.flagged_prompt}], max_tokens=12)
        choice = reply.choices[0]
        self.assertEqual(choice.finish_reason, "content_filter")
        self.assertIsNone(choice.message.content)
        self.assertEqual(reply.usage.completion_tokens, 0)
        self.assertTrue(reply.model_extra["strata_guard"]["flagged"])
        stream = self.client.chat.completions.create(
            model="smollm2", messages=[{"role": "user", "content": self.flagged_prompt}], max_tokens=12, stream=True)
        reasons = [c.finish_reason for chunk in stream for c in chunk.choices if c.finish_reason]
        self.assertEqual(reasons, ["content_filter"])

    def test_classify_equals_strata_classify(self):
        status, body = post(self.server.url + "/v1/classify",
                            {"texts": self.sample_texts, "probes": ["safety", "guard"], "chat_template": True})
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["results"]), len(self.sample_texts))
        for text, result in zip(self.sample_texts, body["results"]):
            for name in ("safety", "guard"):
                self.assertAlmostEqual(result["probes"][name]["probability"], self.reference[text], delta=1e-6)

    def test_hidden_states_equal_strata_hidden(self):
        text = "Hidden states, please."
        out = os.path.join(self.tmp.name, "hidden.npy")
        run_strata("hidden", "--model", self.model, "--text", text, "--layers", "0,15,30", "--out", out)
        reference = np.load(out)
        status, body = post(self.server.url + "/v1/hidden-states", {"text": text, "layers": [0, 15, 30]})
        self.assertEqual(status, 200, body)
        served = np.frombuffer(base64.b64decode(body["data"]), dtype="<f4").reshape(body["shape"])
        self.assertEqual(served.shape, reference.shape)
        np.testing.assert_allclose(served, reference, rtol=0, atol=1e-5)
        status, body = post(self.server.url + "/v1/hidden-states", {"text": text, "layers": [30], "pooling": "mean",
                                                                    "dtype": "bfloat16"})
        self.assertEqual(status, 200, body)
        halves = np.frombuffer(base64.b64decode(body["data"]), dtype="<u2").astype(np.uint32) << 16
        np.testing.assert_allclose(halves.view(np.float32).reshape(body["shape"]), reference[2:].mean(axis=1),
                                   rtol=1 / 128, atol=1e-6)

    def test_errors_are_openai_errors_naming_the_field(self):
        with self.assertRaises(openai.BadRequestError) as caught:
            self.client.chat.completions.create(model="smollm2", messages=[], max_tokens=4)
        self.assertEqual(caught.exception.body["param"], "messages")
        with self.assertRaises(openai.BadRequestError) as caught:
            self.client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": "hi"}],
                                                max_tokens=100000)
        self.assertEqual(caught.exception.body["param"], "max_tokens")
        status, body = post(self.server.url + "/v1/classify", {"texts": ["x"], "probes": ["nope"]})
        self.assertEqual((status, body["error"]["param"]), (404, "probes[0]"))
        status, body = post(self.server.url + "/v1/hidden-states", {"text": "x", "layers": [31]})
        self.assertEqual((status, body["error"]["param"]), (400, "layers[0]"))
        status, body = post(self.server.url + "/v1/chat/completions", b"{not json")
        self.assertEqual(status, 400)
        self.assertIn("not valid JSON", body["error"]["message"])
        # The server is unharmed.
        self.assertEqual(self.client.models.list().data[0].id, "SmolLM2-135M-Instruct.Q4_1")


@unittest.skipIf(MISSING and not CI, "needs " + ", ".join(MISSING))
class ServeShutdownTests(unittest.TestCase):
    def test_sigterm_finishes_the_stream_in_flight_then_exits_0(self):
        server = Server(real_model())
        try:
            client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=300)
            stream = client.chat.completions.create(
                model="smollm2", messages=[{"role": "user", "content": "Write a long story about a cat."}],
                max_tokens=40, stream=True)
            first = next(iter(stream))
            status = {}
            stopper = threading.Thread(target=lambda: status.setdefault("code", server.terminate()))
            stopper.start()
            time.sleep(0.5)
            rest = list(stream)
            stopper.join(timeout=120)
            reasons = [c.finish_reason for chunk in [first, *rest] for c in chunk.choices if c.finish_reason]
            self.assertEqual(len(reasons), 1)   # the stream ran to its end (length or an end-of-turn token)
            self.assertEqual(status.get("code"), 0)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
