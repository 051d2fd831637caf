"""Flows on any function (jaxprobe.interpret, jaxprobe.anyflow) pinned to the built-in engine, jax.grad,
hand cases and Captum (peer tests skipped where torch is absent)."""

import functools
import warnings

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxprobe as jp
from jaxprobe import anyflow, interpret, rules

jax.config.update("jax_default_matmul_precision", "highest")

try:
    import torch
    from captum.attr import Deconvolution, GuidedBackprop
except ImportError:  # the peer tests need the optional torch 2.13.0 and captum
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch/captum not installed (pip install torch==2.13.0 captum)")

SEED_NETWORKS = {
    "dnn6": lambda: jp.mlp([784, 100, 100, 100, 100, 100, 10]),
    "seed002_cnn": jp.seed002_cnn,
    "vgg_mnist": lambda: jp.vgg_mnist(8),
}


def _rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def _numpy_draw(shapes, seed, scale=1.0):
    """Random parameters of the given shapes, drawn with numpy (no compile): LeCun-normal kernels
    times ``scale``, biases N(0, 0.3²), batch-norm scales 1 + N(0, 0.2²), means N(0, 0.2²) and
    variances |1 + N(0, 0.2²)| — so masks, pooling switches and batch norm are all non-trivial."""
    rng = np.random.default_rng(seed)

    def draw(path, leaf):
        name, shape = jax.tree_util.keystr(path[-1:]), leaf.shape
        if name in ("['kernel']",):
            return scale * rng.standard_normal(shape, np.float32) / np.sqrt(np.prod(shape[:-1]))
        if name in ("['scale']", "['var']"):
            return np.abs(1 + 0.2 * rng.standard_normal(shape, np.float32))
        return (0.3 if name == "['bias']" else 0.2) * rng.standard_normal(shape, np.float32)

    return jax.tree_util.tree_map_with_path(lambda path, leaf: draw(path, leaf).astype(np.float32), shapes)


@functools.lru_cache(maxsize=None)
def _seed_setup(name, n=3, seed=0):
    model = SEED_NETWORKS[name]()
    params = _numpy_draw(model.param_shapes, seed)
    x = np.random.default_rng(seed + 100).random((n,) + model.input_shape, np.float32)
    return model, params, x, np.arange(n) % model.n_classes


def _cut(model, layer):
    """The network cut at o_layer, as a user would write it: fn(params, x) for a batch."""
    def one(params, x):
        o = x
        for k in range(1, layer + 1):
            o = jp.models.activation_fn(model.stages[k - 1].activation)(model.stage_affine(params, k, o))
        return o
    return jax.vmap(one, (None, 0))


# ------------------------------------------------------------------ equal to the built-in engine
@pytest.mark.parametrize("name", list(SEED_NETWORKS))
def test_equal_to_builtin_engine_for_every_rule(name):
    """From the logits (every signal on the way) for every rule, and from one unit of layer 2
    (the rule first at that unit's activation): all rules on DNN-6, deconvnet on the CNNs. One
    compiled program per network (the flows compose under jit)."""
    model, params, x, y = _seed_setup(name)
    signal = jax.nn.one_hot(y, model.n_classes)
    cut = _cut(model, 2)
    units = jax.jit(cut)(params, x).reshape(len(x), -1).argmax(axis=1)  # each example's most active unit
    unit_rules = tuple(rules.RULES) if name == "dnn6" else ("deconvnet",)

    @jax.jit
    def both_engines(params, x):
        top = {rule: (anyflow.flow(model.apply, params, x, signal, rule=rule, record=True),
                      jax.vmap(lambda xi, s: jp.backward_flow(model, params, xi, s, rule=rule))(x, signal))
               for rule in rules.RULES}
        unit = {rule: (anyflow.neuron_flow(cut, params, x, units, rule, record=True),
                       jp.neuron_flow(model, params, x, 2, units, rule)) for rule in unit_rules}
        return top, unit

    top, unit = both_engines(params, x)
    for rule, (ours, ref) in top.items():
        assert len(ours.pre) == model.n_layers - 1
        assert float(jnp.abs(ref.reconstructions[0]).max()) > 0, rule
        assert _rel(ours.input, ref.reconstructions[0]) <= 1e-6, rule
        for k in range(model.n_layers - 1):
            assert _rel(ours.pre[k], ref.targets[k]) <= 1e-6, (rule, k)
            assert _rel(ours.post[k], ref.reconstructions[k + 1]) <= 1e-6, (rule, k)
    for rule, (ours, ref) in unit.items():
        assert float(jnp.abs(ref.reconstructions[0]).max()) > 0, rule
        assert _rel(ours.input, ref.reconstructions[0]) <= 1e-6, rule
        assert _rel(ours.pre[0], ref.targets[0]) <= 1e-6 and _rel(ours.post[0], ref.reconstructions[1]) <= 1e-6


def test_named_flows_equal_builtin():
    model, params, x, y = _seed_setup("dnn6")
    for flow in ("guided_backprop", "deconvnet", "saliency"):
        np.testing.assert_allclose(getattr(anyflow, flow)(model.apply, params, x, y),
                                   getattr(jp, flow)(model, params, x, y), rtol=0, atol=1e-7)
    ours, ref = anyflow.bp_dnn_targets(model.apply, params, x, y), jp.bp_dnn_targets(model, params, x, y)
    assert all(_rel(a, b) <= 1e-6 for a, b in zip(ours.pre, ref.targets))
    ours, ref = anyflow.guided_bp_dnn(model.apply, params, x, y), jp.guided_bp_dnn(model, params, x, y)
    assert _rel(ours.input, ref.reconstructions[0]) <= 1e-6
    filters = anyflow.exact_filter(_cut(model, 3), params, x, 11)
    np.testing.assert_allclose(filters, jp.exact_filter(model, params, x, 3, 11), rtol=0, atol=1e-7)


# ------------------------------------------------------------------ a flax ResNet-style model
class Residual(nn.Module):
    features: int

    @nn.compact
    def __call__(self, h):
        r = nn.relu(nn.BatchNorm(use_running_average=True)(nn.Conv(self.features, (3, 3))(h)))
        r = nn.BatchNorm(use_running_average=True)(nn.Conv(self.features, (3, 3))(r))
        return nn.relu(r + h)


class SmallResNet(nn.Module):
    """conv → ReLU → max-pool → residual block (inference batch norm) → average pool → dense."""

    classes: int = 5

    @nn.compact
    def __call__(self, x):  # (N, H, W, 1)
        h = nn.max_pool(nn.relu(nn.Conv(4, (3, 3))(x)), (2, 2), (2, 2))
        h = nn.avg_pool(Residual(4)(h), (2, 2), (2, 2))
        return nn.Dense(self.classes)(h.reshape(h.shape[0], -1))


RESNET = SmallResNet()
BLOCK = anyflow.flax_intermediate(RESNET, lambda inter: inter["Residual_0"]["__call__"][0])


APPLY = jax.jit(RESNET.apply)  # ground truths run compiled, not op by op


@functools.lru_cache(maxsize=None)
def _resnet_setup(n=4, seed=0, scale=1.0):
    x = np.random.default_rng(seed + 100).random((n, 12, 12, 1), np.float32)
    variables = _numpy_draw(jax.eval_shape(RESNET.init, jax.random.key(0), x), seed, scale)
    return variables, x, np.arange(n) % RESNET.classes


def test_flax_resnet_sites_are_the_three_relus():
    variables, x, _ = _resnet_setup()
    sites = interpret.activation_sites(RESNET.apply, variables, x, argnums=1)
    assert [s.activation for s in sites] == ["relu"] * 3
    assert [s.shape for s in sites] == [(4, 12, 12, 4), (4, 6, 6, 4), (4, 6, 6, 4)]


def test_flax_resnet_gradient_rule_equals_jax_grad():
    variables, x, y = _resnet_setup()

    @jax.jit
    def truths(x):
        logit = jax.grad(lambda xx: jnp.sum(RESNET.apply(variables, xx)[jnp.arange(len(y)), y]))(x)
        loss = jax.grad(lambda xx: jp.softmax_cross_entropy(RESNET.apply(variables, xx), y) * len(y))(x)
        block = BLOCK(variables, x[:1])[0].reshape(-1)
        jac = jax.jacrev(lambda xx: BLOCK(variables, xx[None])[0].reshape(-1))(x[0])
        return logit, loss, block, jac

    logit, loss, block, jac = truths(x)
    assert float(jnp.abs(logit).max()) > 0
    assert _rel(anyflow.saliency(RESNET.apply, variables, x, y, abs=False), logit) <= 1e-6
    assert _rel(anyflow.bp_dnn_targets(RESNET.apply, variables, x, y).input, loss) <= 1e-5
    # units of the residual block's output (picked from flax's captured intermediates): Jacobian rows
    units = jnp.argsort(block)[-3:]  # three active units
    rows = jax.vmap(lambda u: anyflow.exact_filter(BLOCK, variables, x[:1], u)[0])(units)
    assert float(jnp.abs(jac[units]).max()) > 0
    np.testing.assert_allclose(rows, jac[units], rtol=1e-5, atol=1e-6)


def test_deconvnet_splits_over_the_skip_connection_by_hand():
    """f(x) = relu(w·relu(x) + x): deconvnet sends relu(g) into both branches and sums them."""
    w = jnp.array(-3.0)
    f = lambda p, x: jax.nn.relu(p * jax.nn.relu(x) + x)
    x = jnp.array([[1.0, -1.0]])  # z1 = (1, -1); z2 = (-3 + 1, 0 - 1) = (-2, -1): all of z2 off
    got = anyflow.flow(f, w, x, jnp.array([[2.0, -1.0]]), rule="deconvnet", record=True)
    # at o2: (2, -1) → relu → (2, 0); skip: (2, 0); branch: w · (2, 0) = (-6, 0) → relu → (0, 0)
    np.testing.assert_allclose(got.pre[1], [[2.0, 0.0]])
    np.testing.assert_allclose(got.post[0], [[-6.0, 0.0]])
    np.testing.assert_allclose(got.input, [[2.0, 0.0]])
    # the gradient: z2 off everywhere, nothing passes
    np.testing.assert_allclose(anyflow.flow(f, w, x, jnp.array([[2.0, -1.0]])).input, [[0.0, 0.0]])


# ------------------------------------------------------------------ which nonlinearities are sites
@pytest.mark.parametrize("act, name", [
    (jax.nn.relu, "relu"), (nn.relu, "relu"), (lambda z: jnp.maximum(z, 0), "relu"),
    (lambda z: jnp.maximum(0.0, z), "relu"), (lambda z: jnp.maximum(z, jnp.zeros_like(z)), "relu"),
    (jnp.tanh, "tanh"), (jax.nn.sigmoid, "sigmoid"),
    (jax.jit(jax.nn.relu), "relu"), (jax.checkpoint(jax.nn.relu), "relu"),
])
def test_activations_are_recognised(act, name):
    sites = interpret.activation_sites(lambda x: act(2.0 * x), jnp.ones(3))
    assert [s.activation for s in sites] == [name]


def test_max_pool_and_max_between_signals_are_not_sites():
    f = lambda x: jnp.maximum(nn.max_pool(x, (2, 2), (2, 2)), 2 * nn.max_pool(x, (2, 2), (2, 2)))
    assert interpret.activation_sites(f, jnp.ones((1, 4, 4, 1))) == ()
    relu_of_params = lambda p, x: x * jax.nn.relu(p)  # a rectifier on the parameters only: not a site
    assert interpret.activation_sites(relu_of_params, jnp.ones(3), jnp.ones(3), argnums=1) == ()


@pytest.mark.parametrize("act, primitive", [
    (jax.nn.gelu, "integer_pow"), (lambda z: jax.nn.gelu(z, approximate=False), "erf"), (jax.nn.silu, "silu"),
    (jax.nn.softplus, "softplus"), (jax.nn.relu6, "relu6"), (jnp.exp, "exp"), (lambda z: z * z, "mul"),
    (lambda z: jnp.where(z > 0, z, 0.0), "select_n"), (lambda z: jnp.maximum(z, 0.5), "max"),
])
def test_a_rule_refuses_a_nonlinearity_it_does_not_define(act, primitive):
    f = lambda p, x: act(x) @ p
    p, x = jnp.arange(6.0).reshape(3, 2) - 2, jnp.linspace(-1, 1, 12).reshape(4, 3)
    with pytest.raises(ValueError, match=rf"rule='deconvnet' is not defined at the nonlinearity '{primitive}"):
        anyflow.deconvnet(f, p, x, 0)
    # the gradient is defined everywhere, and gradient_elsewhere makes any rule the gradient there
    truth = jax.grad(lambda xx: jnp.sum(f(p, xx)[:, 0]))(x)
    np.testing.assert_allclose(anyflow.saliency(f, p, x, 0, abs=False), truth, rtol=1e-6, atol=1e-7)
    got = anyflow.flow(f, p, x, jax.nn.one_hot(jnp.zeros(4, int), 2), rule=rules.gradient_elsewhere("deconvnet"))
    np.testing.assert_allclose(got.input, truth, rtol=1e-6, atol=1e-7)


def test_refusal_names_the_jax_nn_function_and_an_activation_in_a_loop_is_refused():
    with pytest.raises(ValueError, match=r"in jax\.nn\.gelu"):
        anyflow.guided_backprop(lambda p, x: p * jax.nn.gelu(x), jnp.ones(3), jnp.ones((2, 3)), 0)

    def looped(p, x):
        return jax.lax.scan(lambda h, _: (jax.nn.relu(p * h), None), x, None, length=2)[0]

    with pytest.raises(ValueError, match=r"inside 'scan'"):
        anyflow.flow(looped, jnp.ones(3), jnp.ones((2, 3)), jnp.ones((2, 3)), rule="gradient")


def test_gradient_elsewhere_keeps_the_rule_at_relu():
    """relu → gelu: deconvnet-elsewhere rectifies at the relu and differentiates the gelu."""
    f = lambda p, x: jax.nn.gelu(p * jax.nn.relu(x))
    p, x, g = jnp.array(-2.0), jnp.array([[-1.0, 1.0]]), jnp.ones((1, 2))
    got = anyflow.flow(f, p, x, g, rule=rules.gradient_elsewhere("deconvnet")).input
    gelu_grad = jax.vmap(jax.grad(jax.nn.gelu))(p * jax.nn.relu(x[0]))  # at the gelu's input (0, -2)
    np.testing.assert_allclose(got[0], jax.nn.relu(p * gelu_grad), rtol=1e-6)  # then relu(g) at the relu
    assert rules.gradient_elsewhere("deconvnet") == rules.gradient_elsewhere(rules.deconvnet)  # one compile


# ------------------------------------------------------------------ jit and vmap
def test_vmap_over_units_inputs_and_stacked_parameters():
    variables, x, y = _resnet_setup(n=2)
    units = jnp.array([0, 17, 50])
    together = jax.jit(jax.vmap(lambda u: anyflow.neuron_flow(BLOCK, variables, x, u).input))(units)
    np.testing.assert_allclose(together[1], anyflow.neuron_flow(BLOCK, variables, x, 17).input, rtol=1e-5, atol=1e-7)
    stacked = jax.tree.map(lambda *a: jnp.stack(a), *[_resnet_setup(n=2, seed=s)[0] for s in (1, 2)])
    both = jax.vmap(lambda v: anyflow.guided_backprop(RESNET.apply, v, x, y))(stacked)
    alone = anyflow.guided_backprop(RESNET.apply, _resnet_setup(n=2, seed=2)[0], x, y)
    np.testing.assert_allclose(both[1], alone, rtol=1e-5, atol=1e-7)
    per_input = jax.vmap(lambda xi, yi: anyflow.guided_backprop(RESNET.apply, variables, xi[None], yi)[0])(x, y)
    np.testing.assert_allclose(per_input, anyflow.guided_backprop(RESNET.apply, variables, x, y), rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------ bad input
def test_bad_input_errors_name_the_argument():
    variables, x, y = _resnet_setup(n=2)
    with_state = lambda v, xx: RESNET.apply(v, xx, mutable=["batch_stats"])
    with pytest.raises(TypeError, match="fn must return one array"):
        anyflow.guided_backprop(with_state, variables, x, y)
    with pytest.raises(ValueError, match=r"unit must be a unit index of fn's output .* in 0\.\.143, got 144"):
        anyflow.neuron_flow(BLOCK, variables, x, 144)
    with pytest.raises(ValueError, match=r"target must be a class index in 0\.\.4, got 5"):
        anyflow.deconvnet(RESNET.apply, variables, x, 5)
    with pytest.raises(ValueError, match=r"fn must return logits of shape \(N, classes\)"):
        anyflow.guided_backprop(BLOCK, variables, x, 0)
    with pytest.raises(ValueError, match=r"signal has shape \(2, 4\), expected fn's output shape \(2, 5\)"):
        anyflow.flow(RESNET.apply, variables, x, jnp.ones((2, 4)))
    with pytest.raises(ValueError, match="x must be a batch"):
        anyflow.saliency(lambda p, xx: xx * p, 1.0, jnp.array(1.0), 0)
    with pytest.raises(TypeError, match="x must be a floating-point array"):
        anyflow.saliency(RESNET.apply, variables, x.astype(jnp.int32), 0)
    with pytest.raises(ValueError, match="rule"):
        anyflow.neuron_flow(BLOCK, variables, x, 0, rule="deconv")
    with pytest.raises(TypeError, match="fn must be a function"):
        anyflow.deconvnet("resnet", variables, x, 0)


# ------------------------------------------------------------------ the README's tour probe
def test_readme_probe_runs():
    """The README's snippet, on 12 × 12 images (the README's are 28 × 28)."""
    resnet = RESNET
    variables, images, labels = _resnet_setup()
    gbp = anyflow.guided_backprop(resnet.apply, variables, images, labels)   # Captum's GuidedBackprop
    block = anyflow.flax_intermediate(resnet, lambda inter: inter["Residual_0"]["__call__"][0])
    top_unit = jax.jit(block)(variables, images).reshape(len(images), -1).argmax(axis=1)  # most active, per image
    deconv = anyflow.neuron_flow(block, variables, images, top_unit, rule="deconvnet").input
    assert gbp.shape == deconv.shape == images.shape
    assert float(jnp.abs(deconv).max()) > 0


# ------------------------------------------------------------------ Captum on a torch twin
def _torch_twin(variables):
    """The flax SmallResNet as torch modules, weights copied (NHWC → NCHW), each ReLU its own module."""
    tnn = torch.nn
    p, s = variables["params"], variables["batch_stats"]

    def conv(q):
        c = tnn.Conv2d(q["kernel"].shape[2], q["kernel"].shape[3], 3, padding="same")
        c.weight.data = torch.tensor(np.asarray(q["kernel"]).transpose(3, 2, 0, 1).copy())
        c.bias.data = torch.tensor(np.asarray(q["bias"]))
        return c

    def bn(q, st):
        b = tnn.BatchNorm2d(q["scale"].shape[0], eps=1e-5)
        for name, value in (("weight", q["scale"]), ("bias", q["bias"])):
            getattr(b, name).data = torch.tensor(np.asarray(value))
        b.running_mean.data = torch.tensor(np.asarray(st["mean"]))
        b.running_var.data = torch.tensor(np.asarray(st["var"]))
        return b

    class Twin(tnn.Module):
        def __init__(self):
            super().__init__()
            r, rs = p["Residual_0"], s["Residual_0"]
            self.stem = tnn.Sequential(conv(p["Conv_0"]), tnn.ReLU(), tnn.MaxPool2d(2))
            self.branch = tnn.Sequential(conv(r["Conv_0"]), bn(r["BatchNorm_0"], rs["BatchNorm_0"]), tnn.ReLU(),
                                         conv(r["Conv_1"]), bn(r["BatchNorm_1"], rs["BatchNorm_1"]))
            self.out_relu, self.pool = tnn.ReLU(), tnn.AvgPool2d(2)
            kernel = np.asarray(p["Dense_0"]["kernel"])  # rows in flax's (H, W, C) flatten order
            self.dense = tnn.Linear(*kernel.shape)
            kernel = kernel.reshape(3, 3, 4, -1).transpose(3, 2, 0, 1).reshape(-1, 36)  # (out, C·H·W): torch flattens (C, H, W)
            self.dense.weight.data = torch.tensor(kernel.copy())
            self.dense.bias.data = torch.tensor(np.asarray(p["Dense_0"]["bias"]))

        def forward(self, x):
            h = self.stem(x)
            h = self.pool(self.out_relu(self.branch(h) + h))
            return self.dense(h.flatten(1))

    return Twin().eval()


@needs_torch
@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_flax_resnet_guided_backprop_and_deconvnet_equal_captum(scale):
    variables, x, y = _resnet_setup(n=6, seed=3, scale=scale)
    twin = _torch_twin(variables)
    xt = torch.tensor(np.asarray(x).transpose(0, 3, 1, 2).copy(), requires_grad=True)
    tt = torch.tensor(np.asarray(y, np.int64))
    with torch.no_grad():
        np.testing.assert_allclose(twin(xt).numpy(), APPLY(variables, x), rtol=1e-4, atol=1e-4)
    for method, ours in ((GuidedBackprop, anyflow.guided_backprop), (Deconvolution, anyflow.deconvnet)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Captum's notice about hooks on ReLU modules
            theirs = method(twin).attribute(xt, target=tt).detach().numpy().transpose(0, 2, 3, 1)
        mine = np.asarray(ours(RESNET.apply, variables, x, y))
        assert np.abs(theirs).max() > 1e-3, f"{method.__name__}: Captum's map is all zeros, a void test"
        assert float(np.abs(mine - theirs).max()) <= 1e-5 * max(1.0, np.abs(theirs).max()), method.__name__
