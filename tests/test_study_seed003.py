"""Seed 003 study: the GTP learning rule, the routes, the measures and every outcome of the claims."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxprobe as jp
from jaxprobe.analysis.explainability import class_contrast, rise_and_fall
from jaxprobe.analysis.verdicts import (DOES_NOT_HOLD, HOLDS, NOT_DISCRIMINATING, NOT_MEASURABLE, PARTLY,
                                        mark_smoke_test)
from jaxprobe.studies.seed003 import claims, criteria as C, protocol as P
from jaxprobe.studies.seed003.gtp import fit_gtp, gtp_gradients, sigmoid_network


@pytest.fixture(scope="module")
def toy():
    net = sigmoid_network([6, 5, 4, 3])
    x = jax.random.uniform(jax.random.key(0), (8, 6))
    y = jnp.arange(8) % 3
    return net, net.init(jax.random.key(1)), x, y


def test_one_forward_step_of_tau_1_is_backprop_of_the_squared_error(toy):
    net, params, x, y = toy
    grads, loss = gtp_gradients(net, params, x, y, tau=1.0, steps=1, start="forward")
    squared = lambda p: 0.5 * jnp.mean(jnp.sum((net.apply(p, x) - jax.nn.one_hot(y, 3)) ** 2, axis=-1))
    for got, want in zip(jax.tree.leaves(grads), jax.tree.leaves(jax.grad(squared)(params))):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(loss, squared(params), rtol=1e-6)


def test_tau_scales_each_layer_below_the_output_by_one_power(toy):
    net, params, x, y = toy
    one, _ = gtp_gradients(net, params, x, y, tau=1.0, steps=1, start="forward")
    four, _ = gtp_gradients(net, params, x, y, tau=4.0, steps=1, start="forward")
    for layer, power in ((2, 0), (1, 1), (0, 2)):  # linear in the mismatch: τ^(L − l) for one step
        np.testing.assert_allclose(four[layer]["kernel"], 4.0 ** power * one[layer]["kernel"], rtol=1e-4, atol=1e-7)


def test_stacked_gtp_training_equals_separate_runs(toy):
    net, _, x, y = toy
    keys = jax.random.split(jax.random.key(2), 2)
    stacked = fit_gtp(net, net.init_stacked(keys), (x, y), key=keys, learning_rate=0.5, batch_size=4,
                      total_steps=6, snapshot_steps=(0, 3), tau=4.0, stacked=True, start="forward")
    assert sorted(stacked) == [0, 3, 6]
    for k in range(2):
        alone = fit_gtp(net, net.init(keys[k]), (x, y), key=keys[k], learning_rate=0.5, batch_size=4, total_steps=6,
                        snapshot_steps=(3,), tau=4.0, start="forward")
        for a, b in zip(jax.tree.leaves(alone[6]), jax.tree.leaves(jax.tree.map(lambda v: v[k], stacked[6]))):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_gtp_training_lowers_the_output_error(toy):
    net, params, x, y = toy
    snaps = fit_gtp(net, params, (x, y), key=jax.random.key(3), learning_rate=2.0, batch_size=8, total_steps=200,
                    tau=4.0, start="forward")
    before = gtp_gradients(net, params, x, y, tau=4.0, steps=1, start="forward")[1]
    after = gtp_gradients(net, snaps[200], x, y, tau=4.0, steps=1, start="forward")[1]
    assert after < 0.5 * before


def test_bad_training_arguments_are_refused(toy):
    net, params, x, y = toy
    with pytest.raises(ValueError, match="batch_size=9 is larger than the training set"):
        fit_gtp(net, params, (x, y), key=jax.random.key(0), learning_rate=0.1, batch_size=9, total_steps=1)
    with pytest.raises(ValueError, match="one key per model"):
        fit_gtp(net, net.init_stacked(jax.random.split(jax.random.key(0), 2)), (x, y), key=jax.random.key(0),
                learning_rate=0.1, batch_size=4, total_steps=1, stacked=True)


def test_bp_dnn_route_is_minus_the_cross_entropy_gradient_at_zero():
    net = jp.mlp([5, 4, 3], activation="sigmoid")
    params = net.init(jax.random.key(4))
    feats = P.route_features("bp_dnn", net, params)
    for c in range(3):
        ce = lambda x: -jax.nn.log_softmax(net.apply(params, x))[c]
        np.testing.assert_allclose(feats[c], -jax.grad(ce)(jnp.zeros(5)), rtol=1e-5, atol=1e-7)


def test_ascent_route_on_a_linear_network_follows_the_closed_form():
    # x_k = (1 − (1 − ηλ)^k) w_c / λ for the score w_cᵀ x + b_c − ½λ‖x‖².
    net = jp.mlp([4, 3], activation="linear")
    params = net.init(jax.random.key(5))
    feats = P.route_features("ascent", net, params)
    factor = (1 - (1 - P.ASCENT_RATE * P.ASCENT_PENALTY) ** P.ASCENT_STEPS) / P.ASCENT_PENALTY
    np.testing.assert_allclose(feats, factor * params[0]["kernel"].T, rtol=1e-4)
    with pytest.raises(ValueError, match="route='deconv' is not known"):
        P.route_features("deconv", net, params)


def test_measure_separates_class_features_from_a_shared_pattern():
    patterns = np.eye(10, 12) - np.eye(10, 12).mean(axis=0)
    judge = np.eye(12, 10)
    reader = P.Reader(patterns, judge, 1.0)
    clean = P.measure(patterns, reader)
    assert clean["explainability"] > 1.0 and clean["judge_id"] == 1.0 and clean["shared_fraction"] < 1e-12
    assert clean["explainability_wrong_class"] < 0
    drowned = P.measure(patterns + 5 * np.ones(12), reader)   # the same classes under a large common pattern
    assert drowned["explainability"] < 0.3 * clean["explainability"]
    assert drowned["mutual_cosine"] > 0.9 and drowned["shared_fraction"] > 0.9
    np.testing.assert_allclose(drowned["explainability_specific"], clean["explainability"])


# ------------------------------------------------------------------ claims on synthetic sweeps
def _arch(hidden, depth, e_curves, accuracy, rule="gtp", judge=None, mutual=None):
    e = np.asarray(e_curves, float).T  # (snapshots, K)
    acc = np.asarray(accuracy, float).T
    judge = e.clip(0, 1) if judge is None else np.asarray(judge, float).T
    mutual = 0.5 - e / 2 if mutual is None else np.asarray(mutual, float).T
    measures = {"explainability": e, "explainability_wrong_class": -e / 9, "judge_id": judge,
                "mutual_cosine": mutual, "explainability_specific": e, "shared_fraction": 1 - e.clip(0, 1)}
    return P.Architecture(rule, hidden, depth, tuple(range(e.shape[0])), acc, {"gtp": measures}, {}, {})


RISE_FALL = [0.0, 0.5, 0.9, 0.85, 0.3]
ACC = [10.0, 70.0, 86.0, 89.5, 91.0]


def test_claims_hold_on_a_sweep_that_behaves_as_the_seed_says():
    flat = [0.0, 0.5, 0.9, 0.88, 0.87]
    sweep = {("gtp", h, d): _arch(h, d, [RISE_FALL, RISE_FALL] if h > 100 else [flat, flat], [ACC, ACC])
             for h in (16, 128, 1024) for d in (1, 3)}
    rows = {r.criterion.claim: r for r in claims.evaluate(sweep, {1: 2, 10: 4}, full_mnist=True, n_train=60000)}
    by = lambda c: rows[c.claim]
    assert by(C.FIG1_RESEMBLE).outcome == HOLDS and by(C.FIG1_RESEMBLE).control_outcome == DOES_NOT_HOLD
    assert by(C.FIG2_TRANSITION).verdict == HOLDS
    assert by(C.PHASES).outcome == PARTLY                  # the small networks do not fall
    assert by(C.TRANSITION_AT_90).outcome == HOLDS         # half-way down at 91 %
    assert by(C.SMALL_RESIST).outcome == HOLDS
    assert by(C.ACCURACY).outcome == DOES_NOT_HOLD         # 86.0 and 91.0 against 85.88 and 94.86
    assert by(C.MEASURES_AGREE).outcome == HOLDS


def test_claims_fail_on_a_sweep_that_does_not():
    rising = [0.0, 0.3, 0.6, 0.8, 0.9]
    sweep = {("gtp", h, d): _arch(h, d, [rising, rising], [ACC, ACC], mutual=[[0.5] * 5] * 2)
             for h in (8, 128, 512) for d in (1,)}
    rows = claims.evaluate(sweep, {1: 2}, full_mnist=False, n_train=4500)
    outcomes = [r.outcome for r in rows]
    assert outcomes == [NOT_MEASURABLE, PARTLY, DOES_NOT_HOLD, DOES_NOT_HOLD, NOT_MEASURABLE, DOES_NOT_HOLD,
                        HOLDS]


def test_a_claim_whose_control_also_holds_is_not_discriminating():
    row = claims.ClaimRow(C.PHASES, "", "", HOLDS, "control", PARTLY)
    assert row.verdict == NOT_DISCRIMINATING
    assert mark_smoke_test([row], "quick")[0].note == "smoke test (quick)"


def test_half_drop_accuracy_is_read_where_e_is_half_way_down():
    arch = _arch(128, 1, [RISE_FALL], [ACC])
    (t, acc), = claims.falls(arch)
    assert t == rise_and_fall(RISE_FALL) and acc == 91.0
    assert claims.falls(_arch(128, 1, [[0.0, 0.5, 0.9, 0.85, 0.84]], [ACC]))[0][1] is None
