"""The forward pass against an independent numpy implementation (explicit loops and im2col).

``numpy_forward`` reads only each stage's description (pool, reshape, dense or conv, padding,
activation) and the weights, and computes z_l, o_l and the pooling switches in float64 with
numpy alone: no jax, no flax, no lax convolution. ``Network.apply`` and ``Network.trace`` must
agree with it on the MLP, seed 002's CNN and a multi-channel CNN with 'SAME' padding.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxprobe as jp

ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "linear": lambda z: z,
}


def numpy_conv2d(img, kernel, bias, padding):
    """Cross-correlation of one (H, W, C) image with a (kh, kw, C, F) kernel, stride 1, by im2col:
    every output pixel's receptive field is copied out as a row, then one matrix product."""
    kh, kw, c, f = kernel.shape
    if padding == "SAME":  # flax/XLA 'SAME': (k − 1) // 2 before, k // 2 after
        img = np.pad(img, (((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
    h_out, w_out = img.shape[0] - kh + 1, img.shape[1] - kw + 1
    cols = np.empty((h_out, w_out, kh * kw * c))
    for i in range(h_out):
        for j in range(w_out):
            cols[i, j] = img[i:i + kh, j:j + kw, :].reshape(-1)
    return cols @ kernel.reshape(kh * kw * c, f) + bias


def numpy_max_pool(img, window):
    """Non-overlapping max-pooling of (H, W, C) and the switches: 1 at each window's first maximum
    in row-major order (the first of tied zeros in a dead window), 0 elsewhere."""
    h, w, c = img.shape
    pooled = np.empty((h // window, w // window, c))
    switch = np.zeros_like(img)
    for i in range(h // window):
        for j in range(w // window):
            for k in range(c):
                patch = img[i * window:(i + 1) * window, j * window:(j + 1) * window, k]
                a, b = np.unravel_index(np.argmax(patch), patch.shape)
                pooled[i, j, k] = patch[a, b]
                switch[i * window + a, j * window + b, k] = 1.0
    return pooled, switch


def numpy_forward(model, params, x):
    """z_l, o_l and the switches (None without pooling) of one example, in float64."""
    o = np.asarray(x, np.float64)
    pre, post, switches = [], [], []
    for stage, p in zip(model.stages, params):
        kernel, bias = np.asarray(p["kernel"], np.float64), np.asarray(p["bias"], np.float64)
        h, switch = o, None
        if stage.pool > 1:
            h, switch = numpy_max_pool(h, stage.pool)
        if stage.reshape is not None:
            h = h.reshape(stage.reshape)
        z = h @ kernel + bias if stage.kind == "dense" else numpy_conv2d(h, kernel, bias, stage.padding)
        o = ACTIVATIONS[stage.activation](z)
        pre.append(z)
        post.append(o)
        switches.append(switch)
    return pre, post, switches


MODELS = {
    "mlp_relu": lambda: jp.mlp([30, 20, 16, 10]),
    "mlp_tanh_sigmoid": lambda: jp.mlp([30, 20, 16, 10], activation=["tanh", "sigmoid"]),
    "seed002_cnn": jp.seed002_cnn,
    "cnn_same_3ch": lambda: jp.cnn2d((10, 10, 3), convs=[(4, 3, 2), (5, 3, 1)], dense=(7,), n_classes=4),
    # tanh outputs are negative in places: the pools must take maxima of negative windows too
    "cnn_tanh_pool": lambda: jp.cnn2d((8, 8), convs=[(3, 3, 2)], dense=(), n_classes=3, activation="tanh"),
}


def _setup(name, n=2, dead_channel=False):
    """Weights N(0, 1/fan_in) and biases N(0, 0.2²) drawn with numpy (no init to compile)."""
    model = MODELS[name]()
    rng = np.random.default_rng(11)
    params = []
    for shapes in model.param_shapes:
        kernel = shapes["kernel"].shape
        params.append({"kernel": rng.normal(size=kernel).astype(np.float32) / np.sqrt(np.prod(kernel[:-1])),
                       "bias": 0.2 * rng.normal(size=shapes["bias"].shape).astype(np.float32)})
    if dead_channel:  # channel 0 of layer 1 is dead everywhere: every pooling window of it is tied at 0
        params[0]["bias"][0] = -100.0
    if name == "cnn_tanh_pool":  # every unit of channel 0 negative: all its windows are negative
        params[0]["bias"][0] = -3.0
    x = rng.random((n,) + model.input_shape, dtype=np.float32)
    return model, tuple(params), x


def _close(ours, ref, what):
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    assert ours.shape == ref.shape, what
    np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-5 * max(1.0, np.abs(ref).max()), err_msg=what)


@pytest.mark.parametrize("name", list(MODELS))
def test_apply_and_trace_equal_the_numpy_forward_pass(name):
    model, params, x = _setup(name, dead_channel=name == "seed002_cnn")
    logits = np.asarray(jax.jit(model.apply)(params, jnp.asarray(x)))
    trace = jax.tree.map(np.asarray, jax.jit(model.trace)(params, jnp.asarray(x)))
    for i in range(len(x)):
        pre, post, switches = numpy_forward(model, params, x[i])
        _close(logits[i], pre[-1], f"{name} logits")
        for layer in range(model.n_layers):
            _close(trace.pre[layer][i], pre[layer], f"{name} z_{layer + 1}")
            _close(trace.post[layer][i], post[layer], f"{name} o_{layer + 1}")
            _close(trace.inputs[layer][i], x[i] if layer == 0 else post[layer - 1], f"{name} o_{layer}")
            np.testing.assert_array_equal(trace.masks[layer][i], (pre[layer] > 0).astype(np.float32))
            if switches[layer] is None:
                assert trace.switches[layer] is None
            else:
                np.testing.assert_array_equal(trace.switches[layer][i], switches[layer], f"{name} switches")


def test_dead_windows_switch_to_their_first_element():
    """The tie rule the deconvnet README note relies on, pinned on seed 002's CNN."""
    model, params, x = _setup("seed002_cnn", n=1, dead_channel=True)
    switch = np.asarray(jax.jit(model.trace)(params, jnp.asarray(x)).switches[1][0])[..., 0]
    expected = np.zeros((24, 24))
    expected[::2, ::2] = 1.0
    np.testing.assert_array_equal(switch, expected)
