#!/usr/bin/env python3
"""Independent check of the pooling probe (issue 4): scikit-learn logistic regression on the
probe's own input features must reach the pooling probe's test accuracy within --bound points.

The features come from `strata features` (per-token RMS normalisation, mean over valid tokens,
mean over layers: exactly what `strata train --probe pooling` feeds its linear head, by shared
code). scikit-learn's LogisticRegression is fitted on the train split twice: with the default
C = 1, and with C chosen on the validation split from a small grid. The pooling probe is trained
by `strata train` with the main job's settings (tools/main-job: lr 5e-3, at most 10 epochs, early
stopping on validation accuracy, decision threshold chosen on validation), one run per seed, and
scored by `strata eval` on the test split. The check compares the probe's mean test accuracy with
the tuned-C logistic regression's.

  python3 checks/check_sklearn_pooling.py --train TRAIN --val VAL --test TEST [--work DIR] [--json OUT]

Datasets are directories written by `strata capture` (or shard files); they are only read.
Options: --strata PATH (default .build/release/strata), --seeds 1,2,3, --epochs 10, --lr 5e-3,
--layers all, --bound 1.0. Exit status 1 when the gap exceeds the bound.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

C_GRID = [1e-3, 1e-2, 1e-1, 1, 10, 100, 1000]


def features(strata, data, out, layers, kind="pooling"):
    """Runs `strata features` for a head-only probe kind (pooling: mean over tokens, mean over layers; last-token,
    mean-last: that token readout of one layer; all rms-normalised): X [N, d], labels and ids."""
    subprocess.run([strata, "features", "--data", data, "--out", out, "--layers", layers, "--probe", kind, "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    x = np.load(out).astype(np.float64)
    side = json.load(open(out[:-4] + ".json"))
    y = np.array(side["labels"])
    keep = y >= 0
    return x[keep], y[keep], [i for i, k in zip(side["ids"], keep) if k]


def logistic_regression(xtr, ytr, xva, yva, xte, yte, c_grid=C_GRID):
    """Test accuracy with the default C and with C chosen from `c_grid` on validation accuracy (ties: smaller C)."""
    from sklearn.linear_model import LogisticRegression

    def fit(c):
        return LogisticRegression(C=c, max_iter=10000).fit(xtr, ytr)

    default = fit(1.0)
    grid = []
    for c in c_grid:
        m = fit(c)
        grid.append({"C": c, "val": float(m.score(xva, yva)), "test": float(m.score(xte, yte))})
    best = max(grid, key=lambda g: (g["val"], -g["C"]))
    tuned_probabilities = fit(best["C"]).predict_proba(xte)[:, 1]
    return {"default_C": {"C": 1.0, "val": float(default.score(xva, yva)), "test": float(default.score(xte, yte))},
            "tuned_C": best, "grid": grid}, tuned_probabilities


def paired_comparison(p_probe, threshold, p_lr, y):
    """How two classifiers' test predictions relate: agreement, correlation of their logits, and the
    standard error of their accuracy difference from the discordant records (McNemar's pairing)."""
    a, b = p_probe >= threshold, p_lr >= 0.5
    right_a, right_b = a == (y == 1), b == (y == 1)
    n01, n10, n = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum()), len(y)
    logit = lambda p: np.log(np.clip(p, 1e-7, 1 - 1e-7) / np.clip(1 - p, 1e-7, 1))
    return {"agreement": float((a == b).mean()), "logit_correlation": float(np.corrcoef(logit(p_probe), logit(p_lr))[0, 1]),
            "discordant": [n01, n10], "difference_se": float(np.sqrt(max(n01 + n10 - (n01 - n10) ** 2 / n, 0)) / n)}


def pooling_probe(strata, train, val, test, work, seeds, epochs, lr, layers, ids, y, p_lr):
    runs = []
    for seed in seeds:
        ckpt = os.path.join(work, f"pooling-seed{seed}.strata-probe")
        t0 = time.time()
        subprocess.run([strata, "train", "--data", train, "--val", val, "--probe", "pooling", "--out", ckpt, "--seed", str(seed),
                        "--epochs", str(epochs), "--lr", str(lr), "--metric", "accuracy", "--layers", layers, "--quiet",
                        "--log", ckpt + ".log.jsonl"], check=True, stdout=subprocess.DEVNULL)
        seconds = time.time() - t0
        ev = lambda *extra: json.loads(subprocess.run([strata, "eval", "--probe", ckpt, "--data", test, "--json", *extra],
                                                      check=True, capture_output=True, text=True).stdout)
        predictions = ckpt + ".test-predictions.jsonl"
        chosen, half = ev("--predictions", predictions), ev("--threshold", "0.5")
        by_id = {r["id"]: r["probability"] for r in map(json.loads, open(predictions))}
        p_probe = np.array([by_id[i] for i in ids])
        log = [json.loads(l) for l in open(ckpt + ".log.jsonl") if l.strip()]
        runs.append({"seed": seed, "test": chosen["accuracy"], "threshold": chosen.get("threshold"), "test_at_0.5": half["accuracy"],
                     "epochs_run": len(log), "best_val": max(r["val_metric"] for r in log), "train_seconds": seconds,
                     "vs_tuned_lr": paired_comparison(p_probe, chosen.get("threshold") or 0.5, p_lr, y)})
    acc = np.array([r["test"] for r in runs])
    mean_of = lambda key: float(np.mean([r["vs_tuned_lr"][key] for r in runs]))
    return {"runs": runs, "mean": float(acc.mean()), "std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
            "mean_at_0.5": float(np.mean([r["test_at_0.5"] for r in runs])),
            "vs_tuned_lr": {k: mean_of(k) for k in ("agreement", "logit_correlation", "difference_se")}}


def split_arguments(p):
    """The options every scikit-learn check takes: the binary, the three splits, a work folder and a JSON output."""
    p.add_argument("--strata", default=".build/release/strata")
    p.add_argument("--train", required=True)
    p.add_argument("--val", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--work", help="folder for features and probes (default: a temporary folder, removed)")
    p.add_argument("--json", help="write the results here")


def work_folder(a):
    """The --work folder (created), or a temporary one; the second value is what to clean up (None for --work)."""
    tmp = None if a.work else tempfile.TemporaryDirectory()
    work = a.work or tmp.name
    os.makedirs(work, exist_ok=True)
    return work, tmp


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    split_arguments(p)
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", default="5e-3")
    p.add_argument("--layers", default="all")
    p.add_argument("--bound", type=float, default=1.0, help="largest allowed gap in accuracy points (default 1)")
    p.add_argument("--se-bound", type=float, default=0.0,
                   help="small test sets: also allow a gap of up to this many standard errors of the paired accuracy "
                        "difference (0 = off, the default: the plain --bound)")
    a = p.parse_args()
    seeds = [int(s) for s in a.seeds.split(",") if s]
    work, tmp = work_folder(a)
    t0 = time.time()
    xs = {}
    for split, path in (("train", a.train), ("val", a.val), ("test", a.test)):
        xs[split] = features(a.strata, path, os.path.join(work, f"features-{split}.npy"), a.layers)
        print(f"features {split}: {xs[split][0].shape} ({time.time() - t0:.0f}s)", file=sys.stderr, flush=True)
    lr, p_lr = logistic_regression(*xs["train"][:2], *xs["val"][:2], *xs["test"][:2])
    probe = pooling_probe(a.strata, a.train, a.val, a.test, work, seeds, a.epochs, a.lr, a.layers, xs["test"][2], xs["test"][1], p_lr)
    gap = abs(probe["mean"] - lr["tuned_C"]["test"]) * 100
    bound = max(a.bound, a.se_bound * probe["vs_tuned_lr"]["difference_se"] * 100)
    result = {"train": a.train, "val": a.val, "test": a.test, "records": {k: int(v[0].shape[0]) for k, v in xs.items()},
              "logistic_regression": lr, "pooling_probe": probe, "gap_points": gap, "bound_points": bound,
              "ok": gap <= bound, "seconds": time.time() - t0}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)
    d, t = lr["default_C"], lr["tuned_C"]
    runs = ", ".join(f"{r['test']:.4f}" for r in probe["runs"])
    print(f"records: train {result['records']['train']}, val {result['records']['val']}, test {result['records']['test']}")
    print(f"scikit-learn LogisticRegression, C=1:               test accuracy {d['test']:.4f} (val {d['val']:.4f})")
    print(f"scikit-learn LogisticRegression, C={t['C']:g} (on val): test accuracy {t['test']:.4f} (val {t['val']:.4f})")
    print(f"strata pooling probe, seeds {a.seeds}: test accuracy {probe['mean']:.4f} ± {probe['std']:.4f} "
          f"(runs {runs}; at threshold 0.5: {probe['mean_at_0.5']:.4f})")
    v = probe["vs_tuned_lr"]
    print(f"probe vs tuned-C LR on test (mean over seeds): predictions agree on {v['agreement']:.1%}, logit correlation "
          f"{v['logit_correlation']:.3f}, standard error of the paired accuracy difference {v['difference_se'] * 100:.2f} points")
    print(f"gap {gap:.2f} points -> {'OK' if gap <= bound else 'FAIL'} (bound {bound:.2f})")
    if tmp:
        tmp.cleanup()
    sys.exit(0 if gap <= bound else 1)


if __name__ == "__main__":
    main()
