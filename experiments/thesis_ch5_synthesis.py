"""Seed 001 (Chen 2017), Ch. 5 and Fig. 7.1: visualisation by gradient ascent on the jump networks.

The thesis's procedure, verbatim: x ∈ R^100 uniform in [−0.05, 0.05]; x ← x + 10 ∂a_i/∂x on the softmax
probability of the target's output unit; no regulariser; stop at p > 0.999 (plus an iteration guard, counted).
Fig. 5.1–5.2 on the 1–4-layer MLPs (targets 21, 40, 60, 80), Fig. 5.3–5.5 on the one-filter CNNs (50) under
both readings of §5.2, Fig. 7.1's hand-made signals on the 2-layer MLP, and on MNIST the optional
regularisers. Networks: the jump study's, trained over seeds (cached); controls: the same networks untrained.
The study is ``jaxprobe.studies.thesis_ch5``; quick-mode verdicts on trained networks are smoke tests.

    python experiments/thesis_ch5_synthesis.py --quick   # seconds
    python experiments/thesis_ch5_synthesis.py --full    # five seeds at the thesis's sizes (training cached)
"""

# No `from __future__ import annotations`: run_all loads this file as a module and dataclasses resolve annotations.
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib

matplotlib.use("Agg")

import jax  # noqa: E402
import numpy as np  # noqa: E402

from jaxprobe.analysis.verdicts import mark_smoke_test  # noqa: E402
from jaxprobe.data.jumps import CALIBRATED_SIGMA, QUICK_SIZES, THESIS_SIZES, jump_splits  # noqa: E402
from jaxprobe.data.mnist import load_mnist  # noqa: E402
from jaxprobe.probes import synthesis as S  # noqa: E402
from jaxprobe.report import Report, RunCache, experiment_parser  # noqa: E402
from jaxprobe.studies.jumps import Budget  # noqa: E402
from jaxprobe.studies.thesis_ch5 import analyses as A, claims, figures, mnist as MN, protocol as P  # noqa: E402
from jaxprobe.studies.thesis_ch5 import tables as T  # noqa: E402
from jaxprobe.studies.thesis_ch5.signals import handmade_signals  # noqa: E402

NAME = "thesis_ch5_synthesis"
#: MNIST regularisers (eq. 2.8): ``jaxprobe.probes.synthesis`` transforms and a parameterisation; "none" is the thesis's.
REGULARISERS = {"none": (), "clip [0, 1]": (S.Clip(0.0, 1.0),), "L2 decay 0.01": (S.L2Decay(0.01),),
                "clip + L2 decay": (S.L2Decay(0.01), S.Clip(0.0, 1.0)), "blur σ = 1": (S.Blur(1.0),),
                "jitter ±2": (S.Jitter(2),), "Fourier (decay 1)": (S.Fourier(1.0),)}


@dataclass(frozen=True)
class Config:
    """One run's sizes: jump sets and training budget, networks, starts, guards, MNIST settings."""

    sizes: tuple[int, int, int, int]   # train / valid / test / analysis jump signals
    budget: Budget                     # seeds, epoch budget, patience (the jump study's protocol)
    mlps: tuple[str, ...]
    cnns: tuple[str, ...]
    starts: int                        # random starts per target, seed and network
    max_iter: int                      # the iteration guard (not in the thesis)
    mnist_hidden: tuple[int, ...]
    mnist_epochs: int
    mnist_starts: int                  # starts per digit
    regularisers: tuple[str, ...]      # names in REGULARISERS


FULL = Config(sizes=THESIS_SIZES, budget=Budget(n_seeds=5, max_epochs=500, patience=40), mlps=P.MLPS, cnns=P.CNNS,
              starts=200, max_iter=5000, mnist_hidden=(100,), mnist_epochs=30, mnist_starts=20,
              regularisers=tuple(REGULARISERS))
QUICK = Config(sizes=QUICK_SIZES, budget=Budget(n_seeds=1, max_epochs=2, patience=2), mlps=("mlp1", "mlp2"),
               cnns=("cnn2",), starts=4, max_iter=60, mnist_hidden=(16,), mnist_epochs=1, mnist_starts=1,
               regularisers=("none", "clip [0, 1]"))


def main(argv=None):
    args = experiment_parser(NAME, "Thesis Ch. 5 and Fig. 7.1: gradient-ascent inputs").parse_args(argv)
    cfg, quick = (QUICK, True) if not args.full else (FULL, False)
    store, key = RunCache(args.out / "cache" / NAME), jax.random.key(args.seed)
    positions = {**{n: P.MLP_POSITIONS for n in cfg.mlps}, **{n: (P.CNN_POSITION,) for n in cfg.cnns}}
    with Report(args.out, NAME, title="Seed 001 Ch. 5, Fig. 7.1: inputs by gradient ascent") as report:
        with report.stage(f"jump data and {len(positions)} networks × {cfg.budget.n_seeds} seeds (cached)"):
            splits = jump_splits(sizes=cfg.sizes, seed=args.seed)
            runs = P.trained_networks(store, list(positions), splits, cfg.budget, seed=args.seed,
                                      progress=not args.no_progress)
            controls = {n: P.untrained_params(r.net, cfg.budget.n_seeds, args.seed) for n, r in runs.items()}
        with report.stage(f"ascent: {cfg.starts} starts per target, seed and network, trained and untrained"):
            pairs = A.synthesise_pairs(runs, controls, positions, cfg.starts, key=key, max_iter=cfg.max_iter)
        with report.stage("CNNs: forwarded signals and ascent on each conv layer"):
            read = {n: A.cnn_readings(runs[n].net, runs[n].params, pairs[n].trained, cfg.starts,
                                      key=key, max_iter=cfg.max_iter) for n in cfg.cnns}
            ctl_read = {n: A.cnn_readings(runs[n].net, controls[n], pairs[n].control, cfg.starts,
                                          key=key, max_iter=cfg.max_iter) for n in cfg.cnns}
        errors = {n: float(np.mean(runs[n].stats["L1"])) for n in cfg.mlps}
        rows = A.mlp_rows({n: pairs[n] for n in cfg.mlps}, errors)
        rows += A.cnn_rows({n: pairs[n] for n in cfg.cnns}, read, ctl_read)
        rows.append(A.reaches(pairs, cfg.max_iter))

        hand = handmade_signals()
        pred, conf = A.handmade_predictions(runs["mlp2"].net, runs["mlp2"].params)
        cpred, cconf = A.handmade_predictions(runs["mlp2"].net, controls["mlp2"])
        rows.append(claims.fig7_1_row(pred, conf, cpred, cconf))

        with report.stage(f"MNIST: {len(cfg.regularisers)} regularisers × 10 digits × {cfg.mnist_starts} starts"):
            regs = dict({n: REGULARISERS[n] for n in cfg.regularisers}, **{"identity (control)": (S.L2Decay(0.0),)})
            mn = MN.regulariser_study(store, load_mnist(), hidden=cfg.mnist_hidden, epochs=cfg.mnist_epochs,
                                      regularisers=regs, n_starts=cfg.mnist_starts, key=key, max_iter=cfg.max_iter,
                                      seed=args.seed)
        mstats = mn.stats
        change = {n: s["change"] for n, s in mstats.items() if n not in ("none", "identity (control)")}
        rows.append(claims.regularisers_row(change, {"identity": mstats["identity (control)"]["change"]}))

        if quick:
            rows = mark_smoke_test(rows, f"quick mode: {cfg.sizes[0]} training signals, {cfg.budget.max_epochs} "
                                         f"epochs, {cfg.starts} starts")
        for r in rows:
            report.claim(r.criterion, r.ours, r.seed, r.verdict, control=r.control,
                         control_verdict=r.control_outcome, note=r.note)

        mlp_labels, cnn_labels = [T.LABELS[n] for n in cfg.mlps], [T.LABELS[n] for n in cfg.cnns]
        for field, file, title in (("trained", "fig5_1_5_2_mlps.png", "Fig. 5.1–5.2: inputs by gradient ascent"),
                                   ("control", "control_untrained_mlps.png", "Negative control: untrained MLPs")):
            panels = figures.mlp_panels({n: getattr(pairs[n], field) for n in cfg.mlps}, P.MLP_POSITIONS, T.LABELS)
            report.figure(figures.signal_grid(panels, mlp_labels, title + " (seed 0)"), file,
                          f"{title}: synthesised inputs of the 1–4-layer MLPs (rows) for jump positions 21, 40, 60, "
                          f"80 (columns); seed 0, first start in blue, four more in grey; dashed: the target.")
        for field, label in (("forward", "reading 1: the synthesised input forwarded"),
                             ("direct", "reading 2: ascent directly on each conv layer")):
            panels = figures.cnn_panels({n: getattr(read[n], field) for n in cfg.cnns}, P.CNN_POSITION)
            report.figure(figures.signal_grid(panels, cnn_labels, f"Fig. 5.3–5.5, {label}"),
                          f"fig5_3_5_5_{field}.png", f"Fig. 5.3–5.5 ({label}): input and conv signals of the 1-, "
                          f"2-, 3-conv CNNs (rows), position 50; seed 0; sharpness = median over seeds and starts.")
        report.figure(figures.handmade_figure(hand, conf, pred, cconf), "fig7_1_handmade.png",
                      "Fig. 7.1: hand-made signals (none a step) with the largest rise at 50; p(50) of the 2-layer "
                      "MLP, median over seeds, the untrained control beside it, and each seed's prediction.")
        report.figure(figures.digit_grid({n: r.inputs[:, 0] for n, r in mn.results.items()}, {}),
                      "mnist_regularisers.png", f"MNIST 784-{'-'.join(map(str, cfg.mnist_hidden))}-10 (test accuracy "
                      f"{mn.accuracy:.3f}): the thesis's ascent per digit with each regulariser.")
        report.table(*T.networks_table(runs))
        report.table(*T.synthesis_table(pairs, positions, cfg.max_iter))
        report.table(*T.start_table(runs, positions, pairs))
        report.table(*T.layers_table(read, ctl_read))
        report.table(*T.handmade_table(list(hand), pred, conf, cpred, cconf))
        report.table(*T.mnist_table(mstats))
        report.text(T.protocol_text("quick" if quick else "full", CALIBRATED_SIGMA, cfg.sizes[0], cfg.budget,
                                    cfg.starts, cfg.max_iter))
        for name, value in {
                "cells": {n: A.cells_of(p.trained, positions[n]) for n, p in pairs.items()},
                "control_cells": {n: A.cells_of(p.control, positions[n]) for n, p in pairs.items()},
                "reached": A.reached_share([p.trained for p in pairs.values()]),
                "guard_hits": int(sum((~np.asarray(p.trained.stopped)).sum() for p in pairs.values())),
                "median_iterations": {n: float(np.median(p.trained.iterations)) for n, p in pairs.items()},
                "test_l1": {n: float(np.mean(r.stats["L1"])) for n, r in runs.items()},
                "training_seconds": {n: float(r.wall) for n, r in runs.items()},
                "sharpness": {n: {f: A.layer_sharpness(getattr(r, f)) for f in ("forward", "direct")}
                              for n, r in read.items()},
                "handmade": {"p50": conf, "predicted": pred, "control_p50": cconf},
                "mnist": dict(mstats, test_accuracy=mn.accuracy)}.items():
            report.metric(name, T.finite_or_none(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
