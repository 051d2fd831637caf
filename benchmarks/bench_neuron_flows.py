"""Flows from many units of one layer: jaxprobe's one compiled call against Captum's neuron loop.

    python benchmarks/bench_neuron_flows.py [--width 12] [--n 32] [--positions 4] [--repeats 3] [--quick]

The network is ``vgg_mnist(width)`` (the seed-004 study's: conv 12, conv 12, pool, conv 24, conv 24, pool,
dense 128, 10; ``--width 16`` for 16/32 channels) with
LeCun-normal weights and small random biases; its torch twin (``benchmarks/peers.py`` converters:
conv → ReLU → … → MaxPool2d, the weights copied) runs Captum. The units are every channel of the last
conv layer (layer 4, after its ReLU) at ``--positions`` central positions; the inputs are MNIST test
digits (``shared/data/mnist``; uniform noise when absent).

* jaxprobe: ``jaxprobe.probes.unit_flows.unit_flows`` — one call, vmapped over units and images, the
  forward trace computed once per image; rules 'deconvnet' and 'guided_backprop' from a delta at the unit.
* Captum: ``NeuronDeconvolution`` / ``NeuronGuidedBackprop`` on the ReLU module of conv 4, one
  ``attribute(x, neuron_selector=(c, h, w))`` per neuron (a forward and a backward pass over the batch
  each), as its API asks.

Outputs are checked equal (max |difference| / max |map| ≤ 1e-5) and the speed ratio is printed, both
libraries held to the same number of threads. Torch 2.13.0 and captum are optional (``pip install
'.[peers]'``); never run in CI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import jaxprobe as jp  # noqa: E402
from jaxprobe.probes.field_of_view import unit_index  # noqa: E402
from jaxprobe.probes.unit_flows import unit_flows  # noqa: E402
from jaxprobe.studies.seed004.measures import central_positions  # noqa: E402

LAYER = 4
RULES = {"deconvnet": "NeuronDeconvolution", "guided_backprop": "NeuronGuidedBackprop"}


def test_digits(n: int) -> tuple[np.ndarray, str]:
    from jaxprobe.data.mnist import load_shared_test_set, shared_test_dir

    loaded = load_shared_test_set()
    if loaded is None:
        return np.random.default_rng(0).uniform(size=(n, 28, 28)).astype(np.float32), "uniform noise"
    return loaded[0][:n].reshape(-1, 28, 28), f"MNIST test digits ({shared_test_dir()})"


def torch_vgg(model, params):
    """Torch twin of ``jaxprobe.vgg_mnist(width)`` on (N, 28, 28) images; returns (module, relu of conv 4)."""
    import torch

    import peers

    nn = torch.nn
    relus = [nn.ReLU() for _ in range(5)]
    shapes = model.layer_shapes
    layers = [nn.Unflatten(1, (1, 28)),
              peers.conv2d_to_torch(params[0], "SAME"), relus[0],
              peers.conv2d_to_torch(params[1], "SAME"), relus[1], nn.MaxPool2d(2),
              peers.conv2d_to_torch(params[2], "SAME"), relus[2],
              peers.conv2d_to_torch(params[3], "SAME"), relus[3], nn.MaxPool2d(2),
              nn.Flatten(), peers.hwc_dense_to_torch(params[4], (shapes[3][0] // 2, shapes[3][1] // 2, shapes[3][2])),
              relus[4], peers.dense_to_torch(params[5])]
    return nn.Sequential(*layers).eval(), relus[3]


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--width", type=int, default=12, help="vgg_mnist width (default 12, the study's)")
    ap.add_argument("--n", type=int, default=32, help="images (default 32)")
    ap.add_argument("--positions", type=int, default=4, help="positions of layer 4; every channel at each")
    ap.add_argument("--repeats", type=int, default=3, help="timed rounds of jaxprobe's call (median)")
    ap.add_argument("--quick", action="store_true", help="8 images, one position, one round")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.positions, args.repeats = 8, 1, 1
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {threads} threads for each library")

    model = jp.vgg_mnist(args.width)
    params = model.init(jax.random.key(0))
    params = tuple({**p, "bias": 0.05 * jax.random.normal(jax.random.key(10 + i), p["bias"].shape)}
                   for i, p in enumerate(params))
    x, source = test_digits(args.n)
    positions = central_positions(model, LAYER, args.positions)
    channels = np.arange(model.layer_shapes[LAYER - 1][-1])
    units = unit_index(model, LAYER, positions, channels).reshape(-1)
    neurons = [(int(c), int(p[0]), int(p[1])) for p in positions for c in channels]  # torch (C, H, W) order
    print(f"vgg_mnist({args.width}); {len(units)} units of layer {LAYER} × {len(x)} images = {len(units) * len(x):,} "
          f"flows per method; inputs: {source}")

    try:
        import torch
        from captum.attr import NeuronDeconvolution, NeuronGuidedBackprop
    except ImportError:
        print("torch / captum not installed (pip install '.[peers]'): nothing to compare against.")
        return 0
    warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU")
    torch.set_num_threads(threads)
    module, relu4 = torch_vgg(model, params)
    xt = torch.tensor(x)
    with torch.no_grad():
        same = float(np.abs(module(xt).numpy() - np.asarray(model.apply(params, jnp.asarray(x)))).max())
    print(f"torch twin: max |logit difference| {same:.1e}")
    captum = {"deconvnet": NeuronDeconvolution(module, relu4), "guided_backprop": NeuronGuidedBackprop(module, relu4)}

    for rule, name in RULES.items():
        ours = lambda: unit_flows(model, params, jnp.asarray(x), LAYER, jnp.asarray(units), rule,
                                  weight_by_activation=False).block_until_ready()
        start = time.perf_counter()
        got = np.asarray(ours())  # (N, U, 28, 28); includes compilation
        first = time.perf_counter() - start

        def theirs():
            return np.stack([captum[rule].attribute(xt.clone().requires_grad_(True), neuron_selector=nrn)
                             .detach().numpy() for nrn in neurons], axis=1)

        start = time.perf_counter()
        ref = theirs()  # Captum's loop is timed once (it is the slow side; its reference run is the timing)
        t_theirs = time.perf_counter() - start
        err = float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30))
        t_ours = _median_time(ours, args.repeats)
        print(f"{rule:16s} jaxprobe {t_ours:7.3f} s (first call with compilation {first:.1f} s) | Captum {name} "
              f"loop {t_theirs:7.3f} s | speed-up {t_theirs / t_ours:5.1f}x | max rel. difference {err:.1e} "
              f"({'equal' if err <= 1e-5 else 'NOT EQUAL'} to 1e-5)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
