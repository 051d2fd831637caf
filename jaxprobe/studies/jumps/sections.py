"""The jump study's report text and tables, built from numbers (the experiment writes them).

A table is a :class:`Table` (title, header, rows) for ``Report.table(*table)``; a text is Markdown.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from jaxprobe.studies.jumps.claims import claim_key
from jaxprobe.studies.jumps.errors import ERROR_KEYS, thesis_within, total_std
from jaxprobe.studies.jumps.thesis import BASELINE_MAX_ERROR, CLAIM_TITLES, THESIS_ERRORS, label


class Table(NamedTuple):
    """A report table: ``Report.table(*table)``."""

    title: str
    header: list
    rows: list


def protocol_text(mode: str, sizes, n_seeds: int, patience: int, max_epochs: int) -> str:
    """The run's protocol in one paragraph."""
    return (f"Mode: **{mode}**. Sizes (train, valid, test, analysis) = {sizes}; "
            f"{n_seeds} seed(s) per network trained at once with `fit(stacked=True)`; "
            f"SGD lr 0.01, batch 100, softmax cross-entropy, evaluation every epoch, parameters of "
            f"the minimum validation loss kept (patience {patience} epochs, budget "
            f"{max_epochs} epochs). Glorot-uniform kernels and zero biases (Keras defaults; "
            f"the thesis names no initialiser). Spread = mean ± std over seeds on one fixed test "
            f"set, and in brackets the total std: seed std combined with a 200-resample bootstrap of the test "
            f"set (how far a figure moves with another seed and another test set). A thesis value is "
            f"'within' (✓) when it lies in mean ± 2 total std.")


def calibration_text(cal, sigma: float, replicates: int, n: int, fitted: bool, library_sigma: float) -> str:
    """How σ and the detector's two unstated options were fitted on Table 3.1 alone."""
    return ("### σ calibration (Table 3.1 alone)\n\n"
            f"For every σ on the grid {cal.grid.min():.2f}..{cal.grid.max():.2f} and each of the six detector "
            f"variants (backward / forward / central difference × arg-max over 21..80 or over all positions), "
            f"the baseline (w = 19, τ = 2.9) was run on {replicates} fresh {n}-signal test sets "
            f"(the same keys for every cell). The score is the chi-square of the four Table 3.1 figures "
            f"against the replicate mean ± std, plus −2 log P(57 ≤ max error ≤ 59) for the reported maximum "
            f"error of 58. The winner is the **{cal.derivative} difference with the arg-max over "
            f"{'21..80' if cal.restrict else 'all positions'}**, σ = {cal.sigma:.3f} (chi-square "
            f"{cal.chi2:.1f} on 4 figures); σ frozen at **{sigma}** for everything below"
            + ("" if fitted else f" (quick mode keeps the library constant {library_sigma})")
            + ". " + random_sigma_text(cal) + " " + derivative_text(cal))


def random_sigma_text(cal) -> str:
    """How a per-signal σ ~ U(0.5, 2) scores against the winner (computed, not asserted)."""
    rs = cal.random_sigma_chi2
    if not np.isfinite(rs):
        return "A per-signal σ ~ U(0.5, 2) was not scored."
    return (f"A per-signal σ ~ U(0.5, 2) (the thesis's 'ranging from 0.5 to 2') scores chi-square {rs:.0f} "
            f"(L1 {cal.random_sigma_mean.get('L1', float('nan')):.3f}): it fits {'worse' if rs > cal.chi2 else 'no worse'} "
            f"than the fixed σ's {cal.chi2:.1f}.")


def derivative_text(cal) -> str:
    """The best chi-square of each derivative (the forward difference is biased by −1 by construction,
    the central one splits ties between t0−1 and t0)."""
    best = {}
    for (d, _), chis in cal.chi2_grid.items():
        best[d] = min(best.get(d, np.inf), float(np.min(chis)))
    return ("The forward difference is biased by −1 and the central difference splits ties between t0−1 and t0; "
            "best chi-square per derivative: " + ", ".join(f"{d} {v:.1f}" for d, v in best.items()) + ".")


def calibration_table(cal) -> Table:
    """Best σ, chi-square and max-error evidence per detector variant."""
    rows = []
    for (d, r), chis in cal.chi2_grid.items():
        rows.append([d, "21..80" if r else "all", f"{cal.grid[int(np.argmin(chis))]:.2f}", f"{chis.min():.1f}",
                     f"{cal.p_max_near_58[(d, r)]:.3f}", f"{cal.p_max_gt_59[(d, r)]:.3f}", f"{cal.score[(d, r)]:.1f}"])
    return Table("Calibration: best σ per detector variant",
                 ["derivative", "arg-max over", "best σ", "chi-square", "P(max∈57..59)", "P(max>59)", "score"], rows)


def table_3_1(test: dict, replicate_mean: dict, replicate_std: dict) -> Table:
    """Table 3.1 beside our test set (and the mean ± std over replicate test sets)."""
    cells = [f"{test[k]:.4f} (replicates {replicate_mean[k]:.4f} ± {replicate_std[k]:.4f})" for k in ERROR_KEYS]
    return Table("Table 3.1: signal-processing approach (our test set; mean ± std over replicate test sets) — "
                 "fitted, not evidence: σ was fitted to these four numbers",
                 ["", "L1", "L2", "99% L1", "99% L2", "max"],
                 [["thesis"] + list(THESIS_ERRORS["baseline"]) + [BASELINE_MAX_ERROR],
                  ["ours"] + cells + [f"{test['max']:.0f}"]])


def held_out_tau_text(sigma: float, taus, l1) -> str:
    """Where the training-set L1 of the baseline is lowest in τ (the thesis chose τ = 2.9 so)."""
    taus, l1 = np.asarray(taus), np.asarray(l1)
    best = float(taus[int(np.argmin(l1))])
    return (f"Held-out check of σ: at σ = {sigma} the training-set L1 of the baseline is lowest at "
            f"τ = {best:.1f} (thesis: τ = 2.9 'for which empirically we found the best performance "
            f"in the training data set'; L1 over τ is flat near its minimum: "
            f"{min(l1):.4f} at the optimum, {l1[int(np.argmin(np.abs(taus - 2.9)))]:.4f} at 2.9).")


def budget_text(extended: Sequence[str], max_epochs: int, extend_epochs: int) -> str:
    """Which runs were continued past their epoch budget."""
    return (f"Budget note: {', '.join(extended)} still had a falling validation loss at the "
            f"{max_epochs}-epoch budget; each was continued from its best parameters (plain SGD "
            f"has no optimiser state) for up to {extend_epochs} more epochs with the same early "
            f"stopping. 'epochs run' in the wall-time table includes the extension.")


def convergence_text(rule, budget_epochs: int, patience: int) -> str:
    """The bottlenecks' convergence rule (issue 16), declared before the runs."""
    return (f"**Convergence rule (bottlenecks).** A bottleneck whose seeds are still improving after the "
            f"{budget_epochs}-epoch budget continues from each seed's best parameters in segments of "
            f"{rule.segment_epochs} epochs (fresh batch orders, the same early stopping) until every seed has "
            f"converged, up to {rule.max_epochs} epochs in all. A seed has converged after {patience} epochs without "
            f"a new minimum of its validation loss (early stopping; converged at its best epoch + {patience}) or "
            f"when a whole segment lowers its lowest validation loss by less than {100 * rule.rel_tol:g} % "
            f"(plateau; converged at the segment's end); from then on its parameters are kept. The first "
            f"segment is the protocol before this rule (one extension of {rule.segment_epochs} epochs), so the "
            f"claims can be compared before and after (table below).")


def convergence_table(runs: dict, names: Sequence[str], reasons: dict) -> Table:
    """Each continued bottleneck's epochs per seed: best epoch, epoch of convergence, why."""
    rows = []
    for name in names:
        r = runs[name]
        conv = r.convergence
        rows.append([label(name), r.epochs_run, ", ".join(f"{e:.0f}" for e in r.best_epoch),
                     ", ".join("—" if np.isnan(e) else f"{e:.0f}" for e in conv["epoch"]),
                     ", ".join(reasons[int(c)] for c in conv["reason"])])
    return Table("Bottlenecks trained to convergence: epochs per seed", ["model", "epochs run (stack)",
                 "best epoch per seed", "converged at epoch per seed", "rule that fired per seed"], rows)


def before_after_table(before: dict, after: dict, old_cap: int) -> Table:
    """Claims judged on the bottlenecks before the convergence rule and after (``{key: ClaimRow}`` each);
    ``old_cap``: the epochs the protocol before the rule allowed (budget + one extension)."""
    return Table(f"Claims on the bottlenecks before (the protocol before issue 16: at most {old_cap} epochs) and "
                 "after training to convergence", ["#", "verdict before", "verdict after", "our number before",
                                            "our number after"],
                 [[k, before[k].verdict, after[k].verdict, before[k].ours, after[k].ours] for k in after if k in before])


def conv_activation_text(scores: dict, best: str) -> str:
    """Which conv activation was chosen, by the CNNs' validation loss (not by the thesis's tables)."""
    tried = ", ".join(f"{a}: {v:.4f}" for a, v in scores.items())
    other = ("both variants are in Table 3.4 and the other's claims 12–15 are in the table "
             "'CNN claims per conv activation'" if len(scores) > 1 else "only this activation was trained")
    return ("### Conv activation\n\nThe thesis never states the activation after its one-filter conv layers. "
            "It is chosen by a criterion independent of the thesis's tables: the CNNs' lowest validation loss "
            f"(mean over the CNNs and seeds): {tried}. **{best}** is used for claims 12–16; {other}.")


def per_activation_table(rows_by_activation: dict, chosen: str) -> Table:
    """Claims 12–15 under each conv activation (only the chosen one is counted)."""
    acts = list(rows_by_activation)
    keys = list(rows_by_activation[acts[0]])
    return Table("CNN claims per conv activation (verdict; untrained control's verdict in brackets; only "
                 f"[{chosen}] is counted)", ["claim"] + [f"[{a}]" for a in acts],
                 [[rows_by_activation[acts[0]][k].criterion.claim]
                  + [f"{rows_by_activation[a][k].verdict} ({rows_by_activation[a][k].control_outcome or '—'})"
                     for a in acts] for k in keys])


def smoke_text(epochs: int, n_train: int) -> str:
    """Quick mode: the verdicts about trained networks are a smoke test."""
    return (f"**Smoke test.** Quick mode trains every network for at most {epochs} epochs on {n_train} signals: "
            "the networks are not trained to the thesis's level (near chance), so each verdict on a criterion "
            "about trained networks (marked 'smoke test' in its note) tests the code path, not the thesis. "
            "Run `--full` for the reproduction.")


def claim_note(row) -> str:
    """A claim row's note: the untrained control, then the row's own note.

    Quick runs then mark the rows about trained networks with
    ``jaxprobe.analysis.verdicts.mark_smoke_test`` (which puts its mark first).
    """
    parts = [f"untrained control: {row.control_outcome} ({row.control})"] if row.control_outcome is not None else []
    if row.note:
        parts.append(row.note)
    return "; ".join(parts)


def _cells(run) -> list[str]:
    return [f"{np.mean(run.stats[k]):.4f} ± {np.std(run.stats[k]):.4f} "
            f"(±{total_std(run.stats[k], run.boot.get(k, 0.0)):.4f})" for k in ERROR_KEYS]


def error_table(title: str, names: Sequence[str], runs: dict, baseline: dict) -> Table:
    """A table of the thesis (Tables 3.2–3.4, 4.1, 7.1): thesis / ours per model and figure."""
    rows = [["Signal processing approach",
             *[f"{THESIS_ERRORS['baseline'][i]} / {baseline[k]:.4f}" for i, k in enumerate(ERROR_KEYS)], "—"]]
    for name in names:
        if name not in runs:
            continue
        r = runs[name]
        thesis = THESIS_ERRORS.get(name.split("_")[0])
        cells = _cells(r)
        if thesis is not None:
            inside = thesis_within(thesis, r.stats, r.boot)
            cells = [f"{t} / {c}{' ✓' if ok else ' ✗'}" for t, c, ok in zip(thesis, cells, inside)]
            within = f"{sum(inside)}/4"
        else:
            cells = [f"— / {c}" for c in cells]
            within = "—"
        rows.append([label(name), *cells, within])
    return Table(title + " — thesis / ours (mean ± seed std (± seed+test-set std); ✓ = thesis within mean ± 2 total std)",
                 ["model", "L1", "L2", "99% L1", "99% L2", "within"], rows)


def thesis_tables(runs: dict, baseline: dict, conv_acts: Sequence[str]) -> list[Table]:
    """Tables 3.2, 3.3, 3.4 (every conv activation tried), 4.1 and 7.1 beside ours."""
    cnns = [f"{n}_{a}" for a in conv_acts for n in ("cnn1", "cnn1k5", "cnn2", "cnn3")]
    mlps = ["mlp1", "mlp2", "mlp3", "mlp4"]
    return [error_table(title, names, runs, baseline) for title, names in (
        ("Table 3.2", ["mlp2"]), ("Table 3.3", mlps), ("Table 3.4", mlps + cnns),
        ("Table 4.1", ["mlp2", "mlp4", "shallow10", "shallow4", "deep10", "deep4"]),
        ("Table 7.1", mlps + ["cnn1", "cnn2", "cnn3", "shallow10", "shallow2", "deep10", "deep2"]))]


def wall_table(runs: dict, cached, total: float) -> Table:
    """Training wall time per run (keys with the activation for CNNs); ``cached``: keys from the cache."""
    walls = [[label(key), f"{r.wall:.1f}", r.epochs_run, f"{r.best_epoch.mean():.0f} ± {r.best_epoch.std():.0f}",
              "cached" if key in cached else "trained"] for key, r in runs.items()]
    return Table(f"Wall time per model (training + test evaluation, from when each was trained; sum "
                 f"{total:.0f} s = {total / 60:.1f} min on the shared 2-core CPU)",
                 ["model", "seconds", "epochs run", "best epoch (mean ± std)", "source"], walls)


def sweep_table(kind: str, ps: Sequence[int], sweep: dict, runs: dict) -> Table:
    """A bottleneck p-sweep: seed mean ± std of each figure and the mean best epoch per p."""
    return Table(f"p-sweep, {kind} bottleneck (mean ± std over seeds)", ["p", *ERROR_KEYS, "best epoch"],
                 [[p, *[f"{sweep[k][i][0]:.4f} ± {sweep[k][i][1]:.4f}" for k in ERROR_KEYS],
                   f"{runs[f'{kind}{p}'].best_epoch.mean():.0f}"] for i, p in enumerate(ps)])


def claims_table(rows) -> Table:
    """The verdict of every claim beside the untrained control's."""
    return Table("Verdicts for the digest's §9 claims 1–25 (claims about trained networks: the same criterion on "
                 "the untrained networks as a control; 'not discriminating' when the control also (partly) holds)",
                 ["#", "claim", "verdict", "our number", "untrained control", "control's number"],
                 [[k, CLAIM_TITLES[int(k.rstrip("ab"))] + {"a": " (hidden)", "b": " (output)"}.get(k[-1], ""),
                   r.verdict, r.ours, r.control_outcome or "—", r.control or "—"]
                  for k, r in ((claim_key(r), r) for r in rows)])
