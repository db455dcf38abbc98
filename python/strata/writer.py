"""Writing shards (spec/FORMAT.md §2-§8) byte-compatible with the Swift ``ShardWriter``: the same block
plan, byte shuffle, zstd frames (level, content size, a zstd block per plane), record entries, index
and trailer. Crash-safe: each record is appended as its blocks, then its commit entry, straight to the
file with no buffering in this process, so a writer killed at any instant loses at most the record in
flight (``strata recover`` seals the rest)."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

import numpy as np

from .block_plan import block_plan
from .checksum import crc32c
from .codec import PlaneCompressor, planes_of, to_stored
from .entry import encode_record_entry
from .errors import StrataError
from .layout import (BLOCK_HEADER, CODEC_NONE, CODEC_ZSTD, DTYPE_CODES, DTYPE_WIDTH, FILE_HEADER, FILE_MAGIC,
                     INDEX_HEADER, INDEX_ROW, TAG_BLOCK, TAG_INDEX, TRAILER, TRAILER_MAGIC, Limits, id_hash)
from .manifest import sync_directory
from .metadata import DEFAULT_LAYER_SEMANTICS, TOOL_VERSION, build_metadata, encode_metadata
from .output_lock import OutputLock
from .replacement import partial_path, remove_stale_partials

__all__ = ["Writer", "DEFAULT_BLOCK_TARGET_BYTES"]

DEFAULT_BLOCK_TARGET_BYTES = 256 * 1024
_FLUSH_BYTES = 8 << 20
_METADATA_KEYS = ("hidden", "layers", "dtype", "model", "tokenizer", "label_names", "auxiliary", "extra",
                  "layer_semantics", "tool_version")


class Writer:
    """Writes one shard. ``append`` records, then ``close()`` (or leave a ``with`` block) to seal it.

    Metadata comes from ``metadata`` (e.g. a reader's ``ds.metadata``) and/or the keywords, which win:
    ``hidden``, ``layers`` (a count, hidden-state indices, or ``{"index", "kind"}`` objects), ``dtype``
    (``"bf16"``, ``"f16"`` or ``"f32"``), ``model``, ``tokenizer``, ``label_names``, ``auxiliary``
    (``{"name": length or None}``), ``extra`` (str → str), ``layer_semantics``, ``tool_version``.
    Codec options are the Swift writer's: ``zstd_level`` (1), ``block_target_bytes`` (256 KiB),
    ``layers_per_block`` (derived), ``sync_every_record`` (fsync after each record, for power loss).

    The shard is written at ``path`` directly, so a killed writer leaves an unsealed shard there that
    ``strata recover PATH`` restores. An existing ``path`` is refused unless ``overwrite=True``: then the
    new shard is written as ``PATH.partial-PID`` and renamed over ``path`` only when sealed. The
    output's lock (``.NAME.lock`` beside it) is held until the writer is closed, so a second writer of
    the same path is refused. Leaving a ``with`` block by an exception does not seal the shard.
    """

    def __init__(self, path: "str | os.PathLike[str]", metadata: Optional[Mapping[str, Any]] = None, *,
                 hidden: Optional[int] = None, layers: Any = None, dtype: Optional[str] = None,
                 model: Optional[Mapping[str, Any]] = None, tokenizer: Optional[Mapping[str, Any]] = None,
                 label_names: Optional[Sequence[str]] = None, auxiliary: Any = None,
                 extra: Optional[Mapping[str, str]] = None, layer_semantics: Optional[str] = None,
                 tool_version: Optional[str] = None, zstd_level: int = 1,
                 block_target_bytes: int = DEFAULT_BLOCK_TARGET_BYTES, layers_per_block: Optional[int] = None,
                 sync_every_record: bool = False, overwrite: bool = False, lock: bool = True) -> None:
        self.path = os.fspath(path)
        fields: Dict[str, Any] = {k: metadata.get(k) for k in _METADATA_KEYS} if metadata is not None else {}
        given = dict(hidden=hidden, layers=layers, dtype=dtype, model=model, tokenizer=tokenizer,
                     label_names=label_names, auxiliary=auxiliary, extra=extra, layer_semantics=layer_semantics,
                     tool_version=tool_version)
        fields.update({k: v for k, v in given.items() if v is not None})
        for required in ("hidden", "layers", "dtype"):
            if fields.get(required) is None:
                raise StrataError("invalidArgument", f"the writer needs {required} (as a keyword or in metadata)",
                                  path=self.path)
        if not isinstance(zstd_level, int) or not 1 <= zstd_level <= 22:
            raise StrataError("invalidArgument", f"zstd level {zstd_level} is outside 1...22", path=self.path)
        if not isinstance(block_target_bytes, int) or not 1 <= block_target_bytes <= Limits.BLOCK_RAW_BYTES:
            raise StrataError("invalidArgument", f"block target {block_target_bytes} bytes is outside "
                                                  f"1...{Limits.BLOCK_RAW_BYTES}", path=self.path)
        if layers_per_block is not None and layers_per_block < 1:
            raise StrataError("invalidArgument", "layers per block must be at least 1", path=self.path)
        codec: Dict[str, Any] = {"name": "zstd", "level": zstd_level, "shuffle": True,
                                 "block_target_bytes": block_target_bytes, "layers_per_block": layers_per_block}
        try:
            self.metadata = build_metadata(
                hidden=fields["hidden"], layers=fields["layers"], dtype=fields["dtype"], model=fields.get("model"),
                tokenizer=fields.get("tokenizer"), label_names=fields.get("label_names"),
                auxiliary=fields.get("auxiliary"), extra=fields.get("extra"),
                layer_semantics=fields.get("layer_semantics") or DEFAULT_LAYER_SEMANTICS,
                tool_version=fields.get("tool_version") or TOOL_VERSION, codec=codec)
            meta_json = encode_metadata(self.metadata)
        except StrataError as error:
            raise error.located(path=self.path)
        self.hidden: int = self.metadata["hidden"]
        self.n_layers = len(self.metadata["layers"])
        self.dtype: str = self.metadata["dtype"]
        self._width = DTYPE_WIDTH[self.dtype]
        self._declared_aux = {a["name"]: a.get("length") for a in self.metadata["auxiliary"]}
        self._level = zstd_level
        self._block_target = block_target_bytes
        self._layers_per_block = layers_per_block
        self._sync = sync_every_record
        self._compressor = PlaneCompressor(zstd_level)
        self._rows: List[Tuple[int, ...]] = []
        self._ids: Set[str] = set()
        self._closed = False
        self._broken: Optional[StrataError] = None
        self._fd = -1

        self._lock = OutputLock(file=self.path) if lock else None
        try:
            remove_stale_partials(self.path)
            if os.path.lexists(self.path):
                if not overwrite:
                    raise StrataError("invalidArgument", "exists; pass overwrite=True to replace it (the new shard "
                                                          "replaces it only once sealed)", path=self.path)
                self._file = partial_path(self.path, os.getpid())
                if os.path.lexists(self._file):
                    os.unlink(self._file)
            else:
                self._file = self.path
            try:
                self._fd = os.open(self._file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            except OSError as error:
                raise StrataError("io", f"cannot create: {error.strerror}", path=self._file) from None
            header = FILE_HEADER.pack(FILE_MAGIC, 1, 0, 0, len(meta_json), crc32c(meta_json), 0)
            header = header[:28] + crc32c(header[:28]).to_bytes(4, "little")
            self._write_all(header + meta_json, 0)
        except BaseException:
            self._abandon()
            raise
        self._committed_end = 32 + len(meta_json)

    # -- state ------------------------------------------------------------------------------------

    @property
    def record_count(self) -> int:
        """Records committed so far."""
        return len(self._rows)

    @property
    def byte_count(self) -> int:
        """Bytes of the shard so far (header, metadata and committed records)."""
        return self._committed_end

    def _write_all(self, data: "bytes | memoryview", offset: int) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.pwrite(self._fd, view, offset)
            except OSError as error:
                raise StrataError("io", f"write failed: {error.strerror}", path=self.path, offset=offset) from None
            view = view[n:]
            offset += n

    def _check_usable(self) -> None:
        if self._broken is not None:
            raise self._broken
        if self._closed:
            raise StrataError("invalidArgument", "writer is already closed", path=self.path)

    # -- records ----------------------------------------------------------------------------------

    def append(self, id: str, values: Any, *, token_ids: Any, labels: Sequence[int] = (), text: Optional[str] = None,
               metadata: Optional[Mapping[str, str]] = None, aux: Optional[Mapping[str, Any]] = None) -> None:
        """Appends one record: ``values`` ``[layers, tokens, hidden]`` (numpy float32/float16/float64,
        ml_dtypes bfloat16, or a torch tensor) converted to the shard's dtype; ``token_ids`` one per
        token; ``labels`` (the first is the primary label); ``text``; per-record ``metadata``
        (str → str); ``aux``, the declared auxiliary vectors (name → float32 values). The record is
        committed when this returns; on an error nothing of it stays in the file."""
        self._check_usable()
        ordinal = len(self._rows)

        def bad(why: str) -> StrataError:
            return StrataError("invalidArgument", why, path=self.path, record=ordinal, record_id=id)

        if not isinstance(id, str):
            raise bad(f"record id must be a string, not {type(id).__name__}")
        tokens = np.asarray(token_ids)
        if tokens.ndim != 1 or (tokens.size and tokens.dtype.kind not in "iu"):
            raise bad("token_ids must be a 1-D sequence of integers")
        if tokens.size and (tokens.min() < -(1 << 31) or tokens.max() >= (1 << 31)):
            raise bad("token ids must fit in 32 bits")
        n_tokens = int(tokens.size)
        if n_tokens > Limits.TOKENS:
            raise bad(f"{n_tokens} tokens exceed the limit {Limits.TOKENS}")
        label_list = [int(x) for x in labels]
        if len(label_list) > Limits.LABELS:
            raise bad(f"too many labels ({len(label_list)})")
        if id in self._ids:
            raise bad("duplicate record id in this shard")
        record_meta = dict(metadata or {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in record_meta.items()):
            raise bad("record metadata must map strings to strings")
        if text is not None and not isinstance(text, str):
            raise bad("text must be a string or None")
        vectors: Dict[str, np.ndarray] = {}
        for name, vector in (aux or {}).items():
            if name not in self._declared_aux:
                raise bad(f'auxiliary vector "{name}" is not declared in the metadata')
            vectors[name] = np.ascontiguousarray(np.asarray(vector, dtype=np.float32).reshape(-1))
        for name, length in self._declared_aux.items():
            if name not in vectors:
                raise bad(f'missing auxiliary vector "{name}"')
            if length is not None and len(vectors[name]) != length:
                raise bad(f'auxiliary vector "{name}" has {len(vectors[name])} values, expected {length}')
            if len(vectors[name]) > Limits.AUXILIARY_LENGTH:
                raise bad(f'auxiliary vector "{name}" is too long')
        try:
            stored = to_stored(values, self.dtype)
        except TypeError as error:
            raise bad(str(error)) from None
        if self.n_layers * n_tokens * self.hidden * self._width > Limits.RECORD_VALUE_BYTES:
            raise bad(f"the record's values exceed the limit of {Limits.RECORD_VALUE_BYTES} bytes")
        expected = (self.n_layers, n_tokens, self.hidden)
        if stored.shape != expected:
            raise bad(f"values have shape {tuple(stored.shape)}, expected layers × tokens × hidden = {expected}")
        self._commit(ordinal, id, stored, tokens, label_list, text, record_meta, vectors)

    def _commit(self, ordinal: int, record_id: str, stored: np.ndarray, tokens: np.ndarray, labels: List[int],
                text: Optional[str], record_meta: Dict[str, str], vectors: Dict[str, np.ndarray]) -> None:
        h = id_hash(record_id)
        offset = self._committed_end
        pending: List[bytes] = []
        pending_bytes = 0
        refs = []
        try:
            for tile in block_plan(self.n_layers, len(tokens), self.hidden, self._width, self._block_target,
                                   self._layers_per_block):
                ls, lc, ts, tc = tile
                planes = planes_of(stored[ls:ls + lc, ts:ts + tc])
                raw_size = planes.size
                payload = self._compressor.compress(planes)
                codec = CODEC_ZSTD
                if len(payload) >= raw_size:
                    payload, codec = planes.tobytes(), CODEC_NONE
                payload_crc = crc32c(payload)
                header = BLOCK_HEADER.pack(TAG_BLOCK, 72, ordinal, h, ls, lc, ts, tc, self.hidden,
                                           DTYPE_CODES[self.dtype], codec, 1, 0, raw_size, len(payload), payload_crc, 0)
                header = header[:68] + crc32c(header[:68]).to_bytes(4, "little")
                block_offset = offset + pending_bytes
                refs.append((block_offset, ls, lc, ts, tc, len(payload), raw_size, payload_crc, 0))
                pending += [header, payload]
                pending_bytes += 72 + len(payload)
                if pending_bytes >= _FLUSH_BYTES:
                    self._write_all(b"".join(pending), offset)
                    offset += pending_bytes
                    pending, pending_bytes = [], 0
            entry = encode_record_entry(ordinal, record_id, labels, tokens, text, record_meta, vectors, refs)
            entry_offset = offset + pending_bytes
            pending.append(entry)
            self._write_all(b"".join(pending), offset)
            if self._sync:
                os.fsync(self._fd)
        except BaseException as error:
            self._roll_back()
            if isinstance(error, StrataError):
                raise error.located(path=self.path, record=ordinal, record_id=record_id)
            raise
        stored_bytes = sum(r[5] for r in refs)
        self._rows.append((entry_offset, len(entry), stored_bytes, len(tokens), len(refs)))
        self._ids.add(record_id)
        self._committed_end = entry_offset + len(entry)

    def _roll_back(self) -> None:
        """Cuts a partially written record off the end of the file."""
        try:
            os.ftruncate(self._fd, self._committed_end)
        except OSError as error:
            self._broken = StrataError("io", "writer is unusable after a failed append and a failed rollback: "
                                             f"{error.strerror}", path=self.path)

    # -- sealing ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Writes the index and trailer, fsyncs (and renames a replacement into place): the shard is
        sealed. Idempotent."""
        if self._closed:
            return
        if self._broken is not None:
            raise self._broken
        rows = np.array(self._rows, dtype=INDEX_ROW) if self._rows else np.zeros(0, dtype=INDEX_ROW)
        body = rows.tobytes()
        index = INDEX_HEADER.pack(TAG_INDEX, 32, len(self._rows), len(body), crc32c(body), 0)
        index = index[:28] + crc32c(index[:28]).to_bytes(4, "little") + body
        trailer = TRAILER.pack(TRAILER_MAGIC, self._committed_end, len(self._rows), 0, 0)
        trailer = trailer[:28] + crc32c(trailer[:28]).to_bytes(4, "little")
        self._write_all(index + trailer, self._committed_end)
        os.ftruncate(self._fd, self._committed_end + len(index) + len(trailer))
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = -1
        self._closed = True
        if self._file != self.path:
            os.replace(self._file, self.path)
        sync_directory(os.path.dirname(self.path) or ".")
        if self._lock is not None:
            self._lock.release()

    def _abandon(self) -> None:
        """Stops without sealing: the file keeps its committed records (unsealed; ``strata recover``
        restores them), a replacement's partial file is removed, the lock is released."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            if getattr(self, "_file", self.path) != self.path:
                try:
                    os.unlink(self._file)
                except OSError:
                    pass
        self._closed = True
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is None:
            self.close()
        else:
            self._abandon()

    def __del__(self) -> None:
        try:
            if not self._closed:
                self._abandon()
        except Exception:
            pass
