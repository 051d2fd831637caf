"""Analysis helpers for the jump-detection study of seed 001 (Chen 2017, Ch. 3–4).

Error statistics of §3.2.3 (L1, L2 and their "99 percentile" versions), class-averaged
activations (eq. 3.6/3.7), dead-unit counts (§4.2.2, Fig. 4.5), the smoothed-derivative
template of Fig. 3.16 and the sign/shape tests used to turn the thesis's qualitative claims
into numbers.  Everything takes plain arrays; no model code lives here.
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

ERROR_KEYS = ("L1", "L2", "L1_99", "L2_99")


def error_stats(pred, true, keep: float = 0.99) -> dict[str, jax.Array]:
    """L1 (MAE), L2 (RMSE) and both on the ``keep`` fraction with lowest |error|, plus the max.

    ``pred``/``true`` are positions or labels (only their difference matters), shape ``(..., N)``;
    leading axes are kept, so stacked seeds give one number per seed.  The "99 percentile"
    keeps ``floor(keep·N)`` samples (5940 of 6000), as in digest §8.8.
    """
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep!r}; the thesis uses keep=0.99.")
    err = jnp.abs(jnp.asarray(pred).astype(jnp.float32) - jnp.asarray(true).astype(jnp.float32))
    n = err.shape[-1]
    m = int(np.floor(keep * n + 1e-9))
    low = jnp.sort(err, axis=-1)[..., :m]
    return {
        "L1": err.mean(-1),
        "L2": jnp.sqrt((err ** 2).mean(-1)),
        "L1_99": low.mean(-1),
        "L2_99": jnp.sqrt((low ** 2).mean(-1)),
        "max": err.max(-1),
    }


def error_histogram(pred, true, max_error: int | None = None) -> np.ndarray:
    """Counts of |error| = 0, 1, 2, … (length ``max_error+1``; default: up to the largest error)."""
    err = np.abs(np.asarray(pred, np.int64) - np.asarray(true, np.int64)).ravel()
    top = int(err.max()) if max_error is None else int(max_error)
    return np.bincount(np.minimum(err, top), minlength=top + 1)


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


def derivative_template(n: int, center: int, tau: float) -> np.ndarray:
    """Gaussian-smoothed first-derivative filter as a weight column (Fig. 3.15/3.16d).

    The logit of class "jump at 0-based index ``center``" of a 1-layer network is Σ_i w_i x_i; a
    smoothed derivative at the jump is ``w_i ∝ g'(i − (center − ½))``, i.e. a negative lobe
    before the jump and a positive one after it, antisymmetric about ``center − ½``.
    Unit L2 norm, length ``n``.
    """
    u = np.arange(n) - (center - 0.5)
    w = u * np.exp(-0.5 * (u / tau) ** 2)
    return w / np.linalg.norm(w)


def best_template_correlation(column, center: int,
                              taus: Sequence[float] = tuple(np.arange(0.5, 8.01, 0.25)),
                              shifts: Sequence[int] = (-1, 0, 1)):
    """Max Pearson correlation of ``column`` with :func:`derivative_template`.

    Searched over widths τ and shifts of the centre (0-based index of the first high sample);
    returns ``(corr, tau, shift)``.
    """
    column = np.asarray(column, np.float64).ravel()
    best = (-np.inf, float("nan"), 0)
    for tau in taus:
        for shift in shifts:
            r = np.corrcoef(column, derivative_template(column.size, center + shift, tau))[0, 1]
            if r > best[0]:
                best = (float(r), float(tau), int(shift))
    return best


def sign_summary(filt) -> dict[str, float]:
    """Sign structure of a (conv) filter: fractions of positive/negative taps by mass.

    ``one_signed`` is True when the minority sign carries < 10 % of the total |weight|.
    """
    w = np.asarray(filt, np.float64).ravel()
    pos, neg = w[w > 0].sum(), -w[w < 0].sum()
    tot = pos + neg if pos + neg > 0 else 1.0
    minority = min(pos, neg) / tot
    return {"pos_mass": float(pos / tot), "neg_mass": float(neg / tot),
            "minority_mass": float(minority), "one_signed": bool(minority < 0.10),
            "n_pos": int((w > 0).sum()), "n_neg": int((w < 0).sum())}


def diagonality(matrix, offset: int = 0, band: int = 2) -> float:
    """Share of |matrix| mass within ``band`` of the (shifted) diagonal ``row = col + offset``.

    ``matrix`` is (rows, cols); e.g. a 100×60 input→output weight matrix with offset 20 checks
    that output class c draws on input positions near c + 20 (0-based).
    """
    m = np.abs(np.asarray(matrix, np.float64))
    r, c = np.indices(m.shape)
    mask = np.abs(r - (c + offset)) <= band
    return float(m[mask].sum() / max(m.sum(), 1e-12))


def monotone_decreasing(values, tol: float = 0.0) -> bool:
    """True when ``values[i+1] <= values[i] + tol`` for all i."""
    v = np.asarray(values, np.float64)
    return bool(np.all(np.diff(v) <= tol))


def within_spread(value: float, mean: float, std: float, k: float = 2.0) -> bool:
    """Does ``value`` lie in ``mean ± k·std``?"""
    return bool(abs(value - mean) <= k * std + 1e-12)
