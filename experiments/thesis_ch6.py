"""Seed 001 (Chen 2017), Ch. 6: learning structured data vs memorising random labels, and class collapse.

1. §6.2: the 4-layer MLP 100-100-100-100-60 on permuted jump labels (the "memorising network", trained to
   100 % training accuracy) beside the same MLP on the true labels (early-stopped); epochs to 100 % of both.
2. Class-averaged activations (Fig. 6.3, 6.4) and t-SNE of the hidden layers (Fig. 6.5, 6.6).
3. §6.4: inner/inter-class deviation (Euclidean, normalised Euclidean, cosine, correlation) of the normal
   network (Fig. 6.7–6.9), MNIST 784-784×4-10 (Fig. 6.12) and the memorising network (Fig. 6.13, 6.14).
4. Past the thesis: NC1 and CDNV per layer, tracked through training over five seeds of each network;
   is memorisation a layer-wise signature these measures detect? Untrained networks are the controls.

The study is ``jaxprobe.studies.thesis_ch6``; quick-mode verdicts on trained networks are smoke tests.

    python experiments/thesis_ch6.py --quick   # well under a minute
    python experiments/thesis_ch6.py --full    # the thesis's sizes (long: see the report's wall times)
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

from jaxprobe.data.jumps import CALIBRATED_SIGMA, QUICK_SIZES, THESIS_SIZES  # noqa: E402
from jaxprobe.report import Report, RunCache, experiment_parser  # noqa: E402
from jaxprobe.studies.thesis_ch6 import claims, criteria as C, figures  # noqa: E402
from jaxprobe.studies.thesis_ch6 import measures as M, protocol as P, views as V  # noqa: E402

NAME = "thesis_ch6"
#: Deviation figures: (file, title, profiles shown).
FIGURES = (("fig6_7_6_9.png", "Fig. 6.7–6.9: normal network, analysis signals", ("normal", "untrained normal")),
           ("fig6_13.png", "Fig. 6.13: memorising network, random-label training signals",
            ("memorising random", "untrained memorising random", "normal")),
           ("fig6_14.png", "Fig. 6.14: memorising network, true-label analysis signals",
            ("memorising true", "untrained memorising true", "normal")))
COLLAPSE_SHOWN = ("normal", "memorising true", "untrained normal", "normal train", "memorising random")


@dataclass(frozen=True)
class Config:
    """One run's sizes: jump sets, seeds, epoch budget, snapshots, t-SNE and MNIST settings."""

    sizes: tuple[int, int, int, int]       # train / valid / test / analysis jump signals
    seeds: int
    max_epochs: int
    check_every: int
    snapshots: tuple[int, ...]
    track_per_class: int                   # signals per class of the tracking sets
    tsne_points: int                       # thesis: all 12,000 training signals (full: 6,000 of them, for time)
    tsne_iter: tuple[int, int]             # (early exaggeration, total)
    mnist_widths: tuple[int, ...]
    mnist_batch: int                       # thesis: 1000 for 48,000 digits; scaled to the digits available
    mnist_epochs: int
    mnist_patience: int
    mnist_per_class: int                   # test digits per class for the deviations (0: all)


FULL = Config(sizes=THESIS_SIZES, seeds=5, max_epochs=3000, check_every=5,
              snapshots=(0, 5, 20, 50, 100, 200, 400, 800, 1200, 1600, 2400), track_per_class=100,
              tsne_points=6000, tsne_iter=(250, 500), mnist_widths=P.MNIST_WIDTHS, mnist_batch=100, mnist_epochs=200,
              mnist_patience=10, mnist_per_class=0)
QUICK = Config(sizes=QUICK_SIZES, seeds=2, max_epochs=30, check_every=5, snapshots=(0, 5, 30), track_per_class=20,
               tsne_points=200, tsne_iter=(50, 100), mnist_widths=(784, 64, 64, 64, 64, 10), mnist_batch=100,
               mnist_epochs=2, mnist_patience=2, mnist_per_class=30)


def main(argv=None):
    args = experiment_parser(NAME, "Thesis Ch. 6: memorising, deviations, class collapse").parse_args(argv)
    cfg, quick = (QUICK, True) if not args.full else (FULL, False)
    store = RunCache(args.out / "cache" / NAME)                          # delete it to recompute everything
    key = dict(sizes=cfg.sizes, seeds=cfg.seeds, epochs=cfg.max_epochs, check=cfg.check_every, snaps=cfg.snapshots,
               seed=args.seed, sigma=CALIBRATED_SIGMA)                    # what the trained networks depend on
    cached = lambda name, compute, **more: store.get(name, dict(key, **more), compute)
    net, figure = P.jump_mlp(), lambda fig, file, caption: report.figure(fig, file, caption)
    with Report(args.out, NAME, title="Seed 001 Ch. 6: learning vs memorising, deviations, class collapse") as report:
        with report.stage("data"):
            v = V.jump_views(cfg.sizes, args.seed, cfg.track_per_class)
        runs = {}
        for group, (name, labels) in enumerate((("normal", v.true_y), ("memorising", v.random_y))):
            train = lambda: P.training_to_tree(P.train_tracked(
                net, P.init_seeds(net, cfg.seeds, args.seed, group), (v.train_x, labels), batch_size=P.JUMP_BATCH,
                key=jax.random.split(jax.random.key(args.seed + 100 + group), cfg.seeds), max_epochs=cfg.max_epochs,
                valid=v.valid, snapshot_epochs=cfg.snapshots, check_every=cfg.check_every))
            with report.stage(f"train {name} ({cfg.seeds} seeds)"):
                runs[name] = P.training_from_tree(cached(f"train-{name}", train))
        normal, mem = runs["normal"], runs["memorising"]
        nets = V.networks(normal, mem)
        figure(figures.training_figure(runs), "training.png", "Training accuracy at the checks (every seed) and "
               "validation loss on the true labels; the normal network is adopted at its minimum.")
        levels = {n: {a: P.epochs_to(r.check_epochs, r.train_accuracy, a) for a in P.ACCURACY_LEVELS}
                  for n, r in runs.items()}
        accuracy = {n: P.accuracy_stacked(net, nets[n], v.analysis_x, v.analysis_y) for n in ("normal", "memorising")}
        rows = [claims.mem_reaches_row(mem.train_accuracy.max(0), levels["memorising"][1.0], cfg.max_epochs),
                claims.mem_slower_row(levels["memorising"], levels["normal"]),
                claims.mem_fails_row(accuracy["memorising"], accuracy["normal"])]

        with report.stage("class means, stripes (Fig. 6.3, 6.4)"):
            st = V.stripe_indices(net, nets, v)
            heat = figures.class_mean_figure(V.class_mean_rows(net, nets, v), ["layer 1", "layer 2", "layer 3", "out"])
            figure(heat, "fig6_3_6_4.png", "Class-averaged activations A^(l) (units × 60 classes, seed 0): memorising "
                   "network by random label (training set) and by true label (analysis set), normal network by true "
                   "label.")
        rows += [claims.stripes_row(C.NO_STRIPES_RANDOM, st["mem random"], st["normal train"],
                                    "normal network, true training labels", present=False),
                 claims.stripes_row(C.STRIPES_TRUE, st["mem true"], st["mem shuffled"], "shuffled labels",
                                    present=True),
                 claims.stripes_row(C.STRIPES_UNTRAINED, st["untrained true"], st["untrained shuffled"],
                                    "shuffled labels", present=True)]

        pick = np.sort(np.random.default_rng(args.seed).permutation(len(v.true_y))[:cfg.tsne_points])
        tsne = lambda n, layer: cached(f"tsne-{n}-{layer}", lambda: M.tsne_map(
            net, nets[n], v.train_x[pick], layer, seed=args.seed, exaggeration_iter=cfg.tsne_iter[0],
            n_iter=cfg.tsne_iter[1]), points=cfg.tsne_points, iterations=cfg.tsne_iter, output="softmax")
        with report.stage(f"t-SNE ({cfg.tsne_points} training signals, 8 maps)"):
            emb = {"memorising": [tsne("memorising", l) for l in V.LAYERS]}
            emb["normal"] = emb["memorising"][:1] + [tsne("normal", l) for l in V.HIDDEN]
        agree = {n: [M.neighbour_agreement(e, v.true_y[pick]) for e in emb[n][:4]] for n in emb}
        names, true_c, random_c = ["input", "layer 1", "layer 2", "layer 3", "output"], v.true_y[pick], v.random_y[pick]
        figure(figures.tsne_figure([("true labels", emb["memorising"], true_c), ("random labels", emb["memorising"],
                                                                                 random_c)], names), "fig6_5.png",
               f"Fig. 6.5: t-SNE (Euclidean) of the memorising network (seed 0), {cfg.tsne_points} training signals, "
               "coloured by true (left) and random (right) label.")
        figure(figures.tsne_figure([("memorising", emb["memorising"][:4], random_c), ("normal", emb["normal"], true_c)],
                                   names[:4]), "fig6_6.png", "Fig. 6.6: memorising network (coloured by its random "
               "labels) vs normal network (true labels).")
        rows += claims.tsne_rows(agree["memorising"], agree["normal"])

        with report.stage("deviation and collapse profiles (Fig. 6.7–6.9, 6.13, 6.14)"):
            pr = V.profiles(net, nets, v, cached)
        for file, title, shown in FIGURES:
            figure(figures.deviation_figure({n: pr[n] for n in shown}, V.LAYERS[:4], title), file,
                   title + " (layers 0–3; seed mean, band = min–max over seeds).")
        figure(figures.collapse_figure({n: pr[n] for n in COLLAPSE_SHOWN}, V.LAYERS), "collapse_by_layer.png",
               "NC1 and CDNV per layer: true-label analysis signals for the normal, memorising and untrained networks, "
               "and each network's own training labels ('train', 'random').")
        rows += claims.normal_rows(pr["normal"], pr["untrained normal"])
        rows += claims.memorising_rows(pr["memorising random"], pr["memorising true"], pr["normal"],
                                       pr["untrained memorising random"], pr["untrained memorising true"])

        with report.stage("MNIST (Fig. 6.12)"):
            mn = V.mnist_views(cfg.mnist_widths, seed=args.seed, batch_size=cfg.mnist_batch,
                               max_epochs=cfg.mnist_epochs, patience=cfg.mnist_patience, per_class=cfg.mnist_per_class)
        figure(figures.deviation_figure(mn.profiles, mn.layers[:-1], "Fig. 6.12: " + mn.description), "fig6_12.png",
               "Fig. 6.12: MNIST deviations (layers 0–4; inter-class over all 45 class pairs).")
        rows += [claims.mnist_accuracy_row(mn.run.test_accuracy, mn.n_train, mn.description)]
        rows += claims.mnist_rows(*mn.profiles.values())

        with report.stage("tracking through training (NC1, CDNV, deviations)"):
            tracks = V.tracks(net, runs, v, lambda n, f: cached(n, f, per_class=cfg.track_per_class))
        figure(figures.tracking_figure(tracks, V.LAYERS), "tracking.png", f"Measures through training ({cfg.seeds} "
               f"seeds, {cfg.track_per_class} signals a class), one line per layer.")
        signature = [claims.signature_row(C.SIGNATURE_TRUE, pr["memorising true"], pr["normal"],
                                          pr["untrained memorising true"], pr["untrained normal"]),
                     claims.signature_row(C.SIGNATURE_TRAIN, pr["memorising random"], pr["normal train"],
                                          pr["untrained memorising random"], pr["untrained normal train"],
                                          relative=True)]
        for (_, table, control), view in zip(signature, ("held-out true labels", "training labels, over the input")):
            report.table(f"Memorising vs normal at layers 1–3 ({view}): +1 memorising above every normal seed, "
                         "−1 below, 0 overlap", ["measure", "trained", "untrained (control)"],
                         [[m, table[m], control[m]] for m in table])
        rows += [claims.nc1_row(pr["normal"], pr["untrained normal"])] + [s[0] for s in signature]
        first = {m: M.first_separated_epoch(tracks["memorising, held-out true labels"],
                                            tracks["normal, held-out true labels"], m, V.HIDDEN) for m in figures.TRACKED}
        done = np.median(levels["memorising"][1.0])
        report.text(f"Through training (held-out true-label signals): first shared snapshot epoch from which the "
                    f"{cfg.seeds} memorising and {cfg.seeds} normal networks stay separated at every hidden layer: "
                    + ", ".join(f"{m} {'never' if e is None else e}" for m, e in first.items()) + " (memorising "
                    + (f"reaches 100 % at median epoch {done:.0f})." if np.isfinite(done) else "never reaches 100 %)."))

        if quick:
            rows = claims.smoke_test(rows, f"quick mode: {cfg.sizes[0]} training signals, {cfg.max_epochs} epochs")
        for r in rows:
            report.claim(r.criterion, r.ours, r.thesis, r.verdict, control=r.control, control_verdict=r.control_verdict,
                         note=r.note)
        report.text(f"Mode: **{'quick' if quick else 'full'}**. Jumps: σ = {CALIBRATED_SIGMA}, {cfg.sizes[0]:,} "
                    f"training / {cfg.sizes[3]:,} analysis signals; {cfg.seeds} seeds per network (Glorot-uniform, SGD "
                    f"lr 0.01, batch 100, checks every {cfg.check_every} epochs, budget {cfg.max_epochs}). Normal "
                    f"network adopted at its minimum validation loss (median epoch "
                    f"{np.median(normal.early_epoch):.0f}); "
                    f"memorising network at its first check with 100 % training accuracy. {mn.description}; batch "
                    f"{cfg.mnist_batch} (the "
                    f"thesis's 1000 for 48,000 digits, scaled to the digits available), early-stopped at epoch "
                    f"{mn.run.best_epoch} of {mn.run.epochs}.")
        finite = lambda e: [float(v) if np.isfinite(v) else None for v in e]          # None: never reached
        for name, value in {"epochs_to": {n: {str(a): finite(e) for a, e in lv.items()} for n, lv in levels.items()},
                            "true_label_accuracy": accuracy, "mnist_test_accuracy": mn.run.test_accuracy,
                            "neighbour_agreement": agree, "stripe_index": st, "profiles": pr,
                            "mnist_profiles": mn.profiles,
                            "tracks": {n: {k: t[k] for k in ("epochs",) + figures.TRACKED} for n, t in tracks.items()},
                            "first_separated_epoch": first,
                            "training_seconds": {n: r.seconds for n, r in runs.items()}}.items():
            report.metric(name, value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
