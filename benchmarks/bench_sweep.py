"""Speed of stacked training (the sweep's compiled program) against a Python loop over one jitted step.

    python benchmarks/bench_sweep.py [--ks 1,2,4,8,16,32,64] [--steps 20] [--repeats 3] [--cpu-devices 2] [--quick]
    python benchmarks/bench_sweep.py --end-to-end [--members 16] [--steps 400]

DNN-6 (784-100×5-10) at batch 64 on random inputs (the speed does not depend on the values), SGD
through ``optax.inject_hyperparams`` as ``jaxprobe.sweep`` builds it, every program traced without
the per-step traced checks (as ``fit`` and ``sweep`` run it). For each K:

- loop: the program for one member, called K times from Python (what a loop over ``fit`` runs);
- stacked: K members in one call of ``jaxprobe.sweep.stacked_steps`` (vmapped over members, each
  with its own minibatch order, as a sweep runs them);
- shared order: the same with one minibatch order for all members (``sweep(shared_order=True)``:
  XLA runs the members' first-layer matmuls as one wide GEMM, x (64, 784) @ (784, K·100));
- with ``--cpu-devices N`` (the host CPU split into N devices, ``parallel.split_host_cpu``): both
  stacked variants again with the members split over the N devices (``parallel.shard_leading``).

``--end-to-end``: what a user runs instead, K members × ``--steps`` steps: a loop of ``fit`` calls
(seed k's keys, as the sweep draws them) against ``sweep`` over K seeds with each member's own
order and with ``shared_order=True`` (all at once, and in rounds of 4 members), evaluation and
Python overheads included.

Model-steps/s = K · steps / time (median of the rounds). The GEMM fraction is the time the step's
own matmuls (2·m·k·n each: 6 forward, 6 weight gradients, 5 input gradients per model-step) would
take at the rate measured here for each shape alone, over the measured time per model-step; above
1 the stacked program runs faster than its members' matmuls can alone. Every round times all
variants and all K, so load from other processes hits all alike. Prints the device it ran on and
the load average. Never run in CI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402

if __name__ == "__main__" and "--cpu-devices" in sys.argv:  # before JAX starts its backends
    jax.config.update("jax_num_cpu_devices", int(sys.argv[sys.argv.index("--cpu-devices") + 1]))

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import jaxprobe as jp  # noqa: E402
from jaxprobe import parallel, validation  # noqa: E402
from jaxprobe.sweep import member_keys, stacked_steps, sweep  # noqa: E402
from jaxprobe.train import fit  # noqa: E402

WIDTHS = (784, 100, 100, 100, 100, 100, 10)
BATCH = 64
N_TRAIN = 6400


def step_matmul_shapes(widths=WIDTHS, batch=BATCH) -> list:
    """(m, k, n) of every matmul one SGD step of an MLP runs: forward, weight and input gradients."""
    shapes = []
    for layer, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        shapes.append((batch, fan_in, fan_out))  # z = o W
        shapes.append((fan_in, batch, fan_out))  # dW = oᵀ δ
        if layer > 0:
            shapes.append((batch, fan_out, fan_in))  # δ_prev = δ Wᵀ (not needed below the first layer)
    return shapes


def describe_device() -> str:
    """The device the benchmark runs on, the JAX version and the load average."""
    device = jax.devices()[0]
    return (f"device: {device.platform} {device.device_kind} × {jax.device_count()}; jax {jax.__version__}; "
            f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


def gemm_timer(m: int, k: int, n: int, repeats: int = 64):
    """A function timing one float32 (m,k)@(k,n) matmul: (wall, cpu) seconds, from ``repeats``
    distinct matmuls in one compiled loop (best of 3 calls)."""
    xs = jax.random.normal(jax.random.key(0), (repeats, m, k), jnp.float32)
    w = jax.random.normal(jax.random.key(1), (k, n), jnp.float32)

    @jax.jit
    def run(xs, w):
        return jax.lax.fori_loop(0, repeats, lambda i, c: c + xs[i] @ w, jnp.zeros((m, n), jnp.float32))

    run(xs, w).block_until_ready()

    def timed():
        best = (np.inf, np.inf)
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            run(xs, w).block_until_ready()
            best = min(best[0], time.perf_counter() - wall), min(best[1], time.process_time() - cpu)
        return best[0] / repeats, best[1] / repeats

    return timed


def end_to_end(k: int, steps: int, repeats: int) -> dict:
    """Model-steps/s (wall, CPU) of a loop of ``fit`` calls and of ``sweep`` variants; prints the table."""
    model = jp.mlp(WIDTHS)
    rng = np.random.default_rng(0)
    train = (rng.normal(size=(N_TRAIN, WIDTHS[0])).astype(np.float32), rng.integers(0, 10, N_TRAIN).astype(np.int32))
    kw = dict(steps=steps, batch_size=BATCH, eval_every=steps)
    grid = {"seed": range(k)}

    def fit_loop():
        for seed in range(k):
            init_key, data_key = member_keys(seed)
            fit(model, model.init(init_key), train, key=data_key, optimizer="sgd", learning_rate=0.01, progress=False,
                **kw)

    runs = {"loop of fit calls": fit_loop,
            "sweep, own orders": lambda: sweep(model, train, grid, max_members_per_device=k, **kw),
            "sweep, shared order": lambda: sweep(model, train, grid, shared_order=True, max_members_per_device=k, **kw),
            "shared, rounds of 4": lambda: sweep(model, train, grid, shared_order=True, max_members_per_device=4, **kw)}
    for run in runs.values():  # compile
        run()
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    rates = {name: [k * steps / statistics.median(t[i] for t in v) for i in (0, 1)] for name, v in times.items()}
    loop = rates["loop of fit calls"]
    print(f"end to end, {k} members × {steps} steps (evaluation and Python overheads included)")
    print(f"{'variant':>22} {'model-steps/s':>14} {'× loop':>7} {'CPU steps/s':>12} {'× loop':>7}")
    for name, (wall, cpu) in rates.items():
        print(f"{name:>22} {wall:>14,.0f} {wall / loop[0]:>7.2f} {cpu:>12,.0f} {cpu / loop[1]:>7.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return rates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", default="1,2,4,8,16,32,64")
    parser.add_argument("--steps", type=int, help="steps per call (default 20; 400 with --end-to-end)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cpu-devices", type=int, default=1, help="split the host CPU into N devices (first flag "
                        "read before JAX starts)")
    parser.add_argument("--quick", action="store_true", help="K = 1, 4, 16; 10 steps; 2 rounds")
    parser.add_argument("--end-to-end", action="store_true", help="fit loop against sweep calls instead")
    parser.add_argument("--members", type=int, default=16, help="K of --end-to-end")
    args = parser.parse_args(argv)
    if args.end_to_end:
        print(describe_device())
        return end_to_end(args.members, args.steps or 400, args.repeats)
    ks = [1, 4, 16] if args.quick else [int(k) for k in args.ks.split(",")]
    steps, repeats = (10, 2) if args.quick else (args.steps or 20, args.repeats)

    print(describe_device())
    model = jp.mlp(WIDTHS)
    optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=0.01)
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(N_TRAIN, WIDTHS[0])).astype(np.float32))
    y = jnp.asarray(rng.integers(0, 10, N_TRAIN).astype(np.int32))
    program = jax.jit(stacked_steps, static_argnames=("model", "optimizer"))
    mesh = parallel.device_mesh()
    n_dev = mesh.devices.size

    def state(k):
        params = model.init_stacked(jax.random.split(jax.random.key(1), k))
        return params, jax.vmap(optimizer.init)(params)

    def indices(k, shared):
        shape = (steps, BATCH) if shared else (k, steps, BATCH)
        return jnp.asarray(rng.integers(0, N_TRAIN, shape).astype(np.int32))

    def on_mesh(variant):
        (params, opt_state), idx, calls = variant
        params, opt_state = parallel.shard_leading((params, opt_state), mesh)
        idx = parallel.shard_leading(idx, mesh) if idx.ndim == 3 else parallel.replicate(idx, mesh)
        return (params, opt_state), idx, calls

    names = ["loop", "stacked", "shared order"] + ([f"stacked, {n_dev} dev", f"shared, {n_dev} dev"] if n_dev > 1
                                                   else [])
    variants = {}
    for k in ks:
        variants[("stacked", k)] = (state(k), indices(k, False), 1)
        variants[("shared order", k)] = (state(k), indices(k, True), 1)
        variants[("loop", k)] = (state(1), indices(1, False), k)  # one member's program, called k times
        if n_dev > 1 and k % n_dev == 0:
            variants[(names[3], k)] = on_mesh(variants[("stacked", k)])
            variants[(names[4], k)] = on_mesh(variants[("shared order", k)])

    def run(variant):
        (params, opt_state), idx, calls = variant
        for _ in range(calls):
            out = program(model, optimizer, params, opt_state, x, y, idx, steps)
        jax.block_until_ready(out)

    with validation.traced_checks(False):  # as fit and sweep compile their steps
        for variant in variants.values():  # compile
            run(variant)
    shapes = step_matmul_shapes()
    gemms = [gemm_timer(*shape) for shape in shapes]
    times = {name: [] for name in variants}
    bound = np.array([np.inf, np.inf])  # (wall, cpu) seconds per model-step at each shape's own GEMM rate
    for _ in range(repeats):
        for name, variant in variants.items():
            wall, cpu = time.perf_counter(), time.process_time()
            run(variant)
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
        bound = np.minimum(bound, np.sum([g() for g in gemms], axis=0))

    flops = sum(2 * m * kk * n for m, kk, n in shapes)
    print(f"one model-step: {len(shapes)} matmuls, {flops / 1e6:.1f} MFLOP; at its shapes' own GEMM rates "
          f"{bound[0] * 1e6:.1f} µs wall ({flops / bound[0] / 1e9:.1f} GFLOP/s), {bound[1] * 1e6:.1f} µs CPU")
    print("medians of the rounds; by wall time, then by process CPU time (all threads)")
    print(f"{'K':>3} {'variant':>15} {'model-steps/s':>14} {'GEMM fraction':>14} {'× loop':>7}"
          f" {'CPU steps/s':>12} {'CPU fraction':>13} {'× loop':>7}")
    ratios = {}
    for k in ks:
        median = lambda name, i: statistics.median(t[i] for t in times[(name, k)])
        loop = [k * steps / median("loop", i) for i in (0, 1)]
        for name in names:
            if (name, k) not in times:
                continue
            rate = [k * steps / median(name, i) for i in (0, 1)]
            ratios[(name, k)] = rate[0] / loop[0]
            print(f"{k:>3} {name:>15} {rate[0]:>14,.0f} {rate[0] * bound[0]:>14.2f} {rate[0] / loop[0]:>7.2f}"
                  f" {rate[1]:>12,.0f} {rate[1] * bound[1]:>13.2f} {rate[1] / loop[1]:>7.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return ratios


if __name__ == "__main__":
    main()
