"""Pearson correlation restricted to a region (a unit's field of view), per map and pairwise.

Seed 004 judges reconstructions "within the FOV" (§3: "a faded and stylized reconstruction appears
anyhow in the image plane within the FOV"); these functions put a number on it. Inputs broadcast
against each other, so one image can be compared with the maps of many units, each with its own
FOV mask.

>>> import numpy as np
>>> x = np.arange(16.0).reshape(4, 4)
>>> box = np.zeros((4, 4), bool); box[:2, :2] = True
>>> float(masked_pearson(x, 2 * x + 1, box))        # an affine copy inside the box: r = 1
1.0
>>> float(masked_pearson(x, -x, box))
-1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _moments(a, b, mask, axes):
    w = np.asarray(mask, np.float64)
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    a, b, w = np.broadcast_arrays(a, b, w)
    axis = tuple(range(-axes, 0))
    n = w.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = (w * a).sum(axis=axis, keepdims=True) / w.sum(axis=axis, keepdims=True)
        mb = (w * b).sum(axis=axis, keepdims=True) / w.sum(axis=axis, keepdims=True)
    da, db = np.where(w > 0, a - ma, 0.0), np.where(w > 0, b - mb, 0.0)
    return n, (w * da * db).sum(axis=axis), (w * da * da).sum(axis=axis), (w * db * db).sum(axis=axis)


def masked_pearson(a: Any, b: Any, mask: Any, axes: int = 2) -> np.ndarray:
    """Pearson correlation of ``a`` and ``b`` over the entries where ``mask`` is True.

    Args:
      a, b: arrays broadcastable with each other and with ``mask``.
      mask: boolean region (e.g. a unit's FOV from ``jaxprobe.probes.field_of_view``).
      axes: how many trailing axes the correlation runs over (2 for images).

    Returns:
      The broadcast shape without its last ``axes`` axes; NaN where the region is empty or either
      map is constant on it (no correlation is defined there).

    Raises:
      ValueError: ``axes`` < 1, or shapes that do not broadcast.
    """
    if int(axes) < 1:
        raise ValueError(f"axes must be a positive number of trailing axes, got {axes!r}.")
    try:
        n, cov, va, vb = _moments(a, b, mask, int(axes))
    except ValueError as err:
        raise ValueError(f"a {np.shape(a)}, b {np.shape(b)} and mask {np.shape(mask)} do not broadcast: {err}") from err
    den = np.sqrt(va * vb)
    out = np.full(np.shape(cov), np.nan)
    ok = (den > 1e-300) & (n > 1)
    np.divide(cov, den, out=out, where=ok)
    return np.clip(out, -1.0, 1.0)


def pairwise_masked_pearson(maps: Any, mask: Any, axes: int = 2) -> np.ndarray:
    """The (S, S) matrix of ``masked_pearson`` between every pair of the S ``maps`` (S, …).

    >>> m = np.stack([np.eye(3), np.eye(3), 1 - np.eye(3)])
    >>> np.round(pairwise_masked_pearson(m, np.ones((3, 3), bool)), 3).tolist()
    [[1.0, 1.0, -1.0], [1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]]
    """
    maps = np.asarray(maps, np.float64)
    return masked_pearson(maps[:, None], maps[None, :], mask, axes)


def off_diagonal(matrix: Any) -> np.ndarray:
    """The entries above the diagonal of a square matrix (the distinct pairs), as a 1-D array."""
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"matrix must be square, got shape {m.shape}.")
    return m[np.triu_indices(len(m), k=1)]
