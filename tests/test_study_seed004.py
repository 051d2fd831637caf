"""Seed 004 study pinned to ground truth: the flows against the seed's equations written with dense
Jacobian matrices and against jax.jacrev, the FOV against the exact filter's support, the FOV
correlation on constructed cases, and the whole protocol on CNNs of two depths."""

import gzip
import struct

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxprobe as jp
from jaxprobe.analysis.intervals import difference_interval, mean_interval, ratio_interval
from jaxprobe.analysis.masked_correlation import masked_pearson, pairwise_masked_pearson
from jaxprobe.analysis.verdicts import VERDICTS
from jaxprobe.data import fashion_mnist
from jaxprobe.probes.field_of_view import field_of_view, field_of_view_mask, receptive_field, unit_index
from jaxprobe.probes.max_activating import top_activating
from jaxprobe.probes.unit_flows import random_backward_draws, unit_flows
from jaxprobe.studies.seed004 import claims, measures as ms
from jaxprobe.studies.seed004.network import Dataset
from jaxprobe.studies.seed004.protocol import Sizes, measure_network

jax.config.update("jax_default_matmul_precision", "highest")

SHALLOW = lambda: jp.cnn2d((12, 12), convs=[(3, 3, 1), (4, 3, 2), (5, 3, 1)], dense=(6,), n_classes=10)
DEEP = lambda: jp.cnn2d((12, 12), convs=[(2, 3, 1), (3, 3, 2), (3, 3, 1), (4, 3, 1)], dense=(6,), n_classes=10)
TWO_CONV = lambda: jp.cnn2d((12, 12), convs=[(3, 3, 2), (4, 3, 1)], dense=(), n_classes=10)


def _params(model, seed=0, bias=0.05):
    params = model.init(jax.random.key(seed))
    return tuple({**p, "bias": bias + 0.1 * jax.random.normal(jax.random.key(seed + 1 + i), p["bias"].shape)}
                 for i, p in enumerate(params))


def _images(n, shape=(12, 12), seed=1):
    return np.asarray(jax.random.uniform(jax.random.key(seed), (n,) + shape))


def _stage_jacobians(model, params, trace, layer, backward=None):
    """J_k = W_k P_k, the dense Jacobian of stage k's affine map at the forward point, k = 1..layer
    (with ``backward`` weights: the same switches P_k, the random W_k)."""
    bparams = params if backward is None else backward
    jac = lambda k: jax.jacfwd(lambda h: model.stage_affine(bparams, k, h))(trace.inputs[k - 1])
    return [np.asarray(jac(k)).reshape(int(np.prod(model.layer_shapes[k - 1])), -1) for k in range(1, layer + 1)]


def _seed_equations(trace, jacobians, layer, unit, *, masked):
    """x^b_{i-1} = R(J_iᵀ(r_i ⊙ x^b_i)) (seed 004 eq. 6–7; eq. 4–5 without r_i), from the unit's
    activation; R commutes with the 0/1 unpooling Pᵀ, so R(W_iᵀ ·) then Pᵀ is R(J_iᵀ ·)."""
    o = np.asarray(trace.post[layer - 1]).reshape(-1)
    v = np.zeros_like(o)
    v[unit] = o[unit]
    for k in range(layer, 0, -1):
        if masked:
            v = np.asarray(trace.masks[k - 1]).reshape(-1) * v
        v = np.maximum(jacobians[k - 1].T @ v, 0.0)
    return v.reshape(np.shape(trace.inputs[0]))


def test_study_flows_follow_the_seed_equations_and_the_jacobian():
    model = SHALLOW()
    params = _params(model)
    images = _images(2)
    layer = ms.conv_layers(model)[-1]
    units = ms.probe_units(model, layer, [(2, 3), (5, 5)], channels=[0, 2, 4])
    maps = ms.reconstructions(model, params, images, units, jax.random.key(3), n_draws=2)
    rand = jax.tree.map(lambda a: a[1], random_backward_draws(jax.random.key(3), params, 2))
    post = jax.jit(jax.jacrev(lambda x: model.trace_one(params, x).post[layer - 1].reshape(-1)))
    for i in range(len(images)):
        trace = model.trace_one(params, jnp.asarray(images[i]))
        jac, jac_rand = _stage_jacobians(model, params, trace, layer), _stage_jacobians(model, params, trace, layer, rand)
        full = np.asarray(post(jnp.asarray(images[i])))
        for u, unit in enumerate(units.index):
            np.testing.assert_allclose(maps["exact_filter"][i, u], full[unit], rtol=1e-5, atol=1e-6)
            for name, j, masked, draw in (("deconvnet_masked", jac, True, None), ("deconvnet", jac, False, None),
                                          ("random_masked", jac_rand, True, 1), ("random_unmasked", jac_rand, False, 1)):
                got = maps[name][i, u] if draw is None else maps[name][draw, i, u]
                np.testing.assert_allclose(got, _seed_equations(trace, j, layer, int(unit), masked=masked),
                                           rtol=1e-5, atol=1e-6, err_msg=name)
    assert np.abs(maps["exact_filter"]).max() > 0 and np.abs(maps["deconvnet_masked"]).max() > 0
    assert np.abs(maps["deconvnet_masked"] - maps["deconvnet"]).max() > 0  # the masks matter here


def test_fov_equals_the_exact_filter_support_without_pooling_and_bounds_it_with_pooling():
    # all weights and biases positive, positive inputs: every unit is on, the support is the whole FOV
    flat = jp.cnn2d((10, 10), convs=[(2, 3, 1), (2, 3, 1)], dense=(), n_classes=2)
    params = tuple({"kernel": jnp.abs(p["kernel"]) + 0.01, "bias": jnp.ones_like(p["bias"])}
                   for p in flat.init(jax.random.key(0)))
    x = 0.5 + _images(1, (10, 10))[0]
    for pos in [(0, 0), (4, 5), (9, 2)]:
        unit = int(unit_index(flat, 2, pos, 1))
        f = jp.exact_filter(flat, params, x, 2, unit)
        np.testing.assert_array_equal(np.abs(np.asarray(f)) > 0, field_of_view_mask(flat, 2, pos))
    assert receptive_field(flat, 2) == ((5, 5), (1, 1))
    # with pooling the support follows the arg-max switches: inside the FOV, spanning it over inputs
    model = DEEP()
    params = tuple({"kernel": jnp.abs(p["kernel"]) + 0.01, "bias": jnp.ones_like(p["bias"])}
                   for p in model.init(jax.random.key(1)))
    layer = 4  # a conv layer after one pooling: 6 × 6 map, receptive field 14 of the 12 × 12 input
    units = ms.probe_units(model, layer, [(0, 0), (2, 3), (5, 5)])
    masks = ms.fov_masks(model, units)
    maps = {"exact_filter": np.asarray(unit_flows(
        model, params, jnp.asarray(_images(40, seed=5)), layer, units.index, "exact_filter",
        weight_by_activation=False))}
    support = ms.fov_support(maps, masks)
    assert support["outside"]["exact_filter"] == 0.0
    assert support["span_share"] == 1.0 and support["units_with_support"] == len(units.index)
    union = (np.abs(maps["exact_filter"]) > 0).any(0)
    assert (union <= masks).all() and (union == masks).mean() > 0.95
    assert receptive_field(model, layer) == ((14, 14), (2, 2))
    # by hand, layer 3 at (0, 5): conv3 rows [0, 1] cols [4, 5] → pool ×2: [0, 3] × [8, 11] → conv2
    # [0, 4] × [7, 11] → conv1 [0, 5] × [6, 11]
    assert field_of_view(model, 3, (0, 5)) == ((0, 6), (6, 12))


def test_fov_refuses_dense_layers_and_positions_off_the_map():
    model = SHALLOW()
    with pytest.raises(ValueError, match="dense"):
        field_of_view(model, 4, (0, 0))
    with pytest.raises(ValueError, match="outside"):
        field_of_view(model, 3, (6, 0))


def test_masked_correlation_on_constructed_cases():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 6))
    box = np.zeros((6, 6), bool)
    box[1:4, 2:6] = True
    b = np.where(box, 3 * a - 2, rng.normal(size=(6, 6)) * 100)  # affine inside, garbage outside
    assert masked_pearson(a, b, box) == pytest.approx(1.0)
    assert masked_pearson(a, -b, box) == pytest.approx(-1.0)
    # r = 1/√2: b = a + c with c orthogonal to a (both centred) and of the same norm
    u = np.array([1.0, -1.0, 1.0, -1.0])
    v = np.array([1.0, 1.0, -1.0, -1.0])
    assert masked_pearson(u.reshape(2, 2), (u + v).reshape(2, 2), np.ones((2, 2), bool)) == pytest.approx(2 ** -0.5)
    assert masked_pearson(u.reshape(2, 2), v.reshape(2, 2), np.ones((2, 2), bool)) == pytest.approx(0.0)
    assert np.isnan(masked_pearson(a, np.ones((6, 6)), box))  # constant on the region: undefined
    maps = np.stack([a, 2 * a, -a])
    np.testing.assert_allclose(pairwise_masked_pearson(maps, box), [[1, 1, -1], [1, 1, -1], [-1, -1, 1]], atol=1e-12)
    # broadcasting: N images against U units' maps with U masks
    batch = masked_pearson(np.stack([a, -a])[:, None], np.stack([a, a])[:, None], np.stack([box, box])[None])
    np.testing.assert_allclose(batch, [[1, 1], [-1, -1]])


def test_fov_correlations_pair_each_map_with_its_own_image_and_another():
    rng = np.random.default_rng(1)
    images = rng.uniform(size=(4, 6, 6))
    masks = np.ones((2, 6, 6), bool)
    maps = {"copy": np.repeat(images[:, None], 2, axis=1)}  # (N, U, H, W): each map is its own image
    corr = ms.fov_correlations(maps, images, masks)
    np.testing.assert_allclose(corr["copy"]["matched"], 1.0)
    perm = ms.mismatch_permutation(4)
    assert (perm != np.arange(4)).all()
    want = [masked_pearson(images[i], images[perm[i]], masks[0]) for i in range(4)]
    np.testing.assert_allclose(corr["copy"]["mismatched"][0], want)


def test_two_way_bootstrap_intervals():
    rng = np.random.default_rng(2)
    table = 0.3 + rng.normal(0, 0.05, (30, 20)) + rng.normal(0, 0.05, (30, 1))  # unit effects
    ci = mean_interval(table, n_boot=400)
    assert ci.low < 0.3 < ci.high and ci.low < ci.estimate < ci.high
    rows_only = np.quantile([table[rng.integers(0, 30, 30)].mean() for _ in range(400)], [0.025, 0.975])
    assert ci.high - ci.low >= 0.9 * (rows_only[1] - rows_only[0])  # at least as wide as resampling units
    table[0, 0] = np.nan  # undefined entries are left out
    assert np.isfinite(mean_interval(table, n_boot=50).estimate)
    d = difference_interval(table + 0.1, table, n_boot=100)
    assert d.estimate == pytest.approx(0.1) and d.low == pytest.approx(0.1) and d.high == pytest.approx(0.1)
    assert ratio_interval(2 * table, table, n_boot=100).estimate == pytest.approx(2.0)
    with pytest.raises(ValueError, match="level"):
        mean_interval(table, level=1.5)


def test_top_activating_equals_a_full_sort_in_chunks():
    model = SHALLOW()
    params = _params(model)
    x = _images(37, seed=3)
    units = np.array([0, 7, 40])
    top = top_activating(model, params, x, 3, units, k=5, chunk=8)
    acts = np.asarray(model.trace(params, jnp.asarray(x)).post[2]).reshape(37, -1)[:, units]
    for u in range(3):
        order = np.lexsort((np.arange(37), -acts[:, u]))[:5]
        np.testing.assert_array_equal(top.indices[u], order)
        np.testing.assert_allclose(top.values[u], acts[order, u], rtol=1e-6)


@pytest.mark.parametrize("build", [TWO_CONV, DEEP], ids=["2 conv layers", "4 conv layers"])
def test_the_protocol_runs_on_cnns_of_two_depths(build):
    model = build()
    params = _params(model)
    rng = np.random.default_rng(4)
    x = _images(40, seed=6)
    data = Dataset("toy", x, rng.integers(0, 10, 40), x[:4], rng.integers(0, 10, 4), x, rng.integers(0, 10, 40), "toy")
    sizes = Sizes(n_images=4, n_positions=1, n_draws=2, n_filter_images=3, best_channels=2, n_starts=2,
                  max_iter=5, top_k=3, n_search_images=40, n_boot=50)
    m = measure_network(model, params, data, sizes, jax.random.key(0))
    convs = ms.conv_layers(model)
    assert m["last_layer"] == convs[-1] and set(m["filters"]) == set(convs)
    assert m["support"]["outside"]["exact_filter"] == 0.0
    assert m["best"]["inputs"].shape == (2, 2) + model.input_shape
    assert {f"conv{c}" for c in convs} <= set(m["fractions"])
    rows = claims.evaluate(m, m, "toy")
    assert len(rows) == len(claims.CRITERIA)
    assert all(r["verdict"] in VERDICTS and r["control_verdict"] in VERDICTS for r in rows)
    assert len({r["criterion"].claim for r in rows}) == len(rows)


def _write_idx(path, array):
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_reads_idx_files_and_is_optional(tmp_path, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "absent")
    monkeypatch.delenv("JAXPROBE_FASHION_MNIST_DIR", raising=False)
    assert fashion_mnist.find_fashion_mnist(tmp_path) is None
    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("test", 3)):
        images, labels = fashion_mnist.FILES[split]
        _write_idx(tmp_path / f"{images}.gz", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(tmp_path / f"{labels}.gz", np.arange(n) % 10)
    data = fashion_mnist.load_fashion_mnist(tmp_path, n_valid=2)
    assert data.train_x.shape == (4, 784) and data.valid_x.shape == (2, 784) and data.test_x.shape == (3, 784)
    assert data.train_x.dtype == np.float32 and 0 <= data.train_x.min() and data.train_x.max() <= 1
    assert data.test_y.tolist() == [0, 1, 2] and data.test_source == "fashion-mnist-t10k"
    with pytest.raises(ValueError, match="n_valid"):
        fashion_mnist.load_fashion_mnist(tmp_path, n_valid=6)


def test_best_input_correlations_with_a_constant_filter_are_not_measurable_not_nan():
    """An all-zero exact filter (every path switched off) leaves r(input, filter) undefined: the
    numbers leave it out and say "not measurable" where nothing is defined, never NaN or 0."""
    from types import SimpleNamespace
    from jaxprobe.studies.seed004.tables import best_table
    rng = np.random.default_rng(0)
    mask = np.ones((4, 4), bool)
    inputs = rng.uniform(size=(1, 2, 4, 4))
    filters = np.stack([rng.normal(size=(4, 4)), np.zeros((4, 4))])[None]  # start 1's filter is constant
    best = {
        "pair_inputs": pairwise_masked_pearson(inputs[0], mask)[None],
        "pair_filters": pairwise_masked_pearson(filters[0], mask)[None],
        "input_vs_filter": masked_pearson(inputs[0][:, None], filters[0][None], mask)[None],
        "r_reference": masked_pearson(inputs[0][:, None], inputs[0][None], mask)[None],
        "result": SimpleNamespace(stopped=np.array([[True, True]]), iterations=np.array([[3, 5]]),
                                  values=np.array([[2.0, 1.0]])),
        "top_values": np.array([[-1.0, -2.0]]),  # the best test image does not excite the unit: no ratio
    }
    n = claims.best_numbers({"best": best})
    assert n["r_input_other_filter"] is None and n["r_undefined"]["r_input_other_filter"] == [1, 1]
    assert n["different_regions"] is None and n["value_over_best_test"] is None
    np.testing.assert_allclose(n["r_input_own_filter"], best["input_vs_filter"][0, 0, 0])  # the defined one only
    assert n["r_undefined"]["r_input_own_filter"] == [1, 2]
    assert n["iterations"] == 4.0
    verdict, text = claims.judge_best_different({"best": best})
    assert verdict == "not measurable" and "1 of 1 undefined" in text
    verdict, text = claims.judge_best_filter({"best": best})
    assert "nan" not in text.lower() and "not measurable" in text
    rows = best_table({"best": best}, {"best": best})[2]
    assert not any("nan" in cell.lower() for row in rows for cell in row)
