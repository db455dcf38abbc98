#!/usr/bin/env python3
"""The sweep behind the per-kind probe defaults (issue 15; spec/PROBES.md §3, benchmarks/probes.md).

Two tasks (Rotten Tomatoes sentiment, metric accuracy; safety prompts in the chat template, metric
F1), captured exactly as tools/main-job captures them (SmolLM2-135M-Instruct Q4_1, all 31 hidden
states, bf16, next-token log-probs). Three stages, each resumable (finished runs are kept in
WORK/results.jsonl and skipped on a rerun):

  capture   captures the committed train/val/test splits of both tasks into WORK/captures and
            draws the training subsets (`strata split --stratify label --seed 1`) of SIZES.
  grid      successive halving over each kind's candidates on the "dev" data (the main job's
            --quick captures: RT 800 / 200 / 300, safety 600 / 150 / 250 train / val / test, hashed
            subsets of the committed splits; run `tools/main-job --quick` first): rung 0 runs every candidate with
            seed 1, rung 1 runs the best third (mean rank of the validation metric over both
            tasks) with seed 2; the candidate with the best mean validation rank over all
            four runs becomes the kind's default. Only validation numbers choose; test is reported.
  confirm   every kind with `strata train`'s defaults (no tuning flags) at every size, seeds 1-3,
            scored on the test split by `strata eval`.
  table     prints the markdown tables of benchmarks/probes.md from WORK/results.jsonl.

  nice -n 10 python3 benchmarks/probe_sweep.py STAGE [--work DIR] [--strata .build/release/strata]
       [--tasks rotten_tomatoes,safety] [--sizes 500,2000,full] [--kinds gate,mha,...]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOME = Path(os.environ.get("STRATA_HOME", Path.home() / ".cache" / "strata"))
MODEL = HOME / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
TASKS = {"rotten_tomatoes": {"metric": "accuracy", "chat": False}, "safety": {"metric": "f1", "chat": True}}
SIZES = {"dev": None, "500": 500, "2000": 2000, "full": None}
KINDS = ["pooling", "gate", "mha", "last-token", "mean-last"]
# Held in memory: the epoch cache of a 2,000-review training subset fits (spec/PROBES.md §3).
MEMORY_BUDGET = "12GiB"

# Each kind's candidates: flags added to `strata train`. The first is the default before issue 15.
CANDIDATES = {
    "gate": [
        {"lr": "1e-3", "epochs": "10"},
        {"lr": "3e-3", "epochs": "10"},
        {"lr": "1e-2", "epochs": "10"},
        {"lr": "3e-3", "epochs": "10", "gate-scale": True},
        {"lr": "1e-2", "epochs": "10", "gate-scale": True},
    ],
    "pooling": [
        {"lr": "1e-3", "epochs": "10"},
        {"lr": "5e-3", "epochs": "10"},
        {"lr": "2e-2", "epochs": "10"},
    ],
    "mha": [
        {"lr": "1e-3", "epochs": "10", "heads": "4"},
        {"lr": "1e-3", "epochs": "5", "heads": "2"},
    ],
}


def say(msg):
    print(f"[sweep {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, capture=False):
    say("$ " + " ".join(str(c) for c in cmd))
    done = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE if capture else None, text=True)
    if done.returncode != 0:
        sys.exit(f"failed (exit {done.returncode}): {' '.join(str(c) for c in cmd)}")
    return done.stdout


def flags(config):
    out = []
    for key, value in config.items():
        out += [f"--{key}"] if value is True else [f"--{key}", str(value)]
    return out


def label(config):
    return " ".join(f"{k}" if v is True else f"{k} {v}" for k, v in config.items()) or "defaults"


def task_dir(work, task):
    return work / "captures" / (task + ("-chat" if TASKS[task]["chat"] else ""))


def capture(strata, work, tasks, sizes):
    for task in tasks:
        for split in ("val", "test", "train"):   # the small splits first
            target = task_dir(work, task) / split
            done = target / ".sweep-complete"
            if done.exists():
                continue
            cmd = [strata, "capture", "--model", MODEL, "--input", HOME / "data" / task / f"{split}.jsonl", "--out", target,
                   "--layers", "all", "--dtype", "bf16", "--save-logits"]
            cmd += ["--chat-template"] if TASKS[task]["chat"] else []
            cmd += ["--resume"] if target.exists() else []
            run(cmd)
            done.write_text("complete\n")
        total = json.loads(run([strata, "inspect", task_dir(work, task) / "train", "--json"], capture=True))["records"]
        for size in sizes:
            n = SIZES[size]
            if n is None or n >= total:
                continue
            subset = task_dir(work, task) / f"train-{size}"
            if not (subset / "train" / "manifest.json").exists():
                run([strata, "split", task_dir(work, task) / "train", "--out", subset, "--train", f"{n / total:.6f}",
                     "--val", "0", "--test", "0", "--stratify", "label", "--seed", "1"])


def data_paths(work, task, size):
    """(train, val, test) of a task at a size; size "dev" is the main job's --quick capture (hashed subsets of the
    committed splits: RT 800 / 200 / 300, safety 600 / 150 / 250), on which the grid runs."""
    if size == "dev":
        base = HOME / "main-job" / "quick" / "captures" / task_dir(work, task).name
        return base / "train", base / "val", base / "test"
    subset = task_dir(work, task) / f"train-{size}" / "train"
    train = subset if SIZES[size] is not None and subset.exists() else task_dir(work, task) / "train"
    return train, task_dir(work, task) / "val", task_dir(work, task) / "test"


def load_results(work):
    path = work / "results.jsonl"
    if not path.exists():
        return {}
    return {r["key"]: r for r in map(json.loads, path.read_text().splitlines()) if r}


def train_and_eval(strata, work, results, task, size, kind, config, seed, stage):
    key = f"{stage}|{task}|{size}|{kind}|{label(config)}|seed{seed}"
    results.update(load_results(work))   # another sweep process may have finished it meanwhile
    if key in results:
        return results[key]
    rundir = work / "runs" / stage / task / size / kind / label(config).replace(" ", "_") / f"seed{seed}"
    rundir.mkdir(parents=True, exist_ok=True)
    ckpt = rundir / "probe.strata-probe"
    train, val, test = data_paths(work, task, size)
    t0 = time.time()
    run([strata, "train", "--data", train, "--val", val, "--probe", kind,
         "--out", ckpt, "--seed", str(seed), "--metric", TASKS[task]["metric"], "--memory-budget", MEMORY_BUDGET,
         "--log", rundir / "log.jsonl", "--quiet"] + flags(config))
    seconds = time.time() - t0
    evaluation = json.loads(run([strata, "eval", "--probe", ckpt, "--data", test, "--json"], capture=True))
    curve = [json.loads(l) for l in (rundir / "log.jsonl").read_text().splitlines() if l.strip()]
    vals = [c["val_metric"] for c in curve if c.get("val_metric") is not None]
    record = {"key": key, "stage": stage, "task": task, "size": size, "kind": kind, "config": label(config), "seed": seed,
              "val": max(vals) if vals else None, "test": evaluation[TASKS[task]["metric"]], "test_auroc": evaluation.get("auroc"),
              "epochs_run": len(curve), "seconds": round(seconds, 1)}
    with open(work / "results.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")
    results[key] = record
    say(f"{key}: val {record['val']} test {record['test']:.4f} ({seconds:.0f}s)")
    return record


def mean_rank(scores):
    """scores: candidate -> list of per-(task, seed) validation values, aligned; returns candidate -> mean rank (1 = best)."""
    names = list(scores)
    columns = len(next(iter(scores.values())))
    ranks = {n: 0.0 for n in names}
    for j in range(columns):
        order = sorted(names, key=lambda n: -scores[n][j])
        for r, n in enumerate(order):
            ranks[n] += (r + 1) / columns
    return ranks


def grid(strata, work, tasks, kinds, max_rung):
    results = load_results(work)
    chosen = {}
    for kind in kinds:
        candidates = CANDIDATES.get(kind)
        if not candidates:
            continue
        def scores(cands, seeds):
            return {label(c): [train_and_eval(strata, work, results, t, "dev", kind, c, s, "grid")["val"] for t in tasks for s in seeds]
                    for c in cands}
        rung0 = mean_rank(scores(candidates, [1]))
        keep = sorted(candidates, key=lambda c: rung0[label(c)])[:max(1, (len(candidates) + 2) // 3)]
        rung1 = mean_rank(scores(keep, [1, 2])) if len(keep) > 1 and max_rung >= 1 else rung0
        best = min(keep, key=lambda c: rung1[label(c)])
        chosen[kind] = label(best)
        say(f"{kind}: rung 0 ranks {rung0}; rung 1 ranks {rung1}; chosen: {label(best)}")
    print(json.dumps(chosen, indent=2))


# The grid candidate each kind's defaults (ProbeDefaults in Sources/StrataProbe/Probes/ProbeDefaults.swift) equal,
# flag for flag: `confirm` reuses that candidate's grid runs (same flags, deterministic training) instead of
# training them again.
DEFAULT_CANDIDATES = {"gate": "lr 1e-2 epochs 10 gate-scale", "mha": "lr 1e-3 epochs 10 heads 4", "pooling": "lr 5e-3 epochs 10"}


def confirm(strata, work, tasks, sizes, kinds, seeds):
    results = load_results(work)
    for size in sizes:
        for task in tasks:
            for kind in kinds:
                for seed in seeds:
                    key = f"confirm|{task}|{size}|{kind}|defaults|seed{seed}"
                    grid_key = f"grid|{task}|{size}|{kind}|{DEFAULT_CANDIDATES.get(kind)}|seed{seed}"
                    if key not in results and grid_key in results:
                        record = dict(results[grid_key], key=key, stage="confirm", config="defaults", reused=grid_key)
                        with open(work / "results.jsonl", "a") as f:
                            f.write(json.dumps(record) + "\n")
                        results[key] = record
                        continue
                    train_and_eval(strata, work, results, task, size, kind, {}, seed, "confirm")


def table(work):
    results = list(load_results(work).values())
    def cell(rows, field="test"):
        xs = [r[field] for r in rows if r[field] is not None]
        if not xs:
            return "—"
        text = f"{100 * statistics.mean(xs):.1f} ± {100 * statistics.stdev(xs):.1f}" if len(xs) > 1 else f"{100 * xs[0]:.1f}"
        return text if len(xs) >= 3 or field != "test" or rows[0]["stage"] == "grid" else f"{text} ({len(xs)} seed{'s' if len(xs) > 1 else ''})"
    print("### Grid (dev data: RT 800, safety 600 training examples; validation chooses, test reported; mean ± std over the seeds run)\n")
    print("| kind | candidate | RT val / test | safety val / test | seeds |")
    print("|---|---|---|---|---|")
    for kind in CANDIDATES:
        for c in CANDIDATES[kind]:
            rows = [r for r in results if r["stage"] == "grid" and r["kind"] == kind and r["config"] == label(c)]
            if not rows:
                continue
            per = {t: [r for r in rows if r["task"] == t] for t in TASKS}
            seeds = sorted({r["seed"] for r in rows})
            print(f"| {kind} | {label(c)} | {cell(per['rotten_tomatoes'], 'val')} / {cell(per['rotten_tomatoes'])} | "
                  f"{cell(per['safety'], 'val')} / {cell(per['safety'])} | {','.join(map(str, seeds))} |")
    print("\n### Defaults (test metric, mean ± std over seeds 1-3: RT accuracy, safety F1)\n")
    sizes = [s for s in SIZES if any(r["stage"] == "confirm" and r["size"] == s for r in results)]
    print("| task | size | " + " | ".join(KINDS) + " |")
    print("|---|---|" + "---|" * len(KINDS))
    for task in TASKS:
        for size in sizes:
            rows = [r for r in results if r["stage"] == "confirm" and r["task"] == task and r["size"] == size]
            if rows:
                print(f"| {task} | {size} | " + " | ".join(cell([r for r in rows if r["kind"] == k]) for k in KINDS) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", choices=["capture", "grid", "confirm", "table"])
    ap.add_argument("--work", default=str(HOME / "probe-sweep"), help="captures, runs and results (default: $STRATA_HOME/probe-sweep)")
    ap.add_argument("--strata", default=str(ROOT / ".build" / "release" / "strata"))
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--sizes", default=",".join(SIZES))
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--seeds", default="1,2,3", help="confirm: seeds to train")
    ap.add_argument("--max-rung", type=int, default=1, help="grid: stop after this rung (0 = seed 1 only)")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    tasks, sizes, kinds = args.tasks.split(","), args.sizes.split(","), args.kinds.split(",")
    for t in tasks:
        if t not in TASKS:
            ap.error(f"--tasks: unknown task {t!r} (known: {', '.join(TASKS)})")
    for s in sizes:
        if s not in SIZES:
            ap.error(f"--sizes: unknown size {s!r} (known: {', '.join(SIZES)})")
    if args.stage == "capture":
        capture(args.strata, work, tasks, sizes)
    elif args.stage == "grid":
        grid(args.strata, work, tasks, kinds, args.max_rung)
    elif args.stage == "confirm":
        confirm(args.strata, work, tasks, sizes, kinds, [int(x) for x in args.seeds.split(",")])
    else:
        table(work)


if __name__ == "__main__":
    main()
