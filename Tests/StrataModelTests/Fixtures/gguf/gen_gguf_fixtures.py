#!/usr/bin/env python3
"""Generates the GGUF test fixtures in Tests/StrataModelTests/Fixtures/gguf/.

Reference implementation: the `gguf` Python package (gguf-py, from llama.cpp).

For every tensor type Strata dequantises it writes
  <TYPE>.blocks  random raw quantised blocks (random bytes, with the f16 scale
                 fields replaced by sane finite values so every output is finite)
  <TYPE>.f32     the reference float32 values from gguf.quants.dequantize (little-endian)
and records them in dequant.json. It also writes tiny.gguf with gguf.GGUFWriter
(metadata of every value type, arrays of strings, nested arrays, a few tensors) and
tiny.json describing what was written, for the Swift reader to compare against.

Run from the repository root:  python3 Tests/StrataModelTests/Fixtures/gguf/gen_gguf_fixtures.py
Deterministic (fixed seed); re-running reproduces the same files.

With --bench PATH it instead writes a benchmark file: one 2048 x 2048 tensor of random
blocks per supported type (about 50 MB), for `strata gguf-info --model PATH --bench`.
"""
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T, GGUFValueType as V
from gguf.quants import dequantize

OUT = os.path.dirname(os.path.abspath(__file__))   # the fixtures sit beside this generator
rng = np.random.default_rng(20261129)


def sane_f16(n, scale=0.05):
    """n finite float16 values (as uint8 pairs) of moderate magnitude, both signs."""
    return (rng.standard_normal(n) * scale).astype(np.float16).view(np.uint8).reshape(n, 2)


# byte offsets of the f16 fields (d, m/dmin) inside one block, per type
F16_FIELDS = {
    T.Q8_0: [0], T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2],
    T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}


def random_blocks(qtype, n_blocks):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    if qtype == T.F32:
        vals = rng.standard_normal(n_blocks).astype(np.float32)
        vals[:4] = [0.0, -0.0, np.float32(1e-40), np.inf]  # zero, negative zero, subnormal, infinity
        return vals.view(np.uint8)
    if qtype == T.F16:
        vals = (rng.standard_normal(n_blocks) * 4).astype(np.float16)
        vals[:6] = np.array([0.0, -0.0, 6e-8, -3e-5, np.inf, -np.inf], dtype=np.float16)  # incl. subnormals
        vals[6] = np.float16(65504.0)
        return vals.view(np.uint8)
    if qtype == T.BF16:
        f = rng.standard_normal(n_blocks).astype(np.float32) * 100
        f[:3] = [0.0, -np.inf, np.float32(1e-39)]
        return (f.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for off in F16_FIELDS[qtype]:
        blocks[:, off:off + 2] = sane_f16(n_blocks)
    return blocks.reshape(-1)


def write_dequant_fixtures():
    cases = []
    plan = [(T.F32, 256), (T.F16, 256), (T.BF16, 256), (T.Q8_0, 512), (T.Q4_0, 512), (T.Q4_1, 512),
            (T.Q5_0, 512), (T.Q5_1, 512), (T.Q4_K, 2048), (T.Q5_K, 2048), (T.Q6_K, 2048)]
    for qtype, n_elements in plan:
        block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
        raw = random_blocks(qtype, n_elements // block_size)
        assert raw.nbytes == n_elements // block_size * type_size
        ref = dequantize(raw.reshape(1, -1), qtype).astype(np.float32).reshape(-1)
        assert ref.size == n_elements
        assert np.all(~np.isnan(ref)), qtype.name
        raw.tofile(os.path.join(OUT, f"{qtype.name}.blocks"))
        ref.astype("<f4").tofile(os.path.join(OUT, f"{qtype.name}.f32"))
        cases.append({"type": qtype.name, "ggml_type": int(qtype), "elements": n_elements})
    with open(os.path.join(OUT, "dequant.json"), "w") as f:
        json.dump({"generator": "Tests/StrataModelTests/Fixtures/gguf/gen_gguf_fixtures.py", "gguf_version": gguf_version(), "cases": cases}, f, indent=1)


def gguf_version():
    try:
        from importlib.metadata import version
        return version("gguf")
    except Exception:
        return "unknown"


def f32(x):
    """The float32 rounding of x, as a Python float (exactly representable as a JSON double)."""
    return float(np.float32(x))


def write_tiny_gguf():
    path = os.path.join(OUT, "tiny.gguf")
    w = gguf.GGUFWriter(path, arch="llama")
    meta = []  # (key, typed description) in the order written

    def add(key, vtype, value, sub_type=None, desc=None):
        w.add_key_value(key, value, vtype, sub_type=sub_type)
        meta.append({"key": key, "value": desc if desc is not None else {"type": vtype.name.lower(), "value": value}})

    add("test.u8", V.UINT8, 200)
    add("test.i8", V.INT8, -100)
    add("test.u16", V.UINT16, 60000)
    add("test.i16", V.INT16, -30000)
    add("test.u32", V.UINT32, 4000000000)
    add("test.i32", V.INT32, -2000000000)
    add("test.u64", V.UINT64, 18000000000000000000)
    add("test.i64", V.INT64, -9000000000000000000)
    add("test.f32", V.FLOAT32, 0.1, desc={"type": "float32", "value": f32(0.1)})
    add("test.f64", V.FLOAT64, 2.718281828459045)
    add("test.bool_true", V.BOOL, True)
    add("test.bool_false", V.BOOL, False)
    add("test.string", V.STRING, "héllo wörld ✓ 🦙")
    add("test.empty_string", V.STRING, "")
    strings = ["<s>", "</s>", "Ġthe", "héllo", "", "🦙"]
    add("test.strings", V.ARRAY, strings, desc={"type": "array", "value": [{"type": "string", "value": s} for s in strings]})
    ints = [1, -2, 3]
    add("test.i32s", V.ARRAY, ints, sub_type=V.INT32, desc={"type": "array", "value": [{"type": "int32", "value": i} for i in ints]})
    u8s = [0, 255, 7]
    add("test.u8s", V.ARRAY, u8s, sub_type=V.UINT8, desc={"type": "array", "value": [{"type": "uint8", "value": i} for i in u8s]})
    floats = [0.5, -1.25, 3.3]
    add("test.f32s", V.ARRAY, floats, sub_type=V.FLOAT32, desc={"type": "array", "value": [{"type": "float32", "value": f32(x)} for x in floats]})
    nested = [[1, 2], [3], [4, 5, 6]]
    add("test.nested", V.ARRAY, nested,
        desc={"type": "array", "value": [{"type": "array", "value": [{"type": "int32", "value": i} for i in inner]} for inner in nested]})
    nested_strings = [["a", "b"], ["c"]]
    add("test.nested_strings", V.ARRAY, nested_strings,
        desc={"type": "array", "value": [{"type": "array", "value": [{"type": "string", "value": s} for s in inner]} for inner in nested_strings]})
    add("llama.block_count", V.UINT32, 2)
    # general.architecture is added by the writer itself
    meta.insert(0, {"key": "general.architecture", "value": {"type": "string", "value": "llama"}})

    tensors = []
    # F32 tensor: numpy shape (3, 8) -> ggml shape [8, 3]
    a = rng.standard_normal((3, 8)).astype(np.float32)
    w.add_tensor("t.f32", a)
    tensors.append(("t.f32", "F32", [8, 3], a.reshape(-1)))
    b = (rng.standard_normal((2, 16)) * 3).astype(np.float16)
    w.add_tensor("t.f16", b)
    tensors.append(("t.f16", "F16", [16, 2], b.astype(np.float32).reshape(-1)))
    for qtype, rows, cols in [(T.Q8_0, 2, 64), (T.Q4_1, 3, 32), (T.Q6_K, 1, 256)]:
        raw = random_blocks(qtype, rows * cols // gguf.GGML_QUANT_SIZES[qtype][0]).reshape(rows, -1)
        w.add_tensor(f"t.{qtype.name.lower()}", raw, raw_dtype=qtype)
        ref = dequantize(raw, qtype).reshape(-1)
        tensors.append((f"t.{qtype.name.lower()}", qtype.name, [cols, rows], ref))
    c = rng.standard_normal((2, 2, 4)).astype(np.float32)  # a 3-D tensor
    w.add_tensor("t.f32_3d", c)
    tensors.append(("t.f32_3d", "F32", [4, 2, 2], c.reshape(-1)))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    desc = {"generator": "Tests/StrataModelTests/Fixtures/gguf/gen_gguf_fixtures.py", "version": 3, "metadata": meta,
            "tensors": [{"name": n, "type": t, "shape": s, "values": [float(v) for v in vals]} for n, t, s, vals in tensors]}
    with open(os.path.join(OUT, "tiny.json"), "w") as f:
        json.dump(desc, f, indent=1, ensure_ascii=False)


def write_bench_gguf(path, rows=2048, cols=2048):
    w = gguf.GGUFWriter(path, arch="bench")
    for qtype in [T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q4_K, T.Q5_K, T.Q6_K]:
        block_size, _ = gguf.GGML_QUANT_SIZES[qtype]
        raw = random_blocks(qtype, rows * cols // block_size).reshape(rows, -1)
        w.add_tensor(f"bench.{qtype.name.lower()}", raw, raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bench":
        write_bench_gguf(sys.argv[2])
        sys.exit(0)
    os.makedirs(OUT, exist_ok=True)
    write_dequant_fixtures()
    write_tiny_gguf()
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.relpath(OUT)}", file=sys.stderr)
