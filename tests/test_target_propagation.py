"""Gradient target propagation (seed 003, Algorithm 1): hand cases, the vjp step, vmap over classes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxprobe as jp
from jaxprobe.probes.target_propagation import (class_features, descent_step, propagate_target,
                                                target_propagation)


def _one_layer(kernel, activation):
    net = jp.Network((jp.Stage("dense", len(kernel[0]), activation),), (len(kernel),))
    return net, ({"kernel": jnp.asarray(kernel, jnp.float32), "bias": jnp.zeros(len(kernel[0]))},)


def test_linear_layer_reaches_the_least_squares_inverse():
    # z = (t1, t2, t1 + t2); min ‖z − (1, 2, 4)‖²: normal equations [[2, 1], [1, 2]] t = (5, 6), t = (4/3, 7/3).
    net, params = _one_layer([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], "linear")
    res = target_propagation(net, params, jnp.zeros(2), jnp.array([1.0, 2.0, 4.0]), tau=0.3, steps=200)
    np.testing.assert_allclose(res.targets[0], [4 / 3, 7 / 3], atol=1e-5)
    np.testing.assert_allclose(res.mismatch[0], np.sqrt(1 / 3), atol=1e-5)  # residual (1, 1, −1)/3
    np.testing.assert_allclose(res.targets[1], [1.0, 2.0, 4.0])


def test_sigmoid_layer_reaches_its_exact_inverse():
    # σ(t @ diag(2, 1)) = (1/2, σ(1)) has the one solution t = (0, 1).
    net, params = _one_layer([[2.0, 0.0], [0.0, 1.0]], "sigmoid")
    res = target_propagation(net, params, jnp.array([0.3, 0.3]), jax.nn.sigmoid(jnp.array([0.0, 1.0])),
                             tau=4.0, steps=400)
    np.testing.assert_allclose(res.targets[0], [0.0, 1.0], atol=1e-4)
    assert float(res.mismatch[0]) < 1e-5


def test_an_underdetermined_linear_layer_moves_least_from_the_forward_start():
    # z = t1 + t2 = 3 from the forward point x = (1, 0): descent moves along (1, 1) only, to (2, 1).
    net, params = _one_layer([[1.0], [1.0]], "linear")
    res = target_propagation(net, params, jnp.array([1.0, 0.0]), jnp.array([3.0]), tau=0.2, steps=100)
    np.testing.assert_allclose(res.targets[0], [2.0, 1.0], atol=1e-5)


@pytest.fixture(scope="module")
def small():
    net = jp.mlp([5, 4, 3], activation="sigmoid")
    return net, net.init(jax.random.key(3))


def test_each_step_is_the_vjp_of_the_mismatch(small):
    net, params = small
    point, target = jax.random.normal(jax.random.key(1), (4,)), jax.random.uniform(jax.random.key(2), (3,))
    mismatch = lambda t: 0.5 * jnp.sum((net.stage_affine(params, 2, t) - target) ** 2)  # linear logits
    np.testing.assert_allclose(descent_step(net, params, 2, point, target), jax.grad(mismatch)(point), rtol=1e-6)
    kernel, bias = params[0]["kernel"], params[0]["bias"]
    o, x = jax.random.uniform(jax.random.key(4), (4,)), jax.random.normal(jax.random.key(5), (5,))
    z = x @ kernel + bias
    explicit = kernel @ ((jax.nn.sigmoid(z) - o) * jax.nn.sigmoid(z) * (1 - jax.nn.sigmoid(z)))  # W ᵀ(… ⊙ f′)
    np.testing.assert_allclose(descent_step(net, params, 1, x, o), explicit, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("start", ["forward", "zero"])
def test_propagation_is_the_loop_of_descent_steps(small, start):
    net, params = small
    x = jax.random.uniform(jax.random.key(6), (5,))
    target, tau, steps = jnp.array([1.0, 0.0, 0.0]), 0.7, 3
    trace = net.trace_one(params, x)
    res = propagate_target(net, params, trace, target, layer=2, tau=tau, steps=steps, start=start)
    t = target
    for layer in (2, 1):
        forward = trace.inputs[layer - 1]
        below = (forward if start == "forward" else 0.0) - tau * descent_step(net, params, layer, forward, t)
        for _ in range(steps - 1):
            below = below - tau * descent_step(net, params, layer, below, t)
        np.testing.assert_allclose(res.targets[layer - 1], below, rtol=1e-5, atol=1e-6)
        t = below


def test_class_features_vmapped_over_classes_equal_the_loop(small):
    net, params = small
    features = class_features(net, params, tau=0.5, steps=4)
    assert features.shape == (3, 5)
    for c in range(3):
        one = target_propagation(net, params, jnp.zeros(5), jax.nn.one_hot(c, 3), tau=0.5, steps=4).targets[0]
        np.testing.assert_allclose(features[c], one, rtol=1e-5, atol=1e-7)


def test_a_hidden_unit_and_a_batch(small):
    net, params = small
    feats = class_features(net, params, layer=1, units=[0, 2], tau=0.5, steps=2)
    one = target_propagation(net, params, jnp.zeros(5), jnp.array([0.0, 0.0, 1.0, 0.0]), layer=1, tau=0.5,
                             steps=2)
    np.testing.assert_allclose(feats[1], one.targets[0], rtol=1e-5)
    x = jax.random.uniform(jax.random.key(7), (6, 5))
    batch = target_propagation(net, params, x, jnp.tile(jnp.eye(3)[1], (6, 1)), tau=0.5, steps=2)
    single = target_propagation(net, params, x[4], jnp.eye(3)[1], tau=0.5, steps=2)
    np.testing.assert_allclose(batch.targets[0][4], single.targets[0], rtol=1e-5)


def test_bad_arguments_name_the_fix(small):
    net, params = small
    with pytest.raises(ValueError, match="start='back' is not known"):
        class_features(net, params, start="back")
    with pytest.raises(ValueError, match="steps must be a Python int"):
        class_features(net, params, steps=0)
    with pytest.raises(ValueError, match=r"tau must be > 0, got -1.0"):
        class_features(net, params, tau=-1.0)
    with pytest.raises(ValueError, match=r"layer must be an int in 1..2"):
        class_features(net, params, layer=3)
    with pytest.raises(ValueError, match=r"target has shape \(4,\), expected \(3,\)"):
        target_propagation(net, params, jnp.zeros(5), jnp.zeros(4))
