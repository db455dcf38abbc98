"""Model of data-parallel `strata train`: per-step all-reduce bytes and time against compute per step.

Input: a JSON file of measurements made by benchmarks/distributed-bench on this machine,
{"<model>/<probe>": {"parameters": P, "examples_per_second": r}}, r being one thread's training
throughput (decode + forward + backward + optimizer) at that model's shape.

Per step every rank all-reduces 4·(P + 3) bytes (P f32 gradients, loss, weight, example count:
GradientReduction). All-reduce time for n bytes over p ranks, the cheaper of the two algorithms an MPI
library picks between (Thakur, Rabenseifner & Gropp 2005):
  ring                T = 2(p-1)·α + 2·(p-1)/p · n/β
  recursive doubling  T = ⌈log2 p⌉ · (α + n/β)
with α the per-message latency and β the bandwidth of the network (assumed, listed below).
Compute per step = ⌈B/p⌉ / r for a global batch B (the largest slice; one core per rank, as measured).
Communication share = T / (T + compute); it stays ≤ 10 % when each rank's slice holds at least
⌈9·T·r⌉ examples, i.e. from B = p·⌈9·T·r⌉.

Run: python3 benchmarks/allreduce_model.py measured.json
"""
from __future__ import annotations

import json
import math
import sys

NETWORKS = {
    # name: (latency α in seconds, bandwidth β in bytes/s) — typical MPI figures, not measured here
    "100 Gb/s InfiniBand": (2e-6, 12e9),
    "10 Gb/s Ethernet": (30e-6, 1.2e9),
}
RANKS = (8, 16, 32, 64)
DEFAULT_BATCH = 32


def allreduce_seconds(nbytes: int, ranks: int, latency: float, bandwidth: float) -> float:
    ring = 2 * (ranks - 1) * latency + 2 * (ranks - 1) / ranks * nbytes / bandwidth
    doubling = math.ceil(math.log2(ranks)) * (latency + nbytes / bandwidth)
    return min(ring, doubling)


def main(path: str) -> None:
    measured = json.load(open(path, encoding="utf-8"))
    names = list(NETWORKS)
    print("## all-reduce model, 8-64 ranks (one core per rank at this machine's per-core speed)")
    print()
    print("Networks assumed: " + "; ".join(f"{n}: α = {a * 1e6:g} µs, β = {b / 1e9:g} GB/s" for n, (a, b) in NETWORKS.items()) + ".")
    print(f"Share = communication / step time at the default --batch-size {DEFAULT_BATCH}; "
          "min B = smallest global --batch-size keeping communication ≤ 10 %.")
    print()
    print("| model / probe | parameters | bytes/step | compute ms/example | ranks | "
          + " | ".join(f"all-reduce µs ({n}) | share at B={DEFAULT_BATCH} | min B" for n in names) + " |")
    print("|---|---|---|---|---|" + "---|---|---|" * len(names))
    for key, m in measured.items():
        parameters, rate = int(m["parameters"]), float(m["examples_per_second"])
        nbytes = 4 * (parameters + 3)
        for ranks in RANKS:
            cells = []
            for name in names:
                latency, bandwidth = NETWORKS[name]
                t = allreduce_seconds(nbytes, ranks, latency, bandwidth)
                compute = math.ceil(DEFAULT_BATCH / ranks) / rate
                share = t / (t + compute)
                min_batch = ranks * math.ceil(9 * t * rate)
                cells.append(f"{t * 1e6:,.0f} | {share * 100:.1f} % | {min_batch:,}")
            print(f"| {key} | {parameters:,} | {nbytes:,} | {1000 / rate:.2f} | {ranks} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
