"""The checks of thesis Ch. 5's claims: numbers in, claim rows out (criteria in :mod:`.criteria`).

Every ``*_outcome`` function turns numbers into one outcome of its criterion and can return each outcome
(``tests/test_study_ch5.py`` reaches them on synthetic numbers); every ``*_row`` function applies it to the
trained networks and to the negative control (the same synthesis on untrained networks) and combines the two
with ``jaxprobe.analysis.verdicts.with_control`` (through ``ClaimRow.verdict``). A *cell* is the dict of
:func:`jaxprobe.studies.thesis_ch5.measures.summarise` for one (network, target).
"""

from __future__ import annotations

from itertools import combinations
from typing import Mapping, Sequence

import numpy as np

from jaxprobe.analysis.verdicts import ClaimRow, at_least, share, within, HOLDS
from jaxprobe.studies.jumps.thesis import THESIS_ERRORS
from jaxprobe.studies.thesis_ch5 import criteria as C

__all__ = ["hit_outcome", "jump_row", "dips_outcome", "dips_row", "plateau_outcome", "plateau_row",
           "noisier_outcome", "noisier_row", "spearman", "clearer_outcome", "clearer_row", "mlp4_outcome", "mlp4_row",
           "reaches_outcome", "reaches_row", "sharper_outcome", "sharper_row", "undershoot_outcome", "undershoot_row",
           "first_same_outcome", "first_same_row", "third_same_outcome", "third_same_row", "fig7_1_outcome",
           "fig7_1_row", "regularisers_outcome", "regularisers_row"]

_NO_NUMBER = "(figure only, no number)"


def _f(value, digits: int = 2) -> str:
    return "nan" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


# ------------------------------------------------------------------------------------ jump at the target
def hit_outcome(hit_share: float) -> str:
    """JUMP_*: the share of inputs whose jump is at the target.

    >>> hit_outcome(0.95), hit_outcome(0.6), hit_outcome(0.1)
    ('holds', 'partly', 'does not hold')
    """
    return at_least(hit_share, holds=C.HITS, partly=C.HITS_PARTLY)


def _mean_hit(cells: Sequence[Mapping]) -> float:
    return float(np.mean([c["hit"] for c in cells])) if cells else float("nan")


def jump_row(criterion, cells: Mapping[str, Mapping], control: Mapping[str, Mapping], seed: str) -> ClaimRow:
    """A "jump at the target" claim over ``cells`` ``{label: cell}`` (equal starts per cell) and their controls."""
    ours, ctl = _mean_hit(list(cells.values())), _mean_hit(list(control.values()))
    per = ", ".join(f"{k} {c['hit']:.2f}" for k, c in cells.items())
    return ClaimRow(criterion, f"hit share {ours:.3f} ({per})", seed, hit_outcome(ours), f"hit share {ctl:.3f}",
                    hit_outcome(ctl))


# ------------------------------------------------------------------------------------ dips, plateau
def _dip_flags(cells: Mapping[int, Mapping]) -> list[bool]:
    seen = lambda p: cells[p]["hit"] >= 0.5
    present = lambda p, k: seen(p) and cells[p][k] >= C.DIP_PRESENT
    absent = lambda p, k: seen(p) and cells[p][k] <= C.DIP_ABSENT
    return [present(40, "dip_before"), present(40, "drop_after"), present(60, "dip_before"),
            present(60, "drop_after"), absent(21, "dip_before"), absent(80, "drop_after")]


def dips_outcome(cells: Mapping[int, Mapping]) -> str:
    """DIPS from the 1-layer NN's cells at 21, 40, 60, 80 (six checks).

    >>> c = lambda before, after: {"hit": 1.0, "dip_before": before, "drop_after": after}
    >>> dips_outcome({21: c(0.0, 0.5), 40: c(0.5, 0.5), 60: c(0.5, 0.5), 80: c(0.5, 0.0)})
    'holds'
    """
    return share(_dip_flags(cells), holds=1.0, partly=0.5)


def _dips_text(cells) -> str:
    return "; ".join(f"{p}: before {_f(cells[p]['dip_before'])}, after {_f(cells[p]['drop_after'])}"
                     for p in sorted(cells))


def dips_row(cells: Mapping[int, Mapping], control: Mapping[int, Mapping]) -> ClaimRow:
    flags = _dip_flags(cells)
    return ClaimRow(C.DIPS, f"{sum(flags)}/6 checks ({_dips_text(cells)}; fractions of the jump)",
                    "40, 60: drop before and after; 21: none before; 80: none after " + _NO_NUMBER,
                    dips_outcome(cells), f"{sum(_dip_flags(control))}/6 checks", dips_outcome(control))


def _plateau_flags(cells: Sequence[Mapping]) -> list[bool]:
    return [c["hit"] >= 0.5 and np.isfinite(c["plateau"]) and 0 < c["plateau"] <= C.PLATEAU for c in cells]


def plateau_outcome(cells: Sequence[Mapping]) -> str:
    """NO_PLATEAU: the share of cells with 0 < plateau ≤ PLATEAU (and a recognisable jump).

    >>> plateau_outcome([{"hit": 1.0, "plateau": 0.2}, {"hit": 1.0, "plateau": 0.9}])
    'partly'
    """
    return share(_plateau_flags(cells), holds=C.HITS, partly=C.HITS_PARTLY)


def plateau_row(cells: Mapping[str, Mapping], control: Mapping[str, Mapping]) -> ClaimRow:
    flags = _plateau_flags(list(cells.values()))
    values = [c["plateau"] for c in cells.values()]
    return ClaimRow(C.NO_PLATEAU, f"{sum(flags)}/{len(flags)} cells; plateau median {_f(np.nanmedian(values))} "
                                  f"(range {_f(np.nanmin(values))}–{_f(np.nanmax(values))}; training step 1)",
                    "a jump, no plateau; level after slightly higher " + _NO_NUMBER,
                    plateau_outcome(list(cells.values())),
                    f"{sum(_plateau_flags(list(control.values())))}/{len(control)} cells",
                    plateau_outcome(list(control.values())))


# ------------------------------------------------------------------------------------ depth and noise
def noisier_outcome(roughness_by_depth: Sequence[float]) -> str:
    """NOISIER: share of consecutive depths (1→2, 2→3, 3→4) at which the roughness grows.

    >>> noisier_outcome([0.1, 0.2, 0.3, 0.4]), noisier_outcome([0.1, 0.2, 0.15, 0.3]), noisier_outcome([4, 3, 2, 1])
    ('holds', 'partly', 'does not hold')
    """
    r = np.asarray(roughness_by_depth, np.float64)
    return share((np.diff(r) > 0).tolist(), holds=1.0, partly=0.5)


def noisier_row(roughness: Mapping[str, float], control: Mapping[str, float]) -> ClaimRow:
    text = lambda r: " → ".join(f"{_f(v, 3)}" for v in r.values())
    return ClaimRow(C.NOISIER, f"roughness 1→4 layers: {text(roughness)}", "noisier with depth " + _NO_NUMBER,
                    noisier_outcome(list(roughness.values())), text(control), noisier_outcome(list(control.values())))


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman rank correlation (average ranks for ties; NaN when either is constant).

    >>> spearman([1, 2, 3, 4], [10, 20, 30, 25])
    0.8
    """
    rank = lambda v: np.argsort(np.argsort(v, kind="stable"), kind="stable").astype(np.float64)
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ra, rb = rank(a), rank(b)
    for r, v in ((ra, a), (rb, b)):
        for value in np.unique(v):
            r[v == value] = r[v == value].mean()
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return round(float(np.corrcoef(ra, rb)[0, 1]), 12)


def clearer_outcome(errors: Sequence[float], roughness: Sequence[float]) -> str:
    """CLEARER: Spearman(test error, roughness) over the MLPs; 0.2 is the smallest positive value with four.

    >>> clearer_outcome([0.30, 0.31, 0.36, 0.39], [0.1, 0.2, 0.3, 0.4]), clearer_outcome([1, 2, 3, 4], [4, 3, 2, 1])
    ('holds', 'does not hold')
    """
    return at_least(spearman(errors, roughness), holds=C.RANK, partly=0.2)


def clearer_row(errors: Mapping[str, float], roughness: Mapping[str, float]) -> ClaimRow:
    rho = spearman(list(errors.values()), list(roughness.values()))
    err = ", ".join(f"{k} {v:.4f}" for k, v in errors.items())
    return ClaimRow(C.CLEARER, f"Spearman {_f(rho)} (test L1: {err})",
                    "Table 3.3 L1: " + ", ".join(f"{k} {THESIS_ERRORS[k][0]:.4f}" for k in errors if k in THESIS_ERRORS)
                    + "; clearer when lower " + _NO_NUMBER,
                    clearer_outcome(list(errors.values()), list(roughness.values())))


def mlp4_outcome(hit_21: float, hit_40: float, reached: float) -> str:
    """MLP4_HIDDEN: jump not recognisable at 21 and at 40, and p > 0.999 reached (three checks).

    >>> mlp4_outcome(0.1, 0.2, 1.0), mlp4_outcome(1.0, 0.2, 1.0), mlp4_outcome(1.0, 1.0, 1.0)
    ('holds', 'partly', 'does not hold')
    """
    return share([hit_21 <= C.HITS_PARTLY, hit_40 <= C.HITS_PARTLY, reached >= C.REACHED], holds=1.0, partly=0.5)


def mlp4_row(cells: Mapping[int, Mapping], reached: float, control: Mapping[int, Mapping],
             control_reached: float) -> ClaimRow:
    text = lambda c, r: f"hit share 21: {c[21]['hit']:.2f}, 40: {c[40]['hit']:.2f}; reached 0.999: {r:.3f}"
    return ClaimRow(C.MLP4_HIDDEN, text(cells, reached), "not recognisable at 21, 40; > 99.9 % " + _NO_NUMBER,
                    mlp4_outcome(cells[21]["hit"], cells[40]["hit"], reached), text(control, control_reached),
                    mlp4_outcome(control[21]["hit"], control[40]["hit"], control_reached))


def reaches_outcome(reached: float) -> str:
    """REACHES: share of starts that reach p > 0.999 before the guard.

    >>> reaches_outcome(1.0), reaches_outcome(0.95), reaches_outcome(0.5)
    ('holds', 'partly', 'does not hold')
    """
    return at_least(reached, holds=C.REACHED, partly=C.REACHED_PARTLY)


def reaches_row(reached: float, guard_hits: int, starts: int, median_iterations: Mapping[str, float],
                max_iter: int, control_reached: float) -> ClaimRow:
    its = ", ".join(f"{k} {v:.0f}" for k, v in median_iterations.items())
    return ClaimRow(C.REACHES, f"{reached:.3f} reached; {guard_hits}/{starts} starts hit the {max_iter}-step guard; "
                               f"median iterations {its}",
                    "every shown input > 0.999 (no iteration count)", reaches_outcome(reached),
                    f"untrained: {control_reached:.3f} reached (not judged)")


# ------------------------------------------------------------------------------------ CNNs
def _pairs_sharper(per_cnn: Sequence[Sequence[float]]) -> list[bool]:
    return [bool(s[m] > s[l]) for s in per_cnn for l, m in combinations(range(len(s)), 2)
            if np.isfinite(s[l]) and np.isfinite(s[m])]


def sharper_outcome(per_cnn: Sequence[Sequence[float]]) -> str:
    """SHARPER_*: share of layer pairs (l < m) per CNN whose deeper layer is sharper, pooled over CNNs.

    ``per_cnn`` lists, per CNN, the sharpness of layers 0 (input), 1, …, n.

    >>> sharper_outcome([[0.02, 0.1], [0.02, 0.05, 0.3]]), sharper_outcome([[0.3, 0.1], [0.3, 0.2, 0.1]])
    ('holds', 'does not hold')
    """
    flags = _pairs_sharper(per_cnn)
    return at_least(float(np.mean(flags)) if flags else None, holds=C.SHARPER, partly=0.5)


def sharper_row(criterion, per_cnn: Mapping[str, Sequence[float]], control: Mapping[str, Sequence[float]]) -> ClaimRow:
    text = lambda d: "; ".join(f"{k}: " + " → ".join(_f(v, 3) for v in s) for k, s in d.items())
    flags, cflags = _pairs_sharper(list(per_cnn.values())), _pairs_sharper(list(control.values()))
    return ClaimRow(criterion, f"{sum(flags)}/{len(flags)} pairs sharper deeper (sharpness, input → last conv: "
                               f"{text(per_cnn)})", "sharper closer to the output " + _NO_NUMBER,
                    sharper_outcome(list(per_cnn.values())), f"{sum(cflags)}/{len(cflags)} pairs; {text(control)}",
                    sharper_outcome(list(control.values())))


def undershoot_outcome(peak_position: float, undershoot: float) -> str:
    """CNN1_UNDERSHOOT: peak near 50, and a small undershoot after it (two checks).

    >>> undershoot_outcome(50, 0.1), undershoot_outcome(50, 0.0), undershoot_outcome(20, 0.0)
    ('holds', 'partly', 'does not hold')
    """
    return share([bool(abs(peak_position - 50) <= C.PEAK_TOLERANCE),
                  within(undershoot, C.UNDERSHOOT_LOW, C.UNDERSHOOT_HIGH) == HOLDS], holds=1.0, partly=0.5)


def undershoot_row(peak_position: float, undershoot: float, control_peak: float, control_undershoot: float) -> ClaimRow:
    text = lambda p, u: f"peak at {p:.0f}, undershoot {_f(u, 3)} of the peak"
    return ClaimRow(C.CNN1_UNDERSHOOT, text(peak_position, undershoot), "peak, then a bit under the base " + _NO_NUMBER,
                    undershoot_outcome(peak_position, undershoot), text(control_peak, control_undershoot),
                    undershoot_outcome(control_peak, control_undershoot))


def first_same_outcome(correlations: Sequence[float]) -> str:
    """FIRST_SAME: |r|(input, conv 1) ≥ SAME_SHAPE for each of the 2- and 3-conv CNNs.

    >>> first_same_outcome([0.95, 0.97]), first_same_outcome([0.95, 0.5]), first_same_outcome([0.3, 0.5])
    ('holds', 'partly', 'does not hold')
    """
    return share([bool(c >= C.SAME_SHAPE) for c in correlations], holds=1.0, partly=0.5)


def first_same_row(correlations: Mapping[str, float], control: Mapping[str, float]) -> ClaimRow:
    text = lambda d: ", ".join(f"{k} {_f(v, 3)}" for k, v in d.items())
    return ClaimRow(C.FIRST_SAME, f"abs. correlation (input, conv 1): {text(correlations)}", "almost the same shape " + _NO_NUMBER,
                    first_same_outcome(list(correlations.values())), text(control),
                    first_same_outcome(list(control.values())))


def third_same_outcome(correlation: float) -> str:
    """THIRD_SAME: |r|(conv 2, conv 3) of the 3-conv CNN.

    >>> third_same_outcome(0.95), third_same_outcome(0.8), third_same_outcome(0.2)
    ('holds', 'partly', 'does not hold')
    """
    return at_least(correlation, holds=C.SAME_SHAPE, partly=0.7)


def third_same_row(correlation: float, control: float) -> ClaimRow:
    return ClaimRow(C.THIRD_SAME, f"abs. correlation (conv 2, conv 3) {_f(correlation, 3)}", "no significant difference "
                    + _NO_NUMBER, third_same_outcome(correlation), f"{_f(control, 3)}", third_same_outcome(control))


# ------------------------------------------------------------------------------------ Fig. 7.1, MNIST
def fig7_1_outcome(predicted_positions) -> str:
    """FIG7_1: share of (signal, seed) pairs predicted at 50.

    >>> fig7_1_outcome([[50, 50, 50]]), fig7_1_outcome([[50, 50, 49]]), fig7_1_outcome([[21, 30, 49]])
    ('holds', 'partly', 'does not hold')
    """
    return at_least(float(np.mean(np.asarray(predicted_positions) == 50)), holds=C.HITS, partly=C.HITS_PARTLY)


def fig7_1_row(predicted, confidence, control_predicted, control_confidence) -> ClaimRow:
    text = lambda p, c: (f"{int(np.sum(np.asarray(p) == 50))}/{np.size(p)} predicted 50; p(50) median "
                         f"{np.median(c):.3f} (min {np.min(c):.3f})")
    return ClaimRow(C.FIG7_1, text(predicted, confidence), "all predicted 50; confidences under each graph "
                    "(not in the text)", fig7_1_outcome(predicted), text(control_predicted, control_confidence),
                    fig7_1_outcome(control_predicted))


def regularisers_outcome(changes: Mapping[str, float]) -> str:
    """REGULARISERS: share of regularisers whose median relative change is ≥ CHANGED.

    >>> regularisers_outcome({"clip": 0.5, "l2": 0.3}), regularisers_outcome({"clip": 0.5, "l2": 0.01})
    ('holds', 'partly')
    >>> regularisers_outcome({"identity": 0.0})
    'does not hold'
    """
    return share([bool(v >= C.CHANGED) for v in changes.values()], holds=1.0, partly=0.5)


def regularisers_row(changes: Mapping[str, float], control: Mapping[str, float], missing: str = "") -> ClaimRow:
    text = lambda d: ", ".join(f"{k} {_f(v, 3)}" for k, v in d.items())
    return ClaimRow(C.REGULARISERS, "median ‖x_r − x‖/‖x‖: " + text(changes), "(not a thesis experiment)",
                    regularisers_outcome(changes), text(control), regularisers_outcome(control), note=missing)
