"""Seed 002's report tables and metrics: ``(title, header, rows)`` triples for ``Report.table`` and
a flat dict for ``metrics.json``, from ``results`` as in :mod:`.claims`."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from jaxprobe.studies.coupled_nmf.claims import spread
from jaxprobe.studies.coupled_nmf.protocol import (BLOCK_NAMES, CLASS_ORDER, CONDITIONS, LEARNING_RATE, MOMENTUM, RANKS,
                                                   REFERENCE, SEED_ACCURACY_ALL_DIGITS)


def protocol_text(mode: str, *, n_train: int, per_class: int, batch: int, seeds: int, n_test: int, test_source: str,
                  n_stats: int, n_figures: int, iterations: int, inner_steps: int) -> str:
    """The report's paragraph on what was run, every number from the arguments."""
    return (
        f"Mode: **{mode}**. The seed's CNN (conv 1→10 5×5, maxpool, ReLU; conv 10→20 5×5, maxpool, ReLU; dense; "
        f"softmax) trained one epoch per condition on {n_train:,} embedded MNIST digits ({per_class} a class; the "
        f"seed: about 60,000) with SGD, learning rate {LEARNING_RATE}, momentum {MOMENTUM} and batch {batch} "
        f"({n_train // batch} updates per epoch; the seed states no optimizer, batch or learning rate); {seeds} "
        f"seeds, each condition of a seed starting from that seed's initial weights, which are the untrained "
        f"control. Case III trains the classes in the order {', '.join(map(str, CLASS_ORDER))}, one epoch each "
        f"(the momentum restarts with each class). Accuracy on the {n_test:,} {test_source} test digits. Eq. 1 is "
        f"fitted to D_0 (784 pixels), A_0 (1,440 pooled ReLU outputs) and A_1 (320), columns = test digits: "
        f"{n_stats:,} digits for the statistics over seeds, {n_figures:,} for the first seed's figures and per-block "
        f"table; ranks {', '.join(map(str, RANKS))} side by side in one compiled fit, U(0, 1) initial factors, "
        f"ε = 1e-9, {iterations} iterations of the multiplicative updates, each update repeated {inner_steps}× on "
        f"the same products (accelerated MU; benchmarks/bench_factorization.py compares it with the updates as "
        f"printed). RMSE = √(J / entries); 'normalised' fits the same blocks each divided by its root-mean-square "
        f"value. Every claim compares poorly trained networks with the 100 % network; its control replaces that "
        f"network by the untrained one (a criterion that also ranks the untrained network above the poorly trained "
        f"ones cannot be reading training quality).")

__all__ = ["protocol_text", "accuracy_table", "rmse_table", "block_table", "spectrum_table", "metrics"]


def _seed_accuracy(key: str) -> str:
    seed = next(c.seed_accuracy for c in CONDITIONS if c.key == key)
    if key == REFERENCE:
        return f"{seed:g} (case II: {SEED_ACCURACY_ALL_DIGITS:g})"
    return "—" if seed is None else f"{seed:g}"


def accuracy_table(results: Mapping, n_test: int) -> tuple:
    """Test accuracy per condition on ``n_test`` test digits, mean ± sd over seeds, beside the seed's."""
    rows = [[c.key, c.title, spread([100 * m["accuracy"] for m in results[c.key]], 1), _seed_accuracy(c.key)]
            for c in CONDITIONS]
    return (f"Test accuracy (%) on {n_test:,} MNIST test digits, mean ± sd over {len(results[REFERENCE])} seeds",
            ["condition", "training", "ours", "seed"], rows)


def rmse_table(results: Mapping, variant: str, n_images: int, ranks: Sequence[int] = RANKS) -> tuple:
    """RMSE of eq. 1 per condition and rank, mean ± sd over seeds."""
    rows = [[c.key] + [spread(np.stack([m[variant]["rmse"] for m in results[c.key]])[:, k], 4) for k in range(len(ranks))]
            for c in CONDITIONS]
    return (f"RMSE of eq. 1 ({variant} blocks, {n_images:,} test digits), mean ± sd over {len(results[REFERENCE])} seeds",
            ["condition"] + [f"rank {r}" for r in ranks], rows)


def block_table(one_by_key: Mapping, n_images: int, ranks: Sequence[int] = RANKS) -> tuple:
    """One network per condition (seed 0): RMSE per block at the smallest and largest rank, and the
    convergence of the fit (largest relative fall of J over its last 10 iterations)."""
    rows = []
    for c in CONDITIONS:
        raw = one_by_key[c.key]["raw"]
        b = np.asarray(raw["block_rmse"])
        rows.append([c.key, f"{np.asarray(raw['rmse'])[0]:.4f}", f"{np.asarray(raw['rmse'])[-1]:.4f}"]
                    + [f"{b[0, j]:.3f} / {b[-1, j]:.3f}" for j in range(b.shape[1])]
                    + [f"{np.max(raw['last10_decrease']):.1e}"])
    return (f"Seed 0, raw blocks, {n_images:,} test digits: RMSE at rank {ranks[0]} and {ranks[-1]}, per block "
            f"(rank {ranks[0]} / {ranks[-1]}), and J's relative fall over the last 10 iterations",
            ["condition", f"RMSE r={ranks[0]}", f"RMSE r={ranks[-1]}"] + list(BLOCK_NAMES) + ["last-10 fall"], rows)


def spectrum_table(results: Mapping) -> tuple:
    """Effective rank and 90 %-energy rank of A_0 and A_1, and the share of never-active units."""
    rows = []
    for c in CONDITIONS:
        ms = results[c.key]
        er = np.stack([m["effective_rank"] for m in ms])
        en = np.stack([m["energy_rank_90"] for m in ms])
        dead = np.stack([m["dead_share"] for m in ms])
        rows.append([c.key, spread(er[:, 0], 1), spread(er[:, 1], 1), spread(en[:, 0], 1), spread(en[:, 1], 1),
                     spread(dead[:, 0], 3), spread(dead[:, 1], 3)])
    return ("Spectra of the activations (mean ± sd over seeds): effective rank (exp of the entropy of σ²/Σσ²), "
            "rank holding 90 % of Σσ², share of units never active on the factorised digits",
            ["condition", "eff. rank A_0", "eff. rank A_1", "90 % rank A_0", "90 % rank A_1", "dead A_0", "dead A_1"],
            rows)


def metrics(results: Mapping, prefix: str) -> dict:
    """Per condition: accuracy, recall of each digit, RMSE per rank (raw, normalised), effective
    ranks, mean over seeds, with the per-seed values."""
    out = {}
    for c in CONDITIONS:
        ms = results[c.key]
        out[f"{prefix}{c.key}"] = {
            "accuracy": [m["accuracy"] for m in ms],
            "recall": np.mean([m["recall"] for m in ms], 0),
            "rmse_raw": [m["raw"]["rmse"] for m in ms],
            "rmse_normalised": [m["normalised"]["rmse"] for m in ms],
            "block_rmse_raw_mean": np.mean([m["raw"]["block_rmse"] for m in ms], 0),
            "effective_rank": [m["effective_rank"] for m in ms],
            "energy_rank_90": [m["energy_rank_90"] for m in ms],
        }
    return out
