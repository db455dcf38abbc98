"""What the reader returns for a record: its fields (``RecordInfo``) and, for ``Record``, its values."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

__all__ = ["RecordInfo", "Record"]


@dataclass(frozen=True)
class RecordInfo:
    """Everything about a record except its hidden-state values.

    ``index`` is the record's position in the dataset (or shard) it was read from; ``shape`` is
    ``(layers, tokens, hidden)`` of its values; ``labels`` is empty for an unlabelled record and its
    first entry is the primary ``label``.
    """
    index: int
    id: str
    labels: List[int]
    token_ids: np.ndarray
    text: Optional[str]
    metadata: Dict[str, str]
    auxiliary: Dict[str, np.ndarray]
    shape: Tuple[int, int, int]
    stored_bytes: int
    raw_bytes: int
    block_count: int

    @property
    def label(self) -> Optional[int]:
        """The primary label (``labels[0]``), or None for an unlabelled record."""
        return self.labels[0] if self.labels else None

    @property
    def n_tokens(self) -> int:
        return self.shape[1]


@dataclass(frozen=True)
class Record(RecordInfo):
    """A record with its values: float32 ``[layers, tokens, hidden]`` unless read otherwise."""
    values: np.ndarray
