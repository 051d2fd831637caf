"""Speed of the flows on any function (``jaxprobe.anyflow``) against the built-in engine (``jaxprobe.flows``).

    python benchmarks/bench_interpret.py [--n 10000] [--repeats 9]

DNN-6 (784-100×5-10, LeCun-normal weights) on the MNIST test digits (``shared/data/mnist``; uniform
random images when absent). Each flow runs once through the built-in engine on the ``Network`` and
once through the jaxpr interpreter on ``model.apply``, the whole batch in one compiled call each;
the two results are checked equal. Rounds interleave the two engines, so load from other processes
hits both alike; the ratio anyflow / built-in of the median wall times and of the median CPU times
is printed per flow (goal: at most 1.2), with the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import jaxprobe as jp  # noqa: E402
from jaxprobe import anyflow  # noqa: E402
from bench_flows import WIDTHS, _jax_sync, _median, _time, mnist_test  # noqa: E402

# flow -> (built-in call, anyflow call), each (model, params, x, y) -> arrays
FLOWS = {
    "guided_backprop": (lambda m, p, x, y: jp.guided_backprop(m, p, x, y),
                        lambda m, p, x, y: anyflow.guided_backprop(m.apply, p, x, y)),
    "deconvnet": (lambda m, p, x, y: jp.deconvnet(m, p, x, y),
                  lambda m, p, x, y: anyflow.deconvnet(m.apply, p, x, y)),
    "saliency": (lambda m, p, x, y: jp.saliency(m, p, x, y),
                 lambda m, p, x, y: anyflow.saliency(m.apply, p, x, y)),
    "bp_dnn_targets": (lambda m, p, x, y: jp.bp_dnn_targets(m, p, x, y).targets[:-1],
                       lambda m, p, x, y: anyflow.bp_dnn_targets(m.apply, p, x, y).pre),
}


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores"
    except OSError:
        return "unknown"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10000, help="batch size (MNIST test digits, cycled)")
    ap.add_argument("--repeats", type=int, default=9, help="timed rounds per flow and engine (median reported)")
    args = ap.parse_args(argv)

    x_np, y_np, source = mnist_test(args.n)
    model = jp.mlp(list(WIDTHS))
    params = model.init(jax.random.key(0))
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}; DNN-6; N = {args.n} {source}")
    print(f"load average before: {_load()}")

    for name, (builtin, anyf) in FLOWS.items():  # compile, warm up, check equal
        a, b = builtin(model, params, x, y), anyf(model, params, x, y)
        _jax_sync((a, b))
        diff = max(float(jnp.max(jnp.abs(u - v))) for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b)))
        print(f"{name}: max |anyflow - built-in| = {diff:.2g}")

    wall = {(f, e): [] for f in FLOWS for e in (0, 1)}
    cpu = {k: [] for k in wall}
    for _ in range(args.repeats):
        for name, calls in FLOWS.items():
            for e, call in enumerate(calls):
                wall[name, e].append(_time(lambda: call(model, params, x, y), _jax_sync, cpu[name, e]))

    print(f"\nDNN-6, N = {args.n}, {args.repeats} interleaved rounds; median ms (wall / CPU)")
    print(f"{'flow':<16} {'built-in':>17} {'anyflow':>17} {'ratio wall':>11} {'ratio CPU':>10}")
    summary = {}
    for name in FLOWS:
        tb, ta = _median(wall[name, 0]), _median(wall[name, 1])
        cb, ca = _median(cpu[name, 0]), _median(cpu[name, 1])
        print(f"{name:<16} {tb * 1e3:8.0f} / {cb * 1e3:6.0f} {ta * 1e3:8.0f} / {ca * 1e3:6.0f} "
              f"{ta / tb:11.2f} {ca / cb:10.2f}")
        summary[name] = dict(builtin_ms=tb * 1e3, anyflow_ms=ta * 1e3, ratio=ta / tb, ratio_cpu=ca / cb)
    print("ratio = anyflow / built-in (goal <= 1.2)")
    print(f"load average after: {_load()}")
    return summary


if __name__ == "__main__":
    main()
