"""Seed 001 (Chen 2017, Ch. 3–4): jump detection — baseline, MLPs, CNNs and bottleneck networks.

σ (unstated) is calibrated on Table 3.1 alone; the baseline, Fig. 3.5 and the t-SNE of Fig. 3.2
follow; the MLPs, one-filter CNNs and bottlenecks are each trained as K seeds at once with early
stopping; Tables 3.1–3.4, 4.1, 7.1 and the digest's §9 claims 1–25 are set beside the thesis, each
judged by a criterion declared before the numbers (``jaxprobe.studies.jumps.claims.CRITERIA``) and,
for claims about trained networks, run on the untrained networks as a negative control.
The study lives in ``jaxprobe.studies.jumps``; this script is its configuration and report.

    python experiments/jumps.py --quick      # ~1 minute: small sets, few epochs, one seed
    python experiments/jumps.py --full       # the thesis's sizes, 5 seeds, bottlenecks to convergence

Trained runs are cached in ``<out>/jumps_cache/`` (``RunCache``) so an interrupted ``--full`` resumes.
"""

import contextlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from jaxprobe.analysis.tsne import embed
from jaxprobe.analysis.verdicts import mark_smoke_test
from jaxprobe.data import jumps
from jaxprobe.report import Report, RunCache, experiment_parser
from jaxprobe.studies.jumps import baseline as bl
from jaxprobe.studies.jumps import analyses, claims, protocol, sections


@dataclass(frozen=True)
class Config:
    """One mode of the experiment (the thesis's sizes, or a quick smoke test)."""

    sizes: tuple            # (train, valid, test, analysis)
    budget: protocol.Budget
    nets: tuple             # MLPs and CNNs trained
    conv_acts: tuple        # conv activations tried (the thesis names none)
    ps: tuple               # bottleneck widths p
    cal_grid: tuple         # σ grid of the calibration
    cal_reps: int           # replicate test sets per σ
    cal_n: int              # signals per replicate
    tau_n: int              # signals per class in the Fig. 3.5 sweep
    tsne_n: int             # training signals embedded
    tsne_iters: tuple       # (iterations, early-exaggeration iterations)
    long_epochs: int        # Fig. 3.9 run without early stopping (0: none)
    long_every: int         # epochs between its snapshots
    extend_epochs: int      # extra budget for bottlenecks still improving at the end (without a rule)
    rule: Optional[protocol.ConvergenceRule] = None   # bottlenecks trained to convergence (issue 16)


FULL = Config(sizes=jumps.THESIS_SIZES, budget=protocol.Budget(n_seeds=5, max_epochs=500, patience=40),
              nets=("mlp1", "mlp2", "mlp3", "mlp4", "cnn1", "cnn1k5", "cnn2", "cnn3"), conv_acts=("linear", "relu"),
              ps=tuple(range(2, 11)), cal_grid=tuple(np.round(np.arange(0.94, 1.121, 0.02), 3)), cal_reps=40,
              cal_n=6000, tau_n=100, tsne_n=12000, tsne_iters=(500, 250), long_epochs=1500, long_every=50,
              extend_epochs=1000, rule=protocol.ConvergenceRule(segment_epochs=1000, max_epochs=4500, rel_tol=0.01))
QUICK = Config(sizes=jumps.QUICK_SIZES, budget=protocol.Budget(n_seeds=1, max_epochs=3, patience=2),
               nets=("mlp1", "mlp2", "cnn1", "cnn2"), conv_acts=("linear",), ps=(2, 4), cal_grid=(0.9, 1.0, 1.1),
               cal_reps=3, cal_n=600, tau_n=5, tsne_n=300, tsne_iters=(100, 50), long_epochs=0, long_every=1,
               extend_epochs=0, rule=protocol.ConvergenceRule(segment_epochs=2, max_epochs=7, rel_tol=0.01))


@contextlib.contextmanager
def timed(report, name: str, cpu: dict):
    """``report.stage(name)`` (wall time) that also records the process's CPU seconds in ``cpu``
    (the machine is shared: CPU time says what the stage cost, wall time what it waited)."""
    start = time.process_time()
    with report.stage(name):
        yield
    cpu[name] = time.process_time() - start


def write(report, part, smoke: bool) -> None:
    """A stage's blocks, metrics and rows beside the thesis, in order."""
    for kind, *content in part.blocks:
        {"text": report.text, "table": lambda t: report.table(*t), "figure": report.figure}[kind](*content)
    for name, value in part.metrics.items():
        report.metric(name, value)
    for row in part.compares:
        report.compare(*row)
    for criterion, ours, thesis, verdict, note in part.figures_rows:
        report.claim(criterion, ours, thesis, verdict, note=("smoke test (quick mode); " if smoke else "") + note)


def main(argv=None) -> int:
    args = experiment_parser("jumps", "Seed 001 Ch. 3–4: jump detection baseline, MLPs, CNNs, bottlenecks").parse_args(argv)
    cfg, mode = (FULL, "full") if args.full else (QUICK, "quick")
    cache, b, smoke, progress = RunCache(Path(args.out) / "jumps_cache"), cfg.budget, not args.full, not args.no_progress
    with Report(args.out, "jumps", title="Seed 001: jump detection — baseline, MLPs, CNNs, bottlenecks (Ch. 3–4)") as report:
        report.text(sections.protocol_text(mode, cfg.sizes, b.n_seeds, b.patience, b.max_epochs))
        if smoke:
            report.text(sections.smoke_text(b.max_epochs, cfg.sizes[0]))
        cpu = {}
        with timed(report, "sigma calibration", cpu):   # σ and the detector, fitted on Table 3.1 alone
            cal = bl.calibration_from_arrays(cache.get(
                "calibration", {"grid": cfg.cal_grid, "replicates": cfg.cal_reps, "n": cfg.cal_n},
                lambda: bl.calibration_arrays(bl.calibrate_sigma(cfg.cal_grid, replicates=cfg.cal_reps, n=cfg.cal_n))))
        sigma = round(cal.sigma, 2) if args.full else jumps.CALIBRATED_SIGMA
        report.text(sections.calibration_text(cal, sigma, cfg.cal_reps, cfg.cal_n, args.full, jumps.CALIBRATED_SIGMA))
        report.table(*sections.calibration_table(cal))
        for name, value in (("sigma_calibrated", cal.sigma), ("sigma_frozen", sigma),
                            ("baseline_derivative", cal.derivative), ("baseline_restrict", cal.restrict)):
            report.metric(name, value)
        splits = jumps.jump_splits(sigma, sizes=cfg.sizes, seed=args.seed)
        with timed(report, "t-SNE (Fig. 3.2)", cpu):
            n = min(cfg.tsne_n, len(splits.train_x))
            tx, ty = np.asarray(splits.train_x[:n]), np.asarray(splits.train_y[:n])
            emb = cache.get("tsne", {"n": n, "sigma": sigma, "seed": args.seed, "iters": cfg.tsne_iters},
                            lambda: embed(tx, metric="euclidean", seed=args.seed, n_iter=cfg.tsne_iters[0],
                                          early_exaggeration_iter=cfg.tsne_iters[1]))
        with timed(report, "baseline, τ sweep (Fig. 3.5)", cpu):
            parts = [analyses.baseline_part(splits, cal, sigma, max(cfg.cal_reps, 3), tau_per_class=cfg.tau_n, tsne=(emb, ty))]
        bstats = parts[0].metrics["baseline_test"]
        with timed(report, "all networks", cpu):
            plan = protocol.training_plan(cfg.nets, cfg.conv_acts, cfg.ps)
            before = {}
            runs, extended, cached = protocol.train_plan(cache, plan, splits, b, extend_epochs=cfg.extend_epochs,
                                                         seed=args.seed, progress=progress, rule=cfg.rule,
                                                         before_rule=before)
            controls = {key: protocol.initial_run(run, splits, seed=args.seed) for key, run in runs.items()}
        for key, run in runs.items():
            report.timing(f"train {key}", run.wall)
        parts.append(analyses.network_part(runs, controls, cached, extended, b, cfg.extend_epochs, cfg.conv_acts, bstats,
                                           rule=cfg.rule))
        long = None
        if cfg.long_epochs:
            with timed(report, "mlp2 long run (Fig. 3.9, 1 seed, no early stopping)", cpu):
                long = cache.get("mlp2_long", {"epochs": cfg.long_epochs, "every": cfg.long_every, "sigma": sigma,
                                               "sizes": cfg.sizes, "seed": args.seed},
                                 lambda: protocol.long_run(splits, epochs=cfg.long_epochs, every=cfg.long_every,
                                                           seed=args.seed, progress=progress))
        with timed(report, "analyses", cpu):
            act = parts[-1].metrics["cnn_best_activation"]
            parts += [analyses.mlp_part(runs, controls, splits, bstats, long, cfg.long_epochs),
                      analyses.cnn_part(runs, controls, splits, bstats, act, cfg.conv_acts),
                      analyses.bottleneck_part(runs, controls, splits, bstats, cfg.ps), analyses.moore_penrose_part()]
            if before:   # the same claims on the bottlenecks as the protocol before the convergence rule left them
                old = analyses.bottleneck_part({**runs, **before}, controls, splits, bstats, cfg.ps, draw=False)
                parts[-2].table(sections.before_after_table(old.rows, parts[-2].rows,
                                                            b.max_epochs + cfg.rule.segment_epochs))
                parts[-2].metrics["verdicts_before_convergence"] = {k: r.verdict for k, r in old.rows.items()}
        report.metric("cpu_timings", cpu)
        for part in parts:
            write(report, part, smoke)
        rows = sorted((row for part in parts for row in part.rows.values()),
                      key=lambda r: (int(claims.claim_key(r).rstrip("ab")), claims.claim_key(r)))
        report.table(*sections.claims_table(rows))
        report.metric("verdicts", {claims.claim_key(r): r.verdict for r in rows})
        report.metric("control_verdicts", {claims.claim_key(r): r.control_outcome for r in rows if r.control_outcome})
        rows = [r._replace(note=sections.claim_note(r)) for r in rows]
        for r in mark_smoke_test(rows, "quick mode") if smoke else rows:
            report.claim(r.criterion, r.ours, r.seed, r.verdict, control=r.control, control_verdict=r.control_outcome,
                         note=r.note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
