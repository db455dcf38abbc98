#!/usr/bin/env python3
"""Independent check of the linear baselines (issue 15): `strata train --probe last-token` and
`--probe mean-last` with their defaults (an L2 logistic regression fitted by L-BFGS, C chosen on
validation) must reach scikit-learn's LogisticRegression, C chosen on the same validation split,
on the probe's own input features, within --bound points of test accuracy.

For each kind, the features come from `strata features --probe KIND` (the last valid token, or the
mean over valid tokens, of the last hidden state, rms-normalised: the vectors the probe's head
reads, by shared code); scikit-learn is fitted on the train split for every C of the grid of
checks/check_sklearn_pooling.py and the C with the best validation accuracy is scored on test.
The probe is trained once per seed (the fit does not depend on the seed; the seeds check that) with
nothing but `--val` and `--metric accuracy`, and scored by `strata eval` on test (threshold chosen
on validation, as `strata eval` reads it from the checkpoint).

  python3 checks/check_sklearn_baselines.py --train TRAIN --val VAL --test TEST [--kinds last-token,mean-last]
      [--strata .build/release/strata] [--seeds 1] [--bound 1.0] [--work DIR] [--json OUT]

Exit status 1 when a kind's gap exceeds the bound. The pooling probe (AdamW; the paper's probe) keeps
its own check, checks/check_sklearn_pooling.py.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_sklearn_pooling import features, logistic_regression, paired_comparison, split_arguments, work_folder  # noqa: E402

# `strata train --solver lbfgs`'s default --c-grid (LogisticRegressionSearch.defaultGrid).
STRATA_GRID = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000]


def baseline_probe(strata, kind, train, val, test, work, seeds, ids, y, p_lr):
    runs = []
    for seed in seeds:
        ckpt = os.path.join(work, f"{kind}-seed{seed}.strata-probe")
        t0 = time.time()
        subprocess.run([strata, "train", "--data", train, "--val", val, "--probe", kind, "--out", ckpt, "--seed", str(seed),
                        "--metric", "accuracy", "--quiet"], check=True, stdout=subprocess.DEVNULL)
        seconds = time.time() - t0
        predictions = ckpt + ".test-predictions.jsonl"
        report = json.loads(subprocess.run([strata, "eval", "--probe", ckpt, "--data", test, "--json", "--predictions", predictions],
                                           check=True, capture_output=True, text=True).stdout)
        by_id = {r["id"]: r["probability"] for r in map(json.loads, open(predictions))}
        p_probe = np.array([by_id[i] for i in ids])
        runs.append({"seed": seed, "test": report["accuracy"], "threshold": report.get("threshold"), "train_seconds": seconds,
                     "vs_tuned_lr": paired_comparison(p_probe, report.get("threshold") or 0.5, p_lr, y)})
    acc = np.array([r["test"] for r in runs])
    return {"runs": runs, "mean": float(acc.mean()), "std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    split_arguments(p)
    p.add_argument("--kinds", default="last-token,mean-last")
    p.add_argument("--seeds", default="1")
    p.add_argument("--bound", type=float, default=1.0, help="largest allowed gap in accuracy points (default 1)")
    a = p.parse_args()
    seeds = [int(s) for s in a.seeds.split(",") if s]
    work, tmp = work_folder(a)
    t0 = time.time()
    result, ok = {"train": a.train, "val": a.val, "test": a.test, "kinds": {}}, True
    for kind in a.kinds.split(","):
        xs = {split: features(a.strata, path, os.path.join(work, f"{kind}-{split}.npy"), "last", kind)
              for split, path in (("train", a.train), ("val", a.val), ("test", a.test))}
        lr, p_lr = logistic_regression(*xs["train"][:2], *xs["val"][:2], *xs["test"][:2], c_grid=STRATA_GRID)
        probe = baseline_probe(a.strata, kind, a.train, a.val, a.test, work, seeds, xs["test"][2], xs["test"][1], p_lr)
        gap = (lr["tuned_C"]["test"] - probe["mean"]) * 100   # positive: strata below scikit-learn
        passed = gap <= a.bound
        ok &= passed
        result["kinds"][kind] = {"records": {k: int(v[0].shape[0]) for k, v in xs.items()}, "logistic_regression": lr,
                                 "probe": probe, "gap_points": gap, "ok": passed}
        t = lr["tuned_C"]
        print(f"{kind}: scikit-learn C={t['C']:g} (on val) test accuracy {t['test']:.4f}; strata {probe['mean']:.4f} "
              f"(seeds {a.seeds}); strata below by {gap:.2f} points -> {'OK' if passed else 'FAIL'} (bound {a.bound})", flush=True)
    result["seconds"] = time.time() - t0
    result["ok"] = ok
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)
    if tmp:
        tmp.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
