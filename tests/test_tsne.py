"""Tests of the openTSNE wrapper and the class-coloured scatter helpers."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from jaxprobe.analysis.discriminance import knn_accuracy
from jaxprobe.analysis.tsne import embed, panel_grid, scatter_by_class


def _data(n_per_class=40, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 20)) * 3
    x = np.concatenate([c + rng.normal(size=(n_per_class, 20)) for c in centres])
    return x, np.repeat(np.arange(3), n_per_class)


def test_embed_shape_determinism_and_structure():
    x, y = _data()
    e1 = embed(x, seed=1, n_iter=150, early_exaggeration_iter=50)
    e2 = embed(x, seed=1, n_iter=150, early_exaggeration_iter=50)
    assert e1.shape == (len(y), 2) and e1.dtype == np.float64
    np.testing.assert_allclose(e1, e2)
    # well-separated clusters stay separated in the map
    assert knn_accuracy(e1, y, k=5) > 0.95


def test_embed_rejects_bad_input():
    x, _ = _data()
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="vectors"):
        embed(bad)
    with pytest.raises(ValueError, match="vectors"):
        embed(x[:3])


def test_scatter_and_grid(tmp_path):
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    e = rng.normal(size=(30, 2))
    y = np.repeat(np.arange(3), 10)
    fig, ax = plt.subplots()
    scatter_by_class(ax, e, y, title="t")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2"]
    plt.close(fig)
    fig = panel_grid([[("a", e), ("b", e)], [("c", e), None]], y, suptitle="s")
    assert len(fig.legends) == 1
    fig.savefig(tmp_path / "g.png")
    plt.close(fig)
    assert (tmp_path / "g.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="embedding"):
        scatter_by_class(plt.gca(), rng.normal(size=(5, 3)), y[:5])
