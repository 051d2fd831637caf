"""The softmax loss of seed 000 eq. 1 and the classification accuracy."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean of −Σ_i y_i log p_i over the batch, with p = softmax(logits) (seed 000 eq. 1).

    ``labels`` are integer classes; a single example (1-D logits) gives a scalar too.
    """
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))


def accuracy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Fraction of examples whose arg-max logit is the label."""
    return jnp.mean(jnp.argmax(logits, axis=-1) == labels)
