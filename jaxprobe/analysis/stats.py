"""Small statistics used by the claim checks: spreads, monotonicity, binomial intervals."""

from __future__ import annotations

import numpy as np


def monotone_decreasing(values, tol: float = 0.0) -> bool:
    """True when ``values[i+1] <= values[i] + tol`` for all i."""
    v = np.asarray(values, np.float64)
    return bool(np.all(np.diff(v) <= tol))


def within_spread(value: float, mean: float, std: float, k: float = 2.0) -> bool:
    """Does ``value`` lie in ``mean ± k·std``?"""
    return bool(abs(value - mean) <= k * std + 1e-12)


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper–Pearson) two-sided 1 − alpha interval for a binomial proportion.

    Raises:
      ValueError: k and n not integers with 0 <= k <= n, or alpha outside (0, 1).
    """
    from scipy.stats import beta

    for name, value in (("k", k), ("n", n)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be an integer count, got {value!r}.")
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"k={k} successes out of n={n} trials: need 0 <= k <= n.")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}; e.g. alpha=0.05 for a 95 % interval.")
    if n <= 0:
        return 0.0, 1.0
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi
