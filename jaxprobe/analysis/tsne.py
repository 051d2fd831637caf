"""t-SNE maps of raw vectors (a thin wrapper over openTSNE) and class-coloured scatter plots.

Seed 000 draws its Figs. 4–6 with t-SNE under the cosine metric. :func:`embed` calls
``openTSNE.TSNE(metric=..., n_jobs=..., random_state=seed)`` and returns a plain (N, 2) numpy
array; :func:`scatter_by_class` draws one panel coloured by class with a legend and
:func:`panel_grid` lays out a grid of such panels sharing one legend.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["embed", "pca_init", "scatter_by_class", "panel_grid", "class_colors"]


def embed(
    vectors: Any,
    metric: str = "cosine",
    seed: int = 0,
    *,
    perplexity: float = 30.0,
    n_iter: int = 500,
    early_exaggeration_iter: int = 250,
    n_jobs: int = 1,
    negative_gradient_method: str = "auto",
    **kwargs: Any,
) -> np.ndarray:
    """Embed ``vectors`` (N, D) in the plane with openTSNE; returns a float64 (N, 2) array.

    ``negative_gradient_method='auto'`` picks Barnes–Hut below 10,000 points (faster there) and
    the FFT method above. ``n_jobs`` defaults to 1 and BLAS is held to one thread during the call:
    on a loaded 2-core machine with JAX's threads in the same process, ``n_jobs=2`` measured
    3–20× slower (250 points: 0.4 s with one thread, 3–8 s with two), because idle OpenMP/BLAS
    threads spin against each other; pass ``n_jobs=2`` where cores are free. The initialisation is
    :func:`pca_init` unless ``initialization=`` is given. Rows that are all zero have no cosine
    direction: they are kept, and openTSNE places them by their (arbitrary) neighbours. Extra
    ``kwargs`` go to ``openTSNE.TSNE``.

    Raises:
      ValueError: ``vectors`` not 2-D after flattening, fewer than 4 rows, or NaN/inf.
    """
    from openTSNE import TSNE  # imported lazily: openTSNE is slow to import

    x = np.asarray(vectors)
    if x.ndim < 2:
        raise ValueError(f"vectors: expected shape (N, D), got {x.shape}")
    x = np.ascontiguousarray(x.reshape(x.shape[0], -1), dtype=np.float64)
    n = x.shape[0]
    if n < 4:
        raise ValueError(f"vectors: t-SNE needs at least 4 rows, got {n}")
    if not np.all(np.isfinite(x)):
        raise ValueError("vectors: contain NaN or inf")
    perplexity = float(min(perplexity, max((n - 1) / 3.0, 1.0)))
    kwargs.setdefault("verbose", False)
    if negative_gradient_method == "auto":
        negative_gradient_method = "bh" if n < 10_000 else "fft"
    tsne = TSNE(
        n_components=2,
        perplexity=perplexity,
        metric=metric,
        n_jobs=n_jobs,
        random_state=seed,
        n_iter=n_iter,
        early_exaggeration_iter=early_exaggeration_iter,
        negative_gradient_method=negative_gradient_method,
        **kwargs,
    )
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=max(int(n_jobs), 1), user_api="blas"):
        if "initialization" not in kwargs:
            tsne.initialization = pca_init(x, metric)
        return np.asarray(tsne.fit(x), dtype=np.float64)


def pca_init(x: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """openTSNE's PCA initialisation (first two principal components, scaled to std 1e-4), computed
    with one numpy SVD; for the cosine metric the rows are first scaled to unit length.

    Equivalent to ``openTSNE.initialization.pca`` up to the sign of each axis, without its
    scikit-learn PCA call, which dominates the run time for a few hundred points.
    """
    x = np.asarray(x, np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    x = x - x.mean(axis=0)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    init = u[:, :2] * s[:2]
    if init.shape[1] < 2:
        init = np.pad(init, ((0, 0), (0, 2 - init.shape[1])))
    std = init[:, 0].std()
    if std == 0:
        init = np.random.default_rng(0).normal(size=(len(x), 2))
        std = init[:, 0].std()
    return np.ascontiguousarray(init / std * 1e-4)


def class_colors(n_classes: int = 10) -> list:
    """Distinct colours for ``n_classes`` classes (matplotlib's tab10, then tab20)."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n_classes <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n_classes)]


def scatter_by_class(
    ax: Any,
    embedding: Any,
    labels: Any,
    *,
    title: str | None = None,
    legend: bool = True,
    size: float = 3.0,
    classes: Sequence | None = None,
) -> Any:
    """Scatter an (N, 2) ``embedding`` on ``ax``, one colour per class, with a legend.

    ``classes`` fixes the class order (and colours) across panels; default: sorted labels.
    Axes ticks are hidden (t-SNE coordinates carry no units). Returns ``ax``.
    """
    e = np.asarray(embedding)
    y = np.asarray(labels)
    if e.ndim != 2 or e.shape[1] != 2:
        raise ValueError(f"embedding: expected shape (N, 2), got {e.shape}")
    if y.shape != (e.shape[0],):
        raise ValueError(f"labels: expected shape ({e.shape[0]},), got {y.shape}")
    classes = list(np.unique(y)) if classes is None else list(classes)
    colors = class_colors(len(classes))
    for c, color in zip(classes, colors):
        m = y == c
        ax.scatter(e[m, 0], e[m, 1], s=size, color=color, label=str(c), linewidths=0, rasterized=True)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    if legend:
        ax.legend(markerscale=3.0 / max(size, 0.1) * 2, fontsize=6, loc="best", frameon=False,
                  handletextpad=0.1, borderaxespad=0.1, ncol=2)
    return ax


def panel_grid(
    panels: Sequence[Sequence[tuple[str, Any] | None]],
    labels: Any,
    *,
    suptitle: str | None = None,
    size: float = 2.0,
    panel_inches: float = 2.4,
) -> Any:
    """A figure with a grid of t-SNE panels, coloured by class, and one shared legend.

    ``panels[r][c]`` is ``(title, embedding)`` or None (empty cell). Returns the figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    nrows = len(panels)
    ncols = max(len(r) for r in panels)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_inches * ncols + 0.9, panel_inches * nrows + 0.4),
                             squeeze=False)
    y = np.asarray(labels)
    classes = list(np.unique(y))
    for r, row in enumerate(panels):
        for c in range(ncols):
            ax = axes[r][c]
            cell = row[c] if c < len(row) else None
            if cell is None:
                ax.axis("off")
                continue
            title, emb = cell
            scatter_by_class(ax, emb, y, title=title, legend=False, size=size, classes=classes)
    handles = [Line2D([], [], marker="o", linestyle="", color=col, label=str(cl), markersize=5)
               for cl, col in zip(classes, class_colors(len(classes)))]
    fig.legend(handles=handles, loc="center right", title="class", fontsize=8, frameon=False)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1 - 0.8 / (panel_inches * ncols + 0.9), 1))
    return fig
