"""Block payload codec (spec/FORMAT.md §5): dtype conversion, byte shuffle and zstd, in both directions.

Writing matches the Swift writer byte for byte: round-to-nearest-even conversion, byte planes, and one
zstd frame per block with a zstd block boundary forced at every plane boundary. Reading decompresses
into reused buffers and turns planes into values with numpy views (no per-element Python).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import zstandard

from .errors import StrataError
from .layout import STORED_NUMPY

__all__ = ["to_stored", "planes_of", "PlaneCompressor", "Decompressor", "write_planes"]

_U16 = np.dtype("<u2")
_U32 = np.dtype("<u4")


# --- values -> stored bits ------------------------------------------------------------------------

def _f32_to_bf16(values: np.ndarray) -> np.ndarray:
    """float32 → bfloat16 bits, round to nearest even; NaN keeps its top bits and is quieted (as Swift)."""
    u = np.ascontiguousarray(values, dtype=np.float32).view(_U32)
    rounded = ((u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))) >> np.uint32(16)).astype(_U16)
    nan = (u & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000)
    if nan.any():
        rounded[nan] = (u[nan] >> np.uint32(16)).astype(_U16) | np.uint16(0x0040)
    return rounded


def _f32_to_f16(values: np.ndarray) -> np.ndarray:
    """float32 → IEEE half bits, round to nearest even; NaN quieted with its payload's top bits (F16C)."""
    v = np.ascontiguousarray(values, dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        bits = v.astype(np.float16).view(_U16)
    nan = np.isnan(v)
    if nan.any():
        u = v.view(_U32)[nan]
        bits = bits.copy()
        bits[nan] = ((u >> np.uint32(16)) & np.uint32(0x8000)).astype(_U16) | np.uint16(0x7E00) \
            | ((u >> np.uint32(13)) & np.uint32(0x3FF)).astype(_U16)
    return bits


def _bf16_to_f32(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(_U32) << np.uint32(16)).view(np.float32)


def _source_kind(values: Any) -> "tuple[np.ndarray, str]":
    """The values as a numpy array and what they hold: 'f32', 'f16', 'bf16' (bit patterns) or 'f64'."""
    module = type(values).__module__
    if module.startswith("torch"):
        tensor = values.detach().cpu().contiguous()
        if str(tensor.dtype) == "torch.bfloat16":
            import torch  # only reached when the caller already uses torch
            return tensor.view(torch.int16).numpy().view(_U16), "bf16"
        values = tensor.numpy()
    array = np.asarray(values)
    name = array.dtype.name
    if name == "bfloat16":  # ml_dtypes / jax arrays
        return array.view(_U16), "bf16"
    if array.dtype == np.float32:
        return array, "f32"
    if array.dtype == np.float16:
        return array, "f16"
    if array.dtype == np.float64:
        return array, "f64"
    raise TypeError(f"values must be float32, float16, float64 or bfloat16, not {array.dtype}")


def to_stored(values: Any, dtype: str) -> np.ndarray:
    """Values (numpy float32/float16/float64, bfloat16 arrays of ml_dtypes, or torch tensors) converted
    to the stored dtype's element type (uint16 bit patterns for bf16), C-contiguous, same shape.
    float64 is rounded to float32 first."""
    array, kind = _source_kind(values)
    if kind == "f64":
        array, kind = array.astype(np.float32), "f32"
    if kind == dtype:
        return np.ascontiguousarray(array).view(STORED_NUMPY[dtype])
    if kind == "bf16":
        array, kind = _bf16_to_f32(np.ascontiguousarray(array)), "f32"
    if kind == "f16":
        array, kind = array.astype(np.float32), "f32"
    if dtype == "f32":
        return np.ascontiguousarray(array, dtype=np.float32)
    if dtype == "bf16":
        return _f32_to_bf16(array)
    return _f32_to_f16(array).view(np.float16)


def planes_of(elements: np.ndarray) -> np.ndarray:
    """Byte planes of stored elements: plane k holds byte k (little-endian) of every element."""
    width = elements.dtype.itemsize
    return np.ascontiguousarray(elements.reshape(-1).view(np.uint8).reshape(-1, width).T)


class PlaneCompressor:
    """Compresses byte planes into one zstd frame with its content size and no checksum, ending a zstd
    block at every plane boundary (as the Swift writer's ``ZSTD_e_flush``)."""

    def __init__(self, level: int) -> None:
        self.level = level
        self._context = zstandard.ZstdCompressor(level=level, write_content_size=True, write_checksum=False,
                                                 write_dict_id=False)

    def compress(self, planes: np.ndarray) -> bytes:
        """``planes`` is [width, n] uint8; returns the frame."""
        width = planes.shape[0]
        stream = self._context.compressobj(size=planes.size)
        parts = []
        for k in range(width):
            parts.append(stream.compress(planes[k].data))
            parts.append(stream.flush(zstandard.COMPRESSOBJ_FLUSH_FINISH if k == width - 1
                                      else zstandard.COMPRESSOBJ_FLUSH_BLOCK))
        return b"".join(parts)


# --- reading: payload -> planes -> values -----------------------------------------------------------

class Decompressor:
    """A reader's decoding workspace: decompresses zstd payloads into one reused buffer, and lends
    scratch arrays for assembling elements (both grown as needed; one per reader, not thread-safe)."""

    def __init__(self) -> None:
        self._context = zstandard.ZstdDecompressor()
        self._buffer = bytearray(0)
        self._scratch = bytearray(0)

    def scratch(self, shape: "tuple[int, ...]", dtype: np.dtype) -> np.ndarray:
        """A C-contiguous array of ``shape`` and ``dtype`` in reused memory (contents undefined)."""
        elements = 1
        for extent in shape:
            elements *= extent
        size = elements * dtype.itemsize
        if len(self._scratch) < size:
            self._scratch = bytearray(max(size, 2 * len(self._scratch)))
        return np.frombuffer(self._scratch, dtype=dtype, count=elements).reshape(shape)

    def decompress(self, payload: memoryview, raw_size: int) -> memoryview:
        """The frame's content (exactly ``raw_size`` bytes) in the reused buffer. The caller has checked
        the frame's header and size; a frame that does not decode to exactly ``raw_size`` bytes, or whose
        content checksum (if it has one) does not match, is corruption."""
        if len(self._buffer) < raw_size:
            self._buffer = bytearray(max(raw_size, 2 * len(self._buffer)))
        target = memoryview(self._buffer)[:raw_size]
        reader = self._context.stream_reader(payload, read_size=len(payload) or 1, read_across_frames=False)
        filled = 0
        try:
            while filled < raw_size:
                n = reader.readinto(target[filled:])
                if not n:
                    break
                filled += n
            extra = reader.read(1)
        except zstandard.ZstdError as error:
            raise StrataError("corrupt", f"zstd frame does not decode: {error}") from None
        if filled != raw_size or extra:
            raise StrataError("corrupt", f"zstd frame does not decode to exactly {raw_size} bytes")
        return target


def write_planes(planes: np.ndarray, dtype: str, out: np.ndarray, workspace: "Decompressor") -> None:
    """Writes shuffled elements into ``out``. ``planes`` is [width, ...shape of out] uint8 (a view of a
    block's planes); ``out`` has the same shape and is float32 (converted) or the stored numpy type.
    Elements are assembled with shifts and ORs on whole arrays (faster in numpy than byte-strided copies)."""
    if dtype == "f32":
        bits = out.view(_U32)
        part = workspace.scratch(out.shape, _U32)
        np.left_shift(planes[3], 24, out=bits, dtype=_U32)
        for k, shift in ((2, 16), (1, 8)):
            np.left_shift(planes[k], shift, out=part, dtype=_U32)
            np.bitwise_or(bits, part, out=bits)
        np.bitwise_or(bits, planes[0], out=bits)
        return
    # 16-bit elements: low byte in plane 0, high byte in plane 1.
    if out.dtype == np.float32:
        half = workspace.scratch(out.shape, _U16)
    else:
        half = out.view(_U16)
    np.left_shift(planes[1], 8, out=half, dtype=_U16)
    np.bitwise_or(half, planes[0], out=half)
    if out.dtype == np.float32:
        if dtype == "bf16":
            np.left_shift(half, 16, out=out.view(_U32), dtype=_U32)
        else:
            np.copyto(out, half.view(np.float16), casting="unsafe")


def write_elements(elements: np.ndarray, dtype: str, out: np.ndarray) -> None:
    """Writes unshuffled stored elements (``STORED_NUMPY[dtype]``, shape of ``out``) into ``out``."""
    if out.dtype == np.float32 and dtype == "bf16":
        np.left_shift(elements, 16, out=out.view(_U32), dtype=_U32)
    else:
        np.copyto(out, elements, casting="unsafe")
