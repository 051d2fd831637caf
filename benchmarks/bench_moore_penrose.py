"""Speed of the Moore–Penrose embedding trials (seed 001 §4.3.4, issue 6).

Prints, from one run:
  * trials/s of the jit-compiled, vmapped trial kernel (points drawn inside the kernel from
    their keys, centred construction — the one that reproduces the thesis) at p = 2, n = 10 and
    p = 10, n = 50, plus the plain linear variant;
  * the straightforward numpy loop (one ``np.linalg.pinv`` per trial) on the same trials, its
    decisions checked against the kernel's, and the speed ratio;
  * the wall time of the whole Fig. 4.14 + Fig. 4.15 reproduction (the sweeps the experiment
    runs with ``--full``, compilation included, plotting excluded).

Targets (issue 6): ≥ 5e6 trials/s at p = 2, n = 10; ≥ 2e5 at p = 10, n = 50; ≥ 300× the numpy
loop at p = 2, n = 10; figures in < 3 min. The machine is shared, so the load average is
printed beside the numbers.

Run: ``python benchmarks/bench_moore_penrose.py [--skip-figures] [--json out.json]``
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

from jaxprobe import moore_penrose as mp  # noqa: E402


def _load():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def kernel_rate(n, p, trials, variant="centred", repeats=3):
    mp.estimate(n, p, 2048, variant=variant, tags=("bench-warm",))  # compile
    best = None
    for i in range(repeats):
        t0 = time.perf_counter()
        e = mp.estimate(n, p, trials, variant=variant, tags=("bench", i))
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return trials / best, e


def numpy_loop_ratio(n, p, loop_trials, kernel_trials_per_s):
    """The numpy loop and the kernel on the same keys (same points); decisions compared."""
    keys = mp.cell_keys(0, n, p, loop_trials, tags=("bench-loop",))
    pts = np.asarray(jax.vmap(lambda k: mp.uniform_points(k, n, p))(keys), np.float64)
    t0 = time.perf_counter()
    ok_loop = mp.numpy_loop(pts, "centred")
    loop_dt = time.perf_counter() - t0
    s, t, _ = mp.count_successes(n, p, loop_trials, seed=0, tags=("bench-loop",))
    ok_kernel, _ = jax.vmap(lambda k: mp.trial(k, n=n, p=p))(keys)
    same = bool(np.array_equal(np.asarray(ok_kernel), ok_loop)) and s == int(ok_loop.sum())
    # the same trials through the points-in kernel (no generation), timed at scale
    loop_rate = loop_trials / loop_dt
    return loop_rate, kernel_trials_per_s / loop_rate, same, int(ok_loop.sum())


def figure_sweeps(progress=False):
    """Exactly the sweeps of ``experiments/moore_penrose.py --full`` (Fig. 4.14 both variants,
    Fig. 4.15 three sampling schemes)."""
    from experiments.moore_penrose import FULL
    from jaxprobe.studies.moore_penrose.trials import fig414_sweep, fig415_sweep

    t0 = time.perf_counter()
    r414 = fig414_sweep(FULL.ps, FULL.fig414, dense_ps=FULL.dense_ps, seed=0, pad_to_widest=FULL.pad_to_widest)
    t1 = time.perf_counter()
    r415 = fig415_sweep(FULL.fig415, seed=0, pad_to_widest=FULL.pad_to_widest)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, r414, r415


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-figures", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--trials-p2", type=int, default=1 << 26)
    ap.add_argument("--trials-p10", type=int, default=1 << 19)
    args = ap.parse_args(argv)
    out = {"cpu_count": os.cpu_count(), "jax": jax.__version__, "load_before": _load()}
    print(f"jax {jax.__version__}, {os.cpu_count()} CPU cores, load average {_load():.2f}")

    r2, e2 = kernel_rate(10, 2, args.trials_p2)
    print(f"p=2,  n=10 centred: {r2:,.0f} trials/s  (P = {e2.prob:.2e} from {e2.trials:,} trials;"
          f" target 5e6)  load {_load():.2f}")
    r10, e10 = kernel_rate(50, 10, args.trials_p10)
    print(f"p=10, n=50 centred: {r10:,.0f} trials/s  (P = {e10.prob:.3f}; target 2e5)  "
          f"load {_load():.2f}")
    r2l, _ = kernel_rate(10, 2, args.trials_p2 // 2, variant="linear", repeats=2)
    r10l, _ = kernel_rate(50, 10, args.trials_p10 // 2, variant="linear", repeats=2)
    print(f"linear variant: p=2,n=10 {r2l:,.0f}/s; p=10,n=50 {r10l:,.0f}/s")
    loop_rate, ratio, same, succ = numpy_loop_ratio(10, 2, 20000, r2)
    print(f"numpy loop (np.linalg.pinv per trial), p=2, n=10: {loop_rate:,.0f} trials/s on 20,000"
          f" trials; decisions equal to the kernel's: {same} ({succ} successes);"
          f" kernel / loop = {ratio:,.0f}x (target 300x)")
    loop10, ratio10, same10, _ = numpy_loop_ratio(50, 10, 3000, r10)
    print(f"numpy loop, p=10, n=50: {loop10:,.0f} trials/s; equal: {same10}; ratio {ratio10:,.0f}x")
    out.update(p2_n10_trials_per_s=r2, p10_n50_trials_per_s=r10, p2_n10_linear=r2l,
               p10_n50_linear=r10l, numpy_loop_p2_n10=loop_rate, ratio_p2_n10=ratio,
               numpy_equal=same, numpy_loop_p10_n50=loop10, ratio_p10_n50=ratio10)
    if not args.skip_figures:
        t414, t415, r414, r415 = figure_sweeps()
        n414 = len({(e.n, e.p) for e in r414})
        tr = sum(e.trials for e in r414 + r415)
        print(f"Fig. 4.14 ({n414} cells x 2 variants) {t414:.1f} s + Fig. 4.15 ({len(r415)} cells)"
              f" {t415:.1f} s, {tr:,} trials"
              f" = {t414 + t415:.1f} s wall (target < 180 s, compilation included)  "
              f"load {_load():.2f}")
        out.update(fig414_s=t414, fig415_s=t415, figures_s=t414 + t415)
    out["load_after"] = _load()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
