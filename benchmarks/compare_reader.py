#!/usr/bin/env python3
"""Old vs new `strata` binary, side by side, on the read paths issue 16 unified: `strata stream`
(records through StrataStream) and `strata train` end to end (batches through RecordBatchSource).

Runs alternate old/new so that machine load hits both alike; each figure is the median of
--repeat runs. CPU seconds are user + system of the child (all threads), the figure to compare on
a shared machine; wall-clock rates are given too.

    python3 benchmarks/compare_reader.py --old /path/old/strata --new .build/release/strata --dir /tmp/reader-bench
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p, wall, cpu, after.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--dir", default="/tmp/reader-bench")
    ap.add_argument("--stream-records", type=int, default=300)
    ap.add_argument("--train-records", type=int, default=96)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    stream_ds = os.path.join(args.dir, "stream.strata")
    train_ds = os.path.join(args.dir, "train.strata")
    if not os.path.exists(stream_ds):
        timed([args.new, "synth", "--out", stream_ds, "--records", str(args.stream_records), "--layers", "31", "--hidden", "576",
               "--min-tokens", "16", "--max-tokens", "64", "--dtype", "bf16", "--labels", "2", "--seed", "1", "--zstd-level", "1"])
    if not os.path.exists(train_ds):
        timed([args.new, "synth", "--out", train_ds, "--records", str(args.train_records), "--min-tokens", "64", "--max-tokens", "128",
               "--layers", "31", "--hidden", "576", "--dtype", "bf16", "--labels", "2", "--seed", "1"])
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    cases = []
    for order in ["sequential", "shuffled"]:
        cmd = ["stream", stream_ds, "--seed", "1", "--prefetch", "64MB", "--threads", "1", "--layers", "all"]
        if order == "sequential":
            cmd.append("--sequential")
        cases.append((f"stream, {order}, all 31 layers (warm)", cmd, "records", args.stream_records))
    for probe, budget in [("gate", "1GB"), ("gate", "256MB")]:
        out = os.path.join(args.dir, f"p-{probe}")
        cmd = ["train", "--data", train_ds, "--probe", probe, "--out", out, "--epochs", "1", "--batch-size", "32",
               "--val-fraction", "0", "--memory-budget", budget, "--quiet", "--feature-cache", "off", "--solver", "adamw"]
        cases.append((f"train {probe}, budget {budget}", cmd, "examples", args.train_records))

    print()
    print("| case | old CPU s | new CPU s | new/old CPU | old wall s | new wall s | new/old wall | old peak RSS MiB | new peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    timed([args.new] + cases[0][1])   # warm the page cache (each dataset is read whole by its first case)
    timed([args.new] + cases[2][1])
    for name, cmd, unit, count in cases:
        runs = {"old": [], "new": []}
        for _ in range(args.repeat):
            for which in ["old", "new"]:
                binary = args.old if which == "old" else args.new
                peak_file = os.path.join(args.dir, "peak")
                p, wall, cpu, _ = timed(["/usr/bin/time", "-f", "%M", "-o", peak_file, binary] + cmd)
                with open(peak_file) as f:
                    peak_kib = int(f.read().strip().splitlines()[-1])
                runs[which].append((cpu, wall, peak_kib / 1024))
        med = {w: tuple(statistics.median(r[i] for r in runs[w]) for i in range(3)) for w in runs}
        o, n = med["old"], med["new"]
        print(f"| {name} ({count} {unit}) | {o[0]:.2f} | {n[0]:.2f} | {n[0] / o[0]:.3f} | {o[1]:.2f} | {n[1]:.2f} | "
              f"{n[1] / o[1]:.3f} | {o[2]:.0f} | {n[2]:.0f} |", flush=True)
    print()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
