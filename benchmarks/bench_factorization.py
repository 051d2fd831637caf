"""Speed of seed 002's coupled NMF (``jaxprobe.analysis.factorization``) on the full study's matrix.

The stacked matrix is the full study's: D_0 (784 pixels), A_0 (1,440) and A_1 (320) of the seed's
CNN trained one epoch on the 4,500 embedded digits (batch 5, as the study), columns = the 10,000
MNIST test digits: 2,544 × 10,000, float32. From one run it prints:

* scikit-learn's ``NMF`` with ``solver='mu'`` and with ``solver='cd'`` (its defaults: tol 1e-4,
  max_iter 200) on Xᵀ from the same U(0, 1) factors at one rank, its wall time and the objective
  J it stops at; then ours from the same factors run until J ≤ that objective (``target=``):
  the multiplicative updates as printed (``mu``, ``inner_steps=1``, the same iterates as
  sklearn's ``mu``) and accelerated (``inner_steps=4``), and hierarchical ALS (``hals``, the same
  iterates as sklearn's ``cd``) plain and with 3 sweeps per product; the ratio of wall times
  (compilation reported apart: it is paid once per shape);
* the three ways of fitting ranks 10..50: side by side in one compiled call (the library's),
  one compile per rank, and every rank padded to 50 (the flops of a padded vmap);
* the load average before and after (the machine is shared).

Goal (issue 15): ≥ 5× scikit-learn at the same rank and stopping objective, for both solvers.

Run: ``python benchmarks/bench_factorization.py [--rank 30] [--images 10000] [--json out.json]``
(never in CI).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import NMF  # noqa: E402

from jaxprobe.analysis.factorization import coupled_nmf  # noqa: E402
from jaxprobe.data import mnist  # noqa: E402
from jaxprobe.studies.coupled_nmf import protocol as P  # noqa: E402


#: Our solvers and inner steps timed against each scikit-learn solver.
VARIANTS = (("mu", 1), ("mu", 4), ("hals", 1), ("hals", 3))


def study_blocks(images: int):
    """[D_0, A_0, A_1] of the 100 %-data network (seed 0), columns = the first ``images`` test digits."""
    data = mnist.load_mnist()
    x, y = data.train_x.reshape(-1, 28, 28), data.train_y
    net = P.network()
    params = P.train(net, P.condition(P.REFERENCE), x, y, seed=0, batch_size=P.batch_size_for(len(y)))
    return P.blocks_of(net, params, data.test_x[:images].reshape(-1, 28, 28))


def objective(X, W, F):
    """J = ‖X − W Fᵀ‖², in float64."""
    return float(np.sum((X.astype(np.float64) - W.astype(np.float64) @ F.astype(np.float64).T) ** 2))


def sklearn_fit(X, W0, F0, rank, solver):
    """sklearn's NMF on Xᵀ (its W = our F, its H = our Wᵀ), from our factors: (seconds, J, iterations)."""
    model = NMF(rank, init="custom", solver=solver, beta_loss="frobenius", tol=1e-4, max_iter=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        F = model.fit_transform(X.T, W=F0.copy(), H=W0.T.copy())
        seconds = time.perf_counter() - start
    return seconds, objective(X, model.components_.T, F), int(model.n_iter_)


def ours_to_target(blocks, W0, F0, rank, target, solver, inner, max_iter):
    """Our fit from (W0, F0) until J ≤ target: (seconds, J reached, iterations, compile seconds)."""
    run = lambda t: coupled_nmf(blocks, rank, init=[(W0, F0)], iterations=max_iter, inner_steps=inner, target=t,
                                solver=solver)
    start = time.perf_counter()
    jax.block_until_ready(run(np.inf).rmse)        # compiles; stops before the first iteration
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    fit = run(target)
    jax.block_until_ready(fit.rmse)
    seconds = time.perf_counter() - start
    X = np.vstack(blocks)
    P_, F = fit.factors(rank)
    return seconds, objective(X, np.vstack([np.asarray(p) for p in P_]), np.asarray(F)), int(fit.n_iter[0]), compile_s


def rank_strategies(blocks, iterations):
    """Ranks 10..50 side by side, one compile per rank, padded to 50: (compile+run, run) seconds each."""
    out = {}
    plans = {"side by side (one call)": [P.RANKS], "one compile per rank": [(r,) for r in P.RANKS],
             "padded to 50 (5 × 50 columns)": [(max(P.RANKS),) * len(P.RANKS)]}
    for name, calls in plans.items():
        first = again = 0.0
        for ranks in calls:
            for i in range(2):
                start = time.perf_counter()
                jax.block_until_ready(coupled_nmf(blocks, ranks, key=jax.random.key(0), iterations=iterations).rmse)
                if i == 0:
                    first += time.perf_counter() - start
                else:
                    again += time.perf_counter() - start
        out[name] = {"first_call_s": first, "run_s": again}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rank", type=int, default=30)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--max-iter", type=int, default=3000, help="our cap on iterations when chasing a target")
    parser.add_argument("--strategy-iterations", type=int, default=30)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    load = {"start": os.getloadavg()}
    print(f"load average at start: {load['start']} on {os.cpu_count()} cores", flush=True)

    blocks = study_blocks(args.images)
    X = np.vstack(blocks)
    rng = np.random.default_rng(0)
    W0 = rng.random((X.shape[0], args.rank), dtype=np.float32)
    F0 = rng.random((X.shape[1], args.rank), dtype=np.float32)
    print(f"stacked matrix {X.shape[0]} × {X.shape[1]} (D_0 784, A_0 1440, A_1 320), rank {args.rank}", flush=True)

    results = {"shape": X.shape, "rank": args.rank, "solvers": {}}
    for solver in ("mu", "cd"):
        sk_s, sk_J, sk_it = sklearn_fit(X, W0, F0, args.rank, solver)
        row = {"sklearn_s": sk_s, "sklearn_J": sk_J, "sklearn_iterations": sk_it}
        print(f"sklearn {solver}: {sk_s:.2f} s, {sk_it} iterations, J = {sk_J:.6g}", flush=True)
        for ours, inner in VARIANTS:
            s, J, it, comp = ours_to_target(blocks, W0, F0, args.rank, sk_J, ours, inner, args.max_iter)
            reached = J <= sk_J * (1 + 1e-4)
            row[f"ours_{ours}_inner{inner}"] = {"s": s, "J": J, "iterations": it, "compile_s": comp,
                                                "reached": reached, "speedup": sk_s / s}
            print(f"  ours {ours}, inner_steps={inner}: {s:.2f} s ({it} iterations, compile {comp:.1f} s), J = {J:.6g}"
                  f"{'' if reached else ' — target NOT reached'}; {sk_s / s:.1f}× faster", flush=True)
        results["solvers"][solver] = row

    results["rank_strategies"] = rank_strategies(blocks, args.strategy_iterations)
    for name, t in results["rank_strategies"].items():
        print(f"ranks 10..50, {args.strategy_iterations} iterations, {name}: first call {t['first_call_s']:.1f} s, "
              f"run {t['run_s']:.1f} s", flush=True)
    load["end"] = os.getloadavg()
    results["load_average"] = load
    print(f"load average at end: {load['end']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
