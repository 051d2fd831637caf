"""The measurements of the seed-004 study, for any CNN of the VGG family (conv stages, then dense)
on grey images (N, H, W).

Each function takes a network, its parameters and images and returns plain arrays; the claims
(``claims.py``) turn them into verdicts and ``figures.py`` draws them.

* :func:`probe_units` — every channel of a conv layer at a few central positions.
* :func:`reconstructions` — deconvnet (eq. 4–5), deconvnet with masks (eq. 6–7), masks with random
  weights matched in mean and variance (eq. 6–7, D draws), random weights without masks (the
  control the seed does not show) and the exact filter (eq. 8–9), for every unit and image.
* :func:`fov_correlations` — the seed's "image in the FOV" as Pearson r inside each unit's FOV,
  with the same maps against a different image as the baseline.
* :func:`fov_support` — the FOV from the architecture against the support of the flows.
* :func:`filter_statistics` — exact filters against the image, its gradient magnitude and its
  oriented derivatives, sign alternation and zero-sum, per conv layer.
* :func:`best_inputs` — gradient ascent from several random starts (§4, eq. 10), with the exact
  filter at each input found.
* :func:`max_activating` — top-k test images per unit and their class purity.
* :func:`active_fractions` — Fig. 6: the share of features active at each location, per layer.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe.analysis.active_features import active_feature_fraction
from jaxprobe.analysis.image_structure import dc_fraction, image_gradients, oriented_derivatives, sign_change_rate
from jaxprobe.analysis.masked_correlation import masked_pearson, off_diagonal, pairwise_masked_pearson
from jaxprobe.models import Network, Params, max_pool
from jaxprobe.probes import synthesis
from jaxprobe.probes.field_of_view import field_of_view_mask, unit_index
from jaxprobe.probes.max_activating import top_activating
from jaxprobe.probes.unit_flows import random_backward_draws, unit_flows

#: The flows of seed 004 §3 and the control: (rule, start from the activation, random weights,
#: rectify the input plane). The seed's eq. 4–7 apply R at every layer down to the input,
#: x_0^b = R(W_1ᵀ(r_1 ⊙ x_1^b)); the exact filter (eq. 8–9) applies none.
METHODS = {
    "deconvnet": ("deconvnet", True, False, True),  # eq. 4–5
    "deconvnet_masked": ("deconvnet_masked", True, False, True),  # eq. 6–7
    "random_masked": ("deconvnet_masked", True, True, True),  # eq. 6–7 with random weights
    "random_unmasked": ("deconvnet", True, True, True),  # control: random weights, no masks
    "exact_filter": ("exact_filter", False, False, False),  # eq. 8–9, from a delta
}


def conv_layers(model: Network) -> tuple:
    """The 1-based layers of the conv stages below the first dense stage."""
    layers = []
    for layer, stage in enumerate(model.stages, start=1):
        if stage.kind != "conv":
            break
        layers.append(layer)
    if not layers:
        raise ValueError("the network has no conv stage before its dense stages; seed 004 probes conv layers.")
    return tuple(layers)


def central_positions(model: Network, layer: int, n: int) -> np.ndarray:
    """``n`` positions (n, 2) of conv layer ``layer``'s map on a square grid over its central 40 %
    (one position: the centre), where the objects of MNIST-like images lie."""
    h, w = model.layer_shapes[layer - 1][:2]
    side = int(np.ceil(np.sqrt(n)))
    axis = lambda size: (np.array([size // 2]) if side == 1
                         else np.round(np.linspace(0.3 * (size - 1), 0.7 * (size - 1), side)).astype(int))
    grid = np.array([(r, c) for r in axis(h) for c in axis(w)])
    return grid[:n]


class Units(NamedTuple):
    """Probed units: flat indices into o_layer, their positions (U, 2) and channels (U,)."""

    layer: int
    index: np.ndarray
    position: np.ndarray
    channel: np.ndarray


def probe_units(model: Network, layer: int, positions, channels=None) -> Units:
    """Every channel (or ``channels``) of conv layer ``layer`` at each of ``positions`` (P, 2)."""
    positions = np.asarray(positions, int).reshape(-1, 2)
    n_channels = model.layer_shapes[layer - 1][-1]
    channels = np.arange(n_channels) if channels is None else np.asarray(channels, int)
    index = unit_index(model, layer, positions, channels).reshape(-1)
    pos = np.repeat(positions, len(channels), axis=0)
    ch = np.tile(channels, len(positions))
    return Units(int(layer), index, pos, ch)


def fov_masks(model: Network, units: Units) -> np.ndarray:
    """(U, H, W) boolean: each unit's field of view on the input."""
    return field_of_view_mask(model, units.layer, units.position)


def reconstructions(model: Network, params: Params, images, units: Units, key: jax.Array, n_draws: int) -> dict:
    """Input-space maps of every method of :data:`METHODS` for every unit and image.

    Returns ``{method: (N, U, H, W)}``; the random-weight methods have a leading draw axis
    (D, N, U, H, W) with D = ``n_draws`` draws shared by both. The deconvnet maps are rectified in
    the input plane as the seed's equations say (Captum's ``Deconvolution`` leaves them signed).
    """
    draws = random_backward_draws(key, params, n_draws)
    out = {}
    for name, (rule, weighted, random, rectify) in METHODS.items():
        maps = np.asarray(unit_flows(model, params, jnp.asarray(images), units.layer, units.index, rule,
                                     weight_by_activation=weighted, backward_params=draws if random else None,
                                     stacked=random))
        out[name] = np.maximum(maps, 0.0) if rectify else maps
    return out


def mismatch_permutation(n: int) -> np.ndarray:
    """A derangement of n ≥ 2 images (each paired with the one n // 2 places on)."""
    if n < 2:
        raise ValueError(f"the mismatched-image baseline needs at least 2 images, got {n}.")
    return np.roll(np.arange(n), n // 2)


def fov_correlations(maps: dict, images, masks) -> dict:
    """Pearson r of each map with its own image inside the unit's FOV, and with another image.

    Returns ``{method: {'matched': (U, N), 'mismatched': (U, N)}}``; random-weight methods are
    averaged over their draws. NaN marks an undefined r (a unit off on that image: zero map).
    """
    images = np.asarray(images)
    other = images[mismatch_permutation(len(images))]
    out = {}
    for name, m in maps.items():
        def table(img):
            if m.ndim == 4:
                return np.swapaxes(masked_pearson(m, img[:, None], masks[None]), 0, 1)  # (U, N)
            draws = np.stack([np.swapaxes(masked_pearson(d, img[:, None], masks[None]), 0, 1) for d in m])
            with warnings.catch_warnings():  # random weights: the mean over draws (one at a time: memory)
                warnings.simplefilter("ignore", RuntimeWarning)
                return np.nanmean(draws, axis=0)

        out[name] = {"matched": table(images), "mismatched": table(other)}
    return out


def fov_support(maps: dict, masks) -> dict:
    """The architecture's FOV against the flows: per method the largest share of a map's mass
    (Σ|·|) outside the unit's FOV, and for the exact filter the share of units whose support,
    united over the images, spans the FOV's bounding box."""
    masks = np.asarray(masks)
    outside = {}
    for name, m in maps.items():
        a = np.abs(m)
        total = a.sum(axis=(-2, -1))
        out_mass = (a * ~masks).sum(axis=(-2, -1))
        share = np.divide(out_mass, total, out=np.zeros_like(total), where=total > 0)
        outside[name] = float(share.max())
    support = (np.abs(maps["exact_filter"]) > 0).any(axis=0)  # (U, H, W): united over images
    spans = []
    for s, fov in zip(support, masks):
        if not s.any():
            continue
        rows, cols = np.flatnonzero(s.any(1)), np.flatnonzero(s.any(0))
        frows, fcols = np.flatnonzero(fov.any(1)), np.flatnonzero(fov.any(0))
        spans.append((rows[0], rows[-1], cols[0], cols[-1]) == (frows[0], frows[-1], fcols[0], fcols[-1]))
    return {"outside": outside, "span_share": float(np.mean(spans)) if spans else float("nan"),
            "units_with_support": len(spans), "units": int(len(masks))}


def filter_statistics(model: Network, params: Params, images, layer: int, n_positions: int = 1) -> dict:
    """Exact filters of every channel of conv ``layer`` at its central position(s) (eq. 8–9), per
    image, against the image inside the FOV.

    Returns (U, N) tables: ``r_image`` (Pearson r with the image), ``r_gradient`` (with the image's
    gradient magnitude), ``r_oriented`` (U, N, 4) (with its derivative along 0°, 45°, 90°, 135°),
    ``sign_change`` (share of neighbouring pixel pairs of opposite sign), ``dc`` (|Σf| / Σ|f|),
    and ``fov_pixels``.
    """
    units = probe_units(model, layer, central_positions(model, layer, n_positions))
    masks = fov_masks(model, units)
    images = np.asarray(images)
    f = np.asarray(unit_flows(model, params, jnp.asarray(images), layer, units.index, "exact_filter",
                              weight_by_activation=False))
    grads = image_gradients(images)
    oriented = oriented_derivatives(images)  # (N, K, H, W)
    t = lambda r: np.swapaxes(r, 0, 1)
    r_or = masked_pearson(f[:, :, None], oriented[:, None], masks[None, :, None])  # (N, U, K)
    return {
        "r_image": t(masked_pearson(f, images[:, None], masks[None])),
        "r_gradient": t(masked_pearson(f, grads.magnitude[:, None], masks[None])),
        "r_oriented": np.swapaxes(r_or, 0, 1),
        "sign_change": t(sign_change_rate(f, masks[None])),
        "dc": t(dc_fraction(f, masks[None])),
        "fov_pixels": int(masks[0].sum()),
        "filters": f,
        "units": units,
        "masks": masks,
    }


def best_inputs(model: Network, params: Params, units: Units, key: jax.Array, *, n_starts: int, step_size: float,
                max_iter: int, tol: float, reference_images=None) -> dict:
    """Best input selection (§4, eq. 10): projected gradient ascent on each unit's pre-activation
    from ``n_starts`` uniform random images in [0, 1] (pixels kept in [0, 1]), stopping at a fixed
    point (no pixel moves by more than ``tol``), at the first step that raises the objective by no
    more than ``tol`` × its value, or at ``max_iter``.

    Returns the synthesis result and, per unit, (S, S) tables of Pearson r inside the FOV between
    the inputs found (``pair_inputs``), between the exact filters at them (``pair_filters``), and
    between input s and the filter at input t (``input_vs_filter``: its diagonal is each input
    against its own filter); with ``reference_images`` (U, R, H, W), ``r_reference`` (U, S, R):
    each input found against unit u's R reference images (e.g. its max-activating test images).
    """
    shape = model.input_shape
    starts = synthesis.uniform_starts(key, n_starts, shape, 0.0, 1.0)
    objective = synthesis.UnitActivation(units.layer, pre=True)
    res = synthesis.ascend(model, params, objective, jnp.asarray(units.index), starts, step_size=step_size,
                           max_iter=max_iter, stop=(synthesis.Converged(tol), synthesis.Stalled(tol)),
                           transforms=synthesis.Clip(0.0, 1.0))
    x = np.asarray(res.inputs)  # (U, S, H, W)
    masks = fov_masks(model, units)
    filters = np.stack([np.asarray(unit_flows(model, params, jnp.asarray(x[u]), units.layer,
                                              jnp.asarray(units.index[u:u + 1]), "exact_filter",
                                              weight_by_activation=False))[:, 0] for u in range(len(units.index))])
    out = {
        "result": res, "inputs": x, "filters": filters, "masks": masks,
        "pair_inputs": np.stack([pairwise_masked_pearson(x[u], masks[u]) for u in range(len(x))]),
        "pair_filters": np.stack([pairwise_masked_pearson(filters[u], masks[u]) for u in range(len(x))]),
        "input_vs_filter": np.stack([masked_pearson(x[u][:, None], filters[u][None], masks[u]) for u in range(len(x))]),
    }
    if reference_images is not None:
        ref = np.asarray(reference_images)
        out["r_reference"] = np.stack([masked_pearson(x[u][:, None], ref[u][None], masks[u]) for u in range(len(x))])
    return out


def pair_values(tables) -> np.ndarray:
    """The off-diagonal (distinct-pair) entries of a stack of (S, S) tables, concatenated."""
    return np.concatenate([off_diagonal(t) for t in np.asarray(tables)])


def max_activating(model: Network, params: Params, x, y, units: Units, k: int, n_classes: int = 10) -> dict:
    """Top-``k`` images of ``x`` per unit and the share of the top-k in its most common class
    (``purity``; ``chance``: the same share for k images drawn at random, averaged)."""
    top = top_activating(model, params, jnp.asarray(x), units.layer, units.index, k)
    labels = np.asarray(y)[top.indices]
    purity = np.array([np.bincount(row, minlength=n_classes).max() / k for row in labels])
    rng = np.random.default_rng(0)
    draws = np.asarray(y)[rng.integers(0, len(y), (2000, k))]
    chance = float(np.mean([np.bincount(row, minlength=n_classes).max() / k for row in draws]))
    return {"indices": top.indices, "values": top.values, "labels": labels, "purity": purity, "chance": chance}


def feature_maps(model: Network, params: Params, images) -> dict:
    """Activations of every conv layer ('conv{l}'), every max-pooled one ('pool{l}', as the next
    stage pools it) and every hidden dense layer ('dense{l}', one location), in forward order."""
    trace = jax.jit(model.trace)(params, jnp.asarray(images))
    convs = conv_layers(model)
    out = {}
    for layer in range(1, model.n_layers):
        o = trace.post[layer - 1]
        if layer in convs:
            out[f"conv{layer}"] = np.asarray(o)
            pool = model.stages[layer].pool
            if pool > 1:
                out[f"pool{layer}"] = np.asarray(jax.vmap(lambda a: max_pool(a, pool))(o))
        else:
            out[f"dense{layer}"] = np.asarray(o)[:, None, None, :]
    return out


def active_fractions(model: Network, params: Params, images) -> dict:
    """Fig. 6: ``{layer name: (N, H, W)}`` shares of features active at each location."""
    return {name: active_feature_fraction(a) for name, a in feature_maps(model, params, images).items()}


def typical_image(fractions: dict) -> int:
    """The image whose mean active share, summed over layers, is the median of the set (a
    'typical image' chosen by a rule, not by eye)."""
    score = sum(np.asarray(f).reshape(len(f), -1).mean(1) for f in fractions.values())
    return int(np.argsort(score)[len(score) // 2])
