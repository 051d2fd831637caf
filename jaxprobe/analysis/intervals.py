"""Confidence intervals for means of a (units × images) table, by a two-way bootstrap.

A measurement over units and images (the correlation of unit u's reconstruction with image i)
varies with both, so an interval that resamples only images (or only units) is too narrow. The
two-way (pigeonhole) bootstrap resamples rows and columns independently with replacement and
takes the mean of the resampled table (McCullagh 2000; Owen 2007, "The pigeonhole bootstrap").
Several tables measured on the same units and images share the same resamples, so differences
and ratios of their means get intervals too. NaN entries (undefined correlations) are left out
of every mean.

>>> rng = np.random.default_rng(0)
>>> table = 0.5 + rng.normal(0, 0.1, (40, 30))
>>> ci = mean_interval(table, n_boot=500)
>>> ci.low < 0.5 < ci.high
True
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np


class Interval(NamedTuple):
    """A point estimate and its two-sided confidence interval."""

    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"


def _as_table(matrix, name="matrix") -> np.ndarray:
    m = np.asarray(matrix, np.float64)
    if m.ndim == 1:
        m = m[:, None]
    if m.ndim != 2 or m.size == 0:
        raise ValueError(f"{name} must be a non-empty (units, images) table, got shape {np.shape(matrix)}.")
    return m


def two_way_bootstrap_means(tables: Sequence, n_boot: int = 2000, seed: int = 0) -> np.ndarray:
    """Means of each table under the same ``n_boot`` two-way resamples: shape (n_boot, K).

    Args:
      tables: K arrays of the same shape (rows, columns); a 1-D array is one column.
      n_boot: number of resamples.
      seed: seed of the resampling.

    Raises:
      ValueError: tables of different shapes, an empty table, ``n_boot`` < 1.
    """
    tables = [_as_table(t, f"tables[{k}]") for k, t in enumerate(tables)]
    if not tables:
        raise ValueError("tables must hold at least one table.")
    shape = tables[0].shape
    if any(t.shape != shape for t in tables):
        raise ValueError(f"tables must share one shape; got {[t.shape for t in tables]}.")
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot!r}.")
    rng = np.random.default_rng(seed)
    rows, cols = shape
    row_counts = np.stack([np.bincount(rng.integers(0, rows, rows), minlength=rows) for _ in range(n_boot)])
    col_counts = np.stack([np.bincount(rng.integers(0, cols, cols), minlength=cols) for _ in range(n_boot)])
    out = np.empty((int(n_boot), len(tables)))
    for k, t in enumerate(tables):
        valid = np.isfinite(t)
        sums = np.einsum("br,rc,bc->b", row_counts, np.where(valid, t, 0.0), col_counts)
        counts = np.einsum("br,rc,bc->b", row_counts, valid.astype(np.float64), col_counts)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, k] = sums / counts
    return out


def _interval(estimate: float, samples: np.ndarray, level: float) -> Interval:
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}.")
    samples = samples[np.isfinite(samples)]
    if not np.isfinite(estimate) or samples.size == 0:
        return Interval(float("nan"), float("nan"), float("nan"))
    lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(estimate), float(lo), float(hi))


def _nanmean(table) -> float:
    t = _as_table(table)
    return float(np.nanmean(t)) if np.isfinite(t).any() else float("nan")


def mean_interval(table, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> Interval:
    """Mean of a (units × images) ``table`` with its two-way bootstrap percentile interval."""
    boot = two_way_bootstrap_means([table], n_boot, seed)[:, 0]
    return _interval(_nanmean(table), boot, level)


def difference_interval(a, b, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> Interval:
    """mean(a) − mean(b) for two tables on the same units and images, with its interval."""
    boot = two_way_bootstrap_means([a, b], n_boot, seed)
    return _interval(_nanmean(a) - _nanmean(b), boot[:, 0] - boot[:, 1], level)


def ratio_interval(a, b, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> Interval:
    """mean(a) / mean(b) for two tables on the same units and images, with its interval.

    >>> a, b = np.full((5, 4), 0.3), np.full((5, 4), 0.6)
    >>> str(ratio_interval(a, b, n_boot=50))
    '0.500 [0.500, 0.500]'
    """
    boot = two_way_bootstrap_means([a, b], n_boot, seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _interval(_nanmean(a) / _nanmean(b), boot[:, 0] / boot[:, 1], level)
