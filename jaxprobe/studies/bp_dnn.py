"""Study: seed 000 (Xie & Lai, PRCV 2018), fp-DNN and bp-DNN read as encoder and decoder.

* :func:`direct_loss_gradient_errors` — relative errors between the gradients of the direct
  losses ℓ^fp (eq. 6) and ℓ^bp (eq. 9) and the true loss's gradient, layer by layer.
* :func:`highlight_boxes` — boxes around the strongest regions of a map, for a Fig. 8-style overlay.
* :func:`reconstruction_figure`, :func:`overlay_figure` — the Fig. 7 / Fig. 8 layouts.

The generic measures it relies on live in the library: class-balanced probe sets
(``jaxprobe.data.sampling``), z_l and õ_l per layer (``jaxprobe.probes.activations``),
per-example cosine and correlation (``jaxprobe.analysis.similarity``).
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe.flows import bp_dnn_targets
from jaxprobe.losses import bp_direct_loss, fp_direct_loss
from jaxprobe.models import Network

__all__ = [
    "direct_loss_gradient_errors",
    "highlight_boxes",
    "reconstruction_figure",
    "overlay_figure",
]


def _rel_err(got, want) -> float:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))


def direct_loss_gradient_errors(model: Network, params, x, y) -> list[dict]:
    """Per layer l = 1..L: how far the direct losses' gradients are from the true loss's.

    The true loss is ℓ = Σ_i −log p_{y_i}(x_i) over the batch. The direct losses use o_{l-1}
    from the forward trace and õ_l from ``bp_dnn_targets`` as constants (seed 000 eq. 6–10):
    ∂ℓ^fp/∂W_l and ∂ℓ^fp/∂b_l should equal ∂ℓ/∂W_l and ∂ℓ/∂b_l; −∂ℓ^bp/∂W_l should equal ∂ℓ/∂W_l.
    Returns ``[{'layer', 'fp_kernel', 'fp_bias', 'bp_kernel', 'grad_norm'}, …]`` of relative errors
    ‖g_direct − g_true‖ / ‖g_true‖.
    """
    x = jnp.asarray(x)
    y = jnp.asarray(y)

    def true_loss(p):
        logits = model.apply(p, x)
        return -jnp.sum(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))

    g_true = jax.grad(true_loss)(params)
    trace = model.trace(params, x)
    flow = bp_dnn_targets(model, params, x, y)
    rows = []
    for l in range(1, model.n_layers + 1):
        o_prev, target = trace.inputs[l - 1], flow.targets[l - 1]

        def with_layer(p_l, fn):
            p = tuple(p_l if k == l - 1 else params[k] for k in range(model.n_layers))
            return fn(model, p, l, o_prev, target)

        g_fp = jax.grad(lambda p_l: with_layer(p_l, fp_direct_loss))(params[l - 1])
        g_bp = jax.grad(lambda p_l: with_layer(p_l, bp_direct_loss))(params[l - 1])
        rows.append({
            "layer": l,
            "fp_kernel": _rel_err(g_fp["kernel"], g_true[l - 1]["kernel"]),
            "fp_bias": _rel_err(g_fp["bias"], g_true[l - 1]["bias"]),
            "bp_kernel": _rel_err(-g_bp["kernel"], g_true[l - 1]["kernel"]),
            "grad_norm": float(np.linalg.norm(np.asarray(g_true[l - 1]["kernel"]))),
        })
    return rows


def highlight_boxes(saliency_map: Any, n_boxes: int = 2, box: int = 7, smooth: float = 1.5,
                    shape: tuple = (28, 28)) -> list[tuple[int, int, int, int]]:
    """Boxes (row0, col0, row1, col1) around the ``n_boxes`` strongest positive regions.

    The positive part of the map is smoothed with a Gaussian (``smooth`` pixels); peaks are
    taken greedily, each at least ``box`` pixels from the previous ones, and a ``box``-wide
    square is centred on each, clipped to the image.
    """
    from scipy.ndimage import gaussian_filter

    m = np.clip(np.asarray(saliency_map, np.float64).reshape(shape), 0, None)
    m = gaussian_filter(m, smooth)
    boxes, half = [], box // 2
    for _ in range(n_boxes):
        if m.max() <= 0:
            break
        r, c = np.unravel_index(np.argmax(m), m.shape)
        r0, c0 = max(r - half, 0), max(c - half, 0)
        r1, c1 = min(r + half + 1, shape[0]), min(c + half + 1, shape[1])
        boxes.append((int(r0), int(c0), int(r1), int(c1)))
        m[max(r - box, 0):r + box + 1, max(c - box, 0):c + box + 1] = 0.0
    return boxes


def _show(ax, img, signed=False, title=None):
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


def _finish(fig, title):
    if title:
        fig.suptitle(title, fontsize=8)


def reconstruction_figure(digits: Any, columns: Sequence[tuple[str, Any]], labels: Any,
                          per_row: int = 3, title: str | None = None) -> Any:
    """Fig. 7 layout: each instance shows its digit, then one image per entry of ``columns``.

    ``columns`` is ``[(name, maps), …]`` or ``[(name, maps, scores), …]`` with maps (N, 784)
    and optional per-instance ``scores`` shown in the panel title. Instances are laid out
    ``per_row`` to a row (one row per class when the digits come grouped by class). Maps are
    drawn with a diverging colour map centred at zero (red positive, blue negative).
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
    """Fig. 8 style: each digit with boxes on the regions guided-bp-DNN highlights most, beside the map."""
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
