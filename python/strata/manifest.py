"""``manifest.json`` of a dataset directory (spec/FORMAT.md §11, DATASETS.md §1): reading it as
untrusted input, and writing it atomically (unique temporary file, fsync, rename, directory fsync)."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Mapping, Optional, Sequence

from . import validation
from .checksum import file_crc32c
from .errors import StrataError
from .layout import Limits
from .metadata import swift_json

__all__ = ["MANIFEST_NAME", "read_manifest", "write_manifest", "manifest_entry", "atomic_write", "sync_directory"]

MANIFEST_NAME = "manifest.json"


def read_manifest(path: str) -> Dict[str, Any]:
    """The checked manifest object at ``path`` (a regular file; a FIFO is refused, not waited on)."""
    try:
        fd = validation.open_regular_file(path)
    except StrataError as error:
        raise StrataError("dataset", f"cannot read manifest: {error.message}", path=path) from None
    try:
        if os.fstat(fd).st_size > Limits.MANIFEST_BYTES:
            raise StrataError("dataset", f"manifest is larger than the limit of {Limits.MANIFEST_BYTES} bytes", path=path)
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    try:
        manifest = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise StrataError("dataset", f"manifest JSON is invalid: {error}", path=path) from None
    try:
        validation.check_manifest(manifest)
        validation.check_metadata(manifest["metadata"])
    except StrataError as error:
        raise StrataError("dataset", error.message, path=path) from None
    assert isinstance(manifest, dict)
    return manifest


def manifest_entry(directory: str, relative: str, records: int) -> Dict[str, Any]:
    """The manifest entry of sealed shard ``relative`` inside ``directory``: size and whole-file CRC32C."""
    full = os.path.join(directory, relative)
    return {"path": relative, "records": records, "bytes": os.path.getsize(full), "crc32c": file_crc32c(full)}


def sync_directory(directory: str) -> None:
    """fsyncs a directory so a rename inside it is durable (best effort)."""
    try:
        fd = os.open(directory or ".", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes) -> None:
    """Replaces ``path`` with ``data``: a uniquely named temporary file in the same directory, fsynced,
    renamed over ``path``, then the directory fsynced. Readers see the old or the new file, never a mix."""
    directory = os.path.dirname(path) or "."
    temporary = os.path.join(directory, f".{os.path.basename(path)}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(temporary)
        raise
    os.close(fd)
    os.replace(temporary, path)
    sync_directory(directory)


def write_manifest(directory: str, metadata: Mapping[str, Any], shards: Sequence[Mapping[str, Any]],
                   extra: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Writes ``directory/manifest.json`` atomically and returns the manifest object."""
    manifest: Dict[str, Any] = {"format": "strata-dataset", "version": 1, "records": sum(s["records"] for s in shards),
                                "metadata": dict(metadata), "shards": [dict(s) for s in shards], "extra": dict(extra or {})}
    atomic_write(os.path.join(directory, MANIFEST_NAME), swift_json(manifest, pretty=True))
    return manifest

