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


# ------------------------------------------------------------------ issue 10: silent wrong results
def _nan_params(params):
    return (dict(params[0], kernel=params[0]["kernel"].at[0, 0].set(jnp.nan)),) + tuple(params[1:])


def test_nan_parameters_are_refused_by_every_flow(net):
    """Item 4: NaN parameters gave NaN or all-zero targets."""
    model, params = net
    bad = _nan_params(params)
    x = jnp.ones((2, 6))
    for call in (lambda: jp.bp_dnn_targets(model, bad, x, 0), lambda: jp.guided_backprop(model, bad, x, 1),
                 lambda: jp.exact_filter(model, bad, x, 1, 0),
                 lambda: jp.backward_flow(model, bad, x[0], jnp.ones(3))):
        with pytest.raises(ValueError, match=r"params\[0\]\['kernel'\] contains 1 NaN"):
            call()
    with pytest.raises(ValueError, match=r"backward_params\[0\]\['kernel'\] contains 1 NaN"):
        jp.neuron_flow(model, params, x, 1, 0, backward_params=bad)


def test_loss_and_accuracy_labels():
    """Item 5: label −1 wrapped to the last class, label ≥ classes gave NaN, (N, 1) labels broadcast."""
    logits = jnp.array([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    with pytest.raises(ValueError, match=r"labels must be a class label in 0..2, got -1"):
        jp.softmax_cross_entropy(logits, jnp.array([0, -1]))
    with pytest.raises(ValueError, match=r"labels must be a class label in 0..2, got 3"):
        jp.softmax_cross_entropy(logits, jnp.array([0, 3]))
    with pytest.raises(ValueError, match=r"labels has shape \(2, 1\), expected \(2,\) .*labels.reshape\(-1\)"):
        jp.accuracy(logits, jnp.array([[0], [1]]))
    with pytest.raises(ValueError, match=r"hold no examples"):
        jp.accuracy(jnp.zeros((0, 3)), jnp.zeros((0,), jnp.int32))
    with pytest.raises(TypeError, match=r"labels must be an integer class label, got dtype float32"):
        jp.accuracy(logits, jnp.array([0.0, 1.0]))
    assert float(jp.accuracy(logits, jnp.array([0, 2]))) == 0.5
    expected = -np.log(np.exp(2) / (np.exp(2) + 2))
    np.testing.assert_allclose(float(jp.softmax_cross_entropy(logits, jnp.array([0, 1]))), expected, rtol=1e-6)


def _raises_under_jit(fn, *args, match):
    """A traced check fires when the compiled function runs: JAX wraps our ValueError."""
    with pytest.raises(jax.errors.JaxRuntimeError, match=match):
        jax.block_until_ready(fn(*args))


def test_checks_stay_on_under_jit_and_vmap(net):
    """Item 6: under jit/vmap, out-of-range units or targets and NaN inputs were silent."""
    model, params = net
    x = jnp.ones((3, 6))
    filt = jax.jit(lambda xb, u: jp.exact_filter(model, params, xb, 1, u))
    np.testing.assert_allclose(filt(x, jnp.array([0, 4, 2])), jp.exact_filter(model, params, x, 1, jnp.array([0, 4, 2])))
    _raises_under_jit(filt, x, jnp.array([0, -1, 2]), match=r"unit must be a unit index of layer 1 in 0..4")
    per_unit = jax.jit(jax.vmap(lambda u: jp.exact_filter(model, params, x[0], 1, u)))
    _raises_under_jit(per_unit, jnp.array([1, 5]), match=r"unit must be a unit index of layer 1 in 0..4")
    target = jax.jit(lambda xb, t: jp.guided_backprop(model, params, xb, t))
    _raises_under_jit(target, x, jnp.array([0, 1, 3]), match=r"target must be a class index in 0..2")
    _raises_under_jit(jax.jit(lambda xb: jp.saliency(model, params, xb, 0)), x.at[1, 2].set(jnp.nan),
                      match=r"x contains NaN or infinite values")
    stacked = model.init_stacked(jax.random.split(jax.random.key(1), 2))
    over_models = jax.jit(jax.vmap(lambda p: jp.bp_dnn_targets(model, p, x, 0).targets[0]))
    assert over_models(stacked).shape == (2, 3, 5)
    poisoned = (dict(stacked[0], kernel=stacked[0]["kernel"].at[1, 0, 0].set(jnp.inf)),) + tuple(stacked[1:])
    _raises_under_jit(over_models, poisoned, match=r"params\[0\]\['kernel'\] contains NaN or infinite")
    with jp.validation.traced_checks(False):  # the switch: traced without the checks
        quiet = jax.jit(lambda xb, u: jp.exact_filter(model, params, xb, 1, u))
        assert quiet(x, jnp.array([0, -1, 2])).shape == (3, 6)


def test_run_flow_and_backward_flow_arguments(net):
    """Item 7: start='bogus' was 'pre', layer=0 gave an empty result, NaN signal and to_layer=True passed,
    weight_by_activation='no' was true."""
    model, params = net
    trace = model.trace_one(params, jnp.ones(6))
    kw = dict(layer=2, rule="gradient")
    with pytest.raises(ValueError, match=r"start='bogus' is not known; choose one of 'pre', 'post'"):
        jp.run_flow(model, params, trace, jnp.ones(3), start="bogus", **kw)
    with pytest.raises(ValueError, match=r"layer must be in 1..2 .* got 0"):
        jp.run_flow(model, params, trace, jnp.ones(3), layer=0, rule="gradient")
    with pytest.raises(ValueError, match=r"signal contains 1 NaN"):
        jp.backward_flow(model, params, jnp.ones(6), jnp.array([1.0, jnp.nan, 0.0]))
    with pytest.raises(ValueError, match=r"to_layer must be an int in 0..1 .* got True"):
        jp.backward_flow(model, params, jnp.ones(6), jnp.ones(3), to_layer=True)
    with pytest.raises(TypeError, match=r"weight_by_activation must be True or False, got 'no'"):
        jp.neuron_flow(model, params, jnp.ones(6), 1, 0, weight_by_activation="no")
    with pytest.raises(TypeError, match=r"abs must be True or False"):
        jp.saliency(model, params, jnp.ones(6), 0, abs=None)
    res = jp.run_flow(model, params, trace, jnp.ones(3), **kw)  # valid calls still agree
    np.testing.assert_allclose(res.reconstructions[0], jp.backward_flow(model, params, jnp.ones(6),
                                                                        jnp.ones(3)).reconstructions[0])


def test_direct_losses_refuse_layer_0_and_minus_1(net):
    """Item 8: layer 0 or −1 silently used the last stage."""
    model, params = net
    for layer in (0, -1, 3):
        with pytest.raises(ValueError, match=rf"layer must be in 1..2 \(stages of this network\), got {layer}"):
            jp.fp_direct_loss(model, params, layer, jnp.ones(5), jnp.ones(3))
        with pytest.raises(ValueError, match=rf"layer must be in 1..2"):
            jp.bp_direct_loss(model, params, layer, jnp.ones(5), jnp.ones(3))


def test_builders_refuse_what_they_used_to_reinterpret():
    """Item 9: mlp("784") built a 7-input network, 2.7 was truncated, short channel lists dropped layers."""
    with pytest.raises(TypeError, match=r"widths must be a list of positive integers, got '784'"):
        jp.mlp("784")
    with pytest.raises(TypeError, match=r"widths\[1\] must be an integer, got 2.7"):
        jp.mlp([4, 2.7, 3])
    with pytest.raises(ValueError, match=r"channels lists 1 sizes for 2 kernels"):
        jp.cnn1d(20, [5, 3], n_classes=4, channels=[2])
    with pytest.raises(TypeError, match=r"features must be an integer, got True"):
        jp.Stage("dense", True)
    with pytest.raises(ValueError, match=r"padding='same' is not known"):
        jp.Stage("conv", 3, kernel_size=(3,), padding="same")
    with pytest.raises(ValueError, match=r"kernel_size=\(3,\) is only for conv stages"):
        jp.Stage("dense", 3, kernel_size=(3,))


def test_moore_penrose_refuses_impossible_cells():
    """Item 10: n = 0, negative or fractional n and trial counts, r = NaN, k > n, dropped labels."""
    from jaxprobe import moore_penrose as mp

    for kwargs, error, match in [
        (dict(n=0, p=2, trials=10), ValueError, r"n must be a positive integer, got 0"),
        (dict(n=-3, p=2, trials=10), ValueError, r"n must be a positive integer, got -3"),
        (dict(n=2.5, p=2, trials=10), TypeError, r"n must be an integer, got 2.5"),
        (dict(n=5, p=2, trials=-1), ValueError, r"trials must be a positive integer, got -1"),
        (dict(n=5, p=2, trials=10.5), TypeError, r"trials must be an integer, got 10.5"),
        (dict(n=5, p=2, trials=10, r=float("nan")), ValueError, r"r must be a finite number, got nan"),
        (dict(n=5, p=2, trials=10, r=-0.1), ValueError, r"r must be >= 0.0, got -0.1"),
        (dict(n=5, p=2, trials=10, r=2.0), ValueError, r"r=2.0 exceeds the diameter"),
    ]:
        with pytest.raises(error, match=match):
            mp.count_successes(**kwargs)
        with pytest.raises(error, match=match):
            mp.estimate(**kwargs)
    with pytest.raises(ValueError, match=r"k=5 successes out of n=3 trials"):
        mp.clopper_pearson(5, 3)
    with pytest.raises(ValueError, match=r"labels must be a class label in 0..2, got 3"):
        mp.mp_output_layer(np.ones((4, 2), np.float32), np.array([0, 1, 2, 3]), 3)
    with pytest.raises(ValueError, match=r"scale must be > 0"):
        mp.mp_output_layer(np.ones((4, 2), np.float32), np.array([0, 1, 2, 0]), 3, scale=0.0)


def test_overflowing_inputs_raise_instead_of_nan_targets():
    """Item 11: finite inputs near 3e38 gave NaN targets in bp_dnn_targets."""
    model = jp.mlp([6, 5, 3])
    params = model.init(jax.random.key(0))
    x = jnp.full((2, 6), 3e38, jnp.float32)
    with pytest.raises(ValueError, match=r"overflowed float32 .*rescale x"):
        jp.bp_dnn_targets(model, params, x, jnp.array([0, 1]))
    _raises_under_jit(jax.jit(lambda xb: jp.bp_dnn_targets(model, params, xb, 0)), x, match=r"overflowed float32")


# ------------------------------------------------------------------ issue 10: unclear errors, now named
def test_params_none_or_of_another_model_in_flows(net):
    model, params = net
    with pytest.raises(ValueError, match=r"params must be a tuple of 2 per-stage dicts .* got NoneType"):
        jp.bp_dnn_targets(model, None, jnp.ones(6), 0)
    other = jp.mlp([6, 4, 3]).init(jax.random.key(0))
    with pytest.raises(ValueError, match=r"params\[0\]\['kernel'\] has shape \(6, 4\), expected \(6, 5\) .*another"):
        jp.saliency(model, other, jnp.ones(6), 0)
    no_bias = (dict(kernel=params[0]["kernel"]),) + tuple(params[1:])
    with pytest.raises(ValueError, match=r"params\[0\]\['bias'\] is missing"):
        jp.guided_backprop(model, no_bias, jnp.ones(6), 0)
    with pytest.raises(ValueError, match=r"params\[0\]\['bias'\] is missing"):
        model.apply(no_bias, jnp.ones(6))


def test_signal_of_integers_or_a_list(net):
    model, params = net
    with pytest.raises(TypeError, match=r"signal must be a floating-point array .* got dtype int"):
        jp.backward_flow(model, params, jnp.ones(6), np.array([1, 0, 0]))
    with pytest.raises(ValueError, match=r"signal has shape \(\), expected \(3,\)"):
        jp.backward_flow(model, params, jnp.ones(6), 1.0)
    as_list = jp.backward_flow(model, params, jnp.ones(6), [1.0, 0.0, 0.0]).reconstructions[0]
    np.testing.assert_allclose(as_list, jp.backward_flow(model, params, jnp.ones(6),
                                                         jnp.array([1.0, 0.0, 0.0])).reconstructions[0])


def test_batched_trace_in_run_flow(net):
    model, params = net
    trace = model.trace(params, jnp.ones((4, 6)))
    with pytest.raises(ValueError, match=r"this trace holds a batch: run_flow takes one example, so vmap it"):
        jp.run_flow(model, params, trace, jnp.ones(3), layer=2, rule="gradient")


def test_direct_losses_mismatched_target(net):
    model, params = net
    with pytest.raises(ValueError, match=r"target has shape \(4,\), expected \(5,\)"):
        jp.fp_direct_loss(model, params, 1, jnp.ones(6), jnp.ones(4))
    with pytest.raises(ValueError, match=r"target has shape \(3, 5\), expected \(2, 5\): .*o_prev's batch size"):
        jp.bp_direct_loss(model, params, 1, jnp.ones((2, 6)), jnp.ones((3, 5)))
    with pytest.raises(ValueError, match=r"o_prev has shape \(7,\), expected one example of shape \(6,\)"):
        jp.fp_direct_loss(model, params, 1, jnp.ones(7), jnp.ones(5))


def test_unbuildable_networks_and_keys():
    with pytest.raises(ValueError, match=r"widths\[0\] must be a positive integer, got 0"):
        jp.mlp([0, 5, 3])
    with pytest.raises(ValueError, match=r"stage 2 \(dense, its input has shape \(8, 8, 3\)\): its max-pool window 16 "
                                         r"is larger than the spatial shape \(8, 8\)"):
        jp.cnn2d((8, 8), convs=[(3, 3, 16)], dense=(), n_classes=3).init(jax.random.key(0))
    with pytest.raises(ValueError, match=r"stage 1 \(conv.* empty output .*kernel is larger than its input"):
        jp.cnn2d((8, 8), convs=[(3, 9, 1)], dense=(), n_classes=3, padding="VALID").init(jax.random.key(0))
    with pytest.raises(ValueError, match=r"keys must be K keys \(jax.random.split\(jax.random.key\(0\), K\)\)"):
        jp.mlp([4, 5, 3]).init_stacked(jax.random.key(0))
    with pytest.raises(TypeError, match=r"key must be a jax.random key, got 0"):
        jp.mlp([4, 5, 3]).init(0)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_half_precision_inputs_give_the_float32_result(net, dtype):
    """bfloat16 was rejected as "must be floating-point": it is accepted and computed in float32."""
    model, params = net
    x = jax.random.normal(jax.random.key(3), (4, 6)).astype(dtype)
    x32 = x.astype(jnp.float32)
    y = jnp.array([0, 1, 2, 0])
    for flow in (jp.bp_dnn_targets, jp.guided_bp_dnn, jp.saliency, jp.deconvnet):
        for a, b in zip(jax.tree.leaves(flow(model, params, x, y)), jax.tree.leaves(flow(model, params, x32, y))):
            assert a.dtype == jnp.float32
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(jp.exact_filter(model, params, x, 1, 2), jp.exact_filter(model, params, x32, 1, 2))
    np.testing.assert_allclose(model.apply(params, x), model.apply(params, x32), rtol=1e-6)


def test_moore_penrose_unclear_errors():
    from jaxprobe import moore_penrose as mp

    pts = np.random.default_rng(0).uniform(size=(5, 2))
    with pytest.raises(ValueError, match=r"points contains 1 NaN"):
        mp.image_matrix(np.where(np.arange(10).reshape(5, 2) == 3, np.nan, pts))
    with pytest.raises(ValueError, match=r"points must be a batch \(T, n, p\), got shape \(5, 2\); for one set use points\[None\]"):
        mp.success_batch(pts.astype(np.float32))
    assert mp.success_batch(pts[None].astype(np.float32)).shape == (1,)
    with pytest.raises(TypeError, match=r"key must be a trial key: uint32 of shape \(2,\)"):
        mp.trial(jax.random.key(0), n=5, p=2)
    key = mp.trial_keys(0, 1)[0]
    ok, att = mp.trial(key, n=5, p=2)
    assert bool(ok) == mp.reference_success(np.asarray(mp.uniform_points(key, 5, 2), np.float64))
