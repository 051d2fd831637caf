"""The Moore–Penrose study (seed 001 §4.3.4–§4.3.5): grids, criteria reaching every outcome on
synthetic numbers, the output-layer initialisations on a small network."""

import numpy as np
import pytest

from jaxprobe.analysis.verdicts import VERDICTS
from jaxprobe.models import mlp
from jaxprobe.parallel import unstack
from jaxprobe.moore_penrose import CellEstimate
from jaxprobe.studies.moore_penrose import claims, networks, trials
from jaxprobe.studies.moore_penrose.networks import InitCurves, SubsetTrials

HOLDS, PARTLY, NO, NOT_DISC, NOT_MEAS = "holds", "partly", "does not hold", "not discriminating", "not measurable"


def cell(n, p, successes, trials_, variant="centred", r=0.0, beyond=False):
    return CellEstimate(n, p, variant, float(r), successes, trials_, trials_, 0.0, beyond)


# --- grids ---------------------------------------------------------------------------------------


def test_fig414_cells_default_is_every_n_of_the_thesis_grid():
    cells = trials.fig414_cells()
    assert len(cells) == sum(3 * p + 1 for p in trials.FIG414_PS)
    assert (4, 2) in cells and (50, 10) in cells and (51, 10) not in cells


def test_half_p_steps_hit_2p_and_5p():
    for p in trials.FIG414_PS:
        grid = trials.n_grid(p, dense=False)
        assert grid[0] == 2 * p and grid[-1] == 5 * p and len(grid) == 7


def test_curve_orders_by_n_and_find_cell():
    es = [cell(6, 2, 1, 10), cell(4, 2, 5, 10), cell(4, 2, 2, 10, variant="linear")]
    c = trials.curve(es, 2, "centred")
    assert c.n.tolist() == [4, 6] and c.prob.tolist() == [0.5, 0.1]
    assert trials.find_cell(es, 4, 2, "linear").successes == 2
    assert trials.find_cell(es, 5, 2, "centred") is None


def test_trial_budget_max_per_p():
    assert trials.TrialBudget(1, 1, 1, {2: 7}).max_for(2) == 7
    assert trials.TrialBudget(1, 1, 1, 9).max_for(4) == 9


def test_correct_columns_counts_hand_case():
    # four collinear points on a line: the two ends are extreme, the inner two never win their column
    line = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    assert trials.correct_columns(line) == 2
    assert trials.correct_columns(np.eye(3)[:, :2]) == 3


# --- criteria are declared once, each with the thesis's words --------------------------------------


def test_criteria_are_complete_and_unique():
    names = [c.claim for c in claims.CRITERIA]
    assert len(set(names)) == len(names) == 7
    for c in claims.CRITERIA:
        assert c.quote and "§" in c.source and c.measure and c.holds and c.partly
    assert [c.claim for c in claims.CRITERIA if c.trained] == [claims.MP_INIT_SPEED.claim,
                                                               claims.CODES_LIKE_RANDOM.claim]


# --- §4.3.4's two numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("successes,trials_,verdict", [
    (0, 10**6, HOLDS),  # upper bound 3.7e-6 < 1e-5
    (0, 10**5, PARTLY),  # estimate 0 but upper bound 3.7e-5
    (50, 10**6, NO),  # 5e-5
])
def test_thesis_p2_n10_outcomes(successes, trials_, verdict):
    rows = claims.thesis_cell_rows([cell(10, 2, successes, trials_)])
    assert rows[0].criterion.claim == "P(success) p = 2, n = 10 (centred)" and rows[0].verdict == verdict
    assert rows[0].thesis == "< 1e-5"


@pytest.mark.parametrize("successes,verdict", [(3000, HOLDS), (104, PARTLY), (50, NO)])
def test_thesis_p10_n50_outcomes(successes, verdict):
    trials_ = 10_000 if successes != 104 else 1000
    rows = claims.thesis_cell_rows([cell(50, 10, successes, trials_)])
    assert [r.verdict for r in rows if "p = 10" in r.criterion.claim and "centred" in r.criterion.claim] == [verdict]


def test_thesis_cells_not_run_are_not_measurable():
    rows = claims.thesis_cell_rows([])
    assert len(rows) == 4 and {r.verdict for r in rows} == {NOT_MEAS}


def test_bound_verdict_needs_one_side():
    with pytest.raises(ValueError, match="exactly one"):
        claims.bound_verdict(0.1, 0.0, 0.2)


def test_reproducing_readings_needs_both_cells():
    es = [cell(10, 2, 0, 10**6), cell(10, 2, 0, 10**6, "linear")]
    assert claims.reproducing_readings(es) is None
    es += [cell(50, 10, 3000, 10_000), cell(50, 10, 10, 10_000, "linear")]
    readings = claims.reproducing_readings(es)
    assert readings == {"centred": {(10, 2): True, (50, 10): True}, "linear": {(10, 2): True, (50, 10): False}}
    assert "reproduces the thesis's two numbers:** centred." in claims.reproducing_sentence(readings)
    assert claims.thesis_cell_metrics(es)["p10_n50_linear"] == 0.001


# --- Fig. 4.14 -----------------------------------------------------------------------------------


def _curve_cells(p, variant, counts):
    return [cell(n, p, s, 1000, variant) for n, s in zip(range(2 * p, 5 * p + 1), counts)]


DOWN, UP, FLAT = (500, 300, 100, 10, 0, 0, 0), (10, 100, 300, 500, 500, 500, 500), (100,) * 7


@pytest.mark.parametrize("shapes,verdict", [
    ((DOWN, DOWN), HOLDS), ((DOWN, UP), PARTLY), ((UP, FLAT), NO), ((), NOT_MEAS)])
def test_fig414_decreasing_outcomes(shapes, verdict):
    es = [c for v, shape in zip(("centred", "linear"), shapes) for c in _curve_cells(2, v, shape)]
    assert claims.decreasing_row(es, (2,) if shapes else ()).verdict == verdict


def test_a_flat_curve_does_not_decrease():
    assert claims.curve_decreases(trials.curve(_curve_cells(2, "centred", FLAT), 2, "centred")) is False
    assert claims.curve_decreases(trials.curve([cell(4, 2, 1, 10)], 2, "centred")) is None


@pytest.mark.parametrize("wide,tight,verdict", [
    (2000, 0, HOLDS),  # 0.2 vs an upper bound of 3.7e-4
    (2000, 100, PARTLY),  # 0.2 vs 0.01: easier, not 100×
    (20, 100, NO),
    (None, 0, NOT_MEAS),  # no p = 8, 10
])
def test_fig414_scale_up_outcomes(wide, tight, verdict):
    es = [cell(10, 2, tight, 10_000)] + ([cell(50, 10, wide, 10_000)] if wide is not None else [])
    assert claims.scale_up_row(es, (2, 10)).verdict == verdict


# --- Fig. 4.15 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("counts,verdict", [
    ((100, 300, 900), HOLDS), ((100, 110, 120), PARTLY), ((100, 300, 250), NO), ((300, 100, 100), NO),
    (None, NOT_MEAS)])
def test_fig415_separation_outcomes(counts, verdict):
    es = [] if counts is None else [cell(n, 2, s, 10_000, r=r) for n in trials.FIG415_NS
                                    for r, s in zip(trials.FIG415_RS, counts)]
    assert claims.separation_row(es).verdict == verdict


# --- (b) MP initialisation: matched starting loss, steps to a fixed accuracy ------------------------

TARGET = 0.15


def run(loss0, hit=None, acc0=0.05):
    """A synthetic curve: loss falls 0.001 per step from loss0; accuracy jumps to 0.2 at ``hit``."""
    step = np.arange(0, 101, 10)
    acc = np.where(step >= (hit if hit is not None else 10**9), 0.2, acc0)
    return InitCurves(step, (loss0 - 0.001 * step)[:, None], acc[:, None], np.zeros(1), np.zeros(1), np.ones(1))


def init_curves(mp_hit, zero_hit, matched_hit=20, standard_hit=None):
    return {(4, "mp"): run(4.0, mp_hit), (4, "zero"): run(4.01, zero_hit),
            (4, "standard"): run(4.05, standard_hit), (4, "mp_matched_standard"): run(4.05, matched_hit)}


@pytest.mark.parametrize("curves,verdict", [
    # zero starts its clock at step 10 (loss 4.0): 70 vs 20 steps; standard at 50, never reaches: ≥ 2.5×
    (init_curves(20, 80), HOLDS),
    (init_curves(20, 40), PARTLY),  # 30 vs 20 steps: faster, not 2×
    (init_curves(90, 40, matched_hit=None), NO),  # 30 vs 90 steps; the other pairs not measurable
    (init_curves(None, None, matched_hit=None), NOT_MEAS),
])
def test_mp_init_speed_outcomes(curves, verdict):
    row = claims.init_speed_row(curves, (4,), TARGET)
    assert row.verdict == verdict and row.criterion is claims.MP_INIT_SPEED


def test_matched_speedup_starts_the_baseline_clock_at_the_mp_loss():
    r = claims.matched_speedup(run(4.0, 20), run(4.01, 80), TARGET)
    assert r == dict(status="ok", mp_steps=20, base_steps=70, ratio=3.5)


def test_matched_speedup_refuses_a_head_start_and_unmatched_losses():
    assert claims.matched_speedup(run(4.0, 20, acc0=0.2), run(4.01, 80), TARGET)["status"] == "starts at target"
    assert claims.matched_speedup(run(4.0, 20), run(4.2, 80), TARGET)["status"] == "no matched start"
    # the MP run never reaches the target but its clock starts late: the bound says nothing
    assert claims.matched_speedup(run(4.09, None), run(4.0, 95), TARGET)["status"] == "inconclusive"


# --- (a) codes: trained vs untrained control ---------------------------------------------------------


def _codes(successes_by_n):
    return [SubsetTrials(2, 0, n, "centred", s, 1000) for n, s in zip(range(4, 11), successes_by_n)]


RANDOM = [cell(n, 2, 500, 1000) for n in range(4, 11)]
LIKE, BELOW, SOME = (500,) * 7, (0,) * 7, (0, 0, 0, 500, 500, 500, 500)


@pytest.mark.parametrize("trained,control,verdict", [
    (LIKE, BELOW, HOLDS), (SOME, BELOW, PARTLY), (BELOW, BELOW, NO), (LIKE, LIKE, NOT_DISC), (None, None, NOT_MEAS)])
def test_codes_outcomes(trained, control, verdict):
    t = [] if trained is None else _codes(trained)
    c = [] if control is None else _codes(control)
    row = claims.codes_row(t, c, RANDOM, (2,))
    assert row.verdict == verdict and row.control_verdict in VERDICTS


def test_codes_below_random_counts_significant_cells():
    rows = [SubsetTrials(2, 0, n, "centred", 0 if n < 6 else 500, 1000) for n in range(4, 11)]
    assert claims.cells_below_random(rows, RANDOM, (2,)) == (2, 7)
    assert claims.codes_vs_random(rows, RANDOM, (2,)) == [[2, 4, 0.0, 0.5], [2, 10, 0.5, 0.5]]


# --- output-layer initialisations on a small network ---------------------------------------------------


@pytest.fixture(scope="module")
def small_net():
    import jax

    model = mlp([100, 4, 60])
    params = model.init_stacked(jax.random.split(jax.random.key(3), 2))
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(60), 5)
    x = (3.0 * (np.arange(1, 101)[None] >= (y + 21)[:, None]) + rng.normal(0, 0.5, (300, 100))).astype(np.float32)
    return model, params, x, y


def test_zero_layer_starts_at_ln_60_and_matched_mp_at_the_standard_loss(small_net):
    model, params, x, y = small_net
    losses = {}
    for init in networks.INITS:
        p, scale = networks.output_layer(model, params, x, y, init)
        losses[init] = [networks.mean_cross_entropy(model.apply(unstack(p, k), x), y) for k in range(2)]
        np.testing.assert_array_equal(np.asarray(p[0]["kernel"]), np.asarray(params[0]["kernel"]))
        assert (scale != 1).all() == (init == "mp_matched_standard")
    np.testing.assert_allclose(losses["zero"], np.log(60), rtol=1e-6)
    np.testing.assert_allclose(losses["mp_matched_standard"], losses["standard"], rtol=1e-4)
    assert max(losses["mp"]) < np.log(60)  # the MP layer's small head start on the training set


def test_output_layer_rejects_unknown_init(small_net):
    with pytest.raises(ValueError, match="init='lsq' is not known"):
        networks.output_layer(*small_net, "lsq")


def test_match_scale_analytic_and_unreachable():
    # two classes, logits (1, −1), label 0: loss log(1 + e^{−2s}) ≤ ln 2 never reaches 1.0
    assert np.isnan(networks.match_scale(np.array([[1.0, -1.0]]), np.array([0]), 1.0))
    s = networks.match_scale(np.array([[1.0, -1.0]]), np.array([0]), 0.1)  # log(1 + e^{−2s}) = 0.1
    assert s == pytest.approx(-np.log(np.expm1(0.1)) / 2, rel=1e-8)


# --- (a): the code networks are trained by the thesis's SGD ---------------------------------------------


def test_code_networks_train_with_plain_sgd_and_report_their_best_epoch(small_net):
    """Issue 16: (a)'s codes come from plain SGD lr 0.01, batch 100 (thesis §3.3.1), not Adam."""
    import jax

    from jaxprobe.data.jumps import JumpSplits
    from jaxprobe.train import fit, make_optimizer

    _, _, x, y = small_net
    splits = JumpSplits(x[:200], y[:200], x[200:], y[200:], x[200:], y[200:], x[:60], y[:60], 0.5, 3.0)
    model, params0, res, _ = networks.train_bottlenecks(splits, 4, 2, 3, 7, patience=1)
    manual = fit(model, params0, (splits.train_x, splits.train_y), key=jax.random.split(jax.random.key(8), 2),
                 optimizer=make_optimizer("sgd", 0.01), batch_size=100, epochs=3,
                 valid=(splits.valid_x, splits.valid_y), eval_every=2, patience=1, progress=False, stacked=True)
    for a, b in zip(jax.tree.leaves(res.params), jax.tree.leaves(manual.params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    loss, acc = networks.validation_scores(model, res.best_params, splits.valid_x, splits.valid_y)
    rows = networks.code_training(res, 4, 2, 3, loss, acc)
    assert [(t.p, t.seed) for t in rows] == [(4, 0), (4, 1)]
    for t, step in zip(rows, res.best_step):
        assert t.best_epoch == step / 2 and 0 < t.best_epoch <= t.epochs_run <= t.max_epochs == 3
    assert len(networks.training_rows(rows)[0]) == len(networks.TRAINING_HEADER)
