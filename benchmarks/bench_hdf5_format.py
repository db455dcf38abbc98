#!/usr/bin/env python3
"""h5py + hdf5plugin (zstd, with the byte-shuffle filter) on exactly the synthetic values that
`strata bench format --export-raw DIR` wrote, for a side-by-side comparison with Strata
(benchmarks/format.md). Single thread (HDF5's filter pipeline and numpy conversion are serial).

    .build/release/strata bench format --export-raw /tmp/strata-bench-raw ...
    python3 benchmarks/bench_hdf5_format.py /tmp/strata-bench-raw [--levels 1,3] [--dtypes f32,f16,bf16] [--chunk-bytes 262144]

Layout: one dataset `hidden_states` of shape [layers, total_tokens, hidden] (records concatenated along
tokens, offsets in a second dataset), chunks of (1 layer, ~chunk-bytes worth of tokens, hidden);
bf16 is stored as uint16 bit patterns (HDF5 has no bfloat16). Reported MB/s count uncompressed
stored-dtype bytes, CPU time of the process (wall time in parentheses), like strata bench format.
Writes: "one call" = the whole array in one h5py call (HDF5's best case, needs all data in RAM);
"append" = record by record into a resizable dataset (what a capture loop does; 64 MiB chunk cache).
Reads: per record, converted to float32 as Strata's readFloat returns; one-layer reads: the middle
layer of every record. Each read pass reopens the file, so no pass starts with a warm chunk cache.
"""
import argparse
import json
import os
import tempfile
import time

import h5py
import hdf5plugin
import numpy as np


def load(raw_dir, dtype):
    info = json.load(open(os.path.join(raw_dir, f"synth-{dtype}.json")))
    L, H, tokens = info["layers"], info["hidden"], info["tokens"]
    np_type = np.float32 if dtype == "f32" else np.uint16 if dtype == "bf16" else np.float16
    flat = np.fromfile(os.path.join(raw_dir, f"synth-{dtype}.bin"), dtype=np_type)
    parts, off = [], 0
    for t in tokens:
        parts.append(flat[off:off + L * t * H].reshape(L, t, H))
        off += L * t * H
    assert off == flat.size
    return L, H, tokens, np.concatenate(parts, axis=1)


def to_f32(a, dtype):
    if dtype == "f32":
        return a
    if dtype == "f16":
        return a.astype(np.float32)
    return (a.astype(np.uint32) << 16).view(np.float32)


def timed(fn, repeats=1):
    best_cpu, best_wall = float("inf"), float("inf")
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        fn()
        best_cpu, best_wall = min(best_cpu, time.process_time() - c), min(best_wall, time.perf_counter() - w)
    return best_cpu, best_wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw_dir")
    ap.add_argument("--levels", default="1,3")
    ap.add_argument("--dtypes", default="f32,f16,bf16")
    ap.add_argument("--chunk-bytes", type=int, default=256 * 1024)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"h5py {h5py.__version__}, HDF5 {h5py.version.hdf5_version}, hdf5plugin {hdf5plugin.version}, numpy {np.__version__}; "
          f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print()
    print("| dtype | zstd | ratio | write MB/s, one call | write MB/s, append | read MB/s (per record, to f32) | one-layer read MB/s | chunk |")
    print("|---|---|---|---|---|---|---|---|")
    for dtype in args.dtypes.split(","):
        L, H, tokens, data = load(args.raw_dir, dtype)
        width = data.dtype.itemsize
        raw = data.nbytes
        offsets = np.concatenate([[0], np.cumsum(tokens)])
        chunk_tokens = max(1, min(data.shape[1], args.chunk_bytes // (H * width)))
        for level in [int(x) for x in args.levels.split(",")]:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "bench.h5")

                def write():
                    with h5py.File(path, "w") as f:
                        ds = f.create_dataset("hidden_states", data=data, chunks=(1, chunk_tokens, H), shuffle=True,
                                              **hdf5plugin.Zstd(clevel=level))
                        if dtype == "bf16":
                            ds.attrs["dtype"] = "bfloat16"
                        f.create_dataset("offsets", data=offsets)
                def append():
                    with h5py.File(path + ".append", "w", rdcc_nbytes=64 << 20) as f:
                        ds = f.create_dataset("hidden_states", shape=(L, 0, H), maxshape=(L, None, H), dtype=data.dtype,
                                              chunks=(1, chunk_tokens, H), shuffle=True, **hdf5plugin.Zstd(clevel=level))
                        for i in range(len(tokens)):
                            ds.resize(offsets[i + 1], axis=1)
                            ds[:, offsets[i]:offsets[i + 1], :] = data[:, offsets[i]:offsets[i + 1], :]
                        f.create_dataset("offsets", data=offsets)
                w_cpu, w_wall = timed(write)
                a_cpu, a_wall = timed(append)
                size = os.path.getsize(path)
                mid = L // 2

                def read_all():
                    with h5py.File(path, "r", rdcc_nbytes=64 << 20) as f:
                        ds = f["hidden_states"]
                        for i in range(len(tokens)):
                            to_f32(ds[:, offsets[i]:offsets[i + 1], :], dtype)

                def read_layer():
                    with h5py.File(path, "r", rdcc_nbytes=64 << 20) as f:
                        ds = f["hidden_states"]
                        for i in range(len(tokens)):
                            to_f32(ds[mid, offsets[i]:offsets[i + 1], :], dtype)

                r_cpu, r_wall = timed(read_all, args.repeats)
                l_cpu, l_wall = timed(read_layer, args.repeats)
                layer_bytes = raw // L
                mb = lambda b, s: f"{b / s / 1e6:.0f}"
                print(f"| {dtype} | {level} | {raw / size:.3f} | {mb(raw, w_cpu)} ({mb(raw, w_wall)}) | {mb(raw, a_cpu)} ({mb(raw, a_wall)}) | {mb(raw, r_cpu)} ({mb(raw, r_wall)}) | "
                      f"{mb(layer_bytes, l_cpu)} ({mb(layer_bytes, l_wall)}) | 1×{chunk_tokens}×{H} |", flush=True)


if __name__ == "__main__":
    main()
