"""Seed 002 study: the layer outputs it factorises, its protocol, and claims that reach every outcome."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxprobe as jp
from jaxprobe.models import max_pool
from jaxprobe.probes.layer_outputs import pooled_output, pooled_outputs
from jaxprobe.studies.coupled_nmf import claims, protocol as P
from jaxprobe.studies.coupled_nmf.claims import CASE_I, CASE_II_SUBSETS, TRAINED

NET = P.network()


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(0)
    return rng.random((6, 28, 28)).astype(np.float32)


def test_pooled_outputs_are_what_the_next_stage_reads(digits):
    params = NET.init(jax.random.key(0))
    a0, a1 = pooled_outputs(NET, params, digits, (1, 2))
    assert a0.shape == (6, 1440) and a1.shape == (6, 320) and a0.min() >= 0 and a1.min() >= 0
    conv1 = jax.nn.relu(NET.stage_affine(params, 1, jnp.asarray(digits[2])))       # (24, 24, 10)
    np.testing.assert_allclose(a0[2], np.asarray(max_pool(conv1, 2)).ravel(), rtol=1e-6)
    # the dense stage maps the pooled layer-2 output to the logits: W a1 + b
    logits = a1 @ np.asarray(params[2]["kernel"]) + np.asarray(params[2]["bias"])
    np.testing.assert_allclose(logits, np.asarray(NET.apply(params, jnp.asarray(digits))), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(pooled_output(NET, params, digits[2], 2)), a1[2], rtol=1e-6)
    with pytest.raises(ValueError, match=r"layer must be an integer in 1..3"):
        pooled_outputs(NET, params, digits, (0,))
    with pytest.raises(ValueError, match="add a leading axis"):
        pooled_outputs(NET, params, digits[0], (1,))


def test_protocol_segments_batches_and_blocks(digits):
    y = np.repeat(np.arange(10), 4)
    x = np.arange(40, dtype=np.float32)[:, None, None] * np.ones((1, 28, 28), np.float32)
    sizes = {c.key: [len(s[1]) for s in P.training_segments(c, x, y)] for c in P.CONDITIONS}
    assert sizes == {"I-25": [10], "I-50": [20], "I-75": [30], "I-100": [40], "II-0": [4], "II-0-4": [20],
                     "II-5-9": [20], "III": [4] * 10, "untrained": []}
    assert [int(s[1][0]) for s in P.training_segments(P.condition("III"), x, y)] == list(P.CLASS_ORDER)
    assert set(P.training_segments(P.condition("II-5-9"), x, y)[0][1].tolist()) == {5, 6, 7, 8, 9}
    assert P.batch_size_for(4500) == 5 and P.batch_size_for(60_000) == P.SEED_BATCH and P.batch_size_for(10) == 1
    with pytest.raises(ValueError, match="condition 'IV' is not known"):
        P.condition("IV")
    params = P.train(NET, P.condition("untrained"), x, y, seed=3, batch_size=5)
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(NET.init(jax.random.key(3)))))
    blocks = P.blocks_of(NET, params, digits)
    assert [b.shape for b in blocks] == [(784, 6), (1440, 6), (320, 6)]
    np.testing.assert_allclose(blocks[0][:, 1], digits[1].ravel())
    for b in P.normalise(blocks):
        assert np.sqrt(np.mean(b.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-5)


def test_measure_network_on_a_tiny_set(digits):
    params = NET.init(jax.random.key(1))
    y = np.arange(6) % 10
    m = P.measure_network(NET, params, digits, y, np.arange(6), ranks=(2, 3), key=jax.random.key(0), iterations=3,
                          inner_steps=1)
    assert 0 <= m["accuracy"] <= 1 and m["recall"].shape == (10,)
    assert m["raw"]["rmse"].shape == (2,) and m["normalised"]["block_rmse"].shape == (2, 3)
    assert [a.shape for a in m["raw"]["loadings"]] == [(784, 2), (1440, 2), (320, 2)]
    assert [s.shape for s in m["spectra"]] == [(6,), (6,)] and m["class_means"].shape == (10, 320)
    assert np.all(m["effective_rank"] >= 1) and np.all(m["dead_share"] <= 1)


# ------------------------------------------------------------------------ claims on planted numbers
SEEDS, RANKS = 3, 5


def _results(rmse, effective=None, accuracy=None, normalised=None):
    """Synthetic measurements: ``rmse[key]`` one number per condition (spread over ranks and seeds)."""
    out = {}
    for c in P.CONDITIONS:
        k = c.key
        base = rmse[k] * (1 + 0.1 * np.arange(RANKS)[::-1])          # falls with rank
        norm = (normalised or rmse)[k] * (1 + 0.1 * np.arange(RANKS)[::-1])
        eff = (effective or {}).get(k, 5.0)
        acc = (accuracy or {}).get(k, 0.5)
        out[k] = [{"accuracy": acc + 0.001 * s, "recall": np.full(10, 0.5), "raw": {"rmse": base + 1e-4 * s,
                                                                                      "loadings": None},
                   "normalised": {"rmse": norm + 1e-4 * s, "block_rmse": np.stack([norm] * 3, 1) + 1e-4 * s},
                   "effective_rank": np.array([eff, eff + 1e-3 * s]),
                   "class_means": np.eye(10, 320)} for s in range(SEEDS)]
    return out


GOOD = {"I-25": 0.1, "I-50": 0.2, "I-75": 0.3, "I-100": 0.4, "II-0": 0.1, "II-0-4": 0.2, "II-5-9": 0.2, "III": 0.1,
        "untrained": 0.05}


def _row(rows, name):
    return next(r for r in rows if r.criterion.claim.startswith(name))


def test_rmse_claims_hold_fail_and_are_caught_by_the_control():
    rows = claims.rmse_rows(_results(GOOD))
    for name in ("case I:", "case II:", "case III:"):
        assert _row(rows, name).outcome == "holds" and _row(rows, name).verdict == "holds"
    reversed_ = {k: 1 - v for k, v in GOOD.items()}
    assert all(r.outcome == "does not hold" for r in claims.rmse_rows(_results(reversed_)))
    # the untrained network above every trained one: the control holds, the claim cannot discriminate
    high_control = dict(GOOD, untrained=0.9)
    rows = claims.rmse_rows(_results(high_control))
    assert {r.verdict for r in rows} == {"not discriminating"}
    # half the cells: partly (case I ordered at one rank-profile, broken at the other seeds' ranks)
    partly = claims.rmse_rows(_results(dict(GOOD, **{"II-0": 0.5, "II-0-4": 0.5})))
    assert _row(partly, "case II:").outcome == "does not hold"
    assert claims.share_outcome(claims.below_share(np.array([0.1, 0.5]), np.array([0.3, 0.3]))) == "partly"


def test_spectra_reading_and_accuracy_claims_reach_every_outcome():
    eff_good = {"I-25": 2, "I-50": 3, "I-75": 4, "I-100": 5, "II-0": 1, "II-0-4": 2, "II-5-9": 2, "III": 1,
                "untrained": 1}
    rows = claims.spectra_rows(_results(GOOD, effective=eff_good))
    assert [r.verdict for r in rows] == ["holds", "holds", "holds"]
    rows = claims.spectra_rows(_results(GOOD, effective=dict(eff_good, untrained=9)))
    assert [r.verdict for r in rows] == ["not discriminating"] * 3
    acc = {"I-25": 0.8, "I-50": 0.85, "I-75": 0.9, "I-100": 0.95, "II-0": 0.1, "II-0-4": 0.5, "II-5-9": 0.45,
           "III": 0.1}
    reading = claims.reading_rows(_results(GOOD, effective=eff_good, accuracy=acc))
    assert [r.verdict for r in reading] == ["holds"] * 5
    anti = claims.reading_rows(_results({k: 1 - v for k, v in GOOD.items()}, accuracy=acc,
                                        effective={k: 10 - v for k, v in eff_good.items()}))
    assert [r.verdict for r in anti] == ["does not hold"] * 5
    assert claims.reading_outcome(np.array([0.6, 0.5, -0.1])) == "partly"
    assert claims.reading_outcome(np.array([0.9, np.nan])) == "not measurable"
    near = {"I-25": 0.83, "I-50": 0.89, "I-75": 0.93, "I-100": 0.95, "II-0": 0.09, "II-0-4": 0.45, "II-5-9": 0.47,
            "III": 0.30}   # {0..4} 5 points off the seed's 50 %, case III 21 points off its 9 %
    rows = claims.accuracy_rows(_results(GOOD, accuracy=near), n_train=4500, batch=5)
    assert [r.outcome for r in rows] == ["holds", "partly", "does not hold"]
    assert "900 updates" in rows[0].note


def test_case_three_rows():
    res = _results(GOOD)
    for m in res["III"]:
        m["recall"] = np.r_[np.zeros(9), 0.9]
    assert claims.recognises_9(res).verdict == "holds"
    for m in res["III"]:
        m["recall"] = np.r_[np.zeros(8), 0.9, 0.1]
    row = claims.recognises_9(res)
    assert row.verdict == "does not hold" and "best-recognised digit: 8" in row.ours
    means = np.zeros((10, 4))
    for d in (9, 1, 6, 7, 2):
        means[d] = [1, 1, 0, 0]
    means[0], means[3], means[8] = [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1]
    for m in res["III"]:
        m["class_means"] = means
    assert claims.neuron_pairs(res).outcome == "holds"
    assert claims.participation([None, np.eye(4)]) == pytest.approx(0.25)
    spread_out, one_neuron = np.ones((8, 2)), np.eye(8, 2)
    for key, O in (("III", one_neuron), ("I-100", spread_out), ("untrained", one_neuron * 0)):
        for m in res[key]:
            m["raw"]["loadings"] = [None, O, O]               # all-zero loadings: participation 0
    assert claims.underutilised(res).verdict == "holds"
    for m in res["untrained"]:
        m["raw"]["loadings"] = [None, spread_out, spread_out]  # the untrained network spreads its factors wider
    assert claims.underutilised(res).verdict == "not discriminating"
    for m in res["III"]:
        m["raw"]["loadings"] = [None, spread_out, spread_out]
    assert claims.underutilised(res).verdict == "does not hold"


def test_spread():
    assert claims.spread([1.0, 3.0], 1) == "2.0 ± 1.4" and claims.spread([2.0]) == "2.000"
