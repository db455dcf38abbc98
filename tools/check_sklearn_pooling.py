#!/usr/bin/env python3
"""Independent check of the pooling probe: scikit-learn logistic regression on the same mean-pooled
features (mean over valid tokens per layer, then mean over layers) must reach the same test accuracy
as `strata train --probe pooling` within 1 point. Both classify at P = 0.5 (the probe's
validation-chosen threshold is overridden with `strata eval --threshold 0.5`) so the comparison is
between the two linear models, not threshold tuning.

  python3 tools/check_sklearn_pooling.py                          # synthetic train/test shards (written here)
  python3 tools/check_sklearn_pooling.py --train A --test B       # existing datasets (shard files or directories)
Options: --strata PATH (default .build/release/strata), --epochs, --lr, --seed. Exit status 1 if the gap > 1 point.
Needs numpy, zstandard, scikit-learn; reads shards with tools/strata_format.py (an independent reader).
"""
import argparse, json, os, subprocess, sys, tempfile
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import strata_format as sf  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402


def write_synthetic(path, n, seed, layers=9, hidden=64):
    """Noise plus a class direction on a random subset of tokens in the middle layers."""
    rng = np.random.default_rng(seed)
    direction = np.random.default_rng(7).normal(size=hidden).astype(np.float32)
    direction /= np.linalg.norm(direction)
    meta = {"hidden": hidden, "layers": [{"index": i, "kind": "embedding" if i == 0 else "block"} for i in range(layers)],
            "dtype": "f16", "label_names": ["negative", "positive"], "auxiliary": [], "tool_version": "check_sklearn_pooling",
            "extra": {}, "layer_semantics": "hf_output_hidden_states"}
    w = sf.Writer(path, meta, level=1)
    for i in range(n):
        y = int(rng.integers(0, 2))
        t = int(rng.integers(8, 41))
        v = rng.normal(size=(layers, t, hidden)).astype(np.float32)
        v += rng.normal(size=(1, 1, hidden)).astype(np.float32) * 0.3          # per-record offset (nuisance)
        tokens = rng.random(t) < 0.3
        v[3:7, tokens, :] += (1.6 if y else -1.6) * direction
        w.append({"id": f"r{i}", "labels": [y], "token_ids": list(range(t)), "text": None, "metadata": {}, "auxiliary": {}},
                 v, tiles=[(0, layers, 0, t)])
    w.close()


def shard_paths(path):
    """A shard file, or a dataset directory's shards in manifest order."""
    if not os.path.isdir(path):
        return [path]
    manifest = json.load(open(os.path.join(path, "manifest.json")))
    return [os.path.join(path, s["path"]) for s in manifest["shards"]]


def pooled_features(path):
    xs, ys = [], []
    for shard in shard_paths(path):
        _, recs = sf.read_shard(shard)
        xs += [r["values"].mean(axis=1).mean(axis=0) for r in recs]   # tokens, then layers
        ys += [r["labels"][0] for r in recs]
    return np.stack(xs).astype(np.float64), np.array(ys)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--strata", default=".build/release/strata")
    p.add_argument("--train"); p.add_argument("--test")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tuned", action="store_true",
                   help="compare against StandardScaler + LogisticRegressionCV (C chosen by 5-fold CV on train) instead of "
                        "plain LogisticRegression(C=1); for real hidden states, whose raw scale (values in the thousands) "
                        "leaves C=1 effectively unregularised")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        train, test = a.train, a.test
        if not train:
            train, test = os.path.join(tmp, "train.strata"), os.path.join(tmp, "test.strata")
            write_synthetic(train, 1200, 1)
            write_synthetic(test, 600, 2)
        xtr, ytr = pooled_features(train)
        xte, yte = pooled_features(test)
        if a.tuned:
            from sklearn.linear_model import LogisticRegressionCV
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler
            clf = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=10, cv=5, max_iter=5000)).fit(xtr, ytr)
        else:
            clf = LogisticRegression(max_iter=5000).fit(xtr, ytr)
        sk_acc = float((clf.predict(xte) == yte).mean())

        ckpt = os.path.join(tmp, "pooling.probe")
        subprocess.run([a.strata, "train", "--data", train, "--probe", "pooling", "--out", ckpt, "--epochs", str(a.epochs),
                        "--lr", str(a.lr), "--weight-decay", "0", "--normalize", "none", "--metric", "accuracy", "--patience", "0",
                        "--val-fraction", "0.1", "--seed", str(a.seed), "--quiet"], check=True)
        report = json.loads(subprocess.run([a.strata, "eval", "--probe", ckpt, "--data", test, "--json", "--threshold", "0.5"],
                                           check=True, capture_output=True, text=True).stdout)
        st_acc = report["accuracy"]
    gap = abs(st_acc - sk_acc) * 100
    name = "StandardScaler + LogisticRegressionCV" if a.tuned else "LogisticRegression"
    print(f"scikit-learn {name} on mean-pooled features: test accuracy {sk_acc:.4f}")
    print(f"strata pooling probe:                                  test accuracy {st_acc:.4f}")
    print(f"gap {gap:.2f} points -> {'OK (within 1 point)' if gap <= 1 else 'FAIL (more than 1 point)'}")
    sys.exit(0 if gap <= 1 else 1)


if __name__ == "__main__":
    main()
