"""The shard writer of the spec's test vectors (used by generate.py beside it).

Unlike the package's ``strata.Writer`` it takes each record's block tiling and per-block options as given,
so that the vectors can hold what a real writer rarely or never produces: odd tilings, codec 0 blocks,
unshuffled blocks, zstd frames with a content checksum or rewritten by a test, zeros between structures,
unsealed files, null metadata values. Every encoding step is the Python package's (python/strata: byte
layout, CRC32C, id hash, value conversion, byte planes, record entries, q8); only the choices are here.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import zstandard

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from strata import q8  # noqa: E402
from strata.checksum import crc32c  # noqa: E402
from strata.codec import planes_of, to_stored  # noqa: E402
from strata.entry import encode_record_entry  # noqa: E402
from strata.layout import (BLOCK_HEADER, CODEC_NONE, CODEC_ZSTD, DTYPE_CODES, DTYPE_MINOR,  # noqa: E402
                           FILE_HEADER, FILE_MAGIC, INDEX_HEADER, INDEX_ROW, TAG_BLOCK, TAG_INDEX, TRAILER,
                           TRAILER_MAGIC, id_hash)

__all__ = ["VectorWriter", "stored_values", "zstd_frame"]


def stored_values(values: np.ndarray, dtype: str) -> np.ndarray:
    """float32 values as a reader returns them from a ``dtype`` shard (rounded to the stored type)."""
    stored = to_stored(values, dtype)
    if dtype == "bf16":
        return (stored.astype(np.uint32) << np.uint32(16)).view(np.float32)
    return stored.astype(np.float32)


def zstd_frame(raw: bytes, level: int, checksum: bool = False) -> bytes:
    """One zstd frame declaring its content size (§5), optionally with a content checksum."""
    return zstandard.ZstdCompressor(level=level, write_content_size=True, write_checksum=checksum).compress(raw)


def _sealed(header: bytes) -> bytes:
    """A structure whose last 4 bytes are the CRC32C of the ones before them."""
    return header[:-4] + crc32c(header[:-4]).to_bytes(4, "little")


class VectorWriter:
    """Appends records to a shard with the tiling given per record; ``close()`` seals it (or not).

    ``rows`` (index rows) and ``block_offsets`` (each record's block header offsets) are kept for the
    generator, which cuts and patches files after writing them; ``decoded`` holds each record's values as
    a reader must return them (for q8: the reconstruction of the codes written, before any "mangle")."""

    def __init__(self, path: str, metadata: dict, level: int = 1) -> None:
        self.f = open(path, "wb")
        self.meta = metadata
        self.level = level
        # sort_keys, compact, null values kept (the package's writer leaves them out; readers accept both, §4).
        meta_json = json.dumps(metadata, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        self.f.write(_sealed(FILE_HEADER.pack(FILE_MAGIC, 1, DTYPE_MINOR[metadata["dtype"]], 0, len(meta_json),
                                              crc32c(meta_json), 0)) + meta_json)
        self.rows: list = []
        self.block_offsets: list = []
        self.decoded: list = []

    def append(self, rec: dict, values_f32: np.ndarray, tiles, codec: str = "zstd", shuffle: bool = True,
               gap_before_entry: int = 0) -> None:
        """rec: dict(id, labels, token_ids, text|None, metadata, auxiliary); values_f32: [L, T, H]; tiles:
        (layer_start, layer_count, token_start, token_count[, options]) in the required order. codec "zstd"
        stores a zstd frame unless it is not smaller than the raw bytes, then codec 0 (§5); "none" stores
        codec 0. Per-tile options override ``codec`` and ``shuffle`` and may add "checksum" (a zstd content
        checksum), "frame" (a function rewriting the zstd frame, kept as codec 1 whatever its size), "gap"
        (zeros before the block, which a valid shard never has), "k" (q8 outlier count) and "mangle" (a
        function rewriting q8 raw bytes). ``gap_before_entry`` writes zeros before the record entry."""
        dtype, hidden = self.meta["dtype"], self.meta["hidden"]
        ordinal = len(self.rows)
        record_hash = id_hash(rec["id"])
        refs, offsets = [], []
        decoded = stored_values(values_f32, dtype) if dtype != "q8" else np.zeros_like(values_f32, dtype=np.float32)
        for tile in tiles:
            ls, lc, ts, tc = tile[:4]
            options = tile[4] if len(tile) > 4 else {}
            part = values_f32[ls:ls + lc, ts:ts + tc, :]
            shuffled = options.get("shuffle", shuffle)
            if dtype == "q8":
                vectors = part.reshape(-1, hidden)
                k = options.get("k")
                if k is None:
                    k = q8.choose_outliers(vectors, self.meta["quantization"]["max_rel_error"])
                raw, _ = q8.encode(vectors, k)
                decoded[ls:ls + lc, ts:ts + tc, :] = q8.decode(np.frombuffer(raw, dtype=np.uint8), lc * tc, hidden, k,
                                                               shuffled=False).reshape(lc, tc, hidden)
                if "mangle" in options:
                    raw = options["mangle"](bytearray(raw), lc * tc, k)
                if shuffled:
                    raw = q8.shuffle(raw, lc * tc, hidden, k)
            else:
                stored = to_stored(part, dtype)
                raw = planes_of(stored).tobytes() if shuffled else stored.tobytes()
            payload, codec_code = raw, CODEC_NONE
            if options.get("codec", codec) == "zstd":
                frame = zstd_frame(raw, self.level, options.get("checksum", False))
                if "frame" in options:
                    payload, codec_code = options["frame"](frame), CODEC_ZSTD
                elif len(frame) < len(raw):
                    payload, codec_code = frame, CODEC_ZSTD
            self.f.write(b"\x00" * options.get("gap", 0))
            offset = self.f.tell()
            payload_crc = crc32c(payload)
            self.f.write(_sealed(BLOCK_HEADER.pack(TAG_BLOCK, 72, ordinal, record_hash, ls, lc, ts, tc, hidden,
                                                   DTYPE_CODES[dtype], codec_code, 1 if shuffled else 0, 0, len(raw),
                                                   len(payload), payload_crc, 0)) + payload)
            offsets.append(offset)
            refs.append((offset, ls, lc, ts, tc, len(payload), len(raw), payload_crc, 0))
        entry = encode_record_entry(ordinal, rec["id"], rec["labels"], np.asarray(rec["token_ids"], dtype=np.int64),
                                    rec.get("text"), rec.get("metadata", {}), rec.get("auxiliary", {}), refs)
        self.f.write(b"\x00" * gap_before_entry)
        offset = self.f.tell()
        self.f.write(entry)
        self.rows.append((offset, len(entry), sum(r[5] for r in refs), len(rec["token_ids"]), len(refs)))
        self.block_offsets.append(offsets)
        self.decoded.append(decoded)

    def close(self, seal: bool = True) -> None:
        if seal:
            index_offset = self.f.tell()
            body = np.array(self.rows, dtype=INDEX_ROW).tobytes() if self.rows else b""
            self.f.write(_sealed(INDEX_HEADER.pack(TAG_INDEX, 32, len(self.rows), len(body), crc32c(body), 0)) + body)
            self.f.write(_sealed(TRAILER.pack(TRAILER_MAGIC, index_offset, len(self.rows), 0, 0)))
        self.f.close()
