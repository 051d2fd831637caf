"""Figures of the seed-004 study (each returns a matplotlib figure; the experiment saves it).

* :func:`fig4_reconstructions` — Fig. 4: image with the unit's FOV, then deconvnet, deconvnet with
  masks, masks with random weights, random weights without masks, and the exact filter.
* :func:`correlation_bars` — the FOV correlations per method with their intervals.
* :func:`filter_depth` — exact filters per conv layer and their correlations with image and gradients.
* :func:`best_input_grid` — §4 / Fig. 5: the inputs found from several starts and their exact filters.
* :func:`top_images` — max-activating test images of a few units.
* :func:`fig6_histograms` — Fig. 6: shares of active features per location, per layer.
"""

from __future__ import annotations

import numpy as np

METHOD_LABELS = {
    "deconvnet": "deconvnet (eq. 4–5)",
    "deconvnet_masked": "+ masks (eq. 6–7)",
    "random_masked": "random W + masks",
    "random_unmasked": "random W, no masks",
    "exact_filter": "exact filter (eq. 8–9)",
}


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _signed(ax, img, title=None):
    img = np.asarray(img)
    v = float(np.max(np.abs(img))) or 1.0
    ax.imshow(img, cmap="seismic", vmin=-v, vmax=v)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=7)


def _grey(ax, img, title=None, box=None):
    from matplotlib.patches import Rectangle

    ax.imshow(np.asarray(img), cmap="gray")
    ax.set_xticks([])
    ax.set_yticks([])
    if box is not None and np.asarray(box).any():
        rows, cols = np.flatnonzero(np.asarray(box).any(1)), np.flatnonzero(np.asarray(box).any(0))
        ax.add_patch(Rectangle((cols[0] - 0.5, rows[0] - 0.5), cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1,
                               fill=False, edgecolor="lime", linewidth=1.0))
    if title:
        ax.set_title(title, fontsize=7)


def fig4_reconstructions(m: dict, n_units: int = 2, n_images: int = 2, title: str = ""):
    """Fig. 4 for ``n_units`` features at the first probed location and ``n_images`` images on
    which both are active (or any images when none is)."""
    plt = _plt()
    maps, units, masks, images = m["maps"], m["units"], m["masks"], m["images"]
    first = np.flatnonzero((units.position == units.position[0]).all(1))
    energy = np.abs(maps["exact_filter"][:, first]).sum(axis=(-2, -1))  # (N, U_first)
    active_units = first[np.argsort(-(energy > 0).sum(0))[:n_units]]
    both = np.flatnonzero((np.abs(maps["exact_filter"][:, active_units]).sum(axis=(-2, -1)) > 0).all(1))
    picks = (both if both.size else np.arange(len(images)))[:n_images]
    rows = [(i, u) for i in picks for u in active_units]
    fig, axes = plt.subplots(len(rows), 1 + len(METHOD_LABELS), figsize=(1.3 * (1 + len(METHOD_LABELS)),
                                                                        1.35 * len(rows) + 0.5),
                             squeeze=False, layout="constrained")
    for r, (i, u) in enumerate(rows):
        _grey(axes[r][0], images[i], f"image {i}, ch {units.channel[u]}", box=masks[u])
        for c, (name, label) in enumerate(METHOD_LABELS.items(), start=1):
            _signed(axes[r][c], maps[name][i, u], label if r == 0 else None)
    fig.suptitle(title or "Fig. 4: flows from one unit of the last conv layer (red > 0, blue < 0; green: FOV)",
                 fontsize=8)
    return fig


def correlation_bars(summaries: dict, title: str = ""):
    """Bars of mean r(own image) and r(other image) inside the FOV per method, with 95 % intervals,
    for each network in ``summaries`` ({label: correlation summary})."""
    plt = _plt()
    names = list(METHOD_LABELS)
    fig, ax = plt.subplots(figsize=(8, 3.2), layout="constrained")
    width = 0.8 / (2 * len(summaries))
    for k, (label, s) in enumerate(summaries.items()):
        for j, which in enumerate(("own", "other")):
            est = np.array([s[n][which]["estimate"] for n in names])
            lo = np.array([s[n][which]["low"] for n in names])
            hi = np.array([s[n][which]["high"] for n in names])
            x = np.arange(len(names)) + (2 * k + j - len(summaries) + 0.5) * width
            ax.bar(x, est, width, yerr=[est - lo, hi - est], capsize=2, alpha=1.0 if which == "own" else 0.45,
                   label=f"{label}: {'own' if which == 'own' else 'another'} image", color=f"C{k}")
    ax.axhline(0, color="k", linewidth=0.6)
    ax.set_xticks(np.arange(len(names)), [METHOD_LABELS[n] for n in names], fontsize=7)
    ax.set_ylabel("Pearson r inside the FOV")
    ax.legend(fontsize=7)
    ax.set_title(title or "Does the image appear inside the FOV? (95 % two-way bootstrap intervals)", fontsize=8)
    return fig


def filter_depth(m: dict, control: dict | None = None, title: str = ""):
    """Top: example exact filters per conv layer (one image, four channels, FOV crops). Bottom:
    mean |r| of the filters with the image, its gradient magnitude, its oriented derivatives."""
    plt = _plt()
    layers = list(m["filters"])
    fig = plt.figure(figsize=(1.4 * max(len(layers), 4) + 1, 5.2), layout="constrained")
    sub = fig.subfigures(2, 1, height_ratios=[1.2, 1])
    axes = sub[0].subplots(4, len(layers), squeeze=False)
    for c, layer in enumerate(layers):
        ex = m["filter_examples"][layer]
        for r in range(4):
            ax = axes[r][c]
            if r < ex["filters"].shape[1]:
                mask = ex["masks"][r]
                rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
                _signed(ax, ex["filters"][0, r][rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1],
                        f"layer {layer}" if r == 0 else None)
            else:
                ax.axis("off")
    ax = sub[1].subplots()
    for k, (label, mm) in enumerate([("trained", m)] + ([("untrained", control)] if control else [])):
        for j, (key, name) in enumerate((("abs_r_image", "image"), ("abs_r_gradient", "|∇ image|"),
                                         ("abs_r_oriented", "oriented ∂"))):
            est = [mm["filters"][lay][key]["estimate"] for lay in layers]
            lo = [mm["filters"][lay][key]["low"] for lay in layers]
            hi = [mm["filters"][lay][key]["high"] for lay in layers]
            ax.errorbar(np.array(layers) + 0.05 * (3 * k + j), est, yerr=[np.subtract(est, lo), np.subtract(hi, est)],
                        marker="o", linestyle="-" if k == 0 else ":", color=f"C{j}", capsize=2,
                        label=f"{label}: |r| with {name}")
    ax.set_xticks(layers)
    ax.set_xlabel("conv layer")
    ax.set_ylabel("mean |r| inside the FOV")
    ax.legend(fontsize=6, ncol=2)
    fig.suptitle(title or "Exact filters (eq. 8–9) per depth: image patch or local gradients?", fontsize=8)
    return fig


def best_input_grid(m: dict, n_units: int = 3, title: str = ""):
    """Rows: units; columns: the inputs found from each start (FOV crop), then the exact filter at
    the first of them."""
    plt = _plt()
    b = m["best"]
    x, f, masks, units = b["inputs"], b["filters"], b["masks"], b["units"]
    n_units = min(n_units, len(x))
    n_starts = x.shape[1]
    fig, axes = plt.subplots(n_units, n_starts + 1, figsize=(1.3 * (n_starts + 1), 1.4 * n_units + 0.4),
                             squeeze=False, layout="constrained")
    for u in range(n_units):
        rows, cols = np.flatnonzero(masks[u].any(1)), np.flatnonzero(masks[u].any(0))
        crop = lambda a: a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        for s in range(n_starts):
            _grey(axes[u][s], crop(x[u, s]), f"ch {units.channel[u]}, start {s}")
        _signed(axes[u][n_starts], crop(f[u, 0]), "exact filter at start 0")
    fig.suptitle(title or "§4 / Fig. 5: inputs maximising one unit from different random starts (FOV crops)",
                 fontsize=8)
    return fig


def top_images(m: dict, n_units: int = 4, title: str = ""):
    """Rows: a few units of the first and the last conv layer; columns: their top-k test images."""
    plt = _plt()
    rows = []
    for layer, top in m["top"].items():
        for u in range(min(n_units, len(top["indices"]))):
            rows.append((layer, top, u))
    k = rows[0][1]["indices"].shape[1]
    fig, axes = plt.subplots(len(rows), k, figsize=(0.95 * k, 1.05 * len(rows) + 0.4), squeeze=False,
                             layout="constrained")
    for r, (layer, top, u) in enumerate(rows):
        for j in range(k):
            img = m["search_images"][top["indices"][u, j]] if "search_images" in m else None
            if img is None:
                axes[r][j].axis("off")
                continue
            _grey(axes[r][j], img, f"L{layer} ch {top['units'].channel[u]}" if j == 0 else None, box=top["masks"][u])
    fig.suptitle(title or "Max-activating test images (green: the unit's FOV)", fontsize=8)
    return fig


def fig6_histograms(fractions: dict, bins: int = 20, control: dict | None = None, title: str = ""):
    """Per layer: histogram over locations of the share of active features, for the typical image
    (bars) and over the test images (line); the untrained network dashed when given."""
    from jaxprobe.analysis.active_features import fraction_histogram

    plt = _plt()
    names = list(fractions)
    fig, axes = plt.subplots(1, len(names), figsize=(1.9 * len(names), 2.2), squeeze=False, layout="constrained")
    centres = (np.arange(bins) + 0.5) / bins
    for ax, name in zip(axes[0], names):
        f = fractions[name]
        ax.bar(centres, fraction_histogram(f["typical"], bins), width=1 / bins, color="C0", alpha=0.6,
               label="typical image")
        ax.plot(centres, fraction_histogram(f["set"], bins), color="C1", label="test set")
        if control is not None:
            ax.plot(centres, fraction_histogram(control[name]["set"], bins), "k--", linewidth=0.8,
                    label="untrained, test set")
        ax.set_title(f"{name}: mean {f['mean_set']:.2f}", fontsize=7)
        ax.set_xlabel("share of features active", fontsize=6)
        ax.tick_params(labelsize=6)
    axes[0][0].set_ylabel("share of locations", fontsize=7)
    axes[0][0].legend(fontsize=5)
    fig.suptitle(title or "Fig. 6: how many features are active at a location, per layer", fontsize=8)
    return fig
