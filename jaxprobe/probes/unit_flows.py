"""Backward flows from many units of one layer, for many inputs, in one compiled call (seed 004 §3).

``jaxprobe.neuron_flow`` sends one unit per example down to the input. Seed 004 looks at many units
(every feature at a location) and many images with several rules; Captum's ``NeuronDeconvolution``
and ``NeuronGuidedBackprop`` run one forward and one backward pass per neuron. Here the forward
trace of each image is computed once and the flows from all requested units are vmapped over it,
inside one jit-compiled call (images in chunks sized to bound memory, one call per chunk):

* :func:`unit_flows` — input-space maps, shape (N, U, *input_shape), for any rule, from the unit's
  activation (deconvnet, seed 004 eq. 4–7) or from a delta (the exact filter, eq. 8–9), with the
  trained weights or with ``backward_params`` (one draw, or a stack of draws: (D, N, U, …)).
* :func:`layer_units` — every unit index of a layer.

>>> import jax, jaxprobe as jp
>>> net = jp.cnn2d((6, 6), convs=[(2, 3, 1)], dense=(), n_classes=2)
>>> params = net.init(jax.random.key(0))
>>> maps = unit_flows(net, params, jax.numpy.ones((3, 6, 6)), 1, jax.numpy.arange(4), "exact_filter",
...                   weight_by_activation=False)
>>> maps.shape
(3, 4, 6, 6)
"""

from __future__ import annotations

from functools import partial
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation
from jaxprobe.flows import random_backward_params, run_flow
from jaxprobe.models import Network, Params
from jaxprobe.rules import Rule, get_rule

#: Float budget of one chunk's widest backward signal (images × units × the widest layer).
SIGNAL_BUDGET = 1 << 24


def layer_units(model: Network, layer: int) -> jax.Array:
    """All unit indices 0..size−1 of o_layer (flattened), as an int32 array."""
    return jnp.arange(int(np.prod(model.layer_shapes[layer - 1])), dtype=jnp.int32)


def _flows_of_one_image(model, params, x, units, layer, rule, weight_by_activation, backward_params):
    trace = model.trace_one(params, x)
    o = trace.post[layer - 1]

    def from_unit(unit):
        delta = jax.nn.one_hot(unit, o.size, dtype=o.dtype).reshape(o.shape)
        signal = delta * o if weight_by_activation else delta
        flow = run_flow(model, params, trace, signal, layer=layer, rule=rule, start="post",
                        backward_params=backward_params)
        return flow.reconstructions[0]

    return jax.vmap(from_unit)(units)


@partial(jax.jit, static_argnames=("model", "layer", "rule", "weight_by_activation", "stacked"))
def _unit_flows_chunk(model, params, x, units, layer, rule, weight_by_activation, backward_params, stacked):
    """One chunk of images, one plain vmap (XLA:CPU ran these flows 6× slower inside the while
    loop of ``lax.map``, so chunks are looped over in Python instead)."""
    def one(bparams):
        fn = lambda xi: _flows_of_one_image(model, params, xi, units, layer, rule, weight_by_activation, bparams)
        return jax.vmap(fn)(x)

    return jax.vmap(one)(backward_params) if stacked else one(backward_params)


def _chunk_size(model: Network, layer: int, n_units: int, n_draws: int) -> int:
    widest = max(int(np.prod(s)) for s in (model.input_shape,) + tuple(model.layer_shapes[:layer]))
    return max(1, SIGNAL_BUDGET // max(1, widest * n_units * n_draws))


def unit_flows(model: Network, params: Params, x, layer: int, units, rule: str | Rule = "deconvnet", *,
               weight_by_activation: bool = True, backward_params: Optional[Params] = None,
               stacked: bool = False) -> jax.Array:
    """Input-space signals of the flows from ``units`` of layer ``layer``, for every example of ``x``.

    For each example the forward trace (masks r_i and pooling switches P_i) is computed once; the
    signal at o_layer is the unit's activation (``weight_by_activation``; seed 004's deconvnet
    "propagate x_13 backward after setting to zero all the others elements") or 1 (the delta of
    the exact filter, eq. 8–9), and goes down with ``rule`` at every ReLU: 'deconvnet'
    x^b_{i-1} = P_iᵀ R(W_iᵀ x^b_i) (eq. 4–5), 'deconvnet_masked' P_iᵀ R(W_iᵀ(r_i ⊙ x^b_i))
    (eq. 6–7), 'exact_filter' P_iᵀ W_iᵀ(r_i ⊙ x^b_i) (eq. 8–9), or any rule function.

    Args:
      model, params: the network and its (trained) parameters; the forward pass always uses these.
      x: one example or a batch (N, *input_shape), float.
      layer: the layer of the units, 1-based.
      units: int array (U,) of flat indices into o_layer (``jaxprobe.probes.field_of_view.unit_index``).
      rule: a name of ``jaxprobe.rules.RULES`` or a rule function.
      weight_by_activation: start from the unit's activation (True) or from a delta (False).
      backward_params: weights of the transposed maps (``jaxprobe.random_backward_params``);
        with ``stacked=True`` a stack of D draws on a leading axis.
      stacked: whether ``backward_params`` holds D draws.

    Returns:
      (N, U, *input_shape), or (D, N, U, *input_shape) for stacked draws; no N axis for one example.

    Raises:
      ValueError / TypeError: bad ``layer``, ``units`` out of range or not 1-D, ``x`` of the wrong
      shape, ``backward_params`` that do not fit ``model``.
    """
    if not isinstance(layer, (int, np.integer)) or not 1 <= layer <= model.n_layers:
        raise ValueError(f"layer must be an int in 1..{model.n_layers}, got {layer!r}.")
    get_rule(rule)
    batched = validation.check_input("x", x, model.input_shape)
    size = int(np.prod(model.layer_shapes[layer - 1]))
    validation.check_index("units", units, size, f"unit index of layer {layer}")
    units = jnp.asarray(units, jnp.int32)
    if units.ndim != 1 or units.shape[0] == 0:
        raise ValueError(f"units must be a non-empty 1-D array of unit indices, got shape {units.shape}.")
    if stacked and backward_params is None:
        raise ValueError("stacked=True needs backward_params holding D draws on a leading axis.")
    n_draws = 1
    if backward_params is not None:
        model.check_params(backward_params, stacked=stacked)
        if stacked:
            n_draws = int(jax.tree.leaves(backward_params)[0].shape[0])
    x = jnp.asarray(x)[None] if not batched else jnp.asarray(x)
    n = x.shape[0]
    chunk = min(n, _chunk_size(model, layer, units.shape[0], n_draws))
    parts = []
    for start in range(0, n, chunk):
        part = x[start:start + chunk]
        pad = chunk - part.shape[0]  # the last chunk is padded to reuse the compiled call
        if pad:
            part = jnp.concatenate([part, jnp.broadcast_to(part[:1], (pad,) + part.shape[1:])])
        got = _unit_flows_chunk(model, params, part, units, int(layer), rule, bool(weight_by_activation),
                                backward_params, bool(stacked))
        parts.append(got[:, :chunk - pad] if stacked else got[:chunk - pad])
    out = jnp.concatenate(parts, axis=1 if stacked else 0) if len(parts) > 1 else parts[0]
    return out if batched else out[:, 0] if stacked else out[0]


def random_backward_draws(key: jax.Array, params: Params, n_draws: int) -> Params:
    """``n_draws`` independent draws of ``jaxprobe.random_backward_params`` stacked on a leading
    axis: Gaussian weights and biases matched in mean and variance to ``params`` (seed 004 §3)."""
    validation.check_positive("n_draws", n_draws, integer=True)
    return jax.vmap(lambda k: random_backward_params(k, params))(jax.random.split(key, int(n_draws)))
