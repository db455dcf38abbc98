"""llama.cpp as a reference for the tokenizer fixture generators (gen_tokenizer_fixture.py,
gen_sentencepiece_fixture.py): its GGUF converter code, and its table of `tokenizer.ggml.pre` names.

Point it at a llama.cpp source tree, such as the vendor/llama.cpp folder of the llama-cpp-python 0.3.36
sdist (pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36; only the download is needed).
"""
from __future__ import annotations

import ast
import importlib
import re
import sys
import types
from pathlib import Path


def import_converter(llama_cpp: Path):
    """llama.cpp's conversion/base.py (the code behind convert_hf_to_gguf.py) and its gguf-py, imported
    without PyTorch: the module imports torch at top level but the tokenizer code never touches it, so a
    placeholder module stands in."""
    import transformers  # noqa: F401  (records that torch is absent before the placeholder exists)
    import transformers.utils.import_utils  # noqa: F401

    class _Placeholder:
        def __getattr__(self, _name):
            return _Placeholder()

        def __call__(self, *args, **kwargs):
            return _Placeholder()

    placeholder = types.ModuleType("torch")
    placeholder.__getattr__ = lambda _name: _Placeholder()
    sys.modules.setdefault("torch", placeholder)
    sys.path.insert(0, str(llama_cpp / "gguf-py"))
    sys.path.insert(0, str(llama_cpp))
    base = importlib.import_module("conversion.base")
    gguf = importlib.import_module("gguf")
    if not Path(gguf.__file__).resolve().is_relative_to(llama_cpp.resolve()):
        raise SystemExit(f"gguf was imported from {gguf.__file__}, not from {llama_cpp}/gguf-py")
    return base, gguf


def pre_tokenizer_hash_name(base, hf_tokenizer) -> str:
    """The `tokenizer.ggml.pre` name llama.cpp's converter gives a Hugging Face tokenizer: it encodes a fixed
    text and looks the SHA-256 of the ids up in its table (TextModel.get_vocab_base_pre)."""
    return base.TextModel.get_vocab_base_pre(types.SimpleNamespace(), hf_tokenizer)


def pre_tokenizer_table(llama_cpp: Path, names: list[str]) -> dict[str, dict]:
    """For each `tokenizer.ggml.pre` name, what src/llama-vocab.cpp does with it: the pre-tokenizer type, its
    regexes (applied one after the other, each splitting the pieces the previous ones left), whether merges
    are skipped for pieces that are whole tokens (`ignore_merges`) and whether BOS is added when the file has
    no add_bos_token flag."""
    source = (llama_cpp / "src" / "llama-vocab.cpp").read_text(encoding="utf-8")
    table = {}
    # The `tokenizer_pre == "..."` chain: each branch lists names, then sets pre_type and flags.
    for branch in re.finditer(r"if \(((?:\s*tokenizer_pre == \"[^\"]+\"\s*\|*\s*)+)\) \{(.*?)\n\s*\}", source, re.S):
        branch_names = re.findall(r'tokenizer_pre == "([^"]+)"', branch.group(1))
        body = branch.group(2)
        kind = re.search(r"pre_type = LLAMA_VOCAB_PRE_TYPE_(\w+);", body)
        if not kind:
            continue
        for name in branch_names:
            if name in names:
                table[name] = {"type": kind.group(1), "ignore_merges": "ignore_merges = true;" in body,
                               "add_bos": "add_bos = true;" in body}
    for entry in table.values():
        entry["regexes"] = regexes_for(source, entry["type"])
    return table


def regexes_for(source: str, kind: str) -> list[str]:
    """The regex_exprs list of llm_tokenizer_bpe's `case LLAMA_VOCAB_PRE_TYPE_<kind>:` group."""
    match = re.search(r"case LLAMA_VOCAB_PRE_TYPE_%s:.*?regex_exprs = \{(.*?)\};" % kind, source, re.S)
    if not match:
        raise SystemExit(f"llama-vocab.cpp has no regex_exprs for {kind}")
    literals = []
    for line in match.group(1).splitlines():
        line = line.strip()
        if line.startswith("//") or not line:
            continue
        literals += [ast.literal_eval('"%s"' % literal) for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', line)]
    return literals


def split_like_llama_cpp(regexes: list[str], text: str) -> list[str]:
    """unicode_regex_split: each regex in turn cuts every piece into its matches and the text between them."""
    import regex
    pieces = [text] if text else []
    for pattern in regexes:
        compiled = regex.compile(pattern)
        cut = []
        for piece in pieces:
            position = 0
            for match in compiled.finditer(piece):
                if match.start() > position:
                    cut.append(piece[position:match.start()])
                if match.end() > match.start():
                    cut.append(match.group(0))
                position = match.end()
            if position < len(piece):
                cut.append(piece[position:])
        pieces = cut
    return pieces
