"""The thesis's Moore–Penrose claims (seed 001 §4.3.4–§4.3.5): criteria first, then the checks.

Each claim is a :class:`~jaxprobe.analysis.verdicts.Criterion` declared below before any number
is seen: the thesis's words (quoted, with section), the measure, the thresholds of "holds",
"partly" and "does not hold". Each check takes numbers only (cell estimates, validation curves,
trial counts) and returns a :class:`ClaimRow`; every outcome of every criterion is reachable
(``tests/test_study_moore_penrose.py`` reaches each one on synthetic inputs).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Optional, Sequence

import numpy as np

from jaxprobe.analysis.stats import clopper_pearson
from jaxprobe.analysis.verdicts import (DOES_NOT_HOLD, HOLDS, NOT_MEASURABLE, PARTLY, Criterion, at_most,
                                        share, with_control)
from jaxprobe.moore_penrose import CellEstimate
from jaxprobe.studies.moore_penrose.trials import FIG415_NS, FIG415_RS, THESIS_CELLS, Curve, curve, find_cell

__all__ = [
    "READINGS",
    "INIT_PAIRS",
    "ClaimRow",
    "THESIS_P2_N10",
    "THESIS_P10_N50",
    "FIG414_DECREASING",
    "FIG414_SCALE_UP",
    "FIG415_SEPARATION",
    "MP_INIT_SPEED",
    "CODES_LIKE_RANDOM",
    "CRITERIA",
    "bound_verdict",
    "thesis_cell_verdict",
    "thesis_cell_rows",
    "thesis_cell_metrics",
    "reproducing_readings",
    "reproducing_sentence",
    "curve_decreases",
    "decreasing_row",
    "scale_up_verdict",
    "scale_up_row",
    "separation_verdict",
    "separation_row",
    "steps_to",
    "matched_speedup",
    "speedup_verdict",
    "init_speedups",
    "init_speed_row",
    "codes_vs_random",
    "cells_below_random",
    "codes_verdict",
    "codes_row",
]

READINGS = ("centred", "linear")
#: (MP initialisation, baseline) pairs of the training-speed claim (names of
#: ``jaxprobe.studies.moore_penrose.networks.INITS``).
INIT_PAIRS = (("mp", "zero"), ("mp", "standard"), ("mp_matched_standard", "standard"))
#: "Much easier" in Fig. 4.14's caption, as a factor between success probabilities.
MUCH_EASIER = 100.0
#: "Speeds up training": the baseline needs at least this many times the MP layer's steps.
SPEEDUP = 2.0

# ------------------------------------------------------------------------------------------ criteria
THESIS_P2_N10 = Criterion(
    claim="P(success) p = 2, n = 10",
    quote="if the bottleneck dimension p = 2 then the probability of creating a linear map that assigns the "
          "correct class to n = 10 randomly positioned 2-dim points is less than 10^-5",
    source="seed 001 §4.3.4", trained=False,
    measure="P(success) of the Moore–Penrose trial on 10 uniform points of [0,1]², exact 95 % interval, "
            "for each reading (centred §4.3.2, plain linear §4.3.4)",
    holds="upper 95 % bound < 1e-5", partly="estimate < 1e-5 ≤ upper bound (too few trials to resolve)")
THESIS_P10_N50 = Criterion(
    claim="P(success) p = 10, n = 50",
    quote="for p = 10 even classifying n = 50 points is fairly straightforward and the PM-inverse has "
          "probability exceeding 0.1 of getting it right",
    source="seed 001 §4.3.4", trained=False,
    measure="P(success) on 50 uniform points of [0,1]^10, exact 95 % interval, for each reading",
    holds="lower 95 % bound > 0.1", partly="lower bound ≤ 0.1 < estimate")
FIG414_DECREASING = Criterion(
    claim="Fig. 4.14: P decreases as n grows, every curve",
    quote="Clearly, for each of the curves, the probability decreases as n increases which is to be expected.",
    source="seed 001 §4.3.4, Fig. 4.14 caption", trained=False,
    measure="per (p, reading) curve: no cell's lower 95 % bound above the upper bound of a cell with smaller n, "
            "and the largest n's upper bound below the smallest n's lower bound",
    holds="every curve decreases", partly="at least half the curves decrease")
FIG414_SCALE_UP = Criterion(
    claim="Fig. 4.14: ×5 scale-up much easier for p = 8, 10 than p = 2, 4",
    quote="scaling up (between bottleneck and output) by a factor of 5 is much easier for the wider "
          "bottlenecks (p = 8, 10) than for the tighter ones (p = 2, 4)",
    source="seed 001 §4.3.4, Fig. 4.14 caption", trained=False,
    measure="P(success) at n = 5p (centred): smallest lower 95 % bound of p = 8, 10 against the largest upper "
            "bound of p = 2, 4",
    holds=f"that lower bound > {MUCH_EASIER:g} × that upper bound",
    partly="that lower bound > that upper bound (easier, not much easier)")
FIG415_SEPARATION = Criterion(
    claim="Fig. 4.15: r = 0.2 > r = 0.1 > uniform for n = 5..8",
    quote="Clearly, ensuring better separation between the points in the low-dimensional bottleneck space "
          "increases the probability of successful embedding.",
    source="seed 001 §4.3.4, Fig. 4.15 caption", trained=False,
    measure="the steps uniform → r = 0.1 → r = 0.2 at each n = 5..8 (p = 2, centred): significantly up = "
            "non-overlapping 95 % intervals",
    holds="every step significantly up", partly="every step's estimate up and none significantly down")
MP_INIT_SPEED = Criterion(
    claim="MP output layer as an initialisation speeds up training",
    quote="the Moore–Penrose inverse might give good weight initialisations (\"not confirmed experimentally\")",
    source="seed 001 §4.3.5 (the digest's wording; untested in the thesis)",
    measure="SGD steps until the seed-mean validation accuracy reaches a fixed target, each curve's clock "
            "started when its validation loss first falls to the lower of the pair's two initial losses "
            f"(matched starting loss); pairs {', '.join(f'{a} vs {b}' for a, b in INIT_PAIRS)}; pairs where "
            "either starts at or above the target, or neither reaches it, are not measurable",
    holds=f"the baseline needs ≥ {SPEEDUP:g}× the MP layer's steps in every measurable (p, pair)",
    partly="the MP layer needs fewer steps in at least half of them")
CODES_LIKE_RANDOM = Criterion(
    claim="(a) trained codes embed like uniform random points (past the thesis)",
    quote="if we have a problem for which we need to distinguish 40 or 50 classes, the graph show that a "
          "hidden layer of size p = 10 would provide sufficient capacity",
    source="seed 001 §4.3.5 (the premise that Fig. 4.14's random points speak for trained networks)",
    measure="P(success), centred, on random n-subsets of a 100-p-60 network's hidden codes of the 60 "
            "noise-free jumps (pooled over seeds) against uniform random points, every (p, n) cell: share of "
            "cells significantly below (non-overlapping 95 % intervals); control: the same networks untrained",
    holds="no cell significantly below", partly="at most half the cells significantly below")
#: Every claim of the study, in report order.
CRITERIA = (THESIS_P2_N10, THESIS_P10_N50, FIG414_DECREASING, FIG414_SCALE_UP, FIG415_SEPARATION, MP_INIT_SPEED,
            CODES_LIKE_RANDOM)


class ClaimRow(NamedTuple):
    """One row of the comparison table: the criterion, our number, the thesis's, the outcome,
    and the same criterion on a negative control where there is one."""

    criterion: Criterion
    ours: str
    thesis: str
    verdict: str
    note: str = ""
    control: Optional[str] = None
    control_verdict: Optional[str] = None


# ------------------------------------------------------------------ §4.3.4's two numbers
def bound_verdict(estimate: float, low: float, high: float, *, below: Optional[float] = None,
                  above: Optional[float] = None) -> str:
    """A probability claimed to lie below (or above) a bound, judged on its 95 % interval.

    "holds" when the whole interval is on the claimed side, "partly" when only the estimate is,
    else "does not hold". Give exactly one of ``below`` and ``above``.

    >>> bound_verdict(0.0, 0.0, 3.7e-6, below=1e-5), bound_verdict(0.12, 0.09, 0.15, above=0.1)
    ('holds', 'partly')
    """
    if (below is None) == (above is None):
        raise ValueError("give exactly one of below= and above=.")
    if below is not None:
        return HOLDS if high < below else PARTLY if estimate < below else DOES_NOT_HOLD
    return HOLDS if low > above else PARTLY if estimate > above else DOES_NOT_HOLD


_THESIS = {  # (n, p) → (criterion, the thesis's number, bound keyword, our number's format)
    (10, 2): (THESIS_P2_N10, "< 1e-5", dict(below=1e-5), "{:.2e} [{:.1e}, {:.1e}]"),
    (50, 10): (THESIS_P10_N50, "> 0.1", dict(above=0.1), "{:.3f} [{:.3f}, {:.3f}]"),
}


def thesis_cell_verdict(e: CellEstimate) -> str:
    """:func:`bound_verdict` of one of the thesis's two cells (:data:`THESIS_CELLS`)."""
    if (e.n, e.p) not in _THESIS:
        raise ValueError(f"(n, p) = ({e.n}, {e.p}) is not one of the thesis's cells {THESIS_CELLS}.")
    return bound_verdict(e.prob, *e.ci, **_THESIS[(e.n, e.p)][2])


def thesis_cell_rows(estimates: Sequence[CellEstimate]) -> list[ClaimRow]:
    """A row per reading and thesis cell; "not measurable" where the sweep did not run the cell."""
    rows = []
    for v in READINGS:
        for n, p in THESIS_CELLS:
            criterion, thesis, _, fmt = _THESIS[(n, p)]
            criterion = dataclasses.replace(criterion, claim=f"{criterion.claim} ({v})")
            e = find_cell(estimates, n, p, v)
            if e is None:
                rows.append(ClaimRow(criterion, "cell not run (quick mode)", thesis, NOT_MEASURABLE))
                continue
            rows.append(ClaimRow(criterion, fmt.format(e.prob, *e.ci) + f" ({e.trials:,} trials)", thesis,
                                 thesis_cell_verdict(e)))
    return rows


def thesis_cell_metrics(estimates: Sequence[CellEstimate]) -> dict[str, float]:
    """{'p2_n10_centred': P, …}: the estimates of the thesis's cells that the sweep ran."""
    return {f"p{p}_n{n}_{v}": e.prob for n, p in THESIS_CELLS for v in READINGS
            if (e := find_cell(estimates, n, p, v)) is not None}


def reproducing_readings(estimates: Sequence[CellEstimate]) -> Optional[dict]:
    """{reading: {(n, p): holds?}} for both readings and both thesis cells, or None when a cell was
    not run (quick mode has no p = 10)."""
    out = {}
    for v in READINGS:
        cells = {c: find_cell(estimates, *c, v) for c in THESIS_CELLS}
        if any(e is None for e in cells.values()):
            return None
        out[v] = {c: thesis_cell_verdict(e) == HOLDS for c, e in cells.items()}
    return out


def reproducing_sentence(readings: Optional[dict]) -> str:
    """The report's sentence on which reading reproduces both thesis numbers, from
    :func:`reproducing_readings`."""
    if readings is None:
        return ("Which reading reproduces the thesis: not measurable in this mode (the p = 10, n = 50 cell is "
                "only run with --full).")
    both = [v for v, ok in readings.items() if all(ok.values())]
    return ("**Which reading reproduces the thesis's two numbers:** " + (", ".join(both) or "neither") + ". "
            + "; ".join(f"{v}: p = 2, n = 10 {'below' if ok[(10, 2)] else 'not below'} 1e-5, "
                        f"p = 10, n = 50 {'above' if ok[(50, 10)] else 'not above'} 0.1"
                        for v, ok in readings.items()) + ".")


# ------------------------------------------------------------------ Fig. 4.14
def curve_decreases(c: Curve) -> Optional[bool]:
    """:data:`FIG414_DECREASING`'s test of one curve; None for fewer than two cells.

    >>> c = Curve(np.array([4, 5]), np.array([.5, .1]), np.array([.4, .05]), np.array([.6, .15]), np.zeros(2, bool))
    >>> curve_decreases(c)
    True
    """
    if len(c.n) < 2:
        return None
    rises = any(c.low[j] > c.high[i] for i in range(len(c.n)) for j in range(i + 1, len(c.n)))
    return bool(not rises and c.high[-1] < c.low[0])


def decreasing_row(estimates: Sequence[CellEstimate], ps: Sequence[int]) -> ClaimRow:
    """:data:`FIG414_DECREASING` over every (p, reading) curve of the sweep."""
    flags = [f for p in ps for v in READINGS if (f := curve_decreases(curve(estimates, p, v))) is not None]
    return ClaimRow(FIG414_DECREASING, f"{sum(flags)}/{len(flags)} curves", "decreasing",
                    share(flags, holds=1.0, partly=0.5))


def scale_up_verdict(wide_lows: Sequence[float], tight_highs: Sequence[float]) -> str:
    """:data:`FIG414_SCALE_UP`: lower bounds of the wide bottlenecks against upper bounds of the
    tight ones ("not measurable" if either is missing).

    >>> scale_up_verdict([0.2], [1e-4]), scale_up_verdict([0.2], [0.01]), scale_up_verdict([0.2], [])
    ('holds', 'partly', 'not measurable')
    """
    if not len(wide_lows) or not len(tight_highs):
        return NOT_MEASURABLE
    wide, tight = min(wide_lows), max(tight_highs)
    return HOLDS if wide > MUCH_EASIER * tight else PARTLY if wide > tight else DOES_NOT_HOLD


def scale_up_row(estimates: Sequence[CellEstimate], ps: Sequence[int]) -> ClaimRow:
    """:data:`FIG414_SCALE_UP` on the sweep's n = 5p cells (centred)."""
    x5 = {p: e for p in ps if (e := find_cell(estimates, 5 * p, p, "centred")) is not None}
    ours = ", ".join(f"p={p}: {e.prob:.2g} [{e.ci[0]:.2g}, {e.ci[1]:.2g}]" for p, e in x5.items()) or "no n = 5p cell"
    return ClaimRow(FIG414_SCALE_UP, ours, "much easier",
                    scale_up_verdict([x5[p].ci[0] for p in (8, 10) if p in x5],
                                     [x5[p].ci[1] for p in (2, 4) if p in x5]))


# ------------------------------------------------------------------ Fig. 4.15
def separation_verdict(steps: Sequence[tuple[CellEstimate, CellEstimate]]) -> str:
    """:data:`FIG415_SEPARATION` on (less separated, more separated) pairs of cells of equal n."""
    if not steps:
        return NOT_MEASURABLE
    up = [b.ci[0] > a.ci[1] for a, b in steps]
    down = [b.ci[1] < a.ci[0] for a, b in steps]
    if all(up):
        return HOLDS
    if all(b.prob > a.prob for a, b in steps) and not any(down):
        return PARTLY
    return DOES_NOT_HOLD


def separation_row(estimates: Sequence[CellEstimate]) -> ClaimRow:
    """:data:`FIG415_SEPARATION` on the Fig. 4.15 sweep."""
    steps = []
    for n in FIG415_NS:
        es = [find_cell(estimates, n, 2, "centred", r) for r in FIG415_RS]
        if all(e is not None for e in es):
            steps += list(zip(es, es[1:]))
    n_up = sum(b.ci[0] > a.ci[1] for a, b in steps)
    n_point = sum(b.prob > a.prob for a, b in steps)
    return ClaimRow(FIG415_SEPARATION, f"{n_up}/{len(steps)} steps significantly up, {n_point}/{len(steps)} "
                                       "estimates up", "separation increases P", separation_verdict(steps))


# ------------------------------------------------------------------ (b) MP initialisation
def steps_to(steps, values, threshold: float, *, below: bool = False, start: int = 0) -> Optional[int]:
    """The first step ≥ ``start`` where ``values`` reach ``threshold`` (≥, or ≤ with ``below``).

    >>> steps_to([0, 10, 20], [0.1, 0.3, 0.5], 0.3), steps_to([0, 10, 20], [4.1, 4.0, 3.9], 3.95, below=True)
    (10, 20)
    """
    for s, v in zip(steps, values):
        if s >= start and (v <= threshold if below else v >= threshold):
            return int(s)
    return None


def matched_speedup(mp_curve, base_curve, target: float) -> dict:
    """Steps to ``target`` accuracy of an MP-initialised run and a baseline from matched starting loss.

    Each curve's clock starts at its first evaluation with (seed-mean) validation loss at or below
    the lower of the two initial losses. ``mp_curve``/``base_curve`` have ``step`` (E,), ``loss``
    and ``acc`` (E, K) (``networks.InitCurves``).

    Returns:
      {'status', 'mp_steps', 'base_steps', 'ratio'} with ratio = baseline steps / MP steps. Status
      ``'ok'``; ``'base not reached'`` (the baseline's steps and the ratio are lower bounds, kept
      when the ratio is ≥ 1); ``'mp not reached'`` (the MP steps are a lower bound, the ratio an
      upper bound, kept when it is < 1); otherwise the ratio is None and the status says why it is
      not measurable: ``'no matched start'``, ``'starts at target'``, ``'neither reached'``,
      ``'inconclusive'`` (a bound on the wrong side of 1).
    """
    curves = [(np.asarray(c.step), np.asarray(c.loss).mean(1), np.asarray(c.acc).mean(1))
              for c in (mp_curve, base_curve)]
    level = min(loss[0] for _, loss, _ in curves)
    starts = [steps_to(step, loss, level, below=True) for step, loss, _ in curves]
    out = dict(status="", mp_steps=None, base_steps=None, ratio=None)
    if None in starts:
        return dict(out, status="no matched start")
    if any(acc[list(step).index(s)] >= target for (step, _, acc), s in zip(curves, starts)):
        return dict(out, status="starts at target")
    hits = [steps_to(step, acc, target, start=s) for (step, _, acc), s in zip(curves, starts)]
    spent = [(h if h is not None else step[-1]) - s for (step, _, _), h, s in zip(curves, hits, starts)]
    if hits == [None, None]:
        return dict(out, status="neither reached")
    status = "ok" if None not in hits else "base not reached" if hits[1] is None else "mp not reached"
    ratio = spent[1] / max(spent[0], 1)
    if (status == "base not reached" and ratio < 1) or (status == "mp not reached" and ratio >= 1):
        return dict(out, status="inconclusive")
    return dict(status=status, mp_steps=int(spent[0]), base_steps=int(spent[1]), ratio=ratio)


def speedup_verdict(ratios: Sequence[float]) -> str:
    """:data:`MP_INIT_SPEED` from the measurable pairs' ratios (baseline steps / MP steps).

    >>> speedup_verdict([3.0, 2.5]), speedup_verdict([3.0, 1.2, 0.5]), speedup_verdict([0.8]), speedup_verdict([])
    ('holds', 'partly', 'does not hold', 'not measurable')
    """
    if not len(ratios):
        return NOT_MEASURABLE
    if all(r >= SPEEDUP for r in ratios):
        return HOLDS
    return PARTLY if np.mean([r > 1 for r in ratios]) >= 0.5 else DOES_NOT_HOLD


def init_speedups(curves: dict, ps: Sequence[int], target: float) -> list[dict]:
    """:func:`matched_speedup` for every width in ``ps`` and pair of :data:`INIT_PAIRS`, each
    result with its ``p``, ``mp`` and ``baseline``; ``curves`` maps (p, initialisation) to
    ``networks.InitCurves``."""
    return [dict(p=p, mp=a, baseline=b, **matched_speedup(curves[(p, a)], curves[(p, b)], target))
            for p in ps for a, b in INIT_PAIRS]


def init_speed_row(curves: dict, ps: Sequence[int], target: float) -> ClaimRow:
    """:data:`MP_INIT_SPEED` over :func:`init_speedups`."""
    parts = []
    for r in init_speedups(curves, ps, target):
        head = f"p={r['p']} {r['mp']}/{r['baseline']}: "
        if r["ratio"] is None:
            parts.append(head + r["status"])
            continue
        bound = {"ok": "", "base not reached": "≥ ", "mp not reached": "≤ "}[r["status"]]
        parts.append(head + f"{r['mp_steps']} vs {r['base_steps']} steps ({bound}{r['ratio']:.2g}×)")
    ratios = [r["ratio"] for r in init_speedups(curves, ps, target) if r["ratio"] is not None]
    return ClaimRow(MP_INIT_SPEED, f"accuracy {target:g}: " + "; ".join(parts), "suggested, not tested",
                    speedup_verdict(ratios))


# ------------------------------------------------------------------ (a) trained codes
def _pooled(rows, p, n, variant="centred"):
    sel = [r for r in rows if r.p == p and r.n == n and r.variant == variant]
    return sum(r.successes for r in sel), sum(r.trials for r in sel)


def codes_vs_random(rows, estimates: Sequence[CellEstimate], ps: Sequence[int]) -> list[list]:
    """[p, n, P on the codes (pooled over seeds), P on uniform random points] at n = 2p and 5p.
    ``rows`` are ``networks.SubsetTrials``."""
    out = []
    for p in ps:
        for n in (2 * p, 5 * p):
            s, t = _pooled(rows, p, n)
            e = find_cell(estimates, n, p, "centred")
            if e is not None:
                out.append([p, n, s / max(1, t), e.prob])
    return out


def cells_below_random(rows, estimates: Sequence[CellEstimate], ps: Sequence[int]) -> tuple[int, int]:
    """(cells where the codes' upper 95 % bound is below the random points' lower bound, cells compared)."""
    below = total = 0
    for p in ps:
        for n in range(2 * p, 5 * p + 1):
            s, t = _pooled(rows, p, n)
            e = find_cell(estimates, n, p, "centred")
            if t and e is not None:
                total += 1
                below += clopper_pearson(s, t)[1] < e.ci[0]
    return int(below), int(total)


def codes_verdict(below: int, total: int) -> str:
    """:data:`CODES_LIKE_RANDOM` from the count of cells significantly below random points.

    >>> codes_verdict(0, 7), codes_verdict(3, 7), codes_verdict(4, 7), codes_verdict(0, 0)
    ('holds', 'partly', 'does not hold', 'not measurable')
    """
    if total == 0:
        return NOT_MEASURABLE
    return at_most(below / total, holds=0.0, partly=0.5)


def codes_row(trained_rows, control_rows, estimates: Sequence[CellEstimate], ps: Sequence[int]) -> ClaimRow:
    """:data:`CODES_LIKE_RANDOM` on the trained networks' codes, the untrained networks' as control
    ("not discriminating" when the control also holds or partly holds)."""
    below, total = cells_below_random(trained_rows, estimates, ps)
    c_below, c_total = cells_below_random(control_rows, estimates, ps)
    verdict, control = codes_verdict(below, total), codes_verdict(c_below, c_total)
    return ClaimRow(CODES_LIKE_RANDOM, f"{below}/{total} cells significantly below",
                    "premise, no number", with_control(verdict, control),
                    control=f"untrained: {c_below}/{c_total} cells significantly below", control_verdict=control)
