"""The jump-detection data of seed 001 (Chen 2017, §3.1; digest §0, §3, §8.2).

A signal is ``x_i = θ·1[i ≥ t0] + σ·ε_i`` for ``i = 1..n`` (1-based), ``ε_i ~ N(0, 1)`` i.i.d.,
with the jump position ``t0`` in ``first..last`` (21..80 for n = 100) and the class label
``t0 − first`` (0..59).  ``x_{t0}`` is the first "high" sample.  In 0-based array terms the
signal is high from index ``t0 − 1`` on.

All sets are class-balanced: every class appears exactly ``n_per_class`` times, in a random
order drawn from the key.  The thesis's sets are built by :func:`jump_splits` from fixed keys:
12000 training (200 a class), 6000 validation and 6000 test (100 a class) and the 60000-signal
analysis set (1000 a class) of §3.3.3.

σ is never stated in the thesis.  :data:`CALIBRATED_SIGMA` is the value fitted on the
signal-processing baseline of Table 3.1 alone (see :mod:`jaxprobe.studies.jumps.baseline`,
``calibrate_sigma``); every network table is then held-out validation.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

LENGTH = 100
FIRST = 21
LAST = 80
THETA = 3.0
#: σ fitted on Table 3.1 alone (chi-square over its 4 error figures on replicate test sets per σ,
#: plus the max-error evidence; backward difference won); see ``jaxprobe.studies.jumps.baseline.calibrate_sigma``.
CALIBRATED_SIGMA = 1.02

#: (train, valid, test, analysis) sizes of the thesis (§3.1, §3.3.3).
THESIS_SIZES = (12000, 6000, 6000, 60000)
#: Small sets for ``--quick`` runs and tests (multiples of 60).
QUICK_SIZES = (1200, 600, 600, 1200)

# Fixed, distinct fold-in constants per split so every split is reproducible on its own.
_SPLIT_STREAMS = {"train": 1, "valid": 2, "test": 3, "analysis": 4}


def _check_geometry(length, first, last) -> None:
    if not isinstance(length, (int, np.integer)) or length < 2:
        raise ValueError(f"length must be an integer >= 2, got {length!r}; pass e.g. length=100.")
    if not isinstance(first, (int, np.integer)) or not isinstance(last, (int, np.integer)):
        raise ValueError(f"first and last must be integers (1-based positions), got {first!r}, {last!r}.")
    if not 1 < first <= last <= length:
        raise ValueError(
            f"first={first}, last={last} must satisfy 1 < first <= last <= length={length} "
            f"(1-based jump positions); the thesis uses first=21, last=80 for length=100."
        )


def _check_finite_number(name, value) -> None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}; e.g. {name}=1.0.")


def _check_noise(sigma, theta) -> None:
    _check_finite_number("sigma", sigma)
    _check_finite_number("theta", theta)
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0 (the noise standard deviation), got {sigma!r}; pass its absolute value.")


def _check_count(name, value) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}; e.g. {name}=200.")


def _check_key(key) -> None:
    try:
        shape = jnp.shape(key)
        dtype = jnp.asarray(key).dtype
    except TypeError as exc:  # pragma: no cover - exotic input
        raise ValueError(f"key must be a jax.random key, got {type(key).__name__}; use jax.random.key(0).") from exc
    if jnp.issubdtype(dtype, jax.dtypes.prng_key):
        if shape != ():
            raise ValueError(f"key must be a single key (shape ()), got shape {shape}; index one key out of the batch.")
    elif shape != (2,) or dtype != jnp.uint32:
        raise ValueError(
            f"key must be a jax.random key, got shape {shape} dtype {dtype}; "
            f"use jax.random.key(seed) or jax.random.PRNGKey(seed)."
        )


def clean_jumps(theta: float = THETA, length: int = LENGTH, first: int = FIRST, last: int = LAST) -> jax.Array:
    """Noise-free unit steps ``u_k`` scaled by θ, one row per class: shape ``(last−first+1, length)``.

    Raises:
      ValueError: a θ that is not a finite number, or a geometry outside 1 < first <= last <= length.
    """
    _check_finite_number("theta", theta)
    _check_geometry(length, first, last)
    t0 = jnp.arange(first, last + 1)[:, None]
    i = jnp.arange(1, length + 1)[None, :]
    return (theta * (i >= t0)).astype(jnp.float32)


@partial(jax.jit, static_argnames=("n_per_class", "length", "first", "last"))
def jump_kernel(key, sigma, theta, *, n_per_class, length, first, last):
    """The compiled generator behind :func:`make_jumps`, without argument checks.

    For code that calls it inside its own jit or vmap (σ and θ traced, e.g. a vmap over noise
    levels); arguments as in :func:`make_jumps`. Returns ``(x, y)``.
    """
    n_classes = last - first + 1
    k_perm, k_noise = jax.random.split(key)
    labels = jnp.repeat(jnp.arange(n_classes, dtype=jnp.int32), n_per_class)
    labels = jax.random.permutation(k_perm, labels)
    t0 = labels + first
    i = jnp.arange(1, length + 1, dtype=jnp.int32)
    clean = theta * (i[None, :] >= t0[:, None]).astype(jnp.float32)
    noise = jax.random.normal(k_noise, (labels.shape[0], length), jnp.float32)
    return clean + sigma * noise, labels


def make_jumps(
    key,
    n_per_class: int,
    *,
    sigma: float = CALIBRATED_SIGMA,
    theta: float = THETA,
    length: int = LENGTH,
    first: int = FIRST,
    last: int = LAST,
) -> tuple[jax.Array, jax.Array]:
    """``n_per_class·(last−first+1)`` class-balanced, shuffled signals from ``key``.

    Returns ``(x, y)``: ``x`` float32 ``(N, length)``, ``y`` int32 ``(N,)`` with ``y = t0 − first``.
    The same key always gives the same signals; σ and θ are traced (no recompilation per value).
    """
    _check_key(key)
    _check_count("n_per_class", n_per_class)
    _check_geometry(length, first, last)
    _check_noise(sigma, theta)
    return jump_kernel(key, jnp.float32(sigma), jnp.float32(theta), n_per_class=int(n_per_class),
                     length=int(length), first=int(first), last=int(last))


class JumpSplits(NamedTuple):
    train_x: jax.Array
    train_y: jax.Array
    valid_x: jax.Array
    valid_y: jax.Array
    test_x: jax.Array
    test_y: jax.Array
    analysis_x: jax.Array
    analysis_y: jax.Array
    sigma: float
    theta: float


def split_key(seed: int, split: str):
    """The fixed key of one split: ``fold_in(key(seed), stream)``."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}; e.g. seed=0.")
    if split not in _SPLIT_STREAMS:
        raise ValueError(f"split={split!r} is not known; choose one of {', '.join(map(repr, _SPLIT_STREAMS))}.")
    return jax.random.fold_in(jax.random.key(seed), _SPLIT_STREAMS[split])


def jump_splits(
    sigma: float = CALIBRATED_SIGMA,
    *,
    theta: float = THETA,
    seed: int = 0,
    sizes: tuple[int, int, int, int] = THESIS_SIZES,
    quick: bool = False,
) -> JumpSplits:
    """Train / validation / test / analysis sets of the thesis, from fixed keys.

    ``sizes`` are total set sizes (each a multiple of 60); ``quick=True`` uses :data:`QUICK_SIZES`.
    Each split has its own key (:func:`split_key`), so changing one size leaves the others alone.
    """
    if quick:
        sizes = QUICK_SIZES
    if not isinstance(sizes, (tuple, list)) or len(sizes) != 4:
        raise ValueError(f"sizes must be 4 integers (train, valid, test, analysis), got {sizes!r}; "
                         f"e.g. sizes={THESIS_SIZES}.")
    n_classes = LAST - FIRST + 1
    out = []
    for name, size in zip(("train", "valid", "test", "analysis"), sizes):
        if not isinstance(size, (int, np.integer)) or size < n_classes or size % n_classes:
            raise ValueError(f"sizes[{name}]={size!r} must be a positive multiple of {n_classes} "
                             f"(class-balanced sets); e.g. {THESIS_SIZES}.")
        out.extend(make_jumps(split_key(seed, name), size // n_classes, sigma=sigma, theta=theta))
    return JumpSplits(*out, sigma=float(sigma), theta=float(theta))
