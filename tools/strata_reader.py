#!/usr/bin/env python3
"""A Strata reader for Python, written from spec/FORMAT.md alone (numpy + zstandard, no Swift).

    from strata_reader import open_dataset
    ds = open_dataset("run/")                     # a dataset directory or a single shard file
    x = ds.read(0)                                # float32 [layers, tokens, hidden]
    x = ds.read(0, layers=[0, 30], tokens=range(0, 8))
    info = ds.info(0)                             # id, labels, token_ids, text, metadata, auxiliary
    loader = torch.utils.data.DataLoader(ds.iterable(layers=[-1]), batch_size=None)

Every structure is checked against its CRC32C before use (spec §9), sizes are bounded before
allocation (§10), and a failing check raises StrataFormatError naming the file, record, block and
offset. `python3 tools/strata_reader.py PATH` prints a summary; `--verify` decodes every block (and
compares each shard file's CRC32C with the manifest);
`--dump PREFIX` writes PREFIX.json (records) and PREFIX.bin (all values in the stored dtype,
layer-major, records concatenated) for cross-checks.
"""
import json
import os
import struct
import sys

import numpy as np
import zstandard

__all__ = ["open_dataset", "Shard", "Dataset", "StrataFormatError", "crc32c"]

# --- CRC32C (spec §1): reflected Castagnoli 0x82F63B78, init and final XOR 0xFFFFFFFF --------------

def _make_table():
    table = np.zeros(256, dtype=np.uint32)
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table[n] = c
    return table


_TABLE = _make_table()
_TABLE_LIST = [int(v) for v in _TABLE]
_LANE_BYTES = 16           # bytes per lane (a power of two): few numpy steps, many lanes
_SHIFTS = {}               # k -> (4, 256) tables: the register after 2**k zero bytes


def _crc_register(register, data):
    """Runs the CRC register (no init/final XOR) over bytes, one at a time."""
    table = _TABLE_LIST
    for byte in data:
        register = table[(register ^ byte) & 0xFF] ^ (register >> 8)
    return register


def _apply_shift(tables, registers):
    """The linear map 'feed 2**k zero bytes' applied to an array of registers, byte by byte."""
    return (tables[0][registers & 0xFF] ^ tables[1][(registers >> 8) & 0xFF]
            ^ tables[2][(registers >> 16) & 0xFF] ^ tables[3][registers >> 24])


def _shift_tables(k):
    if k not in _SHIFTS:
        inputs = (np.arange(256, dtype=np.uint32)[None, :] << (8 * np.arange(4, dtype=np.uint32))[:, None])
        if k == 0:
            out = _TABLE[inputs & 0xFF] ^ (inputs >> np.uint32(8))
        else:
            half = _shift_tables(k - 1)
            out = _apply_shift(half, _apply_shift(half, inputs))
        _SHIFTS[k] = out.astype(np.uint32)
    return _SHIFTS[k]


def _shift_scalar(register, length):
    """The register after `length` zero bytes (binary decomposition over the 2**k tables)."""
    value = np.array([register], dtype=np.uint32)
    k = 0
    while length:
        if length & 1:
            value = _apply_shift(_shift_tables(k), value)
        length >>= 1
        k += 1
    return int(value[0])


def crc32c(data):
    """CRC32C of a bytes-like object. The input is cut into m lanes of 16 bytes whose registers are
    computed together in numpy; lane j is then moved to the end of the input by feeding it
    (m-1-j)·16 zero bytes (linear maps applied bit by bit of the distance) and the lanes are
    XOR-ed, because register(x ‖ y) = shift_|y|(register(x)) xor register_0(y)."""
    view = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)
    lane_count = len(view) // _LANE_BYTES
    register = 0xFFFFFFFF
    if lane_count >= 8:
        lanes = view[: lane_count * _LANE_BYTES].reshape(lane_count, _LANE_BYTES).T.copy()
        registers = np.zeros(lane_count, dtype=np.uint32)
        eight = np.uint32(8)
        for row in lanes:
            registers = _TABLE[(registers ^ row) & 0xFF] ^ (registers >> eight)
        distance = np.arange(lane_count - 1, -1, -1)          # lanes still to come after lane j
        k, bit = _LANE_BYTES.bit_length() - 1, 0
        while (1 << bit) < lane_count:
            selected = (distance >> bit) & 1 == 1
            registers[selected] = _apply_shift(_shift_tables(k + bit), registers[selected])
            bit += 1
        register = _shift_scalar(register, lane_count * _LANE_BYTES) ^ int(np.bitwise_xor.reduce(registers))
        view = view[lane_count * _LANE_BYTES:]
    return _crc_register(register, view.tobytes()) ^ 0xFFFFFFFF


# --- errors and limits ----------------------------------------------------------------------------

class StrataFormatError(Exception):
    """A file that does not follow spec/FORMAT.md, with where and why. `kind` names the case as the
    spec does: "unsealed" (no valid trailer, §2), "brokenSeal" (a valid trailer, but it or its index
    fails a check, §7), "corrupt" (anything else wrong in a shard), "dataset" (a manifest and its
    shards disagree, §11)."""

    def __init__(self, path, why, record=None, block=None, offset=None, kind="corrupt"):
        where = [path]
        if record is not None:
            where.append(f"record {record}")
        if block is not None:
            where.append(f"block {block}")
        if offset is not None:
            where.append(f"offset {offset}")
        super().__init__(", ".join(str(w) for w in where) + ": " + why)
        self.path, self.record, self.block, self.offset, self.kind = path, record, block, offset, kind


MAGIC = b"\x89STRATA\n"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
TAG_BLOCK, TAG_RECORD, TAG_INDEX = 0x4B4C4253, 0x43455253, 0x58444953
LIMITS = dict(metadata=64 << 20, hidden=1 << 20, layers=4096, tokens=1 << 24, labels=65536,
              entry_body=1 << 30, block_raw=1 << 30, record_values=4 << 30)
DTYPES = {"f32": 0, "f16": 1, "bf16": 2}
WIDTH = {"f32": 4, "f16": 2, "bf16": 2}
STORED_NUMPY = {"f32": np.dtype("<f4"), "f16": np.dtype("<f2"), "bf16": np.dtype("<u2")}


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


class _Cursor:
    """Bounds-checked little-endian reads from a record entry body."""

    def __init__(self, data, fail):
        self.data, self.pos, self.fail = data, 0, fail

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise self.fail(f"record entry body ends inside a field (needs {n} bytes at {self.pos})")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def string(self):
        n = self.u32()
        if n > len(self.data) - self.pos:
            raise self.fail(f"string of {n} bytes runs past the record entry body")
        try:
            return bytes(self.take(n)).decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("invalid UTF-8 in a string")


# --- shard ----------------------------------------------------------------------------------------

class Shard:
    """One sealed shard file (spec §2–§9)."""

    def __init__(self, path):
        self.path = path
        self._file = open(path, "rb")
        self.size = os.fstat(self._file.fileno()).st_size
        self._entries = {}
        try:
            self._read_header()
            self._read_trailer_and_index()
        except BaseException:
            self._file.close()
            raise

    def close(self):
        self._file.close()

    def _fail(self, why, **where):
        return StrataFormatError(self.path, why, **where)

    def _pread(self, offset, n, **where):
        if offset < 0 or n < 0 or offset + n > self.size:
            raise self._fail(f"{n} bytes at offset {offset} run past the end of the file ({self.size} bytes)",
                             offset=offset, **where)
        return os.pread(self._file.fileno(), n, offset)

    def _read_header(self):
        header = self._pread(0, 32)
        if header[:8] != MAGIC:
            raise self._fail("not a Strata shard (bad magic)", offset=0)
        major, minor, _flags, meta_len, meta_crc, header_crc = struct.unpack("<HHIQII", header[8:32])
        if crc32c(header[:28]) != header_crc:
            raise self._fail("file header CRC mismatch", offset=0)
        if major != 1:
            raise self._fail(f"unsupported major version {major}", offset=8)
        if meta_len > LIMITS["metadata"]:
            raise self._fail(f"metadata length {meta_len} over the limit", offset=16)
        self.version = (major, minor)
        raw = self._pread(32, meta_len)
        if crc32c(raw) != meta_crc:
            raise self._fail("metadata CRC mismatch", offset=32)
        try:
            self.metadata = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise self._fail(f"metadata is not UTF-8 JSON: {error}", offset=32)
        m = self.metadata
        if not (isinstance(m.get("hidden"), int) and 1 <= m["hidden"] <= LIMITS["hidden"]):
            raise self._fail("metadata 'hidden' missing or out of range", offset=32)
        if not (isinstance(m.get("layers"), list) and 1 <= len(m["layers"]) <= LIMITS["layers"]):
            raise self._fail("metadata 'layers' missing or out of range", offset=32)
        if m.get("dtype") not in DTYPES:
            raise self._fail(f"unknown dtype {m.get('dtype')!r}", offset=32)
        self.hidden, self.n_layers, self.dtype = m["hidden"], len(m["layers"]), m["dtype"]
        self.width = WIDTH[self.dtype]
        self.body_start = 32 + meta_len

    def _read_trailer_and_index(self):
        """§7: a valid trailer (STRATEND + its CRC) or the shard is unsealed; with one, every check of the
        trailer and the index failing is a broken seal; index rows that do not lay the body out without
        a gap (§1) are corruption."""
        unsealed = "unsealed shard (no valid trailer): run `strata recover`"
        if self.size < self.body_start + 32:
            raise self._fail(unsealed, kind="unsealed")
        trailer = self._pread(self.size - 32, 32)
        magic, index_offset, count, reserved, crc = struct.unpack("<8sQQII", trailer)
        if magic != b"STRATEND" or crc32c(trailer[:28]) != crc:
            raise self._fail(unsealed, offset=self.size - 32, kind="unsealed")

        def broken(why, offset):
            return self._fail(f"broken seal: {why}; run `strata recover` to rebuild the index", offset=offset, kind="brokenSeal")

        if reserved != 0:
            raise broken("the trailer's reserved field is not 0", self.size - 32)
        if not self.body_start <= index_offset <= self.size - 64:
            raise broken("trailer points outside the body", self.size - 32)
        header = self._pread(index_offset, 32)
        tag, length, n, body_len, body_crc, header_crc = struct.unpack("<IIQQII", header)
        if tag != TAG_INDEX or length != 32 or crc32c(header[:28]) != header_crc:
            raise broken("bad index header", index_offset)
        if n != count or body_len != 32 * n or index_offset + 32 + body_len + 32 != self.size:
            raise broken("index size disagrees with the trailer and the file size", index_offset)
        body = self._pread(index_offset + 32, body_len)
        if crc32c(body) != body_crc:
            raise broken("index body CRC mismatch", index_offset + 32)
        rows = np.frombuffer(body, dtype=np.dtype([("offset", "<u8"), ("length", "<u8"), ("stored", "<u8"),
                                                   ("tokens", "<u4"), ("blocks", "<u4")]))
        area = self.body_start       # a record's area: its blocks (72-byte header + payload each), then its entry
        for i, row in enumerate(rows):
            if row["stored"] > index_offset or row["length"] < 48 \
                    or row["offset"] != area + 72 * int(row["blocks"]) + int(row["stored"]) \
                    or row["offset"] + row["length"] > index_offset:
                raise self._fail("index row does not follow the previous record without a gap", record=i,
                                 offset=index_offset + 32 + 32 * i)
            area = int(row["offset"] + row["length"])
        if area != index_offset:
            raise self._fail(f"{index_offset - area} bytes between the last record entry and the index", offset=area)
        self.rows = rows
        self.index_offset = index_offset

    def __len__(self):
        return len(self.rows)

    # -- record entries --

    def info(self, i):
        """The record entry: id, labels, token_ids, text, metadata, auxiliary, blocks (spec §6)."""
        if not 0 <= i < len(self.rows):
            raise IndexError(f"record {i} of {len(self.rows)}")
        if i in self._entries:
            return self._entries[i]
        offset, length = int(self.rows[i]["offset"]), int(self.rows[i]["length"])
        if length < 48 or length - 48 > LIMITS["entry_body"]:
            raise self._fail(f"record entry length {length} out of range", record=i, offset=offset)
        raw = self._pread(offset, length, record=i)
        tag, header_len, ordinal, id_hash, body_len, body_crc, block_count, reserved, header_crc = \
            struct.unpack("<IIQQQIIII", raw[:48])
        fail = lambda why: self._fail(why, record=i, offset=offset)  # noqa: E731
        if tag != TAG_RECORD or header_len != 48 or crc32c(raw[:44]) != header_crc:
            raise fail("bad record entry header")
        if reserved != 0:
            raise fail("the record entry header's reserved field is not 0")
        if ordinal != i or 48 + body_len != length:
            raise fail("record entry ordinal or length disagrees with the index")
        body = memoryview(raw)[48:]
        if crc32c(body) != body_crc:
            raise fail("record entry body CRC mismatch")
        c = _Cursor(body, fail)
        record_id = c.string()
        if fnv1a64(record_id.encode("utf-8")) != id_hash:
            raise fail("id hash does not match the id")
        n_tokens = c.u32()
        n_labels = c.u32()
        if n_tokens > LIMITS["tokens"] or n_labels > LIMITS["labels"]:
            raise fail("token or label count over the limit")
        if self.n_layers * n_tokens * self.hidden * self.width > LIMITS["record_values"]:
            raise fail(f"record values ({self.n_layers} layers x {n_tokens} tokens x {self.hidden} hidden x "
                       f"{self.width} bytes) over the limit of {LIMITS['record_values']} bytes")
        labels = np.frombuffer(c.take(8 * n_labels), dtype="<i8").astype(np.int64).tolist()
        token_ids = np.frombuffer(c.take(4 * n_tokens), dtype="<i4").copy()
        has_text = c.u8()
        if has_text not in (0, 1):
            raise fail(f"has_text is {has_text}")
        text = c.string() if has_text else None
        metadata = {}
        for _ in range(c.u32()):
            key = c.string()
            metadata[key] = c.string()
        auxiliary = {}
        for _ in range(c.u32()):
            name = c.string()
            count = c.u32()
            auxiliary[name] = np.frombuffer(c.take(4 * count), dtype="<f4").copy()
        n_blocks = c.u32()
        if n_blocks != block_count:
            raise fail("block count in the body differs from the header")
        blocks = []
        for _ in range(n_blocks):
            off, ls, lc, ts, tc, stored, raw_size, pcrc, reserved = struct.unpack("<QIIIIQQII", c.take(48))
            if reserved != 0:
                raise fail(f"the reserved field of block reference {len(blocks)} is not 0")
            blocks.append(dict(offset=off, layer_start=ls, layer_count=lc, token_start=ts, token_count=tc,
                               stored_size=stored, raw_size=raw_size, payload_crc=pcrc))
        if c.pos != len(body):
            raise fail("record entry body has bytes after the last block reference")
        self._check_tiling(blocks, n_tokens, fail)
        self._check_layout(i, blocks, fail)
        self._check_auxiliary(auxiliary, fail)
        row = self.rows[i]
        if (n_tokens, n_blocks, sum(b["stored_size"] for b in blocks)) != \
                (int(row["tokens"]), int(row["blocks"]), int(row["stored"])):
            raise fail("record entry does not match its index row (tokens, block count or stored bytes)")
        entry = dict(id=record_id, labels=labels, token_ids=token_ids, text=text, metadata=metadata,
                     auxiliary=auxiliary, n_tokens=n_tokens, blocks=blocks)
        self._entries[i] = entry
        return entry

    def _check_layout(self, i, blocks, fail):
        """The blocks fill the record's area, from the previous entry's end to this entry, with no gap (§1)."""
        position = self.body_start if i == 0 else int(self.rows[i - 1]["offset"] + self.rows[i - 1]["length"])
        for b in blocks:
            if b["offset"] != position:
                raise fail(f"block at offset {b['offset']}, expected {position} (a gap or an overlap)")
            position = b["offset"] + 72 + b["stored_size"]
        if position != int(self.rows[i]["offset"]):
            raise fail("the record's blocks do not end where its entry begins")

    def _check_auxiliary(self, auxiliary, fail):
        """§4: exactly the declared auxiliary vectors, each with its declared length (a missing `length`
        key means null: any length)."""
        declared = declared_auxiliary(self.metadata)
        if sorted(auxiliary) != sorted(name for name, _ in declared):
            raise fail(f"auxiliary vectors {sorted(auxiliary)} differ from the declared {sorted(n for n, _ in declared)}")
        for name, length in declared:
            if length is not None and len(auxiliary[name]) != length:
                raise fail(f"auxiliary vector {name!r} has {len(auxiliary[name])} values, declared length {length}")

    def _check_tiling(self, blocks, n_tokens, fail):
        """Blocks cover layers 0..<L in consecutive groups, each split into ascending token ranges (§5)."""
        if n_tokens == 0:
            if blocks:
                raise fail("a record with 0 tokens has blocks")
            return
        position, layer = 0, 0
        while layer < self.n_layers:
            if position >= len(blocks) or blocks[position]["layer_start"] != layer:
                raise fail("blocks do not tile the record's layers")
            group = blocks[position]["layer_count"]
            token = 0
            while token < n_tokens:
                if position >= len(blocks):
                    raise fail("blocks do not tile the record's tokens")
                b = blocks[position]
                if b["layer_start"] != layer or b["layer_count"] != group or b["token_start"] != token \
                        or b["token_count"] < 1:
                    raise fail("blocks do not tile the record")
                token += b["token_count"]
                position += 1
            if token != n_tokens or group < 1:
                raise fail("a layer group's token ranges do not end at the record's last token")
            layer += group
        if layer != self.n_layers or position != len(blocks):
            raise fail("blocks do not tile the record's layers")

    # -- blocks --

    def _block_values(self, i, b, ref):
        """The block's elements in stored dtype, shape [layer_count, token_count, hidden]."""
        fail = lambda why: self._fail(why, record=i, block=b, offset=ref["offset"])  # noqa: E731
        expected_raw = ref["layer_count"] * ref["token_count"] * self.hidden * self.width
        if ref["raw_size"] != expected_raw or expected_raw > LIMITS["block_raw"]:
            raise fail("block raw size disagrees with its shape")
        raw = self._pread(ref["offset"], 72 + ref["stored_size"], record=i, block=b)
        (tag, header_len, ordinal, id_hash, ls, lc, ts, tc, hidden, dtype, codec, shuffle, reserved,
         raw_size, stored_size, payload_crc, header_crc) = struct.unpack("<IIQQIIIIIBBBBQQII", raw[:72])
        if tag != TAG_BLOCK or header_len != 72 or crc32c(raw[:68]) != header_crc:
            raise fail("bad block header")
        if reserved != 0:
            raise fail("block header byte 47 (reserved) is not 0")
        if (ordinal, ls, lc, ts, tc, stored_size, raw_size, payload_crc) != (
                i, ref["layer_start"], ref["layer_count"], ref["token_start"], ref["token_count"],
                ref["stored_size"], ref["raw_size"], ref["payload_crc"]):
            raise fail("block header disagrees with the record's block reference")
        if hidden != self.hidden or dtype != DTYPES[self.dtype]:
            raise fail("block hidden size or dtype disagrees with the metadata")
        payload = memoryview(raw)[72:]
        if crc32c(payload) != payload_crc:
            raise fail("block payload CRC mismatch")
        if codec == 0:
            if stored_size != raw_size:
                raise fail("uncompressed block with stored size != raw size")
            data = bytes(payload)
        elif codec == 1:
            # §5: exactly one zstd frame: its magic first (no skippable or legacy frame), no dictionary.
            if bytes(payload[:4]) != ZSTD_MAGIC:
                raise fail("payload does not start with a zstd frame (skippable and legacy frames are not allowed)")
            try:
                params = zstandard.get_frame_parameters(payload)
            except zstandard.ZstdError as error:
                raise fail(f"payload is not a zstd frame: {error}")
            if params.dict_id != 0:
                raise fail(f"zstd frame names dictionary {params.dict_id}; block frames must not use one")
            if params.content_size != raw_size:
                raise fail("zstd frame content size differs from raw_size")
            try:
                stream = zstandard.ZstdDecompressor().decompressobj()
                data = stream.decompress(payload)
            except zstandard.ZstdError as error:
                raise fail(f"zstd frame does not decode: {error}")
            if len(data) != raw_size or not stream.eof or stream.unused_data:
                raise fail("zstd frame does not decode to raw_size bytes using exactly stored_size bytes")
        else:
            raise fail(f"unknown codec {codec}")
        if shuffle not in (0, 1):
            raise fail(f"unknown shuffle code {shuffle}")
        n = raw_size // self.width
        planes = np.frombuffer(data, dtype=np.uint8)
        if shuffle:
            elements = np.ascontiguousarray(planes.reshape(self.width, n).T)
        else:
            elements = planes
        return elements.view(STORED_NUMPY[self.dtype]).reshape(lc, tc, self.hidden)

    def read(self, i, layers=None, tokens=None, stored=False):
        """Record i's values, [len(layers), tokens, hidden]: float32 (default) or the stored dtype
        (f16 as float16, bf16 as uint16 bit patterns) with stored=True. `layers` are positions in
        metadata['layers'] (negative counts from the end); `tokens` a range or slice. Only blocks
        overlapping the request are read."""
        entry = self.info(i)
        n_tokens = entry["n_tokens"]
        chosen = list(range(self.n_layers)) if layers is None else [l % self.n_layers for l in layers]
        if tokens is None:
            t0, t1 = 0, n_tokens
        else:
            r = range(n_tokens)[tokens] if isinstance(tokens, slice) else tokens
            t0, t1 = (r.start, r.stop) if len(r) else (0, 0)
            if r.step not in (1, None) or t0 < 0 or t1 > n_tokens:
                raise IndexError(f"token range {tokens} outside 0..{n_tokens}")
        out = np.empty((len(chosen), t1 - t0, self.hidden), dtype=STORED_NUMPY[self.dtype])
        wanted = {}
        for position, layer in enumerate(chosen):
            wanted.setdefault(layer, []).append(position)
        for b, ref in enumerate(entry["blocks"]):
            ls, lc, ts, tc = ref["layer_start"], ref["layer_count"], ref["token_start"], ref["token_count"]
            if ts >= t1 or ts + tc <= t0 or not any(ls <= l < ls + lc for l in wanted):
                continue
            values = self._block_values(i, b, ref)
            a, z = max(t0, ts), min(t1, ts + tc)
            for layer in range(ls, ls + lc):
                for position in wanted.get(layer, ()):
                    out[position, a - t0:z - t0] = values[layer - ls, a - ts:z - ts]
        return out if stored else to_float32(out, self.dtype)

    def verify(self):
        """Decodes every block of every record (all CRCs checked); returns the record count."""
        for i in range(len(self)):
            for b, ref in enumerate(self.info(i)["blocks"]):
                self._block_values(i, b, ref)
        return len(self)


def declared_auxiliary(metadata):
    """metadata['auxiliary'] as [(name, length or None)]: a missing `length` key means null (§4)."""
    return [(a["name"], a.get("length")) for a in metadata.get("auxiliary") or []]


def to_float32(values, dtype):
    if dtype == "bf16":
        return (values.astype(np.uint32) << 16).view(np.float32)
    return values.astype(np.float32)


# --- dataset --------------------------------------------------------------------------------------

class Dataset:
    """A dataset directory (manifest.json + shards, spec §11) or a single shard. Map-style: len()
    and ds[i] (→ dict with 'values', 'labels', 'id') work with torch.utils.data.DataLoader."""

    def __init__(self, path, verify_files=False):
        """Opening checks each shard against its manifest entry the cheap way (§11): record count,
        byte size, crc32c written as 8 lower-case hex digits, and hidden/layers/dtype/auxiliary equal to
        the manifest's. verify_files=True also compares each file's CRC32C (reads every byte)."""
        self.path = path
        if os.path.isdir(path):
            manifest_path = os.path.join(path, "manifest.json")

            def refuse(where, why):
                return StrataFormatError(where, why, kind="dataset")

            try:
                with open(manifest_path, "rb") as f:
                    self.manifest = json.loads(f.read().decode("utf-8"))
            except (OSError, ValueError) as error:
                raise refuse(manifest_path, f"cannot read the manifest: {error}")
            if self.manifest.get("format") != "strata-dataset" or self.manifest.get("version") != 1:
                raise refuse(manifest_path, "not a version 1 strata-dataset manifest")
            self.metadata = self.manifest["metadata"]
            self.shards = []
            try:
                self._open_listed_shards(path, manifest_path, refuse, verify_files)
            except BaseException:
                self.close()
                raise
        else:
            self.manifest = None
            self.shards = [Shard(path)]
            self.metadata = self.shards[0].metadata
        self.starts = np.cumsum([0] + [len(s) for s in self.shards])

    def _open_listed_shards(self, path, manifest_path, refuse, verify_files):
        for entry in self.manifest["shards"]:
            name = entry["path"]
            if not name or name.startswith("/") or ".." in name.split("/"):
                raise refuse(manifest_path, f"shard path {name!r} must stay inside the dataset directory")
            shard_path = os.path.join(path, name)
            crc = entry["crc32c"]
            if len(crc) != 8 or any(c not in "0123456789abcdef" for c in crc):
                raise refuse(shard_path, f"crc32c {crc!r} in the manifest is not 8 lower-case hex digits")
            shard = Shard(shard_path)
            self.shards.append(shard)          # closed with the others if a check below refuses it
            if len(shard) != entry["records"] or shard.size != entry["bytes"]:
                raise refuse(shard_path, "record count or size differs from the manifest")
            m = shard.metadata
            if (m["hidden"], m["layers"], m["dtype"], declared_auxiliary(m)) != (
                    self.metadata["hidden"], self.metadata["layers"], self.metadata["dtype"],
                    declared_auxiliary(self.metadata)):
                raise refuse(shard_path, "shard hidden size, layers, dtype or auxiliary differ from the manifest")
            if verify_files:
                with open(shard_path, "rb") as f:
                    if f"{crc32c(f.read()):08x}" != crc:
                        raise refuse(shard_path, "file CRC32C differs from the manifest")
        if sum(len(s) for s in self.shards) != self.manifest["records"]:
            raise refuse(manifest_path, "record total differs from the shards")

    def close(self):
        for shard in self.shards:
            shard.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __len__(self):
        return int(self.starts[-1])

    def locate(self, i):
        if not 0 <= i < len(self):
            raise IndexError(f"record {i} of {len(self)}")
        shard = int(np.searchsorted(self.starts, i, side="right") - 1)
        return shard, i - int(self.starts[shard])

    def info(self, i):
        shard, local = self.locate(i)
        return self.shards[shard].info(local)

    def read(self, i, layers=None, tokens=None, stored=False):
        shard, local = self.locate(i)
        return self.shards[shard].read(local, layers=layers, tokens=tokens, stored=stored)

    def __getitem__(self, i):
        info = self.info(i)
        return {"values": self.read(i), "labels": info["labels"], "id": info["id"]}

    def iterable(self, layers=None, shuffle=False, seed=0):
        return StrataIterable(self, layers=layers, shuffle=shuffle, seed=seed)


class StrataIterable:
    """Iterates records as dicts {'values': float32 [L, T, H], 'label', 'labels', 'id'}. Under a
    PyTorch DataLoader with several workers each worker takes every num_workers-th record, so no
    record is read twice. (Works as a torch IterableDataset: it only needs __iter__.)"""

    def __init__(self, dataset, layers=None, shuffle=False, seed=0):
        self.dataset, self.layers, self.shuffle, self.seed, self.epoch = dataset, layers, shuffle, seed, 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __iter__(self):
        order = np.arange(len(self.dataset))
        if self.shuffle:
            np.random.default_rng(self.seed + self.epoch).shuffle(order)
        worker, workers = 0, 1
        try:
            import torch.utils.data as tud  # optional; only to learn the worker id
            info = tud.get_worker_info()
            if info is not None:
                worker, workers = info.id, info.num_workers
        except ImportError:
            pass
        for i in order[worker::workers]:
            info = self.dataset.info(int(i))
            yield {"values": self.dataset.read(int(i), layers=self.layers), "labels": info["labels"],
                   "label": info["labels"][0] if info["labels"] else -1, "id": info["id"]}


def open_dataset(path, verify_files=False):
    return Dataset(path, verify_files=verify_files)


# --- command line ---------------------------------------------------------------------------------

def main(argv):
    import argparse
    parser = argparse.ArgumentParser(description="Read a Strata shard or dataset (spec/FORMAT.md).")
    parser.add_argument("path")
    parser.add_argument("--verify", action="store_true",
                        help="decode every block, checking every CRC (for a dataset, also each shard file's CRC32C against the manifest)")
    parser.add_argument("--dump", metavar="PREFIX", help="write PREFIX.json and PREFIX.bin (stored dtype values)")
    args = parser.parse_args(argv)
    try:
        ds = open_dataset(args.path, verify_files=args.verify)
        if args.verify:
            for shard in ds.shards:
                shard.verify()
        if args.dump:
            records = []
            with open(args.dump + ".bin", "wb") as out:
                for i in range(len(ds)):
                    info = ds.info(i)
                    values = ds.read(i, stored=True)
                    out.write(np.ascontiguousarray(values).tobytes())
                    records.append({"id": info["id"], "labels": info["labels"],
                                    "token_ids": info["token_ids"].tolist(), "text": info["text"],
                                    "metadata": info["metadata"], "shape": list(values.shape),
                                    "auxiliary": {k: v.tolist() for k, v in info["auxiliary"].items()}})
            with open(args.dump + ".json", "w") as out:
                json.dump({"metadata": ds.metadata, "records": records}, out, ensure_ascii=False)
        m = ds.metadata
        print(f"{args.path}: {len(ds)} records, {len(m['layers'])} layers × {m['hidden']} hidden, {m['dtype']}"
              + (", all blocks verified" if args.verify else ""))
    except StrataFormatError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
