"""A probe sweep: bp-DNN targets of 16 stacked DNN-6 members × the 10,000 MNIST test digits in one call.

    python benchmarks/bench_probe_sweep.py [--members 16] [--examples 10000] [--chunk 2500] [--repeats 3]
                                           [--cpu-devices 2] [--quick]

``jaxprobe.sweep.probe_members`` runs ``bp_dnn_targets(...).targets`` (seed 000 eq. 3–4: õ_l for
l = 1..6) for every member in one compiled call (members vmapped and split over the devices,
examples whole or in blocks of ``--chunk``), beside a Python loop of per-member
``jaxprobe.bp_dnn_targets`` calls; the two must agree. The GEMM fraction is the time the flow's
own matmuls would take at the rate measured here for each shape alone (per member: the forward
pass, 6 matmuls (N, n_in) @ (n_in, n_out), and the backward flow, 5 matmuls (N, n_out) @ (n_out, n_in)
from z_6 down to z_1), over the measured time. With its traced checks (the default) a flow also
computes the signal at the input (a 6th backward matmul) for its finiteness check, and the check
itself; ``checks=False`` compiles neither. Members are untrained (the speed does not depend on
the values). Prints the device it ran on and the load average. Never run in CI.
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

import jaxprobe as jp  # noqa: E402
from bench_sweep import WIDTHS, describe_device, gemm_timer  # noqa: E402
from jaxprobe import parallel  # noqa: E402
from jaxprobe.data.mnist import load_mnist  # noqa: E402
from jaxprobe.sweep import probe_members  # noqa: E402


def targets(model, params, x, y):
    """The probe: bp-DNN targets (the backward flow from p − y) of a batch."""
    return jp.bp_dnn_targets(model, params, x, y).targets


def flow_matmul_shapes(widths=WIDTHS, n=10000) -> list:
    """(m, k, n) of the matmuls one member's bp-DNN targets need over n examples: the forward pass,
    then the backward flow from z_L down to z_1 (the step to the input is not a target)."""
    layers = list(zip(widths[:-1], widths[1:]))
    return [(n, a, b) for a, b in layers] + [(n, b, a) for a, b in layers[1:]]


def timed(fn, repeats):
    """Median (wall, CPU) seconds of ``fn()`` over ``repeats`` calls, after one warm-up call."""
    jax.block_until_ready(fn())
    times = []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        jax.block_until_ready(fn())
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=16)
    parser.add_argument("--examples", type=int, default=10000)
    parser.add_argument("--chunk", type=int, default=2500, help="examples per block of the chunked variant")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cpu-devices", type=int, default=1, help="split the host CPU into N devices (members are "
                        "split over them)")
    parser.add_argument("--quick", action="store_true", help="4 members × 1,000 digits, 2 repeats")
    args = parser.parse_args(argv)
    k, n, repeats = (4, 1000, 2) if args.quick else (args.members, args.examples, args.repeats)

    print(describe_device())
    data = load_mnist()
    x, y = jnp.asarray(data.test_x[:n]), jnp.asarray(data.test_y[:n])
    print(f"data: {len(x):,} digits from {data.test_source}")
    model = jp.mlp(WIDTHS)
    stacked = model.init_stacked(jax.random.split(jax.random.key(0), k))
    members = [parallel.unstack(stacked, i) for i in range(k)]

    variants = {
        "one call": lambda: probe_members(model, stacked, targets, (x, y)),
        f"one call, blocks of {args.chunk}": lambda: probe_members(model, stacked, targets, (x, y), chunk=args.chunk),
        f"blocks of {args.chunk}, unchecked": lambda: probe_members(model, stacked, targets, (x, y), chunk=args.chunk,
                                                                    checks=False),
        "loop over members": lambda: [targets(model, p, x, y) for p in members],
    }
    loop = variants["loop over members"]()
    for name in list(variants)[:3]:
        out = variants[name]()
        diff = np.stack([np.max(np.abs(np.asarray(out[layer][i] - loop[i][layer])).reshape(n, -1), axis=1)
                         for i in range(k) for layer in range(6)])  # (members × layers, examples)
        moved = np.mean(diff.max(0) > 1e-4)
        print(f"{name}: largest difference from the per-member flows {diff.max():.1e}; digits whose targets differ "
              f"by > 1e-4 in some member: {moved:.2%} (a ReLU unit within rounding of 0 switching: the members' "
              f"matmuls run as wider GEMMs, so their float32 sums round differently)")
    shapes = flow_matmul_shapes(n=n)
    flops = k * sum(2 * a * b * c for a, b, c in shapes)
    bound = np.sum([gemm_timer(*shape, repeats=4)() for shape in shapes], axis=0) * k
    print(f"{k} members × {n:,} digits: {len(shapes)} matmuls a member, {flops / 1e9:.1f} GFLOP; at their shapes' "
          f"own GEMM rates {bound[0]:.3f} s wall ({flops / bound[0] / 1e9:.0f} GFLOP/s), {bound[1]:.3f} s CPU")
    print(f"{'variant':>28} {'wall s':>8} {'GEMM fraction':>14} {'CPU s':>8} {'CPU fraction':>13}")
    for name, fn in variants.items():
        wall, cpu = timed(fn, repeats)
        print(f"{name:>28} {wall:>8.3f} {bound[0] / wall:>14.2f} {cpu:>8.3f} {bound[1] / cpu:>13.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
