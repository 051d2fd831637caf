"""Losses: the softmax loss of seed 000 eq. 1, the classification accuracy, and the direct losses.

The direct losses of seed 000 §3 are per-layer losses with the true loss's gradient.

With o_{l-1} (from fp-DNN) and õ_l = ∂ℓ/∂z_l (from bp-DNN) held constant:

    ℓ^fp_{W_l}(o_{l-1}, õ_l) = õ_lᵀ (W_l o_{l-1} + b_l)          (eq. 6)
        ∂ℓ^fp/∂W_l = õ_l o_{l-1}ᵀ = ∂ℓ/∂W_l,  ∂ℓ^fp/∂b_l = ∂ℓ/∂b_l   (eq. 7)
    ℓ^bp_{W_l}(−õ_l, o_{l-1}) = −o_{l-1}ᵀ (W_lᵀ õ_l)               (eq. 9)
        min ℓ ≡ max ℓ^bp, i.e. −∂ℓ^bp/∂W_l = ∂ℓ/∂W_l                (eq. 10)

For conv and pooled stages, W_l o_{l-1} is the stage's affine map and W_lᵀ õ_l its transpose
(``jax.vjp`` at o_{l-1}). Batched arguments (leading axis N) are summed over the batch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxprobe import validation
from jaxprobe.models import Network


def _check_logits_and_labels(logits, labels) -> None:
    """Logits (..., C) floating and labels (...) integer classes in 0..C-1, at least one example."""
    validation.check_floating("logits", logits)
    shape = tuple(np.shape(logits))
    if not shape or shape[-1] < 1:
        raise ValueError(f"logits must have a class axis last, shape (N, C) or (C,); got shape {shape}.")
    validation.check_array_like("labels", labels)
    if tuple(np.shape(labels)) != shape[:-1]:
        hint = "; flatten them with labels.reshape(-1)" if np.shape(labels) == shape[:-1] + (1,) else ""
        raise ValueError(f"labels has shape {tuple(np.shape(labels))}, expected {shape[:-1]} (one integer class "
                         f"per row of logits of shape {shape}){hint}.")
    if 0 in shape:
        raise ValueError(f"logits of shape {shape} hold no examples: a mean over an empty batch is undefined; "
                         f"pass at least one example.")
    validation.check_index("labels", labels, shape[-1], "class label")
    validation.check_finite("logits", logits)


def softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean of −Σ_i y_i log p_i over the batch, with p = softmax(logits) (seed 000 eq. 1).

    Args:
      logits: (N, C) or one example (C,).
      labels: integer classes in 0..C-1, shape (N,) or ().

    Returns:
      The mean loss, a scalar.

    Raises:
      ValueError: labels of another shape (e.g. (N, 1)), out of 0..C-1, an empty batch, or NaN or
        infinite logits (a traced check under jit/vmap).
      TypeError: non-floating logits or non-integer labels.

    >>> float(softmax_cross_entropy(jnp.zeros((2, 4)), jnp.array([0, 3])))  # log 4
    1.3862943649291992
    """
    _check_logits_and_labels(logits, labels)
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))


def accuracy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Fraction of examples whose arg-max logit is the label.

    Args and Raises: as :func:`softmax_cross_entropy`.

    >>> float(accuracy(jnp.array([[0.0, 1.0], [2.0, 1.0]]), jnp.array([1, 1])))
    0.5
    """
    _check_logits_and_labels(logits, labels)
    return jnp.mean(jnp.argmax(logits, axis=-1) == labels)


def fp_direct_loss(model: Network, params, layer: int, o_prev: jax.Array, target: jax.Array) -> jax.Array:
    """ℓ^fp (seed 000 eq. 6) of layer ``layer`` as a function of ``params[layer-1]``'s weights.

    Args:
      layer: the stage l, 1..L.
      o_prev: o_{l-1}, one example or a batch (leading axis N); a constant.
      target: õ_l of the same example(s), shape of z_l; a constant.

    Raises:
      ValueError / TypeError: a layer outside 1..L, parameters of another network, or ``o_prev``
        and ``target`` that do not have layer l's shapes and the same batch.
    """
    layer, o_prev, target, batched = _check_direct_loss_arguments(model, params, layer, o_prev, target)
    o_prev, target = jax.lax.stop_gradient(o_prev), jax.lax.stop_gradient(target)
    affine = lambda o: model.stage_affine(params, layer, o)
    z = jax.vmap(affine)(o_prev) if batched else affine(o_prev)
    return jnp.sum(target * z)


def bp_direct_loss(model: Network, params, layer: int, o_prev: jax.Array, target: jax.Array) -> jax.Array:
    """ℓ^bp (seed 000 eq. 9) = −o_{l-1}ᵀ(W_lᵀ õ_l) of layer ``layer``; its negative gradient is ∂ℓ/∂W_l.

    Args and Raises: as :func:`fp_direct_loss`.
    """
    layer, o_prev, target, batched = _check_direct_loss_arguments(model, params, layer, o_prev, target)
    o_prev, target = jax.lax.stop_gradient(o_prev), jax.lax.stop_gradient(target)

    def one(o, t):
        _, transpose = jax.vjp(lambda h: model.stage_affine(params, layer, h), o)
        (back,) = transpose(t)  # W_lᵀ õ_l (Pᵀ included for pooled stages)
        return -jnp.sum(o * back)

    if batched:
        return jnp.sum(jax.vmap(one)(o_prev, target))
    return one(o_prev, target)


def _check_direct_loss_arguments(model: Network, params, layer, o_prev, target) -> tuple:
    """(layer as an int, o_prev and target as float arrays, whether they are a batch); clear
    errors otherwise."""
    layer = model.check_layer(layer)
    model.check_params(params, finite=False)
    validation.check_floating("o_prev", o_prev)
    validation.check_floating("target", target)
    batched = validation.check_example_shape("o_prev", o_prev, _input_shape(model, layer))
    z_shape = tuple(model.layer_shapes[layer - 1])
    expected = (np.shape(o_prev)[0],) + z_shape if batched else z_shape
    if tuple(np.shape(target)) != expected:
        raise ValueError(f"target has shape {tuple(np.shape(target))}, expected {expected}: z_{layer}'s shape"
                         + (" with o_prev's batch size" if batched else "") + " (the õ_l of the same example(s)).")
    validation.check_finite("o_prev", o_prev)
    validation.check_finite("target", target)
    return layer, validation.as_float32(o_prev), validation.as_float32(target), batched


def _input_shape(model: Network, layer: int) -> tuple:
    """Shape of o_{layer-1} for one example."""
    return model.input_shape if layer == 1 else tuple(model.layer_shapes[layer - 2])
