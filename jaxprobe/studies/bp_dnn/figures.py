"""Seed 000's figures: the t-SNE panels of Figs. 4–6, the cosine curve, Figs. 7 and 8.

Pure drawing: every function takes numbers and arrays already computed and returns a matplotlib
figure (the experiment saves it through ``Report.figure``).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from jaxprobe.studies.bp_dnn.measures import highlight_boxes

__all__ = [
    "tsne_panel_keys",
    "tsne_cell",
    "tsne_figures",
    "cosine_curve_figure",
    "fig7_figure",
    "fig8_figure",
    "reconstruction_figure",
    "overlay_figure",
    "seed_spread_figure",
    "silhouette_spread_figure",
]


def tsne_panel_keys(steps: int, fig5_steps: Sequence[int], n_hidden: int = 5) -> list[tuple[str, int, int]]:
    """The (kind, layer, iteration) vector sets Figs. 4–6 embed, each once, in drawing order.

    Fig. 4: õ_l (l = 1..5) at iterations 0 and 100; Fig. 5: õ_1 and z_1 at ``fig5_steps``;
    Fig. 6: z_l at iterations 0 and ``steps``.

    >>> len(tsne_panel_keys(300, (10, 30, 50, 100, 300)))
    28
    """
    s100 = min(100, steps)
    keys = ([("targets", l, s) for s in (0, s100) for l in range(1, n_hidden + 1)]
            + [(k, 1, s) for k in ("targets", "z") for s in fig5_steps]
            + [("z", l, s) for s in (0, steps) for l in range(1, n_hidden + 1)])
    return list(dict.fromkeys(keys))


def tsne_cell(key: tuple[str, int, int], disc: Mapping, embeddings: Mapping) -> tuple[str, Any]:
    """A ``panel_grid`` cell: title with the raw vectors' k-NN and silhouette, and the embedding.

    Args:
      key: ``(kind, l, step)`` with kind ``'targets'`` (õ_l) or ``'z'``.
      disc: ``{key: (knn, silhouette)}``; embeddings: ``{key: (N, 2) array}``.

    Returns:
      ``(title, embedding)``.
    """
    kind, l, s = key
    sym = "õ" if kind == "targets" else "z"
    k, sil = disc[key]
    return f"{sym}_{l}, it {s}\nkNN {k:.2f}  sil {sil:.2f}", embeddings[key]


def tsne_figures(disc: Mapping, embeddings: Mapping, labels: Any, steps: int, fig5_steps: Sequence[int],
                 k: int = 5, n_hidden: int = 5) -> list[tuple[Any, str, str]]:
    """Figs. 4, 5 and 6 as ``(figure, file name, caption)`` for ``Report.figure``.

    Args:
      disc: ``{(kind, l, step): (knn, silhouette)}``; embeddings: ``{(kind, l, step): (N, 2)}``
        holding every key of :func:`tsne_panel_keys`; labels: (N,) classes for the colours.
      steps: the last iteration; fig5_steps: Fig. 5's iterations; k: the k-NN's neighbours.

    Returns:
      Three ``(figure, file name, caption)`` tuples.
    """
    from jaxprobe.analysis.tsne import panel_grid

    s100, layers, n = min(100, steps), range(1, n_hidden + 1), len(labels)
    cell = lambda kind, l, s: tsne_cell((kind, l, s), disc, embeddings)
    fig4 = panel_grid([[cell("targets", l, s) for l in layers] for s in (0, s100)], labels,
                      suptitle=f"Fig. 4: bp-DNN targets õ_l (columns l = 1..5) at iterations 0 and {s100} "
                               f"(t-SNE, cosine; kNN = leave-one-out {k}-NN accuracy, sil = silhouette)")
    fig5 = panel_grid([[cell(kind, 1, s) for s in fig5_steps] for kind in ("targets", "z")], labels,
                      suptitle="Fig. 5: õ_1 (top) above z_1 (bottom) through training")
    fig6 = panel_grid([[cell("z", l, s) for l in layers] for s in (0, steps)], labels,
                      suptitle=f"Fig. 6: features z_l (columns l = 1..5) at iterations 0 and {steps}")
    return [
        (fig4, "fig4_targets.png", f"Fig. 4: t-SNE (cosine) of the targets õ_l, l = 1..5 (columns), at iterations "
                                   f"0 (top) and {s100} (bottom), {n} balanced test digits. Each title gives the raw "
                                   f"vectors' leave-one-out cosine {k}-NN accuracy and silhouette."),
        (fig5, "fig5_z1_vs_target1.png", "Fig. 5: the target õ_1 (top) and the feature z_1 (bottom) at iterations "
                                         f"{', '.join(map(str, fig5_steps))}."),
        (fig6, "fig6_features.png", "Fig. 6: t-SNE (cosine) of the encoded features z_l, l = 1..5, before training "
                                    f"(top) and after {steps:,} iterations (bottom)."),
    ]


def cosine_curve_figure(cos_curve: Mapping[int, Sequence[float]]) -> Any:
    """Mean cos(z_l, −õ_l) against the iteration (log axis, 0 drawn at 1), one line per layer.

    Args:
      cos_curve: ``{iteration: [mean cos for l = 1, 2, …]}``.

    Returns:
      The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    steps = sorted(cos_curve)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    xs = np.array(steps, float)
    for l in range(1, len(cos_curve[steps[0]]) + 1):
        ax.plot(np.maximum(xs, 1), [cos_curve[s][l - 1] for s in steps], marker="o", label=f"l = {l}")
    ax.set_xscale("log")
    ax.set_xlabel("iteration (0 drawn at 1)")
    ax.set_ylabel("mean cos(z_l, −õ_l)")
    ax.axhline(0, color="gray", lw=0.5)
    ax.legend(fontsize=8)
    ax.set_title("fp-DNN features vs bp-DNN targets through training", fontsize=9)
    fig.tight_layout()
    return fig


def _show(ax, img, signed: bool = False, title: str | None = None) -> None:
    img = np.asarray(img).reshape(28, 28)
    if signed:
        v = np.max(np.abs(img)) or 1.0
        ax.imshow(img, cmap="seismic", vmin=-v, vmax=v)
    else:
        ax.imshow(img, cmap="gray")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=7)


def _finish(fig, title: str | None) -> None:
    if title:
        fig.suptitle(title, fontsize=8)


def reconstruction_figure(digits: Any, columns: Sequence[tuple[str, Any]], labels: Any,
                          per_row: int = 3, title: str | None = None) -> Any:
    """Fig. 7 layout: each instance shows its digit, then one image per entry of ``columns``.

    ``columns`` is ``[(name, maps), …]`` or ``[(name, maps, scores), …]`` with maps (N, 784)
    and optional per-instance ``scores`` shown in the panel title. Instances are laid out
    ``per_row`` to a row (one row per class when the digits come grouped by class). Maps are
    drawn with a diverging colour map centred at zero (red positive, blue negative).

    Returns:
      The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    digits = np.asarray(digits)
    n = len(digits)
    nrows = int(np.ceil(n / per_row))
    ncols = per_row * (1 + len(columns))
    fig, axes = plt.subplots(nrows, ncols, figsize=(0.95 * ncols, 1.15 * nrows + 0.4), squeeze=False,
                             layout="constrained")
    for ax in axes.ravel():
        ax.axis("off")
    for i in range(n):
        r, c0 = divmod(i, per_row)
        c0 *= 1 + len(columns)
        ax = axes[r][c0]
        ax.axis("on")
        _show(ax, digits[i], title=f"digit {labels[i]}")
        for j, col in enumerate(columns, start=1):
            name, maps = col[0], col[1]
            label = name if len(col) < 3 else f"{name} r={float(col[2][i]):.2f}"
            ax = axes[r][c0 + j]
            ax.axis("on")
            _show(ax, np.asarray(maps)[i], signed=True, title=label)
    _finish(fig, title)
    return fig


def overlay_figure(digits: Any, guided: Any, labels: Any, n_boxes: int = 2, per_row: int = 5,
                   title: str | None = None) -> Any:
    """Fig. 8 style: each digit with boxes on the regions guided-bp-DNN highlights most, beside the map.

    Args:
      digits: (N, 784) images; guided: (N, 784) maps; labels: (N,) classes.
      n_boxes: boxes per digit (:func:`~jaxprobe.studies.bp_dnn.measures.highlight_boxes`;
        red = strongest, then green); per_row: digits per row; title: the figure's title.

    Returns:
      The matplotlib figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    digits, guided = np.asarray(digits), np.asarray(guided)
    n = len(digits)
    nrows = int(np.ceil(n / per_row))
    fig, axes = plt.subplots(nrows, 2 * per_row, figsize=(1.0 * 2 * per_row, 1.15 * nrows + 0.4),
                             squeeze=False, layout="constrained")
    for ax in axes.ravel():
        ax.axis("off")
    colors = ["red", "lime", "yellow", "cyan"]
    for i in range(n):
        r, c = divmod(i, per_row)
        ax_d, ax_g = axes[r][2 * c], axes[r][2 * c + 1]
        ax_d.axis("on")
        ax_g.axis("on")
        _show(ax_d, digits[i], title=f"digit {labels[i]}")
        _show(ax_g, guided[i], signed=True, title="guided")
        for k, (r0, c0, r1, c1) in enumerate(highlight_boxes(guided[i], n_boxes=n_boxes)):
            for ax in (ax_d, ax_g):
                ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False,
                                       edgecolor=colors[k % len(colors)], linewidth=1.2))
    _finish(fig, title)
    return fig


def fig7_figure(digits: Any, labels: Any, maps: Mapping[str, Any], r: Mapping[str, Any]) -> Any:
    """Fig. 7: digits 0–4, the first three instances of each, beside their bp-DNN and guided maps.

    Args:
      digits: (N, 784); labels: (N,); maps: ``{'bp', 'guided'}`` (N, 784) maps; r: per-digit
        Pearson r of each map with its digit, shown in the panel titles.

    Returns:
      The matplotlib figure.
    """
    labels = np.asarray(labels)
    sel = np.concatenate([np.flatnonzero(labels == c)[:3] for c in range(5)])
    return reconstruction_figure(
        np.asarray(digits)[sel], [(name, np.asarray(maps[key])[sel], np.asarray(r[key])[sel])
                                  for name, key in (("bp-DNN", "bp"), ("guided", "guided"))], labels[sel],
        title="Fig. 7: digit, bp-DNN (−z̃_0 from p − y), guided-bp-DNN (from y); red > 0, blue < 0")


def fig8_figure(digits: Any, labels: Any, guided: Any) -> Any:
    """Fig. 8 style: the 4th and 5th instance of every class with their two strongest guided regions.

    Returns:
      The matplotlib figure.
    """
    labels = np.asarray(labels)
    sel = np.concatenate([np.flatnonzero(labels == c)[3:5] for c in range(10)])
    return overlay_figure(np.asarray(digits)[sel], np.asarray(guided)[sel], labels[sel], n_boxes=2, per_row=4,
                          title="Fig. 8 style: boxes on the two strongest (smoothed) guided-bp-DNN regions")


def seed_spread_figure(judged: Sequence[Any], seeds: Sequence[int]) -> Any:
    """One panel per claim: its headline number for every seed (dots), their mean (grey line), and the
    criterion's bar on the number (dashed) where it has one.

    Args:
      judged: ``over_seeds.SeedClaim``s; seeds: the seeds, in the order of their values.

    Returns:
      The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    n = len(judged)
    ncols = 5
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.1 * nrows), squeeze=False, layout="constrained")
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    for ax, c in zip(axes.ravel(), judged):
        v = np.asarray(c.values, np.float64)
        xs = np.arange(len(v))
        ax.axhline(v.mean(), color="0.55", lw=3, alpha=0.6, zorder=0)
        ax.plot(xs, v, "o", color="C0", zorder=2)
        if c.headline.bar is not None:
            ax.axhline(c.headline.bar, color="C3", ls="--", lw=1)
        positive = np.all(v > 0) and (c.headline.bar is None or c.headline.bar > 0)
        if positive and v.max() / v.min() > 100 or (positive and c.headline.bar is not None and c.headline.bar < 1e-3):
            ax.set_yscale("log")
        ax.set_xticks(xs, [str(s) for s in seeds], fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(f"{c.row.criterion.claim[:48]}\n{c.headline.label[:52]}\n→ {c.row.verdict}", fontsize=6.5)
    fig.suptitle(f"Claims over {len(seeds)} seeds (x: seed; grey line: mean; dashed red: the criterion's bar)", fontsize=9)
    return fig


def silhouette_spread_figure(discs: Sequence[Mapping], snap_steps: Sequence[int], n_hidden: int = 5,
                             bar: float = 0.25) -> Any:
    """Silhouettes of õ_l and z_l through training over seeds: the mean (line) and range (band) per layer.

    Args:
      discs: one ``{(kind, l, step): (knn, silhouette)}`` per seed; snap_steps: the iterations.
      n_hidden: layers l = 1..n_hidden; bar: the 'discriminant' bar, drawn dashed.

    Returns:
      The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    xs = np.maximum(np.asarray(snap_steps, float), 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, (kind, sym) in zip(axes, (("targets", "õ"), ("z", "z"))):
        for l in range(1, n_hidden + 1):
            sil = np.array([[d[(kind, l, s)][1] for s in snap_steps] for d in discs])
            ax.plot(xs, sil.mean(0), marker="o", ms=3, color=f"C{l - 1}", label=f"l = {l}")
            ax.fill_between(xs, sil.min(0), sil.max(0), color=f"C{l - 1}", alpha=0.2, lw=0)
        ax.axhline(bar, color="gray", ls="--", lw=1)
        ax.set_xscale("log")
        ax.set_xlabel("iteration (0 drawn at 1)")
        ax.set_title(f"cosine silhouette of {sym}_l over {len(discs)} seeds (mean, range)", fontsize=9)
    axes[0].set_ylabel("silhouette")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig
