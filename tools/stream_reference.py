#!/usr/bin/env python3
"""Independent reference for Strata's seeded shuffles (spec/DATASETS.md, "Epoch order").

Implements SplitMix64, xoshiro256** 1.0, Lemire's bounded integers, the (seed, domain,
epoch) key derivation and the Fisher-Yates walk from their published descriptions, and
prints the epoch order so that Tests/StrataTests/Streaming/ReferenceVectorTests.swift can
compare the Swift implementation against it:

    python3 tools/stream_reference.py SEED EPOCH N [DOMAIN]     # DOMAIN: stream | split
    python3 tools/stream_reference.py fingerprint NAME RECORDS BYTES CHECKSUM [...]
    python3 tools/stream_reference.py split SEED 0.8,0.1,0.1 KEY0,KEY1,...
"""
import sys

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
DOMAINS = {"stream": 0x53545245414D0001, "split": 0x53504C4954000002}


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


class SplitMix64:
    def __init__(self, state):
        self.state = state & M64

    def next(self):
        self.state = (self.state + GOLDEN) & M64
        return mix(self.state)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Xoshiro256ss:
    def __init__(self, seed=None, state=None):
        if state is None:
            sm = SplitMix64(seed)
            state = [sm.next() for _ in range(4)]
        self.s = list(state)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def bounded(self, bound):
        # Lemire: high word of the 128-bit product, rejecting low words below 2^64 mod bound.
        threshold = (1 << 64) % bound
        while True:
            product = self.next() * bound
            if (product & M64) >= threshold:
                return product >> 64


def generator_seed(seed, domain, epoch):
    base = mix((seed ^ DOMAINS[domain]) & M64)
    return mix((base + epoch * GOLDEN) & M64)


def shuffled(n, rng):
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.bounded(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def epoch_order(seed, epoch, n, domain="stream"):
    return shuffled(n, Xoshiro256ss(seed=generator_seed(seed, domain, epoch)))


def fingerprint(shards):
    """FNV-1a 64 over (name, records, bytes, checksum) of each shard, each field followed by 0x1F."""
    h = 0xCBF29CE484222325
    prime = 0x100000001B3
    for name, records, size, checksum in shards:
        for field in (name, str(records), str(size), checksum):
            for b in field.encode("utf-8") + b"\x1f":
                h = ((h ^ b) * prime) & M64
    return "%016x" % h


def split_assign(keys, fractions, seed):
    """strata split's assignment (spec/DATASETS.md section 4): sorted record indices of each part."""
    groups = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    rng = Xoshiro256ss(seed=generator_seed(seed, "split", 0))
    total = sum(fractions)
    takes_all = abs(total - 1) < 1e-9
    result = [[] for _ in fractions]
    seen = 0
    for key in sorted(groups, key=lambda k: k.encode("utf-8")):
        members = groups[key]
        n = len(members)
        seen += n
        counts = [int(n * f // 1) for f in fractions]
        quota = n if takes_all else min(n, round_half_away(n * total))
        leftover = max(0, quota - sum(counts))
        behind = [seen * f - (len(result[k]) + counts[k]) for k, f in enumerate(fractions)]
        ranked = sorted((k for k, f in enumerate(fractions) if f > 0), key=lambda k: (-behind[k], k))
        for k in ranked:
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


def round_half_away(x):
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def partition(n, rank, world):
    """Epoch positions owned by `rank`: [floor(r*n/w), floor((r+1)*n/w))."""
    return range(n * rank // world, n * (rank + 1) // world)


if __name__ == "__main__":
    if sys.argv[1:2] == ["split"]:
        # split SEED FRACTIONS(comma) KEYS(comma)
        seed = int(sys.argv[2])
        fractions = [float(f) for f in sys.argv[3].split(",")]
        keys = sys.argv[4].split(",")
        print(" | ".join(",".join(map(str, part)) for part in split_assign(keys, fractions, seed)))
        sys.exit(0)
    if sys.argv[1:2] == ["fingerprint"]:
        # fingerprint NAME RECORDS BYTES CHECKSUM [NAME RECORDS BYTES CHECKSUM ...]
        a = sys.argv[2:]
        print(fingerprint([(a[i], int(a[i + 1]), int(a[i + 2]), a[i + 3]) for i in range(0, len(a), 4)]))
        sys.exit(0)
    seed, epoch, n = (int(a) for a in sys.argv[1:4])
    domain = sys.argv[4] if len(sys.argv) > 4 else "stream"
    print(",".join(str(i) for i in epoch_order(seed, epoch, n, domain)))
