"""Moore–Penrose embedding trials (seed 001, thesis §4.3.2–§4.3.4)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import binomtest

from jaxprobe import moore_penrose as mp


def _rng(seed):
    """Each test draws from its own generator, so no test depends on which tests ran before it."""
    return np.random.default_rng([20170813, seed])


# --- §4.3.2 toy case ---------------------------------------------------------------------------


def test_toy_three_points_centred_always_succeeds():
    """3 non-degenerate points in R², centred map A(x) = F⁺(x − m): every draw succeeds, and the
    image of w_1 is the projection of e_1 on K⊥ = (2/3, −1/3, −1/3) (digest §4.3.2 correction)."""
    rng = _rng(1)
    pts = rng.random((2000, 3, 2))
    for v in pts:
        W, b = mp.centred_affine_map(v)
        img = W @ v.T + b[:, None]
        np.testing.assert_allclose(img, np.eye(3) - 1.0 / 3.0, atol=1e-9)
        assert mp.reference_success(v, "centred")
    assert bool(jnp.all(mp.success_batch(pts, "centred")))
    assert bool(jnp.all(mp.success_batch(pts, "affine_ls")))


# --- §4.3.3 least squares --------------------------------------------------------------------


@pytest.mark.parametrize("n,p", [(3, 2), (10, 2), (20, 4), (50, 10)])
def test_least_squares_formula_equals_pinv_of_augmented_matrix(n, p):
    rng = _rng(2)
    v = rng.random((n, p))
    W, b = mp.least_squares_affine_map(v)
    V = np.concatenate([v, np.ones((n, 1))], axis=1)
    np.testing.assert_allclose(np.concatenate([W, b[:, None]], 1), np.linalg.pinv(V).T,
                               atol=1e-9)
    # images (eq. 4.2) = the hat matrix = centred images + 1/n (same hard-max decisions)
    hat = V @ np.linalg.solve(V.T @ V, V.T)
    np.testing.assert_allclose(mp.image_matrix(v, "affine_ls"), hat, atol=1e-9)
    np.testing.assert_allclose(hat, mp.image_matrix(v, "centred") + 1.0 / n, atol=1e-9)


def test_affine_ls_and_centred_decide_alike_and_linear_differs():
    rng = _rng(3)
    pts = rng.random((300, 6, 2))
    c = [mp.reference_success(x, "centred") for x in pts]
    a = [mp.reference_success(x, "affine_ls") for x in pts]
    lin = [mp.reference_success(x, "linear") for x in pts]
    assert c == a
    assert c != lin


# --- vmapped kernel vs numpy loop on the same points -----------------------------------------


@pytest.mark.parametrize("n,p,variant", [(10, 2, "centred"), (10, 2, "linear"),
                                         (6, 2, "centred"), (30, 6, "centred")])
def test_kernel_equals_numpy_loop(n, p, variant):
    keys = mp.trial_keys(7, 1000, tags=("test", n, p))
    pts = np.asarray(jax.vmap(lambda k: mp.uniform_points(k, n, p))(keys), np.float64)
    ok_loop = mp.numpy_loop(pts, variant)
    ok_ref = np.array([mp.reference_success(x, variant) for x in pts])
    ok_pts = np.asarray(mp.success_batch(pts, variant))
    ok_keys, att = jax.vmap(lambda k: mp.trial(k, n=n, p=p, variant=variant))(keys)
    np.testing.assert_array_equal(ok_pts, ok_ref)
    np.testing.assert_array_equal(np.asarray(ok_keys), ok_ref)
    # the argmax loop breaks ties towards the lower index; on these continuous draws no ties
    np.testing.assert_array_equal(ok_loop, ok_ref)
    assert int(att.sum()) == 1000
    if (n, p) in [(6, 2), (30, 6)] and variant == "centred":
        assert 0 < ok_ref.sum() < 1000  # the comparison is not vacuous


def test_large_n_kernel_path_equals_reference():
    """n > 16 uses the cyclic-shift pair test; n = 50, p = 10 against pinv."""
    rng = _rng(4)
    pts = rng.random((400, 50, 10))
    for variant in ["centred", "linear"]:
        ref = np.array([mp.reference_success(x, variant) for x in pts])
        np.testing.assert_array_equal(np.asarray(mp.success_batch(pts, variant)), ref)
        assert ref.any()


def test_counting_sweep_equals_vmapped_trials():
    """The chunked, threaded counting loop sees exactly the trials that vmap(trial) sees, and
    decides them with the variant it was given (the counting path takes the variant as a traced
    centring flag, so a flag stuck at 'centred' would only show here)."""
    n, p, T = 6, 2, 8192  # ≥ 2 · threads · chunk, so the threaded split is exercised
    keys = mp.cell_keys(3, n, p, T, tags=("x",))
    counts = {}
    for variant in ("centred", "linear"):
        s, t, prop = mp.count_successes(n, p, T, variant=variant, seed=3, tags=("x",), threads=2)
        ok, _ = jax.vmap(lambda k: mp.trial(k, n=n, p=p, variant=variant))(keys)
        assert s == int(ok.sum()) and t == prop == T, variant
        s1, _, _ = mp.count_successes(n, p, T, variant=variant, seed=3, tags=("x",), threads=1)
        assert s1 == s, variant
        # padding to a larger compiled size (the sweeps' buckets) sees the same points
        s2, _, _ = mp.count_successes(n, p, T, variant=variant, seed=3, tags=("x",), pad_to=10)
        assert s2 == s, variant
        counts[variant] = s
    # the two constructions decide differently on these points (≈ 230 vs 0 successes), so the
    # equalities above would catch either path ignoring the variant
    assert counts["centred"] > 100 and counts["linear"] < counts["centred"] // 2, counts


# --- degenerate input ------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["centred", "affine_ls", "linear"])
def test_degenerate_inputs_give_defined_answers(variant):
    rng = _rng(5)
    # repeated points: tied columns -> failure, never NaN
    v = rng.random((6, 2))
    v[3] = v[1]
    assert mp.reference_success(v, variant) is False
    assert not bool(mp.success_batch(v[None], variant)[0])
    # all points equal
    same = np.tile(rng.random((1, 3)), (5, 1))
    assert not bool(mp.success_batch(same[None], variant)[0])
    assert mp.reference_success(same, variant) is False
    # n <= p: the projection is the identity (linear) or I − 11ᵀ/n (centred): success
    for n, p in [(2, 2), (3, 5)]:
        pts = rng.random((20, n, p))
        got = np.asarray(mp.success_batch(pts, variant))
        ref = np.array([mp.reference_success(x, variant) for x in pts])
        np.testing.assert_array_equal(got, ref)
        assert got.all()
    # collinear points in R² (rank 1 after centring)
    t = rng.random(7)
    col = np.stack([t, 2 * t + 0.1], 1)
    got = bool(mp.success_batch(col[None], variant)[0])
    assert got == mp.reference_success(col, variant)
    # a single point and zeros
    assert bool(mp.success_batch(np.zeros((1, 1, 2)), variant)[0])
    assert not bool(mp.success_batch(np.zeros((1, 4, 2)), variant)[0])


def test_no_nan_in_kernel_on_degenerate_batch():
    x = jnp.zeros((2, 8, 4), jnp.float32)  # (p, n, C) all zero
    out = mp.success_soa(x, "centred")
    assert out.dtype == jnp.bool_ and not bool(out.any())


# --- float32 decisions vs float64 ------------------------------------------------------------


def test_float32_kernel_agrees_with_float64_on_a_sample():
    rng = _rng(6)
    for n, p in [(4, 2), (12, 4)]:
        pts = rng.random((1000, n, p))
        for variant in ["centred", "linear"]:
            ref = np.array([mp.reference_success(x, variant) for x in pts])
            got = np.asarray(mp.success_batch(pts.astype(np.float32), variant))
            assert (ref != got).sum() == 0, (n, p, variant)


# --- rejection sampler -----------------------------------------------------------------------


def test_min_distance_sampler_is_exact_rejection():
    rng = _rng(7)
    keys = mp.trial_keys(11, 1000)
    r = 0.2
    pts, att = jax.vmap(lambda k: mp.min_distance_points(k, 6, 2, r))(keys)
    assert bool(mp.min_distance_ok(pts, r).all())
    # accepted = the first attempt of each key that satisfies the constraint, for every key
    draw = jax.jit(jax.vmap(lambda k, a: mp.uniform_points(k, 6, 2, attempt=a)))
    np.testing.assert_array_equal(pts, draw(keys, att - 1))
    for i in range(int(att.max()) - 1):
        earlier = np.asarray(att) - 1 > i  # keys whose attempt i came before their accepted one
        assert not np.any(np.asarray(mp.min_distance_ok(draw(keys, jnp.full(len(keys), i)), r)) & earlier), i
    # the batched trial (all keys in one rejection loop, lanes finishing at different attempts)
    # decides exactly those sets: a lane that has accepted must keep its set while others retry
    ok_trial, att_trial = jax.vmap(lambda k: mp.trial(k, n=6, p=2, r=r))(keys)
    np.testing.assert_array_equal(att_trial, att)
    np.testing.assert_array_equal(ok_trial, mp.success_batch(pts))
    assert 0 < int(ok_trial.sum()) < len(keys)
    # acceptance rate agrees with a direct Monte Carlo of the constraint on uniform points
    u = rng.random((40000, 6, 2))
    d = np.linalg.norm(u[:, :, None] - u[:, None], axis=-1) + np.eye(6) * 9
    acc_mc = (d.min(axis=(1, 2)) >= r).mean()
    acc_sampler = 1000 / float(att.sum())
    assert abs(acc_mc - acc_sampler) < 0.04
    # the streaming count: exactly `trials` accepted sets, acceptance reported
    e = mp.estimate(6, 2, 20000, r=r, seed=2)
    assert e.trials == 20000 and e.proposals > 20000
    assert abs(e.acceptance - acc_mc) < 0.02
    # the uniform margin: min-distance points are always inside [0,1]^2
    assert float(pts.min()) >= 0 and float(pts.max()) < 1


    # Fig. 4.15's direction: r = 0.2 beats plain uniform points
    e0 = mp.estimate(6, 2, 20000, seed=2)
    assert e.ci[0] > e0.ci[1]


# --- statistics and the generator ------------------------------------------------------------


def test_clopper_pearson():
    lo, hi = mp.clopper_pearson(0, 100)
    assert lo == 0 and abs(hi - (1 - 0.025 ** (1 / 100))) < 1e-12
    lo, hi = mp.clopper_pearson(100, 100)
    assert hi == 1 and abs(lo - 0.025 ** (1 / 100)) < 1e-12
    r = binomtest(7, 50).proportion_ci(0.95, method="exact")
    np.testing.assert_allclose(mp.clopper_pearson(7, 50), (r.low, r.high), rtol=1e-10)


def test_hash_generator_uniform_and_uncorrelated():
    keys = mp.trial_keys(0, 20000)
    x = np.asarray(jax.vmap(lambda k: mp.uniform_points(k, 5, 2))(keys)).reshape(20000, 10)
    assert x.min() > 0 and x.max() < 1
    assert abs(x.mean() - 0.5) < 0.005
    assert abs(x.var() - 1 / 12) < 0.002
    c = np.corrcoef(x.T)
    assert np.abs(c - np.eye(10)).max() < 0.03
    # consecutive trials uncorrelated
    assert abs(np.corrcoef(x[:-1, 0], x[1:, 0])[0, 1]) < 0.03
    # different seeds / tags give different streams
    y = np.asarray(mp.uniform_points(mp.trial_keys(1, 1)[0], 5, 2))
    assert not np.allclose(y.ravel(), x[0])


def test_hash_generator_agrees_with_threefry_on_a_cell():
    """p = 2, n = 5 centred with jax.random points vs the hash generator: same probability."""
    T = 40000
    pts = jax.random.uniform(jax.random.key(5), (T, 5, 2))
    s_tf = int(mp.success_batch(pts).sum())
    e = mp.estimate(5, 2, T, seed=5)
    # two-proportion z test
    p1, p2 = s_tf / T, e.prob
    pp = (s_tf + e.successes) / (2 * T)
    z = (p1 - p2) / np.sqrt(2 * pp * (1 - pp) / T)
    assert abs(z) < 4


def test_thesis_numbers_centred_quick():
    """Quick check of the §4.3.4 numbers for the centred construction (the experiment does the
    full-size estimate): p = 10, n = 50 above 0.1; p = 2, n = 10 far below 1e-3."""
    e = mp.estimate(50, 10, 4000, seed=9)
    assert e.ci[0] > 0.1
    e = mp.estimate(10, 2, 200000, seed=9)
    assert e.ci[1] < 1e-4


def test_mp_output_layer_classifies_class_means():
    rng = _rng(8)
    codes = rng.random((600, 10))
    labels = np.repeat(np.arange(30), 20)
    codes = codes + 3 * rng.random((30, 10))[labels]
    W, b = mp.mp_output_layer(codes, labels, 30)
    means = np.stack([codes[labels == k].mean(0) for k in range(30)])
    logits = means @ W + b
    V = np.concatenate([means, np.ones((30, 1))], 1)
    np.testing.assert_allclose(logits, (V @ np.linalg.pinv(V)).T, atol=1e-4)
