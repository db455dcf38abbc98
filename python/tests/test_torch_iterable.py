"""strata.torch.StrataIterable against `strata stream --ids` (the Swift streaming reader): the same epoch
order for world sizes 1, 2, 3 with 0 and 2 DataLoader workers, every record once across ranks × workers,
the documented interleaving when the worker chunk is not the batch size, ranks from torch.distributed,
and collation (padding, mask, labels) against the reader's own values."""
from __future__ import annotations

import os
import unittest

import numpy as np

from support import TempDirTest, has_module, needs_strata, records, requires, run_strata

import strata

needs_torch = requires(has_module("torch"), "needs torch (tools/setup --python)")

SEED, EPOCH = 11, 3


def write_dataset(directory: str, count: int = 23) -> None:
    """`count` records over several shards, 3 layers × 1-9 tokens × 8 hidden, labels 0/1."""
    with strata.DatasetWriter(directory, hidden=8, layers=3, dtype="bf16", records_per_shard=7) as w:
        for r in records(5, count, 3, 8, max_tokens=9):
            w.append(r["id"], r["values"], token_ids=r["token_ids"], labels=r["labels"][:1])


def stream_ids(directory: str, rank: int, world: int, epoch: int = EPOCH, *extra: str) -> list:
    out = run_strata("stream", directory, "--seed", str(SEED), "--epoch", str(epoch), "--rank", str(rank),
                     "--world", str(world), "--ids", *extra).stdout
    return out.splitlines()


def _distributed_worker(rank: int, world: int, init_file: str, directory: str, out_dir: str) -> None:
    import torch.distributed as dist
    from strata.torch import StrataIterable
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        ds = StrataIterable(directory, seed=SEED, epoch=EPOCH)
        ids = [i for batch in ds.loader(batch_size=2) for i in batch.ids]
        with open(os.path.join(out_dir, f"rank-{rank}.txt"), "w", encoding="utf-8") as f:
            f.write(f"{ds.rank} {ds.world}\n" + "\n".join(ids) + "\n")
    finally:
        dist.destroy_process_group()


@needs_strata
@needs_torch
class StrataIterableOrderTests(TempDirTest):
    def setUp(self) -> None:
        super().setUp()
        self.data = self.path("data")
        write_dataset(self.data)

    def test_order_equals_strata_stream_for_worlds_1_2_3_and_0_or_2_workers(self):
        from strata.torch import StrataIterable
        for world in (1, 2, 3):
            for rank in range(world):
                expected = stream_ids(self.data, rank, world)
                for workers in (0, 2):
                    with self.subTest(world=world, rank=rank, workers=workers):
                        ds = StrataIterable(self.data, seed=SEED, epoch=EPOCH, rank=rank, world=world)
                        got = [i for batch in ds.loader(batch_size=3, num_workers=workers) for i in batch.ids]
                        self.assertEqual(got, expected)
                        self.assertEqual(len(ds), len(expected))

    def test_every_record_once_per_epoch_across_ranks_and_workers_when_they_interleave(self):
        from torch.utils.data import DataLoader
        from strata.torch import StrataIterable, collate
        all_ids = stream_ids(self.data, 0, 1)
        for world in (1, 2, 3):
            seen = []
            for rank in range(world):
                share = stream_ids(self.data, rank, world)
                ds = StrataIterable(self.data, seed=SEED, epoch=EPOCH, rank=rank, world=world)   # worker_chunk 1
                got = [i for b in DataLoader(ds, batch_size=2, num_workers=2, collate_fn=collate) for i in b.ids]
                # As documented: worker w takes share positions w, w+2, …; the loader alternates their batches of 2.
                per_worker = [share[w::2] for w in range(2)]
                batches = [[ids[k:k + 2] for k in range(0, len(ids), 2)] for ids in per_worker]
                interleaved = [i for j in range(max(map(len, batches))) for ws in batches if j < len(ws) for i in ws[j]]
                self.assertEqual(got, interleaved, f"world {world} rank {rank}")
                seen += got
            self.assertEqual(sorted(seen), sorted(all_ids))
            self.assertEqual(len(seen), len(set(seen)))

    def test_even_shares_and_a_new_epoch_match_strata_stream(self):
        from strata.torch import StrataIterable
        for rank in range(3):
            ds = StrataIterable(self.data, seed=SEED, epoch=0, rank=rank, world=3, even_shares=True)
            ds.set_epoch(5)
            got = [i for batch in ds.loader(batch_size=4, num_workers=2) for i in batch.ids]
            self.assertEqual(got, stream_ids(self.data, rank, 3, 5, "--even-shares"))
            self.assertEqual(len(got), 23 // 3)

    def test_rank_and_world_come_from_torch_distributed(self):
        import torch.multiprocessing as mp
        mp.spawn(_distributed_worker, args=(2, self.path("init"), self.data, self.dir), nprocs=2, join=True)
        for rank in range(2):
            with open(self.path(f"rank-{rank}.txt"), encoding="utf-8") as f:
                lines = f.read().splitlines()
            self.assertEqual(lines[0], f"{rank} 2")
            self.assertEqual(lines[1:], stream_ids(self.data, rank, 2))


@needs_torch
class StrataIterableContentTests(TempDirTest):
    def test_collated_batches_hold_the_readers_values_padded_with_a_mask(self):
        import torch
        from strata.torch import StrataIterable
        data = self.path("data")
        write_dataset(data, 9)
        reference = strata.open(data)
        ds = StrataIterable(data, seed=1, layers=[0, -1], rank=0, world=1)
        batches = list(ds.loader(batch_size=4, num_workers=2))
        self.assertEqual(sorted(i for b in batches for i in b.index.tolist()), list(range(9)))
        for batch in batches:
            longest = int(batch.lengths.max())
            self.assertEqual(tuple(batch.values.shape), (len(batch), 2, longest, 8))
            for b, index in enumerate(batch.index.tolist()):
                info = reference.info(index)
                n = info.n_tokens
                self.assertEqual(batch.ids[b], info.id)
                self.assertEqual(int(batch.labels[b]), info.label)
                self.assertEqual(int(batch.lengths[b]), n)
                self.assertTrue(bool(batch.mask[b, :n].all()) and not bool(batch.mask[b, n:].any()))
                np.testing.assert_array_equal(batch.values[b, :, :n].numpy(), reference.read(index, layers=[0, 2]))
                self.assertTrue(bool((batch.values[b, :, n:] == 0).all()))
                np.testing.assert_array_equal(batch.token_ids[b, :n].numpy(), info.token_ids)
        self.assertEqual(batches[0].to("cpu").values.dtype, torch.float32)
        one_layer = next(iter(StrataIterable(data, seed=1, layers=-1, rank=0, world=1)))
        np.testing.assert_array_equal(one_layer["values"].numpy(), reference.read(one_layer["index"], layers=[2]))

    def test_bad_arguments_are_refused_with_the_reason(self):
        from strata.torch import StrataIterable
        data = self.path("data")
        write_dataset(data, 4)
        with self.assertRaisesRegex(ValueError, "both rank and world"):
            StrataIterable(data, seed=1, rank=1)
        with self.assertRaisesRegex(ValueError, "rank 3 is outside 0...2"):
            StrataIterable(data, seed=1, rank=3, world=3)
        with self.assertRaisesRegex(ValueError, "seed"):
            StrataIterable(data, seed=-1)
        with self.assertRaisesRegex(IndexError, "layer position 5"):
            StrataIterable(data, seed=1, layers=[5])
        with self.assertRaises(strata.StrataError):
            StrataIterable(self.path("missing"), seed=1)


if __name__ == "__main__":
    unittest.main()
