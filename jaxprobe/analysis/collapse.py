"""Class-collapse measures of representations (the neural-collapse literature): arrays in, numbers out.

* :func:`within_class_variability` — NC1 of Papyan, Han & Donoho (PNAS 2020, Fig. 6):
  ``NC1 = tr(Σ_W Σ_B⁺) / C`` with the within-class covariance ``Σ_W = Ave_n (h_n − μ_{c(n)})(h_n − μ_{c(n)})ᵀ``
  over all N vectors, the between-class covariance ``Σ_B = Ave_c (μ_c − μ_G)(μ_c − μ_G)ᵀ`` over the C classes
  (μ_G the mean of all vectors) and ``⁺`` the Moore–Penrose pseudo-inverse. It is 0 when every vector sits on
  its class mean, and large when the class means are close compared with the spread in their directions.
* :func:`class_distance_normalised_variance` — CDNV of Galanti, György & Hutter (ICLR 2022):
  ``V(c, c') = (Var_c + Var_c') / (2 ‖μ_c − μ_c'‖²)`` with ``Var_c = Ave_{n∈c} ‖h_n − μ_c‖²``, averaged over
  adjacent (c, c+1) or all class pairs.
* :func:`collapse_by_layer` — both for a list of layers.

Neither forms a D × D matrix: with ``M = [μ_c − μ_G]_c / √C = U S Vᵀ`` (thin SVD), ``Σ_B⁺ = U S⁻² Uᵀ`` over the
singular values above ``RCOND · s_max``, so ``tr(Σ_W Σ_B⁺) = Σ_j s_j⁻² Ave_n ((h_n − μ_{c(n)})·u_j)²``: one pass
over the rows, in chunks of :data:`CHUNK` rows, float64.

>>> import numpy as np
>>> h = np.array([[0., 1.], [0., 1.], [2., 0.], [2., 0.]])   # every vector on its class mean
>>> within_class_variability(h, np.array([0, 0, 1, 1])).nc1
0.0
"""

from __future__ import annotations

from typing import Any, Iterator, NamedTuple, Optional, Sequence

import numpy as np
from threadpoolctl import ThreadpoolController

from jaxprobe.analysis.deviation import INTER_PAIRS, check_labelled_rows
from jaxprobe import validation

__all__ = ["RCOND", "CHUNK", "Collapse", "CDNV", "within_class_variability", "class_distance_normalised_variance",
           "collapse_by_layer"]

#: Singular values of the centred class means below RCOND·s_max count as zero in Σ_B⁺ (float32 activations
#: carry ~1e-7 relative precision; RCOND = 1e-6 on s is 1e-12 on the eigenvalues of Σ_B).
RCOND = 1e-6
#: Rows per chunk of the passes over the data.
CHUNK = 8192
_BLAS = []   # one ThreadpoolController, made on first use (it scans the loaded libraries)


def _one_blas_thread():
    """BLAS/LAPACK held to one thread: beside JAX's threads, spinning BLAS threads made a 100 × 60 SVD take
    0.2 s instead of 1 ms on a loaded 2-core machine."""
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


class Collapse(NamedTuple):
    """NC1 of one layer: ``nc1 = tr(Σ_W Σ_B⁺)/C``, with ``tr(Σ_W)``, ``tr(Σ_B)`` and the rank of Σ_B used.

    ``nc1`` is NaN only when all class means coincide (``between_rank == 0``): then no direction separates
    the classes and the measure is undefined (a zero pseudo-inverse would report perfect collapse).
    """

    nc1: float
    within_trace: float
    between_trace: float
    between_rank: int


class CDNV(NamedTuple):
    """Class-distance normalised variance of one layer: the mean over the defined pairs.

    ``per_pair[p]`` is NaN where the two class means coincide (the pair is listed in ``coincident``).
    """

    value: float
    per_pair: np.ndarray
    pairs: np.ndarray
    coincident: np.ndarray
    variances: np.ndarray


def _class_stats(x: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(y, minlength=k)
    order = np.argsort(y, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sums = np.zeros((k, x.shape[1]))
    for start in range(0, len(x), CHUNK):                              # sorted rows, summed per class run
        rows = order[start:start + CHUNK]
        yc = y[rows]
        first = np.flatnonzero(np.r_[True, yc[1:] != yc[:-1]])
        sums[yc[first]] += np.add.reduceat(np.asarray(x[rows], np.float64), first, axis=0)
    return sums / counts[:, None], counts.astype(np.float64)


def _centred_chunks(x: np.ndarray, y: np.ndarray, means: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(h_n − μ_{c(n)}, c(n)) in chunks of CHUNK rows, float64."""
    for start in range(0, len(x), CHUNK):
        yc = y[start:start + CHUNK]
        yield np.asarray(x[start:start + CHUNK], np.float64) - means[yc], yc


def within_class_variability(acts, labels, *, n_classes: Optional[int] = None) -> Collapse:
    """NC1 = tr(Σ_W Σ_B⁺)/C (Papyan et al. 2020) of one layer's vectors.

    Args:
      acts: (N, units) float activations (trailing axes flattened).
      labels: (N,) integer classes 0..C−1, every class present, at least two.
      n_classes: C (default ``labels.max() + 1``).

    Returns:
      :class:`Collapse`.

    Raises:
      ValueError / TypeError: as :func:`jaxprobe.analysis.deviation.check_labelled_rows`.

    >>> h = np.array([[0., 1.], [0., 3.], [2., 0.], [2., 2.]])
    >>> round(within_class_variability(h, np.array([0, 0, 1, 1])).nc1, 6)   # Σ_W = diag(0, 1), Σ_B = v vᵀ, v = (1, −½)
    0.08
    """
    x, y, k = check_labelled_rows(acts, labels, n_classes)
    with _one_blas_thread():
        return _nc1(x, y, k)


def _nc1(x: np.ndarray, y: np.ndarray, k: int) -> Collapse:
    means, _ = _class_stats(x, y, k)
    global_mean = np.asarray(x, np.float64).mean(0)
    centred_means = (means - global_mean) / np.sqrt(k)              # Mᵀ, (C, units): Σ_B = M Mᵀ
    u, s, _ = np.linalg.svd(centred_means.T, full_matrices=False)
    keep = s > RCOND * s.max() if s.size and s.max() > 0 else np.zeros(s.shape, bool)
    u, s = u[:, keep], s[keep]
    within_trace, projected = 0.0, np.zeros(len(s))
    for centred, _ in _centred_chunks(x, y, means):
        within_trace += float((centred ** 2).sum())
        projected += ((centred @ u) ** 2).sum(0)
    within_trace /= len(x)
    rank = int(keep.sum())
    nc1 = float((projected / len(x) / s ** 2).sum() / k) if rank else float("nan")
    return Collapse(nc1, within_trace, float((centred_means ** 2).sum()), rank)


def class_distance_normalised_variance(acts, labels, *, pairs: str = "all",
                                       n_classes: Optional[int] = None) -> CDNV:
    """CDNV (Galanti et al. 2022): ``(Var_c + Var_c') / (2‖μ_c − μ_c'‖²)`` averaged over class pairs.

    Args:
      acts: (N, units) float activations.
      labels: (N,) integer classes 0..C−1, every class present, at least two.
      pairs: "all" (every pair, the literature's choice) or "adjacent" (c, c+1: ordered classes such as jump
        positions).
      n_classes: C (default ``labels.max() + 1``).

    Returns:
      :class:`CDNV`; pairs whose class means coincide are NaN in ``per_pair``, listed in ``coincident`` and left
      out of ``value`` (NaN only when every pair coincides).

    Raises:
      ValueError / TypeError: as :func:`jaxprobe.analysis.deviation.check_labelled_rows`, and an unknown ``pairs``.

    >>> h = np.array([[0., 1.], [0., -1.], [4., 1.], [4., -1.]])   # Var = 1 each, means 4 apart
    >>> class_distance_normalised_variance(h, np.array([0, 0, 1, 1])).value   # (1 + 1) / (2·16)
    0.0625
    """
    validation.check_choice("pairs", pairs, INTER_PAIRS)
    x, y, k = check_labelled_rows(acts, labels, n_classes)
    means, counts = _class_stats(x, y, k)
    variances = np.zeros(k)
    for centred, yc in _centred_chunks(x, y, means):
        variances += np.bincount(yc, (centred ** 2).sum(1), minlength=k)
    variances /= counts
    which = (np.stack([np.arange(k - 1), np.arange(1, k)], 1) if pairs == "adjacent"
             else np.stack(np.triu_indices(k, 1), 1))
    dist2 = ((means[which[:, 0]] - means[which[:, 1]]) ** 2).sum(1)
    ok = dist2 > 0
    per_pair = np.full(len(which), np.nan)
    per_pair[ok] = (variances[which[ok, 0]] + variances[which[ok, 1]]) / (2 * dist2[ok])
    value = float(per_pair[ok].mean()) if ok.any() else float("nan")
    return CDNV(value, per_pair, which, which[~ok], variances)


def collapse_by_layer(layers: Sequence[Any], labels, *, pairs: str = "all",
                      n_classes: Optional[int] = None) -> dict:
    """NC1 and CDNV of each layer's activations on the same labelled vectors.

    Args:
      layers: activations (N, units_l) per layer (the input counts as layer 0).
      labels: (N,) classes 0..C−1.
      pairs: the CDNV's class pairs, "all" or "adjacent".
      n_classes: C.

    Returns:
      ``{'nc1': (L,), 'cdnv': (L,), 'between_rank': (L,)}`` float64 arrays over layers.

    Raises:
      ValueError: an empty ``layers``, or anything the measures raise.
    """
    if len(layers) == 0:
        raise ValueError("layers is empty; pass the activations of at least one layer.")
    nc1, cdnv, rank = [], [], []
    for acts in layers:
        c = within_class_variability(acts, labels, n_classes=n_classes)
        nc1.append(c.nc1)
        rank.append(c.between_rank)
        cdnv.append(class_distance_normalised_variance(acts, labels, pairs=pairs, n_classes=n_classes).value)
    return {"nc1": np.asarray(nc1), "cdnv": np.asarray(cdnv), "between_rank": np.asarray(rank, np.float64)}
