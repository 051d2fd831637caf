"""Deviation (thesis §6.4) and class-collapse measures against direct numpy/scipy computations on small data,
dead and constant vectors included; NC1 on constructed cases; bad inputs."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist, pdist

from jaxprobe.analysis.collapse import (class_distance_normalised_variance, collapse_by_layer,
                                        within_class_variability)
from jaxprobe.analysis.deviation import (METRICS, activation_level, inner_class_deviation, inter_class_deviation,
                                         layer_deviations, pairwise_distances, undefined_vectors)


def relu_data(n=150, d=12, k=4, seed=0):
    """ReLU-like rows with dead (all-zero) and constant rows planted in known classes."""
    rng = np.random.default_rng(seed)
    x = np.maximum(rng.normal(size=(n, d)) + rng.normal(size=(k, d))[np.arange(n) % k], 0).astype(np.float32)
    y = np.arange(n) % k
    x[[0, 4, 8]] = 0.0                      # dead vectors in class 0
    x[[1, 5]] = 0.7                         # constant vectors in class 1 (defined under cosine)
    x[2] = 0.0                              # a dead vector in class 2
    return x, y


def direct_inner(x, y, metric):
    """Eq. 6.2 straight from scipy: per class, the mean pdist over defined rows; then the mean over classes."""
    per_class = []
    for c in np.unique(y):
        rows = x[y == c].astype(np.float64)
        if metric == "cosine":
            rows = rows[np.linalg.norm(rows, axis=1) > 0]
        if metric == "correlation":
            rows = rows[np.ptp(rows, axis=1) > 0]
        per_class.append(pdist(rows, metric).mean())
    return np.array(per_class)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("tile", [8, 512])
def test_inner_class_deviation_matches_scipy_with_dead_and_constant_rows(metric, tile):
    x, y = relu_data()
    result = inner_class_deviation(x, y, metric, tile=tile)
    expected = direct_inner(x, y, metric)
    np.testing.assert_allclose(result.per_class, expected, rtol=2e-5)
    assert result.value == pytest.approx(expected.mean(), rel=2e-5)
    excluded = {"euclidean": [0, 0, 0, 0], "cosine": [3, 0, 1, 0], "correlation": [3, 2, 1, 0]}[metric]
    assert result.excluded.tolist() == excluded
    defined = np.bincount(y) - np.array(excluded)
    assert result.pairs.tolist() == (defined * (defined - 1) // 2).tolist()


def test_inner_class_unbalanced_classes_and_hand_case():
    x = np.array([[0, 0], [3, 4], [6, 8], [1, 1], [1, 2]], np.float32)
    result = inner_class_deviation(x, np.array([0, 0, 0, 1, 1]), tile=2)
    assert result.per_class.tolist() == pytest.approx([(5 + 10 + 5) / 3, 1.0])
    assert result.value == pytest.approx((20 / 3 + 1) / 2)


def test_class_without_defined_pairs_is_counted_not_averaged_in():
    x = np.array([[0, 0], [0, 0], [1, 0], [0, 1]], np.float32)          # class 0: two dead vectors
    result = inner_class_deviation(x, np.array([0, 0, 1, 1]), "cosine")
    assert np.isnan(result.per_class[0]) and result.classes_without_pairs == 1
    assert result.value == pytest.approx(1.0) and result.excluded.tolist() == [2, 0]


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("pairs", ["adjacent", "all"])
def test_inter_class_deviation_matches_cdist_of_class_means(metric, pairs):
    x, y = relu_data(k=5)
    means = np.stack([x[y == c].astype(np.float64).mean(0) for c in range(5)])
    d = cdist(means, means, metric)
    which = ([(c, c + 1) for c in range(4)] if pairs == "adjacent"
             else [(a, b) for a in range(5) for b in range(a + 1, 5)])
    result = inter_class_deviation(x, y, metric, pairs=pairs)
    np.testing.assert_allclose(result.distances, [d[a, b] for a, b in which], rtol=1e-5)
    assert result.value == pytest.approx(np.mean([d[a, b] for a, b in which]), rel=1e-5)
    assert len(result.pairs) == (4 if pairs == "adjacent" else 10)


def test_undefined_class_mean_is_excluded_and_listed():
    x = np.array([[0, 0], [0, 0], [1, 0], [1, 0], [0, 2], [0, 2]], np.float32)   # class 0 all dead
    result = inter_class_deviation(x, np.array([0, 0, 1, 1, 2, 2]), "cosine")
    assert result.excluded_means.tolist() == [0]
    assert np.isnan(result.distances[0]) and result.value == pytest.approx(1.0)


def test_undefined_vectors_and_pairwise_distances_match_scipy():
    a = np.array([[0, 0, 0], [2, 2, 2], [1, 0, 3], [0.1, 0.1, 0.1]], np.float32)
    assert undefined_vectors(a, "euclidean").tolist() == [False] * 4
    assert undefined_vectors(a, "cosine").tolist() == [True, False, False, False]
    assert undefined_vectors(a, "correlation").tolist() == [True, True, False, True]
    b = np.array([[1, 2, 0.5], [3, 1, 1]])
    for metric in METRICS:
        ours = pairwise_distances(a, b, metric)
        ok = ~undefined_vectors(a, metric)
        np.testing.assert_allclose(ours[ok], cdist(a[ok].astype(np.float64), b, metric), rtol=1e-6)
        assert np.isnan(ours[~ok]).all()


def test_activation_level_is_class_balanced_mean_l1():
    x, y = relu_data()
    per_class = [np.abs(x[y == c]).sum(1).mean() for c in range(4)]
    assert activation_level(x, y) == pytest.approx(np.mean(per_class), rel=1e-6)
    assert activation_level(x) == pytest.approx(np.abs(x).sum(1).mean(), rel=1e-6)


def test_layer_deviations_normalised_euclidean_and_counts():
    x, y = relu_data()
    out = layer_deviations([x, 2 * x], y, pairs="all")
    # doubling a layer doubles Euclidean deviations and the level, leaves the rest alone
    assert out["inner"]["euclidean"][1] == pytest.approx(2 * out["inner"]["euclidean"][0], rel=1e-5)
    np.testing.assert_allclose(out["inner"]["normalised_euclidean"], out["inner"]["normalised_euclidean"][0],
                               rtol=1e-5)
    np.testing.assert_allclose(out["inner"]["cosine"], out["inner"]["cosine"][0], rtol=1e-5)
    assert out["inner"]["normalised_euclidean"][0] == pytest.approx(out["inner"]["euclidean"][0] / out["level"][0])
    assert out["dead"].tolist() == [4, 4] and out["excluded"]["correlation"].tolist() == [6, 6]


# ---------------------------------------------------------------------------------------------- collapse
def direct_nc1(x, y):
    """tr(Σ_W Σ_B⁺)/C with D × D covariances and numpy's pinv (Papyan et al. 2020)."""
    x = x.astype(np.float64)
    k = y.max() + 1
    means = np.stack([x[y == c].mean(0) for c in range(k)])
    centred = x - means[y]
    sigma_w = centred.T @ centred / len(x)
    b = means - x.mean(0)
    sigma_b = b.T @ b / k
    return np.trace(sigma_w @ np.linalg.pinv(sigma_b, rcond=1e-12, hermitian=True)) / k


def test_nc1_matches_direct_computation_with_dead_rows_and_rank_deficient_means():
    x, y = relu_data(k=4)
    result = within_class_variability(x, y)
    assert result.nc1 == pytest.approx(direct_nc1(x, y), rel=1e-8)
    assert result.between_rank == 3                                   # C − 1 directions between 4 means


def test_nc1_is_zero_when_every_vector_sits_on_its_class_mean():
    rng = np.random.default_rng(1)
    means = rng.normal(size=(6, 10))
    y = np.repeat(np.arange(6), 20)
    collapsed = within_class_variability(means[y].astype(np.float32), y)
    assert collapsed.nc1 == pytest.approx(0.0, abs=1e-10) and collapsed.within_trace == pytest.approx(0, abs=1e-10)
    noisy = within_class_variability((means[y] + 0.1 * rng.normal(size=(120, 10))).astype(np.float32), y)
    assert noisy.nc1 > 1e-3


def test_nc1_undefined_when_all_class_means_coincide():
    x = np.array([[1, 0], [-1, 0], [0, 1], [0, -1]], np.float32)
    result = within_class_variability(x, np.array([0, 0, 1, 1]))
    assert np.isnan(result.nc1) and result.between_rank == 0


def test_cdnv_matches_direct_computation_and_coincident_means_are_counted():
    x, y = relu_data(k=4)
    means = np.stack([x[y == c].astype(np.float64).mean(0) for c in range(4)])
    var = np.array([((x[y == c] - means[c]) ** 2).sum(1).mean() for c in range(4)])
    direct = [(var[a] + var[b]) / (2 * ((means[a] - means[b]) ** 2).sum()) for a in range(4) for b in range(a + 1, 4)]
    result = class_distance_normalised_variance(x, y)
    np.testing.assert_allclose(result.per_pair, direct, rtol=1e-6)
    adjacent = class_distance_normalised_variance(x, y, pairs="adjacent")
    assert len(adjacent.pairs) == 3
    same = class_distance_normalised_variance(np.array([[1, 0], [-1, 0], [0, 1], [0, -1], [5, 0], [5, 1]], np.float32),
                                              np.array([0, 0, 1, 1, 2, 2]))
    assert same.coincident.tolist() == [[0, 1]] and np.isfinite(same.value)
    layers = collapse_by_layer([x, x], y)
    assert layers["nc1"][0] == pytest.approx(direct_nc1(x, y), rel=1e-8)
    assert layers["cdnv"][1] == pytest.approx(result.value)


# ---------------------------------------------------------------------------------------------- bad inputs
BAD = [
    (lambda x, y: (x, y[:-1]), "labels"),                            # labels of another length
    (lambda x, y: (x, np.zeros_like(y)), "labels hold one class only"),
    (lambda x, y: (np.where(np.arange(len(x))[:, None] == 3, np.nan, x).astype(np.float32), y), "acts"),  # NaN
    (lambda x, y: (x, y.astype(np.float32)), "labels"),               # float labels
    (lambda x, y: (x, np.where(y == 2, 3, y)), r"labels: class\(es\) \[2\]"),  # a class without vectors
    (lambda x, y: (x[0], y), "acts"),                                 # not (N, units)
]


@pytest.mark.parametrize("corrupt, named", BAD)
@pytest.mark.parametrize("measure", [inner_class_deviation, inter_class_deviation, activation_level,
                                     within_class_variability, class_distance_normalised_variance])
def test_bad_inputs_raise_errors_naming_the_argument(corrupt, named, measure):
    x, y = relu_data()
    args = corrupt(x, y)
    with pytest.raises((ValueError, TypeError), match=named):
        measure(*args)


def test_bad_options_raise():
    x, y = relu_data()
    with pytest.raises(ValueError, match="metric"):
        inner_class_deviation(x, y, "manhattan")
    with pytest.raises(ValueError, match="pairs"):
        inter_class_deviation(x, y, pairs="neighbours")
    with pytest.raises(ValueError, match="tile"):
        inner_class_deviation(x, y, tile=0)
    with pytest.raises(ValueError, match="layers"):
        layer_deviations([], y)
    with pytest.raises(ValueError, match=r"layers\[1\]"):
        layer_deviations([x, x[:-1]], y)
