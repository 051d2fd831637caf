"""Speed of the inner-class deviation (thesis §6.4, eq. 6.2) against ``scipy.spatial.distance.pdist``.

Data: the thesis's 60,000-signal analysis set (1,000 jump signals of each of the 60 positions,
``jaxprobe.data.jumps``) as layer 0, and its first hidden layer under an untrained Glorot-initialised
100-100-100-100-60 MLP (ReLU: non-negative, with dead units) as layer 1. For each layer and distance
(Euclidean, cosine, correlation) it times

* ``jaxprobe.analysis.deviation.inner_class_deviation`` (tiles of one matrix product each, one jitted
  scan; first call = compilation included, then the median of ``--repeats`` warm calls), and
* the direct computation: ``pdist(class rows, metric).mean()`` per class (float64), then the mean
  over classes — the same pairs, the same number;

checks the two numbers agree (relative difference printed) and prints the ratio (goal ≥ 10×, issue 14).
The memory of our computation beyond the data is one tile of ``TILE²`` distances; pdist holds each
class's 499,500 distances. The machine is shared: the load average is printed with the numbers.

Run (never in CI): ``python benchmarks/bench_deviation.py [--repeats 3] [--quick] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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


def timed(fn, repeats: int) -> tuple[float, list, object]:
    times, value = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
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
        for metric in METRICS:
            t0 = time.perf_counter()
            ours = inner_class_deviation(x, y, metric)
            first = time.perf_counter() - t0
            warm, _, _ = timed(lambda: inner_class_deviation(x, y, metric), args.repeats)
            ref_time, _, ref = timed(lambda: pdist_deviation(x, y, metric), args.repeats)
            row = dict(layer=layer, metric=metric, ours=ours.value, pdist=ref,
                       rel_diff=abs(ours.value - ref) / abs(ref), first_s=first, warm_s=warm, pdist_s=ref_time,
                       ratio=ref_time / warm, excluded=int(ours.excluded.sum()))
            rows.append(row)
            print(f"{layer:24s} {metric:12s} ours {ours.value:.6g} pdist {ref:.6g} (rel diff {row['rel_diff']:.1e}, "
                  f"{row['excluded']} undefined vectors left out) | ours {warm:.3f} s (first call {first:.2f} s) "
                  f"pdist {ref_time:.2f} s | ratio {row['ratio']:.1f}×", flush=True)
    worst = min(r["ratio"] for r in rows)
    print(f"smallest ratio {worst:.1f}× (goal ≥ 10×); load average now {load():.1f}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "load": load(), "n_per_class": n_per_class}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
