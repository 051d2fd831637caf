"""Seed 000's measurements on networks and maps: numbers out, no verdicts.

* :func:`direct_loss_gradient_errors` — relative errors between the gradients of the direct
  losses ℓ^fp (eq. 6) and ℓ^bp (eq. 9) and the true loss's gradient, layer by layer (eq. 7, 10).
* :func:`cosine_to_targets` — mean cos(z_l, −õ_l) per layer, the quantity ℓ^fp rewards (§3.1).
* :func:`highlight_boxes` — boxes around the strongest regions of a map (Fig. 8).
* :func:`box_centres_on_ink`, :func:`near_ink_area` — do Fig. 8's boxes sit on strokes?

The generic measures live in the library: class-balanced probe sets (``jaxprobe.data.sampling``),
z_l and õ_l per layer (``jaxprobe.probes.activations``), per-example cosine and correlation
(``jaxprobe.analysis.similarity``).
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from scipy.ndimage import gaussian_filter, maximum_filter
from scipy.stats import wilcoxon

from jaxprobe.analysis.similarity import positive_mass_on_ink, rowwise_cosine, rowwise_pearson
from jaxprobe.flows import bp_dnn_targets
from jaxprobe.losses import bp_direct_loss, fp_direct_loss
from jaxprobe.models import Network

__all__ = [
    "direct_loss_gradient_errors",
    "cosine_to_targets",
    "highlight_boxes",
    "box_centres_on_ink",
    "near_ink_area",
    "paired_comparison",
    "reconstruction_scores",
]


def _rel_err(got, want) -> float:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))


def direct_loss_gradient_errors(model: Network, params, x, y, target_labels=None) -> list[dict]:
    """Per layer l = 1..L: how far the direct losses' gradients are from the true loss's.

    The true loss is ℓ = Σ_i −log p_{y_i}(x_i) over the batch. The direct losses use o_{l-1}
    from the forward trace and õ_l from ``bp_dnn_targets`` as constants (seed 000 eq. 6–10):
    ∂ℓ^fp/∂W_l and ∂ℓ^fp/∂b_l should equal ∂ℓ/∂W_l and ∂ℓ/∂b_l (eq. 7); −∂ℓ^bp/∂W_l should equal
    ∂ℓ/∂W_l (eq. 10).

    Args:
      model, params: the network.
      x: a batch of inputs (N, 784); y: their integer labels (N,).
      target_labels: labels bp-DNN starts from (p − y') to make the targets õ_l; default ``y``.
        Other labels give a negative control: the identity must then fail.

    Returns:
      ``[{'layer', 'fp_kernel', 'fp_bias', 'bp_kernel', 'grad_norm'}, …]``, one dict per layer:
      the relative errors ‖g_direct − g_true‖ / ‖g_true‖ and ‖∂ℓ/∂W_l‖.
    """
    x = jnp.asarray(x)
    y = jnp.asarray(y)

    def true_loss(p):
        logits = model.apply(p, x)
        return -jnp.sum(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))

    g_true = jax.grad(true_loss)(params)
    trace = model.trace(params, x)
    flow = bp_dnn_targets(model, params, x, y if target_labels is None else jnp.asarray(target_labels))
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

    Args:
      saliency_map: a map with ``prod(shape)`` entries.
      n_boxes: how many boxes at most; box: their side in pixels; smooth: Gaussian σ in pixels.
      shape: the image shape.

    Returns:
      Up to ``n_boxes`` tuples ``(row0, col0, row1, col1)``, strongest first (fewer when the map
      has too little positive mass).

    >>> m = np.zeros(784); m[5 * 28 + 5] = 1.0
    >>> highlight_boxes(m, n_boxes=1)
    [(2, 2, 9, 9)]
    """
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


def cosine_to_targets(features: dict) -> list[float]:
    """Mean over examples of cos(z_l, −õ_l), for each hidden layer l (seed 000 §3.1).

    ℓ^fp(o_{l−1}, −õ_l) = −õ_lᵀ z_l grows as z_l turns towards −õ_l: the seed reads it as a
    cosine objective ("trains W_l so that z_l is close to the target −õ_l in cosine distance").

    Args:
      features: ``{'z': [z_1, …], 'targets': [õ_1, …]}``, each (N, width_l)
        (``jaxprobe.probes.activations.encoder_decoder_features``).

    Returns:
      ``[mean_i cos(z_l,i, −õ_l,i) for l = 1, 2, …]``.

    >>> z = [np.array([[1.0, 0.0], [0.0, 2.0]])]
    >>> cosine_to_targets({"z": z, "targets": [-z[0]]})
    [1.0]
    """
    return [float(np.mean(rowwise_cosine(z, -t))) for z, t in zip(features["z"], features["targets"])]


def box_centres_on_ink(digits: Any, maps: Any, n_boxes: int = 2, threshold: float = 0.5) -> float:
    """Share of the ``n_boxes`` strongest highlight boxes per map centred within 1 px of ink.

    A box centre counts as on ink when any pixel of the 3×3 patch around it exceeds
    ``threshold``. Compare with :func:`near_ink_area`, the share of pixels that would pass.

    Args:
      digits: (N, 784) images in [0, 1]; maps: (N, 784) maps (e.g. guided-bp-DNN's).
      n_boxes: boxes per map (:func:`highlight_boxes`).
      threshold: ink level.

    Returns:
      The share in [0, 1] (NaN when no map has a positive entry).
    """
    digits, maps = np.asarray(digits), np.asarray(maps)
    flags = []
    for digit, m in zip(digits, maps):
        img = digit.reshape(28, 28)
        for r0, c0, r1, c1 in highlight_boxes(m, n_boxes=n_boxes)[:n_boxes]:
            rc, cc = (r0 + r1) // 2, (c0 + c1) // 2
            flags.append(bool(img[max(rc - 1, 0):rc + 2, max(cc - 1, 0):cc + 2].max() > threshold))
    return float(np.mean(flags)) if flags else float("nan")


def near_ink_area(digits: Any, threshold: float = 0.5) -> float:
    """Share of the image area within 1 px (a 3×3 neighbourhood) of an ink pixel.

    >>> d = np.zeros((1, 784)); d[0, 14 * 28 + 14] = 1.0
    >>> round(near_ink_area(d) * 784)
    9
    """
    return float(np.mean([maximum_filter(im.reshape(28, 28), size=3) > threshold for im in np.asarray(digits)]))


def paired_comparison(a: Any, b: Any, min_pairs: int = 11) -> dict:
    """How often ``a_i > b_i`` over the pairs where both are defined, and a Wilcoxon test.

    Args:
      a, b: per-example scores of equal length (NaN where undefined, e.g. ``rowwise_pearson``).
      min_pairs: fewest defined pairs for the signed-rank test (fewer: p is NaN).

    Returns:
      ``{'fraction_higher': share of pairs with a > b, 'p_value': two-sided Wilcoxon signed-rank
      p of a − b, 'n': number of defined pairs}``.

    Raises:
      ValueError: if ``a`` and ``b`` differ in length.

    >>> paired_comparison([0.5, 0.4, float("nan")], [0.1, 0.6, 0.2])["fraction_higher"]
    0.5
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"b: shape {b.shape} does not match a's {a.shape}; pass one score per example in each.")
    both = ~np.isnan(a) & ~np.isnan(b)
    diff = a[both] - b[both]
    return {"fraction_higher": float(np.mean(diff > 0)) if diff.size else float("nan"),
            "p_value": float(wilcoxon(diff).pvalue) if both.sum() >= min_pairs else float("nan"),
            "n": int(both.sum())}


def reconstruction_scores(maps: dict, digits: Any) -> dict:
    """How each input-space map of Fig. 7 matches its own digit, and the paired comparisons.

    Args:
      maps: ``protocol.input_space_maps`` output ('bp', 'guided', 'guided_backprop', 'grad_logit').
      digits: the (N, 784) digits the maps were computed for.

    Returns:
      ``{'r': {name: per-digit Pearson r}, 'mean_r': {name: mean of r over defined digits}, 'ink': {name: per-digit positive mass on ink},
      'ink_area': share of ink pixels, 'paired': paired_comparison(r guided, r bp),
      'guided_vs_guided_backprop': max |guided − guided backprop| / max |guided backprop|}``
      for the names 'bp', 'guided' and 'grad_logit'.
    """
    names = ("bp", "guided", "grad_logit")
    gbp = maps["guided_backprop"]
    r = {n: rowwise_pearson(maps[n], digits) for n in names}
    return {
        "r": r,
        "mean_r": {n: float(np.nanmean(r[n])) for n in names},
        "ink": {n: positive_mass_on_ink(maps[n], digits) for n in names},
        "ink_area": float(np.mean(np.asarray(digits) > 0.5)),
        "paired": paired_comparison(r["guided"], r["bp"]),
        "guided_vs_guided_backprop": float(np.max(np.abs(maps["guided"] - gbp)) / max(float(np.max(np.abs(gbp))), 1e-30)),
    }
