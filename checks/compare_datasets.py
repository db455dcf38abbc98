#!/usr/bin/env python3
"""Compare two Strata datasets record by record with the Python package (python/, `import strata`):
same ids in the same order, same labels, token ids and text, and bit-identical stored values.

    python3 checks/compare_datasets.py A B        # exit 0 when identical, 1 naming the first difference

Used to check that a capture killed with kill -9 and resumed equals an uninterrupted one
(benchmarks/capture.md)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import strata  # noqa: E402  (the package in python/, installed or not)


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    a, b = strata.open(argv[1]), strata.open(argv[2])
    if len(a) != len(b):
        print(f"record counts differ: {len(a)} vs {len(b)}")
        return 1
    for i in range(len(a)):
        ia, ib = a.info(i), b.info(i)
        for key in ("id", "labels", "token_ids", "text"):
            x, y = getattr(ia, key), getattr(ib, key)
            same = np.array_equal(np.asarray(x), np.asarray(y)) if key == "token_ids" else x == y
            if not same:
                print(f"record {i}: {key} differs: {x!r} vs {y!r}")
                return 1
        va, vb = a.read(i, dtype="stored"), b.read(i, dtype="stored")
        if va.shape != vb.shape or not np.array_equal(va.view(np.uint8), vb.view(np.uint8)):
            print(f"record {i} ({ia.id}): values differ")
            return 1
    print(f"identical: {len(a)} records")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
