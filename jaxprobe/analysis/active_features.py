"""How many features are active at each location of a layer (seed 004 §5, Fig. 6).

Seed 004 counts, for a typical image, how many of a layer's D features are on: "In the first
convolutional layer we see that about a half of the 64 features are activated." A feature map of
shape (…, H, W, D) gives one fraction per location: the share of its D features that are > 0.

>>> import numpy as np
>>> acts = np.array([[[1.0, 0.0, 2.0, 0.0]]])        # one location, four features, two on
>>> active_feature_fraction(acts).tolist()
[[0.5]]
>>> fraction_histogram([0.0, 0.5, 0.5, 1.0], bins=2).tolist()
[0.25, 0.75]
"""

from __future__ import annotations

from typing import Any

import numpy as np


def active_feature_fraction(acts: Any, tol: float = 0.0) -> np.ndarray:
    """Share of the features (last axis) that are > ``tol``, at every location: shape ``acts.shape[:-1]``.

    Raises:
      ValueError: ``acts`` without a feature axis.
    """
    a = np.asarray(acts)
    if a.ndim < 1 or a.shape[-1] == 0:
        raise ValueError(f"acts must end in a non-empty feature axis, got shape {a.shape}.")
    return (a > tol).mean(axis=-1)


def fraction_histogram(fractions: Any, bins: int = 20) -> np.ndarray:
    """Share of the ``fractions`` (any shape, values in [0, 1]) falling in each of ``bins`` equal
    bins of [0, 1] (the last bin is closed): a histogram that sums to 1."""
    f = np.asarray(fractions, np.float64).ravel()
    if int(bins) < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}.")
    if f.size == 0:
        raise ValueError("fractions is empty.")
    counts, _ = np.histogram(f, bins=int(bins), range=(0.0, 1.0))
    return counts / f.size
