"""The jump study's claims (digest §9, claims 1–25) as functions of numbers.

Each ``claim_NN`` takes the measured numbers (no model, no data) and returns a :class:`ClaimRow`:
the claim, our number, the thesis's number, the verdict and a note. ``errors`` arguments map a
run's name (``'mlp2'``, ``'shallow4'``, …) to its per-seed error figures ``{'L1': (K,), …}``;
``boots`` map it to the test-set bootstrap std of each figure.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, Optional, Sequence

import numpy as np

from jaxprobe.analysis import stats
from jaxprobe.studies.jumps.errors import ERROR_KEYS, mean_cells, thesis_within
from jaxprobe.studies.jumps.thesis import (BASELINE_MAX_ERROR, CLAIM_TITLES, LABELS, MLP2_BEST_EPOCH,
                                           MLP2_MAX_ERROR, MLP2_ZERO_TRAIN_ERROR_EPOCH, THESIS_ERRORS)


class ClaimRow(NamedTuple):
    """One claim's outcome: number (§9), claim, ours, the thesis's number, verdict, note."""

    number: int
    claim: str
    ours: str
    thesis: str
    verdict: str
    note: str = ""


def verdict_of(inside: Sequence[bool]) -> str:
    """"holds" when every check passes, "does not hold" when none does, else "partly".

    >>> verdict_of([True, True]), verdict_of([True, False]), verdict_of([False])
    ('holds', 'partly', 'does not hold')
    """
    n = sum(inside)
    return "holds" if n == len(inside) else ("does not hold" if n == 0 else "partly")


def _errors_text(name: str) -> str:
    return " / ".join(str(t) for t in THESIS_ERRORS[name])


def _row(number: int, ours: str, thesis: str, verdict: str, note: str = "") -> ClaimRow:
    return ClaimRow(number, CLAIM_TITLES[number], ours, thesis, verdict, note)


def _mean_l1(errors: Mapping[str, dict], name: str) -> float:
    return float(np.mean(errors[name]["L1"])) if name in errors else float("nan")


def _inside(errors, boots, name) -> list[bool]:
    return thesis_within(THESIS_ERRORS[name], errors[name], (boots or {}).get(name))


# --------------------------------------------------------------------------- tables

def table_3_1_rows(test: Mapping[str, float], replicate_mean: Mapping[str, float],
                   replicate_std: Mapping[str, float]) -> list[tuple]:
    """Table 3.1's four figures: ``(quantity, ours, thesis, verdict, note)`` per figure.

    A thesis figure "holds" when it lies within the replicate mean ± 2 std of our baseline.
    """
    rows = []
    for t, k in zip(THESIS_ERRORS["baseline"], ERROR_KEYS):
        inside = stats.within_spread(t, replicate_mean[k], replicate_std[k])
        rows.append((f"Table 3.1 baseline {k}", f"{test[k]:.4f} ({replicate_mean[k]:.4f} ± {replicate_std[k]:.4f})", t,
                     "holds" if inside else "does not hold", "σ fitted to these four numbers: an in-sample check"))
    return rows


def error_row(name: str, errors: dict, boot: Optional[dict] = None) -> tuple:
    """A network's four figures beside the thesis's: ``(quantity, ours, thesis, verdict, note)``."""
    inside = thesis_within(THESIS_ERRORS[name], errors, boot)
    return (f"{LABELS[name]} L1 / L2 / 99% L1 / 99% L2", mean_cells(errors, 3), _errors_text(name),
            verdict_of(inside), f"{sum(inside)}/4 within mean ± 2 total std"
            + ("; thesis 99% L2 0.2621 is a typo" if name == "deep2" else ""))


def error_rows(runs: Mapping) -> list[tuple]:
    """:func:`error_row` of every network of the thesis's tables that was trained, in table order.

    Args:
      runs: ``{name: run}`` with ``.stats`` and ``.boot``.
    """
    return [error_row(n, runs[n].stats, runs[n].boot) for n in
            ("mlp1", "mlp2", "mlp3", "mlp4", "cnn1", "cnn2", "cnn3", "shallow10", "shallow4", "shallow2",
             "deep10", "deep4", "deep2") if n in runs]


# --------------------------------------------------------------------------- Ch. 3

def claim_01(order: Mapping[str, float]) -> ClaimRow:
    """t-SNE ordered by jump position: neighbours' |Δ position| below a quarter of random pairs'.

    Args:
      order: :func:`jaxprobe.studies.jumps.measures.tsne_order`'s numbers.
    """
    verdict = "holds" if order["neighbour_gap"] < 0.25 * order["random_gap"] else "partly"
    return _row(1, f"mean |Δ position| to the 10 nearest t-SNE neighbours {order['neighbour_gap']:.2f} (random pairs "
                   f"{order['random_gap']:.1f}); adjacent class means {order['adjacent_distance']:.2f} apart vs median "
                   f"pair distance {order['median_distance']:.2f}", "a low-dimensional manifold (Fig. 3.2)", verdict)


def claim_02(sigmas: Sequence[float], optimal_tau: Sequence[float], best_p: Sequence[float]) -> ClaimRow:
    """Fig. 3.5: the optimal τ grows with σ and the best P(|error| ≤ 1) falls."""
    optimal_tau, best_p = np.asarray(optimal_tau), np.asarray(best_p)
    ok = bool(np.all(np.diff(optimal_tau) >= 0) and np.all(np.diff(best_p) < 0))
    return _row(2, "optimal τ per σ = " + ", ".join(f"{t:.2f}" for t in optimal_tau)
                + "; best P = " + ", ".join(f"{p:.3f}" for p in best_p)
                + f"; corr(σ, τ*) = {np.corrcoef(sigmas, optimal_tau)[0, 1]:.3f}",
                "τ* grows with σ; best P falls (no numbers)", "holds" if ok else "partly")


def claim_03(test: Mapping[str, float], replicate_mean: Mapping[str, float], replicate_std: Mapping[str, float],
             max99: int, share_0_1: float) -> ClaimRow:
    """Table 3.1 and Fig. 3.7: the four figures, 99 % errors ≤ 2, most errors 0 or 1.

    Args:
      test: our test-set figures (and ``'max'``).
      replicate_mean, replicate_std: over replicate test sets (and ``'max'``).
      max99: the largest error among the 99 % lowest.
      share_0_1: share of errors that are 0 or 1.
    """
    inside = [stats.within_spread(t, replicate_mean[k], replicate_std[k])
              for t, k in zip(THESIS_ERRORS["baseline"], ERROR_KEYS)]
    verdict = "holds" if (max99 <= 2 and share_0_1 > 0.9 and sum(inside) >= 3) else "partly"
    return _row(3, f"L1 {test['L1']:.4f}, L2 {test['L2']:.4f}, 99% {test['L1_99']:.4f}/{test['L2_99']:.4f};"
                   f" max {test['max']:.0f} (thesis {BASELINE_MAX_ERROR}; replicates {replicate_mean['max']:.0f} ± "
                   f"{replicate_std['max']:.0f}); 99% errors ≤ {max99}; {100 * share_0_1:.1f}% of errors are 0 or 1",
                _errors_text("baseline") + f", max {BASELINE_MAX_ERROR}", verdict,
                "in-sample: σ was fitted to these figures")


def claim_04(best_epochs: Sequence[float], long: Optional[Mapping] = None) -> ClaimRow:
    """§3.3.1: validation minimum at epoch 131, zero training error at about 1400 epochs.

    Args:
      best_epochs: the early-stopped seeds' best epochs.
      long: :func:`jaxprobe.studies.jumps.measures.long_run_summary` of a run without early
        stopping, or None (not measurable).
    """
    best = np.asarray(best_epochs)
    thesis = f"{MLP2_BEST_EPOCH}; ~{MLP2_ZERO_TRAIN_ERROR_EPOCH}"
    if long is None:
        return _row(4, f"best epoch {np.mean(best):.0f} (quick mode: no long run)", thesis, "not measurable")
    zero = long["zero_epoch"]
    note = (f"; long run: min validation loss at epoch {long['best_epoch']:.0f}, training error "
            + (f"0 first at epoch {zero:.0f}" if zero else
               f"{long['last_train_err']:.4f} at epoch {long['last_epoch']:.0f} (not 0)")
            + f", final/min validation loss {long['loss_ratio']:.2f}")
    ok = zero and 700 <= zero <= 2800 and long["overfit"] and 65 <= np.mean(best) <= 260
    return _row(4, f"best epoch (early stopping, {len(best)} seeds) {np.mean(best):.0f} ± {np.std(best):.0f} "
                   f"(thesis {MLP2_BEST_EPOCH})" + note, thesis, "holds" if ok else "partly",
                "'holds' needs best epoch within ×2 of 131 and zero training error within ×2 of 1400")


def claim_05(errors: Mapping[str, dict], boots: Optional[Mapping[str, dict]] = None) -> ClaimRow:
    """Table 3.2 and Fig. 3.10: the 2-layer MLP's figures and a largest |error| of 12."""
    ins = _inside(errors, boots, "mlp2")
    mx = np.asarray(errors["mlp2"]["max"])
    ok_max = bool(np.all(mx <= 20))
    verdict = "holds" if sum(ins) == 4 and ok_max else ("partly" if sum(ins) >= 2 or ok_max else "does not hold")
    return _row(5, mean_cells(errors["mlp2"], 4) + f"; max |error| per seed {', '.join(f'{v:.0f}' for v in mx)} "
                   f"(thesis {MLP2_MAX_ERROR})", _errors_text("mlp2") + f", max {MLP2_MAX_ERROR}", verdict,
                f"{sum(ins)}/4 within ±2 total std")


def claim_06(errors: Mapping[str, dict], boots: Optional[Mapping[str, dict]] = None) -> ClaimRow:
    """Table 3.3: the 1-layer NN's figures, the lowest complete-data L1 of all models.

    ``errors`` holds every model compared (its order breaks ties).
    """
    ins = _inside(errors, boots, "mlp1")
    l1 = {n: _mean_l1(errors, n) for n in errors}
    best = min(l1, key=l1.get)
    verdict = verdict_of(ins) if best == "mlp1" or sum(ins) < 4 else "partly"
    return _row(6, mean_cells(errors["mlp1"], 4) + f"; lowest mean L1 of all models: {LABELS.get(best, best)} "
                   f"({l1[best]:.4f})", _errors_text("mlp1") + "; best L1", verdict, f"{sum(ins)}/4 within ±2 total std")


def claim_07(errors: Mapping[str, dict], boots: Optional[Mapping[str, dict]] = None) -> ClaimRow:
    """Table 3.3: the 3- and 4-layer MLPs' figures; deeper is worse."""
    thesis = _errors_text("mlp3") + "; " + _errors_text("mlp4")
    if "mlp3" not in errors or "mlp4" not in errors:
        return _row(7, "quick mode: 3-layer not trained", thesis, "not measurable")
    ins3, ins4 = _inside(errors, boots, "mlp3"), _inside(errors, boots, "mlp4")
    m = {n: _mean_l1(errors, n) for n in ("mlp1", "mlp2", "mlp3", "mlp4")}
    deeper_worse = min(m["mlp1"], m["mlp2"]) < m["mlp3"] < m["mlp4"]
    v = verdict_of(ins3 + ins4)
    if not deeper_worse and v == "holds":
        v = "partly"
    return _row(7, f"L1: 1-layer {m['mlp1']:.4f}, 2-layer {m['mlp2']:.4f}, 3-layer {m['mlp3']:.4f}, "
                   f"4-layer {m['mlp4']:.4f}; deeper worse: {deeper_worse}", thesis, v,
                f"{sum(ins3)}/4 and {sum(ins4)}/4 within ±2 total std")


def claim_08(errors: Mapping[str, dict], baseline: Mapping[str, float]) -> ClaimRow:
    """§3.3.3: every MLP beats the baseline on all four figures (seed means)."""
    beats = {n: all(float(np.mean(errors[n][k])) < baseline[k] for k in ERROR_KEYS)
             for n in ("mlp1", "mlp2", "mlp3", "mlp4") if n in errors}
    return _row(8, ", ".join(f"{n}: {'yes' if b else 'no'}" for n, b in beats.items())
                + f" (baseline L1 {baseline['L1']:.4f}, L2 {baseline['L2']:.4f})", "every MLP better",
                "holds" if all(beats.values()) else "does not hold", "seed means vs our baseline")


def claim_09(corr, tau, diagonality) -> ClaimRow:
    """§3.3.3, Fig. 3.14–3.16: the 1-layer NN's columns are smoothed derivatives; W near-diagonal.

    Args:
      corr: (K, 60) best template correlation of every column.
      tau: (K, 60) the best template's width.
      diagonality: (K,) share of |W| (rows 21..80) within ±3 of the diagonal.
    """
    corr = np.asarray(corr)
    c30 = corr[:, 29]
    uniform = 7 / 60
    verdict = "holds" if np.mean(c30) > 0.8 and np.mean(diagonality) > 3 * uniform else "partly"
    return _row(9, f"corr(30th column, Gaussian∗[1,−1]) = {np.mean(c30):.3f} ± {np.std(c30):.3f} over seeds; "
                   f"all 60 columns: median {np.median(corr):.3f}, best-fit τ median {np.median(tau):.2f}; "
                   f"share of |W| (rows 21..80) within ±3 of the diagonal {np.mean(diagonality):.3f} "
                   f"(uniform: {uniform:.3f})", "near-diagonal; columns ≈ Gaussian ∗ [1, −1]", verdict)


def claim_10(outside_ratio) -> ClaimRow:
    """§3.3.2: first-layer weights from inputs outside 20–80 are significantly smaller."""
    r = np.asarray(outside_ratio)
    return _row(10, f"mean |W1| from inputs outside 20..80 / inside = {np.mean(r):.3f} ± {np.std(r):.3f}",
                "significantly smaller outside", "holds" if np.mean(r) < 0.8 else "does not hold")


def claim_11(smoothness, dead, output_diagonal) -> ClaimRow:
    """§3.3.3, Fig. 3.12: stripe-like hidden class means, dead units, a nearly diagonal output."""
    smoothness, dead, output_diagonal = map(np.asarray, (smoothness, dead, output_diagonal))
    ok = np.mean(smoothness) > 0.8 and np.mean(dead) >= 1 and np.mean(output_diagonal) > 0.9
    return _row(11, f"lag-1 autocorrelation of each live unit's class-mean profile {np.mean(smoothness):.3f}; "
                    f"dead hidden units (never > 0 on the analysis set) {np.mean(dead):.1f} ± {np.std(dead):.1f} of 100; "
                    f"class-averaged output peaks on the diagonal for {100 * np.mean(output_diagonal):.1f}% of classes",
                "stripe-like; some dead; output nearly diagonal", "holds" if ok else "partly")


def claim_12(mixed_share: Optional[float], peaks=(), fc_diagonality=()) -> ClaimRow:
    """§3.4.1: the length-7 filter is of mixed sign, its output peaks at the jump, FC near-diagonal.

    Args:
      mixed_share: share of seeds whose filter is of mixed sign; None when not trained.
      peaks: (K,) 1-based position of the conv output's sharpest local extremum (jumps at 50).
      fc_diagonality: (K,) share of FC |W| within ±3 of the diagonal.
    """
    thesis = "mixed sign; peak at the jump; FC ≈ diagonal"
    if mixed_share is None:
        return _row(12, "—", thesis, "not measurable")
    peaks = [int(p) for p in peaks]
    ok = mixed_share >= 0.6 and np.mean(np.abs(np.asarray(peaks) - 50) <= 2) >= 0.6
    return _row(12, f"length-7 filters of mixed sign in {100 * mixed_share:.0f}% of seeds; sharpest local extremum of the "
                    f"class-averaged conv output (jumps at 50) at positions {peaks}; FC |W| share within ±3 of the "
                    f"diagonal {np.mean(fc_diagonality):.3f}", thesis, "holds" if ok else "partly")


def claim_13(one_signed_share: Optional[float], minority_mass=()) -> ClaimRow:
    """§3.4.1, Fig. 3.19: a length-5 filter is one-signed (smoothing only)."""
    if one_signed_share is None:
        return _row(13, "quick mode: length-5 CNN not trained", "one-signed", "not measurable")
    return _row(13, f"length-5 filters one-signed (minority sign < 10% of |w|) in {100 * one_signed_share:.0f}% of seeds; "
                    f"minority mass {np.mean(minority_mass):.3f}", "one-signed",
                "holds" if one_signed_share >= 0.6 else "does not hold")


def claim_14(layer1_one_signed: Optional[float], layer2_mixed: Optional[float] = None) -> ClaimRow:
    """§3.4.2: in the 2-conv CNN layer 1 smooths (one-signed), layer 2 differentiates (mixed)."""
    thesis = "layer 1 one-signed; layer 2 mixed"
    if layer1_one_signed is None:
        return _row(14, "—", thesis, "not measurable")
    a, b = layer1_one_signed >= 0.6, layer2_mixed >= 0.6
    return _row(14, f"layer 1 (length 5) one-signed in {100 * layer1_one_signed:.0f}% of seeds; layer 2 (length 9) mixed "
                    f"sign in {100 * layer2_mixed:.0f}%", thesis,
                "holds" if a and b else ("partly" if a or b else "does not hold"))


def claim_15(layer23_corr=None, layer3_one_signed: float = float("nan")) -> ClaimRow:
    """§3.4.3: in the 3-conv CNN the third layer is redundant (its output ≈ a rescaled layer 2)."""
    if layer23_corr is None:
        return _row(15, "quick mode: 3-conv CNN not trained", "layer 3 redundant", "not measurable")
    cs = np.asarray(layer23_corr, np.float64)
    return _row(15, f"|corr| of class-averaged layer-2 and layer-3 outputs (jump at 50) = {np.nanmean(cs):.3f} "
                    f"(seeds: {', '.join(f'{c:.2f}' for c in cs)}); layer 3 one-signed in "
                    f"{100 * layer3_one_signed:.0f}% of seeds", "layer 3 redundant",
                "holds" if np.nanmean(cs) > 0.9 else "partly", "'redundant' read as layer 3 ≈ a rescaled layer 2")


def cnn_claims(cnn: Mapping) -> dict[int, ClaimRow]:
    """Claims 12–15 from :func:`jaxprobe.studies.jumps.measures.cnn_measures`' numbers."""
    return {12: claim_12(cnn.get("cnn1_mixed"), cnn.get("cnn1_peaks", ()), cnn.get("cnn1_fc_diagonality", ())),
            13: claim_13(cnn.get("cnn1k5_one_signed"), cnn.get("cnn1k5_minority", ())),
            14: claim_14(cnn.get("cnn2_layer1_one_signed"), cnn.get("cnn2_layer2_mixed")),
            15: claim_15(cnn.get("cnn3_corr"), cnn.get("cnn3_layer3_one_signed", float("nan")))}


def claim_16(errors: Mapping[str, dict], baseline: Mapping[str, float], boots=None,
             activation: str = "linear") -> ClaimRow:
    """Table 3.4: the CNNs' figures; all beat the baseline; 2-conv best CNN, no better than 2-layer MLP."""
    cn = [n for n in ("cnn1", "cnn2", "cnn3") if n in errors]
    thesis = "; ".join(_errors_text(n) for n in ("cnn1", "cnn2", "cnn3"))
    if not cn:
        return _row(16, "—", thesis, "not measurable")
    ins = sum((_inside(errors, boots, n) for n in cn), [])
    all_beat = all(all(float(np.mean(errors[n][k])) < baseline[k] for k in ERROR_KEYS) for n in cn)
    best = min(cn, key=lambda n: _mean_l1(errors, n))
    v = verdict_of(ins)
    ok = all_beat and best == "cnn2" and _mean_l1(errors, "cnn2") >= _mean_l1(errors, "mlp2")
    return _row(16, "L1: " + ", ".join(f"{n} {_mean_l1(errors, n):.4f}" for n in cn) + f"; all beat baseline: "
                    f"{all_beat}; best CNN {best}; 2-layer MLP {_mean_l1(errors, 'mlp2'):.4f}", thesis,
                v if ok or v != "holds" else "partly",
                f"{sum(ins)}/{len(ins)} figures within ±2 total std; [{activation}] conv")


# --------------------------------------------------------------------------- Ch. 4

def _bottleneck_claim(number: int, names, errors, boots, extra_ok: bool, extra_text: str) -> ClaimRow:
    ins_all, text = [], []
    for n in names:
        if n in errors:
            ins_all += _inside(errors, boots, n)
            text.append(f"{LABELS[n]}: " + mean_cells(errors[n], 3))
    v = verdict_of(ins_all) if ins_all else "not measurable"
    if v == "holds" and not extra_ok:
        v = "partly"
    return _row(number, "; ".join(text) + extra_text, "; ".join(_errors_text(n) for n in names), v,
                f"{sum(ins_all)}/{len(ins_all)} within ±2 total std")


def claim_17(errors: Mapping[str, dict], baseline: Mapping[str, float], boots=None) -> ClaimRow:
    """Table 4.1: shallow 100-10-60 and 100-4-60 figures, both worse than the baseline."""
    if "shallow10" not in errors or "shallow4" not in errors:
        return _row(17, "quick mode", _errors_text("shallow10") + "; " + _errors_text("shallow4"), "not measurable")
    worse = all(_mean_l1(errors, n) > baseline["L1"] for n in ("shallow10", "shallow4"))
    return _bottleneck_claim(17, ["shallow10", "shallow4"], errors, boots, worse,
                             f"; both worse than baseline L1: {worse}")


def claim_18(errors: Mapping[str, dict], boots=None) -> ClaimRow:
    """Table 4.1: deep 100-25-10-25-60 and 100-25-4-25-60 figures, better than shallow at the same p."""
    if "shallow10" not in errors or "shallow4" not in errors:
        return _row(18, "quick mode", _errors_text("deep10") + "; " + _errors_text("deep4"), "not measurable")
    better = all(_mean_l1(errors, f"deep{p}") < _mean_l1(errors, f"shallow{p}") for p in (4, 10))
    return _bottleneck_claim(18, ["deep10", "deep4"], errors, boots, better,
                             f"; deep better than shallow at p = 4, 10: {better}")


def claim_19(errors: Mapping[str, dict], boots=None) -> ClaimRow:
    """Table 7.1: 100-2-60 and 100-25-2-25-60 (the thesis's 99 % L2 0.2621 of the latter is a typo)."""
    row = _bottleneck_claim(19, ["shallow2", "deep2"], errors, boots, True, "")
    if "deep2" in errors and "shallow2" in errors:
        ins = _inside(errors, boots, "shallow2") + _inside(errors, boots, "deep2")[:3]
        row = row._replace(verdict=verdict_of(ins),
                           note=f"{sum(ins)}/7 within ±2 total std (0.2621 excluded as a typo)")
    return row


def claim_20(ps: Sequence[int], shallow_means: Mapping[str, Sequence[float]]) -> ClaimRow:
    """Fig. 4.3: shallow errors fall monotonically with p (complete-data L2 excepted).

    Args:
      ps: the widths, increasing.
      shallow_means: ``{error key: seed mean per p}``.
    """
    mono = {k: stats.monotone_decreasing(shallow_means[k]) for k in ERROR_KEYS}
    viol = {k: int(np.sum(np.diff(np.asarray(shallow_means[k])) > 0)) for k in ERROR_KEYS}
    if mono["L1"] and mono["L1_99"] and mono["L2_99"]:
        verdict = "holds"
    else:
        verdict = "partly" if sum(viol[k] for k in ("L1", "L1_99", "L2_99")) <= 2 else "does not hold"
    return _row(20, "increases with p (violations of monotone decrease): " + ", ".join(f"{k} {viol[k]}" for k in ERROR_KEYS),
                "monotone (L1, 99% L1, 99% L2)", verdict, f"p = {ps[0]}..{ps[-1]}, seed means")


def claim_21(ps: Sequence[int], deep_means: Mapping[str, Sequence[float]],
             active_units: Optional[Mapping[int, float]] = None) -> ClaimRow:
    """Fig. 4.4–4.5: deep errors rise from p = 5 to 6 and 9 to 10, with dead bottleneck units.

    Args:
      ps: the widths.
      deep_means: ``{error key: seed mean per p}``.
      active_units: ``{p: mean active bottleneck units}`` for p = 5, 6, 9, 10.
    """
    thesis = "rises 5→6, 9→10; active units 5, 5, 8, 8"
    ps = list(ps)
    if 6 not in ps or 10 not in ps:
        return _row(21, "quick mode: p = 5, 6, 9, 10 not trained", thesis, "not measurable")
    i = {p: ps.index(p) for p in (5, 6, 9, 10)}
    rise = {k: (deep_means[k][i[6]] > deep_means[k][i[5]], deep_means[k][i[10]] > deep_means[k][i[9]])
            for k in ("L1", "L1_99", "L2_99")}
    verdict = "holds" if all(all(v) for v in rise.values()) else (
        "partly" if any(any(v) for v in rise.values()) else "does not hold")
    return _row(21, "rise 5→6 / 9→10 (L1, 99% L1, 99% L2): " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in rise.items())
                + "; active bottleneck units p=5,6,9,10: " + ", ".join(f"{active_units[p]:.1f}" for p in (5, 6, 9, 10))
                + " (thesis 5, 5, 8, 8)", thesis, verdict, "a single-run thesis claim; ours are seed means")


def claim_22(deep_dead, shallow_dead) -> ClaimRow:
    """§4.2.2: dead ReLU units in every hidden layer of the deep bottlenecks, none in the shallow.

    Args:
      deep_dead: (len(ps), 3) mean dead units per deep hidden layer (25, p, 25).
      shallow_dead: (len(ps),) mean dead units of the shallow bottleneck.
    """
    deep_dead, shallow_dead = np.asarray(deep_dead), np.asarray(shallow_dead)
    frac_layers = (deep_dead > 0).mean(0)
    verdict = "holds" if shallow_dead.sum() == 0 and np.all(frac_layers > 0) else (
        "partly" if deep_dead.sum() > shallow_dead.sum() else "does not hold")
    return _row(22, "mean dead units summed over p: deep layers (25, p, 25) = "
                + ", ".join(f"{v:.1f}" for v in deep_dead.sum(0)) + f"; shallow bottleneck = {shallow_dead.sum():.1f}",
                "deep: in all layers; shallow: none", verdict)


def claim_23(nn_adjacent: float, silent_high: Sequence[int], silent_low: Sequence[int], worst_ends: float) -> ClaimRow:
    """§4.2.3: 100-2-60 codes form an ordered curve; a unit silent at each end; ends worst separated.

    Args:
      nn_adjacent: share of classes whose nearest class mean is adjacent (seed mean).
      silent_high, silent_low: per seed, the most classes with a silent unit among high / low jumps.
      worst_ends: share of the 6 worst-classified classes in 21–23 ∪ 78–80 (seed mean).
    """
    silent_high, silent_low = [int(v) for v in silent_high], [int(v) for v in silent_low]
    ok = (nn_adjacent > 0.8 and worst_ends >= 0.5 and np.mean(np.asarray(silent_high) > 0) >= 0.5
          and np.mean(np.asarray(silent_low) > 0) >= 0.5)
    return _row(23, f"100-2-60: nearest class mean is an adjacent class for {100 * nn_adjacent:.0f}% of classes; "
                    f"classes with a unit silent (<5% active) among jumps ≥ 61 per seed {silent_high}, ≤ 40 per seed "
                    f"{silent_low}; share of the 6 worst-classified classes in 21–23 ∪ 78–80: {100 * worst_ends:.0f}%",
                "ordered; unit 1 off at 71–80, unit 2 off at 21–23; 78–80, 21–23 worst",
                "holds" if ok else "partly", "unit order is arbitrary, so 'neuron 1/2' is read as 'some unit'")


def claim_24(successes: int, trials: int) -> ClaimRow:
    """§4.3.2: W = F⁺, b = −F⁺m sends each of 3 points in R² to argmax k: always."""
    return _row(24, f"W = F⁺, b = −F⁺m gives argmax k for v_k in {successes}/{trials} random triples in the unit square",
                "always", "holds" if successes == trials else "partly")


def claim_25(max_error: float, mean_deviation: float, n: int = 10, p: int = 2) -> ClaimRow:
    """§4.3.3: the least-squares map is V(VᵀV)⁻¹ and its images V(VᵀV)⁻¹Vᵀ ≠ I_n."""
    return _row(25, f"max |V(VᵀV)⁻¹ − lstsq| = {max_error:.1e}; ‖V(VᵀV)⁻¹Vᵀ − I‖_F = {mean_deviation:.3f} "
                    f"(= √(n−p−1) = {np.sqrt(n - p - 1):.3f} for n = {n}, p = {p})", "≠ I_n", "holds")
