"""Byte layout constants of spec/FORMAT.md: magic numbers, structure formats, limits, dtype codes.

Shared by the reader, the writer and recovery-free tools; nothing here reads a file.
"""
from __future__ import annotations

import struct
from typing import Dict

import numpy as np

__all__ = [
    "FILE_MAGIC", "TRAILER_MAGIC", "TAG_BLOCK", "TAG_RECORD", "TAG_INDEX",
    "FILE_HEADER", "BLOCK_HEADER", "RECORD_HEADER", "BLOCK_REF", "INDEX_HEADER", "TRAILER", "INDEX_ROW",
    "Limits", "DTYPE_CODES", "DTYPE_NAMES", "DTYPE_WIDTH", "DTYPE_MINOR", "READER_MINOR", "LOSSY_DTYPES", "STORED_NUMPY",
    "CODEC_NONE", "CODEC_ZSTD",
    "id_hash", "zstd_bound",
]

FILE_MAGIC = b"\x89STRATA\n"
TRAILER_MAGIC = b"STRATEND"
TAG_BLOCK = 0x4B4C4253   # "SBLK"
TAG_RECORD = 0x43455253  # "SREC"
TAG_INDEX = 0x58444953   # "SIDX"

#: File header (§3): magic, major, minor, flags, metadata_length, metadata_crc, header_crc.
FILE_HEADER = struct.Struct("<8sHHIQII")
#: Block header (§5): tag, header length, ordinal, id hash, layer_start, layer_count, token_start,
#: token_count, hidden, dtype, codec, shuffle, reserved, raw_size, stored_size, payload_crc, header_crc.
BLOCK_HEADER = struct.Struct("<IIQQIIIIIBBBBQQII")
#: Record entry header (§6): tag, header length, ordinal, id hash, body_length, body_crc, block_count,
#: reserved, header_crc.
RECORD_HEADER = struct.Struct("<IIQQQIIII")
#: Block reference in a record body (§6): offset, layer_start, layer_count, token_start, token_count,
#: stored_size, raw_size, payload_crc, reserved.
BLOCK_REF = struct.Struct("<QIIIIQQII")
#: Index header (§7): tag, header length, record_count, body_length, body_crc, header_crc.
INDEX_HEADER = struct.Struct("<IIQQII")
#: Trailer (§7): magic, index_offset, record_count, reserved, trailer_crc.
TRAILER = struct.Struct("<8sQQII")
#: One index row (§7).
INDEX_ROW = np.dtype([("offset", "<u8"), ("length", "<u8"), ("stored", "<u8"), ("tokens", "<u4"), ("blocks", "<u4")])
#: Block references as a numpy record array (same layout as BLOCK_REF).
BLOCK_REF_ROW = np.dtype([("offset", "<u8"), ("layer_start", "<u4"), ("layer_count", "<u4"), ("token_start", "<u4"),
                          ("token_count", "<u4"), ("stored_size", "<u8"), ("raw_size", "<u8"), ("payload_crc", "<u4"),
                          ("reserved", "<u4")])

assert FILE_HEADER.size == 32 and BLOCK_HEADER.size == 72 and RECORD_HEADER.size == 48
assert BLOCK_REF.size == 48 and INDEX_HEADER.size == 32 and TRAILER.size == 32
assert INDEX_ROW.itemsize == 32 and BLOCK_REF_ROW.itemsize == 48


class Limits:
    """Bounds every reader enforces before allocating (§10); writers refuse input beyond them."""
    METADATA_BYTES = 64 << 20
    HIDDEN = 1 << 20
    LAYERS = 4096
    TOKENS = 1 << 24
    LABELS = 1 << 16
    AUXILIARY_LENGTH = 1 << 26
    ENTRY_BODY_BYTES = 1 << 30
    BLOCK_RAW_BYTES = 1 << 30
    BLOCKS_PER_RECORD = 1 << 22
    RECORDS_PER_SHARD = 1 << 32
    RECORD_VALUE_BYTES = 4 << 30
    MANIFEST_BYTES = 256 << 20


DTYPE_CODES: Dict[str, int] = {"f32": 0, "f16": 1, "bf16": 2, "q8": 3}
DTYPE_NAMES: Dict[int, str] = {code: name for name, code in DTYPE_CODES.items()}
#: Bytes per value; for q8 the planning width (its blocks are hidden + 4 + 4k bytes per vector, §5.1).
DTYPE_WIDTH: Dict[str, int] = {"f32": 4, "f16": 2, "bf16": 2, "q8": 2}
#: The format minor version that introduced each dtype (§3, §12); READER_MINOR is the newest this package reads.
DTYPE_MINOR: Dict[str, int] = {"f32": 0, "f16": 0, "bf16": 0, "q8": 1}
READER_MINOR = 1
#: Lossy dtypes: reads return float32 reconstructions, and there is no "stored" form.
LOSSY_DTYPES = ("q8",)
#: numpy type of stored elements: bf16 has none, so its bit patterns are uint16.
STORED_NUMPY: Dict[str, np.dtype] = {"f32": np.dtype("<f4"), "f16": np.dtype("<f2"), "bf16": np.dtype("<u2")}
CODEC_NONE = 0
CODEC_ZSTD = 1

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = 0xFFFFFFFFFFFFFFFF


def id_hash(record_id: str) -> int:
    """64-bit FNV-1a of the UTF-8 bytes of a record id (§1)."""
    h = _FNV_OFFSET
    for byte in record_id.encode("utf-8"):
        h = ((h ^ byte) * _FNV_PRIME) & _MASK64
    return h


def zstd_bound(raw: int) -> int:
    """``ZSTD_compressBound(raw)`` of zstd ≥ 1.4 (§5): the largest valid stored size of a zstd block."""
    return raw + (raw >> 8) + ((131072 - raw) >> 11 if raw < 131072 else 0)
