"""jaxprobe's flows equal Captum's on stored references: runs everywhere, torch not needed.

``benchmarks/make_captum_references.py`` ran Captum (torch 2.13.0) on the torch twins of three small
networks (an MLP, seed 002's CNN, a 2-channel CNN with max-pooling and a dense hidden layer) and
stored the weights, the inputs, the twin's logits and Captum's ``GuidedBackprop``,
``Deconvolution``, ``Saliency`` (absolute and signed), ``NeuronGuidedBackprop`` and
``NeuronDeconvolution`` in ``tests/data/captum_<name>.npz``. These tests rebuild each network,
load the same weights and compare. Each reference is first checked to be able to catch a wrong
flow: it is not all zeros, and it differs from the neighbouring flows a wrong rule would give.
"""

import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import jaxprobe as jp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import make_captum_references as refs  # noqa: E402  (imports torch only when it makes files)

jax.config.update("jax_default_matmul_precision", "highest")

NAMES = sorted(refs.NETWORKS)
#: float32 round-off between XLA and torch, relative to the largest |entry| of the reference
REL_TOL = 2e-5


@pytest.fixture(scope="module", params=NAMES)
def case(request):
    name = request.param
    data = dict(np.load(refs.reference_path(name)))
    model = refs.NETWORKS[name].build()
    params = refs.params_from_arrays(data, model.n_layers)
    return name, model, params, data


def _assert_close(ours, ref, what):
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape}, reference {ref.shape}"
    scale = float(np.abs(ref).max())
    assert scale > 1e-3, f"{what}: the reference is all zeros, a void test"
    diff = float(np.abs(ours - ref).max())
    assert diff <= REL_TOL * scale, f"{what}: max |jaxprobe − Captum| = {diff:.3g} > {REL_TOL} × {scale:.3g}"


def _far_apart(a, b):
    """The references of two different flows differ by far more than the tolerance."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max()) > 0.05 * float(np.abs(b).max())


def test_references_can_tell_the_flows_apart(case):
    """A flow that slipped into its neighbour (mask dropped, |·| dropped, rule swapped) must fail."""
    name, _, _, d = case
    assert _far_apart(d["guided_backprop"], d["deconvnet"]), name
    assert _far_apart(d["guided_backprop"], d["saliency"]), name
    assert _far_apart(d["deconvnet"], d["saliency"]), name
    assert _far_apart(d["saliency_abs"], d["saliency"]), name
    assert _far_apart(d["neuron_deconvnet_active"], d["neuron_guided_backprop_active"]), name
    # a dead unit: guided backprop starts from relu(δ ⊙ 1[z > 0]) = 0, deconvnet from relu(δ) = δ
    assert np.all(d["neuron_guided_backprop_dead"] == 0) and np.abs(d["neuron_deconvnet_dead"]).max() > 1e-3


def test_forward_logits_equal_the_torch_twin(case):
    name, model, params, d = case
    _assert_close(model.apply(params, d["x"]), d["logits"], f"{name} logits")


@pytest.mark.parametrize("flow", refs.FLOWS)
def test_flows_from_a_logit_equal_captum(case, flow):
    name, model, params, d = case
    x, target = d["x"], d["target"]
    ours = {
        "guided_backprop": lambda: jp.guided_backprop(model, params, x, target),
        "deconvnet": lambda: jp.deconvnet(model, params, x, target),
        "saliency_abs": lambda: jp.saliency(model, params, x, target),
        "saliency": lambda: jp.saliency(model, params, x, target, abs=False),
    }[flow]()
    _assert_close(ours, d[flow], f"{name} {flow}")


@pytest.mark.parametrize("which", ["active", "dead"])
@pytest.mark.parametrize("rule", ["guided_backprop", "deconvnet"])
def test_neuron_flows_equal_captum(case, rule, which):
    """Captum's Neuron* attribute o_l[unit] (the ReLU module's output): jaxprobe's neuron_flow
    from a delta at o_l (``weight_by_activation=False``), the rule applied at layer l first."""
    name, model, params, d = case
    layer, units = int(d["neuron_layer"]), d[f"units_{which}"]
    ref = d[f"neuron_{rule}_{which}"]
    ours = jp.neuron_flow(model, params, d["x"], layer, units, rule,
                          weight_by_activation=False).reconstructions[0]
    if rule == "guided_backprop" and which == "dead":
        np.testing.assert_array_equal(np.asarray(ours), ref)  # both exactly zero
    else:
        _assert_close(ours, ref, f"{name} neuron {rule} ({which} units)")


def test_references_are_small():
    total = sum(refs.reference_path(name).stat().st_size for name in NAMES)
    assert total < 1_000_000, f"the reference files take {total} bytes; keep them under 1 MB"
