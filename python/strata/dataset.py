"""Datasets (spec/FORMAT.md §11): a directory with ``manifest.json`` and shards, or one shard file,
read as one sequence of records in global order (shard order, then ordinal)."""
from __future__ import annotations

import bisect
import os
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from . import validation
from .checksum import file_crc32c
from .errors import StrataError
from .layout import LOSSY_DTYPES
from .manifest import MANIFEST_NAME, read_manifest
from .record import Record, RecordInfo
from .shard import LayerSelection, Shard, TokenSelection, ValueType, resolve_layer_positions

__all__ = ["Dataset", "open"]


class Dataset:
    """A Strata dataset opened for reading (see ``strata.open``).

    ``len(ds)`` records; ``ds[i]`` is a ``Record`` (info + float32 values), ``ds[a:b]`` a list of them;
    iterating yields every record in order. ``info(i)`` reads no values; ``read(i, layers=…,
    tokens=…, dtype=…)`` reads only the blocks it needs. ``metadata`` is the manifest's (or the shard's).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.manifest: Optional[Dict[str, Any]] = None
        if os.path.isdir(path):
            manifest_path = os.path.join(path, MANIFEST_NAME)
            if not os.path.lexists(manifest_path):
                raise StrataError("dataset", f"directory has no {MANIFEST_NAME}; a dataset directory needs one "
                                             "(or pass a shard file)", path=path)
            manifest = read_manifest(manifest_path)
            shards: List[Shard] = []
            try:
                for k, entry in enumerate(manifest["shards"]):
                    try:
                        full = validation.resolve_shard_path(entry["path"], path)
                    except StrataError as error:
                        raise error.located(path=manifest_path)
                    shard = Shard(full)
                    shards.append(shard)
                    try:
                        validation.check_shard_in_manifest(entry, k, len(shard), shard.size)
                        validation.check_shape_matches(shard.metadata, manifest["metadata"])
                    except StrataError as error:
                        raise error.located(path=full)
                try:
                    validation.check_distinct_files([s.identity for s in shards], [s.path for s in shards])
                    validation.check_manifest_total(manifest)
                except StrataError as error:
                    raise error.located(path=manifest_path)
                if len(shards) >= 2:
                    check_unique_ids(shards)
            except BaseException:
                for shard in shards:
                    shard.close()
                raise
            self.manifest = manifest
            self.metadata: Dict[str, Any] = manifest["metadata"]
            self.shards = shards
        elif os.path.lexists(path):
            self.shards = [Shard(path)]
            self.metadata = self.shards[0].metadata
        else:
            raise StrataError("io", "no such file or directory", path=path)
        self._starts = [0]
        for shard in self.shards:
            self._starts.append(self._starts[-1] + len(shard))

    # -- shape ------------------------------------------------------------------------------------

    @property
    def hidden(self) -> int:
        return int(self.metadata["hidden"])

    @property
    def layers(self) -> List[Dict[str, Any]]:
        """The captured layers (``{"index", "kind"}``) in stored order: read positions index this list."""
        return list(self.metadata["layers"])

    @property
    def dtype(self) -> str:
        return str(self.metadata["dtype"])

    @property
    def lossy(self) -> bool:
        """True for q8: values are float32 reconstructions within ``metadata["quantization"]["max_rel_error"]``."""
        return self.dtype in LOSSY_DTYPES

    @property
    def label_names(self) -> Optional[List[str]]:
        return self.metadata.get("label_names")

    def __len__(self) -> int:
        return self._starts[-1]

    def layer_positions(self, layers: LayerSelection = None) -> List[int]:
        """The positions in ``layers`` (the captured-layer list) that ``read(…, layers=layers)`` reads:
        None = all, negatives from the end; IndexError names a position out of range."""
        return resolve_layer_positions(layers, len(self.metadata["layers"]))

    def __repr__(self) -> str:
        return (f"strata.Dataset({self.path!r}: {len(self)} records, {len(self.metadata['layers'])} layers × "
                f"{self.hidden} hidden, {self.dtype})")

    def locate(self, i: int) -> Tuple[Shard, int]:
        """The shard holding global record ``i`` (negative counts from the end) and its ordinal there."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"record index must be an integer, not {type(i).__name__}")
        n = len(self)
        j = int(i) + n if i < 0 else int(i)
        if not 0 <= j < n:
            raise IndexError(f"record index {i} is out of range for {n} records")
        s = bisect.bisect_right(self._starts, j) - 1
        return self.shards[s], j - self._starts[s]

    # -- records ----------------------------------------------------------------------------------

    def info(self, i: int) -> RecordInfo:
        """Record ``i``'s id, labels, token ids, text, metadata, auxiliary vectors and shape."""
        shard, local = self.locate(i)
        return shard.info(local, index=int(i) % len(self))

    def read(self, i: int, layers: LayerSelection = None, tokens: TokenSelection = None, dtype: ValueType = np.float32,
             out: Optional[np.ndarray] = None) -> np.ndarray:
        """Record ``i``'s values, ``[layers, tokens, hidden]`` (see ``Shard.read``)."""
        shard, local = self.locate(i)
        return shard.read(local, layers=layers, tokens=tokens, dtype=dtype, out=out)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return [self[i] for i in range(*key.indices(len(self)))]
        info = self.info(key)
        return Record(**info.__dict__, values=self.read(info.index))

    def __iter__(self) -> Iterator[Record]:
        for i in range(len(self)):
            yield self[i]

    def records(self, layers: LayerSelection = None, tokens: TokenSelection = None,
                dtype: ValueType = np.float32) -> Iterator[Record]:
        """Every record in order, with the values of ``layers`` × ``tokens`` only."""
        for i in range(len(self)):
            info = self.info(i)
            yield Record(**info.__dict__, values=self.read(i, layers=layers, tokens=tokens, dtype=dtype))

    # -- checks -----------------------------------------------------------------------------------

    def verify(self) -> Dict[str, int]:
        """Checks everything ``strata verify`` checks: each shard's size and whole-file CRC32C against
        the manifest, every record entry and every block. Returns totals; raises naming the first problem."""
        totals = {"shards": 0, "records": 0, "blocks": 0, "tokens": 0, "raw_bytes": 0, "stored_bytes": 0}
        for s, shard in enumerate(self.shards):
            if self.manifest is not None:
                try:
                    validation.check_shard_crc(self.manifest["shards"][s], file_crc32c(shard.path))
                except StrataError as error:
                    raise error.located(path=shard.path)
            report = shard.verify()
            totals["shards"] += 1
            for key, value in report.items():
                totals[key] += value
        return totals

    def close(self) -> None:
        for shard in self.shards:
            shard.close()

    def __enter__(self) -> "Dataset":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def check_unique_ids(shards: List[Shard]) -> None:
    """No id occurs twice in a dataset (§11). Compares the id hashes of the record entry headers (one
    48-byte read per record) and reads the ids of records whose hashes are equal; a record whose entry
    header or entry fails its checks is left out (reading it reports the corruption)."""
    owners: Dict[int, List[Tuple[int, int]]] = {}
    for s, shard in enumerate(shards):
        for i, h in enumerate(shard.id_hashes()):
            if h is not None:
                owners.setdefault(h, []).append((s, i))
    for places in owners.values():
        if len(places) < 2:
            continue
        seen: Dict[str, Tuple[int, int]] = {}
        for s, i in places:
            try:
                record_id = shards[s].entry(i).id
            except StrataError:
                continue
            if record_id in seen:
                first = seen[record_id]
                raise validation.duplicate_id(record_id, (shards[first[0]].path, first[1]), (shards[s].path, i))
            seen[record_id] = (s, i)


def open(path: "str | os.PathLike[str]") -> Dataset:  # noqa: A001 - the package's entry point, as builtins.open
    """Opens a Strata dataset: a directory with ``manifest.json`` or a single sealed shard file."""
    return Dataset(os.fspath(path))

