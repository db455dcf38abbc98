"""PyTorch integration (``pip install ./python[torch]``): ``StrataIterable``, an IterableDataset that reads
an epoch in ``strata stream``'s order split by rank and DataLoader worker, and ``collate``, which pads a
batch to its longest record with a mask.

    from strata.torch import StrataIterable
    ds = StrataIterable("caps/", seed=7, epoch=0, layers=[-1])    # rank/world from torch.distributed
    for batch in ds.loader(batch_size=32, num_workers=2):          # batches in the epoch's order
        batch.values, batch.mask, batch.labels                      # [B, L, T, d], [B, T], [B]
"""
from .collate import PaddedBatch, collate
from .gate_probe import GateProbe
from .iterable import StrataIterable, distributed_rank_world

__all__ = ["StrataIterable", "PaddedBatch", "collate", "GateProbe", "distributed_rank_world"]
