#!/usr/bin/env python3
"""Acceptance benchmark of the lossy q8 tier (issue 17): the main job's probes and baselines trained and
evaluated on the same captures stored as bf16 and as q8, several seeds, side by side.

For each task (Rotten Tomatoes: accuracy; safety: F1, the metrics tools/main-job selects on) it
converts every split with `strata convert --dtype q8` (unless already converted), trains each probe
kind with the main job's options (tools/main-job's PROBES: learning rates and --quick epochs) for
each seed on both stores, evaluates on the test split, and writes a markdown table with sizes, the
recorded q8 error figures, per-seed metrics, mean ± sd, and whether q8 stays within the bf16 seed
spread (max − min over seeds) or 0.5 point.

    nice benchmarks/q8_probes.py [--captures DIR] [--work DIR] [--seeds 3] [--out benchmarks/q8-probes.md]

Captures default to the main job's quick ones (tools/main-job --quick). Everything is reused when
rerun (converted splits, trained checkpoints, evaluations).
"""
import argparse
import importlib.machinery
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOME = Path.home() / ".cache" / "strata"


def main_job_settings():
    """PROBES and TASKS from tools/main-job (one definition of the training options)."""
    loader = importlib.machinery.SourceFileLoader("main_job", str(ROOT / "tools" / "main-job"))
    spec = importlib.util.spec_from_loader("main_job", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module.PROBES, module.TASKS


def run(cmd, capture=False):
    print("$ " + " ".join(map(str, cmd)), flush=True)
    done = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE if capture else None, text=True)
    if done.returncode != 0:
        sys.exit(f"failed (exit {done.returncode}): {' '.join(map(str, cmd))}")
    return done.stdout


def seed_metrics(args, runs, base, probe, opts, metric):
    """Trains `probe` on base/train (validating on base/val) for each seed, unless its checkpoint under
    `runs` exists, evaluates it on base/test once, and returns the test `metric` per seed."""
    metrics = []
    for seed in range(1, args.seeds + 1):
        rundir = runs / f"{probe}-seed{seed}"
        rundir.mkdir(parents=True, exist_ok=True)
        ckpt, evaluation = rundir / "probe.strata-probe", rundir / "eval.json"
        if not ckpt.exists():
            run([args.strata, "train", "--data", base / "train", "--val", base / "val", "--probe", probe,
                 "--out", ckpt, "--seed", seed, "--epochs", opts["epochs"][1], "--lr", opts["lr"],
                 "--metric", metric, "--quiet"] + opts["extra"])
        if not evaluation.exists():
            evaluation.write_text(run([args.strata, "eval", "--probe", ckpt, "--data", base / "test", "--json"], capture=True))
        metrics.append(json.loads(evaluation.read_text())[metric])
    return metrics


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--captures", type=Path, default=HOME / "main-job" / "quick" / "captures",
                    help="bf16 captures: TASK/{train,val,test} dataset directories (default: the main job's quick ones)")
    ap.add_argument("--work", type=Path, default=HOME / "q8-job", help="converted splits, checkpoints and evaluations")
    ap.add_argument("--strata", type=Path, default=ROOT / ".build" / "release" / "strata")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--max-rel-error", default="0.01", help="q8 bound for the conversion")
    ap.add_argument("--probes", default="pooling,gate,mha,last-token,mean-last")
    ap.add_argument("--tasks", default="rotten_tomatoes,safety", help="tasks to run (the report covers these)")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=DIR",
                    help="also train on the prototype store DIR/TASK/{train,val,test} (benchmarks/q8_variants.py --write), "
                         "for the tasks it has, with --variant-probes (repeatable)")
    ap.add_argument("--variant-probes", default="pooling,gate,mha,last-token,mean-last")
    ap.add_argument("--train-only", choices=["bf16", "q8"],
                    help="only train and evaluate on this store (to run the two in parallel); no report")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "q8-probes.md")
    args = ap.parse_args()
    probes, tasks = main_job_settings()
    wanted = args.probes.split(",")
    options = {name: opts for name, opts in probes if name in wanted}
    # Capture directory names as tools/main-job writes them (the safety set is captured as chat turns).
    task_dirs = {"rotten_tomatoes": "rotten_tomatoes", "safety": "safety-chat"}
    results = {"captures": str(args.captures), "max_rel_error": args.max_rel_error, "seeds": args.seeds, "tasks": {}}
    started = time.time()
    for task, directory in task_dirs.items():
        if task not in args.tasks.split(","):
            continue
        metric = tasks[task]["metric"]
        stores = {"bf16": args.captures / directory, "q8": args.work / "q8" / directory}
        for split in ("train", "val", "test"):
            target = stores["q8"] / split
            if not (target / "manifest.json").exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                run([args.strata, "convert", stores["bf16"] / split, "--out", target, "--dtype", "q8",
                     "--max-rel-error", args.max_rel_error])
        entry = {"metric": metric, "inspect": {}, "probes": {}, "variants": {}}
        for store, base in stores.items():
            entry["inspect"][store] = {split: json.loads(run([args.strata, "inspect", base / split, "--json"], capture=True))
                                       for split in ("train", "val", "test")}
        for probe, opts in options.items():
            entry["probes"][probe] = {}
            for store, base in stores.items():
                if args.train_only and store != args.train_only:
                    continue
                entry["probes"][probe][store] = seed_metrics(args, args.work / "runs" / directory / store, base, probe, opts, metric)
        for spec in args.variant:
            name, root = spec.split("=", 1)
            base = Path(root).expanduser() / directory
            if not (base / "test" / "manifest.json").exists():
                continue
            for probe in args.variant_probes.split(","):
                entry["variants"].setdefault(name, {})[probe] = seed_metrics(
                    args, args.work / "runs" / directory / name, base, probe, options[probe], metric)
        results["tasks"][task] = entry
    if args.train_only:
        return
    results["seconds"] = time.time() - started
    (args.work / "q8-probes.json").write_text(json.dumps(results, indent=1))
    args.out.write_text(report(results))
    print(args.out.read_text())


def report(results):
    lines = [f"Probe test metrics on the same captures stored as bf16 and as q8 (`strata convert --dtype q8 --max-rel-error "
             f"{results['max_rel_error']}`), {results['seeds']} seeds, training options of tools/main-job --quick. "
             "Points are metric × 100. *Spread* is the bf16 seed spread (max − min); q8 passes when its mean is within "
             "max(spread, 0.5) of the bf16 mean. Produced by `benchmarks/q8_probes.py`.", ""]
    for task, entry in results["tasks"].items():
        bf16, q8 = entry["inspect"]["bf16"]["train"], entry["inspect"]["q8"]["train"]
        e = q8["quantization"]["rel_error"] or {}
        lines += [f"### {task} ({entry['metric']}, test split of {entry['inspect']['bf16']['test']['records']} records)", "",
                  f"Train split: {bf16['records']} records, {bf16['tokens']} tokens. Hidden-state bytes: raw bf16 "
                  f"{bf16['raw_bytes']:,}, bf16 Strata {bf16['stored_bytes']:,} ({bf16['raw_bytes'] / bf16['stored_bytes']:.3f}×), "
                  f"q8 {q8['stored_bytes']:,} (**{q8['raw_bytes'] / q8['stored_bytes']:.3f}× smaller than raw bf16, "
                  f"{bf16['stored_bytes'] / q8['stored_bytes']:.3f}× smaller than bf16 Strata**). Whole files, with the "
                  f"next-token log-probabilities each record carries: {bf16['file_bytes']:,} → {q8['file_bytes']:,} "
                  f"({bf16['file_bytes'] / q8['file_bytes']:.3f}×). q8 relative L2 error per vector: mean {e.get('mean', 0):.4f}, "
                  f"p50 {e.get('p50', 0):.4f}, p99 {e.get('p99', 0):.4f}, max {e.get('max', 0):.4f} over {e.get('vectors', 0):,} vectors.", "",
                  "| probe | bf16 per seed | bf16 mean ± sd | q8 per seed | q8 mean ± sd | q8 − bf16 | spread | within |",
                  "|---|---|---|---|---|---|---|---|"]
        for probe, stores in entry["probes"].items():
            b, q = [100 * x for x in stores["bf16"]], [100 * x for x in stores["q8"]]
            sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0  # noqa: E731
            spread = max(b) - min(b)
            diff = statistics.mean(q) - statistics.mean(b)
            ok = abs(diff) <= max(spread, 0.5) + 1e-9
            lines.append(f"| {probe} | {', '.join(f'{x:.2f}' for x in b)} | {statistics.mean(b):.2f} ± {sd(b):.2f} | "
                         f"{', '.join(f'{x:.2f}' for x in q)} | {statistics.mean(q):.2f} ± {sd(q):.2f} | {diff:+.2f} | "
                         f"{spread:.2f} | {'yes' if ok else '**no**'} |")
        lines.append("")
        if entry.get("variants"):
            lines += [f"Prototype variants (benchmarks/q8_variants.py reconstructions, stored exactly as f32), {task}:", "",
                      "| variant | probe | per seed | mean ± sd | − bf16 mean | bf16 spread | within |", "|---|---|---|---|---|---|---|"]
            for name, probes in entry["variants"].items():
                for probe, values in probes.items():
                    v, b = [100 * x for x in values], [100 * x for x in entry["probes"][probe]["bf16"]]
                    spread = max(b) - min(b)
                    diff = statistics.mean(v) - statistics.mean(b)
                    sd = statistics.stdev(v) if len(v) > 1 else 0.0
                    ok = abs(diff) <= max(spread, 0.5) + 1e-9
                    lines.append(f"| {name} | {probe} | {', '.join(f'{x:.2f}' for x in v)} | {statistics.mean(v):.2f} ± {sd:.2f} | "
                                 f"{diff:+.2f} | {spread:.2f} | {'yes' if ok else '**no**'} |")
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
