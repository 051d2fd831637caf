"""Seed 000 study: every claim function on small synthetic numbers with a known verdict."""

import numpy as np
import pytest

from jaxprobe.analysis.verdicts import DOES_NOT_HOLD, HOLDS, NOT_COMPARABLE, NOT_MEASURABLE, PARTLY
from jaxprobe.studies.bp_dnn import claims, measures, protocol

STRONG, WEAK = (0.95, 0.4), (0.2, -0.05)


def test_accuracy_is_judged_only_on_full_mnist():
    kw = dict(n_test=10_000, steps=10_000, test_desc="MNIST")
    assert claims.accuracy(97.6, 97.51, n_train=60_000, **kw).verdict == HOLDS
    assert claims.accuracy(90.0, 97.51, n_train=60_000, **kw).verdict == DOES_NOT_HOLD
    assert claims.accuracy(97.6, 97.51, n_train=4_500, **kw).verdict == NOT_COMPARABLE


@pytest.mark.parametrize("layers, verdict", [([STRONG] * 5, HOLDS), ([STRONG] + [WEAK] * 4, PARTLY),
                                             ([WEAK] * 5, DOES_NOT_HOLD)])
def test_targets_discriminant_at_init(layers, verdict):
    assert claims.targets_discriminant_at_init(layers).verdict == verdict


def test_higher_layers_more_discriminant():
    rising = [(0.5, 0.1), (0.6, 0.2), (0.9, 0.4), (0.95, 0.5), (1.0, 0.6)]
    assert claims.higher_layers_more_discriminant(rising, rising, 100).verdict == HOLDS
    assert claims.higher_layers_more_discriminant(rising, rising[::-1], 100).verdict == PARTLY
    assert claims.higher_layers_more_discriminant(rising[::-1], rising[::-1], 100).verdict == DOES_NOT_HOLD


def test_targets_sharpen():
    t0 = [(0.8, 0.1)] * 5
    assert claims.targets_sharpen(t0, [(0.9, 0.3)] * 5, 100).verdict == HOLDS
    assert claims.targets_sharpen(t0, [(0.9, 0.0)] * 5, 100).verdict == PARTLY
    assert claims.targets_sharpen(t0, [(0.7, 0.0)] * 5, 100).verdict == DOES_NOT_HOLD


def test_z1_grows():
    steps = (10, 30, 300)
    assert claims.z1_grows([(0.7, 0.0), (0.8, 0.1), (0.9, 0.2)], steps).verdict == HOLDS
    assert claims.z1_grows([(0.7, 0.0), (0.8, 0.3), (0.9, 0.2)], steps).verdict == PARTLY
    assert claims.z1_grows([(0.9, 0.2), (0.8, 0.1), (0.7, 0.0)], steps).verdict == DOES_NOT_HOLD


def test_z1_meets_target():
    assert claims.z1_meets_target((0.9, 0.30), (0.92, 0.35), 300).verdict == HOLDS
    assert claims.z1_meets_target((0.9, 0.10), (0.92, 0.35), 300).verdict == PARTLY
    assert claims.z1_meets_target((0.5, 0.10), (0.92, 0.35), 300).verdict == DOES_NOT_HOLD


def test_features_far_at_init_and_gain():
    far, near = [(0.2, 0.0)] * 5, [(0.9, 0.5)] * 5
    assert claims.features_far_at_init(far, (0.8, 0.1)).verdict == HOLDS
    assert claims.features_far_at_init([(0.8, 0.0)] * 5, (0.8, 0.1)).verdict == PARTLY
    assert claims.features_far_at_init(near, (0.8, 0.1)).verdict == DOES_NOT_HOLD
    assert claims.features_gain(far, near, 300, (0.8, 0.1)).verdict == HOLDS
    assert claims.features_gain(far, far[:4] + near[:1], 300, (0.8, 0.1)).verdict == PARTLY
    assert claims.features_gain(near, far, 300, (0.8, 0.1)).verdict == DOES_NOT_HOLD


def test_exact_identities():
    assert claims.direct_losses_exact(3e-7).verdict == HOLDS
    assert claims.direct_losses_exact(0.2).verdict == DOES_NOT_HOLD
    assert claims.guided_equals_guided_backprop(0.0, 10).verdict == HOLDS
    assert claims.guided_equals_guided_backprop(0.01, 10).verdict == DOES_NOT_HOLD


def test_cosine_rises():
    steps = (0, 100, 300)
    assert claims.cosine_rises({0: [0.0] * 5, 100: [0.2] * 5, 300: [0.3] * 5}, steps).verdict == HOLDS
    assert claims.cosine_rises({0: [0.0] * 5, 100: [0.6] * 5, 300: [0.3] * 5}, steps).verdict == PARTLY
    assert claims.cosine_rises({0: [0.3] * 5, 100: [0.2] * 5, 300: [0.1] * 5}, steps).verdict == DOES_NOT_HOLD


def test_guided_beats_bp():
    paired = lambda frac: {"fraction_higher": frac, "p_value": 0.01, "n": 100}
    assert claims.guided_beats_bp(0.4, 0.1, paired(0.9)).verdict == HOLDS
    assert claims.guided_beats_bp(0.4, 0.1, paired(0.3)).verdict == PARTLY
    assert claims.guided_beats_bp(0.1, 0.4, paired(0.3)).verdict == DOES_NOT_HOLD


def test_fig8_is_not_measurable():
    assert claims.highlights_on_strokes(0.9, 0.3, 100).verdict == NOT_MEASURABLE


def test_paired_comparison_counts_defined_pairs_only():
    out = measures.paired_comparison([1.0, 2.0, np.nan, 0.0], [0.0, 3.0, 1.0, -1.0])
    assert out["n"] == 3 and out["fraction_higher"] == pytest.approx(2 / 3)
    assert np.isnan(out["p_value"])  # too few pairs for the signed-rank test
    with pytest.raises(ValueError, match="b: shape"):
        measures.paired_comparison([1.0], [1.0, 2.0])


def test_box_centres_on_ink_finds_a_single_stroke():
    digit = np.zeros((1, 784))
    digit[0, 10 * 28 + 5:10 * 28 + 20] = 1.0  # a horizontal stroke on row 10
    on = measures.box_centres_on_ink(digit, digit, n_boxes=1)
    off = np.zeros((1, 784))
    off[0, 25 * 28 + 25] = 1.0  # the map's peak is far from the stroke
    assert on == 1.0 and measures.box_centres_on_ink(digit, off, n_boxes=1) == 0.0


def test_snapshot_plan_and_solver():
    assert protocol.snapshot_plan(50, (10, 30, 50, 100)) == ((10, 30, 50), (0, 10, 30, 50))
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        protocol.snapshot_plan(0, (10,))
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        protocol.caffe_lenet_solver(-1)


@pytest.mark.parametrize("module", ["protocol", "measures", "claims", "figures", "tables"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"jaxprobe.studies.bp_dnn.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
