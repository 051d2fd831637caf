"""Seed 001 (Chen 2017, §4.3): Moore–Penrose embedding trials, Figs 4.14 and 4.15, and beyond.

1. Fig. 4.14: P(success) of the Moore–Penrose construction for n uniform points in [0,1]^p,
   p = 2:2:10, n = 2p..5p, both readings of §4.3.4, exact Clopper–Pearson 95 % bands.
2. Fig. 4.15: p = 2, n = 5..8, uniform and minimum mutual distance r = 0.1, 0.2.
3. The thesis's two numbers (p = 2, n = 10 below 1e-5; p = 10, n = 50 above 0.1) beside ours.
4. Past the thesis: (a) 100-p-60 networks trained by the thesis's SGD (lr 0.01, batch 100, early
   stopping on the validation loss): their hidden codes of the noise-free jumps against random
   points, the untrained networks as negative control; (b) the Moore–Penrose output layer
   as an initialisation, against zero and standard layers from matched starting loss, by steps to
   a fixed validation accuracy.

The study (grids, training, criteria and claim checks, figures) is ``jaxprobe.studies.moore_penrose``;
quick-mode verdicts on trained networks are smoke tests.

    python experiments/moore_penrose.py --quick   # about a minute
    python experiments/moore_penrose.py --full    # every n = 2p..5p for every p, (a) trained to its minimum (~15 min)
"""

# No ``from __future__ import annotations``: experiments/run_all.py loads this file without registering
# it in sys.modules, where dataclasses cannot resolve string annotations.
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib

matplotlib.use("Agg")

from jaxprobe.data.jumps import THESIS_SIZES, jump_splits  # noqa: E402
from jaxprobe.report import Report, experiment_parser  # noqa: E402
from jaxprobe.studies.moore_penrose import claims, figures, networks, trials  # noqa: E402
from jaxprobe.studies.moore_penrose.trials import TrialBudget  # noqa: E402

NAME = "moore_penrose"


@dataclass(frozen=True)
class Config:
    """One run's sizes: trials per cell of each figure, networks of (a) and (b)."""

    ps: tuple[int, ...]
    dense_ps: tuple[int, ...]  # every integer n; the others use n = 2p, 2.5p, …, 5p
    fig414: TrialBudget
    fig415: TrialBudget
    pad_to_widest: bool  # one compiled kernel per p (quick: fewer compilations)
    check_trials: int  # float32 kernel vs float64 reference, per cell and reading
    train_sizes: tuple[int, int, int, int]  # train / valid / test / analysis jump signals
    code_ps: tuple[int, ...]
    code_seeds: int
    code_epochs: int  # the budget of the thesis's SGD training of (a)'s networks
    code_patience: Optional[int]  # epochs without a lower validation loss before a network stops
    code_subsets: int
    codes_from_init: bool  # (a) reuses (b)'s standard networks instead of training its own
    init_ps: tuple[int, ...]
    init_seeds: int
    init_epochs: int
    init_eval_every: int  # SGD steps between validation evaluations
    init_target: float  # validation accuracy of the training-speed claim


# init_target 0.15 (9× chance): above every initialisation's starting accuracy (≤ 0.09) and reached within
# 15 epochs by the fastest ones at p = 4 and 10 in a calibration run at the full sizes.
FULL = Config(
    ps=(2, 4, 6, 8, 10), dense_ps=(2, 4, 6, 8, 10),
    fig414=TrialBudget(200, 10_000, 10_000, {2: 2 * 10**7, 4: 10**7, 6: 10**7, 8: 10**7, 10: 10**7}),
    fig415=TrialBudget(1000, 10_000, 10_000, 2 * 10**7), pad_to_widest=False, check_trials=2000,
    train_sizes=THESIS_SIZES, code_ps=(2, 4, 6, 8, 10), code_seeds=3, code_epochs=1500, code_patience=40,
    code_subsets=4000,
    codes_from_init=False, init_ps=(2, 4, 10), init_seeds=3, init_epochs=15, init_eval_every=30,
    init_target=0.15)
QUICK = Config(
    ps=(2, 4), dense_ps=(),
    fig414=TrialBudget(100, 4000, 4000, {2: 10**6, 4: 10**5}),
    fig415=TrialBudget(100, 4000, 4000, 10**5), pad_to_widest=True, check_trials=300,
    train_sizes=(1200, 600, 600, 1200), code_ps=(4,), code_seeds=2, code_epochs=2, code_patience=None,
    code_subsets=200,
    codes_from_init=True, init_ps=(4,), init_seeds=2, init_epochs=2, init_eval_every=3, init_target=0.15)


SMOKE = "smoke test: quick-mode networks are not trained to the thesis's level"


def add_rows(report, rows, quick):
    for r in rows:
        control = f"control ({r.control}): {r.control_verdict}" if r.control_verdict else ""
        note = "; ".join(filter(None, [SMOKE if quick and r.criterion.trained else "", r.note, control]))
        report.claim(r.criterion, r.ours, r.thesis, r.verdict, control=r.control, control_verdict=r.control_verdict,
                     note=note)


def main(argv=None):
    args = experiment_parser(NAME, "Moore–Penrose embedding trials (seed 001 §4.3, Figs 4.14, 4.15) "
                                   "and beyond").parse_args(argv)
    cfg, quick = (FULL, False) if args.full else (QUICK, True)
    with Report(args.out, NAME, title="Seed 001 §4.3: Moore–Penrose embedding trials") as report:
        report.text(trials.METHOD + (" Quick mode: small trial counts." if quick else ""))
        with report.stage("Fig. 4.14 sweep"):
            res414 = trials.fig414_sweep(cfg.ps, cfg.fig414, dense_ps=cfg.dense_ps, seed=args.seed,
                                         pad_to_widest=cfg.pad_to_widest)
        with report.stage("Fig. 4.15 sweep"):
            res415 = trials.fig415_sweep(cfg.fig415, seed=args.seed, pad_to_widest=cfg.pad_to_widest)
        report.metric("figures_wall_s", report.timings["Fig. 4.14 sweep"] + report.timings["Fig. 4.15 sweep"])
        report.metric("trials_total", int(sum(e.trials for e in res414 + res415)))
        report.figure(figures.fig_414(res414, cfg.ps), "fig4_14_mp_embedding.png", figures.FIG414_CAPTION)
        report.figure(figures.fig_415(res415), "fig4_15_min_distance.png", figures.FIG415_CAPTION)
        grid = trials.fig414_cells(cfg.ps, dense_ps=cfg.dense_ps)
        report.text(f"Fig. 4.14 grid: {len(grid)} (n, p) cells × 2 readings; "
                    + "; ".join(f"p = {p}: n = {', '.join(str(n) for n, q in grid if q == p)} (at most "
                                f"{cfg.fig414.max_for(p):,} trials a cell)" for p in cfg.ps)
                    + f". Every cell: {cfg.fig414.target_successes} successes aimed at, a discarded pilot of "
                    f"{cfg.fig414.pilot_trials:,} trials, at least {cfg.fig414.min_trials:,}.")
        report.metric("fig414_cells", len(grid))
        report.table("Fig. 4.14 cells", trials.CELL_HEADER, [trials.cell_row(e) for e in res414])
        report.table("Fig. 4.15 cells", trials.CELL_HEADER, [trials.cell_row(e) for e in res415])

        # the thesis's two numbers, estimated in full even past a curve's 1e-6 floor
        res414 = trials.resolve_thesis_cells(res414, cfg.fig414, seed=args.seed)
        add_rows(report, claims.thesis_cell_rows(res414), quick)
        for key, value in claims.thesis_cell_metrics(res414).items():
            report.metric(key, value)
        readings = claims.reproducing_readings(res414)
        report.text(claims.reproducing_sentence(readings))
        if readings is not None:
            report.metric("variant_reproducing_thesis", [v for v, ok in readings.items() if all(ok.values())])
        add_rows(report, [claims.decreasing_row(res414, cfg.ps), claims.scale_up_row(res414, cfg.ps),
                          claims.separation_row(res415)], quick)
        for r in trials.FIG415_RS[1:]:
            report.text(f"Acceptance rate of exact rejection at r = {r}: " + ", ".join(
                f"n={e.n}: {e.acceptance:.4f}" for e in sorted(res415, key=lambda e: e.n) if e.r == r))
        wrong, total = trials.kernel_disagreements(args.seed, cfg.check_trials)
        report.text(f"float32 kernel decisions vs float64 `pinv` reference: {wrong} disagreements in {total:,} "
                    "trials.")
        report.metric("float32_vs_float64_disagreements", wrong)

        # (b) the Moore–Penrose output layer as an initialisation
        with report.stage("(b) MP initialisation"):
            splits = jump_splits(seed=args.seed, sizes=cfg.train_sizes)
            curves, nets = networks.init_comparison(splits, cfg.init_ps, cfg.init_seeds, cfg.init_epochs,
                                                    args.seed, eval_every=cfg.init_eval_every)
        report.figure(figures.fig_init(curves, cfg.init_ps, cfg.init_seeds, cfg.init_target), "fig_b_mp_init.png",
                      figures.INIT_CAPTION)
        for (p, init), c in curves.items():
            report.metric(f"init_p{p}_final_acc_{init}", float(c.acc[-1].mean()))
        report.table("(b) output-layer initialisations (means over seeds; validation loss / accuracy at step 0, "
                     "the first evaluation and the end)", networks.INIT_TABLE_HEADER,
                     networks.init_table(curves, cfg.init_ps))
        report.metric("init_speedups", claims.init_speedups(curves, cfg.init_ps, cfg.init_target))
        add_rows(report, [claims.init_speed_row(curves, cfg.init_ps, cfg.init_target)], quick)

        # (a) the Moore–Penrose trial on the networks' own codes, trained and untrained
        with report.stage("(a) trained codes"):
            codes = networks.codes_study(splits, cfg.code_ps, cfg.code_seeds, cfg.code_epochs, cfg.code_subsets,
                                         args.seed, trained=nets if cfg.codes_from_init else None,
                                         patience=cfg.code_patience)
        trained, untrained = codes["trained"], codes["untrained"]
        report.text(
            "(a) The code networks are trained as the thesis trains its bottleneck networks (§3.3.1, §4.2): plain "
            f"SGD without momentum, learning rate {networks.THESIS_LEARNING_RATE}, batch {networks.THESIS_BATCH}, "
            "softmax cross-entropy, and the parameters of the lowest validation loss kept (the thesis's early "
            + (f"stopping; the stack stops once every network has gone {cfg.code_patience} epochs without a lower "
               f"validation loss, at most {cfg.code_epochs} epochs)." if cfg.code_patience else
               f"stopping; {cfg.code_epochs} epochs).")
            + (" Quick mode reuses (b)'s standard networks." if cfg.codes_from_init else ""))
        report.table(f"(a) training of the code networks (epochs of {len(splits.train_x) // networks.THESIS_BATCH} "
                     "SGD steps)", networks.TRAINING_HEADER,
                     networks.training_rows(trained.training))
        report.metric("codes_training", [t._asdict() for t in trained.training])
        at_budget = [t for t in trained.training if t.best_epoch >= t.max_epochs - (cfg.code_patience or 0) / 2]
        report.metric("codes_networks_still_improving_at_budget", len(at_budget))
        report.figure(figures.fig_codes(trained.subsets, res414, cfg.code_ps, control=untrained.subsets),
                      "fig_a_trained_codes.png", figures.CODES_CAPTION)
        report.table("(a) all 60 codes of each network (own / MP correct: classes of the u_k that the network's "
                     "output layer / the centred Moore–Penrose map of its codes assign correctly)",
                     networks.WHOLE_CODES_HEADER, networks.whole_codes_rows(codes))
        versus = claims.codes_vs_random(trained.subsets, res414, cfg.code_ps)
        report.table("(a) trained codes vs random points (centred)", ["p", "n", "P trained codes",
                     "P uniform random"], [[p, n, f"{a:.3g}", f"{b:.3g}"] for p, n, a, b in versus])
        report.metric("codes_vs_random", versus)
        report.metric("codes_cells_below_random", claims.cells_below_random(trained.subsets, res414, cfg.code_ps))
        report.metric("untrained_codes_cells_below_random",
                      claims.cells_below_random(untrained.subsets, res414, cfg.code_ps))
        add_rows(report, [claims.codes_row(trained.subsets, untrained.subsets, res414, cfg.code_ps)], quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
