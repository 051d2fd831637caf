"""The inputs of a data set that excite each unit most: top-k over the set, in chunks.

The form users of feature-visualisation tools ask for most ("dataset examples"): for every unit,
the k examples with the largest activation o_l[unit]. The set is run through the network in
chunks (one compiled forward call per chunk) and a running top-k is kept, so memory stays
O(units × (k + chunk)) whatever the set's size.

>>> import jax, jax.numpy as jnp, jaxprobe as jp
>>> net = jp.mlp([2, 3, 2])
>>> params = ({"kernel": jnp.eye(2, 3), "bias": jnp.zeros(3)}, {"kernel": jnp.ones((3, 2)), "bias": jnp.zeros(2)})
>>> x = jnp.array([[0.0, 1.0], [3.0, 0.0], [1.0, 2.0], [2.0, -1.0]])
>>> top = top_activating(net, params, x, layer=1, units=[0, 1], k=2)
>>> top.indices.tolist(), top.values.tolist()      # unit 0 reads x[0], unit 1 reads x[1]
([[1, 3], [2, 0]], [[3.0, 2.0], [2.0, 1.0]])
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation
from jaxprobe.models import Network, Params


class TopK(NamedTuple):
    """Per unit, the indices of the k most exciting examples (best first) and their activations."""

    indices: np.ndarray  # (U, k) int
    values: np.ndarray  # (U, k)


@partial(jax.jit, static_argnames=("model", "layer", "pre"))
def _unit_activations(model, params, x, units, layer, pre):
    trace = model.trace(params, x)
    acts = (trace.pre if pre else trace.post)[layer - 1]
    return acts.reshape(acts.shape[0], -1)[:, units]


def top_activating(model: Network, params: Params, x, layer: int, units, k: int = 9, *, pre: bool = False,
                   chunk: int = 1000) -> TopK:
    """The ``k`` examples of ``x`` with the largest o_layer[unit] (z_layer with ``pre``), per unit.

    Args:
      model, params: the network.
      x: the data set, (N, *input_shape).
      layer: 1-based layer of the units.
      units: int array (U,) of flat unit indices into o_layer.
      k: how many examples per unit, 1..N.
      pre: rank by the pre-activation z (ties among inactive units are then broken by z).
      chunk: examples per compiled forward call.

    Returns:
      ``TopK`` with (U, k) arrays, best first; ties keep the lower example index first.

    Raises:
      ValueError / TypeError: bad ``layer``, ``units`` or ``k``, ``x`` not a batch of inputs.
    """
    if not isinstance(layer, (int, np.integer)) or not 1 <= layer <= model.n_layers:
        raise ValueError(f"layer must be an int in 1..{model.n_layers}, got {layer!r}.")
    if not validation.check_input("x", x, model.input_shape):
        raise ValueError(f"x must be a batch (N, {', '.join(map(str, model.input_shape))}), got one example.")
    size = int(np.prod(model.layer_shapes[layer - 1]))
    validation.check_index("units", units, size, f"unit index of layer {layer}")
    units = jnp.atleast_1d(jnp.asarray(units, jnp.int32))
    n = len(x)
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ValueError(f"k must be an integer in 1..{n} (the number of examples), got {k!r}.")
    validation.check_positive("chunk", chunk, integer=True)
    best_v = np.full((units.shape[0], 0), -np.inf, np.float32)
    best_i = np.zeros((units.shape[0], 0), np.int64)
    for start in range(0, n, int(chunk)):
        acts = np.asarray(_unit_activations(model, params, jnp.asarray(x[start:start + chunk]), units, int(layer),
                                            bool(pre))).T
        v = np.concatenate([best_v, acts], axis=1)
        i = np.concatenate([best_i, np.broadcast_to(np.arange(start, start + acts.shape[1]), acts.shape)], axis=1)
        order = np.lexsort((i, -v), axis=1)[:, :k]  # largest value first, then lowest index
        best_v, best_i = np.take_along_axis(v, order, 1), np.take_along_axis(i, order, 1)
    return TopK(best_i, best_v)
