#!/usr/bin/env python3
"""Trivial baselines that probe results must be compared against.

Reads the splits built by tools/fetch-data from $STRATA_HOME/data (or --home) and prints
one JSON object:
  safety         TF-IDF bag-of-words + logistic regression, and format-features-only
                 logistic regression: balanced accuracy and AUROC on val/test, plus the
                 robustness set (per subset: recall on harmful and false-positive rate on
                 benign prompts at the 0.5 threshold, plus AUROC where both classes occur).
  response_harm  the same two baselines on the composed (objective, response) text.
  (safety and response_harm also get a log-length-only logistic regression.)
  rotten_tomatoes, imdb  bag-of-words accuracy (and AUROC).
Regularisation strength C is chosen on val (AUROC), then test is scored once.

Usage: checks/safety_baselines.py [--home DIR] [--sets safety,response_harm,rotten_tomatoes,imdb]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

C_GRID = (0.25, 1.0, 4.0, 16.0)
_WORD = re.compile(r"\w+")


def load(path: Path) -> list[dict]:
    if not path.exists():
        sys.exit(f"safety_baselines: {path} is missing; run tools/fetch-data first")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def format_features(texts: list[str]) -> np.ndarray:
    """Surface form only, no vocabulary: length, word shape, punctuation and layout."""
    rows = []
    for t in texts:
        n = max(len(t), 1)
        words = _WORD.findall(t)
        stripped = t.rstrip()
        rows.append([
            np.log1p(len(t)), np.log1p(len(words)),
            (sum(len(w) for w in words) / len(words)) if words else 0.0,
            sum(c.isupper() for c in t) / n, sum(c.isdigit() for c in t) / n,
            sum((not c.isalnum()) and not c.isspace() for c in t) / n,
            np.log1p(t.count("\n")), np.log1p(t.count("?")), np.log1p(t.count('"') + t.count("'")),
            float(stripped.endswith("?")), float(stripped.endswith(".")), float(t[:1].isupper()),
            float(any(ord(c) > 127 for c in t)),
        ])
    return np.asarray(rows, dtype=np.float64)


def length_feature(texts: list[str]) -> np.ndarray:
    """Log character length alone: the weakest 'format' cue."""
    return np.log1p(np.array([[len(t)] for t in texts], dtype=np.float64))


def bow_model(c: float):
    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
                         LogisticRegression(C=c, max_iter=2000, class_weight="balanced"))


def format_model(c: float):
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000, class_weight="balanced"))


def scores(y: np.ndarray, p: np.ndarray) -> dict:
    """Balanced accuracy (threshold 0.5) and AUROC; for a one-class subset only the
    fraction predicted positive is meaningful, so only that is reported."""
    out = {"n": int(len(y)), "positives": int(y.sum())}
    if y.sum() > 0:
        out["recall"] = round(float((p[y == 1] >= 0.5).mean()), 4)
    if y.sum() < len(y):
        out["false_positive_rate"] = round(float((p[y == 0] >= 0.5).mean()), 4)
    if 0 < y.sum() < len(y):
        out["balanced_accuracy"] = round(float(balanced_accuracy_score(y, p >= 0.5)), 4)
        out["accuracy"] = round(float(accuracy_score(y, p >= 0.5)), 4)
        out["auroc"] = round(float(roc_auc_score(y, p)), 4)
    return out


def fit_select(make, featurise, train, val):
    """Fits one model per C on train, keeps the best val AUROC."""
    xtr, ytr = featurise([r["text"] for r in train]), np.array([r["label"] for r in train])
    xva, yva = featurise([r["text"] for r in val]), np.array([r["label"] for r in val])
    best = None
    for c in C_GRID:
        model = make(c).fit(xtr, ytr)
        auc = roc_auc_score(yva, model.predict_proba(xva)[:, 1])
        if best is None or auc > best[0]:
            best = (auc, c, model)
    return best[1], best[2]


def evaluate(make, featurise, splits: dict, extra: dict[str, list[dict]] | None = None) -> dict:
    c, model = fit_select(make, featurise, splits["train"], splits["val"])
    result = {"C": c}
    for name in ("val", "test"):
        recs = splits[name]
        result[name] = scores(np.array([r["label"] for r in recs]), model.predict_proba(featurise([r["text"] for r in recs]))[:, 1])
    for name, recs in (extra or {}).items():
        y = np.array([r["label"] for r in recs])
        p = model.predict_proba(featurise([r["text"] for r in recs]))[:, 1]
        s = scores(y, p)
        s["flagged_harmful"] = round(float((p >= 0.5).mean()), 4)
        result[name] = s
    return result


def identity(texts):
    return texts


def robustness_subsets(records: list[dict]) -> dict[str, list[dict]]:
    groups = {"robustness_all": records}
    for prefix, name in (("sf-rb-past", "robustness_past_tense"), ("sf-rb-future", "robustness_future_tense"),
                         ("sf-rb-tap", "robustness_tap_jailbreaks"), ("sf-rb-jb", "robustness_jailbreak_templates")):
        groups[name] = [r for r in records if r["id"].startswith(prefix)]
    return groups


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("STRATA_HOME", Path.home() / ".cache" / "strata")))
    parser.add_argument("--sets", default="safety,response_harm,rotten_tomatoes,imdb")
    args = parser.parse_args()
    report = {}
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        base = args.home / "data" / name
        splits = {s: load(base / f"{s}.jsonl") for s in ("train", "val", "test")}
        extra = robustness_subsets(load(base / "robustness.jsonl")) if name == "safety" else None
        entry = {"bow_tfidf_logreg": evaluate(bow_model, identity, splits, extra)}
        if name in ("safety", "response_harm"):
            entry["format_features_logreg"] = evaluate(format_model, format_features, splits, extra)
            entry["length_only_logreg"] = evaluate(format_model, length_feature, splits, extra)
        report[name] = entry
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
