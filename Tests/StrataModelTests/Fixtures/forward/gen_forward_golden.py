#!/usr/bin/env python3
"""Generate the golden forward-pass fixtures for StrataModelTests (run once; output is committed).

Loads SmolLM2-135M-Instruct (Q4_1 GGUF) with Hugging Face transformers in float32 — transformers dequantises
the GGUF and undoes the converter's Q/K row permutation itself, so it is an independent reference for
Strata's runtime — runs a few short texts one at a time, and writes to Tests/StrataModelTests/Fixtures/forward/:

  golden.json         model sha256, sizes, and per text: text, token ids (from the HF tokenizer built from the
                      same GGUF), offset into the .f32 file, top-5 next-token ids and their log-probabilities
  hidden_states.f32   per text, all L+1 hidden states (HF output_hidden_states), [layers][tokens][hidden],
                      little-endian float32, texts concatenated

Needs: pip install torch transformers gguf numpy.  Usage: python3 Tests/StrataModelTests/Fixtures/forward/gen_forward_golden.py [model.gguf]
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser(
    "~/.cache/strata/models/SmolLM2-135M-Instruct.Q4_1.gguf")
OUT = os.path.dirname(os.path.abspath(__file__))   # the fixtures sit beside this generator

# Short texts (5-12 tokens each) of different kinds: prose, review, code, numbers, chat markup, non-English.
TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "This movie was a complete waste of time.",
    "An absolute triumph of acting and direction!",
    "def add(a, b): return a + b",
    "She paid $12 for 3 books in 1999.",
    "<|im_start|>user\nHello there!<|im_end|>",
    "Le chat est sur la table.",
    "Paris is the capital of",
    "Hi",
]


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    directory, name = os.path.split(os.path.abspath(MODEL))
    with open(MODEL, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32)
    model.eval()
    config = model.config
    os.makedirs(OUT, exist_ok=True)

    records, blobs, offset = [], [], 0
    for text in TEXTS:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            out = model(torch.tensor([ids]), output_hidden_states=True)
        states = torch.stack(out.hidden_states, dim=0)[:, 0].contiguous().numpy().astype("<f4")  # [L+1, T, d]
        assert states.shape == (config.num_hidden_layers + 1, len(ids), config.hidden_size), states.shape
        log_probs = torch.log_softmax(out.logits[0, -1].double(), dim=-1)
        top = torch.topk(log_probs, 5)
        records.append({
            "text": text,
            "ids": ids,
            "offset": offset,  # in floats
            "top5": top.indices.tolist(),
            "top5_log_probs": top.values.tolist(),
        })
        blobs.append(states.tobytes())
        offset += states.size
        print(f"{len(ids):3d} tokens  top5={top.indices.tolist()}  {text!r}")

    with open(os.path.join(OUT, "hidden_states.f32"), "wb") as f:
        for blob in blobs:
            f.write(blob)
    meta = {
        "model": os.path.basename(MODEL),
        "model_sha256": sha,
        "reference": f"transformers {__import__('transformers').__version__}, torch {torch.__version__}, float32",
        "num_hidden_states": config.num_hidden_layers + 1,
        "hidden_size": config.hidden_size,
        "texts": records,
    }
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"wrote {offset * 4 / 1e6:.2f} MB of hidden states for {len(records)} texts to {OUT}")


if __name__ == "__main__":
    main()
