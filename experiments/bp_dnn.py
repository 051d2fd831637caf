"""Seed 000 (Xie & Lai, PRCV 2018): fp-DNN and bp-DNN as encoder and decoder, on MNIST.

Trains DNN-6 over several seeds at once (stacked) with snapshots, extracts the bp-DNN targets õ_l
and fp-DNN features z_l of every seed on a fixed balanced set of test digits, draws Figs. 4–8 for the
first seed and judges every claim of §3–4 over the seeds by the criteria of
``jaxprobe.studies.bp_dnn.criteria`` (the rule: ``jaxprobe.studies.bp_dnn.over_seeds``), each beside
a negative control (the untrained network, label-shuffled targets, or targets from wrong labels).

    python experiments/bp_dnn.py --quick      # 2 seeds, under a minute
    python experiments/bp_dnn.py --full       # 5 seeds at the seed's sizes (10,000 iterations, 2,000 points)
"""

# No `from __future__ import annotations`: experiments/run_all.py loads this file without entering it in
# sys.modules, and dataclasses cannot then resolve the Config's annotations written as strings.
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib

matplotlib.use("Agg")

import numpy as np

from jaxprobe.analysis.tsne import embed
from jaxprobe.analysis.verdicts import VERDICTS, count_outcomes, mark_smoke_test
from jaxprobe.data import mnist
from jaxprobe.data.sampling import balanced_indices
from jaxprobe.parallel import unstack
from jaxprobe.report import Report, experiment_parser
from jaxprobe.studies.bp_dnn import claims, criteria, figures, over_seeds, per_seed, protocol as P, tables
from jaxprobe.train import fit


@dataclass(frozen=True)
class Config:
    """Sizes of one run: seeds, iterations, probe digits per class, digits for Figs. 7–8, t-SNE length."""

    seeds: int
    steps: int
    per_class: int
    n_corr: int
    tsne_iter: tuple[int, int]  # (early exaggeration, total)
    fig5: tuple[int, ...] = (10, 30, 50, 100)
    extra: tuple[int, ...] = ()
    tsne_jobs: int = 1


FULL = Config(seeds=5, steps=10_000, per_class=200, n_corr=1000, tsne_iter=(250, 500), extra=(300, 1000, 3000))
QUICK = Config(seeds=2, steps=300, per_class=25, n_corr=500, tsne_iter=(100, 200))
TEST_SETS = {"mnist-t10k": "the real 10,000-digit MNIST test set",
             "embedded-validation": "the held-out split of the embedded digits"}


def main(argv=None):
    args = experiment_parser("bp_dnn", "Seed 000: fp-DNN/bp-DNN as encoder/decoder on MNIST (DNN-6)").parse_args(argv)
    cfg, mode = (FULL, "full") if args.full else (QUICK, "quick")
    steps, K, H, n_seeds = cfg.steps, P.KNN_NEIGHBOURS, P.N_HIDDEN, cfg.seeds
    seeds = list(range(args.seed, args.seed + n_seeds))
    fig5_steps, snap_steps = P.snapshot_plan(steps, cfg.fig5, cfg.extra)
    title = "Seed 000: fp-DNN and bp-DNN as encoder and decoder (DNN-6 on MNIST)"
    with Report(args.out, "bp_dnn", title=title) as report:
        with report.stage("load data"):
            data = mnist.load_mnist()
            test_x, test_y = np.asarray(data.test_x), np.asarray(data.test_y)
            probe = balanced_indices(test_y, cfg.per_class, seed=args.seed)
            n_corr = min(cfg.n_corr, len(test_y))
            corr_idx = np.random.default_rng(args.seed + 1).choice(len(test_y), n_corr, replace=False)
        n_train, test_desc = len(data.train_y), TEST_SETS.get(str(data.test_source), str(data.test_source))
        digits = per_seed.ProbeDigits(test_x[probe], test_y[probe], test_x[corr_idx], test_y[corr_idx],
                                      test_x[:64], test_y[:64], test_x, test_y, n_train, test_desc)
        px, py, cx, cy = digits.probe_x, digits.probe_y, digits.maps_x, digits.maps_y

        model = P.dnn6()
        init_keys, train_keys = P.seed_keys(args.seed, n_seeds)
        with report.stage(f"train DNN-6 × {n_seeds} seeds, stacked ({steps} iterations, batch 64)"):
            result = fit(model, model.init_stacked(init_keys), train=(data.train_x, data.train_y), key=train_keys,
                         optimizer=P.caffe_lenet_solver(steps), batch_size=64, steps=steps,
                         snapshot_steps=snap_steps, progress=not args.no_progress, stacked=True)
        if [s for s in snap_steps if s not in result.snapshots]:
            raise RuntimeError(f"fit returned no snapshot for steps {[s for s in snap_steps if s not in result.snapshots]}")
        runs = []
        for i, seed in enumerate(seeds):
            with report.stage(f"seed {seed}: accuracy, z_l and õ_l at {len(snap_steps)} snapshots, maps, controls, "
                              f"direct losses"):
                snaps = {int(s): unstack(p, i) for s, p in result.snapshots.items()}
                runs.append(per_seed.measure_seed(model, snaps, digits, steps=steps, fig5_steps=fig5_steps,
                                                  shuffle_seed=seed + 2, k=K))
        first = runs[0]
        acc = first.measurements.accuracy
        smoke = f"quick mode: {steps} iterations on {n_train:,} digits, test accuracy {acc:.1f} % (seed {seeds[0]})"
        report.text(
            f"Mode: **{mode}**. DNN-6 = 784-100-100-100-100-100-10, ReLU, softmax cross-entropy, batch 64, "
            f"{steps:,} iterations with the Caffe MNIST solver (SGD lr 0.01, momentum 0.9, weight decay 5e-4, "
            f"'inv' decay; the seed's 10,000 × 64 matches that Caffe example, its solver is not stated). "
            f"**{n_seeds} seeds** ({', '.join(map(str, seeds))}: initial weights and minibatch order; seed s uses "
            f"jax.random.split(jax.random.key(s))), trained at once as stacked parameters (each equal to its own "
            f"run). Every seed is measured on the same digits. "
            f"Training digits: {n_train:,}; accuracy measured on {len(test_y):,} digits, {test_desc}. "
            f"Snapshots at iterations {', '.join(map(str, snap_steps))}."
            + (f" **Smoke test** ({smoke}; the seed trains 10,000 iterations on 60,000 digits): the verdicts "
               "on trained networks test the pipeline, not the seed." if not args.full else "") + "\n\n"
            f"Targets õ_l = ∂ℓ/∂z_l come from bp-DNN started at p − y with each digit's true label; features "
            f"z_l are the pre-activations of fp-DNN, on {len(py):,} test digits, {cfg.per_class} per class. "
            f"'Discriminant' has one bar in every row: the silhouette of the class partition under the cosine "
            f"distance, on the raw vectors, above {criteria.DISCRIMINANT_SILHOUETTE} (Kaufman & Rousseeuw: ≤ 0.25 "
            f"is 'no substantial structure'). The leave-one-out {K}-nearest-neighbour accuracy under the cosine "
            f"distance (chance 0.10) is shown beside it, not judged. Each claim's criterion (the seed's words, "
            f"the measure, the thresholds) is fixed in the study before the numbers, and each is also applied to "
            f"a negative control: the untrained network (iteration 0 of the same seed), label-shuffled targets, or "
            f"targets from wrong labels; a claim whose control also holds is 'not discriminating'.\n\n"
            + over_seeds.RULE + f" The figures and tables below the claims are those of seed {seeds[0]}, except "
            f"where they say 'over seeds'; metrics.json keeps seed {seeds[0]}'s numbers under their usual names "
            f"and every seed's in `over_seeds` (mean, sd, min, max, per_seed).")

        judged = over_seeds.judge([r.measurements for r in runs])
        rows = [c.row for c in judged]
        if not args.full:
            rows = mark_smoke_test(rows, smoke)
        for row in rows:
            report.claim(row.criterion, row.ours, row.seed, row.verdict, control=row.control,
                         control_verdict=row.control_outcome, note=row.note)
        report.table(*tables.controls_table(rows))
        per_seed_counts = [count_outcomes([r.verdict for r in c]) for c in zip(*[claim.per_seed for claim in judged])]
        over_counts = count_outcomes([c.row.verdict for c in judged])
        report.table("Outcome counts: each seed judged alone (seed 0 alone is what a one-seed run reports) and over "
                     "the seeds", ["run", *VERDICTS],
                     [[f"seed {s} alone", *[c[v] for v in VERDICTS]] for s, c in zip(seeds, per_seed_counts)]
                     + [[f"over {n_seeds} seeds", *[over_counts[v] for v in VERDICTS]]])
        report.table(*tables.seed_spread_table(judged, seeds))
        report.figure(figures.seed_spread_figure(judged, seeds), "claims_over_seeds.png",
                      f"Each claim's headline number for every seed (dots) and their mean (grey line), with the criterion's "
                      f"bar on it (dashed) where it has one; {n_seeds} seeds.")
        report.figure(figures.silhouette_spread_figure([r.disc for r in runs], snap_steps, H),
                      "silhouettes_over_seeds.png",
                      f"Cosine silhouette of õ_l (left) and z_l (right) against the iteration: mean over {n_seeds} "
                      f"seeds (line) and their range (band); the dashed line is the 'discriminant' bar "
                      f"{criteria.DISCRIMINANT_SILHOUETTE}.")

        disc, feats = first.disc, first.features
        keys = figures.tsne_panel_keys(steps, fig5_steps, H)
        with report.stage(f"t-SNE: {len(keys)} embeddings of {len(py)} points (openTSNE, cosine), seed {seeds[0]}"):
            emb = {key: embed(feats[key[2]][key[0]][key[1] - 1], metric="cosine", seed=args.seed,
                              early_exaggeration_iter=cfg.tsne_iter[0], n_iter=cfg.tsne_iter[1],
                              n_jobs=cfg.tsne_jobs) for key in keys}
        with report.stage("figures"):
            for fig, filename, caption in figures.tsne_figures(disc, emb, py, steps, fig5_steps, K, H):
                report.figure(fig, filename, caption + f" Seed {seeds[0]}.")
        report.table(*tables.discriminance_table(disc, snap_steps, K, len(py), H))
        report.text(claims.discriminance_reading(disc, snap_steps, H) + f" (Seed {seeds[0]}.)")

        report.table(*tables.direct_loss_table(first.errors, len(digits.check_y)))
        report.figure(figures.cosine_curve_figure(first.cos_curve), "cosine_z_vs_target.png",
                      f"Mean over {len(py)} test digits of cos(z_l, −õ_l), the quantity ℓ^fp rewards (seed §3.1), "
                      f"at every snapshot; the claim's bar for 'close' is {criteria.CLOSE_COSINE}. Seed {seeds[0]}.")
        report.table(*tables.cosine_table(first.cos_curve))
        report.table(*tables.reconstruction_table(first.scores, n_corr))
        with report.stage("Fig. 7/8"):
            report.figure(figures.fig7_figure(cx, cy, first.maps, first.scores["r"]), "fig7_reconstructions.png",
                          "Fig. 7: for digits 0–4, three instances each: the digit, the bp-DNN reconstruction −z̃_0 "
                          "and the guided-bp-DNN reconstruction; r = Pearson correlation of the map with its digit. "
                          f"Seed {seeds[0]}.")
            report.figure(figures.fig8_figure(cx, cy, first.maps["guided"]), "fig8_highlights.png", "Fig. 8 style: "
                          "each digit with boxes on the two strongest regions of its guided-bp-DNN map (red = "
                          f"strongest, green = second), beside the map. Seed {seeds[0]}.")

        metrics = [per_seed.seed_metrics(r) for r in runs]
        for name, value in metrics[0].items():
            report.metric(name, value)
        report.metric("n_train", n_train)
        report.metric("seeds", seeds)
        report.metric("over_seeds", over_seeds.metric_spread(metrics))
        report.metric("claims_over_seeds", over_seeds.claim_metrics(judged))
        report.metric("outcomes_per_seed", per_seed_counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
