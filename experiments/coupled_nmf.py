"""Seed 002 (Saini & Papalexakis, KDD DL Day 2018): a CNN's inputs and activations through a coupled
non-negative factorisation (eq. 1), in three case studies of poor training.

Trains the seed's CNN one epoch per condition (case I: 25/50/75/100 % of the data; II: digits {0},
{0..4}, {5..9}; III: class by class, 9 first; and the untrained control), for several seeds; fits
eq. 1 to the test digits D_0 and the pooled ReLU layers A_0, A_1 at ranks 10..50, raw and with
each block at unit RMS; takes the singular values of A_0 and A_1; draws Figs. 2–8 and judges the
seed's reading "the poorer the training, the lower the rank" from the numbers.

    python experiments/coupled_nmf.py --quick      # well under a minute on 2 idle cores
    python experiments/coupled_nmf.py --full       # 5 seeds, all 10,000 test digits for seed 0

Trained networks and their measurements are cached in ``<out>/coupled_nmf_cache/`` (``RunCache``).
"""

# No `from __future__ import annotations`: run_all loads this file without entering it in sys.modules,
# and dataclasses cannot then resolve annotations written as strings.
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib

matplotlib.use("Agg")

import jax
import numpy as np

from jaxprobe.analysis.verdicts import mark_smoke_test
from jaxprobe.data import mnist
from jaxprobe.data.sampling import balanced_indices
from jaxprobe.report import Report, RunCache, experiment_parser
from jaxprobe.studies.coupled_nmf import claims, figures, protocol as P, tables


@dataclass(frozen=True)
class Config:
    """One mode: seeds, training digits, test digits factorised, and the factorisation's length."""

    seeds: int
    train_per_class: int          # training digits per class (450 = all embedded digits)
    stats_per_class: int          # test digits per class factorised for the statistics over seeds
    figure_images: Optional[int]  # test digits factorised for seed 0's figures (None: the statistics' set)
    iterations: int               # outer iterations of the multiplicative updates
    inner_steps: int              # repeats of each update per outer iteration (1 = as printed)
    batch_size: Optional[int] = None  # None: the seed's updates per epoch (protocol.batch_size_for)
    accuracy_images: int = 10_000     # test digits for the accuracy (the seed: the whole test set)


FULL = Config(seeds=5, train_per_class=450, stats_per_class=200, figure_images=10_000, iterations=60, inner_steps=4)
QUICK = Config(seeds=2, train_per_class=60, stats_per_class=20, figure_images=None, iterations=12, inner_steps=2,
               batch_size=12, accuracy_images=2000)


def main(argv=None) -> int:
    args = experiment_parser("coupled_nmf", "Seed 002: coupled NMF of a CNN's inputs and activations").parse_args(argv)
    cfg, mode = (FULL, "full") if args.full else (QUICK, "quick")
    cache, net = RunCache(Path(args.out) / "coupled_nmf_cache"), P.network()
    load_start = os.getloadavg()
    title = "Seed 002: a CNN's hidden layers through a coupled non-negative factorisation"
    with Report(args.out, "coupled_nmf", title=title) as report:
        with report.stage("load data"):
            data = mnist.load_mnist()
            pick = balanced_indices(data.train_y, cfg.train_per_class, seed=args.seed)
            pick = np.random.default_rng(args.seed).permutation(pick)       # case I takes the first n
            train_x, train_y = data.train_x[pick].reshape(-1, 28, 28), data.train_y[pick]
            n_test = min(cfg.accuracy_images, len(data.test_y))
            test_x, test_y = data.test_x[:n_test].reshape(-1, 28, 28), data.test_y[:n_test]
            stats_idx = balanced_indices(test_y, cfg.stats_per_class, seed=args.seed)
            fig_idx = stats_idx if cfg.figure_images is None else np.arange(min(cfg.figure_images, len(test_y)))
        batch = cfg.batch_size or P.batch_size_for(len(train_y))
        seeds = [args.seed + s for s in range(cfg.seeds)]
        base = dict(asdict(cfg), n_train=len(train_y), batch=batch, test=str(data.test_source), ranks=P.RANKS)

        def params_of(cond, seed):
            run = cache.get(f"params-{cond.key}-s{seed}", dict(base, cond=cond.key, seed=seed),
                            lambda: P.train(net, cond, train_x, train_y, seed, batch, progress=not args.no_progress))
            return jax.tree.map(np.asarray, tuple(run))

        def measured(cond, seed, idx, tier):
            return cache.get(f"measure-{cond.key}-s{seed}-{tier}", dict(base, cond=cond.key, seed=seed, idx=idx),
                             lambda: P.measure_network(net, params_of(cond, seed), test_x, test_y, idx,
                                                       key=jax.random.key(seed), iterations=cfg.iterations,
                                                       inner_steps=cfg.inner_steps, normalised=tier == "stats"))

        with report.stage(f"train {len(P.CONDITIONS) - 1} conditions × {cfg.seeds} seeds (one epoch, batch {batch})"):
            for cond in P.CONDITIONS:
                for seed in seeds:
                    params_of(cond, seed)
        with report.stage(f"factorise and spectra: {len(P.CONDITIONS)} × {cfg.seeds} networks, {len(stats_idx):,} digits"):
            results = {c.key: [measured(c, s, stats_idx, "stats") for s in seeds] for c in P.CONDITIONS}
        if cfg.figure_images is None:
            one = {k: v[0] for k, v in results.items()}
        else:
            with report.stage(f"factorise seed {seeds[0]}'s networks on {len(fig_idx):,} test digits (the seed's protocol)"):
                one = {c.key: measured(c, seeds[0], fig_idx, "figures") for c in P.CONDITIONS}

        report.text(tables.protocol_text(mode, n_train=len(train_y), per_class=cfg.train_per_class, batch=batch,
                                         seeds=cfg.seeds, n_test=len(test_y), test_source=str(data.test_source),
                                         n_stats=len(stats_idx), n_figures=len(fig_idx), iterations=cfg.iterations,
                                         inner_steps=cfg.inner_steps))
        rows = claims.evaluate(results, len(train_y), batch)
        if not args.full:
            rows = mark_smoke_test(rows, "quick mode: few digits, seeds and iterations")
        for r in rows:
            report.claim(r.criterion, r.ours, r.seed, r.verdict, control=r.control, control_verdict=r.control_outcome,
                         note=r.note)
        for t in (tables.accuracy_table(results, len(test_y)), tables.rmse_table(results, "raw", len(stats_idx)),
                  tables.rmse_table(results, "normalised", len(stats_idx)), tables.spectrum_table(results),
                  tables.block_table(one, len(fig_idx))):
            report.table(*t)
        for name, value in tables.metrics(results, "stats_").items():
            report.metric(name, value)
        report.metric("figures_rmse_raw", {k: v["raw"]["rmse"] for k, v in one.items()})

        with report.stage("figures"):
            n = f"{len(stats_idx):,} test digits, {cfg.seeds} seeds"
            report.figure(figures.rmse_figure(results, claims.CASE_I, f"Fig. 3: RMSE against rank, case I ({n})"),
                          "fig3_rmse_case1.png", "Fig. 3: RMSE of eq. 1 against rank for 25–100 % of the training data: "
                          "raw blocks, blocks at unit RMS, and the A_1 block of the normalised fit; mean ± sd over "
                          "seeds; the untrained network dashed.")
            report.figure(figures.rmse_figure(results, claims.CASE_II_SUBSETS + (P.REFERENCE, "III"),
                                              f"Fig. 6: RMSE against rank, cases II and III ({n})"),
                          "fig6_rmse_case2_3.png", "Fig. 6: RMSE against rank for the class subsets, all digits "
                          "(= case I's 100 %) and the class-ordered network (case III).")
            for layer, fig_no in ((0, 4), (1, 5)):
                report.figure(figures.spectra_figure(one, claims.CASE_I, layer, f"Fig. {fig_no}: singular values of A_{layer}, "
                                                     f"case I (seed {seeds[0]}, {len(fig_idx):,} digits)"),
                              f"fig{fig_no}_spectrum_A{layer}.png", f"Fig. {fig_no}: semi-log singular values of A_{layer}, raw "
                              "and relative to the largest.")
            report.figure(figures.spectra_figure(one, claims.CASE_II_SUBSETS + (P.REFERENCE,), 1,
                                                 "Fig. 7: top 25 % singular values of A_1, case II", top_fraction=0.25),
                          "fig7_spectrum_A1_case2.png", "Fig. 7: the top 25 % of A_1's singular values for the class subsets.")
            report.figure(figures.latent_figure(one["III"], f"Fig. 2: rank-{P.RANKS[0]} latent factors of the class-ordered "
                                                            f"network (seed {seeds[0]})"),
                          "fig2_latent_case3.png", "Fig. 2: each factor's latent image (pixel loadings), the digits that "
                          "load on it, and its layer-2 neurons (channels × positions), case III.")
            report.figure(figures.heatmap_figure(one, ("III", P.REFERENCE, P.UNTRAINED),
                                                 f"Fig. 8: neuron loadings of the rank-{P.RANKS[0]} factors"),
                          "fig8_heatmaps.png", "Fig. 8: each neuron's loading on each rank-10 factor, layers 1 and 2, "
                          "class-ordered vs shuffled training vs untrained.")
            report.figure(figures.reading_figure(results, "Accuracy against compressibility, every network and seed"),
                          "reading.png", "The seed's reading: test accuracy against raw RMSE, normalised RMSE and "
                          "the effective rank of A_1, every network and seed (untrained: crosses).")
        report.metric("load_average_start_end", [load_start, os.getloadavg()])
        report.text(f"Load average (1, 5, 15 min) at the start {tuple(round(v, 1) for v in load_start)}, at the end "
                    f"{tuple(round(v, 1) for v in os.getloadavg())} on {os.cpu_count()} cores.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
