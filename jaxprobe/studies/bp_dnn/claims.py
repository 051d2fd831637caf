"""Seed 000's claims (§3–4): outcomes from numbers only, each beside a negative control.

Every criterion of :mod:`.criteria` has one ``*_outcome`` function (numbers in, one of "holds",
"partly", "does not hold", "not measurable" out) and one row builder that applies it to the real
run and to a negative control and returns a :class:`ClaimRow`:

* an untrained network (the iteration-0 parameters in place of the trained ones) for claims about
  training; for a claim of change through training this network does not change, so its control
  shows what "no training" scores;
* label-shuffled targets (bp-DNN started from p − y with the labels permuted across digits, judged
  against the true classes) for the claims that the targets carry the label's discriminance;
* targets from wrong labels for the direct-loss identity, which must then fail.

A claim whose control also holds (or partly holds) is "not discriminating"
(:func:`jaxprobe.analysis.verdicts.with_control`). A discriminance pair is ``(knn, silhouette)``
as measured by ``jaxprobe.analysis.discriminance`` on the raw vectors; only the silhouette is
judged (see :mod:`.criteria`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple, Optional, Sequence

import numpy as np

from jaxprobe.analysis.stats import monotone_decreasing
from jaxprobe.analysis.verdicts import (DOES_NOT_HOLD, HOLDS, NOT_COMPARABLE, NOT_MEASURABLE, PARTLY, ClaimRow,
                                        Criterion, at_most, share, with_control)
from jaxprobe.studies.bp_dnn import criteria as C

__all__ = [
    "ClaimRow", "Measurements", "accuracy_outcome", "discriminant_outcome", "not_discriminant_outcome",
    "higher_layers_outcome", "gain_outcome", "grows_outcome", "similar_outcome", "gradient_outcome",
    "cosine_outcome", "guided_outcome", "identity_outcome", "accuracy", "targets_discriminant",
    "higher_layers", "targets_sharpen", "z1_grows", "z1_meets_target", "features_at_init", "features_after",
    "direct_losses", "cosine_close", "guided_readable", "guided_is_guided_backprop", "fig8_patterns",
    "evaluate", "discriminance_reading",
]

Pair = Sequence[float]  # (k-NN accuracy, silhouette)




# ---------------------------------------------------------------------------------------- outcomes
def accuracy_outcome(acc: float, seed_acc: float = 97.51) -> str:
    """|acc − seed_acc| ≤ 0.5 holds, ≤ 2.0 partly (percentage points).

    >>> accuracy_outcome(97.3), accuracy_outcome(96.0), accuracy_outcome(11.0)
    ('holds', 'partly', 'does not hold')
    """
    return at_most(abs(acc - seed_acc), holds=C.ACCURACY_HOLDS, partly=C.ACCURACY_PARTLY)


def discriminant_outcome(silhouettes: Sequence[float]) -> str:
    """Every set discriminant (silhouette > 0.25) holds; at least half partly.

    >>> discriminant_outcome([0.3, 0.5]), discriminant_outcome([0.3, 0.1]), discriminant_outcome([0.1, 0.2])
    ('holds', 'partly', 'does not hold')
    """
    return share([s > C.DISCRIMINANT_SILHOUETTE for s in silhouettes], partly=C.LAYER_SHARE_PARTLY)


def not_discriminant_outcome(silhouettes: Sequence[float]) -> str:
    """Every set not discriminant (silhouette ≤ 0.25) holds; at least half partly.

    >>> not_discriminant_outcome([0.0, 0.1]), not_discriminant_outcome([0.6, 0.7])
    ('holds', 'does not hold')
    """
    return share([s <= C.DISCRIMINANT_SILHOUETTE for s in silhouettes], partly=C.LAYER_SHARE_PARTLY)


def higher_layers_outcome(silhouettes_by_iteration: Sequence[Sequence[float]]) -> str:
    """Mean silhouette of layers 3..5 exceeds that of layers 1..2 by ≥ 0.05: at every iteration
    holds, at half of them partly.

    >>> higher_layers_outcome([[0.1, 0.2, 0.4, 0.5, 0.6], [0.5, 0.5, 0.5, 0.5, 0.5]])
    'partly'
    """
    return share([np.mean(s[2:5]) - np.mean(s[0:2]) >= C.MARGIN for s in silhouettes_by_iteration],
                 partly=C.LAYER_SHARE_PARTLY)


def gain_outcome(before: Sequence[float], after: Sequence[float]) -> str:
    """Every silhouette gains ≥ 0.05 from ``before`` to ``after`` holds; at least half partly.

    >>> gain_outcome([0.1, 0.2], [0.3, 0.4]), gain_outcome([0.1, 0.2], [0.1, 0.2])
    ('holds', 'does not hold')
    """
    return share([b - a >= C.MARGIN for a, b in zip(before, after)], partly=C.LAYER_SHARE_PARTLY)


def grows_outcome(series: Sequence[float]) -> str:
    """Silhouettes through training: last − first ≥ 0.05 and no step down by more than 0.05 holds;
    the net gain alone partly.

    >>> grows_outcome([0.0, 0.1, 0.2]), grows_outcome([0.0, 0.3, 0.1]), grows_outcome([0.2, 0.2, 0.2])
    ('holds', 'partly', 'does not hold')
    """
    gain = series[-1] - series[0] >= C.MARGIN
    steady = all(b >= a - C.MARGIN for a, b in zip(series, series[1:]))
    return share([gain, gain and steady], partly=0.5)


def similar_outcome(a: float, b: float) -> str:
    """|a − b| ≤ 0.05 holds, ≤ 0.10 partly (two silhouettes of a similar degree).

    >>> similar_outcome(0.30, 0.33), similar_outcome(0.30, 0.38), similar_outcome(0.1, 0.4)
    ('holds', 'partly', 'does not hold')
    """
    return at_most(abs(a - b), holds=C.MARGIN, partly=2 * C.MARGIN)


def gradient_outcome(max_relative_error: float) -> str:
    """The direct losses' gradient equals the true one within float32 rounding (≤ 1e-4).

    >>> gradient_outcome(2e-7), gradient_outcome(0.3)
    ('holds', 'does not hold')
    """
    return at_most(max_relative_error, holds=C.GRADIENT_TOLERANCE)


def cosine_outcome(start: Sequence[float], end: Sequence[float]) -> str:
    """cos(z_l, −õ_l) per layer: all ≥ 0.5 at the end holds; all risen by ≥ 0.10 (or ≥ 0.5) partly.

    >>> cosine_outcome([0.0, 0.0], [0.6, 0.7]), cosine_outcome([0.0, 0.0], [0.2, 0.3])
    ('holds', 'partly')
    >>> cosine_outcome([0.0, 0.0], [0.05, 0.3])
    'does not hold'
    """
    if any(math.isnan(c) for c in list(start) + list(end)):
        return NOT_MEASURABLE
    close = all(c >= C.CLOSE_COSINE for c in end)
    rose = all(b - a >= C.COSINE_RISE or b >= C.CLOSE_COSINE for a, b in zip(start, end))
    return share([rose, close], partly=0.5)


def guided_outcome(fraction_higher: float, p_value: float) -> str:
    """Guided-bp-DNN's map beats bp-DNN's on ≥ 90 % of digits holds; on more than half with
    Wilcoxon p < 0.01 partly.

    >>> guided_outcome(0.95, 1e-9), guided_outcome(0.7, 1e-4), guided_outcome(0.7, 0.2)
    ('holds', 'partly', 'does not hold')
    """
    if math.isnan(fraction_higher):
        return NOT_MEASURABLE
    if fraction_higher >= C.GUIDED_SHARE_HOLDS:
        return HOLDS
    if fraction_higher > 0.5 and p_value < C.GUIDED_P_VALUE:
        return PARTLY
    return DOES_NOT_HOLD


def identity_outcome(max_relative_difference: float) -> str:
    """Guided-bp-DNN equals guided backprop within 1e-5 (relative to the largest map entry).

    >>> identity_outcome(0.0), identity_outcome(1e-3)
    ('holds', 'does not hold')
    """
    return at_most(max_relative_difference, holds=C.GUIDED_TOLERANCE)


# ---------------------------------------------------------------------------------------- rows
def _pairs(pairs: Sequence[Pair]) -> str:
    return "sil " + ", ".join(f"{s:.2f}" for _, s in pairs) + "; k-NN " + ", ".join(f"{k:.2f}" for k, _ in pairs)


def _sils(pairs: Sequence[Pair]) -> list[float]:
    return [float(s) for _, s in pairs]


def accuracy(acc: float, acc_untrained: float, *, seed_acc: float, n_train: int, n_test: int, steps: int,
             test_desc: str) -> ClaimRow:
    """DNN-6's test accuracy; not comparable unless trained on the 60,000 MNIST digits.

    Control: the untrained network's accuracy through the same criterion.
    """
    full = n_train >= 50_000
    outcome = accuracy_outcome(acc, seed_acc) if full else NOT_COMPARABLE
    control_outcome = accuracy_outcome(acc_untrained, seed_acc) if full else NOT_COMPARABLE
    return ClaimRow(C.ACCURACY, f"{acc:.2f}", f"{seed_acc}", outcome, f"untrained network: {acc_untrained:.2f}",
                    control_outcome,
                    f"trained on {n_train:,} digits for {steps:,} iterations; tested on {n_test:,} digits, {test_desc}"
                    + ("" if full else "; the seed trained on the 60,000 MNIST digits"))


def targets_discriminant(criterion: Criterion, targets: Sequence[Pair], shuffled: Sequence[Pair]) -> ClaimRow:
    """õ_l, l = 1..5, discriminant at one iteration (``criteria.TARGETS_AT_INIT`` or ``TARGETS_AT_100``).

    Control: the targets of bp-DNN started from label-shuffled p − y, judged against the true classes.
    """
    return ClaimRow(criterion, _pairs(targets), "discriminant at every layer (by eye, Fig. 4)",
                    discriminant_outcome(_sils(targets)), "label-shuffled targets: " + _pairs(shuffled),
                    discriminant_outcome(_sils(shuffled)))


def higher_layers(by_iteration: Sequence[Sequence[Pair]], shuffled: Sequence[Sequence[Pair]],
                  iterations: Sequence[int]) -> ClaimRow:
    """Layers 3..5 of õ more discriminant than layers 1..2, at each of ``iterations`` (0 and 100).

    Control: label-shuffled targets at the same iterations.
    """
    def text(sets):
        return "; ".join(f"it {it}: {np.mean(_sils(p)[2:5]):.2f} vs {np.mean(_sils(p)[0:2]):.2f}"
                         for it, p in zip(iterations, sets))

    return ClaimRow(C.HIGHER_LAYERS, "mean sil l ≥ 3 vs l ≤ 2, " + text(by_iteration),
                    "higher layers more discriminant (Fig. 4)",
                    higher_layers_outcome([_sils(p) for p in by_iteration]), "label-shuffled targets: " + text(shuffled),
                    higher_layers_outcome([_sils(p) for p in shuffled]))


def targets_sharpen(t0: Sequence[Pair], t100: Sequence[Pair], s100: int) -> ClaimRow:
    """õ_1 and õ_2 gain silhouette from iteration 0 to ``s100``.

    Control: the untrained network, whose targets at ``s100`` are those of iteration 0.
    """
    before, after = _sils(t0[:2]), _sils(t100[:2])
    return ClaimRow(C.TARGETS_SHARPEN,
                    "; ".join(f"õ_{l} sil {a:.2f}→{b:.2f}" for l, a, b in zip((1, 2), before, after))
                    + f" (iteration {s100})", "more discriminant at 100 (Fig. 4)", gain_outcome(before, after),
                    "untrained network (no training): gains " + ", ".join(f"{a - a:.2f}" for a in before),
                    gain_outcome(before, before))


def z1_grows(z1: Sequence[Pair], fig5_steps: Sequence[int]) -> ClaimRow:
    """z_1's silhouette through Fig. 5's iterations.

    Control: the untrained network, whose z_1 stays that of the first snapshot.
    """
    series = _sils(z1)
    return ClaimRow(C.Z1_GROWS, "sil " + " → ".join(f"{s:.2f}" for s in series) + " (iterations "
                    + ", ".join(map(str, fig5_steps)) + ")", "more and more discriminant (Fig. 5)",
                    grows_outcome(series), f"untrained network: sil {series[0]:.2f} throughout",
                    grows_outcome([series[0]] * len(series)))


def z1_meets_target(z1_end: Pair, o1_end: Pair, z1_0: Pair, o1_0: Pair, steps: int) -> ClaimRow:
    """z_1 and õ_1 equally discriminant at the last iteration.

    Control: the same comparison on the untrained network (iteration 0).
    """
    return ClaimRow(C.Z1_MEETS_TARGET, f"it {steps}: sil z_1 {z1_end[1]:.2f} vs õ_1 {o1_end[1]:.2f} "
                    f"(k-NN {z1_end[0]:.2f} vs {o1_end[0]:.2f})", "similar degree of discriminance (Fig. 5)",
                    similar_outcome(z1_end[1], o1_end[1]),
                    f"untrained network: sil z_1 {z1_0[1]:.2f} vs õ_1 {o1_0[1]:.2f}", similar_outcome(z1_0[1], o1_0[1]))


def features_at_init(z0: Sequence[Pair], pixels: Pair) -> ClaimRow:
    """z_l at iteration 0 not discriminant, by the same bar as every other row.

    No control applies: the claim is about the initial network itself (the pixels are shown).
    """
    return ClaimRow(C.FEATURES_AT_INIT, _pairs(z0), "far from discriminant (Fig. 6, top row)",
                    not_discriminant_outcome(_sils(z0)),
                    note=f"no control: the claim concerns the initial network; raw pixels: sil {pixels[1]:.2f}, "
                         f"k-NN {pixels[0]:.2f}")


def features_after(z_end: Sequence[Pair], z0: Sequence[Pair], steps: int) -> ClaimRow:
    """z_l at the last iteration discriminant.

    Control: the untrained network's z_l (iteration 0) through the same criterion.
    """
    return ClaimRow(C.FEATURES_AFTER, f"it {steps}: " + _pairs(z_end), "discriminant at 10000 (Fig. 6, bottom row)",
                    discriminant_outcome(_sils(z_end)), "untrained network: " + _pairs(z0),
                    discriminant_outcome(_sils(z0)))


def direct_losses(max_error: float, max_error_wrong_targets: float) -> ClaimRow:
    """The direct losses' gradients against the true gradient.

    Control: targets õ_l computed from wrong labels, whose gradients must then differ.
    """
    return ClaimRow(C.DIRECT_LOSSES, f"max relative error {max_error:.1e}", "equal (derivation)",
                    gradient_outcome(max_error), f"targets from wrong labels: {max_error_wrong_targets:.1e}",
                    gradient_outcome(max_error_wrong_targets), "float32, layers 1..6, trained network")


def cosine_close(cos_start: Sequence[float], cos_end: Sequence[float], steps: int) -> ClaimRow:
    """Mean cos(z_l, −õ_l) at the last iteration and its rise from iteration 0.

    Control: the untrained network (iteration 0 throughout).
    """
    return ClaimRow(C.COSINE_CLOSE, "; ".join(f"l={l}: {a:.2f}→{b:.2f}" for l, (a, b) in
                                              enumerate(zip(cos_start, cos_end), start=1)) + f" (iteration {steps})",
                    "close in cosine distance (§3.1)", cosine_outcome(cos_start, cos_end),
                    "untrained network: " + ", ".join(f"{a:.2f}" for a in cos_start), cosine_outcome(cos_start, cos_start))


def guided_readable(paired: Mapping[str, Any], paired_untrained: Mapping[str, Any], mean_r: Mapping[str, float],
                    mean_r_untrained: Mapping[str, float]) -> ClaimRow:
    """Guided-bp-DNN's maps against bp-DNN's, digit by digit (``measures.paired_comparison``).

    Control: the same maps of the untrained network.
    """
    def text(p, r):
        return (f"guided higher on {100 * p['fraction_higher']:.1f} % of {p['n']} digits (Wilcoxon p = "
                f"{p['p_value']:.1e}); mean r {r['guided']:.3f} vs {r['bp']:.3f}")

    return ClaimRow(C.GUIDED_READABLE, text(paired, mean_r), "guided readable, bp-DNN 'a mess' (by eye, Fig. 7)",
                    guided_outcome(paired["fraction_higher"], paired["p_value"]),
                    "untrained network: " + text(paired_untrained, mean_r_untrained),
                    guided_outcome(paired_untrained["fraction_higher"], paired_untrained["p_value"]))


def guided_is_guided_backprop(max_rel_diff: float, n_digits: int) -> ClaimRow:
    """Guided-bp-DNN against guided backprop; no control (an identity for every ReLU network)."""
    return ClaimRow(C.GUIDED_IS_GUIDED_BACKPROP, f"max abs difference / max abs map = {max_rel_diff:.1e}", "the same",
                    identity_outcome(max_rel_diff),
                    note=f"{n_digits} digits; no control: an identity for every ReLU network")


def fig8_patterns(on_ink: float, on_ink_untrained: float, near_ink: float, n_digits: int) -> ClaimRow:
    """Fig. 8's patterns are judged by eye: not measurable; where the boxes sit is shown for both networks."""
    return ClaimRow(C.FIG8_PATTERNS, f"{100 * on_ink:.1f} % of the two strongest boxes centred within 1 px of ink "
                    f"({n_digits} digits; such pixels cover {100 * near_ink:.1f} % of the image)",
                    "intersections (red) and turns (green), by eye", NOT_MEASURABLE,
                    f"untrained network: {100 * on_ink_untrained:.1f} %", NOT_MEASURABLE,
                    "we can check that highlights sit on strokes, not whether they are intersections or turns")


# ---------------------------------------------------------------------------------------- wiring
@dataclass(frozen=True)
class Measurements:
    """Every number the claims need, from one run and its controls.

    ``disc`` maps ``(kind, l, step)`` to ``(knn, silhouette)`` (``protocol.discriminance_by_snapshot``);
    ``disc_shuffled`` the same for label-shuffled targets at iterations 0 and ``min(100, steps)``;
    ``cos_curve`` maps each snapshot to mean cos(z_l, −õ_l) per layer; ``paired*`` and ``mean_r*``
    are ``measures.reconstruction_scores``'s comparisons for the trained and untrained networks.
    """

    steps: int
    fig5_steps: tuple
    disc: Mapping
    disc_shuffled: Mapping
    accuracy: float
    accuracy_untrained: float
    n_train: int
    n_test: int
    test_desc: str
    gradient_error: float
    gradient_error_wrong_targets: float
    cos_curve: Mapping
    paired: Mapping
    paired_untrained: Mapping
    mean_r: Mapping
    mean_r_untrained: Mapping
    guided_vs_guided_backprop: float
    on_ink: float
    on_ink_untrained: float
    near_ink: float
    n_maps: int
    seed_accuracy: float = 97.51
    n_hidden: int = 5
    #: per-digit Pearson r of the 'guided' and 'bp' maps with their digits (trained, untrained); optional,
    #: used to average seeds digit by digit (``over_seeds.mean_measurements``)
    r: Optional[Mapping] = None
    r_untrained: Optional[Mapping] = None


def evaluate(m: Measurements) -> list[ClaimRow]:
    """Every claim of seed 000, in the order of ``criteria.ALL``."""
    layers = range(1, m.n_hidden + 1)
    s100, last = min(100, m.steps), m.steps
    at = lambda kind, s, d=m.disc: [d[(kind, l, s)] for l in layers]
    return [
        accuracy(m.accuracy, m.accuracy_untrained, seed_acc=m.seed_accuracy, n_train=m.n_train, n_test=m.n_test,
                 steps=m.steps, test_desc=m.test_desc),
        targets_discriminant(C.TARGETS_AT_INIT, at("targets", 0), at("targets", 0, m.disc_shuffled)),
        targets_discriminant(C.TARGETS_AT_100, at("targets", s100), at("targets", s100, m.disc_shuffled)),
        higher_layers([at("targets", 0), at("targets", s100)],
                      [at("targets", 0, m.disc_shuffled), at("targets", s100, m.disc_shuffled)], (0, s100)),
        targets_sharpen(at("targets", 0), at("targets", s100), s100),
        z1_grows([m.disc[("z", 1, s)] for s in m.fig5_steps], m.fig5_steps),
        z1_meets_target(m.disc[("z", 1, last)], m.disc[("targets", 1, last)], m.disc[("z", 1, 0)],
                        m.disc[("targets", 1, 0)], last),
        features_at_init(at("z", 0), m.disc[("input", 0, 0)]),
        features_after(at("z", last), at("z", 0), last),
        direct_losses(m.gradient_error, m.gradient_error_wrong_targets),
        cosine_close(m.cos_curve[0], m.cos_curve[last], last),
        guided_readable(m.paired, m.paired_untrained, m.mean_r, m.mean_r_untrained),
        guided_is_guided_backprop(m.guided_vs_guided_backprop, m.n_maps),
        fig8_patterns(m.on_ink, m.on_ink_untrained, m.near_ink, m.n_maps),
    ]




def discriminance_reading(disc: Mapping, snap_steps: Sequence[int], n_hidden: int = 5) -> str:
    """The report's paragraph reading the discriminance table; every clause is chosen by a number.

    Args:
      disc: ``{(kind, l, step): (knn, silhouette)}`` as from ``protocol.discriminance_by_snapshot``.
      snap_steps: the snapshots, iteration 0 first and the last iteration last.

    Returns:
      Markdown text.
    """
    last, top = snap_steps[-1], ("top", n_hidden + 1)
    down = [disc[("targets", l, 0)][1] for l in range(n_hidden, 0, -1)]
    o1 = [(s, disc[("targets", 1, s)][1]) for s in snap_steps]
    s_peak, v_peak = max(o1, key=lambda t: t[1])
    z0 = [disc[("z", l, 0)] for l in range(1, n_hidden + 1)]
    pixels = disc[("input", 0, 0)]
    local = all(k >= 3 * 0.1 for k, _ in z0)
    global_overlap = all(s <= C.DISCRIMINANT_SILHOUETTE for _, s in z0)
    z1_meets = abs(disc[("z", 1, last)][1] - o1[-1][1]) <= C.MARGIN
    text = [
        f"Reading the numbers. The bp-DNN input p − y has silhouette {disc[top + (0,)][1]:.2f} at iteration 0 "
        f"and {disc[top + (last,)][1]:.2f} at iteration {last} (the label code e_y − 1/10: "
        f"{disc[('label', 0, 0)][1]:.2f}).",
        f"At iteration 0 the targets' silhouette from l = 5 down to l = 1 is {', '.join(f'{s:.2f}' for s in down)}: "
        + ("it falls at every layer on the way down." if monotone_decreasing(down) else
           "it does not fall at every layer on the way down."),
        f"The silhouette of õ_1 peaks at iteration {s_peak} ({v_peak:.2f}) and ends at {o1[-1][1]:.2f}"
        + (f"; z_1 ends within {C.MARGIN} of it while õ_1 fell by more than {C.MARGIN} from its peak, so part of "
           "their meeting is the target losing discriminance." if z1_meets and o1[-1][1] < v_peak - C.MARGIN else "."),
        f"The features z_l at iteration 0 have k-NN {', '.join(f'{k:.2f}' for k, _ in z0)} (pixels {pixels[0]:.2f}) "
        f"and silhouette {', '.join(f'{s:.2f}' for _, s in z0)} (pixels {pixels[1]:.2f})"
        + (": every layer keeps local class neighbourhoods (k-NN ≥ 3× chance) while no layer passes the "
           "discriminant bar." if local and global_overlap else "."),
    ]
    return " ".join(text)
