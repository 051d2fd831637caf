"""Speed of jaxprobe's backward flows on DNN-6 against Captum and against the machine's GEMM roofline.

    python benchmarks/bench_flows.py [--n 10000] [--repeats 7] [--no-captum] [--quick] [--chunk 1000]

DNN-6 (784-100×5-10, random LeCun-normal weights) on the real MNIST test digits (``shared/data/mnist``;
uniform random images when absent). For each flow the whole batch goes through one public
jaxprobe call (one jitted, vmapped core); Captum's GuidedBackprop / Deconvolution / Saliency run on a
torch copy of the same weights and the same inputs, with torch limited to jax's thread count
(bp-DNN targets, a gradient flow, is set beside Saliency). Torch and Captum are optional.

Roofline: a flow's matmul FLOPs (2·m·n·k for every forward and backward matmul it must run; the
dots left in the compiled HLO are counted against this) over its time, divided by the best float32
GEMM rate measured here with jnp matmuls (square 256..4096, tall-skinny shapes and the flows' own
shapes). "shape-bound" is the time the flow would take if each of its matmuls ran at the GEMM rate
of its own shape and nothing else cost anything, over its time.

Every round times each jax flow, each Captum peer and each GEMM once, so that load from other
processes hits all alike; medians and best rounds are printed, and the same rounds by process CPU
time (less disturbed by a busy machine). ``--chunk N`` adds a proposed core that runs the batch in
chunks of N examples (``jax.lax.map(..., batch_size=N)``), checked equal to the public call.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import resource
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import jaxprobe as jp  # noqa: E402
from jaxprobe import flows  # noqa: E402

WIDTHS = (784, 100, 100, 100, 100, 100, 10)

# jaxprobe flow -> (Captum peer, rule of the jitted core, starts from p − y)
FLOWS = {
    "guided_backprop": ("GuidedBackprop", "guided_backprop", False),
    "deconvnet": ("Deconvolution", "deconvnet", False),
    "saliency": ("Saliency", "gradient", False),
    "bp_dnn_targets": ("Saliency", "gradient", True),
}


# ---------------------------------------------------------------------------- data
def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = np.frombuffer(raw, ">u4", count=ndim, offset=4).astype(int)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist_test(n: int, seed: int = 0):
    """``n`` MNIST test digits (float32 in [0,1], flattened) and labels; cycled when n > 10,000."""
    x = y = None
    try:
        from jaxprobe.data.mnist import load_shared_test_set, shared_test_dir

        loaded = load_shared_test_set()
        if loaded is not None:
            (x, y), source = loaded, f"MNIST test digits ({shared_test_dir()})"
    except ImportError:  # older checkout: read the IDX files here
        folder = Path(os.environ.get("JAXPROBE_MNIST_DIR", ROOT.parent / "shared" / "data" / "mnist"))
        images, labels = folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz"
        if images.exists() and labels.exists():
            x = _read_idx(images).reshape(-1, 784).astype(np.float32) / 255.0
            y = _read_idx(labels).astype(np.int32)
            source = f"MNIST test digits ({folder})"
    if x is None:
        rng = np.random.default_rng(seed)
        x = rng.random((10000, 784), dtype=np.float32)
        y = rng.integers(0, 10, 10000).astype(np.int32)
        source = "uniform random images (MNIST test set not found)"
    idx = np.arange(n) % len(x)
    return np.ascontiguousarray(x[idx], np.float32), np.asarray(y[idx], np.int32), source


# ---------------------------------------------------------------------------- timing
def _cpu():
    """User + system CPU seconds of this process, all threads."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _time(fn, sync, cpu_log=None):
    c0, t0 = _cpu(), time.perf_counter()
    sync(fn())
    t = time.perf_counter() - t0
    if cpu_log is not None:
        cpu_log.append(_cpu() - c0)
    return t


def _jax_sync(out):
    jax.block_until_ready(out)


def _median(ts):
    return statistics.median(ts)


# ---------------------------------------------------------------------------- FLOPs
def dense_shapes(n: int, widths=WIDTHS):
    """(m, k, n_out) of every matmul of the batch: forward z_l = o_{l-1} W_l and backward g_{l-1} = g_l W_lᵀ."""
    fwd = [(n, widths[i], widths[i + 1]) for i in range(len(widths) - 1)]
    bwd = [(n, widths[i + 1], widths[i]) for i in range(len(widths) - 1)]
    return fwd, bwd


def flow_matmuls(flow: str, n: int, widths=WIDTHS):
    """The matmuls a flow must run. Backward: all L transposed maps (down to input space).
    Forward: the ReLU masks z_1..z_{L-1} (guided backprop, saliency from a one-hot logit), plus the
    logits for bp-DNN (p − y needs them); deconvnet uses no forward quantity on an MLP."""
    fwd, bwd = dense_shapes(n, widths)
    need_fwd = {"guided_backprop": fwd[:-1], "deconvnet": [], "saliency": fwd[:-1], "bp_dnn_targets": fwd}[flow]
    return list(need_fwd) + list(bwd)


def flops_of(shapes):
    return sum(2 * m * k * o for m, k, o in shapes)


def compiled_dots(model, params, x, y, rule, from_prediction):
    """Number of dot ops and XLA's own flop count of the compiled core."""
    compiled = flows._top_flow_batch.lower(model, params, x, y, rule, from_prediction).compile()
    text = compiled.as_text()
    n_dots = len(re.findall(r"\bdot\(", text))
    cost = compiled.cost_analysis()
    if isinstance(cost, (list, tuple)):
        cost = cost[0] if cost else {}
    return n_dots, float((cost or {}).get("flops", float("nan")))


# ---------------------------------------------------------------------------- GEMM roofline
def gemm_calls(shapes):
    """{shape: call} of compiled, warmed-up float32 jnp matmuls A(m,k) @ B(k,n)."""
    calls = {}
    key = jax.random.key(1)
    f = jax.jit(jnp.matmul)
    for m, k, o in shapes:
        ka, kb = jax.random.split(jax.random.fold_in(key, m * 7 + k * 3 + o))
        a = jax.random.normal(ka, (m, k), jnp.float32)
        b = jax.random.normal(kb, (k, o), jnp.float32)
        calls[(m, k, o)] = partial(f, a, b)
        _jax_sync(calls[(m, k, o)]())
    return calls


# ---------------------------------------------------------------------------- proposed core
def chunked_call(model, params, x, y, flow, chunk):
    """The same outputs as the public call, with the batch run in chunks of ``chunk`` examples
    (``jax.lax.map(..., batch_size=chunk)``: a loop of vmapped chunks, so that a chunk's whole
    forward trace and backward signals stay in cache). A proposal for ``flows._top_flow_batch``."""
    _, rule, from_pred = FLOWS[flow]
    fn = jax.jit(partial(_chunked_core, model, rule=rule, from_prediction=from_pred, chunk=chunk,
                         output=flow))
    return lambda: fn(params, x, y)


def _chunked_core(model, params, x, y, *, rule, from_prediction, chunk, output):
    def one(xy):
        res = flows._top_flow_one(model, params, xy[0], xy[1], rule, from_prediction)
        if output == "bp_dnn_targets":
            return res
        rec = res.reconstructions[0]
        return jnp.abs(rec) if output == "saliency" else rec

    return jax.lax.map(one, (x, y), batch_size=min(chunk, x.shape[0]))


# ---------------------------------------------------------------------------- Captum
def captum_runner(model, params, x, y, threads):
    try:
        import torch
        from captum.attr import Deconvolution, GuidedBackprop, Saliency
    except ImportError:
        return None, None
    import warnings

    import peers

    warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU")
    torch.set_num_threads(threads)
    module = peers.torch_mlp(model, params)
    xt = torch.tensor(x).requires_grad_(True)
    yt = torch.tensor(y.astype(np.int64))
    methods = {"GuidedBackprop": GuidedBackprop(module), "Deconvolution": Deconvolution(module),
               "Saliency": Saliency(module)}

    def run(name):
        return methods[name].attribute(xt, target=yt)

    return run, torch


# ---------------------------------------------------------------------------- main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10000, help="batch size (MNIST test digits, cycled)")
    ap.add_argument("--repeats", type=int, default=7, help="timed rounds per flow (median reported)")
    ap.add_argument("--no-captum", action="store_true", help="skip Captum even if installed")
    ap.add_argument("--quick", action="store_true", help="fewer GEMM sizes, fewer repeats")
    ap.add_argument("--chunk", type=int, nargs="*", default=[],
                    help="also time a proposed core that runs the batch in chunks of this many examples "
                         "(jax.lax.map with batch_size over the same one-example flow), e.g. --chunk 1000")
    args = ap.parse_args(argv)
    n = args.n

    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    x_np, y_np, source = mnist_test(n)
    model = jp.mlp(list(WIDTHS))
    params = model.init(jax.random.key(0))
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)

    print(f"jax {jax.__version__} on {jax.devices()[0].platform} ({threads} CPU threads); "
          f"DNN-6 {'-'.join(map(str, WIDTHS))}; N = {n} {source}")
    try:
        print(f"load average: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")
    except OSError:
        pass

    # jaxprobe public calls (one jitted vmapped core each) and their peers
    calls = {
        "guided_backprop": lambda: jp.guided_backprop(model, params, x, y),
        "deconvnet": lambda: jp.deconvnet(model, params, x, y),
        "saliency": lambda: jp.saliency(model, params, x, y),
        "bp_dnn_targets": lambda: jp.bp_dnn_targets(model, params, x, y),
    }
    # rows: (label, flow, call, matmul rows per call)
    rows = [(name, name, calls[name], n) for name in FLOWS]
    for c in args.chunk:
        for name in FLOWS:
            rows.append((f"{name} [chunk {c}]", name, chunked_call(model, params, x, y, name, c), min(c, n)))
    peer, torch = (None, None) if args.no_captum else captum_runner(model, params, x_np, y_np, threads)
    if peer is None:
        print("Captum: " + ("skipped (--no-captum)" if args.no_captum else
                           "torch/captum not installed; roofline part only "
                           "(pip install torch==2.13.0 captum)"))
    else:
        print(f"Captum peer: torch {torch.__version__}, {torch.get_num_threads()} threads")

    flops, dots = {}, {}
    for name, (_, rule, from_pred) in FLOWS.items():
        flops[name] = flops_of(flow_matmuls(name, n))
        n_dots, xla_flops = compiled_dots(model, params, x, y, rule, from_pred)
        dots[name] = (n_dots, len(flow_matmuls(name, n)), xla_flops)
        if n_dots != dots[name][1]:
            print(f"warning: {name} compiles to {n_dots} dots, the FLOP count assumes {dots[name][1]}")
    for label, name, call, _ in rows:
        _jax_sync(call())  # compile + warm up
        out = call()
        _jax_sync(out)
        if label != name:  # a proposed core: same result as the public call?
            ref = calls[name]()
            diff = max(float(jnp.max(jnp.abs(u - v))) for u, v in
                       zip(jax.tree.leaves(out), jax.tree.leaves(ref)))
            print(f"{label}: max |difference| from the public call = {diff:.2g}")
    peer_names = sorted({p for p, _, _ in FLOWS.values()})
    if peer is not None:
        for p in peer_names:
            peer(p)  # warm up

    # GEMM roofline, same process and same rounds
    squares = (256, 512, 1024, 2048) if args.quick else (256, 512, 1024, 2048, 4096)
    flow_shapes = sorted({s for _, f, _, m in rows for s in flow_matmuls(f, m)})
    tall = [(10000, 784, 100), (10000, 100, 784), (10000, 100, 100), (10000, 784, 784),
            (10000, 1024, 1024), (4096, 784, 256)]
    gemm_shapes = [(s, s, s) for s in squares] + tall
    gemms = gemm_calls(gemm_shapes + [s for s in flow_shapes if s not in gemm_shapes])

    repeats = 3 if args.quick else args.repeats
    t_jax = {label: [] for label, _, _, _ in rows}
    t_peer = {p: [] for p in peer_names}
    t_gemm = {s: [] for s in gemms}
    c_jax, c_peer, c_gemm = ({k: [] for k in d} for d in (t_jax, t_peer, t_gemm))
    for _ in range(repeats):  # interleaved rounds: load from other processes hits all alike
        for label, _, call, _ in rows:
            t_jax[label].append(_time(call, _jax_sync, c_jax[label]))
        if peer is not None:
            for p in peer_names:
                t_peer[p].append(_time(lambda: peer(p), lambda out: None, c_peer[p]))
        for shape, call in gemms.items():
            t_gemm[shape].append(_time(call, _jax_sync, c_gemm[shape]))
    rates = {(m, k, o): (2 * m * k * o / _median(ts), 2 * m * k * o / min(ts))
             for (m, k, o), ts in t_gemm.items()}
    stats = ("median", "best")
    peak = {}
    for i, st in enumerate(stats):
        shape = max(rates, key=lambda s: rates[s][i])
        peak[st] = (rates[shape][i], shape)

    def shape_label(s):
        return f"({s[0]}x{s[1]}) @ ({s[1]}x{s[2]})"

    print("\nfloat32 GEMM rate (jnp.matmul), GFLOP/s, median and best of the repeats:")
    for s in gemm_shapes + [None] + flow_shapes:
        if s is None:
            print("  the flows' own matmul shapes:")
            continue
        mark = "   <- best" if s in (peak["median"][1], peak["best"][1]) else ""
        print(f"  {shape_label(s):<28} {rates[s][0] / 1e9:8.1f} {rates[s][1] / 1e9:8.1f}{mark}")

    print(f"\nDNN-6, N = {n}, {repeats} rounds, jax, Captum and GEMMs interleaved; "
          "each cell: median / best round")
    width = max(len(label) for label, _, _, _ in rows)
    head = (f"{'flow':<{width}} {'ms':>13} {'examples/s':>15} {'GFLOP':>6} {'GFLOP/s':>11} {'roofline':>11} "
            f"{'shape-bound':>11}")
    if peer is not None:
        head += f" | {'Captum peer':<15} {'ms':>13} {'examples/s':>13} {'speed-up':>13}"
    print(head)
    print("-" * len(head))
    summary = {}

    def pair(a, b, fmt):
        return f"{a:{fmt}} / {b:{fmt}}"

    for label, name, _, rows_m in rows:
        pname = FLOWS[name][0]
        tj = (_median(t_jax[label]), min(t_jax[label]))
        gf = tuple(flops[name] / t / 1e9 for t in tj)
        roof = tuple(g * 1e9 / peak[st][0] for g, st in zip(gf, stats))
        bound = (n / rows_m) * sum(2 * m * k * o / rates[(m, k, o)][0]
                                   for m, k, o in flow_matmuls(name, rows_m)) / tj[0]
        row = (f"{label:<{width}} {pair(tj[0] * 1e3, tj[1] * 1e3, '5.0f')} {pair(n / tj[0], n / tj[1], '6.0f')} "
               f"{flops[name] / 1e9:6.2f} {pair(gf[0], gf[1], '4.1f')} {pair(roof[0], roof[1], '4.2f')} "
               f"{bound:11.2f}")
        result = dict(ms=tj[0] * 1e3, ms_best=tj[1] * 1e3, examples_per_s=n / tj[0],
                      examples_per_s_best=n / tj[1], roofline=roof[0], roofline_best=roof[1],
                      shape_bound=bound)
        if peer is not None:
            tp = (_median(t_peer[pname]), min(t_peer[pname]))
            sp = (tp[0] / tj[0], tp[1] / tj[1])
            row += (f" | {pname:<15} {pair(tp[0] * 1e3, tp[1] * 1e3, '5.0f')} "
                    f"{pair(n / tp[0], n / tp[1], '5.0f')} {pair(sp[0], sp[1], '4.1f')}x")
            result.update(captum_ms=tp[0] * 1e3, captum_examples_per_s=n / tp[0], speedup=sp[0],
                          speedup_best=sp[1])
        print(row)
        summary[label] = result

    for st in stats:
        print(f"best GEMM rate ({st} of repeats): {peak[st][0] / 1e9:.1f} GFLOP/s at {shape_label(peak[st][1])}")
    print("roofline = flow matmul GFLOP/s / best GEMM rate, same statistic (goal >= 0.8); shape-bound = "
          "time the flow would take if each of its matmuls ran at the median GEMM rate of its own shape, "
          "over its median time (1.0 = nothing but those matmuls).")
    if peer is not None:
        print("speed-up = Captum time / jaxprobe time, same weights, inputs and thread count (goal >= 6).")
    print("'best' = fastest round: the least disturbed by other processes on a shared machine.")
    # the same calls by CPU time: on a loaded machine, waiting for the cores does not count
    cpu_rate = {(m, k, o): 2 * m * k * o / _median(cs) for (m, k, o), cs in c_gemm.items()}
    cpu_peak_shape = max(cpu_rate, key=cpu_rate.get)
    cpu_peak = cpu_rate[cpu_peak_shape]
    print(f"\nThe same rounds by CPU time (user + system, all threads; median), which a busy machine "
          f"disturbs less than wall time:")
    head = f"{'flow':<{width}} {'CPU ms':>8} {'GFLOP/CPU-s':>12} {'roofline':>9}"
    if peer is not None:
        head += f" | {'Captum CPU ms':>13} {'speed-up':>9}"
    print(head)
    print("-" * len(head))
    for label, name, _, _ in rows:
        cj = _median(c_jax[label])
        row = f"{label:<{width}} {cj * 1e3:8.0f} {flops[name] / cj / 1e9:12.1f} {flops[name] / cj / cpu_peak:9.2f}"
        summary[label].update(cpu_ms=cj * 1e3, roofline_cpu=flops[name] / cj / cpu_peak)
        if peer is not None:
            cp = _median(c_peer[FLOWS[name][0]])
            row += f" | {cp * 1e3:13.0f} {cp / cj:8.1f}x"
            summary[label].update(captum_cpu_ms=cp * 1e3, speedup_cpu=cp / cj)
        print(row)
    print(f"best GEMM rate by CPU time: {cpu_peak / 1e9:.1f} GFLOP per CPU-second at {shape_label(cpu_peak_shape)} "
          f"(x {threads} threads = {threads * cpu_peak / 1e9:.0f} GFLOP/s if both cores were ours).")
    print("\nFLOPs counted: " + "; ".join(
        f"{k} {flops[k] / n:.0f}/example ({d[1]} matmuls; the compiled HLO has {d[0]} dots, XLA counts "
        f"{d[2] / n:.0f} flop/example)" for k, d in dots.items()))
    try:
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    except OSError:
        pass
    return summary


if __name__ == "__main__":
    main()
