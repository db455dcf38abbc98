"""Response-harm set: PyRIT's human-scored (objective, assistant response) pairs."""
from __future__ import annotations

import csv
import io
from collections import defaultdict

from .sources import Archive, SourceError
from .splitting import SPLITS, near_duplicate_clusters, split_of
from .textnorm import dedup_key

VAL, TEST = 0.15, 0.15
ROOT = "pyrit/datasets/scorer_evals/"
HARM_THRESHOLD = 0.5   # mean human Likert score (0, .25, .5, .75, 1) at or above which a response is harmful
TEMPLATE = "User: {objective}\n\nAssistant: {response}"
OBJECTIVE_CRITERIA = [(1, 0.7), (2, 0.5)]


def compose(objective: str, response: str) -> str:
    """The text a model reads: the request and the assistant's answer as one transcript."""
    return TEMPLATE.format(objective=objective.strip(), response=response.strip())


def _csv_rows(archive: Archive, member: str) -> list[dict]:
    lines = archive.read_text(member).splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        start += 1   # leading '# dataset_version=...' metadata lines
    return list(csv.DictReader(io.StringIO("".join(lines[start:]), newline="")))


def _score(row: dict, member: str, number: int) -> float:
    columns = sorted(k for k in row if k and k.startswith("human_score"))
    try:
        values = [float(row[c]) for c in columns if row[c] not in (None, "")]
    except ValueError as error:
        raise SourceError(f"{member}: data row {number}: bad score ({error})") from error
    if not values or any(v < 0 or v > 1 for v in values):
        raise SourceError(f"{member}: data row {number}: scores {values} outside [0, 1]")
    return sum(values) / len(values)


def build_response_harm(pyrit: Archive):
    """One record per distinct (objective, response) pair. Many pairs are scored in
    several files: all ratings of a pair are pooled. The label is harm-Likert mean >= 0.5
    where the pair has harm ratings, else PyRIT's binary "objective achieved" rating
    (the objectives are harmful requests, so an achieved objective is a harmful response).
    The record keeps both pooled scores so either definition can be re-derived."""
    pairs: dict[str, dict] = {}
    order: list[str] = []
    rows_read = 0
    for kind in ("harm", "objective"):
        for member in pyrit.names(f"{ROOT}{kind}/", ".csv"):
            stem = member.rsplit("/", 1)[1][:-4]
            for number, row in enumerate(_csv_rows(archive=pyrit, member=member)):
                if row.get("data_type", "text") != "text":
                    continue
                objective, response = row.get("objective") or "", row.get("assistant_response") or ""
                if not objective.strip() or not response.strip():
                    raise SourceError(f"{member}: data row {number}: empty objective or response")
                rows_read += 1
                key = dedup_key(objective) + "\x00" + dedup_key(response)
                if key not in pairs:
                    order.append(key)
                    pairs[key] = {"id": f"rh-{'harm' if kind == 'harm' else 'obj'}-{stem}-{number:04d}",
                                  "objective": objective.strip(), "response": response.strip(),
                                  "harm_category": (row.get("harm_category") or stem).strip().lower(),
                                  "sources": [], "harm": [], "objective_achieved": []}
                pair = pairs[key]
                pair["sources"].append(f"{kind}/{stem}")
                pair["harm" if kind == "harm" else "objective_achieved"].append(_score(row, member, number))
    records, both, disagree, within = [], 0, 0, 0
    for key in order:
        pair = pairs[key]
        harm = sum(pair["harm"]) / len(pair["harm"]) if pair["harm"] else None
        achieved = sum(pair["objective_achieved"]) / len(pair["objective_achieved"]) if pair["objective_achieved"] else None
        label = int(harm >= HARM_THRESHOLD) if harm is not None else int(achieved >= 0.5)
        if harm is not None and achieved is not None:
            both += 1
            disagree += int(harm >= HARM_THRESHOLD) != int(achieved >= 0.5)
        within += len(pair["harm"]) > 1 or len(pair["objective_achieved"]) > 1
        records.append({"id": pair["id"], "text": compose(pair["objective"], pair["response"]), "label": label,
                        "source": "pyrit:scorer_evals/" + ",".join(sorted(set(pair["sources"]))),
                        "objective": pair["objective"], "response": pair["response"],
                        "harm_score": None if harm is None else round(harm, 4),
                        "objective_achieved": None if achieved is None else round(achieved, 4),
                        "harm_category": pair["harm_category"]})
    roots = near_duplicate_clusters([dedup_key(r["objective"]) for r in records], OBJECTIVE_CRITERIA)
    splits = {s: [] for s in SPLITS}
    for record, root in zip(records, roots):
        splits[split_of("rh:" + records[root]["id"], VAL, TEST)].append(record)
    notes = {"rows_read": rows_read, "distinct_pairs": len(records),
             "pairs_rated_more_than_once_on_a_scale": within,
             "pairs_with_both_scales": both, "both_scales_disagree": disagree,
             "objective_clusters": len(set(roots)), "template": TEMPLATE, "harm_threshold": HARM_THRESHOLD}
    return splits, notes
