"""Writing a dataset directory (spec/FORMAT.md §11, DATASETS.md §1): records go into
``shard-00000.strata``, ``shard-00001.strata``, … (a new shard once the current one holds
``records_per_shard`` records or ``shard_bytes`` bytes), and ``manifest.json`` is written last,
atomically, as the Swift ``RollingDatasetWriter`` does."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional

from .errors import StrataError
from .manifest import MANIFEST_NAME, manifest_entry, write_manifest
from .output_lock import DIRECTORY_LOCK_NAME, OutputLock
from .writer import Writer

__all__ = ["DatasetWriter"]


class DatasetWriter:
    """Writes a new dataset directory; ``append`` as ``Writer.append``, then ``close()`` writes the
    manifest. The directory must be new or empty; its lock (``DIR/.strata.lock``) is held throughout.
    Every ``Writer`` keyword (metadata and codec options) applies to every shard. A writer stopped
    before ``close()`` leaves sealed shards and, for the last one, an unsealed shard, but no
    manifest: ``strata recover`` the last shard and ``strata merge`` the directory to keep them.
    """

    def __init__(self, directory: "str | os.PathLike[str]", metadata: Optional[Mapping[str, Any]] = None, *,
                 records_per_shard: Optional[int] = None, shard_bytes: Optional[int] = None, **writer_options: Any) -> None:
        self.directory = os.fspath(directory)
        if records_per_shard is not None and records_per_shard < 1:
            raise StrataError("invalidArgument", f"records_per_shard must be at least 1, got {records_per_shard}")
        if shard_bytes is not None and shard_bytes < 1:
            raise StrataError("invalidArgument", "shard_bytes must be positive")
        self.records_per_shard = records_per_shard
        self.shard_bytes = shard_bytes
        self._metadata = metadata
        self._options = writer_options
        self._lock = OutputLock(directory=self.directory)
        try:
            leftovers = [name for name in os.listdir(self.directory) if name != DIRECTORY_LOCK_NAME]
            if leftovers:
                what = "a dataset" if MANIFEST_NAME in leftovers else f"{len(leftovers)} entries"
                raise StrataError("invalidArgument", f"the output directory must be new or empty; it holds {what}",
                                  path=self.directory)
        except BaseException:
            self._lock.release()
            raise
        self._current: Optional[Writer] = None
        self._closed_shards: List[Dict[str, Any]] = []
        self._record_count = 0
        self._closed = False
        self.metadata: Optional[Dict[str, Any]] = None

    @property
    def record_count(self) -> int:
        return self._record_count

    def _name(self) -> str:
        return f"shard-{len(self._closed_shards):05d}.strata"

    def _open(self) -> Writer:
        writer = Writer(os.path.join(self.directory, self._name()), self._metadata, lock=False, **self._options)
        self.metadata = {k: v for k, v in writer.metadata.items()}
        self._current = writer
        return writer

    def _roll_over(self) -> None:
        writer = self._current
        if writer is None:
            return
        writer.close()
        self._closed_shards.append({"path": os.path.basename(writer.path), "records": writer.record_count})
        self._current = None

    def append(self, id: str, values: Any, **fields: Any) -> None:
        """Appends one record (see ``Writer.append``) to the current shard, starting a new one first
        when the current one is full."""
        if self._closed:
            raise StrataError("invalidArgument", "dataset writer is already closed", path=self.directory)
        writer = self._current
        if writer is not None:
            full = self.records_per_shard is not None and writer.record_count >= self.records_per_shard
            big = self.shard_bytes is not None and writer.byte_count >= self.shard_bytes
            if full or big:
                self._roll_over()
                writer = None
        if writer is None:
            writer = self._open()
        writer.append(id, values, **fields)
        self._record_count += 1

    def close(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
        """Seals the last shard (an empty one when nothing was written), writes the manifest and
        releases the lock; returns the manifest. Idempotent only in that a second call fails."""
        if self._closed:
            raise StrataError("invalidArgument", "dataset writer is already closed", path=self.directory)
        if self._current is None and not self._closed_shards:
            self._open()
        self._roll_over()
        entries = [manifest_entry(self.directory, s["path"], s["records"]) for s in self._closed_shards]
        assert self.metadata is not None
        manifest = write_manifest(self.directory, self.metadata, entries, extra)
        self._closed = True
        self._lock.release()
        return manifest

    def abort(self) -> None:
        """Stops without a manifest (the current shard stays unsealed) and releases the lock."""
        if self._current is not None:
            self._current._abandon()
            self._current = None
        self._closed = True
        self._lock.release()

    def __enter__(self) -> "DatasetWriter":
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
