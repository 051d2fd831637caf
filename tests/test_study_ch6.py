"""Thesis Ch. 6 study: training to 100 %, the measures, and every criterion reaching each of its outcomes on
synthetic numbers."""

import jax
import numpy as np
import pytest

from jaxprobe.analysis.verdicts import NOT_COMPARABLE, NOT_DISCRIMINATING
from jaxprobe.models import mlp
from jaxprobe.report import RunCache
from jaxprobe.studies.thesis_ch6 import claims, criteria, measures, protocol

HOLDS, PARTLY, NO = "holds", "partly", "does not hold"


def profile(**curves):
    """A (2 seeds, 5 layers) profile: every key of PROFILE_KEYS is 1, the given ones follow their curves."""
    out = {k: np.ones((2, 5)) for k in measures.PROFILE_KEYS}
    for key, curve in curves.items():
        c = np.asarray(curve, np.float64)
        out[key] = np.stack([c, c])
    return out


def ai(kind, *curves):
    """Curves for the three activation-insensitive measures of one kind (inner / inter)."""
    return {f"{kind}_{m}": c for m, c in zip(claims.ACTIVATION_INSENSITIVE, curves)}


# ---------------------------------------------------------------------------------------------- protocol
def test_permuted_labels_keep_every_count_and_change_the_order():
    y = np.repeat(np.arange(60), 200)
    r = protocol.permuted_labels(y, seed=3)
    assert np.array_equal(np.bincount(r), np.bincount(y)) and (r != y).mean() > 0.9


def test_train_tracked_memorises_random_labels_and_keeps_early_and_snapshots():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 6)).astype(np.float32)
    y = np.tile(np.arange(3), 8)
    net = mlp([6, 32, 3])
    params = protocol.init_seeds(net, 2, seed=0, group=1)
    run = protocol.train_tracked(net, params, (x, y), key=jax.random.split(jax.random.key(1), 2), max_epochs=400,
                                 batch_size=8, valid=(x[:6], y[:6]), snapshot_epochs=(0, 2), check_every=10,
                                 learning_rate=1.0)
    assert (run.memorised_epoch > 0).all() and run.epochs == run.memorised_epoch.max() < 400
    assert (protocol.accuracy_stacked(net, run.memorised, x, y) == 1.0).all()
    assert run.check_epochs[:3].tolist() == [2, 10, 20] and run.train_accuracy.shape == (len(run.check_epochs), 2)
    best = run.check_epochs[np.argmin(run.valid_loss, axis=0)]
    assert run.early_epoch.tolist() == best.tolist()
    assert sorted(run.snapshots) == [0, 2]
    epochs = protocol.epochs_to(run.check_epochs, run.train_accuracy, 1.0)
    assert epochs.tolist() == run.memorised_epoch.astype(float).tolist()
    # through the run cache and back
    cache = RunCache(__import__("tempfile").mkdtemp())
    back = protocol.training_from_tree(cache.get("t", {"a": 1}, lambda: protocol.training_to_tree(run)))
    back = protocol.training_from_tree(cache.get("t", {"a": 1}, lambda: None))
    assert back.memorised_epoch.tolist() == run.memorised_epoch.tolist() and sorted(back.snapshots) == [0, 2]
    np.testing.assert_array_equal(back.final[0]["kernel"], run.final[0]["kernel"])


def test_epochs_to_marks_unreached_levels_as_inf():
    assert protocol.epochs_to([5, 10], np.array([[0.1], [0.4]]), 0.5).tolist() == [np.inf]


# ---------------------------------------------------------------------------------------------- measures
def test_layer_profile_matches_the_library_measures():
    from jaxprobe.analysis.collapse import within_class_variability
    from jaxprobe.analysis.deviation import inner_class_deviation

    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 5)).astype(np.float32)
    y = np.repeat(np.arange(3), 20)
    net = mlp([5, 5, 3])                                               # one width: one compilation per kernel
    params = protocol.init_seeds(net, 2, seed=0, group=0)
    prof = measures.layer_profile(net, params, x, y, (0, 1))
    assert set(prof) == set(measures.PROFILE_KEYS) and all(v.shape == (2, 2) for v in prof.values())
    hidden = protocol.layer_activations(net, params, x, 1)[1]
    assert prof["inner_cosine"][1, 1] == pytest.approx(inner_class_deviation(hidden, y, "cosine").value, rel=1e-6)
    assert prof["nc1"][0, 0] == pytest.approx(within_class_variability(x, y).nc1, rel=1e-9)
    assert prof["nc1"][0, 0] == prof["nc1"][1, 0]                          # the input is the same for both seeds


def test_stripe_index_ramp_high_random_grouping_near_zero():
    ramp = np.repeat(np.arange(60.0), 10)[:, None] * np.ones((1, 8))
    y = np.repeat(np.arange(60), 10)
    assert measures.stripe_index(ramp, y, 60) > 0.99
    rng = np.random.default_rng(0)
    assert abs(measures.stripe_index(rng.normal(size=(600, 8)), y, 60)) < 0.15


def test_neighbour_agreement_ordered_line_and_scrambled_points():
    line = np.arange(600.0)[:, None] * np.ones((1, 2))
    pos = np.repeat(np.arange(60), 10)
    assert measures.neighbour_agreement(line, pos, k=10, tolerance=2) > 0.95
    scrambled = np.random.default_rng(0).normal(size=(600, 2))
    assert measures.neighbour_agreement(scrambled, pos, k=10, tolerance=2) < 0.2


def test_separated_and_ratio_to_input():
    assert measures.separated([5, 6], [1, 2]) == 1 and measures.separated([1, 2], [5, 6]) == -1
    assert measures.separated([1, 5], [2, 6]) == 0 and measures.separated([np.nan, 5], [1, 2]) == 0
    np.testing.assert_allclose(measures.ratio_to_input([[2.0, 4.0, 1.0]]), [[1.0, 2.0, 0.5]])


# ---------------------------------------------------------------------------------------------- criteria
def test_criteria_declared_once_with_quote_source_and_rule():
    names = [c.claim for c in criteria.ALL]
    assert len(names) == len(set(names)) == 23
    assert all(c.quote and c.source and c.measure and c.holds for c in criteria.ALL)


def test_training_claims_reach_every_outcome():
    inf = np.inf
    assert claims.mem_reaches_row([1.0, 1.0], [900, 1000], 3000).verdict == HOLDS
    assert claims.mem_reaches_row([1.0, 0.995], [900, inf], 3000).verdict == PARTLY
    assert claims.mem_reaches_row([1.0, 0.9], [900, inf], 3000).verdict == NO
    mem = {0.5: np.array([50.0]), 0.9: np.array([400.0]), 1.0: np.array([1400.0])}
    assert claims.mem_slower_outcome(mem, {0.5: [10.0], 0.9: [100.0], 1.0: [400.0]}) == HOLDS
    assert claims.mem_slower_outcome(mem, {0.5: [10.0], 0.9: [500.0], 1.0: [400.0]}) == PARTLY
    assert claims.mem_slower_outcome(mem, {0.5: [60.0], 0.9: [500.0], 1.0: [inf]}) == NO
    assert claims.mem_fails_row([0.02], [0.7]).verdict == HOLDS
    assert claims.mem_fails_row([0.15], [0.7]).verdict == PARTLY
    assert claims.mem_fails_row([0.5], [0.7]).verdict == NO
    assert claims.mem_fails_row([0.02], [0.03]).verdict == NOT_DISCRIMINATING


def test_stripe_and_tsne_claims_reach_every_outcome():
    assert claims.stripes_outcome([[0.9, 0.8, 0.7]], present=True) == HOLDS
    assert claims.stripes_outcome([[0.9, 0.8, 0.1]], present=True) == PARTLY
    assert claims.stripes_outcome([[0.9, 0.1, 0.1]], present=True) == NO
    assert claims.stripes_outcome([[0.0, 0.1, 0.05]], present=False) == HOLDS
    assert claims.stripes_outcome([[0.0, 0.1, 0.9]], present=False) == PARTLY
    assert claims.stripes_outcome([[0.0, 0.8, 0.9]], present=False) == NO
    row = claims.stripes_row(criteria.STRIPES_TRUE, [[0.9, 0.9, 0.9]], [[0.9, 0.9, 0.9]], "shuffled", present=True)
    assert row.verdict == NOT_DISCRIMINATING
    assert claims.tsne_spread_outcome([0.6, 0.5, 0.3, 0.2]) == HOLDS
    assert claims.tsne_spread_outcome([0.6, 0.5, 0.55, 0.4]) == PARTLY
    assert claims.tsne_spread_outcome([0.6, 0.6, 0.6, 0.7]) == NO
    assert claims.tsne_like_input_outcome([0.5, 0.45, 0.5, 0.5]) == HOLDS
    assert claims.tsne_like_input_outcome([0.5, 0.3, 0.5, 0.5]) == PARTLY
    assert claims.tsne_like_input_outcome([0.5, 0.2, 0.5, 0.5]) == NO
    rows = claims.tsne_rows([0.6, 0.5, 0.3, 0.2], [0.6, 0.6, 0.62, 0.61])
    assert [r.verdict for r in rows] == [HOLDS, HOLDS] and [r.control_verdict for r in rows] == [NO, NO]


def test_normal_network_deviation_claims_reach_every_outcome():
    up = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert claims.euclidean_outcome(profile(inner_euclidean=[2, 1.5, 3, 4, 4], inter_euclidean=up)) == HOLDS
    assert claims.euclidean_outcome(profile(inner_euclidean=[2, 3, 3, 4, 4], inter_euclidean=up)) == PARTLY
    assert claims.euclidean_outcome(profile(inner_euclidean=[2, 3, 1, 1, 1], inter_euclidean=[3, 2, 1, 1, 1])) == NO
    assert claims.level_outcome(profile(level=up)) == HOLDS
    assert claims.level_outcome(profile(level=[1, 3, 2, 4, 5])) == PARTLY
    assert claims.level_outcome(profile(level=[5, 4, 3, 2, 1])) == NO
    down, flat, rise = [1, 0.8, 0.7, 0.5, 0.5], [1, 1, 1, 0.95, 1], [1, 1.2, 1.3, 1.5, 1]
    assert claims.inner_drops_outcome(profile(**ai("inner", down, down, down))) == HOLDS
    assert claims.inner_drops_outcome(profile(**ai("inner", down, down, flat))) == PARTLY
    assert claims.inner_drops_outcome(profile(**ai("inner", down, flat, flat))) == NO
    assert claims.inter_flat_outcome(profile(**ai("inner", down, down, down), **ai("inter", flat, flat, flat))) == HOLDS
    assert claims.inter_flat_outcome(profile(**ai("inner", down, down, down), **ai("inter", flat, flat, rise))) == PARTLY
    assert claims.inter_flat_outcome(profile(**ai("inner", flat, flat, flat), **ai("inter", rise, rise, rise))) == NO
    rows = claims.normal_rows(profile(level=up), profile(level=up))
    assert rows[1].verdict == NOT_DISCRIMINATING and len(rows) == 4


def test_mnist_claims_reach_every_outcome():
    assert claims.mnist_accuracy_row(0.975, 48_000, "full").verdict == HOLDS
    assert claims.mnist_accuracy_row(0.93, 48_000, "full").verdict == NO
    assert claims.mnist_accuracy_row(0.93, 4_500, "embedded").verdict == NOT_COMPARABLE
    level = [1, 2, 3, 4, 5]
    sharp = [1, 0.5, 0.5, 0.5, 0.5]
    good = profile(level=level, inner_euclidean=sharp, **ai("inner", sharp, sharp, sharp))
    assert claims.mnist_inner_outcome(good) == HOLDS
    assert claims.mnist_inner_outcome(profile(level=level, inner_euclidean=sharp,
                                              **ai("inner", sharp, [1, .9, 1, 1, 1], [1, .9, 1, 1, 1]))) == PARTLY
    assert claims.mnist_inner_outcome(profile(level=[5, 4, 3, 2, 1], inner_euclidean=[1, 2, 1, 1, 1])) == NO
    dip, no_dip = [1, 0.8, 0.7, 0.9, 1.2], [1, 1.1, 1.2, 1.3, 1.4]
    assert claims.mnist_inter_outcome(profile(**ai("inter", dip, dip, dip))) == HOLDS
    assert claims.mnist_inter_outcome(profile(**ai("inter", dip, dip, no_dip))) == PARTLY
    assert claims.mnist_inter_outcome(profile(**ai("inter", no_dip, no_dip, dip))) == NO


def test_memorising_claims_reach_every_outcome():
    normal = profile(level=[1, 1, 1, 1, 1])
    assert claims.mem_level_outcome(profile(level=[1, 2, 2, 2, 2]), normal) == HOLDS
    assert claims.mem_level_outcome(profile(level=[1, 1.1, 1.1, 1.1, 1]), normal) == PARTLY
    assert claims.mem_level_outcome(profile(level=[1, 0.5, 2, 2, 2]), normal) == NO
    climb, creep, drop = [1, 1.5, 1.55, 1.5, 1], [1, 1.05, 1.3, 1.6, 1], [1, 0.9, 0.8, 0.7, 1]
    assert claims.mem_inner_random_outcome(profile(**ai("inner", climb, climb, climb))) == HOLDS
    assert claims.mem_inner_random_outcome(profile(**ai("inner", climb, climb, creep))) == PARTLY
    assert claims.mem_inner_random_outcome(profile(**ai("inner", creep, drop, drop))) == NO
    big, small = [1, 1.2, 1.4, 1.6, 1], [1, 1.05, 1.1, 1.1, 1]
    assert claims.mem_inter_random_outcome(profile(**ai("inter", big, big, big))) == HOLDS
    assert claims.mem_inter_random_outcome(profile(**ai("inter", big, big, small))) == PARTLY
    assert claims.mem_inter_random_outcome(profile(**ai("inter", small, small, big))) == NO
    assert claims.mem_inner_true_outcome(profile(**ai("inner", big, big, big))) == HOLDS
    assert claims.mem_inner_true_outcome(profile(**ai("inner", big, big, drop))) == PARTLY
    assert claims.mem_inner_true_outcome(profile(**ai("inner", drop, drop, big))) == NO
    assert claims.mem_inter_true_outcome(profile(**ai("inter", small, small, small))) == HOLDS
    assert claims.mem_inter_true_outcome(profile(**ai("inter", small, small, big))) == PARTLY
    assert claims.mem_inter_true_outcome(profile(**ai("inter", big, big, drop))) == NO
    rows = claims.memorising_rows(profile(), profile(), normal, profile(), profile())
    assert len(rows) == 5 and all(r.control_verdict is not None for r in rows)


def test_collapse_and_signature_claims_reach_every_outcome():
    assert claims.nc1_outcome(profile(nc1=[4, 3, 2, 1, 1])) == HOLDS
    assert claims.nc1_outcome(profile(nc1=[4, 5, 2, 1, 1])) == PARTLY
    assert claims.nc1_outcome(profile(nc1=[1, 2, 3, 4, 5])) == NO
    assert claims.signature_outcome({"a": [1, 1, -1], "b": [1, 1, 1]}) == HOLDS
    assert claims.signature_outcome({"a": [1, 1, 0], "b": [1, 1, 1]}) == PARTLY
    assert claims.signature_outcome({"a": [1, 0, 0], "b": [0, 1, 1], "c": [1, 1, 0]}) == NO
    low = {k: np.full((5, 5), 1.0) + np.arange(5)[:, None] * 0.01 for k in measures.PROFILE_KEYS}
    high = {k: v + 10.0 for k, v in low.items()}
    row, table, control = claims.signature_row(criteria.SIGNATURE_TRUE, high, low, low, low)
    assert row.verdict == HOLDS and all(t == [1, 1, 1] for t in table.values())
    assert row.control_verdict == NO and all(t == [0, 0, 0] for t in control.values())
    rel = claims.signature_table(high, low, relative=True)          # a constant offset at every layer: ratios overlap
    assert set(map(tuple, rel.values())) <= {(0, 0, 0), (1, 1, 1), (-1, -1, -1)}


def test_smoke_test_marks_only_trained_claims():
    rows = [claims.ClaimRow(criteria.MEM_REACHES, "x", "y", HOLDS),
            claims.ClaimRow(criteria.STRIPES_UNTRAINED, "x", "y", HOLDS)]
    marked = claims.smoke_test(rows, "quick")
    assert marked[0].note.startswith("smoke test") and marked[1].note == ""
