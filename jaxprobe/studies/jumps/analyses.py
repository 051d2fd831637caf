"""The jump study's stages, each returning a :class:`Part` for the report.

A part holds, in order, the blocks of its report section (texts, tables, figures), its metrics,
the rows it sets beside the thesis (``compares``) and its claim rows by number. The experiment
(``experiments/jumps.py``) runs the stages and writes the parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import jax
import numpy as np

from jaxprobe.studies.jumps import baseline as bl
from jaxprobe.studies.jumps import claims, figures, measures as ms, sections
from jaxprobe.studies.jumps.errors import error_stats
from jaxprobe.studies.jumps.protocol import REASONS, choose_conv_activation


@dataclass
class Part:
    """One stage's report output."""

    blocks: list = field(default_factory=list)     # ("text", md) | ("table", Table) | ("figure", fig, file, caption)
    metrics: dict = field(default_factory=dict)
    compares: list = field(default_factory=list)   # (quantity, ours, seed, verdict, note): not judged
    figures_rows: list = field(default_factory=list)   # (criterion, ours, seed, verdict, note): table rows judged
    rows: dict = field(default_factory=dict)       # claim key ('1' … '25', '11a', '11b') -> ClaimRow

    def text(self, markdown: str) -> None:
        self.blocks.append(("text", markdown))

    def table(self, table) -> None:
        self.blocks.append(("table", table))

    def figure(self, fig, filename: str, **caption) -> None:
        self.blocks.append(("figure", fig, filename, figures.CAPTIONS[filename].format(**caption)))


def baseline_part(splits, cal, sigma: float, replicates: int, *, tau_per_class: int, tsne) -> Part:
    """§3.1–3.2: the baseline on the test set (Table 3.1, Fig. 3.6–3.7), τ on the training set,
    Fig. 3.5 and the t-SNE of Fig. 3.2 (claims 1–3).

    Args:
      splits: the data.
      cal: the :class:`~jaxprobe.studies.jumps.baseline.Calibration` (detector options).
      sigma: the frozen σ.
      replicates: replicate test sets for the baseline's spread.
      tau_per_class: signals per class in the Fig. 3.5 sweep.
      tsne: ``(embedding, labels)`` of the training signals.
    """
    part = Part()
    detector = dict(derivative=cal.derivative, restrict=cal.restrict)
    btrue, bpred = np.asarray(splits.test_y) + 21, np.asarray(bl.detect(splits.test_x, **detector))
    test = {k: float(v) for k, v in error_stats(bpred, btrue).items()}
    rep = bl.simulate_baseline(sigma, key=jax.random.key(77), replicates=replicates, n=len(splits.test_x), **detector)
    part.figure(figures.baseline_figure(np.asarray(bl.gaussian_window(2.9, 19)), bpred, btrue), "fig3_6_7_baseline.png")
    rep_mean, rep_std = {k: v.mean() for k, v in rep.items()}, {k: v.std() for k, v in rep.items()}
    part.table(sections.table_3_1(test, rep_mean, rep_std))
    part.compares += claims.table_3_1_rows(test, rep_mean, rep_std)
    err = np.abs(bpred - btrue)
    part.rows["3"] = claims.claim_03(test, rep_mean, rep_std, np.sort(err)[: int(0.99 * len(err))].max(),
                                   float(np.mean(err <= 1)))
    part.metrics["baseline_test"] = test
    part.metrics["baseline_replicates"] = {k: (float(v.mean()), float(v.std())) for k, v in rep.items()}
    taus_train = np.round(np.arange(1.5, 4.51, 0.1), 2)
    l1_train = bl.training_tau_l1(splits.train_x, splits.train_y, taus_train, **detector)
    part.metrics["baseline_best_tau_train"] = float(taus_train[int(np.argmin(l1_train))])
    part.text(sections.held_out_tau_text(sigma, taus_train, l1_train))
    taus, sigmas = np.round(np.arange(0.25, 6.01, 0.25), 2), (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
    P = bl.tau_sweep(jax.random.key(35), sigmas, tuple(taus), n_per_class=tau_per_class)
    part.figure(figures.tau_figure(taus, sigmas, P), "fig3_5_tau_sweep.png")
    part.rows["2"] = claims.claim_02(sigmas, taus[np.argmax(P, axis=1)], P.max(axis=1))
    part.metrics["fig3_5_opt_tau"] = taus[np.argmax(P, axis=1)]
    part.metrics["fig3_5_best_p"] = P.max(axis=1)
    emb, labels = tsne
    part.figure(figures.tsne_figure(emb, labels), "fig3_2_tsne.png", n=len(labels))
    part.rows["1"] = claims.claim_01(ms.tsne_order(emb, labels))
    return part


def network_part(runs: dict, controls: dict, cached, extended, budget, extend_epochs: int, conv_acts,
                 baseline: dict, rule=None) -> Part:
    """The trained runs: per-run metrics, the conv activation used, Tables 3.2–3.4, 4.1, 7.1.

    The conv activation is the one with the lower validation loss (independent of the thesis's
    tables); its CNNs (and their untrained controls) are added to ``runs`` (``controls``) under
    their plain names (``'cnn1'``). ``rule``: the bottlenecks' ``protocol.ConvergenceRule`` (None:
    the single extension of ``extend_epochs``); the epochs per seed go into the metrics and a table.
    """
    part = Part()
    for key, run in runs.items():
        part.metrics[f"run_{key}"] = {"stats": run.summary(), "best_epoch": run.best_epoch,
                                      "epochs_run": run.epochs_run, "wall_s": run.wall}
        if run.convergence:
            part.metrics[f"run_{key}"].update(
                converged_epoch=run.convergence["epoch"],
                convergence=[REASONS[int(c)] for c in run.convergence["reason"]])
    if rule is not None:
        part.text(sections.convergence_text(rule, budget.max_epochs, budget.patience))
        converged = [k for k in runs if runs[k].convergence and runs[k].max_epochs > budget.max_epochs]
        if converged:
            part.table(sections.convergence_table(runs, converged, REASONS))
    elif extended:
        part.text(sections.budget_text(extended, budget.max_epochs, extend_epochs))
    trained = dict(runs)
    best, scores = choose_conv_activation(runs, conv_acts)
    for table in (runs, controls):
        table.update({n: table[f"{n}_{best}"] for n in ("cnn1", "cnn1k5", "cnn2", "cnn3") if f"{n}_{best}" in table})
    part.text(sections.conv_activation_text(scores, best))
    part.metrics["cnn_best_activation"] = best
    part.metrics["cnn_min_valid_loss"] = scores
    for table in sections.thesis_tables(runs, baseline, conv_acts):
        part.table(table)
    part.figures_rows += claims.error_rows(runs)
    total = sum(r.wall for r in trained.values())
    part.metrics["sum_model_wall_s"] = total
    part.table(sections.wall_table(trained, cached, total))
    return part


def mlp_part(runs: dict, controls: dict, splits, baseline: dict, long: Optional[dict] = None,
             long_epochs: int = 0) -> Part:
    """§3.3: the MLPs' training curves, errors, weights and class-averaged activations (claims 4–11).

    Args:
      runs: every run by name (``mlp1``, ``mlp2``, … and the others for claim 6).
      controls: the untrained networks by the same names.
      splits: the data (test and analysis sets).
      baseline: our baseline's test figures.
      long: :func:`~jaxprobe.studies.jumps.protocol.long_run`'s arrays, or None.
      long_epochs: that run's length.
    """
    part = Part()
    errors, boots = {n: r.stats for n, r in runs.items()}, {n: r.boot for n, r in runs.items()}
    ana_x, ana_y = splits.analysis_x, np.asarray(splits.analysis_y)
    r1, r2 = runs["mlp1"], runs["mlp2"]
    if long is not None:
        part.figure(figures.long_run_figure(long, long_epochs), "fig3_9_long_run.png")
    part.rows["4"] = claims.claim_04(r2.best_epoch, ms.long_run_summary(long) if long is not None else None)
    part.figure(figures.training_figure(r2), "fig3_9_training.png")
    part.rows["5"] = claims.claim_05(errors, boots)
    part.figure(figures.error_histogram_figure(np.abs(r2.test_pred[0] - np.asarray(splits.test_y))),
                "fig3_10_mlp2_errors.png")
    part.rows["6"] = claims.claim_06({n: e for n, e in errors.items() if "_" not in n}, boots)
    part.rows["7"], part.rows["8"] = claims.claim_07(errors, boots), claims.claim_08(errors, baseline)
    cols = ms.mlp1_columns(r1)
    part.figure(figures.mlp1_figure(r1, ana_x, ana_y), "fig3_14_15_mlp1.png")
    part.rows["9"] = claims.claim_09(cols, ms.mlp1_columns(controls["mlp1"]))
    part.metrics["mlp1_column30_corr"] = (float(np.mean(cols["corr"][:, 29])), float(np.std(cols["corr"][:, 29])))
    part.figure(figures.mlp2_weights_figure(r2), "fig3_11_mlp2_weights.png")
    part.rows["10"] = claims.claim_10(ms.mlp2_weights_outside(r2), ms.mlp2_weights_outside(controls["mlp2"]))
    hidden = ms.mlp2_hidden(r2, ana_x, ana_y)
    part.figure(figures.mlp2_activations_figure(hidden["hidden_means"], hidden["output_means"]),
                "fig3_12_mlp2_activations.png")
    part.rows["11a"], part.rows["11b"] = claims.claim_11(hidden, ms.mlp2_hidden(controls["mlp2"], ana_x, ana_y))
    return part


def cnn_part(runs: dict, controls: dict, splits, baseline: dict, activation: str, conv_acts=()) -> Part:
    """§3.4: the one-filter CNNs' filters, intermediate signals and errors (claims 12–16).

    Claims 12–16 are judged with the chosen ``activation``; for every other activation in
    ``conv_acts`` claims 12–15 are shown in a table (not counted).
    """
    part = Part()
    ana_x, ana_y = splits.analysis_x, np.asarray(splits.analysis_y)
    x50 = ana_x[np.nonzero(ana_y == ms.CLASS_50)[0]]
    names = [n for n in ("cnn1", "cnn1k5", "cnn2", "cnn3") if n in runs]
    part.figure(figures.cnn_figure(runs, names, activation, ana_x, ana_y, x50), "fig3_17_22_cnns.png")
    part.rows.update(claims.cnn_claims(ms.cnn_measures(runs, x50), ms.cnn_measures(controls, x50)))
    part.rows["16"] = claims.claim_16({n: r.stats for n, r in runs.items()}, baseline,
                                      {n: r.boot for n, r in runs.items()}, activation)
    others = [a for a in conv_acts if a != activation]
    if others:
        per_act = {}
        for act in [activation] + others:
            pick = lambda table: {n: table[f"{n}_{act}"] for n in names if f"{n}_{act}" in table}
            per_act[act] = claims.cnn_claims(ms.cnn_measures(pick(runs), x50), ms.cnn_measures(pick(controls), x50))
        part.table(sections.per_activation_table(per_act, activation))
    return part


def bottleneck_part(runs: dict, controls: dict, splits, baseline: dict, ps, *, draw: bool = True) -> Part:
    """Ch. 4: the p-sweeps, dead units and 2-D codes of the bottleneck networks (claims 17–23).

    ``draw=False``: the claims and tables only (no figure drawn).
    """
    part = Part()
    errors, boots = {n: r.stats for n, r in runs.items()}, {n: r.boot for n, r in runs.items()}
    ana_x, ana_y = splits.analysis_x, np.asarray(splits.analysis_y)
    ps = list(ps)
    sw = {kind: ms.sweep_table(runs, kind, ps) for kind in ("shallow", "deep")}
    if draw:
        part.figure(figures.sweep_figure(sw, ps, baseline), "fig4_3_4_psweeps.png")
    for kind in ("shallow", "deep"):
        part.table(sections.sweep_table(kind, ps, sw[kind], runs))
    keys = [(kind, p) for kind in ("shallow", "deep") for p in ps]
    dead = {(k, p): ms.dead_units_per_layer(runs[f"{k}{p}"], ana_x) for k, p in keys}
    dead0 = {(k, p): ms.dead_units_per_layer(controls[f"{k}{p}"], ana_x) for k, p in keys}
    if draw:
        part.figure(figures.dead_units_figure(dead, ps), "fig4_5_dead_units.png")
    part.metrics["dead_units"] = {f"{k}{p}": v.mean(0) for (k, p), v in dead.items()}
    part.metrics["dead_units_untrained"] = {f"{k}{p}": v.mean(0) for (k, p), v in dead0.items()}
    summary = ms.dead_summary(dead, ps)
    part.rows["17"] = claims.claim_17(errors, baseline, boots)
    part.rows["18"], part.rows["19"] = claims.claim_18(errors, boots), claims.claim_19(errors, boots)
    part.rows["20"] = claims.claim_20(ps, {k: v[:, 0] for k, v in sw["shallow"].items()})
    part.rows["21"] = claims.claim_21(ps, {k: v[:, 0] for k, v in sw["deep"].items()}, summary["deep_active"])
    part.rows["22"] = claims.claim_22(summary, ms.dead_summary(dead0, ps))
    if draw:
        part.figure(figures.bottleneck_2d_figure(ms.bottleneck_panels(runs, splits.train_x, splits.train_y, ana_x,
                                                                      ana_y)), "fig4_6_9_bottleneck2d.png")
    part.rows["23"] = claims.claim_23(ms.bottleneck_2d(runs["shallow2"], ana_x, ana_y),
                                      ms.bottleneck_2d(controls["shallow2"], ana_x, ana_y))
    return part


def moore_penrose_part(seed: int = 0) -> Part:
    """§4.3.2–4.3.3: the toy map and the least-squares map (claims 24–25)."""
    part = Part()
    rng = np.random.default_rng(seed)
    part.rows["24"] = claims.claim_24(ms.toy_map_successes(rng, 10000), 10000)
    part.rows["25"] = claims.claim_25(**ms.least_squares_check(rng, 200))
    return part
