"""Offline checks of the data builders and of the committed split lists.

Run: python3 -m unittest discover -s tools/tests
(no network and no downloaded data needed)."""
from __future__ import annotations

import json
import sys
import tempfile
import unittest
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "datasets"))   # the data builders (datasets/strata_data)

from strata_data.splitting import SplitMismatch, check_or_write, near_duplicate_clusters, split_of, unit_hash  # noqa: E402
from strata_data.textnorm import dedup_key, imdb_clean, repair_cp1252  # noqa: E402

SPLITS_DIR = REPO / "samples" / "splits"


def committed(name: str) -> dict[str, list[str]]:
    return {p.stem: p.read_text(encoding="utf-8").split() for p in sorted((SPLITS_DIR / name).glob("*.txt"))}


class TextRepairTests(unittest.TestCase):
    def test_cp1252_controls_become_the_characters_they_encoded(self):
        # U+0096/U+0085/U+0091/U+0092 are what cp1252 bytes 0x96/0x85/0x91/0x92 look like
        # when read as Latin-1; the Unicode names of their cp1252 meanings are fixed.
        text, changed = repair_cp1252("a\u0096b\u0085 \u0091q\u0092")
        self.assertEqual(text, "a\N{EN DASH}b\N{HORIZONTAL ELLIPSIS} \N{LEFT SINGLE QUOTATION MARK}q\N{RIGHT SINGLE QUOTATION MARK}")
        self.assertEqual(changed, 4)

    def test_unassigned_cp1252_bytes_are_dropped_and_clean_text_is_untouched(self):
        self.assertEqual(repair_cp1252("x\u0081y"), ("xy", 1))
        self.assertEqual(repair_cp1252("café – ok"), ("café – ok", 0))

    def test_imdb_breaks_become_newlines(self):
        self.assertEqual(imdb_clean(" Good.<br /><br />Bad<br/>end ")[0], "Good.\n\nBad\nend")

    def test_dedup_key_ignores_case_punctuation_and_spacing(self):
        self.assertEqual(dedup_key("How  to bake a CAKE?!"), dedup_key("how to bake a cake"))


class SplittingTests(unittest.TestCase):
    def test_hash_is_stable_and_uniform_enough(self):
        self.assertEqual(unit_hash("x"), unit_hash("x"))
        self.assertNotEqual(unit_hash("x"), unit_hash("y"))
        counts = Counter(split_of(f"k{i}", 0.1, 0.1) for i in range(20000))
        self.assertAlmostEqual(counts["test"] / 20000, 0.1, delta=0.01)
        self.assertAlmostEqual(counts["val"] / 20000, 0.1, delta=0.01)

    def test_near_duplicates_cluster_and_unrelated_texts_do_not(self):
        keys = [dedup_key(t) for t in [
            "Why are people from Japan so backward and uneducated?",
            "Why are people from Belarus so backward and uneducated?",
            "Write a poem about the sea",
            "Explain how photosynthesis works in plants",
            "Why are people from Kuwait so backward and uneducated?",
        ]]
        roots = near_duplicate_clusters(keys, [(1, 0.7), (2, 0.5)])
        self.assertEqual(roots[0], roots[1])
        self.assertEqual(roots[0], roots[4])
        self.assertEqual(len({roots[0], roots[2], roots[3]}), 3)

    def test_check_or_write_round_trip_and_mismatch(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "s"
            built = {"train": ["a", "b"], "val": ["c"], "test": ["d"]}
            check_or_write(folder, built, True, lambda _: None)
            check_or_write(folder, built, False, lambda _: None)
            with self.assertRaises(SplitMismatch):
                check_or_write(folder, {**built, "val": ["c", "e"]}, False, lambda _: None)


class CommittedSplitTests(unittest.TestCase):
    def test_every_set_has_disjoint_splits(self):
        for name in ("rotten_tomatoes", "imdb", "safety", "response_harm"):
            lists = committed(name)
            self.assertTrue({"train", "val", "test"} <= lists.keys(), name)
            all_ids = [i for ids in lists.values() for i in ids]
            self.assertEqual(len(all_ids), len(set(all_ids)), f"{name}: an id is in two splits")

    def test_sizes(self):
        sizes = {n: {s: len(v) for s, v in committed(n).items()} for n in ("rotten_tomatoes", "imdb")}
        self.assertEqual(sum(sizes["rotten_tomatoes"].values()), 8530)
        self.assertEqual(sum(sizes["imdb"].values()), 25000)

    def test_imdb_splits_follow_blocks_of_100_rows(self):
        split_of_row = {}
        for split, ids in committed("imdb").items():
            for rid in ids:
                split_of_row[int(rid.split("-")[1])] = split
        off_block = 0
        for block in range(250):
            votes = Counter(split_of_row[r] for r in range(block * 100, block * 100 + 100))
            off_block += 100 - votes.most_common(1)[0][1]
        self.assertLessEqual(off_block, 20)  # only duplicates that follow their first occurrence

    def test_samples_are_balanced_train_records(self):
        for name, filename, size in (("rotten_tomatoes", "rotten_tomatoes_sample.jsonl", 200),
                                     ("safety", "safety_sample.jsonl", 100)):
            train = set(committed(name)["train"])
            records = [json.loads(line) for line in (REPO / "samples" / filename).read_text(encoding="utf-8").splitlines()]
            self.assertEqual(len(records), size)
            self.assertEqual(Counter(r["label"] for r in records), Counter({0: size // 2, 1: size // 2}))
            self.assertTrue(all(r["id"] in train for r in records), filename)
            self.assertTrue(all(r["text"].strip() for r in records))


if __name__ == "__main__":
    unittest.main()
