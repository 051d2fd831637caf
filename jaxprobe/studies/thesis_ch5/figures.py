"""Figures of thesis Ch. 5 and Fig. 7.1 (each returns a matplotlib figure; the experiment saves it).

* :func:`signal_grid` — Fig. 5.1–5.2 (rows: networks, columns: targets) and Fig. 5.3–5.5 (rows: CNNs,
  columns: input and conv layers): one panel per cell, a few starts of seed 0 in grey and the first in
  colour, the target marked, the cell's numbers in the title.
* :func:`handmade_figure` — Fig. 7.1: the hand-made signals with the 2-layer MLP's prediction and confidence.
* :func:`digit_grid` — the MNIST inputs per regulariser (rows) and digit (columns).
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np

__all__ = ["signal_grid", "mlp_panels", "cnn_panels", "handmade_figure", "digit_grid"]


def _plt():
    import matplotlib.pyplot as plt

    return plt


def signal_grid(panels: Sequence[Sequence[Optional[dict]]], row_labels: Sequence[str], title: str,
                n_grey: int = 4):
    """A grid of signal panels.

    Args:
      panels: rows of panels; each ``None`` (left empty) or ``{'signals': (S, n) array, 'title': str,
        'mark': position or None}``; the first signal is drawn in colour, the next ``n_grey`` in grey.
      row_labels: one label per row (the y-axis label of its first panel).
      title: the figure title.
    """
    plt = _plt()
    rows, cols = len(panels), max(len(r) for r in panels)
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols, 2.2 * rows), squeeze=False)
    for i, row in enumerate(panels):
        for j in range(cols):
            ax = axes[i, j]
            panel = row[j] if j < len(row) else None
            if panel is None:
                ax.axis("off")
                continue
            s = np.asarray(panel["signals"])
            pos = np.arange(1, s.shape[-1] + 1)
            for k in range(1, min(1 + n_grey, s.shape[0])):
                ax.plot(pos, s[k], color="0.75", lw=0.7)
            ax.plot(pos, s[0], color="C0", lw=1.2)
            if panel.get("mark") is not None:
                ax.axvline(panel["mark"], color="C3", ls="--", lw=0.8)
            ax.set_title(panel.get("title", ""), fontsize=8)
            ax.tick_params(labelsize=7)
            if j == 0:
                ax.set_ylabel(row_labels[i], fontsize=8)
            if i == rows - 1:
                ax.set_xlabel("position", fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def handmade_figure(signals: Mapping[str, np.ndarray], confidence: np.ndarray, predicted: np.ndarray,
                    control_confidence: Optional[np.ndarray] = None):
    """Fig. 7.1: each hand-made signal, with the median over seeds of p(50) and the seeds' predictions.

    Args:
      signals: ``{name: (n,)}``.
      confidence, predicted: (K seeds, len(signals)) p(50) and predicted positions.
      control_confidence: the same p(50) from untrained networks (shown for contrast), optional.
    """
    plt = _plt()
    names = list(signals)
    cols = 3
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.3 * rows), squeeze=False)
    for idx, name in enumerate(names):
        ax = axes[idx // cols, idx % cols]
        s = np.asarray(signals[name])
        ax.plot(np.arange(1, s.size + 1), s, color="C0", lw=1.2)
        ax.axvline(50, color="C3", ls="--", lw=0.8)
        preds = ", ".join(str(int(p)) for p in np.asarray(predicted)[:, idx])
        extra = "" if control_confidence is None else f"; untrained {np.median(control_confidence[:, idx]):.3f}"
        ax.set_title(f"{name}\np(50) = {np.median(confidence[:, idx]):.3f}{extra}\npredicted: {preds}", fontsize=7)
        ax.tick_params(labelsize=7)
    for idx in range(len(names), rows * cols):
        axes[idx // cols, idx % cols].axis("off")
    fig.suptitle("Fig. 7.1: hand-made signals with the largest rise at 50, 2-layer MLP (median over seeds)",
                 fontsize=10)
    fig.tight_layout()
    return fig


def digit_grid(images: Mapping[str, np.ndarray], titles: Mapping[str, str]):
    """Rows: regularisers; columns: digits 0–9. ``images[name]`` is (10, 784); each image on its own symmetric scale."""
    plt = _plt()
    names = list(images)
    fig, axes = plt.subplots(len(names), 10, figsize=(12, 1.45 * len(names) + 0.4), squeeze=False)
    for i, name in enumerate(names):
        for d in range(10):
            ax = axes[i, d]
            img = np.asarray(images[name][d]).reshape(28, 28)
            v = float(np.max(np.abs(img))) or 1.0
            ax.imshow(img, cmap="seismic", vmin=-v, vmax=v)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(str(d), fontsize=8)
            if d == 0:
                ax.set_ylabel(titles.get(name, name), fontsize=7)
    fig.suptitle("MNIST: the thesis's ascent per digit with each regulariser (seed 0, first start; red > 0, "
                 "blue < 0)", fontsize=9)
    fig.tight_layout()
    return fig


def mlp_panels(syntheses: Mapping[str, "object"], positions: Sequence[int], labels: Mapping[str, str],
               prefix: str = "") -> list:
    """Panels of :func:`signal_grid` for MLP syntheses ``{name: Synthesis}``: rows = networks, columns = targets."""
    from jaxprobe.studies.thesis_ch5.measures import hits

    rows = []
    for name, s in syntheses.items():
        x = np.asarray(s.inputs)
        rows.append([{"signals": x[0, i], "mark": p, "title": f"{prefix}{labels.get(name, name)}, {p}: hit "
                      f"{np.mean(hits(x[:, i], p)):.2f}"} for i, p in enumerate(positions)])
    return rows


def cnn_panels(layers_by_cnn: Mapping[str, Sequence[np.ndarray]], position: int) -> list:
    """Panels of :func:`signal_grid` for ``{cnn: [input, conv 1, …]}`` signals (K, S, n): rows = CNNs."""
    from jaxprobe.studies.thesis_ch5.measures import peak_sharpness

    return [[{"signals": s[0], "mark": position, "title": ("input" if l == 0 else f"conv {l}")
              + f", sharpness {np.nanmedian(peak_sharpness(s)):.3f}"} for l, s in enumerate(layers)]
            for layers in layers_by_cnn.values()]
