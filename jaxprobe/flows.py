"""Backward flows: one engine, many rules (see ``jaxprobe.rules``).

The engine starts with a signal at layer l and walks down: through the transposed affine map of
each stage (``jax.vjp`` of pool → reshape → affine at the forward input, i.e. Pᵀ Wᵀ, unpooling
included), then the rule at the nonlinearity below. It records the signal at every pre-activation
z_k (``targets``, the õ_k of seed 000) and at every activation o_k (``reconstructions``, the z̃_k of
seed 000; index 0 is input space).

Every public function takes one example or a batch (leading axis N), checks its arguments, and
runs a jit-compiled, vmapped core. Wrong arguments raise ``ValueError``/``TypeError`` naming the
argument; NaN inputs, parameters or signals, out-of-range labels or units, and outputs that
overflow float32 are refused too, also when the flows run under the caller's ``jit``/``vmap``
(traced checks, see ``jaxprobe.validation``). All are jit-able (``model``, ``layer`` and ``rule`` static) and
vmap-able over inputs, target units and stacked parameters.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation
from jaxprobe.models import Network, Params, Trace
from jaxprobe.parallel import chunked_vmap
from jaxprobe.rules import Rule, get_rule


class FlowResult(NamedTuple):
    """Signals of a backward flow.

    ``targets[k-1]`` is the signal at z_k for k = 1..layer (õ_k in seed 000 eq. 4);
    ``reconstructions[k]`` is the signal at o_k for k = 0..layer-1 (z̃_k; index 0 = input space).
    """

    targets: tuple
    reconstructions: tuple


def run_flow(
    model: Network,
    params: Params,
    trace: Trace,
    signal: jax.Array,
    *,
    layer: int,
    rule: str | Rule,
    start: str = "pre",
    to_layer: int = 0,
    backward_params: Optional[Params] = None,
) -> FlowResult:
    """The engine, for one example whose forward ``trace`` is given (``model.trace_one``).

    ``signal`` lives at z_layer (``start='pre'``) or at o_layer (``start='post'``; the rule of
    layer ``layer`` is applied first). The flow stops at o_{to_layer} (0: the input), so
    ``targets[k - to_layer - 1]`` is the signal at z_k and ``reconstructions[k - to_layer]`` the
    signal at o_k. ``backward_params`` replaces the weights of the transposed maps (the
    random-weight flows of seed 004); the pooling switches stay those of ``params``.

    Raises:
      ValueError / TypeError: ``layer`` outside 1..L, ``to_layer`` outside 0..layer-1, an unknown
        ``start`` or ``rule``, a batched trace (vmap ``run_flow`` instead), a signal of the wrong
        shape or dtype, NaN in the signal or the parameters (a traced check under jit/vmap).
    """
    layer = model.check_layer(layer)
    to_layer = _check_to_layer(to_layer, layer)
    get_rule(rule)
    validation.check_choice("start", start, ("pre", "post"))
    model.check_params(params)
    if backward_params is not None:
        model.check_params(backward_params, name="backward_params")
    _check_trace(model, trace)
    signal = _check_signal(model, signal, layer)
    return _walk(model, params, trace, signal, layer, rule, start, to_layer, backward_params)


def _walk(model, params, trace, signal, layer, rule, start, to_layer, backward_params) -> FlowResult:
    """:func:`run_flow` without the argument checks (the compiled cores call this)."""
    rule_fn = get_rule(rule)
    bparams = params if backward_params is None else backward_params
    stages = model.stages
    g = signal
    if start == "post":
        g = rule_fn(g, trace.pre[layer - 1], stages[layer - 1].activation)
    targets, recons = [], []
    for k in range(layer, to_layer, -1):
        targets.append(g)
        _, transpose = jax.vjp(partial(model.stage_affine, bparams, k), trace.inputs[k - 1])
        (g,) = transpose(g)
        recons.append(g)
        if k > to_layer + 1:
            g = rule_fn(g, trace.pre[k - 2], stages[k - 2].activation)
    return FlowResult(tuple(reversed(targets)), tuple(reversed(recons)))


# ------------------------------------------------------------------ jit-compiled cores (one example)
def _one_hot(model: Network, label):
    return jax.nn.one_hot(label, model.n_classes, dtype=jnp.float32)


@partial(jax.jit, static_argnames=("model", "layer", "rule", "start", "to_layer"))
def _flow_core(model, params, x, signal, layer, rule, start, to_layer, backward_params):
    trace = model.trace_one(params, x)
    res = _walk(model, params, trace, signal, layer, rule, start, to_layer, backward_params)
    return res, validation.all_finite(res)


def _top_flow_one(model, params, x, label, rule, from_prediction):
    """A flow from the logits for one example: p − y (``from_prediction``) or y one-hot."""
    trace = model.trace_one(params, x)
    y = _one_hot(model, label)
    signal = jax.nn.softmax(trace.pre[-1]) - y if from_prediction else y
    return _walk(model, params, trace, signal, model.n_layers, rule, "pre", 0, None)


@partial(jax.jit, static_argnames=("model", "rule", "from_prediction"))
def _top_flow_batch(model, params, x, labels, rule, from_prediction):
    res = chunked_vmap(lambda xi, li: _top_flow_one(model, params, xi, li, rule, from_prediction), x, labels)
    return res, validation.all_finite(res)


@partial(jax.jit, static_argnames=("model", "rule", "absolute"))
def _attribution_batch(model, params, x, labels, rule, absolute):
    """Input-space map only (the other signals are not kept), |·| inside the compiled core."""
    def one(xi, li):
        rec = _top_flow_one(model, params, xi, li, rule, False).reconstructions[0]
        return jnp.abs(rec) if absolute else rec
    res = chunked_vmap(one, x, labels)
    return res, validation.all_finite(res)


def _unit_signal(model, trace, layer, unit, weight_by_activation):
    o = trace.post[layer - 1]
    delta = jnp.zeros(o.size, o.dtype).at[unit].set(1.0).reshape(o.shape)
    return delta * o if weight_by_activation else delta


def _neuron_flow_one(model, params, x, unit, layer, rule, weight_by_activation, backward_params):
    trace = model.trace_one(params, x)
    signal = _unit_signal(model, trace, layer, unit, weight_by_activation)
    return _walk(model, params, trace, signal, layer, rule, "post", 0, backward_params)


@partial(jax.jit, static_argnames=("model", "layer", "rule", "weight_by_activation"))
def _neuron_flow_batch(model, params, x, units, layer, rule, weight_by_activation, backward_params):
    fn = partial(_neuron_flow_one, model, layer=layer, rule=rule,
                 weight_by_activation=weight_by_activation, backward_params=backward_params)
    res = chunked_vmap(lambda xi, ui: fn(params, xi, ui), x, units)
    return res, validation.all_finite(res)


# ------------------------------------------------------------------ argument checks
def _check_to_layer(to_layer, layer: int) -> int:
    if not validation.is_integer_value(to_layer) or not 0 <= int(to_layer) < layer:
        raise ValueError(f"to_layer must be an int in 0..{layer - 1} (below layer={layer}), got {to_layer!r}.")
    return int(to_layer)


def _check_signal(model: Network, signal, layer: int) -> jax.Array:
    """The signal at z_layer / o_layer: floating, of that shape, finite; returned as float32."""
    validation.check_floating("signal", signal)
    expected = tuple(model.layer_shapes[layer - 1])
    if tuple(np.shape(signal)) != expected:
        raise ValueError(f"signal has shape {tuple(np.shape(signal))}, expected {expected} (z_{layer} of one "
                         f"example); vmap the flow for a batch of signals.")
    validation.check_finite("signal", signal)
    return validation.as_float32(signal)


def _check_trace(model: Network, trace) -> None:
    """The forward trace of one example of this network."""
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a Trace from model.trace_one(params, x), got {type(trace).__name__}.")
    if len(trace.pre) != model.n_layers or len(trace.inputs) != model.n_layers:
        raise ValueError(f"trace has {len(trace.pre)} stages, this network {model.n_layers}; trace it with "
                         f"this model: model.trace_one(params, x).")
    for k, (z, shape) in enumerate(zip(trace.pre, model.layer_shapes), start=1):
        if tuple(np.shape(z)) != tuple(shape):
            batch = tuple(np.shape(z))[1:] == tuple(shape)
            raise ValueError(
                f"trace.pre[{k - 1}] has shape {tuple(np.shape(z))}, expected {tuple(shape)} (z_{k} of one example)"
                + ("; this trace holds a batch: run_flow takes one example, so vmap it over the batch "
                   "(jax.vmap(lambda t, s: run_flow(model, params, t, s, ...))(trace, signals))" if batch else "")
                + "."
            )


def _check_outputs(ok) -> None:
    """The flow's outputs are finite (inputs, parameters and signals were checked before)."""
    if validation.is_concrete(ok) and bool(ok):
        return
    validation.error_if(jnp.logical_not(ok), "the flow produced NaN or infinite values although x, params and the signal are "
                             "finite: the forward or backward pass overflowed float32 (|x| or the weights too "
                             "large), or a custom rule returned NaN; rescale x (e.g. to [0, 1]).")


def _batch(model, x, per_example, name, size, what):
    """Validates x and one per-example integer argument; returns batched arrays and a flag."""
    batched = validation.check_input("x", x, model.input_shape)
    validation.check_index(name, per_example, size, what)
    x = validation.as_float32(x)
    per_example = jnp.asarray(per_example, jnp.int32)
    if not batched:
        if per_example.ndim != 0:
            raise ValueError(f"{name} must be a single integer for one example, got shape {per_example.shape}.")
        return x[None], per_example[None], False
    n = x.shape[0]
    if n == 0:
        raise ValueError("x holds no examples (shape (0, ...)); pass at least one example.")
    if per_example.ndim == 0:
        per_example = jnp.broadcast_to(per_example, (n,))
    if per_example.shape != (n,):
        raise ValueError(f"{name} must be one integer or one per example, shape ({n},); got shape {per_example.shape}.")
    return x, per_example, True


def _finish(core_output, batched):
    """Checks the core's finiteness flag and drops the batch axis of a single example."""
    tree, ok = core_output
    _check_outputs(ok)
    return tree if batched else jax.tree.map(lambda a: a[0], tree)


# ------------------------------------------------------------------ public flows
def backward_flow(model: Network, params: Params, x, signal, *, layer: Optional[int] = None,
                  rule: str | Rule = "gradient", start: str = "pre", to_layer: int = 0,
                  backward_params: Optional[Params] = None) -> FlowResult:
    """Any flow from any signal at layer ``layer`` (default: the logits) down to o_{to_layer}
    (default: the input), for one example.

    ``signal`` has the shape of z_layer / o_layer; see ``run_flow`` for ``start``, ``to_layer``
    and ``backward_params``. Vmap it for batches, units or stacked parameters.

    Raises:
      ValueError / TypeError: as :func:`run_flow`, and for an ``x`` that is not one finite example.
    """
    layer = model.n_layers if layer is None else model.check_layer(layer)
    to_layer = _check_to_layer(to_layer, layer)
    get_rule(rule)
    validation.check_choice("start", start, ("pre", "post"))
    model.check_params(params)
    if validation.check_input("x", x, model.input_shape):
        raise ValueError("backward_flow takes one example; vmap it over a batch.")
    signal = _check_signal(model, signal, layer)
    if backward_params is not None:
        model.check_params(backward_params, name="backward_params")
    x = validation.as_float32(x)
    return _finish(_flow_core(model, params, x, signal, layer, rule, start, to_layer, backward_params), True)


def bp_dnn_targets(model: Network, params: Params, x, y) -> FlowResult:
    """bp-DNN (seed 000 eq. 3–4): from z̃_L = p − y, õ_l = ∂ℓ/∂z_l for l = 1..L.

    ``y`` are integer labels. ``targets[l-1]`` = õ_l; ``reconstructions[0]`` = ∂ℓ/∂x.
    """
    model.check_params(params)
    x, y, batched = _batch(model, x, y, "y", model.n_classes, "class label")
    return _finish(_top_flow_batch(model, params, x, y, "gradient", True), batched)


def guided_bp_dnn(model: Network, params: Params, x, y) -> FlowResult:
    """Guided-bp-DNN (seed 000 eq. 11): from z̃_L = y one-hot, sign-agreement mask at each layer.

    With ReLU it equals guided backprop from the class logit (seed 000's own remark).
    """
    model.check_params(params)
    x, y, batched = _batch(model, x, y, "y", model.n_classes, "class label")
    return _finish(_top_flow_batch(model, params, x, y, "guided_bp_dnn", False), batched)


def _attribution(model, params, x, target, rule, absolute=False):
    model.check_params(params)
    x, target, batched = _batch(model, x, target, "target", model.n_classes, "class index")
    return _finish(_attribution_batch(model, params, x, target, rule, absolute), batched)


def guided_backprop(model: Network, params: Params, x, target) -> jax.Array:
    """Guided backprop of the ``target`` logit to the input (as Captum's ``GuidedBackprop``)."""
    return _attribution(model, params, x, target, "guided_backprop")


def deconvnet(model: Network, params: Params, x, target) -> jax.Array:
    """Deconvnet from the ``target`` logit to the input (as Captum's ``Deconvolution``)."""
    return _attribution(model, params, x, target, "deconvnet")


def saliency(model: Network, params: Params, x, target, abs: bool = True) -> jax.Array:
    """Gradient of the ``target`` logit w.r.t. the input, absolute by default (Captum ``Saliency``)."""
    return _attribution(model, params, x, target, "gradient", absolute=validation.check_bool("abs", abs))


def neuron_flow(model: Network, params: Params, x, layer: int, unit, rule: str | Rule = "deconvnet", *,
                weight_by_activation: bool = True,
                backward_params: Optional[Params] = None) -> FlowResult:
    """A flow from one unit of layer ``layer`` (seed 004 §3).

    The signal at o_layer is zero except at ``unit`` (an index into the flattened o_layer), where
    it is the unit's activation (``weight_by_activation``, seed 004's deconvnet) or 1 (a delta, for
    the exact filter). ``rule`` is any of ``jaxprobe.rules.RULES``; ``backward_params`` from
    ``random_backward_params`` gives the random-weight flow.
    """
    layer = model.check_layer(layer)
    get_rule(rule)
    weight_by_activation = validation.check_bool("weight_by_activation", weight_by_activation)
    model.check_params(params)
    size = int(np.prod(model.layer_shapes[layer - 1]))
    x, unit, batched = _batch(model, x, unit, "unit", size, f"unit index of layer {layer}")
    if backward_params is not None:
        model.check_params(backward_params, name="backward_params")
    res = _neuron_flow_batch(model, params, x, unit, layer, rule, weight_by_activation, backward_params)
    return _finish(res, batched)


def exact_filter(model: Network, params: Params, x, layer: int, unit) -> jax.Array:
    """The exact local filter of one unit at input x (seed 004 eq. 8–9): Wᵀ(r ⊙ ·) from a delta.

    It equals the unit's Jacobian row ∂o_layer[unit]/∂x, pooling included.
    """
    res = neuron_flow(model, params, x, layer, unit, "exact_filter", weight_by_activation=False)
    return res.reconstructions[0]


def random_backward_params(key: jax.Array, params: Params) -> Params:
    """Gaussian weights and biases matched in mean and variance to ``params``, leaf by leaf (seed 004 §3)."""
    validation.check_key("key", key)
    leaves, treedef = jax.tree.flatten(params)
    if not leaves:
        raise ValueError("params holds no arrays; pass the parameters a network's init returned.")
    for i, leaf in enumerate(leaves):
        validation.check_floating(f"params leaf {i}", leaf)
        validation.check_finite(f"params leaf {i}", leaf)
    keys = jax.random.split(key, len(leaves))
    drawn = [jnp.mean(w) + jnp.std(w) * jax.random.normal(k, w.shape, w.dtype) for w, k in zip(leaves, keys)]
    return jax.tree.unflatten(treedef, drawn)
