"""Rules applied at a nonlinearity by the backward flows: small pure functions.

A rule receives the backward signal ``g`` arriving at a layer's activation o_l, the forward
pre-activation ``z`` = z_l at the same input, and the activation's name; it returns the signal
at z_l, which the engine then sends through the transposed affine map below (``jax.vjp``).

| rule              | at a ReLU                               | source                           |
|-------------------|-----------------------------------------|----------------------------------|
| gradient          | g ⊙ σ'(z)                               | seed 000 eq. 3–4 (bp-DNN)        |
| guided_bp_dnn     | 1[sign z = sign g] ⊙ g ⊙ σ'(z)          | seed 000 eq. 11                  |
| guided_backprop   | relu(g) ⊙ 1[z > 0]                      | Springenberg et al.; Captum      |
| deconvnet         | relu(g)                                 | seed 004 eq. 4–5; Captum         |
| deconvnet_masked  | relu(r ⊙ g), r = 1[z > 0]               | seed 004 eq. 6–7                 |
| exact_filter      | r ⊙ g                                   | seed 004 eq. 8–9                 |

``guided_backprop`` and ``deconvnet`` change only ReLUs, as Captum's hooks do; at any other
nonlinearity they pass the gradient g ⊙ σ'(z). ``exact_filter`` is the exact local linear map of the
unit (its Jacobian row): r ⊙ g at a ReLU, g ⊙ σ'(z) in general, hence the same as ``gradient``.

On any JAX function (``jaxprobe.anyflow``) a rule is called at the rectifiers and at ``tanh`` and
``sigmoid``; what it means at any other nonlinearity on the signal's path (gelu, softplus, a softmax,
a product of two signals) its table above does not say. The rules marked :func:`gradient_elsewhere`
(``gradient``, ``exact_filter``) are the gradient there; for the others the flow refuses with an
error naming the primitive, unless wrapped as ``gradient_elsewhere(rule)`` (Captum's convention:
only ReLUs changed, the gradient everywhere else).

Every flow takes ``rule=`` as one of these names or as a function of your own with the same
signature (a module-level function or any hashable callable, so it stays a static argument of the
compiled flows). For example the "rectified gradient", which passes only positive signals through
active units:

>>> import jax, jaxprobe as jp
>>> def rectified_gradient(g, z, activation):
...     return jax.nn.relu(g) * jp.rules.gradient(jax.numpy.ones_like(g), z, activation)
>>> model = jp.mlp([4, 3, 2]); params = model.init(jax.random.key(0))
>>> jp.neuron_flow(model, params, jax.numpy.ones(4), 1, 0, rule=rectified_gradient).reconstructions[0].shape
(4,)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp

from jaxprobe.models import activation_derivative
from jaxprobe import validation

Rule = Callable[[jax.Array, jax.Array, str], jax.Array]


@dataclass(frozen=True)
class GradientElsewhere:
    """``rule`` at relu, sigmoid and tanh, the gradient at every other nonlinearity (hashable)."""

    rule: Callable
    gradient_elsewhere = True

    def __call__(self, g, z, activation):
        return self.rule(g, z, activation)


def gradient_elsewhere(rule: "str | Rule") -> Rule:
    """``rule`` where it is defined (relu, sigmoid, tanh), the plain gradient at any other nonlinearity.

    Args:
      rule: a name of :data:`RULES` or a rule function.
    Returns:
      A rule (hashable; equal for equal ``rule``) that ``jaxprobe.anyflow`` lets through gelu,
      softplus, softmax, normalisation and other nonlinearities by their ordinary derivative, as
      Captum's hooks on ReLU modules do.
    Raises:
      ValueError, TypeError: as :func:`get_rule`.

    >>> gradient_elsewhere("deconvnet")(jax.numpy.array([-1.0, 2.0]), jax.numpy.zeros(2), "relu").tolist()
    [0.0, 2.0]
    >>> is_gradient_elsewhere("deconvnet"), is_gradient_elsewhere(gradient_elsewhere("deconvnet"))
    (False, True)
    """
    rule = get_rule(rule)
    return rule if is_gradient_elsewhere(rule) else GradientElsewhere(rule)


def is_gradient_elsewhere(rule: "str | Rule") -> bool:
    """True when ``rule`` is the plain gradient at nonlinearities other than relu, sigmoid and tanh."""
    return bool(getattr(get_rule(rule), "gradient_elsewhere", False))


def gradient(g, z, activation):
    """Back-propagation: õ_l = z̃_l ⊙ b̃_l with b̃_l = σ'(z_l) (seed 000 eq. 3–4)."""
    return g * activation_derivative(activation, z)


def guided_bp_dnn(g, z, activation):
    """Guided-bp-DNN: ẑ_l = 1[sign z_l = sign z̃_l] ⊙ z̃_l, then ⊙ b̃_l (seed 000 eq. 11)."""
    agree = (jnp.sign(z) == jnp.sign(g)).astype(g.dtype)
    return agree * g * activation_derivative(activation, z)


def guided_backprop(g, z, activation):
    """Guided backprop: relu(g) ⊙ 1[z > 0] at a ReLU; the gradient elsewhere."""
    if activation != "relu":
        return gradient(g, z, activation)
    return jax.nn.relu(g) * (z > 0).astype(g.dtype)


def deconvnet(g, z, activation):
    """Deconvnet: x^b_{i-1} = R(W_iᵀ x^b_i), the ReLU applied to the backward signal (seed 004 eq. 4)."""
    if activation != "relu":
        return gradient(g, z, activation)
    return jax.nn.relu(g)


def deconvnet_masked(g, z, activation):
    """Deconvnet with the forward masks: R(r ⊙ x^b), r = 1[z > 0] (seed 004 eq. 6–7)."""
    return jax.nn.relu((z > 0).astype(g.dtype) * g)


def exact_filter(g, z, activation):
    """The exact local filter: x^b_{i-1} = W_iᵀ(r_i ⊙ x^b_i), no rectification (seed 004 eq. 8–9)."""
    return gradient(g, z, activation)


gradient.gradient_elsewhere = True  # the derivative at every nonlinearity, by definition
exact_filter.gradient_elsewhere = True

RULES: dict[str, Rule] = {
    "gradient": gradient,
    "guided_bp_dnn": guided_bp_dnn,
    "guided_backprop": guided_backprop,
    "deconvnet": deconvnet,
    "deconvnet_masked": deconvnet_masked,
    "exact_filter": exact_filter,
}


def get_rule(rule: str | Rule) -> Rule:
    """The rule function for a name of :data:`RULES`, or ``rule`` itself when it is a function.

    Raises:
      ValueError: an unknown name (the message lists the known ones).
      TypeError: neither a name nor a hashable callable.
    """
    if isinstance(rule, str):
        validation.check_choice("rule", rule, tuple(RULES))
        return RULES[rule]
    if not callable(rule):
        raise TypeError(f"rule must be one of {', '.join(map(repr, RULES))} or a function (g, z, activation) -> "
                        f"signal, got {type(rule).__name__}.")
    try:
        hash(rule)
    except TypeError as err:
        raise TypeError("rule must be hashable (a def'd function, not a partial of unhashable arguments): "
                        "it is a static argument of the compiled flows.") from err
    return rule
