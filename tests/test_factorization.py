"""Coupled NMF of seed 002 (eq. 1): pinned to scikit-learn's NMF, monotone, non-negative, recovers
planted factors, refuses negative data; spectra pinned to numpy's SVD.

Each compiled configuration (block shapes, ranks, iterations, inner steps) costs a compile, so the
tests share a few fits through module-scoped fixtures.
"""

import warnings

import jax
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import NMF

from jaxprobe.analysis.factorization import (
    coupled_nmf,
    effective_rank,
    energy_rank,
    singular_values,
    svd_rmse,
)

RANKS = (3, 6)
ITERATIONS = 200


def _blocks(seed=0, images=40):
    """An input block in [0, 1] and two ReLU-like activation blocks (one with a dead row)."""
    rng = np.random.default_rng(seed)
    D = rng.random((30, images))
    A1 = np.maximum(rng.normal(size=(20, images)), 0)
    A2 = np.maximum(rng.normal(size=(10, images)), 0)
    A2[3] = 0.0  # a neuron that never fires
    return [D, A1, A2]


def _init(rows, images, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.random((rows, r)), rng.random((images, r))) for r in RANKS]


@pytest.fixture(scope="module")
def fits64():
    """float64 fits of one configuration: from given factors, with targets, with tol; inner steps."""
    blocks = _blocks()
    init = _init(60, 40)
    with jax.enable_x64(True):
        free = coupled_nmf(blocks, RANKS, init=init, iterations=ITERATIONS)
        J = np.asarray(free.objective)
        targets = [J[0, 40], J[1, 90]]
        out = dict(blocks=blocks, init=init, free=free, J=J, targets=targets,
                   stopped=coupled_nmf(blocks, RANKS, init=init, iterations=ITERATIONS, target=targets),
                   slow=coupled_nmf(blocks, RANKS, init=init, iterations=ITERATIONS, tol=1e-3),
                   inner=coupled_nmf(blocks, RANKS, key=jax.random.key(0), iterations=ITERATIONS, inner_steps=3),
                   hals=coupled_nmf(blocks, RANKS, init=init, iterations=ITERATIONS, solver="hals"))
        out = jax.tree.map(lambda a: np.asarray(a) if isinstance(a, jax.Array) else a, out)
    return out


@pytest.fixture(scope="module")
def fits32():
    """float32: several ranks at once, each rank alone, and a batch of two block sets."""
    blocks = [b.astype(np.float32) for b in _blocks(seed=4)]
    other = [b.astype(np.float32) for b in _blocks(seed=6)]
    key = jax.random.key(5)
    return dict(blocks=blocks, other=other,
                together=coupled_nmf(blocks, RANKS, key=key, iterations=ITERATIONS),
                alone=coupled_nmf(blocks, RANKS[1], key=key, iterations=ITERATIONS),
                batch=coupled_nmf([np.stack([a, b]) for a, b in zip(blocks, other)], RANKS, key=key,
                                  iterations=ITERATIONS))


def _sklearn_objectives(X, W0, F0, rank, iterations, solver="mu"):
    """J after 1..iterations of sklearn's NMF(solver=solver) on Xᵀ (images × rows) from the same factors.

    On Xᵀ sklearn's W is our F and its H is our stacked [P; O]ᵀ, and it updates W first: the seed's
    order (F, then P_i and O_j)."""
    out = []
    for k in range(1, iterations + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: we stop it on purpose
            model = NMF(rank, init="custom", solver=solver, beta_loss="frobenius", tol=0, max_iter=k)
            F = model.fit_transform(X.T, W=F0.copy(), H=W0.T.copy())
        out.append(np.sum((X.T - F @ model.components_) ** 2))
    return np.array(out)


def test_equals_sklearn_mu_on_the_stacked_matrix(fits64):
    X = np.vstack(fits64["blocks"])
    free, J = fits64["free"], fits64["J"]
    assert J.dtype == np.float64
    for k, (rank, (W0, F0)) in enumerate(zip(RANKS, fits64["init"])):
        assert J[k, 0] == pytest.approx(np.sum((X - W0 @ F0.T) ** 2), rel=1e-12)
        np.testing.assert_allclose(J[k, 1:31], _sklearn_objectives(X, W0, F0, rank, 30), rtol=1e-5)
        # the reported errors are those of the returned factors
        P, F = free.factors(rank)
        residual = np.sum((X - np.vstack(P) @ F.T) ** 2)
        np.testing.assert_allclose(J[k, -1], residual, rtol=1e-9)
        assert free.rmse[k] == pytest.approx(np.sqrt(residual / X.size), rel=1e-9)


def test_hals_equals_sklearn_cd_on_the_stacked_matrix(fits64):
    X = np.vstack(fits64["blocks"])
    J = np.asarray(fits64["hals"].objective)
    for k, (rank, (W0, F0)) in enumerate(zip(RANKS, fits64["init"])):
        np.testing.assert_allclose(J[k, 1:21], _sklearn_objectives(X, W0, F0, rank, 20, solver="cd"), rtol=1e-5)
    assert np.all(J[:, 20] < fits64["J"][:, 20])   # from the same start HALS falls faster than MU


def test_objective_never_increases_and_factors_stay_non_negative(fits64, fits32):
    for name in ("free", "inner", "hals"):
        fit = fits64[name]
        J = np.asarray(fit.objective)
        assert np.all(np.diff(J, axis=1) <= 1e-12 * J[:, :1]), f"objective rose ({name})"
        assert fit.loadings.min() >= 0 and fit.shared.min() >= 0
    assert fits64["inner"].objective[:, -1].max() < fits64["free"].objective[:, -1].min() * 1.5
    fit32 = fits32["together"]
    J = np.asarray(fit32.objective)
    assert J.dtype == np.float32 and float(fit32.loadings.min()) >= 0 and float(fit32.shared.min()) >= 0
    assert np.all(np.diff(J, axis=1) <= 1e-5 * J[:, :1])
    dead = sum(b.shape[0] for b in fits32["blocks"][:2]) + 3   # the row that never fires gets no loading
    assert float(np.abs(fit32.loadings[dead]).max()) == 0.0


def test_planted_non_negative_factors_are_recovered():
    rng = np.random.default_rng(3)
    rank, images = 4, 120
    sparse = lambda n: rng.random((n, rank)) * (rng.random((n, rank)) < 0.5)  # sparse: NMF is then unique
    F_true, P_true, O_true = sparse(images), sparse(50), sparse(30)
    D, A = (P_true @ F_true.T).astype(np.float32), (O_true @ F_true.T).astype(np.float32)
    fit = coupled_nmf([D, A], (2, 4), key=jax.random.key(0), iterations=200, inner_steps=5)
    rel = np.asarray(fit.block_relative_error)
    assert rel[1].max() < 0.01, f"rank 4 leaves relative errors {rel[1]}"
    assert rel[0].min() > 0.1, "rank 2 cannot explain rank-4 data"
    _, F = fit.factors(4)
    cos = _unit(np.asarray(F)).T @ _unit(F_true)
    rows, cols = linear_sum_assignment(-cos)
    assert cos[rows, cols].min() > 0.99, f"image factors not recovered: {cos[rows, cols]}"


def _unit(M):
    return M / np.linalg.norm(M, axis=0, keepdims=True)


def test_negative_data_are_refused_with_the_fix():
    D, A1, _ = _blocks()
    pre_activation = A1 - 0.5  # a layer before its ReLU
    with pytest.raises(ValueError, match=r"blocks\[1\] has \d+ negative entries") as err:
        coupled_nmf([D, pre_activation], 3, key=jax.random.key(0))
    assert "ReLU" in str(err.value) and "block - block.min()" in str(err.value)


@pytest.mark.parametrize("bad, message", [
    ([], "non-empty list"),
    (np.ones((3, 4)), "non-empty list"),
    ([np.ones((3, 4)), np.ones((2, 5))], r"same number of columns"),
    ([np.ones((3, 4), np.int32)], "floating-point"),
    ([np.full((3, 4), np.nan)], "NaN"),
])
def test_bad_blocks_are_refused(bad, message):
    with pytest.raises((ValueError, TypeError), match=message):
        coupled_nmf(bad, 2, key=jax.random.key(0))


def test_bad_arguments_are_refused(fits32):
    blocks = fits32["blocks"]
    with pytest.raises(ValueError, match="rank must hold positive integers"):
        coupled_nmf(blocks, (3, 0), key=jax.random.key(0))
    with pytest.raises(ValueError, match="give key="):
        coupled_nmf(blocks, 3)
    with pytest.raises(ValueError, match="init for rank 3 must be W0 of shape"):
        coupled_nmf(blocks, 3, init=[(np.ones((2, 3)), np.ones((40, 3)))])
    with pytest.raises(ValueError, match="solver='als' is not known"):
        coupled_nmf(blocks, 3, key=jax.random.key(0), solver="als")
    with pytest.raises(TypeError, match="key must be a jax.random key"):
        coupled_nmf(blocks, 3, key=0)
    with pytest.raises(ValueError, match="tol must be >= 0"):
        coupled_nmf(blocks, 3, key=jax.random.key(0), tol=-1.0)
    with pytest.raises(ValueError, match="rank=7 was not fitted"):
        fits32["together"].factors(7)


def test_ranks_fitted_together_equal_separate_fits_and_batches_equal_single_sets(fits32):
    together, alone, batch = fits32["together"], fits32["alone"], fits32["batch"]
    np.testing.assert_allclose(together.objective[1], alone.objective[0], rtol=1e-3)
    np.testing.assert_allclose(together.block_rmse[1], alone.block_rmse[0], rtol=1e-3)
    assert batch.rmse.shape == (2, 2) and batch.block_rmse.shape == (2, 2, 3)
    assert batch.loadings.shape == (2, 60, sum(RANKS)) and batch.shared.shape == (2, 40, sum(RANKS))
    np.testing.assert_allclose(batch.rmse[0], together.rmse, rtol=1e-3)
    P, F = batch.factors(RANKS[0])
    assert [p.shape for p in P] == [(2, 30, 3), (2, 20, 3), (2, 10, 3)] and F.shape == (2, 40, 3)


def test_stopping_rules(fits64):
    J, stopped, slow = fits64["J"], fits64["stopped"], fits64["slow"]
    assert stopped.n_iter.tolist() == [40, 90]
    np.testing.assert_allclose(stopped.objective[0, :41], J[0, :41], rtol=1e-12)
    assert np.isnan(stopped.objective[0, 41:]).all() and np.isnan(stopped.objective[1, 91:]).all()
    for k, n in enumerate(slow.n_iter.tolist()):
        assert n % 10 == 0 and n < ITERATIONS
        err = np.sqrt(J[k])
        assert (err[n - 10] - err[n]) / err[0] < 1e-3 <= (err[n - 20] - err[n - 10]) / err[0]


def test_spectra_and_their_summaries(fits32):
    rng = np.random.default_rng(8)
    A = rng.random((12, 300)) ** 3
    np.testing.assert_allclose(singular_values(A), np.linalg.svd(A, compute_uv=False), rtol=1e-9)
    np.testing.assert_allclose(singular_values(A.T), singular_values(A), rtol=1e-9)
    assert singular_values(np.stack([A, 2 * A])).shape == (2, 12)
    s = singular_values(A)
    assert effective_rank(7 * s) == pytest.approx(effective_rank(s))
    assert 1 <= effective_rank(s) <= 12 and energy_rank(s, 1.0) == 12
    # Eckart–Young: the truncated SVD's error ...
    U, S, Vt = np.linalg.svd(A, full_matrices=False)
    best3 = np.sqrt(np.mean((A - (U[:, :3] * S[:3]) @ Vt[:3]) ** 2))
    assert svd_rmse(s, (3,), A.size)[0] == pytest.approx(best3, rel=1e-9)
    # ... lies below any non-negative factorisation of the same rank
    X = np.vstack(fits32["blocks"])
    bound = svd_rmse(singular_values(X), RANKS, X.size)
    assert np.all(np.asarray(fits32["together"].rmse) >= bound * (1 - 1e-4))
