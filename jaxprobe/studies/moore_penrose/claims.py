"""The thesis's Moore–Penrose claims (seed 001 §4.3.4–§4.3.5) as functions returning rows.

Every function takes numbers (cell estimates, validation curves, trial counts) and returns
:class:`ClaimRow` s — the claim, our number, the thesis's, the verdict — so each check runs on
synthetic inputs in the tests.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Sequence

from jaxprobe.analysis.stats import clopper_pearson
from jaxprobe.moore_penrose import CellEstimate
from jaxprobe.studies.moore_penrose.trials import FIG415_NS, THESIS_CELLS, curve, find_cell

__all__ = [
    "ClaimRow",
    "thesis_cell_holds",
    "thesis_cell_rows",
    "reproducing_readings",
    "reproducing_sentence",
    "decreasing_row",
    "scaleup_row",
    "separation_row",
    "init_speedup_row",
    "codes_vs_random",
    "cells_below_random",
]

READINGS = ("centred", "linear")


class ClaimRow(NamedTuple):
    """One row of the comparison table."""

    claim: str
    ours: str
    thesis: str
    verdict: str
    note: str = ""


# (n, p) → (thesis's words, note on the test, format of our estimate and its interval)
_THESIS_TEXT = {
    (10, 2): ("< 1e-5", "upper 95 % bound vs 1e-5", "{:.2e} [{:.1e}, {:.1e}]"),
    (50, 10): ("> 0.1", "lower 95 % bound vs 0.1", "{:.3f} [{:.3f}, {:.3f}]"),
}


def thesis_cell_holds(e: CellEstimate) -> bool:
    """§4.3.4's two numbers: P(p = 2, n = 10) < 1e-5 (the upper 95 % bound) and
    P(p = 10, n = 50) > 0.1 (the lower 95 % bound)."""
    lo, hi = e.ci
    if (e.n, e.p) == (10, 2):
        return hi < 1e-5
    if (e.n, e.p) == (50, 10):
        return lo > 0.1
    raise ValueError(f"({e.n}, {e.p}) is not one of the thesis's cells {THESIS_CELLS}.")


def thesis_cell_rows(estimates: Sequence[CellEstimate]) -> list[ClaimRow]:
    """A row per reading and thesis cell that the sweep ran."""
    rows = []
    for v in READINGS:
        for n, p in THESIS_CELLS:
            e = find_cell(estimates, n, p, v)
            if e is None:
                continue
            seed_text, note, fmt = _THESIS_TEXT[(n, p)]
            rows.append(ClaimRow(f"P(success) p = {p}, n = {n} ({v})",
                                 fmt.format(e.prob, *e.ci) + f" ({e.trials:,} trials)", seed_text,
                                 "holds" if thesis_cell_holds(e) else "does not hold", note))
    return rows


def reproducing_readings(estimates: Sequence[CellEstimate]) -> Optional[dict]:
    """{reading: {(n, p): bool}} for both readings and both thesis cells, or None when a cell was
    not run (quick mode has no p = 10)."""
    out = {}
    for v in READINGS:
        cells = {c: find_cell(estimates, *c, v) for c in THESIS_CELLS}
        if any(e is None for e in cells.values()):
            return None
        out[v] = {c: thesis_cell_holds(e) for c, e in cells.items()}
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


def decreasing_row(estimates: Sequence[CellEstimate], ps: Sequence[int]) -> ClaimRow:
    """Fig. 4.14: on every (p, reading) curve no later cell is significantly above an earlier one."""
    flags = []
    for p in ps:
        for v in READINGS:
            c = curve(estimates, p, v)
            flags.append(not any(c.low[j] > c.high[i] for i in range(len(c.n)) for j in range(i + 1, len(c.n))))
    return ClaimRow("Fig. 4.14: P decreases as n grows, every curve", f"{sum(flags)}/{len(flags)} curves",
                    "decreasing", "holds" if all(flags) else "partly")


def scaleup_row(estimates: Sequence[CellEstimate], ps: Sequence[int]) -> Optional[ClaimRow]:
    """Fig. 4.14: P(n = 5p) for p = 8, 10 is more than 100× P(n = 5p) for p = 2, 4 (centred)."""
    x5 = {p: e.prob for p in ps if (e := find_cell(estimates, 5 * p, p, "centred")) is not None}
    if not x5:
        return None
    wide = [x5[p] for p in (8, 10) if p in x5]
    tight = [x5[p] for p in (2, 4) if p in x5]
    ok = bool(wide and tight and min(wide) > 100 * max(tight))
    return ClaimRow("Fig. 4.14: ×5 scale-up much easier for p = 8, 10 than p = 2, 4",
                    ", ".join(f"p={p}: {P:.2g}" for p, P in x5.items()), "much easier",
                    "holds" if ok else ("not measurable" if not wide else "does not hold"))


def separation_row(estimates: Sequence[CellEstimate]) -> ClaimRow:
    """Fig. 4.15: for each n, r = 0.2 above r = 0.1 above uniform (non-overlapping 95 % CIs)."""
    flags = []
    for n in FIG415_NS:
        es = {e.r: e for e in estimates if e.n == n}
        if len(es) == 3:
            flags.append(es[0.1].ci[0] > es[0.0].ci[1] and es[0.2].ci[0] > es[0.1].ci[1])
    return ClaimRow("Fig. 4.15: r = 0.2 > r = 0.1 > uniform for n = 5..8",
                    f"{sum(flags)}/{len(flags)} n (non-overlapping 95 % CIs)", "separation increases P",
                    "holds" if all(flags) else "partly")


def init_speedup_row(curves: dict, ps: Sequence[int]) -> ClaimRow:
    """§4.3.5: the MP output layer has the lower validation loss after epoch 1."""
    faster = [curves[(p, "mp")].loss[1].mean() < curves[(p, "standard")].loss[1].mean() for p in ps]
    final = [curves[(p, "mp")].acc[-1].mean() - curves[(p, "standard")].acc[-1].mean() for p in ps]
    return ClaimRow("MP output layer as an initialisation speeds up training (§4.3.5, untested in the thesis)",
                    f"lower loss after epoch 1 for {sum(faster)}/{len(faster)} p; final accuracy gain "
                    + ", ".join(f"{g:+.3f}" for g in final), "suggested, not tested",
                    "holds" if all(faster) else ("partly" if any(faster) else "does not hold"))


def _pooled(rows, p, n, variant="centred"):
    sel = [r for r in rows if r.p == p and r.n == n and r.variant == variant]
    return sum(r.successes for r in sel), sum(r.trials for r in sel)


def codes_vs_random(rows, estimates: Sequence[CellEstimate], ps: Sequence[int]) -> list[list]:
    """[p, n, P on trained codes (pooled over seeds), P on uniform random points] at n = 2p and 5p."""
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
