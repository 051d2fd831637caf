"""Speed of the inner-class deviation (thesis §6.4, eq. 6.2) against ``scipy.spatial.distance.pdist``.

Data: the thesis's 60,000-signal analysis set (1,000 jump signals of each of the 60 positions,
``jaxprobe.data.jumps``) as layer 0, and its first hidden layer under an untrained Glorot-initialised
100-100-100-100-60 MLP (ReLU: non-negative, with dead units) as layer 1. For each layer and distance
(Euclidean, cosine, correlation) it times

* ``jaxprobe.analysis.deviation.inner_class_deviation`` (Euclidean: tiles of matrix products in one jitted
  scan; cosine and correlation: the closed form over unit vectors) — first call (compilation included),
  then the best of ``--repeats`` warm calls — and
* the direct computation: ``pdist(class rows, metric).mean()`` per class (float64), then the mean
  over classes — the same pairs, the same number;

and "all three" (the three distances of one layer, as ``layer_deviations`` computes them). It checks the
numbers agree (largest relative difference printed) and prints two ratios (goal ≥ 10×, issue 14): of the
best wall times, and of the best process CPU times (all threads summed: robust to the shared machine's
load, and no credit for our use of both cores). The memory of our computation beyond the data is
60 tiles of ``TILE²`` distances; pdist holds each class's 499,500 distances. The load average is printed.

Run (never in CI): ``python benchmarks/bench_deviation.py [--repeats 5] [--quick] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
import numpy as np  # noqa: E402
from scipy.spatial.distance import pdist  # noqa: E402

from jaxprobe.analysis.deviation import METRICS, TILE, inner_class_deviation  # noqa: E402
from jaxprobe.data.jumps import jump_splits  # noqa: E402
from jaxprobe.models import glorot_init, mlp  # noqa: E402
from jaxprobe.probes.activations import stacked_activations  # noqa: E402


def load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def layers(n_per_class: int) -> tuple[dict, np.ndarray]:
    splits = jump_splits(sizes=(60, 60, 60, 60 * n_per_class))
    x, y = np.asarray(splits.analysis_x), np.asarray(splits.analysis_y)
    net = mlp([100, 100, 100, 100, 60])
    params = jax.tree.map(lambda a: a[None], glorot_init(net, jax.random.key(0)))
    hidden = stacked_activations(net, params, x, 1)[0]
    return {"input (layer 0)": x, "untrained ReLU layer 1": hidden}, y


def pdist_deviation(x: np.ndarray, y: np.ndarray, metric: str) -> float:
    means = []
    for c in np.unique(y):
        rows = x[y == c].astype(np.float64)
        if metric != "euclidean":   # the same exclusions as ours: undefined rows are left out
            centred = rows - rows.mean(1, keepdims=True) if metric == "correlation" else rows
            rows = rows[np.linalg.norm(centred, axis=1) > 1e-5 * np.linalg.norm(rows, axis=1)]
        means.append(pdist(rows, metric).mean())
    return float(np.mean(means))


def timed(fn, repeats: int) -> tuple[float, float, object]:
    """Best wall time and best process CPU time (all threads) over ``repeats`` calls, and the last value."""
    wall, cpu, value = [], [], None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        value = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu), value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="200 signals a class instead of 1,000")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    n_per_class = 200 if args.quick else 1000
    data, y = layers(n_per_class)
    print(f"inner-class deviation of {len(y):,} vectors, 60 classes of {n_per_class} "
          f"({n_per_class * (n_per_class - 1) // 2:,} pairs each), tile {TILE}; load average {load():.1f} "
          f"on {os.cpu_count()} cores")
    rows = []
    for layer, x in data.items():
        for metric in METRICS + ("all three",):
            metrics = METRICS if metric == "all three" else (metric,)
            ours_fn = lambda: [inner_class_deviation(x, y, m).value for m in metrics]
            ref_fn = lambda: [pdist_deviation(x, y, m) for m in metrics]
            t0 = time.perf_counter()
            ours_fn()
            first = time.perf_counter() - t0
            wall, cpu, ours = timed(ours_fn, args.repeats)
            ref_wall, ref_cpu, ref = timed(ref_fn, max(2, args.repeats // 2))
            rel = max(abs(a - b) / abs(b) for a, b in zip(ours, ref))
            row = dict(layer=layer, metric=metric, ours=ours, pdist=ref, rel_diff=rel, first_s=first, wall_s=wall,
                       cpu_s=cpu, pdist_wall_s=ref_wall, pdist_cpu_s=ref_cpu, ratio_wall=ref_wall / wall,
                       ratio_cpu=ref_cpu / cpu)
            rows.append(row)
            print(f"{layer:24s} {metric:12s} max rel diff {rel:.1e} | ours {wall:.3f} s wall, {cpu:.3f} s CPU "
                  f"(first call {first:.2f} s) | pdist {ref_wall:.2f} s wall, {ref_cpu:.2f} s CPU | ratio "
                  f"{row['ratio_wall']:.1f}× wall, {row['ratio_cpu']:.1f}× CPU", flush=True)
    for kind in ("wall", "cpu"):
        worst = min(rows, key=lambda r: r[f"ratio_{kind}"])
        print(f"smallest {kind} ratio {worst[f'ratio_{kind}']:.1f}× ({worst['layer']}, {worst['metric']}); goal ≥ 10×")
    print(f"load average now {load():.1f}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "load": load(), "n_per_class": n_per_class}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
