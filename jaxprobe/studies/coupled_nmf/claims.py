"""Seed 002's claims: outcomes from numbers only, each beside its negative control.

``results`` maps a condition key (:data:`.protocol.CONDITIONS`) to a list with one measurement
dict per seed (:func:`.protocol.measure_network`). Every row builder applies a criterion of
:mod:`.criteria` to the real comparison and, where one applies, to the control comparison in which
the well-trained network is replaced by the untrained one; :attr:`ClaimRow.verdict` combines them.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy.stats import spearmanr

from jaxprobe.analysis.verdicts import ClaimRow, at_least, at_most, mark_smoke_test
from jaxprobe.studies.coupled_nmf import criteria as C
from jaxprobe.studies.coupled_nmf.protocol import RANKS, REFERENCE, SEED_ACCURACY_ALL_DIGITS, UNTRAINED, condition

__all__ = ["spread", "rising_share", "below_share", "share_outcome", "accuracy_outcome",
           "reading_rho", "reading_outcome", "accuracy_rows", "recognises_9", "rmse_rows", "spectra_rows", "neuron_pairs",
           "participation", "underutilised", "reading_rows", "evaluate", "CASE_I", "CASE_II_SUBSETS", "TRAINED"]

CASE_I = ("I-25", "I-50", "I-75", "I-100")
CASE_II_SUBSETS = ("II-0", "II-0-4", "II-5-9")
TRAINED = CASE_I + CASE_II_SUBSETS + ("III",)
Results = Mapping[str, Sequence[Mapping]]


# ------------------------------------------------------------------------------------------ numbers
def spread(values, digits: int = 3) -> str:
    """"mean ± sd" over seeds (sd with n − 1; a single seed shows its value).

    >>> spread([1.0, 2.0, 3.0], 2), spread([0.5])
    ('2.00 ± 1.00', '0.500')
    """
    v = np.asarray(values, np.float64)
    if v.size < 2:
        return f"{v.mean():.{digits}f}"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def _get(results: Results, key: str, *path) -> np.ndarray:
    """The measurement at ``path`` of condition ``key``, stacked over seeds."""
    out = []
    for m in results[key]:
        for p in path:
            m = m[p]
        out.append(np.asarray(m, np.float64))
    return np.stack(out)


def rising_share(series: np.ndarray) -> float:
    """Share of cells in which the values rise strictly along the first axis.

    Args:
      series: (conditions, …cells): e.g. RMSE of case I's four networks by (seed, rank).

    >>> rising_share(np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0]]))
    0.5
    """
    series = np.asarray(series, np.float64)
    return float(np.mean(np.all(np.diff(series, axis=0) > 0, axis=0)))


def below_share(poor: np.ndarray, reference: np.ndarray) -> float:
    """Share of cells where ``poor`` < ``reference`` (``poor`` may carry a leading axis of networks).

    >>> below_share(np.array([[1.0, 3.0], [0.5, 0.5]]), np.array([2.0, 2.0]))
    0.75
    """
    return float(np.mean(np.asarray(poor) < np.asarray(reference)))


def share_outcome(value: float) -> str:
    """"holds" at a share ≥ 0.8, "partly" at ≥ 0.5.

    >>> share_outcome(0.9), share_outcome(0.6), share_outcome(0.2)
    ('holds', 'partly', 'does not hold')
    """
    return at_least(value, holds=C.SHARE_HOLDS, partly=C.SHARE_PARTLY)


def accuracy_outcome(ours_percent: Sequence[float], seed_percent: Sequence[float]) -> str:
    """The largest |ours − seed| ≤ 3 points holds, ≤ 8 partly.

    >>> accuracy_outcome([84.0, 92.0], [83.0, 95.0]), accuracy_outcome([70.0], [95.0])
    ('holds', 'does not hold')
    """
    gap = float(np.max(np.abs(np.asarray(ours_percent) - np.asarray(seed_percent))))
    return at_most(gap, holds=C.ACCURACY_HOLDS, partly=C.ACCURACY_PARTLY)


def reading_rho(accuracy: np.ndarray, measure: np.ndarray) -> np.ndarray:
    """Spearman ρ per seed between accuracy and a compressibility measure, over networks.

    Args:
      accuracy, measure: (networks, seeds).

    >>> reading_rho(np.array([[0.1], [0.5], [0.9]]), np.array([[1.0], [2.0], [3.0]])).tolist()
    [1.0]
    """
    return np.array([spearmanr(accuracy[:, s], measure[:, s]).statistic for s in range(accuracy.shape[1])])


def reading_outcome(rho: np.ndarray) -> str:
    """Mean ρ ≥ 0.7 with ρ > 0 in every seed holds, mean ρ ≥ 0.3 partly; a NaN ρ is not measurable.

    >>> reading_outcome(np.array([0.9, 0.8])), reading_outcome(np.array([0.6, 0.5, -0.1]))
    ('holds', 'partly')
    """
    if np.any(np.isnan(rho)):
        return "not measurable"
    if rho.mean() >= C.READING_RHO_HOLDS and rho.min() > 0:
        return "holds"
    return "partly" if rho.mean() >= C.READING_RHO_PARTLY else "does not hold"


# ------------------------------------------------------------------------------------------ rows
def accuracy_rows(results: Results, n_train: int, batch: int) -> list[ClaimRow]:
    """Cases I, II and III: our test accuracy (mean ± sd over seeds) beside the seed's, for networks
    trained on ``n_train`` digits at batch ``batch``."""
    acc = {k: 100 * _get(results, k, "accuracy") for k in TRAINED}
    rows = []
    for crit, keys, seeds in ((C.ACCURACY_I, CASE_I, [condition(k).seed_accuracy for k in CASE_I]),
                              (C.ACCURACY_II, CASE_II_SUBSETS + (REFERENCE,),
                               [condition(k).seed_accuracy for k in CASE_II_SUBSETS] + [SEED_ACCURACY_ALL_DIGITS]),
                              (C.ACCURACY_III, ("III",), [condition("III").seed_accuracy])):
        means = [acc[k].mean() for k in keys]
        rows.append(ClaimRow(crit, " / ".join(spread(acc[k], 1) for k in keys), " / ".join(f"{s:g}" for s in seeds),
                             accuracy_outcome(means, seeds),
                             note=f"{n_train:,} training digits at batch {batch}, {n_train // batch} updates per "
                                  f"epoch (the seed: 60,000 digits, batch and updates unstated)"))
    return rows


def recognises_9(results: Results) -> ClaimRow:
    """Case III: recall of digit 9 per seed, and which digit the network recognises best."""
    recall = _get(results, "III", "recall")                      # (seeds, 10)
    best = np.bincount(recall.argmax(1), minlength=10).argmax()
    frac = float(np.mean(recall[:, 9] >= C.RECALL_MOST))
    return ClaimRow(C.RECOGNISES_9, f"recall of 9: {spread(recall[:, 9], 2)}; best-recognised digit: {best} "
                                    f"(recall {spread(recall[:, best], 2)})",
                    "most 9s recognised", share_outcome(frac),
                    note=f"recall of 9 ≥ {C.RECALL_MOST} in {frac:.0%} of the seeds")


def _rmse(results: Results, key: str, variant: str) -> np.ndarray:
    return _get(results, key, variant, "rmse")                  # (seeds, ranks)


def rmse_rows(results: Results, ranks: Sequence[int] = RANKS) -> list[ClaimRow]:
    """Cases I, II, III on raw and normalised blocks, each beside the untrained-reference control."""
    mid = len(ranks) // 2
    rows = []
    for variant in ("raw", "normalised"):
        r = {k: _rmse(results, k, variant) for k in TRAINED + (UNTRAINED,)}
        at = lambda k: spread(r[k][:, mid])
        real = rising_share(np.stack([r[k] for k in CASE_I]))
        ctrl = rising_share(np.stack([r[k] for k in CASE_I[:-1] + (UNTRAINED,)]))
        rows.append(ClaimRow(
            C.CASE_I_RMSE[variant], f"{real:.2f} of the cells (rank {ranks[mid]}: " + ", ".join(at(k) for k in CASE_I) + ")",
            "lower RMSE for smaller datasets at every rank (Fig. 3)", share_outcome(real),
            f"untrained in place of 100 %: {ctrl:.2f} (untrained {at(UNTRAINED)})", share_outcome(ctrl)))
        poor = np.stack([r[k] for k in CASE_II_SUBSETS])
        real, ctrl = below_share(poor, r[REFERENCE]), below_share(poor, r[UNTRAINED])
        rows.append(ClaimRow(
            C.CASE_II_RMSE[variant], f"{real:.2f} of the cells (rank {ranks[mid]}: "
                                     + ", ".join(at(k) for k in CASE_II_SUBSETS) + f"; all {at(REFERENCE)})",
            "lower RMSE for class subsets (Fig. 6)", share_outcome(real),
            f"untrained in place of all digits: {ctrl:.2f}", share_outcome(ctrl)))
        real, ctrl = below_share(r["III"], r[REFERENCE]), below_share(r["III"], r[UNTRAINED])
        rows.append(ClaimRow(
            C.CASE_III_RMSE[variant], f"{real:.2f} of the cells (rank {ranks[mid]}: class-ordered {at('III')}, "
                                      f"shuffled {at(REFERENCE)})",
            "low rank when not shuffled (Fig. 8)", share_outcome(real),
            f"untrained in place of shuffled: {ctrl:.2f}", share_outcome(ctrl)))
    return rows


def spectra_rows(results: Results) -> list[ClaimRow]:
    """Figs. 4, 5 (case I, A_0 and A_1) and Fig. 7 (case II, A_1) by effective rank."""
    er = {k: _get(results, k, "effective_rank") for k in TRAINED + (UNTRAINED,)}   # (seeds, 2)
    rows = []
    for layer in (0, 1):
        real = rising_share(np.stack([er[k][:, layer] for k in CASE_I]))
        ctrl = rising_share(np.stack([er[k][:, layer] for k in CASE_I[:-1] + (UNTRAINED,)]))
        rows.append(ClaimRow(
            C.CASE_I_SPECTRA[layer], f"{real:.2f} of the seeds (effective rank 25→100 %: "
                                     + ", ".join(spread(er[k][:, layer], 1) for k in CASE_I) + ")",
            f"A_{layer}'s spectrum decays faster for less data (Fig. {4 + layer})", share_outcome(real),
            f"untrained in place of 100 %: {ctrl:.2f} (untrained {spread(er[UNTRAINED][:, layer], 1)})",
            share_outcome(ctrl)))
    poor = np.stack([er[k][:, 1] for k in CASE_II_SUBSETS])
    real, ctrl = below_share(poor, er[REFERENCE][:, 1]), below_share(poor, er[UNTRAINED][:, 1])
    rows.append(ClaimRow(
        C.CASE_II_SPECTRA, f"{real:.2f} (effective rank of A_1: " + ", ".join(spread(er[k][:, 1], 1) for k in CASE_II_SUBSETS)
                           + f"; all {spread(er[REFERENCE][:, 1], 1)})",
        "A_1's spectrum decays faster for class subsets (Fig. 7)", share_outcome(real),
        f"untrained in place of all digits: {ctrl:.2f}", share_outcome(ctrl)))
    return rows


def _pair_gap(class_means: np.ndarray) -> float:
    unit = class_means / np.maximum(np.linalg.norm(class_means, axis=1, keepdims=True), 1e-12)
    cos = unit @ unit.T
    return float(np.mean([cos[a, b] for a, b in C.SHARED_PAIRS]) - np.mean([cos[a, b] for a, b in C.DISJOINT_PAIRS]))


def neuron_pairs(results: Results) -> ClaimRow:
    """Case III, Fig. 2: the seed's shared digit pairs against its disjoint ones, on the class-mean
    A_1 activations; control: the same on the untrained network."""
    gaps = {k: np.array([_pair_gap(m["class_means"]) for m in results[k]]) for k in ("III", UNTRAINED)}
    frac = {k: float(np.mean(g >= C.PAIR_MARGIN)) for k, g in gaps.items()}
    return ClaimRow(C.NEURON_PAIRS, f"cosine gap {spread(gaps['III'], 3)}", "shared vs disjoint firing (by eye, Fig. 2)",
                    share_outcome(frac["III"]), f"untrained network: gap {spread(gaps[UNTRAINED], 3)}",
                    share_outcome(frac[UNTRAINED]))


def participation(loadings: Sequence[np.ndarray]) -> float:
    """The share of a layer's neurons that carry a factor: the participation ratio
    (Σ_n o_nk²)² / Σ_n o_nk⁴ of each factor's loadings over neurons, divided by the number of
    neurons, averaged over factors and over the layer blocks (all blocks but the first, the pixels).
    1 when every neuron loads equally, 1/N when one neuron carries the factor; scale-free.

    >>> round(participation([np.ones((2, 1)), np.array([[1.0], [1.0], [0.0], [0.0]])]), 3)
    0.5
    """
    shares = []
    for O in loadings[1:]:
        O = np.asarray(O, np.float64)
        sq = np.sum(O ** 2, axis=0)
        pr = np.where(sq > 0, sq ** 2 / np.maximum(np.sum(O ** 4, axis=0), 1e-300), 0.0)
        shares.append(np.mean(pr) / O.shape[0])
    return float(np.mean(shares))


def underutilised(results: Results) -> ClaimRow:
    """Case III, Fig. 8: the share of neurons carrying the rank-10 factors, below the shuffled network's."""
    used = {k: np.array([participation(m["raw"]["loadings"]) for m in results[k]]) for k in ("III", REFERENCE, UNTRAINED)}
    real = below_share(used["III"], used[REFERENCE])
    ctrl = below_share(used["III"], used[UNTRAINED])
    return ClaimRow(C.UNDERUTILISED, f"participation {spread(used['III'], 3)} (shuffled: {spread(used[REFERENCE], 3)})",
                    "heavily underutilised (by eye, Fig. 8)", share_outcome(real),
                    f"untrained in place of shuffled: {spread(used[UNTRAINED], 3)}", share_outcome(ctrl))


def reading_rows(results: Results) -> list[ClaimRow]:
    """The seed's conclusion over all trained networks: Spearman ρ(accuracy, compressibility) per seed."""
    acc = np.stack([_get(results, k, "accuracy") for k in TRAINED])                   # (networks, seeds)
    block = lambda k, b: _get(results, k, "normalised", "block_rmse")[:, :, b].mean(1)   # (seeds,)
    measures = {"raw": np.stack([_rmse(results, k, "raw").mean(1) for k in TRAINED]),
                "normalised": np.stack([_rmse(results, k, "normalised").mean(1) for k in TRAINED]),
                "normalised A_0": np.stack([block(k, 1) for k in TRAINED]),
                "normalised A_1": np.stack([block(k, 2) for k in TRAINED]),
                "spectrum": np.stack([_get(results, k, "effective_rank")[:, 1] for k in TRAINED])}
    rows = []
    for name, m in measures.items():
        rho = reading_rho(acc, m)
        rows.append(ClaimRow(C.READING[name], f"ρ = {spread(rho, 2)} (lowest {np.min(rho):.2f}, {len(rho)} seeds)",
                             "the poorer the training, the lower the rank", reading_outcome(rho)))
    return rows


def evaluate(results: Results, n_train: int, batch: int) -> list[ClaimRow]:
    """Every claim row, in the report's order (``n_train``, ``batch``: the training, for the notes)."""
    return (accuracy_rows(results, n_train, batch) + [recognises_9(results)] + rmse_rows(results) + spectra_rows(results)
            + [neuron_pairs(results), underutilised(results)] + reading_rows(results))
