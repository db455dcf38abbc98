#!/usr/bin/env python3
"""Bounded load test of `strata serve` on loopback (benchmarks/serving.md, "The server under load").

Phase 1, below the queue limit: for each client count (default 1, 4, 16) every client sends chat
completions back to back for --seconds; reported: requests/s, completion tokens/s, p50/p99 latency,
statuses, and the server's RSS sampled every second. Any answer other than 200 is a failure.
Phase 2, above it: a server with --queue-limit Q gets --overload-clients clients; every answer must
be 200 or 429 with Retry-After (no 5xx, no timeout, no crash), and some must be 429.
Phase 3 (--probes KIND=PATH,...): the guard's cost: one server per setting (no guard, and each probe
as --guard), all started at once; then --probe-rounds rounds, each driving every setting in turn for
--probe-seconds of max_tokens=1 chat requests at 1 and at 16 clients (ABAB: the settings alternate in
short slices, the order rotating each round, so that the machine's load drift hits them alike).
Reported per setting and client count: the server's own mean prefill time (strata_prefill_seconds,
the packed pass that prefilled the request, its guard included), the median over rounds of its ratio to
the no-guard slice of the same round, the client p50, and the load average at each slice.

Bounded: every phase stops after --seconds; each request has a 300 s client timeout; the server is
stopped with SIGTERM at the end of each phase. Exit status 1 when a check fails.

  python3 benchmarks/serve_load.py --strata .build/release/strata --seconds 60 --out load.json
  python3 benchmarks/serve_load.py --seconds 5 --clients 1,4 --overload-clients 8   # the short CI version
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "tests"))
from serve_support import Server, real_model, synthetic_model  # noqa: E402

PROMPTS = ["Name three colours.", "What is the capital of France?", "Write one sentence about the sea.",
           "Give me a word that rhymes with cat.", "How many legs does a spider have?"]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def drive(url: str, clients: int, seconds: float, max_tokens: int, pid: int):
    """`clients` threads sending chat completions for `seconds`; latencies, statuses, tokens, RSS samples."""
    host = urlparse(url)
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    latencies, statuses, tokens, problems = [], {}, [0], []

    def client(index: int):
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=300)
        n = 0
        while time.monotonic() < deadline:
            body = json.dumps({"model": "m", "max_tokens": max_tokens,
                               "messages": [{"role": "user", "content": PROMPTS[(index + n) % len(PROMPTS)]}]})
            n += 1
            start = time.monotonic()
            try:
                connection.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                payload = response.read()
                status = response.status
            except Exception as error:  # a dropped connection or a timeout is a failure of the server
                with lock:
                    problems.append(repr(error))
                connection.close()
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=300)
                continue
            elapsed = time.monotonic() - start
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(elapsed)
                    tokens[0] += json.loads(payload)["usage"]["completion_tokens"]
                elif status == 429 and response.getheader("Retry-After") is None:
                    problems.append("429 without Retry-After")
            if status == 429:
                time.sleep(0.05)
        connection.close()

    samples = []
    stop = threading.Event()

    def sampler():
        begin = time.monotonic()
        while not stop.wait(1.0):
            samples.append((round(time.monotonic() - begin, 1), round(rss_mb(pid), 1)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    watcher = threading.Thread(target=sampler)
    began = time.monotonic()
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    watcher.join()
    wall = time.monotonic() - began
    return {"clients": clients, "seconds": round(wall, 1), "requests": len(latencies),
            "requests_per_s": round(len(latencies) / wall, 3), "completion_tokens_per_s": round(tokens[0] / wall, 2),
            "p50_s": round(percentile(latencies, 0.5), 3), "p99_s": round(percentile(latencies, 0.99), 3),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}, "problems": problems[:5],
            "problem_count": len(problems), "rss_mb": samples}


def metric(url: str, name: str) -> float:
    host = urlparse(url)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    connection.close()
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{}"):
            return float(line.split()[-1])
    return 0.0


def guard_cost(args, model: str, settings) -> dict:
    """Phase 3: every setting's server at once, driven in alternating slices (see the module docstring)."""
    servers = {}
    slices = []
    try:
        for kind, path in settings:
            servers[kind] = Server(model, "--threads", str(args.threads), *(["--guard", path] if path else []))
        for round_index in range(args.probe_rounds):
            shift = round_index % len(settings)
            order = [kind for kind, _ in settings[shift:] + settings[:shift]]
            if round_index % 2:
                order.reverse()
            for clients in (1, 16):
                for kind in order:
                    server = servers[kind]
                    total = metric(server.url, "strata_prefill_seconds_sum")
                    count = metric(server.url, "strata_prefill_seconds_count")
                    row = drive(server.url, clients, args.probe_seconds, 1, server.process.pid)
                    total = metric(server.url, "strata_prefill_seconds_sum") - total
                    count = metric(server.url, "strata_prefill_seconds_count") - count
                    entry = {"round": round_index, "clients": clients, "guard": kind, "prefills": int(count),
                             "mean_prefill_ms": round(1000 * total / max(count, 1), 2), "client_p50_s": row["p50_s"],
                             "load1": round(os.getloadavg()[0], 2)}
                    slices.append(entry)
                    print(json.dumps(entry), flush=True)
    finally:
        for server in servers.values():
            server.stop()
    summary = []
    for clients in (1, 16):
        base = {e["round"]: e["mean_prefill_ms"] for e in slices if e["clients"] == clients and e["guard"] == "none"}
        for kind, _ in settings:
            mine = [e for e in slices if e["clients"] == clients and e["guard"] == kind]
            ratios = sorted(e["mean_prefill_ms"] / base[e["round"]] for e in mine if base.get(e["round"]))
            prefills = sum(e["prefills"] for e in mine)
            mean = sum(e["mean_prefill_ms"] * e["prefills"] for e in mine) / max(prefills, 1)
            summary.append({"guard": kind, "clients": clients, "prefills": prefills, "mean_prefill_ms": round(mean, 2),
                            "median_ratio_to_none": round(statistics.median(ratios), 4) if ratios else None,
                            "ratios": [round(r, 4) for r in ratios],
                            "client_p50_s": round(statistics.median(e["client_p50_s"] for e in mine), 3),
                            "load1": [min(e["load1"] for e in mine), max(e["load1"] for e in mine)]})
            print(json.dumps(summary[-1]), flush=True)
    return {"slices": slices, "summary": summary}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strata", help="the strata binary (default: $STRATA_BIN, else .build/debug or release)")
    parser.add_argument("--model", default=None, help="GGUF model (default: the cached SmolLM2)")
    parser.add_argument("--synthetic", action="store_true",
                        help="use a tiny synthetic model made in a temporary directory (checks behaviour, not speed)")
    parser.add_argument("--clients", default="1,4,16", help="client counts below the queue limit")
    parser.add_argument("--seconds", type=float, default=60, help="seconds per client count")
    parser.add_argument("--max-tokens", type=int, default=16, help="max_tokens of each request")
    parser.add_argument("--queue-limit", type=int, default=64, help="the server's --queue-limit in phase 1")
    parser.add_argument("--overload-queue-limit", type=int, default=2, help="the server's --queue-limit in phase 2")
    parser.add_argument("--overload-clients", type=int, default=16, help="clients in phase 2 (0 = skip)")
    parser.add_argument("--probes", default="", help="KIND=PATH,... guard probes for phase 3 (empty = skip)")
    parser.add_argument("--probe-seconds", type=float, default=10, help="seconds of one phase-3 slice (one setting, one client count)")
    parser.add_argument("--probe-rounds", type=int, default=4, help="phase-3 rounds (every setting once per round and client count)")
    parser.add_argument("--threads", type=int, default=2, help="the server's forward-pass threads")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    if args.strata:
        os.environ["STRATA_BIN"] = args.strata
    if args.synthetic:
        with tempfile.TemporaryDirectory(prefix="strata-serve-load-") as directory:
            model, _ = synthetic_model(directory)
            return run(args, model)
    return run(args, args.model or real_model())


def run(args, model: str) -> int:
    if not model:
        print("serve_load: no model (strata fetch-model smollm2, or --model)", file=sys.stderr)
        return 1
    counts = [int(c) for c in args.clients.split(",") if c]
    report = {"machine": os.uname().nodename, "cpus": os.cpu_count(), "load_before": os.getloadavg(),
              "max_tokens": args.max_tokens, "below_limit": [], "overload": None, "guard_cost": None}
    failed = []

    server = Server(model, "--threads", str(args.threads), "--queue-limit", str(args.queue_limit))
    try:
        for clients in counts:
            if clients > args.queue_limit:
                failed.append(f"{clients} clients is above --queue-limit {args.queue_limit}")
            row = drive(server.url, clients, args.seconds, args.max_tokens, server.process.pid)
            report["below_limit"].append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "rss_mb"}), flush=True)
            if row["problem_count"] or set(row["statuses"]) - {"200"}:
                failed.append(f"{clients} clients: {row['statuses']} {row['problems']}")
    finally:
        code = server.terminate()
        server.stop()
        if code != 0:
            failed.append(f"the server exited {code} on SIGTERM")

    if args.overload_clients:
        server = Server(model, "--threads", str(args.threads), "--queue-limit", str(args.overload_queue_limit))
        try:
            row = drive(server.url, args.overload_clients, args.seconds, args.max_tokens, server.process.pid)
            report["overload"] = row
            print(json.dumps({k: v for k, v in row.items() if k != "rss_mb"}), flush=True)
            if row["problem_count"] or set(row["statuses"]) - {"200", "429"} or "429" not in row["statuses"]:
                failed.append(f"overload: {row['statuses']} {row['problems']}")
        finally:
            server.stop()

    settings = [("none", None)] + [tuple(s.split("=", 1)) for s in args.probes.split(",") if s]
    if args.probes:
        report["guard_cost"] = guard_cost(args, model, settings)

    report["load_after"] = os.getloadavg()
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    for problem in failed:
        print("serve_load: FAILED:", problem, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
