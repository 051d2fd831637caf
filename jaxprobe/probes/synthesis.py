"""Input synthesis: gradient ascent on many targets × random starts in one compiled call.

Seed 004 §4 (eq. 10): x_0* = argmax_{x_0} x_13^i, "The algorithm starts from a random image and it is
updated according to a simple gradient ascent criterion … Every time the algorithm is started from
a different random image, it converges to a different configuration." The thesis (seed 001 Ch. 5)
does the same on a class probability: x ← x + α ∂a_i/∂x, stopping when the probability exceeds
0.999. Feature-visualisation tools optimise one objective per call; here every (target, start)
pair is one example of a single ``lax.while_loop``, vmapped, jit-compiled, and each example stops
on its own (its input is frozen from the step its stopping rule fires; the loop ends when all have
stopped or at ``max_iter``). On the CPU the same compiled step is driven from Python by default
(``loop='auto'``), because XLA:CPU ran it an order of magnitude slower inside the while loop; that
driver also shrinks the batch to the running examples as they stop (``compacted_rows``), which
halved the time of 60 classes × 1,000 starts of the jump MLP (benchmarks/bench_synthesis.py).

The pieces are small pure values (frozen dataclasses, so they are hashable static arguments):

* objectives, ``objective(trace, target) -> scalar``: :class:`UnitActivation` (o_l or z_l of one
  unit), :class:`ClassProbability`, :class:`Logit`; any function with that signature works.
* stopping rules, ``rule(value, previous, change) -> bool`` (``change`` = max |Δx| of the step):
  :class:`Above` (the thesis's p > 0.999), :class:`Converged` (a fixed point of the ascent),
  :class:`Stalled` (no more improvement).
* transforms r_θ applied to each example after each step (the thesis's eq. 2.8,
  x ← r_θ(x + α ∂a_i/∂x); all off by default, as in the thesis's own Ch. 5 ascent),
  ``transform(x) -> x``: :class:`Clip` (a valid pixel range), :class:`L2Decay`, :class:`Blur`
  (Gaussian, signals and images), :class:`ClipSmallNorm` (the regularisers eq. 2.8 names, after
  Yosinski et al. 2015); a transform that declares ``needs = ("key",)`` or ``("grad",)`` is called
  ``transform(x, key=..., grad=...)``: :class:`Jitter` (a random roll; keys from ``ascend``'s
  ``key``, see :func:`step_keys`), :class:`ClipSmallContribution` (|x ⊙ ∂a_i/∂x|).
* parameterisations, what the ascent moves: :class:`Pixels` (x itself, the default) or
  :class:`Fourier` (Lucid's decorrelated spectrum of a 2-D input); results are inputs either way.

>>> import jax, jax.numpy as jnp, jaxprobe as jp
>>> net = jp.mlp([3, 16, 2])
>>> params = net.init(jax.random.key(0))
>>> starts = uniform_starts(jax.random.key(1), 5, net.input_shape, -0.05, 0.05)
>>> res = ascend(net, params, ClassProbability(), jnp.array([0, 1]), starts, step_size=10.0,
...              stop=Above(0.99), max_iter=500)
>>> res.inputs.shape, res.values.shape, bool(res.stopped.all()), bool((res.values > 0.99).all())
((2, 5, 3), (2, 5), True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, ClassVar, NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation
from jaxprobe.models import Network, Params, Trace


# ---------------------------------------------------------------------------------- objectives
@dataclass(frozen=True)
class UnitActivation:
    """One unit of layer ``layer`` (1-based; flat index = the target): o_l (``pre=False``, seed 004's
    x_13^i) or the pre-activation z_l (``pre=True``; same argmax wherever the maximum is positive,
    and a gradient even where the unit is off)."""

    layer: int
    pre: bool = False

    def __call__(self, trace: Trace, target) -> jax.Array:
        values = trace.pre[self.layer - 1] if self.pre else trace.post[self.layer - 1]
        return values.reshape(-1)[target]

    def n_targets(self, model: Network) -> int:
        if not 1 <= self.layer <= model.n_layers:
            raise ValueError(f"UnitActivation.layer must be in 1..{model.n_layers}, got {self.layer}.")
        return int(np.prod(model.layer_shapes[self.layer - 1]))


@dataclass(frozen=True)
class ClassProbability:
    """The softmax probability of a class (the thesis's objective, Ch. 5)."""

    def __call__(self, trace: Trace, target) -> jax.Array:
        return jax.nn.softmax(trace.pre[-1])[target]

    def n_targets(self, model: Network) -> int:
        return model.n_classes


@dataclass(frozen=True)
class Logit:
    """The logit z_L of a class."""

    def __call__(self, trace: Trace, target) -> jax.Array:
        return trace.pre[-1][target]

    def n_targets(self, model: Network) -> int:
        return model.n_classes


# ---------------------------------------------------------------------------------- stopping rules
@dataclass(frozen=True)
class Above:
    """Stop once the objective exceeds ``threshold`` (the thesis: p > 0.999); checked at the start too."""

    threshold: float

    def __call__(self, value, previous, change) -> jax.Array:
        return value > self.threshold


@dataclass(frozen=True)
class Converged:
    """Stop once a step moves no input entry by more than ``tol`` (a fixed point of the ascent,
    e.g. a vertex of the pixel box under :class:`Clip`)."""

    tol: float = 1e-5

    def __call__(self, value, previous, change) -> jax.Array:
        return change <= self.tol


@dataclass(frozen=True)
class Stalled:
    """Stop once a step raises the objective by no more than ``rtol`` × |previous value| (a constant
    step that zig-zags across a kink of a ReLU network never reaches a fixed point; this ends it
    at the first step that does not improve: the input returned is that step's). Never fires at
    the start, where there is no previous value (``ascend`` passes −inf: without the guard,
    inf ≤ rtol·inf would stop every start before its first step)."""

    rtol: float = 1e-4

    def __call__(self, value, previous, change) -> jax.Array:
        return jnp.isfinite(previous) & (value - previous <= self.rtol * jnp.abs(previous))


# ---------------------------------------------------------------------------------- transforms
# The thesis's eq. 2.8, x ← r_θ(x + α ∂a_i(x)/∂x): each transform is one r_θ, applied in order to
# ONE example after each step. A transform that needs more than x declares it in ``needs``:
# "key" (a per-step, per-example random key, see ``step_keys``) and/or "grad" (∂a_i/∂x of the step,
# in input space); it is then called as ``transform(x, key=..., grad=...)`` with just those.
TRANSFORM_NEEDS = ("key", "grad")


def spatial_axes(ndim: int) -> tuple:
    """The axes of one example that are positions: (0,) for a signal (L,), (0, 1) for an image
    (H, W) or (H, W, C) (channels last, as ``cnn2d``).

    Args:
      ndim: the rank of one example.

    Returns:
      A tuple of axis indices.

    Raises:
      ValueError: ``ndim`` not 1, 2 or 3.

    >>> spatial_axes(1), spatial_axes(3)
    ((0,), (0, 1))
    """
    if ndim not in (1, 2, 3):
        raise ValueError(f"inputs must be signals (L,) or images (H, W) / (H, W, C); got rank {ndim}.")
    return (0,) if ndim == 1 else (0, 1)


def pixel_magnitude(x: jax.Array) -> jax.Array:
    """Per position: |x| for a signal or a 1-channel image, the L2 norm over channels for (H, W, C)."""
    return jnp.linalg.norm(x, axis=-1) if x.ndim == 3 else jnp.abs(x)


def zero_positions(x: jax.Array, mask: jax.Array) -> jax.Array:
    """``x`` with every position where ``mask`` (spatial shape) holds set to 0 (all channels)."""
    return jnp.where(mask[..., None] if x.ndim == 3 else mask, 0.0, x)


@dataclass(frozen=True)
class Clip:
    """Project the input onto the box [low, high] after each step (e.g. valid pixels [0, 1])."""

    low: float = 0.0
    high: float = 1.0
    needs: ClassVar[tuple] = ()

    def __call__(self, x):
        return jnp.clip(x, self.low, self.high)


@dataclass(frozen=True)
class L2Decay:
    """Shrink the input by a factor (1 − ``rate``) after each step (the "L2 decay" r_θ of the
    thesis's eq. 2.8; Yosinski et al. 2015)."""

    rate: float
    needs: ClassVar[tuple] = ()

    def __call__(self, x):
        return (1.0 - self.rate) * x


def gaussian_kernel(sigma: float, truncate: float = 4.0) -> np.ndarray:
    """The normalised 1-D Gaussian w_k ∝ exp(−k² / 2σ²), k = −r..r, r = int(truncate·σ + 0.5)
    (scipy.ndimage's radius).

    Args:
      sigma: the standard deviation in positions, > 0.
      truncate: the radius in standard deviations, > 0.

    Returns:
      float32 array (2r + 1,) summing to 1.

    Raises:
      ValueError / TypeError: ``sigma`` or ``truncate`` not a finite positive number.

    >>> np.round(gaussian_kernel(1.0, truncate=1.0), 4)
    array([0.2741, 0.4519, 0.2741], dtype=float32)
    """
    sigma = validation.check_positive("sigma", sigma)
    truncate = validation.check_positive("truncate", truncate)
    radius = int(truncate * sigma + 0.5)
    k = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (k / sigma) ** 2)
    return (w / w.sum()).astype(np.float32)


@dataclass(frozen=True)
class Blur:
    """Gaussian blur of each example over its positions (the "Gaussian blur" r_θ of the thesis's
    eq. 2.8; Yosinski et al. 2015): separable, one 1-D kernel ``gaussian_kernel(sigma, truncate)``
    per spatial axis, borders reflected (d c b a | a b c d, scipy.ndimage's ``mode='reflect'``), so
    a constant input stays constant. Signals (L,) blur along L, images (H, W[, C]) along H and W."""

    sigma: float
    truncate: float = 4.0
    needs: ClassVar[tuple] = ()

    def __post_init__(self):
        gaussian_kernel(self.sigma, self.truncate)  # checks both

    def __call__(self, x):
        w = gaussian_kernel(self.sigma, self.truncate)
        r = (w.size - 1) // 2
        for axis in spatial_axes(x.ndim):
            n = x.shape[axis]
            pad = [(0, 0)] * x.ndim
            pad[axis] = (r, r)
            xp = jnp.pad(x, pad, mode="symmetric") if r <= n else jnp.pad(x, pad, mode="edge")
            x = sum(float(w[k]) * jax.lax.slice_in_dim(xp, k, k + n, axis=axis) for k in range(w.size))
        return x


@dataclass(frozen=True)
class Jitter:
    """Roll each example by a random integer shift, drawn uniformly in [−max_shift, max_shift] per
    spatial axis, after each step (circular, as DeepDream's ``np.roll``). Needs a key: give
    ``ascend`` a ``key``. (Lucid instead jitters the view the network sees and leaves the optimised
    image in place; here the shift is a post-step r_θ of eq. 2.8 and stays in the input.)"""

    max_shift: int
    needs: ClassVar[tuple] = ("key",)

    def __post_init__(self):
        validation.check_int("max_shift", self.max_shift, minimum=0)

    def shifts(self, key: jax.Array, ndim: int) -> jax.Array:
        """The shift drawn from ``key`` for an example of rank ``ndim``: int32 (n_spatial_axes,)."""
        n = len(spatial_axes(ndim))
        return jax.random.randint(key, (n,), -self.max_shift, self.max_shift + 1)

    def __call__(self, x, key):
        return jnp.roll(x, self.shifts(key, x.ndim), axis=spatial_axes(x.ndim))


@dataclass(frozen=True)
class ClipSmallNorm:
    """Set to 0 the positions whose magnitude (|x|, or the norm over channels) is below the
    ``percentile``-th percentile of the example's magnitudes (the "clipping pixels with small norm"
    r_θ of the thesis's eq. 2.8; Yosinski et al. 2015 §2; the thesis gives no threshold, so the
    percentile is the parameter, as in Yosinski et al.). Meant for inputs centred at 0 (Yosinski
    et al. subtract the data mean): on [0, 1] pixels it zeroes the darkest, not the weakest."""

    percentile: float
    needs: ClassVar[tuple] = ()

    def __post_init__(self):
        validation.check_number("percentile", self.percentile, minimum=0.0)
        if self.percentile > 100:
            raise ValueError(f"percentile must be in [0, 100], got {self.percentile}.")

    def __call__(self, x):
        m = pixel_magnitude(x)
        return zero_positions(x, m < jnp.percentile(m, self.percentile))


@dataclass(frozen=True)
class ClipSmallContribution:
    """Set to 0 the positions whose contribution Σ_channels |x ⊙ ∂a_i/∂x| (the first-order change
    of a_i were the position set to 0) is below the ``percentile``-th percentile of the example's
    (the "clipping pixels with small contribution" r_θ of the thesis's eq. 2.8; Yosinski et al.
    2015 §2). The gradient is the step's, taken before the step."""

    percentile: float
    needs: ClassVar[tuple] = ("grad",)

    def __post_init__(self):
        ClipSmallNorm(self.percentile)  # the same check

    def __call__(self, x, grad):
        c = jnp.abs(x * grad)
        c = c.sum(axis=-1) if x.ndim == 3 else c
        return zero_positions(x, c < jnp.percentile(c, self.percentile))


# ---------------------------------------------------------------------------------- parameterisations
@dataclass(frozen=True)
class Pixels:
    """Ascent on the input itself (the thesis's eq. 2.7): ``to_input`` and ``from_input`` are the
    identity."""

    def to_input(self, p, shape):
        return p

    def from_input(self, x):
        return x

    def check(self, shape) -> None:
        return None


def rfft2_frequencies(height: int, width: int) -> np.ndarray:
    """|f| of each coefficient of a real 2-D FFT of an (H, W) image, cycles per position:
    shape (H, W // 2 + 1)."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    return np.sqrt(fx * fx + fy * fy)


@dataclass(frozen=True)
class Fourier:
    """Lucid's decorrelated ("fft_image") parameterisation of 2-D inputs: the ascent runs on the
    real and imaginary parts p of the image's spectrum scaled so that every frequency starts with
    the same weight,

        x = irfft2(s ⊙ (p_re + i p_im)) / 4,   s = √(HW) / max(|f|, 1/max(H, W))^decay,

    (Olah et al. 2017, lucid.optvis.param.spatial.fft_image, standard rfft shapes); per channel for
    (H, W, C). ``from_input`` is its exact inverse on images (rfft2(4x) / s), so starts are given
    as images and the result's ``inputs`` are images. A gradient step in p moves low frequencies
    ≈ s² times more than a pixel step would: the images come out smoother.
    """

    decay: float = 1.0

    def __post_init__(self):
        validation.check_number("decay", self.decay, minimum=0.0)

    def check(self, shape) -> None:
        """Raises ValueError unless ``shape`` is an image (H, W) or (H, W, C)."""
        if len(shape) not in (2, 3):
            raise ValueError(f"parameterisation=Fourier(...) needs 2-D inputs (H, W) or (H, W, C); the model's "
                             f"input shape is {tuple(shape)}: use parameterisation=None (pixels).")

    def scale(self, shape) -> np.ndarray:
        """s of the docstring, shape (H, W // 2 + 1[, 1])."""
        h, w = shape[:2]
        s = np.sqrt(h * w) / np.maximum(rfft2_frequencies(h, w), 1.0 / max(h, w)) ** self.decay
        return (s[..., None] if len(shape) == 3 else s).astype(np.float32)

    def to_input(self, p, shape):
        spectrum = self.scale(shape) * (p[0] + 1j * p[1])
        return jnp.fft.irfft2(spectrum, s=tuple(shape[:2]), axes=(0, 1)).astype(jnp.float32) / 4.0

    def from_input(self, x):
        spectrum = jnp.fft.rfft2(4.0 * x, axes=(0, 1)) / self.scale(x.shape)
        return jnp.stack([spectrum.real, spectrum.imag]).astype(jnp.float32)


# ---------------------------------------------------------------------------------- result
class SynthesisResult(NamedTuple):
    """Per (target, start): the final input, its objective, the steps taken, whether it stopped
    by its rule (False: it hit ``max_iter``)."""

    inputs: jax.Array  # (T, S, *input_shape)
    values: jax.Array  # (T, S)
    iterations: jax.Array  # (T, S) int32
    stopped: jax.Array  # (T, S) bool


def uniform_starts(key: jax.Array, n: int, shape: Sequence[int], low: float = 0.0, high: float = 1.0) -> jax.Array:
    """``n`` random starts drawn uniformly in [low, high]: shape (n, *shape)."""
    validation.check_positive("n", n, integer=True)
    return jax.random.uniform(key, (int(n),) + tuple(shape), minval=low, maxval=high)


def _any(rules: tuple, value, previous, change):
    out = jnp.zeros(jnp.shape(value), bool)
    for rule in rules:
        out = out | rule(value, previous, change)
    return out


_STATIC = ("model", "objective", "stop", "transforms", "parameterisation")


def step_keys(key: jax.Array, step, examples) -> jax.Array:
    """The keys of step ``step`` (0-based) for examples of the flattened (target, start) grid
    (example e = t·S + s): fold_in(fold_in(key, step), e), so an example's draws do not depend on
    which others run beside it. Transform i of the tuple gets fold_in(keys[e], i), so two random
    transforms draw independently.

    Args:
      key: the ``key`` given to ``ascend``.
      step: the step index (int or int array).
      examples: an int n (examples 0..n−1) or an int array of example indices.

    Returns:
      Keys, one per example.
    """
    examples = jnp.arange(examples) if isinstance(examples, (int, np.integer)) else jnp.asarray(examples)
    step_key = jax.random.fold_in(key, step)
    return jax.vmap(lambda e: jax.random.fold_in(step_key, e))(examples)


def _apply_transforms(transforms: tuple, x, keys, grad):
    """The transforms in order on a batch of examples, each example on its own (vmapped)."""
    def one(x1, key1, grad1):
        for i, transform in enumerate(transforms):
            context = {"key": jax.random.fold_in(key1, i), "grad": grad1}
            x1 = transform(x1, **{name: context[name] for name in getattr(transform, "needs", ())})
        return x1
    return jax.vmap(one)(x, keys, grad)


def _value_and_grad(model, params, objective):
    return jax.vmap(jax.value_and_grad(lambda x, t: objective(model.trace_one(params, x), t)))


def _pull_back(parameterisation, p, grad_x, shape):
    """∂a/∂p = (∂x/∂p)ᵀ ∂a/∂x, per example (x = to_input(p) is linear in p)."""
    def one(p1, g1):
        return jax.vjp(lambda q: parameterisation.to_input(q, shape), p1)[1](g1)[0]
    return jax.vmap(one)(p, grad_x)


class _State(NamedTuple):
    step: Any
    p: Optional[jax.Array]  # the parameters of the ascent (None for Pixels: they are x)
    x: jax.Array  # the inputs
    value: jax.Array
    grad: jax.Array  # ∂objective/∂x at x
    iterations: jax.Array
    done: jax.Array
    example: jax.Array  # the example's index in the flattened (target, start) grid


@partial(jax.jit, static_argnames=_STATIC)
def _ascend_init(model, params, objective, stop, transforms, parameterisation, targets, starts):
    """The loop state at step 0."""
    shape = tuple(model.input_shape)
    p0 = jax.vmap(parameterisation.from_input)(starts)
    x0 = jax.vmap(lambda p: parameterisation.to_input(p, shape))(p0)
    v0, g0 = _value_and_grad(model, params, objective)(x0, targets)
    done0 = _any(stop, v0, jnp.full_like(v0, -jnp.inf), jnp.full_like(v0, jnp.inf))
    p0 = None if isinstance(parameterisation, Pixels) else p0
    return _State(0, p0, x0, v0, g0, jnp.zeros(v0.shape, jnp.int32), done0, jnp.arange(v0.shape[0]))


def _ascend_body(model, params, objective, stop, transforms, parameterisation, step_size, targets, key, state):
    """One step, p ← p + α ∂a/∂p then x = r_θ(to_input(p)) (eq. 2.8), for every example not yet
    stopped; stopped examples are frozen."""
    shape = tuple(model.input_shape)
    s = state
    p = s.x if s.p is None else s.p
    p_new = p + step_size * _pull_back(parameterisation, p, s.grad, shape)
    x_new = jax.vmap(lambda p: parameterisation.to_input(p, shape))(p_new)
    if transforms:
        x_new = _apply_transforms(transforms, x_new, step_keys(key, s.step, s.example), s.grad)
        p_new = jax.vmap(parameterisation.from_input)(x_new)
    v_new, g_new = _value_and_grad(model, params, objective)(x_new, targets)
    change = jnp.max(jnp.abs((x_new - s.x).reshape(s.x.shape[0], -1)), axis=1)
    fire = _any(stop, v_new, s.value, change)
    keep = lambda new, old: jnp.where(s.done.reshape(s.done.shape + (1,) * (new.ndim - 1)), old, new)
    return _State(s.step + 1, None if s.p is None else keep(p_new, s.p), keep(x_new, s.x), keep(v_new, s.value),
                  keep(g_new, s.grad), s.iterations + (~s.done).astype(jnp.int32), s.done | fire, s.example)


@partial(jax.jit, static_argnames=_STATIC + ("max_iter",))
def _ascend_while(model, params, objective, stop, transforms, parameterisation, step_size, max_iter, targets, key,
                  starts):
    """Every example in one ``lax.while_loop``, ending when all have stopped or at ``max_iter``."""
    state = _ascend_init(model, params, objective, stop, transforms, parameterisation, targets, starts)
    state = state._replace(step=jnp.int32(0))
    cond = lambda s: (s.step < max_iter) & ~jnp.all(s.done)
    body = partial(_ascend_body, model, params, objective, stop, transforms, parameterisation, step_size, targets,
                   key)
    return jax.lax.while_loop(cond, body, state)


_ascend_step = jax.jit(_ascend_body, static_argnames=_STATIC, donate_argnames=("state",))


#: The host driver shrinks the batch to the running examples once at most 1/COMPACT_FACTOR of its
#: rows run, to the next power of two (one compilation per size) but not below COMPACT_MIN_ROWS.
# Timed on mlp2 / cnn2 (bench_synthesis.py): factor 2 beat 4 and beat waiting until the padded size
# halves; 16 and 256 rows ran alike once compiled, and each size is one more compilation (~1 s).
COMPACT_FACTOR = 2
COMPACT_MIN_ROWS = 256


def compacted_rows(rows: int, running: int) -> Optional[int]:
    """The batch size the host driver shrinks a batch of ``rows`` to when ``running`` of them still
    run, or None to keep it: the next power of two ≥ ``running`` (≥ ``COMPACT_MIN_ROWS``) once
    ``running`` ≤ rows / ``COMPACT_FACTOR``.

    Args:
      rows: the current batch size.
      running: how many of its examples have not stopped (≥ 1).

    Returns:
      The new size, or None.

    >>> compacted_rows(60000, 30001), compacted_rows(60000, 30000), compacted_rows(1024, 3), compacted_rows(256, 1)
    (None, 32768, 256, None)
    """
    if rows <= COMPACT_MIN_ROWS or COMPACT_FACTOR * running > rows:
        return None
    return max(COMPACT_MIN_ROWS, 1 << max(0, running - 1).bit_length())


def _ascend_host(model, params, objective, stop, transforms, parameterisation, step_size, max_iter, targets, key,
                 starts):
    """The same steps driven from Python, one compiled step per call (same results as the while
    loop). Stopped examples are frozen, so once at most 1/``COMPACT_FACTOR`` of the rows still run,
    the stopped ones are written out and the batch shrinks to the running ones (padded with
    stopped rows to a power of two, at least ``COMPACT_MIN_ROWS``): the work follows the running
    examples instead of the slowest one."""
    state = _ascend_init(model, params, objective, stop, transforms, parameterisation, targets, starts)
    state = state._replace(step=jnp.int32(0))
    final = None  # the full-size state, kept once the batch first shrinks (each step donates ``state``)
    for _ in range(max_iter):
        done = np.asarray(state.done)
        if done.all():
            break
        running = int((~done).sum())
        size = compacted_rows(done.shape[0], running)
        if size is not None:
            final = state if final is None else _write_back(final, state)
            keep = np.concatenate([np.flatnonzero(~done), np.flatnonzero(done)[:size - running]])
            take = jnp.asarray(keep)
            state = jax.tree.map(lambda a: a if np.ndim(a) == 0 else a[take], state)
            targets = targets[take]
        state = _ascend_step(model, params, objective, stop, transforms, parameterisation, step_size, targets, key,
                             state)
    return state if final is None else _write_back(final, state)


@jax.jit
def _write_back(final, state):
    """``final`` with the rows of ``state`` written at their examples' places (and its step)."""
    put = lambda full, part: full if np.ndim(full) == 0 else full.at[state.example].set(part)
    return jax.tree.map(put, final, state)._replace(step=state.step)


def _as_tuple(value, kind: str) -> tuple:
    if value is None:
        return ()
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    for item in items:
        if not callable(item):
            raise TypeError(f"{kind} must be callables (e.g. Above(0.999), Clip()), got {item!r}.")
        try:
            hash(item)
        except TypeError as err:
            raise TypeError(f"{kind} must be hashable (frozen dataclasses or def'd functions): they are "
                            f"static arguments of the compiled loop; got {item!r}.") from err
    return items


def _needs(transforms: tuple) -> set:
    needs = set()
    for transform in transforms:
        declared = getattr(transform, "needs", ())
        unknown = set(declared) - set(TRANSFORM_NEEDS)
        if unknown:
            raise TypeError(f"transform {transform!r} declares needs {sorted(unknown)}; a transform may need only "
                            f"{TRANSFORM_NEEDS}.")
        needs |= set(declared)
    return needs


def ascend(model: Network, params: Params, objective: Callable[[Trace, Any], jax.Array], targets, starts, *,
           step_size: float, max_iter: int = 1000, stop=None, transforms=(), parameterisation=None, key=None,
           loop: str = "auto") -> SynthesisResult:
    """Gradient ascent x ← r_θ(x + α ∂objective/∂x) (the thesis's eq. 2.8; eq. 2.7 without
    transforms) for every target × start, in one compiled loop.

    Args:
      model, params: the network (its parameters stay fixed).
      objective: ``objective(trace, target) -> scalar`` (``UnitActivation``, ``ClassProbability``, …).
      targets: int array (T,) of target indices (units of the layer, or classes).
      starts: (S, *input_shape) starts shared by every target, or (T, S, *input_shape); images even
        under ``parameterisation=Fourier()``.
      step_size: α, a finite positive number.
      max_iter: the guard: no example takes more steps.
      stop: a stopping rule or a tuple of them (any one fires); None runs ``max_iter`` steps.
      transforms: a transform (r_θ) or a tuple of them, applied in order to each example after each
        step (``Clip``, ``L2Decay``, ``Blur``, ``Jitter``, ``ClipSmallNorm``, ``ClipSmallContribution``
        or any hashable ``f(x, **needs)``; see ``TRANSFORM_NEEDS``).
      parameterisation: None (= ``Pixels()``: ascend on x) or ``Fourier(decay)``: ascend on the
        scaled spectrum p, x = to_input(p), p ← p + α ∂a/∂p; transforms act on the image x and
        p is recomputed from it. The result's ``inputs`` are images either way.
      key: a ``jax.random.key``, needed when a transform declares ``needs`` "key" (``Jitter``); the
        key of step k and example e (= t·S + s) is ``step_keys(key, k, T·S)[e]``.
      loop: 'while' runs every step inside one compiled ``lax.while_loop``; 'host' runs the same
        compiled step from Python until all examples have stopped (identical results), shrinking
        the batch to the running examples as they stop (see ``compacted_rows``); 'auto'
        (default) picks 'host' on the CPU, where XLA ran this loop's body 10–16× slower inside a
        while loop than as a call (vgg_mnist(16), 32 examples: 357 vs 22 ms a step), else 'while'.

    Returns:
      ``SynthesisResult`` with arrays of leading shape (T, S).

    Raises:
      ValueError / TypeError: unknown target, non-finite or non-positive ``step_size``, zero
      starts, starts of the wrong shape, ``max_iter`` < 1, rules, transforms or parameterisation
      that are not hashable callables / objects, a transform that needs a key without ``key``,
      Fourier on a non-image model, an unknown ``loop``.
    """
    if not isinstance(step_size, (int, float, np.floating, np.integer)) or not math.isfinite(step_size) \
            or step_size <= 0:
        raise ValueError(f"step_size must be a finite positive number, got {step_size!r}.")
    if not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}.")
    stop, transforms = _as_tuple(stop, "stop rules"), _as_tuple(transforms, "transforms")
    _as_tuple(objective, "objective")
    shape = tuple(model.input_shape)
    parameterisation = Pixels() if parameterisation is None else parameterisation
    if not all(hasattr(parameterisation, name) for name in ("to_input", "from_input", "check")):
        raise TypeError(f"parameterisation must be None, Pixels() or Fourier(decay=...), got {parameterisation!r}.")
    _as_tuple(parameterisation.to_input, "parameterisation")
    parameterisation.check(shape)
    if "key" in _needs(transforms):
        if key is None:
            names = [repr(t) for t in transforms if "key" in getattr(t, "needs", ())]
            raise ValueError(f"key is needed by the random transform(s) {', '.join(names)}: pass "
                             f"key=jax.random.key(0) (any seed) to ascend.")
        validation.check_key("key", key)
    key = jax.random.key(0) if key is None else key
    n_targets = objective.n_targets(model) if hasattr(objective, "n_targets") else None
    targets = np.asarray(targets) if validation.is_concrete(targets) else targets
    if n_targets is not None:
        validation.check_index("targets", targets, n_targets, "target index")
    targets = jnp.atleast_1d(jnp.asarray(targets, jnp.int32))
    if targets.ndim != 1 or targets.shape[0] == 0:
        raise ValueError(f"targets must be a non-empty 1-D array of target indices, got shape {targets.shape}.")
    starts = jnp.asarray(starts)
    if starts.shape[-len(shape):] != shape or starts.ndim not in (len(shape) + 1, len(shape) + 2):
        raise ValueError(f"starts must have shape (S, {', '.join(map(str, shape))}) or "
                         f"(T, S, {', '.join(map(str, shape))}); got {starts.shape}.")
    if starts.ndim == len(shape) + 1:
        starts = jnp.broadcast_to(starts, (targets.shape[0],) + starts.shape)
    n_t, n_s = starts.shape[:2]
    if n_s == 0:
        raise ValueError("starts holds zero starts; give at least one (e.g. uniform_starts(key, 8, shape)).")
    if n_t != targets.shape[0]:
        raise ValueError(f"starts has {n_t} rows of starts for {targets.shape[0]} targets.")
    validation.check_floating("starts", starts)
    validation.check_finite("starts", starts)
    flat_targets = jnp.repeat(targets, n_s)
    flat_starts = starts.reshape((n_t * n_s,) + shape)
    validation.check_choice("loop", loop, ("auto", "while", "host"))
    if loop == "auto":
        loop = "host" if jax.default_backend() == "cpu" else "while"
    driver = _ascend_while if loop == "while" else _ascend_host
    final = driver(model, params, objective, stop, transforms, parameterisation, jnp.float32(step_size),
                   int(max_iter), flat_targets, key, flat_starts)
    grid = lambda a: a.reshape((n_t, n_s) + a.shape[1:])
    return SynthesisResult(grid(final.x), grid(final.value), grid(final.iterations), grid(final.done))
