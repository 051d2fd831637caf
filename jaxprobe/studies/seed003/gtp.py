"""The gradient-target-propagation learning rule (arXiv 1810.09284), as seed 003 trained its networks.

Every layer is trained towards its own target with a local delta rule: the target t_L at the
output is the one-hot label, the targets t_l of the hidden layers come from
:func:`jaxprobe.probes.target_propagation.propagate_target`, and W_l, b_l descend the layer-local
squared error ½‖f(W_l o_{l-1} + b_l) − t_l‖² with o_{l-1} and t_l held constant:

    ΔW_l ∝ −((f(z_l) − t_l) ⊙ f′(z_l)) o_{l-1}ᵀ,   Δb_l ∝ −(f(z_l) − t_l) ⊙ f′(z_l)

(the authors' ``target.py`` without biases). At the output this is the delta rule of the squared
error; in a hidden layer it pulls o_l towards t_l. With ``start="zero"`` and one step,
t_l − o_l = −τ W_{l+1}ᵀ δ_{l+1} − o_l: τ times back-propagation's signal plus an anti-Hebbian
term, the decomposition of 1810.09284.

Batches follow :func:`jaxprobe.train.batch_indices` (the schedule of :func:`jaxprobe.train.fit`);
K models train at once, vmapped, from stacked parameters and one key each.
"""

from __future__ import annotations

from functools import partial
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxprobe import validation
from jaxprobe.models import Network, Stage, activation_fn
from jaxprobe.probes.target_propagation import propagate_target
from jaxprobe.train import batch_indices

__all__ = ["sigmoid_network", "gtp_gradients", "fit_gtp"]


def sigmoid_network(widths: Sequence[int]) -> Network:
    """A dense network with a sigmoid at every layer, the output included (seed 003 §3).

    >>> sigmoid_network([784, 16, 10]).stages[-1].activation
    'sigmoid'
    """
    widths = [int(w) for w in widths]
    if len(widths) < 2:
        raise ValueError(f"widths must list the input size and at least one layer, got {widths}.")
    return Network(tuple(Stage("dense", w, "sigmoid") for w in widths[1:]), (widths[0],))


def gtp_gradients(model: Network, params, x: jax.Array, y: jax.Array, *, tau: float, steps: int,
                  start: str) -> tuple:
    """The GTP learning rule's update direction for one batch, and the batch's squared error.

    Args:
      model: a network (see :func:`sigmoid_network`).
      params: its parameters.
      x: inputs (N, ...); y: integer labels (N,).
      tau, steps, start: the target propagation (see ``jaxprobe.probes.target_propagation``).

    Returns:
      ``(grads, loss)``: per-layer gradients of the local losses (mean over the batch), shaped
      like ``params``, and the mean output error ½‖o_L − one-hot‖².
    """
    L = model.n_layers
    traces = jax.vmap(model.trace_one, (None, 0))(params, x)
    top = jax.nn.one_hot(y, model.n_classes, dtype=jnp.float32)
    prop = jax.vmap(lambda trace, t: propagate_target(model, params, trace, t, layer=L, tau=tau, steps=steps,
                                                      start=start, to_layer=1))(traces, top)
    inputs = [jax.lax.stop_gradient(o) for o in traces.inputs]
    targets = [jax.lax.stop_gradient(t) for t in prop.targets]  # targets[l-1] at o_l, l = 1..L

    def local_losses(p):
        total = 0.0
        for l in range(1, L + 1):
            z = jax.vmap(partial(model.stage_affine, p, l))(inputs[l - 1])
            total = total + 0.5 * jnp.sum((activation_fn(model.stages[l - 1].activation)(z) - targets[l - 1]) ** 2)
        return total / x.shape[0]

    loss = 0.5 * jnp.mean(jnp.sum((traces.post[-1] - top) ** 2, axis=-1))
    return jax.grad(local_losses)(params), loss


@partial(jax.jit, static_argnames=("model", "optimizer", "steps", "start"))
def _run(model, optimizer, params, opt_state, x, y, indices, count, tau, steps, start):
    def step(i, carry):
        p, s = carry
        idx = indices[i]
        grads, _ = gtp_gradients(model, p, x[idx], y[idx], tau=tau, steps=steps, start=start)
        updates, s = optimizer.update(grads, s, p)
        return optax.apply_updates(p, updates), s

    return jax.lax.fori_loop(0, count, step, (params, opt_state))


@partial(jax.jit, static_argnames=("model", "optimizer", "steps", "start"))
def _run_stacked(model, optimizer, params, opt_state, x, y, indices, count, tau, steps, start):
    run = lambda p, s, idx: _run(model, optimizer, p, s, x, y, idx, count, tau, steps, start)
    return jax.vmap(run)(params, opt_state, indices)


def fit_gtp(model: Network, params, train: tuple, *, key: jax.Array, learning_rate: float, batch_size: int = 100,
            total_steps: int, snapshot_steps: Sequence[int] = (), tau: float = 1.0, steps: int = 1,
            start: str = "zero", stacked: bool = False) -> dict:
    """Trains ``model`` with the GTP learning rule and plain SGD; returns ``{step: params}``.

    Args:
      model, params: the network and its initial parameters (stacked on a leading axis of K
        models when ``stacked``; then ``key`` holds one key per model).
      train: ``(x, y)`` training inputs and integer labels.
      key: the batch schedule's key (as :func:`jaxprobe.train.fit`).
      learning_rate: the SGD step.
      batch_size: examples per step (seed 003: 100).
      total_steps: SGD steps.
      snapshot_steps: steps whose parameters are returned (0: the initial ones); the last step
        is always returned.
      tau, steps, start: the target propagation of the hidden targets.

    Returns:
      ``{step: params}`` for every snapshot step and ``total_steps``.

    Raises:
      ValueError: a batch larger than the data, non-positive sizes or a wrong number of keys.
    """
    x, y = jnp.asarray(train[0], jnp.float32), jnp.asarray(train[1], jnp.int32)
    n = len(x)
    validation.check_positive("batch_size", batch_size, integer=True)
    validation.check_positive("total_steps", total_steps, integer=True)
    validation.check_positive("learning_rate", learning_rate)
    if batch_size > n:
        raise ValueError(f"batch_size={batch_size} is larger than the training set ({n}); use batch_size <= {n}.")
    keys = jnp.asarray(key)
    if stacked and (keys.ndim != 1 or keys.shape[0] != jax.tree.leaves(params)[0].shape[0]):
        raise ValueError(f"stacked training needs one key per model: key of shape (K,), got {keys.shape}.")
    optimizer = optax.sgd(learning_rate)
    opt_state = jax.vmap(optimizer.init)(params) if stacked else optimizer.init(params)
    bounds = sorted({s for s in snapshot_steps if 0 < s < total_steps} | {total_steps})
    snaps = {0: params} if 0 in snapshot_steps else {}
    done, longest = 0, max(b - a for a, b in zip([0] + bounds[:-1], bounds))
    for bound in bounds:
        count = bound - done
        idx = batch_indices(keys, done, count, n, batch_size)  # (K, count, batch) for K stacked keys
        pad = [(0, 0)] * (idx.ndim - 2) + [(0, longest - count), (0, 0)]
        run = _run_stacked if stacked else _run
        params, opt_state = run(model, optimizer, params, opt_state, x, y, jnp.asarray(np.pad(idx, pad)), count,
                                jnp.float32(tau), int(steps), start)
        done = bound
        snaps[bound] = params
    return snaps
