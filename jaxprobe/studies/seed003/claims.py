"""Seed 003's claims: outcomes from numbers only, each beside a negative control where one applies.

Every criterion of :mod:`.criteria` has an ``*_outcome`` function (numbers in, an outcome out) and
a row builder that applies it to the sweep (``{(rule, hidden, depth): protocol.Architecture}``)
and to a control:

* the untrained network (the step-0 parameters of the same seeds) for the Fig. 1–2 claims;
* the same features measured against the wrong classes' patterns (class c read as c + 1) for the
  phase claim: a rise and fall of E that is about the classes must not appear there.

A claim whose control also holds (or partly holds) is "not discriminating".
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, Optional, Sequence

import numpy as np
from scipy.stats import spearmanr

from jaxprobe.analysis.explainability import rise_and_fall
from jaxprobe.analysis.verdicts import (NOT_COMPARABLE, NOT_MEASURABLE, ClaimRow, Criterion, at_least, at_most,
                                        share, with_control)
from jaxprobe.studies.seed003 import criteria as C

__all__ = ["ClaimRow", "accuracy_outcome", "identified_outcome", "transition_outcome", "phases_outcome",
           "transition_accuracy_outcome", "resist_outcome", "agree_outcome", "nearest_snapshot",
           "falls", "fig_snapshots", "evaluate", "reading"]

FIG1_ACCURACY, FIG2_ACCURACY = 85.88, 94.86
SMALL, LARGE = (8, 16), (512, 1024)




# ---------------------------------------------------------------------------------------- outcomes
def accuracy_outcome(ours: Sequence[float], seed: Sequence[float], full_mnist: bool) -> str:
    """Largest |ours − seed| ≤ 1 point holds, ≤ 3 partly; not comparable off full MNIST.

    >>> accuracy_outcome([86.0, 94.0], [85.88, 94.86], True), accuracy_outcome([86.0], [85.88], False)
    ('holds', 'not comparable')
    """
    if not full_mnist:
        return NOT_COMPARABLE
    return at_most(max(abs(a - b) for a, b in zip(ours, seed)), holds=1.0, partly=3.0)


def identified_outcome(identified_share: float) -> str:
    """≥ 0.9 of the features identified holds, ≥ 0.5 partly.

    >>> identified_outcome(1.0), identified_outcome(0.6), identified_outcome(0.1)
    ('holds', 'partly', 'does not hold')
    """
    return at_least(identified_share, holds=C.IDENTIFIED_HOLDS, partly=C.IDENTIFIED_PARTLY)


def transition_outcome(mutual_rise: float, explainability_fall: float) -> str:
    """Mutual cosine up by ≥ 0.2 and E down by ≥ 0.1 holds; one of them partly.

    >>> transition_outcome(0.4, 0.5), transition_outcome(0.4, 0.0), transition_outcome(0.0, 0.0)
    ('holds', 'partly', 'does not hold')
    """
    return share([mutual_rise >= C.MUTUAL_RISE, explainability_fall >= C.MARGIN], holds=1.0, partly=0.5)


def phases_outcome(rises: Sequence[float], drops: Sequence[float]) -> str:
    """Share of trajectories whose E rises and falls by ≥ 0.1: ≥ 0.9 holds, ≥ 0.5 partly.

    >>> phases_outcome([0.5, 0.5], [0.4, 0.0]), phases_outcome([], [])
    ('partly', 'not measurable')
    """
    return share([r >= C.MARGIN and d >= C.MARGIN for r, d in zip(rises, drops)], holds=C.SHARE_HOLDS,
                 partly=C.SHARE_PARTLY)


def transition_accuracy_outcome(accuracies: Sequence[float]) -> str:
    """|median − 90| ≤ 2.5 points holds, ≤ 5 partly; no falling trajectory: not measurable.

    >>> transition_accuracy_outcome([89.0, 91.5]), transition_accuracy_outcome([84.0]), transition_accuracy_outcome([])
    ('holds', 'does not hold', 'not measurable')
    """
    if not len(accuracies):
        return NOT_MEASURABLE
    return at_most(abs(float(np.median(accuracies)) - C.TRANSITION_ACCURACY), holds=C.TRANSITION_HOLDS,
                   partly=C.TRANSITION_PARTLY)


def resist_outcome(drop_pairs: Sequence[tuple]) -> str:
    """``(small_drop, large_drop)`` per depth: small ≤ large − 0.1 at every depth holds, at half partly.

    >>> resist_outcome([(0.1, 0.5), (0.4, 0.4)]), resist_outcome([])
    ('partly', 'not measurable')
    """
    return share([s <= l - C.MARGIN for s, l in drop_pairs], holds=1.0, partly=0.5)


def agree_outcome(rho: float) -> str:
    """Spearman ρ ≥ 0.7 holds, ≥ 0.4 partly.

    >>> agree_outcome(0.8), agree_outcome(0.5), agree_outcome(float("nan"))
    ('holds', 'partly', 'not measurable')
    """
    return at_least(rho, holds=C.AGREE_HOLDS, partly=C.AGREE_PARTLY)


# ---------------------------------------------------------------------------------------- helpers
def nearest_snapshot(accuracy: np.ndarray, target: float) -> np.ndarray:
    """Per seed, the snapshot index whose accuracy is nearest ``target``: ``accuracy`` is (snapshots, K).

    >>> nearest_snapshot(np.array([[10., 20.], [80., 86.], [90., 95.]]), 85.88).tolist()
    [2, 1]
    """
    return np.argmin(np.abs(np.asarray(accuracy) - target), axis=0)


def _per_seed(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    return np.asarray(values)[index, np.arange(len(index))]


def falls(arch, route: str = "gtp", measure: str = "explainability") -> list:
    """``rise_and_fall`` of a measure along the snapshots, one per seed, with the accuracy at the
    half-drop point (None when the measure does not fall by the margin): list of (Trajectory, accuracy)."""
    values = arch.measures[route][measure]
    out = []
    for k in range(values.shape[1]):
        t = rise_and_fall(values[:, k])
        acc = float(arch.accuracy[t.half_drop_index, k]) if t.drop >= C.MARGIN else None
        out.append((t, acc))
    return out


def fig_snapshots(arch) -> tuple[np.ndarray, np.ndarray]:
    """Per seed, the snapshot nearest the seed's Fig. 1 accuracy (85.88 %) and the last snapshot."""
    matched = nearest_snapshot(arch.accuracy, FIG1_ACCURACY)
    return matched, np.full_like(matched, len(arch.steps) - 1)


def _fmt(values) -> str:
    v = np.asarray(values, np.float64)
    return f"{v.mean():.2f} ± {v.std():.2f}" if v.size > 1 else f"{v.mean():.2f}"


# ---------------------------------------------------------------------------------------- rows
def accuracy_row(sweep: Mapping, epoch_index: Mapping[int, int], full_mnist: bool, n_train: int) -> ClaimRow:
    arch = sweep.get(("gtp", 128, 1))
    if arch is None or not {1, 10} <= set(epoch_index):
        return ClaimRow(C.ACCURACY, "not run", "85.88 / 94.86", NOT_MEASURABLE)
    ours = [float(arch.accuracy[epoch_index[e]].mean()) for e in (1, 10)]
    return ClaimRow(C.ACCURACY, f"{ours[0]:.2f} / {ours[1]:.2f}", "85.88 / 94.86",
                    accuracy_outcome(ours, [FIG1_ACCURACY, FIG2_ACCURACY], full_mnist),
                    note=f"trained on {n_train:,} digits, the seed on 60,000")


def fig1_row(sweep: Mapping) -> ClaimRow:
    arch = sweep.get(("gtp", 128, 1))
    if arch is None:
        return ClaimRow(C.FIG1_RESEMBLE, "not run", "visual similarity", NOT_MEASURABLE)
    matched, _ = fig_snapshots(arch)
    judged = _per_seed(arch.measures["gtp"]["judge_id"], matched)
    untrained = arch.measures["gtp"]["judge_id"][0]
    acc = _per_seed(arch.accuracy, matched)
    return ClaimRow(C.FIG1_RESEMBLE, f"{judged.mean():.2f} (E = {_fmt(_per_seed(arch.measures['gtp']['explainability'], matched))})",
                    "visual similarity (Fig. 1)", identified_outcome(float(judged.mean())),
                    control=f"untrained: {untrained.mean():.2f}", control_outcome=identified_outcome(float(untrained.mean())),
                    note=f"snapshots at {_fmt(acc)} % test accuracy")


def fig2_row(sweep: Mapping) -> ClaimRow:
    arch = sweep.get(("gtp", 128, 1))
    if arch is None:
        return ClaimRow(C.FIG2_TRANSITION, "not run", "alike, unlike the data", NOT_MEASURABLE)
    matched, last = fig_snapshots(arch)
    m, e = arch.measures["gtp"]["mutual_cosine"], arch.measures["gtp"]["explainability"]
    rise = float((_per_seed(m, last) - _per_seed(m, matched)).mean())
    fall = float((_per_seed(e, matched) - _per_seed(e, last)).mean())
    acc = (_per_seed(arch.accuracy, matched).mean(), _per_seed(arch.accuracy, last).mean())
    return ClaimRow(C.FIG2_TRANSITION, f"mutual cosine +{rise:.2f}, E −{fall:.2f}", "alike, unlike the data (Fig. 2b)",
                    transition_outcome(rise, fall), control="untrained vs itself: +0.00, −0.00",
                    control_outcome=transition_outcome(0.0, 0.0),
                    note=f"from {acc[0]:.1f} % to {acc[1]:.1f} % test accuracy")


def phases_row(sweep: Mapping) -> ClaimRow:
    archs = [a for (rule, _, _), a in sweep.items() if rule == "gtp"]
    if not archs:
        return ClaimRow(C.PHASES, "not run", "all results", NOT_MEASURABLE)
    real = [t for a in archs for t, _ in falls(a)]
    wrong = [t for a in archs for t, _ in falls(a, measure="explainability_wrong_class")]
    ok = sum(t.rise >= C.MARGIN and t.drop >= C.MARGIN for t in real)
    ok_wrong = sum(t.rise >= C.MARGIN and t.drop >= C.MARGIN for t in wrong)
    return ClaimRow(C.PHASES, f"{ok} of {len(real)} trajectories", "all results (Fig. 3)",
                    phases_outcome([t.rise for t in real], [t.drop for t in real]),
                    control=f"wrong-class patterns: {ok_wrong} of {len(wrong)}",
                    control_outcome=phases_outcome([t.rise for t in wrong], [t.drop for t in wrong]))


def transition_row(sweep: Mapping) -> ClaimRow:
    accs = [acc for (rule, _, _), a in sweep.items() if rule == "gtp" for _, acc in falls(a) if acc is not None]
    ours = f"median {np.median(accs):.1f} % over {len(accs)} falling trajectories" if accs else "no trajectory falls"
    return ClaimRow(C.TRANSITION_AT_90, ours, "about 90 %", transition_accuracy_outcome(accs))


def resist_row(sweep: Mapping, depths: Sequence[int] = (1, 3)) -> ClaimRow:
    pairs, parts, used = [], [], []
    for depth in depths:
        small = [t.drop for h in SMALL if ("gtp", h, depth) in sweep for t, _ in falls(sweep[("gtp", h, depth)])]
        large = [t.drop for h in LARGE if ("gtp", h, depth) in sweep for t, _ in falls(sweep[("gtp", h, depth)])]
        if small and large:
            pairs.append((float(np.mean(small)), float(np.mean(large))))
            parts.append(f"{depth} layer(s): {pairs[-1][0]:.2f} vs {pairs[-1][1]:.2f}")
            used.append(depth)
    if not pairs:
        return ClaimRow(C.SMALL_RESIST, "not run (needs widths 8/16 and 512/1024)", "resist (Fig. 5, 6)",
                        NOT_MEASURABLE)
    last_acc = {g: np.mean([sweep[("gtp", h, d)].accuracy[-1].mean() for h in hs for d in used if ("gtp", h, d) in sweep])
                for g, hs in (("small", SMALL), ("large", LARGE))}
    return ClaimRow(C.SMALL_RESIST, "fall small vs large: " + "; ".join(parts), "resist (Fig. 5, 6)",
                    resist_outcome(pairs),
                    note=f"last test accuracy: small {last_acc['small']:.1f} %, large {last_acc['large']:.1f} %")


def agree_row(sweep: Mapping) -> ClaimRow:
    e = np.concatenate([a.measures["gtp"]["explainability"].ravel() for (r, _, _), a in sweep.items() if r == "gtp"])
    j = np.concatenate([a.measures["gtp"]["judge_id"].ravel() for (r, _, _), a in sweep.items() if r == "gtp"])
    rho = float(spearmanr(e, j).statistic) if len(e) > 2 and np.ptp(j) > 0 else float("nan")
    return ClaimRow(C.MEASURES_AGREE, f"ρ = {rho:.2f} over {len(e)} feature sets", "—", agree_outcome(rho))


def evaluate(sweep: Mapping, epoch_index: Mapping[int, int], full_mnist: bool, n_train: int) -> list:
    """Every claim of :data:`criteria.ALL`, in order."""
    return [accuracy_row(sweep, epoch_index, full_mnist, n_train), fig1_row(sweep), fig2_row(sweep),
            phases_row(sweep), transition_row(sweep), resist_row(sweep), agree_row(sweep)]




def reading(sweep: Mapping) -> str:
    """The report's paragraph on what falls when E falls; every clause is chosen by a number."""
    arch = sweep.get(("gtp", 128, 1))
    if arch is None:
        return ""
    matched, last = fig_snapshots(arch)
    g = arch.measures["gtp"]
    e0, e1 = _per_seed(g["explainability"], matched).mean(), _per_seed(g["explainability"], last).mean()
    s0, s1 = _per_seed(g["explainability_specific"], matched).mean(), _per_seed(g["explainability_specific"], last).mean()
    f0, f1 = _per_seed(g["shared_fraction"], matched).mean(), _per_seed(g["shared_fraction"], last).mean()
    fell = e0 - e1 >= C.MARGIN
    specific_kept = s0 - s1 < C.MARGIN
    text = (f"For 784-128-10 (GTP), from the snapshot nearest 85.88 % to the last, E goes from {e0:.2f} to {e1:.2f}; "
            f"the share of the features' energy in one pattern common to all ten classes goes from {f0:.2f} to "
            f"{f1:.2f}, and E of the class-specific parts (each feature minus the ten features' mean) from {s0:.2f} "
            f"to {s1:.2f}. ")
    if fell and specific_kept:
        text += ("So what falls is not the class-specific content of the features but its weight: a pattern shared "
                 "by every class grows over it, which is why the features look alike (seed Fig. 2b).")
    elif fell:
        text += "The class-specific parts lose their resemblance to the classes as well."
    else:
        text += "E does not fall by the margin here."
    bp = sweep.get(("bp", 128, 1))
    if bp is not None:
        g = bp.measures["gtp"]
        e, spec, shared = g["explainability"][-1].mean(), g["explainability_specific"][-1].mean(), g["shared_fraction"][-1].mean()
        text += (f" On the back-propagation-trained 784-128-10 (one-hot at the logits) the GTP features end at E = {e:.2f} "
                 f"with {shared:.2f} of their energy shared by all classes, while their class-specific parts score "
                 f"E = {spec:.2f}")
        text += (": there the common pattern alone hides the classes." if spec - e >= C.MARGIN and shared >= 0.5
                 else ".")
    return text
