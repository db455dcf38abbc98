#!/usr/bin/env python3
"""PyTorch CPU reference for `strata bench probes`: the same probe architectures (pooling, gate,
downcast MHA; two-stage template, padding masked, one logit + BCE, AdamW, clipping), the same batch
shapes and record lengths, timed the same way (warm-up steps, then timed steps of
forward + backward + clip + AdamW). Each probe kind runs in a fresh process so peak RSS is per kind.

  python3 benchmarks/bench_probes_torch.py --strata .build/release/strata   # both, markdown table
  python3 benchmarks/bench_probes_torch.py --only-torch --kind gate        # one kind, JSON line
"""
import argparse, json, math, os, resource, subprocess, sys, time

def lengths(batch, tmin, tmax):
    return [tmin + (i * 7919) % (tmax - tmin + 1) for i in range(batch)]

def run_torch(a):
    import torch
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    B, L, d = a.batch_size, a.layers, a.hidden
    lens = lengths(B, a.min_tokens, a.tokens)
    T = max(lens)
    Lk = 1 if a.kind in ("last-token", "mean-last") else L
    x = torch.randn(B, Lk, T, d)
    mask = torch.zeros(B, T, dtype=torch.bool)
    for b, n in enumerate(lens):
        mask[b, :n] = True
        x[b, :, n:] = 0
    y = torch.tensor([b % 2 for b in range(B)], dtype=torch.float32)
    maskf = mask.float()

    def masked_mean(h, m):  # h: (..., T, e), m: (B, T) broadcast over middle dims
        mm = m.view(m.shape[0], *([1] * (h.dim() - 3)), m.shape[1], 1)
        return (h * mm).sum(-2) / mm.sum(-2).clamp(min=1)

    class Pooling(torch.nn.Module):
        def __init__(s):
            super().__init__(); s.head = torch.nn.Linear(d, 1)
        def forward(s, x):
            return s.head(masked_mean(x, maskf).mean(1)).squeeze(-1)

    class Gate(torch.nn.Module):
        def __init__(s):
            super().__init__()
            bound = 1 / math.sqrt(d)
            s.wt = torch.nn.Parameter(torch.empty(Lk, d).uniform_(-bound, bound))
            s.wl = torch.nn.Parameter(torch.empty(d).uniform_(-bound, bound))
            s.head = torch.nn.Linear(d, 1)
        def forward(s, x):
            sc = torch.tanh(torch.einsum("bltd,ld->blt", x, s.wt)).masked_fill(~mask[:, None, :], float("-inf"))
            v = torch.einsum("blt,bltd->bld", torch.softmax(sc, -1), x)
            a = torch.softmax(torch.tanh(v @ s.wl), -1)
            return s.head(torch.einsum("bl,bld->bd", a, v)).squeeze(-1)

    class MHA(torch.nn.Module):
        """Downcast MHA per layer (weights stacked over layers) and one over the layer summaries."""
        def __init__(s):
            super().__init__()
            base = -(-d // a.downcast); s.k = -(-base // a.heads) * a.heads; s.h = a.heads
            bi, bo = 1 / math.sqrt(d), 1 / math.sqrt(s.k)
            s.wqkv = torch.nn.Parameter(torch.empty(Lk, d, 3 * s.k).uniform_(-bi, bi))
            s.wo = torch.nn.Parameter(torch.empty(Lk, s.k, d).uniform_(-bo, bo))
            s.lqkv = torch.nn.Parameter(torch.empty(d, 3 * s.k).uniform_(-bi, bi))
            s.lo = torch.nn.Parameter(torch.empty(s.k, d).uniform_(-bo, bo))
            s.head = torch.nn.Linear(d, 1)
        def attend(s, qkv, keymask):  # qkv (..., n, 3k); keymask broadcastable to (..., H, n, n) or None
            q, k_, v = qkv.split(s.k, -1)
            sh = lambda t: t.unflatten(-1, (s.h, s.k // s.h)).transpose(-2, -3)
            q, k_, v = sh(q), sh(k_), sh(v)
            sc = q @ k_.transpose(-1, -2) / math.sqrt(s.k // s.h)
            if keymask is not None:
                sc = sc.masked_fill(~keymask, float("-inf"))
            o = torch.softmax(sc, -1) @ v
            return o.transpose(-2, -3).flatten(-2)
        def forward(s, x):
            qkv = torch.einsum("bltd,lde->blte", x, s.wqkv)
            o = s.attend(qkv, mask[:, None, None, None, :])           # (B, L, T, k)
            yv = torch.einsum("blte,led->bltd", o, s.wo)
            v = masked_mean(yv, maskf)                                # (B, L, d)
            o2 = s.attend(v @ s.lqkv, None)
            return s.head((o2 @ s.lo).mean(1)).squeeze(-1)

    model = {"pooling": Pooling, "gate": Gate, "mha": MHA}[a.kind]()
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    lossf = torch.nn.BCEWithLogitsLoss()
    def step():
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    for _ in range(a.warmup_steps):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    sec = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(json.dumps({"impl": "torch", "kind": a.kind, "params": params, "examples_per_s": a.steps * B / sec,
                      "ms_per_step": sec * 1000 / a.steps, "peak_rss_mib": peak, "threads": a.threads,
                      "torch": torch.__version__}))

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--strata", default=".build/release/strata")
    p.add_argument("--kinds", default="pooling,gate,mha")
    p.add_argument("--kind")
    p.add_argument("--only-torch", action="store_true")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--min-tokens", type=int, default=64)
    p.add_argument("--layers", type=int, default=31)
    p.add_argument("--hidden", type=int, default=576)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup-steps", type=int, default=2)
    p.add_argument("--heads", type=int, default=2)
    p.add_argument("--downcast", type=int, default=32)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    if a.only_torch:
        return run_torch(a)
    common = ["--batch-size", str(a.batch_size), "--tokens", str(a.tokens), "--min-tokens", str(a.min_tokens),
              "--layers", str(a.layers), "--hidden", str(a.hidden), "--steps", str(a.steps),
              "--warmup-steps", str(a.warmup_steps), "--heads", str(a.heads), "--downcast", str(a.downcast)]
    rows = []
    for kind in a.kinds.split(","):
        t = subprocess.run([sys.executable, __file__, "--only-torch", "--kind", kind, "--threads", str(a.threads)] + common,
                           check=True, capture_output=True, text=True).stdout
        s = subprocess.run([a.strata, "bench", "probes", "--kinds", kind, "--threads", str(a.threads), "--json"] + common,
                           check=True, capture_output=True, text=True).stdout
        rows.append((json.loads(s.strip().splitlines()[-1]), json.loads(t.strip().splitlines()[-1])))
    print(f"B={a.batch_size}, T={a.min_tokens}-{a.tokens}, L={a.layers}, d={a.hidden}, heads={a.heads}, f={a.downcast}, "
          f"threads={a.threads}, {a.steps} timed steps after {a.warmup_steps} warm-up\n")
    print("| probe | params (strata / torch) | strata ex/s | torch ex/s | ratio | strata peak RSS MiB | torch peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for s, t in rows:
        print(f"| {s['kind']} | {s['params']} / {t['params']} | {s['examples_per_s']:.1f} | {t['examples_per_s']:.1f} | "
              f"{s['examples_per_s'] / t['examples_per_s']:.2f}× | {s['peak_rss_mib']:.0f} | {t['peak_rss_mib']:.0f} |")

if __name__ == "__main__":
    main()
