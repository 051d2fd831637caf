"""Seed 003's figures: features and their cosine matrix (Fig. 1–2, 4–10), E against accuracy (Fig. 3),
the three routes side by side."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from jaxprobe.analysis.explainability import cosine_matrix

__all__ = ["feature_rows_figure", "phase_figure", "routes_figure"]


def _image(ax, feature, title=None):
    v = np.asarray(feature, np.float64).reshape(28, 28)
    lim = float(np.abs(v).max()) or 1.0
    ax.imshow(v, cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=7)


def feature_rows_figure(rows: Sequence[tuple], with_cosine: bool = True):
    """One row per ``(label, features (10, 784))``: the 10 × 10 cosine matrix, then the ten features.

    Features are drawn red (positive) and blue (negative), each on its own symmetric scale.
    """
    n = len(rows)
    cols = 11 if with_cosine else 10
    fig, axes = plt.subplots(n, cols, figsize=(1.05 * cols + 0.6, 1.25 * n + 0.3), squeeze=False,
                             gridspec_kw={"width_ratios": ([1.6] if with_cosine else []) + [1] * 10})
    for r, (label, feats) in enumerate(rows):
        start = 0
        if with_cosine:
            ax = axes[r, 0]
            im = ax.imshow(cosine_matrix(feats), cmap="RdBu_r", vmin=-1, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
            start = 1
        else:
            axes[r, 0].set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
        for c in range(10):
            _image(axes[r, start + c], feats[c], str(c) if r == 0 else None)
    if with_cosine:
        fig.subplots_adjust(right=0.9)
        fig.colorbar(im, cax=fig.add_axes([0.915, 0.25, 0.008, 0.5]), label="cosine")
    return fig


def phase_figure(sweep: Mapping, rule: str = "gtp", route: str = "gtp"):
    """E, judge identification and mutual cosine against test accuracy, one line per architecture
    (mean over seeds, bars = one standard deviation), the seed's 90 % marked (Fig. 3)."""
    names = [("explainability", "explainability E"), ("judge_id", "identified by the linear judge"),
             ("mutual_cosine", "mean cosine between features")]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    archs = sorted((k for k in sweep if k[0] == rule), key=lambda k: (k[2], k[1]))
    cmap = plt.get_cmap("viridis")
    for i, key in enumerate(archs):
        arch = sweep[key]
        acc = arch.accuracy.mean(axis=1)
        for ax, (name, _) in zip(axes, names):
            v = arch.measures[route][name]
            ax.errorbar(acc, v.mean(axis=1), yerr=v.std(axis=1), xerr=arch.accuracy.std(axis=1),
                        color=cmap(i / max(1, len(archs) - 1)), marker="o" if key[2] == 1 else "s", ms=3,
                        lw=1, ls="-" if key[2] == 1 else "--", capsize=1.5,
                        label=f"{key[1]}×{key[2]}")
    for ax, (_, label) in zip(axes, names):
        ax.axvline(90, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("test accuracy (%)")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=6, ncol=2, title="hidden × layers", title_fontsize=6)
    fig.tight_layout()
    return fig


def routes_figure(sweep: Mapping, routes: Sequence[str], rules: Sequence[str] = ("gtp", "bp")):
    """E against test accuracy for each route (columns) and training rule (line style), all
    architectures pooled per accuracy bin of 5 points."""
    fig, axes = plt.subplots(1, len(routes), figsize=(4.2 * len(routes), 3.4), sharey=True, squeeze=False)
    bins = np.arange(0, 105, 5)
    for ax, route in zip(axes[0], routes):
        for rule, style in zip(rules, ("-o", "--s")):
            acc = np.concatenate([a.accuracy.ravel() for k, a in sweep.items() if k[0] == rule])
            if not acc.size:
                continue
            e = np.concatenate([a.measures[route]["explainability"].ravel() for k, a in sweep.items() if k[0] == rule])
            which = np.digitize(acc, bins)
            centres = [bins[b - 1] + 2.5 for b in np.unique(which)]
            means = [e[which == b].mean() for b in np.unique(which)]
            sds = [e[which == b].std() for b in np.unique(which)]
            ax.errorbar(centres, means, yerr=sds, fmt=style, ms=3, capsize=2, label=f"{rule}-trained")
        ax.axvline(90, color="grey", lw=0.8, ls=":")
        ax.set_title(f"route: {route}", fontsize=9)
        ax.set_xlabel("test accuracy (%), bins of 5")
    axes[0, 0].set_ylabel("explainability E")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig
