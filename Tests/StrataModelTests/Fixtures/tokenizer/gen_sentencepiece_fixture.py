#!/usr/bin/env python3
"""Writes the SentencePiece tokenizer fixtures under Tests/StrataModelTests/Fixtures/tokenizer/.

Nothing here needs model weights: two small SentencePiece BPE models are trained on the project's sample
texts (samples/*.jsonl), turned into GGUF tokenizer metadata by llama.cpp's own converter code, and the ids
of a set of test texts are taken from Hugging Face `tokenizers` built from the same .model files.

  spm-llama.model / spm-llama.gguf   Llama-style: dummy prefix ("▁" before the text), byte fallback <0xNN>,
                                     split digits, <unk>=0 <s>=1 </s>=2, add_bos_token true, add_eos_token false.
  spm-gemma.model / spm-gemma.gguf   Gemma-style: no dummy prefix (GGUF add_space_prefix false, as llama.cpp's
                                     Gemma converter writes), <pad>=0 <eos>=1 <bos>=2 <unk>=3, user-defined
                                     <start_of_turn>/<end_of_turn>, add_bos_token true and add_eos_token true
                                     (EOS on to exercise the flag; Gemma itself leaves it off).
  spm.json                           texts; per GGUF the ids with and without special tokens; decode cases.

References
  GGUF:  llama.cpp's convert_hf_to_gguf code, run on a model directory holding tokenizer.model and the
         tokenizer_config.json Hugging Face saves (TextModel._set_vocab_sentencepiece, and for Gemma
         add_add_space_prefix(False) as conversion/gemma.py does). Pass the llama.cpp source tree with
         --llama-cpp: the vendor/llama.cpp folder of the llama-cpp-python 0.3.36 sdist
         (pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36; only the download is needed).
  ids:   Hugging Face `tokenizers`, configured as each family's published tokenizer.json is:
         Llama (meta-llama/Llama-2-*-hf, transformers' LlamaConverter with legacy=True): normalizer
         Prepend("▁") + Replace(" ", "▁"), no pre-tokenizer, BPE with byte_fallback and fuse_unk, merges ranked
         by piece score; decoder Replace("▁", " ") + ByteFallback + Fuse + Strip(" ", 1, 0).
         Gemma (google/gemma-*, transformers' GemmaTokenizer): normalizer Replace(" ", "▁"), no prefix,
         decoder Replace + ByteFallback + Fuse. Control pieces are special added tokens, user-defined pieces
         non-special ones, both matched in the raw text; BOS/EOS by TemplateProcessing per the add flags.
         This is also what llama.cpp does (a "▁" prefix on every run of text that follows the start or an
         added token when add_space_prefix is set, then merges by score, leftmost first).
  checks: SentencePiece itself (SentencePieceProcessor.encode) must give the same ids for every text without
         added tokens, except where it splits at whitespace before merging (it does, Hugging Face and
         llama.cpp do not); those texts are counted and listed. Transformers' own LlamaTokenizer
         (legacy=False since v5) is compared too and the differing texts are counted (it adds no "▁" after
         added tokens and none before text that starts with a space).

Needs: pip install sentencepiece tokenizers transformers protobuf numpy   (no PyTorch: llama.cpp's
converter module imports torch at top level, so a placeholder module stands in for it).

Usage:  Tests/StrataModelTests/Fixtures/tokenizer/gen_sentencepiece_fixture.py --llama-cpp PATH/TO/llama.cpp
"""
from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import sys
import tempfile
import types
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent   # the fixtures sit beside this generator
ROOT = OUT_DIR.parents[3]
SAMPLES = [ROOT / "samples" / "rotten_tomatoes_sample.jsonl", ROOT / "samples" / "safety_sample.jsonl"]

# A few lines beside the samples so that some code and non-Latin characters get pieces of their own (the rest
# of the test texts' characters go through byte fallback).
EXTRA_TRAINING_LINES = [
    "def f(x):\n    return x ** 2  # square\n\nif __name__ == '__main__':\n\tprint(f(3))\n",
    "for (int i = 0; i < n; ++i) { a[i] += b[i] * 2; }  // C loop",
    "Русский текст, Ελληνικά, עברית, العربية, हिन्दी",
    "中文文本没有空格但是很长的一段话用来测试。日本語のテキスト。한국어 텍스트입니다.",
    "Ünïcödé çäfé naïve résumé Ångström façade œuvre",
    "    indented   code\twith\ttabs   and  runs   of    spaces",
]

LONG_PARAGRAPH = (
    "The film opens on a quiet harbour town in the winter of 1953, where a retired lighthouse keeper "
    "(played with dry, unhurried wit) spends his days repairing clocks that nobody asked him to fix. "
    "Over 118 minutes the story drifts between three generations of his family -- a daughter who left for "
    "Lisbon, a grandson who codes late into the night (\"just one more build, I promise\"), and a "
    "great-granddaughter who counts the ships: 1, 2, 3, 4... up to 4,096 before she falls asleep. "
    "Nothing much happens, and yet everything does; the score hums under every scene, the camera lingers "
    "on hands, kettles, rain on glass, and the dialogue -- sparse, funny, occasionally cruel -- never "
    "explains what the images already say. The cinematographer, shooting on 35 mm film at 24 frames per "
    "second, keeps the palette to greys and one stubborn red (a scarf, a door, a bicycle) that returns "
    "whenever someone is about to lie. It isn't perfect: the second act sags, a subplot about a "
    "stolen bicycle goes nowhere, and the ending (no spoilers!) arrives a beat too late. But it's the "
    "rare drama that trusts its audience, and I'd watch it again tomorrow.  Rating: 8/10 ★★★★☆"
)

# Texts beyond the hand-written cases that gen_tokenizer_fixture.py already has: added tokens in the text,
# spaces around them, the "▁" character itself, byte-fallback-only scripts, and the long paragraph.
SENTENCEPIECE_CASES = [
    "<s>Hello</s>",
    "Hello<s>world",
    "Hello <s> world",
    "<s> leading space after BOS",
    "</s></s>  two EOS then spaces",
    "<unk> as text and <unk>",
    "<start_of_turn>user\nHi there!<end_of_turn>\n<start_of_turn>model\n",
    "text<start_of_turn>  spaced <end_of_turn>end",
    "a▁b ▁ ▁▁ lower one eighth block ▁x",
    "▁leading marker",
    " ",
    "  ",
    "   three leading spaces",
    "trailing   ",
    "mid    four    spaces",
    "\n\nnewlines\n\n\tand tabs\t",
    "1234567890 12 345 6789.01 -7 +3e8 ½ ² ٣ ३",
    "Emoji only: 😀😀 🤖👩‍💻🇫🇷 ❤️",
    "ქართული Հայերեն ไทย ትግርኛ ᠮᠣᠩᠭᠣᠯ",
    "def g():\n    yield from range(10)\n",
    LONG_PARAGRAPH,
]


def load_hand_cases() -> list[str]:
    """The hand-written cases of the byte-level fixture (gen_tokenizer_fixture.py, beside this file), shared."""
    return list(importlib.import_module("gen_tokenizer_fixture").HAND_CASES)


def sample_texts() -> list[str]:
    texts = []
    for path in SAMPLES:
        with open(path, encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle if line.strip()]
    return texts


# --- the two SentencePiece models -------------------------------------------------------------------------

VARIANTS = {
    "spm-llama": dict(
        trainer=dict(add_dummy_prefix=True, unk_id=0, bos_id=1, eos_id=2, pad_id=-1),
        family="llama", bos="<s>", eos="</s>", unk="<unk>", pad=None, add_bos=True, add_eos=False),
    "spm-gemma": dict(
        trainer=dict(add_dummy_prefix=False, pad_id=0, eos_id=1, bos_id=2, unk_id=3,
                     pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>", unk_piece="<unk>",
                     user_defined_symbols=["<start_of_turn>", "<end_of_turn>"]),
        family="gemma", bos="<bos>", eos="<eos>", unk="<unk>", pad="<pad>", add_bos=True, add_eos=True),
}


def train(variant: dict, corpus: list[str]) -> bytes:
    """A SentencePiece BPE model with Llama 2's normalizer settings (identity normalization, extra whitespace
    kept, whitespace-only pieces allowed, digits split, byte fallback)."""
    import sentencepiece as spm
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_writer=model, model_type="bpe", vocab_size=1000,
        hard_vocab_limit=False, byte_fallback=True, split_digits=True, allow_whitespace_only_pieces=True,
        remove_extra_whitespaces=False, normalization_rule_name="identity", character_coverage=1.0,
        num_threads=1, minloglevel=2, **variant["trainer"])
    return model.getvalue()


# --- the Hugging Face reference ---------------------------------------------------------------------------

def reference_tokenizer(model_path: Path, variant: dict):
    """The `tokenizers` tokenizer shaped like the family's published tokenizer.json (see the module docstring)."""
    import sentencepiece as spm
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers, processors
    from tokenizers.models import BPE
    from transformers.tokenization_utils_base import generate_merges

    sp = spm.SentencePieceProcessor(model_file=str(model_path))
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    vocab = {piece: index for index, piece in enumerate(pieces)}
    scores = {piece: sp.get_score(index) for index, piece in enumerate(pieces)}
    tokenizer = Tokenizer(BPE(vocab=vocab, merges=generate_merges(vocab, scores), unk_token=variant["unk"],
                              fuse_unk=True, byte_fallback=True, dropout=None))
    if variant["family"] == "llama":
        tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                               decoders.Strip(" ", 1, 0)])
    else:
        tokenizer.normalizer = normalizers.Replace(" ", "▁")
        tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    control = [pieces[i] for i in range(len(pieces)) if sp.is_control(i) or sp.is_unknown(i)]
    user_defined = [p for p in variant["trainer"].get("user_defined_symbols", [])]
    tokenizer.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in control])
    tokenizer.add_tokens([AddedToken(t, normalized=False, special=False) for t in user_defined])
    def template(sequence, type_id):
        return " ".join(([variant["bos"] + type_id] if variant["add_bos"] else []) + [sequence + type_id]
                        + ([variant["eos"] + type_id] if variant["add_eos"] else []))
    tokenizer.post_processor = processors.TemplateProcessing(
        single=template("$A", ""), pair=template("$A", "") + " " + template("$B", ":1"),
        special_tokens=[(variant["bos"], vocab[variant["bos"]]), (variant["eos"], vocab[variant["eos"]])])
    return tokenizer, sp, control, user_defined


def tokenizer_config(variant: dict, vocab_size: int, sp, user_defined: list[str]) -> dict:
    """tokenizer_config.json as Hugging Face saves it for this tokenizer (what llama.cpp's converter reads)."""
    def entry(content, special):
        return {"content": content, "lstrip": False, "normalized": False, "rstrip": False,
                "single_word": False, "special": special}
    decoder = {}
    for index in range(vocab_size):
        piece = sp.id_to_piece(index)
        if sp.is_control(index) or sp.is_unknown(index):
            decoder[str(index)] = entry(piece, True)
        elif piece in user_defined:
            decoder[str(index)] = entry(piece, False)
    config = {"add_bos_token": variant["add_bos"], "add_eos_token": variant["add_eos"],
              "bos_token": variant["bos"], "eos_token": variant["eos"], "unk_token": variant["unk"],
              "added_tokens_decoder": decoder, "clean_up_tokenization_spaces": False,
              "tokenizer_class": "LlamaTokenizer" if variant["family"] == "llama" else "GemmaTokenizer"}
    if variant["family"] == "llama":
        config["legacy"] = True
    if variant["pad"] is not None:
        config["pad_token"] = variant["pad"]
    return config


# --- llama.cpp's converter (llama_cpp_reference.py, beside this file, imports it) ---------------------------------------

def write_gguf(base, gguf, model_dir: Path, out_path: Path, variant: dict) -> None:
    """Runs TextModel._set_vocab_sentencepiece on `model_dir` into a GGUF with no tensors."""
    architecture = "llama" if variant["family"] == "llama" else "gemma"
    writer = gguf.GGUFWriter(str(out_path), arch=architecture)
    model = types.SimpleNamespace(dir_model=model_dir, hparams={}, gguf_writer=writer)
    model.find_hparam = types.MethodType(base.ModelBase.find_hparam, model)
    model.does_token_look_special = types.MethodType(base.TextModel.does_token_look_special, model)
    model._create_vocab_sentencepiece = types.MethodType(base.TextModel._create_vocab_sentencepiece, model)
    writer.add_name(out_path.stem)
    base.TextModel._set_vocab_sentencepiece(model)
    if variant["family"] == "gemma":
        writer.add_add_space_prefix(False)  # as conversion/gemma.py does after _set_vocab_sentencepiece
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# --- main -------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llama-cpp", type=Path, required=True,
                        help="llama.cpp source tree (has convert_hf_to_gguf.py, conversion/, gguf-py/)")
    args = parser.parse_args()
    sys.path.insert(0, str(OUT_DIR))
    import llama_cpp_reference
    base, gguf = llama_cpp_reference.import_converter(args.llama_cpp)

    samples = sample_texts()
    corpus = samples + EXTRA_TRAINING_LINES * 5
    texts = load_hand_cases() + SENTENCEPIECE_CASES + samples[::5]

    result = {"texts": texts, "files": {}, "notes": {}}
    for name, variant in VARIANTS.items():
        model_bytes = train(variant, corpus)
        model_path = OUT_DIR / f"{name}.model"
        model_path.write_bytes(model_bytes)
        tokenizer, sp, control, user_defined = reference_tokenizer(model_path, variant)

        with tempfile.TemporaryDirectory() as directory:
            model_dir = Path(directory)
            (model_dir / "tokenizer.model").write_bytes(model_bytes)
            tokenizer.save(str(model_dir / "tokenizer.json"))
            config = tokenizer_config(variant, sp.get_piece_size(), sp, user_defined)
            (model_dir / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1))
            write_gguf(base, gguf, model_dir, OUT_DIR / f"{name}.gguf", variant)

        with_special = [tokenizer.encode(t, add_special_tokens=True).ids for t in texts]
        without = [tokenizer.encode(t, add_special_tokens=False).ids for t in texts]

        # SentencePiece itself, on texts without added tokens.
        added = control + user_defined
        plain = [i for i, t in enumerate(texts) if not any(a in t for a in added)]
        sp_differs = [i for i in plain if sp.encode(texts[i]) != without[i]]
        # Transformers' current LlamaTokenizer / GemmaTokenizer built from the same .model file.
        transformers_differs = transformers_comparison(model_path, config, texts, with_special, variant)

        decode_cases = [{"ids": ids, "text": tokenizer.decode(ids, skip_special_tokens=False)}
                        for ids in without[:80] + with_special[:20]]
        decode_cases += decode_edge_cases(tokenizer, sp)
        result["files"][f"{name}.gguf"] = {
            "add_special_tokens": with_special, "no_special_tokens": without, "decode_cases": decode_cases}
        result["notes"][name] = {
            "sentencepiece_differs": [texts[i] for i in sp_differs],
            "transformers_differs": len(transformers_differs),
        }
        print(f"{name}: vocab {sp.get_piece_size()}, {len(texts)} texts; SentencePiece differs on {len(sp_differs)} "
              f"of {len(plain)} texts without added tokens; transformers {importlib.import_module('transformers').__version__} "
              f"{'LlamaTokenizer' if variant['family'] == 'llama' else 'GemmaTokenizer'} differs on "
              f"{len(transformers_differs)} of {len(texts)}")

    import sentencepiece
    import tokenizers
    result["reference"] = (f"tokenizers {tokenizers.__version__} shaped as the published tokenizer.json of each "
                           f"family (Tests/StrataModelTests/Fixtures/tokenizer/gen_sentencepiece_fixture.py); models trained with sentencepiece "
                           f"{sentencepiece.__version__}; GGUF metadata by llama.cpp's converter")
    path = OUT_DIR / "spm.json"
    path.write_text(json.dumps(result, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"{path}: {os.path.getsize(path) / 1e3:.0f} kB")


def decode_edge_cases(tokenizer, sp) -> list[dict]:
    """Id runs the encoder never makes: partial UTF-8 byte runs, byte tokens after text, control tokens."""
    def byte(value):
        return sp.piece_to_id(f"<0x{value:02X}>")
    runs = [
        [byte(0xE4), byte(0xB8), byte(0xAD)],                  # one complete character in bytes
        [byte(0xE4), byte(0xB8)],                              # a cut character
        [byte(0xE4), byte(0xB8), byte(0xAD), byte(0xFF)],      # valid bytes then an invalid one
        [byte(0x41), sp.piece_to_id("▁the"), byte(0xC3), byte(0xA9)],
        [sp.bos_id() if sp.bos_id() >= 0 else 0, sp.piece_to_id("▁the"), sp.eos_id()],
        [sp.piece_to_id("▁the"), sp.piece_to_id("▁the")],
        [sp.unk_id(), byte(0x20), byte(0x20), sp.piece_to_id("▁the")],
    ]
    return [{"ids": ids, "text": tokenizer.decode(ids, skip_special_tokens=False)} for ids in runs]


def transformers_comparison(model_path: Path, config: dict, texts, expected, variant) -> list[int]:
    """Indices of the texts where transformers' own tokenizer class, loaded from a directory holding only the
    .model file and tokenizer_config.json, gives other ids (informational)."""
    from transformers import AutoTokenizer
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "tokenizer.model").write_bytes(model_path.read_bytes())
        current = dict(config)
        current.pop("legacy", None)
        (Path(directory) / "tokenizer_config.json").write_text(json.dumps(current))
        try:
            hf = AutoTokenizer.from_pretrained(directory)
        except Exception as error:  # noqa: BLE001 (informational only)
            print(f"  transformers could not load the {variant['family']} tokenizer: {error}")
            return []
        return [i for i, t in enumerate(texts) if hf(t)["input_ids"] != expected[i]]


if __name__ == "__main__":
    main()
