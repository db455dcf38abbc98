"""``strata.merge``: gathers shards and datasets into one dataset directory without re-encoding, as
``strata merge`` does (spec/DATASETS.md §2): compatibility checked field by field, duplicate files
and ids refused, shards from datasets checked against their manifests' CRC32C, shards hard-linked
(or copied), and the manifest written last."""
from __future__ import annotations

import json
import os
import shutil
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple

from . import validation
from .errors import StrataError
from .checksum import file_crc32c
from .dataset import Dataset, check_unique_ids
from .manifest import MANIFEST_NAME, manifest_entry, read_manifest, write_manifest
from .metadata import PROMPT_KEYS
from .output_lock import OutputLock
from .shard import Shard

__all__ = ["merge", "first_difference"]

_COMPARED = ("hidden", "layers", "dtype", "model", "tokenizer", "layer_semantics", "label_names", "auxiliary")
_DEFAULTS: Dict[str, Any] = {"layer_semantics": "hf_output_hidden_states", "auxiliary": []}


def _render(value: Any) -> str:
    return "none" if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def first_difference(a: Mapping[str, Any], b: Mapping[str, Any]) -> Optional[Tuple[str, str, str]]:
    """The first field (in ``strata merge``'s order) on which two metadata objects disagree, as
    (field, first value, second value), or None when their records can share a dataset. ``model`` and
    ``tokenizer`` are compared key by key (``model.file_sha256``)."""
    for key in _COMPARED:
        x, y = a.get(key, _DEFAULTS.get(key)), b.get(key, _DEFAULTS.get(key))
        if key == "auxiliary":
            x = [{k: v for k, v in e.items() if v is not None} for e in x or []]
            y = [{k: v for k, v in e.items() if v is not None} for e in y or []]
        if x == y:
            continue
        if key in ("model", "tokenizer") and isinstance(x, dict) and isinstance(y, dict):
            for sub in sorted(set(x) | set(y)):
                if x.get(sub) != y.get(sub):
                    return f"{key}.{sub}", _render(x.get(sub)), _render(y.get(sub))
        return key, _render(x), _render(y)
    for key in PROMPT_KEYS:
        x, y = (a.get("extra") or {}).get(key), (b.get("extra") or {}).get(key)
        if x != y:
            return f"extra.{key}", _render(x), _render(y)
    return None


class _Input(NamedTuple):
    real: str                      # the shard's real path
    label: str                     # how the user named it (for messages)
    listed: Optional[Dict[str, Any]]   # its manifest entry, when it comes from a dataset directory


def _input_shards(path: str) -> List[_Input]:
    """Every shard of an input: a shard file, a dataset directory (its manifest's shards, checked as
    opening the dataset checks them), or a directory without a manifest (its ``*.strata`` files by name)."""
    if os.path.isdir(path):
        if os.path.lexists(os.path.join(path, MANIFEST_NAME)):
            with Dataset(path) as ds:
                assert ds.manifest is not None
                return [_Input(os.path.realpath(shard.path), os.path.join(path, entry["path"]), entry)
                        for shard, entry in zip(ds.shards, ds.manifest["shards"])]
        names = sorted(n for n in os.listdir(path) if n.endswith(".strata"))
        if not names:
            raise StrataError("invalidArgument", "directory has no manifest and no *.strata files", path=path)
        return [_Input(os.path.realpath(os.path.join(path, n)), os.path.join(path, n), None) for n in names]
    if not os.path.lexists(path):
        raise StrataError("io", "no such file or directory", path=path)
    return [_Input(os.path.realpath(path), path, None)]


def _unique_name(name: str, used: Set[str], directory: str) -> str:
    def free(candidate: str) -> bool:
        return candidate not in used and not os.path.lexists(os.path.join(directory, candidate))
    if free(name):
        return name
    stem, ext = os.path.splitext(name)
    k = 2
    while not free(f"{stem}-{k}{ext}"):
        k += 1
    return f"{stem}-{k}{ext}"


def _place(source: str, target: str, mode: str) -> str:
    """Puts a copy of ``source`` at ``target``: a hard link (``link``; a byte copy across file systems)
    or a byte copy (``copy``), written under a temporary name, fsynced and renamed."""
    if mode == "link":
        try:
            os.link(source, target)
            return "linked"
        except OSError:
            pass
    temporary = f"{target}.partial-{os.getpid()}"
    with open(source, "rb") as src, open(temporary, "wb") as dst:
        shutil.copyfileobj(src, dst, 4 << 20)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(temporary, target)
    return "copied"


def merge(inputs: Sequence["str | os.PathLike[str]"], out: "str | os.PathLike[str]", *, mode: str = "link",
          append: bool = False, extra: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Merges shard files and datasets into the dataset directory ``out`` (created if absent) and
    returns its manifest. ``mode``: ``"link"`` (hard links, the default) or ``"copy"``. ``append``
    adds to the dataset already in ``out``; without it a directory with a manifest is refused. Shards
    taken from a dataset directory must still match their manifest's whole-file CRC32C. Raises
    ``StrataError`` naming the field, inputs and values that disagree, or a duplicate file or record id
    (readers refuse a dataset that repeats either, so merge never writes one)."""
    if mode not in ("link", "copy"):
        raise ValueError('mode must be "link" or "copy"')
    if not inputs:
        raise StrataError("invalidArgument", "merge needs at least one input")
    directory = os.fspath(out)
    lock = OutputLock(directory=directory)
    try:
        return _merge([os.fspath(p) for p in inputs], directory, mode, append, extra)
    finally:
        lock.release()


def _merge(inputs: List[str], directory: str, mode: str, append: bool,
           extra: Optional[Mapping[str, str]]) -> Dict[str, Any]:
    manifest_path = os.path.join(directory, MANIFEST_NAME)
    existing: List[Dict[str, Any]] = []
    existing_shards: List[_Input] = []
    reference: Optional[Tuple[Dict[str, Any], str]] = None
    manifest_extra: Dict[str, str] = dict(extra or {})
    if os.path.lexists(manifest_path):
        if not append:
            raise StrataError("invalidArgument", f"already holds a dataset ({MANIFEST_NAME}); pass append=True to add "
                                                  "shards to it, or choose a new output", path=directory)
        manifest = read_manifest(manifest_path)
        existing = manifest["shards"]
        manifest_extra = {**manifest.get("extra", {}), **manifest_extra}
        existing_shards = _input_shards(directory)
        reference = (manifest["metadata"], manifest_path)
    elif append:
        raise StrataError("invalidArgument", f"append=True, but there is no {MANIFEST_NAME} to append to", path=directory)

    incoming = [s for path in inputs for s in _input_shards(path)]
    readers: Dict[str, Shard] = {}
    try:
        seen: Dict[Tuple[int, int], str] = {}
        for real, label, _ in existing_shards + incoming:
            readers[real] = Shard(real)
            identity = readers[real].identity
            if identity in seen:
                raise StrataError("invalidArgument", f"cannot merge: {label} and {seen[identity]} are the same shard file")
            seen[identity] = label
        for real, label, _ in incoming:
            meta = readers[real].metadata
            if reference is None:
                reference = (meta, label)
                continue
            difference = first_difference(reference[0], meta)
            if difference is not None:
                field, first, second = difference
                raise StrataError("invalidArgument", f"cannot merge: {field} differs: {reference[1]} has {first}, "
                                                      f"{label} has {second}")
        try:
            check_unique_ids([readers[s.real] for s in existing_shards + incoming])
        except StrataError as error:
            raise StrataError("invalidArgument", f"cannot merge: {error.message}") from None
        for real, label, listed in incoming:
            if listed is not None:
                try:
                    validation.check_shard_crc(listed, file_crc32c(real))
                except StrataError as error:
                    raise error.located(path=label)
        root = os.path.realpath(directory)
        used = {e["path"] for e in existing}
        entries = list(existing)
        for real, label, _ in incoming:
            if real.startswith(root + "/"):
                relative = real[len(root) + 1:]
            else:
                relative = _unique_name(os.path.basename(real), used, directory)
                _place(real, os.path.join(directory, relative), mode)
            used.add(relative)
            entries.append(manifest_entry(directory, relative, len(readers[real])))
        assert reference is not None
        return write_manifest(directory, reference[0], entries, manifest_extra)
    finally:
        for shard in readers.values():
            shard.close()
