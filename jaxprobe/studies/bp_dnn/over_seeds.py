"""Seed 000's claims judged over several seeds of DNN-6: numbers with their spread, one rule.

The rule, declared before the numbers: a claim's verdict over K seeds is its criterion's outcome
on the **seed-mean** of every number the criterion reads, beside the same criterion on the
seed-mean of its control's numbers (``verdicts.with_control``): a mean silhouette per layer and
iteration, a mean accuracy, a mean cosine per layer, and so on. Guided-bp-DNN's per-digit
correlations are averaged digit by digit (every seed maps the same digits) before the paired
comparison. Beside the verdict stand each seed's own verdict, counted ("holds in 4 of 5"), and one
headline number per claim (the number that binds its criterion, e.g. the least silhouette over
the layers) as mean ± sd (min–max) over seeds.

* :data:`HEADLINES` — per criterion: the headline's words, how it is read from one seed's
  ``claims.Measurements``, and the criterion's bar on it.
* :func:`mean_measurements` — the seed-mean ``claims.Measurements``.
* :func:`judge` — one :class:`SeedClaim` per criterion.
* :func:`spread`, :func:`metric_spread` — mean, sd, min, max and per-seed values for metrics.json.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from collections import Counter
from typing import Callable, Mapping, NamedTuple, Optional, Sequence

import numpy as np

from jaxprobe.analysis.verdicts import VERDICTS, ClaimRow, Criterion
from jaxprobe.studies.bp_dnn import claims, criteria as C
from jaxprobe.studies.bp_dnn.measures import paired_comparison

__all__ = ["RULE", "Headline", "HEADLINES", "SeedClaim", "spread", "spread_text", "count_text",
           "mean_measurements", "judge", "claim_metrics", "metric_spread", "verdict_counts"]

#: The rule in the report's words.
RULE = ("Verdicts over seeds: each claim's criterion is applied to the seed-mean of every number it reads "
        "(its control's likewise; a claim whose control also holds or partly holds on the means is 'not "
        "discriminating'); guided-bp-DNN's per-digit correlations are averaged digit by digit before the paired "
        "comparison. Beside it: each seed's own verdict, counted, and the claim's headline number as mean ± sd "
        "(min–max) over the seeds.")


class Headline(NamedTuple):
    """The number that binds one criterion, read from a seed's ``claims.Measurements``."""

    criterion: Criterion
    label: str
    read: Callable[[claims.Measurements], float]
    bar: Optional[float]  # the criterion's threshold on this number (None: judged otherwise)


def _sils(m: claims.Measurements, kind: str, step: int) -> list[float]:
    return [float(m.disc[(kind, l, step)][1]) for l in range(1, m.n_hidden + 1)]


def _gap(m: claims.Measurements, step: int) -> float:
    s = _sils(m, "targets", step)
    return float(np.mean(s[2:5]) - np.mean(s[0:2]))


def _s100(m: claims.Measurements) -> int:
    return min(100, m.steps)


#: One headline per criterion, in the order of ``criteria.ALL``.
HEADLINES = (
    Headline(C.ACCURACY, "test accuracy (%)", lambda m: float(m.accuracy), None),
    Headline(C.TARGETS_AT_INIT, "least silhouette of õ_1..õ_5, iteration 0",
             lambda m: min(_sils(m, "targets", 0)), C.DISCRIMINANT_SILHOUETTE),
    Headline(C.TARGETS_AT_100, "least silhouette of õ_1..õ_5, iteration 100",
             lambda m: min(_sils(m, "targets", _s100(m))), C.DISCRIMINANT_SILHOUETTE),
    Headline(C.HIGHER_LAYERS, "smaller gap, mean sil õ_3..5 − õ_1..2 (iterations 0, 100)",
             lambda m: min(_gap(m, 0), _gap(m, _s100(m))), C.MARGIN),
    Headline(C.TARGETS_SHARPEN, "smaller silhouette gain of õ_1, õ_2 (0 → 100)",
             lambda m: min(b - a for a, b in zip(_sils(m, "targets", 0)[:2], _sils(m, "targets", _s100(m))[:2])),
             C.MARGIN),
    Headline(C.Z1_GROWS, "silhouette gain of z_1 over Fig. 5's iterations",
             lambda m: float(m.disc[("z", 1, m.fig5_steps[-1])][1] - m.disc[("z", 1, m.fig5_steps[0])][1]),
             C.MARGIN),
    Headline(C.Z1_MEETS_TARGET, "absolute gap of sil z_1 and sil õ_1, last iteration",
             lambda m: abs(float(m.disc[("z", 1, m.steps)][1] - m.disc[("targets", 1, m.steps)][1])), C.MARGIN),
    Headline(C.FEATURES_AT_INIT, "largest silhouette of z_1..z_5, iteration 0",
             lambda m: max(_sils(m, "z", 0)), C.DISCRIMINANT_SILHOUETTE),
    Headline(C.FEATURES_AFTER, "least silhouette of z_1..z_5, last iteration",
             lambda m: min(_sils(m, "z", m.steps)), C.DISCRIMINANT_SILHOUETTE),
    Headline(C.DIRECT_LOSSES, "largest relative gradient error", lambda m: float(m.gradient_error),
             C.GRADIENT_TOLERANCE),
    Headline(C.COSINE_CLOSE, "least mean cos(z_l, −õ_l), last iteration", lambda m: float(min(m.cos_curve[m.steps])),
             C.CLOSE_COSINE),
    Headline(C.GUIDED_READABLE, "share of digits with guided r > bp-DNN r",
             lambda m: float(m.paired["fraction_higher"]), C.GUIDED_SHARE_HOLDS),
    Headline(C.GUIDED_IS_GUIDED_BACKPROP, "largest guided-bp-DNN − guided backprop difference / largest map entry",
             lambda m: float(m.guided_vs_guided_backprop), C.GUIDED_TOLERANCE),
    Headline(C.FIG8_PATTERNS, "share of the two strongest boxes centred on ink", lambda m: float(m.on_ink), None),
)


class SeedClaim(NamedTuple):
    """One claim over seeds: the verdict row (outcome on the seed-mean, spread in the text), the
    headline's per-seed values, and each seed's own row."""

    row: ClaimRow
    headline: Headline
    values: tuple
    per_seed: tuple


def spread(values: Sequence[float]) -> dict:
    """``{'mean', 'sd', 'min', 'max', 'per_seed'}`` of per-seed values (sd with ddof = 1; 0 for one seed).

    >>> spread([1.0, 2.0, 3.0])
    {'mean': 2.0, 'sd': 1.0, 'min': 1.0, 'max': 3.0, 'per_seed': [1.0, 2.0, 3.0]}
    """
    v = np.asarray(values, np.float64)
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
            "min": float(v.min()), "max": float(v.max()), "per_seed": [float(x) for x in v]}


def _num(v: float) -> str:
    if math.isnan(v):
        return "nan"
    if v != 0 and abs(v) < 1e-3:
        return f"{v:.1e}"
    return f"{v:.2f}" if abs(v) >= 10 else f"{v:.3f}"


def spread_text(values: Sequence[float]) -> str:
    """``mean ± sd (min–max)`` of per-seed values.

    >>> spread_text([0.2, 0.4])
    '0.300 ± 0.141 (0.200–0.400)'
    """
    s = spread(values)
    return f"{_num(s['mean'])} ± {_num(s['sd'])} ({_num(s['min'])}–{_num(s['max'])})"


def verdict_counts(verdicts: Sequence[Optional[str]]) -> dict[str, int]:
    """How many seeds end in each outcome (only those that occur), in the order of ``VERDICTS``."""
    counts = Counter(v for v in verdicts if v is not None)
    return {v: counts[v] for v in VERDICTS if counts[v]}


def count_text(verdicts: Sequence[Optional[str]]) -> str:
    """Each seed's outcome, counted: ``'holds in 4 of 5; partly in 1 of 5'``.

    >>> count_text(["holds", "holds", "partly"])
    'holds in 2 of 3; partly in 1 of 3'
    """
    return "; ".join(f"{v} in {c} of {len(verdicts)}" for v, c in verdict_counts(verdicts).items())


def _mean(values) -> float:
    return float(np.mean(np.asarray(values, np.float64)))


def _mean_pairs(dicts: Sequence[Mapping]) -> dict:
    keys = list(dicts[0])
    for d in dicts[1:]:
        if set(d) != set(keys):
            raise ValueError("measurements: the seeds measured different vector sets; measure every seed at the "
                             "same snapshots.")
    return {k: tuple(float(x) for x in np.mean([d[k] for d in dicts], axis=0)) for k in keys}


def _digitwise_mean(rs: Sequence[Mapping]) -> dict:
    with warnings.catch_warnings():  # a digit undefined in every seed stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return {n: np.nanmean(np.stack([np.asarray(r[n], np.float64) for r in rs]), axis=0) for n in rs[0]}


def _mean_paired(ps: Sequence[Mapping], rs: Sequence[Optional[Mapping]]) -> tuple[dict, Optional[dict]]:
    if all(r is not None for r in rs):
        r = _digitwise_mean(rs)
        return paired_comparison(r["guided"], r["bp"]), r
    return {"fraction_higher": _mean([p["fraction_higher"] for p in ps]),
            "p_value": float(np.max([p["p_value"] for p in ps])), "n": int(min(p["n"] for p in ps))}, None


def mean_measurements(ms: Sequence[claims.Measurements]) -> claims.Measurements:
    """The seed-mean of K seeds' measurements: every number the claims read, averaged over seeds.

    Silhouettes and k-NN accuracies per (kind, layer, iteration), accuracies, gradient errors,
    cosines per layer and iteration, mean correlations and box shares are averaged. The paired
    comparison of guided-bp-DNN and bp-DNN is recomputed on the digit-wise mean correlations when
    every seed carries them (``Measurements.r``); otherwise the mean share and the largest p-value.

    Args:
      ms: one ``claims.Measurements`` per seed, measured at the same iterations.

    Returns:
      A ``claims.Measurements``.

    Raises:
      ValueError: no measurements, or seeds measured at different iterations or on different sets.
    """
    if not ms:
        raise ValueError("ms: no measurements; pass one claims.Measurements per seed.")
    first = ms[0]
    for m in ms[1:]:
        if (m.steps, tuple(m.fig5_steps), m.n_hidden) != (first.steps, tuple(first.fig5_steps), first.n_hidden):
            raise ValueError("ms: the seeds ran different iterations; measure every seed at the same snapshots.")
    paired, r = _mean_paired([m.paired for m in ms], [m.r for m in ms])
    paired0, r0 = _mean_paired([m.paired_untrained for m in ms], [m.r_untrained for m in ms])
    return dataclasses.replace(
        first, disc=_mean_pairs([m.disc for m in ms]), disc_shuffled=_mean_pairs([m.disc_shuffled for m in ms]),
        accuracy=_mean([m.accuracy for m in ms]), accuracy_untrained=_mean([m.accuracy_untrained for m in ms]),
        gradient_error=_mean([m.gradient_error for m in ms]),
        gradient_error_wrong_targets=_mean([m.gradient_error_wrong_targets for m in ms]),
        cos_curve={s: [float(c) for c in np.mean([m.cos_curve[s] for m in ms], axis=0)] for s in first.cos_curve},
        paired=paired, paired_untrained=paired0,
        mean_r={n: _mean([m.mean_r[n] for m in ms]) for n in first.mean_r},
        mean_r_untrained={n: _mean([m.mean_r_untrained[n] for m in ms]) for n in first.mean_r_untrained},
        guided_vs_guided_backprop=_mean([m.guided_vs_guided_backprop for m in ms]),
        on_ink=_mean([m.on_ink for m in ms]), on_ink_untrained=_mean([m.on_ink_untrained for m in ms]),
        near_ink=_mean([m.near_ink for m in ms]), r=r, r_untrained=r0)


def judge(ms: Sequence[claims.Measurements]) -> list[SeedClaim]:
    """Every claim over the seeds, by :data:`RULE`, in the order of ``criteria.ALL``.

    Args:
      ms: one ``claims.Measurements`` per seed.

    Returns:
      One :class:`SeedClaim` per criterion; its ``row.verdict`` is the verdict over seeds.
    """
    k = len(ms)
    on_mean = claims.evaluate(mean_measurements(ms))
    each = [claims.evaluate(m) for m in ms]
    out = []
    for i, (row, head) in enumerate(zip(on_mean, HEADLINES)):
        if row.criterion is not head.criterion:
            raise RuntimeError(f"HEADLINES[{i}] is {head.criterion.claim!r}, claims.evaluate gives "
                               f"{row.criterion.claim!r}: keep both in the order of criteria.ALL.")
        per_seed = tuple(rows[i] for rows in each)
        values = tuple(head.read(m) for m in ms)
        ours = (f"mean of {k} seeds: {row.ours} — {head.label}: {spread_text(values)}; verdict per seed: "
                + count_text([r.verdict for r in per_seed]))
        control = row.control
        if control is not None:
            control = (f"mean of {k} seeds: {control} — control outcome per seed: "
                       + count_text([r.control_outcome for r in per_seed]))
        out.append(SeedClaim(row._replace(ours=ours, control=control), head, values, per_seed))
    return out


def claim_metrics(judged: Sequence[SeedClaim]) -> list[dict]:
    """metrics.json's record of each claim over seeds: headline spread, outcomes on the mean and per seed."""
    return [{"claim": c.row.criterion.claim, "headline": c.headline.label, **spread(c.values),
             "verdict": c.row.verdict, "outcome_on_mean": c.row.outcome,
             "control_outcome_on_mean": c.row.control_outcome,
             "verdict_per_seed": [r.verdict for r in c.per_seed],
             "outcome_per_seed": [r.outcome for r in c.per_seed],
             "control_outcome_per_seed": [r.control_outcome for r in c.per_seed],
             "verdict_counts": verdict_counts([r.verdict for r in c.per_seed])} for c in judged]


def metric_spread(per_seed: Sequence[Mapping[str, float]]) -> dict[str, dict]:
    """``{name: spread(values over seeds)}`` for every number every seed's metrics hold.

    >>> metric_spread([{"a": 1.0}, {"a": 3.0}])["a"]["mean"]
    2.0
    """
    is_number = lambda v: isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
    names = [n for n in per_seed[0] if all(is_number(m.get(n)) for m in per_seed)]
    return {n: spread([m[n] for m in per_seed]) for n in names}
