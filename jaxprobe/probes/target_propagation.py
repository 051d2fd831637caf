"""Gradient target propagation (seed 003, Algorithm 1; de Souza Farias & Maziero, arXiv 1810.09284).

A target set at the activation o_L of a chosen layer L is carried down to the input, one stage at
a time. The target t_{l-1} of the stage below is found by descent on the stage's mismatch
½‖f(A_l(t_{l-1})) − t_l‖², with A_l the stage's affine map W_l · + b_l (pool and reshape
included, as in :meth:`jaxprobe.models.Network.stage_affine`) and f its activation:

    t_{l-1} ← t_{l-1} − τ A_lᵀ((f(z) − t_l) ⊙ f′(z)),   z = A_l(t_{l-1})          (seed 003, Alg. 1)

Each step is one transposed-Jacobian pass: ``jax.vjp`` of the stage's affine map at the current
target (A_lᵀ = Pᵀ W_lᵀ) applied to the mismatch through the ``gradient`` rule of
:mod:`jaxprobe.rules`, the same pass the backward flows of :mod:`jaxprobe.flows` make.

Where the descent starts (``start``):

* ``"forward"`` (default): at the forward activation o_{l-1} of the input ``x``, so every step is
  a descent step on the mismatch and ``steps → ∞`` reaches the layer's (least-squares) inverse.
* ``"zero"``: as in the authors' code (github.com/tiago939/target, ``target.py``): the target
  starts at 0 while the first mismatch is read at the forward point z_l; later steps read it at
  the target. With one step, t_{l-1} = −τ A_lᵀ((o_l − t_l) ⊙ f′(z_l)), the term that gives the
  learning rule its Hebbian part (1810.09284).

At the input the two coincide when x = 0 (Algorithm 1's zero input). The input target t_0 is the
*feature* of the target (seed 003 §2); :func:`class_features` computes the features of one-hot
targets at the output for every class in one compiled, vmapped call.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation
from jaxprobe.models import Network, Params, Trace, activation_fn
from jaxprobe.rules import gradient

__all__ = ["STARTS", "TargetPropagation", "descent_step", "propagate_target", "target_propagation",
           "class_features"]

#: Where the descent of each layer's target starts (see the module docstring).
STARTS = ("forward", "zero")


class TargetPropagation(NamedTuple):
    """Targets of one propagation.

    ``targets[k]`` is the target at o_k for k = 0..layer (index 0: the input, the feature;
    index ``layer``: the target that was set). ``mismatch[l-1]`` is ‖f(A_l(t_{l-1})) − t_l‖ after
    the descent of stage l, l = 1..layer: how far the stage is from reaching its target.
    """

    targets: tuple
    mismatch: tuple


def descent_step(model: Network, params: Params, layer: int, point: jax.Array, target_above: jax.Array
                 ) -> jax.Array:
    """The descent direction of stage ``layer`` at ``point``: A_lᵀ((f(z) − t_l) ⊙ f′(z)).

    It is the gradient of ½‖f(A_l(point)) − ``target_above``‖² with respect to ``point``,
    computed as one ``jax.vjp`` of the stage's affine map (seed 003, Alg. 1; 1810.09284).

    Args:
      model: the network.
      params: its parameters.
      layer: the stage l (1-based) whose input target is sought.
      point: a value of o_{l-1} (one example).
      target_above: the target t_l at o_l.

    Returns:
      An array shaped like ``point``; one step is ``t ← t − τ · descent_step(...)``.

    >>> import jax, jax.numpy as jnp, jaxprobe as jp
    >>> net = jp.mlp([2, 3], activation="linear")
    >>> p = ({"kernel": jnp.array([[1., 0., 1.], [0., 1., 1.]]), "bias": jnp.zeros(3)},)
    >>> descent_step(net, p, 1, jnp.zeros(2), jnp.array([1., 2., 4.])).tolist()   # −Aᵀy
    [-5.0, -6.0]
    """
    activation = model.stages[layer - 1].activation
    z, transpose = jax.vjp(partial(model.stage_affine, params, layer), point)
    (direction,) = transpose(gradient(activation_fn(activation)(z) - target_above, z, activation))
    return direction


def _stage_target(model, params, layer, forward_below, target_above, tau, steps, start):
    """t_{l-1} for stage ``layer`` after ``steps`` descent steps, and the stage's mismatch."""
    first = forward_below - tau * descent_step(model, params, layer, forward_below, target_above)
    if start == "zero":
        first = first - forward_below
    step = lambda _, t: t - tau * descent_step(model, params, layer, t, target_above)
    t = jax.lax.fori_loop(1, steps, step, first)
    reached = activation_fn(model.stages[layer - 1].activation)(model.stage_affine(params, layer, t))
    return t, jnp.linalg.norm((reached - target_above).ravel())


def propagate_target(model: Network, params: Params, trace: Trace, target: jax.Array, *, layer: int,
                     tau: float, steps: int, start: str = "forward", to_layer: int = 0) -> TargetPropagation:
    """The engine, for one example whose forward ``trace`` is given (no argument checks).

    Args:
      model, params: the network.
      trace: ``model.trace_one(params, x)``.
      target: the target at o_layer.
      layer: the layer L where the target is set (1-based; ``model.n_layers`` = the output).
      tau: the step size τ.
      steps: descent steps per layer (a Python int ≥ 1).
      start: ``"forward"`` or ``"zero"`` (module docstring).
      to_layer: the propagation stops at o_{to_layer} (0: the input; 1 spares the first stage,
        as the learning rule needs no input target).

    Returns:
      A :class:`TargetPropagation` whose ``targets[k - to_layer]`` is the target at o_k and
      ``mismatch[l - to_layer - 1]`` that of stage l.
    """
    targets, mismatch = [target], []
    t = target
    for l in range(layer, to_layer, -1):
        t, miss = _stage_target(model, params, l, trace.inputs[l - 1], t, tau, steps, start)
        targets.append(t)
        mismatch.append(miss)
    return TargetPropagation(tuple(reversed(targets)), tuple(reversed(mismatch)))


@partial(jax.jit, static_argnames=("model", "layer", "steps", "start"))
def _propagate_batch(model, params, x, target, tau, layer, steps, start):
    def one(xi, ti):
        return propagate_target(model, params, model.trace_one(params, xi), ti, layer=layer, tau=tau,
                                steps=steps, start=start)

    return jax.vmap(one)(x, target)


def _check_settings(model: Network, layer, tau, steps, start) -> int:
    layer = model.n_layers if layer is None else layer
    if not isinstance(layer, (int, np.integer)) or isinstance(layer, bool) or not 1 <= layer <= model.n_layers:
        raise ValueError(f"layer must be an int in 1..{model.n_layers} (stages of this network), got {layer!r}.")
    validation.check_positive("tau", tau)
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be a Python int ≥ 1 (descent steps per layer), got {steps!r}.")
    validation.check_choice("start", start, STARTS)
    return int(layer)


def target_propagation(model: Network, params: Params, x, target, *, layer: Optional[int] = None,
                       tau: float = 1.0, steps: int = 1, start: str = "forward") -> TargetPropagation:
    """Propagates ``target`` from o_layer down to the input at ``x`` (seed 003, Algorithm 1).

    Args:
      model: the network.
      params: its parameters.
      x: one example, or a batch (leading axis N).
      target: the target at o_layer, one per example (shape of o_layer, or (N, ...)).
      layer: where the target is set (1-based; default the output layer).
      tau: the step size τ of each descent step.
      steps: descent steps per layer.
      start: ``"forward"`` (descent from the forward activation) or ``"zero"`` (the authors' code).

    Returns:
      A :class:`TargetPropagation`; ``targets[0]`` is the input target (the feature).

    Raises:
      ValueError: a layer, τ, step count, start or target shape that does not fit.
    """
    layer = _check_settings(model, layer, tau, steps, start)
    batched = validation.check_input("x", x, model.input_shape)
    shape = tuple(model.layer_shapes[layer - 1])
    got = tuple(np.shape(target))
    if got != ((np.shape(x)[0],) + shape if batched else shape):
        expected = f"(N, {', '.join(map(str, shape))})" if batched else str(shape)
        raise ValueError(f"target has shape {got}, expected {expected}: one target at o_{layer} per example.")
    validation.check_floating("target", target)
    x, target = jnp.asarray(x), jnp.asarray(target)
    if not batched:
        x, target = x[None], target[None]
    out = _propagate_batch(model, params, x, target, jnp.float32(tau), layer, int(steps), start)
    return out if batched else jax.tree.map(lambda a: a[0], out)


@partial(jax.jit, static_argnames=("model", "layer", "steps", "start"))
def _features(model, params, x, units, tau, value, layer, steps, start):
    trace = model.trace_one(params, x)
    size = int(np.prod(model.layer_shapes[layer - 1]))

    def one(unit):
        target = jax.nn.one_hot(unit, size, dtype=jnp.float32).reshape(model.layer_shapes[layer - 1]) * value
        return propagate_target(model, params, trace, target, layer=layer, tau=tau, steps=steps,
                                start=start).targets[0]

    return jax.vmap(one)(units)


def class_features(model: Network, params: Params, *, units=None, layer: Optional[int] = None, tau: float = 1.0,
                   steps: int = 1, start: str = "forward", x=None, value: float = 1.0) -> jax.Array:
    """The features of one-hot targets: input targets from a zero input (seed 003, Alg. 1, Fig. 1).

    The target at o_layer is ``value`` at one unit and 0 elsewhere; every unit of ``units`` is
    propagated in one jit-compiled call, vmapped over the units.

    Args:
      model: the network.
      params: its parameters.
      units: indices into the flattened o_layer (default: all units, i.e. the ten classes at the
        output).
      layer: where the target is set (default: the output layer).
      tau, steps, start: as in :func:`target_propagation`.
      x: the input the forward pass starts from (default: zeros, as Algorithm 1).
      value: the target's value at the chosen unit.

    Returns:
      The features, shape (len(units), *model.input_shape).

    >>> import jax, jaxprobe as jp
    >>> net = jp.mlp([4, 3, 2], activation="sigmoid")
    >>> class_features(net, net.init(jax.random.key(0)), tau=0.5, steps=3).shape
    (2, 4)
    """
    layer = _check_settings(model, layer, tau, steps, start)
    size = int(np.prod(model.layer_shapes[layer - 1]))
    units = np.arange(size) if units is None else np.asarray(units)
    validation.check_index("units", units, size, f"unit of layer {layer}")
    x = jnp.zeros(model.input_shape, jnp.float32) if x is None else x
    if validation.check_input("x", x, model.input_shape):
        raise ValueError("x must be one example (the input the forward pass starts from), not a batch.")
    return _features(model, params, jnp.asarray(x), jnp.asarray(units, jnp.int32).reshape(-1), jnp.float32(tau),
                     jnp.float32(value), layer, int(steps), start)
