#!/usr/bin/env python3
"""Prototypes beyond q8 (issue 17, item 5): what smaller lossy codes would give on real SmolLM2 hidden
states. Each variant encodes every (layer, token) vector of the first --records records of a bf16
capture, one block per (record, layer) as `strata` cuts long records, stores its sections byte-shuffled
and compresses each block as one zstd-1 frame with a flush per plane (as the Strata writer does), and
decodes it again. Reported: size ratio against raw bf16 values, and the per-vector relative L2 error
‖x − x̂‖ / ‖x‖ (mean, p99, max). With --write DIR it also stores each variant's reconstructions (as
f32, exactly) in a dataset per split, for `strata train` to measure probe accuracy on
(benchmarks/q8_probes.py --variant NAME=DIR/NAME).

Variants (k = exact bf16 outlier channels per vector, chosen by magnitude):
  q8         the shipped dtype: int8, one absmax scale per vector, k per block by the 1 % bound rule
  q6-g32     6-bit codes, one f16 scale per group of 32 channels, k = 4, codes bit-packed
  q4-g32     4-bit codes, one f16 scale per group of 32 channels, k = 4, codes bit-packed
  e4m3       fp8 e4m3 codes of x / s, s = absmax(non-outliers) / 448 per vector, k = 4
  adaptive   per layer the fewest bits of {4, 6, 8} (group 32, k = 4) whose p99 error is ≤ 1 %

    nice benchmarks/q8_variants.py --data ~/.cache/strata/main-job/quick/captures/rotten_tomatoes/test --records 100
"""
import argparse
import os
import sys
from pathlib import Path

import numpy as np
import zstandard

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "python")]
import strata  # noqa: E402
from strata import q8  # noqa: E402
from strata.codec import to_stored  # noqa: E402

K = 4
GROUP = 32


def outliers(x, k):
    """Top-k channels by magnitude per vector (ascending channel order) and the vectors with them zeroed."""
    top = np.sort(np.argsort(-np.abs(x), axis=1, kind="stable")[:, :k], axis=1)
    rest = x.copy()
    np.put_along_axis(rest, top, 0, axis=1)
    return top, rest


def restore_outliers(y, x, top):
    bf = (to_stored(np.take_along_axis(x, top, axis=1).reshape(-1), "bf16").astype(np.uint32) << 16).view(np.float32)
    np.put_along_axis(y, top, bf.reshape(top.shape), axis=1)
    return y


def pack_bits(codes, bits):
    """Unsigned codes (< 2^bits) packed little-endian, `bits` per code."""
    flat = codes.reshape(-1).astype(np.uint32)
    as_bits = ((flat[:, None] >> np.arange(bits, dtype=np.uint32)) & 1).astype(np.uint8)
    return np.packbits(as_bits.reshape(-1), bitorder="little").tobytes()


def group_code(x, bits, k=K):
    """Symmetric `bits`-bit codes with one f16 scale per group of GROUP channels, k exact outliers."""
    n, h = x.shape
    top, rest = outliers(x, k)
    groups = rest.reshape(n, h // GROUP, GROUP)
    qmax = 2 ** (bits - 1) - 1
    scale = (np.abs(groups).max(axis=2) / qmax).astype(np.float16).astype(np.float32)
    safe = np.where(scale > 0, scale, 1)
    codes = np.clip(np.rint(groups / safe[..., None]), -qmax, qmax)
    y = (codes * scale[..., None]).reshape(n, h).astype(np.float32)
    sections = [scale.astype("<f2").tobytes(), top.astype("<u2").tobytes(),
                to_stored(np.take_along_axis(x, top, axis=1).reshape(-1), "bf16").tobytes(),
                pack_bits((codes + qmax).astype(np.int64), bits)]
    return restore_outliers(y, x, top), sections, [2, 2, 2, 1]


E4M3 = None


def e4m3_table():
    """The 127 non-negative finite e4m3 (fn) values, ascending; the index is the code."""
    global E4M3
    if E4M3 is None:
        values = []
        for code in range(127):
            e, m = code >> 3, code & 7
            values.append(m * 2.0 ** -9 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7))
        E4M3 = np.array(values, dtype=np.float64)
    return E4M3


def e4m3_code(x, k=K):
    n, h = x.shape
    top, rest = outliers(x, k)
    table = e4m3_table()
    scale = (np.abs(rest).max(axis=1) / 448).astype(np.float32)
    y = np.abs(rest) / np.where(scale > 0, scale, 1)[:, None]
    upper = np.clip(np.searchsorted(table, y), 1, len(table) - 1)
    nearest = np.where(np.abs(table[upper - 1] - y) <= np.abs(table[upper] - y), upper - 1, upper)
    codes = (nearest | (np.signbit(rest) << 7)).astype(np.uint8)
    recon = (np.sign(rest) * table[nearest] * scale[:, None]).astype(np.float32)
    sections = [scale.astype("<f4").tobytes(), top.astype("<u2").tobytes(),
                to_stored(np.take_along_axis(x, top, axis=1).reshape(-1), "bf16").tobytes(), codes.tobytes()]
    return restore_outliers(recon, x, top), sections, [4, 2, 2, 1]


def q8_code(x, bound=0.01):
    k = q8.choose_outliers(x, bound)
    raw, _ = q8.encode(x, k)
    n, h = x.shape
    sections = [raw[o:o + w * c] for o, w, c in q8.sections(n, h, k)]
    return q8.decode(np.frombuffer(raw, dtype=np.uint8), n, h, k, shuffled=False), sections, [4, 2, 2, 1]


def compressed_size(sections, widths):
    """zstd-1, one frame, each section byte-shuffled by its width, a zstd block flush per plane."""
    c = zstandard.ZstdCompressor(level=1).compressobj()
    out = b""
    for data, w in zip(sections, widths):
        a = np.frombuffer(data, dtype=np.uint8)
        planes = a.reshape(-1, w).T if w > 1 and len(a) % w == 0 else a.reshape(1, -1)
        for p in planes:
            out += c.compress(p.tobytes()) + c.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
    return len(out + c.flush())


def rel_errors(x, y):
    x64 = x.astype(np.float64)
    err = np.sqrt(((x64 - y) ** 2).sum(1))
    norm = np.sqrt((x64 ** 2).sum(1))
    return np.where(norm > 0, err / np.where(norm > 0, norm, 1), 0)


VARIANTS = {
    "q8": q8_code,
    "q6-g32": lambda x: group_code(x, 6),
    "q4-g32": lambda x: group_code(x, 4),
    "e4m3": e4m3_code,
}


def adaptive_bits(layer_samples):
    """Per layer: the fewest bits of 4, 6, 8 whose p99 relative error on the sample is ≤ 1 %."""
    chosen = []
    for x in layer_samples:
        for bits in (4, 6, 8):
            y, _, _ = group_code(x, bits)
            if np.quantile(rel_errors(x, y), 0.99) <= 0.01:
                break
        chosen.append(bits)
    return chosen


def encode(name, x, layer, bits_per_layer):
    if name == "adaptive":
        return group_code(x, bits_per_layer[layer])
    return VARIANTS[name](x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="a bf16 Strata capture (shard or dataset)")
    ap.add_argument("--records", type=int, default=100)
    ap.add_argument("--variants", default="q8,q6-g32,q4-g32,e4m3,adaptive")
    ap.add_argument("--write", type=Path, help="also store each variant's reconstructions of --splits under DIR/VARIANT/TASK/SPLIT")
    ap.add_argument("--splits", type=Path, help="TASK directory holding train, val and test captures (with --write)")
    ap.add_argument("--no-table", action="store_true", help="skip the ratio/error table (with --write)")
    args = ap.parse_args()
    ds = strata.open(str(args.data))
    n = min(args.records, len(ds))
    values = [ds.read(i) for i in range(n)]
    layers = values[0].shape[0]
    sample = [np.concatenate([v[l] for v in values[: max(1, n // 4)]]) for l in range(layers)]
    bits_per_layer = adaptive_bits(sample)
    raw_bf16 = sum(v.size * 2 for v in values)
    print(f"Data: {args.data}, {n} records, {sum(v.shape[1] for v in values)} tokens, {layers} layers × {values[0].shape[2]}; "
          f"adaptive bits per layer: {bits_per_layer}")
    print("")
    print("| variant | ratio vs raw bf16 | rel. L2 error mean | p99 | max |")
    print("|---|---|---|---|---|")
    for name in ([] if args.no_table else args.variants.split(",")):
        stored, errors = 0, []
        for v in values:
            for l in range(layers):
                x = v[l].astype(np.float32)
                y, sections, widths = encode(name, x, l, bits_per_layer)
                stored += compressed_size(sections, widths) + 72
                errors.append(rel_errors(x, y))
        e = np.concatenate(errors)
        print(f"| {name} | {raw_bf16 / stored:.3f} | {e.mean():.4f} | {np.quantile(e, 0.99):.4f} | {e.max():.4f} |", flush=True)
    if args.write:
        for name in args.variants.split(","):
            for split in ("train", "val", "test"):
                source = strata.open(str(args.splits / split))
                target = args.write / name / args.splits.name / split
                if (target / "manifest.json").exists():
                    continue
                meta = dict(source.metadata)
                meta["dtype"] = "f32"
                meta["auxiliary"] = []            # probes read hidden states only
                meta.pop("codec", None)
                with strata.DatasetWriter(str(target), meta) as w:
                    for i in range(len(source)):
                        info = source.info(i)
                        v = source.read(i)
                        recon = np.stack([encode(name, v[l], l, bits_per_layer)[0] for l in range(layers)]) if v.shape[1] else v
                        w.append(info.id, recon.astype(np.float32), token_ids=info.token_ids, labels=info.labels, text=info.text,
                                 metadata=info.metadata)
                print(f"wrote {target}", flush=True)


if __name__ == "__main__":
    main()
