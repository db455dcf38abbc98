"""Record entries (spec/FORMAT.md §6): the commit entry written after a record's blocks. Encoding for
the writer and decoding (with every bound checked before use) for the reader."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import validation
from .checksum import crc32c
from .errors import StrataError
from .layout import BLOCK_REF, BLOCK_REF_ROW, RECORD_HEADER, TAG_RECORD, Limits, id_hash

__all__ = ["RecordEntry", "encode_record_entry", "decode_record_body"]

_U32 = struct.Struct("<I")


@dataclass
class RecordEntry:
    """A parsed record entry: the record's non-value fields and its block references."""
    ordinal: int
    id: str
    labels: List[int]
    token_ids: np.ndarray
    text: Optional[str]
    metadata: Dict[str, str]
    auxiliary: Dict[str, np.ndarray]
    #: Block references as a ``BLOCK_REF_ROW`` record array, in the record's block order.
    blocks: np.ndarray
    id_hash: int = 0
    stored_bytes: int = 0
    raw_bytes: int = 0
    #: The references as tuples (offset, ls, lc, ts, tc, stored, raw, crc), for comparisons.
    refs: List[Tuple[int, ...]] = field(default_factory=list)


def _string(value: str) -> bytes:
    data = value.encode("utf-8")
    return _U32.pack(len(data)) + data


def _utf8_order(keys: Sequence[str]) -> List[str]:
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def encode_record_entry(ordinal: int, record_id: str, labels: Sequence[int], token_ids: np.ndarray, text: Optional[str],
                        metadata: Mapping[str, str], auxiliary: Mapping[str, np.ndarray], refs: Sequence[Tuple[int, ...]]) -> bytes:
    """Header + body of a record entry; ``refs`` are BLOCK_REF tuples (offset, ls, lc, ts, tc, stored,
    raw, crc, 0) in block order."""
    parts = [_string(record_id), struct.pack("<II", len(token_ids), len(labels)),
             np.asarray(labels, dtype="<i8").tobytes(), np.asarray(token_ids, dtype="<i4").tobytes()]
    parts.append(b"\x00" if text is None else b"\x01" + _string(text))
    parts.append(_U32.pack(len(metadata)))
    for key in _utf8_order(list(metadata)):
        parts.append(_string(key) + _string(metadata[key]))
    parts.append(_U32.pack(len(auxiliary)))
    for name in _utf8_order(list(auxiliary)):
        vector = np.ascontiguousarray(auxiliary[name], dtype="<f4")
        parts.append(_string(name) + _U32.pack(len(vector)) + vector.tobytes())
    parts.append(_U32.pack(len(refs)))
    parts.extend(BLOCK_REF.pack(*ref) for ref in refs)
    body = b"".join(parts)
    if len(body) > Limits.ENTRY_BODY_BYTES:
        raise StrataError("invalidArgument", f"record entry (text, metadata, token ids) is {len(body)} bytes, over the limit")
    header = RECORD_HEADER.pack(TAG_RECORD, 48, ordinal, id_hash(record_id), len(body), crc32c(body), len(refs), 0, 0)
    return header[:44] + _U32.pack(crc32c(header[:44])) + body


class _Cursor:
    """Bounds-checked little-endian reads from a record entry body."""
    __slots__ = ("data", "pos")

    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int, what: str) -> memoryview:
        if n > len(self.data) - self.pos:
            raise validation.corrupt(f"record entry body ends inside the {what} ({n} bytes needed at {self.pos})")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u32(self, what: str) -> int:
        return int(_U32.unpack(self.take(4, what))[0])

    def count(self, what: str, limit: int) -> int:
        value = self.u32(what)
        if value > limit:
            raise validation.corrupt(f"{what} {value} exceeds the limit {limit}")
        return value

    def string(self, what: str) -> str:
        n = self.count(f"{what} length", len(self.data) - self.pos)
        try:
            return str(self.take(n, what), "utf-8")
        except UnicodeDecodeError:
            raise validation.corrupt(f"{what} is not valid UTF-8") from None


def decode_record_body(body: memoryview, ordinal: int, expected_hash: int, block_count: int) -> RecordEntry:
    """Parses a record body whose CRC the caller has checked (§6), bounding every count first."""
    c = _Cursor(body)
    record_id = c.string("id")
    h = id_hash(record_id)
    if h != expected_hash:
        raise validation.corrupt("record id does not match the id hash in its header")
    n_tokens = c.count("token count", Limits.TOKENS)
    n_labels = c.count("label count", Limits.LABELS)
    labels = np.frombuffer(c.take(8 * n_labels, "labels"), dtype="<i8").tolist()
    token_ids = np.frombuffer(c.take(4 * n_tokens, "token ids"), dtype="<i4").astype(np.int32)
    flag = c.take(1, "text flag")[0]
    if flag not in (0, 1):
        raise validation.corrupt(f"invalid text flag {flag}")
    text = c.string("text") if flag else None
    metadata: Dict[str, str] = {}
    n_meta = c.count("metadata count", (len(body) - c.pos) // 8)
    keys = []
    for _ in range(n_meta):
        key = c.string("metadata key")
        metadata[key] = c.string("metadata value")
        keys.append(key)
    validation.check_sorted_unique(keys, "metadata key")
    auxiliary: Dict[str, np.ndarray] = {}
    n_aux = c.count("auxiliary count", (len(body) - c.pos) // 8)
    names = []
    for _ in range(n_aux):
        name = c.string("auxiliary name")
        n = c.count("auxiliary length", min(Limits.AUXILIARY_LENGTH, (len(body) - c.pos) // 4))
        auxiliary[name] = np.frombuffer(c.take(4 * n, "auxiliary vector"), dtype="<f4").astype(np.float32)
        names.append(name)
    validation.check_sorted_unique(names, "auxiliary name")
    n_blocks = c.count("block count", (len(body) - c.pos) // 48)
    if n_blocks != block_count:
        raise validation.corrupt(f"record body lists {n_blocks} blocks but its header says {block_count}")
    blocks = np.frombuffer(c.take(48 * n_blocks, "block references"), dtype=BLOCK_REF_ROW).copy()
    if c.pos != len(body):
        raise validation.corrupt(f"record entry body has {len(body) - c.pos} unexpected trailing bytes")
    return RecordEntry(ordinal=ordinal, id=record_id, labels=labels, token_ids=token_ids, text=text, metadata=metadata,
                       auxiliary=auxiliary, blocks=blocks, id_hash=h, stored_bytes=int(blocks["stored_size"].sum()),
                       raw_bytes=int(blocks["raw_size"].sum()), refs=[ref[:8] for ref in blocks.tolist()])
