"""Jump-detection data, signal-processing baseline, calibration and analysis helpers (seed 001)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxprobe.data import jumps
from jaxprobe.data.jumps import clean_jumps, jump_splits, make_jumps, split_key
from jaxprobe.analysis import activations as an
from jaxprobe.analysis import stats
from jaxprobe.models import glorot_init, glorot_init_stacked
from jaxprobe.parallel import unstack
from jaxprobe.probes import activations as pr
from jaxprobe.studies import jumps as ja
from jaxprobe.studies.jumps import baseline as jb


# ----------------------------------------------------------------------------- generator

def test_shapes_balance_and_dtype():
    x, y = make_jumps(jax.random.key(0), 5, sigma=0.5)
    assert x.shape == (300, 100) and x.dtype == jnp.float32
    assert y.shape == (300,) and y.dtype == jnp.int32
    assert np.all(np.bincount(np.asarray(y), minlength=60) == 5)
    assert int(y.min()) == 0 and int(y.max()) == 59


def test_label_is_position_minus_21_noise_free():
    x, y = make_jumps(jax.random.key(1), 2, sigma=0.0, theta=3.0)
    x, y = np.asarray(x), np.asarray(y)
    for xi, yi in zip(x, y):
        t0 = yi + 21                      # 1-based first high sample
        assert np.all(xi[: t0 - 1] == 0.0)
        assert np.all(xi[t0 - 1:] == 3.0)
    u = np.asarray(clean_jumps())
    assert u.shape == (60, 100)
    assert np.argmax(np.diff(u[29])) + 2 == 50   # class 29 (30th column) = jump at 50


def test_determinism_per_key_and_distinct_splits():
    a = make_jumps(jax.random.key(3), 3, sigma=1.0)
    b = make_jumps(jax.random.key(3), 3, sigma=1.0)
    c = make_jumps(jax.random.key(4), 3, sigma=1.0)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], c[0])
    s1 = jump_splits(0.7, quick=True)
    s2 = jump_splits(0.7, quick=True)
    np.testing.assert_array_equal(s1.train_x, s2.train_x)
    assert s1.train_x.shape == (1200, 100) and s1.analysis_x.shape == (1200, 100)
    assert not np.allclose(s1.valid_x, s1.test_x)
    # the key of a split does not depend on the other sizes
    s3 = jump_splits(0.7, sizes=(1200, 600, 600, 120))
    np.testing.assert_array_equal(s1.test_x, s3.test_x)
    assert jnp.all(split_key(0, "train") == split_key(0, "train"))


def test_noise_statistics():
    sigma = 0.8
    x, y = make_jumps(jax.random.key(5), 100, sigma=sigma, theta=3.0)
    noise = np.asarray(x) - np.asarray(clean_jumps())[np.asarray(y)]
    assert abs(noise.mean()) < 0.01
    assert abs(noise.std() - sigma) < 0.01
    # independent across positions: neighbouring correlation ~ 0
    r = np.corrcoef(noise[:, 40], noise[:, 41])[0, 1]
    assert abs(r) < 0.05


def test_thesis_sizes_constant():
    assert jumps.THESIS_SIZES == (12000, 6000, 6000, 60000)
    assert all(s % 60 == 0 for s in jumps.QUICK_SIZES)


@pytest.mark.parametrize("kwargs, word", [
    (dict(n_per_class=0), "n_per_class"),
    (dict(n_per_class=2, sigma=-1.0), "sigma"),
    (dict(n_per_class=2, sigma=float("nan")), "sigma"),
    (dict(n_per_class=2, first=90, last=80), "first"),
    (dict(n_per_class=2, length=1), "length"),
])
def test_bad_arguments_raise(kwargs, word):
    with pytest.raises(ValueError, match=word):
        make_jumps(jax.random.key(0), **kwargs)


def test_bad_key_and_sizes_raise():
    with pytest.raises(ValueError, match="key"):
        make_jumps(jnp.zeros(3, jnp.uint32), 2)
    with pytest.raises(ValueError, match="sizes"):
        jump_splits(1.0, sizes=(100, 60, 60, 60))


# ----------------------------------------------------------------------------- baseline

def test_gaussian_window():
    g = np.asarray(jb.gaussian_window(2.9, 19))
    assert g.shape == (19,)
    assert abs(g.sum() - 1) < 1e-6 and np.argmax(g) == 9
    np.testing.assert_allclose(g, g[::-1], rtol=1e-6)


def test_detector_on_hand_made_steps():
    u = clean_jumps(theta=1.0)
    true = np.arange(21, 81)
    np.testing.assert_array_equal(np.asarray(jb.detect(u, derivative="backward")), true)
    pred = np.asarray(jb.detect(u, derivative="forward"))
    np.testing.assert_array_equal(pred[1:], true[1:] - 1)   # −1 bias (21 is clipped by the restriction)
    pred = np.asarray(jb.detect(u, derivative="central"))
    assert np.all((pred == true) | (pred == true - 1))
    # a spike outside 21..80 is ignored only by the restricted arg-max
    x = np.asarray(u[10]).copy()
    x[95:] += 50.0
    assert int(jb.detect(x, restrict=True)) == 31
    assert int(jb.detect(x, restrict=False)) > 80


def test_detector_bad_arguments():
    with pytest.raises(ValueError, match="derivative"):
        jb.detect(np.zeros((2, 100), np.float32), derivative="sobel")
    with pytest.raises(ValueError, match="w must"):
        jb.detect(np.zeros((2, 100), np.float32), w=18)


def test_baseline_is_perfect_without_noise_and_degrades_with_noise():
    x, y = make_jumps(jax.random.key(0), 5, sigma=0.0)
    assert float(jb.baseline_errors(x, y)["L1"]) == 0.0
    lo = jb.simulate_baseline(0.6, key=jax.random.key(1), replicates=6, n=600)
    hi = jb.simulate_baseline(1.4, key=jax.random.key(1), replicates=6, n=600)
    assert lo["L1"].mean() < hi["L1"].mean()


def test_tau_sweep_shape_and_trend():
    p = jb.tau_sweep(jax.random.key(0), sigmas=(0.1, 0.6), taus=(0.5, 1.0, 2.0, 4.0), n_per_class=10)
    assert p.shape == (2, 4)
    assert np.all((p >= 0) & (p <= 1))
    assert p[0].max() > p[1].max()          # more noise, lower best probability


def test_calibration_recovers_known_sigma():
    # a synthetic "Table 3.1" produced at σ = 0.9 with the backward derivative
    st = jb.simulate_baseline(0.9, key=jax.random.key(11), replicates=8, n=600)
    target = {k: float(st[k].mean()) for k in ja.ERROR_KEYS}
    cal = jb.calibrate_sigma((0.7, 0.8, 0.9, 1.0, 1.1), key=jax.random.key(3), replicates=6, n=600,
                             derivatives=("backward", "forward"), restricts=(True,), target=target,
                             score_random_sigma=False)
    assert cal.derivative == "backward" and cal.restrict
    assert abs(cal.sigma - 0.9) < 0.08
    assert cal.chi2_grid[("forward", True)].min() > cal.chi2


# ----------------------------------------------------------------------------- analysis helpers

def test_error_stats_hand_made():
    true = np.zeros(100)
    pred = np.zeros(100)
    pred[:10] = 1
    pred[99] = 30
    st = ja.error_stats(pred, true)
    assert abs(float(st["L1"]) - 0.4) < 1e-6
    assert abs(float(st["L2"]) - np.sqrt((10 + 900) / 100)) < 1e-5
    assert abs(float(st["L1_99"]) - 10 / 99) < 1e-6        # the 30 is dropped
    assert float(st["max"]) == 30
    stacked = ja.error_stats(np.stack([pred, true]), true)
    assert stacked["L1"].shape == (2,)
    np.testing.assert_array_equal(ja.error_histogram(pred, true)[:2], [89, 10])


def test_class_means_and_dead_units():
    acts = np.array([[1.0, 0.0, 2.0], [3.0, 0.0, 0.0], [5.0, 0.0, 4.0]])
    labels = np.array([0, 0, 1])
    A = np.asarray(an.class_means(acts, labels, 2))
    np.testing.assert_allclose(A, [[2.0, 5.0], [0.0, 0.0], [1.0, 4.0]])
    np.testing.assert_array_equal(np.asarray(an.dead_units(acts)), [False, True, False])


def test_derivative_template_and_signs():
    col = ja.derivative_template(100, 49, 2.5) * 3 + 0.1
    r, tau, shift = ja.best_template_correlation(col, center=49)
    assert r > 0.999 and abs(tau - 2.5) < 0.01 and shift == 0
    t = ja.derivative_template(100, 49, 2.0)
    assert t[55] > 0 > t[44]
    assert ja.sign_summary([1, 2, 3, 0.05])["one_signed"]
    assert not ja.sign_summary([1, 2, -3, 0.5])["one_signed"]
    m = np.zeros((100, 60))
    m[np.arange(60) + 20, np.arange(60)] = 1
    assert an.diagonality(m, offset=20, band=0) == 1.0
    assert stats.monotone_decreasing([3, 2, 2, 1]) and not stats.monotone_decreasing([1, 2])


# ----------------------------------------------------------------------------- networks

def test_jump_networks_and_stacked_activations_match_the_model():
    x = jump_splits(1.0, sizes=(60, 60, 60, 60)).test_x[:8]
    for name in ("deep3", "cnn3"):
        net = ja.jump_network(name, conv_activation="relu")
        keys = jax.random.split(jax.random.key(0), 2)
        stacked = glorot_init_stacked(net, keys)
        for k in range(2):
            p = unstack(stacked, k)
            tr = net.trace(p, x)
            for layer in range(1, net.n_layers + 1):
                acts = pr.stacked_activations(net, stacked, x, layer)[k]
                np.testing.assert_allclose(acts, np.asarray(tr.post[layer - 1]).reshape(8, -1), atol=1e-5)
            np.testing.assert_array_equal(pr.predict_stacked(net, stacked, x)[k], np.argmax(tr.post[-1], -1))
    assert ja.jump_network("deep7").layer_shapes == ((25,), (7,), (25,), (60,))
    assert ja.jump_network("shallow4").layer_shapes == ((4,), (60,))
    with pytest.raises(ValueError, match="name"):
        ja.jump_network("resnet")


def test_glorot_init_scale():
    p = glorot_init(ja.jump_network("mlp2"), jax.random.key(1))
    lim = np.sqrt(6 / 200)
    k = np.asarray(p[0]["kernel"])
    assert np.abs(k).max() <= lim and np.abs(k).max() > 0.9 * lim
    assert np.all(np.asarray(p[0]["bias"]) == 0)


def test_train_seeds_stacked_learns():
    sp = jump_splits(0.3, sizes=(1200, 600, 600, 60))
    run = ja.train_seeds("mlp1", sp, n_seeds=2, max_epochs=4, patience=4, learning_rate=0.1)
    assert run.test_pred.shape == (2, 600)
    assert run.stats["L1"].shape == (2,)
    # 4 epochs reach L1 = 1.51 and 1.35 (seeds 0, 1); guessing scores (60² − 1)/(3·60) ≈ 20, the
    # constant middle class 15, an untrained run (lr 1e-4) 16–23: < 3 leaves room for round-off only
    assert np.all(run.stats["L1"] < 3.0), run.stats["L1"]
    assert not np.allclose(run.params[0]["kernel"][0], run.params[0]["kernel"][1])


def test_bootstrap_error_std():
    rng = np.random.default_rng(0)
    true = rng.integers(0, 60, 3000)
    pred = np.stack([true, true + rng.integers(-1, 2, 3000)])
    n_boot = 200
    sd = ja.bootstrap_error_std(pred, true, n_boot=n_boot)
    assert set(sd) == set(ja.ERROR_KEYS)
    # model 0 is perfect (std 0); model 1's errors are 0/1 with p ≈ 2/3, so its L1 = p̂ has the
    # binomial std √(p(1−p)/n) and its L2 = √p̂ the delta-method std √(p(1−p)/n) / (2√p). The result
    # is the mean over the two models. A bootstrap std from n_boot draws is off by ≈ 1/√(2·n_boot)
    # = 5 % (one standard error): the window is 4 of them, ±20 %.
    p, n = float(np.mean(np.abs(pred[1] - true))), len(true)
    analytic = {"L1": np.sqrt(p * (1 - p) / n) / 2, "L2": np.sqrt(p * (1 - p) / n) / (2 * np.sqrt(p)) / 2}
    for key, value in analytic.items():
        assert abs(sd[key] / value - 1) < 4 / np.sqrt(2 * n_boot), (key, sd[key], value)
