"""Inner- and inter-class deviation of representations (thesis §6.4, eq. 6.1–6.9): arrays in, numbers out.

For the activations ``a_{(c),n}`` of one layer (rows) grouped by class c:

* :func:`inner_class_deviation` — eq. 6.2: the mean over classes of the mean distance between
  **all unordered pairs** of vectors of the same class.
* :func:`inter_class_deviation` — eq. 6.3: the mean distance between class means ``A_{(c)}``
  (eq. 3.6) of **adjacent** classes c, c+1 (the jump positions), or of **all** pairs of classes
  (the thesis's MNIST reading, 45 pairs for 10 digits).
* :func:`activation_level` — eq. 6.4: the mean L1 norm of the vectors (class-balanced), the
  denominator of the normalised Euclidean deviation (eq. 6.5, 6.6).
* :func:`layer_deviations` — all of the above for a list of layers, under the Euclidean,
  normalised Euclidean, cosine and correlation distances.

Distances: Euclidean ``‖x − y‖₂`` (6.1), cosine ``1 − x·y/(‖x‖‖y‖)`` (6.7) and correlation
``d_cos(x − x̄, y − ȳ)`` (6.8, 6.9, the mean taken over a vector's components), as in
``scipy.spatial.distance``. **Undefined vectors** are excluded and counted, never turned into NaN
silently: under cosine an all-zero (dead ReLU) vector, under correlation a constant one (all
zero included; constant means ``‖x − x̄‖ ≤ CONSTANT_RTOL·‖x‖``). A class left with fewer than
two defined vectors has no inner-class value and is counted; the layer's value is the mean over
the classes that have one (NaN only when no class has).

Speed and memory (never an N × N matrix; N = 60,000 is fine): the Euclidean pairs of each class are computed
as tiles of ``tile × tile`` distances from matrix products (class-centred rows, ``‖u‖² + ‖v‖² − 2u·v``), every
class at once, in one jit-compiled ``lax.scan`` over the tile pairs, so memory beyond the data is C tiles. Cosine and correlation distances of unit vectors need no pairs at all: the mean of
``1 − u_i·u_j`` over the pairs of a class is ``Σ_i ‖u_i − ū‖² / (m − 1)`` (one jitted pass, O(N·D)). Float32;
``benchmarks/bench_deviation.py`` times both against ``scipy.spatial.distance.pdist``.

>>> import numpy as np
>>> x = np.array([[0., 0.], [3., 4.], [1., 0.], [1., 2.]], np.float32)
>>> float(inner_class_deviation(x, np.array([0, 0, 1, 1])).value)   # (5 + 2) / 2
3.5
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation
from jaxprobe.analysis.activations import class_means

__all__ = [
    "METRICS",
    "MEASURES",
    "INTER_PAIRS",
    "CONSTANT_RTOL",
    "InnerDeviation",
    "InterDeviation",
    "check_labelled_rows",
    "undefined_vectors",
    "pairwise_distances",
    "inner_class_deviation",
    "inter_class_deviation",
    "activation_level",
    "layer_deviations",
]

#: The pairwise distances of §6.4.1.
METRICS = ("euclidean", "cosine", "correlation")
#: The measures of Fig. 6.7–6.9: the three distances and the Euclidean one divided by the activation level.
MEASURES = ("euclidean", "normalised_euclidean", "cosine", "correlation")
#: Which class means the inter-class deviation compares: c and c+1 (jumps), or every pair (MNIST).
INTER_PAIRS = ("adjacent", "all")
#: A vector counts as constant (undefined under correlation) when ‖x − x̄‖₂ ≤ CONSTANT_RTOL·‖x‖₂.
CONSTANT_RTOL = 1e-5
#: Rows per tile of the Euclidean inner-class pairs: a step holds C·TILE² float32 distances (C classes).
TILE = 128


class InnerDeviation(NamedTuple):
    """Inner-class deviation (eq. 6.2) of one layer under one distance.

    ``value`` is the mean of ``per_class`` over the classes that have at least one pair of defined
    vectors; ``per_class[c]`` is NaN for a class that has none (counted in ``classes_without_pairs``).
    ``excluded[c]`` counts the vectors of class c left out as undefined under the distance.
    """

    value: float
    per_class: np.ndarray
    pairs: np.ndarray
    excluded: np.ndarray
    metric: str

    @property
    def classes_without_pairs(self) -> int:
        return int(np.sum(self.pairs == 0))


class InterDeviation(NamedTuple):
    """Inter-class deviation (eq. 6.3) of one layer under one distance.

    ``pairs`` (P, 2) are the compared classes, ``distances`` (P,) their class means' distances (NaN
    where a class mean is undefined under the distance: those classes are listed in
    ``excluded_means``); ``value`` is the mean over the defined pairs.
    """

    value: float
    distances: np.ndarray
    pairs: np.ndarray
    excluded_means: np.ndarray
    metric: str


# ------------------------------------------------------------------------------------------ checks
def _check_acts(acts) -> np.ndarray:
    shape = np.shape(acts)
    if len(shape) < 2:
        raise ValueError(f"acts must have shape (N, units) (one row per vector), got shape {shape}.")
    validation.check_floating("acts", acts)
    x = np.asarray(acts).reshape(shape[0], -1)
    validation.check_finite("acts", x)
    return x


def _check_labels(labels, n_rows: int, n_classes: Optional[int]) -> tuple[np.ndarray, int]:
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != n_rows:
        raise ValueError(f"labels must hold one class per row of acts, shape ({n_rows},); got shape {y.shape}.")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be integers 0..C−1, got dtype {y.dtype}; convert with labels.astype(int).")
    if y.size and y.min() < 0:
        raise ValueError(f"labels must be class indices 0..C−1, got {y.min()}.")
    k = int(y.max()) + 1 if n_classes is None else int(n_classes)
    if n_classes is not None and y.max() >= k:
        raise ValueError(f"labels contain class {y.max()}, but n_classes={k}; pass n_classes > {y.max()}.")
    counts = np.bincount(y, minlength=k)
    if np.count_nonzero(counts) < 2:
        raise ValueError(f"labels hold one class only ({np.flatnonzero(counts).tolist()}); deviations compare "
                         f"classes, give at least two.")
    if np.any(counts == 0):
        raise ValueError(f"labels: class(es) {np.flatnonzero(counts == 0).tolist()} of 0..{k - 1} have no vector; "
                         f"relabel the classes consecutively or pass the right n_classes.")
    return y.astype(np.int64), k


def check_labelled_rows(acts, labels, n_classes: Optional[int] = None) -> tuple[np.ndarray, np.ndarray, int]:
    """The checks of every class measure: ``acts`` (N, units) finite floats, ``labels`` (N,) classes 0..C−1.

    Returns ``(x, y, C)``: ``acts`` flattened to (N, units), labels as int64, the number of classes.

    Raises:
      ValueError / TypeError: ``acts`` not (N, ...), not floating, NaN or inf; ``labels`` of another length,
      not integers, negative, one class only, or a class of 0..C−1 without vectors.
    """
    x = _check_acts(acts)
    y, k = _check_labels(labels, len(x), n_classes)
    return x, y, k


def _check_metric(metric: str) -> None:
    validation.check_choice("metric", metric, METRICS)


# ------------------------------------------------------------------------------------------ distances
def undefined_vectors(acts, metric: str) -> np.ndarray:
    """Rows of ``acts`` for which ``metric`` is undefined: (N,) bool.

    None under Euclidean; all-zero rows under cosine; constant rows (all-zero included,
    ``‖x − x̄‖ ≤ CONSTANT_RTOL·‖x‖``) under correlation.

    >>> undefined_vectors(np.array([[0., 0.], [2., 2.], [1., 3.]]), "correlation").tolist()
    [True, True, False]
    """
    _check_metric(metric)
    x = _check_acts(acts)
    return np.asarray(_undefined(jnp.asarray(x, jnp.float32), metric))


def _undefined(x, metric: str, xp=jnp):
    """Undefined rows (``xp`` = jax.numpy inside the compiled kernel, numpy for float64 class means)."""
    norm = xp.linalg.norm(x, axis=-1)
    if metric == "euclidean":
        return xp.zeros(x.shape[:-1], bool)
    if metric == "cosine":
        return norm == 0
    centred = xp.linalg.norm(x - x.mean(-1, keepdims=True), axis=-1)
    return centred <= CONSTANT_RTOL * norm


def _unit_rows(x, metric: str, xp=jnp):
    """Rows prepared for ``1 − u·v``: unit rows (cosine) or centred unit rows (correlation); undefined rows are 0."""
    if metric == "correlation":
        x = x - x.mean(-1, keepdims=True)
    norm = xp.linalg.norm(x, axis=-1, keepdims=True)
    return xp.where(norm > 0, x / xp.where(norm > 0, norm, 1.0), 0.0)


def pairwise_distances(a, b, metric: str = "euclidean") -> np.ndarray:
    """Distances between every row of ``a`` (M, D) and of ``b`` (K, D): (M, K), float64.

    For small sets (class means); NaN where a row is undefined under ``metric``
    (:func:`undefined_vectors`). Equal to ``scipy.spatial.distance.cdist(a, b, metric)`` where defined.

    >>> pairwise_distances(np.array([[1., 0.]]), np.array([[0., 1.], [2., 0.]]), "cosine").tolist()
    [[1.0, 0.0]]
    """
    _check_metric(metric)
    a = np.asarray(_check_acts(a), np.float64)
    b = np.asarray(_check_acts(b), np.float64)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"b has {b.shape[1]} columns, a has {a.shape[1]}; compare vectors of one layer.")
    if metric == "euclidean":
        return np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0.0))
    d = np.clip(1.0 - _unit_rows(a, metric, np) @ _unit_rows(b, metric, np).T, 0.0, 2.0)
    bad_a, bad_b = _undefined(a, metric, np), _undefined(b, metric, np)
    d[bad_a, :] = np.nan
    d[:, bad_b] = np.nan
    return d


# ------------------------------------------------------------------------------------------ inner class
def _tile_plan(counts: np.ndarray, tile: int) -> tuple[int, int, np.ndarray]:
    """Tile size, padded rows per class, and the tile pairs (a, b ≥ a) to visit.

    The size splits the largest class into equal tiles of at most ``tile`` rows (a multiple of 8), so a class of
    1,000 rows is eight tiles of 128, not 1,024 rows padded.
    """
    ceil = lambda a, b: -(-int(a) // int(b))
    largest = int(counts.max())
    n_tiles = ceil(largest, tile)
    size = ceil(ceil(largest, n_tiles), 8) * 8
    n_tiles = ceil(largest, size)
    pairs = [(i, j) for i in range(n_tiles) for j in range(i, n_tiles)]
    return size, n_tiles * size, np.asarray(pairs, np.int32).reshape(-1, 2)


def _grouped_rows(y: np.ndarray, k: int, padded: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of each class, padded with 0 to ``padded``: (C, padded), and the mask of real rows."""
    order = np.argsort(y, kind="stable")
    counts = np.bincount(y, minlength=k)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(padded)[None, :]
    real = pos < counts[:, None]
    index = np.where(real, order[np.minimum(starts[:, None] + pos, len(y) - 1)], 0)
    return index, real


@partial(jax.jit, static_argnames=("size",))
def _euclidean_pair_sums(x, index, real, tile_pairs, *, size: int):
    """Per class, the sum of the Euclidean distances over all unordered pairs: a scan over tile pairs (a, b ≥ a),
    each one batched matrix product over every class, (C, size, size) distances at a time.

    Rows are centred on their class mean (less cancellation in ‖u‖² + ‖v‖² − 2u·v) and padding rows are zero, so
    a padding row's distance to a real row u is exactly ‖u‖: those entries are subtracted instead of masked, and a
    diagonal tile's sum is halved after removing its trace. No mask touches the tiles.
    """
    rows = x[index]                                                    # (C, P, D)
    w = real[..., None].astype(x.dtype)
    mean = (rows * w).sum(1, keepdims=True) / jnp.maximum(w.sum(1, keepdims=True), 1.0)
    u = (rows - mean) * w
    sq = (u * u).sum(-1)                                               # (C, P)
    norm = jnp.sqrt(sq)
    counts = real.sum(1)

    def visit(totals, pair):
        i, j = pair[0] * size, pair[1] * size
        ua, ub = (jax.lax.dynamic_slice_in_dim(u, t, size, axis=1) for t in (i, j))
        sa, sb = (jax.lax.dynamic_slice_in_dim(sq, t, size, axis=1) for t in (i, j))
        na, nb = (jax.lax.dynamic_slice_in_dim(norm, t, size, axis=1).sum(1) for t in (i, j))
        pad_a, pad_b = (size - jnp.clip(counts - t, 0, size) for t in (i, j))
        d = jnp.sqrt(jnp.maximum(sa[:, :, None] + sb[:, None, :] - 2.0 * jnp.einsum("ctd,csd->cts", ua, ub), 0.0))
        diagonal = pair[0] == pair[1]
        total = (d.sum((1, 2)) - jnp.where(diagonal, jnp.trace(d, axis1=1, axis2=2), 0.0)
                 - pad_b * na - pad_a * nb)
        return totals + jnp.where(diagonal, total / 2, total), None

    totals, _ = jax.lax.scan(visit, jnp.zeros(index.shape[0], x.dtype), tile_pairs)
    return totals


@partial(jax.jit, static_argnames=("metric",))
def _unit_pair_means(x, index, real, *, metric: str):
    """Per class, the mean cosine (or correlation) distance over all unordered pairs of defined vectors, in closed
    form: for unit vectors u_1..u_m, mean_{i<j} (1 − u_i·u_j) = Σ_i ‖u_i − ū‖² / (m − 1) + Σ_i (1 − ‖u_i‖²) / m
    (the second term, ~1e-7, corrects the rounding of the unit norms). O(N·D); returns (means, defined counts)."""
    rows = x[index]                                                    # (C, P, D)
    valid = real & ~_undefined(rows, metric)
    w = valid[..., None].astype(x.dtype)
    u = _unit_rows(rows, metric) * w
    m = w.sum(1)                                                       # (C, 1)
    centred = (u - u.sum(1, keepdims=True) / jnp.maximum(m, 1.0)[:, None]) * w
    spread = (centred * centred).sum((1, 2)) / jnp.maximum(m[:, 0] - 1.0, 1.0)
    rounding = ((1.0 - (u * u).sum(-1)) * valid).sum(1) / jnp.maximum(m[:, 0], 1.0)
    return spread + rounding, valid.sum(1)


def inner_class_deviation(acts, labels, metric: str = "euclidean", *, n_classes: Optional[int] = None,
                          tile: int = TILE) -> InnerDeviation:
    """Inner-class deviation, eq. 6.2: mean over classes of the mean distance of all unordered pairs in a class.

    Args:
      acts: (N, units) float activations of one layer (trailing axes are flattened).
      labels: (N,) integer classes 0..C−1, every class present.
      metric: "euclidean", "cosine" or "correlation" (see the module docstring for undefined vectors).
      n_classes: C (default ``labels.max() + 1``).
      tile: rows per tile of the Euclidean pairs; memory beyond the data is ``C·tile²`` float32 numbers.

    Returns:
      :class:`InnerDeviation` (value, per-class means, pairs used, vectors excluded).

    Raises:
      ValueError / TypeError: ``acts`` not 2-D, not floating or not finite; ``labels`` of another length,
      not integers, one class only or a class without vectors; unknown ``metric``; ``tile`` not positive.
    """
    _check_metric(metric)
    validation.check_positive("tile", tile, integer=True)
    x = _check_acts(acts)
    y, k = _check_labels(labels, len(x), n_classes)
    counts = np.bincount(y, minlength=k)
    size, padded, tile_pairs = _tile_plan(counts, tile)
    index, real = _grouped_rows(y, k, padded)
    args = (jnp.asarray(x, jnp.float32), jnp.asarray(index), jnp.asarray(real))
    if metric == "euclidean":
        defined = counts.astype(np.int64)
        means = np.asarray(_euclidean_pair_sums(*args, jnp.asarray(tile_pairs), size=size), np.float64) / np.maximum(
            defined * (defined - 1) // 2, 1)
    else:
        means, defined = (np.asarray(a) for a in _unit_pair_means(*args, metric=metric))
        defined = defined.astype(np.int64)
    pairs = defined * (defined - 1) // 2
    per_class = np.full(k, np.nan)
    has = pairs > 0
    per_class[has] = np.asarray(means, np.float64)[has]
    value = float(per_class[has].mean()) if has.any() else float("nan")
    return InnerDeviation(value, per_class, pairs, counts - defined, metric)


# ------------------------------------------------------------------------------------------ inter class
def _class_pairs(k: int, pairs: str) -> np.ndarray:
    validation.check_choice("pairs", pairs, INTER_PAIRS)
    if pairs == "adjacent":
        return np.stack([np.arange(k - 1), np.arange(1, k)], 1)
    return np.stack(np.triu_indices(k, 1), 1)


def inter_class_deviation(acts, labels, metric: str = "euclidean", *, pairs: str = "adjacent",
                          n_classes: Optional[int] = None) -> InterDeviation:
    """Inter-class deviation, eq. 6.3: mean distance between class means of adjacent classes or of all pairs.

    The mean is over the compared pairs (59 adjacent pairs for 60 jump positions; the thesis prints a
    division by 60, a constant factor 59/60 that changes no trend).

    Args:
      acts: (N, units) float activations of one layer.
      labels: (N,) integer classes 0..C−1, every class present.
      metric: "euclidean", "cosine" or "correlation".
      pairs: "adjacent" (c and c+1: the thesis's jump positions) or "all" (C(C−1)/2 pairs: its MNIST).
      n_classes: C (default ``labels.max() + 1``).

    Returns:
      :class:`InterDeviation`.

    Raises:
      ValueError / TypeError: as :func:`inner_class_deviation`, and an unknown ``pairs``.

    >>> x = np.array([[0., 0.], [0., 2.], [3., 0.], [3., 2.], [3., 4.], [3., 6.]], np.float32)
    >>> inter_class_deviation(x, np.array([0, 0, 1, 1, 2, 2])).distances.tolist()   # means (0,1), (3,1), (3,5)
    [3.0, 4.0]
    """
    _check_metric(metric)
    x = _check_acts(acts)
    y, k = _check_labels(labels, len(x), n_classes)
    which = _class_pairs(k, pairs)
    means = np.asarray(class_means(jnp.asarray(x, jnp.float32), jnp.asarray(y), k), np.float64).T   # (C, units)
    d = pairwise_distances(means, means, metric)[which[:, 0], which[:, 1]]
    excluded = np.flatnonzero(_undefined(means, metric, np))
    value = float(np.nanmean(d)) if np.isfinite(d).any() else float("nan")
    return InterDeviation(value, d, which, excluded, metric)


# ------------------------------------------------------------------------------------------ levels, layers
def activation_level(acts, labels=None, *, n_classes: Optional[int] = None) -> float:
    """Overall activation level, eq. 6.4: the mean L1 norm of the rows, class-balanced when ``labels`` are given.

    With labels it is ``(1/C) Σ_c (1/N_c) Σ_n ‖a_{(c),n}‖₁`` (the denominator of eq. 6.5); without, the plain
    mean over rows (equal for balanced classes).

    >>> activation_level(np.array([[1., -1.], [0., 3.], [2., 2.]]), np.array([0, 0, 1]))   # (2.5 + 4) / 2
    3.25
    """
    x = _check_acts(acts)
    l1 = np.abs(np.asarray(x, np.float64)).sum(1)
    if labels is None:
        return float(l1.mean())
    y, k = _check_labels(labels, len(x), n_classes)
    return float((np.bincount(y, l1, minlength=k) / np.bincount(y, minlength=k)).mean())


def layer_deviations(layers: Sequence[Any], labels, *, pairs: str = "adjacent", n_classes: Optional[int] = None,
                     tile: int = TILE) -> dict:
    """Every measure of Fig. 6.7–6.9 for a list of layers' activations on the same labelled vectors.

    Args:
      layers: activations (N, units_l) of each layer l (the input counts as layer 0), all on the same N rows.
      labels: (N,) classes 0..C−1.
      pairs: "adjacent" or "all" (see :func:`inter_class_deviation`).
      n_classes, tile: as in :func:`inner_class_deviation`.

    Returns:
      ``{'level': (L,), 'inner': {measure: (L,)}, 'inter': {measure: (L,)}, 'excluded': {metric: (L,)},
      'dead': (L,)}`` as float64 arrays over layers, for each measure of :data:`MEASURES`
      (normalised Euclidean = Euclidean / level, eq. 6.5–6.6). ``excluded[metric][l]`` counts the
      vectors left out as undefined in layer l's inner-class deviation; ``dead[l]`` the all-zero vectors.

    Raises:
      ValueError: an empty ``layers``, layers of different lengths, or anything the measures raise.
    """
    if len(layers) == 0:
        raise ValueError("layers is empty; pass the activations of at least one layer.")
    out = {"level": [], "inner": {m: [] for m in MEASURES}, "inter": {m: [] for m in MEASURES},
           "excluded": {m: [] for m in METRICS}, "dead": []}
    for l, acts in enumerate(layers):
        x = _check_acts(acts)
        if len(x) != len(np.asarray(labels)):
            raise ValueError(f"layers[{l}] has {len(x)} rows, labels has {len(np.asarray(labels))}; "
                             f"give every layer's activations on the same labelled vectors.")
        level = activation_level(x, labels, n_classes=n_classes)
        out["level"].append(level)
        out["dead"].append(int(np.sum(~np.any(x != 0, axis=1))))
        for metric in METRICS:
            inner = inner_class_deviation(x, labels, metric, n_classes=n_classes, tile=tile)
            inter = inter_class_deviation(x, labels, metric, pairs=pairs, n_classes=n_classes)
            out["inner"][metric].append(inner.value)
            out["inter"][metric].append(inter.value)
            out["excluded"][metric].append(int(inner.excluded.sum()))
        for kind in ("inner", "inter"):
            out[kind]["normalised_euclidean"].append(out[kind]["euclidean"][-1] / level if level > 0 else np.nan)
    as_array = lambda v: {k: as_array(w) for k, w in v.items()} if isinstance(v, dict) else np.asarray(v, np.float64)
    return as_array(out)
