#!/usr/bin/env python3
"""Prints Strata's seeded orders (spec/DATASETS.md, "Epoch order") from the Python package's independent
implementation (python/strata/epoch.py, written from the generators' published descriptions), so that
Tests/StrataTests/Streaming/ReferenceVectorTests.swift can compare the Swift implementation against it:

    python3 checks/stream_reference.py SEED EPOCH N [DOMAIN]     # DOMAIN: stream | split
    python3 checks/stream_reference.py fingerprint NAME RECORDS BYTES CHECKSUM [...]
    python3 checks/stream_reference.py split SEED 0.8,0.1,0.1 KEY0,KEY1,...
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))

from strata.epoch import (SPLIT_DOMAIN, STREAM_DOMAIN, Xoshiro256StarStar, fingerprint,  # noqa: E402
                          generator_seed, shuffled, split_assign)

DOMAINS = {"stream": STREAM_DOMAIN, "split": SPLIT_DOMAIN}


def main(args):
    if args[:1] == ["split"]:
        seed, fractions, keys = int(args[1]), [float(f) for f in args[2].split(",")], args[3].split(",")
        print(" | ".join(",".join(map(str, part)) for part in split_assign(keys, fractions, seed)))
    elif args[:1] == ["fingerprint"]:
        a = args[1:]
        print(fingerprint([(a[i], int(a[i + 1]), int(a[i + 2]), a[i + 3]) for i in range(0, len(a), 4)]))
    else:
        seed, epoch, n = (int(a) for a in args[:3])
        domain = DOMAINS[args[3] if len(args) > 3 else "stream"]
        rng = Xoshiro256StarStar(seed=generator_seed(seed, domain, epoch))
        print(",".join(str(i) for i in shuffled(n, rng)))


if __name__ == "__main__":
    main(sys.argv[1:])
