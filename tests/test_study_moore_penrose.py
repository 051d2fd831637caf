"""The Moore–Penrose study (seed 001 §4.3.4–§4.3.5): grids, claim checks on synthetic numbers."""

import numpy as np
import pytest

from jaxprobe.moore_penrose import CellEstimate
from jaxprobe.studies.moore_penrose import claims, trials
from jaxprobe.studies.moore_penrose.networks import InitCurves, SubsetTrials


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


# --- claims --------------------------------------------------------------------------------------


@pytest.mark.parametrize("successes,trials_,verdict", [(0, 10**6, "holds"), (50, 10**6, "does not hold")])
def test_thesis_p2_cell(successes, trials_, verdict):
    rows = claims.thesis_cell_rows([cell(10, 2, successes, trials_)])
    assert [r.verdict for r in rows] == [verdict]
    assert rows[0].thesis == "< 1e-5"


@pytest.mark.parametrize("successes,verdict", [(3000, "holds"), (1000, "does not hold")])
def test_thesis_p10_cell(successes, verdict):
    assert claims.thesis_cell_rows([cell(50, 10, successes, 10_000)])[0].verdict == verdict


def test_reproducing_readings_needs_both_cells():
    es = [cell(10, 2, 0, 10**6), cell(10, 2, 0, 10**6, "linear")]
    assert claims.reproducing_readings(es) is None
    es += [cell(50, 10, 3000, 10_000), cell(50, 10, 10, 10_000, "linear")]
    readings = claims.reproducing_readings(es)
    assert readings == {"centred": {(10, 2): True, (50, 10): True}, "linear": {(10, 2): True, (50, 10): False}}
    assert "reproduces the thesis's two numbers:** centred." in claims.reproducing_sentence(readings)


def test_decreasing_row():
    down = [cell(4, 2, 500, 1000), cell(5, 2, 100, 1000), cell(4, 2, 50, 1000, "linear"),
            cell(5, 2, 10, 1000, "linear")]
    assert claims.decreasing_row(down, (2,)).verdict == "holds"
    up = down[:2] + [cell(4, 2, 10, 1000, "linear"), cell(5, 2, 500, 1000, "linear")]
    assert claims.decreasing_row(up, (2,)).verdict == "partly"


def test_scaleup_row():
    es = [cell(10, 2, 0, 10**6), cell(50, 10, 2000, 10_000)]
    assert claims.scaleup_row(es, (2, 10)).verdict == "holds"
    es = [cell(10, 2, 10, 1000), cell(50, 10, 20, 1000)]
    assert claims.scaleup_row(es, (2, 10)).verdict == "does not hold"
    assert claims.scaleup_row(es[:1], (2,)).verdict == "not measurable"
    assert claims.scaleup_row([], (2,)) is None


def test_separation_row():
    ordered = [cell(n, 2, s, 10_000, r=r) for n in trials.FIG415_NS for r, s in ((0.0, 100), (0.1, 300), (0.2, 900))]
    assert claims.separation_row(ordered).verdict == "holds"
    flat = [cell(n, 2, 100, 10_000, r=r) for n in trials.FIG415_NS for r in trials.FIG415_RS]
    assert claims.separation_row(flat).verdict == "partly"


def test_init_speedup_row():
    def curves(mp_loss):
        c = lambda loss: InitCurves(np.arange(3), np.array(loss)[:, None], np.zeros((3, 1)), np.zeros(1))
        return {(4, "standard"): c([6.0, 4.0, 3.0]), (4, "mp"): c(mp_loss)}

    assert claims.init_speedup_row(curves([4.0, 3.5, 3.0]), (4,)).verdict == "holds"
    assert claims.init_speedup_row(curves([4.0, 4.5, 3.0]), (4,)).verdict == "does not hold"


def test_codes_below_random_counts_significant_cells():
    es = [cell(n, 2, 500, 1000) for n in range(4, 11)]
    rows = [SubsetTrials(2, 0, n, "centred", 0 if n < 6 else 500, 1000) for n in range(4, 11)]
    assert claims.cells_below_random(rows, es, (2,)) == (2, 7)
    assert claims.codes_vs_random(rows, es, (2,)) == [[2, 4, 0.0, 0.5], [2, 10, 0.5, 0.5]]
