"""The committed architecture fixtures (Tests/StrataModelTests/Fixtures/architectures, made by generate.py there)
are consistent with themselves: every GGUF is the file reference.json names (SHA-256), holds the architecture,
shape and tensor types it claims; every hidden-state array has the size its shape says and that shape follows
the config and the token ids; the token ids are what a fresh `tokenizers` tokenizer built from the GGUF's own
vocabulary (BPE) or from the SentencePiece model (SPM) gives; the texts cover what the fixtures promise (a text
longer than every sliding window among them); and the q8_0 references differ from the f32 ones by far more
than the tolerance, so a runtime that used the wrong weights would fail.

With torch installed, the fixture model is also rebuilt from its seed: its weights must equal those read from
model-f32.gguf, and transformers must give the committed hidden states again (within the fixture tolerance).

Run: python3 -m unittest discover -s tools/tests"""
from __future__ import annotations

import importlib.util
import json
import sys
import unittest
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parents[1]
ROOT = TOOLS.parent
FIXTURES = ROOT / "Tests" / "StrataModelTests" / "Fixtures" / "architectures"
sys.path.insert(0, str(FIXTURES.parent / "tokenizer"))   # gen_tokenizer_fixture, beside the tokenizer fixtures
sys.path.insert(0, str(FIXTURES))

import generate  # noqa: E402  (the fixture generator: families, texts, tokenizer builders)

HAVE_TORCH = importlib.util.find_spec("torch") is not None and importlib.util.find_spec("transformers") is not None


def fixture_names() -> list[str]:
    return sorted(path.parent.name for path in FIXTURES.glob("*/reference.json"))


def load(name: str) -> dict:
    return json.loads((FIXTURES / name / "reference.json").read_text(encoding="utf-8"))


def read_array(name: str, entry: dict) -> np.ndarray:
    path = FIXTURES / name / entry["hidden_states"]
    expected = int(np.prod(entry["shape"])) * 4
    size = path.stat().st_size
    if size != expected:
        raise AssertionError(f"{path}: {size} bytes, but shape {entry['shape']} needs {expected}")
    return np.fromfile(path, dtype="<f4").reshape(entry["shape"])


def gguf_summary(path: Path) -> tuple[dict, int, set[str]]:
    """The file's scalar metadata, its vocabulary size and its tensor types, from one read of the file."""
    import gguf
    reader = gguf.GGUFReader(str(path))
    scalars = {name: field.contents() for name, field in reader.fields.items()
               if field.types and field.types[0] != gguf.GGUFValueType.ARRAY}
    return scalars, len(reader.fields["tokenizer.ggml.tokens"].data), {t.tensor_type.name for t in reader.tensors}


class ArchitectureFixtureTests(unittest.TestCase):
    def test_every_family_has_a_fixture(self):
        self.assertEqual(fixture_names(), sorted(generate.FAMILIES))

    def test_files_are_the_ones_the_reference_names(self):
        for name in fixture_names():
            reference = load(name)
            for file, facts in reference["files"].items():
                with self.subTest(fixture=name, file=file):
                    path = FIXTURES / name / file
                    self.assertEqual(path.stat().st_size, facts["bytes"])
                    self.assertEqual(generate.sha256(path), facts["sha256"])

    def test_gguf_metadata_matches_the_config(self):
        for name in fixture_names():
            reference, family = load(name), generate.FAMILIES[name]
            config = reference["config"]
            self.assertEqual(reference["architecture"], family.gguf_architecture)
            self.assertEqual(reference["hf_class"], family.hf_class)
            for file, wanted in (("model-f32.gguf", {"F32"}), ("model-q8_0.gguf", {"Q8_0", "F32"})):
                with self.subTest(fixture=name, file=file):
                    path = FIXTURES / name / file
                    meta, vocabulary_size, types = gguf_summary(path)
                    arch = meta["general.architecture"]
                    self.assertEqual(arch, family.gguf_architecture)
                    self.assertEqual(meta[f"{arch}.block_count"], config["num_hidden_layers"])
                    self.assertEqual(meta[f"{arch}.embedding_length"], config["hidden_size"])
                    self.assertEqual(meta[f"{arch}.attention.head_count"], config["num_attention_heads"])
                    self.assertEqual(meta[f"{arch}.attention.head_count_kv"], config["num_key_value_heads"])
                    self.assertEqual(vocabulary_size, config["vocab_size"])
                    if config.get("sliding_window") and family.gguf_architecture in ("gemma2", "gemma3"):
                        self.assertEqual(meta[f"{arch}.attention.sliding_window"], config["sliding_window"])
                    self.assertEqual(types, wanted)
                    self.assertEqual(reference["files"][file]["tensor_types"].keys(), wanted)

    def test_hidden_state_shapes_follow_config_and_token_ids(self):
        for name in fixture_names():
            reference = load(name)
            config = reference["config"]
            self.assertEqual(len(reference["q8_0"]["texts"]), len(reference["texts"]))
            for index, (entry, q8) in enumerate(zip(reference["texts"], reference["q8_0"]["texts"])):
                with self.subTest(fixture=name, text=index):
                    shape = [config["num_hidden_layers"] + 1, len(entry["token_ids"]), config["hidden_size"]]
                    self.assertEqual(entry["shape"], shape)
                    self.assertEqual(q8["shape"], shape)
                    states, q8_states = read_array(name, entry), read_array(name, q8)
                    self.assertTrue(np.isfinite(states).all() and np.isfinite(q8_states).all())
                    self.assertTrue(all(0 <= i < config["vocab_size"] for i in entry["token_ids"]))

    def test_q8_0_references_are_distinguishable_from_f32_ones(self):
        for name in fixture_names():
            reference = load(name)
            tolerance = reference["tolerance"]["rel_l2"]
            recorded = reference["q8_0"]["max_rel_l2_to_f32_reference"]
            for index, (entry, q8) in enumerate(zip(reference["texts"], reference["q8_0"]["texts"])):
                with self.subTest(fixture=name, text=index):
                    states, q8_states = read_array(name, entry), read_array(name, q8)
                    difference = max(generate.relative_l2(q8_states[layer], states[layer])
                                     for layer in range(states.shape[0]))
                    self.assertAlmostEqual(difference, recorded[index], delta=1e-6 + 1e-3 * recorded[index])
                    self.assertGreater(difference, 10 * tolerance)

    def test_token_ids_match_a_fresh_tokenizer(self):
        import gen_tokenizer_fixture
        for name in fixture_names():
            reference, family = load(name), generate.FAMILIES[name]
            if family.tokenizer == "smollm2-bpe":
                # Built from the GGUF's own tokens and merges with the family's published settings.
                tokenizer, meta = gen_tokenizer_fixture.gguf_reference(str(FIXTURES / name / "model-f32.gguf"))
                self.assertEqual(meta["tokenizer.ggml.pre"], "smollm")
                encode = lambda text: tokenizer.encode(text, add_special_tokens=True).ids  # noqa: E731
            else:
                built = generate.build_tokenizer(family.tokenizer)
                encode = lambda text, built=built: generate.encode(built, text)  # noqa: E731
            for index, entry in enumerate(reference["texts"]):
                with self.subTest(fixture=name, text=index):
                    self.assertEqual(encode(entry["text"]), entry["token_ids"])

    def test_texts_cover_the_promised_cases(self):
        for name in fixture_names():
            reference = load(name)
            texts = [entry["text"] for entry in reference["texts"]]
            joined = "".join(texts)
            with self.subTest(fixture=name):
                self.assertEqual(texts, generate.TEXTS)
                self.assertTrue(any(ord(c) >= 0x1F600 for c in joined), "emoji")
                self.assertTrue(any("\u0400" <= c <= "\u04FF" for c in joined), "Cyrillic")
                self.assertTrue(any("\u4E00" <= c <= "\u9FFF" for c in joined), "CJK")
                self.assertTrue(any(t.startswith("  ") for t in texts), "leading spaces")
                self.assertTrue(any(c.isdigit() for c in joined), "digits")
                # Phi-3's window (2047, as Phi-3-mini-4k declares it) is longer than any text; see README.md.
                window = reference["config"]["sliding_window"] if name in ("gemma2", "gemma3") else 0
                longest = max(len(entry["token_ids"]) for entry in reference["texts"])
                self.assertGreater(longest, max(window, 100))


@unittest.skipUnless(HAVE_TORCH, "needs torch and transformers (tools/setup --python)")
class ArchitectureFixtureReproductionTests(unittest.TestCase):
    def test_seeded_model_is_the_one_in_the_gguf_and_gives_the_committed_states(self):
        import torch
        for name in fixture_names():
            reference, family = load(name), generate.FAMILIES[name]
            with self.subTest(fixture=name):
                tokenizer = generate.build_tokenizer(family.tokenizer)
                model = generate.build_model(family, tokenizer, reference["seed"])
                recovered = generate.weights_from_gguf(family, model, FIXTURES / name / "model-f32.gguf")
                for parameter_name, parameter in model.named_parameters():
                    offset = 1.0 if family.norm_stores_offset and parameter_name.endswith("norm.weight") else 0.0
                    self.assertTrue(torch.equal(recovered[parameter_name] + offset, parameter.detach() + offset),
                                    parameter_name)
                entry = reference["texts"][0]
                states, _ = generate.hidden_states(model, entry["token_ids"])
                committed = read_array(name, entry)
                for layer in range(states.shape[0]):
                    self.assertLessEqual(generate.relative_l2(states[layer], committed[layer]),
                                         reference["tolerance"]["rel_l2"], f"hidden state {layer}")

    def test_fixture_texts_exercise_each_feature(self):
        """Turning a feature off (generate.FEATURE_ABLATIONS) moves a hidden state of the longest text by more
        than ten times the tolerance."""
        for name, ablations in generate.FEATURE_ABLATIONS.items():
            reference, family = load(name), generate.FAMILIES[name]
            tokenizer = generate.build_tokenizer(family.tokenizer)
            entry = max(reference["texts"], key=lambda e: len(e["token_ids"]))
            committed = read_array(name, entry)
            for change, overrides in ablations:
                with self.subTest(fixture=name, change=change):
                    model = generate.build_model(family, tokenizer, reference["seed"], overrides)
                    states, _ = generate.hidden_states(model, entry["token_ids"])
                    moved = max(generate.relative_l2(states[layer], committed[layer])
                                for layer in range(states.shape[0]))
                    self.assertGreater(moved, 10 * reference["tolerance"]["rel_l2"])


if __name__ == "__main__":
    unittest.main()
