#!/usr/bin/env python3
"""Compare two Strata datasets record by record with the independent Python reader (tools/strata_reader.py):
same ids in the same order, same labels, token ids and text, and bit-identical stored values.

    python3 tools/compare_datasets.py A B        # exit 0 when identical, 1 naming the first difference

Used to check that a capture killed with kill -9 and resumed equals an uninterrupted one
(benchmarks/capture.md)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from strata_reader import open_dataset  # noqa: E402


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    a, b = open_dataset(argv[1]), open_dataset(argv[2])
    if len(a) != len(b):
        print(f"record counts differ: {len(a)} vs {len(b)}")
        return 1
    for i in range(len(a)):
        ia, ib = a.info(i), b.info(i)
        for key in ("id", "labels", "token_ids", "text"):
            x, y = ia[key], ib[key]
            same = np.array_equal(np.asarray(x), np.asarray(y)) if key == "token_ids" else x == y
            if not same:
                print(f"record {i}: {key} differs: {ia[key]!r} vs {ib[key]!r}")
                return 1
        va, vb = a.read(i, stored=True), b.read(i, stored=True)
        if va.shape != vb.shape or not np.array_equal(va.view(np.uint8), vb.view(np.uint8)):
            print(f"record {i} ({ia['id']}): values differ")
            return 1
    print(f"identical: {len(a)} records")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
