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
import optax

from jaxprobe.models import Network


def softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean of −Σ_i y_i log p_i over the batch, with p = softmax(logits) (seed 000 eq. 1).

    ``labels`` are integer classes; a single example (1-D logits) gives a scalar too.
    """
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))


def accuracy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Fraction of examples whose arg-max logit is the label."""
    return jnp.mean(jnp.argmax(logits, axis=-1) == labels)


def fp_direct_loss(model: Network, params, layer: int, o_prev: jax.Array, target: jax.Array) -> jax.Array:
    """ℓ^fp (seed 000 eq. 6) of layer ``layer`` as a function of ``params[layer-1]``'s weights.

    ``o_prev`` = o_{l-1} and ``target`` = õ_l are constants (one example or a batch).
    """
    o_prev, target = jax.lax.stop_gradient(o_prev), jax.lax.stop_gradient(target)
    affine = lambda o: model.stage_affine(params, layer, o)
    batched = o_prev.ndim > len(_input_shape(model, layer))
    z = jax.vmap(affine)(o_prev) if batched else affine(o_prev)
    return jnp.sum(target * z)


def bp_direct_loss(model: Network, params, layer: int, o_prev: jax.Array, target: jax.Array) -> jax.Array:
    """ℓ^bp (seed 000 eq. 9) = −o_{l-1}ᵀ(W_lᵀ õ_l) of layer ``layer``; its negative gradient is ∂ℓ/∂W_l."""
    o_prev, target = jax.lax.stop_gradient(o_prev), jax.lax.stop_gradient(target)

    def one(o, t):
        _, transpose = jax.vjp(lambda h: model.stage_affine(params, layer, h), o)
        (back,) = transpose(t)  # W_lᵀ õ_l (Pᵀ included for pooled stages)
        return -jnp.sum(o * back)

    if o_prev.ndim > len(_input_shape(model, layer)):
        return jnp.sum(jax.vmap(one)(o_prev, target))
    return one(o_prev, target)


def _input_shape(model: Network, layer: int) -> tuple:
    """Shape of o_{layer-1} for one example."""
    return model.input_shape if layer == 1 else tuple(model.layer_shapes[layer - 2])
