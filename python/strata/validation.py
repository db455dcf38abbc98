"""Every rule the reader enforces on what it reads, in one place (spec/FORMAT.md §3-§11, DATASETS.md §1).

Each check raises ``StrataError`` without a location (path, record, block, offset); the caller adds
it with ``StrataError.located``. Where the spec is open to two readings, the stricter is taken:
reserved fields must be zero, structures follow each other with no gap, manifest entries must agree
with their shard's record count and size, and a zstd payload must be exactly one plain frame that
declares its content size (no dictionary, no skippable frame, nothing after it).
"""
from __future__ import annotations

import os
import stat
from typing import Any, Mapping, Sequence, Tuple

import numpy as np

from . import q8
from .errors import StrataError
from .layout import (CODEC_NONE, CODEC_ZSTD, DTYPE_CODES, DTYPE_MINOR, FILE_MAGIC, READER_MINOR, TAG_BLOCK, TAG_INDEX,
                     TAG_RECORD, TRAILER_MAGIC, Limits, zstd_bound)

__all__ = ["corrupt"]


def corrupt(message: str, kind: str = "corrupt") -> StrataError:
    return StrataError(kind, message)


# --- file header and metadata (§3, §4) ---------------------------------------------------------------

def check_file_header(magic: bytes, major: int, metadata_length: int, header_crc: int, computed_crc: int) -> None:
    if magic != FILE_MAGIC:
        raise StrataError("notAShard", "not a Strata shard (bad magic)", offset=0)
    if header_crc != computed_crc:
        raise corrupt("file header checksum mismatch").located(offset=0)
    if major != 1:
        raise StrataError("notAShard", f"unsupported format major version {major} (this reader supports 1)", offset=8)
    if metadata_length > Limits.METADATA_BYTES:
        raise corrupt(f"metadata length {metadata_length} exceeds the limit {Limits.METADATA_BYTES}").located(offset=16)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_metadata(meta: Any) -> None:
    """The metadata object's known keys have the types and ranges §4 gives; unknown keys are ignored."""
    if not isinstance(meta, dict):
        raise corrupt("metadata JSON is not an object")
    hidden = meta.get("hidden")
    if not isinstance(hidden, int) or isinstance(hidden, bool) or not 1 <= hidden <= Limits.HIDDEN:
        raise corrupt(f"metadata: hidden size {hidden!r} is out of range 1...{Limits.HIDDEN}")
    layers = meta.get("layers")
    if not isinstance(layers, list) or not 1 <= len(layers) <= Limits.LAYERS:
        raise corrupt(f"metadata: layers must be a list of 1...{Limits.LAYERS} entries")
    for layer in layers:
        if not isinstance(layer, dict) or not _is_int(layer.get("index")) or not isinstance(layer.get("kind"), str):
            raise corrupt(f"metadata: layer {layer!r} is not an {{index, kind}} object")
    if meta.get("dtype") not in DTYPE_CODES:
        raise corrupt(f"metadata: unknown dtype {meta.get('dtype')!r}")
    quantization = meta.get("quantization")
    if meta["dtype"] == "q8":
        if not isinstance(quantization, dict) or quantization.get("scheme") != "q8":
            raise corrupt('metadata: dtype q8 needs a "quantization" object with scheme "q8"')
        if hidden > q8.MAX_HIDDEN:
            raise corrupt(f"metadata: hidden size {hidden} is over q8's limit {q8.MAX_HIDDEN}")
    elif quantization is not None:
        raise corrupt(f'metadata: "quantization" is given for the lossless dtype {meta["dtype"]}')
    auxiliary = meta.get("auxiliary", [])
    if not isinstance(auxiliary, list):
        raise corrupt("metadata: auxiliary is not a list")
    names = set()
    for a in auxiliary:
        if not isinstance(a, dict) or not isinstance(a.get("name"), str):
            raise corrupt(f"metadata: auxiliary entry {a!r} has no name")
        if a["name"] in names:
            raise corrupt(f'metadata: auxiliary vector "{a["name"]}" is declared twice')
        names.add(a["name"])
        length = a.get("length")
        if length is not None and (not _is_int(length) or not 0 <= length <= Limits.AUXILIARY_LENGTH):
            raise corrupt(f'metadata: auxiliary vector "{a["name"]}" has invalid length {length!r}')
    for key in ("extra",):
        value = meta.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise corrupt(f"metadata: {key} must map strings to strings")
    label_names = meta.get("label_names")
    if label_names is not None and (not isinstance(label_names, list) or not all(isinstance(x, str) for x in label_names)):
        raise corrupt("metadata: label_names must be a list of strings")
    for key in ("model", "tokenizer", "codec"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise corrupt(f"metadata: {key} must be an object or null")
    for key in ("layer_semantics", "tool_version"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise corrupt(f"metadata: {key} must be a string")


# --- trailer and index (§7) ----------------------------------------------------------------------

def unsealed(path: str) -> StrataError:
    return StrataError("unsealed", "shard is unsealed (no valid trailer: its writer was killed or has not finished); "
                                   f"run `strata recover {path}` to restore its completed records and seal it")


def broken_seal(why: str, offset: int) -> StrataError:
    return StrataError("brokenSeal", f"broken seal: {why}; run `strata recover` to rebuild the index", offset=offset)


def check_trailer(magic: bytes, crc: int, computed_crc: int, reserved: int, index_offset: int, count: int,
                  body_start: int, file_size: int, path: str) -> None:
    """§7 steps 1-2 for the trailer: not a valid trailer → unsealed; a valid one that fails a seal
    check → broken seal."""
    if magic != TRAILER_MAGIC or crc != computed_crc:
        raise unsealed(path).located(offset=file_size - 32)
    if reserved != 0:
        raise broken_seal(f"the trailer's reserved field is {reserved}, not 0", file_size - 8)
    if count > Limits.RECORDS_PER_SHARD:
        raise broken_seal(f"the trailer's record count {count} exceeds the limit", file_size - 24)
    if not body_start <= index_offset <= file_size - 64:
        raise broken_seal(f"the trailer points to index offset {index_offset}, outside the body", file_size - 32)


def check_index_header(tag: int, length: int, count: int, body_length: int, header_crc: int, computed_crc: int,
                       trailer_count: int, index_offset: int, file_size: int) -> None:
    """§7 step 2 for the index header: any failure is a broken seal."""
    if tag != TAG_INDEX or length != 32:
        raise broken_seal("no index (SIDX) where the trailer points", index_offset)
    if header_crc != computed_crc:
        raise broken_seal("index header checksum mismatch", index_offset)
    if count != trailer_count:
        raise broken_seal(f"the trailer says {trailer_count} records but the index has {count}", index_offset)
    if body_length != 32 * count:
        raise broken_seal(f"index body length {body_length} is not 32 × {count} records", index_offset)
    if index_offset + 32 + body_length + 32 != file_size:
        raise broken_seal(f"the index ({count} records) does not end where the trailer begins", index_offset)


def check_index_rows(rows: np.ndarray, body_start: int, index_offset: int) -> None:
    """§7 step 3: the rows lay the body out without a gap. With ``area`` the body start, each row's
    entry is at ``area + 72 × block_count + stored_bytes`` (its blocks fill the space before it), is at
    least a header long, and ``area`` moves past it; after the last row ``area`` is the index offset."""
    area = body_start
    offsets, lengths = rows["offset"].tolist(), rows["length"].tolist()
    stored, blocks, tokens = rows["stored"].tolist(), rows["blocks"].tolist(), rows["tokens"].tolist()
    for i in range(len(offsets)):
        if (stored[i] > index_offset or lengths[i] < 48 or lengths[i] > 48 + Limits.ENTRY_BODY_BYTES
                or blocks[i] > Limits.BLOCKS_PER_RECORD or tokens[i] > Limits.TOKENS
                or offsets[i] != area + 72 * blocks[i] + stored[i] or offsets[i] + lengths[i] > index_offset):
            raise corrupt("index row does not follow the previous record without a gap").located(
                record=i, offset=index_offset + 32 + 32 * i)
        area = offsets[i] + lengths[i]
    if area != index_offset:
        raise corrupt(f"{index_offset - area} unaccounted bytes between the last record entry and the index").located(
            offset=area)


# --- record entries (§6) -------------------------------------------------------------------------

def check_record_header(tag: int, length: int, ordinal: int, body_length: int, block_count: int, reserved: int,
                        header_crc: int, computed_crc: int, index: int, row_length: int) -> None:
    if tag != TAG_RECORD or length != 48:
        raise corrupt("expected a record entry (SREC) where the index points")
    if header_crc != computed_crc:
        raise corrupt("record entry header checksum mismatch")
    if reserved != 0:
        raise corrupt(f"record entry reserved field is {reserved}, not 0")
    if ordinal != index or 48 + body_length != row_length:
        raise corrupt(f"record entry does not match its index row (length {48 + body_length} vs {row_length}, "
                      f"ordinal {ordinal})")
    if block_count > Limits.BLOCKS_PER_RECORD:
        raise corrupt(f"record entry lists {block_count} blocks, over the limit")


def check_sorted_unique(keys: Sequence[str], what: str) -> None:
    """Record metadata keys and auxiliary names are unique and sorted by UTF-8 byte order (§6)."""
    encoded = [k.encode("utf-8") for k in keys]
    for a, b in zip(encoded, encoded[1:]):
        if a == b:
            raise corrupt(f'record {what} "{b.decode()}" appears twice')
        if a > b:
            raise corrupt(f"record {what}s are not sorted by UTF-8 byte order")


def check_dtype_version(dtype: Any, minor: int, reader_minor: int = READER_MINOR) -> None:
    """§12: a dtype newer than the reader's format version (or unknown) is refused as a newer format,
    naming both versions; a dtype newer than the file header's version is corruption."""
    known = [name for name, needed in DTYPE_MINOR.items() if needed <= reader_minor]
    if dtype not in known:
        raise StrataError("notAShard", f'the shard stores dtype "{dtype}" (format 1.{minor}), which this reader of format '
                                       f"1.{reader_minor} does not know (it reads {', '.join(known)}); read it with a newer strata",
                          offset=32)
    if DTYPE_MINOR[dtype] > minor:
        raise corrupt(f"dtype {dtype} needs format 1.{DTYPE_MINOR[dtype]} or newer, but the file header says 1.{minor}").located(offset=10)


def check_block_refs(refs: np.ndarray, n_layers: int, n_tokens: int, hidden: int, width: int, dtype: str = "") -> None:
    """Block references: reserved zero, raw size = shape, and the blocks tile the record (§5): layer
    groups in order covering every layer, each cut into ascending token ranges covering every token."""
    if n_tokens == 0:
        if len(refs):
            raise corrupt(f"a record with no tokens lists {len(refs)} blocks")
        return
    if (refs["reserved"] != 0).any():
        raise corrupt("a block reference's reserved field is not 0")
    vectors = refs["layer_count"].astype(np.uint64) * refs["token_count"].astype(np.uint64)
    if dtype == "q8":
        if any(q8.outliers_for(raw, n, hidden) is None for raw, n in zip(refs["raw_size"].tolist(), vectors.tolist())):
            raise corrupt("a block reference's raw size is not vectors × (hidden + 4 + 4k) for an allowed k (q8)")
    elif (refs["raw_size"] != vectors * np.uint64(hidden * width)).any():
        raise corrupt("a block reference's raw size does not match its shape")
    if (refs["raw_size"] > Limits.BLOCK_RAW_BYTES).any():
        raise corrupt("a block's raw size exceeds the limit")
    ls = refs["layer_start"].tolist()
    lc = refs["layer_count"].tolist()
    ts = refs["token_start"].tolist()
    tc = refs["token_count"].tolist()
    i, layer, count = 0, 0, len(ls)
    while layer < n_layers:
        if i >= count:
            raise corrupt(f"blocks do not cover layers {layer}..<{n_layers}")
        group = lc[i]
        if ls[i] != layer or group < 1 or layer + group > n_layers:
            raise corrupt(f"block {i} has layer range {ls[i]}+{group}, expected a group starting at layer {layer}")
        token = 0
        while token < n_tokens:
            if i >= count:
                raise corrupt(f"blocks do not cover tokens {token}..<{n_tokens} of layers {layer}+{group}")
            if ls[i] != layer or lc[i] != group or ts[i] != token or tc[i] < 1 or token + tc[i] > n_tokens:
                raise corrupt(f"block {i} covers layers {ls[i]}+{lc[i]} tokens {ts[i]}+{tc[i]}, "
                              f"expected layers {layer}+{group} from token {token}")
            token += tc[i]
            i += 1
        layer += group
    if i != count:
        raise corrupt(f"record lists {count - i} blocks beyond its layers × tokens")


def check_block_placement(refs: np.ndarray, region_start: int, entry_offset: int) -> None:
    """The record's blocks follow each other with no gap from the end of the previous record's entry
    (or the body start) to the record's own entry (§2, §7)."""
    expected = region_start
    offsets = refs["offset"].tolist()
    stored = refs["stored_size"].tolist()
    for b, (offset, size) in enumerate(zip(offsets, stored)):
        if offset != expected:
            raise corrupt(f"block reference points to offset {offset}, expected {expected} (blocks follow each other "
                          "with no gap)").located(block=b, offset=offset)
        expected = offset + 72 + size
    if expected != entry_offset:
        raise corrupt(f"{entry_offset - expected} unaccounted bytes before the record entry" if expected < entry_offset
                      else "the record's blocks run into its entry").located(offset=min(expected, entry_offset))


def check_entry_against_row(n_tokens: int, n_blocks: int, stored_bytes: int, row: np.void) -> None:
    if (n_tokens, n_blocks, stored_bytes) != (int(row["tokens"]), int(row["blocks"]), int(row["stored"])):
        raise corrupt("record entry does not match its index row (tokens, block count or stored bytes)")


def check_record_size(n_layers: int, n_tokens: int, hidden: int, width: int) -> None:
    """A record's values, layers × tokens × hidden × width, are at most 4 GiB (§10)."""
    if n_layers * n_tokens * hidden * width > Limits.RECORD_VALUE_BYTES:
        raise corrupt(f"the record's values ({n_layers} × {n_tokens} × {hidden} × {width} bytes) exceed the "
                      f"limit of {Limits.RECORD_VALUE_BYTES} bytes")


def declared_auxiliary(metadata: Mapping[str, Any]) -> "list[tuple[str, Any]]":
    """``metadata["auxiliary"]`` as [(name, length or None)]: a missing ``length`` means null (§4)."""
    return [(a["name"], a.get("length")) for a in metadata.get("auxiliary") or []]


def check_auxiliary(auxiliary: Mapping[str, np.ndarray], declared: Sequence[Mapping[str, Any]]) -> None:
    """A record carries exactly the declared auxiliary vectors, with the declared lengths (§4),
    checked when its entry is read."""
    names = {a["name"] for a in declared}
    if set(auxiliary) != names:
        raise corrupt(f"auxiliary vectors {sorted(auxiliary)} differ from the declared {sorted(names)}")
    for a in declared:
        if a.get("length") is not None and len(auxiliary[a["name"]]) != a["length"]:
            raise corrupt(f'auxiliary vector "{a["name"]}" does not have the declared length {a["length"]}')


# --- blocks (§5) -----------------------------------------------------------------------------------

#: Block header fields compared with the block reference, in BLOCK_HEADER order.
def check_block_header(fields: Tuple[Any, ...], computed_crc: int, ref: Tuple[int, ...], ordinal: int, id_hash: int, hidden: int,
                       dtype_code: int) -> None:
    """``fields`` is BLOCK_HEADER unpacked; ``ref`` the reference (offset, ls, lc, ts, tc, stored, raw, crc)."""
    (tag, length, h_ordinal, h_hash, ls, lc, ts, tc, h_hidden, h_dtype, codec, shuffle, reserved,
     raw_size, stored_size, payload_crc, header_crc) = fields
    if tag != TAG_BLOCK or length != 72:
        raise corrupt("expected a block (SBLK) where the record entry points")
    if header_crc != computed_crc:
        raise corrupt("block header checksum mismatch")
    if (h_ordinal, h_hash, ls, lc, ts, tc, stored_size, raw_size, payload_crc) != (ordinal, id_hash) + ref[1:]:
        raise corrupt("block header does not match the record entry's reference to it")
    if h_hidden != hidden or h_dtype != dtype_code:
        raise corrupt("block hidden size or dtype differs from the shard metadata")
    if codec not in (CODEC_NONE, CODEC_ZSTD):
        raise corrupt(f"unknown codec code {codec} in block header")
    if shuffle > 1:
        raise corrupt(f"invalid shuffle flag {shuffle} in block header")
    if reserved != 0:
        raise corrupt(f"block header reserved byte is {reserved}, not 0")
    if codec == CODEC_NONE and stored_size != raw_size:
        raise corrupt(f"uncompressed block stores {stored_size} bytes, expected {raw_size}")
    if codec == CODEC_ZSTD and stored_size > zstd_bound(raw_size):
        raise corrupt(f"block stored size {stored_size} exceeds the zstd bound for {raw_size} raw bytes")


_ZSTD_MAGIC = 0xFD2FB528


def check_zstd_frame(payload: memoryview, raw_size: int) -> None:
    """The payload is exactly one zstd frame (RFC 8878 §3.1.1) that declares ``raw_size`` bytes of
    content, uses no dictionary, and ends at the payload's last byte. Walks the frame and block headers
    only (nothing is decompressed)."""
    n = len(payload)
    if n < 6 or int.from_bytes(payload[0:4], "little") != _ZSTD_MAGIC:
        raise corrupt("payload is not a zstd frame (a single frame with the zstd magic number is required)")
    descriptor = payload[4]
    fcs_flag, single_segment, reserved, checksum, dict_flag = (
        descriptor >> 6, (descriptor >> 5) & 1, (descriptor >> 3) & 1, (descriptor >> 2) & 1, descriptor & 3)
    if reserved:
        raise corrupt("zstd frame header has its reserved bit set")
    if dict_flag:
        raise corrupt("zstd frame names a dictionary (Strata payloads use none)")
    position = 5 + (0 if single_segment else 1)
    fcs_size = (1 if single_segment else 0, 2, 4, 8)[fcs_flag]
    if fcs_size == 0:
        raise corrupt("zstd frame does not declare its content size")
    if position + fcs_size > n:
        raise corrupt("zstd frame header runs past the stored size")
    declared = int.from_bytes(payload[position:position + fcs_size], "little") + (256 if fcs_size == 2 else 0)
    if declared != raw_size:
        raise corrupt(f"zstd frame declares {declared} bytes but the block header says {raw_size}")
    position += fcs_size
    while True:
        if position + 3 > n:
            raise corrupt(f"zstd frame size does not match the stored size {n}")
        header = int.from_bytes(payload[position:position + 3], "little")
        last, kind, size = header & 1, (header >> 1) & 3, header >> 3
        if kind == 3:
            raise corrupt("zstd frame holds a block of the reserved type")
        position += 3 + (1 if kind == 1 else size)
        if last:
            break
    position += 4 if checksum else 0
    if position != n:
        raise corrupt(f"zstd frame size does not match the stored size {n}")


# --- datasets (§11, DATASETS.md §1) ----------------------------------------------------------------

def check_manifest(manifest: Any) -> None:
    if not isinstance(manifest, dict):
        raise StrataError("dataset", "manifest JSON is not an object")
    if manifest.get("format") != "strata-dataset":
        raise StrataError("dataset", f'manifest format is {manifest.get("format")!r}, expected "strata-dataset"')
    if manifest.get("version") != 1:
        raise StrataError("dataset", f"unsupported manifest version {manifest.get('version')!r} (this reader supports 1)")
    shards = manifest.get("shards")
    if not isinstance(shards, list):
        raise StrataError("dataset", "manifest has no shard list")
    for i, s in enumerate(shards):
        if not isinstance(s, dict) or not isinstance(s.get("path"), str) or not _is_int(s.get("records")) \
                or not _is_int(s.get("bytes")) or not isinstance(s.get("crc32c"), str):
            raise StrataError("dataset", f"manifest shards[{i}] needs path, records, bytes and crc32c")
        if not 0 <= s["records"] <= Limits.RECORDS_PER_SHARD or s["bytes"] < 0:
            raise StrataError("dataset", f"manifest shards[{i}] ({s['path']}): records or bytes out of range")
        crc = s["crc32c"]
        if len(crc) != 8 or any(c not in "0123456789abcdef" for c in crc):
            raise StrataError("dataset", f"manifest shards[{i}] ({s['path']}): crc32c {crc!r} is not 8 lower-case hex digits")
    if not isinstance(manifest.get("metadata"), dict):
        raise StrataError("dataset", "manifest has no metadata object")
    if not _is_int(manifest.get("records")):
        raise StrataError("dataset", "manifest has no record total")


def check_manifest_total(manifest: Mapping[str, Any]) -> None:
    """The top-level ``records`` is the sum over shards (checked after each entry against its shard)."""
    total = manifest["records"]
    if total != sum(s["records"] for s in manifest["shards"]):
        raise StrataError("dataset", f"manifest record total {total} is not the sum over its shards")


def resolve_shard_path(entry: str, directory: str) -> str:
    """The real path of manifest shard ``entry``: relative, no ``..``, no NUL, and inside the dataset
    directory after every symbolic link is followed (DATASETS.md §1). Raises with the reason."""
    def refuse(reason: str) -> StrataError:
        return StrataError("dataset", f'shard path "{entry}" is refused: {reason}')

    if not entry:
        raise refuse("the path is empty")
    if "\x00" in entry:
        raise refuse("the path contains a NUL byte")
    if entry.startswith("/"):
        raise refuse("absolute paths are not allowed")
    parts = [p for p in entry.split("/") if p]
    if ".." in parts:
        raise refuse("'..' components are not allowed")
    if not parts or parts == ["."]:
        raise refuse("the path names the directory itself")
    root = os.path.realpath(directory)
    joined = os.path.join(directory, entry)
    real = os.path.realpath(joined)
    if real == root:
        raise refuse("the path names the directory itself")
    if not real.startswith(root.rstrip("/") + "/"):
        raise refuse(f"it resolves to {real}, outside {root} (symbolic link out of the dataset)")
    return real if os.path.exists(real) else joined


def check_shard_in_manifest(entry: Mapping[str, Any], index: int, records: int, size: int) -> None:
    """A manifest entry agrees with its shard's record count (from the index) and file size (§11)."""
    if records != entry["records"]:
        raise StrataError("dataset", f"shard has {records} records but the manifest's shards[{index}] says "
                                     f"{entry['records']}")
    if size != entry["bytes"]:
        raise StrataError("dataset", f"shard is {size} bytes but the manifest's shards[{index}] says {entry['bytes']}")


def check_shard_crc(entry: Mapping[str, Any], crc: str) -> None:
    """The whole-file CRC32C equals the manifest's (compared by verify and by commands that rewrite, §11)."""
    if crc != entry["crc32c"]:
        raise StrataError("dataset", f"shard CRC32C is {crc} but the manifest entry {entry['path']!r} says "
                                     f"{entry['crc32c']}")


def check_shape_matches(meta: Mapping[str, Any], dataset_meta: Mapping[str, Any]) -> None:
    """A shard of a dataset shares hidden, layers (index and kind, in order), dtype and auxiliary (names
    and lengths in order; a missing length is null) with the manifest (§11)."""
    for key in ("hidden", "layers", "dtype"):
        if meta.get(key) != dataset_meta.get(key):
            raise StrataError("dataset", f"shard's {key} differs from the manifest's")
    if declared_auxiliary(meta) != declared_auxiliary(dataset_meta):
        raise StrataError("dataset", "shard's auxiliary vectors differ from the manifest's")


def check_distinct_files(identities: Sequence[Tuple[int, int]], paths: Sequence[str]) -> None:
    """Two manifest entries may not name the same file (same device and inode, §11)."""
    seen: "dict[Tuple[int, int], str]" = {}
    for identity, path in zip(identities, paths):
        if identity in seen:
            raise StrataError("dataset", f"the manifest lists the same shard file twice: {seen[identity]} and {path}")
        seen[identity] = path


def duplicate_id(record_id: str, first: Tuple[str, int], second: Tuple[str, int]) -> StrataError:
    """Ids are unique within a dataset (§11): the refusal names both shards and records."""
    return StrataError("dataset", f'record id "{record_id}" occurs twice: {first[0]} record {first[1]} and '
                                  f"{second[0]} record {second[1]}")


def open_regular_file(path: str) -> int:
    """A read-only descriptor of ``path``, which must be a regular file: shards and manifests are opened
    with ``O_NONBLOCK`` and anything else (a FIFO, a device, a directory) is refused, never waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise StrataError("io", f"cannot open: {error.strerror}", path=path) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise StrataError("io", "not a regular file", path=path)
    return fd

