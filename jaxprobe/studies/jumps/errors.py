"""Error statistics of the jump study (thesis §3.2.3) and how far a thesis figure is from ours.

L1 (mean absolute error in positions), L2 (root mean square error) and both again on the
"99 percentile" (the 99 % of test signals with the lowest error, digest §8.8); the spread of a
figure over seeds and over resampled test sets; whether a thesis figure lies within that spread.
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe.analysis import stats

#: The four error figures of every table of Ch. 3–4 and 7, in table order.
ERROR_KEYS = ("L1", "L2", "L1_99", "L2_99")


def error_stats(pred, true, keep: float = 0.99) -> dict[str, jax.Array]:
    """L1 (MAE), L2 (RMSE) and both on the ``keep`` fraction with lowest |error|, plus the max.

    The "99 percentile" of §3.2.3 keeps ``floor(keep·N)`` samples (5940 of 6000, digest §8.8):
    ``err_L1 = mean |t_predict − t_true|``, ``err_L2 = sqrt(mean (t_predict − t_true)²)``.

    Args:
      pred: predicted positions or labels, shape ``(..., N)``; leading axes are kept, so stacked
        seeds give one number per seed.
      true: true positions or labels (only the difference to ``pred`` matters), broadcastable.
      keep: the fraction of lowest errors in the "99 percentile" figures, in (0, 1].

    Returns:
      ``{'L1', 'L2', 'L1_99', 'L2_99', 'max'}``, each of shape ``pred.shape[:-1]``.

    Raises:
      ValueError: when ``keep`` is not in (0, 1].

    >>> {k: round(float(v), 3) for k, v in error_stats([0, 1, 3], [0, 0, 0], keep=0.67).items()}
    {'L1': 1.333, 'L2': 1.826, 'L1_99': 0.5, 'L2_99': 0.707, 'max': 3.0}
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
    """Counts of |error| = 0, 1, 2, … (Fig. 3.7, 3.10).

    Args:
      pred, true: integer positions or labels of the same shape.
      max_error: the last bin (larger errors are counted in it); default the largest error.

    Returns:
      An int array of length ``max_error + 1``.

    >>> error_histogram([0, 1, 1, 5], [0, 0, 0, 0]).tolist()
    [1, 2, 0, 0, 0, 1]
    """
    err = np.abs(np.asarray(pred, np.int64) - np.asarray(true, np.int64)).ravel()
    top = int(err.max()) if max_error is None else int(max_error)
    return np.bincount(np.minimum(err, top), minlength=top + 1)


def bootstrap_error_std(pred, true, n_boot: int = 200, seed: int = 0, keep: float = 0.99) -> dict:
    """Std of each error statistic under resampling of the test set (with replacement).

    How much a figure would move with another test set of the same size, on top of the seed spread.

    Args:
      pred: ``(K, N)`` or ``(N,)`` predictions of K models.
      true: ``(N,)`` true labels.
      n_boot: resamples.
      seed: numpy seed of the resampling.
      keep: as in :func:`error_stats`.

    Returns:
      ``{key: std}`` for the four :data:`ERROR_KEYS`, averaged over the K models.
    """
    pred = np.atleast_2d(np.asarray(pred))
    err = np.abs(pred - np.asarray(true)[None, :]).astype(np.float64)
    n = err.shape[1]
    m = int(np.floor(keep * n + 1e-9))
    idx = np.random.default_rng(seed).integers(0, n, (n_boot, n))
    out = {k: [] for k in ERROR_KEYS}
    for e in err:
        b = np.sort(e[idx], axis=1)
        out["L1"].append(b.mean(1).std())
        out["L2"].append(np.sqrt((b ** 2).mean(1)).std())
        out["L1_99"].append(b[:, :m].mean(1).std())
        out["L2_99"].append(np.sqrt((b[:, :m] ** 2).mean(1)).std())
    return {k: float(np.mean(v)) for k, v in out.items()}


def total_std(seed_values, boot_std: float = 0.0) -> float:
    """Seed std combined with the test-set bootstrap std: ``sqrt(std(seed_values)² + boot_std²)``.

    How far a figure would move with another seed *and* another test set.

    >>> total_std([1.0, 3.0], 0.0), round(total_std([2.0], 0.5), 3)
    (1.0, 0.5)
    """
    return float(np.sqrt(np.std(seed_values) ** 2 + boot_std ** 2))


def thesis_within(thesis: Sequence[float], run_stats: dict, boot: dict | None = None,
                  k: float = 2.0) -> list[bool]:
    """Which of the four thesis figures lie within our mean ± k·(total std).

    Args:
      thesis: the four thesis figures in :data:`ERROR_KEYS` order.
      run_stats: ``{key: per-seed values}``.
      boot: ``{key: bootstrap std}`` (:func:`bootstrap_error_std`); none means seed spread only.
      k: the width of the band in total standard deviations.

    Returns:
      Four booleans.

    >>> thesis_within((1.0, 2.0, 1.0, 9.0), {"L1": [1.1], "L2": [2.0], "L1_99": [0.9], "L2_99": [2.0]},
    ...               {"L1": 0.1, "L2": 0.1, "L1_99": 0.01, "L2_99": 0.1})
    [True, True, False, False]
    """
    boot = boot or {}
    return [stats.within_spread(t, float(np.mean(run_stats[key])), total_std(run_stats[key], boot.get(key, 0.0)), k)
            for t, key in zip(thesis, ERROR_KEYS)]


def mean_cells(run_stats: dict, digits: int = 3) -> str:
    """``'m±s / m±s / m±s / m±s'``: seed mean ± std of the four figures.

    >>> mean_cells({"L1": [1, 3], "L2": [2, 2], "L1_99": [1, 1], "L2_99": [0, 0]}, digits=1)
    '2.0±1.0 / 2.0±0.0 / 1.0±0.0 / 0.0±0.0'
    """
    return " / ".join(f"{np.mean(run_stats[k]):.{digits}f}±{np.std(run_stats[k]):.{digits}f}" for k in ERROR_KEYS)
