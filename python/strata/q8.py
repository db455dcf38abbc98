"""The q8 dtype (spec/FORMAT.md §5.1, format 1.1): a block's raw bytes to float32 and back.

A block of n vectors of ``hidden`` values with k outlier channels each is four sections: n f32
scales, n × k u16 channel indices (strictly ascending, below hidden), n × k bf16 outlier values and
n × hidden int8 codes; each is byte-shuffled by its own width when the block is shuffled. A value is
``float32(code) * scale``, then each outlier channel takes its bf16 value. The package's reader decodes
q8; its Writer does not write it (`strata convert --dtype q8` does); ``encode`` applies §5.1's rule for
the spec's test vectors and the q8 benchmarks.
"""
from typing import Optional

import numpy as np

from .codec import to_stored
from .errors import StrataError

MAX_OUTLIERS = 64
MAX_HIDDEN = 1 << 16


def outliers_for(raw_size: int, vectors: int, hidden: int) -> Optional[int]:
    """The k a block of ``vectors`` vectors with this raw size has, or None when no allowed k fits."""
    if vectors <= 0 or hidden > MAX_HIDDEN or raw_size % vectors:
        return None
    extra = raw_size // vectors - hidden - 4
    if extra < 0 or extra % 4 or extra // 4 > min(MAX_OUTLIERS, hidden):
        return None
    return extra // 4


def _section(data: np.ndarray, offset: int, width: int, count: int, shuffled: bool) -> np.ndarray:
    part = data[offset:offset + width * count]
    if shuffled and width > 1:
        part = part.reshape(width, count).T
    return np.ascontiguousarray(part).reshape(-1)


def decode(data: np.ndarray, vectors: int, hidden: int, k: int, shuffled: bool) -> np.ndarray:
    """Raw block bytes (uint8) -> float32 [vectors, hidden], after checking scales and indices."""
    n = vectors
    scales = _section(data, 0, 4, n, shuffled).view("<f4")
    indices = _section(data, 4 * n, 2, n * k, shuffled).view("<u2").reshape(n, k)
    outliers = _section(data, 4 * n + 2 * n * k, 2, n * k, shuffled).view("<u2").reshape(n, k)
    codes = data[4 * n + 4 * n * k:4 * n + 4 * n * k + n * hidden].view(np.int8).reshape(n, hidden)
    if (scales.view("<u4") >= 0x7F800000).any():
        raise StrataError("corrupt", "a q8 scale is negative, infinite or NaN")
    if k and ((indices >= hidden).any() or (np.diff(indices.astype(np.int64), axis=1) <= 0).any()):
        raise StrataError("corrupt", "q8 outlier channels are not strictly ascending below hidden")
    values = codes.astype(np.float32) * scales[:, None]
    if k:
        values[np.arange(n)[:, None], indices] = (outliers.astype(np.uint32) << 16).view(np.float32)
    return values


# --- encoding (spec/FORMAT.md §5.1's rule; used by the spec's vector generator, spec/vectors/generate.py) ---

def sections(vectors: int, hidden: int, k: int) -> "list[tuple[int, int, int]]":
    """(offset, element width, element count) of the scales, indices, outliers and codes of a block."""
    n = vectors
    return [(0, 4, n), (4 * n, 2, n * k), (4 * n + 2 * n * k, 2, n * k), (4 * n + 4 * n * k, 1, n * hidden)]


def encode(vectors: np.ndarray, k: int) -> "tuple[bytes, np.ndarray]":
    """float32 vectors [n, hidden] with k exact (bf16) outlier channels each -> the block's unshuffled raw
    bytes, and each vector's relative L2 error after decoding. The outliers are the k largest magnitudes
    (the lower channel first among equals); the other channels share one absmax scale (absmax / 127)."""
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n, hidden = x.shape
    magnitudes = np.abs(x)
    order = np.argsort(-magnitudes, axis=1, kind="stable")
    top = np.sort(order[:, :k], axis=1)
    rest_max = magnitudes[np.arange(n), order[:, k]] if k < hidden else np.zeros(n, dtype=np.float32)
    scale = (rest_max / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.where(rest_max > 0, np.float32(127) / rest_max, np.float32(0)).astype(np.float32)
    codes = np.clip(np.rint(x * inverse[:, None]), -127, 127).astype(np.int8)
    rows = np.arange(n)[:, None]
    codes[rows, top] = 0
    outlier_bits = to_stored(x[rows, top].reshape(-1), "bf16").reshape(n, k)
    raw = (scale.astype("<f4").tobytes() + top.astype("<u2").tobytes() + outlier_bits.astype("<u2").tobytes()
           + codes.tobytes())
    decoded = decode(np.frombuffer(raw, dtype=np.uint8), n, hidden, k, shuffled=False)
    error = np.sqrt(((x.astype(np.float64) - decoded) ** 2).sum(1))
    norm = np.sqrt((x.astype(np.float64) ** 2).sum(1))
    return raw, np.where(norm > 0, error / np.where(norm > 0, norm, 1), 0.0)


def choose_outliers(vectors: np.ndarray, bound: float) -> int:
    """The smallest k (at most 64) at which every vector's relative L2 error is within ``bound``."""
    hidden = vectors.shape[1]
    for k in range(0, min(MAX_OUTLIERS, hidden) + 1):
        _, error = encode(vectors, k)
        if error.max(initial=0.0) <= bound:
            return k
    raise StrataError("invalidArgument", f"no outlier count up to {min(MAX_OUTLIERS, hidden)} meets the bound {bound}")


def shuffle(raw: bytes, vectors: int, hidden: int, k: int) -> bytes:
    """Byte-shuffles each section of unshuffled raw block bytes by its own element width (what ``decode``
    undoes with ``shuffled=True``)."""
    out = bytearray(len(raw))
    for offset, width, count in sections(vectors, hidden, k):
        part = np.frombuffer(raw, dtype=np.uint8, count=width * count, offset=offset)
        out[offset:offset + width * count] = np.ascontiguousarray(part.reshape(count, width).T).tobytes()
    return bytes(out)
