"""Activation statistics: arrays in, numbers out (no model code).

Class-averaged activations A^{(l)} (thesis eq. 3.6–3.7), the fraction of samples on which each unit
is active, dead units (thesis §4.2.2, Fig. 4.5) and how much of a matrix's mass lies on a diagonal
band (thesis Fig. 3.16: an input→output weight matrix of a jump detector).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def class_means(acts, labels, n_classes: int) -> jax.Array:
    """Class-averaged activations ``A^{(l)}`` of eq. 3.7: shape ``(units, n_classes)``.

    ``acts`` is ``(N, ...)`` (trailing axes are flattened into units); a class with no samples
    gets zeros.
    """
    acts = jnp.asarray(acts).reshape(jnp.shape(acts)[0], -1)
    onehot = jax.nn.one_hot(jnp.asarray(labels), n_classes, dtype=acts.dtype)
    counts = onehot.sum(0)
    return (acts.T @ onehot) / jnp.maximum(counts, 1)[None, :]


def active_fraction(acts, tol: float = 0.0) -> jax.Array:
    """Fraction of samples on which each unit is > tol: shape (units,)."""
    acts = jnp.asarray(acts).reshape(jnp.shape(acts)[0], -1)
    return (acts > tol).mean(0)


def dead_units(acts, tol: float = 0.0, min_fraction: float = 0.0) -> jax.Array:
    """Boolean mask of units never active (active on ≤ ``min_fraction`` of samples) over ``acts``.

    A ReLU unit is dead when its output is 0 for every input of the set (Fig. 4.5).
    """
    return active_fraction(acts, tol) <= min_fraction


def diagonality(matrix, offset: int = 0, band: int = 2) -> float:
    """Share of |matrix| mass within ``band`` of the (shifted) diagonal ``row = col + offset``.

    ``matrix`` is (rows, cols); e.g. a 100×60 input→output weight matrix with offset 20 checks
    that output class c draws on input positions near c + 20 (0-based).
    """
    m = np.abs(np.asarray(matrix, np.float64))
    r, c = np.indices(m.shape)
    mask = np.abs(r - (c + offset)) <= band
    return float(m[mask].sum() / max(m.sum(), 1e-12))
