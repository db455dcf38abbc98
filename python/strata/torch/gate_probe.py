"""The scoring-attention gate probe of spec/PROBES.md §2 as a ``torch.nn.Module``: per-token RMS
normalisation (``--normalize rms``), one gate per layer over its tokens, one gate over the layer summaries,
a one-logit linear head (binary) or a C-logit head, initialised as ``strata train`` initialises it."""
from __future__ import annotations

import math
from typing import List, Tuple

import numpy as np
import torch

__all__ = ["GateProbe", "strata_uniform"]

_INIT_SALT = 0x5EED0F9B0BE
_RMS_EPSILON = 1e-6


def strata_uniform(seed: int, sizes_and_bounds: List[Tuple[int, float]]) -> List[np.ndarray]:
    """The uniform draws of ``strata train``'s initialisation (spec/PROBES.md §2): one SplitMix64 stream
    seeded with ``seed ^ 0x5EED0F9B0BE``, each value ``(u·2 − 1)·bound`` in float32 with
    ``u = (next() >> 40) / 2^24``, consumed in parameter-layout order."""
    from ..epoch import SplitMix64
    rng = SplitMix64(seed ^ _INIT_SALT)
    out = []
    for size, bound in sizes_and_bounds:
        units = np.array([rng.next() >> 40 for _ in range(size)], dtype=np.float32) * np.float32(1.0 / (1 << 24))
        out.append((units * np.float32(2) - np.float32(1)) * np.float32(bound))
    return out


class GateProbe(torch.nn.Module):
    """``forward(values [B, L, T, d], mask [B, T]) → logits [B]`` (one logit) or ``[B, C]``.

    ``t_i = tanh(wᵀx_i)``, masked positions −∞, ``α = softmax(t)``, output ``Σ α_i x_i``; the token stage
    has one ``w`` per layer, the layer stage one ``w`` over the ``L`` summaries, then ``head``.
    ``normalize="rms"`` divides each token vector by ``√(mean x² + 1e-6)`` first. Parameters are named as
    the Swift layout (``token_gate`` [L, d], ``layer_gate`` [d], ``head.weight``, ``head.bias``);
    ``decaying_parameters()`` / ``other_parameters()`` split them as AdamW's decay applies in Swift
    (weights yes, biases no)."""

    def __init__(self, layers: int, hidden: int, classes: int = 2, seed: int = 0, normalize: str = "rms") -> None:
        super().__init__()
        if normalize not in ("rms", "none"):
            raise ValueError(f'normalize must be "rms" or "none", got {normalize!r}')
        outputs = 1 if classes == 2 else classes
        self.normalize, self.outputs = normalize, outputs
        bound = 1 / math.sqrt(hidden)
        draws = strata_uniform(seed, [(hidden, bound)] * (layers + 1) + [(outputs * hidden, bound)])
        self.token_gate = torch.nn.Parameter(torch.from_numpy(np.stack(draws[:layers])))
        self.layer_gate = torch.nn.Parameter(torch.from_numpy(draws[layers]))
        self.head = torch.nn.Linear(hidden, outputs)
        with torch.no_grad():
            self.head.weight.copy_(torch.from_numpy(draws[-1].reshape(outputs, hidden)))
            self.head.bias.zero_()

    def decaying_parameters(self) -> List[torch.nn.Parameter]:
        return [self.token_gate, self.layer_gate, self.head.weight]

    def other_parameters(self) -> List[torch.nn.Parameter]:
        return [self.head.bias]

    def layer_weights(self, values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The layer gate's α ``[B, L]`` (what ``strata layers`` reports)."""
        return self._stages(values, mask)[1]

    def _stages(self, values: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x = values
        if self.normalize == "rms":
            x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + _RMS_EPSILON)
        scores = torch.tanh(torch.einsum("bltd,ld->blt", x, self.token_gate))
        scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
        summaries = torch.einsum("blt,bltd->bld", torch.softmax(scores, -1), x)
        alpha = torch.softmax(torch.tanh(summaries @ self.layer_gate), -1)
        return torch.einsum("bl,bld->bd", alpha, summaries), alpha

    def forward(self, values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        logits = self.head(self._stages(values, mask)[0])
        return logits.squeeze(-1) if self.outputs == 1 else logits
