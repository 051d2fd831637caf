"""Local structure of images and filters: derivatives, orientation, alternation, mean response.

Seed 004 §3.1 reads the exact filters as "a very alternating pattern that seems to compute local
statistics … the filter seems to be computing local gradients", not "an image patch". These
measures turn that reading into numbers: what a filter correlates with (the image, its gradient
magnitude or its derivative in one orientation), how often its sign alternates between neighbouring
pixels, and how much of it survives summation (a derivative filter sums to about zero, a matched
filter of a non-negative image does not).

>>> import numpy as np
>>> ramp = np.tile(np.arange(5.0), (5, 1))          # brightness grows to the right
>>> g = image_gradients(ramp)
>>> float(g.dx[2, 2]), float(g.dy[2, 2]), float(g.magnitude[2, 2])
(1.0, 0.0, 1.0)
>>> float(sign_change_rate(np.array([[1.0, -1.0], [-1.0, 1.0]]), np.ones((2, 2), bool)))  # checkerboard
1.0
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class Gradients(NamedTuple):
    """Central-difference derivatives along columns (dx) and rows (dy), and their magnitude."""

    dx: np.ndarray
    dy: np.ndarray
    magnitude: np.ndarray


def _images(images: Any) -> np.ndarray:
    x = np.asarray(images, np.float64)
    if x.ndim < 2:
        raise ValueError(f"images must have at least 2 axes (…, rows, columns), got shape {x.shape}.")
    if min(x.shape[-2:]) < 2:
        raise ValueError(f"images must be at least 2 × 2 pixels, got shape {x.shape}.")
    return x


def image_gradients(images: Any) -> Gradients:
    """Derivatives of images (…, H, W) by central differences (one-sided at the border)."""
    x = _images(images)
    dy, dx = np.gradient(x, axis=(-2, -1))
    return Gradients(dx, dy, np.hypot(dx, dy))


def oriented_derivatives(images: Any, n_orientations: int = 4) -> np.ndarray:
    """Derivatives of images (…, H, W) along ``n_orientations`` directions θ_k = kπ/K:
    cos θ_k · ∂x + sin θ_k · ∂y, stacked on a new axis: (…, K, H, W)."""
    if int(n_orientations) < 1:
        raise ValueError(f"n_orientations must be a positive integer, got {n_orientations!r}.")
    g = image_gradients(images)
    theta = np.pi * np.arange(int(n_orientations)) / int(n_orientations)
    return (np.cos(theta)[:, None, None] * g.dx[..., None, :, :]
            + np.sin(theta)[:, None, None] * g.dy[..., None, :, :])


def sign_change_rate(maps: Any, mask: Any) -> np.ndarray:
    """Share of horizontally or vertically adjacent pixel pairs inside ``mask`` (both non-zero)
    whose signs differ: 0 for a one-signed map, about 0.5 for white noise, 1 for a checkerboard.

    Returns the shape of ``maps`` without its last two axes; NaN where no pair qualifies.
    """
    m = _images(maps)
    region = np.broadcast_to(np.asarray(mask, bool), m.shape)
    nonzero = region & (m != 0)
    changes, pairs = 0.0, 0.0
    for axis in (-1, -2):
        n = m.shape[axis]
        a = np.take(m, np.arange(n - 1), axis=axis)
        b = np.take(m, np.arange(1, n), axis=axis)
        ok = np.take(nonzero, np.arange(n - 1), axis=axis) & np.take(nonzero, np.arange(1, n), axis=axis)
        changes = changes + (ok & (np.sign(a) != np.sign(b))).sum(axis=(-2, -1))
        pairs = pairs + ok.sum(axis=(-2, -1))
    out = np.full(np.shape(pairs), np.nan)
    np.divide(changes, pairs, out=out, where=pairs > 0)
    return out


def dc_fraction(maps: Any, mask: Any) -> np.ndarray:
    """|Σ f| / Σ |f| over the pixels of ``mask``: 1 for a one-signed map, 0 for a map that sums to
    zero (a derivative filter). NaN where the map is zero on the whole region."""
    m = _images(maps)
    region = np.broadcast_to(np.asarray(mask, bool), m.shape)
    total = np.abs(np.where(region, m, 0.0).sum(axis=(-2, -1)))
    mass = np.where(region, np.abs(m), 0.0).sum(axis=(-2, -1))
    out = np.full(np.shape(mass), np.nan)
    np.divide(total, mass, out=out, where=mass > 0)
    return out
