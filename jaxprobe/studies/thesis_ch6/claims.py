"""The checks of thesis Ch. 6's claims: numbers in, claim rows out (criteria in :mod:`.criteria`).

Every ``*_outcome`` function turns numbers into one outcome of its criterion and can return each outcome
(``tests/test_study_ch6.py`` reaches them on synthetic numbers); every ``*_row`` function applies it to the
real networks and to the criterion's negative control and combines the two with
``jaxprobe.analysis.verdicts.with_control``. Profiles are ``{measure: (K seeds, layers)}`` arrays as from
:func:`jaxprobe.studies.thesis_ch6.measures.layer_profile`; column l is layer l (0 = input). "Seed means"
average over the K networks.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, Optional, Sequence

import numpy as np

from jaxprobe.analysis.verdicts import (DOES_NOT_HOLD, HOLDS, NOT_COMPARABLE, PARTLY, Criterion, at_least, at_most,
                                        share, with_control)
from jaxprobe.studies.thesis_ch6 import criteria as C
from jaxprobe.studies.thesis_ch6.measures import SIGNATURE_MEASURES, ratio_to_input, separated

__all__ = ["ClaimRow", "ACTIVATION_INSENSITIVE", "smoke_test", "mem_reaches_row", "mem_slower_outcome",
           "mem_slower_row", "mem_fails_row", "stripes_outcome", "stripes_row", "tsne_spread_outcome",
           "tsne_like_input_outcome", "tsne_rows", "euclidean_outcome", "level_outcome", "inner_drops_outcome",
           "inter_flat_outcome", "normal_rows", "mnist_accuracy_row", "mnist_inner_outcome", "mnist_inter_outcome",
           "mnist_rows", "mem_level_outcome", "mem_inner_random_outcome", "mem_inter_random_outcome",
           "mem_inner_true_outcome", "mem_inter_true_outcome", "memorising_rows", "nc1_outcome", "nc1_row",
           "signature_table", "signature_outcome", "signature_row"]

ACTIVATION_INSENSITIVE = ("normalised_euclidean", "cosine", "correlation")
HIDDEN = (1, 2, 3)


class ClaimRow(NamedTuple):
    """One row of the comparison table: criterion, our number, the thesis's, the outcome, and the control."""

    criterion: Criterion
    ours: str
    thesis: str
    verdict: str
    note: str = ""
    control: Optional[str] = None
    control_verdict: Optional[str] = None


def _row(criterion, ours, thesis, outcome, control=None, control_outcome=None, note="") -> ClaimRow:
    return ClaimRow(criterion, ours, thesis, with_control(outcome, control_outcome), note, control, control_outcome)


def smoke_test(rows: Sequence[ClaimRow], reason: str) -> list[ClaimRow]:
    """Marks the rows about trained networks as a smoke test (quick mode), giving ``reason``."""
    return [r._replace(note=f"smoke test ({reason})" + (f"; {r.note}" if r.note else "")) if r.criterion.trained
            else r for r in rows]


def _mean(profile: Mapping, key: str) -> np.ndarray:
    return np.nanmean(np.asarray(profile[key], np.float64), axis=0)


def _fmt(values, digits: int = 3) -> str:
    return " → ".join(f"{v:.{digits}g}" for v in np.asarray(values, np.float64))


# ------------------------------------------------------------------------------------------ §6.2 training
def mem_reaches_row(best_accuracy, epochs_100, budget: int) -> ClaimRow:
    """MEM_REACHES from each seed's best training accuracy at the checks and its epochs to 100 % (inf: never)."""
    best, epochs_100 = np.asarray(best_accuracy, np.float64), np.asarray(epochs_100, np.float64)
    outcome = HOLDS if (best >= 1.0).all() else PARTLY if (best >= 0.99).all() else DOES_NOT_HOLD
    reached = np.isfinite(epochs_100)
    ours = (f"{reached.sum()}/{len(best)} seeds at 100 % within {budget} epochs"
            + (f"; epochs to 100 %: median {np.median(epochs_100[reached]):.0f} "
               f"({np.min(epochs_100[reached]):.0f}–{np.max(epochs_100[reached]):.0f})" if reached.any() else "")
            + f"; best accuracy {best.min():.4f}–{best.max():.4f}")
    return _row(C.MEM_REACHES, ours, "100 % (no epoch count given)", outcome)


def mem_slower_outcome(mem_epochs: Mapping[float, np.ndarray], normal_epochs: Mapping[float, np.ndarray]) -> str:
    """MEM_SLOWER: share of accuracy levels at which the memorising network's median epochs exceed the normal's.

    >>> mem_slower_outcome({1.0: np.array([900.])}, {1.0: np.array([300.])})
    'holds'
    """
    return share([np.median(mem_epochs[a]) > np.median(normal_epochs[a]) for a in mem_epochs], holds=1.0,
                 partly=0.5)


def mem_slower_row(mem_epochs, normal_epochs) -> ClaimRow:
    ours = "; ".join(f"acc {a:g}: memorising {np.median(mem_epochs[a]):.0f} vs normal {np.median(normal_epochs[a]):.0f}"
                     for a in mem_epochs) + " epochs (medians; inf = not reached)"
    return _row(C.MEM_SLOWER, ours, "\"relatively slow\" (2-layer MLP: 0 training error after 1400 epochs, §3.3.1)",
                mem_slower_outcome(mem_epochs, normal_epochs))


def mem_fails_row(mem_accuracy, normal_accuracy) -> ClaimRow:
    """MEM_FAILS on the true-label accuracies of both networks (the normal network is the control)."""
    judge = lambda acc: at_most(float(np.median(acc)), holds=C.FAILS, partly=0.2)
    return _row(C.MEM_FAILS, f"accuracy {np.median(mem_accuracy):.4f} (chance {1 / 60:.4f})", "fails (no number)",
                judge(mem_accuracy), f"normal network {np.median(normal_accuracy):.4f}", judge(normal_accuracy))


# ------------------------------------------------------------------------------------------ §6.2.4 stripes
def stripes_outcome(per_layer, *, present: bool) -> str:
    """Stripes (``present``: index ≥ STRIPES) or no stripes (≤ NO_STRIPES) at every / half the hidden layers.

    ``per_layer`` is (K, hidden layers); the seed median of each layer is judged.

    >>> stripes_outcome(np.array([[0.9, 0.8, 0.1]]), present=True)
    'partly'
    """
    med = np.median(np.asarray(per_layer, np.float64), axis=0)
    flags = med >= C.STRIPES if present else med <= C.NO_STRIPES
    return share(flags.tolist(), holds=1.0, partly=0.5)


def stripes_row(criterion: Criterion, values, control_values, control_name: str, *, present: bool) -> ClaimRow:
    """A stripe claim: ``values`` and ``control_values`` are stripe indices (K, hidden layers 1–3)."""
    med, ctl = (np.median(np.asarray(v, np.float64), axis=0) for v in (values, control_values))
    thesis = "stripes " + ("present" if present else "absent") + " (heat maps, no number)"
    return _row(criterion, "stripe index, layers 1–3: " + _fmt(med, 2), thesis,
                stripes_outcome(values, present=present),
                f"{control_name}: {_fmt(ctl, 2)}", stripes_outcome(control_values, present=present))


# ------------------------------------------------------------------------------------------ §6.3 t-SNE
def tsne_spread_outcome(agreement) -> str:
    """TSNE_MEM_SPREADS on neighbour agreements of layers 0–3.

    >>> tsne_spread_outcome([0.6, 0.5, 0.3, 0.2]), tsne_spread_outcome([0.6, 0.5, 0.55, 0.4])
    ('holds', 'partly')
    """
    a = np.asarray(agreement, np.float64)
    if a[3] <= C.SPREAD * a[0] and a[2] <= a[1] and a[3] <= a[2]:
        return HOLDS
    return PARTLY if a[3] < a[0] else DOES_NOT_HOLD


def tsne_like_input_outcome(agreement) -> str:
    """TSNE_NORMAL_LIKE_INPUT: the smallest hidden-layer agreement (layers 1–3) over the input's.

    >>> tsne_like_input_outcome([0.5, 0.45, 0.6, 0.5]), tsne_like_input_outcome([0.5, 0.2, 0.6, 0.5])
    ('holds', 'does not hold')
    """
    a = np.asarray(agreement, np.float64)
    return at_least(float(a[1:4].min() / a[0]), holds=C.SIMILAR, partly=0.5)


def tsne_rows(mem_agreement, normal_agreement) -> list[ClaimRow]:
    """Both t-SNE claims on neighbour agreements of layers 0–3; each network is the other's control."""
    mem, normal = (_fmt(np.asarray(a)[:4], 2) for a in (mem_agreement, normal_agreement))
    return [_row(C.TSNE_MEM_SPREADS, f"neighbour agreement, layers 0–3: {mem}",
                 "looser with depth, even by layer 3 (figure only)", tsne_spread_outcome(mem_agreement),
                 f"normal network: {normal}", tsne_spread_outcome(normal_agreement)),
            _row(C.TSNE_NORMAL_LIKE_INPUT, f"neighbour agreement, layers 0–3: {normal}",
                 "not really different from the input (figure only)", tsne_like_input_outcome(normal_agreement),
                 f"memorising network: {mem}", tsne_like_input_outcome(mem_agreement))]


# ------------------------------------------------------------------------------------------ §6.4.1 normal
def euclidean_outcome(profile) -> str:
    """NORMAL_EUCLIDEAN's three checks on seed means (layers 0–3)."""
    inner, inter = _mean(profile, "inner_euclidean"), _mean(profile, "inter_euclidean")
    return share([inner[3] > inner[0], inter[3] > inter[0], inner[1] < inner[0]], holds=1.0, partly=0.5)


def level_outcome(profile, last: int = 3) -> str:
    """Activation level strictly increasing over layers 0..``last`` (holds) or ``last`` above 0 (partly)."""
    level = _mean(profile, "level")[:last + 1]
    return HOLDS if np.all(np.diff(level) > 0) else PARTLY if level[-1] > level[0] else DOES_NOT_HOLD


def _relative_change(profile, key: str, last: int = 3) -> float:
    curve = _mean(profile, key)
    return float(curve[last] / curve[0] - 1.0)


def inner_drops_outcome(profile) -> str:
    """NORMAL_INNER_DROPS: each activation-insensitive inner deviation at layer 3 ≤ (1 − CHANGE) × input."""
    return share([_relative_change(profile, f"inner_{m}") <= -C.CHANGE for m in ACTIVATION_INSENSITIVE], holds=1.0,
                 partly=0.5)


def inter_flat_outcome(profile) -> str:
    """NORMAL_INTER_FLAT: |inter change| < |inner change| from the input to layer 3, per measure."""
    return share([abs(_relative_change(profile, f"inter_{m}")) < abs(_relative_change(profile, f"inner_{m}"))
                  for m in ACTIVATION_INSENSITIVE], holds=1.0, partly=0.5)


def _changes(profile, kind: str) -> str:
    short = {"normalised_euclidean": "norm. Euc."}
    return ", ".join(f"{short.get(m, m)} {_relative_change(profile, f'{kind}_{m}'):+.0%}"
                     for m in ACTIVATION_INSENSITIVE)


def normal_rows(normal, untrained) -> list[ClaimRow]:
    """Fig. 6.7–6.9 on the normal network's analysis-set profile, the untrained networks as control."""
    ctl = "untrained: "
    thesis = "qualitative (no numbers printed)"
    rows = [
        _row(C.NORMAL_EUCLIDEAN, f"inner {_fmt(_mean(normal, 'inner_euclidean')[:4])}; inter "
             f"{_fmt(_mean(normal, 'inter_euclidean')[:4])}", thesis, euclidean_outcome(normal),
             ctl + f"inner {_fmt(_mean(untrained, 'inner_euclidean')[:4])}", euclidean_outcome(untrained)),
        _row(C.NORMAL_LEVEL, "level " + _fmt(_mean(normal, "level")[:4]), thesis, level_outcome(normal),
             ctl + _fmt(_mean(untrained, "level")[:4]), level_outcome(untrained)),
        _row(C.NORMAL_INNER_DROPS, "inner, input → layer 3: " + _changes(normal, "inner"), thesis,
             inner_drops_outcome(normal), ctl + _changes(untrained, "inner"), inner_drops_outcome(untrained)),
        _row(C.NORMAL_INTER_FLAT, "inter: " + _changes(normal, "inter") + "; inner: " + _changes(normal, "inner"),
             thesis, inter_flat_outcome(normal), ctl + "inter " + _changes(untrained, "inter"),
             inter_flat_outcome(untrained)),
    ]
    return rows


# ------------------------------------------------------------------------------------------ §6.4.2 MNIST
def mnist_accuracy_row(accuracy: float, n_train: int, data: str) -> ClaimRow:
    """MNIST_ACCURACY: judged only when trained on the thesis's 48,000 digits."""
    outcome = (at_most(abs(accuracy - 0.9807), holds=C.MNIST_TOLERANCE) if n_train >= C.SHEET_MNIST_TRAIN
               else NOT_COMPARABLE)
    return _row(C.MNIST_ACCURACY, f"{accuracy:.2%} ({data})", "98.07 % (48,000 training digits)", outcome,
                note="" if n_train >= C.SHEET_MNIST_TRAIN else f"trained on {n_train:,} digits, not the thesis's "
                                                                "48,000")


def mnist_inner_outcome(profile) -> str:
    """MNIST_INNER's five checks on layers 0–4 (input and the four hidden layers)."""
    euc = _mean(profile, "inner_euclidean")
    checks = [level_outcome(profile, last=4) == HOLDS, euc[1] < euc[0]]
    checks += [_mean(profile, f"inner_{m}")[1] <= (1 - 2.5 * C.CHANGE) * _mean(profile, f"inner_{m}")[0]
               for m in ACTIVATION_INSENSITIVE]
    return share(checks, holds=1.0, partly=0.6)


def mnist_inter_outcome(profile) -> str:
    """MNIST_INTER: minimum at a hidden layer 1–3 and layer 4 above the input, per activation-insensitive measure."""
    flags = []
    for m in ACTIVATION_INSENSITIVE:
        curve = _mean(profile, f"inter_{m}")[:5]
        flags.append(1 <= int(np.argmin(curve)) <= 3 and curve[4] > curve[0])
    return share(flags, holds=1.0, partly=0.5)


def mnist_rows(profile, untrained) -> list[ClaimRow]:
    thesis = "qualitative (no numbers printed)"
    inner = "; ".join(f"{m}: {_fmt(_mean(profile, f'inner_{m}')[:5])}" for m in ("euclidean",) + ACTIVATION_INSENSITIVE)
    inter = "; ".join(f"{m}: {_fmt(_mean(profile, f'inter_{m}')[:5])}" for m in ACTIVATION_INSENSITIVE)
    return [_row(C.MNIST_INNER, f"level {_fmt(_mean(profile, 'level')[:5])}; inner {inner}", thesis,
                 mnist_inner_outcome(profile), "untrained: level " + _fmt(_mean(untrained, "level")[:5]),
                 mnist_inner_outcome(untrained)),
            _row(C.MNIST_INTER, "inter " + inter, thesis, mnist_inter_outcome(profile),
                 "untrained: " + "; ".join(f"{m}: {_fmt(_mean(untrained, f'inter_{m}')[:5])}"
                                           for m in ACTIVATION_INSENSITIVE), mnist_inter_outcome(untrained))]


# ------------------------------------------------------------------------------------------ §6.4.3 memorising
def mem_level_outcome(profile, reference) -> str:
    """MEM_LEVEL: level ratio (``profile`` over ``reference``) at hidden layers 1–3."""
    ratio = _mean(profile, "level")[1:4] / _mean(reference, "level")[1:4]
    return HOLDS if (ratio >= 1 + 2 * C.CHANGE).all() else PARTLY if (ratio > 1).all() else DOES_NOT_HOLD


def mem_inner_random_outcome(profile) -> str:
    """MEM_INNER_RANDOM: per measure, a climb at layer 1 and flat over layers 1–3."""
    flags = []
    for m in ACTIVATION_INSENSITIVE:
        c = _mean(profile, f"inner_{m}")
        flags.append(c[1] >= (1 + C.CHANGE) * c[0] and c[1:4].max() <= (1 + C.FLAT) * c[1:4].min())
    return share(flags, holds=1.0, partly=0.5)


def mem_inter_random_outcome(profile) -> str:
    """MEM_INTER_RANDOM: per measure, layer 3 ≥ (1 + SLIGHT) × input."""
    return share([_relative_change(profile, f"inter_{m}") >= C.SLIGHT for m in ACTIVATION_INSENSITIVE], holds=1.0,
                 partly=0.5)


def mem_inner_true_outcome(profile) -> str:
    """MEM_INNER_TRUE: per measure, layer 3 ≥ (1 + CHANGE) × input."""
    return share([_relative_change(profile, f"inner_{m}") >= C.CHANGE for m in ACTIVATION_INSENSITIVE], holds=1.0,
                 partly=0.5)


def mem_inter_true_outcome(profile) -> str:
    """MEM_INTER_TRUE: per measure, 0 < layer-3 change ≤ SLIGHT."""
    return share([0 < _relative_change(profile, f"inter_{m}") <= C.SLIGHT for m in ACTIVATION_INSENSITIVE],
                 holds=1.0, partly=0.5)


def memorising_rows(random_view, true_view, normal, untrained_random, untrained_true) -> list[ClaimRow]:
    """Fig. 6.13 (random-label training data) and 6.14 (true-label analysis data), untrained networks as control."""
    ratio = lambda p: _fmt(_mean(p, "level")[1:4] / _mean(normal, "level")[1:4], 3)
    inner_r = "; ".join(f"{m}: {_fmt(_mean(random_view, f'inner_{m}')[:4])}" for m in ACTIVATION_INSENSITIVE)
    thesis = "qualitative (no numbers printed)"
    return [
        _row(C.MEM_LEVEL, "level ratio, layers 1–3: " + ratio(random_view), thesis,
             mem_level_outcome(random_view, normal), "untrained: " + ratio(untrained_random),
             mem_level_outcome(untrained_random, normal)),
        _row(C.MEM_INNER_RANDOM, "inner " + inner_r, thesis, mem_inner_random_outcome(random_view),
             "untrained: " + _changes(untrained_random, "inner"), mem_inner_random_outcome(untrained_random)),
        _row(C.MEM_INTER_RANDOM, "inter, input → layer 3: " + _changes(random_view, "inter"), thesis,
             mem_inter_random_outcome(random_view), "untrained: " + _changes(untrained_random, "inter"),
             mem_inter_random_outcome(untrained_random)),
        _row(C.MEM_INNER_TRUE, "inner, input → layer 3: " + _changes(true_view, "inner"), thesis,
             mem_inner_true_outcome(true_view), "untrained: " + _changes(untrained_true, "inner"),
             mem_inner_true_outcome(untrained_true)),
        _row(C.MEM_INTER_TRUE, "inter, input → layer 3: " + _changes(true_view, "inter"), thesis,
             mem_inter_true_outcome(true_view), "untrained: " + _changes(untrained_true, "inter"),
             mem_inter_true_outcome(untrained_true)),
    ]


# ------------------------------------------------------------------------------------------ past the thesis
def nc1_outcome(profile) -> str:
    """NC1_NORMAL: NC1 (seed means) strictly decreasing over layers 0–3 (holds), layer 3 below 0 (partly)."""
    nc1 = _mean(profile, "nc1")[:4]
    return HOLDS if np.all(np.diff(nc1) < 0) else PARTLY if nc1[3] < nc1[0] else DOES_NOT_HOLD


def nc1_row(normal, untrained) -> ClaimRow:
    return _row(C.NC1_NORMAL, "NC1, layers 0–3: " + _fmt(_mean(normal, "nc1")[:4]), "— (not in the thesis)",
                nc1_outcome(normal), "untrained: " + _fmt(_mean(untrained, "nc1")[:4]), nc1_outcome(untrained))


def signature_table(mem, normal, *, relative: bool = False) -> dict[str, list[int]]:
    """Per signature measure: :func:`separated` of the memorising vs normal seeds at hidden layers 1–3.

    ``relative`` divides every profile by its input column first (the change each network makes).
    """
    out = {}
    for m in SIGNATURE_MEASURES:
        a, b = np.asarray(mem[m], np.float64), np.asarray(normal[m], np.float64)
        if relative:
            a, b = ratio_to_input(a), ratio_to_input(b)
        out[m] = [separated(a[:, l], b[:, l]) for l in HIDDEN]
    return out


def signature_outcome(table: Mapping[str, Sequence[int]]) -> str:
    """Share of measures that separate the networks at every hidden layer (holds: all; partly: half or more).

    >>> signature_outcome({"nc1": [1, 1, 1], "cdnv": [1, 0, 1]})
    'partly'
    """
    return share([all(s != 0 for s in signs) for signs in table.values()], holds=1.0, partly=0.5)


def signature_row(criterion: Criterion, mem, normal, mem_untrained, normal_untrained, *,
                  relative: bool = False) -> tuple[ClaimRow, dict, dict]:
    """A signature claim with its table for the trained networks and for the untrained control."""
    table = signature_table(mem, normal, relative=relative)
    control = signature_table(mem_untrained, normal_untrained, relative=relative)
    which = lambda t: ", ".join(m for m, s in t.items() if all(v != 0 for v in s)) or "none"
    n = lambda t: sum(all(v != 0 for v in s) for s in t.values())
    row = _row(criterion, f"{n(table)}/{len(table)} measures separate at layers 1–3: {which(table)}",
               "— (not in the thesis)", signature_outcome(table), f"untrained: {n(control)}/{len(control)} "
               f"({which(control)})", signature_outcome(control))
    return row, table, control
