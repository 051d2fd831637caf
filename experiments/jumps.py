"""Seed 001 (Chen 2017, Ch. 3–4): jump detection — baseline, MLPs, CNNs and bottleneck networks.

1. Calibrates the unstated noise σ (and the baseline's derivative / arg-max range) on Table 3.1
   alone, then freezes it; every network table is held-out validation.
2. Signal-processing baseline (Gaussian w = 19, τ = 2.9, derivative, arg-max), Fig. 3.5 τ-sweep,
   Fig. 3.7 histograms, t-SNE of the training signals (Fig. 3.2).
3. MLPs (1–4 layers), one-filter CNNs (7; 5; 5,9; 5,7,9; conv activation linear and ReLU), shallow
   100-p-60 and deep 100-25-p-25-60 bottlenecks for p = 2..10 — each trained as K seeds at once
   (``fit(stacked=True)``), SGD lr 0.01, batch 100, early stopping at the minimum validation loss.
4. Tables 3.1–3.4, 4.1, 7.1 beside the thesis (mean ± std over seeds), the figures of Ch. 3–4,
   and a verdict with our number for each claim 1–25 of the digest's §9.

    python experiments/jumps.py --quick      # ~1–2 minutes: small sets, few epochs, one seed
    python experiments/jumps.py --full       # the thesis's sizes, 5 seeds (< 1 h on 2 cores)

Trained runs are cached in ``<out>/jumps_cache/`` so an interrupted ``--full`` resumes.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib

matplotlib.use("Agg")

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from jaxprobe.analysis import activations as an
from jaxprobe.analysis import stats
from jaxprobe.models import glorot_init, glorot_init_stacked
from jaxprobe.probes import activations as pr
from jaxprobe.studies import jumps as ja
from jaxprobe.studies import jump_baseline as jb
from jaxprobe.report.cli import experiment_parser
from jaxprobe.data import jumps
from jaxprobe.report import Report

# ----------------------------------------------------------------------------- thesis numbers
KEYS = ja.ERROR_KEYS
T = {
    "baseline": (0.5532, 1.4946, 0.4917, 0.7443),
    "mlp1": (0.3065, 0.8043, 0.2606, 0.6304),
    "mlp2": (0.3083, 0.7722, 0.2675, 0.6222),
    "mlp3": (0.3583, 0.8132, 0.3169, 0.6667),
    "mlp4": (0.3913, 0.8428, 0.3531, 0.7075),
    "cnn1": (0.3248, 0.7862, 0.2854, 0.6452),
    "cnn2": (0.3213, 0.7592, 0.2839, 0.6309),
    "cnn3": (0.3458, 0.7946, 0.3089, 0.6721),
    "shallow10": (0.7980, 1.4658, 0.7370, 1.0820),
    "shallow4": (1.1626, 1.6809, 1.0993, 1.4755),
    "shallow2": (1.5486, 1.9874, 1.5053, 1.9086),
    "deep10": (0.6478, 1.3121, 0.5742, 0.9255),
    "deep4": (0.7000, 1.1795, 0.6450, 0.9661),
    "deep2": (0.9830, 1.3136, 0.9542, 0.2621),  # last value: a typo in Table 7.1 (< its L1)
}
LABEL = {
    "baseline": "Signal processing approach", "mlp1": "1-layer NN", "mlp2": "2-layer MLP",
    "mlp3": "3-layer MLP", "mlp4": "4-layer MLP", "cnn1": "1-conv-layer CNN (7)", "cnn1k5": "1-conv CNN (5)",
    "cnn2": "2-conv-layer CNN (5, 9)", "cnn3": "3-conv-layer CNN (5, 7, 9)",
}
for _p in range(2, 11):
    LABEL[f"shallow{_p}"] = f'"Bottleneck" 100-{_p}-60'
    LABEL[f"deep{_p}"] = f'"Bottleneck" 100-25-{_p}-25-60'

FULL = dict(sizes=jumps.THESIS_SIZES, n_seeds=5, max_epochs=500, patience=40, ps=tuple(range(2, 11)),
            cal_grid=tuple(np.round(np.arange(0.94, 1.121, 0.02), 3)), cal_reps=40, cal_n=6000,
            tau_n=100, tsne_n=12000, long_epochs=1500, long_every=50, conv_acts=("linear", "relu"), extend_epochs=1000,
            nets=("mlp1", "mlp2", "mlp3", "mlp4", "cnn1", "cnn1k5", "cnn2", "cnn3"))
QUICK = dict(sizes=jumps.QUICK_SIZES, n_seeds=1, max_epochs=3, patience=2, ps=(2, 4),
             cal_grid=(0.9, 1.0, 1.1), cal_reps=3, cal_n=600, tau_n=5, tsne_n=300, long_epochs=0, long_every=1, extend_epochs=0,
             conv_acts=("linear",), nets=("mlp1", "mlp2", "cnn1", "cnn2"))


def fmt(mean, std):
    return f"{mean:.4f} ± {std:.4f}"


# ----------------------------------------------------------------------------- training with cache

def _load_run(path, name, conv_activation):
    with open(path, "rb") as f:
        d = pickle.load(f)
    d["net"] = ja.jump_network(name, conv_activation)
    d["params"] = jax.tree.map(jnp.asarray, d["params"])
    snaps = d.pop("snapshots", {})
    run = ja.JumpRun(**d)
    run.snapshots = snaps
    return run


def _save_run(path, run):
    d = {k: getattr(run, k) for k in ("name", "best_epoch", "history", "stats", "test_pred", "wall",
                                      "epochs_run", "max_epochs")}
    d["params"] = jax.tree.map(np.asarray, run.params)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(d, f)
    tmp.replace(path)


def extend_model(run, splits, cfg, args, cache_dir):
    """Continue a run that hit its epoch budget with the validation loss still falling."""
    fp = hashlib.sha256(repr((run.name, splits.sigma, cfg["sizes"], cfg["n_seeds"], cfg["max_epochs"],
                              cfg["patience"], cfg["extend_epochs"], args.seed)).encode()).hexdigest()[:12]
    path = cache_dir / f"{run.name}_extended_{fp}.pkl"
    if path.is_file():
        return _load_run(path, run.name, "linear"), True
    out = ja.continue_seeds(run, splits, extra_epochs=cfg["extend_epochs"], patience=cfg["patience"],
                            seed=args.seed, progress=not args.no_progress)
    _save_run(path, out)
    return out, False


def run_model(name, splits, cfg, args, conv_activation="linear", cache_dir=None):
    tag = f"{name}_{conv_activation}" if name.startswith("cnn") else name
    fp = hashlib.sha256(repr((tag, splits.sigma, cfg["sizes"], cfg["n_seeds"], cfg["max_epochs"],
                              cfg["patience"], args.seed)).encode()).hexdigest()[:12]
    path = cache_dir / f"{tag}_{fp}.pkl" if cache_dir is not None else None
    if path is not None and path.is_file():
        return _load_run(path, name, conv_activation), True
    run = ja.train_seeds(name, splits, n_seeds=cfg["n_seeds"], max_epochs=cfg["max_epochs"],
                         patience=cfg["patience"], seed=args.seed, conv_activation=conv_activation,
                         progress=not args.no_progress)
    if path is not None:
        _save_run(path, run)
    return run, False


def cache_result(cache_dir, key, compute):
    """Pickle-cached result of ``compute()`` under ``cache_dir`` (an interrupted --full resumes)."""
    path = cache_dir / f"{key[0]}_{hashlib.sha256(repr(key).encode()).hexdigest()[:12]}.pkl"
    if path.is_file():
        with open(path, "rb") as f:
            return pickle.load(f)
    value = compute()
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(value, f)
    tmp.replace(path)
    return value


def total_std(run, key):
    """Seed std combined with the test-set bootstrap std: how far the figure would move with another
    seed *and* another 6000-signal test set."""
    boot = getattr(run, "boot", None) or {}
    return float(np.sqrt(np.std(run.stats[key]) ** 2 + boot.get(key, 0.0) ** 2))


def row_cells(run):
    return [f"{np.mean(run.stats[k]):.4f} ± {np.std(run.stats[k]):.4f} (±{total_std(run, k):.4f})" for k in KEYS]


def spread_verdict(thesis, run, k=2.0):
    """Which of the four thesis figures lie within our mean ± k·(total std)."""
    return [stats.within_spread(t, float(np.mean(run.stats[key])), total_std(run, key), k)
            for t, key in zip(thesis, KEYS)]


def verdict_of(inside):
    n = sum(inside)
    return "holds" if n == len(inside) else ("does not hold" if n == 0 else "partly")


# ----------------------------------------------------------------------------- figures

def fig_baseline(x_window, pred, true, err99_cut):
    err = np.abs(pred - true)
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.2))
    ax[0].stem(np.arange(-9, 10), x_window)
    ax[0].set_title("Gaussian smoother, w = 19, τ = 2.9 (Fig. 3.6)")
    h = np.bincount(err)
    ax[1].bar(np.arange(len(h)), h)
    ax[1].set_yscale("log")
    ax[1].set_title(f"|error|, all {len(err)} test signals (max {err.max()})")
    keep = np.sort(err)[: int(0.99 * len(err))]
    h2 = np.bincount(keep)
    ax[2].bar(np.arange(len(h2)), h2)
    ax[2].set_title(f"99 percentile (max {keep.max()})")
    for a in ax[1:]:
        a.set_xlabel("|t_predict − t_true|")
    return fig


def fig_tau(taus, sigmas, P):
    fig, ax = plt.subplots(figsize=(6, 4))
    for s, row in zip(sigmas, P):
        ax.plot(taus, row, label=f"σ = {s:.1f}")
        ax.plot(taus[np.argmax(row)], row.max(), "k.")
    ax.set_xlabel("filter width τ")
    ax.set_ylabel("P(|error| ≤ 1)")
    ax.set_title("Fig. 3.5: jump size 1, Gaussian derivative filter")
    ax.legend(fontsize=8)
    return fig


def fig_tsne(emb, labels):
    fig, ax = plt.subplots(figsize=(7, 6))
    sc = ax.scatter(emb[:, 0], emb[:, 1], c=labels + 21, cmap="viridis", s=2)
    for c in range(0, 60, 3):
        m = np.median(emb[labels == c], axis=0)
        ax.text(m[0], m[1], str(c + 21), fontsize=7)
    fig.colorbar(sc, label="jump position")
    ax.set_title("Fig. 3.2: t-SNE of the training signals")
    return fig


def heat(ax, m, title, xlabel="", ylabel="", cmap="RdBu_r", sym=True):
    m = np.asarray(m)
    v = np.abs(m).max() if sym else None
    im = ax.imshow(m, aspect="auto", cmap=cmap, vmin=-v if sym else None, vmax=v if sym else None,
                   interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    plt.colorbar(im, ax=ax)


# ----------------------------------------------------------------------------- main

def main(argv=None):
    args = experiment_parser("jumps", "Seed 001 Ch. 3–4: jump detection baseline, MLPs, CNNs, bottlenecks").parse_args(argv)
    cfg = FULL if args.full else QUICK
    mode = "full" if args.full else "quick"
    cache_dir = Path(args.out) / "jumps_cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    verdicts = {}   # claim number -> (verdict, our number, note)
    with Report(args.out, "jumps", title="Seed 001: jump detection — baseline, MLPs, CNNs, bottlenecks (Ch. 3–4)") as report:
        report.text(f"Mode: **{mode}**. Sizes (train, valid, test, analysis) = {cfg['sizes']}; "
                    f"{cfg['n_seeds']} seed(s) per network trained at once with `fit(stacked=True)`; "
                    f"SGD lr 0.01, batch 100, softmax cross-entropy, evaluation every epoch, parameters of "
                    f"the minimum validation loss kept (patience {cfg['patience']} epochs, budget "
                    f"{cfg['max_epochs']} epochs). Glorot-uniform kernels and zero biases (Keras defaults; "
                    f"the thesis names no initialiser). Spread = mean ± std over seeds on one fixed test "
                    f"set, and in brackets the total std: seed std combined with a 200-resample bootstrap of the test "
                    f"set (how far a figure moves with another seed and another test set). A thesis value is "
                    f"'within' (✓) when it lies in mean ± 2 total std.")

        # ------------------------------------------------------------ 1. calibration
        t0 = time.perf_counter()
        cal = cache_result(cache_dir, ("calibration", cfg["cal_grid"], cfg["cal_reps"], cfg["cal_n"]),
                     lambda: jb.calibrate_sigma(cfg["cal_grid"], replicates=cfg["cal_reps"], n=cfg["cal_n"]))
        report.timing("sigma calibration", time.perf_counter() - t0)
        sigma = round(cal.sigma, 2) if args.full else jumps.CALIBRATED_SIGMA
        rows = []
        for (d, r), chis in cal.chi2_grid.items():
            rows.append([d, "21..80" if r else "all", f"{cal.grid[int(np.argmin(chis))]:.2f}", f"{chis.min():.1f}",
                         f"{cal.p_max_near_58[(d, r)]:.3f}", f"{cal.p_max_gt_59[(d, r)]:.3f}",
                         f"{cal.score[(d, r)]:.1f}"])
        report.text(
            "### σ calibration (Table 3.1 alone)\n\n"
            f"For every σ on the grid {cal.grid.min():.2f}..{cal.grid.max():.2f} and each of the six detector "
            f"variants (backward / forward / central difference × arg-max over 21..80 or over all positions), "
            f"the baseline (w = 19, τ = 2.9) was run on {cfg['cal_reps']} fresh {cfg['cal_n']}-signal test sets "
            f"(the same keys for every cell). The score is the chi-square of the four Table 3.1 figures "
            f"against the replicate mean ± std, plus −2 log P(57 ≤ max error ≤ 59) for the reported maximum "
            f"error of 58. The winner is the **{cal.derivative} difference with the arg-max over "
            f"{'21..80' if cal.restrict else 'all positions'}**, σ = {cal.sigma:.3f} (chi-square "
            f"{cal.chi2:.1f} on 4 figures); σ frozen at **{sigma}** for everything below"
            + ("" if args.full else f" (quick mode keeps the library constant {jumps.CALIBRATED_SIGMA})")
            + f". A per-signal σ ~ U(0.5, 2) (the thesis's 'ranging from 0.5 to 2') scores chi-square "
            f"{cal.random_sigma_chi2:.0f} (L1 {cal.random_sigma_mean.get('L1', float('nan')):.3f}): rejected. "
            "The forward difference is biased by −1 and the central difference splits ties between t0−1 and "
            "t0; both miss the 99-percentile figures by many standard deviations.")
        report.table("Calibration: best σ per detector variant",
                     ["derivative", "arg-max over", "best σ", "chi-square", "P(max∈57..59)", "P(max>59)",
                      "score"], rows)
        report.metric("sigma_calibrated", cal.sigma)
        report.metric("sigma_frozen", sigma)
        report.metric("baseline_derivative", cal.derivative)
        report.metric("baseline_restrict", cal.restrict)

        # ------------------------------------------------------------ 2. data and baseline
        t0 = time.perf_counter()
        splits = jumps.jump_splits(sigma, sizes=cfg["sizes"], seed=args.seed)
        btrue = np.asarray(splits.test_y) + 21
        bpred = np.asarray(jb.detect(splits.test_x, derivative=cal.derivative, restrict=cal.restrict))
        bstats = {k: float(v) for k, v in ja.error_stats(bpred, btrue).items()}
        rep = jb.simulate_baseline(sigma, key=jax.random.PRNGKey(77), replicates=max(cfg["cal_reps"], 3),
                                   n=cfg["sizes"][2], derivative=cal.derivative, restrict=cal.restrict)
        report.timing("baseline", time.perf_counter() - t0)
        g = np.asarray(jb.gaussian_window(2.9, 19))
        report.figure(fig_baseline(g, bpred, btrue, 0.99), "fig3_6_7_baseline.png",
                      "Fig. 3.6–3.7: the Gaussian smoother and the baseline's |error| histograms on our test set "
                      "(all signals; 99 percentile).")
        base_cells = [f"{bstats[k]:.4f} (replicates {fmt(rep[k].mean(), rep[k].std())})" for k in KEYS]
        inside = [stats.within_spread(t, rep[k].mean(), rep[k].std()) for t, k in zip(T["baseline"], KEYS)]
        report.table("Table 3.1: signal-processing approach (our test set; mean ± std over replicate test sets)",
                     ["", "L1", "L2", "99% L1", "99% L2", "max"],
                     [["thesis"] + list(T["baseline"]) + [58],
                      ["ours"] + base_cells + [f"{bstats['max']:.0f}"]])
        for t, k in zip(T["baseline"], KEYS):
            report.compare(f"Table 3.1 baseline {k}", f"{bstats[k]:.4f} ({fmt(rep[k].mean(), rep[k].std())})", t,
                           "holds" if stats.within_spread(t, rep[k].mean(), rep[k].std()) else "does not hold",
                           "σ fitted to these four numbers: an in-sample check")
        err = np.abs(bpred - btrue)
        keep = np.sort(err)[: int(0.99 * len(err))]
        frac01 = float(np.mean(err <= 1))
        verdicts[3] = ("holds" if (keep.max() <= 2 and frac01 > 0.9 and sum(inside) >= 3) else "partly",
                       f"L1 {bstats['L1']:.4f}, L2 {bstats['L2']:.4f}, 99% {bstats['L1_99']:.4f}/{bstats['L2_99']:.4f};"
                       f" max {bstats['max']:.0f} (thesis 58; replicates {rep['max'].mean():.0f} ± {rep['max'].std():.0f});"
                       f" 99% errors ≤ {keep.max()}; {100 * frac01:.1f}% of errors are 0 or 1",
                       "in-sample: σ was fitted to these figures")
        report.metric("baseline_test", bstats)
        report.metric("baseline_replicates", {k: (float(v.mean()), float(v.std())) for k, v in rep.items()})

        # τ optimum on the training set at the frozen σ (the thesis chose τ = 2.9 this way)
        taus_tr = np.round(np.arange(1.5, 4.51, 0.1), 2)
        l1_tr = [float(jb.baseline_errors(splits.train_x, splits.train_y, float(tt), derivative=cal.derivative,
                                          restrict=cal.restrict)["L1"]) for tt in taus_tr]
        tau_best = float(taus_tr[int(np.argmin(l1_tr))])
        report.metric("baseline_best_tau_train", tau_best)
        report.text(f"Held-out check of σ: at σ = {sigma} the training-set L1 of the baseline is lowest at "
                    f"τ = {tau_best:.1f} (thesis: τ = 2.9 'for which empirically we found the best performance "
                    f"in the training data set'; L1 over τ is flat near its minimum: "
                    f"{min(l1_tr):.4f} at the optimum, {l1_tr[int(np.argmin(np.abs(taus_tr - 2.9)))]:.4f} at 2.9).")

        # Fig. 3.5
        t0 = time.perf_counter()
        taus = np.round(np.arange(0.25, 6.01, 0.25), 2)
        sigmas = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
        P = jb.tau_sweep(jax.random.PRNGKey(35), sigmas, tuple(taus), n_per_class=cfg["tau_n"])
        report.timing("tau sweep (Fig. 3.5)", time.perf_counter() - t0)
        report.figure(fig_tau(taus, sigmas, P), "fig3_5_tau_sweep.png",
                      "Fig. 3.5: P(|error| ≤ 1) against the filter width τ for σ = 0.1..0.6, jump size 1 "
                      "(vmapped over σ and τ, common random numbers).")
        topt = taus[np.argmax(P, axis=1)]
        pmax = P.max(axis=1)
        ok2 = bool(np.all(np.diff(topt) >= 0) and np.all(np.diff(pmax) < 0))
        verdicts[2] = ("holds" if ok2 else "partly",
                       "optimal τ per σ = " + ", ".join(f"{t:.2f}" for t in topt)
                       + "; best P = " + ", ".join(f"{p:.3f}" for p in pmax)
                       + f"; corr(σ, τ*) = {np.corrcoef(sigmas, topt)[0, 1]:.3f}", "")
        report.metric("fig3_5_opt_tau", topt)
        report.metric("fig3_5_best_p", pmax)

        # t-SNE (Fig. 3.2)
        t0 = time.perf_counter()
        from jaxprobe.analysis.tsne import embed
        n_ts = min(cfg["tsne_n"], len(splits.train_x))
        tx, ty = np.asarray(splits.train_x[:n_ts]), np.asarray(splits.train_y[:n_ts])
        emb = cache_result(cache_dir, ("tsne", n_ts, sigma, args.seed, args.full),
                     lambda: embed(tx, metric="euclidean", seed=args.seed, n_iter=500 if args.full else 100,
                                   early_exaggeration_iter=250 if args.full else 50))
        report.timing("t-SNE (Fig. 3.2)", time.perf_counter() - t0)
        report.figure(fig_tsne(emb, ty), "fig3_2_tsne.png",
                      f"Fig. 3.2: t-SNE (openTSNE, Euclidean, perplexity 30) of {n_ts} training signals, "
                      "coloured and labelled by jump position.")
        from sklearn.neighbors import NearestNeighbors
        nn_idx = NearestNeighbors(n_neighbors=11).fit(emb).kneighbors(emb, return_distance=False)[:, 1:]
        dlab = float(np.mean(np.abs(ty[nn_idx] - ty[:, None])))
        rand = float(np.mean(np.abs(ty[:, None] - ty[np.random.default_rng(0).integers(0, n_ts, (n_ts, 10))])))
        from scipy.stats import spearmanr
        cm2 = np.stack([emb[ty == c].mean(0) for c in range(60)])
        path_len = np.linalg.norm(np.diff(cm2, axis=0), axis=1)
        verdicts[1] = ("holds" if dlab < 0.25 * rand else "partly",
                       f"mean |Δ position| to the 10 nearest t-SNE neighbours {dlab:.2f} (random pairs {rand:.1f}); "
                       f"adjacent class means {path_len.mean():.2f} apart vs median pair distance "
                       f"{np.median(np.linalg.norm(cm2[:, None] - cm2[None], axis=-1)):.2f}", "")

        # ------------------------------------------------------------ 3. networks
        runs, walls, extended = {}, [], []
        t_nets = time.perf_counter()
        plan = [(n, "linear") for n in cfg["nets"] if not n.startswith("cnn")]
        plan += [(n, a) for a in cfg["conv_acts"] for n in cfg["nets"] if n.startswith("cnn")]
        plan += [(f"shallow{p}", "linear") for p in cfg["ps"]] + [(f"deep{p}", "linear") for p in cfg["ps"]]
        for name, act in plan:
            run, cached = run_model(name, splits, cfg, args, act, cache_dir)
            if (cfg["extend_epochs"] and name.startswith(("shallow", "deep"))
                    and np.max(run.best_epoch) >= run.max_epochs - cfg["patience"] // 2):
                run, cached = extend_model(run, splits, cfg, args, cache_dir)
                extended.append(name)
            key = f"{name}_{act}" if name.startswith("cnn") else name
            run.boot = ja.bootstrap_error_std(run.test_pred, np.asarray(splits.test_y))
            runs[key] = run
            walls.append([LABEL.get(name, name) + (f" [{act}]" if name.startswith("cnn") else ""),
                          f"{run.wall:.1f}", run.epochs_run, f"{run.best_epoch.mean():.0f} ± {run.best_epoch.std():.0f}",
                          "cached" if cached else "trained"])
            report.timing(f"train {key}", run.wall)
            report.metric(f"run_{key}", {"stats": run.summary(), "best_epoch": run.best_epoch,
                                         "epochs_run": run.epochs_run, "wall_s": run.wall})
        report.timing("all networks", time.perf_counter() - t_nets)
        if extended:
            report.text(f"Budget note: {', '.join(extended)} still had a falling validation loss at the "
                        f"{cfg['max_epochs']}-epoch budget; each was continued from its best parameters (plain SGD "
                        f"has no optimiser state) for up to {cfg['extend_epochs']} more epochs with the same early "
                        f"stopping. 'epochs run' in the wall-time table includes the extension.")

        # conv activation: which reproduces better (Table 3.4 rows)
        def cnn_score(act):
            tot = 0.0
            for n in ("cnn1", "cnn2", "cnn3"):
                r = runs.get(f"{n}_{act}")
                if r is not None:
                    tot += sum(abs(float(np.mean(r.stats[k])) - t) for k, t in zip(KEYS, T[n]))
            return tot
        acts_avail = [a for a in cfg["conv_acts"] if any(f"{n}_{a}" in runs for n in ("cnn1", "cnn2", "cnn3"))]
        best_act = min(acts_avail, key=cnn_score)
        for n in ("cnn1", "cnn1k5", "cnn2", "cnn3"):
            if f"{n}_{best_act}" in runs:
                runs[n] = runs[f"{n}_{best_act}"]
        report.text("### Conv activation\n\nThe thesis never states the activation after its one-filter conv "
                    "layers. Summed absolute distance of our CNN means to the Table 3.4 figures: "
                    + ", ".join(f"{a}: {cnn_score(a):.3f}" for a in acts_avail)
                    + f". **{best_act}** reproduces better and is used for the CNN claims below; both are in "
                    "the tables.")
        report.metric("cnn_best_activation", best_act)

        # ------------------------------------------------------------ tables
        base_row = ["Signal processing approach", *[f"{T['baseline'][i]} / {bstats[k]:.4f}" for i, k in enumerate(KEYS)], "—"]

        def table(title, names, extra_rows=()):
            rows = [base_row]
            for name in names:
                if name not in runs:
                    continue
                r = runs[name]
                base = name.split("_")[0]
                th = T.get(base)
                cells = row_cells(r)
                if th is not None:
                    inside = spread_verdict(th, r)
                    cells = [f"{t} / {c}{' ✓' if ok else ' ✗'}" for t, c, ok in zip(th, cells, inside)]
                    within = f"{sum(inside)}/4"
                else:
                    cells = [f"— / {c}" for c in cells]
                    within = "—"
                act = name.split("_")[1] if "_" in name else ""
                rows.append([LABEL.get(base, base) + (f" [{act}]" if act else ""), *cells, within])
            report.table(title + " — thesis / ours (mean ± seed std (± seed+test-set std); ✓ = thesis within mean ± 2 total std)",
                         ["model", "L1", "L2", "99% L1", "99% L2", "within"], rows)

        table("Table 3.2", ["mlp2"])
        table("Table 3.3", ["mlp1", "mlp2", "mlp3", "mlp4"])
        table("Table 3.4", ["mlp1", "mlp2", "mlp3", "mlp4"] + [f"{n}_{a}" for a in cfg["conv_acts"]
                                                              for n in ("cnn1", "cnn1k5", "cnn2", "cnn3")])
        table("Table 4.1", ["mlp2", "mlp4", "shallow10", "shallow4", "deep10", "deep4"])
        table("Table 7.1", ["mlp1", "mlp2", "mlp3", "mlp4", "cnn1", "cnn2", "cnn3", "shallow10", "shallow2",
                            "deep10", "deep2"])
        for name in ("mlp1", "mlp2", "mlp3", "mlp4", "cnn1", "cnn2", "cnn3", "shallow10", "shallow4", "shallow2",
                     "deep10", "deep4", "deep2"):
            if name in runs:
                r = runs[name]
                inside = spread_verdict(T[name], r)
                report.compare(f"{LABEL[name]} L1 / L2 / 99% L1 / 99% L2",
                               " / ".join(f"{np.mean(r.stats[k]):.3f}±{np.std(r.stats[k]):.3f}" for k in KEYS),
                               " / ".join(str(t) for t in T[name]), verdict_of(inside),
                               f"{sum(inside)}/4 within mean ± 2 total std" + ("; thesis 99% L2 0.2621 is a typo" if name == "deep2" else ""))
        total_train = sum(r.wall for r in {id(r): r for r in runs.values()}.values())
        report.metric("sum_model_wall_s", total_train)
        report.table(f"Wall time per model (training + test evaluation, from when each was trained; sum "
                     f"{total_train:.0f} s = {total_train / 60:.1f} min on the shared 2-core CPU)",
                     ["model", "seconds", "epochs run", "best epoch (mean ± std)", "source"], walls)

        def m(name, k="L1"):
            return float(np.mean(runs[name].stats[k])) if name in runs else float("nan")

        # ------------------------------------------------------------ MLP analyses
        ana_x, ana_y = splits.analysis_x, np.asarray(splits.analysis_y)
        test_y = np.asarray(splits.test_y)

        # Fig. 3.9 training curves of the 2-layer MLP
        r2 = runs["mlp2"]
        h = r2.history
        fig, ax = plt.subplots(1, 2, figsize=(11, 3.5))
        tl, vl = np.atleast_2d(np.asarray(h["train_loss"]).T), np.atleast_2d(np.asarray(h["valid_loss"]).T)
        va = np.atleast_2d(np.asarray(h["valid_accuracy"]).T)
        for s in range(tl.shape[0]):
            ax[0].plot(h["epoch"], tl[s], "b", alpha=0.5, lw=0.8)
            ax[0].plot(h["epoch"], vl[s], "g", alpha=0.5, lw=0.8)
            ax[0].axvline(r2.best_epoch[s], color="k", ls=":", lw=0.8)
            ax[1].plot(h["epoch"], 1 - va[s], "g", alpha=0.5, lw=0.8)
        ax[0].set_title("2-layer MLP loss: train (blue), validation (green); dotted = best epoch")
        ax[1].set_title("validation classification error")
        for a in ax:
            a.set_xlabel("epoch")
        long_note = ""
        zero_epoch = None
        if cfg["long_epochs"]:
            t0 = time.perf_counter()
            lpath = cache_dir / f"mlp2_long_{cfg['long_epochs']}_{sigma}_{args.seed}.pkl"
            if lpath.is_file():
                with open(lpath, "rb") as f:
                    long = pickle.load(f)
            else:
                from jaxprobe.train import fit
                net = ja.jump_network("mlp2")
                p0 = glorot_init_stacked(net, jax.random.split(jax.random.key(args.seed + 101), 1))
                every = cfg["long_every"]
                res = fit(net, p0, (splits.train_x, splits.train_y), key=jax.random.split(jax.random.key(args.seed + 102), 1),
                          epochs=cfg["long_epochs"], valid=(splits.valid_x, splits.valid_y), stacked=True,
                          progress=not args.no_progress,
                          snapshot_steps=tuple(range(every * 120, cfg["long_epochs"] * 120 + 1, every * 120)))
                snap_e, tr_err = [], []
                for st, p in sorted(res.snapshots.items()):
                    pred = pr.predict_stacked(net, p, splits.train_x)[0]
                    snap_e.append(st / 120)
                    tr_err.append(float(np.mean(pred != np.asarray(splits.train_y))))
                long = {"epoch": np.asarray(res.history["step"]) / 120,
                        "train_loss": np.asarray(res.history["train_loss"]).ravel(),
                        "valid_loss": np.asarray(res.history["valid_loss"]).ravel(),
                        "valid_acc": np.asarray(res.history["valid_accuracy"]).ravel(),
                        "snap_epoch": np.asarray(snap_e), "train_err": np.asarray(tr_err)}
                with open(lpath, "wb") as f:
                    pickle.dump(long, f)
            report.timing("mlp2 long run (Fig. 3.9, 1 seed, no early stopping)", time.perf_counter() - t0)
            fig2, ax2 = plt.subplots(1, 2, figsize=(11, 3.5))
            ax2[0].plot(long["epoch"], long["train_loss"], "b", label="train")
            ax2[0].plot(long["epoch"], long["valid_loss"], "g", label="validation")
            be = long["epoch"][int(np.argmin(long["valid_loss"]))]
            ax2[0].axvline(be, color="k", ls=":")
            ax2[0].set_yscale("log")
            ax2[0].legend()
            ax2[0].set_title(f"loss, one seed, {cfg['long_epochs']} epochs; min validation loss at epoch {be:.0f}")
            ax2[1].plot(long["snap_epoch"], long["train_err"], "b.-", label="train")
            ax2[1].plot(long["epoch"], 1 - long["valid_acc"], "g", label="validation")
            ax2[1].legend()
            ax2[1].set_title("classification error")
            for a in ax2:
                a.set_xlabel("epoch")
            report.figure(fig2, "fig3_9_long_run.png", "Fig. 3.9: a 2-layer MLP trained without early stopping "
                          "(training error from snapshots).")
            zeros = np.nonzero(long["train_err"] == 0)[0]
            zero_epoch = float(long["snap_epoch"][zeros[0]]) if len(zeros) else None
            overfit = long["valid_loss"][-1] > 1.2 * long["valid_loss"].min()
            long_note = (f"; long run: min validation loss at epoch {be:.0f}, training error "
                         + (f"0 first at epoch {zero_epoch:.0f}" if zero_epoch else
                            f"{long['train_err'][-1]:.4f} at epoch {long['snap_epoch'][-1]:.0f} (not 0)")
                         + f", final/min validation loss {long['valid_loss'][-1] / long['valid_loss'].min():.2f}")
            verdicts[4] = ("holds" if (zero_epoch and 700 <= zero_epoch <= 2800 and overfit
                                       and 65 <= np.mean(r2.best_epoch) <= 260) else "partly",
                           f"best epoch (early stopping, {len(r2.best_epoch)} seeds) {np.mean(r2.best_epoch):.0f} ± "
                           f"{np.std(r2.best_epoch):.0f} (thesis 131)" + long_note,
                           "'holds' needs best epoch within ×2 of 131 and zero training error within ×2 of 1400")
        else:
            verdicts[4] = ("not measurable", f"best epoch {np.mean(r2.best_epoch):.0f} (quick mode: no long run)", "")
        report.figure(fig, "fig3_9_training.png", "Fig. 3.9: 2-layer MLP training sessions of all seeds "
                      "(early stopping).")

        # claim 5: mlp2 errors and max error
        mx = r2.stats["max"]
        ins = spread_verdict(T["mlp2"], r2)
        verdicts[5] = ("holds" if sum(ins) == 4 and np.all(mx <= 20) else ("partly" if sum(ins) >= 2 or np.all(mx <= 20) else "does not hold"),
                       " / ".join(f"{np.mean(r2.stats[k]):.4f}±{np.std(r2.stats[k]):.4f}" for k in KEYS)
                       + f"; max |error| per seed {', '.join(f'{v:.0f}' for v in mx)} (thesis 12)", f"{sum(ins)}/4 within ±2 total std")
        e2 = np.abs(r2.test_pred[0] - test_y)
        fig, ax = plt.subplots(1, 2, figsize=(10, 3.2))
        ax[0].bar(*np.unique(e2, return_counts=True))
        ax[0].set_title(f"2-layer MLP |error| (seed 0), max {e2.max()}")
        k2 = np.sort(e2)[: int(0.99 * len(e2))]
        ax[1].bar(*np.unique(k2, return_counts=True))
        ax[1].set_title("99 percentile")
        report.figure(fig, "fig3_10_mlp2_errors.png", "Fig. 3.10: 2-layer MLP |error| histograms on the test set.")

        # claims 6, 7, 8
        r1 = runs["mlp1"]
        ins1 = spread_verdict(T["mlp1"], r1)
        l1_all = {n: m(n) for n in runs if "_" not in n}
        best_l1 = min(l1_all, key=l1_all.get)
        verdicts[6] = (verdict_of(ins1) if best_l1 == "mlp1" or sum(ins1) < 4 else "partly",
                       " / ".join(f"{np.mean(r1.stats[k]):.4f}±{np.std(r1.stats[k]):.4f}" for k in KEYS)
                       + f"; lowest mean L1 of all models: {LABEL.get(best_l1, best_l1)} ({l1_all[best_l1]:.4f})",
                       f"{sum(ins1)}/4 within ±2 total std")
        if "mlp3" in runs and "mlp4" in runs:
            ins3, ins4 = spread_verdict(T["mlp3"], runs["mlp3"]), spread_verdict(T["mlp4"], runs["mlp4"])
            deeper_worse = min(m("mlp1"), m("mlp2")) < m("mlp3") < m("mlp4")
            v = verdict_of(ins3 + ins4)
            if not deeper_worse and v == "holds":
                v = "partly"
            verdicts[7] = (v, f"L1: 1-layer {m('mlp1'):.4f}, 2-layer {m('mlp2'):.4f}, 3-layer {m('mlp3'):.4f}, "
                              f"4-layer {m('mlp4'):.4f}; deeper worse: {deeper_worse}",
                           f"{sum(ins3)}/4 and {sum(ins4)}/4 within ±2 total std")
        else:
            verdicts[7] = ("not measurable", "quick mode: 3-layer not trained", "")
        beats = {n: all(float(np.mean(runs[n].stats[k])) < bstats[k] for k in KEYS)
                 for n in ("mlp1", "mlp2", "mlp3", "mlp4") if n in runs}
        verdicts[8] = ("holds" if all(beats.values()) else "does not hold",
                       ", ".join(f"{n}: {'yes' if b else 'no'}" for n, b in beats.items())
                       + f" (baseline L1 {bstats['L1']:.4f}, L2 {bstats['L2']:.4f})", "seed means vs our baseline")

        # 1-layer NN weights (Fig. 3.14, 3.15), claim 9
        W1 = np.asarray(r1.params[0]["kernel"])          # (K, 100, 60)
        corrs, taus_fit = [], []
        for s in range(W1.shape[0]):
            for c in range(60):
                rr, tt, _ = ja.best_template_correlation(W1[s, :, c], center=c + 20)
                corrs.append(rr)
                taus_fit.append(tt)
        corrs = np.asarray(corrs).reshape(W1.shape[0], 60)
        c30 = corrs[:, 29]
        diag = [an.diagonality(W1[s, 20:80, :], offset=0, band=3) for s in range(W1.shape[0])]
        diag_rand = 7 / 60
        A1 = an.class_means(jax.nn.softmax(pr.stacked_activations(r1.net, jax.tree.map(lambda a: a[:1], r1.params), ana_x, 1)[0]), ana_y, 60)
        fig, ax = plt.subplots(1, 3, figsize=(15, 4))
        heat(ax[0], W1[0], "1-layer NN weight matrix (inputs × outputs)", "output (jump 21..80)", "input position")
        heat(ax[1], np.asarray(A1), "class-averaged output (softmax)", "true class", "output", cmap="viridis", sym=False)
        col = W1[0, :, 29]
        rr, tt, sh = ja.best_template_correlation(col, center=49)
        tmpl = ja.derivative_template(100, 49 + sh, tt)
        ax[2].plot(np.arange(1, 101), col, label="30th column (jump at 50)")
        ax[2].plot(np.arange(1, 101), tmpl * np.linalg.norm(col - col.mean()) + col.mean(), "--",
                   label=f"Gaussian ∗ [1, −1], τ = {tt:.2f} (r = {rr:.3f})")
        ax[2].legend(fontsize=8)
        ax[2].set_xlabel("input position")
        report.figure(fig, "fig3_14_15_mlp1.png", "Fig. 3.14–3.15: the 1-layer NN's weights, class-averaged output, "
                      "and its 30th column beside the best-fitting smoothed first-derivative filter.")
        verdicts[9] = ("holds" if np.mean(c30) > 0.8 and np.mean(diag) > 3 * diag_rand else "partly",
                       f"corr(30th column, Gaussian∗[1,−1]) = {np.mean(c30):.3f} ± {np.std(c30):.3f} over seeds; "
                       f"all 60 columns: median {np.median(corrs):.3f}, best-fit τ median {np.median(taus_fit):.2f}; "
                       f"share of |W| (rows 21..80) within ±3 of the diagonal {np.mean(diag):.3f} (uniform: {diag_rand:.3f})",
                       "")
        report.metric("mlp1_column30_corr", (float(np.mean(c30)), float(np.std(c30))))

        # 2-layer MLP weights and activations (Fig. 3.11, 3.12), claims 10, 11
        Wa = np.asarray(r2.params[0]["kernel"])   # (K, 100, 100)
        inside_rows = np.arange(100)[(np.arange(1, 101) >= 20) & (np.arange(1, 101) <= 80)]
        outside_rows = np.setdiff1d(np.arange(100), inside_rows)
        ratio = [np.abs(Wa[s, outside_rows]).mean() / np.abs(Wa[s, inside_rows]).mean() for s in range(len(Wa))]
        fig, ax = plt.subplots(1, 4, figsize=(17, 3.8))
        heat(ax[0], Wa[0], "W1 (input × hidden)", "hidden", "input position")
        ax[1].plot(np.asarray(r2.params[0]["bias"][0]))
        ax[1].set_title("b1")
        heat(ax[2], np.asarray(r2.params[1]["kernel"][0]), "W2 (hidden × output)", "output", "hidden")
        ax[3].plot(np.asarray(r2.params[1]["bias"][0]))
        ax[3].set_title("b2")
        report.figure(fig, "fig3_11_mlp2_weights.png", "Fig. 3.11: 2-layer MLP weights and biases (seed 0).")
        verdicts[10] = ("holds" if np.mean(ratio) < 0.8 else "does not hold",
                        f"mean |W1| from inputs outside 20..80 / inside = {np.mean(ratio):.3f} ± {np.std(ratio):.3f}", "")
        p2 = jax.tree.map(lambda a: a[:1], r2.params)
        hid = pr.stacked_activations(r2.net, p2, ana_x, 1)[0]
        out = jax.nn.softmax(pr.stacked_activations(r2.net, p2, ana_x, 2)[0])
        Ah, Ao = np.asarray(an.class_means(hid, ana_y, 60)), np.asarray(an.class_means(out, ana_y, 60))
        fig, ax = plt.subplots(1, 2, figsize=(12, 4))
        order = np.argsort(np.argmax(Ah, axis=1))
        heat(ax[0], Ah[order], "hidden layer (units sorted by preferred class)", "true class (jump 21..80)", "unit",
             cmap="viridis", sym=False)
        heat(ax[1], Ao, "output (softmax)", "true class", "output", cmap="viridis", sym=False)
        report.figure(fig, "fig3_12_mlp2_activations.png",
                      "Fig. 3.12: 2-layer MLP class-averaged activations on the analysis set (1000 a class).")
        dead2 = []
        smooth = []
        diag_out = []
        for s in range(len(Wa)):
            ps = jax.tree.map(lambda a: a[s:s + 1], r2.params)
            hs = pr.stacked_activations(r2.net, ps, ana_x, 1)[0]
            A = np.asarray(an.class_means(hs, ana_y, 60))
            alive = A.max(1) > 1e-6
            dead2.append(int(np.sum(np.asarray(an.dead_units(hs)))))
            Aa = A[alive]
            lag1 = [np.corrcoef(a[:-1], a[1:])[0, 1] for a in Aa if a[:-1].std() > 1e-6 and a[1:].std() > 1e-6]
            smooth.append(float(np.nanmean(lag1)) if lag1 else 0.0)
            os_ = np.asarray(an.class_means(jax.nn.softmax(pr.stacked_activations(r2.net, ps, ana_x, 2)[0]), ana_y, 60))
            diag_out.append(float(np.mean(np.argmax(os_, 0) == np.arange(60))))
        verdicts[11] = ("holds" if np.mean(smooth) > 0.8 and np.mean(dead2) >= 1 and np.mean(diag_out) > 0.9 else "partly",
                        f"lag-1 autocorrelation of each live unit's class-mean profile {np.mean(smooth):.3f}; "
                        f"dead hidden units (never > 0 on the analysis set) {np.mean(dead2):.1f} ± {np.std(dead2):.1f} of 100; "
                        f"class-averaged output peaks on the diagonal for {100 * np.mean(diag_out):.1f}% of classes", "")

        # ------------------------------------------------------------ CNN analyses (Fig. 3.17–3.22)
        cnn_names = [n for n in ("cnn1", "cnn1k5", "cnn2", "cnn3") if n in runs]
        fig, axes = plt.subplots(len(cnn_names), 4, figsize=(17, 3.2 * len(cnn_names)), squeeze=False,
                                 constrained_layout=True)
        cls50 = ana_y == 29
        filt_info = {}
        for i, n in enumerate(cnn_names):
            r = runs[n]
            n_conv = r.net.n_layers - 1
            K = len(r.best_epoch)
            filt_info[n] = [[ja.sign_summary(np.asarray(r.params[l]["kernel"][s]).ravel()) for l in range(n_conv)]
                            for s in range(K)]
            ax = axes[i]
            for l in range(n_conv):
                w = np.asarray(r.params[l]["kernel"][0]).ravel()
                ax[0].plot(np.arange(len(w)) - (len(w) - 1) // 2, w, "o-", label=f"conv {l + 1} (length {len(w)})")
            ax[0].axhline(0, color="k", lw=0.5)
            ax[0].legend(fontsize=7)
            ax[0].set_title(f"{LABEL[n]} [{best_act}]: filters (seed 0)", fontsize=9)
            ps = jax.tree.map(lambda a: a[:1], r.params)
            xs = ana_x[np.nonzero(cls50)[0]]
            ax[1].plot(np.arange(1, 101), np.asarray(xs).mean(0), "k", label="input")
            for l in range(n_conv):
                o = pr.stacked_activations(r.net, ps, xs, l + 1)[0].mean(0)
                ax[1].plot(np.arange(1, 101), o, label=f"conv {l + 1} output")
            ax[1].axvline(50, color="grey", ls=":")
            ax[1].legend(fontsize=7)
            ax[1].set_title("class-averaged signals, jump at 50", fontsize=9)
            heat(ax[2], np.asarray(r.params[-1]["kernel"][0]), "FC weights (position × output)", "output", "position")
            oc = np.asarray(an.class_means(jax.nn.softmax(pr.stacked_activations(r.net, ps, ana_x, n_conv + 1)[0]), ana_y, 60))
            heat(ax[3], oc, "class-averaged output", "true class", "output", cmap="viridis", sym=False)
        report.figure(fig, "fig3_17_22_cnns.png", "Fig. 3.17–3.22: one-filter CNNs — filters, class-averaged "
                      "intermediate signals for a jump at 50, FC weights and class-averaged outputs (seed 0).")

        def frac_one_signed(n, layer):
            return float(np.mean([fi[layer]["one_signed"] for fi in filt_info[n]])) if n in filt_info else float("nan")

        if "cnn1" in runs:
            r = runs["cnn1"]
            peaks, diags = [], []
            for s in range(len(r.best_epoch)):
                ps = jax.tree.map(lambda a: a[s:s + 1], r.params)
                o = pr.stacked_activations(r.net, ps, ana_x[np.nonzero(cls50)[0]], 1)[0].mean(0)
                # local extremum: |o_i − (o_{i−3} + o_{i+3})/2| over positions 21..80 (the ends carry
                # zero-padding artefacts; a plain step scores half its height, a spike its full height)
                dev = np.abs(o[20:80] - 0.5 * (o[17:77] + o[23:83]))
                peaks.append(int(np.argmax(dev)) + 21)
                diags.append(an.diagonality(np.asarray(r.params[-1]["kernel"][s])[20:80], 0, 3))
            mixed = 1 - frac_one_signed("cnn1", 0)
            verdicts[12] = ("holds" if mixed >= 0.6 and np.mean(np.abs(np.asarray(peaks) - 50) <= 2) >= 0.6 else "partly",
                            f"length-7 filters of mixed sign in {100 * mixed:.0f}% of seeds; sharpest local extremum of the "
                            f"class-averaged conv output (jumps at 50) at positions {peaks}; FC |W| share within ±3 of the diagonal {np.mean(diags):.3f}", "")
        if "cnn1k5" in runs:
            one = frac_one_signed("cnn1k5", 0)
            verdicts[13] = ("holds" if one >= 0.6 else "does not hold",
                            f"length-5 filters one-signed (minority sign < 10% of |w|) in {100 * one:.0f}% of seeds; "
                            f"minority mass {np.mean([fi[0]['minority_mass'] for fi in filt_info['cnn1k5']]):.3f}", "")
        else:
            verdicts[13] = ("not measurable", "quick mode: length-5 CNN not trained", "")
        if "cnn2" in runs:
            l1_one, l2_mixed = frac_one_signed("cnn2", 0), 1 - frac_one_signed("cnn2", 1)
            verdicts[14] = ("holds" if l1_one >= 0.6 and l2_mixed >= 0.6 else ("partly" if l1_one >= 0.6 or l2_mixed >= 0.6 else "does not hold"),
                            f"layer 1 (length 5) one-signed in {100 * l1_one:.0f}% of seeds; layer 2 (length 9) mixed "
                            f"sign in {100 * l2_mixed:.0f}%", "")
        if "cnn3" in runs:
            r = runs["cnn3"]
            cs = []
            for s in range(len(r.best_epoch)):
                ps = jax.tree.map(lambda a: a[s:s + 1], r.params)
                xs = ana_x[np.nonzero(cls50)[0]]
                o2 = pr.stacked_activations(r.net, ps, xs, 2)[0].mean(0)
                o3 = pr.stacked_activations(r.net, ps, xs, 3)[0].mean(0)
                cs.append(abs(np.corrcoef(o2, o3)[0, 1]) if o2.std() > 1e-8 and o3.std() > 1e-8 else np.nan)
            verdicts[15] = ("holds" if np.nanmean(cs) > 0.9 else "partly",
                            f"|corr| of class-averaged layer-2 and layer-3 outputs (jump at 50) = {np.nanmean(cs):.3f} "
                            f"(seeds: {', '.join(f'{c:.2f}' for c in cs)}); layer 3 one-signed in "
                            f"{100 * frac_one_signed('cnn3', 2):.0f}% of seeds", "'redundant' read as layer 3 ≈ a rescaled layer 2")
        else:
            verdicts[15] = ("not measurable", "quick mode: 3-conv CNN not trained", "")
        cn = [n for n in ("cnn1", "cnn2", "cnn3") if n in runs]
        ins_c = sum((spread_verdict(T[n], runs[n]) for n in cn), [])
        all_beat = all(all(float(np.mean(runs[n].stats[k])) < bstats[k] for k in KEYS) for n in cn)
        best_cnn = min(cn, key=lambda n: m(n))
        v16 = verdict_of(ins_c)
        verdicts[16] = (v16 if (all_beat and best_cnn == "cnn2" and m("cnn2") >= m("mlp2")) or v16 != "holds" else "partly",
                        "L1: " + ", ".join(f"{n} {m(n):.4f}" for n in cn) + f"; all beat baseline: {all_beat}; best CNN "
                        f"{best_cnn}; 2-layer MLP {m('mlp2'):.4f}", f"{sum(ins_c)}/{len(ins_c)} figures within ±2 total std; [{best_act}] conv")

        # ------------------------------------------------------------ bottlenecks (Ch. 4)
        ps_ = [p for p in cfg["ps"]]
        fig, axes = plt.subplots(2, 4, figsize=(17, 7), constrained_layout=True)
        sw = {}
        for row, kind in enumerate(("shallow", "deep")):
            sw[kind] = {k: np.array([[np.mean(runs[f"{kind}{p}"].stats[k]), np.std(runs[f"{kind}{p}"].stats[k])] for p in ps_])
                        for k in KEYS}
            for j, k in enumerate(KEYS):
                a = axes[row, j]
                a.errorbar(ps_, sw[kind][k][:, 0], sw[kind][k][:, 1], fmt="o-", label="ours (mean ± std)")
                tp = [p for p in ps_ if f"{kind}{p}" in T]
                a.plot(tp, [T[f"{kind}{p}"][j] for p in tp], "r*", ms=10, label="thesis")
                a.axhline(bstats[k], color="grey", ls=":", label="baseline")
                a.set_title(f"{kind} 100-{'25-' if kind == 'deep' else ''}p-{'25-' if kind == 'deep' else ''}60: {k}", fontsize=9)
                a.set_xlabel("p")
            axes[row, 0].legend(fontsize=7)
        report.figure(fig, "fig4_3_4_psweeps.png", "Fig. 4.3–4.4: bottleneck errors against p (mean ± std over seeds; "
                      "red stars: thesis; dotted: our baseline).")
        for kind in ("shallow", "deep"):
            report.table(f"p-sweep, {kind} bottleneck (mean ± std over seeds)", ["p", *KEYS, "best epoch"],
                         [[p, *[fmt(*sw[kind][k][i]) for k in KEYS],
                           f"{runs[f'{kind}{p}'].best_epoch.mean():.0f}"] for i, p in enumerate(ps_)])

        # dead units (Fig. 4.5)
        dead = {}
        for kind in ("shallow", "deep"):
            for p in ps_:
                r = runs[f"{kind}{p}"]
                n_hidden = r.net.n_layers - 1
                counts = np.zeros((len(r.best_epoch), n_hidden))
                for l in range(n_hidden):
                    acts = pr.stacked_activations(r.net, r.params, ana_x, l + 1)
                    counts[:, l] = [int(np.sum(np.asarray(an.dead_units(a)))) for a in acts]
                dead[(kind, p)] = counts
        fig, ax = plt.subplots(1, 2, figsize=(12, 3.8))
        ax[0].errorbar(ps_, [dead[("shallow", p)][:, 0].mean() for p in ps_], [dead[("shallow", p)][:, 0].std() for p in ps_],
                       fmt="o-", label="shallow: bottleneck")
        for l, lab in enumerate(("deep: 25 (layer 1)", "deep: bottleneck p", "deep: 25 (layer 3)")):
            ax[0].errorbar(ps_, [dead[("deep", p)][:, l].mean() for p in ps_], [dead[("deep", p)][:, l].std() for p in ps_],
                           fmt="o-", label=lab)
        ax[0].set_xlabel("p")
        ax[0].set_ylabel("dead units (never active on the analysis set)")
        ax[0].legend(fontsize=8)
        ax[1].errorbar(ps_, [p - dead[("deep", p)][:, 1].mean() for p in ps_], [dead[("deep", p)][:, 1].std() for p in ps_],
                       fmt="o-", label="deep: active bottleneck units")
        ax[1].errorbar(ps_, [p - dead[("shallow", p)][:, 0].mean() for p in ps_], fmt="s--", label="shallow: active")
        ax[1].plot([6, 9, 10], [5, 8, 8], "r*", ms=10, label="thesis (deep)")
        ax[1].plot(ps_, ps_, "k:", lw=0.6)
        ax[1].legend(fontsize=8)
        ax[1].set_xlabel("p")
        report.figure(fig, "fig4_5_dead_units.png", "Fig. 4.5: dead ReLU units per hidden layer of the bottleneck networks "
                      "(mean ± std over seeds, analysis set).")
        report.metric("dead_units", {f"{k}{p}": v.mean(0) for (k, p), v in dead.items()})

        # claims 17–22
        def within_str(n):
            ins = spread_verdict(T[n], runs[n])
            return ins, f"{LABEL[n]}: " + " / ".join(f"{np.mean(runs[n].stats[k]):.3f}±{np.std(runs[n].stats[k]):.3f}" for k in KEYS)

        def bn_claim(names, extra_ok, extra_txt):
            ins_all, txt = [], []
            for n in names:
                if n in runs:
                    i_, t_ = within_str(n)
                    ins_all += i_
                    txt.append(t_)
            v = verdict_of(ins_all) if ins_all else "not measurable"
            if v == "holds" and not extra_ok:
                v = "partly"
            return v, "; ".join(txt) + extra_txt, f"{sum(ins_all)}/{len(ins_all)} within ±2 total std"

        if "shallow10" in runs and "shallow4" in runs:
            worse = all(m(n) > bstats["L1"] for n in ("shallow10", "shallow4"))
            verdicts[17] = bn_claim(["shallow10", "shallow4"], worse, f"; both worse than baseline L1: {worse}")
            deep_better = all(m(f"deep{p}") < m(f"shallow{p}") for p in (4, 10))
            verdicts[18] = bn_claim(["deep10", "deep4"], deep_better, f"; deep better than shallow at p = 4, 10: {deep_better}")
        else:
            verdicts[17] = verdicts[18] = ("not measurable", "quick mode", "")
        v19 = bn_claim(["shallow2", "deep2"], True, "")
        if "deep2" in runs:   # the thesis's 99% L2 of 100-25-2-25-60 is a typo: judge the other 7 figures
            ins = spread_verdict(T["shallow2"], runs["shallow2"]) + spread_verdict(T["deep2"], runs["deep2"])[:3]
            v19 = (verdict_of(ins), v19[1], f"{sum(ins)}/7 within ±2 total std (0.2621 excluded as a typo)")
        verdicts[19] = v19
        mono = {k: stats.monotone_decreasing(sw["shallow"][k][:, 0]) for k in KEYS}
        n_viol = {k: int(np.sum(np.diff(sw["shallow"][k][:, 0]) > 0)) for k in KEYS}
        verdicts[20] = ("holds" if mono["L1"] and mono["L1_99"] and mono["L2_99"] else
                        ("partly" if sum(n_viol[k] for k in ("L1", "L1_99", "L2_99")) <= 2 else "does not hold"),
                        "increases with p (violations of monotone decrease): " + ", ".join(f"{k} {n_viol[k]}" for k in KEYS),
                        f"p = {ps_[0]}..{ps_[-1]}, seed means")
        if 6 in ps_ and 10 in ps_:
            d_rise = {k: (sw["deep"][k][ps_.index(6), 0] > sw["deep"][k][ps_.index(5), 0],
                          sw["deep"][k][ps_.index(10), 0] > sw["deep"][k][ps_.index(9), 0]) for k in ("L1", "L1_99", "L2_99")}
            act = {p: p - dead[("deep", p)][:, 1] for p in (5, 6, 9, 10)}
            nonmono = any(any(v) for v in d_rise.values())
            verdicts[21] = ("holds" if all(all(v) for v in d_rise.values()) else ("partly" if nonmono else "does not hold"),
                            "rise 5→6 / 9→10 (L1, 99% L1, 99% L2): " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in d_rise.items())
                            + "; active bottleneck units p=5,6,9,10: " + ", ".join(f"{act[p].mean():.1f}" for p in (5, 6, 9, 10))
                            + " (thesis 5, 5, 8, 8)", "a single-run thesis claim; ours are seed means")
        else:
            verdicts[21] = ("not measurable", "quick mode: p = 5, 6, 9, 10 not trained", "")
        deep_dead = np.array([[dead[("deep", p)][:, l].mean() for l in range(3)] for p in ps_])
        shallow_dead = np.array([dead[("shallow", p)][:, 0].mean() for p in ps_])
        frac_layers = (deep_dead > 0).mean(0)
        verdicts[22] = ("holds" if shallow_dead.sum() == 0 and np.all(frac_layers > 0) else
                        ("partly" if deep_dead.sum() > shallow_dead.sum() else "does not hold"),
                        "mean dead units summed over p: deep layers (25, p, 25) = " + ", ".join(f"{v:.1f}" for v in deep_dead.sum(0))
                        + f"; shallow bottleneck = {shallow_dead.sum():.1f}", "")

        # 2-D bottleneck (Fig. 4.6–4.9), claim 23
        fig, axes = plt.subplots(2, 3, figsize=(16, 9), constrained_layout=True)
        info23 = {}
        for row, n in enumerate(("shallow2", "deep2")):
            r = runs[n]
            layer = 1 if n.startswith("shallow") else 2
            ps = jax.tree.map(lambda a: a[:1], r.params)
            codes = pr.stacked_activations(r.net, ps, splits.train_x, layer)[0]
            ty_ = np.asarray(splits.train_y)
            cm = np.asarray(an.class_means(codes, ty_, 60)).T        # (60, 2)
            ax = axes[row]
            sc = ax[0].scatter(codes[:, 0], codes[:, 1], c=ty_ + 21, s=2, cmap="viridis")
            plt.colorbar(sc, ax=ax[0])
            ax[0].set_title(f"{LABEL[n]}: bottleneck codes of the training signals", fontsize=9)
            ax[1].plot(cm[:, 0], cm[:, 1], "-", color="grey", lw=0.6)
            ax[1].scatter(cm[:, 0], cm[:, 1], c=np.arange(21, 81), cmap="viridis")
            for c in range(0, 60, 3):
                ax[1].text(cm[c, 0], cm[c, 1], str(c + 21), fontsize=7)
            ax[1].set_title("class means", fontsize=9)
            outp = jax.nn.softmax(pr.stacked_activations(r.net, ps, ana_x, r.net.n_layers)[0])
            heat(ax[2], np.asarray(an.class_means(outp, ana_y, 60)), "class-averaged output", "true class", "output",
                 cmap="viridis", sym=False)
            # measurements (all seeds)
            nn_adj, zero_hi, zero_lo, worst = [], [], [], []
            for s in range(len(r.best_epoch)):
                pss = jax.tree.map(lambda a: a[s:s + 1], r.params)
                cd = pr.stacked_activations(r.net, pss, ana_x, layer)[0]
                cms = np.asarray(an.class_means(cd, ana_y, 60)).T
                d = np.linalg.norm(cms[:, None] - cms[None], axis=-1) + np.eye(60) * 1e9
                nn_adj.append(float(np.mean(np.abs(np.argmin(d, 1) - np.arange(60)) == 1)))
                af = np.stack([np.asarray(an.active_fraction(cd[ana_y == c])) for c in range(60)])  # (60, 2)
                zc = [np.nonzero(af[:, u] < 0.05)[0] + 21 for u in range(2)]
                zero_hi.append(max((len(z[z >= 61]) for z in zc), default=0))
                zero_lo.append(max((len(z[z <= 40]) for z in zc), default=0))
                pred = pr.predict_stacked(r.net, pss, ana_x)[0]
                acc_c = np.array([np.mean(pred[ana_y == c] == c) for c in range(60)])
                w6 = np.argsort(acc_c)[:6] + 21
                worst.append(float(np.mean((w6 <= 23) | (w6 >= 78))))
            info23[n] = dict(nn_adj=np.mean(nn_adj), zero_hi=zero_hi, zero_lo=zero_lo, worst=np.mean(worst))
        report.figure(fig, "fig4_6_9_bottleneck2d.png", "Fig. 4.6–4.9: 2-D bottleneck codes of 100-2-60 (top) and "
                      "100-25-2-25-60 (bottom): training signals, class means, class-averaged output (seed 0).")
        i23 = info23["shallow2"]
        verdicts[23] = ("holds" if i23["nn_adj"] > 0.8 and i23["worst"] >= 0.5 and np.mean(np.asarray(i23["zero_hi"]) > 0) >= 0.5
                        and np.mean(np.asarray(i23["zero_lo"]) > 0) >= 0.5 else "partly",
                        f"100-2-60: nearest class mean is an adjacent class for {100 * i23['nn_adj']:.0f}% of classes; "
                        f"classes with a unit silent (<5% active) among jumps ≥ 61 per seed {i23['zero_hi']}, ≤ 40 per seed "
                        f"{i23['zero_lo']}; share of the 6 worst-classified classes in 21–23 ∪ 78–80: {100 * i23['worst']:.0f}%",
                        "unit order is arbitrary, so 'neuron 1/2' is read as 'some unit'")

        # claims 24, 25 (Moore–Penrose, §4.3.2–4.3.3)
        rng = np.random.default_rng(0)
        succ = 0
        n_trials = 10000
        for _ in range(n_trials):
            v = rng.random((3, 2))
            mm = v.mean(0)
            F = (v - mm).T
            Fp = np.linalg.pinv(F)
            img = (Fp @ (v - mm).T).T
            succ += int(np.all(np.argmax(img, 1) == np.arange(3)))
        verdicts[24] = ("holds" if succ == n_trials else "partly",
                        f"W = F⁺, b = −F⁺m gives argmax k for v_k in {succ}/{n_trials} random triples in the unit square", "")
        errs, devs = [], []
        for _ in range(200):
            n_, p_ = 10, 2
            V = np.hstack([rng.random((n_, p_)), np.ones((n_, 1))])
            A = V @ np.linalg.inv(V.T @ V)
            lst = np.linalg.lstsq(V, np.eye(n_), rcond=None)[0].T
            errs.append(np.abs(A - lst).max())
            devs.append(np.linalg.norm(V @ np.linalg.inv(V.T @ V) @ V.T - np.eye(n_)))
        verdicts[25] = ("holds", f"max |V(VᵀV)⁻¹ − lstsq| = {max(errs):.1e}; ‖V(VᵀV)⁻¹Vᵀ − I‖_F = {np.mean(devs):.3f} "
                                 f"(= √(n−p−1) = {np.sqrt(7):.3f} for n = 10, p = 2)", "")

        # ------------------------------------------------------------ verdicts
        items = {
            1: "t-SNE of training signals: manifold ordered by jump position", 2: "Fig. 3.5: optimal τ grows with σ, best P falls",
            3: "baseline 0.5532/1.4946/0.4917/0.7443, max 58, 99% errors ≤ 2", 4: "2-layer MLP: val minimum at epoch 131, train error 0 at ~1400",
            5: "2-layer MLP 0.3083/0.7722/0.2675/0.6222, max |error| 12", 6: "1-layer NN 0.3065/0.8043/0.2606/0.6304, best L1",
            7: "3-, 4-layer MLPs worse (deeper is worse)", 8: "every MLP beats the baseline on all four measures",
            9: "1-layer NN weights near-diagonal, columns = smoothed first derivative", 10: "2-layer MLP W1 smaller outside 20–80",
            11: "2-layer MLP hidden class means stripe-like, dead units, output diagonal",
            12: "1-conv CNN (7): mixed-sign filter, peak at the jump, diagonal FC", 13: "length-5 conv filter one-signed",
            14: "2-conv CNN: layer 1 smooths, layer 2 differentiates", 15: "3-conv CNN: layer 3 redundant",
            16: "CNN errors; all beat baseline; 2-conv best CNN, no better than 2-layer MLP",
            17: "shallow 100-10-60, 100-4-60 errors; worse than baseline", 18: "deep 100-25-10/4-25-60 errors; deep better than shallow",
            19: "100-2-60 and 100-25-2-25-60 errors (Table 7.1)", 20: "shallow sweep monotone in p (except complete L2)",
            21: "deep sweep rises at 5→6 and 9→10, dead bottleneck units", 22: "dead units in deep bottlenecks, not in shallow",
            23: "100-2-60 codes: ordered curve, silent units at the ends, ends worst separated",
            24: "Moore–Penrose toy map R²→R³ always succeeds", 25: "least-squares map V(VᵀV)⁻¹, images ≠ I_n",
        }
        rows = []
        for i in range(1, 26):
            v, num, note = verdicts.get(i, ("not measurable", "—", ""))
            rows.append([i, items[i], v, num, note])
        report.table("Verdicts for the digest's §9 claims 1–25", ["#", "claim", "verdict", "our number", "note"], rows)
        report.metric("verdicts", {i: verdicts.get(i, ("not measurable",))[0] for i in range(1, 26)})
        for i in range(1, 26):
            v, num, note = verdicts.get(i, ("not measurable", "—", ""))
            report.compare(f"§9 claim {i}: {items[i]}", num, "thesis", v, note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
