"""Class-balanced sampling of examples."""

from __future__ import annotations

from typing import Any

import numpy as np


def balanced_indices(labels: Any, n_per_class: int, seed: int = 0) -> np.ndarray:
    """``n_per_class`` indices of each class of ``labels``, drawn without replacement.

    Returned in class order (all of class 0, then class 1, …), deterministic for a ``seed``.

    Raises:
      ValueError: a class has fewer than ``n_per_class`` examples, or ``n_per_class`` is not a
        positive integer.
    """
    if isinstance(n_per_class, (bool, np.bool_)) or not isinstance(n_per_class, (int, np.integer)) or n_per_class < 1:
        raise ValueError(f"n_per_class must be a positive integer, got {n_per_class!r}.")
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
