"""Measurements behind the jump study's claims: trained runs and arrays in, numbers out.

Each function reads one figure of Ch. 3–4 the way its claim needs it (per seed where the claim
concerns trained networks) and returns plain numbers and arrays; the verdicts are computed from
those numbers by :mod:`jaxprobe.studies.jumps.claims`.
"""

from __future__ import annotations

from typing import Sequence

import jax
import numpy as np

from jaxprobe.analysis import activations as an
from jaxprobe.moore_penrose import centred_affine_map, image_matrix, least_squares_affine_map
from jaxprobe.parallel import stack, unstack
from jaxprobe.probes import activations as pr
from jaxprobe.studies.jumps.errors import ERROR_KEYS
from jaxprobe.studies.jumps.filters import band_share, best_template_correlation, sharpest_extremum, sign_summary
from jaxprobe.studies.jumps.networks import N_CLASSES
from jaxprobe.studies.jumps.thesis import LABELS

#: Class (0-based) of a jump at position 50 (the thesis's example column and CNN signal).
CLASS_50 = 29


def one_model(params, k: int):
    """Model ``k`` of stacked parameters, kept stacked (leading axis of 1) for the stacked probes."""
    return stack([unstack(params, k)])


def n_seeds(run) -> int:
    """K, the number of seeds stacked in a run."""
    return len(run.best_epoch)


def class_averaged_output(run, k: int, x, y) -> np.ndarray:
    """Softmax output of seed ``k`` averaged per true class: (outputs, classes), eq. 3.7."""
    out = jax.nn.softmax(pr.stacked_activations(run.net, one_model(run.params, k), x, run.net.n_layers)[0])
    return np.asarray(an.class_means(out, y, N_CLASSES))


# --------------------------------------------------------------------------- Fig. 3.2, §3.1

def tsne_order(embedding, labels, n_neighbours: int = 10) -> dict:
    """How well a 2-D embedding orders the classes by jump position (claim 1).

    Args:
      embedding: ``(N, 2)`` t-SNE coordinates.
      labels: ``(N,)`` classes 0..59.
      n_neighbours: neighbours per point.

    Returns:
      ``neighbour_gap`` (mean |Δ label| to the nearest neighbours), ``random_gap`` (the same for
      random partners), ``adjacent_distance`` (mean distance between consecutive class means),
      ``median_distance`` (median distance between any two class means).
    """
    from sklearn.neighbors import NearestNeighbors

    emb, ty = np.asarray(embedding), np.asarray(labels)
    n = len(ty)
    nn_idx = NearestNeighbors(n_neighbors=n_neighbours + 1).fit(emb).kneighbors(emb, return_distance=False)[:, 1:]
    gap = float(np.mean(np.abs(ty[nn_idx] - ty[:, None])))
    rand = float(np.mean(np.abs(ty[:, None] - ty[np.random.default_rng(0).integers(0, n, (n, n_neighbours))])))
    means = np.stack([emb[ty == c].mean(0) for c in range(N_CLASSES)])
    path = np.linalg.norm(np.diff(means, axis=0), axis=1)
    return {"neighbour_gap": gap, "random_gap": rand, "adjacent_distance": float(path.mean()),
            "median_distance": float(np.median(np.linalg.norm(means[:, None] - means[None], axis=-1)))}


# --------------------------------------------------------------------------- Fig. 3.9

def long_run_summary(long: dict) -> dict:
    """Epoch of the minimum validation loss, first epoch with zero training error, overfitting.

    Args:
      long: :func:`jaxprobe.studies.jumps.protocol.long_run`'s arrays.

    Returns:
      ``best_epoch``, ``zero_epoch`` (None when never 0), ``overfit`` (final validation loss
      > 1.2 × its minimum), ``loss_ratio`` (final / minimum), ``last_train_err``, ``last_epoch``.
    """
    best = float(long["epoch"][int(np.argmin(long["valid_loss"]))])
    zeros = np.nonzero(long["train_err"] == 0)[0]
    zero = float(long["snap_epoch"][zeros[0]]) if len(zeros) else None
    ratio = float(long["valid_loss"][-1] / long["valid_loss"].min())
    return {"best_epoch": best, "zero_epoch": zero, "overfit": bool(long["valid_loss"][-1] > 1.2 * long["valid_loss"].min()),
            "loss_ratio": ratio, "last_train_err": float(long["train_err"][-1]),
            "last_epoch": float(long["snap_epoch"][-1])}


# --------------------------------------------------------------------------- §3.3 MLPs

def mlp1_columns(run) -> dict:
    """The 1-layer NN's weight columns against a smoothed derivative (claim 9, Fig. 3.14–3.15).

    Returns:
      ``corr`` (K, 60) best template correlation of every column, ``tau`` (K, 60) its width,
      ``diagonality`` (K,) share of |W| (input rows 21..80) within ±3 of the diagonal,
      ``uniform`` the share a matrix of equal |entries| would give.
    """
    W = np.asarray(run.params[0]["kernel"])          # (K, 100, 60)
    corrs, taus = [], []
    for s in range(W.shape[0]):
        for c in range(N_CLASSES):
            r, t, _ = best_template_correlation(W[s, :, c], center=c + 20)
            corrs.append(r)
            taus.append(t)
    diag = [an.diagonality(W[s, 20:80, :], offset=0, band=3) for s in range(W.shape[0])]
    return {"corr": np.asarray(corrs).reshape(W.shape[0], N_CLASSES),
            "tau": np.asarray(taus).reshape(W.shape[0], N_CLASSES), "diagonality": np.asarray(diag),
            "uniform": band_share(60, N_CLASSES, 3)}


def mlp2_weights_outside(run, first: int = 20, last: int = 80) -> dict:
    """Claim 10: ``{'ratio': (K,)}``, mean |W1| from input positions outside first..last over that inside."""
    W = np.asarray(run.params[0]["kernel"])   # (K, 100, 100)
    pos = np.arange(1, W.shape[1] + 1)
    inside = np.arange(W.shape[1])[(pos >= first) & (pos <= last)]
    outside = np.setdiff1d(np.arange(W.shape[1]), inside)
    return {"ratio": np.asarray([np.abs(W[s, outside]).mean() / np.abs(W[s, inside]).mean() for s in range(len(W))])}


def mlp2_hidden(run, x, y) -> dict:
    """The 2-layer MLP's class-averaged hidden and output layers (claim 11, Fig. 3.12), per seed.

    Returns:
      ``smoothness`` (K,) mean lag-1 autocorrelation of each live unit's class-mean profile,
      ``dead`` (K,) units never active on ``x``, ``output_diagonal`` (K,) share of classes whose
      class-averaged output peaks at the true class, and seed 0's ``hidden_means`` and
      ``output_means`` (units × classes) for the figure.
    """
    smooth, dead, diag, first = [], [], [], {}
    for s in range(n_seeds(run)):
        hidden = pr.stacked_activations(run.net, one_model(run.params, s), x, 1)[0]
        A = np.asarray(an.class_means(hidden, y, N_CLASSES))
        dead.append(int(np.sum(np.asarray(an.dead_units(hidden)))))
        live = A[A.max(1) > 1e-6]
        lag1 = [np.corrcoef(a[:-1], a[1:])[0, 1] for a in live if a[:-1].std() > 1e-6 and a[1:].std() > 1e-6]
        smooth.append(float(np.nanmean(lag1)) if lag1 else 0.0)
        out = class_averaged_output(run, s, x, y)
        diag.append(float(np.mean(np.argmax(out, 0) == np.arange(N_CLASSES))))
        if s == 0:
            first = {"hidden_means": A, "output_means": out}
    return {"smoothness": np.asarray(smooth), "dead": np.asarray(dead), "output_diagonal": np.asarray(diag), **first}


# --------------------------------------------------------------------------- §3.4 CNNs

def conv_filters(run) -> list[list[np.ndarray]]:
    """``[seed][conv layer]`` filter taps of a one-filter CNN."""
    n_conv = run.net.n_layers - 1
    return [[np.asarray(run.params[l]["kernel"][s]).ravel() for l in range(n_conv)] for s in range(n_seeds(run))]


def filter_signs(run) -> list[list[dict]]:
    """:func:`~jaxprobe.studies.jumps.filters.sign_summary` of every conv filter, ``[seed][layer]``."""
    return [[sign_summary(w) for w in seed] for seed in conv_filters(run)]


def one_signed_share(signs: Sequence[Sequence[dict]], layer: int) -> float:
    """Share of seeds whose conv filter ``layer`` (0-based) is one-signed."""
    return float(np.mean([s[layer]["one_signed"] for s in signs]))


def conv_signals(run, k: int, x, layers: Sequence[int]) -> list[np.ndarray]:
    """Seed ``k``'s conv outputs (1-based ``layers``) averaged over the signals ``x``."""
    p = one_model(run.params, k)
    return [pr.stacked_activations(run.net, p, x, l)[0].mean(0) for l in layers]


def cnn1_peaks(run, x50) -> dict:
    """Claim 12: where the length-7 CNN's conv output peaks for jumps at 50, and its FC diagonality.

    Args:
      run: the 1-conv CNN.
      x50: signals with a jump at 50.

    Returns:
      ``peaks`` (K,) 1-based position of the sharpest local extremum of the class-averaged conv
      output, ``fc_diagonality`` (K,) share of FC |W| (positions 21..80) within ±3 of the diagonal,
      ``fc_uniform`` the share of equal |entries|.
    """
    peaks, diags = [], []
    for s in range(n_seeds(run)):
        peaks.append(sharpest_extremum(conv_signals(run, s, x50, [1])[0]))
        diags.append(an.diagonality(np.asarray(run.params[-1]["kernel"][s])[20:80], 0, 3))
    return {"peaks": np.asarray(peaks), "fc_diagonality": np.asarray(diags), "fc_uniform": band_share(60, N_CLASSES, 3)}


def cnn_measures(runs: dict, x50) -> dict:
    """Claims 12–15 for whichever one-filter CNNs are in ``runs`` (absent networks are left out).

    Returns:
      ``{'cnn1': {'mixed', 'peaks', 'fc_diagonality', 'fc_uniform'}, 'cnn1k5': {'one_signed',
      'minority'}, 'cnn2': {'layer1_one_signed', 'layer2_mixed'}, 'cnn3': {'corr',
      'layer3_one_signed'}}``: shares over seeds of one-signed / mixed-sign filters,
      :func:`cnn1_peaks`, the minority-sign mass per seed, :func:`cnn3_redundancy`.
    """
    signs = {n: filter_signs(runs[n]) for n in ("cnn1", "cnn1k5", "cnn2", "cnn3") if n in runs}
    out = {}
    if "cnn1" in signs:
        out["cnn1"] = {"mixed": 1 - one_signed_share(signs["cnn1"], 0), **cnn1_peaks(runs["cnn1"], x50)}
    if "cnn1k5" in signs:
        out["cnn1k5"] = {"one_signed": one_signed_share(signs["cnn1k5"], 0),
                         "minority": [s[0]["minority_mass"] for s in signs["cnn1k5"]]}
    if "cnn2" in signs:
        out["cnn2"] = {"layer1_one_signed": one_signed_share(signs["cnn2"], 0),
                       "layer2_mixed": 1 - one_signed_share(signs["cnn2"], 1)}
    if "cnn3" in signs:
        out["cnn3"] = {"corr": cnn3_redundancy(runs["cnn3"], x50), "layer3_one_signed": one_signed_share(signs["cnn3"], 2)}
    return out


def cnn3_redundancy(run, x50) -> np.ndarray:
    """Claim 15: |corr| of the class-averaged layer-2 and layer-3 conv outputs (jump at 50), per seed."""
    cs = []
    for s in range(n_seeds(run)):
        o2, o3 = conv_signals(run, s, x50, [2, 3])
        cs.append(abs(np.corrcoef(o2, o3)[0, 1]) if o2.std() > 1e-8 and o3.std() > 1e-8 else np.nan)
    return np.asarray(cs)


# --------------------------------------------------------------------------- Ch. 4 bottlenecks

def sweep_table(runs: dict, kind: str, ps: Sequence[int]) -> dict:
    """``{error key: (len(ps), 2)}`` seed mean and std of each figure of ``{kind}{p}`` (Fig. 4.3–4.4)."""
    return {k: np.array([[np.mean(runs[f"{kind}{p}"].stats[k]), np.std(runs[f"{kind}{p}"].stats[k])] for p in ps])
            for k in ERROR_KEYS}


def dead_units_per_layer(run, x) -> np.ndarray:
    """(K, hidden layers) ReLU units never active on ``x`` (Fig. 4.5)."""
    n_hidden = run.net.n_layers - 1
    counts = np.zeros((n_seeds(run), n_hidden))
    for l in range(n_hidden):
        acts = pr.stacked_activations(run.net, run.params, x, l + 1)
        counts[:, l] = [int(np.sum(np.asarray(an.dead_units(a)))) for a in acts]
    return counts


def dead_summary(dead: dict, ps: Sequence[int]) -> dict:
    """Claims 21–22 from :func:`dead_units_per_layer` of every ``(kind, p)``.

    Returns:
      ``deep_dead`` (len(ps), 3) seed-mean dead units per deep hidden layer (25, p, 25),
      ``shallow_dead`` (len(ps),) of the shallow bottleneck, ``deep_active`` ``{p: mean active
      deep bottleneck units}``.
    """
    return {"deep_dead": np.asarray([[dead[("deep", p)][:, l].mean() for l in range(3)] for p in ps]),
            "shallow_dead": np.asarray([dead[("shallow", p)][:, 0].mean() for p in ps]),
            "deep_active": {p: float((p - dead[("deep", p)][:, 1]).mean()) for p in ps}}


def bottleneck_codes(run, x) -> np.ndarray:
    """Seed 0's 2-D bottleneck codes of ``x`` (layer 1 of 100-2-60, layer 2 of 100-25-2-25-60)."""
    layer = 1 if run.name.startswith("shallow") else 2
    return pr.stacked_activations(run.net, one_model(run.params, 0), x, layer)[0]


def bottleneck_panels(runs: dict, train_x, train_y, x, y) -> list[dict]:
    """Fig. 4.6–4.9's data for ``shallow2`` and ``deep2``: seed 0's codes of the training signals,
    their class means and the class-averaged output on ``(x, y)``."""
    panels = []
    for n in ("shallow2", "deep2"):
        codes = bottleneck_codes(runs[n], train_x)
        panels.append({"label": LABELS[n], "codes": codes, "labels": np.asarray(train_y),
                       "class_means": np.asarray(an.class_means(codes, np.asarray(train_y), N_CLASSES)).T,
                       "output_means": class_averaged_output(runs[n], 0, x, y)})
    return panels


def silent_ends(silent_classes: Sequence[np.ndarray], high=(71, 80), low=(21, 23), min_high: int = 8,
                min_low: int = 2) -> tuple[int, int, bool]:
    """Does one unit fall silent at the high end and another at the low end (§4.2.3)?

    Args:
      silent_classes: per unit, the 1-based jump positions on which it is silent.
      high, low: the thesis's windows ("71 to 80", "21 to 23").
      min_high, min_low: silent classes needed in each window (8 of 10, 2 of 3).

    Returns:
      ``(most silent in high, most silent in low, one unit high and another low)``.

    >>> silent_ends([np.arange(71, 81), np.array([21, 22])])
    (10, 2, True)
    >>> silent_ends([np.arange(71, 81), np.array([])])
    (10, 0, False)
    """
    hi = [int(np.sum((z >= high[0]) & (z <= high[1]))) for z in silent_classes]
    lo = [int(np.sum((z >= low[0]) & (z <= low[1]))) for z in silent_classes]
    both = any(hi[u] >= min_high and lo[v] >= min_low for u in range(len(hi)) for v in range(len(lo)) if u != v)
    return max(hi, default=0), max(lo, default=0), bool(both)


def bottleneck_2d(run, x, y, silent: float = 0.05) -> dict:
    """Claim 23: the 2-D bottleneck's class means, silent units and worst-separated classes, per seed.

    Args:
      run: a ``shallow2`` or ``deep2`` run.
      x, y: the analysis set.
      silent: a unit is silent for a class when active on fewer than this share of its signals.

    Returns:
      ``nn_adjacent`` (K,) share of classes whose nearest class mean is an adjacent class;
      ``silent_high``/``silent_low`` (K,) the most classes among jumps 71–80 / 21–23 on which one
      unit is silent; ``silent_ends`` (K,) whether one unit is silent on ≥ 8 of 71–80 and another
      on ≥ 2 of 21–23 (:func:`silent_ends`); ``worst_ends`` (K,) share of the 6 worst-classified
      classes in 21–23 ∪ 78–80.
    """
    layer = 1 if run.name.startswith("shallow") else 2
    y = np.asarray(y)
    nn_adj, hi, lo, ends, worst = [], [], [], [], []
    for s in range(n_seeds(run)):
        p = one_model(run.params, s)
        codes = pr.stacked_activations(run.net, p, x, layer)[0]
        means = np.asarray(an.class_means(codes, y, N_CLASSES)).T
        d = np.linalg.norm(means[:, None] - means[None], axis=-1) + np.eye(N_CLASSES) * 1e9
        nn_adj.append(float(np.mean(np.abs(np.argmin(d, 1) - np.arange(N_CLASSES)) == 1)))
        af = np.stack([np.asarray(an.active_fraction(codes[y == c])) for c in range(N_CLASSES)])  # (60, 2)
        h, l, both = silent_ends([np.nonzero(af[:, u] < silent)[0] + 21 for u in range(af.shape[1])])
        hi.append(h)
        lo.append(l)
        ends.append(both)
        pred = pr.predict_stacked(run.net, p, x)[0]
        acc = np.array([np.mean(pred[y == c] == c) for c in range(N_CLASSES)])
        w6 = np.argsort(acc)[:6] + 21
        worst.append(float(np.mean((w6 <= 23) | (w6 >= 78))))
    return {"nn_adjacent": np.asarray(nn_adj), "silent_high": hi, "silent_low": lo, "silent_ends": ends,
            "worst_ends": np.asarray(worst)}


# --------------------------------------------------------------------------- §4.3 Moore–Penrose

def toy_map_successes(rng, trials: int = 10000) -> int:
    """Claim 24: random triples in the unit square whose §4.3.2 map sends every v_k to argmax k.

    Uses :func:`jaxprobe.moore_penrose.centred_affine_map` (W = F⁺, b = −F⁺m); draws ``(3, 2)``
    points ``trials`` times from the numpy generator ``rng``.
    """
    succ = 0
    for _ in range(trials):
        v = rng.random((3, 2))
        W, b = centred_affine_map(v)
        succ += int(np.all(np.argmax(v @ W.T + b, 1) == np.arange(3)))
    return succ


def least_squares_check(rng, trials: int = 200, n: int = 10, p: int = 2) -> dict:
    """Claim 25: eq. 4.1's least-squares map (W b) = V(VᵀV)⁻¹ against ``lstsq``, and ‖V(VᵀV)⁻¹Vᵀ − I‖_F.

    Uses :func:`jaxprobe.moore_penrose.least_squares_affine_map` and ``image_matrix(…, 'affine_ls')``
    on ``trials`` sets of ``n`` uniform points in ``[0, 1]^p`` drawn from the numpy generator ``rng``.

    Returns:
      ``max_error`` (largest |(W b) − lstsq| over the trials), ``mean_deviation``, ``n``, ``p``.
    """
    errs, devs = [], []
    for _ in range(trials):
        points = rng.random((n, p))
        V = np.hstack([points, np.ones((n, 1))])
        W, b = least_squares_affine_map(points)
        lst = np.linalg.lstsq(V, np.eye(n), rcond=None)[0].T
        errs.append(np.abs(np.hstack([W, b[:, None]]) - lst).max())
        devs.append(np.linalg.norm(image_matrix(points, "affine_ls") - np.eye(n)))
    return {"max_error": float(max(errs)), "mean_deviation": float(np.mean(devs)), "n": n, "p": p}
