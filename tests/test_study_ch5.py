"""Thesis Ch. 5 study: measures pinned to hand cases, every verdict outcome reached, the readings of §5.2."""

import jax
import numpy as np
import pytest

from jaxprobe.parallel import unstack
from jaxprobe.analysis.verdicts import DOES_NOT_HOLD, HOLDS, NOT_DISCRIMINATING, NOT_MEASURABLE, PARTLY
from jaxprobe.studies.jumps import jump_network
from jaxprobe.studies.thesis_ch5 import analyses as A, claims, measures as M, protocol as P
from jaxprobe.studies.thesis_ch5.signals import handmade_signals

STEP = np.r_[np.zeros(49), 3 * np.ones(51)]  # a clean step at 50 (x_50 is the first high sample)


def thesis_like(t0: int) -> np.ndarray:
    """Fig. 5.1's shape: flat, a linear drop to −1 on positions t0−5..t0−1, a jump of 4 into t0, a decay to 0.5."""
    x = np.zeros(100)
    x[t0 - 6:t0 - 1] = -np.linspace(0.2, 1.0, 5)
    x[t0 - 1:] = 0.5 + 2.5 * np.exp(-np.arange(101 - t0))
    return x


# ------------------------------------------------------------------------------------------ measures
def test_jump_position_and_hits_on_stacks():
    x = np.stack([STEP, np.roll(STEP, 3), np.roll(STEP, -10)])
    assert M.jump_position(x).tolist() == [50, 53, 40]
    assert M.hits(x, 51, tolerance=2).tolist() == [True, True, False]


def test_shape_measures_of_a_thesis_like_signal():
    x = thesis_like(40)
    height = 3.0 + 1.0                          # from −1 to 0.5 + 2.5
    assert M.jump_height(x, 40) == pytest.approx(height)
    assert M.dip_before(x, 40) == pytest.approx(1.0 / height)              # earlier level 0, min −1
    assert M.drop_after(x, 40) == pytest.approx(2.5 / height, abs=1e-6)    # peak 3, later level 0.5
    assert M.plateau(x, 40) == pytest.approx(0.5 / height, abs=1e-6)
    # kept: the drop 0 → −0.8 (the step −0.8 → −1 into t0−1 is the jump's), the decay after t0+1; range 4
    assert M.roughness(x, 40) == pytest.approx((0.8 + 2.5 * np.exp(-1)) / 4.0, abs=1e-6)


def test_measures_are_nan_without_a_rise_and_refuse_bad_positions():
    assert np.isnan(M.dip_before(-STEP, 50)) and np.isnan(M.plateau(-STEP, 50))
    with pytest.raises(ValueError, match="position must be an integer in 2..100"):
        M.roughness(STEP, 101)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., n\)"):
        M.jump_position(np.zeros(2))


def test_peak_measures():
    spike = np.zeros(100)
    spike[49], spike[51] = -4.0, 1.0          # a negative peak at 50, overshoot after: aligned to positive
    assert M.peak_position(spike) == 50
    assert M.peak_sharpness(spike) == pytest.approx(1.0)
    assert M.undershoot(spike) == pytest.approx(0.25)
    tent = np.maximum(0, 5 - np.abs(np.arange(100) - 49))  # height 5, ≥ 2.5 on 5 samples
    assert M.peak_sharpness(tent) == pytest.approx(1 / 5)
    assert M.shape_similarity(tent, -3 * tent + 2) == pytest.approx(1.0)


def test_handmade_signals_rise_at_50_and_are_not_steps():
    for name, s in handmade_signals().items():
        assert M.jump_position(s) == 50, name
        assert not np.allclose(s, STEP), name
    with pytest.raises(ValueError, match="position must be an integer"):
        handmade_signals(position=95)


# ------------------------------------------------------------------------------------------ outcomes
def cell(hit=1.0, before=0.5, after=0.5, plateau=0.2):
    return {"hit": hit, "dip_before": before, "drop_after": after, "plateau": plateau, "roughness": 0.1}


@pytest.mark.parametrize("cells, expected", [
    ({21: cell(before=0.0), 40: cell(), 60: cell(), 80: cell(after=0.0)}, HOLDS),
    ({21: cell(before=0.5), 40: cell(), 60: cell(), 80: cell(after=0.5)}, PARTLY),          # 4 of 6
    ({21: cell(hit=0.2), 40: cell(hit=0.2), 60: cell(hit=0.2), 80: cell(hit=0.2)}, DOES_NOT_HOLD),  # no jump seen
])
def test_dips_outcomes(cells, expected):
    assert claims.dips_outcome(cells) == expected


def test_every_outcome_of_the_threshold_claims():
    assert [claims.hit_outcome(v) for v in (0.95, 0.6, 0.1, float("nan"))] == [HOLDS, PARTLY, DOES_NOT_HOLD,
                                                                              NOT_MEASURABLE]
    assert [claims.plateau_outcome([cell(plateau=v)] * 2) for v in (0.2, 1.0)] == [HOLDS, DOES_NOT_HOLD]
    assert claims.plateau_outcome([cell(plateau=0.2), cell(plateau=-0.1)]) == PARTLY
    assert [claims.reaches_outcome(v) for v in (1.0, 0.95, 0.2)] == [HOLDS, PARTLY, DOES_NOT_HOLD]
    assert [claims.third_same_outcome(v) for v in (0.95, 0.75, 0.1)] == [HOLDS, PARTLY, DOES_NOT_HOLD]
    assert [claims.first_same_outcome(v) for v in ([1, 1], [1, 0], [0, 0])] == [HOLDS, PARTLY, DOES_NOT_HOLD]
    assert [claims.undershoot_outcome(*v) for v in ((50, 0.1), (52, 0.9), (70, 0.9))] == [HOLDS, PARTLY,
                                                                                        DOES_NOT_HOLD]
    assert [claims.mlp4_outcome(*v) for v in ((0, 0, 1), (0, 1, 1), (1, 1, 0))] == [HOLDS, PARTLY, DOES_NOT_HOLD]
    assert [claims.fig7_1_outcome(np.full((5, 9), p)) for p in (50, 21)] == [HOLDS, DOES_NOT_HOLD]
    assert claims.fig7_1_outcome(np.r_[np.full(6, 50), np.full(4, 49)][None]) == PARTLY
    assert [claims.regularisers_outcome(d) for d in ({"a": 0.5}, {"a": 0.5, "b": 0.0}, {"a": 0.0})] == \
        [HOLDS, PARTLY, DOES_NOT_HOLD]


def test_depth_and_rank_outcomes():
    assert [claims.noisier_outcome(r) for r in ([1, 2, 3, 4], [1, 2, 1.5, 3], [4, 3, 2, 1])] == \
        [HOLDS, PARTLY, DOES_NOT_HOLD]
    assert claims.spearman([0.3, 0.31, 0.36, 0.39], [2, 1, 4, 3]) == pytest.approx(0.6)
    assert [claims.clearer_outcome([1, 2, 3, 4], r) for r in ([1, 2, 3, 4], [2, 1, 4, 3], [4, 3, 2, 1])] == \
        [HOLDS, PARTLY, DOES_NOT_HOLD]
    assert claims.clearer_outcome([1, 1, 1, 1], [1, 2, 3, 4]) == NOT_MEASURABLE
    sharp = lambda *s: list(s)
    assert claims.sharper_outcome([sharp(0.1, 0.2), sharp(0.1, 0.2, 0.5)]) == HOLDS
    assert claims.sharper_outcome([sharp(0.1, 0.2), sharp(0.3, 0.2, 0.5)]) == PARTLY     # 3 of 4 pairs
    assert claims.sharper_outcome([sharp(0.3, 0.2), sharp(0.5, 0.2, 0.1)]) == DOES_NOT_HOLD


def test_a_control_that_also_jumps_makes_the_claim_not_discriminating():
    trained = {f"@{p}": cell() for p in P.MLP_POSITIONS}
    assert claims.jump_row(claims.C.JUMP_MLP1, trained, {"@21": cell(hit=0.0)}, "x").verdict == HOLDS
    assert claims.jump_row(claims.C.JUMP_MLP1, trained, trained, "x").verdict == NOT_DISCRIMINATING


# ------------------------------------------------------------------------------------------ protocol
def test_label_of_and_synthesise_refuses_positions_outside_21_80():
    assert (P.label_of(21), P.label_of(80)) == (0, 59)
    net = jump_network("mlp1")
    with pytest.raises(ValueError, match="positions"):
        P.synthesise(net, P.untrained_params(net, 1), [20], 2, key=jax.random.key(0), max_iter=2)


def test_downstream_network_and_forwarded_layers_agree_with_the_full_network():
    net = jump_network("cnn2")
    params = P.untrained_params(net, 2, seed=3)
    x = jax.random.normal(jax.random.key(1), (2, 3, 100))                 # (K, S, 100)
    layers = P.forwarded_layers(net, params, x)
    assert [l.shape for l in layers] == [(2, 3, 100)] * 3
    one = unstack(params, 1)
    trace = net.trace(one, x[1])
    np.testing.assert_allclose(layers[2][1], np.asarray(trace.post[1]).reshape(3, 100), rtol=1e-5, atol=1e-5)
    sub = P.downstream_network(net, 1)
    np.testing.assert_allclose(sub.apply(tuple(one[1:]), trace.post[0]), net.apply(one, x[1]), rtol=1e-5, atol=1e-5)


def test_handmade_predictions_are_positions():
    net = jump_network("mlp2")
    pred, conf = A.handmade_predictions(net, P.untrained_params(net, 2))
    assert pred.shape == conf.shape == (2, 9)
    assert pred.min() >= 21 and pred.max() <= 80 and ((conf > 0) & (conf < 1)).all()


def test_cnn_rows_note_the_reached_starts_and_survive_a_cnn_that_never_reached():
    k, s = 2, 3
    step = np.broadcast_to(STEP, (k, 1, s, 100)).copy()
    stuck = P.Synthesis(step, np.zeros((k, 1, s)), np.full((k, 1, s), 9), np.zeros((k, 1, s), bool))
    done = stuck._replace(stopped=np.ones((k, 1, s), bool))
    layers = [step[:, 0], step[:, 0] * 2]
    readings = {"cnn1": A.CnnReadings(layers, layers, [done])}
    rows = A.cnn_rows({"cnn1": A.Pair(stuck, done)}, readings, readings)
    assert [r.criterion.claim for r in rows][:1] == [claims.C.JUMP_CNN.claim]
    assert all("reached 0.999 only (cnn1 0/6)" in r.note for r in rows)
    assert rows[0].outcome == HOLDS and "outcome there: not measurable" in rows[0].note
