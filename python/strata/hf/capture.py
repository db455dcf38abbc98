"""``strata.hf.capture``: run a Hugging Face causal LM with ``output_hidden_states`` over texts and write
every real token's hidden states at the chosen layers as a Strata dataset, with the metadata keys
``strata capture`` writes."""
from __future__ import annotations

import itertools
import os
import time
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from ..dataset_writer import DatasetWriter
from ..errors import StrataError
from ..metadata import hf_layers
from .identity import block_count, model_identity, tokenizer_identity

__all__ = ["capture", "LOG_PROBS_NAME"]

#: The auxiliary vector ``save_logits`` adds, as ``strata capture --save-logits``.
LOG_PROBS_NAME = "next_token_logprobs"

Labels = Union[None, int, Sequence[int]]


def capture(model: Any, tokenizer: Any, texts: Iterable[str], out: "str | os.PathLike[str]", *,
            layers: Union[str, Sequence[int]] = "all", dtype: str = "bf16", batch_size: int = 8,
            device: Any = None, labels: Optional[Iterable[Labels]] = None, ids: Optional[Iterable[str]] = None,
            label_names: Optional[Sequence[str]] = None, max_tokens: Optional[int] = None, truncate: bool = False,
            save_logits: bool = False, input_name: str = "python", text_field: str = "text",
            model_info: Optional[Mapping[str, Any]] = None, tokenizer_info: Optional[Mapping[str, Any]] = None,
            extra: Optional[Mapping[str, str]] = None, records_per_shard: Optional[int] = None,
            zstd_level: int = 1) -> Dict[str, Any]:
    """Captures ``texts`` into a new dataset directory ``out`` (new or empty) and returns a summary.

    Each text is tokenised on its own by ``tokenizer`` (its special tokens, e.g. BOS, as it adds them);
    ``batch_size`` consecutive texts are padded on the right to the batch's longest with an attention
    mask, so a real token never attends to padding and keeps the positions it has alone; only real
    tokens are stored, in input order. Hidden-state indices are Hugging Face's ``output_hidden_states``
    (0 = embeddings, l = block l, ``n_blocks`` = after the final norm); ``layers`` is ``"all"`` or a
    list of them (negative counts from the end). ``dtype`` is the stored type (``bf16``, ``f16``,
    ``f32``); the model runs in its own dtype on ``device`` (default: where its parameters are; given, the
    model is moved there). ``labels`` (one int or a list of ints per text) and ``ids`` (default
    ``row-1``, ``row-2``, … as ``strata capture`` numbers rows) line up with ``texts``.
    ``save_logits`` adds ``next_token_logprobs`` (log-softmax at the last real token). A text longer
    than ``max_tokens`` (default: the model's ``max_position_embeddings``) is an error naming it, or is
    cut with ``truncate=True``; an empty one is an error.

    Metadata: ``model`` (name, architecture, n_blocks, hidden_size; ``model_info`` adds e.g. ``file``,
    ``file_sha256``), ``tokenizer`` (kind, vocab_size, sha256; ``tokenizer_info`` overrides),
    ``layers`` with their kinds, ``layer_semantics`` ``hf_output_hidden_states``, ``label_names`` and
    the ``extra`` keys of spec/DATASETS.md §8 (``capture.input`` = ``input_name``, ``capture.text_field``,
    ``capture.max_tokens``, ``capture.truncate``, ``capture.prompt_format`` = ``raw``: the texts are tokenised
    as given) plus ``capture.runtime`` (transformers, torch, device,
    model dtype) and ``extra``.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise StrataError("invalidArgument", f"batch_size must be a positive integer, got {batch_size!r}")
    config = model.config
    n_blocks = block_count(config)
    hidden = _hidden_size(config)
    indices = _resolve_layers(layers, n_blocks)
    all_kinds = {x["index"]: x["kind"] for x in hf_layers(n_blocks + 1, n_blocks)}
    if max_tokens is None:
        max_tokens = int(getattr(config, "max_position_embeddings", 0) or (1 << 24))
    if device is not None:
        model.to(device)
    run_device = next(model.parameters()).device
    run_dtype = next(model.parameters()).dtype
    import transformers
    runtime = f"transformers {transformers.__version__}, torch {torch.__version__}, {run_device.type}, {str(run_dtype).replace('torch.', '')}"
    extra_keys = {"capture.input": input_name, "capture.text_field": text_field, "capture.max_tokens": str(max_tokens),
                  "capture.truncate": "true" if truncate else "false", "capture.prompt_format": "raw",
                  "capture.runtime": runtime}
    extra_keys.update(dict(extra or {}))
    vocab = int(getattr(config, "vocab_size", 0) or len(tokenizer))
    pad_id = _pad_id(tokenizer)

    started = time.perf_counter()
    records = tokens_written = 0
    was_training = model.training
    model.eval()
    writer = DatasetWriter(out, hidden=hidden, layers=[{"index": i, "kind": all_kinds[i]} for i in indices],
                           dtype=dtype, model=model_identity(model, hidden, model_info),
                           tokenizer=tokenizer_identity(tokenizer, tokenizer_info), label_names=label_names,
                           auxiliary={LOG_PROBS_NAME: vocab} if save_logits else None, extra=extra_keys,
                           records_per_shard=records_per_shard, zstd_level=zstd_level)
    try:
        rows = _rows(texts, labels, ids)
        while True:
            batch = list(itertools.islice(rows, batch_size))
            if not batch:
                break
            encoded = [_encode(tokenizer, row, max_tokens, truncate) for row in batch]
            states, log_probs = _forward(model, encoded, indices, pad_id, run_device, save_logits)
            for b, (row, token_ids) in enumerate(zip(batch, encoded)):
                n = len(token_ids)
                aux = {LOG_PROBS_NAME: log_probs[b]} if log_probs is not None else None
                writer.append(row.id, states[:, b, :n], token_ids=np.asarray(token_ids, dtype=np.int64),
                              labels=row.labels, text=row.text, aux=aux)
                records += 1
                tokens_written += n
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        model.train(was_training)
    seconds = time.perf_counter() - started
    return {"records": records, "tokens": tokens_written, "seconds": seconds,
            "tokens_per_second": tokens_written / seconds if seconds > 0 else 0.0, "device": str(run_device),
            "out": os.fspath(out)}


class _Row:
    __slots__ = ("number", "text", "labels", "id")

    def __init__(self, number: int, text: str, labels: List[int], record_id: str) -> None:
        self.number, self.text, self.labels, self.id = number, text, labels, record_id


def _rows(texts: Iterable[str], labels: Optional[Iterable[Labels]], ids: Optional[Iterable[str]]) -> Iterator[_Row]:
    """Texts with their labels and ids, lazily; a length mismatch is an error naming the first row short."""
    missing = object()
    label_iter = iter(labels) if labels is not None else None
    id_iter = iter(ids) if ids is not None else None
    for number, text in enumerate(texts, start=1):
        if not isinstance(text, str):
            raise StrataError("invalidArgument", f"text of row {number} is a {type(text).__name__}, not a string")
        label_list: List[int] = []
        if label_iter is not None:
            value = next(label_iter, missing)
            if value is missing:
                raise StrataError("invalidArgument", f"labels ran out at row {number}: give one per text")
            label_list = _label_list(value, number)
        record_id = f"row-{number}"
        if id_iter is not None:
            given = next(id_iter, missing)
            if given is missing:
                raise StrataError("invalidArgument", f"ids ran out at row {number}: give one per text")
            record_id = str(given)
        yield _Row(number, text, label_list, record_id)
    for name, rest in (("labels", label_iter), ("ids", id_iter)):
        if rest is not None and next(rest, missing) is not missing:
            raise StrataError("invalidArgument", f"more {name} than texts: give one per text")


def _label_list(value: Labels, number: int) -> List[int]:
    if value is None:
        return []
    values = [value] if isinstance(value, (int, np.integer)) else list(value)
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 <= v < 1 << 31 for v in values):
        raise StrataError("invalidArgument", f"labels of row {number} must be non-negative integers, got {value!r}")
    return [int(v) for v in values]


def _encode(tokenizer: Any, row: _Row, max_tokens: int, truncate: bool) -> List[int]:
    token_ids = list(tokenizer(row.text)["input_ids"])
    if not token_ids:
        raise StrataError("invalidArgument", "the text gives no tokens", record=row.number - 1, record_id=row.id)
    if len(token_ids) > max_tokens:
        if not truncate:
            raise StrataError("invalidArgument", f"the text has {len(token_ids)} tokens, over max_tokens={max_tokens} "
                                                  "(pass truncate=True to cut it)", record=row.number - 1, record_id=row.id)
        token_ids = token_ids[:max_tokens]
    return token_ids


def _forward(model: Any, encoded: List[List[int]], indices: List[int], pad_id: int, device: Any,
             save_logits: bool) -> Tuple[torch.Tensor, Optional[np.ndarray]]:
    """One padded forward pass: the selected hidden states ``[layers, batch, longest, hidden]`` on the CPU
    in the model's dtype, and the log-probabilities at each text's last token when asked."""
    longest = max(len(t) for t in encoded)
    input_ids = torch.full((len(encoded), longest), pad_id, dtype=torch.long)
    attention = torch.zeros((len(encoded), longest), dtype=torch.long)
    for b, token_ids in enumerate(encoded):
        input_ids[b, :len(token_ids)] = torch.tensor(token_ids, dtype=torch.long)
        attention[b, :len(token_ids)] = 1
    with torch.inference_mode():
        output = model(input_ids=input_ids.to(device), attention_mask=attention.to(device), output_hidden_states=True,
                       use_cache=False)
        hidden_states = output.hidden_states
        if len(hidden_states) <= max(indices):
            raise StrataError("invalidArgument", f"the model returned {len(hidden_states)} hidden states; layer "
                                                  f"{max(indices)} was asked for")
        states = torch.stack([hidden_states[i] for i in indices]).to("cpu")
        log_probs = None
        if save_logits:
            last = torch.tensor([len(t) - 1 for t in encoded], device=output.logits.device)
            rows = output.logits[torch.arange(len(encoded), device=last.device), last].float()
            log_probs = torch.log_softmax(rows, dim=-1).cpu().numpy()
    return states, log_probs


def _hidden_size(config: Any) -> int:
    for key in ("hidden_size", "n_embd", "d_model"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    raise ValueError(f"cannot tell the model's hidden size from its config ({type(config).__name__})")


def _resolve_layers(layers: Union[str, Sequence[int]], n_blocks: int) -> List[int]:
    count = n_blocks + 1
    if isinstance(layers, str):
        if layers != "all":
            raise StrataError("invalidArgument", f'layers must be "all" or a list of hidden-state indices, got {layers!r}')
        return list(range(count))
    resolved = []
    for layer in layers:
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not -count <= layer < count:
            raise StrataError("invalidArgument", f"layer {layer!r} is outside the model's hidden states 0...{n_blocks} "
                                                  "(negative counts from the end)")
        resolved.append(int(layer) % count)
    if len(set(resolved)) != len(resolved) or not resolved:
        raise StrataError("invalidArgument", f"layers {list(layers)!r} must be distinct and not empty")
    return resolved


def _pad_id(tokenizer: Any) -> int:
    """Any valid id for padded positions (masked out, never stored): the pad token, else EOS, else 0."""
    for attribute in ("pad_token_id", "eos_token_id"):
        value = getattr(tokenizer, attribute, None)
        if isinstance(value, int):
            return value
    return 0
