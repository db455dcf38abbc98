"""Shard metadata (spec/FORMAT.md §4): building it for a writer, and its JSON bytes exactly as the
Swift writer emits them (sorted keys, no whitespace, ``/`` escaped), so equal inputs give equal files."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .errors import StrataError
from .layout import DTYPE_CODES, LOSSY_DTYPES, Limits

__all__ = ["build_metadata", "encode_metadata", "swift_json", "hf_layers", "PROMPT_KEYS", "TOOL_VERSION",
           "DEFAULT_LAYER_SEMANTICS"]

#: What this package writes as ``tool_version``.
TOOL_VERSION = "strata-python 0.1.0"
DEFAULT_LAYER_SEMANTICS = "hf_output_hidden_states"
#: ``extra`` keys that change what hidden states mean (spec/DATASETS.md §2 and §8).
PROMPT_KEYS = ("capture.chat_template", "capture.chat_system")

LayerSpec = Union[int, Sequence[Union[int, Mapping[str, Any]]]]


def hf_layers(count: int, n_blocks: Optional[int] = None) -> List[Dict[str, Any]]:
    """The first ``count`` Hugging Face ``output_hidden_states`` entries of a model with ``n_blocks``
    blocks (default ``count - 1``): index 0 ``embedding``, 1..n-1 ``block``, n ``final_norm``."""
    blocks = max(1, count - 1) if n_blocks is None else n_blocks
    return [{"index": i, "kind": _hf_kind(i, blocks)} for i in range(count)]


def _hf_kind(index: int, blocks: int) -> str:
    return "embedding" if index == 0 else "final_norm" if index == blocks else "block"


def build_metadata(*, hidden: int, layers: LayerSpec, dtype: str, model: Optional[Mapping[str, Any]] = None,
                   tokenizer: Optional[Mapping[str, Any]] = None, label_names: Optional[Sequence[str]] = None,
                   auxiliary: Union[Sequence[Mapping[str, Any]], Mapping[str, Optional[int]], None] = None,
                   extra: Optional[Mapping[str, str]] = None, layer_semantics: str = DEFAULT_LAYER_SEMANTICS,
                   tool_version: str = TOOL_VERSION, codec: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The metadata object a writer stores, checked as the Swift writer checks it.

    ``layers`` is a count (Hugging Face semantics for a model of ``count - 1`` blocks, or of
    ``model["n_blocks"]``), a list of hidden-state indices (kinds derived from ``model["n_blocks"]``,
    else from the largest index), or a list of ``{"index", "kind"}`` objects; with
    ``layer_semantics="unknown"`` every kind is ``"unknown"``. ``auxiliary`` is a list of
    ``{"name", "length"}`` or a mapping name → length (``None`` = variable length).
    """
    def bad(why: str) -> StrataError:
        return StrataError("invalidArgument", f"invalid metadata: {why}")

    if not isinstance(hidden, int) or isinstance(hidden, bool) or not 1 <= hidden <= Limits.HIDDEN:
        raise bad(f"hidden size {hidden!r} is out of range 1...{Limits.HIDDEN}")
    if dtype in LOSSY_DTYPES:
        raise bad(f"this package reads {dtype} but writes f32, f16 or bf16 only; make {dtype} with `strata convert --dtype {dtype}`")
    if dtype not in DTYPE_CODES:
        raise bad(f"dtype {dtype!r} is not one of f32, f16, bf16")
    n_blocks = model.get("n_blocks") if model else None
    layer_list: List[Dict[str, Any]]
    if layer_semantics == "unknown" and not isinstance(layers, int):
        layers = [x["index"] if isinstance(x, Mapping) else x for x in layers]
    if layer_semantics == "unknown":   # nothing says which model layer an entry is (spec/FORMAT.md §4)
        indices = list(range(layers)) if isinstance(layers, int) else list(layers)
        layer_list = [{"index": int(i), "kind": "unknown"} for i in indices]
    elif isinstance(layers, int):
        layer_list = hf_layers(layers, n_blocks)
    else:
        items = list(layers)
        indices = [x for x in items if isinstance(x, int) and not isinstance(x, bool)]
        if len(indices) == len(items):
            blocks = int(n_blocks) if n_blocks is not None else max(1, max(indices, default=0))
            layer_list = [{"index": x, "kind": _hf_kind(x, blocks)} for x in indices]
        else:
            layer_list = []
            for x in items:
                if not isinstance(x, Mapping) or not isinstance(x.get("index"), int) or not isinstance(x.get("kind"), str):
                    raise bad(f"layer {x!r} is not an index or an {{'index': int, 'kind': str}} object")
                layer_list.append({"index": x["index"], "kind": x["kind"]})
    if not 1 <= len(layer_list) <= Limits.LAYERS:
        raise bad(f"layer count {len(layer_list)} is out of range 1...{Limits.LAYERS}")
    aux_list: List[Dict[str, Any]] = []
    if isinstance(auxiliary, Mapping):
        aux_list = [{"name": name, "length": length} for name, length in auxiliary.items()]
    elif auxiliary is not None:
        aux_list = [{"name": a["name"], "length": a.get("length")} for a in auxiliary]
    aux_list = [_drop_none(a) for a in aux_list]
    names = set()
    for a in aux_list:
        if not isinstance(a["name"], str):
            raise bad(f"auxiliary name {a['name']!r} is not a string")
        if a["name"] in names:
            raise bad(f'auxiliary vector "{a["name"]}" is declared twice')
        names.add(a["name"])
        n = a.get("length")
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= Limits.AUXILIARY_LENGTH):
            raise bad(f'auxiliary vector "{a["name"]}" has invalid length {n!r}')
    extra_map = dict(extra or {})
    for key, value in extra_map.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise bad(f"extra must map strings to strings ({key!r}: {value!r})")
    if label_names is not None and not all(isinstance(x, str) for x in label_names):
        raise bad("label_names must be strings")
    meta: Dict[str, Any] = {
        "hidden": hidden, "layers": layer_list, "dtype": dtype, "auxiliary": aux_list, "extra": extra_map,
        "layer_semantics": layer_semantics, "tool_version": tool_version,
    }
    if model is not None:
        meta["model"] = _drop_none(model)
    if tokenizer is not None:
        meta["tokenizer"] = _drop_none(tokenizer)
    if label_names is not None:
        meta["label_names"] = list(label_names)
    if codec is not None:
        meta["codec"] = _drop_none(codec)
    return meta


def _drop_none(obj: Mapping[str, Any]) -> Dict[str, Any]:
    """Swift's encoder leaves absent optionals out; so does this writer."""
    return {k: v for k, v in obj.items() if v is not None}


def _swift_ready(value: Any) -> Any:
    """Absent optionals (``None``) are left out of objects, as Swift's synthesized ``Encodable`` does
    (an auxiliary vector without ``length`` is variable-length)."""
    if isinstance(value, Mapping):
        return {k: _swift_ready(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_swift_ready(v) for v in value]
    return value


def swift_json(value: Any, pretty: bool = False) -> bytes:
    """JSON as Swift's ``JSONEncoder`` with ``.sortedKeys`` writes it: keys sorted, UTF-8 unescaped,
    ``/`` written as ``\\/``; compact, or indented by two spaces with ``" : "`` (``.prettyPrinted``)."""
    text = json.dumps(_swift_ready(value), sort_keys=True, ensure_ascii=False, allow_nan=False,
                      **({"indent": 2, "separators": (",", " : ")} if pretty else {"separators": (",", ":")}))
    return text.replace("/", "\\/").encode("utf-8")


def encode_metadata(meta: Mapping[str, Any]) -> bytes:
    """The metadata JSON bytes of a shard header."""
    data = swift_json(meta)
    if len(data) > Limits.METADATA_BYTES:
        raise StrataError("invalidArgument", f"metadata JSON is {len(data)} bytes, over the limit {Limits.METADATA_BYTES}")
    return data
