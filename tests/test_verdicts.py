"""Verdict criteria and the small statistics behind claims, on hand cases at every boundary."""

import json
import math

import numpy as np
import pytest

from jaxprobe.analysis import stats
from jaxprobe.analysis.verdicts import (DOES_NOT_HOLD, HOLDS, NOT_DISCRIMINATING, NOT_MEASURABLE, PARTLY,
                                        VERDICTS, Criterion, at_least, at_most, check_verdict,
                                        count_outcomes, share, with_control, within)
from jaxprobe.report import Report


def test_at_least_boundaries():
    assert at_least(0.9, holds=0.9, partly=0.5) == HOLDS          # the threshold itself holds
    assert at_least(0.8999, holds=0.9, partly=0.5) == PARTLY
    assert at_least(0.5, holds=0.9, partly=0.5) == PARTLY
    assert at_least(0.4999, holds=0.9, partly=0.5) == DOES_NOT_HOLD
    assert at_least(0.4999, holds=0.9) == DOES_NOT_HOLD            # no partial outcome
    assert at_least(0.8999, holds=0.9) == DOES_NOT_HOLD
    assert at_least(None, holds=0.9) == NOT_MEASURABLE
    assert at_least(math.nan, holds=0.9, partly=0.5) == NOT_MEASURABLE
    with pytest.raises(ValueError, match="partly=0.95 must not exceed holds=0.9"):
        at_least(0.9, holds=0.9, partly=0.95)


def test_at_most_boundaries():
    assert at_most(0.05, holds=0.05, partly=0.1) == HOLDS
    assert at_most(0.0501, holds=0.05, partly=0.1) == PARTLY
    assert at_most(0.1, holds=0.05, partly=0.1) == PARTLY
    assert at_most(0.1001, holds=0.05, partly=0.1) == DOES_NOT_HOLD
    assert at_most(0.0501, holds=0.05) == DOES_NOT_HOLD
    assert at_most(math.nan, holds=0.05) == NOT_MEASURABLE
    with pytest.raises(ValueError, match="partly=0.01 must not be below holds=0.05"):
        at_most(0.0, holds=0.05, partly=0.01)


def test_share_and_within():
    assert share([True] * 4) == HOLDS
    assert share([True, True, False, False]) == PARTLY                 # exactly half
    assert share([True, False, False]) == DOES_NOT_HOLD
    assert share([]) == NOT_MEASURABLE
    assert share([True, True, True, False], holds=0.75, partly=None) == HOLDS
    assert share([True, True, False, False], holds=0.75, partly=None) == DOES_NOT_HOLD
    assert within(1.0, 1.0, 2.0) == HOLDS and within(2.0, 1.0, 2.0) == HOLDS
    assert within(0.999, 1.0, 2.0) == DOES_NOT_HOLD and within(2.001, 1.0, 2.0) == DOES_NOT_HOLD
    assert within(math.nan, 1.0, 2.0) == NOT_MEASURABLE


@pytest.mark.parametrize("verdict, control, expected", [
    (HOLDS, None, HOLDS),
    (HOLDS, DOES_NOT_HOLD, HOLDS),
    (HOLDS, HOLDS, NOT_DISCRIMINATING),
    (HOLDS, PARTLY, NOT_DISCRIMINATING),
    (PARTLY, PARTLY, NOT_DISCRIMINATING),
    (PARTLY, HOLDS, NOT_DISCRIMINATING),
    (PARTLY, DOES_NOT_HOLD, PARTLY),
    (DOES_NOT_HOLD, HOLDS, DOES_NOT_HOLD),
    (NOT_MEASURABLE, HOLDS, NOT_MEASURABLE),
])
def test_with_control(verdict, control, expected):
    assert with_control(verdict, control) == expected


def test_counting_and_checking_verdicts():
    counts = count_outcomes([HOLDS, HOLDS, PARTLY, NOT_DISCRIMINATING])
    assert list(counts) == list(VERDICTS)
    assert counts == {**{v: 0 for v in VERDICTS}, HOLDS: 2, PARTLY: 1, NOT_DISCRIMINATING: 1}
    assert check_verdict("verdict", PARTLY) == PARTLY
    with pytest.raises(ValueError, match=r"verdict='maybe' is not a verdict"):
        check_verdict("verdict", "maybe")
    with pytest.raises(ValueError, match=r"control='yes' is not a verdict"):
        with_control(HOLDS, "yes")
    with pytest.raises(ValueError, match=r"verdicts='sure' is not a verdict"):
        count_outcomes([HOLDS, "sure"])


def test_criterion_rule_text():
    c = Criterion("c", "quote", "seed 000 §1", "k-NN", holds="k-NN ≥ 0.9", partly="k-NN ≥ 0.5")
    assert c.rule() == "holds if k-NN ≥ 0.9; partly if k-NN ≥ 0.5; otherwise does not hold"
    assert Criterion("c", "q", "s", "m", holds="x").rule() == "holds if x; otherwise does not hold"


def test_spread_and_monotonicity():
    assert stats.within_spread(12.0, 10.0, 1.0, k=2.0)        # on the edge of mean ± 2σ
    assert not stats.within_spread(12.01, 10.0, 1.0, k=2.0)
    assert stats.within_spread(7.5, 10.0, 1.0, k=2.5)
    assert not stats.within_spread(7.5, 10.0, 1.0)             # default k = 2
    assert stats.monotone_decreasing([3, 2, 2, 1]) and not stats.monotone_decreasing([3, 2, 2.1])
    assert stats.monotone_decreasing([3, 2, 2.5], tol=0.5) and not stats.monotone_decreasing([3, 2, 2.5], tol=0.25)
    assert stats.monotone_decreasing(np.array([1.0]))


CRITERION = Criterion(claim="demo_claim", quote="features become discriminant", source="seed 000 §4.1",
                        measure="k-NN accuracy", holds="≥ 0.9", partly="≥ 0.5")


def test_report_claim_rows_and_outcome_counts(tmp_path):
    with Report(tmp_path, "demo", title="Demo") as report:
        report.claim(CRITERION, 0.95, "by eye", "not discriminating", control=0.93, control_verdict="holds")
        report.claim(CRITERION, 0.2, "by eye", at_least(0.2, holds=0.9, partly=0.5))
        with report.stage("work", echo=False):
            pass
    metrics = json.loads((tmp_path / "demo" / "metrics.json").read_text())
    assert metrics["outcomes"]["not discriminating"] == 1 and metrics["outcomes"]["does not hold"] == 1
    assert metrics["outcomes"]["holds"] == 0
    row = metrics["comparisons"][0]
    assert row["quote"] == "features become discriminant" and row["control"] == 0.93
    assert "holds if ≥ 0.9; partly if ≥ 0.5; otherwise does not hold" in row["note"]
    assert "work" in metrics["timings"]
    md = (tmp_path / "demo" / "report.md").read_text()
    assert "**Outcomes**" in md
