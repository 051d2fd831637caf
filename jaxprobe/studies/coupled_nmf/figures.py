"""Seed 002's figures: RMSE against rank (Figs. 3, 6), spectra (Figs. 4, 5, 7), latent images
(Fig. 2), neuron heat maps (Fig. 8), and accuracy against compressibility over every network.

Each function returns a matplotlib figure; ``results`` is as in :mod:`.claims` (condition → one
measurement dict per seed) and ``one`` a single network's measurement dict.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from jaxprobe.studies.coupled_nmf.claims import TRAINED
from jaxprobe.studies.coupled_nmf.protocol import RANKS, UNTRAINED, condition

#: Spectra are drawn down to this fraction of the largest singular value: they come from a float64
#: Gram matrix, whose rounding (≈ 1e-16 of σ_1²) leaves values below ~1e-8 σ_1 meaningless.
FLOOR = 1e-6

__all__ = ["rmse_figure", "spectra_figure", "latent_figure", "heatmap_figure", "reading_figure"]


def _label(key: str) -> str:
    return f"{key}: {condition(key).title}"


def rmse_figure(results: Mapping, keys: Sequence[str], title: str, ranks: Sequence[int] = RANKS):
    """RMSE of eq. 1 against rank, mean ± sd over seeds: raw blocks (the seed's), blocks at unit RMS,
    and the A_1 block alone of the normalised fit (its relative error); the untrained network dashed."""
    panels = (("raw blocks", "RMSE of eq. 1", lambda m: m["raw"]["rmse"]),
              ("blocks at unit RMS", "RMSE of eq. 1, normalised", lambda m: m["normalised"]["rmse"]),
              ("A_1 block of the normalised fit", "RMSE of A_1 (relative error)",
               lambda m: np.asarray(m["normalised"]["block_rmse"])[:, -1]))
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), constrained_layout=True)
    for ax, (name, ylabel, get) in zip(axes, panels):
        for key in list(keys) + [UNTRAINED]:
            r = np.stack([np.asarray(get(m)) for m in results[key]])
            sd = r.std(0, ddof=1) if len(r) > 1 else np.zeros(r.shape[1])
            ax.errorbar(ranks, r.mean(0), yerr=sd, marker="o", ms=4, capsize=3, label=_label(key),
                        ls="--" if key == UNTRAINED else "-", color="black" if key == UNTRAINED else None)
        ax.set_xlabel("rank (latent factors)")
        ax.set_ylabel(ylabel)
        ax.set_title(name, fontsize=9)
        ax.set_xticks(list(ranks))
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    return fig


def spectra_figure(one_by_key: Mapping, keys: Sequence[str], layer: int, title: str, top_fraction: float = 1.0):
    """Semi-log singular values of A_layer, raw (left) and relative to σ_1 (right), one network
    per condition (and the untrained one, dashed)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    low = 1.0
    for key in list(keys) + [UNTRAINED]:
        s = np.asarray(one_by_key[key]["spectra"][layer])
        s = s[:max(1, int(round(top_fraction * len(s))))]
        rel = np.maximum(s / s[0], FLOOR)                # below FLOOR: the float64 Gram's rounding
        low = min(low, float(rel.min()))
        style = dict(ls="--", color="black") if key == UNTRAINED else {}
        axes[0].semilogy(np.arange(1, len(s) + 1), rel * s[0], label=_label(key), **style)
        axes[1].semilogy(np.arange(1, len(s) + 1), rel, label=_label(key), **style)
    top = max(float(np.asarray(one_by_key[k]["spectra"][layer])[0]) for k in list(keys) + [UNTRAINED])
    axes[0].set_ylim(bottom=top * low / 2)
    axes[1].set_ylim(bottom=low / 2)
    axes[0].set_ylabel(f"singular value of A_{layer}")
    axes[1].set_ylabel("σ_k / σ_1")
    for ax in axes:
        ax.set_xlabel("k")
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    return fig


def latent_figure(one: Mapping, title: str, shape2=(4, 4, 20)):
    """Fig. 2: for each factor of the smallest rank: its latent image (the pixel loadings P_0[:, k]),
    how strongly each digit class loads on it (mean of F[:, k] over that class's test images), and
    its layer-2 neurons (O_1[:, k] as channels × positions)."""
    P0, _, O1 = (np.asarray(a) for a in one["raw"]["loadings"])
    by_class = np.asarray(one["raw"]["image_factor_by_class"])          # (10, rank)
    rank = P0.shape[1]
    fig, axes = plt.subplots(3, rank, figsize=(1.3 * rank, 4.6), constrained_layout=True,
                             gridspec_kw={"height_ratios": [1.0, 0.6, 1.0]})
    for k in range(rank):
        axes[0, k].imshow(P0[:, k].reshape(28, 28), cmap="magma")
        top = np.argsort(by_class[:, k])[::-1][:2]
        axes[0, k].set_title(f"factor {k + 1}\ndigits {top[0]}, {top[1]}", fontsize=7)
        axes[1, k].bar(np.arange(10), by_class[:, k], color="tab:blue")
        axes[1, k].set_xticks(range(10))
        axes[1, k].tick_params(labelsize=5)
        neurons = O1[:, k].reshape(shape2[0] * shape2[1], shape2[2]).T        # (channels, positions)
        axes[2, k].imshow(neurons, cmap="viridis", aspect="auto", vmin=0, vmax=max(float(O1.max()), 1e-12))
        for ax in (axes[0, k], axes[2, k]):
            ax.set_xticks([])
            ax.set_yticks([])
    axes[1, 0].set_ylabel("mean F by digit", fontsize=7)
    axes[2, 0].set_ylabel("layer-2 neurons\n(channel × position)", fontsize=7)
    fig.suptitle(title, fontsize=10)
    return fig


def heatmap_figure(one_by_key: Mapping, keys: Sequence[str], title: str):
    """Fig. 8: each neuron's loading on each factor of the smallest rank, layer 1 (A_0) and layer 2
    (A_1), one column of panels per condition; loadings scaled to the layer's largest."""
    fig, axes = plt.subplots(2, len(keys), figsize=(3.2 * len(keys), 6.5), constrained_layout=True, squeeze=False)
    for j, key in enumerate(keys):
        for i, O in enumerate(np.asarray(a) for a in one_by_key[key]["raw"]["loadings"][1:]):
            img = axes[i, j].imshow(O / max(float(O.max()), 1e-30), aspect="auto", cmap="magma", vmin=0, vmax=1,
                                    interpolation="nearest")
            axes[i, j].set_title(f"{key}: A_{i} ({O.shape[0]} neurons)", fontsize=8)
            axes[i, j].set_xlabel("factor")
            axes[i, j].set_ylabel("neuron")
    fig.colorbar(img, ax=axes, shrink=0.6, label="loading / layer max")
    fig.suptitle(title, fontsize=10)
    return fig


def reading_figure(results: Mapping, title: str):
    """Test accuracy against the three compressibility measures, every network and seed."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    measures = (("raw RMSE (mean over ranks)", lambda m: np.mean(m["raw"]["rmse"])),
                ("normalised RMSE (mean over ranks)", lambda m: np.mean(m["normalised"]["rmse"])),
                ("effective rank of A_1", lambda m: m["effective_rank"][1]))
    for ax, (name, f) in zip(axes, measures):
        for key in TRAINED + (UNTRAINED,):
            acc = [100 * m["accuracy"] for m in results[key]]
            val = [float(f(m)) for m in results[key]]
            ax.scatter(acc, val, s=18, label=key, marker="x" if key == UNTRAINED else "o",
                       color="black" if key == UNTRAINED else None)
        ax.set_xlabel("test accuracy (%)")
        ax.set_ylabel(name)
    axes[0].legend(fontsize=6, ncol=2)
    fig.suptitle(title, fontsize=10)
    return fig
