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

from jaxprobe.analysis.activations import class_means  # noqa: E402
from jaxprobe.data.jumps import CALIBRATED_SIGMA, QUICK_SIZES, THESIS_SIZES, jump_splits  # noqa: E402
from jaxprobe.data.mnist import load_mnist  # noqa: E402
from jaxprobe.data.sampling import balanced_indices  # noqa: E402
from jaxprobe.models import mlp  # noqa: E402
from jaxprobe.report import Report, RunCache, experiment_parser  # noqa: E402
from jaxprobe.studies.thesis_ch6 import claims, figures, measures as M, protocol as P  # noqa: E402

NAME = "thesis_ch6"
LAYERS = (0, 1, 2, 3, 4)          # input, three hidden layers, output logits
HIDDEN = (1, 2, 3)


@dataclass(frozen=True)
class Config:
    """One run's sizes: jump sets, seeds, epoch budget, snapshots, t-SNE and MNIST settings."""

    sizes: tuple[int, int, int, int]       # train / valid / test / analysis jump signals
    seeds: int
    max_epochs: int
    check_every: int
    snapshots: tuple[int, ...]
    track_per_class: int                   # signals per class of the tracking sets
    tsne_points: int
    tsne_iter: tuple[int, int]             # (early exaggeration, total)
    mnist_widths: tuple[int, ...]
    mnist_batch: int                       # thesis: 1000 for 48,000 digits; scaled to the digits available
    mnist_epochs: int
    mnist_patience: int


FULL = Config(sizes=THESIS_SIZES, seeds=5, max_epochs=3000, check_every=5,
              snapshots=(0, 5, 20, 50, 100, 200, 400, 800, 1200, 1600, 2400), track_per_class=100,
              tsne_points=12000, tsne_iter=(250, 500), mnist_widths=P.MNIST_WIDTHS, mnist_batch=100, mnist_epochs=200,
              mnist_patience=10)
QUICK = Config(sizes=QUICK_SIZES, seeds=2, max_epochs=30, check_every=5, snapshots=(0, 5, 30), track_per_class=10,
               tsne_points=300, tsne_iter=(50, 100), mnist_widths=(784, 64, 64, 64, 64, 10), mnist_batch=100,
               mnist_epochs=2, mnist_patience=2)


def main(argv=None):
    args = experiment_parser(NAME, "Thesis Ch. 6: memorising random labels, deviations, class collapse").parse_args(argv)
    cfg, quick = (QUICK, True) if not args.full else (FULL, False)
    cache = RunCache(args.out / ".cache" / NAME)
    key = dict(sizes=cfg.sizes, seeds=cfg.seeds, epochs=cfg.max_epochs, check=cfg.check_every, snaps=cfg.snapshots,
               seed=args.seed, sigma=CALIBRATED_SIGMA)                    # what the trained networks depend on
    net = P.jump_mlp()
    with Report(args.out, NAME, title="Seed 001 Ch. 6: learning vs memorising, deviations, class collapse") as report:
        with report.stage("data"):
            s = jump_splits(sizes=cfg.sizes, seed=args.seed)
            train_x, true_y = np.asarray(s.train_x), np.asarray(s.train_y)
            random_y = P.permuted_labels(true_y, args.seed)
            ax, ay = np.asarray(s.analysis_x), np.asarray(s.analysis_y)
            held = balanced_indices(ay, cfg.track_per_class, seed=args.seed)
            sub = balanced_indices(random_y, cfg.track_per_class, seed=args.seed)
        runs = {}
        for name, labels, group in (("normal", true_y, 0), ("memorising", random_y, 1)):
            with report.stage(f"train {name} ({cfg.seeds} seeds)"):
                run = lambda: P.training_to_tree(P.train_tracked(
                    net, P.init_seeds(net, cfg.seeds, args.seed, group), (train_x, labels),
                    key=jax.random.split(jax.random.key(args.seed + 100 + group), cfg.seeds), max_epochs=cfg.max_epochs,
                    batch_size=P.JUMP_BATCH, valid=(s.valid_x, s.valid_y), snapshot_epochs=cfg.snapshots,
                    check_every=cfg.check_every))
                runs[name] = P.training_from_tree(cache.get(f"train-{name}", key, run))
        normal, mem = runs["normal"], runs["memorising"]
        nets = {"normal": normal.early, "memorising": mem.memorised, "untrained normal": normal.snapshots[0],
                "untrained memorising": mem.snapshots[0]}
        report.figure(figures.training_figure(runs), "training.png", "Training accuracy at the checks (every seed) "
                      "and validation loss on the true labels; the normal network is adopted at its minimum.")
        levels = {n: {a: P.epochs_to(r.check_epochs, r.train_accuracy, a) for a in P.ACCURACY_LEVELS} for n, r in runs.items()}
        accuracy = {n: P.accuracy_stacked(net, nets[n], ax, ay) for n in ("normal", "memorising")}
        rows = [claims.mem_reaches_row(mem.train_accuracy.max(0), levels["memorising"][1.0], cfg.max_epochs),
                claims.mem_slower_row(levels["memorising"], levels["normal"]),
                claims.mem_fails_row(accuracy["memorising"], accuracy["normal"])]

        with report.stage("class means, stripes (Fig. 6.3, 6.4)"):
            shuffled_ay = P.permuted_labels(ay, args.seed + 1)
            stripes = {"mem random": M.stripe_profile(net, nets["memorising"], train_x, random_y, HIDDEN, 60),
                       "normal train": M.stripe_profile(net, nets["normal"], train_x, true_y, HIDDEN, 60),
                       "mem true": M.stripe_profile(net, nets["memorising"], ax, ay, HIDDEN, 60),
                       "mem shuffled": M.stripe_profile(net, nets["memorising"], ax, shuffled_ay, HIDDEN, 60),
                       "untrained true": M.stripe_profile(net, nets["untrained normal"], ax, ay, HIDDEN, 60),
                       "untrained shuffled": M.stripe_profile(net, nets["untrained normal"], ax, shuffled_ay, HIDDEN, 60)}
            views = [("memorising, random labels (Fig. 6.3)", nets["memorising"], train_x, random_y),
                     ("memorising, true labels (Fig. 6.4)", nets["memorising"], ax, ay),
                     ("normal, true labels (Fig. 3.12)", nets["normal"], ax, ay)]
            heat = [(t, [class_means(P.layer_activations(net, M.first_seed(p), x, l)[0], y, 60) for l in LAYERS[1:]])
                    for t, p, x, y in views]
        report.figure(figures.class_mean_figure(heat, ["layer 1", "layer 2", "layer 3", "output"]), "fig6_3_6_4.png",
                      "Class-averaged activations A^(l) (units × 60 classes, seed 0): memorising network by random "
                      "label (training set) and by true label (analysis set), normal network by true label.")
        rows += [claims.stripes_row(claims.C.NO_STRIPES_RANDOM, stripes["mem random"], stripes["normal train"],
                                    "normal network, true training labels", present=False),
                 claims.stripes_row(claims.C.STRIPES_TRUE, stripes["mem true"], stripes["mem shuffled"],
                                    "shuffled true labels", present=True),
                 claims.stripes_row(claims.C.STRIPES_UNTRAINED, stripes["untrained true"], stripes["untrained shuffled"],
                                    "shuffled true labels", present=True)]

        tsne_idx = np.sort(np.random.default_rng(args.seed).permutation(len(true_y))[:cfg.tsne_points])
        tx = train_x[tsne_idx]
        tsne_cfg = dict(key, points=cfg.tsne_points, iterations=cfg.tsne_iter)
        with report.stage(f"t-SNE ({cfg.tsne_points} training signals, 8 maps)"):
            emb = cache.get("tsne", tsne_cfg, lambda: {
                "memorising": M.tsne_maps(net, nets["memorising"], tx, LAYERS, seed=args.seed,
                                          exaggeration_iter=cfg.tsne_iter[0], n_iter=cfg.tsne_iter[1]),
                "normal": M.tsne_maps(net, nets["normal"], tx, LAYERS[1:4], seed=args.seed,
                                      exaggeration_iter=cfg.tsne_iter[0], n_iter=cfg.tsne_iter[1])})
        emb["normal"] = [emb["memorising"][0]] + list(emb["normal"])
        agree = {n: [M.neighbour_agreement(e, true_y[tsne_idx]) for e in emb[n][:4]] for n in emb}
        names = ["input", "layer 1", "layer 2", "layer 3", "output"]
        report.figure(figures.tsne_figure([("true labels", emb["memorising"], true_y[tsne_idx]),
                                           ("random labels", emb["memorising"], random_y[tsne_idx])], names),
                      "fig6_5.png", f"Fig. 6.5: t-SNE of the memorising network (seed 0), {cfg.tsne_points} training "
                      "signals, coloured by true (left) and random (right) label.")
        report.figure(figures.tsne_figure([("memorising", emb["memorising"][:4], random_y[tsne_idx]),
                                           ("normal", emb["normal"], true_y[tsne_idx])], names[:4]),
                      "fig6_6.png", "Fig. 6.6: memorising (coloured by its random labels) vs normal network (true).")
        rows += claims.tsne_rows(agree["memorising"], agree["normal"])

        with report.stage("deviation and collapse profiles (Fig. 6.7–6.9, 6.13, 6.14)"):
            prof = lambda name, p, x, y: cache.get(f"profile-{name}", key, lambda: M.layer_profile(net, p, x, y, LAYERS))
            pr = {"normal": prof("normal", nets["normal"], ax, ay),
                  "untrained normal": prof("untrained-normal", nets["untrained normal"], ax, ay),
                  "memorising true": prof("mem-true", nets["memorising"], ax, ay),
                  "untrained memorising true": prof("untrained-mem-true", nets["untrained memorising"], ax, ay),
                  "memorising random": prof("mem-random", nets["memorising"], train_x, random_y),
                  "untrained memorising random": prof("untrained-mem-random", nets["untrained memorising"], train_x, random_y),
                  "normal train": prof("normal-train", nets["normal"], train_x, true_y),
                  "untrained normal train": prof("untrained-normal-train", nets["untrained normal"], train_x, true_y)}
        for file, title, names_ in (("fig6_7_6_9.png", "Fig. 6.7–6.9: normal network, analysis signals", ("normal", "untrained normal")),
                                    ("fig6_13.png", "Fig. 6.13: memorising network, random-label training signals", ("memorising random", "untrained memorising random", "normal")),
                                    ("fig6_14.png", "Fig. 6.14: memorising network, true-label analysis signals", ("memorising true", "untrained memorising true", "normal"))):
            report.figure(figures.deviation_figure({n: pr[n] for n in names_}, LAYERS[:4], title), file, title + " (layers 0–3; seed mean, band = min–max over seeds).")
        report.figure(figures.collapse_figure({n: pr[n] for n in ("normal", "memorising true", "untrained normal", "normal train", "memorising random")}, LAYERS),
                      "collapse_by_layer.png", "NC1 and CDNV per layer (log scale): true-label analysis signals for the normal, memorising and untrained networks; each network's own training labels ('train', 'random').")
        rows += claims.normal_rows(pr["normal"], pr["untrained normal"])
        rows += claims.memorising_rows(pr["memorising random"], pr["memorising true"], pr["normal"],
                                       pr["untrained memorising random"], pr["untrained memorising true"])

        with report.stage("MNIST (Fig. 6.12)"):
            data = load_mnist()
            mnet = mlp(cfg.mnist_widths)
            mnist = P.train_mnist(mnet, data, seed=args.seed, batch_size=cfg.mnist_batch, max_epochs=cfg.mnist_epochs, patience=cfg.mnist_patience)
            mlayers = tuple(range(len(cfg.mnist_widths)))
            mp = {n: M.layer_profile(mnet, p, data.test_x, data.test_y, mlayers, pairs="all") for n, p in (("MNIST MLP", mnist.best), ("untrained", mnist.initial))}
        mnist_desc = f"{len(data.train_y):,} embedded training digits; measured on {len(data.test_y):,} test digits ({data.test_source})"
        report.figure(figures.deviation_figure(mp, mlayers[:-1], f"Fig. 6.12: MNIST {'-'.join(map(str, cfg.mnist_widths))}, {mnist_desc}"), "fig6_12.png", "Fig. 6.12: MNIST deviations, all 45 class pairs for inter-class (layers 0–4).")
        rows += [claims.mnist_accuracy_row(mnist.test_accuracy, len(data.train_y), mnist_desc)] + claims.mnist_rows(*mp.values())

        with report.stage("tracking through training (NC1, CDNV, deviations)"):
            tracks = {}
            for name, run, x, y in (("normal, true labels (held-out)", normal, ax[held], ay[held]), ("memorising, true labels (held-out)", mem, ax[held], ay[held]),
                                    ("normal, training labels", normal, train_x[sub], true_y[sub]), ("memorising, random training labels", mem, train_x[sub], random_y[sub])):
                snaps = {**run.snapshots, run.epochs: run.final}
                tracks[name] = cache.get("track-" + "".join(c for c in name if c.isalnum()), dict(key, per_class=cfg.track_per_class), lambda: M.track(net, snaps, x, y, LAYERS))
        report.figure(figures.tracking_figure(tracks, LAYERS), "tracking.png", f"Measures through training ({cfg.seeds} seeds; {cfg.track_per_class} signals per class), one line per layer.")
        rows.append(claims.nc1_row(pr["normal"], pr["untrained normal"]))
        sig_true = claims.signature_row(claims.C.SIGNATURE_TRUE, pr["memorising true"], pr["normal"], pr["untrained memorising true"], pr["untrained normal"])
        sig_train = claims.signature_row(claims.C.SIGNATURE_TRAIN, pr["memorising random"], pr["normal train"], pr["untrained memorising random"], pr["untrained normal train"], relative=True)
        rows += [sig_true[0], sig_train[0]]
        for title, (_, table, control) in (("held-out true labels", sig_true), ("training labels, relative to the input", sig_train)):
            report.table(f"Memorising vs normal, separated at layers 1–3 ({title}): +1 memorising above, −1 below, 0 overlap",
                         ["measure", "trained", "untrained (control)"], [[m, table[m], control[m]] for m in table])

        if quick:
            rows = claims.smoke_test(rows, f"quick mode: {cfg.sizes[0]} training signals, {cfg.max_epochs} epochs")
        for r in rows:
            report.claim(r.criterion, r.ours, r.thesis, r.verdict, control=r.control, control_verdict=r.control_verdict, note=r.note)
        report.text(f"Mode: **{'quick' if quick else 'full'}**. Jumps: σ = {CALIBRATED_SIGMA}, {cfg.sizes[0]:,} training / {cfg.sizes[3]:,} analysis signals; "
                    f"{cfg.seeds} seeds per network (Glorot-uniform init, SGD lr 0.01, batch 100, checks every {cfg.check_every} epochs, budget {cfg.max_epochs}). "
                    f"Normal network adopted at its minimum validation loss (median epoch {np.median(normal.early_epoch):.0f}); memorising network at its first check "
                    f"with 100 % training accuracy. MNIST: batch {cfg.mnist_batch} (the thesis's 1000 for 48,000 digits, scaled with the digits available), "
                    f"early-stopped at epoch {mnist.best_epoch} of {mnist.epochs}.")
        metrics = {"epochs_to": {n: {str(a): v.tolist() for a, v in lv.items()} for n, lv in levels.items()},
                   "true_label_accuracy": {n: v.tolist() for n, v in accuracy.items()}, "mnist_test_accuracy": mnist.test_accuracy,
                   "neighbour_agreement": agree, "stripe_index": {n: v.tolist() for n, v in stripes.items()},
                   "profiles": {n: {k: v.tolist() for k, v in p.items()} for n, p in pr.items()},
                   "mnist_profiles": {n: {k: v.tolist() for k, v in p.items()} for n, p in mp.items()},
                   "nc1_tracks": {n: {"epochs": t["epochs"].tolist(), "nc1": t["nc1"].tolist()} for n, t in tracks.items()},
                   "training_seconds": {n: r.seconds for n, r in runs.items()}}
        for name, value in metrics.items():
            report.metric(name, value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
