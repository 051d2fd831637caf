"""Peer equality: jaxprobe's guided backprop, deconvnet and saliency equal Captum's on the same weights.

Optional (GitHub issue 2): runs only where torch and captum are installed
(``pip install torch==2.13.0 captum``), skipped otherwise. The torch twins of the jaxprobe
networks (weights copied, layouts converted) live in ``benchmarks/peers.py``.
"""

import sys
from pathlib import Path

import jax
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")

import jaxprobe as jp  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import peers  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Setting backward hooks on ReLU:UserWarning")

TOL = 1e-5
FLOWS = ("guided_backprop", "deconvnet", "saliency")


def _dnn6():
    model = jp.mlp([784, 100, 100, 100, 100, 100, 10])
    return model, (784,), lambda params: peers.torch_mlp(model, params)


def _cnn(order):
    def build():
        model = jp.seed002_cnn()
        return model, (28, 28), lambda params: peers.torch_seed002_cnn(model, params, order)

    return build


CASES = {
    "dnn6": _dnn6,
    # jaxprobe's own order, conv → ReLU → maxpool: all three flows equal.
    "cnn_relu_pool": _cnn("relu_pool"),
}


def _inputs(shape, n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n,) + shape, dtype=np.float32)
    target = rng.integers(0, 10, n)
    return x, target


def _params(model, seed, scale):
    # scale > 1 makes larger, sparser (more ReLUs off, more sign flips) backward signals
    params = model.init(jax.random.key(seed))
    return jax.tree.map(lambda a: a * scale, params)


@pytest.fixture(scope="module", params=[(0, 1.0), (1, 2.0)], ids=["init", "init_x2"])
def weights(request):
    return request.param


@pytest.mark.parametrize("case", sorted(CASES))
def test_flows_equal_captum(case, weights):
    model, shape, to_torch = CASES[case]()
    params = _params(model, *weights)
    module = to_torch(params)
    x, target = _inputs(shape, seed=weights[0])

    with torch.no_grad():
        logits = module(torch.tensor(x)).numpy()
    np.testing.assert_allclose(np.asarray(model.apply(params, x)), logits, atol=1e-4, rtol=1e-4)

    captum = peers.captum_attributions(module, x, target)
    for flow in FLOWS:
        ours = np.asarray(getattr(jp, flow)(model, params, x, target))
        assert ours.shape == captum[flow].shape
        assert np.abs(captum[flow]).max() > 1e-3, f"{flow}: Captum's map is all zeros, a void test"
        diff = float(np.abs(ours - captum[flow]).max())
        assert diff <= TOL, f"{case} {flow}: max |jaxprobe - Captum| = {diff:.3g} > {TOL}"


def test_one_example_equals_captum():
    model, shape, to_torch = _dnn6()
    params = _params(model, 0, 1.0)
    module = to_torch(params)
    x, target = _inputs(shape, n=1)
    captum = peers.captum_attributions(module, x, target)
    for flow in FLOWS:
        ours = np.asarray(getattr(jp, flow)(model, params, x[0], int(target[0])))
        np.testing.assert_allclose(ours, captum[flow][0], atol=TOL, rtol=0)


@pytest.mark.parametrize("flow", ["guided_backprop", "saliency"])
def test_seed_order_cnn_equals_captum(flow):
    """On seed 002's own order, conv → maxpool → ReLU, guided backprop and saliency equal Captum's
    too (the ReLU mask zeroes a window whose maximum is ≤ 0 in either order). Deconvolution does
    not: with no mask, Captum routes such a window's signal to the raw arg-max of z, jaxprobe to
    the first of the ReLU's tied zeros."""
    model, shape = jp.seed002_cnn(), (28, 28)
    params = _params(model, 0, 1.0)
    module = peers.torch_seed002_cnn(model, params, "pool_relu")
    x, target = _inputs(shape)
    captum = peers.captum_attributions(module, x, target)
    ours = np.asarray(getattr(jp, flow)(model, params, x, target))
    assert float(np.abs(ours - captum[flow]).max()) <= TOL
