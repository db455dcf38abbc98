"""``StrataIterable``: a ``torch.utils.data.IterableDataset`` over a Strata dataset that reads each epoch in
exactly the order ``strata stream`` gives (spec/DATASETS.md §5), split first by distributed rank, then by
DataLoader worker."""
from __future__ import annotations

import copy
import os
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from ..dataset import Dataset
from ..epoch import rank_share, share
from .collate import collate

__all__ = ["StrataIterable", "distributed_rank_world"]

LayerSelection = Union[None, int, Sequence[int]]


def distributed_rank_world() -> Tuple[int, int]:
    """(rank, world size) of the initialised default ``torch.distributed`` process group, else (0, 1)."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class StrataIterable(IterableDataset):
    """The records of one epoch of a Strata dataset, in ``strata stream --seed SEED --epoch EPOCH --rank r
    --world w`` order, as dicts: ``index`` (global record index), ``id``, ``values`` (float32 tensor
    ``[layers, tokens, hidden]`` of the selected ``layers`` positions), ``labels`` (list of int),
    ``label`` (the primary label, -1 if none) and ``token_ids`` (int64 tensor).

    **Ranks.** ``rank``/``world`` default to the ``torch.distributed`` default group's when it is
    initialised at construction, else 0 and 1. Rank r owns epoch positions [⌊r·N/w⌋, ⌊(r+1)·N/w⌋)
    (with ``even_shares``, over the first N − N mod w positions, so every rank takes the same number of
    steps, as DDP needs). The ranks' shares tile the epoch: every record once per epoch.

    **Workers.** Inside a rank, DataLoader workers take the rank's positions in runs of ``worker_chunk``,
    round robin: run k (positions k·c … k·c + c − 1 of the share) goes to worker k mod W. Every record
    of the share goes to exactly one worker. A DataLoader collects one batch from each worker in turn,
    so when ``worker_chunk`` equals its ``batch_size`` (``loader()`` sets this up) the batches arrive
    in exactly the share's order, as with no workers. With another ``worker_chunk`` the records of the
    workers interleave: batch j of the loader is the j÷W-th batch of worker j mod W, made of that
    worker's runs — every record still once, in a different order.

    **Memory.** Each process holds the share's indices (4 bytes per record) and decodes one record at a
    time; a DataLoader adds at most ``prefetch_factor`` batches per worker. Values never accumulate.

    **Epochs.** ``set_epoch(e)`` before creating the epoch's iterator (as with ``DistributedSampler``);
    the DataLoader copies the dataset into its workers when iteration starts, so do not use
    ``persistent_workers=True`` with ``set_epoch``.
    """

    def __init__(self, path: "str | os.PathLike[str]", seed: int, epoch: int = 0, layers: LayerSelection = None, *,
                 rank: Optional[int] = None, world: Optional[int] = None, shuffle: bool = True,
                 even_shares: bool = False, worker_chunk: int = 1) -> None:
        super().__init__()
        self.path = os.fspath(path)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 1 << 64:
            raise ValueError(f"seed must be an integer in 0...2^64-1, got {seed!r}")
        if (rank is None) != (world is None):
            raise ValueError("give both rank and world, or neither (then torch.distributed's are used)")
        if rank is None:
            rank, world = distributed_rank_world()
        if not isinstance(worker_chunk, int) or worker_chunk < 1:
            raise ValueError(f"worker_chunk must be a positive integer, got {worker_chunk!r}")
        self.seed = int(seed)
        self.epoch = self._checked_epoch(epoch)
        self.layers = layers
        self.rank, self.world = int(rank), int(world)  # type: ignore[arg-type]
        self.shuffle = shuffle
        self.even_shares = even_shares
        self.worker_chunk = worker_chunk
        with Dataset(self.path) as ds:
            self.record_count = len(ds)
            self.metadata: Dict[str, Any] = ds.metadata
            self.layer_positions = ds.layer_positions(layers)
        share(self.record_count, self.rank, self.world, self.even_shares)   # checks rank and world now
        self._dataset: Optional[Dataset] = None
        self._dataset_pid = -1

    @staticmethod
    def _checked_epoch(epoch: int) -> int:
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or not 0 <= int(epoch) < 1 << 64:
            raise ValueError(f"epoch must be a non-negative integer, got {epoch!r}")
        return int(epoch)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = self._checked_epoch(epoch)

    def __len__(self) -> int:
        """Records of this rank's share of an epoch."""
        start, end = share(self.record_count, self.rank, self.world, self.even_shares)
        return end - start

    def positions(self) -> np.ndarray:
        """The global record indices this process (rank, and DataLoader worker when called in one) reads
        this epoch, in order."""
        indices = rank_share(self.seed, self.epoch, self.record_count, self.rank, self.world, self.shuffle,
                             self.even_shares)
        worker = get_worker_info()
        if worker is None or worker.num_workers == 1:
            return indices
        runs = np.arange(len(indices)) // self.worker_chunk
        return indices[runs % worker.num_workers == worker.id]

    def _open(self) -> Dataset:
        if self._dataset is None or self._dataset_pid != os.getpid():
            self._dataset = Dataset(self.path)   # one per process: a forked worker does not share the parent's
            self._dataset_pid = os.getpid()
            if len(self._dataset) != self.record_count:
                raise RuntimeError(f"{self.path}: the dataset changed since the StrataIterable was made "
                                   f"({self.record_count} records then, {len(self._dataset)} now)")
        return self._dataset

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        ds = self._open()
        for index in self.positions().tolist():
            info = ds.info(index)
            # a list keeps the layer axis for a single layer; None keeps the reader's all-layers path
            values = ds.read(index, layers=None if self.layers is None else self.layer_positions)
            yield {"index": index, "id": info.id, "values": torch.from_numpy(values), "labels": list(info.labels),
                   "label": info.labels[0] if info.labels else -1,
                   "token_ids": torch.from_numpy(info.token_ids.astype(np.int64))}

    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        state["_dataset"], state["_dataset_pid"] = None, -1   # open files stay in their process
        return state

    def loader(self, batch_size: int, num_workers: int = 0, **options: Any) -> DataLoader:
        """A DataLoader over a copy of this dataset whose ``worker_chunk`` is ``batch_size``, collated by
        ``strata.torch.collate``: its batches come in exactly the rank's epoch order for any
        ``num_workers``. ``options`` go to the DataLoader (``pin_memory``, ``prefetch_factor``, …)."""
        dataset = copy.copy(self)
        dataset.worker_chunk = batch_size
        options.setdefault("collate_fn", collate)
        return DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, **options)
