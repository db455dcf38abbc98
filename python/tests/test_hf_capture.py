"""strata.hf.capture with a tiny random transformers Llama: what it writes is accepted by `strata verify`,
described by `strata inspect --json` as `strata capture` describes its output, holds (read through the
Swift reader's HDF5 export) the hidden states of a direct transformers forward of each text alone, and
does not depend on the batch size beyond float rounding."""
from __future__ import annotations

import json
import os
import unittest

import numpy as np

from support import TempDirTest, has_module, needs_strata, requires, run_strata

import strata

needs_transformers = requires(has_module("torch") and has_module("transformers"),
                              "needs torch and transformers (tools/setup --python)")

TEXTS = ["the film is a gentle delight", "dull", "a bold and strange and wonderful and long winding story about a film",
         "not good", "the actors are good but the story is dull and the film is long", "strange", "a delight"]
LABELS = [1, 0, 1, 0, 0, 1, 1]


def tiny_llama():
    """A 3-block random Llama (hidden 32) and a word-level tokenizer over TEXTS' words, made here."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
    words = sorted({w for t in TEXTS for w in t.split()})
    vocab = {"<unk>": 0, "<s>": 1, **{w: i + 2 for i, w in enumerate(words)}}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>", bos_token="<s>")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                         attn_implementation="eager")
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():   # residual-stream-like scale so bf16 rounding is exercised on varied magnitudes
        model.model.embed_tokens.weight.mul_(50)
    return model, tokenizer


def direct_forward(model, tokenizer, text):
    """Every hidden state of one text alone, float32 [n_blocks + 1, tokens, hidden], and its last log-probs."""
    import torch
    ids = tokenizer(text, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        out = model(input_ids=ids, output_hidden_states=True)
    states = torch.stack(out.hidden_states)[:, 0].float().numpy()
    return states, torch.log_softmax(out.logits[0, -1].float(), -1).numpy(), ids[0].tolist()


def read_hdf5_export(h5_path):
    """Per record (id → float32 [layers, tokens, hidden]) from `strata export-hdf5`'s layer-major layout."""
    import h5py
    with h5py.File(h5_path, "r") as f:
        offsets = f["offsets"][:]
        data = f["hidden_states"][:]
        if f["hidden_states"].attrs["strata_dtype"] == "bf16":
            data = (data.astype(np.uint32) << 16).view(np.float32)
        ids = [x.decode() if isinstance(x, bytes) else x for x in f["ids"][:]]
        return {i: data[:, offsets[k]:offsets[k + 1]] for k, i in enumerate(ids)}, json.loads(f.attrs["strata_metadata"])


def relative_error(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


@needs_strata
@needs_transformers
@requires(has_module("h5py"), "needs h5py (tools/setup --python)")
class HFCaptureTests(TempDirTest):
    @classmethod
    def setUpClass(cls):
        cls.model, cls.tokenizer = tiny_llama()

    def capture(self, name, **options):
        import strata.hf
        out = self.path(name)
        summary = strata.hf.capture(self.model, self.tokenizer, TEXTS, out, labels=LABELS,
                                    label_names=["negative", "positive"], device="cpu", **options)
        return out, summary

    def test_swift_reader_sees_the_direct_forward_and_strata_capture_metadata(self):
        out, summary = self.capture("f32", dtype="f32", batch_size=3, save_logits=True)
        self.assertEqual(summary["records"], len(TEXTS))
        run_strata("verify", out)
        inspect = json.loads(run_strata("inspect", out, "--json").stdout)
        self.assertEqual((inspect["records"], inspect["hidden"], inspect["dtype"]), (len(TEXTS), 32, "f32"))
        self.assertEqual(inspect["layer_indices"], [0, 1, 2, 3])
        self.assertEqual(inspect["layer_kinds"], ["embedding", "block", "block", "final_norm"])
        self.assertEqual(inspect["layer_semantics"], "hf_output_hidden_states")
        self.assertEqual({k: v for k, v in inspect["model"].items() if v is not None},
                         {"name": "LlamaForCausalLM", "architecture": "llama", "n_blocks": 3, "hidden_size": 32})
        self.assertEqual(set(inspect["extra"]), {"capture.input", "capture.max_tokens", "capture.text_field",
                                                 "capture.truncate", "capture.prompt_format", "capture.runtime"})
        self.assertEqual(inspect["extra"]["capture.max_tokens"], "64")
        run_strata("export-hdf5", out, self.path("f32.h5"), "--compression", "none")
        exported, metadata = read_hdf5_export(self.path("f32.h5"))
        self.assertEqual(metadata["tokenizer"]["vocab_size"], len(self.tokenizer))
        self.assertEqual(metadata["label_names"], ["negative", "positive"])
        ds = strata.open(out)
        for i, text in enumerate(TEXTS):
            states, log_probs, ids = direct_forward(self.model, self.tokenizer, text)
            info = ds.info(i)
            self.assertEqual((info.id, info.labels, info.text), (f"row-{i + 1}", [LABELS[i]], text))
            self.assertEqual(info.token_ids.tolist(), ids)
            stored = exported[f"row-{i + 1}"]
            self.assertEqual(stored.shape, states.shape)
            for layer in range(4):   # padding changes only the summation order of the batched products
                self.assertLess(relative_error(stored[layer], states[layer]), 1e-5, f"record {i} layer {layer}")
            np.testing.assert_allclose(info.auxiliary["next_token_logprobs"], log_probs, rtol=1e-5, atol=1e-5)

    def test_bf16_is_the_rounded_forward_and_layer_selection_keeps_the_indices(self):
        out, _ = self.capture("bf16", layers=[0, -1], batch_size=4)
        run_strata("verify", out)
        run_strata("export-hdf5", out, self.path("bf16.h5"), "--compression", "none")
        exported, metadata = read_hdf5_export(self.path("bf16.h5"))
        self.assertEqual(metadata["layers"], [{"index": 0, "kind": "embedding"}, {"index": 3, "kind": "final_norm"}])
        for i, text in enumerate(TEXTS):
            states = direct_forward(self.model, self.tokenizer, text)[0][[0, 3]]
            np.testing.assert_allclose(exported[f"row-{i + 1}"], states, rtol=2 ** -8, atol=1e-6)

    def test_batch_size_changes_values_only_within_float_tolerance(self):
        one, _ = self.capture("b1", dtype="f32", batch_size=1)
        many, _ = self.capture("b7", dtype="f32", batch_size=7)
        a, b = strata.open(one), strata.open(many)
        for i in range(len(TEXTS)):
            self.assertEqual(a.info(i).token_ids.tolist(), b.info(i).token_ids.tolist())
            self.assertLess(relative_error(b.read(i), a.read(i)), 1e-5, f"record {i}")

    def test_bad_input_names_the_row_and_leaves_no_dataset(self):
        import strata.hf
        with self.assertRaisesRegex(strata.StrataError, "row-1.*over max_tokens=3"):
            strata.hf.capture(self.model, self.tokenizer, TEXTS, self.path("long"), max_tokens=3)
        self.assertFalse(os.path.exists(self.path("long", "manifest.json")))
        with self.assertRaisesRegex(strata.StrataError, "labels ran out at row 3"):
            strata.hf.capture(self.model, self.tokenizer, TEXTS[:4], self.path("short"), labels=[0, 1])
        with self.assertRaisesRegex(strata.StrataError, "layer 4 is outside"):
            strata.hf.capture(self.model, self.tokenizer, TEXTS, self.path("layers"), layers=[4])
        out, _ = self.capture("cut", max_tokens=3, truncate=True, dtype="f32")
        ds = strata.open(out)
        self.assertEqual(max(ds.info(i).n_tokens for i in range(len(ds))), 3)
        self.assertEqual(ds.metadata["extra"]["capture.truncate"], "true")


if __name__ == "__main__":
    unittest.main()
