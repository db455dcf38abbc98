"""The seeded orders of spec/DATASETS.md §4-§6, as ``strata stream``, ``strata split`` and ``strata train``
compute them: SplitMix64, xoshiro256** 1.0, Lemire's bounded integers, the (seed, domain, epoch) key
derivation, the Fisher-Yates walk, rank shares and the dataset fingerprint.

Written from the published descriptions of the generators, not from the Swift code, so that
``Tests/StrataTests/Streaming/ReferenceVectorTests.swift`` can check the Swift side against vectors
printed from here (``checks/stream_reference.py``)."""
from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["SplitMix64", "Xoshiro256StarStar", "generator_seed", "shuffled", "epoch_order", "share", "rank_share",
           "fingerprint", "split_assign", "STREAM_DOMAIN", "SPLIT_DOMAIN", "MAX_WORLD"]

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
STREAM_DOMAIN = 0x53545245414D0001
SPLIT_DOMAIN = 0x53504C4954000002
#: The largest world size a partition accepts (§5).
MAX_WORLD = 1 << 24


def mix(z: int) -> int:
    """SplitMix64's output function."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


class SplitMix64:
    def __init__(self, state: int) -> None:
        self.state = state & M64

    def next(self) -> int:
        self.state = (self.state + GOLDEN) & M64
        return mix(self.state)


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & M64


class Xoshiro256StarStar:
    """xoshiro256** 1.0, seeded with four successive SplitMix64 outputs (or given its state)."""

    def __init__(self, seed: Optional[int] = None, state: Optional[Sequence[int]] = None) -> None:
        if state is None:
            if seed is None:
                raise ValueError("give a seed or a state")
            sm = SplitMix64(seed)
            state = [sm.next() for _ in range(4)]
        self.s = [int(x) & M64 for x in state]

    def next(self) -> int:
        s = self.s
        result = (_rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 45)
        return result

    def bounded(self, bound: int) -> int:
        """Lemire: the high word of next() × bound, redrawing while the low word is below 2^64 mod bound."""
        threshold = (1 << 64) % bound
        while True:
            product = self.next() * bound
            if (product & M64) >= threshold:
                return product >> 64


def generator_seed(seed: int, domain: int, epoch: int) -> int:
    return mix((mix((seed ^ domain) & M64) + epoch * GOLDEN) & M64)


def shuffled(n: int, rng: Xoshiro256StarStar) -> List[int]:
    """[0, n) permuted: for i = n-1 down to 1, swap slots i and bounded(i + 1)."""
    order = list(range(n))
    bounded = rng.bounded
    for i in range(n - 1, 0, -1):
        j = bounded(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def epoch_order(seed: int, epoch: int, n: int, shuffle: bool = True) -> np.ndarray:
    """The epoch order of a dataset of ``n`` records (uint32 record indices), as ``strata stream``:
    ``shuffled(n)`` from ``xoshiro256**(generator_seed(seed, STREAM, epoch))``, or the identity."""
    if not 0 <= n <= 1 << 32:
        raise ValueError(f"record count {n} is outside 0...2^32")
    if not shuffle:
        return np.arange(n, dtype=np.uint32)
    order = shuffled(n, Xoshiro256StarStar(seed=generator_seed(seed & M64, STREAM_DOMAIN, epoch)))
    return np.asarray(order, dtype=np.uint32)


def share(n: int, rank: int, world: int, even: bool = False) -> Tuple[int, int]:
    """Epoch positions ``[start, end)`` owned by ``rank`` of ``world`` (§5): ``[⌊r·n/w⌋, ⌊(r+1)·n/w⌋)``,
    over the first ``n - n mod w`` positions with equal shares."""
    if not 1 <= world <= MAX_WORLD:
        raise ValueError(f"world size {world} is outside 1...{MAX_WORLD}")
    if not 0 <= rank < world:
        raise ValueError(f"rank {rank} is outside 0...{world - 1} for world size {world}")
    total = n - n % world if even else n
    return total * rank // world, total * (rank + 1) // world


def rank_share(seed: int, epoch: int, n: int, rank: int, world: int, shuffle: bool = True,
               even: bool = False) -> np.ndarray:
    """The record indices rank ``rank`` of ``world`` reads in epoch ``epoch``, in order."""
    start, end = share(n, rank, world, even)
    return epoch_order(seed, epoch, n, shuffle)[start:end].copy()


def fingerprint(shards: Iterable[Tuple[str, int, int, str]]) -> str:
    """FNV-1a 64 over (name, records, bytes, checksum) of each shard, each field followed by 0x1F (§6)."""
    h = 0xCBF29CE484222325
    for name, records, size, checksum in shards:
        for field in (name, str(records), str(size), checksum):
            for b in field.encode("utf-8") + b"\x1f":
                h = ((h ^ b) * 0x100000001B3) & M64
    return "%016x" % h


def split_assign(keys: Sequence[str], fractions: Sequence[float], seed: int) -> List[List[int]]:
    """``strata split``'s assignment (§4): the sorted record indices of each part."""
    groups: dict = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    rng = Xoshiro256StarStar(seed=generator_seed(seed & M64, SPLIT_DOMAIN, 0))
    total = sum(fractions)
    takes_all = abs(total - 1) < 1e-9
    result: List[List[int]] = [[] for _ in fractions]
    seen = 0
    for key in sorted(groups, key=lambda k: k.encode("utf-8")):
        members = groups[key]
        n = len(members)
        seen += n
        counts = [int(n * f // 1) for f in fractions]
        quota = n if takes_all else min(n, _round_half_away(n * total))
        leftover = max(0, quota - sum(counts))
        behind = [seen * f - (len(result[k]) + counts[k]) for k, f in enumerate(fractions)]
        for k in sorted((k for k, f in enumerate(fractions) if f > 0), key=lambda k: (-behind[k], k)):
            if leftover == 0:
                break
            counts[k] += 1
            leftover -= 1
        order = shuffled(n, rng)
        pos = 0
        for k, c in enumerate(counts):
            for _ in range(c):
                result[k].append(members[order[pos]])
                pos += 1
    return [sorted(r) for r in result]


def _round_half_away(x: float) -> int:
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)
