"""Bad input to the public flows raises an error that names the argument and what was expected."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxprobe as jp


@pytest.fixture(scope="module")
def net():
    model = jp.mlp([6, 5, 3])
    return model, model.init(jax.random.key(0))


def test_wrong_input_shape(net):
    model, params = net
    with pytest.raises(ValueError, match=r"x has shape \(4, 7\), expected one example of shape \(6,\)"):
        jp.guided_backprop(model, params, jnp.zeros((4, 7)), 0)


def test_wrong_dtype(net):
    model, params = net
    with pytest.raises(TypeError, match=r"x must be a floating-point array .* got dtype int"):
        jp.bp_dnn_targets(model, params, np.zeros((2, 6), np.int32), np.array([0, 1]))


def test_nan_in_input(net):
    model, params = net
    x = np.zeros((3, 6), np.float32)
    x[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"x contains 1 NaN"):
        jp.deconvnet(model, params, x, 0)


def test_label_out_of_range(net):
    model, params = net
    with pytest.raises(ValueError, match=r"y must be a class label in 0..2, got 3"):
        jp.bp_dnn_targets(model, params, jnp.zeros((2, 6)), jnp.array([0, 3]))


def test_label_count_mismatch(net):
    model, params = net
    with pytest.raises(ValueError, match=r"target must be one integer or one per example, shape \(2,\)"):
        jp.saliency(model, params, jnp.zeros((2, 6)), jnp.array([0, 1, 2]))


def test_layer_out_of_range(net):
    model, params = net
    with pytest.raises(ValueError, match=r"layer must be in 1..2 .* got 3"):
        jp.exact_filter(model, params, jnp.zeros(6), 3, 0)
    with pytest.raises(TypeError, match=r"layer must be a Python int"):
        jp.exact_filter(model, params, jnp.zeros(6), "fc1", 0)


def test_unit_out_of_range(net):
    model, params = net
    with pytest.raises(ValueError, match=r"unit must be a unit index of layer 1 in 0..4, got 5"):
        jp.exact_filter(model, params, jnp.zeros(6), 1, 5)


def test_unknown_rule(net):
    model, params = net
    with pytest.raises(ValueError, match=r"rule='guided' is not known; choose one of 'gradient'"):
        jp.neuron_flow(model, params, jnp.zeros(6), 1, 0, "guided")


def test_unknown_activation():
    with pytest.raises(ValueError, match=r"activation='gelu' is not known"):
        jp.mlp([4, 3, 2], activation="gelu")


def test_wrong_signal_shape(net):
    model, params = net
    with pytest.raises(ValueError, match=r"signal has shape \(4,\), expected \(3,\)"):
        jp.backward_flow(model, params, jnp.zeros(6), jnp.zeros(4))


def test_params_of_another_network(net):
    model, _ = net
    other = jp.mlp([6, 4, 3]).init(jax.random.key(0))
    with pytest.raises(ValueError, match=r"params\[0\]\['kernel'\] has shape \(6, 4\), expected \(6, 5\)"):
        jp.neuron_flow(model, model.init(jax.random.key(1)), jnp.zeros(6), 1, 0, backward_params=other)
