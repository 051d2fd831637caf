"""The figures of the jump study (thesis Figs 3.2–3.22, 4.3–4.9), from arrays and runs.

Each function returns a matplotlib figure; the caller saves it (``Report.figure``).
"""

from __future__ import annotations

from typing import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from jaxprobe.studies.jumps.errors import ERROR_KEYS
from jaxprobe.studies.jumps.filters import best_template_correlation, derivative_template
from jaxprobe.studies.jumps.measures import class_averaged_output, conv_signals
from jaxprobe.studies.jumps.thesis import DEEP_ACTIVE_UNITS, LABELS, THESIS_ERRORS


def heat(ax, m, title, xlabel="", ylabel="", cmap="RdBu_r", sym=True):
    """A heat map of ``m`` on ``ax`` with a colour bar (symmetric about 0 when ``sym``)."""
    m = np.asarray(m)
    v = np.abs(m).max() if sym else None
    im = ax.imshow(m, aspect="auto", cmap=cmap, vmin=-v if sym else None, vmax=v if sym else None,
                   interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    plt.colorbar(im, ax=ax)


def baseline_figure(window, pred, true):
    """Fig. 3.6–3.7: the smoother and the baseline's |error| histograms (all; 99 percentile)."""
    err = np.abs(pred - true)
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.2))
    ax[0].stem(np.arange(-9, 10), window)
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


def tau_figure(taus, sigmas, P):
    """Fig. 3.5: P(|error| ≤ 1) against τ, one curve per σ, the optimum of each marked."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for s, row in zip(sigmas, P):
        ax.plot(taus, row, label=f"σ = {s:.1f}")
        ax.plot(taus[np.argmax(row)], row.max(), "k.")
    ax.set_xlabel("filter width τ")
    ax.set_ylabel("P(|error| ≤ 1)")
    ax.set_title("Fig. 3.5: jump size 1, Gaussian derivative filter")
    ax.legend(fontsize=8)
    return fig


def tsne_figure(emb, labels):
    """Fig. 3.2: the t-SNE of the training signals, coloured and labelled by jump position."""
    fig, ax = plt.subplots(figsize=(7, 6))
    sc = ax.scatter(emb[:, 0], emb[:, 1], c=labels + 21, cmap="viridis", s=2)
    for c in range(0, 60, 3):
        m = np.median(emb[labels == c], axis=0)
        ax.text(m[0], m[1], str(c + 21), fontsize=7)
    fig.colorbar(sc, label="jump position")
    ax.set_title("Fig. 3.2: t-SNE of the training signals")
    return fig


def training_figure(run):
    """Fig. 3.9: train and validation loss and validation error of every seed (early stopping)."""
    h = run.history
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.5))
    tl, vl = np.atleast_2d(np.asarray(h["train_loss"]).T), np.atleast_2d(np.asarray(h["valid_loss"]).T)
    va = np.atleast_2d(np.asarray(h["valid_accuracy"]).T)
    for s in range(tl.shape[0]):
        ax[0].plot(h["epoch"], tl[s], "b", alpha=0.5, lw=0.8)
        ax[0].plot(h["epoch"], vl[s], "g", alpha=0.5, lw=0.8)
        ax[0].axvline(run.best_epoch[s], color="k", ls=":", lw=0.8)
        ax[1].plot(h["epoch"], 1 - va[s], "g", alpha=0.5, lw=0.8)
    ax[0].set_title("2-layer MLP loss: train (blue), validation (green); dotted = best epoch")
    ax[1].set_title("validation classification error")
    for a in ax:
        a.set_xlabel("epoch")
    return fig


def long_run_figure(long, epochs: int):
    """Fig. 3.9 without early stopping: loss curves and the training error from snapshots."""
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.5))
    ax[0].plot(long["epoch"], long["train_loss"], "b", label="train")
    ax[0].plot(long["epoch"], long["valid_loss"], "g", label="validation")
    be = long["epoch"][int(np.argmin(long["valid_loss"]))]
    ax[0].axvline(be, color="k", ls=":")
    ax[0].set_yscale("log")
    ax[0].legend()
    ax[0].set_title(f"loss, one seed, {epochs} epochs; min validation loss at epoch {be:.0f}")
    ax[1].plot(long["snap_epoch"], long["train_err"], "b.-", label="train")
    ax[1].plot(long["epoch"], 1 - long["valid_acc"], "g", label="validation")
    ax[1].legend()
    ax[1].set_title("classification error")
    for a in ax:
        a.set_xlabel("epoch")
    return fig


def error_histogram_figure(err):
    """Fig. 3.10: a model's |error| histograms (all; 99 percentile)."""
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.2))
    ax[0].bar(*np.unique(err, return_counts=True))
    ax[0].set_title(f"2-layer MLP |error| (seed 0), max {err.max()}")
    keep = np.sort(err)[: int(0.99 * len(err))]
    ax[1].bar(*np.unique(keep, return_counts=True))
    ax[1].set_title("99 percentile")
    return fig


def mlp1_figure(run, x, y):
    """Fig. 3.14–3.15: weights, class-averaged output and the 30th column beside its template."""
    W = np.asarray(run.params[0]["kernel"])[0]
    fig, ax = plt.subplots(1, 3, figsize=(15, 4))
    heat(ax[0], W, "1-layer NN weight matrix (inputs × outputs)", "output (jump 21..80)", "input position")
    heat(ax[1], class_averaged_output(run, 0, x, y), "class-averaged output (softmax)", "true class", "output",
         cmap="viridis", sym=False)
    col = W[:, 29]
    rr, tt, sh = best_template_correlation(col, center=49)
    tmpl = derivative_template(100, 49 + sh, tt)
    ax[2].plot(np.arange(1, 101), col, label="30th column (jump at 50)")
    ax[2].plot(np.arange(1, 101), tmpl * np.linalg.norm(col - col.mean()) + col.mean(), "--",
               label=f"Gaussian ∗ [1, −1], τ = {tt:.2f} (r = {rr:.3f})")
    ax[2].legend(fontsize=8)
    ax[2].set_xlabel("input position")
    return fig


def mlp2_weights_figure(run):
    """Fig. 3.11: the 2-layer MLP's weights and biases (seed 0)."""
    fig, ax = plt.subplots(1, 4, figsize=(17, 3.8))
    heat(ax[0], np.asarray(run.params[0]["kernel"])[0], "W1 (input × hidden)", "hidden", "input position")
    ax[1].plot(np.asarray(run.params[0]["bias"][0]))
    ax[1].set_title("b1")
    heat(ax[2], np.asarray(run.params[1]["kernel"][0]), "W2 (hidden × output)", "output", "hidden")
    ax[3].plot(np.asarray(run.params[1]["bias"][0]))
    ax[3].set_title("b2")
    return fig


def mlp2_activations_figure(hidden_means, output_means):
    """Fig. 3.12: class-averaged hidden layer (units sorted by preferred class) and output."""
    fig, ax = plt.subplots(1, 2, figsize=(12, 4))
    order = np.argsort(np.argmax(hidden_means, axis=1))
    heat(ax[0], hidden_means[order], "hidden layer (units sorted by preferred class)", "true class (jump 21..80)",
         "unit", cmap="viridis", sym=False)
    heat(ax[1], output_means, "output (softmax)", "true class", "output", cmap="viridis", sym=False)
    return fig


def cnn_figure(runs: dict, names: Sequence[str], activation: str, x, y, x50):
    """Fig. 3.17–3.22: per CNN, its filters, the class-averaged signals for a jump at 50, the FC
    weights and the class-averaged output (seed 0)."""
    fig, axes = plt.subplots(len(names), 4, figsize=(17, 3.2 * len(names)), squeeze=False, constrained_layout=True)
    for i, n in enumerate(names):
        r = runs[n]
        n_conv = r.net.n_layers - 1
        ax = axes[i]
        for l in range(n_conv):
            w = np.asarray(r.params[l]["kernel"][0]).ravel()
            ax[0].plot(np.arange(len(w)) - (len(w) - 1) // 2, w, "o-", label=f"conv {l + 1} (length {len(w)})")
        ax[0].axhline(0, color="k", lw=0.5)
        ax[0].legend(fontsize=7)
        ax[0].set_title(f"{LABELS[n]} [{activation}]: filters (seed 0)", fontsize=9)
        ax[1].plot(np.arange(1, 101), np.asarray(x50).mean(0), "k", label="input")
        for l, o in enumerate(conv_signals(r, 0, x50, range(1, n_conv + 1))):
            ax[1].plot(np.arange(1, 101), o, label=f"conv {l + 1} output")
        ax[1].axvline(50, color="grey", ls=":")
        ax[1].legend(fontsize=7)
        ax[1].set_title("class-averaged signals, jump at 50", fontsize=9)
        heat(ax[2], np.asarray(r.params[-1]["kernel"][0]), "FC weights (position × output)", "output", "position")
        heat(ax[3], class_averaged_output(r, 0, x, y), "class-averaged output", "true class", "output",
             cmap="viridis", sym=False)
    return fig


def sweep_figure(sweeps: dict, ps: Sequence[int], baseline_stats: dict):
    """Fig. 4.3–4.4: bottleneck errors against p (seed mean ± std), thesis stars, our baseline."""
    fig, axes = plt.subplots(2, 4, figsize=(17, 7), constrained_layout=True)
    for row, kind in enumerate(("shallow", "deep")):
        for j, k in enumerate(ERROR_KEYS):
            a = axes[row, j]
            a.errorbar(ps, sweeps[kind][k][:, 0], sweeps[kind][k][:, 1], fmt="o-", label="ours (mean ± std)")
            tp = [p for p in ps if f"{kind}{p}" in THESIS_ERRORS]
            a.plot(tp, [THESIS_ERRORS[f"{kind}{p}"][j] for p in tp], "r*", ms=10, label="thesis")
            a.axhline(baseline_stats[k], color="grey", ls=":", label="baseline")
            a.set_title(f"{kind} 100-{'25-' if kind == 'deep' else ''}p-{'25-' if kind == 'deep' else ''}60: {k}",
                        fontsize=9)
            a.set_xlabel("p")
        axes[row, 0].legend(fontsize=7)
    return fig


def dead_units_figure(dead: dict, ps: Sequence[int]):
    """Fig. 4.5: dead units per hidden layer and active bottleneck units against p."""
    fig, ax = plt.subplots(1, 2, figsize=(12, 3.8))
    ax[0].errorbar(ps, [dead[("shallow", p)][:, 0].mean() for p in ps], [dead[("shallow", p)][:, 0].std() for p in ps],
                   fmt="o-", label="shallow: bottleneck")
    for l, lab in enumerate(("deep: 25 (layer 1)", "deep: bottleneck p", "deep: 25 (layer 3)")):
        ax[0].errorbar(ps, [dead[("deep", p)][:, l].mean() for p in ps], [dead[("deep", p)][:, l].std() for p in ps],
                       fmt="o-", label=lab)
    ax[0].set_xlabel("p")
    ax[0].set_ylabel("dead units (never active on the analysis set)")
    ax[0].legend(fontsize=8)
    ax[1].errorbar(ps, [p - dead[("deep", p)][:, 1].mean() for p in ps], [dead[("deep", p)][:, 1].std() for p in ps],
                   fmt="o-", label="deep: active bottleneck units")
    ax[1].errorbar(ps, [p - dead[("shallow", p)][:, 0].mean() for p in ps], fmt="s--", label="shallow: active")
    ax[1].plot(list(DEEP_ACTIVE_UNITS), list(DEEP_ACTIVE_UNITS.values()), "r*", ms=10, label="thesis (deep)")
    ax[1].plot(ps, ps, "k:", lw=0.6)
    ax[1].legend(fontsize=8)
    ax[1].set_xlabel("p")
    return fig


def bottleneck_2d_figure(panels: Sequence[dict]):
    """Fig. 4.6–4.9: per 2-D bottleneck network, the codes of the training signals, their class
    means, and the class-averaged output (seed 0).

    Args:
      panels: one dict per row with ``label``, ``codes`` (N, 2), ``labels`` (N,), ``class_means``
        (60, 2) and ``output_means`` (60, 60).
    """
    fig, axes = plt.subplots(len(panels), 3, figsize=(16, 4.5 * len(panels)), constrained_layout=True, squeeze=False)
    for ax, panel in zip(axes, panels):
        codes, labels, cm = panel["codes"], panel["labels"], panel["class_means"]
        sc = ax[0].scatter(codes[:, 0], codes[:, 1], c=labels + 21, s=2, cmap="viridis")
        plt.colorbar(sc, ax=ax[0])
        ax[0].set_title(f"{panel['label']}: bottleneck codes of the training signals", fontsize=9)
        ax[1].plot(cm[:, 0], cm[:, 1], "-", color="grey", lw=0.6)
        ax[1].scatter(cm[:, 0], cm[:, 1], c=np.arange(21, 81), cmap="viridis")
        for c in range(0, 60, 3):
            ax[1].text(cm[c, 0], cm[c, 1], str(c + 21), fontsize=7)
        ax[1].set_title("class means", fontsize=9)
        heat(ax[2], panel["output_means"], "class-averaged output", "true class", "output", cmap="viridis", sym=False)
    return fig


#: The caption of every figure file (``{n}``: the number of signals embedded).
CAPTIONS = {
    "fig3_6_7_baseline.png": "Fig. 3.6–3.7: the Gaussian smoother and the baseline's |error| histograms on our test set "
                             "(all signals; 99 percentile).",
    "fig3_5_tau_sweep.png": "Fig. 3.5: P(|error| ≤ 1) against the filter width τ for σ = 0.1..0.6, jump size 1 "
                            "(vmapped over σ and τ, common random numbers).",
    "fig3_2_tsne.png": "Fig. 3.2: t-SNE (openTSNE, Euclidean, perplexity 30) of {n} training signals, coloured and "
                       "labelled by jump position.",
    "fig3_9_long_run.png": "Fig. 3.9: a 2-layer MLP trained without early stopping (training error from snapshots).",
    "fig3_9_training.png": "Fig. 3.9: 2-layer MLP training sessions of all seeds (early stopping).",
    "fig3_10_mlp2_errors.png": "Fig. 3.10: 2-layer MLP |error| histograms on the test set.",
    "fig3_14_15_mlp1.png": "Fig. 3.14–3.15: the 1-layer NN's weights, class-averaged output, and its 30th column beside "
                           "the best-fitting smoothed first-derivative filter.",
    "fig3_11_mlp2_weights.png": "Fig. 3.11: 2-layer MLP weights and biases (seed 0).",
    "fig3_12_mlp2_activations.png": "Fig. 3.12: 2-layer MLP class-averaged activations on the analysis set (1000 a class).",
    "fig3_17_22_cnns.png": "Fig. 3.17–3.22: one-filter CNNs — filters, class-averaged intermediate signals for a jump at "
                           "50, FC weights and class-averaged outputs (seed 0).",
    "fig4_3_4_psweeps.png": "Fig. 4.3–4.4: bottleneck errors against p (mean ± std over seeds; red stars: thesis; "
                            "dotted: our baseline).",
    "fig4_5_dead_units.png": "Fig. 4.5: dead ReLU units per hidden layer of the bottleneck networks (mean ± std over "
                             "seeds, analysis set).",
    "fig4_6_9_bottleneck2d.png": "Fig. 4.6–4.9: 2-D bottleneck codes of 100-2-60 (top) and 100-25-2-25-60 (bottom): "
                                 "training signals, class means, class-averaged output (seed 0).",
}
