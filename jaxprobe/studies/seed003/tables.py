"""Seed 003's tables and metrics: accuracies beside the seed's, the sweep, the three routes, the
extraction settings."""

from __future__ import annotations

from typing import Mapping, NamedTuple

import jax
import numpy as np

from jaxprobe.probes.target_propagation import class_features
from jaxprobe.studies.seed003.claims import falls, fig_snapshots
from jaxprobe.studies.seed003.protocol import SEED_ACCURACIES, Reader, measure, network

__all__ = ["Table", "seed_accuracy_table", "sweep_table", "routes_table", "extraction_table", "metrics"]


class Table(NamedTuple):
    title: str
    header: list
    rows: list


def _ms(values) -> str:
    v = np.asarray(values, np.float64)
    return f"{v.mean():.2f} ± {v.std():.2f}"


def _at(values, index) -> np.ndarray:
    return np.asarray(values)[index, np.arange(len(index))]


def seed_accuracy_table(sweep: Mapping, epoch_index: Mapping[float, int]) -> Table:
    """Every test accuracy the seed reports beside ours (GTP-trained, mean ± sd over seeds) and E."""
    rows = []
    for fig, hidden, depth, epochs, seed_acc in SEED_ACCURACIES:
        arch = sweep.get(("gtp", hidden, depth))
        if arch is None or epochs not in epoch_index:
            rows.append([fig, f"{hidden}×{depth}", epochs, seed_acc, "not run", "—"])
            continue
        i = epoch_index[epochs]
        rows.append([fig, f"{hidden}×{depth}", epochs, seed_acc, _ms(arch.accuracy[i]),
                     _ms(arch.measures["gtp"]["explainability"][i])])
    return Table("Test accuracies the seed reports beside ours (GTP-trained; mean ± sd over seeds), with E of the "
                 "GTP features there", ["seed figure", "hidden × layers", "epochs", "seed (%)", "ours (%)", "E"], rows)


def sweep_table(sweep: Mapping) -> Table:
    """Per rule and architecture: accuracy, E (first, peak, last), where it peaked and fell, the judge, the
    mutual cosine and the shared part at the end."""
    rows = []
    for key in sorted(sweep, key=lambda k: (k[0] != "gtp", k[2], k[1])):
        rule, hidden, depth = key
        arch = sweep[key]
        g = arch.measures["gtp"]
        trajs = falls(arch)
        peak = np.array([t.peak_index for t, _ in trajs])
        half = [a for _, a in trajs if a is not None]
        rows.append([rule, f"{hidden}×{depth}", _ms(arch.accuracy[-1]), _ms(g["explainability"][0]),
                     _ms(_at(g["explainability"], peak)), _ms(g["explainability"][-1]), _ms(_at(arch.accuracy, peak)),
                     f"{np.median(half):.1f} ({len(half)}/{len(trajs)})" if half else f"— (0/{len(trajs)})",
                     _ms(_at(g["judge_id"], peak)), _ms(g["judge_id"][-1]), _ms(g["mutual_cosine"][-1]),
                     _ms(g["shared_fraction"][-1])])
    return Table("The sweep: GTP features (route 'gtp') of every architecture, mean ± sd over seeds",
                 ["trained by", "hidden × layers", "last accuracy (%)", "E first", "E peak", "E last",
                  "accuracy at E peak (%)", "accuracy at half fall (%) (falling/seeds)", "judge at peak",
                  "judge last", "mutual cosine last", "shared part last"], rows)


def routes_table(sweep: Mapping, routes) -> Table:
    """The three routes on the same networks: E at the snapshot nearest 85.88 % and at the last, the
    judge, the mutual cosine and E of the class-specific parts at the last; mean ± sd over all
    architectures and seeds of each training rule."""
    rows = []
    for rule in ("gtp", "bp"):
        archs = [a for k, a in sweep.items() if k[0] == rule]
        if not archs:
            continue
        for route in routes:
            cols = {n: [] for n in ("e_m", "e_l", "j_l", "m_l", "s_l")}
            for a in archs:
                matched, last = fig_snapshots(a)
                m = a.measures[route]
                cols["e_m"] += list(_at(m["explainability"], matched))
                cols["e_l"] += list(_at(m["explainability"], last))
                cols["j_l"] += list(_at(m["judge_id"], last))
                cols["m_l"] += list(_at(m["mutual_cosine"], last))
                cols["s_l"] += list(_at(m["explainability_specific"], last))
            rows.append([rule, route] + [_ms(cols[n]) for n in ("e_m", "e_l", "j_l", "m_l", "s_l")])
    return Table("Three routes from an output unit to the input on the same networks (mean ± sd over "
                 "architectures and seeds)", ["trained by", "route", "E near 85.88 %", "E last", "judge last",
                                              "mutual cosine last", "E class-specific last"], rows)


def extraction_table(arch, settings, reader: Reader, snapshots) -> Table:
    """E and mutual cosine of one GTP-trained architecture's GTP features (seed 0, kept parameters) at
    two snapshots, under other extraction settings ``(start, τ, steps)``."""
    model = network(arch.rule, arch.hidden, arch.depth)
    rows = []
    for start, tau, steps in settings:
        cells = []
        for n in snapshots:
            params = jax.tree.map(lambda a: a[0], arch.params[arch.steps[n]])
            m = measure(class_features(model, params, tau=tau, steps=steps, start=start), reader)
            cells += [f"{m['explainability']:.2f}", f"{m['mutual_cosine']:.2f}"]
        rows.append([start, tau, steps] + cells)
    name = f"784-{arch.hidden}×{arch.depth}-10"
    return Table(f"Extraction settings: the GTP features of {name} (seed 0) near 85.88 % and at the last snapshot",
                 ["start", "τ", "steps per layer", "E near 85.88 %", "mutual near 85.88 %", "E last", "mutual last"],
                 rows)


def metrics(sweep: Mapping) -> dict:
    """Flat numbers for metrics.json: per rule, architecture, route and measure, the seed-mean along the
    snapshots, and the seed-mean accuracy."""
    out = {}
    for (rule, hidden, depth), arch in sweep.items():
        name = f"{rule}_{hidden}x{depth}"
        out[f"{name}_steps"] = list(arch.steps)
        out[f"{name}_accuracy"] = arch.accuracy.mean(axis=1).round(3).tolist()
        for route, measures in arch.measures.items():
            for m, v in measures.items():
                out[f"{name}_{route}_{m}"] = v.mean(axis=1).round(4).tolist()
    return out
