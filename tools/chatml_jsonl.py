#!/usr/bin/env python3
"""Wrap the 'text' field of a JSONL file in the ChatML prompt that `strata generate` feeds the model.

A guard probe reads the prompt as the model sees it during the prefill (chat template included), so its
training set should be captured the same way:

    tools/chatml_jsonl.py train.jsonl > train.chat.jsonl
    strata capture --model smollm2 --input train.chat.jsonl --out ds-train ...

The default system message is SmolLM2-Instruct's (what its GGUF chat template inserts); --system ''
leaves the system turn out. Must match Sources/StrataModel/Generate/ChatTemplate.swift.
"""
import argparse
import json
import sys

SMOLLM2_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


def chatml(user: str, system: str) -> str:
    text = f"<|im_start|>system\n{system}<|im_end|>\n" if system else ""
    return text + f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="JSONL file with a text field")
    parser.add_argument("--field", default="text")
    parser.add_argument("--system", default=SMOLLM2_SYSTEM)
    parser.add_argument("--limit", type=int, default=0, help="keep only the first N records (0 = all)")
    args = parser.parse_args()
    with open(args.input, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if args.limit and n >= args.limit:
                break
            if not line.strip():
                continue
            record = json.loads(line)
            record[args.field] = chatml(record[args.field], args.system)
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
