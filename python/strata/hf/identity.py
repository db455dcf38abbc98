"""The ``model`` and ``tokenizer`` metadata objects (spec/FORMAT.md §4) of a Hugging Face model, with the
keys ``strata capture`` writes for a GGUF model."""
from __future__ import annotations

import hashlib
from typing import Any, Dict, Mapping, Optional

__all__ = ["model_identity", "tokenizer_identity", "block_count"]


def block_count(config: Any) -> int:
    """Transformer blocks of a causal LM config (``num_hidden_layers``, or ``n_layer`` for GPT-2 style)."""
    for key in ("num_hidden_layers", "n_layer", "num_layers"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    text_config = getattr(config, "text_config", None)
    if text_config is not None:
        return block_count(text_config)
    raise ValueError(f"cannot tell how many blocks the model has: its config ({type(config).__name__}) has no "
                     "num_hidden_layers / n_layer")


def model_identity(model: Any, hidden_size: int, overrides: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """``name`` (the ``name_or_path`` it was loaded from), ``architecture`` (``config.model_type``, e.g.
    ``llama``), ``n_blocks``, ``hidden_size``; ``file`` and ``file_sha256`` only when given in
    ``overrides`` (which win over everything)."""
    config = model.config
    name = getattr(config, "name_or_path", "") or getattr(model, "name_or_path", "") or type(model).__name__
    identity: Dict[str, Any] = {"name": str(name), "architecture": str(getattr(config, "model_type", "unknown")),
                                "n_blocks": block_count(config), "hidden_size": int(hidden_size)}
    identity.update(dict(overrides or {}))
    return identity


def tokenizer_identity(tokenizer: Any, overrides: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """``kind`` (``transformers:`` + the tokenizer class), ``vocab_size`` (``len(tokenizer)``, added
    tokens included) and, for a fast tokenizer, ``sha256`` of its serialised ``tokenizer.json``
    (vocabulary, merges, pre-tokenizer and normaliser settings)."""
    identity: Dict[str, Any] = {"kind": "transformers:" + type(tokenizer).__name__, "vocab_size": len(tokenizer)}
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        identity["sha256"] = hashlib.sha256(backend.to_str().encode("utf-8")).hexdigest()
    identity.update(dict(overrides or {}))
    return identity
