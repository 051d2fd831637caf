"""The backward-flow engine pinned to ground truth: jax.grad, jax.jacrev, hand-computed cases."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxprobe as jp
from jaxprobe import rules

jax.config.update("jax_default_matmul_precision", "highest")

MODELS = {
    "mlp": lambda: jp.mlp([12, 9, 7, 5, 4]),
    "mlp_tanh_sigmoid": lambda: jp.mlp([12, 9, 7, 4], activation=["tanh", "sigmoid"]),
    "cnn1d": lambda: jp.cnn1d(20, [5, 3], n_classes=6, channels=[3, 2], hidden=(8,)),
    "cnn2d_pool": lambda: jp.cnn2d((12, 12), convs=[(4, 3, 2), (5, 3, 2)], dense=(7,), n_classes=5,
                                   padding="VALID"),
}


def _setup(name, n=4, seed=0):
    model = MODELS[name]()
    k1, k2, k3 = jax.random.split(jax.random.key(seed), 3)
    params = model.init(k1)
    # random biases too, so that masks and pooling switches are not trivial
    params = tuple({**p, "bias": 0.3 * jax.random.normal(k, p["bias"].shape)}
                   for p, k in zip(params, jax.random.split(k3, len(params))))
    x = jax.random.normal(k2, (n,) + model.input_shape)
    y = jnp.arange(n) % model.n_classes
    return model, params, x, y


def _rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12)


def _loss_with_perturbations(model, params, x, y, dzs):
    """The loss with dzs[l-1] added to z_l: its gradient at dzs = 0 is (∂ℓ/∂z_1, …, ∂ℓ/∂z_L)."""
    o = x
    for k, (stage, dz) in enumerate(zip(model.stages, dzs), start=1):
        o = jp.models.activation_fn(stage.activation)(model.stage_affine(params, k, o) + dz)
    return jp.softmax_cross_entropy(o[None], y[None])


@pytest.mark.parametrize("name", list(MODELS))
def test_bp_dnn_targets_equal_grad_wrt_every_pre_activation(name):
    model, params, x, y = _setup(name)
    res = jp.bp_dnn_targets(model, params, x, y)
    zeros = tuple(jnp.zeros(s) for s in model.layer_shapes)

    @jax.jit
    @jax.vmap
    def truth(xi, yi):
        by_z = jax.grad(lambda d: _loss_with_perturbations(model, params, xi, yi, d))(zeros)
        by_x = jax.grad(lambda xx: _loss_with_perturbations(model, params, xx, yi, zeros))(xi)
        return by_z, by_x

    by_z, by_x = truth(x, y)
    for layer in range(1, model.n_layers + 1):
        assert _rel(res.targets[layer - 1], by_z[layer - 1]) <= 1e-5, (name, layer)
    assert _rel(res.reconstructions[0], by_x) <= 1e-5


def _targets_and_true_gradient(name):
    """One example's targets õ_l, its forward trace and the true ∂ℓ/∂params."""
    model, params, x, y = _setup(name, n=1)
    res = jp.bp_dnn_targets(model, params, x[0], y[0])
    trace = model.trace(params, x[0])
    grads = jax.grad(lambda p: jp.softmax_cross_entropy(model.apply(p, x[0])[None], y[0][None]))(params)
    return model, params, res, trace, grads


@pytest.mark.parametrize("name", ["mlp", "mlp_tanh_sigmoid"])
def test_target_times_input_is_weight_gradient(name):
    """ΔW_l = õ_l o_{l-1}ᵀ (seed 000 eq. 5); flax kernels are (in, out), so o_{l-1} õ_lᵀ."""
    model, params, res, trace, grads = _targets_and_true_gradient(name)
    for layer in range(1, model.n_layers + 1):
        outer = jnp.outer(trace.inputs[layer - 1], res.targets[layer - 1])
        assert _rel(outer, grads[layer - 1]["kernel"]) <= 1e-5
        assert _rel(res.targets[layer - 1], grads[layer - 1]["bias"]) <= 1e-5


@pytest.mark.parametrize("name", ["cnn1d", "cnn2d_pool"])
def test_conv_weight_gradient_from_targets(name):
    """For conv stages ΔW_l is the transpose of the map W ↦ A_W(o_{l-1}) applied to õ_l."""
    model, params, res, trace, grads = _targets_and_true_gradient(name)
    for layer in range(1, model.n_layers + 1):
        def affine_of_weights(lp):
            p = tuple(lp if k == layer - 1 else q for k, q in enumerate(params))
            return model.stage_affine(p, layer, trace.inputs[layer - 1])
        _, transpose = jax.vjp(affine_of_weights, params[layer - 1])
        (dw,) = transpose(res.targets[layer - 1])
        assert _rel(dw["kernel"], grads[layer - 1]["kernel"]) <= 1e-5


@pytest.mark.parametrize("name", list(MODELS))
def test_direct_loss_gradients_equal_true_gradient(name):
    """∂ℓ^fp/∂W_l = ∂ℓ/∂W_l (eq. 7) and −∂ℓ^bp/∂W_l = ∂ℓ/∂W_l (eq. 10), summed over a batch."""
    model, params, x, y = _setup(name)
    res = jp.bp_dnn_targets(model, params, x, y)
    trace = model.trace(params, x)
    total = lambda p: jnp.sum(jax.vmap(lambda xi, yi: jp.softmax_cross_entropy(
        model.apply(p, xi)[None], yi[None]))(x, y))
    true = jax.jit(jax.grad(total))(params)
    for layer in range(1, model.n_layers + 1):
        o_prev, target = trace.inputs[layer - 1], res.targets[layer - 1]

        @jax.jit
        def direct_grads(p):
            g_fp = jax.grad(lambda q: jp.fp_direct_loss(model, q, layer, o_prev, target))(p)
            g_bp = jax.grad(lambda q: jp.bp_direct_loss(model, q, layer, o_prev, target))(p)
            return g_fp, g_bp

        g_fp, g_bp = direct_grads(params)
        assert _rel(g_fp[layer - 1]["kernel"], true[layer - 1]["kernel"]) <= 1e-5
        assert _rel(g_fp[layer - 1]["bias"], true[layer - 1]["bias"]) <= 1e-5
        assert _rel(-g_bp[layer - 1]["kernel"], true[layer - 1]["kernel"]) <= 1e-5
        # the direct losses only see this layer: other layers' gradients vanish
        assert all(float(jnp.abs(g["kernel"]).max()) == 0.0 for k, g in enumerate(g_fp) if k != layer - 1)


@pytest.mark.parametrize("name", ["mlp", "cnn1d", "cnn2d_pool"])
def test_guided_bp_dnn_equals_guided_backprop_with_relu(name):
    model, params, x, y = _setup(name)
    guided = jp.guided_bp_dnn(model, params, x, y).reconstructions[0]
    gbp = jp.guided_backprop(model, params, x, y)
    np.testing.assert_allclose(guided, gbp, rtol=0, atol=1e-6)
    assert float(jnp.abs(gbp).max()) > 0


def test_guided_bp_dnn_differs_from_guided_backprop_with_tanh():
    """Away from ReLU the sign-agreement mask is a different rule: the test must be able to fail."""
    model, params, x, y = _setup("mlp_tanh_sigmoid")
    guided = jp.guided_bp_dnn(model, params, x, y).reconstructions[0]
    gbp = jp.guided_backprop(model, params, x, y)
    assert float(jnp.abs(guided - gbp).max()) > 1e-3


@pytest.mark.parametrize("name", ["mlp", "mlp_tanh_sigmoid", "cnn1d", "cnn2d_pool"])
def test_exact_filter_is_the_jacobian_row(name):
    model, params, x, _ = _setup(name, n=1)
    for layer in range(1, model.n_layers):
        size = int(np.prod(model.layer_shapes[layer - 1]))
        post = lambda xx: model.trace_one(params, xx).post[layer - 1].reshape(-1)
        jac = jax.jit(jax.jacrev(post))(x[0])
        units = jnp.arange(0, size, max(1, size // 7))
        got = jax.jit(jax.vmap(lambda u: jp.exact_filter(model, params, x[0], layer, u)))(units)
        assert float(jnp.abs(jac[units]).max()) > 0
        np.testing.assert_allclose(got, jac[units], rtol=1e-5, atol=1e-6)


def _two_layer_case():
    """A 2-2-1 hand case: x = (1, 2), W1 = [[1, -1], [2, 1]] (rows = units), b1 = (0.5, -5)."""
    model = jp.mlp([2, 2, 2, 1])
    w1 = jnp.array([[1.0, -1.0], [2.0, 1.0]])  # z1 = W1 x + b1 = (-0.5, -1) → both dead? use b1
    params = (
        {"kernel": w1.T, "bias": jnp.array([1.5, -1.0])},  # z1 = (0.5, 3.0): both active
        {"kernel": jnp.array([[1.0, -2.0], [-1.0, 1.0]]).T, "bias": jnp.array([0.0, 0.0])},
        {"kernel": jnp.array([[1.0], [1.0]]), "bias": jnp.array([0.0])},
    )
    return model, params, jnp.array([1.0, 2.0])


def test_deconvnet_masked_random_flows_on_a_hand_computed_case():
    model, params, x = _two_layer_case()
    # forward: z1 = (0.5, 3.0); o1 = (0.5, 3.0); z2 = W2 o1 = (0.5 - 6, -0.5 + 3) = (-5.5, 2.5)
    trace = model.trace(params, x)
    np.testing.assert_allclose(trace.pre[0], [0.5, 3.0])
    np.testing.assert_allclose(trace.pre[1], [-5.5, 2.5])
    # from unit 1 of layer 2 (o2[1] = 2.5): signal (0, 2.5) at o2
    # deconvnet: W2ᵀ(0, 2.5) = (-2.5, 2.5) → relu → (0, 2.5) → W1ᵀ(0, 2.5) = (5, 2.5)
    deconv = jp.neuron_flow(model, params, x, 2, 1, "deconvnet").reconstructions[0]
    np.testing.assert_allclose(deconv, [5.0, 2.5])
    # masked: r2 = (0, 1), r1 = (1, 1): W2ᵀ(0, 2.5) = (-2.5, 2.5) → relu(r1 ⊙ ·) = (0, 2.5) → (5, 2.5)
    # from unit 0 instead (inactive, o2[0] = 0): everything is zero
    masked0 = jp.neuron_flow(model, params, x, 2, 0, "deconvnet_masked").reconstructions[0]
    np.testing.assert_allclose(masked0, [0.0, 0.0])
    # a delta at unit 0 with the exact filter: r2[0] = 0 kills it; deconvnet (no mask) does not
    exact0 = jp.exact_filter(model, params, x, 2, 0)
    np.testing.assert_allclose(exact0, [0.0, 0.0])
    deconv0 = jp.neuron_flow(model, params, x, 2, 0, "deconvnet", weight_by_activation=False).reconstructions[0]
    # W2ᵀ(1, 0) = (1, -2) → relu → (1, 0) → W1ᵀ(1, 0) = (1, -1)
    np.testing.assert_allclose(deconv0, [1.0, -1.0])
    # masks matter: with z1 = (0.5, 3) both active, a mask at layer 1 only bites if a unit is dead
    params_dead = (dict(params[0], bias=jnp.array([-2.0, -1.0])),) + params[1:]  # z1 = (-3, 3)
    masked = jp.neuron_flow(model, params_dead, x, 2, 1, "deconvnet_masked",
                            weight_by_activation=False).reconstructions[0]
    # z2 = W2 (0, 3) = (-6, 3): unit 1 active; W2ᵀ(0,1) = (-1, 1) → relu(r1 ⊙ ·) = (0, 1) → W1ᵀ = (2, 1)
    np.testing.assert_allclose(masked, [2.0, 1.0])
    plain = jp.neuron_flow(model, params_dead, x, 2, 1, "deconvnet",
                           weight_by_activation=False).reconstructions[0]
    np.testing.assert_allclose(plain, [2.0, 1.0])  # relu alone gives the same here (unit 0 got −1)
    # random weights: the transposes use the drawn weights, the masks stay the trained ones
    rand = jp.random_backward_params(jax.random.key(3), params_dead)
    got = jp.neuron_flow(model, params_dead, x, 2, 1, "deconvnet_masked", weight_by_activation=False,
                         backward_params=rand).reconstructions[0]
    r2 = jnp.array([0.0, 1.0]) * jnp.array([0.0, 1.0])
    v = jax.nn.relu(jnp.array([0.0, 1.0]) * (rand[1]["kernel"] @ r2))  # W2ᵀ is kernel (in, out) @
    np.testing.assert_allclose(got, rand[0]["kernel"] @ v, rtol=1e-6)


def test_rules_on_hand_values():
    """Each rule at a ReLU and at tanh on g = (2, −1, 3, −4), z = (1, 2, −1, −3), worked by hand."""
    g, z = jnp.array([2.0, -1.0, 3.0, -4.0]), jnp.array([1.0, 2.0, -1.0, -3.0])
    d_tanh = 1.0 - np.tanh(np.array([1.0, 2.0, -1.0, -3.0])) ** 2  # σ'(z) of tanh
    g_np = np.asarray(g)
    expected = {  # (at a ReLU, at tanh)
        "gradient": ([2, -1, 0, 0], g_np * d_tanh),
        "exact_filter": ([2, -1, 0, 0], g_np * d_tanh),
        "guided_bp_dnn": ([2, 0, 0, 0], np.array([1, 0, 0, 1]) * g_np * d_tanh),  # sign z = sign g
        "guided_backprop": ([2, 0, 0, 0], g_np * d_tanh),   # only ReLUs are changed
        "deconvnet": ([2, 0, 3, 0], g_np * d_tanh),          # relu(g): no forward mask
        "deconvnet_masked": ([2, 0, 0, 0], [2, 0, 0, 0]),    # relu(1[z > 0] ⊙ g) whatever σ is
    }
    assert set(expected) == set(rules.RULES)
    for name, (at_relu, at_tanh) in expected.items():
        np.testing.assert_allclose(rules.RULES[name](g, z, "relu"), at_relu, rtol=1e-6, err_msg=name)
        np.testing.assert_allclose(rules.RULES[name](g, z, "tanh"), at_tanh, rtol=1e-5, err_msg=name)


def test_masked_and_plain_deconvnet_differ_on_a_hand_case():
    """A dead unit that receives a positive backward signal: the mask stops it, plain deconvnet
    passes it. No random key is involved, so the case tells the two rules apart every time."""
    model = jp.mlp([2, 2, 2, 1])
    params = (
        {"kernel": jnp.array([[1.0, -1.0], [2.0, 1.0]]).T, "bias": jnp.array([-2.0, -1.0])},  # z1 = (−3, 3)
        {"kernel": jnp.array([[2.0, 1.0], [1.0, -1.0]]).T, "bias": jnp.zeros(2)},              # z2 = (3, −3)
        {"kernel": jnp.ones((2, 1)), "bias": jnp.zeros(1)},
    )
    x = jnp.array([1.0, 2.0])
    trace = model.trace(params, x)
    np.testing.assert_allclose(trace.pre[0], [-3.0, 3.0])
    np.testing.assert_allclose(trace.pre[1], [3.0, -3.0])
    flow = lambda rule, unit, by_activation=False: jp.neuron_flow(
        model, params, x, 2, unit, rule, weight_by_activation=by_activation).reconstructions[0]
    # unit 0 of layer 2 (active): W2ᵀ(1, 0) = (2, 1) reaches the dead unit 0 of layer 1 with +2
    # plain: relu(2, 1) = (2, 1) → W1ᵀ(2, 1) = (4, −1); masked: relu((0, 1) ⊙ (2, 1)) = (0, 1) → (2, 1)
    np.testing.assert_allclose(flow("deconvnet", 0), [4.0, -1.0])
    np.testing.assert_allclose(flow("deconvnet_masked", 0), [2.0, 1.0])
    np.testing.assert_allclose(flow("deconvnet", 0, True), [12.0, -3.0])  # weighted by o2[0] = 3
    np.testing.assert_allclose(flow("deconvnet_masked", 0, True), [6.0, 3.0])
    np.testing.assert_allclose(jp.exact_filter(model, params, x, 2, 0), [2.0, 1.0])
    # unit 1 of layer 2 (dead): masked and exact stop at once; plain: relu(0, 1) → W2ᵀ = (1, −1)
    # → relu (1, 0) → W1ᵀ(1, 0) = (1, −1)
    np.testing.assert_allclose(flow("deconvnet", 1), [1.0, -1.0])
    np.testing.assert_allclose(flow("deconvnet_masked", 1), [0.0, 0.0])
    np.testing.assert_allclose(jp.exact_filter(model, params, x, 2, 1), [0.0, 0.0])
    # hand-set backward weights (the random-weight flow's engine): W̃2 = −W2 sends (−2, −1), which
    # the mask and the relu both stop at layer 1, while the exact filter passes it through r1
    back = (params[0], {**params[1], "kernel": -params[1]["kernel"]}, params[2])
    got = lambda rule: jp.neuron_flow(model, params, x, 2, 0, rule, weight_by_activation=False,
                                      backward_params=back).reconstructions[0]
    np.testing.assert_allclose(got("deconvnet_masked"), [0.0, 0.0])
    np.testing.assert_allclose(got("exact_filter"), [-2.0, -1.0])  # r1 ⊙ (−2, −1) = (0, −1) → W1ᵀ


def test_random_backward_params_match_mean_and_variance():
    """Every leaf's draws have the leaf's mean and standard deviation (seed 004 §3).

    The leaves are given means far from 0 (a trained network's weights need not be centred), so a
    draw that dropped the mean, or the spread, misses by hundreds of standard errors. Tolerances
    are 5 standard errors of the drawn sample's mean (σ/√n) and standard deviation (σ/√(2n)).
    """
    shapes = jp.mlp([300, 200, 10]).param_shapes
    rng = np.random.default_rng(0)
    params = tuple({"kernel": 0.5 + 0.1 * rng.normal(size=p["kernel"].shape).astype(np.float32),
                    "bias": -0.3 + 0.2 * rng.normal(size=p["bias"].shape).astype(np.float32)} for p in shapes)
    rand = jp.random_backward_params(jax.random.key(1), params)
    for w, r in zip(jax.tree.leaves(params), jax.tree.leaves(rand)):
        w, r = np.asarray(w, np.float64), np.asarray(r, np.float64)
        assert r.shape == w.shape
        mean_se, std_se = w.std() / np.sqrt(w.size), w.std() / np.sqrt(2 * w.size)
        assert abs(r.mean() - w.mean()) < 5 * mean_se, (r.mean(), w.mean(), mean_se)
        assert abs(r.std() - w.std()) < 5 * std_se, (r.std(), w.std(), std_se)
        assert abs(np.corrcoef(r.ravel(), w.ravel())[0, 1]) < 5 / np.sqrt(w.size)  # drawn, not copied
    again = jp.random_backward_params(jax.random.key(1), params)
    other = jp.random_backward_params(jax.random.key(2), params)
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(rand), jax.tree.leaves(again)))
    assert not np.allclose(rand[0]["kernel"], other[0]["kernel"])


@pytest.mark.parametrize("name", ["mlp", "cnn2d_pool"])
def test_vmap_over_batch_equals_loop(name):
    model, params, x, y = _setup(name, n=5)
    batch = jp.guided_backprop(model, params, x, y)
    loop = jnp.stack([jp.guided_backprop(model, params, x[i], int(y[i])) for i in range(len(x))])
    np.testing.assert_allclose(batch, loop, rtol=1e-6, atol=1e-7)
    targets = jp.bp_dnn_targets(model, params, x, y).targets
    for layer in range(model.n_layers):
        loop_t = jnp.stack([jp.bp_dnn_targets(model, params, x[i], y[i]).targets[layer] for i in range(len(x))])
        np.testing.assert_allclose(targets[layer], loop_t, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["mlp", "cnn2d_pool"])
def test_vmap_over_stacked_params_equals_separate_calls(name):
    model, _, x, y = _setup(name)
    keys = jax.random.split(jax.random.key(7), 4)
    stacked = model.init_stacked(keys)
    fns = {
        "guided_backprop": lambda p: jp.guided_backprop(model, p, x, y),
        "bp_dnn": lambda p: jp.bp_dnn_targets(model, p, x, y).targets[0],
    }
    for fn in fns.values():
        together = jax.jit(jax.vmap(fn))(stacked)
        for k in range(4):
            alone = fn(jax.tree.map(lambda a: a[k], stacked))
            np.testing.assert_allclose(together[k], alone, rtol=1e-5, atol=1e-7)


def test_flows_are_jittable_and_vmappable_over_units():
    model, params, x, _ = _setup("cnn2d_pool", n=1)
    jitted = jax.jit(jp.exact_filter, static_argnums=(0, 3))
    units = jnp.arange(6)
    a = jax.vmap(lambda u: jitted(model, params, x[0], 2, u))(units)
    b = jnp.stack([jp.exact_filter(model, params, x[0], 2, int(u)) for u in units])
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    j = jax.jit(jp.bp_dnn_targets, static_argnums=0)(model, params, x, jnp.array([1]))
    np.testing.assert_allclose(j.targets[0], jp.bp_dnn_targets(model, params, x, jnp.array([1])).targets[0],
                               rtol=1e-6, atol=1e-7)


def test_trace_switches_mark_window_maxima():
    model = jp.cnn2d((4, 4), convs=[(1, 1, 2)], dense=(), n_classes=2, padding="VALID")
    params = model.init(jax.random.key(0))
    params = ({"kernel": jnp.ones((1, 1, 1, 1)), "bias": jnp.zeros(1)},) + params[1:]
    x = jnp.arange(16.0).reshape(4, 4)[::-1]  # max of each 2×2 window is its top-left... reversed rows
    trace = model.trace(params, x)
    switch = np.asarray(trace.switches[1][..., 0])
    assert switch.sum() == 4
    expected = np.zeros((4, 4))
    expected[0, 1] = expected[0, 3] = expected[2, 1] = expected[2, 3] = 1
    np.testing.assert_array_equal(switch, expected)


def test_backward_flow_general_entry_matches_named_flows():
    model, params, x, y = _setup("mlp", n=1)
    signal = jax.nn.one_hot(y[0], model.n_classes)
    res = jp.backward_flow(model, params, x[0], signal, rule="guided_backprop")
    np.testing.assert_allclose(res.reconstructions[0], jp.guided_backprop(model, params, x[0], y[0]), atol=1e-7)


def test_flow_stops_at_any_lower_layer():
    model, params, x, y = _setup("cnn2d_pool", n=1)
    signal = jax.nn.one_hot(y[0], model.n_classes)
    full = jp.backward_flow(model, params, x[0], signal, rule="deconvnet")
    part = jp.backward_flow(model, params, x[0], signal, rule="deconvnet", to_layer=1)
    assert len(part.targets) == model.n_layers - 1 and len(part.reconstructions) == model.n_layers - 1
    for k in range(1, model.n_layers):
        np.testing.assert_allclose(part.reconstructions[k - 1], full.reconstructions[k], atol=1e-7)
    with pytest.raises(ValueError, match=r"to_layer must be an int in 0..3 \(below layer=4\), got 4"):
        jp.backward_flow(model, params, x[0], signal, to_layer=4)


def test_rule_table_is_complete():
    assert set(rules.RULES) == {"gradient", "guided_bp_dnn", "guided_backprop", "deconvnet",
                                "deconvnet_masked", "exact_filter"}
    assert jp.RULES is rules.RULES


def _halved_deconvnet(g, z, activation):
    """A user's rule: deconvnet with the signal halved at every ReLU."""
    return 0.5 * rules.deconvnet(g, z, activation)


def test_a_rule_can_be_a_function():
    model, params, x, _ = _setup("cnn2d_pool")
    by_name = jp.neuron_flow(model, params, x, 2, 3, rule="deconvnet")
    by_function = jp.neuron_flow(model, params, x, 2, 3, rule=rules.deconvnet)
    np.testing.assert_array_equal(by_name.reconstructions[0], by_function.reconstructions[0])
    # The halving is applied once per rectified layer below the start (layers 2 and 1): 1/4 overall,
    # since the post-start rule at layer 2 and the one at layer 1 each halve the signal.
    halved = jp.neuron_flow(model, params, x, 2, 3, rule=_halved_deconvnet)
    np.testing.assert_allclose(halved.reconstructions[0], 0.25 * by_name.reconstructions[0], rtol=1e-6, atol=1e-7)
    with pytest.raises(TypeError, match="rule must be one of 'gradient'.*or a function"):
        jp.neuron_flow(model, params, x, 2, 3, rule=3)
    with pytest.raises(ValueError, match="rule"):
        jp.neuron_flow(model, params, x, 2, 3, rule="deconv")
