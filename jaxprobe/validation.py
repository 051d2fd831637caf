"""Checks at the public boundary: clear errors instead of bare XLA errors or silent wrong numbers.

Every check names the argument, says what was expected and what was given, and how to fix it.

Concrete values are checked in Python and raise ``ValueError`` / ``TypeError`` at once. Under
``jit``, ``vmap`` or ``grad`` the arguments are tracers: shapes and dtypes are still checked in
Python, and the value checks (NaN, index ranges) become *traced checks* (:func:`error_if`, in the
spirit of equinox's ``error_if`` and ``jax.experimental.checkify``): a host callback that raises
when the compiled function runs on bad values. JAX reports it as ``jax.errors.JaxRuntimeError``
whose text ends with the ``ValueError`` and its message. Under ``vmap`` the predicate is first
reduced over the mapped axis (``jax.custom_batching.custom_vmap``), so a vmapped call makes one
callback, not one per example. They stay on by default: under ``jit`` their cost on the DNN-6
flows over 2,000 examples is within measurement noise (checked/unchecked time 1.00–1.06,
``benchmarks/bench_checks.py``). :func:`traced_checks` turns them off for code traced inside it,
which the trainer does for its compiled steps (it checks its data once, up front).

Why not ``checkify.check`` itself: inside a plain ``jax.jit`` it fails to trace unless the caller
wraps the function in ``checkify.checkify``, and ``checkify.debug_check`` is a no-op without that
wrapper, so the checks would be off exactly where the flows are documented to be used.
"""

from __future__ import annotations

import contextlib
import contextvars
from functools import partial
from typing import Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

_TRACED_CHECKS = contextvars.ContextVar("jaxprobe_traced_checks", default=True)


# --------------------------------------------------------------------------- traced checks
@contextlib.contextmanager
def traced_checks(enabled: bool):
    """Turns the traced value checks on or off for functions traced inside the ``with`` block.

    A function already compiled keeps the checks it was traced with (``jit`` caches it).

    >>> import jax.numpy as jnp
    >>> with traced_checks(False):
    ...     error_if(jnp.bool_(False), "never raised")
    """
    token = _TRACED_CHECKS.set(bool(enabled))
    try:
        yield
    finally:
        _TRACED_CHECKS.reset(token)


def traced_checks_enabled() -> bool:
    """Whether :func:`error_if` on a tracer adds a check to the traced function here."""
    return _TRACED_CHECKS.get()


def _raise_if(flag, *, message: str) -> None:
    if bool(np.any(np.asarray(flag))):
        raise ValueError(message)


def _traced_raiser(message: str):
    """A function of one boolean that raises ``ValueError(message)`` when it is true at run time;
    vmapped, it reduces over the mapped axis first, so it calls back once per execution."""

    @jax.custom_batching.custom_vmap
    def raise_if(flag):
        jax.debug.callback(partial(_raise_if, message=message), flag)
        return flag

    @raise_if.def_vmap
    def _reduce_over_batch(axis_size, in_batched, flag):
        return raise_if(jnp.any(flag)), False

    return raise_if


def error_if(flag, message: str) -> None:
    """Raises ``ValueError(message)`` when ``flag`` (a boolean array) has a true entry.

    On a concrete ``flag`` it raises now. On a tracer it adds a traced check (see the module
    docstring) unless :func:`traced_checks` turned them off.
    """
    if is_concrete(flag):
        _raise_if(flag, message=message)
    elif traced_checks_enabled():
        _traced_raiser(message)(jnp.any(flag))


# --------------------------------------------------------------------------- arrays
def all_finite(tree) -> jax.Array:
    """One boolean: every value of every array leaf of ``tree`` is finite (jit-able; XLA fuses it
    into the computation that produced the leaves).

    >>> bool(all_finite({"a": jnp.ones(3), "b": (jnp.array([1.0, jnp.inf]),)}))
    False
    """
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)]))


def is_concrete(x) -> bool:
    """True when ``x`` holds values (not a tracer inside ``jit``/``vmap``/``grad``)."""
    return not isinstance(x, jax.core.Tracer)


def dtype_of(x):
    """The dtype of an array, a tracer, a scalar or a nested list (JAX's key dtypes included)."""
    dtype = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype
    try:
        return np.dtype(dtype)
    except TypeError:  # an extended dtype, e.g. the key<fry> of jax.random.key
        return dtype


def is_floating(dtype) -> bool:
    """float16, bfloat16, float32 and float64 (NumPy's own test misses bfloat16)."""
    return bool(jnp.issubdtype(dtype, jnp.floating))


def check_array_like(name: str, x) -> None:
    """``x`` must be an array, a number or a nested list of numbers (not None, a string, a dict)."""
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise TypeError(f"{name} must be an array, got {type(x).__name__}; pass a numpy or jax array.")
    if not hasattr(x, "dtype"):
        try:
            arr = np.asarray(x)
        except ValueError as err:  # ragged nested lists
            raise TypeError(f"{name} must be an array, got a ragged {type(x).__name__} ({err}); "
                            f"pass a numpy or jax array.") from err
        if arr.dtype == object:
            raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__} of objects; "
                            f"pass a numpy or jax array.")


def check_floating(name: str, x) -> None:
    """``x`` must hold floating-point numbers (float16, bfloat16, float32 or float64)."""
    check_array_like(name, x)
    dtype = dtype_of(x)
    if not is_floating(dtype):
        raise TypeError(
            f"{name} must be a floating-point array (float32, float64, float16 or bfloat16), got dtype {dtype}; "
            f"convert it with {name}.astype('float32')."
        )


def check_finite(name: str, x, *, traced: bool = True) -> None:
    """No NaN or infinite value in ``x``; on a tracer a traced check unless ``traced=False``."""
    if is_concrete(x):
        values = np.asarray(x)
        finite = np.isfinite(values.astype(np.float32) if values.dtype.itemsize < 4 else values)
        if not np.all(finite):
            bad = int(finite.size - np.count_nonzero(finite))
            raise ValueError(
                f"{name} contains {bad} NaN or infinite value(s); clean or impute them before probing."
            )
    elif traced:
        error_if(~jnp.all(jnp.isfinite(x)),
                 f"{name} contains NaN or infinite values (found inside jit/vmap); "
                 f"clean or impute them before probing.")


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


def check_input(name: str, x, example_shape: Sequence[int], *, traced: bool = True) -> bool:
    """Shape, dtype and finiteness of a model input; returns True for a batch.

    ``traced=False`` skips the finiteness check on tracers (a forward pass propagates NaN
    honestly; the flows, whose masks would hide it, keep it on).
    """
    check_floating(name, x)
    batched = check_example_shape(name, x, example_shape)
    check_finite(name, x, traced=traced)
    return batched


def as_float32(x) -> jax.Array:
    """``x`` as a jax array, float16/bfloat16 widened to float32 (the parameters' dtype), so a
    half-precision input gives the float32 result of the same values."""
    x = jnp.asarray(x)
    return x.astype(jnp.float32) if jnp.dtype(x.dtype).itemsize < 4 else x


def check_index(name: str, value, size: int, what: str) -> None:
    """``value`` (int or int array) must lie in ``[0, size)``; on a tracer a traced check."""
    check_array_like(name, value)
    dtype = dtype_of(value)
    if dtype == np.bool_ or not jnp.issubdtype(dtype, jnp.integer):
        raise TypeError(f"{name} must be an integer {what}, got dtype {dtype}; pass integers, "
                        f"e.g. {name}.astype('int32').")
    if is_concrete(value):
        arr = np.asarray(value)
        if arr.size and (arr.min() < 0 or arr.max() >= size):
            raise ValueError(
                f"{name} must be a {what} in 0..{size - 1}, got {arr.min() if arr.min() < 0 else arr.max()}."
            )
    else:
        error_if(jnp.any((value < 0) | (value >= size)),
                 f"{name} must be a {what} in 0..{size - 1}; a value outside that range was given "
                 f"(found inside jit/vmap).")


# --------------------------------------------------------------------------- Python values
def check_choice(name: str, value, choices: Sequence[str]) -> None:
    try:
        known = value in choices
    except TypeError:  # unhashable or incomparable values
        known = False
    if not known:
        raise ValueError(f"{name}={value!r} is not known; choose one of {', '.join(map(repr, choices))}.")


def is_integer_value(value) -> bool:
    """A Python or NumPy integer, or a concrete 0-d integer array; never a bool."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    return (hasattr(value, "dtype") and is_concrete(value) and np.ndim(value) == 0
            and jnp.issubdtype(dtype_of(value), jnp.integer))


def check_int(name: str, value, *, minimum: Optional[int] = None, maximum: Optional[int] = None) -> int:
    """``value`` must be an integer (not a float, a bool or a string) in [minimum, maximum]."""
    if not is_integer_value(value):
        hint = f"; pass {name}={int(value)}" if isinstance(value, float) and value.is_integer() else ""
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__}){hint}.")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if maximum is None:
            want = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        elif minimum is None:
            want = f"an integer <= {maximum}"
        else:
            want = f"an integer in {minimum}..{maximum}"
        raise ValueError(f"{name} must be {want}, got {value}.")
    return value


def check_bool(name: str, value) -> bool:
    """``value`` must be True or False (a string such as 'no' is not silently truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__}).")
    return bool(value)


def check_number(name: str, value, *, minimum: Optional[float] = None, strict: bool = False) -> float:
    """``value`` must be a finite real number (not NaN, a bool or a string), ``> minimum`` when
    ``strict`` else ``>= minimum``."""
    if isinstance(value, (bool, np.bool_)) or not (
            isinstance(value, (int, float, np.integer, np.floating))
            or (hasattr(value, "dtype") and is_concrete(value) and np.ndim(value) == 0
                and jnp.issubdtype(dtype_of(value), jnp.number))):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}.")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum}, got {value}.")
    return value


def check_positive(name: str, value, *, integer: bool = False):
    """A positive integer (``integer=True``) or a positive finite number; returns it."""
    if integer:
        return check_int(name, value, minimum=1)
    return check_number(name, value, minimum=0, strict=True)


def check_key(name: str, key, *, count: Optional[int] = None, batched: bool = False) -> jax.Array:
    """A ``jax.random.key(...)`` key (shape ()), or with ``batched`` K >= 1 keys (shape (K,), from
    ``jax.random.split``; exactly ``count`` of them when given). Raw uint32 keys (shape (2,) or
    (K, 2)) are accepted too. Returns ``key``."""
    batched = batched or count is not None
    example = (f"jax.random.split(jax.random.key(0), {count if count is not None else 'K'})" if batched
               else "jax.random.key(0)")
    if not hasattr(key, "dtype"):
        raise TypeError(f"{name} must be {'jax.random keys' if batched else 'a jax.random key'}, got {key!r} "
                        f"({type(key).__name__}); use {name}={example}.")
    typed = bool(jnp.issubdtype(key.dtype, jax.dtypes.prng_key))
    raw = not typed and dtype_of(key) == np.uint32 and np.shape(key)[-1:] == (2,)
    shape = tuple(np.shape(key)) if typed else tuple(np.shape(key))[:-1]
    if batched:
        ok = len(shape) == 1 and shape[0] >= 1 and (count is None or shape[0] == count)
    else:
        ok = shape == ()
    if not (typed or raw) or not ok:
        want = (f"{count} keys" if count is not None else "K keys") if batched else "one key"
        raise ValueError(f"{name} must be {want} ({example}); got shape {tuple(np.shape(key))} dtype {key.dtype}.")
    return key
