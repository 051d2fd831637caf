"""The figures of thesis Ch. 6 (Fig. 6.3–6.9, 6.12–6.14) and of the class-collapse measures past it.

Every function returns a matplotlib figure; captions live beside them as constants. Curves over seeds are
drawn as the seed mean with a band from the smallest to the largest seed.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from jaxprobe.studies.thesis_ch6.protocol import ACCURACY_LEVELS, Training

__all__ = ["training_figure", "class_mean_figure", "tsne_figure", "deviation_figure", "collapse_figure",
           "tracking_figure", "TRACKED"]

#: The measures drawn through training (rows of :func:`tracking_figure`).
TRACKED = ("nc1", "cdnv", "inner_cosine", "inter_cosine")
_LABELS = {"nc1": "NC1 = tr(Σ_W Σ_B⁺)/C", "cdnv": "CDNV", "level": "activation level (mean L1)",
           "inner_euclidean": "inner, Euclidean", "inter_euclidean": "inter, Euclidean",
           "inner_normalised_euclidean": "inner, normalised Euclidean", "inner_cosine": "inner, cosine",
           "inner_correlation": "inner, correlation", "inter_normalised_euclidean": "inter, normalised Euclidean",
           "inter_cosine": "inter, cosine", "inter_correlation": "inter, correlation"}


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _band(ax, x, values, label, color, style="-"):
    v = np.asarray(values, np.float64)
    ax.plot(x, np.nanmean(v, 0), style, color=color, label=label, marker="o", markersize=3)
    if v.shape[0] > 1:
        ax.fill_between(x, np.nanmin(v, 0), np.nanmax(v, 0), color=color, alpha=0.15, linewidth=0)


def training_figure(runs: Mapping[str, Training]) -> object:
    """Training accuracy at the checks (every seed) and, where measured, the validation loss."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    for (name, run), color in zip(runs.items(), ("C0", "C3", "C2")):
        for k in range(run.train_accuracy.shape[1]):
            axes[0].plot(run.check_epochs, run.train_accuracy[:, k], color=color, alpha=0.6,
                         label=name if k == 0 else None)
        if run.valid_loss.size:
            for k in range(run.valid_loss.shape[1]):
                axes[1].plot(run.check_epochs, run.valid_loss[:, k], color=color, alpha=0.6,
                             label=name if k == 0 else None)
            axes[1].axvline(np.median(run.early_epoch), color=color, linestyle=":")
    for level in ACCURACY_LEVELS:
        axes[0].axhline(level, color="grey", linewidth=0.5, linestyle=":")
    axes[0].set(xlabel="epoch", ylabel="training accuracy", xscale="symlog", title="accuracy on the training set")
    axes[1].set(xlabel="epoch", ylabel="validation loss (true labels)", xscale="symlog",
                title="validation loss (dotted: median early-stopping epoch)")
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def class_mean_figure(rows: Sequence[tuple[str, Sequence[np.ndarray]]], layer_names: Sequence[str]) -> object:
    """Heat maps of class-averaged activations A^{(l)} (units × classes, eq. 3.7): one row per view."""
    plt = _plt()
    ncols = len(layer_names)
    fig, axes = plt.subplots(len(rows), ncols, figsize=(2.6 * ncols, 2.3 * len(rows)), squeeze=False)
    for r, (title, matrices) in enumerate(rows):
        for c, matrix in enumerate(matrices):
            ax = axes[r][c]
            im = ax.imshow(np.asarray(matrix), aspect="auto", cmap="viridis", interpolation="nearest")
            ax.set_title(f"{title}\n{layer_names[c]}" if c == 0 else layer_names[c], fontsize=8)
            ax.set_xlabel("class (label 0–59)", fontsize=7)
            ax.set_ylabel("unit", fontsize=7)
            ax.tick_params(labelsize=6)
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02).ax.tick_params(labelsize=6)
    fig.tight_layout()
    return fig


def tsne_figure(columns: Sequence[tuple[str, Sequence[np.ndarray], np.ndarray]], layer_names: Sequence[str]) -> object:
    """t-SNE maps: one column per (title, embeddings per layer, colouring labels 0–59), one row per layer."""
    plt = _plt()
    nrows = len(layer_names)
    fig, axes = plt.subplots(nrows, len(columns), figsize=(3.0 * len(columns) + 0.8, 2.8 * nrows), squeeze=False)
    scatter = None
    for c, (title, embeddings, labels) in enumerate(columns):
        for r, emb in enumerate(embeddings):
            ax = axes[r][c]
            e = np.asarray(emb)
            scatter = ax.scatter(e[:, 0], e[:, 1], c=np.asarray(labels) + 21, s=0.6, cmap="turbo", vmin=21, vmax=80,
                                 linewidths=0, rasterized=True)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{title}: {layer_names[r]}", fontsize=8)
    fig.tight_layout(rect=(0, 0, 0.92, 1))
    cax = fig.add_axes((0.93, 0.3, 0.015, 0.4))
    fig.colorbar(scatter, cax=cax).set_label("jump position (colour label)", fontsize=8)
    return fig


def deviation_figure(profiles: Mapping[str, Mapping[str, np.ndarray]], layers: Sequence[int], title: str) -> object:
    """Fig. 6.7–6.9 style: (a) Euclidean inner (dotted) and inter (solid), (b) activation level, (c) inner and
    (d) inter with the normalised Euclidean, cosine and correlation distances; one colour per profile."""
    plt = _plt()
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.6))
    x = np.asarray(layers)
    colors = ("C0", "C3", "C7", "C2")
    for (name, prof), color in zip(profiles.items(), colors):
        cols = list(range(len(layers)))
        _band(axes[0], x, prof["inner_euclidean"][:, cols], f"{name} inner", color, ":")
        _band(axes[0], x, prof["inter_euclidean"][:, cols], f"{name} inter", color)
        _band(axes[1], x, prof["level"][:, cols], name, color)
        for m, style in zip(("normalised_euclidean", "cosine", "correlation"), ("-", "--", "-.")):
            _band(axes[2], x, prof[f"inner_{m}"][:, cols], f"{name}: {m}", color, style)
            _band(axes[3], x, prof[f"inter_{m}"][:, cols], f"{name}: {m}", color, style)
    titles = ("Euclidean (inner dotted)", "activation level (eq. 6.4)", "inner-class", "inter-class")
    for ax, t in zip(axes, titles):
        ax.set(xlabel="layer (0 = input)", title=t, xticks=x)
        ax.legend(fontsize=6)
    axes[2].set_yscale("log")
    axes[3].set_yscale("log")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def collapse_figure(profiles: Mapping[str, Mapping[str, np.ndarray]], layers: Sequence[int]) -> object:
    """NC1 and CDNV per layer (log scale) for each named profile."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    x = np.asarray(layers)
    for (name, prof), color in zip(profiles.items(), ("C0", "C3", "C7", "C1", "C2", "C5")):
        for ax, key in zip(axes, ("nc1", "cdnv")):
            _band(ax, x, prof[key][:, :len(layers)], name, color)
    for ax, key in zip(axes, ("nc1", "cdnv")):
        ax.set(xlabel="layer (0 = input, 4 = output logits)", ylabel=_LABELS[key], yscale="log", xticks=x)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def tracking_figure(tracks: Mapping[str, Mapping[str, np.ndarray]], layers: Sequence[int],
                    measures: Sequence[str] = TRACKED) -> object:
    """Each measure (rows) through training for each tracked view (columns), one line per layer."""
    plt = _plt()
    fig, axes = plt.subplots(len(measures), len(tracks), figsize=(3.6 * len(tracks), 2.5 * len(measures)),
                             squeeze=False)
    for c, (name, track) in enumerate(tracks.items()):
        epochs = np.maximum(np.asarray(track["epochs"], np.float64), 0.5)
        for r, m in enumerate(measures):
            ax = axes[r][c]
            values = np.asarray(track[m])                    # (snapshots, K, layers)
            for l, layer in enumerate(layers):
                _band(ax, epochs, values[:, :, l].T, f"layer {layer}", f"C{l}")
            ax.set(xscale="log", yscale="log" if m in ("nc1", "cdnv") else "linear")
            ax.set_title(f"{name}\n{_LABELS[m]}" if r == 0 else _LABELS[m], fontsize=8)
            ax.tick_params(labelsize=7)
            if r == len(measures) - 1:
                ax.set_xlabel("epoch (0 drawn at 0.5)", fontsize=8)
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    return fig
