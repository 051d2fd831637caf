"""Cost of the argument and value checks on the DNN-6 flows (issue 10, item 6).

    python benchmarks/bench_checks.py [--n 2000] [--repeats 15]

Two uses of each flow on ``n`` random inputs of DNN-6 (784-100×5-10, LeCun-normal weights):

* **eager** — the public call on concrete arrays: Python checks of x, labels and parameters, the
  compiled core, and the core's output-finiteness flag read back, against the bare compiled core
  (the same vmapped flow, no flag, no checks).
* **under jit** — ``jax.jit(lambda x, y: flow(model, params, x, y))``: the traced checks (NaN in x,
  labels or units out of range, parameters, outputs; one host callback per call) on, against the
  same function traced inside ``jaxprobe.validation.traced_checks(False)``.

Rounds interleave the variants so that load from other processes hits all alike; the median of
process CPU time per call (less disturbed by a busy machine than wall time) and of wall time are
printed, with the ratio checked / unchecked.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jaxprobe as jp  # noqa: E402
from jaxprobe import flows, validation  # noqa: E402
from jaxprobe.parallel import chunked_vmap  # noqa: E402

WIDTHS = (784, 100, 100, 100, 100, 100, 10)


def _bare_top(model, rule, from_prediction):
    return jax.jit(lambda p, x, y: chunked_vmap(
        lambda xi, yi: flows._top_flow_one(model, p, xi, yi, rule, from_prediction), x, y))


def _bare_unit(model, layer):
    def one(p, xi, ui):
        return flows._neuron_flow_one(model, p, xi, ui, layer, "exact_filter", False, None).reconstructions[0]
    return jax.jit(lambda p, x, u: chunked_vmap(lambda xi, ui: one(p, xi, ui), x, u))


def cases(model, params):
    """name → (checked eager call, bare compiled core, flow for the jit comparison)."""
    top = {
        "bp_dnn_targets": (jp.bp_dnn_targets, _bare_top(model, "gradient", True)),
        "guided_backprop": (jp.guided_backprop, _bare_top(model, "guided_backprop", False)),
        "saliency": (jp.saliency, _bare_top(model, "gradient", False)),
    }
    out = {name: (partial(f, model, params), partial(bare, params), partial(f, model, params))
           for name, (f, bare) in top.items()}
    exact = lambda x, u: jp.exact_filter(model, params, x, 3, u)
    out["exact_filter (layer 3)"] = (exact, partial(_bare_unit(model, 3), params), exact)
    return out


def _time(fn, *args):
    c0, w0 = time.process_time(), time.perf_counter()
    jax.block_until_ready(fn(*args))
    return time.process_time() - c0, time.perf_counter() - w0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    model = jp.mlp(list(WIDTHS))
    params = model.init(jax.random.key(0))
    kx, ky = jax.random.split(jax.random.key(1))
    x = np.asarray(jax.random.uniform(kx, (args.n, 784)))
    y = np.asarray(jax.random.randint(ky, (args.n,), 0, 10))
    units = y * 7 % 100
    print(f"DNN-6, {args.n} examples, {args.repeats} interleaved rounds, {jax.devices()[0].device_kind}")
    print(f"{'flow':24s} {'use':10s} {'checked ms':>11s} {'bare ms':>9s} {'ratio cpu':>10s} {'ratio wall':>10s}")
    for name, (checked, bare, flow) in cases(model, params).items():
        second = units if name.startswith("exact") else y
        jitted_on = jax.jit(flow)
        with validation.traced_checks(False):
            jitted_off = jax.jit(flow)
            jax.block_until_ready(jitted_off(x, second))  # traced here, with the checks off
        variants = {"eager": (checked, bare), "under jit": (jitted_on, jitted_off)}
        for fn in (checked, bare, jitted_on):
            jax.block_until_ready(fn(x, second))  # compile
        times = {(use, k): [] for use in variants for k in (0, 1)}
        for _ in range(args.repeats):
            for use, pair in variants.items():
                for k, fn in enumerate(pair):
                    times[(use, k)].append(_time(fn, x, second))
        for use in variants:
            on, off = times[(use, 0)], times[(use, 1)]
            med = lambda ts, i: statistics.median(t[i] for t in ts)
            print(f"{name:24s} {use:10s} {1e3 * med(on, 1):11.1f} {1e3 * med(off, 1):9.1f} "
                  f"{med(on, 0) / med(off, 0):10.3f} {med(on, 1) / med(off, 1):10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
