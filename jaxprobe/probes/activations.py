"""Activations and features per layer, for one model or K stacked models.

* :func:`predict_stacked`, :func:`stacked_activations` — labels and o_l of K stacked models,
  one jitted vmap over the models, in chunks of examples.
* :func:`encoder_decoder_features` — the fp-DNN features z_l and bp-DNN targets õ_l of seed 000.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe.flows import bp_dnn_targets
from jaxprobe.models import Network

_JITTED: dict = {}


def _stacked_fn(net: Network, what):
    """One jitted ``vmap`` over seeds per (network, output), reused across calls; activations
    are flattened per example (a one-channel conv layer gives (N, 100))."""
    key = (net, what)
    if key not in _JITTED:
        if what == "labels":
            f = lambda p, xb: jnp.argmax(net.apply(p, xb), -1)
        else:
            f = lambda p, xb: net.trace(p, xb).post[what - 1].reshape(len(xb), -1)
        _JITTED[key] = jax.jit(jax.vmap(f, (0, None)))
    return _JITTED[key]


def predict_stacked(net: Network, params, x, chunk: int = 20000) -> np.ndarray:
    """Predicted labels of K stacked models: (K, N)."""
    fn = _stacked_fn(net, "labels")
    x = jnp.asarray(x)
    return np.concatenate([np.asarray(fn(params, x[i:i + chunk])) for i in range(0, len(x), chunk)], axis=1)


def stacked_activations(net: Network, params, x, layer: int, chunk: int = 20000) -> np.ndarray:
    """o_layer (1-based) of K stacked models on x: (K, N, units)."""
    if not 1 <= layer <= net.n_layers:
        raise ValueError(f"layer must be in 1..{net.n_layers}, got {layer!r}.")
    fn = _stacked_fn(net, int(layer))
    x = jnp.asarray(x)
    return np.concatenate([np.asarray(fn(params, x[i:i + chunk])) for i in range(0, len(x), chunk)], axis=1)


def encoder_decoder_features(model: Network, params, x, y, batch_size: int = 1000) -> dict:
    """z_l (fp-DNN) and õ_l (bp-DNN targets, from p − y) of the hidden layers l = 1..L−1.

    Returns ``{'z': [z_1, …, z_{L-1}], 'targets': [õ_1, …, õ_{L-1}]}`` of float32 numpy arrays,
    each (N, width_l), computed in batches of ``batch_size``.
    """
    n_hidden = model.n_layers - 1
    zs = [[] for _ in range(n_hidden)]
    ts = [[] for _ in range(n_hidden)]
    x = np.asarray(x)
    y = np.asarray(y)
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        trace = model.trace(params, xb)
        flow = bp_dnn_targets(model, params, xb, yb)
        for l in range(n_hidden):
            zs[l].append(np.asarray(trace.pre[l]).reshape(len(xb), -1))
            ts[l].append(np.asarray(flow.targets[l]).reshape(len(xb), -1))
    return {"z": [np.concatenate(a) for a in zs], "targets": [np.concatenate(a) for a in ts]}
