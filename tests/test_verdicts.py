"""Claim criteria: every outcome reachable, controls turn a shared "holds" into "not discriminating"."""

import json

import pytest

from jaxprobe.analysis import verdicts as v
from jaxprobe.report import Report

CRITERION = v.Criterion(claim="demo_claim", quote="features become discriminant", source="seed 000 §4.1",
                        measure="k-NN accuracy", holds="≥ 0.9", partly="≥ 0.5")


@pytest.mark.parametrize("value, expected", [(0.95, "holds"), (0.9, "holds"), (0.6, "partly"),
                                             (0.1, "does not hold"), (float("nan"), "not measurable"),
                                             (None, "not measurable")])
def test_at_least_reaches_every_outcome(value, expected):
    assert v.at_least(value, holds=0.9, partly=0.5) == expected


@pytest.mark.parametrize("value, expected", [(0.01, "holds"), (0.07, "partly"), (0.3, "does not hold")])
def test_at_most_reaches_every_outcome(value, expected):
    assert v.at_most(value, holds=0.05, partly=0.1) == expected


def test_without_partly_there_are_two_outcomes():
    assert v.at_least(0.6, holds=0.9) == "does not hold"
    assert v.at_most(0.07, holds=0.05) == "does not hold"


def test_thresholds_in_the_wrong_order_are_refused():
    with pytest.raises(ValueError, match="partly=0.95 must not exceed holds=0.9"):
        v.at_least(1.0, holds=0.9, partly=0.95)
    with pytest.raises(ValueError, match="partly=0.01 must not be below holds=0.05"):
        v.at_most(0.0, holds=0.05, partly=0.01)


def test_share_and_within():
    assert [v.share([True] * 4), v.share([True, True, False, False]), v.share([False, True, False, False])] == [
        "holds", "partly", "does not hold"]
    assert v.share([]) == "not measurable"
    assert (v.within(3, 1, 5), v.within(6, 1, 5), v.within(float("nan"), 1, 5)) == (
        "holds", "does not hold", "not measurable")


@pytest.mark.parametrize("real, control, expected", [
    ("holds", "holds", "not discriminating"), ("holds", "partly", "not discriminating"),
    ("partly", "holds", "not discriminating"), ("holds", "does not hold", "holds"),
    ("does not hold", "holds", "does not hold"), ("holds", None, "holds")])
def test_with_control(real, control, expected):
    assert v.with_control(real, control) == expected


def test_unknown_verdicts_are_refused():
    with pytest.raises(ValueError, match="control='yes' is not a verdict"):
        v.with_control("holds", "yes")
    with pytest.raises(ValueError, match="verdicts='fine' is not a verdict"):
        v.count_outcomes(["holds", "fine"])


def test_report_claim_rows_and_outcome_counts(tmp_path):
    with Report(tmp_path, "demo", title="Demo") as report:
        report.claim(CRITERION, 0.95, "by eye", "not discriminating", control=0.93, control_verdict="holds")
        report.claim(CRITERION, 0.2, "by eye", v.at_least(0.2, holds=0.9, partly=0.5))
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
