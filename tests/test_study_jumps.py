"""The jump study (jaxprobe.studies.jumps): claims from numbers, measures on hand-made runs, storage."""

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxprobe.models import glorot_init_stacked
from jaxprobe.moore_penrose import centred_affine_map
from jaxprobe.report import RunCache
from jaxprobe.studies import jumps as ja
from jaxprobe.studies.jumps import baseline as jb
from jaxprobe.studies.jumps import claims, errors, filters, measures, networks, protocol, thesis

KEYS = ja.ERROR_KEYS


def fake_run(name="mlp1", conv_activation="linear", k=2, kernel=None, stats=None):
    """A JumpRun built by hand (no training): Glorot parameters unless ``kernel`` replaces layer 0's."""
    net = ja.jump_network(name, conv_activation)
    params = glorot_init_stacked(net, jax.random.split(jax.random.key(0), k))
    if kernel is not None:
        params = (dict(params[0], kernel=jnp.asarray(kernel, jnp.float32)),) + tuple(params[1:])
    stats = stats or {key: np.full(k, 1.0 + i) for i, key in enumerate(KEYS)} | {"max": np.full(k, 3.0)}
    history = {"step": np.array([12, 24]), "epoch": np.array([1.0, 2.0]), "train_loss": np.ones((2, k)),
               "valid_loss": np.ones((2, k)), "valid_accuracy": np.zeros((2, k))}
    return ja.JumpRun(name=name, net=net, params=params, best_epoch=np.array([2.0] * k), history=history, stats=stats,
                      test_pred=np.zeros((k, 60), np.int32), wall=1.5, epochs_run=2, max_epochs=3)


def thesis_like(name, k=3, scale=1.0):
    """Per-seed error figures equal to the thesis's (times ``scale``), with a small seed spread."""
    figs = thesis.THESIS_ERRORS[name]
    out = {key: np.asarray([t * scale * (1 + 0.01 * (i - 1)) for i in range(k)]) for t, key in zip(figs, KEYS)}
    out["max"] = np.full(k, 10.0)
    return out


# ----------------------------------------------------------------------------- doctests, protocol, storage

@pytest.mark.parametrize("module", [errors, filters, networks, protocol, thesis, claims])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_steps_per_epoch_follows_the_training_size():
    assert ja.steps_per_epoch(12000, 100) == 120       # the thesis's 12000 / 100
    assert ja.steps_per_epoch(1200, 100) == 12
    assert ja.steps_per_epoch(1250, 100) == 12         # the remainder batch is dropped
    with pytest.raises(ValueError, match="batch_size"):
        ja.steps_per_epoch(100, 0)
    with pytest.raises(ValueError, match="batch_size"):
        ja.steps_per_epoch(50, 100)


def test_run_round_trips_through_the_run_cache(tmp_path):
    run = fake_run("cnn2", "relu")
    cache = RunCache(tmp_path)
    stored = cache.get("cnn2_relu", {"x": 1}, lambda: ja.run_arrays(run))
    again = ja.run_from_arrays(cache.get("cnn2_relu", {"x": 1}, lambda: pytest.fail("not cached")))
    assert again.net == run.net                          # conv activation 'relu' restored
    assert isinstance(again.params, tuple) and len(again.params) == len(run.params)
    for a, b in zip(jax.tree.leaves(again.params), jax.tree.leaves(run.params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(again.history["valid_loss"], run.history["valid_loss"])
    assert again.summary() == run.summary() and again.wall == 1.5 and again.max_epochs == 3
    assert stored["conv_activation"] == "relu"


def test_calibration_round_trips_in_order(tmp_path):
    opts = [("backward", True), ("forward", False)]
    cal = jb.Calibration(
        sigma=1.01, derivative="backward", restrict=True, chi2=2.5, grid=np.array([0.9, 1.0]),
        chi2_grid={o: np.array([3.0, 2.5]) for o in opts}, mean_at_best={"L1": 0.5}, std_at_best={"L1": 0.1},
        max_error_quantiles={o: np.array([1.0, 2.0, 3.0]) for o in opts}, p_max_ge_58={o: 0.1 for o in opts},
        p_max_gt_59={o: 0.0 for o in opts}, p_max_near_58={o: 0.2 for o in opts}, score={o: 1.0 for o in opts},
        random_sigma_chi2=float("nan"), random_sigma_mean={})
    cache = RunCache(tmp_path)
    cache.get("cal", {}, lambda: jb.calibration_arrays(cal))
    again = jb.calibration_from_arrays(cache.get("cal", {}, lambda: pytest.fail("not cached")))
    assert list(again.chi2_grid) == opts and again.restrict is True and again.sigma == 1.01
    np.testing.assert_array_equal(again.grid, cal.grid)


def test_one_model_is_a_stack_of_one():
    params = glorot_init_stacked(ja.jump_network("mlp2"), jax.random.split(jax.random.key(1), 3))
    one = measures.one_model(params, 2)
    for a, b in zip(jax.tree.leaves(one), jax.tree.leaves(params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b[2:3]))


def test_training_plan_order():
    assert protocol.training_plan(("mlp2", "cnn1", "cnn2"), ("linear", "relu"), (4,)) == [
        ("mlp2", "linear"), ("cnn1", "linear"), ("cnn2", "linear"), ("cnn1", "relu"), ("cnn2", "relu"),
        ("shallow4", "linear"), ("deep4", "linear")]


# ----------------------------------------------------------------------------- measures on hand-made inputs

def test_toy_map_uses_the_library_map_and_matches_the_numpy_formula():
    rng = np.random.default_rng(5)
    for _ in range(20):
        v = rng.random((3, 2))
        m = v.mean(0)
        Fp = np.linalg.pinv((v - m).T)
        W, b = centred_affine_map(v)
        np.testing.assert_allclose(W, Fp, atol=1e-12)
        np.testing.assert_allclose(v @ W.T + b, (Fp @ (v - m).T).T, atol=1e-9)
    assert measures.toy_map_successes(np.random.default_rng(0), 300) == 300
    ls = measures.least_squares_check(np.random.default_rng(0), 20)
    assert ls["max_error"] < 1e-10 and abs(ls["mean_deviation"] - np.sqrt(7)) < 1e-9


def test_sharpest_extremum_finds_a_spike_not_a_step():
    s = np.zeros(100)
    s[59:] = 1.0            # a step at position 60 (half score)
    s[39] = 0.8             # a spike at position 40 (full score 0.8 > 0.5)
    assert filters.sharpest_extremum(s) == 40


def test_tsne_order_of_a_perfect_line():
    labels = np.repeat(np.arange(60), 5)
    emb = np.stack([labels + 0.01 * np.arange(300) % 5 * 0.01, np.zeros(300)], 1)
    order = measures.tsne_order(emb, labels)
    assert order["neighbour_gap"] < 1.5 and order["random_gap"] > 15
    assert claims.claim_01(order).verdict == "holds"


def test_mlp1_columns_of_exact_derivative_templates():
    W = np.stack([filters.derivative_template(100, c + 20, 2.0) for c in range(60)], 1)   # (100, 60)
    cols = measures.mlp1_columns(fake_run("mlp1", k=1, kernel=W[None]))
    assert cols["corr"].shape == (1, 60) and cols["corr"].min() > 0.999
    assert np.allclose(cols["tau"], 2.0)
    assert cols["diagonality"][0] > 0.5
    assert claims.claim_09(cols["corr"], cols["tau"], cols["diagonality"]).verdict == "holds"


def test_mlp2_weights_outside_the_jump_range():
    W = np.ones((1, 100, 100))
    W[0, :19] = W[0, 80:] = 0.1       # positions 1..19 and 81..100
    assert measures.mlp2_weights_outside(fake_run("mlp2", k=1, kernel=W))[0] == pytest.approx(0.1)


# ----------------------------------------------------------------------------- claims from numbers

def test_error_rows_and_table_3_1():
    row = claims.error_row("mlp2", thesis_like("mlp2"), {k: 0.01 for k in KEYS})
    assert row[3] == "holds" and row[4].startswith("4/4")
    assert claims.error_row("mlp2", thesis_like("mlp2", scale=3.0))[3] == "does not hold"
    base = dict(zip(KEYS, thesis.THESIS_ERRORS["baseline"]))
    rows = claims.table_3_1_rows(base, base, {k: 0.01 for k in KEYS})
    assert [r[3] for r in rows] == ["holds"] * 4


def test_claims_2_and_3():
    assert claims.claim_02((0.1, 0.2, 0.3), (0.5, 1.0, 2.0), (0.9, 0.8, 0.7)).verdict == "holds"
    assert claims.claim_02((0.1, 0.2, 0.3), (0.5, 2.0, 1.0), (0.9, 0.8, 0.7)).verdict == "partly"
    base = dict(zip(KEYS, thesis.THESIS_ERRORS["baseline"]), max=58.0)
    std = {k: 0.02 for k in KEYS} | {"max": 5.0}
    assert claims.claim_03(base, base, std, 2, 0.95).verdict == "holds"
    assert claims.claim_03(base, base, std, 5, 0.95).verdict == "partly"


def test_claims_4_to_8():
    assert claims.claim_04([3.0]).verdict == "not measurable"
    long = {"best_epoch": 130.0, "zero_epoch": 1400.0, "overfit": True, "loss_ratio": 2.0,
            "last_train_err": 0.0, "last_epoch": 1500.0}
    assert claims.claim_04([131.0, 120.0], long).verdict == "holds"
    assert claims.claim_04([10.0], long).verdict == "partly"
    errs = {n: thesis_like(n) for n in ("mlp1", "mlp2", "mlp3", "mlp4")}
    assert claims.claim_05(errs).verdict == "holds"
    assert claims.claim_06(errs).verdict == "holds"            # mlp1 has the lowest L1 in Table 3.3
    assert claims.claim_07(errs).verdict == "holds"
    assert claims.claim_07({"mlp1": errs["mlp1"]}).verdict == "not measurable"
    base = dict(zip(KEYS, thesis.THESIS_ERRORS["baseline"]))
    assert claims.claim_08(errs, base).verdict == "holds"
    assert claims.claim_08({"mlp1": thesis_like("mlp1", scale=10)}, base).verdict == "does not hold"


def test_claims_10_to_16():
    assert claims.claim_10([0.5, 0.6]).verdict == "holds"
    assert claims.claim_10([1.0]).verdict == "does not hold"
    assert claims.claim_11([0.9], [5], [0.95]).verdict == "holds"
    assert claims.claim_11([0.3], [0], [0.1]).verdict == "partly"
    assert claims.claim_12(None).verdict == "not measurable"
    assert claims.claim_12(1.0, [50, 51], [0.5, 0.5]).verdict == "holds"
    assert claims.claim_13(0.8, [0.05]).verdict == "holds"
    assert claims.claim_13(0.2, [0.4]).verdict == "does not hold"
    assert claims.claim_14(0.0, 0.0).verdict == "does not hold"
    assert claims.claim_15([0.95, 0.99], 0.0).verdict == "holds"
    assert claims.claim_15().verdict == "not measurable"
    errs = {n: thesis_like(n) for n in ("mlp2", "cnn1", "cnn2", "cnn3")}
    base = dict(zip(KEYS, thesis.THESIS_ERRORS["baseline"]))
    assert claims.claim_16(errs, base).verdict == "holds"


def test_claims_17_to_25():
    errs = {n: thesis_like(n) for n in ("shallow10", "shallow4", "shallow2", "deep10", "deep4", "deep2")}
    base = dict(zip(KEYS, thesis.THESIS_ERRORS["baseline"]))
    assert claims.claim_17(errs, base).verdict == "holds"
    assert claims.claim_18(errs).verdict == "holds"
    assert claims.claim_19(errs).verdict == "holds"         # the typo 0.2621 is left out
    falling = {k: np.linspace(2, 1, 5) for k in KEYS}
    assert claims.claim_20([2, 3, 4, 5, 6], falling).verdict == "holds"
    rising = {k: np.linspace(1, 2, 5) for k in KEYS}
    assert claims.claim_20([2, 3, 4, 5, 6], rising).verdict == "does not hold"
    ps = [4, 5, 6, 9, 10]
    bumpy = {k: np.array([2.0, 1.0, 1.2, 0.8, 0.9]) for k in KEYS}
    assert claims.claim_21(ps, bumpy, {5: 5, 6: 5, 9: 8, 10: 8}).verdict == "holds"
    assert claims.claim_21([2, 4], bumpy).verdict == "not measurable"
    assert claims.claim_22([[1, 1, 1], [0, 1, 2]], [0, 0]).verdict == "holds"
    assert claims.claim_22([[0, 0, 0]], [1]).verdict == "does not hold"
    assert claims.claim_23(0.9, [9, 10], [3, 3], 0.8).verdict == "holds"
    assert claims.claim_24(10, 10).verdict == "holds"
    assert claims.claim_24(9, 10).verdict == "partly"
