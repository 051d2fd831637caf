"""The flows on any JAX function: the names of ``jaxprobe.flows``, with ``fn(params, x)`` for a network.

``jaxprobe.flows`` runs on a :class:`jaxprobe.Network`; this module runs the same flows on any
function ``fn(params, x)`` — a flax module's ``apply`` with its variables, a ``Network.apply``, plain
jnp code — through :func:`jaxprobe.interpret.with_rule`: the transposed pass of ``fn`` with the rule
at each activation (seed 004 eq. 4–9, seed 000 eq. 3–4 and 11). As in Captum, ``x`` is a batch
(N, ...) and ``fn`` maps it to a batch (N, ...) whose examples do not interact (inference mode:
batch norm with its running averages, no dropout); one example is ``x[None]``.

Every function checks its arguments and runs one jit-compiled call (``fn`` and ``rule`` are static:
build ``fn`` once and reuse it, or each new function object compiles again). All are vmap-able over
units, inputs and stacked parameters.

>>> import jax, jax.numpy as jnp, jaxprobe as jp
>>> model = jp.mlp([4, 3, 2]); params = model.init(jax.random.key(0)); x = jnp.ones((5, 4))
>>> bool(jnp.allclose(guided_backprop(model.apply, params, x, 1), jp.guided_backprop(model, params, x, 1)))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation
from jaxprobe.interpret import activation_sites, with_rule
from jaxprobe.rules import Rule, get_rule


class FunctionFlow(NamedTuple):
    """Signals of a backward flow through a function, activations in forward order
    (:func:`jaxprobe.interpret.activation_sites`).

    ``input`` is the signal at x; ``pre[k]`` the signal at the input z of activation k, after its
    rule (õ_k of seed 000); ``post[k]`` the signal arriving at its output σ(z), before the rule (z̃_k).
    ``pre`` and ``post`` are empty unless ``record=True``.
    """

    input: jax.Array
    pre: tuple
    post: tuple


# ------------------------------------------------------------------ the jit-compiled core
def _start_signal(start: str, out: jax.Array, arg: jax.Array) -> jax.Array:
    """The signal at fn's output: given, a one-hot logit, p − y, or one unit (times its value)."""
    if start == "signal":
        return arg.astype(out.dtype)
    if start in ("logit", "error"):
        y = jax.nn.one_hot(arg, out.shape[-1], dtype=out.dtype)
        return jax.nn.softmax(out, axis=-1) - y if start == "error" else y
    flat = out.reshape(out.shape[0], -1)
    delta = jax.nn.one_hot(arg, flat.shape[1], dtype=out.dtype).reshape(out.shape)
    return delta * out if start == "weighted_unit" else delta


@partial(jax.jit, static_argnames=("fn", "rule", "start", "record", "absolute"))
def _flow_core(fn, params, x, arg, rule, start, record, absolute=False) -> FunctionFlow:
    sites = activation_sites(fn, params, x, argnums=1) if record else ()
    taps = tuple((jnp.zeros(s.shape, s.dtype), jnp.zeros(s.shape, s.dtype)) for s in sites) if record else None
    ruled = with_rule(fn, rule, argnums=1, taps=True)
    out, transpose = jax.vjp(lambda xx, tt: ruled(tt, params, xx), x, taps)
    at_x, at_taps = transpose(_start_signal(start, out, arg))
    at_x = jnp.abs(at_x) if absolute else at_x
    at_taps = at_taps or ()
    return FunctionFlow(at_x, tuple(t[0] for t in at_taps), tuple(t[1] for t in at_taps))


# ------------------------------------------------------------------ argument checks
def _check_call(fn, params, x):
    """Checks ``fn`` and the batch ``x``; returns the shape and dtype of ``fn(params, x)``."""
    if not callable(fn):
        raise TypeError(f"fn must be a function fn(params, x) -> array, got {type(fn).__name__}.")
    try:
        hash(fn)
    except TypeError as err:
        raise TypeError("fn must be hashable (a def'd function, a bound method such as module.apply, a "
                        "partial): it is a static argument of the compiled flows.") from err
    if np.ndim(x) < 1:
        raise ValueError(f"x must be a batch of shape (N, ...), got shape {np.shape(x)}; one example is x[None].")
    validation.check_floating("x", x)
    validation.check_finite("x", x)
    out = jax.eval_shape(fn, params, x)
    if not isinstance(out, jax.ShapeDtypeStruct):
        kind = type(out).__name__ + (f" of {len(out)}" if hasattr(out, "__len__") else "")
        raise TypeError(f"fn must return one array (logits or an activation), got a {kind}; for a flax apply "
                        "with mutable=... or several outputs, wrap it to return only the array you start from.")
    if not np.issubdtype(out.dtype, np.floating):
        raise TypeError(f"fn must return a floating-point array, got dtype {out.dtype}.")
    if len(out.shape) < 1 or out.shape[0] != np.shape(x)[0]:
        raise ValueError(f"fn must map a batch x of shape (N, ...) to outputs of shape (N, ...) with the same N "
                         f"= {np.shape(x)[0]}; it returned shape {tuple(out.shape)}.")
    return out


def _per_example(name: str, value, n: int, size: int, what: str) -> jax.Array:
    validation.check_index(name, value, size, what)
    value = jnp.asarray(value, jnp.int32)
    if value.ndim == 0:
        return jnp.broadcast_to(value, (n,))
    if value.shape != (n,):
        raise ValueError(f"{name} must be one integer or one per example, shape ({n},); got shape {value.shape}.")
    return value


def _class_flow(fn, params, x, target, rule, start, name, record=False, absolute=False) -> FunctionFlow:
    get_rule(rule)
    out = _check_call(fn, params, x)
    if len(out.shape) != 2:
        raise ValueError(f"fn must return logits of shape (N, classes) for a flow from a class, got shape "
                         f"{tuple(out.shape)}; use neuron_flow or flow for any other output.")
    target = _per_example(name, target, out.shape[0], out.shape[1], "class index")
    return _flow_core(fn, params, x, target, rule, start, record, absolute)


# ------------------------------------------------------------------ public flows
def flow(fn: Callable, params: Any, x, signal, *, rule: str | Rule = "gradient",
         record: bool = False) -> FunctionFlow:
    """Any flow from any ``signal`` at ``fn``'s output down to the input.

    Args:
      fn: ``fn(params, x) -> array`` of shape (N, ...): logits or any layer's activations.
      params: its parameters (any pytree; flax variables).
      x: a batch of inputs, shape (N, ...).
      signal: the signal at ``fn(params, x)``, same shape.
      rule: a name of ``jaxprobe.rules.RULES`` or a rule function.
      record: also return the signals at every activation (``pre``, ``post``).
    Returns:
      :class:`FunctionFlow`.
    Raises:
      TypeError, ValueError: ``fn`` not returning one floating array of leading axis N, ``x`` not a
        finite floating batch, ``signal`` of another shape, an unknown rule, or a nonlinearity on the
        path that ``rule`` does not define (named, see ``jaxprobe.interpret``).
    """
    get_rule(rule)
    out = _check_call(fn, params, x)
    if tuple(np.shape(signal)) != tuple(out.shape):
        raise ValueError(f"signal has shape {tuple(np.shape(signal))}, expected fn's output shape {tuple(out.shape)}.")
    return _flow_core(fn, params, x, jnp.asarray(signal), rule, "signal", bool(record))


def guided_backprop(fn: Callable, params: Any, x, target) -> jax.Array:
    """Guided backprop of the ``target`` logit to the input (Captum's ``GuidedBackprop``).

    ``fn(params, x)`` returns logits (N, classes); ``target`` is one class index or one per example.
    """
    return _class_flow(fn, params, x, target, "guided_backprop", "logit", "target").input


def deconvnet(fn: Callable, params: Any, x, target) -> jax.Array:
    """Deconvnet from the ``target`` logit to the input (Captum's ``Deconvolution``; seed 004 eq. 4–5)."""
    return _class_flow(fn, params, x, target, "deconvnet", "logit", "target").input


def saliency(fn: Callable, params: Any, x, target, abs: bool = True) -> jax.Array:
    """Gradient of the ``target`` logit w.r.t. the input, absolute by default (Captum's ``Saliency``)."""
    return _class_flow(fn, params, x, target, "gradient", "logit", "target", absolute=bool(abs)).input


def bp_dnn_targets(fn: Callable, params: Any, x, y) -> FunctionFlow:
    """bp-DNN (seed 000 eq. 3–4): from p − y at the logits, ``pre[k]`` = ∂ℓ/∂z_k at every activation."""
    return _class_flow(fn, params, x, y, "gradient", "error", "y", record=True)


def guided_bp_dnn(fn: Callable, params: Any, x, y) -> FunctionFlow:
    """Guided-bp-DNN (seed 000 eq. 11): from y one-hot, the sign-agreement mask at every activation."""
    return _class_flow(fn, params, x, y, "guided_bp_dnn", "logit", "y", record=True)


def neuron_flow(fn: Callable, params: Any, x, unit, rule: str | Rule = "deconvnet", *,
                weight_by_activation: bool = True, record: bool = False) -> FunctionFlow:
    """A flow from one unit of an activation (seed 004 §3; Captum's ``NeuronDeconvolution``).

    Args:
      fn: ``fn(params, x)`` returning the activation (N, ...) the unit lives in, e.g. the model cut
        at that layer, or :func:`flax_intermediate` of a flax module.
      unit: an index into one example's flattened activation; one, or one per example.
      rule: a name of ``jaxprobe.rules.RULES`` or a rule function.
      weight_by_activation: start from the unit's value (seed 004's deconvnet) or from 1 (a delta).
      record: also return the signals at every activation.
    Returns:
      :class:`FunctionFlow`.
    Raises:
      ValueError: ``unit`` outside the activation, and as :func:`flow`.
    """
    get_rule(rule)
    out = _check_call(fn, params, x)
    size = int(np.prod(out.shape[1:]))
    unit = _per_example("unit", unit, out.shape[0], size, f"unit index of fn's output (one example: "
                        f"{tuple(out.shape[1:])}, flattened)")
    start = "weighted_unit" if weight_by_activation else "unit"
    return _flow_core(fn, params, x, unit, rule, start, bool(record))


def exact_filter(fn: Callable, params: Any, x, unit) -> jax.Array:
    """The exact local filter of one unit (seed 004 eq. 8–9): its Jacobian row ∂fn(params, x)[unit]/∂x."""
    return neuron_flow(fn, params, x, unit, "exact_filter", weight_by_activation=False).input


@dataclass(frozen=True)
class FlaxIntermediate:
    """``fn(variables, x)``: the intermediate of a flax linen module that ``pick`` selects."""

    module: Any
    pick: Callable
    apply_kwargs: tuple = ()

    def __call__(self, variables, x):
        _, state = self.module.apply(variables, x, capture_intermediates=True, mutable=["intermediates"],
                                     **dict(self.apply_kwargs))
        return self.pick(state["intermediates"])


def flax_intermediate(module, pick: Callable, **apply_kwargs) -> FlaxIntermediate:
    """A function ``fn(variables, x)`` returning one intermediate activation of a flax linen module.

    Args:
      module: the flax ``linen`` module (in inference mode, or set by ``apply_kwargs``).
      pick: a function of the module's intermediates (``capture_intermediates``: every submodule's
        output as ``['Block_0']['__call__'][0]``; values stored with ``self.sow('intermediates',
        name, h)`` as ``[name][0]``) returning the activation.
      **apply_kwargs: passed to ``module.apply`` (e.g. ``train=False``); hashable values.
    Returns:
      A hashable ``fn(variables, x)`` for :func:`neuron_flow` and :func:`flow`.
    """
    return FlaxIntermediate(module, pick, tuple(sorted(apply_kwargs.items())))
