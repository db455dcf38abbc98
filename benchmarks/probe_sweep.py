#!/usr/bin/env python3
"""The sweep behind the per-kind probe defaults (issue 15; spec/PROBES.md §3, benchmarks/probes.md).

Two tasks (Rotten Tomatoes sentiment, metric accuracy; safety prompts in the chat template, metric
F1), captured exactly as tools/main-job captures them (SmolLM2-135M-Instruct Q4_1, all 31 hidden
states, bf16, next-token log-probs). Stages, each resumable (finished runs are kept in
WORK/results.jsonl and skipped on a rerun):

  capture   captures the committed train/val/test splits of both tasks into WORK/captures (or, with
            --main-job DIR, uses that finished main job's captures: nothing is captured twice) and
            draws the training subsets (`strata split --stratify label --seed 1`) of SIZES into
            WORK/subsets. A size at or above a task's training split (safety: 1,772 prompts, so
            "2000") is that task's full split: it is not drawn, trained or tabled twice.
            `--sizes dev` captures the "dev" data instead: the main job's --quick subsets, with the
            main job's own code, into --dev DIR.
  grid      successive halving over each kind's candidates on the "dev" data (the main job's
            --quick captures: RT 800 / 200 / 300, safety 600 / 150 / 250 train / val / test, hashed
            subsets of the committed splits): rung 0 runs every candidate with
            seed 1, rung 1 runs the best third (mean rank of the validation metric over both
            tasks) with seed 2; the candidate with the best mean validation rank over all
            four runs becomes the kind's default. Only validation numbers choose; test is reported.
  compare   named candidates of one kind (--kinds K --candidates "LABEL;LABEL") at --sizes with --seeds,
            e.g. a cheaper MHA default against the current one; runs are grid-stage rows.
  confirm   every kind with `strata train`'s defaults (no tuning flags) at every size, seeds 1-3,
            scored on the test split by `strata eval`. With --main-job DIR, the full-size rows are
            that main job's probes (trained with the same defaults and --metric), scored again here.
  table     prints the markdown tables of benchmarks/probes.md from WORK/results.jsonl.

  python3 benchmarks/probe_sweep.py STAGE [--work DIR] [--strata .build/release/strata]
       [--main-job DIR] [--dev DIR] [--tasks rotten_tomatoes,safety] [--sizes dev,500,2000,full]
       [--kinds gate,mha,...] [--seeds 1,2,3]
"""
import argparse
import hashlib
import importlib.machinery
import importlib.util
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
# Kinds whose default fit does not depend on --seed (`--solver lbfgs`, spec/PROBES.md §3 "Solvers"): confirm trains
# them with the first seed only, and the table marks the cell.
SEED_FREE = {"last-token", "mean-last"}
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


def task_key(task):
    """The captures' folder name of a task, as tools/main-job names it."""
    return task + ("-chat" if TASKS[task]["chat"] else "")


class Places:
    """Where the sweep reads and writes. captures: the committed splits' captures (WORK/captures, or a finished
    main job's DIR/captures); main_job: that main job's folder (its probes are the full-size runs), or None;
    dev: the main job's --quick captures (the "dev" data)."""
    def __init__(self, work, main_job, dev):
        self.work = work
        self.main_job = main_job
        self.captures = main_job / "captures" if main_job else work / "captures"
        self.dev = dev

    def split(self, task, split):
        return self.captures / task_key(task) / split

    def subset(self, task, size):
        return self.work / "subsets" / task_key(task) / f"train-{size}"


def load_main_job():
    """tools/main-job as a module: the dev captures reuse its subset choice and capture settings (one definition)."""
    loader = importlib.machinery.SourceFileLoader("main_job", str(ROOT / "tools" / "main-job"))
    spec = importlib.util.spec_from_loader("main_job", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def capture_dev(strata, places, tasks):
    """The main job's --quick train/val/test captures (hashed subsets; robustness is not needed here), made by the
    main job's own functions, so that `tools/main-job --quick --work DIR` reuses them."""
    main_job = load_main_job()
    for task in tasks:
        spec = main_job.TASKS[task]
        for split in ("train", "val", "test"):
            source = main_job.hashed_subset(HOME / "data" / task / f"{split}.jsonl",
                                            places.dev.parent / "inputs" / task / f"{split}.jsonl", spec["quick"][split])
            main_job.capture(strata, source, places.dev / task_key(task) / split, spec["chat"])


def train_records(strata, path):
    return json.loads(run([strata, "inspect", path, "--json"], capture=True))["records"]


def committed_train_records(task):
    """Records of the task's committed training split (its JSONL, as tools/fetch-data wrote it)."""
    return sum(1 for l in (HOME / "data" / task / "train.jsonl").read_text(encoding="utf-8").splitlines() if l.strip())


def effective_size(places, task, size):
    """The size a run at `size` really is: a size at or above the task's training split is "full"."""
    n = SIZES[size]
    if n is None:
        return size
    return "full" if n >= committed_train_records(task) else size


def stratified_jsonl_subset(src, dst, n, seed=1):
    """n records of a JSONL split, each label in its share of the split (rounded; the largest remainders get the
    leftover records), within a label the ids with the smallest SHA-256 of "SEED:id"; kept in file order."""
    lines = [l for l in src.read_text(encoding="utf-8").splitlines() if l.strip()]
    by_label = {}
    for i, line in enumerate(lines):
        by_label.setdefault(json.loads(line)["label"], []).append(i)
    exact = {label: n * len(members) / len(lines) for label, members in by_label.items()}
    quota = {label: int(x) for label, x in exact.items()}
    for label in sorted(exact, key=lambda k: quota[k] - exact[k])[:n - sum(quota.values())]:
        quota[label] += 1
    keep = set()
    for label, members in by_label.items():
        ranked = sorted(members, key=lambda i: hashlib.sha256(f"{seed}:{json.loads(lines[i])['id']}".encode()).hexdigest())
        keep.update(ranked[:quota[label]])
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(str(dst) + ".tmp")
    tmp.write_text("".join(lines[i] + "\n" for i in sorted(keep)), encoding="utf-8")
    os.replace(tmp, dst)
    return dst


def capture(strata, places, tasks, sizes, draw_from):
    if "dev" in sizes:
        capture_dev(strata, places, tasks)
    main_job = load_main_job()
    for task in tasks:
        if draw_from == "jsonl":
            # The training subsets are drawn from the committed JSONL split and only they are captured: for when the
            # full training split cannot be captured (benchmarks/probes.md says where this was used).
            source = HOME / "data" / task / "train.jsonl"
            total = committed_train_records(task)
            for size in sizes:
                n = SIZES[size]
                if n is None or n >= total:
                    continue
                subset_input = places.work / "subsets" / "inputs" / task_key(task) / f"train-{size}.jsonl"
                if not subset_input.exists():
                    stratified_jsonl_subset(source, subset_input, n)
                main_job.capture(strata, subset_input, places.subset(task, size) / "train", TASKS[task]["chat"])
        for split in ("val", "test", "train"):   # the small splits first
            target = places.split(task, split)
            if places.main_job:
                # the main job's own capture (settings and completion marker), so that the main job reuses it
                if split != "train" or draw_from != "jsonl":
                    main_job.capture(strata, HOME / "data" / task / f"{split}.jsonl", target, TASKS[task]["chat"])
                continue
            done = target / ".sweep-complete"
            if done.exists():
                continue
            cmd = [strata, "capture", "--model", MODEL, "--input", HOME / "data" / task / f"{split}.jsonl", "--out", target,
                   "--layers", "all", "--dtype", "bf16", "--save-logits"]
            cmd += ["--chat-template"] if TASKS[task]["chat"] else []
            cmd += ["--resume"] if target.exists() else []
            run(cmd)
            done.write_text("complete\n")
        if draw_from == "jsonl":
            continue
        total = train_records(strata, places.split(task, "train"))
        for size in sizes:
            n = SIZES[size]
            if n is None:
                continue
            if n >= total:
                say(f"{task}: size {size} >= its {total} training records: the full split is this size (not drawn)")
                continue
            subset = places.subset(task, size)
            if not (subset / "train" / "manifest.json").exists():
                run([strata, "split", places.split(task, "train"), "--out", subset, "--train", f"{n / total:.6f}",
                     "--val", "0", "--test", "0", "--stratify", "label", "--seed", "1"])


def data_paths(places, task, size):
    """(train, val, test) of a task at a size; size "dev" is the main job's --quick capture (hashed subsets of the
    committed splits: RT 800 / 200 / 300, safety 600 / 150 / 250), on which the grid runs."""
    if size == "dev":
        base = places.dev / task_key(task)
        return base / "train", base / "val", base / "test"
    train = places.split(task, "train")
    if SIZES[size] is not None:
        train = places.subset(task, size) / "train"
        if not (train / "manifest.json").exists():
            sys.exit(f"{task} at size {size}: no subset at {train} (run the capture stage with --sizes {size} first)")
    return train, places.split(task, "val"), places.split(task, "test")


def load_results(work):
    path = work / "results.jsonl"
    if not path.exists():
        return {}
    return {r["key"]: r for r in map(json.loads, path.read_text().splitlines()) if r}


def append_result(work, results, record):
    with open(work / "results.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")
    results[record["key"]] = record
    took = f"{record['seconds']}s" if record.get("seconds") is not None else record.get("trained_by", "time not recorded")
    say(f"{record['key']}: val {record['val']} test {record['test']:.4f} ({took})")
    return record


def scored(strata, places, task, size, kind, config, seed, stage, ckpt, log, seconds, **extra):
    """The result row of one trained probe: best validation metric from its log, test metric by `strata eval`."""
    train, _, test = data_paths(places, task, size)
    evaluation = json.loads(run([strata, "eval", "--probe", ckpt, "--data", test, "--json"], capture=True))
    curve = [json.loads(l) for l in log.read_text().splitlines() if l.strip()] if log.exists() else []
    vals = [c["val_metric"] for c in curve if c.get("val_metric") is not None]
    return dict({"key": f"{stage}|{task}|{size}|{kind}|{label(config)}|seed{seed}", "stage": stage, "task": task, "size": size,
                 "kind": kind, "config": label(config), "seed": seed, "train_records": train_records(strata, train),
                 "val": max(vals) if vals else None, "test": evaluation[TASKS[task]["metric"]], "test_auroc": evaluation.get("auroc"),
                 "epochs_run": len(curve), "seconds": seconds}, **extra)


def train_and_eval(strata, places, results, task, size, kind, config, seed, stage):
    work = places.work
    key = f"{stage}|{task}|{size}|{kind}|{label(config)}|seed{seed}"
    results.update(load_results(work))   # another sweep process may have finished it meanwhile
    if key in results:
        return results[key]
    rundir = work / "runs" / stage / task / size / kind / label(config).replace(" ", "_") / f"seed{seed}"
    rundir.mkdir(parents=True, exist_ok=True)
    ckpt = rundir / "probe.strata-probe"
    train, val, test = data_paths(places, task, size)
    t0 = time.time()
    run([strata, "train", "--data", train, "--val", val, "--probe", kind,
         "--out", ckpt, "--seed", str(seed), "--metric", TASKS[task]["metric"], "--memory-budget", MEMORY_BUDGET,
         "--log", rundir / "log.jsonl", "--quiet"] + flags(config))
    seconds = round(time.time() - t0, 1)
    return append_result(work, results, scored(strata, places, task, size, kind, config, seed, stage, ckpt,
                                               rundir / "log.jsonl", seconds))


def from_main_job(strata, places, results, task, kind, seed):
    """A full-size confirm row from the main job's probe of that kind and seed (trained there with `strata train`'s
    defaults and the task's --metric, as confirm trains), scored here; None when the main job has not trained it."""
    key = f"confirm|{task}|full|{kind}|defaults|seed{seed}"
    if key in results:
        return results[key]
    rundir = places.main_job / "runs" / task_key(task) / f"{kind}-seed{seed}"
    ckpt, log = rundir / "probe.strata-probe", rundir / "train-log.jsonl"
    if not ckpt.exists():
        return None
    return append_result(places.work, results, scored(strata, places, task, "full", kind, {}, seed, "confirm", ckpt, log,
                                                      None, trained_by=f"tools/main-job ({rundir})"))


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


def grid(strata, places, tasks, kinds, max_rung):
    results = load_results(places.work)
    chosen = {}
    for kind in kinds:
        candidates = CANDIDATES.get(kind)
        if not candidates:
            continue
        def scores(cands, seeds):
            return {label(c): [train_and_eval(strata, places, results, t, "dev", kind, c, s, "grid")["val"] for t in tasks for s in seeds]
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


def compare(strata, places, tasks, sizes, kind, candidates, seeds):
    """Named candidates of one kind, every task and size, every seed (grid-stage rows)."""
    results = load_results(places.work)
    by_label = {label(c): c for c in CANDIDATES.get(kind, [])}
    for name in candidates:
        if name not in by_label:
            sys.exit(f"--candidates: {name!r} is not a candidate of {kind} (known: {'; '.join(by_label)})")
    for size in sizes:
        for task in tasks:
            for name in candidates:
                for seed in seeds:
                    train_and_eval(strata, places, results, task, size, kind, by_label[name], seed, "grid")


def confirm(strata, places, tasks, sizes, kinds, seeds):
    work = places.work
    results = load_results(work)
    for size in sizes:
        for task in tasks:
            if effective_size(places, task, size) != size:
                say(f"{task}: size {size} is its full training split: see the full rows")
                continue
            for kind in kinds:
                for seed in (seeds[:1] if kind in SEED_FREE else seeds):
                    key = f"confirm|{task}|{size}|{kind}|defaults|seed{seed}"
                    grid_key = f"grid|{task}|{size}|{kind}|{DEFAULT_CANDIDATES.get(kind)}|seed{seed}"
                    if key not in results and grid_key in results:
                        record = dict(results[grid_key], key=key, stage="confirm", config="defaults", reused=grid_key)
                        with open(work / "results.jsonl", "a") as f:
                            f.write(json.dumps(record) + "\n")
                        results[key] = record
                        continue
                    if size == "full" and places.main_job and from_main_job(strata, places, results, task, kind, seed):
                        continue
                    train_and_eval(strata, places, results, task, size, kind, {}, seed, "confirm")


def table(work):
    results = list(load_results(work).values())
    def cell(rows, field="test"):
        xs = [r[field] for r in rows if r[field] is not None]
        if not xs:
            return "—"
        text = f"{100 * statistics.mean(xs):.1f} ± {100 * statistics.stdev(xs):.1f}" if len(xs) > 1 else f"{100 * xs[0]:.1f}"
        if len(xs) == 1 and rows[0]["kind"] in SEED_FREE and rows[0]["stage"] == "confirm":
            return f"{text} (no seed: one fit)"
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
    print("| task | size (training examples) | " + " | ".join(KINDS) + " |")
    print("|---|---|" + "---|" * len(KINDS))
    for task in TASKS:
        for size in sizes:
            rows = [r for r in results if r["stage"] == "confirm" and r["task"] == task and r["size"] == size]
            if rows:
                print(f"| {task} | {size_label(size, rows)} | " + " | ".join(cell([r for r in rows if r["kind"] == k]) for k in KINDS) + " |")


def size_label(size, rows):
    """"full (6,828)"; a full split smaller than a size the sweep asked for also stands for that size."""
    n = next((r["train_records"] for r in rows if r.get("train_records")), None)
    if n is None:
        return size
    text = f"{size} ({n:,})"
    covered = [s for s, m in SIZES.items() if size == "full" and m is not None and m >= n]
    return text + "".join(f", also the ≈{SIZES[s]:,} row" for s in covered)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", choices=["capture", "grid", "compare", "confirm", "table"])
    ap.add_argument("--work", default=str(HOME / "probe-sweep"), help="captures, runs and results (default: $STRATA_HOME/probe-sweep)")
    ap.add_argument("--strata", default=str(ROOT / ".build" / "release" / "strata"))
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--sizes", default=",".join(SIZES))
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--seeds", default="1,2,3", help="confirm: seeds to train")
    ap.add_argument("--max-rung", type=int, default=1, help="grid: stop after this rung (0 = seed 1 only)")
    ap.add_argument("--main-job", help="a finished `tools/main-job --work DIR` folder: its captures are the committed splits "
                                       "(not captured again) and its probes the full-size confirm runs")
    ap.add_argument("--dev", default=str(HOME / "main-job" / "quick" / "captures"),
                    help="the dev captures (the main job's --quick captures; default: $STRATA_HOME/main-job/quick/captures)")
    ap.add_argument("--draw-from", choices=["capture", "jsonl"], default="capture",
                    help="capture: training subsets drawn from the full training capture by `strata split` (default); "
                         "jsonl: drawn from the committed JSONL split (stratified, seeded) and only they captured")
    ap.add_argument("--candidates", default="", help="compare: candidate labels of the one --kinds kind, ';'-separated")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    places = Places(work, Path(args.main_job) if args.main_job else None, Path(args.dev))
    tasks, sizes, kinds = args.tasks.split(","), args.sizes.split(","), args.kinds.split(",")
    for t in tasks:
        if t not in TASKS:
            ap.error(f"--tasks: unknown task {t!r} (known: {', '.join(TASKS)})")
    for s in sizes:
        if s not in SIZES:
            ap.error(f"--sizes: unknown size {s!r} (known: {', '.join(SIZES)})")
    seeds = [int(x) for x in args.seeds.split(",")]
    if args.stage == "capture":
        capture(args.strata, places, tasks, sizes, args.draw_from)
    elif args.stage == "grid":
        grid(args.strata, places, tasks, kinds, args.max_rung)
    elif args.stage == "compare":
        if len(kinds) != 1 or not args.candidates:
            ap.error("compare: give one --kinds kind and --candidates 'LABEL;LABEL'")
        compare(args.strata, places, tasks, sizes, kinds[0], args.candidates.split(";"), seeds)
    elif args.stage == "confirm":
        confirm(args.strata, places, tasks, sizes, kinds, seeds)
    else:
        table(work)


if __name__ == "__main__":
    main()
