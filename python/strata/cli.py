"""``python -m strata``: inspect, verify and dump Strata datasets from Python.

    python -m strata info PATH [--json]        records, layers, hidden, dtype, sizes
    python -m strata verify PATH               every checksum and block (exit 1 naming the first problem)
    python -m strata dump PATH PREFIX          PREFIX.json (records) + PREFIX.bin (values, stored dtype)

Exit status: 0 success, 1 a format or dataset problem (``error: …`` on stderr), 2 bad usage.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

import numpy as np

from .dataset import Dataset
from .errors import StrataError


def _info(ds: Dataset, as_json: bool) -> None:
    stored = sum(shard.stored_bytes(i) for shard in ds.shards for i in range(len(shard)))
    tokens = sum(shard.token_count(i) for shard in ds.shards for i in range(len(shard)))
    summary = {"path": ds.path, "records": len(ds), "shards": len(ds.shards), "layers": len(ds.layers),
               "hidden": ds.hidden, "dtype": ds.dtype, "tokens": tokens,
               "raw_bytes": tokens * len(ds.layers) * ds.hidden * (4 if ds.dtype == "f32" else 2),
               "stored_bytes": stored, "file_bytes": sum(shard.size for shard in ds.shards)}
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"{ds.path}: {len(ds)} records in {len(ds.shards)} shard(s), {len(ds.layers)} layers × {ds.hidden} hidden, "
              f"{ds.dtype}, {tokens} tokens, {summary['raw_bytes']} raw bytes in {stored} stored")


def _dump(ds: Dataset, prefix: str) -> None:
    """PREFIX.bin: every record's values in the stored dtype, layer-major, records concatenated;
    PREFIX.json: the metadata and each record's fields and shape."""
    records = []
    with open(prefix + ".bin", "wb") as out:
        for i in range(len(ds)):
            info = ds.info(i)
            out.write(np.ascontiguousarray(ds.read(i, dtype="stored")).tobytes())
            records.append({"id": info.id, "labels": info.labels, "token_ids": info.token_ids.tolist(), "text": info.text,
                            "metadata": info.metadata, "shape": list(info.shape),
                            "auxiliary": {k: v.tolist() for k, v in info.auxiliary.items()}})
    with open(prefix + ".json", "w", encoding="utf-8") as out:
        json.dump({"metadata": ds.metadata, "records": records}, out, ensure_ascii=False)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m strata", description="Inspect, verify and dump Strata datasets.")
    commands = parser.add_subparsers(dest="command", required=True)
    info = commands.add_parser("info", help="summary of a dataset directory or shard")
    info.add_argument("path")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    verify = commands.add_parser("verify", help="check every checksum and decode every block")
    verify.add_argument("path")
    dump = commands.add_parser("dump", help="write PREFIX.json and PREFIX.bin (values in the stored dtype)")
    dump.add_argument("path")
    dump.add_argument("prefix")
    args = parser.parse_args(argv)
    try:
        with Dataset(args.path) as ds:
            if args.command == "info":
                _info(ds, args.json)
            elif args.command == "verify":
                report = ds.verify()
                print(f"OK {args.path}: {report['shards']} shard(s), {report['records']} records, {report['blocks']} blocks, "
                      f"{report['tokens']} tokens, {report['raw_bytes']} raw bytes in {report['stored_bytes']} stored")
            else:
                _dump(ds, args.prefix)
    except StrataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
