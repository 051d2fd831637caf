"""Seed 000 study: every criterion reaches each of its outcomes on synthetic numbers, controls
turn a claim into "not discriminating", and the measures behind the controls do what they say."""

import doctest
import importlib

import jax
import numpy as np
import pytest

from jaxprobe.analysis.verdicts import (DOES_NOT_HOLD, HOLDS, NOT_COMPARABLE, NOT_DISCRIMINATING, NOT_MEASURABLE,
                                        PARTLY, mark_smoke_test)
from jaxprobe.models import mlp
from jaxprobe.studies.bp_dnn import claims, criteria, measures, protocol, tables

C = claims


def pairs(sils, knn=0.9):
    return [(knn, s) for s in sils]


# ------------------------------------------------------------------ outcome functions: every outcome reachable
@pytest.mark.parametrize("fn, cases", [
    (C.accuracy_outcome, [((97.6,), HOLDS), ((96.0,), PARTLY), ((10.0,), DOES_NOT_HOLD)]),
    (C.discriminant_outcome, [(([0.3] * 5,), HOLDS), (([0.3] * 3 + [0.1] * 2,), PARTLY),
                              (([0.3] * 2 + [0.1] * 3,), DOES_NOT_HOLD)]),
    (C.not_discriminant_outcome, [(([0.1] * 5,), HOLDS), (([0.1] * 3 + [0.4] * 2,), PARTLY),
                                  (([0.4] * 5,), DOES_NOT_HOLD)]),
    (C.higher_layers_outcome, [(([[0.1, 0.1, 0.5, 0.5, 0.5]] * 2,), HOLDS),
                               (([[0.1, 0.1, 0.5, 0.5, 0.5], [0.5] * 5],), PARTLY),
                               (([[0.5, 0.5, 0.1, 0.1, 0.1]] * 2,), DOES_NOT_HOLD)]),
    (C.gain_outcome, [(([0.1, 0.2], [0.3, 0.4]), HOLDS), (([0.1, 0.2], [0.3, 0.2]), PARTLY),
                      (([0.3, 0.4], [0.1, 0.2]), DOES_NOT_HOLD)]),
    (C.grows_outcome, [(([0.0, 0.1, 0.2, 0.3],), HOLDS), (([0.0, 0.4, 0.1, 0.3],), PARTLY),
                       (([0.3, 0.2, 0.1, 0.0],), DOES_NOT_HOLD)]),
    (C.similar_outcome, [((0.30, 0.32), HOLDS), ((0.30, 0.38), PARTLY), ((0.10, 0.40), DOES_NOT_HOLD)]),
    (C.gradient_outcome, [((1e-7,), HOLDS), ((0.5,), DOES_NOT_HOLD), ((float("nan"),), NOT_MEASURABLE)]),
    (C.cosine_outcome, [(([0.0] * 5, [0.6] * 5), HOLDS), (([0.0] * 5, [0.24] * 5), PARTLY),
                        (([0.0] * 5, [0.6] * 4 + [0.05]), DOES_NOT_HOLD),
                        (([0.0] * 5, [float("nan")] * 5), NOT_MEASURABLE)]),
    (C.guided_outcome, [((0.95, 1e-9), HOLDS), ((0.7, 1e-4), PARTLY), ((0.7, 0.05), DOES_NOT_HOLD),
                        ((0.4, 1e-9), DOES_NOT_HOLD), ((float("nan"), 0.5), NOT_MEASURABLE)]),
    (C.identity_outcome, [((0.0,), HOLDS), ((1e-3,), DOES_NOT_HOLD)]),
])
def test_every_outcome_is_reachable(fn, cases):
    for args, want in cases:
        assert fn(*args) == want, (fn.__name__, args)


def test_the_bar_is_the_same_for_discriminant_and_far_from_it():
    """Issue 18 item 5: a set passing the 'discriminant' bar is never called 'far from discriminant'."""
    for s in np.linspace(-0.2, 0.8, 41):
        assert (C.discriminant_outcome([s]) == HOLDS) != (C.not_discriminant_outcome([s]) == HOLDS)


def test_cosine_of_a_quarter_is_not_close():
    """Issue 18 item 5: cos(z_l, −õ_l) = 0.24 must not 'hold' where the seed says 'close'."""
    assert C.cosine_outcome([0.0] * 5, [0.24] * 5) != HOLDS
    assert criteria.CLOSE_COSINE == 0.5


# ------------------------------------------------------------------ rows: control decides "not discriminating"
def test_targets_discriminant_against_label_shuffled_control():
    real, noise = pairs([0.3, 0.4, 0.5, 0.6, 0.7]), pairs([-0.05] * 5, knn=0.1)
    assert C.targets_discriminant(criteria.TARGETS_AT_INIT, real, noise).verdict == HOLDS
    assert C.targets_discriminant(criteria.TARGETS_AT_INIT, real, real).verdict == NOT_DISCRIMINATING
    assert C.targets_discriminant(criteria.TARGETS_AT_100, noise, noise).verdict == DOES_NOT_HOLD


def test_higher_layers_row():
    rising, flat = pairs([0.1, 0.1, 0.5, 0.5, 0.5]), pairs([0.0] * 5)
    assert C.higher_layers([rising, rising], [flat, flat], (0, 100)).verdict == HOLDS
    assert C.higher_layers([rising, flat], [flat, flat], (0, 100)).verdict == PARTLY
    assert C.higher_layers([rising, rising], [rising, flat], (0, 100)).verdict == NOT_DISCRIMINATING


def test_change_claims_against_the_untrained_network():
    row = C.targets_sharpen(pairs([0.1] * 5), pairs([0.3] * 5), 100)
    assert (row.outcome, row.control_outcome, row.verdict) == (HOLDS, DOES_NOT_HOLD, HOLDS)
    assert C.targets_sharpen(pairs([0.3] * 5), pairs([0.1] * 5), 100).verdict == DOES_NOT_HOLD
    assert C.z1_grows(pairs([0.0, 0.1, 0.2]), (10, 30, 300)).verdict == HOLDS
    assert C.z1_grows(pairs([0.2, 0.1, 0.0]), (10, 30, 300)).verdict == DOES_NOT_HOLD


def test_z1_meets_target_is_not_discriminating_when_already_met_at_init():
    met, apart = ((0.9, 0.30), (0.9, 0.32)), ((0.8, 0.05), (0.9, 0.40))
    assert C.z1_meets_target(*met, *apart, 300).verdict == HOLDS
    assert C.z1_meets_target(*met, *met, 300).verdict == NOT_DISCRIMINATING
    assert C.z1_meets_target(*apart, *apart, 300).verdict == DOES_NOT_HOLD


def test_features_rows():
    low, high = pairs([0.05] * 5, knn=0.8), pairs([0.4] * 5)
    row = C.features_at_init(low, (0.78, 0.1))
    assert row.verdict == HOLDS and row.control_outcome is None
    assert C.features_at_init(high, (0.78, 0.1)).verdict == DOES_NOT_HOLD
    assert C.features_after(high, low, 300).verdict == HOLDS
    assert C.features_after(low[:2] + high[:3], low, 300).verdict == PARTLY
    assert C.features_after(high, high, 300).verdict == NOT_DISCRIMINATING


def test_direct_losses_row_needs_its_wrong_label_control_to_fail():
    assert C.direct_losses(1e-7, 3.0).verdict == HOLDS
    assert C.direct_losses(1e-7, 1e-7).verdict == NOT_DISCRIMINATING
    assert C.direct_losses(0.2, 3.0).verdict == DOES_NOT_HOLD


def test_cosine_close_row():
    assert C.cosine_close([0.0] * 5, [0.7] * 5, 300).verdict == HOLDS
    assert C.cosine_close([0.0] * 5, [0.22] * 5, 300).verdict == PARTLY
    assert C.cosine_close([0.6] * 5, [0.6] * 5, 300).verdict == NOT_DISCRIMINATING  # close before training


def test_guided_readable_row():
    win = {"fraction_higher": 1.0, "p_value": 1e-30, "n": 500}
    lose = {"fraction_higher": 0.3, "p_value": 1e-5, "n": 500}
    r = {"guided": 0.4, "bp": 0.1}
    assert C.guided_readable(win, lose, r, r).verdict == HOLDS
    assert C.guided_readable(win, win, r, r).verdict == NOT_DISCRIMINATING
    assert C.guided_readable(lose, lose, r, r).verdict == DOES_NOT_HOLD


def test_accuracy_row_is_judged_only_on_full_mnist():
    kw = dict(seed_acc=97.51, n_test=10_000, steps=10_000, test_desc="MNIST")
    assert C.accuracy(97.6, 10.0, n_train=60_000, **kw).verdict == HOLDS
    assert C.accuracy(95.0, 10.0, n_train=60_000, **kw).verdict == DOES_NOT_HOLD
    assert C.accuracy(97.6, 10.0, n_train=4_500, **kw).verdict == NOT_COMPARABLE


def test_identity_and_fig8_rows():
    assert C.guided_is_guided_backprop(0.0, 10).verdict == HOLDS
    assert C.guided_is_guided_backprop(0.1, 10).verdict == DOES_NOT_HOLD
    assert C.fig8_patterns(0.9, 0.6, 0.3, 10).verdict == NOT_MEASURABLE


# ------------------------------------------------------------------ wiring, smoke test, tables
def synthetic_measurements(steps=300):
    snaps, fig5 = (0, 10, 100, steps), (10, 100, steps)
    disc = {("input", 0, 0): (0.78, 0.1), ("label", 0, 0): (1.0, 1.0)}
    for s in snaps:
        disc[("top", 6, s)] = (1.0, 1.0 - s / 1000)
        for l in range(1, 6):
            disc[("targets", l, s)] = (0.95, 0.1 * l + s / 1000)
            disc[("z", l, s)] = (0.6, 0.02 + s / 600)
    shuffled = {("targets", l, s): (0.1, -0.05) for l in range(1, 6) for s in (0, 100)}
    paired = {"fraction_higher": 1.0, "p_value": 1e-30, "n": 100}
    return claims.Measurements(
        steps=steps, fig5_steps=fig5, disc=disc, disc_shuffled=shuffled, accuracy=97.4, accuracy_untrained=9.8,
        n_train=60_000, n_test=10_000, test_desc="MNIST", gradient_error=1e-7, gradient_error_wrong_targets=5.0,
        cos_curve={s: [s / 500] * 5 for s in snaps}, paired=paired, paired_untrained=paired,
        mean_r={"guided": 0.4, "bp": 0.1}, mean_r_untrained={"guided": 0.2, "bp": 0.0},
        guided_vs_guided_backprop=0.0, on_ink=0.9, on_ink_untrained=0.6, near_ink=0.27, n_maps=100)


def test_evaluate_judges_every_criterion_once_in_order():
    rows = claims.evaluate(synthetic_measurements())
    assert [r.criterion for r in rows] == list(criteria.ALL)
    verdicts = {r.criterion.claim: r.verdict for r in rows}
    assert verdicts[criteria.ACCURACY.claim] == HOLDS
    assert verdicts[criteria.COSINE_CLOSE.claim] == HOLDS  # 0 → 0.6
    assert verdicts[criteria.GUIDED_READABLE.claim] == NOT_DISCRIMINATING  # untrained also wins
    assert verdicts[criteria.FEATURES_AFTER.claim] == HOLDS  # 0.52 at 300, 0.02 at 0
    assert len({c.claim for c in criteria.ALL}) == len(criteria.ALL)


def test_smoke_test_marks_only_claims_about_trained_networks():
    rows = mark_smoke_test(claims.evaluate(synthetic_measurements()), "quick")
    for row in rows:
        assert row.note.startswith("smoke test (quick)") == row.criterion.trained


def test_controls_table_and_reading_are_computed():
    m = synthetic_measurements()
    table = tables.controls_table(claims.evaluate(m))
    assert len(table.rows) == len(criteria.ALL) and table.header[-1] == "verdict"
    steps = (0, 10, 100, 300)
    text = claims.discriminance_reading(m.disc, steps)
    assert "it falls at every layer" in text  # synthetic õ_l silhouettes 0.5, 0.4, … from l = 5 down
    assert "no layer passes the discriminant bar" in text  # z at 0: k-NN 0.6 ≥ 3× chance, silhouette 0.02
    other = dict(m.disc)
    other.update({("targets", l, 0): (0.9, 0.9 - 0.1 * l) for l in range(1, 6)})
    other.update({("z", l, 0): (0.2, 0.02) for l in range(1, 6)})
    text = claims.discriminance_reading(other, steps)
    assert "it does not fall at every layer" in text and "no layer passes" not in text


# ------------------------------------------------------------------ measures behind the controls
def tiny_network():
    model = mlp([6, 16, 16, 3])
    params = model.init(jax.random.key(0))
    x = np.asarray(jax.random.normal(jax.random.key(1), (60, 6)))
    y = np.repeat(np.arange(3), 20)
    return model, params, x, y


def test_label_shuffled_targets_lose_the_label_discriminance():
    model, params, x, y = tiny_network()
    shuffled = protocol.label_shuffled_discriminance(model, {0: params}, (0,), x, y, seed=3, k=3)
    real = protocol.discriminance_by_snapshot(model, {0: params}, {0: _features(model, params, x, y)}, x, y, k=3)
    for l in (1, 2):
        assert real[("targets", l, 0)][1] > 0.25 > shuffled[("targets", l, 0)][1]


def _features(model, params, x, y):
    from jaxprobe.probes.activations import encoder_decoder_features

    return encoder_decoder_features(model, params, x, y)


def test_direct_loss_identity_fails_with_wrong_label_targets():
    model, params, x, y = tiny_network()
    right = measures.direct_loss_gradient_errors(model, params, x, y)
    wrong = measures.direct_loss_gradient_errors(model, params, x, y, target_labels=(y + 1) % 3)
    worst = lambda rows: max(max(e["fp_kernel"], e["fp_bias"], e["bp_kernel"]) for e in rows)
    assert worst(right) < 1e-5 and worst(wrong) > 0.1


def test_paired_comparison_counts_defined_pairs_only():
    out = measures.paired_comparison([1.0, 2.0, np.nan, 0.0], [0.0, 3.0, 1.0, -1.0])
    assert out["n"] == 3 and out["fraction_higher"] == pytest.approx(2 / 3)
    assert np.isnan(out["p_value"])  # too few pairs for the signed-rank test
    with pytest.raises(ValueError, match="b: shape"):
        measures.paired_comparison([1.0], [1.0, 2.0])


def test_box_centres_on_ink_finds_a_single_stroke():
    digit = np.zeros((1, 784))
    digit[0, 10 * 28 + 5:10 * 28 + 20] = 1.0  # a horizontal stroke on row 10
    off = np.zeros((1, 784))
    off[0, 25 * 28 + 25] = 1.0  # the map's peak is far from the stroke
    assert measures.box_centres_on_ink(digit, digit, n_boxes=1) == 1.0
    assert measures.box_centres_on_ink(digit, off, n_boxes=1) == 0.0


def test_snapshot_plan_and_solver_check_steps():
    assert protocol.snapshot_plan(50, (10, 30, 50, 100)) == ((10, 30, 50), (0, 10, 30, 50))
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        protocol.snapshot_plan(0, (10,))
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        protocol.caffe_lenet_solver(-1)


@pytest.mark.parametrize("module", ["protocol", "measures", "criteria", "claims", "figures", "tables", "per_seed",
                                    "over_seeds"])
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"jaxprobe.studies.bp_dnn.{module}")
    assert doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE).failed == 0


# ------------------------------------------------------------------ over seeds: the rule, the spread
from jaxprobe.studies.bp_dnn import over_seeds  # noqa: E402


def test_mean_measurements_average_every_number_and_pair_digits():
    import dataclasses

    a, b = synthetic_measurements(), synthetic_measurements()
    b = dataclasses.replace(b, accuracy=96.4, disc={**b.disc, ("z", 1, 300): (0.4, 0.9)},
                            r={"guided": np.array([0.5, 0.1, np.nan]), "bp": np.array([0.2, 0.3, 0.0])})
    a = dataclasses.replace(a, r={"guided": np.array([0.3, 0.1, np.nan]), "bp": np.array([0.0, 0.2, 0.1])})
    m = over_seeds.mean_measurements([a, b])
    assert m.accuracy == pytest.approx(96.9)
    assert m.disc[("z", 1, 300)] == pytest.approx(((0.6 + 0.4) / 2, (0.02 + 0.5 + 0.9) / 2))
    # digit-wise means: guided (0.4, 0.1, nan), bp (0.1, 0.25, 0.05): guided higher on 1 of 2 defined digits
    assert m.paired["fraction_higher"] == 0.5 and m.paired["n"] == 2
    with pytest.raises(ValueError, match="different iterations"):
        over_seeds.mean_measurements([a, synthetic_measurements(steps=400)])


def test_verdict_over_seeds_is_the_criterion_on_the_mean_with_each_seed_counted():
    import dataclasses

    low = synthetic_measurements()
    apart_at_init = {**low.disc, ("targets", 1, 0): (0.95, 0.4)}  # the untrained control: z_1 0.02 vs õ_1 0.4
    good = dataclasses.replace(low, disc={**apart_at_init, ("z", 1, 300): (0.9, 0.37)})  # õ_1 at 300: 0.4
    bad = dataclasses.replace(low, disc={**apart_at_init, ("z", 1, 300): (0.9, 0.10)})  # 0.30 apart
    judged = over_seeds.judge([good, good, bad])  # mean sil z_1 0.28: 0.12 from õ_1's 0.40 → does not hold
    row = {c.row.criterion.claim: c for c in judged}[criteria.Z1_MEETS_TARGET.claim]
    assert row.row.verdict == DOES_NOT_HOLD and [r.verdict for r in row.per_seed] == [HOLDS, HOLDS, DOES_NOT_HOLD]
    assert "holds in 2 of 3; does not hold in 1 of 3" in row.row.ours
    assert row.values == pytest.approx((0.03, 0.03, 0.30))
    assert [c.row.criterion for c in judged] == list(criteria.ALL)
    record = over_seeds.claim_metrics(judged)[6]
    assert record["verdict_counts"] == {HOLDS: 2, DOES_NOT_HOLD: 1} and record["per_seed"] == pytest.approx([0.03, 0.03, 0.3])
    table = tables.seed_spread_table(judged, [0, 1, 2])
    assert table.header[2:5] == ["seed 0", "seed 1", "seed 2"] and len(table.rows) == len(criteria.ALL)
    assert not any("|" in str(cell) for r in table.rows for cell in r[:2])  # markdown-safe


def test_seed_keys_are_the_single_seed_keys():
    """Seed s of the stacked run starts from the keys a run of seed s alone uses."""
    init, train = protocol.seed_keys(3, 2)
    for i, s in enumerate((3, 4)):
        want = jax.random.split(jax.random.key(s))
        assert jax.random.key_data(init[i]).tolist() == jax.random.key_data(want[0]).tolist()
        assert jax.random.key_data(train[i]).tolist() == jax.random.key_data(want[1]).tolist()
    with pytest.raises(ValueError, match="count"):
        protocol.seed_keys(0, 0)
