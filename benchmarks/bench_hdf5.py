#!/usr/bin/env python3
"""Benchmark: Strata ⇄ HDF5 conversion against h5py doing the same work with the same filter.

Usage: python3 benchmarks/bench_hdf5.py [--strata .build/release/strata] [--records 200] [--dtype bf16]
                                   [--work /tmp/strata-bench-hdf5] [--repeat 3] [--import-only]

Writes a synthetic residual-stream-like shard (strata synth: 31 layers × 576 hidden, 16–64 tokens per
record), then times (wall clock, best of --repeat runs):
  copy       cp of the Strata shard (the floor for "export without recompression")
  export     strata export-hdf5 in each layout/compression
  h5py write h5py + hdf5plugin writing the same array with the same chunks and filters
  import     strata import-hdf5 of the exported files, and of an h5py-written per-record file
             ([L, T, H] per group, one chunk per layer, shuffle + zstd) whose chunks qualify for the
             direct path; each next to h5py reading the same file
  h5py read  h5py reading the same files (whole array; and record by record)
--import-only writes the input files untimed and times only the import rows and their h5py reads.
The load average (1 min) is printed before and after: wall times on a shared machine are noisy.
  py reader  the strata Python package (python/) reading every record of the shard in the stored dtype
MB/s are raw value bytes (layers × tokens × hidden × width) per second. Prints a markdown table.
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import time

import h5py
import hdf5plugin
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import strata as strata_package  # noqa: E402  (the package in python/, installed or not)


def cpu_seconds():
    """CPU time (user + system) of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(function, repeat):
    """Best wall-clock seconds and best CPU seconds over `repeat` runs (CPU time is the robust
    figure on a shared machine)."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        function()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, cpu_seconds() - start_cpu)
    return best, best_cpu


def run(*args):
    subprocess.run(list(args), check=True, stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--strata", default=".build/release/strata")
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--dtype", default="bf16")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", default="/tmp/strata-bench-hdf5")
    parser.add_argument("--import-only", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    strata, repeat = args.strata, args.repeat
    os.makedirs(args.work, exist_ok=True)
    w = lambda name: os.path.join(args.work, name)  # noqa: E731

    shard = w(f"synth-{args.dtype}.strata")
    run(strata, "synth", "--out", shard, "--records", str(args.records), "--dtype", args.dtype,
        "--min-tokens", "16", "--max-tokens", "64", "--labels", "2", "--seed", "1")
    ds = strata_package.open(shard)
    width = 4 if args.dtype == "f32" else 2
    tokens = sum(ds.info(i).n_tokens for i in range(len(ds)))
    layers, hidden = len(ds.metadata["layers"]), ds.metadata["hidden"]
    raw = tokens * layers * hidden * width
    mb = raw / 1e6
    rows = []

    def row(name, measured, size=None, note=""):
        seconds, cpu = measured
        rows.append((name, seconds, cpu, mb / seconds, mb / cpu if cpu > 0.01 else float("nan"), size, note))

    shard_size = os.path.getsize(shard)
    full = not args.import_only
    if full:
        row("cp Strata shard", timed(lambda: shutil.copyfile(shard, w("copy.strata")), repeat), shard_size,
            "file copy floor")

    exports = [("groups", "zstd"), ("layer-major", "zstd"), ("token-major", "zstd"), ("layer-major", "gzip")]
    for layout, compression in exports:
        out = w(f"{layout}-{compression}.h5")
        measured = timed(lambda: run(strata, "export-hdf5", shard, out, "--layout", layout,
                                     "--compression", compression), repeat if full else 1)
        if full:
            row(f"strata export-hdf5 --layout {layout} --compression {compression}", measured, os.path.getsize(out),
                "blocks copied as chunks" if layout == "groups" else "decode + HDF5 pipeline")

    # h5py writing the same array (from memory) with the same chunking and filters.
    with h5py.File(w("layer-major-zstd.h5"), "r") as f:
        data = f["hidden_states"][...]
        chunks = f["hidden_states"].chunks
        offsets = f["offsets"][...]
    for compression, filters in ([("zstd", dict(shuffle=True, **hdf5plugin.Zstd(clevel=3))),
                                  ("gzip", dict(shuffle=True, compression="gzip", compression_opts=4))] if full else []):
        out = w(f"h5py-{compression}.h5")

        def write():
            with h5py.File(out, "w") as f:
                f.create_dataset("hidden_states", data=data, chunks=chunks, **filters)
                f["offsets"] = offsets
        row(f"h5py write (from RAM) layer-major {compression}", timed(write, repeat), os.path.getsize(out),
            "same chunks + filters")

    # An h5py-written per-record file whose chunks qualify for import's direct path: one group per
    # record, [L, T_i, H] in the stored dtype, one chunk per layer, shuffle + zstd (hdf5plugin).
    per_record = w("h5py-per-record-zstd.h5")
    with h5py.File(w("groups-zstd.h5"), "r") as source, h5py.File(per_record, "w") as f:
        for name in source:
            values = source[name]["hidden"][...]
            g = f.create_group(name)
            d = g.create_dataset("hidden", data=values, chunks=(1,) + values.shape[1:], shuffle=True,
                                 **hdf5plugin.Zstd(clevel=3))
            if args.dtype == "bf16":
                d.attrs["strata_dtype"] = "bf16"
            g["token_ids"] = source[name]["token_ids"][...]

    def h5py_read_groups(path):
        def read():
            with h5py.File(path, "r") as f:
                for name in f:
                    f[name]["hidden"][...]
        return read

    def h5py_read_records(path):
        def read():
            with h5py.File(path, "r") as f:
                x, off = f["hidden_states"], f["offsets"][...]
                for i in range(len(off) - 1):
                    x[:, off[i]:off[i + 1], :]
        return read

    imports = [("groups zstd, Strata export", w("groups-zstd.h5"), h5py_read_groups, "direct: chunks copied as blocks"),
               ("per-record zstd, h5py-written", per_record, h5py_read_groups, "direct: chunks copied as blocks"),
               ("layer-major zstd", w("layer-major-zstd.h5"), h5py_read_records, "fallback: HDF5 decode + Strata encode"),
               ("layer-major gzip", w("layer-major-gzip.h5"), h5py_read_records, "fallback: HDF5 decode + Strata encode")]
    for name, source, reader, note in imports:
        measured = timed(lambda: run(strata, "import-hdf5", source, w("imported.strata")), repeat)
        row(f"strata import-hdf5 ({name})", measured, os.path.getsize(w("imported.strata")), note)
        row(f"h5py read record by record ({name})", timed(reader(source), repeat), None, "decode only")

    if full:
        for compression in ["zstd", "gzip"]:
            source = w(f"layer-major-{compression}.h5")

            def read_whole():
                with h5py.File(source, "r") as f:
                    f["hidden_states"][...]
            row(f"h5py read whole array (layer-major {compression})", timed(read_whole, repeat), None, "decode only")

    def python_reader():
        reader = strata_package.open(shard)
        for i in range(len(reader)):
            reader.read(i, dtype="stored")
    if full:
        row("strata (Python package) read every record (stored dtype)", timed(python_reader, repeat), None,
            "CRC + zstd + unshuffle")

    print(f"\nData: {args.records} records, {tokens} tokens, {layers} layers × {hidden} hidden, {args.dtype}: "
          f"{raw / 1e6:.1f} MB raw; Strata shard {shard_size / 1e6:.1f} MB ({raw / shard_size:.3f}×); "
          f"load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    print("| Operation | Wall (s) | CPU (s) | MB/s wall | MB/s per CPU-s | Output (MB) | Ratio | Note |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, seconds, cpu, rate, cpu_rate, size, note in rows:
        size_text = f"{size / 1e6:.1f}" if size else ""
        ratio = f"{raw / size:.3f}×" if size else ""
        print(f"| {name} | {seconds:.3f} | {cpu:.3f} | {rate:.0f} | {cpu_rate:.0f} | {size_text} | {ratio} | {note} |")


if __name__ == "__main__":
    main()
