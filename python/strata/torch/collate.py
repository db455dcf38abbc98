"""Collating ``StrataIterable`` records into one padded batch with a token mask."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Dict, List, Sequence

import torch

__all__ = ["PaddedBatch", "collate"]


@dataclass
class PaddedBatch:
    """``values`` float32 ``[batch, layers, tokens, hidden]``, zero past each record's length; ``mask``
    bool ``[batch, tokens]``, True on real tokens; ``lengths`` int64 ``[batch]``; ``labels`` int64
    ``[batch]``, each record's primary label (-1 for an unlabelled record); ``token_ids`` int64
    ``[batch, tokens]`` (0 past the length); ``index`` int64 ``[batch]`` global record indices; ``ids``."""
    values: torch.Tensor
    mask: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor
    token_ids: torch.Tensor
    index: torch.Tensor
    ids: List[str]

    def to(self, device: Any, non_blocking: bool = False) -> "PaddedBatch":
        return PaddedBatch(**{f.name: self._move(getattr(self, f.name), device, non_blocking) for f in fields(self)})

    def pin_memory(self) -> "PaddedBatch":   # called by DataLoader(pin_memory=True)
        return PaddedBatch(**{f.name: getattr(self, f.name).pin_memory() if isinstance(getattr(self, f.name), torch.Tensor)
                              else getattr(self, f.name) for f in fields(self)})

    @staticmethod
    def _move(value: Any, device: Any, non_blocking: bool) -> Any:
        return value.to(device, non_blocking=non_blocking) if isinstance(value, torch.Tensor) else value

    def __len__(self) -> int:
        return len(self.ids)


def collate(records: Sequence[Dict[str, Any]]) -> PaddedBatch:
    """Pads the records to the batch's longest record (``collate_fn`` for a DataLoader)."""
    if not records:
        raise ValueError("cannot collate an empty batch")
    layers, _, hidden = records[0]["values"].shape
    lengths = [int(r["values"].shape[1]) for r in records]
    longest = max(lengths)
    values = torch.zeros(len(records), layers, longest, hidden, dtype=torch.float32)
    mask = torch.zeros(len(records), longest, dtype=torch.bool)
    token_ids = torch.zeros(len(records), longest, dtype=torch.int64)
    for b, (record, n) in enumerate(zip(records, lengths)):
        values[b, :, :n] = record["values"]
        mask[b, :n] = True
        token_ids[b, :n] = record["token_ids"]
    return PaddedBatch(values=values, mask=mask, lengths=torch.tensor(lengths, dtype=torch.int64),
                       labels=torch.tensor([r["label"] for r in records], dtype=torch.int64), token_ids=token_ids,
                       index=torch.tensor([r["index"] for r in records], dtype=torch.int64),
                       ids=[r["id"] for r in records])
