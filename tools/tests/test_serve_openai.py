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
try:
    import gguf
    import jinja2.sandbox
except ImportError:  # pragma: no cover - reported by the skip below
    gguf = None

CI = os.environ.get("CI") == "true"
MISSING = [what for what, ok in (("the strata binary", strata_binary()), ("the real model (strata fetch-model smollm2)",
                                                                          real_model()),
                                 ("the openai package (tools/setup --python)", openai),
                                 ("the gguf and jinja2 packages", gguf)) if not ok]


def chat_template_prompt(model: str, messages) -> str:
    """The GGUF's own `tokenizer.chat_template` rendered by jinja2 as transformers' `apply_chat_template`
    renders it (sandboxed, trim_blocks, lstrip_blocks, add_generation_prompt)."""
    field = gguf.GGUFReader(model).fields["tokenizer.chat_template"]
    source = bytes(field.parts[field.data[0]]).decode()
    environment = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return environment.from_string(source).render(messages=messages, add_generation_prompt=True)


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

    def test_multi_turn_chat_is_rendered_with_the_models_template(self):
        conversations = [
            [{"role": "user", "content": "Hi, who are you?"}, {"role": "assistant", "content": "I am a small model."},
             {"role": "user", "content": "Name a colour."}],
            [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "Best fruit?"},
             {"role": "assistant", "content": "Mango."}, {"role": "user", "content": "And vegetable?"}],
        ]
        for messages in conversations:
            rendered = chat_template_prompt(self.model, messages)
            # Same tokens, same states: the messages' hidden states equal those of the jinja2-rendered text.
            status, by_messages = post(self.server.url + "/v1/hidden-states", {"messages": messages, "layers": [30]})
            self.assertEqual(status, 200, by_messages)
            status, by_text = post(self.server.url + "/v1/hidden-states", {"text": rendered, "layers": [30]})
            self.assertEqual(status, 200, by_text)
            self.assertEqual(by_messages["shape"], by_text["shape"])
            self.assertEqual(by_messages["data"], by_text["data"])
            # And the chat answer is the raw completion of that text.
            chat = self.client.chat.completions.create(model="smollm2", messages=messages, max_tokens=8)
            raw = self.client.completions.create(model="smollm2", prompt=rendered, max_tokens=8)
            self.assertEqual(chat.usage.prompt_tokens, by_text["shape"][1])
            self.assertEqual(chat.usage.prompt_tokens, raw.usage.prompt_tokens)
            self.assertEqual(chat.choices[0].message.content, raw.choices[0].text)

    def test_concurrent_requests_packed_together_equal_running_alone(self):
        """Chats, a classify and a hidden-states request sent at once share packed passes (the server's
        /metrics shows a pass of several sequences) and get what they get alone: the same greedy text, the
        classifier within 1e-6 of `strata classify`, hidden states within 1e-5 of `strata hidden`."""
        prompts = ["Name three colours.", "What is 2 + 2?", "Say hello in French.", self.passed_prompt]
        alone = {prompt: self.client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": prompt}],
                                                             max_tokens=10).choices[0].message.content
                 for prompt in prompts}
        text = "Hidden states, please."
        out = os.path.join(self.tmp.name, "hidden-concurrent.npy")
        run_strata("hidden", "--model", self.model, "--text", text, "--layers", "15", "--out", out)
        results, errors = {}, []

        def chat(prompt):
            try:
                reply = self.client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": prompt}],
                                                            max_tokens=10)
                results[prompt] = reply.choices[0].message.content
            except Exception as error:  # reported below
                errors.append(error)

        def classify():
            results["classify"] = post(self.server.url + "/v1/classify",
                                       {"texts": self.sample_texts, "probes": ["safety"], "chat_template": True})

        def hidden():
            results["hidden"] = post(self.server.url + "/v1/hidden-states", {"text": text, "layers": [15]})

        before = self.packed_passes()
        threads = [threading.Thread(target=chat, args=(p,)) for p in prompts]
        threads += [threading.Thread(target=classify), threading.Thread(target=hidden)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        self.assertEqual(errors, [])
        for prompt in prompts:
            self.assertEqual(results[prompt], alone[prompt], prompt)
        status, body = results["classify"]
        self.assertEqual(status, 200, body)
        deviation = max(abs(result["probes"]["safety"]["probability"] - self.reference[t])
                        for t, result in zip(self.sample_texts, body["results"]))
        print(f"\nclassify packed with other requests vs strata classify: max |dp| = {deviation:.2e}", file=sys.stderr)
        self.assertLessEqual(deviation, 1e-6)
        status, body = results["hidden"]
        self.assertEqual(status, 200, body)
        served = np.frombuffer(base64.b64decode(body["data"]), dtype="<f4").reshape(body["shape"])
        reference = np.load(out)
        self.assertLessEqual(np.linalg.norm(served - reference) / np.linalg.norm(reference), 1e-5)
        self.assertGreater(self.packed_passes() - before, 0, "no pass packed several sequences")

    def packed_passes(self) -> int:
        """Passes so far with more than one sequence, from /metrics."""
        with urllib.request.urlopen(self.server.url + "/metrics", timeout=60) as response:
            lines = response.read().decode().splitlines()
        def value(prefix):
            return float(next(line for line in lines if line.startswith(prefix)).split()[-1])
        return int(value("strata_packed_pass_sequences_count") - value('strata_packed_pass_sequences_bucket{le="1.0"}'))

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
