"""Tests of jaxprobe.analysis.discriminance against scikit-learn and hand cases."""

import numpy as np
import pytest
from sklearn.metrics import silhouette_score
from sklearn.metrics.pairwise import cosine_distances as sk_cosine_distances
from sklearn.model_selection import LeaveOneOut, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier

from jaxprobe.analysis.discriminance import cosine_distances, discriminance, knn_accuracy, silhouette


def _blobs(n_per_class=12, n_classes=3, dim=6, spread=1.0, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, dim)) * 2
    x = np.concatenate([c + spread * rng.normal(size=(n_per_class, dim)) for c in centres])
    y = np.repeat(np.arange(n_classes), n_per_class)
    perm = rng.permutation(len(y))
    return x[perm], y[perm]


@pytest.mark.parametrize("k, spread", [(1, 3.0), (3, 0.5), (3, 3.0), (5, 3.0)])
def test_knn_matches_sklearn_leave_one_out(k, spread):
    x, y = _blobs(spread=spread, seed=k)
    clf = KNeighborsClassifier(n_neighbors=k, metric="cosine", algorithm="brute")
    pred = cross_val_predict(clf, x, y, cv=LeaveOneOut())
    assert knn_accuracy(x, y, k=k) == pytest.approx(np.mean(pred == y), abs=1e-12)


@pytest.mark.parametrize("spread", [0.3, 1.0, 4.0])
def test_silhouette_matches_sklearn(spread):
    x, y = _blobs(n_per_class=15, n_classes=4, spread=spread, seed=7)
    y = np.where(y == 3, 10, y)  # non-contiguous labels
    assert silhouette(x, y) == pytest.approx(silhouette_score(x, y, metric="cosine"), abs=1e-10)


def test_silhouette_blockwise_and_singleton():
    import jaxprobe.analysis.discriminance as d

    x, y = _blobs(n_per_class=20, n_classes=3, spread=1.0, seed=3)
    y[0] = 99  # a singleton class: s = 0 for that row
    expect = silhouette_score(x, y, metric="cosine")
    old = d._BLOCK
    try:
        d._BLOCK = 7  # force several blocks
        assert silhouette(x, y) == pytest.approx(expect, abs=1e-10)
        assert knn_accuracy(x, y, k=3) == pytest.approx(
            np.mean(cross_val_predict(KNeighborsClassifier(3, metric="cosine", algorithm="brute"),
                                      x, y, cv=LeaveOneOut()) == y))
    finally:
        d._BLOCK = old


def test_hand_case():
    # two classes on two orthogonal rays; scale must not matter under cosine
    x = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.1], [0.0, 1.0], [0.0, 5.0], [0.1, 2.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    assert knn_accuracy(x, y, k=1) == 1.0
    assert knn_accuracy(x, y, k=2) == 1.0
    assert silhouette(x, y) > 0.99
    # labels scrambled -> every point's nearest neighbours are the other class
    y_bad = np.array([0, 1, 0, 1, 0, 1])
    assert knn_accuracy(x, np.array([0, 1, 2, 0, 1, 2]), k=1) == 0.0
    assert silhouette(x, y_bad) < 0.2
    out = discriminance(x, y, k=1)
    assert set(out) == {"knn", "silhouette"}


def test_discriminance_equals_the_two_measures():
    x, y = _blobs(n_per_class=10, n_classes=4, spread=2.0, seed=5)
    out = discriminance(x, y, k=3)
    assert out["knn"] == knn_accuracy(x, y, k=3)
    assert out["silhouette"] == pytest.approx(silhouette(x, y), abs=1e-12)


def test_zero_vectors_follow_sklearn_convention():
    x = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0], [0.0, 0.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    np.testing.assert_allclose(cosine_distances(x), sk_cosine_distances(x), atol=1e-12)
    assert silhouette(x, y) == pytest.approx(silhouette_score(x, y, metric="cosine"), abs=1e-10)


def test_flattens_trailing_dims():
    x, y = _blobs(n_per_class=8, dim=12)
    assert knn_accuracy(x.reshape(-1, 3, 4), y, k=3) == knn_accuracy(x, y, k=3)


@pytest.mark.parametrize("fn", [knn_accuracy, silhouette])
def test_bad_input_raises_naming_argument(fn):
    x, y = _blobs()
    with pytest.raises(ValueError, match="labels"):
        fn(x, y[:-1])
    with pytest.raises(ValueError, match="labels"):
        fn(x, np.zeros_like(y))
    x_nan = x.copy()
    x_nan[3, 2] = np.nan
    with pytest.raises(ValueError, match="vectors"):
        fn(x_nan, y)
    with pytest.raises(ValueError, match="vectors"):
        fn(x[:, 0], y)


def test_bad_k():
    x, y = _blobs(n_per_class=3)
    with pytest.raises(ValueError, match="k"):
        knn_accuracy(x, y, k=0)
    with pytest.raises(ValueError, match="k"):
        knn_accuracy(x, y, k=len(y))


# ---------------------------------------------------------------- seed 000 analysis helpers
def test_rowwise_cosine_and_pearson_hand_cases():
    from jaxprobe.analysis.similarity import rowwise_cosine, rowwise_pearson

    a = np.array([[1.0, 0.0, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    b = np.array([[2.0, 0.0, 0.0], [-1.0, -2.0, -3.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(rowwise_cosine(a, b), [1.0, -1.0, 0.0])
    r = rowwise_pearson(a, b)
    np.testing.assert_allclose(r[:2], [1.0, -1.0])
    assert np.isnan(r[2])  # constant row
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=(4, 50)), rng.normal(size=(4, 50))
    np.testing.assert_allclose(rowwise_pearson(u, v), [np.corrcoef(p, q)[0, 1] for p, q in zip(u, v)])
    with pytest.raises(ValueError, match="b"):
        rowwise_cosine(u, v[:, :3])


def test_balanced_indices_and_boxes():
    from jaxprobe.data.sampling import balanced_indices
    from jaxprobe.studies.bp_dnn import highlight_boxes

    y = np.repeat(np.arange(3), [5, 7, 9])
    idx = balanced_indices(y, 4, seed=1)
    assert np.array_equal(np.bincount(y[idx]), [4, 4, 4]) and len(set(idx)) == 12
    assert np.array_equal(idx, balanced_indices(y, 4, seed=1))
    with pytest.raises(ValueError, match="n_per_class"):
        balanced_indices(y, 6)
    m = np.zeros((28, 28))
    m[5, 6] = 1.0
    m[20, 20] = 0.5
    boxes = highlight_boxes(m, n_boxes=2, box=7)
    assert boxes[0] == (2, 3, 9, 10) and boxes[1] == (17, 17, 24, 24)


def test_positive_mass_on_ink():
    from jaxprobe.analysis.similarity import positive_mass_on_ink

    digits = np.array([[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    maps = np.array([[1.0, 2.0, 1.0, -5.0], [-1.0, -1.0, 0.0, 0.0]])
    out = positive_mass_on_ink(maps, digits)
    assert out[0] == pytest.approx(0.75) and np.isnan(out[1])
