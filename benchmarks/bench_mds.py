#!/usr/bin/env python3
"""Comparison with MosaicML Streaming (MDS), the streaming anchor of issue 6 (results:
benchmarks/streaming.md). Needs `pip install mosaicml-streaming` (0.13.0 was used) + numpy, zstandard.

1. Converts a Strata dataset to MDS with the same values: one sample per record with columns
   id (str), label (int), tokens (int) and x (bytes: the bf16 bit patterns, layer-major L x T x H),
   zstd level 1 shards of 64 MiB raw (MDS's default size limit), using the Python package
   (python/strata) to decode the Strata records.
2. Streams one epoch with StreamingDataset(local=..., shuffle=True, shuffle_algo="py1e", seed 1) or
   shuffle=False, decoding each sample to f32 (what a probe trainer consumes), and reports
   records/s, decoded MB/s, CPU seconds and peak RSS, as JSON on stdout.

    python3 benchmarks/bench_mds.py convert STRATA_DIR MDS_DIR
    python3 benchmarks/bench_mds.py stream MDS_DIR [--shuffle] [--epochs 2]
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))


def convert(strata_dir, mds_dir):
    from streaming import MDSWriter
    import strata

    ds = strata.open(strata_dir)
    assert ds.metadata["dtype"] == "bf16"
    columns = {"id": "str", "label": "int", "tokens": "int", "x": "bytes"}
    with MDSWriter(out=mds_dir, columns=columns, compression="zstd:1", size_limit=1 << 26) as writer:
        for i in range(len(ds)):
            info, bits = ds.info(i), ds.read(i, dtype="stored")   # bf16 bit patterns, layer-major
            writer.write({"id": info.id, "label": info.labels[0] if info.labels else -1,
                          "tokens": info.shape[1], "x": bits.tobytes()})


def stream(mds_dir, shuffle, epochs, layers, hidden):
    from streaming import StreamingDataset

    dataset = StreamingDataset(local=mds_dir, shuffle=shuffle, shuffle_algo="py1e", shuffle_seed=1, batch_size=1)
    results = []
    for epoch in range(epochs):
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(epoch)
        start, cpu0 = time.time(), time.process_time()
        n = value_bytes = 0
        for sample in dataset:
            bits = np.frombuffer(sample["x"], dtype=np.uint16)
            values = (bits.astype(np.uint32) << 16).view(np.float32).reshape(layers, sample["tokens"], hidden)
            value_bytes += values.nbytes
            n += 1
        seconds, cpu = time.time() - start, time.process_time() - cpu0
        results.append({"epoch": epoch, "records": n, "seconds": seconds, "cpu_seconds": cpu,
                        "records_per_s": n / seconds, "mb_per_s": value_bytes / 1e6 / seconds,
                        "value_bytes": value_bytes,
                        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024})
    return results


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert")
    c.add_argument("strata_dir")
    c.add_argument("mds_dir")
    s = sub.add_parser("stream")
    s.add_argument("mds_dir")
    s.add_argument("--shuffle", action="store_true")
    s.add_argument("--epochs", type=int, default=2)
    s.add_argument("--layers", type=int, default=31)
    s.add_argument("--hidden", type=int, default=576)
    a = ap.parse_args()
    if a.cmd == "convert":
        convert(a.strata_dir, a.mds_dir)
    else:
        print(json.dumps(stream(a.mds_dir, a.shuffle, a.epochs, a.layers, a.hidden)))


if __name__ == "__main__":
    main()
