"""The protocol of the seed-004 study: which units, images and sizes, and every measure on one network.

:func:`measure_network` runs every measure of ``measures`` on one network (trained, or the
untrained control) and returns plain numbers and arrays that ``claims.evaluate`` judges and
``figures`` draws. It takes any CNN of the family (conv stages with optional pools, then dense).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import jax
import numpy as np

from jaxprobe.analysis.intervals import difference_interval, mean_interval, ratio_interval
from jaxprobe.models import Network, Params
from jaxprobe.studies.seed004 import measures as ms


@dataclass(frozen=True)
class Sizes:
    """How much of each measure to run (the experiment's quick/full configurations set these).

    Args:
      n_images: test images for the flows from the last conv layer (Fig. 4 and the correlations).
      n_positions: positions of the last conv layer's map; every channel is probed at each.
      n_draws: random-weight draws (eq. 6–7 with weights matched in mean and variance).
      n_filter_images: images for the exact filters of every conv layer.
      best_channels: channels of the last conv layer (at its centre) for the best-input search.
      n_starts: random starts per channel.
      step_size, max_iter, tol: the ascent (α, the iteration guard, the fixed-point tolerance).
      top_k: max-activating images per unit.
      n_search_images: test images searched for them (and for Fig. 6's statistics).
      n_boot: bootstrap resamples of every interval.
    """

    n_images: int = 48
    n_positions: int = 4
    n_draws: int = 3
    n_filter_images: int = 32
    best_channels: int = 8
    n_starts: int = 6
    step_size: float = 1.0
    max_iter: int = 400
    tol: float = 1e-4
    top_k: int = 9
    n_search_images: int = 10_000
    n_boot: int = 2000


def _interval_dict(ci) -> dict:
    return {"estimate": ci.estimate, "low": ci.low, "high": ci.high}


def correlation_summary(corr: dict, n_boot: int, seed: int = 0) -> dict:
    """Means of the FOV correlation tables with two-way bootstrap intervals, per method, and the
    contrasts the claims need (own − other image; masks − no masks; random − trained)."""
    out = {}
    for name, t in corr.items():
        out[name] = {
            "own": _interval_dict(mean_interval(t["matched"], n_boot, seed=seed)),
            "other": _interval_dict(mean_interval(t["mismatched"], n_boot, seed=seed)),
            "own_minus_other": _interval_dict(difference_interval(t["matched"], t["mismatched"], n_boot, seed=seed)),
            "pairs": int(np.isfinite(t["matched"]).sum()),
        }
    own = {name: t["matched"] for name, t in corr.items()}
    out["contrasts"] = {
        "masked_minus_deconvnet": _interval_dict(
            difference_interval(own["deconvnet_masked"], own["deconvnet"], n_boot, seed=seed)),
        "random_over_trained_masked": _interval_dict(
            ratio_interval(own["random_masked"], own["deconvnet_masked"], n_boot, seed=seed)),
        "random_masked_minus_unmasked": _interval_dict(
            difference_interval(own["random_masked"], own["random_unmasked"], n_boot, seed=seed)),
    }
    return out


def filter_summary(stats: dict, n_boot: int) -> dict:
    """Per conv layer: mean |r| of the exact filters with the image, its gradient magnitude and its
    oriented derivatives (mean over orientations), the signed r with the image, the gradient's
    advantage over the image with its interval, sign alternation and zero-sum."""
    r_img, r_grad = np.abs(stats["r_image"]), np.abs(stats["r_gradient"])
    with warnings.catch_warnings():  # an inactive unit has no r at any orientation
        warnings.simplefilter("ignore", RuntimeWarning)
        r_or = np.nanmean(np.abs(stats["r_oriented"]), axis=-1)
    best_gradient = np.where(np.nanmean(r_grad) >= np.nanmean(r_or), "magnitude", "oriented")
    r_best = r_grad if str(best_gradient) == "magnitude" else r_or
    return {
        "fov_pixels": stats["fov_pixels"],
        "r_image": _interval_dict(mean_interval(stats["r_image"], n_boot)),
        "abs_r_image": _interval_dict(mean_interval(r_img, n_boot)),
        "abs_r_gradient": _interval_dict(mean_interval(r_grad, n_boot)),
        "abs_r_oriented": _interval_dict(mean_interval(r_or, n_boot)),
        "gradient_kind": str(best_gradient),
        "gradient_minus_image": _interval_dict(difference_interval(r_best, r_img, n_boot)),
        "sign_change": _interval_dict(mean_interval(stats["sign_change"], n_boot)),
        "dc": _interval_dict(mean_interval(stats["dc"], n_boot)),
        "pairs": int(np.isfinite(stats["r_image"]).sum()),
    }


def measure_network(model: Network, params: Params, data, sizes: Sizes, key: jax.Array) -> dict:
    """Every measure of the study on one network; see the module docstring.

    Args:
      model, params: a CNN of the family and its parameters (trained or not).
      data: a ``network.Dataset`` (the test images are used).
      sizes: a :class:`Sizes`.
      key: the study's key (random weights, random starts); the same key for the trained network
        and its control gives both the same draws of everything random.

    Returns:
      A dict of summaries (numbers) and the arrays the figures need.
    """
    k_draw, k_start = jax.random.split(key)
    convs = ms.conv_layers(model)
    last = convs[-1]
    n_test = len(data.test_x)
    pick = np.random.default_rng(0).permutation(n_test)
    images = data.test_x[pick[:sizes.n_images]]
    units = ms.probe_units(model, last, ms.central_positions(model, last, sizes.n_positions))
    masks = ms.fov_masks(model, units)
    maps = ms.reconstructions(model, params, images, units, k_draw, sizes.n_draws)
    corr = ms.fov_correlations(maps, images, masks)
    out = {
        "last_layer": last, "conv_layers": list(convs), "units": units, "images": images, "masks": masks,
        "maps": {name: (m[0] if m.ndim == 5 else m) for name, m in maps.items()},  # one draw kept for figures
        "correlations": correlation_summary(corr, sizes.n_boot),
        "correlation_tables": corr,
        "support": ms.fov_support(maps, masks),
    }
    del maps
    filter_images = data.test_x[pick[:sizes.n_filter_images]]
    out["filters"] = {}
    out["filter_examples"] = {}
    for layer in convs:
        stats = ms.filter_statistics(model, params, filter_images, layer)
        out["filters"][layer] = filter_summary(stats, sizes.n_boot)
        strongest = np.argsort(-np.abs(stats["filters"][0]).sum(axis=(-2, -1)))[:4]  # active on image 0
        out["filter_examples"][layer] = {"filters": stats["filters"][:1, strongest], "masks": stats["masks"][strongest],
                                         "images": filter_images[:1]}
    search = slice(0, min(n_test, sizes.n_search_images))
    sx, sy = data.test_x[search], data.test_y[search]
    out["top"] = {}
    for layer in (convs[0], last):
        layer_units = ms.probe_units(model, layer, ms.central_positions(model, layer, 1))
        top = ms.max_activating(model, params, sx, sy, layer_units, sizes.top_k)
        out["top"][layer] = dict(top, units=layer_units, masks=ms.fov_masks(model, layer_units))
    n_channels = model.layer_shapes[last - 1][-1]
    channels = np.unique(np.round(np.linspace(0, n_channels - 1, min(sizes.best_channels, n_channels))).astype(int))
    best_units = ms.probe_units(model, last, ms.central_positions(model, last, 1), channels)
    top_best = ms.max_activating(model, params, sx, sy, best_units, sizes.top_k)
    best = ms.best_inputs(model, params, best_units, k_start, n_starts=sizes.n_starts, step_size=sizes.step_size,
                          max_iter=sizes.max_iter, tol=sizes.tol, reference_images=sx[top_best["indices"]])
    best["units"] = best_units
    best["top_values"] = top_best["values"]
    out["best"] = best
    fractions = ms.active_fractions(model, params, sx[:min(len(sx), 1000)])
    typical = ms.typical_image(fractions)
    out["fractions"] = {name: {"set": f, "typical": f[typical], "mean_set": float(f.mean()),
                               "mean_typical": float(f[typical].mean())} for name, f in fractions.items()}
    out["typical_image"] = sx[typical]
    out["search_images"] = sx
    return out
