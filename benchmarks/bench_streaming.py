#!/usr/bin/env python3
"""Streaming benchmark driver (results: benchmarks/streaming.md).

Builds a synthetic dataset with `strata synth` (SmolLM2-135M shape by default: 31 layers x 576
hidden, bf16) as several shards merged into one directory, then streams whole epochs with
`strata stream`, sequential vs shuffled, with a fixed prefetch budget, and prints a markdown table
of records/s, decoded MB/s (f32 values delivered), stored MB/s (shard bytes read) and peak RSS.

Before each cold run the shard files' page-cache pages are dropped with
posix_fadvise(POSIX_FADV_DONTNEED) (per file; no system-wide cache drop), so every byte comes
from disk; each record is read exactly once per epoch, so the cache cannot help within a run.

    python3 benchmarks/bench_streaming.py --strata .build/release/strata --dir /tmp/strata-bench \
        --shards 4 --records-per-shard 500 --prefetch 64MB --threads 1
"""
import argparse
import json
import os
import subprocess
import sys
import time


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    return p


def drop_cache(paths):
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", default=".build/release/strata")
    ap.add_argument("--dir", default="/tmp/strata-bench")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--records-per-shard", type=int, default=500)
    ap.add_argument("--layers", type=int, default=31)
    ap.add_argument("--hidden", type=int, default=576)
    ap.add_argument("--min-tokens", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--dtype", default="bf16")
    ap.add_argument("--prefetch", default="64MB")
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    ap.add_argument("--subset", default="15", help="layer positions for the layer-subset rows")
    ap.add_argument("--repeat", type=int, default=3, help="runs per configuration; the median (by records/s) is reported")
    args = ap.parse_args()

    ds = os.path.join(args.dir, "ds")
    manifest = os.path.join(ds, "manifest.json")
    if not os.path.exists(manifest):
        os.makedirs(ds, exist_ok=True)
        shards = []
        t0 = time.time()
        for i in range(args.shards):
            path = os.path.join(ds, f"w{i}.strata")
            run([args.strata, "synth", "--out", path, "--records", str(args.records_per_shard),
                 "--layers", str(args.layers), "--hidden", str(args.hidden), "--min-tokens", str(args.min_tokens),
                 "--max-tokens", str(args.max_tokens), "--dtype", args.dtype, "--labels", "2",
                 "--id-prefix", f"w{i}-", "--seed", str(i), "--zstd-level", "1"])
            shards.append(path)
        run([args.strata, "merge", *shards, "--out", ds])
        print(f"synthesised {args.shards} shards in {time.time() - t0:.1f} s", file=sys.stderr)
    with open(manifest) as f:
        m = json.load(f)
    shard_paths = [os.path.join(ds, s["path"]) for s in m["shards"]]
    stored = sum(s["bytes"] for s in m["shards"])
    records = m["records"]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"dataset: {records} records, {len(shard_paths)} shards, {stored / 1e9:.2f} GB stored "
          f"({m['metadata']['dtype']}, {len(m['metadata']['layers'])} layers x {m['metadata']['hidden']} hidden)")
    print()
    print("| order | layers | threads | cache | records/s | decoded MB/s | stored MB/s | CPU ms/record | decoded MB/CPU-s | peak prefetch | peak RSS |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for threads in args.threads:
        for layers in ["all", args.subset]:
            for order in ["sequential", "shuffled"]:
                for cache in ["cold", "warm"]:
                    cmd = [args.strata, "stream", ds, "--seed", "1", "--prefetch", args.prefetch,
                           "--threads", str(threads), "--layers", layers]
                    if order == "sequential":
                        cmd.append("--sequential")
                    runs = []
                    for _ in range(args.repeat):
                        if cache == "cold":
                            drop_cache(shard_paths)
                        elif not runs:
                            run(cmd)  # warm the page cache
                        p = run(cmd)
                        runs.append(json.loads(p.stderr.strip().splitlines()[-1]))
                    runs.sort(key=lambda r: r["records_per_s"])
                    s = runs[len(runs) // 2]
                    assert s["records"] == records
                    stored_rate = stored / 1e6 / s["seconds"] if layers == "all" else float("nan")
                    cpu_ms = s["cpu_seconds"] * 1000 / records
                    per_cpu = s["value_bytes"] / 1e6 / s["cpu_seconds"]
                    print(f"| {order} | {layers} | {threads} | {cache} | {s['records_per_s']:.0f} | {s['mb_per_s']:.0f} | "
                          f"{stored_rate:.0f} | {cpu_ms:.2f} | {per_cpu:.0f} | {s['peak_prefetch_bytes'] / 2**20:.1f} MiB | {s['peak_rss_bytes'] / 2**20:.0f} MiB |",
                          flush=True)
    print()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
