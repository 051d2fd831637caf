"""Seed 000's report tables and metrics: measured numbers laid out, nothing judged.

Each ``*_table`` returns a :class:`Table` for ``Report.table(*table)``; each ``*_metrics`` the
``{name: number}`` an experiment stores in metrics.json.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from jaxprobe.studies.bp_dnn.criteria import DISCRIMINANT_SILHOUETTE

__all__ = [
    "Table",
    "discriminance_table",
    "discriminance_metrics",
    "direct_loss_table",
    "cosine_table",
    "cosine_metrics",
    "reconstruction_table",
    "reconstruction_metrics",
    "controls_table",
    "control_metrics",
    "seed_spread_table",
]


class Table(NamedTuple):
    """A report table: ``Report.table(title, header, rows)``."""

    title: str
    header: list
    rows: list


def discriminance_table(disc: Mapping, snap_steps: Sequence[int], k: int, n_points: int,
                        n_hidden: int = 5) -> Table:
    """k-NN and silhouette of the references, p − y, õ_l and z_l at every snapshot.

    >>> disc = {("input", 0, 0): (0.8, 0.1), ("label", 0, 0): (1.0, 1.0), ("top", 2, 0): (1.0, 0.9),
    ...         ("targets", 1, 0): (0.9, 0.2), ("z", 1, 0): (0.7, 0.0)}
    >>> discriminance_table(disc, [0], k=5, n_points=20, n_hidden=1).rows[3]
    ['õ_1', '0', '0.900', '0.200', 'no']
    """
    rows = [["input pixels x", "—", *disc[("input", 0, 0)]], ["label signal e_y − 1/10", "—", *disc[("label", 0, 0)]]]
    rows += [[f"õ_{n_hidden + 1} = p − y (top signal)", s, *disc[("top", n_hidden + 1, s)]] for s in snap_steps]
    rows += [[f"{sym}_{l}", s, *disc[(kind, l, s)]] for kind, sym in (("targets", "õ"), ("z", "z"))
             for l in range(1, n_hidden + 1) for s in snap_steps]
    return Table(f"Discriminance of the raw vectors ({n_points} balanced test digits; chance k-NN = 0.100)",
                 ["vectors", "iteration", f"cosine {k}-NN acc. (leave-one-out)", "cosine silhouette",
                  f"discriminant (silhouette > {DISCRIMINANT_SILHOUETTE})"],
                 [[name, str(s), f"{kn:.3f}", f"{sil:.3f}", "yes" if sil > DISCRIMINANT_SILHOUETTE else "no"]
                  for name, s, kn, sil in rows])


def discriminance_metrics(disc: Mapping) -> dict[str, float]:
    """``knn_<set>_it<step>`` and ``silhouette_<set>_it<step>`` for p − y ('top'), õ_l and z_l."""
    out = {}
    for (kind, l, s), (kn, sil) in disc.items():
        if kind in ("targets", "z", "top"):
            name = "top" if kind == "top" else f"{kind}{l}"
            out[f"knn_{name}_it{s}"] = kn
            out[f"silhouette_{name}_it{s}"] = sil
    return out


def direct_loss_table(errors: Sequence[dict], n_digits: int) -> Table:
    """The relative gradient errors of ℓ^fp and ℓ^bp per layer (``measures.direct_loss_gradient_errors``)."""
    return Table(f"Direct losses on the trained network ({n_digits} test digits): relative error "
                 "‖g_direct − ∂ℓ/∂θ‖ / ‖∂ℓ/∂θ‖",
                 ["layer l", "ℓ^fp vs ℓ, W_l", "ℓ^fp vs ℓ, b_l", "−ℓ^bp vs ℓ, W_l", "‖∂ℓ/∂W_l‖"],
                 [[e["layer"], f"{e['fp_kernel']:.1e}", f"{e['fp_bias']:.1e}", f"{e['bp_kernel']:.1e}",
                   f"{e['grad_norm']:.3g}"] for e in errors])


def cosine_table(cos_curve: Mapping[int, Sequence[float]]) -> Table:
    """Mean cos(z_l, −õ_l) per layer (columns) and snapshot (rows)."""
    n = len(next(iter(cos_curve.values())))
    return Table("mean cos(z_l, −õ_l) by snapshot", ["iteration"] + [f"l = {l}" for l in range(1, n + 1)],
                 [[s] + [f"{c:.3f}" for c in cos_curve[s]] for s in cos_curve])


def cosine_metrics(cos_curve: Mapping[int, Sequence[float]]) -> dict[str, float]:
    """``cos_z<l>_negtarget_it<step>`` for every layer and snapshot."""
    return {f"cos_z{l}_negtarget_it{s}": c for s, cs in cos_curve.items() for l, c in enumerate(cs, start=1)}


_RECONSTRUCTIONS = (("bp-DNN, −z̃_0 from p − y (seed eq. 3, 9)", "bp"),
                    ("gradient of the class logit (bp-DNN from one-hot y)", "grad_logit"),
                    ("guided-bp-DNN from one-hot y (seed eq. 11)", "guided"))


def reconstruction_table(scores: Mapping[str, Any], n_digits: int) -> Table:
    """Pearson r of each map with its digit and the map's positive mass on ink (``measures.reconstruction_scores``)."""
    r, ink = scores["r"], scores["ink"]
    return Table(f"Each input-space reconstruction against its own digit ({n_digits} random test digits): Pearson r "
                 f"over the 784 pixels, and the share of the map's positive mass on ink pixels (> 0.5; ink "
                 f"covers {100 * scores['ink_area']:.1f} % of the image area)",
                 ["reconstruction", "mean r", "median r", "digits with r defined", "positive mass on ink"],
                 [[label, f"{np.nanmean(r[n]):.3f}", f"{np.nanmedian(r[n]):.3f}", int((~np.isnan(r[n])).sum()),
                   f"{100 * np.nanmean(ink[n]):.1f} %"] for label, n in _RECONSTRUCTIONS])


def reconstruction_metrics(scores: Mapping[str, Any]) -> dict[str, float]:
    """Mean correlations, ink shares, the guided-beats-bp share and the guided-backprop difference."""
    names = {"bp": "bp_dnn", "guided": "guided", "grad_logit": "grad_logit"}
    ink_names = {"bp": "bp", "grad_logit": "grad", "guided": "guided"}
    out = {f"positive_mass_on_ink_{ink_names[n]}": float(np.nanmean(v)) for n, v in scores["ink"].items()}
    out["ink_area_fraction"] = scores["ink_area"]
    out.update({f"corr_{names[n]}_mean": float(np.nanmean(v)) for n, v in scores["r"].items()})
    out["corr_guided_gt_bp_fraction"] = scores["paired"]["fraction_higher"]
    out["guided_bp_dnn_vs_guided_backprop_max_rel_diff"] = scores["guided_vs_guided_backprop"]
    return out


def controls_table(rows: Sequence[Any]) -> Table:
    """Each claim on the real run beside its negative control (``claims.ClaimRow``s).

    A claim that also (partly) holds on its control is "not discriminating".
    """
    return Table("Claims beside their negative controls (the same criterion on the control; a claim whose "
                 "control also holds or partly holds is 'not discriminating')",
                 ["claim", "outcome", "control", "control outcome", "verdict"],
                 [[r.criterion.claim, r.outcome, r.control or "none applies", r.control_outcome or "—", r.verdict]
                  for r in rows])


def control_metrics(disc_shuffled: Mapping, scores_untrained: Mapping[str, Any]) -> dict[str, float]:
    """The negative controls' numbers: label-shuffled targets, the untrained network's maps.

    ``knn_shuffled_targets<l>_it<step>``, ``silhouette_shuffled_targets<l>_it<step>``, and the
    :func:`reconstruction_metrics` of the untrained network with ``_untrained`` appended.
    """
    out = {}
    for (_, l, s), (kn, sil) in disc_shuffled.items():
        out[f"knn_shuffled_targets{l}_it{s}"] = kn
        out[f"silhouette_shuffled_targets{l}_it{s}"] = sil
    out.update({f"{name}_untrained": v for name, v in reconstruction_metrics(scores_untrained).items()})
    return out


def seed_spread_table(judged: Sequence[Any], seeds: Sequence[int]) -> Table:
    """Each claim's headline number per seed, its spread, and the verdicts (``over_seeds.judge``).

    Args:
      judged: ``over_seeds.SeedClaim``s; seeds: the seeds, in the order of their values.
    """
    def num(v):
        return f"{v:.2e}" if v != 0 and abs(v) < 1e-3 else f"{v:.3f}"

    rows = []
    for c in judged:
        v = np.asarray(c.values, np.float64)
        sd = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        rows.append([c.row.criterion.claim, c.headline.label, *[num(x) for x in v],
                     f"{num(float(v.mean()))} ± {num(sd)}", f"{num(float(v.min()))}–{num(float(v.max()))}",
                     "—" if c.headline.bar is None else f"{c.headline.bar:g}", c.row.verdict,
                     ", ".join(r.verdict for r in c.per_seed)])
    return Table(f"Claims over {len(seeds)} seeds: the headline number of each claim per seed, mean ± sd (ddof 1), "
                 "range, the criterion's bar on it, the verdict by the rule above and each seed's own verdict",
                 ["claim", "headline", *[f"seed {s}" for s in seeds], "mean ± sd", "min–max", "bar",
                  "verdict over seeds", "verdict per seed"], rows)
