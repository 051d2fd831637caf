"""The jump study (jaxprobe.studies.jumps): claims from numbers, measures on hand-made runs, storage."""

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxprobe.moore_penrose import centred_affine_map
from jaxprobe.report import RunCache
from jaxprobe.studies import jumps as ja
from jaxprobe.studies.jumps import baseline as jb
from jaxprobe.studies.jumps import claims, errors, filters, measures, networks, protocol, thesis

KEYS = ja.ERROR_KEYS


def fake_run(name="mlp1", conv_activation="linear", k=2, kernel=None, stats=None):
    """A JumpRun built by hand (no training): uniform parameters unless ``kernel`` replaces layer 0's."""
    net = ja.jump_network(name, conv_activation)
    rng = np.random.default_rng(0)
    params = tuple({n: jnp.asarray(rng.uniform(-0.2, 0.2, (k,) + a.shape), jnp.float32) for n, a in layer.items()}
                   for layer in net.param_shapes)
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
    params = ({"kernel": np.arange(24.0).reshape(3, 4, 2), "bias": np.arange(6.0).reshape(3, 2)},)
    one = measures.one_model(params, 2)
    for a, b in zip(jax.tree.leaves(one), jax.tree.leaves(params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b[2:3]))


def test_untrained_control_is_the_network_training_starts_from():
    from jaxprobe.data.jumps import jump_splits

    splits = jump_splits(1.0, sizes=(120, 60, 60, 60))
    run = ja.train_seeds("mlp1", splits, n_seeds=2, max_epochs=1, learning_rate=1e-30)   # steps below float32 eps
    control = protocol.initial_run(run, splits)
    np.testing.assert_array_equal(np.asarray(control.params[0]["kernel"]), np.asarray(run.params[0]["kernel"]))
    np.testing.assert_allclose(np.asarray(control.params[0]["bias"]), np.asarray(run.params[0]["bias"]), atol=1e-20)
    np.testing.assert_array_equal(control.test_pred, run.test_pred)
    assert control.epochs_run == 0


def test_conv_activation_is_chosen_by_validation_loss():
    lin, relu = fake_run("cnn1", "linear"), fake_run("cnn1", "relu")
    relu.history = dict(relu.history, valid_loss=np.full((2, 2), 0.5))
    best, scores = protocol.choose_conv_activation({"cnn1_linear": lin, "cnn1_relu": relu}, ("linear", "relu"))
    assert best == "relu" and scores == {"linear": 1.0, "relu": 0.5}
    with pytest.raises(ValueError, match="no CNN"):
        protocol.choose_conv_activation({"mlp1": lin}, ("linear",))


def test_silent_ends_need_two_different_units():
    assert measures.silent_ends([np.arange(71, 81), np.array([21, 22, 23])])[2]
    assert not measures.silent_ends([np.concatenate([np.arange(21, 24), np.arange(71, 81)]), np.array([])])[2]
    assert not measures.silent_ends([np.arange(61, 71), np.array([21, 22])])[2]      # the thesis's window is 71–80


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
    assert cols["uniform"] == pytest.approx(408 / 3600)         # 60 + 2·(59 + 58 + 57) cells of 60×60
    assert claims.claim_09(cols).verdict == "holds"


def test_mlp2_weights_outside_the_jump_range():
    W = np.ones((1, 100, 100))
    W[0, :19] = W[0, 80:] = 0.1       # positions 1..19 and 81..100
    assert measures.mlp2_weights_outside(fake_run("mlp2", k=1, kernel=W))["ratio"][0] == pytest.approx(0.1)


# ----------------------------------------------------------------------------- claims: every outcome reachable

BASE = dict(zip(KEYS, thesis.THESIS_ERRORS["baseline"]))
HOLDS, PARTLY, DNH, ND, NM = "holds", "partly", "does not hold", "not discriminating", "not measurable"
LONG = {"best_epoch": 130.0, "zero_epoch": 1400.0, "overfit": True, "loss_ratio": 2.0, "last_train_err": 0.0,
        "last_epoch": 1500.0}
SIGMAS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
P_FALLING = (1.0, 0.95, 0.9, 0.8, 0.7, 0.6)
BUMPY = {k: np.array([2.0, 1.0, 1.2, 0.8, 0.9]) for k in KEYS}       # p = 4, 5, 6, 9, 10: rises 5→6 and 9→10
UNITS = {4: 4, 5: 5, 6: 5, 9: 8, 10: 8}


def errs(*names, scale=None):
    """Thesis-like figures for ``names``; ``scale`` ({name: factor}) moves some away from the thesis."""
    return {n: thesis_like(n, scale=(scale or {}).get(n, 1.0)) for n in names}


def cols(corr, diag):
    return {"corr": np.full((1, 60), corr), "tau": np.full((1, 60), 2.0), "diagonality": np.array([diag]),
            "uniform": 0.1}


def cnn1(mixed, peak, fc):
    return {"cnn1": {"mixed": mixed, "peaks": [peak], "fc_diagonality": [fc], "fc_uniform": 0.1}}


def codes(adj, ends, worst):
    return {"nn_adjacent": [adj], "silent_high": [10], "silent_low": [3], "silent_ends": [ends], "worst_ends": [worst]}


def hidden(smooth, dead, diag):
    return {"smoothness": [smooth], "dead": [dead], "output_diagonal": [diag]}


#: claim key -> {outcome: a call of its claim function on synthetic numbers that must give that outcome}
CASES = {
    "1": {HOLDS: lambda: claims.claim_01({"neighbour_gap": 1, "random_gap": 20, "adjacent_distance": 1, "median_distance": 9}),
          PARTLY: lambda: claims.claim_01({"neighbour_gap": 8, "random_gap": 20, "adjacent_distance": 1, "median_distance": 9}),
          DNH: lambda: claims.claim_01({"neighbour_gap": 18, "random_gap": 20, "adjacent_distance": 1, "median_distance": 9})},
    "2": {HOLDS: lambda: claims.claim_02(SIGMAS, (0.5, 1, 1.5, 2, 2.5, 3), P_FALLING),
          PARTLY: lambda: claims.claim_02(SIGMAS, (1, 3, 2, 5, 4, 6), P_FALLING),           # Spearman 0.886
          DNH: lambda: claims.claim_02(SIGMAS, (3, 2.5, 2, 1.5, 1, 0.5), P_FALLING)},
    "3": {HOLDS: lambda: claims.claim_03(BASE | {"max": 58}, {"max": 50}, {"max": 5}, 2, 0.95),
          PARTLY: lambda: claims.claim_03(BASE | {"max": 58}, {"max": 50}, {"max": 5}, 5, 0.95),
          DNH: lambda: claims.claim_03(BASE | {"max": 9}, {"max": 10}, {"max": 1}, 5, 0.3)},
    "4": {HOLDS: lambda: claims.claim_04([131.0, 120.0], LONG),
          PARTLY: lambda: claims.claim_04([10.0], LONG),
          DNH: lambda: claims.claim_04([10.0], LONG | {"zero_epoch": None, "overfit": False}),
          NM: lambda: claims.claim_04([3.0])},
    "5": {HOLDS: lambda: claims.claim_05(errs("mlp2")),
          PARTLY: lambda: claims.claim_05({"mlp2": thesis_like("mlp2") | {"max": np.full(3, 50.0)}}),
          DNH: lambda: claims.claim_05({"mlp2": thesis_like("mlp2", scale=3) | {"max": np.full(3, 50.0)}})},
    "6": {HOLDS: lambda: claims.claim_06(errs("mlp1", "mlp2")),
          PARTLY: lambda: claims.claim_06(errs("mlp1", "mlp2", scale={"mlp2": 0.5})),
          DNH: lambda: claims.claim_06(errs("mlp1", "mlp2", scale={"mlp1": 3}))},
    "7": {HOLDS: lambda: claims.claim_07(errs("mlp1", "mlp2", "mlp3", "mlp4")),
          PARTLY: lambda: claims.claim_07(errs("mlp1", "mlp2", "mlp3", "mlp4", scale={"mlp4": 3})),
          DNH: lambda: claims.claim_07(errs("mlp1", "mlp2", "mlp3", "mlp4", scale={"mlp3": 3, "mlp4": 0.1})),
          NM: lambda: claims.claim_07(errs("mlp1", "mlp2"))},
    "8": {HOLDS: lambda: claims.claim_08(errs("mlp1", "mlp2"), BASE),
          PARTLY: lambda: claims.claim_08(errs("mlp1", "mlp2", scale={"mlp2": 10}), BASE),
          DNH: lambda: claims.claim_08(errs("mlp1", "mlp2", scale={"mlp1": 10, "mlp2": 10}), BASE)},
    "9": {HOLDS: lambda: claims.claim_09(cols(0.9, 0.5), cols(0.1, 0.1)),
          PARTLY: lambda: claims.claim_09(cols(0.9, 0.1)),
          DNH: lambda: claims.claim_09(cols(0.1, 0.1)),
          ND: lambda: claims.claim_09(cols(0.9, 0.5), cols(0.6, 0.1))},
    "10": {HOLDS: lambda: claims.claim_10({"ratio": [0.5]}, {"ratio": [1.0]}),
           PARTLY: lambda: claims.claim_10({"ratio": [0.85]}),
           DNH: lambda: claims.claim_10({"ratio": [1.0]}),
           ND: lambda: claims.claim_10({"ratio": [0.5]}, {"ratio": [0.6]})},
    "11a": {HOLDS: lambda: claims.claim_11(hidden(0.9, 2, 0.0), hidden(0.1, 0, 0.0))[0],
            PARTLY: lambda: claims.claim_11(hidden(0.9, 0, 0.0))[0],
            DNH: lambda: claims.claim_11(hidden(0.2, 0, 0.0))[0],
            ND: lambda: claims.claim_11(hidden(0.9, 2, 0.0), hidden(0.9, 0, 0.0))[0]},
    "11b": {HOLDS: lambda: claims.claim_11(hidden(0, 0, 0.95), hidden(0, 0, 0.02))[1],
            PARTLY: lambda: claims.claim_11(hidden(0, 0, 0.6))[1],
            DNH: lambda: claims.claim_11(hidden(0, 0, 0.1))[1],
            ND: lambda: claims.claim_11(hidden(0, 0, 0.95), hidden(0, 0, 0.95))[1]},
    "12": {HOLDS: lambda: claims.cnn_claims(cnn1(1.0, 50, 0.5), cnn1(1.0, 50, 0.1))["12"],
           PARTLY: lambda: claims.cnn_claims(cnn1(1.0, 30, 0.2))["12"],
           DNH: lambda: claims.cnn_claims(cnn1(1.0, 50, 0.1))["12"],       # sign and peak pass, FC fails
           ND: lambda: claims.cnn_claims(cnn1(1.0, 50, 0.5), cnn1(1.0, 50, 0.4))["12"],
           NM: lambda: claims.cnn_claims({})["12"]},
    "13": {HOLDS: lambda: claims.cnn_claims({"cnn1k5": {"one_signed": 0.8, "minority": [0.05]}})["13"],
           PARTLY: lambda: claims.cnn_claims({"cnn1k5": {"one_signed": 0.5, "minority": [0.2]}})["13"],
           DNH: lambda: claims.cnn_claims({"cnn1k5": {"one_signed": 0.1, "minority": [0.4]}})["13"],
           ND: lambda: claims.cnn_claims({"cnn1k5": {"one_signed": 0.8, "minority": [0.05]}},
                                         {"cnn1k5": {"one_signed": 0.6, "minority": [0.05]}})["13"]},
    "14": {HOLDS: lambda: claims.cnn_claims({"cnn2": {"layer1_one_signed": 0.8, "layer2_mixed": 0.8}})["14"],
           PARTLY: lambda: claims.cnn_claims({"cnn2": {"layer1_one_signed": 0.8, "layer2_mixed": 0.2}})["14"],
           DNH: lambda: claims.cnn_claims({"cnn2": {"layer1_one_signed": 0.2, "layer2_mixed": 1.0}})["14"],
           ND: lambda: claims.cnn_claims({"cnn2": {"layer1_one_signed": 0.8, "layer2_mixed": 0.8}},
                                         {"cnn2": {"layer1_one_signed": 0.8, "layer2_mixed": 1.0}})["14"]},
    "15": {HOLDS: lambda: claims.cnn_claims({"cnn3": {"corr": [0.95, 0.99], "layer3_one_signed": 0.0}})["15"],
           PARTLY: lambda: claims.cnn_claims({"cnn3": {"corr": [0.8], "layer3_one_signed": 0.0}})["15"],
           DNH: lambda: claims.cnn_claims({"cnn3": {"corr": [0.3], "layer3_one_signed": 0.0}})["15"],
           ND: lambda: claims.cnn_claims({"cnn3": {"corr": [0.95], "layer3_one_signed": 0.0}},
                                         {"cnn3": {"corr": [0.97], "layer3_one_signed": 0.0}})["15"]},
    "16": {HOLDS: lambda: claims.claim_16(errs("mlp2", "cnn1", "cnn2", "cnn3"), BASE),
           PARTLY: lambda: claims.claim_16(errs("mlp2", "cnn1", "cnn2", "cnn3", scale={"cnn3": 3}), BASE),
           DNH: lambda: claims.claim_16(errs("mlp2", "cnn1", "cnn2", "cnn3", scale={"cnn1": 3, "cnn2": 3, "cnn3": 3}), BASE),
           NM: lambda: claims.claim_16(errs("mlp2"), BASE)},
    "17": {HOLDS: lambda: claims.claim_17(errs("shallow10", "shallow4"), BASE),
           PARTLY: lambda: claims.claim_17(errs("shallow10", "shallow4", scale={"shallow4": 3}), BASE),
           DNH: lambda: claims.claim_17(errs("shallow10", "shallow4", scale={"shallow10": 0.1, "shallow4": 0.1}), BASE),
           NM: lambda: claims.claim_17(errs("shallow4"), BASE)},
    "18": {HOLDS: lambda: claims.claim_18(errs("shallow10", "shallow4", "deep10", "deep4")),
           PARTLY: lambda: claims.claim_18(errs("shallow10", "shallow4", "deep10", "deep4", scale={"deep4": 1.5})),
           DNH: lambda: claims.claim_18(errs("shallow10", "shallow4", "deep10", "deep4", scale={"deep10": 3, "deep4": 3})),
           NM: lambda: claims.claim_18(errs("shallow4", "deep4"))},
    "19": {HOLDS: lambda: claims.claim_19(errs("shallow2", "deep2")),     # the typo 0.2621 is left out
           PARTLY: lambda: claims.claim_19(errs("shallow2", "deep2", scale={"deep2": 3})),
           DNH: lambda: claims.claim_19(errs("shallow2", "deep2", scale={"shallow2": 3, "deep2": 3})),
           NM: lambda: claims.claim_19(errs("shallow2"))},
    "20": {HOLDS: lambda: claims.claim_20([2, 3, 4, 5, 6], {k: np.linspace(2, 1, 5) for k in KEYS}),
           PARTLY: lambda: claims.claim_20([2, 3, 4, 5, 6], {k: np.linspace(2, 1, 5) for k in KEYS}
                                           | {"L1": np.array([2.0, 1.5, 1.6, 1.2, 1.0])}),
           DNH: lambda: claims.claim_20([2, 3, 4, 5, 6], {k: np.linspace(1, 2, 5) for k in KEYS})},
    "21": {HOLDS: lambda: claims.claim_21([4, 5, 6, 9, 10], BUMPY, UNITS),
           PARTLY: lambda: claims.claim_21([4, 5, 6, 9, 10], BUMPY, {p: p for p in UNITS}),
           DNH: lambda: claims.claim_21([4, 5, 6, 9, 10], {k: np.linspace(2, 1, 5) for k in KEYS}, {p: p for p in UNITS}),
           NM: lambda: claims.claim_21([2, 4], BUMPY, UNITS)},
    "22": {HOLDS: lambda: claims.claim_22({"deep_dead": [[1, 1, 1], [0, 1, 2]], "shallow_dead": [0, 0]},
                                          {"deep_dead": [[0, 0, 0]], "shallow_dead": [1]}),
           PARTLY: lambda: claims.claim_22({"deep_dead": [[1, 0, 0]], "shallow_dead": [0]}),
           DNH: lambda: claims.claim_22({"deep_dead": [[0, 0, 0]], "shallow_dead": [1]}),
           ND: lambda: claims.claim_22({"deep_dead": [[1, 1, 1]], "shallow_dead": [0]},
                                       {"deep_dead": [[0, 0, 1]], "shallow_dead": [0]})},
    "23": {HOLDS: lambda: claims.claim_23(codes(0.9, True, 0.8), codes(0.1, False, 0.1)),
           PARTLY: lambda: claims.claim_23(codes(0.9, False, 0.1)),
           DNH: lambda: claims.claim_23(codes(0.1, False, 0.1)),
           ND: lambda: claims.claim_23(codes(0.9, True, 0.8), codes(0.9, False, 0.1))},
    "24": {HOLDS: lambda: claims.claim_24(10, 10), PARTLY: lambda: claims.claim_24(995, 1000),
           DNH: lambda: claims.claim_24(5, 10)},
    "25": {HOLDS: lambda: claims.claim_25(1e-14, 2.6), PARTLY: lambda: claims.claim_25(1e-14, 0.0),
           DNH: lambda: claims.claim_25(1.0, 0.0)},
}


def test_every_criterion_has_cases_for_each_outcome():
    assert set(CASES) == set(claims.CRITERIA)
    for key, cases in CASES.items():
        assert {HOLDS, PARTLY, DNH} <= set(cases), key
        assert (ND in cases) == (key in {"9", "10", "11a", "11b", "12", "13", "14", "15", "22", "23"}), key


@pytest.mark.parametrize("key, outcome", [(k, o) for k, cases in CASES.items() for o in cases])
def test_claim_reaches_outcome(key, outcome):
    row = CASES[key][outcome]()
    assert claims.claim_key(row) == key and row.criterion is claims.CRITERIA[key]
    assert row.verdict == outcome, (row.ours, row.control_outcome, row.control)
    assert isinstance(row.ours, str) and row.ours


def test_criteria_quote_the_thesis_and_state_their_thresholds():
    for key, c in claims.CRITERIA.items():
        assert c.quote and c.source.startswith("§") and c.measure and c.holds, key
        assert c.claim.startswith(f"{key}: ")
        assert "otherwise does not hold" in c.rule()
    trained = {k for k, c in claims.CRITERIA.items() if c.trained}
    assert {"1", "2", "3", "24", "25"}.isdisjoint(trained) and "12" in trained


def test_control_that_also_holds_is_not_discriminating_and_is_reported():
    row = CASES["12"][ND]()
    assert row.control_outcome == "holds" and row.verdict == "not discriminating" and "FC diagonal" in row.control


def test_figure_rows_reach_every_outcome_and_table_3_1_is_not_evidence():
    boot = {k: 0.01 for k in KEYS}
    assert claims.error_row("mlp2", thesis_like("mlp2"), boot)[3] == HOLDS
    half = thesis_like("mlp2") | {"L1": np.full(3, 9.0), "L2": np.full(3, 9.0)}
    assert claims.error_row("mlp2", half, boot)[3] == PARTLY
    assert claims.error_row("mlp2", thesis_like("mlp2", scale=3.0))[3] == DNH
    assert claims.error_row("deep2", thesis_like("deep2"))[4].startswith("3/3")     # the typo is left out
    rows = claims.table_3_1_rows(BASE, BASE, {k: 0.01 for k in KEYS})
    assert [r[3] for r in rows] == ["n/a"] * 4 and all("fitted, not evidence" in r[4] for r in rows)


def test_all_of():
    assert claims.all_of("holds", "partly") == PARTLY
    assert claims.all_of("holds", "not measurable") == NM


def test_convergence_rule_continues_in_segments_up_to_the_cap_and_records_each_seed(tmp_path):
    from jaxprobe.data.jumps import jump_splits

    splits = jump_splits(1.0, sizes=(120, 60, 60, 60))
    budget = ja.Budget(n_seeds=2, max_epochs=2, patience=1, learning_rate=0.05)
    cache = RunCache(tmp_path)
    run, _ = protocol.trained_run(cache, "mlp1", splits, budget)
    assert protocol.still_improving(run, 1).all()          # the loss still falls after 2 epochs
    never_flat = protocol.ConvergenceRule(segment_epochs=2, max_epochs=7, rel_tol=0.0)
    out, first, _ = protocol.converge_seeds(cache, run, splits, budget, never_flat)
    # the first segment is the protocol before the rule: one extension from the best parameters
    old = protocol.continue_seeds(run, splits, extra_epochs=2, patience=1, learning_rate=0.05)
    np.testing.assert_array_equal(first.test_pred, old.test_pred)
    assert out.max_epochs == 7 and out.epochs_run <= 7     # segments of 2, the last one cut at the cap
    epoch, reason = out.convergence["epoch"], out.convergence["reason"]
    assert epoch.shape == reason.shape == (2,)
    assert (np.isnan(epoch) == (reason == protocol.CAP)).all() and (epoch[~np.isnan(epoch)] <= out.epochs_run).all()
    always_flat = protocol.ConvergenceRule(segment_epochs=2, max_epochs=7, rel_tol=10.0)
    flat, _, _ = protocol.converge_seeds(cache, run, splits, budget, always_flat)
    assert flat.max_epochs == 4 and set(flat.convergence["reason"]) <= {protocol.PATIENCE, protocol.PLATEAU}
    again, _, cached = protocol.converge_seeds(cache, run, splits, budget, never_flat)   # a rerun reads the cache
    assert cached and np.array_equal(again.convergence["reason"], reason)
    np.testing.assert_array_equal(again.test_pred, out.test_pred)
    assert protocol.run_from_arrays(protocol.run_arrays(out)).convergence["reason"].tolist() == reason.tolist()
