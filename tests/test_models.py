"""Networks: shapes of the seeds' architectures, the trace under jit and vmap, hashing."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxprobe as jp


def test_seed_architectures_have_the_seeds_shapes():
    assert jp.mlp([784, 100, 100, 100, 100, 100, 10]).layer_shapes == ((100,),) * 5 + ((10,),)
    assert jp.seed002_cnn().layer_shapes == ((24, 24, 10), (8, 8, 20), (10,))
    assert jp.cnn1d(100, [5, 7, 9], n_classes=60).layer_shapes == ((100, 1),) * 3 + ((60,),)
    vgg = jp.vgg_mnist()
    assert vgg.layer_shapes[-2:] == ((128,), (10,)) and vgg.stages[2].pool == 2
    sizes = [int(np.prod(p["kernel"].shape)) for p in jp.seed002_cnn().init(jax.random.key(0))]
    assert sizes == [5 * 5 * 10, 5 * 5 * 10 * 20, 320 * 10]


def test_trace_under_jit_and_vmap_matches_apply():
    model = jp.seed002_cnn()
    params = model.init(jax.random.key(0))
    x = jax.random.uniform(jax.random.key(1), (3, 28, 28))
    trace = jax.jit(model.trace)(params, x)
    np.testing.assert_allclose(trace.pre[-1], model.apply(params, x), rtol=1e-5, atol=1e-6)
    one = jax.vmap(model.trace, (None, 0))(params, x)
    for a, b in zip(jax.tree.leaves(one), jax.tree.leaves(trace)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(trace.masks[0], (trace.pre[0] > 0).astype(np.float32))
    # one switch per pooling window: 12×12 windows × 10 channels
    assert trace.switches[0] is None and float(trace.switches[1][0].sum()) == 12 * 12 * 10
    np.testing.assert_allclose(trace.inputs[1], trace.post[0])


def test_networks_are_hashable_static_arguments():
    a, b = jp.mlp([4, 3, 2]), jp.mlp([4, 3, 2])
    assert a == b and hash(a) == hash(b) and a != jp.mlp([4, 5, 2])
    f = jax.jit(lambda m, p, x: m.apply(p, x), static_argnums=0)
    params = a.init(jax.random.key(0))
    np.testing.assert_allclose(f(a, params, jnp.ones(4)), a.apply(params, jnp.ones(4)), rtol=1e-6)


def test_activation_per_layer_and_errors():
    model = jp.mlp([4, 3, 3, 2], activation=["sigmoid", "tanh"])
    assert [s.activation for s in model.stages] == ["sigmoid", "tanh", "linear"]
    with pytest.raises(ValueError, match=r"activation lists 1 names, expected one per hidden layer \(2\)"):
        jp.mlp([4, 3, 3, 2], activation=["relu"])
    with pytest.raises(ValueError, match=r"kernel_size must be given"):
        jp.Stage("conv", 3)
    with pytest.raises(ValueError, match=r"kind='pool' is not known"):
        jp.Stage("pool", 3)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("cin, cout, k", [(1, 1, 5), (1, 1, 4), (3, 2, 7)])
def test_tap_conv_equals_flax_conv(padding, cin, cout, k):
    import flax.linen as nn

    h = jax.random.normal(jax.random.key(0), (4, 20, cin))
    ref, tap = nn.Conv(cout, (k,), padding=padding), jp.models.TapConv1D(cout, (k,), padding=padding)
    p_ref, p_tap = ref.init(jax.random.key(1), h), tap.init(jax.random.key(1), h)
    for a, b in zip(jax.tree.leaves(p_ref), jax.tree.leaves(p_tap)):
        np.testing.assert_array_equal(a, b)  # same parameters and initialisers
    np.testing.assert_allclose(tap.apply(p_ref, h), ref.apply(p_ref, h), rtol=1e-5, atol=1e-6)
    g_ref = jax.grad(lambda hh: jnp.sum(jnp.sin(ref.apply(p_ref, hh))))(h)
    g_tap = jax.grad(lambda hh: jnp.sum(jnp.sin(tap.apply(p_ref, hh))))(h)
    np.testing.assert_allclose(g_tap, g_ref, rtol=1e-5, atol=1e-6)
