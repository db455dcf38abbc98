"""Deterministic split assignment, near-duplicate clustering and committed id lists."""
from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from pathlib import Path

from .textnorm import jaccard, shingles

SEED = "strata-data-v1"
SPLITS = ("train", "val", "test")


class SplitMismatch(Exception):
    """The ids that were built differ from the committed id lists."""


def unit_hash(key: str, seed: str = SEED) -> float:
    """Uniform number in [0, 1) derived from SHA-256(seed + ":" + key): stable across
    machines, Python versions and runs (unlike hash())."""
    digest = hashlib.sha256(f"{seed}:{key}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def split_of(key: str, val: float, test: float) -> str:
    """Maps a stable key to train/val/test with probabilities (1-val-test, val, test)."""
    u = unit_hash(key)
    if u < test:
        return "test"
    if u < test + val:
        return "val"
    return "train"


class UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int):
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def near_duplicate_clusters(keys: list[str], criteria: list[tuple[int, float]]) -> list[int]:
    """Single-linkage clusters of normalised texts. Two texts are linked when, for any
    (size, threshold) in `criteria`, the Jaccard similarity of their word-`size`-gram sets
    is >= threshold. Returns, for each key, the index of its cluster's first member.
    Candidate pairs come from an inverted index on word unigrams, so only texts that share
    a word are compared."""
    shingle_sets = [[shingles(k, size) for k in keys] for size, _ in criteria]
    words = [frozenset(k.split()) for k in keys]
    index: dict[str, list[int]] = defaultdict(list)
    for i, w in enumerate(words):
        for g in w:
            index[g].append(i)
    uf = UnionFind(len(keys))
    for i in range(len(keys)):
        candidates = set()
        for g in words[i]:
            candidates.update(j for j in index[g] if j > i)
        for j in candidates:
            for (_, threshold), sets in zip(criteria, shingle_sets):
                a, b = sets[i], sets[j]
                if min(len(a), len(b)) / max(len(a), len(b)) >= threshold and jaccard(a, b) >= threshold:
                    uf.union(i, j)
                    break
    return [uf.find(i) for i in range(len(keys))]


def check_or_write(set_dir: Path, built: dict[str, list[str]], write: bool, log) -> None:
    """Compares built id lists with samples/splits/<set>/<split>.txt, or writes them."""
    if write:
        set_dir.mkdir(parents=True, exist_ok=True)
        for split, ids in built.items():
            (set_dir / f"{split}.txt").write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
        log(f"  wrote id lists to {set_dir}")
        return
    problems = []
    for split, ids in built.items():
        path = set_dir / f"{split}.txt"
        if not path.exists():
            problems.append(f"{path} is missing (run tools/fetch-data --write-splits)")
            continue
        committed = path.read_text(encoding="utf-8").split()
        if committed != ids:
            extra = sorted(set(ids) - set(committed))
            missing = sorted(set(committed) - set(ids))
            problems.append(f"{path}: built {len(ids)} ids, committed {len(committed)}; "
                            f"{len(extra)} not committed (e.g. {extra[:3]}), "
                            f"{len(missing)} committed but not built (e.g. {missing[:3]})"
                            + ("; same ids, different order" if not extra and not missing else ""))
    if problems:
        raise SplitMismatch("\n".join(problems))
    log(f"  splits match {set_dir}")


def hashed_subset(src: Path, dst: Path, n: int) -> Path:
    """A deterministic random subset of n records of a JSONL split: the n ids with the smallest
    SHA-256, kept in file order (split files are grouped by source and label, so taking the first n
    would give a one-class subset). Written atomically; an existing dst is kept as it is."""
    if dst.exists():
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    lines = [line for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    keyed = sorted(range(len(lines)), key=lambda i: hashlib.sha256(json.loads(lines[i])["id"].encode()).hexdigest())
    tmp = Path(str(dst) + ".tmp")
    tmp.write_text("".join(lines[i] + "\n" for i in sorted(keyed[:n])), encoding="utf-8")
    os.replace(tmp, dst)
    return dst
