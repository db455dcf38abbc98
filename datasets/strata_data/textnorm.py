"""Text repair and normalisation shared by the builders."""
from __future__ import annotations

import re
import unicodedata

_C1 = re.compile("[\u0080-\u009f]")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def _cp1252_char(match: re.Match) -> str:
    try:
        return bytes([ord(match.group(0))]).decode("cp1252")
    except UnicodeDecodeError:
        return ""  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are unassigned in cp1252: drop them


def repair_cp1252(text: str) -> tuple[str, int]:
    """Maps C1 control characters (cp1252 bytes that were decoded as Latin-1) back to
    the characters they stood for, e.g. U+0096 -> EN DASH, U+0085 -> ELLIPSIS.
    Returns the repaired text and the number of characters changed."""
    count = len(_C1.findall(text))
    if count == 0:
        return text, 0
    return _C1.sub(_cp1252_char, text), count


def imdb_clean(text: str) -> tuple[str, int]:
    """IMDB review text as a reader sees it: HTML line breaks become newlines,
    cp1252 damage is repaired, outer whitespace is removed."""
    repaired, count = repair_cp1252(text)
    return _BR.sub("\n", repaired).strip(), count


def dedup_key(text: str) -> str:
    """Normalised form for duplicate detection: NFKC, case-folded, punctuation
    removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def shingles(key: str, size: int) -> frozenset:
    """Set of word n-grams of length `size` of an already normalised key (the
    whole key as one shingle when it is shorter than `size` words)."""
    words = key.split()
    if len(words) <= size:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[i:i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
