"""Coupled non-negative factorisation of a network's inputs and activations (seed 002, eq. 1), and spectra.

Seed 002 (Saini & Papalexakis, KDD DL Day 2018) factorises the inputs D_i (pixels × images) and
every layer's activations A_j (neurons × images) with one shared image factor F:

    J(P, F, O) = Σ_i ‖D_i − P_i Fᵀ‖²_F + Σ_j ‖A_j − O_j Fᵀ‖²_F,   P_i, O_j, F ≥ 0      (eq. 1)

fitted by Lee & Seung's multiplicative updates, "a small constant ε added element-wise to the
resultant matrix in the denominator":

    F   ← F   * (Σ_i D_iᵀ P_i + Σ_j A_jᵀ O_j) / (Σ_i F P_iᵀ P_i + Σ_j F O_jᵀ O_j + ε)
    P_i ← P_i * D_i F / (P_i Fᵀ F + ε)
    O_j ← O_j * A_j F / (O_j Fᵀ F + ε)

With the blocks stacked by rows, X = [D_0; …; A_0; …] and W = [P_0; …; O_0; …], this is exactly
non-negative matrix factorisation X ≈ W Fᵀ with the multiplicative updates (F first, then W), so
``tests/test_factorization.py`` pins it to scikit-learn's ``NMF(solver='mu')`` on Xᵀ. The same
objective can be fitted by hierarchical ALS (``solver='hals'``, scikit-learn's ``'cd'``, pinned
the same way), which reaches a given J in far fewer iterations; both can repeat each update on
the same products (``inner_steps``) before the other factor moves.

Several ranks are fitted in one compiled call: their factors sit side by side along the latent
axis (W = [W_10 | W_20 | …], F likewise) and the Gram matrices WᵀW and FᵀF are masked to their
block diagonal, so each rank's update sees only its own columns: the same arithmetic as separate
fits, in matmuls wide enough to run the CPU at full rate (``benchmarks/bench_factorization.py``
compares this with one compile per rank and with ranks padded to the largest).

Arrays in, numbers out:

* :func:`coupled_nmf` — the fit, for one rank or several, on one set of blocks or a batch of them
  (a leading axis: several networks with the same shapes, vmapped).
* :func:`singular_values`, :func:`effective_rank`, :func:`energy_rank`, :func:`svd_rmse` —
  singular-value spectra of each block, their decay, and the Eckart–Young bound (the least RMSE
  any rank-r factorisation, non-negative or not, can reach).

>>> import numpy as np, jax
>>> rng = np.random.default_rng(0)
>>> H = rng.random((3, 30))                        # three latent images' patterns
>>> D, A = rng.random((20, 3)) @ H, rng.random((10, 3)) @ H
>>> fit = coupled_nmf([D, A], (2, 3), key=jax.random.key(0))
>>> bool(fit.rmse[1] < 0.05 < fit.rmse[0])        # rank 3 explains the planted rank-3 data
True
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple, Optional, Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation

#: The ε added to every denominator (the seed gives no value: "a small constant").
EPS = 1e-9
#: Iterations between two checks of the relative-decrease stopping rule (as scikit-learn's).
CHECK_EVERY = 10


class CoupledNMF(NamedTuple):
    """A fitted coupled factorisation, for each rank in ``ranks`` (leading batch axes where the
    blocks had one).

    Attributes:
      ranks: the ranks, in the order of the latent axis.
      block_sizes: rows of each block (m_i of D_i, N_j of A_j), in the order given.
      loadings: W = [P_0; …; O_0; …], all ranks side by side: (..., Σ m_b, Σ ranks).
      shared: F, the image factor: (..., T, Σ ranks).
      objective: J of eq. 1 at the start and after each iteration: (..., n_ranks, iterations + 1),
        NaN after a rank stopped.
      n_iter: iterations run per rank: (..., n_ranks).
      block_rmse: √(‖X_b − W_b Fᵀ‖² / (m_b T)) per rank and block: (..., n_ranks, n_blocks).
      block_relative_error: ‖X_b − W_b Fᵀ‖ / ‖X_b‖ per rank and block (0 for an all-zero block).
      rmse: √(J / (Σ m_b · T)), the RMSE over every entry of every block: (..., n_ranks).
    """

    ranks: tuple
    block_sizes: tuple
    loadings: jax.Array
    shared: jax.Array
    objective: jax.Array
    n_iter: jax.Array
    block_rmse: jax.Array
    block_relative_error: jax.Array
    rmse: jax.Array

    def factors(self, rank: int) -> tuple:
        """``([P_0, …, O_0, …], F)`` of one fitted rank (each with the batch axes, if any).

        Raises:
          ValueError: ``rank`` was not fitted.
        """
        if rank not in self.ranks:
            raise ValueError(f"rank={rank!r} was not fitted; fitted ranks: {self.ranks}.")
        k = self.ranks.index(rank)
        start = sum(self.ranks[:k])
        cols = slice(start, start + rank)
        rows = np.cumsum((0,) + self.block_sizes)
        blocks = [self.loadings[..., a:b, cols] for a, b in zip(rows[:-1], rows[1:])]
        return blocks, self.shared[..., cols]


# ---------------------------------------------------------------------------------- checks
def check_blocks(blocks: Sequence) -> tuple:
    """Checks the blocks of eq. 1 and returns them as arrays of one floating dtype.

    Each block is (rows, T) (one set) or (batch, rows, T) (a batch of sets with the same shapes);
    every block has the same T (images) and batch, is floating, finite and non-negative.

    Raises:
      ValueError: no blocks, mismatched shapes, NaN/inf, or negative entries (with the fix).
      TypeError: a non-floating block.
    """
    if isinstance(blocks, (np.ndarray, jax.Array)) or not isinstance(blocks, (list, tuple)) or not blocks:
        raise ValueError("blocks must be a non-empty list of matrices [D_0, …, A_0, …], each (rows, images); "
                         "wrap a single matrix in a list: [X].")
    arrays = []
    for i, b in enumerate(blocks):
        name = f"blocks[{i}]"
        validation.check_floating(name, b)
        b = jnp.asarray(b)
        if b.ndim not in (2, 3):
            raise ValueError(f"{name} has shape {b.shape}; expected (rows, images) or (batch, rows, images).")
        validation.check_finite(name, b)
        if validation.is_concrete(b):
            low = float(jnp.min(b))
            if low < 0:
                count = int(jnp.sum(b < 0))
                raise ValueError(
                    f"{name} has {count} negative entries (minimum {low:.4g}): a non-negative factorisation "
                    f"(eq. 1: P_i, O_j, F ≥ 0) cannot fit negative data, and the multiplicative updates would "
                    f"turn negative. Factorise the output of a ReLU layer (for a conv layer, after its ReLU and "
                    f"max-pool: jaxprobe.probes.layer_outputs.pooled_outputs), or shift the block to be "
                    f"non-negative first: block - block.min().")
        arrays.append(b)
    lead = arrays[0].shape[:-2]
    images = arrays[0].shape[-1]
    for i, b in enumerate(arrays):
        if b.shape[:-2] != lead or b.shape[-1] != images:
            raise ValueError(
                f"blocks[{i}] has shape {b.shape}, but blocks[0] has shape {arrays[0].shape}: every block "
                f"needs the same number of columns (images, here {images}) and the same batch axes {lead}.")
    dtype = jnp.result_type(*arrays)
    return tuple(b.astype(dtype) for b in arrays)


def _check_ranks(rank) -> tuple:
    ranks = (rank,) if isinstance(rank, (int, np.integer)) else tuple(rank)
    if not ranks:
        raise ValueError("rank must be a positive integer or a non-empty sequence of them, e.g. (10, 20, 30).")
    for r in ranks:
        if not isinstance(r, (int, np.integer)) or r < 1:
            raise ValueError(f"rank must hold positive integers, got {r!r}.")
    return tuple(int(r) for r in ranks)


# ---------------------------------------------------------------------------------- the fit
class _Layout(NamedTuple):
    block_sizes: tuple
    ranks: tuple
    iterations: int
    inner_steps: int
    solver: str


#: The solvers of :func:`coupled_nmf`.
SOLVERS = ("mu", "hals")


def _mu_update(A, N, G, eps, steps: int):
    """The printed multiplicative update of factor A (rows × r) against numerator N = Xᵀ·other and
    Gram G = otherᵀ·other, ``steps`` times: A ← A * N / (A G + ε)."""
    for _ in range(steps):
        A = A * N / (A @ G + eps)
    return A


def _hals_update(A, N, G, steps: int):
    """Hierarchical ALS (exact coordinate descent, one column at a time, as scikit-learn's 'cd'):
    a_k ← max(0, a_k + (N_k − A G_k) / G_kk), skipped where G_kk = 0; ``steps`` sweeps."""
    def column(k, At):                       # At: (r, rows), so a column of A is a contiguous row
        g = G[k]
        new = jnp.maximum(At[k] + (Nt[k] - g @ At) / jnp.where(g[k] > 0, g[k], 1), 0)
        return At.at[k].set(jnp.where(g[k] > 0, new, At[k]))

    At, Nt = A.T, N.T
    for _ in range(steps):
        At = jax.lax.fori_loop(0, A.shape[1], column, At)
    return At.T


def _rank_matrices(ranks: tuple, dtype):
    """E (Σr, K): column c belongs to rank k; mask (Σr, Σr): block-diagonal Gram mask."""
    owner = np.repeat(np.arange(len(ranks)), ranks)
    member = (owner[:, None] == np.arange(len(ranks))[None, :]).astype(dtype)
    return jnp.asarray(member), jnp.asarray(member @ member.T)


def _objective_terms(layout: _Layout, XF, W, FtF, norms, member, mask):
    """J per block and rank from XF = X F (already needed by the W update): ‖X_b‖² − 2⟨W_b, X_b F⟩ +
    ⟨W_bᵀW_b, FᵀF⟩, each rank's columns only. Returns (B, K)."""
    rows = np.cumsum((0,) + layout.block_sizes)
    out = []
    for b, (lo, hi) in enumerate(zip(rows[:-1], rows[1:])):
        Wb = W[lo:hi]
        cross = jnp.sum(Wb * XF[lo:hi], axis=0) @ member                 # (K,)
        gram = jnp.sum(((Wb.T @ Wb) * FtF * mask) @ member * member, axis=0)  # (K,)
        out.append(norms[b] - 2 * cross + gram)
    return jnp.stack(out)


@partial(jax.jit, static_argnames=("layout",))
def _fit(layout: _Layout, blocks, W0, F0, eps, tol, target):
    X = jnp.concatenate(blocks, axis=0)
    dtype = X.dtype
    member, mask = _rank_matrices(layout.ranks, dtype)
    norms = jnp.stack([jnp.sum(b * b) for b in blocks])
    n_ranks = len(layout.ranks)

    if layout.solver == "mu":
        update = lambda A, N, G: _mu_update(A, N, G, eps, layout.inner_steps)
    else:
        update = lambda A, N, G: _hals_update(A, N, G, layout.inner_steps)

    def total(W, F, XF):
        return jnp.sum(_objective_terms(layout, XF, W, (F.T @ F) * mask, norms, member, mask), axis=0)

    J0 = total(W0, F0, X @ F0)
    traj = jnp.full((n_ranks, layout.iterations + 1), jnp.nan, dtype).at[:, 0].set(J0)

    def cond(carry):
        t, _, _, _, active, _ = carry
        return (t < layout.iterations) & jnp.any(active)

    def body(carry):
        t, W, F, last, active, traj = carry
        cols = (member @ active.astype(dtype)) > 0                                   # (Σr,) columns still updating
        XtW = X.T @ W
        WtW = (W.T @ W) * mask
        F = jnp.where(cols, update(F, XtW, WtW), F)
        XF = X @ F
        FtF = (F.T @ F) * mask
        W = jnp.where(cols, update(W, XF, FtF), W)
        J = jnp.sum(_objective_terms(layout, XF, W, FtF, norms, member, mask), axis=0)
        t = t + 1
        traj = jnp.where(active[:, None] & (jnp.arange(layout.iterations + 1) == t)[None, :], J[:, None], traj)
        # stop a rank at its target objective, or (every CHECK_EVERY iterations) when its Frobenius
        # error fell by less than tol × the initial error since the last check (scikit-learn's rule)
        err = jnp.sqrt(jnp.maximum(J, 0))
        check = (t % CHECK_EVERY) == 0
        slow = check & (tol > 0) & ((last - err) / jnp.sqrt(J0) < tol)   # tol = 0: never (rounding may
                                                                              # raise J by a hair near the end)
        active = active & (J > target) & ~slow
        last = jnp.where(check, err, last)
        return t, W, F, last, active, traj

    start = (jnp.int32(0), W0, F0, jnp.sqrt(J0), J0 > target, traj)
    _, W, F, _, _, traj = jax.lax.while_loop(cond, body, start)
    n_iter = jnp.sum(~jnp.isnan(traj), axis=1) - 1

    # exact errors of the final factors: one residual per rank, summed block by block
    rows = np.cumsum((0,) + layout.block_sizes)
    cols = np.cumsum((0,) + layout.ranks)
    sq = []
    for k in range(n_ranks):
        row_sq = jnp.sum((X - W[:, cols[k]:cols[k + 1]] @ F[:, cols[k]:cols[k + 1]].T) ** 2, axis=1)
        sq.append(jnp.stack([jnp.sum(row_sq[rows[b]:rows[b + 1]]) for b in range(len(blocks))]))
    sq = jnp.stack(sq)                                                             # (K, B)
    sizes = jnp.asarray(layout.block_sizes, dtype) * X.shape[1]
    block_rmse = jnp.sqrt(sq / sizes)
    rel = jnp.where(norms > 0, jnp.sqrt(sq / jnp.where(norms > 0, norms, 1)), 0.0)
    rmse = jnp.sqrt(jnp.sum(sq, axis=1) / jnp.sum(sizes))
    return W, F, traj, n_iter, block_rmse, rel, rmse


def _initial_factors(key, rows: int, images: int, ranks: tuple, dtype):
    """U(0, 1) factors ("randomly with component values between 0 and 1"), rank r's drawn from
    fold_in(key, r): a rank starts from the same factors whatever other ranks are fitted with it."""
    W, F = [], []
    for r in ranks:
        kw, kf = jax.random.split(jax.random.fold_in(key, r))
        W.append(jax.random.uniform(kw, (rows, r), dtype))
        F.append(jax.random.uniform(kf, (images, r), dtype))
    return jnp.concatenate(W, axis=1), jnp.concatenate(F, axis=1)


def coupled_nmf(
    blocks: Sequence,
    rank: Union[int, Sequence[int]],
    *,
    key: Optional[jax.Array] = None,
    iterations: int = 200,
    tol: float = 0.0,
    target: Optional[Union[float, Sequence[float]]] = None,
    inner_steps: int = 1,
    eps: float = EPS,
    init: Optional[Sequence[tuple]] = None,
    solver: str = "mu",
) -> CoupledNMF:
    """Fits the coupled non-negative factorisation of seed 002 (eq. 1) by multiplicative updates.

    Args:
      blocks: ``[D_0, …, A_0, …]``, each (rows, T): columns are the T images (seed §3.2), rows the
        pixels of one channel or the neurons of one layer; or each (batch, rows, T) to fit a batch
        of block sets with the same shapes in one vmapped call. Non-negative, finite, floating.
      rank: the number of latent factors r, or several (fitted together, see the module docstring).
      key: ``jax.random.key`` for the U(0, 1) initial factors (rank r from ``fold_in(key, r)``).
      iterations: the most iterations (each: the F update, then every P_i and O_j update).
      tol: stop a rank when, at a multiple of 10 iterations, its Frobenius error √J fell by less
        than ``tol`` × its initial error since the previous check (scikit-learn's rule); 0 = never.
      target: stop a rank as soon as its objective J ≤ ``target`` (one value, or one per rank).
      inner_steps: how many times each update is repeated on the same products before the other
        factor moves (Gillis & Glineur 2012, "accelerated MU/HALS"; each repeat lowers J and costs
        no product with the data). 1 is the seed's algorithm as printed.
      eps: the ε added to every denominator.
      init: starting factors instead of the random ones: one ``(W0, F0)`` per rank, W0 = the
        stacked [P; O] (Σ rows, r) and F0 (T, r), without batch axes.
      solver: ``"mu"``, the seed's multiplicative updates; or ``"hals"``, exact coordinate descent
        one latent column at a time (Cichocki & Phan 2009; scikit-learn's ``solver='cd'``, same
        order of updates), which reaches a given J in far fewer iterations. Same objective, same
        order (F, then P_i and O_j); ε is used by "mu" only.

    Returns:
      A :class:`CoupledNMF`.

    Raises:
      ValueError / TypeError: bad blocks (see :func:`check_blocks`: negative entries get a message
        saying to use a ReLU layer's output or to shift the block), ranks, iterations, tol, target,
        inner_steps, eps or init.
    """
    arrays = check_blocks(blocks)
    ranks = _check_ranks(rank)
    validation.check_positive("iterations", iterations, integer=True)
    validation.check_positive("inner_steps", inner_steps, integer=True)
    validation.check_positive("eps", eps)
    validation.check_choice("solver", solver, SOLVERS)
    tol = validation.check_number("tol", tol, minimum=0)
    if key is not None:
        validation.check_key("key", key)
    dtype = arrays[0].dtype
    targets = np.full(len(ranks), -np.inf) if target is None else np.broadcast_to(np.asarray(target, float), len(ranks))
    sizes = tuple(int(b.shape[-2]) for b in arrays)
    rows, images = sum(sizes), int(arrays[0].shape[-1])
    batch = arrays[0].shape[:-2]
    if init is None:
        if key is None:
            raise ValueError("give key=jax.random.key(...) for the random initial factors, or init=[(W0, F0), …].")
        W0, F0 = _initial_factors(key, rows, images, ranks, dtype)
    else:
        if len(init) != len(ranks):
            raise ValueError(f"init must hold one (W0, F0) pair per rank ({len(ranks)}), got {len(init)}.")
        for (w, f), r in zip(init, ranks):
            if np.shape(w) != (rows, r) or np.shape(f) != (images, r):
                raise ValueError(f"init for rank {r} must be W0 of shape {(rows, r)} and F0 of shape {(images, r)}; "
                                 f"got {np.shape(w)} and {np.shape(f)}.")
            if np.min(w) < 0 or np.min(f) < 0:
                raise ValueError(f"init for rank {r} has negative entries; initial factors must be ≥ 0.")
        W0 = jnp.concatenate([jnp.asarray(w, dtype) for w, _ in init], axis=1)
        F0 = jnp.concatenate([jnp.asarray(f, dtype) for _, f in init], axis=1)
    layout = _Layout(sizes, ranks, int(iterations), int(inner_steps), solver)
    fit = partial(_fit, layout)
    for _ in batch:
        fit = jax.vmap(fit, (0, None, None, None, None, None))
    out = fit(arrays, W0, F0, jnp.asarray(eps, dtype), jnp.asarray(tol, dtype), jnp.asarray(targets, dtype))
    return CoupledNMF(ranks, sizes, *out)


# ---------------------------------------------------------------------------------- spectra
def singular_values(A) -> np.ndarray:
    """Singular values of a matrix, largest first (float64).

    Computed from the Gram matrix of the shorter side, accumulated in float64, so an (N_j × T)
    activation matrix with N_j ≪ T costs one N_j × N_j product.

    Args:
      A: a 2-D array (neurons × images), or a batch (..., rows, cols).

    Returns:
      float64 numpy array (..., min(rows, cols)).

    >>> singular_values(np.diag([3.0, 1.0, 2.0])).tolist()
    [3.0, 2.0, 1.0]
    """
    validation.check_floating("A", A)
    A = np.asarray(A, np.float64)
    if A.ndim < 2:
        raise ValueError(f"A must be a matrix (rows, cols) or a batch of them, got shape {A.shape}.")
    validation.check_finite("A", A)
    gram = A @ np.swapaxes(A, -1, -2) if A.shape[-2] <= A.shape[-1] else np.swapaxes(A, -1, -2) @ A
    eig = np.linalg.eigvalsh(gram)[..., ::-1]
    return np.sqrt(np.maximum(eig, 0.0))


def effective_rank(s) -> np.ndarray:
    """exp of the entropy of the normalised squared spectrum p_k = σ_k² / Σσ² (Roy & Vetterli 2007):
    the number of equally strong directions that would carry the same spread of energy. Lower =
    faster-decaying spectrum; invariant to the scale of the matrix.

    >>> round(float(effective_rank([1.0, 1.0, 1.0, 0.0])), 6)
    3.0
    """
    p = np.asarray(s, np.float64) ** 2
    total = p.sum(-1, keepdims=True)
    p = np.where(total > 0, p / np.where(total > 0, total, 1), 0)
    return np.exp(-np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0.0), axis=-1))


def energy_rank(s, fraction: float = 0.9) -> np.ndarray:
    """The least k whose top-k singular values carry ``fraction`` of Σσ² (scale-invariant).

    >>> int(energy_rank([3.0, 1.0, 1.0], 0.9))
    2
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}.")
    p = np.asarray(s, np.float64) ** 2
    cum = np.cumsum(p, -1) / np.maximum(p.sum(-1, keepdims=True), np.finfo(float).tiny)
    return np.argmax(cum >= fraction - 1e-12, axis=-1) + 1


def svd_rmse(s, ranks: Sequence[int], n_entries: int) -> np.ndarray:
    """Eckart–Young: the least RMSE of any rank-r approximation, √(Σ_{k>r} σ_k² / n_entries), for each r.

    With ``s`` the spectrum of the stacked matrix X this bounds :func:`coupled_nmf`'s ``rmse`` from below.

    >>> svd_rmse([2.0, 1.0, 1.0], (1, 2), n_entries=2).tolist()
    [1.0, 0.7071067811865476]
    """
    p = np.asarray(s, np.float64) ** 2
    tail = np.cumsum(p[..., ::-1], -1)[..., ::-1]          # tail[k] = Σ_{i ≥ k} σ_i²
    tail = np.concatenate([tail, np.zeros(tail.shape[:-1] + (1,))], -1)
    return np.sqrt(np.stack([tail[..., min(int(r), p.shape[-1])] for r in ranks], -1) / n_entries)
