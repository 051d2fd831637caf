"""Measurements behind seed 000's (Xie & Lai) fp-DNN/bp-DNN reading of training.

Helpers used by ``experiments/bp_dnn.py`` that are not flows themselves:

* :func:`balanced_indices` — a fixed, class-balanced set of examples to probe.
* :func:`encoder_decoder_features` — the encoded features z_l (fp-DNN) and the targets
  õ_l = ∂ℓ/∂z_l (bp-DNN, top signal p − y with the true label) for l = 1..L−1, as numpy.
* :func:`rowwise_cosine` — per-example cos(z_l, −õ_l), the quantity seed 000 §3.1 reads the
  direct loss ℓ^fp as maximising.
* :func:`direct_loss_gradient_errors` — relative errors between the gradients of the direct
  losses ℓ^fp (eq. 6) and ℓ^bp (eq. 9) and the true loss's gradient, layer by layer.
* :func:`rowwise_pearson` — correlation of each input-space reconstruction with its own digit
  (Fig. 7 quantified), and :func:`highlight_boxes` for a Fig. 8-style overlay.
* :func:`reconstruction_figure`, :func:`overlay_figure` — the Fig. 7 / Fig. 8 layouts.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe.direct_losses import bp_direct_loss, fp_direct_loss
from jaxprobe.flows import bp_dnn_targets
from jaxprobe.models import Network

__all__ = [
    "balanced_indices",
    "encoder_decoder_features",
    "rowwise_cosine",
    "rowwise_pearson",
    "positive_mass_on_ink",
    "direct_loss_gradient_errors",
    "highlight_boxes",
    "reconstruction_figure",
    "overlay_figure",
]


def balanced_indices(labels: Any, n_per_class: int, seed: int = 0) -> np.ndarray:
    """``n_per_class`` indices of each class of ``labels``, drawn without replacement.

    Returned in class order (all of class 0, then class 1, …), deterministic for a ``seed``.

    Raises:
      ValueError: a class has fewer than ``n_per_class`` examples.
    """
    y = np.asarray(labels)
    if y.ndim != 1:
        raise ValueError(f"labels: expected a 1-D array, got shape {y.shape}")
    rng = np.random.default_rng(seed)
    out = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        if idx.size < n_per_class:
            raise ValueError(f"n_per_class: class {c!r} has only {idx.size} examples, asked for {n_per_class}")
        out.append(np.sort(rng.choice(idx, n_per_class, replace=False)))
    return np.concatenate(out)


def encoder_decoder_features(model: Network, params, x, y, batch_size: int = 1000) -> dict:
    """z_l (fp-DNN) and õ_l (bp-DNN targets, from p − y) of the hidden layers l = 1..L−1.

    Returns ``{'z': [z_1, …, z_{L-1}], 'targets': [õ_1, …, õ_{L-1}]}`` of float32 numpy arrays,
    each (N, width_l), computed in batches of ``batch_size``.
    """
    n_hidden = model.n_layers - 1
    zs = [[] for _ in range(n_hidden)]
    ts = [[] for _ in range(n_hidden)]
    x = np.asarray(x)
    y = np.asarray(y)
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        trace = model.trace(params, xb)
        flow = bp_dnn_targets(model, params, xb, yb)
        for l in range(n_hidden):
            zs[l].append(np.asarray(trace.pre[l]).reshape(len(xb), -1))
            ts[l].append(np.asarray(flow.targets[l]).reshape(len(xb), -1))
    return {"z": [np.concatenate(a) for a in zs], "targets": [np.concatenate(a) for a in ts]}


def rowwise_cosine(a: Any, b: Any) -> np.ndarray:
    """cos(a_i, b_i) for each row i (rows flattened); 0 where either row is all zero."""
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    if a.shape != b.shape:
        raise ValueError(f"b: shape {b.shape} does not match a's {a.shape}")
    num = np.sum(a * b, axis=1)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def rowwise_pearson(a: Any, b: Any) -> np.ndarray:
    """Pearson correlation of a_i with b_i over their entries, for each row i.

    NaN where a row is constant (zero variance), so callers can count and drop those.
    """
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    if a.shape != b.shape:
        raise ValueError(f"b: shape {b.shape} does not match a's {a.shape}")
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    out = np.full(len(a), np.nan)
    ok = den > 0
    out[ok] = np.sum(a[ok] * b[ok], axis=1) / den[ok]
    return out


def positive_mass_on_ink(maps: Any, digits: Any, threshold: float = 0.5) -> np.ndarray:
    """Per example, the share of a map's positive mass that falls on ink pixels (digit > ``threshold``).

    Compare it with the ink's share of the image area (``np.mean(digits > threshold, axis=1)``):
    a map that highlights the strokes puts far more of its mass on ink than the area share.
    NaN where a map has no positive entry.
    """
    m = np.clip(np.asarray(maps, np.float64).reshape(len(maps), -1), 0, None)
    ink = np.asarray(digits).reshape(len(digits), -1) > threshold
    if m.shape != ink.shape:
        raise ValueError(f"digits: shape {ink.shape} does not match maps' {m.shape}")
    total = m.sum(axis=1)
    out = np.full(len(m), np.nan)
    ok = total > 0
    out[ok] = (m * ink).sum(axis=1)[ok] / total[ok]
    return out


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
