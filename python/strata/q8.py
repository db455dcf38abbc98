"""The q8 dtype (spec/FORMAT.md §5.1, format 1.1): decoding a block's raw bytes into float32.

A block of n vectors of ``hidden`` values with k outlier channels each is four sections: n f32
scales, n × k u16 channel indices (strictly ascending, below hidden), n × k bf16 outlier values and
n × hidden int8 codes; each is byte-shuffled by its own width when the block is shuffled. A value is
``float32(code) * scale``, then each outlier channel takes its bf16 value. This package reads q8;
`strata convert --dtype q8` writes it.
"""
from typing import Optional

import numpy as np

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
