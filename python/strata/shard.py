"""Reading one sealed shard (spec/FORMAT.md §2-§10) with positioned reads, checking every checksum of
every structure it uses, and decoding only the blocks a request overlaps."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import q8, validation
from .checksum import crc32c
from .codec import Decompressor, write_elements, write_planes
from .entry import RecordEntry, decode_record_body
from .errors import StrataError
from .layout import (BLOCK_HEADER, CODEC_ZSTD, DTYPE_CODES, DTYPE_WIDTH, LOSSY_DTYPES, READER_MINOR, FILE_HEADER, INDEX_HEADER, INDEX_ROW,
                     RECORD_HEADER, STORED_NUMPY, TAG_RECORD, TRAILER)
from .record import Record, RecordInfo

__all__ = ["Shard", "LayerSelection", "TokenSelection", "ValueType", "resolve_layer_positions"]

LayerSelection = Union[None, int, Sequence[int]]
TokenSelection = Union[None, slice, range, Tuple[int, int]]
#: ``numpy.float32`` (values converted, the default) or ``"stored"`` (float32, float16, or uint16
#: bfloat16 bit patterns, as stored).
ValueType = Union[type, str, np.dtype]

_ENTRY_CACHE_LIMIT = 1024


class Shard:
    """One sealed shard file. ``len(shard)`` records; ``info(i)``, ``read(i, …)`` and ``shard[i]`` as on
    a ``Dataset``. Opening reads and checks the header, metadata, trailer and index; a record entry
    is read (and checked) the first time it is needed, and cached. Not safe to share between threads
    (open one per thread); fine across ``fork``.
    """

    def __init__(self, path: str, *, reader_minor: int = READER_MINOR) -> None:
        """``reader_minor``: the newest format minor version to accept (spec/FORMAT.md §12); 0 reads as a
        reader of format 1.0 does, refusing q8 (1.1) with a message that says so."""
        self.path = path
        self._reader_minor = reader_minor
        self._fd = validation.open_regular_file(path)
        try:
            self.size = os.fstat(self._fd).st_size
            self._read_header()
            self._read_index()
        except StrataError as error:
            os.close(self._fd)
            raise error.located(path=path)
        self._entries: Dict[int, RecordEntry] = {}
        self._io = bytearray(1 << 20)
        self._decompressor = Decompressor()

    # -- opening ----------------------------------------------------------------------------------

    def _pread(self, offset: int, n: int) -> bytes:
        if offset + n > self.size:
            raise StrataError("truncated", f"{n} bytes at offset {offset} run past the end of the {self.size}-byte file",
                              offset=offset)
        data = os.pread(self._fd, n, offset)
        if len(data) != n:
            raise StrataError("truncated", f"short read of {n} bytes at offset {offset} (the file shrank?)", offset=offset)
        return data

    def _read_header(self) -> None:
        if self.size < 32:
            raise StrataError("notAShard", f"file is {self.size} bytes, shorter than the 32-byte Strata header", offset=0)
        header = self._pread(0, 32)
        magic, major, minor, _flags, meta_len, meta_crc, header_crc = FILE_HEADER.unpack(header)
        validation.check_file_header(magic, major, meta_len, header_crc, crc32c(header[:28]))
        self.version = (major, minor)
        if 32 + meta_len > self.size:
            raise StrataError("truncated", f"metadata ({meta_len} bytes) extends past the end of the {self.size}-byte file",
                              offset=32)
        raw = self._pread(32, meta_len)
        if crc32c(raw) != meta_crc:
            raise validation.corrupt("metadata checksum mismatch").located(offset=32)
        try:
            meta = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise validation.corrupt(f"metadata JSON is invalid: {error}").located(offset=32) from None
        try:
            if isinstance(meta, dict):
                validation.check_dtype_version(meta.get("dtype"), minor, self._reader_minor)
            validation.check_metadata(meta)
        except StrataError as error:
            raise error.located(offset=32)
        self.metadata: Dict[str, Any] = meta
        self.hidden: int = meta["hidden"]
        self.layers: List[Dict[str, Any]] = meta["layers"]
        self.n_layers = len(self.layers)
        self.dtype: str = meta["dtype"]
        self.width = DTYPE_WIDTH[self.dtype]
        #: True for a lossy dtype (q8): reads return float32 reconstructions within
        #: ``metadata["quantization"]["max_rel_error"]`` per vector, and there is no "stored" form.
        self.lossy: bool = self.dtype in LOSSY_DTYPES
        self._dtype_code = DTYPE_CODES[self.dtype]
        self.body_start = 32 + meta_len
        self._all_layers = list(range(self.n_layers))
        self._declared_auxiliary = meta.get("auxiliary") or []

    def _read_index(self) -> None:
        if self.size < self.body_start + 64:
            raise validation.unsealed(self.path)
        trailer = self._pread(self.size - 32, 32)
        magic, index_offset, count, reserved, crc = TRAILER.unpack(trailer)
        validation.check_trailer(magic, crc, crc32c(trailer[:28]), reserved, index_offset, count, self.body_start,
                                 self.size, self.path)
        header = self._pread(index_offset, 32)
        tag, length, n, body_length, body_crc, header_crc = INDEX_HEADER.unpack(header)
        validation.check_index_header(tag, length, n, body_length, header_crc, crc32c(header[:28]), count, index_offset,
                                      self.size)
        body = self._pread(index_offset + 32, body_length)
        if crc32c(body) != body_crc:
            raise validation.broken_seal("index body checksum mismatch", index_offset + 32)
        rows = np.frombuffer(body, dtype=INDEX_ROW)
        validation.check_index_rows(rows, self.body_start, index_offset)
        self.index_offset = index_offset
        self._rows = rows
        self._row_ends = (rows["offset"] + rows["length"]).tolist()
        self._row_offsets = rows["offset"].tolist()

    # -- records ----------------------------------------------------------------------------------

    @property
    def identity(self) -> Tuple[int, int]:
        """(device, inode) of the open file: two manifest entries may not name the same file."""
        status = os.fstat(self._fd)
        return status.st_dev, status.st_ino

    def id_hashes(self) -> List[Optional[int]]:
        """Each record's id hash from its entry header (48 bytes read per record, the body not), or None
        where the header fails its checks."""
        hashes: List[Optional[int]] = []
        for i, offset in enumerate(self._row_offsets):
            header = os.pread(self._fd, 48, offset)
            fields = RECORD_HEADER.unpack(header) if len(header) == 48 else None
            valid = fields is not None and fields[0] == TAG_RECORD and fields[8] == crc32c(header[:44]) and fields[2] == i
            hashes.append(fields[3] if valid and fields is not None else None)
        return hashes

    def __len__(self) -> int:
        return len(self._rows)

    def close(self) -> None:
        """Closes the file (further reads fail)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> "Shard":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def _check_index(self, i: int) -> int:
        n = len(self._rows)
        if not isinstance(i, (int, np.integer)) or isinstance(i, bool):
            raise TypeError(f"record index must be an integer, not {type(i).__name__}")
        j = int(i) + n if i < 0 else int(i)
        if not 0 <= j < n:
            raise IndexError(f"record index {i} is out of range for {n} records")
        return j

    def token_count(self, i: int) -> int:
        """Tokens of record ``i``, from the index (no entry read)."""
        return int(self._rows["tokens"][self._check_index(i)])

    def stored_bytes(self, i: int) -> int:
        """Stored (compressed) value bytes of record ``i``, from the index."""
        return int(self._rows["stored"][self._check_index(i)])

    def entry(self, i: int) -> RecordEntry:
        """The parsed, checked record entry of record ``i`` (cached)."""
        i = self._check_index(i)
        cached = self._entries.get(i)
        if cached is not None:
            return cached
        offset, length = self._row_offsets[i], self._row_ends[i] - self._row_offsets[i]
        record_id: Optional[str] = None
        try:
            raw = self._pread(offset, length)
            (tag, header_length, ordinal, record_hash, body_length, body_crc, block_count, reserved,
             header_crc) = RECORD_HEADER.unpack_from(raw)
            validation.check_record_header(tag, header_length, ordinal, body_length, block_count, reserved, header_crc,
                                           crc32c(memoryview(raw)[:44]), i, length)
            body = memoryview(raw)[48:]
            if crc32c(body) != body_crc:
                raise validation.corrupt("record entry body checksum mismatch")
            entry = decode_record_body(body, i, record_hash, block_count)
            record_id = entry.id
            row = self._rows[i]
            validation.check_entry_against_row(len(entry.token_ids), len(entry.blocks), entry.stored_bytes, row)
            validation.check_record_size(self.n_layers, len(entry.token_ids), self.hidden, self.width)
            validation.check_auxiliary(entry.auxiliary, self._declared_auxiliary)
            validation.check_block_refs(entry.blocks, self.n_layers, len(entry.token_ids), self.hidden, self.width, self.dtype)
            validation.check_block_placement(entry.blocks, self._row_ends[i - 1] if i else self.body_start, offset)
        except StrataError as error:
            raise error.located(path=self.path, record=i, record_id=record_id, offset=offset)
        if len(self._entries) >= _ENTRY_CACHE_LIMIT:
            self._entries.clear()
        self._entries[i] = entry
        return entry

    def info(self, i: int, *, index: Optional[int] = None) -> RecordInfo:
        """Record ``i``'s id, labels, token ids, text, metadata, auxiliary vectors and shape."""
        e = self.entry(i)
        return RecordInfo(index=self._check_index(i) if index is None else index, id=e.id, labels=list(e.labels),
                          token_ids=e.token_ids, text=e.text, metadata=dict(e.metadata), auxiliary=dict(e.auxiliary),
                          shape=(self.n_layers, len(e.token_ids), self.hidden), stored_bytes=e.stored_bytes,
                          raw_bytes=e.raw_bytes, block_count=len(e.blocks))

    def __getitem__(self, i: int) -> Record:
        info = self.info(i)
        return Record(**info.__dict__, values=self.read(info.index))

    def __iter__(self) -> Iterator[Record]:
        for i in range(len(self)):
            yield self[i]

    # -- values -----------------------------------------------------------------------------------

    def layer_positions(self, layers: LayerSelection) -> List[int]:
        """The positions in the captured-layer list that ``read(…, layers=layers)`` reads (None = all,
        negatives from the end); IndexError names a position out of range."""
        return self._all_layers if layers is None else resolve_layer_positions(layers, self.n_layers)

    @staticmethod
    def _token_range(tokens: TokenSelection, n_tokens: int) -> Tuple[int, int]:
        if tokens is None:
            return 0, n_tokens
        if isinstance(tokens, tuple):
            tokens = range(*tokens)
        if isinstance(tokens, slice):
            tokens = range(n_tokens)[tokens]
        elif isinstance(tokens, range):
            if tokens.start < 0 or tokens.stop > n_tokens:
                raise IndexError(f"token range {tokens.start}..<{tokens.stop} is outside 0..<{n_tokens}")
        else:
            raise TypeError("tokens must be a slice, a range or a (start, stop) tuple")
        if tokens.step != 1:
            raise ValueError("token ranges must have step 1")
        return (tokens.start, tokens.stop) if len(tokens) else (0, 0)

    def _output_type(self, dtype: ValueType) -> np.dtype:
        if isinstance(dtype, str) and dtype == "stored":
            if self.lossy:
                raise ValueError(f'dtype {self.dtype} has no "stored" form (int8 codes with per-vector scales and outliers); read float32')
            return STORED_NUMPY[self.dtype]
        resolved = np.dtype(dtype)
        if resolved != np.float32:
            raise ValueError(f'dtype must be numpy.float32 or "stored", not {dtype!r}')
        return resolved

    def read(self, i: int, layers: LayerSelection = None, tokens: TokenSelection = None, dtype: ValueType = np.float32,
             out: Optional[np.ndarray] = None) -> np.ndarray:
        """Record ``i``'s values as ``[layers, tokens, hidden]``.

        ``layers``: positions in ``metadata["layers"]`` (negative counts from the end; an int gives a
        ``[tokens, hidden]`` array), default all. ``tokens``: a slice, range or ``(start, stop)``,
        default all. ``dtype``: ``numpy.float32`` (default; bf16 and f16 widened exactly) or
        ``"stored"`` (float32, float16 or bfloat16 bit patterns as uint16). ``out``: a C-contiguous
        array of that shape and type to fill instead of a new one. Only blocks that overlap the
        request are read and decompressed; each one's header and payload checksums are checked first.
        """
        index = self._check_index(i)
        entry = self.entry(index)
        positions = self.layer_positions(layers)
        t0, t1 = self._token_range(tokens, len(entry.token_ids))
        out_type = self._output_type(dtype)
        shape = (len(positions), t1 - t0, self.hidden)
        if out is None:
            result = np.empty(shape, dtype=out_type)
        else:
            if out.dtype != out_type or out.size != shape[0] * shape[1] * shape[2] or not out.flags.c_contiguous:
                raise ValueError(f"out must be a C-contiguous {out_type} array of {shape[0] * shape[1] * shape[2]} values")
            result = out.reshape(shape)
        if result.size:
            self._fill(index, entry, positions, t0, t1, result)
        return result[0] if isinstance(layers, (int, np.integer)) else result

    def _fill(self, index: int, entry: RecordEntry, positions: List[int], t0: int, t1: int, result: np.ndarray) -> None:
        """Decodes the blocks overlapping layers ``positions`` × tokens [t0, t1) into ``result``."""
        wanted: Dict[int, List[int]] = {}
        every_layer = positions is self._all_layers
        if not every_layer:
            for p, layer in enumerate(positions):
                wanted.setdefault(layer, []).append(p)
        lowest, highest = (0, self.n_layers - 1) if every_layer else (min(wanted), max(wanted))
        jobs: Dict[int, List[List[int]]] = {}  # block -> runs [output position, block layer, count]
        refs = entry.refs
        for b, (_, ls, lc, ts, tc, _, _, _) in enumerate(refs):
            if ts >= t1 or ts + tc <= t0 or ls > highest or ls + lc <= lowest:
                continue
            if every_layer:
                jobs[b] = [[ls, 0, lc]]
                continue
            runs: List[List[int]] = []
            for layer in range(ls, ls + lc):
                for p in wanted.get(layer, ()):
                    if runs and runs[-1][0] + runs[-1][2] == p and runs[-1][1] + runs[-1][2] == layer - ls:
                        runs[-1][2] += 1
                    else:
                        runs.append([p, layer - ls, 1])
            if runs:
                jobs[b] = runs
        for b, planes in self._blocks(index, entry, list(jobs)):
            runs = jobs[b]
            _, _, lc, ts, tc, _, _, _ = refs[b]
            a, z = max(t0, ts), min(t1, ts + tc)
            shuffled, data = planes
            if self.lossy:
                try:
                    vectors = q8.decode(data, lc * tc, self.hidden, q8.outliers_for(refs[b][6], lc * tc, self.hidden), shuffled)
                except StrataError as error:
                    raise error.located(path=self.path, record=index, record_id=entry.id, block=b, offset=refs[b][0])
                vectors = vectors.reshape(lc, tc, self.hidden)
                for out_start, block_layer, count in runs:
                    result[out_start:out_start + count, a - t0:z - t0] = vectors[block_layer:block_layer + count, a - ts:z - ts]
                continue
            for out_start, block_layer, count in runs:
                dst = result[out_start:out_start + count, a - t0:z - t0]
                if shuffled:
                    src = data.reshape(self.width, lc, tc, self.hidden)[:, block_layer:block_layer + count, a - ts:z - ts]
                    write_planes(src, self.dtype, dst, self._decompressor)
                else:
                    src = data.view(STORED_NUMPY[self.dtype]).reshape(lc, tc, self.hidden)
                    write_elements(src[block_layer:block_layer + count, a - ts:z - ts], self.dtype, dst)

    def _blocks(self, index: int, entry: RecordEntry, wanted: List[int]) -> Iterator[Tuple[int, Tuple[bool, np.ndarray]]]:
        """For each wanted block (ascending): its checked, decompressed bytes (planes when shuffled).
        Blocks that are neighbours in the file are fetched with one read."""
        offsets = [ref[0] for ref in entry.refs]
        stored = [ref[5] for ref in entry.refs]
        k = 0
        while k < len(wanted):
            first = k
            while k + 1 < len(wanted) and wanted[k + 1] == wanted[k] + 1:
                k += 1
            start = offsets[wanted[first]]
            end = offsets[wanted[k]] + 72 + stored[wanted[k]]
            if len(self._io) < end - start:
                self._io = bytearray(max(end - start, 2 * len(self._io)))
            view = memoryview(self._io)[:end - start]
            n = os.preadv(self._fd, [view], start)
            if n != end - start:
                raise StrataError("truncated", f"short read of {end - start} bytes (the file shrank?)", path=self.path,
                                  record=index, record_id=entry.id, block=wanted[first], offset=start)
            for j in range(first, k + 1):
                b = wanted[j]
                try:
                    yield b, self._decode(entry, index, b, view[offsets[b] - start:offsets[b] - start + 72 + stored[b]])
                except StrataError as error:
                    raise error.located(path=self.path, record=index, record_id=entry.id, block=b, offset=offsets[b])
            k += 1

    def _decode(self, entry: RecordEntry, index: int, b: int, raw: memoryview) -> Tuple[bool, np.ndarray]:
        fields = BLOCK_HEADER.unpack_from(raw)
        ref = entry.refs[b]
        validation.check_block_header(fields, crc32c(raw[:68]), ref, index, entry.id_hash, self.hidden, self._dtype_code)
        payload = raw[72:]
        if crc32c(payload) != fields[15]:
            raise validation.corrupt("block payload checksum mismatch")
        raw_size = fields[13]
        if fields[10] == CODEC_ZSTD:
            validation.check_zstd_frame(payload, raw_size)
            data = self._decompressor.decompress(payload, raw_size)
        else:
            data = payload
        return fields[11] == 1, np.frombuffer(data, dtype=np.uint8)

    # -- whole-shard checks -----------------------------------------------------------------------

    def verify(self) -> Dict[str, int]:
        """Reads every record entry (each checked as ``entry`` checks it) and decodes every block (every
        checksum checked), and checks ids are unique in the shard. Returns counts (records, blocks, tokens,
        raw_bytes, stored_bytes); raises ``StrataError`` naming the first problem."""
        report = {"records": 0, "blocks": 0, "tokens": 0, "raw_bytes": 0, "stored_bytes": 0}
        ids = set()
        for i in range(len(self)):
            e = self.entry(i)
            if e.id in ids:
                raise validation.corrupt("duplicate record id").located(path=self.path, record=i, record_id=e.id)
            ids.add(e.id)
            for _ in self._blocks(i, e, list(range(len(e.blocks)))):
                pass
            report["records"] += 1
            report["blocks"] += len(e.blocks)
            report["tokens"] += len(e.token_ids)
            report["raw_bytes"] += e.raw_bytes
            report["stored_bytes"] += e.stored_bytes
        return report


def resolve_layer_positions(layers: LayerSelection, n: int) -> List[int]:
    """``layers`` (None = all, one position, or a sequence; negatives count from the end) as positions
    in 0..<n."""
    if layers is None:
        return list(range(n))
    chosen = [layers] if isinstance(layers, (int, np.integer)) else list(layers)
    positions = []
    for layer in chosen:
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not -n <= layer < n:
            raise IndexError(f"layer position {layer!r} is out of range for {n} layers")
        positions.append(int(layer) % n)
    return positions
