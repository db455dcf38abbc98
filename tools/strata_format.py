#!/usr/bin/env python3
"""An independent Python implementation of the Strata shard format, written from spec/FORMAT.md only.

It is used to generate the test vectors in spec/vectors/ (tools/make_format_vectors.py) and to check that
shards written by the Swift library decode the same way (python3 tools/strata_format.py read PATH).
Needs: numpy, zstandard.
"""
import json
import struct
import sys

import numpy as np
import zstandard

HEADER_MAGIC = b"\x89STRATA\n"
TRAILER_MAGIC = b"STRATEND"
TAG_BLOCK, TAG_RECORD, TAG_INDEX = b"SBLK", b"SREC", b"SIDX"
DTYPES = {"f32": (0, 4), "f16": (1, 2), "bf16": (2, 2)}
DTYPE_BY_CODE = {0: "f32", 1: "f16", 2: "bf16"}


def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def id_hash(s: str) -> int:
    h = 0xCBF29CE484222325
    for b in s.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _string(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<I", len(b)) + b


def to_stored_bits(values_f32: np.ndarray, dtype: str) -> np.ndarray:
    """f32 array -> stored element bit patterns (round to nearest even)."""
    v = np.ascontiguousarray(values_f32, dtype=np.float32)
    if dtype == "f32":
        return v.view(np.uint32)
    if dtype == "f16":
        return v.astype(np.float16).view(np.uint16)
    u = v.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(v)
    rounded[nan] = ((u[nan] >> 16).astype(np.uint16)) | 0x0040
    return rounded


def stored_bits_to_f32(bits: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "f32":
        return bits.view(np.float32)
    if dtype == "f16":
        return bits.view(np.float16).astype(np.float32)
    return (bits.astype(np.uint32) << 16).view(np.float32)


class Writer:
    """Appends records to a shard; `close()` seals it. Block tiling is given per record."""

    def __init__(self, path, metadata, level=1):
        self.f = open(path, "wb")
        self.meta = metadata
        self.level = level
        meta_json = json.dumps(metadata, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        head = HEADER_MAGIC + struct.pack("<HHIQI", 1, 0, 0, len(meta_json), crc32c(meta_json))
        self.f.write(head + struct.pack("<I", crc32c(head)) + meta_json)
        self.rows = []

    def append(self, rec, values_f32, tiles, codec="zstd", shuffle=True):
        """rec: dict(id, labels, token_ids, text|None, metadata, auxiliary); values_f32: [L, T, H];
        tiles: list of (layer_start, layer_count, token_start, token_count) in the required order."""
        dtype = self.meta["dtype"]
        code, width = DTYPES[dtype]
        hidden = self.meta["hidden"]
        ordinal = len(self.rows)
        h64 = id_hash(rec["id"])
        refs = []
        for ls, lc, ts, tc in tiles:
            part = values_f32[ls:ls + lc, ts:ts + tc, :]
            bits = to_stored_bits(part.reshape(-1), dtype)
            raw = bits.tobytes()
            if shuffle:
                raw = np.frombuffer(raw, dtype=np.uint8).reshape(-1, width).T.copy().tobytes()
            if codec == "zstd":
                payload = zstandard.ZstdCompressor(level=self.level, write_content_size=True).compress(raw)
                codec_code = 1
            else:
                payload = raw
                codec_code = 0
            offset = self.f.tell()
            head = TAG_BLOCK + struct.pack("<IQQIIIIIBBBBQQI", 72, ordinal, h64, ls, lc, ts, tc, hidden, code, codec_code,
                                           1 if shuffle else 0, 0, len(raw), len(payload), crc32c(payload))
            self.f.write(head + struct.pack("<I", crc32c(head)) + payload)
            refs.append(struct.pack("<QIIIIQQII", offset, ls, lc, ts, tc, len(payload), len(raw), crc32c(payload), 0))
        body = _string(rec["id"]) + struct.pack("<II", len(rec["token_ids"]), len(rec["labels"]))
        body += b"".join(struct.pack("<q", l) for l in rec["labels"])
        body += b"".join(struct.pack("<i", t) for t in rec["token_ids"])
        body += b"\x00" if rec.get("text") is None else b"\x01" + _string(rec["text"])
        md = rec.get("metadata", {})
        body += struct.pack("<I", len(md))
        for k in sorted(md, key=lambda s: s.encode("utf-8")):
            body += _string(k) + _string(md[k])
        aux = rec.get("auxiliary", {})
        body += struct.pack("<I", len(aux))
        for k in sorted(aux, key=lambda s: s.encode("utf-8")):
            body += _string(k) + struct.pack("<I", len(aux[k])) + np.asarray(aux[k], dtype="<f4").tobytes()
        body += struct.pack("<I", len(refs)) + b"".join(refs)
        offset = self.f.tell()
        head = TAG_RECORD + struct.pack("<IQQQIII", 48, ordinal, h64, len(body), crc32c(body), len(refs), 0)
        entry = head + struct.pack("<I", crc32c(head)) + body
        self.f.write(entry)
        stored = sum(struct.unpack_from("<Q", r, 24)[0] for r in refs)
        self.rows.append((offset, len(entry), stored, len(rec["token_ids"]), len(refs)))

    def close(self, seal=True):
        if seal:
            index_offset = self.f.tell()
            body = b"".join(struct.pack("<QQQII", *row) for row in self.rows)
            head = TAG_INDEX + struct.pack("<IQQI", 32, len(self.rows), len(body), crc32c(body))
            self.f.write(head + struct.pack("<I", crc32c(head)) + body)
            trailer = TRAILER_MAGIC + struct.pack("<QQI", index_offset, len(self.rows), 0)
            self.f.write(trailer + struct.pack("<I", crc32c(trailer)))
        self.f.close()


class FormatError(Exception):
    pass


def read_shard(path):
    """Reads a sealed shard completely, checking every CRC; returns (metadata, [records]) where each record
    has id, labels, token_ids, text, metadata, auxiliary, shape [L, T, H] and values (f32, layer-major)."""
    with open(path, "rb") as f:
        data = f.read()

    def need(cond, why):
        if not cond:
            raise FormatError(f"{path}: {why}")

    need(len(data) >= 32 and data[:8] == HEADER_MAGIC, "not a Strata shard")
    major, minor, flags, meta_len, meta_crc, head_crc = struct.unpack_from("<HHIQII", data, 8)
    need(crc32c(data[:28]) == head_crc, "header CRC")
    need(major == 1, f"unsupported major version {major}")
    meta_bytes = data[32:32 + meta_len]
    need(len(meta_bytes) == meta_len and crc32c(meta_bytes) == meta_crc, "metadata CRC")
    meta = json.loads(meta_bytes)
    need(len(data) >= 32 + meta_len + 32 and data[-32:-24] == TRAILER_MAGIC and crc32c(data[-32:-4]) == struct.unpack_from("<I", data, len(data) - 4)[0],
         "unsealed (no valid trailer): run strata recover")
    index_offset, count = struct.unpack_from("<QQ", data, len(data) - 24)
    need(data[index_offset:index_offset + 4] == TAG_INDEX, "index tag")
    _, icount, ibody_len, ibody_crc, ihead_crc = struct.unpack_from("<IQQII", data, index_offset + 4)
    need(crc32c(data[index_offset:index_offset + 28]) == ihead_crc and icount == count, "index header")
    ibody = data[index_offset + 32:index_offset + 32 + ibody_len]
    need(crc32c(ibody) == ibody_crc and ibody_len == 32 * count, "index body")
    dtype = meta["dtype"]
    code, width = DTYPES[dtype]
    n_layers, hidden = len(meta["layers"]), meta["hidden"]
    records = []
    for i in range(count):
        off, length, _stored, n_tok, n_blocks = struct.unpack_from("<QQQII", ibody, 32 * i)
        need(data[off:off + 4] == TAG_RECORD, "record tag")
        _, ordinal, h64, body_len, body_crc, block_count, _, rcrc = struct.unpack_from("<IQQQIIII", data, off + 4)
        need(crc32c(data[off:off + 44]) == rcrc and ordinal == i and length == 48 + body_len, "record header")
        body = data[off + 48:off + 48 + body_len]
        need(crc32c(body) == body_crc, "record body CRC")
        p = 0

        def take(fmt):
            nonlocal p
            v = struct.unpack_from(fmt, body, p)
            p += struct.calcsize(fmt)
            return v

        def string():
            nonlocal p
            (n,) = take("<I")
            s = body[p:p + n].decode("utf-8")
            p += n
            return s

        rid = string()
        need(id_hash(rid) == h64, "id hash")
        n_tokens, n_labels = take("<II")
        labels = list(take(f"<{n_labels}q"))
        token_ids = list(take(f"<{n_tokens}i"))
        (has_text,) = take("<B")
        text = string() if has_text else None
        (n_meta,) = take("<I")
        md = {}
        for _ in range(n_meta):
            k = string()
            md[k] = string()
        (n_aux,) = take("<I")
        aux = {}
        for _ in range(n_aux):
            k = string()
            (n,) = take("<I")
            aux[k] = [float(x) for x in np.frombuffer(body, dtype="<f4", count=n, offset=p)]
            p += 4 * n
        (nb,) = take("<I")
        need(nb == block_count == n_blocks, "block count")
        values = np.zeros((n_layers, n_tokens, hidden), dtype=np.float32)
        for b in range(nb):
            boff, ls, lc, ts, tc, stored, raw_size, pcrc, _ = take("<QIIIIQQII")
            need(data[boff:boff + 4] == TAG_BLOCK, f"record {i} block {b} tag")
            f = struct.unpack_from("<IQQIIIIIBBBBQQII", data, boff + 4)
            (_, bord, bh, bls, blc, bts, btc, bhid, bdt, bcodec, bshuf, _, braw, bstored, bpcrc, bhcrc) = f
            need(crc32c(data[boff:boff + 68]) == bhcrc, f"record {i} block {b} header CRC")
            need((bord, bh, bls, blc, bts, btc, bhid, bdt, braw, bstored, bpcrc) == (i, h64, ls, lc, ts, tc, hidden, code, raw_size, stored, pcrc),
                 f"record {i} block {b} header/reference mismatch")
            payload = data[boff + 72:boff + 72 + stored]
            need(crc32c(payload) == pcrc, f"record {i} block {b} payload CRC")
            n = lc * tc * hidden
            need(raw_size == n * width, "raw size")
            if bcodec == 1:
                params = zstandard.get_frame_parameters(payload)
                need(params.content_size == raw_size, "zstd content size")
                raw = zstandard.ZstdDecompressor().decompress(payload)
            else:
                raw = payload
            planes = np.frombuffer(raw, dtype=np.uint8)
            elems = planes.reshape(width, n).T.copy() if bshuf else planes.reshape(n, width)
            bits = elems.reshape(-1).view(np.uint32 if width == 4 else np.uint16)
            values[ls:ls + lc, ts:ts + tc, :] = stored_bits_to_f32(bits, dtype).reshape(lc, tc, hidden)
        need(p == len(body), "record body trailing bytes")
        records.append({"id": rid, "labels": labels, "token_ids": token_ids, "text": text, "metadata": md, "auxiliary": aux,
                        "shape": [n_layers, n_tokens, hidden], "values": values})
    return meta, records


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "read":
        print("usage: strata_format.py read SHARD   (prints a JSON summary; exits 1 on any format error)", file=sys.stderr)
        sys.exit(2)
    try:
        meta, recs = read_shard(sys.argv[2])
    except FormatError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"records": len(recs), "dtype": meta["dtype"], "hidden": meta["hidden"], "layers": len(meta["layers"]),
                      "tokens": sum(r["shape"][1] for r in recs),
                      "checksum_f64_sum": float(sum(float(np.sum(r["values"], dtype=np.float64)) for r in recs)),
                      "ids": [r["id"] for r in recs]}))
