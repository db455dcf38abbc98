#!/usr/bin/env python3
"""An independent Python implementation of the Strata shard format, written from spec/FORMAT.md only.

It is used to generate the test vectors in spec/vectors/ (tools/make_format_vectors.py) and to check that
shards written by the Swift library decode the same way (python3 tools/strata_format.py read PATH).
Needs: numpy, zstandard.
"""
import json
import os
import struct
import sys

import numpy as np
import zstandard

HEADER_MAGIC = b"\x89STRATA\n"
TRAILER_MAGIC = b"STRATEND"
TAG_BLOCK, TAG_RECORD, TAG_INDEX = b"SBLK", b"SREC", b"SIDX"
DTYPES = {"f32": (0, 4), "f16": (1, 2), "bf16": (2, 2), "q8": (3, None)}  # q8: no fixed width (§5.1)
DTYPE_BY_CODE = {0: "f32", 1: "f16", 2: "bf16", 3: "q8"}
#: The format minor version each dtype needs (§3, §12): the file header says the oldest that can read it.
DTYPE_MINOR = {"f32": 0, "f16": 0, "bf16": 0, "q8": 1}
Q8_MAX_OUTLIERS = 64


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


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def q8_sections(n, hidden, k):
    """§5.1: (offset, element width, element count) of the scales, indices, outliers and codes."""
    return [(0, 4, n), (4 * n, 2, n * k), (4 * n + 2 * n * k, 2, n * k), (4 * n + 4 * n * k, 1, n * hidden)]


def q8_encode(vectors, k):
    """Encodes f32 vectors [n, H] with k outlier channels each (§5.1's encoding rule); returns the
    unshuffled raw bytes and each vector's relative L2 error of the decoded values."""
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n, hidden = x.shape
    mags = np.abs(x)
    # Largest magnitude first, the lower channel first among equals (a stable sort of -|x|).
    order = np.argsort(-mags, axis=1, kind="stable")
    top = np.sort(order[:, :k], axis=1)
    rest_max = mags[np.arange(n), order[:, k]] if k < hidden else np.zeros(n, dtype=np.float32)
    scale = (rest_max / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.where(rest_max > 0, np.float32(127) / rest_max, np.float32(0)).astype(np.float32)
    codes = np.clip(np.rint(x * inverse[:, None]), -127, 127).astype(np.int8)
    rows = np.arange(n)[:, None]
    codes[rows, top] = 0
    out_bits = to_stored_bits(x[rows, top].reshape(-1), "bf16").reshape(n, k)
    raw = scale.astype("<f4").tobytes() + top.astype("<u2").tobytes() + out_bits.astype("<u2").tobytes() + codes.tobytes()
    decoded = q8_decode(raw, n, hidden, k)
    err = np.sqrt(((x.astype(np.float64) - decoded) ** 2).sum(1))
    norm = np.sqrt((x.astype(np.float64) ** 2).sum(1))
    return raw, np.where(norm > 0, err / np.where(norm > 0, norm, 1), 0.0)


def q8_decode(raw, n, hidden, k):
    """Unshuffled q8 raw bytes -> f32 [n, H] (§5.1), after checking scales and indices; raises ValueError."""
    scale = np.frombuffer(raw, dtype="<f4", count=n, offset=0)
    idx = np.frombuffer(raw, dtype="<u2", count=n * k, offset=4 * n).reshape(n, k).astype(np.int64)
    outl = np.frombuffer(raw, dtype="<u2", count=n * k, offset=4 * n + 2 * n * k).reshape(n, k)
    codes = np.frombuffer(raw, dtype=np.int8, count=n * hidden, offset=4 * n + 4 * n * k).reshape(n, hidden)
    if np.any(scale.view("<u4") >= 0x7F800000):
        raise ValueError("a q8 scale is negative, infinite or NaN")
    if k and (np.any(idx >= hidden) or np.any(np.diff(idx, axis=1) <= 0)):
        raise ValueError("q8 outlier channels are not strictly ascending below hidden")
    values = codes.astype(np.float32) * scale[:, None]
    if k:
        values[np.arange(n)[:, None], idx] = stored_bits_to_f32(outl.copy(), "bf16")
    return values


def q8_shuffle(raw, n, hidden, k, forward=True):
    """Byte-shuffles each q8 section by its element width (forward) or undoes it."""
    out = bytearray(len(raw))
    for offset, width, count in q8_sections(n, hidden, k):
        part = np.frombuffer(raw, dtype=np.uint8, count=width * count, offset=offset)
        part = part.reshape(count, width).T if forward else part.reshape(width, count).T
        out[offset:offset + width * count] = part.copy().tobytes()
    return bytes(out)


def q8_choose_outliers(vectors, bound):
    """§5.1's rule: the smallest k (≤ 64) at which every vector's relative error is within `bound`."""
    hidden = vectors.shape[1]
    for k in range(0, min(Q8_MAX_OUTLIERS, hidden) + 1):
        _, err = q8_encode(vectors, k)
        if err.max(initial=0.0) <= bound:
            return k
    raise ValueError(f"no outlier count up to {min(Q8_MAX_OUTLIERS, hidden)} meets the bound {bound}")


def zstd_frame(raw: bytes, level: int, checksum: bool = False) -> bytes:
    """One zstd frame declaring its content size (§5), optionally with a content checksum."""
    return zstandard.ZstdCompressor(level=level, write_content_size=True, write_checksum=checksum).compress(raw)


class Writer:
    """Appends records to a shard; `close()` seals it. Block tiling is given per record."""

    def __init__(self, path, metadata, level=1):
        self.f = open(path, "wb")
        self.meta = metadata
        self.level = level
        meta_json = json.dumps(metadata, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        head = HEADER_MAGIC + struct.pack("<HHIQI", 1, DTYPE_MINOR[metadata["dtype"]], 0, len(meta_json), crc32c(meta_json))
        self.f.write(head + struct.pack("<I", crc32c(head)) + meta_json)
        self.rows = []
        self.block_offsets = []   # per record: the file offset of each block header

    def append(self, rec, values_f32, tiles, codec="zstd", shuffle=True, gap_before_entry=0):
        """rec: dict(id, labels, token_ids, text|None, metadata, auxiliary); values_f32: [L, T, H];
        tiles: list of (layer_start, layer_count, token_start, token_count[, options]) in the required
        order. codec "zstd" stores a zstd frame unless it is not smaller than the raw bytes, then codec 0
        (§5); "none" stores codec 0. Per-tile options (for test vectors) override `codec` and `shuffle` and
        may add "checksum" (a zstd content checksum), "frame" (a function rewriting the zstd frame, kept
        as codec 1 whatever its size) and "gap" (bytes of zeros written before the block, which a valid
        shard never has). `gap_before_entry` writes zeros before the record entry likewise."""
        dtype = self.meta["dtype"]
        code, width = DTYPES[dtype]
        hidden = self.meta["hidden"]
        ordinal = len(self.rows)
        h64 = id_hash(rec["id"])
        refs, offsets = [], []
        for tile in tiles:
            ls, lc, ts, tc = tile[:4]
            options = tile[4] if len(tile) > 4 else {}
            part = values_f32[ls:ls + lc, ts:ts + tc, :]
            shuffled = options.get("shuffle", shuffle)
            if dtype == "q8":
                vectors = part.reshape(-1, hidden)
                k = options.get("k")
                if k is None:
                    k = q8_choose_outliers(vectors, self.meta["quantization"]["max_rel_error"])
                raw, _ = q8_encode(vectors, k)
                if "mangle" in options:
                    raw = options["mangle"](bytearray(raw), lc * tc, k)
                if shuffled:
                    raw = q8_shuffle(raw, lc * tc, hidden, k)
            else:
                bits = to_stored_bits(part.reshape(-1), dtype)
                raw = bits.tobytes()
                if shuffled:
                    raw = np.frombuffer(raw, dtype=np.uint8).reshape(-1, width).T.copy().tobytes()
            payload, codec_code = raw, 0
            if options.get("codec", codec) == "zstd":
                frame = zstd_frame(raw, self.level, options.get("checksum", False))
                if "frame" in options:
                    payload, codec_code = options["frame"](frame), 1
                elif len(frame) < len(raw):
                    payload, codec_code = frame, 1
            self.f.write(b"\x00" * options.get("gap", 0))
            offset = self.f.tell()
            head = TAG_BLOCK + struct.pack("<IQQIIIIIBBBBQQI", 72, ordinal, h64, ls, lc, ts, tc, hidden, code, codec_code,
                                           1 if shuffled else 0, 0, len(raw), len(payload), crc32c(payload))
            self.f.write(head + struct.pack("<I", crc32c(head)) + payload)
            offsets.append(offset)
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
        self.f.write(b"\x00" * gap_before_entry)
        offset = self.f.tell()
        head = TAG_RECORD + struct.pack("<IQQQIII", 48, ordinal, h64, len(body), crc32c(body), len(refs), 0)
        entry = head + struct.pack("<I", crc32c(head)) + body
        self.f.write(entry)
        stored = sum(struct.unpack_from("<Q", r, 24)[0] for r in refs)
        self.rows.append((offset, len(entry), stored, len(rec["token_ids"]), len(refs)))
        self.block_offsets.append(offsets)

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
    """A file that breaks spec/FORMAT.md. `kind` names the case as the spec does: "unsealed" (no valid
    trailer, §2), "brokenSeal" (a valid trailer, but it or its index fails a check, §7), "corrupt"
    (anything else in a shard) or "dataset" (a manifest and its shards disagree, §11)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def declared_auxiliary(metadata):
    """metadata["auxiliary"] as [(name, length or None)]: a missing `length` key means null (§4)."""
    return [(a["name"], a.get("length")) for a in metadata.get("auxiliary") or []]


def read_shard(path):
    """Reads a sealed shard completely, checking every CRC and every rule of the spec; returns
    (metadata, [records]) where each record has id, labels, token_ids, text, metadata, auxiliary,
    shape [L, T, H] and values (f32, layer-major). Raises FormatError."""
    with open(path, "rb") as f:
        data = f.read()

    def need(cond, why, kind="corrupt"):
        if not cond:
            raise FormatError(kind, f"{path}: {why}")

    need(len(data) >= 32 and data[:8] == HEADER_MAGIC, "not a Strata shard")
    major, minor, flags, meta_len, meta_crc, head_crc = struct.unpack_from("<HHIQII", data, 8)
    need(crc32c(data[:28]) == head_crc, "header CRC")
    need(major == 1, f"unsupported major version {major}")
    meta_bytes = data[32:32 + meta_len]
    need(len(meta_bytes) == meta_len and crc32c(meta_bytes) == meta_crc, "metadata CRC")
    meta = json.loads(meta_bytes)
    need(meta["dtype"] in DTYPES, f"unknown dtype {meta['dtype']!r} (format 1.{minor})", kind="notAShard")
    need(minor >= DTYPE_MINOR[meta["dtype"]], f"dtype {meta['dtype']} needs format 1.{DTYPE_MINOR[meta['dtype']]}, the header says 1.{minor}")
    need((meta["dtype"] == "q8") == (meta.get("quantization") is not None), "quantization is required for q8 and only for q8")
    body_start = 32 + meta_len
    # §7: a valid trailer is STRATEND + a matching CRC; without one the shard is unsealed.
    need(len(data) >= body_start + 32 and data[-32:-24] == TRAILER_MAGIC
         and crc32c(data[-32:-4]) == struct.unpack_from("<I", data, len(data) - 4)[0],
         "unsealed (no valid trailer): run strata recover", kind="unsealed")
    index_offset, count, reserved = struct.unpack_from("<QQI", data, len(data) - 24)
    seal = lambda cond, why: need(cond, f"broken seal: {why}", kind="brokenSeal")  # noqa: E731
    seal(reserved == 0, "trailer reserved field is not 0")
    seal(body_start <= index_offset <= len(data) - 64, "index offset outside the body")
    seal(data[index_offset:index_offset + 4] == TAG_INDEX, "index tag")
    _, ihead_len, icount, ibody_len, ibody_crc, ihead_crc = struct.unpack_from("<IIQQII", data, index_offset)
    seal(crc32c(data[index_offset:index_offset + 28]) == ihead_crc and ihead_len == 32 and icount == count, "index header")
    seal(ibody_len == 32 * count and index_offset + 32 + ibody_len + 32 == len(data), "index size")
    ibody = data[index_offset + 32:index_offset + 32 + ibody_len]
    seal(crc32c(ibody) == ibody_crc, "index body CRC")
    dtype = meta["dtype"]
    code, width = DTYPES[dtype]
    n_layers, hidden = len(meta["layers"]), meta["hidden"]
    auxiliary = declared_auxiliary(meta)
    # §1/§7: the records' areas (blocks, then entry) follow each other with no gap, up to the index.
    area = body_start
    for i in range(count):
        off, length, stored, _n_tok, n_blocks = struct.unpack_from("<QQQII", ibody, 32 * i)
        need(off == area + 72 * n_blocks + stored and length >= 48 and off + length <= index_offset,
             f"record {i}: index row leaves a gap or overlaps")
        area = off + length
    need(area == index_offset, "gap before the index")
    records = []
    area = body_start
    for i in range(count):
        off, length, stored_total, n_tok, n_blocks = struct.unpack_from("<QQQII", ibody, 32 * i)
        need(data[off:off + 4] == TAG_RECORD, "record tag")
        _, rhead_len, ordinal, h64, body_len, body_crc, block_count, rreserved, rcrc = struct.unpack_from("<IIQQQIIII", data, off)
        need(crc32c(data[off:off + 44]) == rcrc and rhead_len == 48 and ordinal == i and length == 48 + body_len, "record header")
        need(rreserved == 0, f"record {i}: reserved header field is not 0")
        body = data[off + 48:off + 48 + body_len]
        need(crc32c(body) == body_crc, "record body CRC")
        p = 0

        def take(fmt):
            nonlocal p
            need(p + struct.calcsize(fmt) <= len(body), f"record {i}: body ends inside a field")
            v = struct.unpack_from(fmt, body, p)
            p += struct.calcsize(fmt)
            return v

        def string():
            nonlocal p
            (n,) = take("<I")
            need(p + n <= len(body), f"record {i}: string runs past the body")
            s = body[p:p + n].decode("utf-8")
            p += n
            return s

        rid = string()
        need(id_hash(rid) == h64, "id hash")
        n_tokens, n_labels = take("<II")
        labels = list(take(f"<{n_labels}q"))
        token_ids = list(take(f"<{n_tokens}i"))
        (has_text,) = take("<B")
        need(has_text in (0, 1), f"record {i}: has_text")
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
            need(p + 4 * n <= len(body), f"record {i}: auxiliary vector runs past the body")
            aux[k] = [float(x) for x in np.frombuffer(body, dtype="<f4", count=n, offset=p)]
            p += 4 * n
        # §4: exactly the declared auxiliary vectors, with the declared lengths.
        need(sorted(aux) == sorted(name for name, _ in auxiliary), f"record {i}: auxiliary vectors differ from the declared ones")
        for name, n in auxiliary:
            need(n is None or len(aux[name]) == n, f"record {i}: auxiliary vector {name!r} does not have the declared length")
        (nb,) = take("<I")
        need(nb == block_count == n_blocks, "block count")
        values = np.zeros((n_layers, n_tokens, hidden), dtype=np.float32)
        tiles, stored_sum = [], 0
        for b in range(nb):
            boff, ls, lc, ts, tc, stored, raw_size, pcrc, ref_reserved = take("<QIIIIQQII")
            need(ref_reserved == 0, f"record {i} block {b}: reserved field of the block reference is not 0")
            need(boff == area and boff + 72 + stored <= off, f"record {i} block {b}: gap or overlap before the block")
            area = boff + 72 + stored
            stored_sum += stored
            need(data[boff:boff + 4] == TAG_BLOCK, f"record {i} block {b} tag")
            f = struct.unpack_from("<IQQIIIIIBBBBQQII", data, boff + 4)
            (bhead_len, bord, bh, bls, blc, bts, btc, bhid, bdt, bcodec, bshuf, breserved, braw, bstored, bpcrc, bhcrc) = f
            need(crc32c(data[boff:boff + 68]) == bhcrc and bhead_len == 72, f"record {i} block {b} header CRC")
            need(breserved == 0, f"record {i} block {b}: reserved byte 47 is not 0")
            need((bord, bh, bls, blc, bts, btc, bhid, bdt, braw, bstored, bpcrc) == (i, h64, ls, lc, ts, tc, hidden, code, raw_size, stored, pcrc),
                 f"record {i} block {b} header/reference mismatch")
            need(bshuf in (0, 1) and bcodec in (0, 1), f"record {i} block {b}: unknown shuffle or codec code")
            payload = data[boff + 72:boff + 72 + stored]
            need(crc32c(payload) == pcrc, f"record {i} block {b} payload CRC")
            n = lc * tc * hidden
            if dtype == "q8":
                per, rem = divmod(raw_size, lc * tc) if lc * tc else (0, 1)
                k, rem4 = divmod(per - hidden - 4, 4)
                need(lc >= 1 and tc >= 1 and rem == 0 and rem4 == 0 and 0 <= k <= min(Q8_MAX_OUTLIERS, hidden) and hidden <= 65536,
                     f"record {i} block {b}: q8 raw size")
            else:
                need(lc >= 1 and tc >= 1 and raw_size == n * width, "raw size")
            tiles.append((ls, lc, ts, tc))
            if bcodec == 1:
                # §5: exactly one zstd frame (no skippable frame, no dictionary) declaring raw_size bytes.
                need(payload[:4] == ZSTD_MAGIC, f"record {i} block {b}: payload is not a zstd frame")
                params = zstandard.get_frame_parameters(payload)
                need(params.dict_id == 0, f"record {i} block {b}: zstd frame names a dictionary")
                need(params.content_size == raw_size, "zstd content size")
                stream = zstandard.ZstdDecompressor().decompressobj()
                try:
                    raw = stream.decompress(payload)
                except zstandard.ZstdError as error:
                    raise FormatError("corrupt", f"{path}: record {i} block {b}: zstd: {error}")
                need(len(raw) == raw_size and stream.eof and not stream.unused_data, f"record {i} block {b}: zstd frame size")
            else:
                need(stored == raw_size, "codec 0 stored size")
                raw = payload
            if dtype == "q8":
                if bshuf:
                    raw = q8_shuffle(raw, lc * tc, hidden, k, forward=False)
                try:
                    decoded = q8_decode(raw, lc * tc, hidden, k)
                except ValueError as error:
                    raise FormatError("corrupt", f"{path}: record {i} block {b}: {error}")
                values[ls:ls + lc, ts:ts + tc, :] = decoded.reshape(lc, tc, hidden)
                continue
            planes = np.frombuffer(raw, dtype=np.uint8)
            elems = planes.reshape(width, n).T.copy() if bshuf else planes.reshape(n, width)
            bits = elems.reshape(-1).view(np.uint32 if width == 4 else np.uint16)
            values[ls:ls + lc, ts:ts + tc, :] = stored_bits_to_f32(bits, dtype).reshape(lc, tc, hidden)
        need(p == len(body), "record body trailing bytes")
        need(area == off, f"record {i}: gap before the record entry")
        need(_tiles_record(tiles, n_layers, n_tokens), f"record {i}: blocks do not tile the record")
        need((stored_total, n_tok) == (stored_sum, n_tokens), f"record {i}: entry disagrees with its index row")
        area = off + length
        records.append({"id": rid, "labels": labels, "token_ids": token_ids, "text": text, "metadata": md, "auxiliary": aux,
                        "shape": [n_layers, n_tokens, hidden], "values": values})
    return meta, records


def _tiles_record(tiles, n_layers, n_tokens):
    """§5: consecutive layer groups covering 0..<L, each cut into ascending token ranges covering 0..<T;
    a record with 0 tokens has no blocks."""
    if n_tokens == 0:
        return not tiles
    k, layer = 0, 0
    while layer < n_layers:
        if k >= len(tiles) or tiles[k][0] != layer:
            return False
        group, token = tiles[k][1], 0
        while token < n_tokens:
            if k >= len(tiles) or tiles[k][:3] != (layer, group, token):
                return False
            token += tiles[k][3]
            k += 1
        if token != n_tokens:
            return False
        layer += group
    return layer == n_layers and k == len(tiles)


def read_dataset(path, check_crc=True):
    """Reads a dataset directory (§11) completely: the manifest, each shard it lists (read_shard), the
    entry checks (records, bytes, crc32c as 8 lower-case hex digits and, with check_crc, equal to the
    file's CRC32C) and the metadata every shard shares with the manifest (hidden, layers, dtype,
    auxiliary). Returns (manifest metadata, records in global order). Raises FormatError."""
    manifest_path = os.path.join(path, "manifest.json")
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)

    def need(cond, why):
        if not cond:
            raise FormatError("dataset", f"{manifest_path}: {why}")

    need(manifest.get("format") == "strata-dataset" and manifest.get("version") == 1, "not a version 1 strata-dataset manifest")
    meta = manifest["metadata"]
    records = []
    for entry in manifest["shards"]:
        name = entry["path"]
        need(name and not name.startswith("/") and ".." not in name.split("/"), f"shard path {name!r} leaves the directory")
        shard_meta, shard_records = read_shard(os.path.join(path, name))
        with open(os.path.join(path, name), "rb") as f:
            data = f.read()
        need(len(shard_records) == entry["records"], f"{name}: record count differs from the manifest")
        need(len(data) == entry["bytes"], f"{name}: byte size differs from the manifest")
        crc = entry["crc32c"]
        need(len(crc) == 8 and all(c in "0123456789abcdef" for c in crc), f"{name}: crc32c is not 8 lower-case hex digits")
        need(not check_crc or f"{crc32c(data):08x}" == crc, f"{name}: file CRC32C differs from the manifest")
        for key in ("hidden", "layers", "dtype"):
            need(shard_meta[key] == meta[key], f"{name}: {key} differs from the manifest")
        need(declared_auxiliary(shard_meta) == declared_auxiliary(meta), f"{name}: auxiliary differs from the manifest")
        records += shard_records
    need(len(records) == manifest["records"], "record total differs from the shards")
    return meta, records


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "read":
        print("usage: strata_format.py read SHARD|DATASET   (prints a JSON summary; exits 1 on any format error)", file=sys.stderr)
        sys.exit(2)
    try:
        meta, recs = (read_dataset if os.path.isdir(sys.argv[2]) else read_shard)(sys.argv[2])
    except FormatError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"records": len(recs), "dtype": meta["dtype"], "hidden": meta["hidden"], "layers": len(meta["layers"]),
                      "tokens": sum(r["shape"][1] for r in recs),
                      "checksum_f64_sum": float(sum(float(np.sum(r["values"], dtype=np.float64)) for r in recs)),
                      "ids": [r["id"] for r in recs]}))
