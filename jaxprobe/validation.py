"""Checks at the public boundary: clear errors instead of bare XLA shape errors.

Every check names the argument, what was expected and what was given. Value checks (NaN, range)
run only on concrete arrays: under ``jit`` the arguments are tracers and only shapes are known.
"""

from __future__ import annotations

from typing import Sequence

import jax
import numpy as np


def is_concrete(x) -> bool:
    """True when ``x`` holds values (not a tracer inside ``jit``/``vmap``/``grad``)."""
    return not isinstance(x, jax.core.Tracer)


def _dtype(x) -> np.dtype:
    return np.dtype(x.dtype) if hasattr(x, "dtype") else np.asarray(x).dtype


def check_floating(name: str, x) -> None:
    dtype = _dtype(x)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(
            f"{name} must be a floating-point array (float32 or float64), got dtype {dtype}; "
            f"convert it with {name}.astype('float32')."
        )


def check_finite(name: str, x) -> None:
    if is_concrete(x) and not np.all(np.isfinite(np.asarray(x))):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(np.asarray(x))))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s); clean or impute them before probing."
        )


def check_example_shape(name: str, x, example_shape: Sequence[int]) -> bool:
    """Checks ``x`` is one example or a batch of them; returns True for a batch."""
    shape, example_shape = tuple(np.shape(x)), tuple(example_shape)
    if shape == example_shape:
        return False
    if shape[1:] == example_shape:
        return True
    raise ValueError(
        f"{name} has shape {shape}, expected one example of shape {example_shape} "
        f"or a batch of shape (N, {', '.join(map(str, example_shape))})."
    )


def check_input(name: str, x, example_shape: Sequence[int]) -> bool:
    """Shape, dtype and finiteness of a model input; returns True for a batch."""
    batched = check_example_shape(name, x, example_shape)
    check_floating(name, x)
    check_finite(name, x)
    return batched


def check_index(name: str, value, size: int, what: str) -> None:
    """``value`` (int or int array) must lie in ``[0, size)``."""
    arr = np.asarray(value) if is_concrete(value) else None
    dtype = _dtype(value)
    if not np.issubdtype(dtype, np.integer):
        raise TypeError(f"{name} must be an integer {what}, got dtype {dtype}.")
    if arr is not None and arr.size and (arr.min() < 0 or arr.max() >= size):
        raise ValueError(
            f"{name} must be a {what} in 0..{size - 1}, got {arr.min() if arr.min() < 0 else arr.max()}."
        )


def check_choice(name: str, value, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not known; choose one of {', '.join(map(repr, choices))}.")


def check_positive(name: str, value, *, integer: bool = False) -> None:
    ok = value > 0 and (not integer or float(value).is_integer())
    if not ok:
        kind = "a positive integer" if integer else "a positive number"
        raise ValueError(f"{name} must be {kind}, got {value!r}.")
