"""How the writer cuts a record into blocks (spec/FORMAT.md §5), exactly as the Swift writer's
``BlockPlan``: whole layer groups, each cut into consecutive token ranges within the block target."""
from __future__ import annotations

from typing import List, NamedTuple, Optional

__all__ = ["Tile", "block_plan"]


class Tile(NamedTuple):
    layer_start: int
    layer_count: int
    token_start: int
    token_count: int


def block_plan(layers: int, tokens: int, hidden: int, width: int, target_bytes: int,
               layers_per_block: Optional[int]) -> List[Tile]:
    """The tiles of a ``layers × tokens × hidden`` record of ``width``-byte elements, in block order.

    Default grouping (``layers_per_block`` None): the fewest layers whose bytes reach a quarter of the
    target, so long records get one layer per block; tokens per block keep a block within the target.
    """
    if tokens <= 0 or layers <= 0:
        return []
    target = max(1, target_bytes)
    layer_bytes = tokens * hidden * width
    quarter = max(1, target // 4)
    derived = (quarter + max(1, layer_bytes) - 1) // max(1, layer_bytes)
    per_group = max(1, min(layers, layers_per_block if layers_per_block is not None else derived))
    per_block = max(1, min(tokens, target // max(1, per_group * hidden * width)))
    tiles = []
    layer = 0
    while layer < layers:
        count = min(per_group, layers - layer)
        token = 0
        while token < tokens:
            span = min(per_block, tokens - token)
            tiles.append(Tile(layer, count, token, span))
            token += span
        layer += count
    return tiles
