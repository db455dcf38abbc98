#!/usr/bin/env python3
"""Trains the gate probe (spec/PROBES.md §2) with DistributedDataParallel, reading a Strata dataset through
strata.torch.StrataIterable — each rank its share of every epoch, in `strata stream`'s order.

    torchrun --nproc_per_node 2 python/examples/train_ddp.py --train splits/train --test splits/test \\
        --epochs 10 --batch-size 32 --lr 1e-3 --seed 0 [--val splits/val] [--metrics-out m.json]

It follows `strata train --probe gate` (spec/PROBES.md §3) as far as DDP allows: the same initial
parameters for the same --seed, per-token RMS normalisation, one logit + BCE (softmax CE for more than
two classes), AdamW (β 0.9/0.999, ε 1e-8, decoupled decay on weights, not on the bias), linear warm-up
then cosine decay per step, global gradient-norm clipping. --batch-size is the global batch: each of W
ranks takes batch-size / W records per step and DDP averages the gradients, so a step sees batch-size
records. Ranks take equal shares (`strata stream --even-shares`: the last N mod W records of each
epoch's order are left out) so that every rank runs the same number of steps. With --val the best
epoch's parameters (validation accuracy at --threshold) are kept, with --patience. Differences from
`strata train`: a minibatch is W slices of the ranks' shares rather than W·b consecutive records of the
epoch order, the decision threshold is fixed (--threshold, default 0.5; strata train chooses it on
validation unless given --threshold) and there is no class weighting or resumable state.

Backend: gloo (CPU) unless --backend says otherwise; rank 0 evaluates --test and prints (and writes
to --metrics-out) the accuracy.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from typing import Dict, List, Optional

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

import strata
from strata.torch import GateProbe, StrataIterable


def parse_arguments(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True, help="training dataset (directory with manifest.json, or a shard)")
    p.add_argument("--test", help="test dataset: rank 0 reports accuracy on it after training")
    p.add_argument("--val", help="validation dataset: keep the best epoch's parameters (accuracy), early stopping")
    p.add_argument("--layers", default="all",
                   help="hidden-state indices to use, comma-separated, or 'all' (as strata train --layers)")
    p.add_argument("--epochs", type=int, default=10, help="epochs (default 10)")
    p.add_argument("--batch-size", type=int, default=32, help="global examples per optimizer step (default 32)")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default 1e-3)")
    p.add_argument("--weight-decay", type=float, default=0.01, help="AdamW decoupled weight decay (default 0.01)")
    p.add_argument("--warmup", type=float, default=0.05, help="warm-up as a fraction of all steps (default 0.05)")
    p.add_argument("--clip", type=float, default=1.0, help="global gradient-norm clip, 0 = off (default 1.0)")
    p.add_argument("--threshold", type=float, default=0.5, help="binary decision threshold (default 0.5)")
    p.add_argument("--patience", type=int, default=3, help="with --val: stop after this many epochs without "
                                                            "improvement, 0 = never (default 3)")
    p.add_argument("--normalize", choices=["rms", "none"], default="rms", help="per-token input normalisation")
    p.add_argument("--seed", type=int, default=0, help="initialisation and epoch-order seed (default 0)")
    p.add_argument("--workers", type=int, default=0, help="DataLoader workers per rank (default 0)")
    p.add_argument("--backend", default="gloo", help="torch.distributed backend (default gloo)")
    p.add_argument("--metrics-out", help="rank 0 writes the results here as JSON")
    a = p.parse_args(argv)
    for name in ("epochs", "batch_size"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return a


def layer_positions(dataset: str, layers: str) -> List[int]:
    """Positions in the dataset's captured-layer list of the requested hidden-state indices."""
    with strata.open(dataset) as ds:
        captured = [layer["index"] for layer in ds.layers]
    if layers == "all":
        return list(range(len(captured)))
    try:
        wanted = [int(x) for x in layers.split(",")]
    except ValueError:
        raise SystemExit(f"--layers: {layers!r} is not 'all' or comma-separated integers") from None
    missing = [x for x in wanted if x not in captured]
    if missing:
        raise SystemExit(f"--layers: hidden states {missing} are not in {dataset} (it has {captured})")
    return [captured.index(x) for x in wanted]


def cosine_factor(step: int, warmup: int, total: int) -> float:
    """strata train's schedule, as a fraction of the peak rate: linear warm-up, then cosine decay to 0."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.5 * (1 + math.cos(math.pi * progress))


def loss_of(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    if logits.dim() == 1:
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels.float())
    return torch.nn.functional.cross_entropy(logits, labels)


def predictions(logits: torch.Tensor, threshold: float) -> torch.Tensor:
    if logits.dim() == 1:
        return (torch.sigmoid(logits) >= threshold).long()
    return logits.argmax(-1)


@torch.no_grad()
def accuracy(model: torch.nn.Module, dataset: str, positions: List[int], threshold: float, batch_size: int) -> float:
    """Accuracy of ``model`` on every record of ``dataset`` (read in order by this process alone)."""
    loader = StrataIterable(dataset, seed=0, layers=positions, rank=0, world=1, shuffle=False).loader(batch_size)
    right = total = 0
    for batch in loader:
        if bool((batch.labels < 0).any()):
            raise SystemExit(f"{dataset}: record {batch.ids[int((batch.labels < 0).nonzero()[0])]} has no label")
        right += int((predictions(model(batch.values, batch.mask), threshold) == batch.labels).sum())
        total += len(batch)
    return right / max(1, total)


def main(argv: Optional[List[str]] = None) -> Dict[str, object]:
    a = parse_arguments(argv)
    dist.init_process_group(a.backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    try:
        if a.batch_size % world:
            raise SystemExit(f"--batch-size {a.batch_size} must be a multiple of the world size {world}")
        per_rank = a.batch_size // world
        positions = layer_positions(a.train, a.layers)
        train = StrataIterable(a.train, seed=a.seed, layers=positions, even_shares=True)
        label_names = train.metadata.get("label_names") or []
        classes = max(2, len(label_names))
        probe = GateProbe(len(positions), int(train.metadata["hidden"]), classes=classes, seed=a.seed,
                          normalize=a.normalize)
        model = DistributedDataParallel(probe)
        optimizer = torch.optim.AdamW([{"params": probe.decaying_parameters(), "weight_decay": a.weight_decay},
                                       {"params": probe.other_parameters(), "weight_decay": 0.0}],
                                      lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
        steps_per_epoch = math.ceil(len(train) / per_rank)
        total = max(1, steps_per_epoch * a.epochs)
        warmup = int(round(total * a.warmup))
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: cosine_factor(step, warmup, total))
        history: List[Dict[str, float]] = []
        best = (-1.0, 0, {k: v.clone() for k, v in probe.state_dict().items()})
        step = 0
        for epoch in range(a.epochs):
            train.set_epoch(epoch)
            started, loss_sum, seen = time.perf_counter(), 0.0, 0
            model.train()
            for batch in train.loader(per_rank, num_workers=a.workers):
                if bool((batch.labels < 0).any()):
                    raise SystemExit(f"{a.train}: record {batch.ids[int((batch.labels < 0).nonzero()[0])]} has no label")
                optimizer.zero_grad(set_to_none=True)
                loss = loss_of(model(batch.values, batch.mask), batch.labels)
                loss.backward()
                if a.clip > 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
                optimizer.step()
                schedule.step()
                step += 1
                loss_sum += float(loss.detach()) * len(batch)
                seen += len(batch)
            totals = torch.tensor([loss_sum, seen], dtype=torch.float64)
            dist.all_reduce(totals)
            record: Dict[str, float] = {"epoch": epoch + 1, "step": step, "train_loss": float(totals[0] / totals[1]),
                                        "seconds": time.perf_counter() - started}
            if a.val:
                record["val_accuracy"] = accuracy(probe, a.val, positions, a.threshold, a.batch_size)
                if record["val_accuracy"] > best[0]:
                    best = (record["val_accuracy"], epoch + 1, {k: v.clone() for k, v in probe.state_dict().items()})
            history.append(record)
            if rank == 0:
                print(json.dumps(record), flush=True)
            if a.val and a.patience and epoch + 1 - best[1] >= a.patience:
                break
        if a.val:
            probe.load_state_dict(best[2])
        result: Dict[str, object] = {"world": world, "epochs_run": len(history), "steps": step,
                                     "best_epoch": best[1] if a.val else len(history),
                                     "train_records_per_rank": len(train), "history": history}
        if rank == 0 and a.test:
            result["test_accuracy"] = accuracy(probe, a.test, positions, a.threshold, a.batch_size)
            with strata.open(a.test) as ds:
                result["test_records"] = len(ds)
            print(json.dumps({k: v for k, v in result.items() if k != "history"}), flush=True)
        if rank == 0 and a.metrics_out:
            with open(a.metrics_out, "w", encoding="utf-8") as f:
                json.dump(result, f, indent=2)
        return result
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
