#!/usr/bin/env python3
"""Independent reference for Strata's seeded shuffles (spec/DATASETS.md, "Epoch order").

Implements SplitMix64, xoshiro256** 1.0, Lemire's bounded integers, the (seed, domain,
epoch) key derivation and the Fisher-Yates walk from their published descriptions, and
prints the epoch order so that Tests/StrataTests/Streaming/ReferenceVectorTests.swift can
compare the Swift implementation against it:

    python3 tools/stream_reference.py SEED EPOCH N [DOMAIN]     # DOMAIN: stream | split
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


if __name__ == "__main__":
    seed, epoch, n = (int(a) for a in sys.argv[1:4])
    domain = sys.argv[4] if len(sys.argv) > 4 else "stream"
    print(",".join(str(i) for i in epoch_order(seed, epoch, n, domain)))
