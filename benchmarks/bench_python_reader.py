#!/usr/bin/env python3
"""Benchmark: the strata Python package against h5py + hdf5plugin and the Swift reader, side by side
in one run on the same data (BENCHMARKS.md, "Python package").

    python3 benchmarks/bench_python_reader.py --data caps/            # an existing capture or shard
    python3 benchmarks/bench_python_reader.py --capture               # capture samples/rotten_tomatoes_sample.jsonl
    python3 benchmarks/bench_python_reader.py --synth 200             # strata synth, 31 layers × 576, bf16

Reads, every one best of --repeat passes over all records from a warm page cache, in this process:
  strata-python   ds.read(i) → new float32 arrays; ds.read(i, out=buf) into one reused buffer (as the
                  Swift benchmark reads); ds.read(i, layers=L//2) one layer
  h5py            the same values from `strata export-hdf5` files: --layout groups (one dataset per
                  record, chunks = the Strata blocks, the same zstd frames) and --layout layer-major
                  (one [L, T, H] array, 256 KiB chunks); read_direct into a reused uint16 buffer, then
                  bf16 → float32 by a 16-bit shift, as the package does; one layer of a groups record
and runs `strata bench format --from DATA` (the Swift reader, one thread, into a reused buffer).
MB/s are 10^6 bytes of stored values (layers × tokens × hidden × 2 for bf16) per second of the
reading process's CPU time (the machine is shared: CPU time is the stable figure) and of wall time.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "python"))
import strata  # noqa: E402


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def timed(passes: int, body) -> tuple:
    """Best (CPU seconds of this process, wall seconds) over `passes` runs of body()."""
    best_cpu = best_wall = float("inf")
    for _ in range(passes):
        c, w = time.process_time(), time.perf_counter()
        body()
        best_cpu, best_wall = min(best_cpu, time.process_time() - c), min(best_wall, time.perf_counter() - w)
    return best_cpu, best_wall


def make_data(args, work: str) -> str:
    if args.data:
        return args.data
    if args.synth:
        out = os.path.join(work, "synth.strata")
        subprocess.run([args.strata, "synth", "--out", out, "--records", str(args.synth), "--dtype", "bf16", "--layers", "31",
                        "--hidden", "576", "--min-tokens", "16", "--max-tokens", "64", "--labels", "2", "--seed", "1"],
                       check=True, stderr=subprocess.DEVNULL)
        return out
    out = os.path.join(work, "capture")
    model = os.path.expanduser("~/.cache/strata/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    subprocess.run([args.strata, "capture", "--model", model, "--input",
                    os.path.join(REPO, "samples", "rotten_tomatoes_sample.jsonl"), "--out", out, "--dtype", "bf16"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", help="a bf16 Strata dataset or shard to read")
    source.add_argument("--synth", type=int, metavar="N", help="strata synth N records (31 × 576, 16-64 tokens)")
    source.add_argument("--capture", action="store_true", help="capture samples/rotten_tomatoes_sample.jsonl (default)")
    parser.add_argument("--strata", default=os.path.join(REPO, ".build", "release", "strata"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", help="directory for the data and HDF5 files (default: a temporary one)")
    args = parser.parse_args()
    import h5py
    import hdf5plugin  # noqa: F401  (registers the zstd filter)

    temporary = None if args.work else tempfile.TemporaryDirectory(prefix="strata-bench-python-")
    work = args.work or temporary.name
    os.makedirs(work, exist_ok=True)
    load_before = os.getloadavg()[0]
    data = make_data(args, work)
    ds = strata.open(data)
    if ds.dtype != "bf16":
        raise SystemExit(f"{data} is {ds.dtype}; this benchmark compares bf16 reads")
    n, layers, hidden = len(ds), len(ds.layers), ds.hidden
    tokens = [ds.info(i).n_tokens for i in range(n)]
    stored = sum(tokens) * layers * hidden * 2
    one_layer_bytes = sum(tokens) * hidden * 2
    middle = layers // 2
    rows = []

    def row(name, measured, size, note=""):
        cpu, wall = measured
        rows.append((name, size / cpu / 1e6, size / wall / 1e6, cpu, wall, note))

    # The Swift reader (one thread, reused buffer), on the same records.
    swift = subprocess.run([args.strata, "bench", "format", "--from", data, "--records", str(n), "--dtypes", "bf16",
                            "--levels", "1", "--repeats", str(args.repeat)], capture_output=True, text=True, check=True)
    line = next(x for x in swift.stdout.splitlines() if x.startswith("| bf16 | 1 |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    swift_read = re.match(r"(\d+) \((\d+)\)", cells[4])
    swift_layer = re.match(r"(\d+) \((\d+)\)", cells[5])

    # strata-python.
    largest = max(tokens) * layers * hidden
    buffer = np.empty(largest, dtype=np.float32)
    for i in range(n):
        ds.read(i)  # warm the page cache
    def read_new_arrays():
        for i in range(n):
            values = ds.read(i)    # a new array per record, dropped before the next (as a training loop does)
            del values
    row("strata-python: read(i) → new float32 arrays", timed(args.repeat, read_new_arrays), stored)
    def read_into_buffer(layer=None):
        for i in range(n):
            ds.read(i, layers=layer, out=buffer[:tokens[i] * (layers if layer is None else 1) * hidden])
    row("strata-python: read(i, out=buffer), reused buffer", timed(args.repeat, read_into_buffer), stored)
    row(f"strata-python: read(i, layers={middle}, out=buffer), one layer",
        timed(args.repeat, lambda: read_into_buffer(middle)), one_layer_bytes)

    # h5py + hdf5plugin on the same values exported by strata.
    groups = os.path.join(work, "groups.h5")
    layer_major = os.path.join(work, "layer-major.h5")
    for layout, path in (("groups", groups), ("layer-major", layer_major)):
        subprocess.run([args.strata, "export-hdf5", data, path, "--layout", layout, "--compression", "zstd"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bits = np.empty(largest, dtype=np.uint16)

    def to_float(count: int) -> None:
        np.left_shift(bits[:count], 16, out=buffer[:count].view(np.uint32), dtype=np.uint32)

    # Each pass opens the file afresh, so HDF5's chunk cache never serves a chunk decoded by an earlier
    # pass (the package keeps nothing but parsed record entries between passes).
    def read_groups(layer=None):
        with h5py.File(groups, "r") as f:
            for i in range(n):
                d = f[f"{i:06d}"]["hidden"]
                if layer is None:
                    count = tokens[i] * layers * hidden
                    d.read_direct(bits[:count].reshape(d.shape))
                else:
                    count = tokens[i] * hidden
                    d.read_direct(bits[:count].reshape(1, tokens[i], hidden), np.s_[layer:layer + 1])
                to_float(count)

    def read_layer_major():
        # A chunk holds ~227 tokens of one layer, shared by neighbouring records: 32 MiB of cache keeps
        # every chunk decoded once per pass.
        with h5py.File(layer_major, "r", rdcc_nbytes=32 << 20, rdcc_nslots=10007) as f:
            hs, offsets = f["hidden_states"], f["offsets"][...]
            for i in range(n):
                count = tokens[i] * layers * hidden
                hs.read_direct(bits[:count].reshape(layers, tokens[i], hidden), np.s_[:, offsets[i]:offsets[i + 1], :])
                to_float(count)

    def read_groups_idiomatic():
        with h5py.File(groups, "r") as f:
            for i in range(n):
                values = (f[f"{i:06d}"]["hidden"][()].astype(np.uint32) << 16).view(np.float32)
                del values

    read_groups()
    row("h5py + hdf5plugin: groups file, d[()] → new arrays, astype + shift",
        timed(args.repeat, read_groups_idiomatic), stored)
    row("h5py + hdf5plugin: groups file (chunks = Strata blocks), read_direct + shift",
        timed(args.repeat, read_groups), stored)
    row(f"h5py + hdf5plugin: groups file, layer {middle} of each record",
        timed(args.repeat, lambda: read_groups(middle)), one_layer_bytes)
    read_layer_major()
    row("h5py + hdf5plugin: layer-major file, record by record", timed(args.repeat, read_layer_major), stored)

    load_after = os.getloadavg()[0]
    print(f"Data: {data}: {n} records, {sum(tokens)} tokens, {layers} layers × {hidden} hidden, bf16, "
          f"{stored / 1e6:.1f} MB of stored values; strata file {sum(s.size for s in ds.shards) / 1e6:.1f} MB")
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores; load average {load_before:.1f} before, {load_after:.1f} after; "
          f"Python {platform.python_version()}, numpy {np.__version__}, h5py {h5py.__version__}\n")
    print("| reader | MB/s per CPU-s | MB/s wall | CPU s | wall s | note |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| Swift reader (`strata bench format --from`), whole records → f32, 1 thread | {swift_read.group(1)} | "
          f"{swift_read.group(2)} |  |  | thread CPU; reused buffer |")
    print(f"| Swift reader, layer {middle} only | {swift_layer.group(1)} | {swift_layer.group(2)} |  |  | |")
    for name, per_cpu, per_wall, cpu, wall, note in rows:
        print(f"| {name} | {per_cpu:.0f} | {per_wall:.0f} | {cpu:.3f} | {wall:.3f} | {note} |")
    if temporary:
        temporary.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
