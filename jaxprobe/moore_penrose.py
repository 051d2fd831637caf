"""Moore–Penrose embedding trials (seed 001, thesis §4.3.2–§4.3.4, Figs 4.14 and 4.15).

The thesis asks how hard it is to re-expand n exemplar points v_1..v_n of a p-dimensional
bottleneck into n one-hot classes, and answers with Monte Carlo trials of a Moore–Penrose
construction (§4.3.4): draw the points, build the linear map F with F(e_k) = v_k, take
L = F⁺, and call the trial a *success* iff the hard-max of every image L(v_k) is e_k.

Constructions (all give an n × n *image matrix* whose column k is the image of v_k):

* ``'centred'`` — §4.3.2: m = mean of the points, w_k = v_k − m, F = (w_1 … w_n),
  A(x) = F⁺(x − m) = W x + b with W = F⁺, b = −F⁺ m. Images: F⁺F = X_c (X_cᵀX_c)⁺ X_cᵀ,
  the orthogonal projection onto the column space of the centred point matrix X_c (n × p).
* ``'affine_ls'`` — §4.3.3, eq. 4.1–4.2: V = (X 1) (n × (p+1)), (W b) = V(VᵀV)⁻¹ = (V⁺)ᵀ,
  images V(VᵀV)⁻¹Vᵀ, the projection onto span(X, 1) = span(X_c) ⊕ span(1). Hence
  V(VᵀV)⁻¹Vᵀ = X_c(X_cᵀX_c)⁻¹X_cᵀ + 11ᵀ/n: every column differs from the centred image by the
  same constant 1/n, so its hard-max decisions are *identical* to ``'centred'``.
* ``'linear'`` — §4.3.4 read literally: F = (v_1 … v_n) (p × n), L = F⁺, images F⁺F =
  X(XᵀX)⁺Xᵀ, the projection onto the column space of the raw point matrix X.

Decision rule. The image matrix P is a symmetric projection, P = Q Qᵀ with Q (n × r) an
orthonormal basis of its range and q_k the k-th row of Q. Column k wins iff P_kk > P_jk for all
j ≠ k, so a trial succeeds iff q_j·q_k < min(|q_j|², |q_k|²) for every pair j < k. Ties
(e.g. repeated points, whose columns are identical) count as failures: the hard-max of a tied
column is not a unique unit vector. Ranks below p (n ≤ p, repeated or collinear points) are
handled by dropping dependent directions in a modified Gram–Schmidt, exactly like ``pinv``'s
rank cut-off; the answer is always a defined boolean, never NaN.

Fast kernel. The trial kernel works in a structure-of-arrays layout (coordinates, points,
trials) with trials on the minor axis, so every operation is a vectorised elementwise loop
over trials; trials are processed in cache-sized chunks inside one jit-compiled loop. The
points of trial t come from a counter-based hash generator (two rounds of the ``lowbias32``
integer hash keyed by the seed and t): each trial's *key* is the pair (stream, t), so the
kernel is a map over keys, ``jax.vmap(trial)(keys)`` dispatches to it (``custom_vmap``), and
any trial can be regenerated on its own. (``jax.random``'s threefry runs at ~35 M floats/s on the
2-core CPU, which alone would cap p = 2, n = 10 at ~1.7 M trials/s; the hash generator is checked
against it, and for uniformity and independence, in the tests. ``success_batch`` takes points
from any source.)

Minimum mutual distance r (Fig. 4.15) is drawn exactly by whole-set rejection: a candidate set
is uniform on [0,1]^{n×p} and is accepted iff all pairwise distances are ≥ r, so accepted sets
follow the uniform law conditioned on the constraint. There is no cap on retries; the
acceptance rate is reported with every estimate.

Every probability comes with an exact (Clopper–Pearson) binomial 95 % interval.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from functools import partial
from typing import Iterable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation
from jaxprobe.analysis.stats import clopper_pearson
from jaxprobe.parallel import thread_map

__all__ = [
    "VARIANTS",
    "CellEstimate",
    "centred_affine_map",
    "least_squares_affine_map",
    "plain_linear_map",
    "image_matrix",
    "hardmax_success",
    "reference_success",
    "numpy_loop",
    "success_soa",
    "success_batch",
    "trial_keys",
    "cell_keys",
    "uniform_points",
    "min_distance_points",
    "min_distance_ok",
    "trial",
    "count_successes",
    "clopper_pearson",
    "estimate",
    "estimate_adaptive",
    "sweep",
    "bucket",
    "mp_output_layer",
]

VARIANTS = ("centred", "affine_ls", "linear")

# ---------------------------------------------------------------------------------------------
# Constructions (§4.3.2–§4.3.4), exact, one trial at a time, numpy float64
# ---------------------------------------------------------------------------------------------


def _as_points(points, batched: bool = False) -> np.ndarray:
    """Finite float64 points (n, p), or (T, n, p) when ``batched``, with n, p >= 1."""
    validation.check_array_like("points", points)
    try:
        v = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"points must be an array of numbers, got {type(points).__name__} ({err}).") from err
    want = "(T, n, p)" if batched else "(n, p)"
    if v.ndim != (3 if batched else 2) or 0 in v.shape[-2:]:
        hint = "; for one set use points[None]" if batched and v.ndim == 2 else (
            "; for a batch loop over the sets" if not batched and v.ndim == 3 else "")
        raise ValueError(f"points must be {want} with n, p >= 1, got shape {v.shape}{hint}.")
    validation.check_finite("points", v)
    return v


def _check_cell(n, p, r=0.0, trials=None) -> None:
    """n points (>= 1) in p dimensions (>= 1), minimum distance r (finite, >= 0, feasible)."""
    validation.check_int("n", n, minimum=1)
    validation.check_int("p", p, minimum=1)
    if trials is not None:
        validation.check_int("trials", trials, minimum=1)
    r = validation.check_number("r", r, minimum=0.0)
    if n >= 2 and r > math.sqrt(p):
        raise ValueError(f"r={r} exceeds the diameter √p = {math.sqrt(p):.3g} of [0,1]^{p}: no {n} points are "
                         f"that far apart, so the rejection sampler would never stop; use r <= √p.")


def _check_trial_key(key) -> None:
    """A trial key: uint32 of shape (2,) from ``trial_keys`` / ``cell_keys`` (not a jax.random key)."""
    if not hasattr(key, "dtype") or validation.dtype_of(key) != np.uint32 or np.shape(key) != (2,):
        got = (f"dtype {key.dtype}, shape {np.shape(key)}" if hasattr(key, "dtype")
               else type(key).__name__)
        raise TypeError(f"key must be a trial key: uint32 of shape (2,), a row of trial_keys(seed, count) or "
                        f"cell_keys(...) (not a jax.random key); got {got}.")


def centred_affine_map(points) -> tuple[np.ndarray, np.ndarray]:
    """§4.3.2: A(x) = F⁺(x − m) = W x + b, W = F⁺ (n × p), b = −F⁺ m (n,).

    F = (v_1 − m, …, v_n − m) ∈ R^{p×n} maps e_k to the centred point w_k = v_k − m.
    """
    v = _as_points(points)
    m = v.mean(axis=0)
    F = (v - m).T
    W = np.linalg.pinv(F)
    return W, -W @ m


def least_squares_affine_map(points) -> tuple[np.ndarray, np.ndarray]:
    """§4.3.3: the least-squares solution of eq. 4.1, (W b) = V(VᵀV)⁻¹ with V = (X 1).

    Computed with the normal equations exactly as printed (a solve with VᵀV); equals
    ``pinv(V).T`` whenever V has full column rank (tested). Returns W (n × p) and b (n,).
    """
    v = _as_points(points)
    V = np.concatenate([v, np.ones((v.shape[0], 1))], axis=1)
    A = np.linalg.solve(V.T @ V, V.T).T  # V (VᵀV)⁻¹, n × (p+1)
    return A[:, :-1], A[:, -1]


def plain_linear_map(points) -> np.ndarray:
    """§4.3.4: L = F⁺ with F = (v_1 … v_n) ∈ R^{p×n}, F(e_k) = v_k. Returns L (n × p)."""
    v = _as_points(points)
    return np.linalg.pinv(v.T)


def image_matrix(points, variant: str = "centred") -> np.ndarray:
    """n × n matrix whose column k is the image of v_k under the variant's map (float64).

    'centred': F⁺F (§4.3.2); 'affine_ls': V(VᵀV)⁻¹Vᵀ (eq. 4.2, via ``pinv`` so it is defined
    for rank-deficient V); 'linear': F⁺F with uncentred F (§4.3.4).
    """
    v = _as_points(points)
    if variant == "centred":
        W, b = centred_affine_map(v)
        return W @ v.T + b[:, None]
    if variant == "affine_ls":
        V = np.concatenate([v, np.ones((v.shape[0], 1))], axis=1)
        return V @ np.linalg.pinv(V)
    if variant == "linear":
        return plain_linear_map(v) @ v.T
    raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")


def hardmax_success(images, rtol: float = 0.0) -> bool:
    """True iff the hard-max of column k is e_k for every k (strict: ties fail).

    ``rtol`` > 0 demands a margin of rtol · max|P| (used to treat round-off ties as ties).
    """
    validation.check_array_like("images", images)
    P = np.asarray(images)
    if P.ndim != 2 or P.shape[0] != P.shape[1]:
        raise ValueError(f"images must be a square (n, n) matrix (column k = image of point k), got shape {P.shape}.")
    validation.check_finite("images", P.astype(np.float64))
    validation.check_number("rtol", rtol, minimum=0.0)
    n = P.shape[0]
    diag = np.diag(P)
    off = P + np.diag(np.full(n, -np.inf))
    margin = rtol * np.max(np.abs(P)) if n else 0.0
    return bool(np.all(diag[None, :] > off.max(axis=0)[None, :] + margin))


def reference_success(points, variant: str = "centred") -> bool:
    """The straightforward float64 reference: build the map with ``np.linalg.pinv`` and test the
    hard-max of every image. Repeated points give tied columns and therefore ``False``."""
    P = image_matrix(points, variant)
    return hardmax_success(P, rtol=1e-9)


def numpy_loop(points, variant: str = "centred") -> np.ndarray:
    """The straightforward numpy loop (one ``np.linalg.pinv`` per trial) over (T, n, p) points,
    as the thesis procedure reads; the baseline of the speed benchmark."""
    pts = _as_points(points, batched=True)
    _variant_flag(variant)
    out = np.empty(pts.shape[0], dtype=bool)
    ar = None
    for i, v in enumerate(pts):
        if variant == "linear":
            F = v.T
            L = np.linalg.pinv(F)
            img = L @ F
        else:  # centred (affine_ls has identical decisions)
            m = v.mean(axis=0)
            F = (v - m).T
            L = np.linalg.pinv(F)
            img = L @ F
        if ar is None or ar.shape[0] != img.shape[0]:
            ar = np.arange(img.shape[0])
        out[i] = np.all(np.argmax(img, axis=0) == ar)
    return out


# ---------------------------------------------------------------------------------------------
# Batched kernel (structure of arrays: (p, n, C), trials on the minor axis)
# ---------------------------------------------------------------------------------------------

_SMALL_N = 16  # up to this n, pairs are unrolled into (C,)-vector ops; above, (n, n, C) blocks
QR_METHOD = "mgs"  # orthonormalisation used by the kernel (see _orthonormal_rows)
_RANK_TOL = 1e-9  # squared relative residual below which a Gram–Schmidt direction is dependent


def _colsum(a):
    """Sum over the point axis (axis 0) of an (n, C) array."""
    return jnp.sum(a, axis=0)


def _orthonormal_rows(x, centred, method: str = "mgs", active=None):
    """An orthonormal basis Q (n × r, r ≤ p) of the column space of each trial's point matrix X
    (or X_c when ``centred``); x: (p, n, C). Returns the r columns of Q as (n, C) arrays, with
    dependent directions zeroed (the rank cut-off of ``pinv``). ``centred`` may be a traced 0/1
    flag. ``active`` (n,) bool marks the points in use (padding rows are zeroed and ignored).

    ``method``: 'mgs' — modified Gram–Schmidt (loss of orthogonality ~ eps · cond(X)).
    (Cholesky QR, CGS2 and unrolled reductions were measured: 2–40× slower, or slow to compile,
    under XLA CPU.)
    """
    if method != "mgs":
        raise ValueError(f"unknown method {method!r}")
    p, n = x.shape[:2]
    if active is None:
        mean = jnp.mean(x, axis=1, keepdims=True)
    else:
        mf = active.astype(x.dtype)[None, :, None]
        x = x * mf
        mean = jnp.sum(x, axis=1, keepdims=True) / jnp.maximum(jnp.sum(mf), 1.0)
    if centred is True:
        x = x - mean
    elif centred is not False:
        x = x - mean * jnp.asarray(centred, x.dtype)
    if active is not None:
        x = x * mf
    cols = [x[a] for a in range(p)]
    qs = []
    for a in range(p):
        v = cols[a]
        for q in qs:
            v = v - _colsum(q * v)[None] * q
        nrm2 = _colsum(v * v)
        ref = _colsum(cols[a] * cols[a])
        keep = nrm2 > _RANK_TOL * ref
        inv = jnp.where(keep, jax.lax.rsqrt(jnp.where(keep, nrm2, 1.0)), 0.0)
        qs.append(v * inv[None])
    return qs


def _variant_flag(variant):
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
    return variant != "linear"


def success_soa(x, variant="centred", method: str = "mgs", n_active=None):
    """Trial decisions for a chunk of trials in SoA layout.

    x: (p, n, C) float array (coordinate, point, trial). Returns (C,) bool: success of each
    trial under ``variant`` (see module docstring; 'affine_ls' ≡ 'centred'). Every pair j < k is
    tested once: q_j·q_k < min(|q_j|², |q_k|²). ``variant`` may also be a (traced) 0/1 centring
    flag; ``n_active`` (traced int) uses only the first n_active points (padding, so that one
    compiled kernel serves many n).
    """
    centred = _variant_flag(variant) if isinstance(variant, str) else variant
    p, n, C = x.shape
    if n < 2:
        return jnp.ones((C,), bool)
    active = None if n_active is None else (jnp.arange(n) < n_active)
    qs = _orthonormal_rows(x, centred, method=method, active=active)
    d = qs[0] * qs[0]
    for q in qs[1:]:
        d = d + q * q
    if n <= _SMALL_N:
        ok = jnp.ones((C,), bool)
        for i in range(n - 1):
            for j in range(i + 1, n):
                s = qs[0][i] * qs[0][j]
                for q in qs[1:]:
                    s = s + q[i] * q[j]
                t = s < jnp.minimum(d[i], d[j])
                if active is not None:
                    t = t | ~active[j]  # j > i: j inactive whenever i is
                ok = ok & t
        return ok
    # cyclic shifts: pairs (i, i + s mod n), s = 1..⌊n/2⌋, cover every unordered pair
    idx = (np.arange(n)[None, :] + np.arange(1, n // 2 + 1)[:, None]) % n
    S = qs[0][None] * qs[0][idx]
    for q in qs[1:]:
        S = S + q[None] * q[idx]
    t = S < jnp.minimum(d[None], d[idx])
    if active is not None:
        t = t | ~(active[None, :] & active[idx])[:, :, None]
    return jnp.all(t, axis=(0, 1))


@partial(jax.jit, static_argnames=("variant", "method"))
def success_batch(points, variant: str = "centred", method: str = "mgs", n_active=None):
    """Trial decisions for points given as (T, n, p) (float32 is enough: see the tests and the
    float64 agreement check of the experiment). Returns (T,) bool. With ``n_active`` (traced)
    only the first n_active points of each trial are used (one compilation for many n).

    Raises:
      ValueError: points not (T, n, p) (one set (n, p): pass ``points[None]``), NaN or infinite
        points (a traced check), an unknown variant.
    """
    validation.check_floating("points", points)
    if np.ndim(points) != 3:
        raise ValueError(f"points must be a batch (T, n, p), got shape {np.shape(points)}"
                         + ("; for one set use points[None]." if np.ndim(points) == 2 else "."))
    validation.check_finite("points", points)
    _variant_flag(variant)
    x = jnp.transpose(jnp.asarray(points, jnp.float32), (2, 1, 0))
    return success_soa(x, variant, method, n_active)


# ---------------------------------------------------------------------------------------------
# Counter-based generator: keys are (stream, counter) uint32 pairs
# ---------------------------------------------------------------------------------------------

_GOLD = np.uint32(0x9E3779B9)
_GOLD2 = np.uint32(0x85EBCA6B)


def _h(x):
    """lowbias32 (C. Wellons): a bijective 32-bit integer hash with strong avalanche."""
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x7FEB352D)
    x = x ^ (x >> 15)
    x = x * jnp.uint32(0x846CA68B)
    return x ^ (x >> 16)


def _stream_words(seed: int, *tags) -> np.ndarray:
    """Two uint32 stream words from a seed and tags (sha256; stable across runs)."""
    h = hashlib.sha256(repr((int(seed),) + tuple(tags)).encode()).digest()
    return np.frombuffer(h[:8], dtype=np.uint32).copy()


def cell_keys(seed: int, n: int, p: int, count: int, *, r: float = 0.0, tags: tuple = (),
              start: int = 0) -> jnp.ndarray:
    """The keys of the first ``count`` trials (r = 0) or candidates (r > 0) that
    ``count_successes(n, p, …, seed=seed, r=r, tags=tags)`` scans."""
    _check_cell(n, p, r)
    return trial_keys(seed, count, start, (n, p, float(r)) + tuple(tags))


def trial_keys(seed: int, count: int, start: int = 0, tags: tuple = ()) -> jnp.ndarray:
    """``count`` trial keys (uint32 (count, 2)): rows (stream, start + i)."""
    validation.check_int("seed", seed)
    validation.check_int("count", count, minimum=0)
    validation.check_int("start", start, minimum=0)
    if start + count > 1 << 32:
        raise ValueError(f"start + count = {start + count} exceeds the 2^32 counters of a stream; use another seed.")
    w = _stream_words(seed, *tags)
    stream = np.uint32(w[0] ^ w[1])
    ctr = (np.arange(count, dtype=np.uint64) + start).astype(np.uint32)
    return jnp.asarray(np.stack([np.full(count, stream, np.uint32), ctr], axis=1))


def _uniform_soa(stream, ctr, attempt, n: int, p: int, n_active=None):
    """Points of the trials with keys (stream, ctr) at rejection attempt ``attempt``:
    (p, n, C) float32, uniform on (0,1) with 24-bit resolution (odd multiples of 2^-25).
    Coordinate a of point i is word a·n_active + i of the trial, so a padded draw (n > n_active)
    has the same first n_active points as the unpadded one."""
    ht = _h(_h(ctr ^ stream) + stream * _GOLD2 + attempt * _GOLD)
    na = jnp.uint32(n) if n_active is None else jnp.asarray(n_active).astype(jnp.uint32)
    word = (jnp.arange(p, dtype=jnp.uint32)[:, None] * na + jnp.arange(n, dtype=jnp.uint32)[None])
    c = ((word + jnp.uint32(1)) * _GOLD)[:, :, None]
    w = _h(_h(ht[None, None, :] ^ c) + stream)
    return ((w >> 8).astype(jnp.float32) + 0.5) * jnp.float32(1.0 / (1 << 24))


def uniform_points(key, n: int, p: int, attempt=0):
    """The points (n, p) of one trial key (uint32 (2,)), at rejection attempt ``attempt``."""
    _check_trial_key(key)
    _check_cell(n, p)
    key = jnp.asarray(key, jnp.uint32)
    x = _uniform_soa(key[0], key[1][None], jnp.uint32(attempt), n, p)
    return jnp.transpose(x[:, :, 0])


def _min_dist_ok_soa(x, r, n_active=None):
    """(p, n, C) → (C,) bool: all pairwise distances (among the first n_active points) ≥ r."""
    p, n, C = x.shape
    r2 = jnp.asarray(r, jnp.float32) ** 2
    active = None if n_active is None else (jnp.arange(n) < n_active)
    if n <= _SMALL_N:
        ok = jnp.ones((C,), bool)
        for i in range(n - 1):
            for j in range(i + 1, n):
                d2 = (x[0, i] - x[0, j]) ** 2
                for a in range(1, p):
                    d2 = d2 + (x[a, i] - x[a, j]) ** 2
                t = d2 >= r2
                if active is not None:
                    t = t | ~active[j]
                ok = ok & t
        return ok
    idx = (np.arange(n)[None, :] + np.arange(1, n // 2 + 1)[:, None]) % n
    d2 = (x[0][None] - x[0][idx]) ** 2
    for a in range(1, p):
        d2 = d2 + (x[a][None] - x[a][idx]) ** 2
    t = d2 >= r2
    if active is not None:
        t = t | ~(active[None, :] & active[idx])[:, :, None]
    return jnp.all(t, axis=(0, 1))


def min_distance_ok(points, r: float):
    """True iff all pairwise distances of (n, p) points (or (T, n, p)) are ≥ r."""
    validation.check_floating("points", points)
    if np.ndim(points) not in (2, 3):
        raise ValueError(f"points must be (n, p) or (T, n, p), got shape {np.shape(points)}.")
    validation.check_finite("points", points)
    validation.check_number("r", r, minimum=0.0)
    pts = jnp.asarray(points, jnp.float32)
    batched = pts.ndim == 3
    x = jnp.transpose(pts if batched else pts[None], (2, 1, 0))
    ok = _min_dist_ok_soa(x, r)
    return ok if batched else ok[0]


def _rejection_soa(stream, ctr, n: int, p: int, r: float):
    """Exact rejection sampler for a batch of keys: attempt 0, 1, 2, … until every lane has an
    accepted set (a lax.while_loop with no cap). Returns points (p, n, C) and attempts (C,)."""
    C = ctr.shape[0]
    x0 = _uniform_soa(stream, ctr, jnp.uint32(0), n, p)
    ok0 = _min_dist_ok_soa(x0, r)

    def cond(state):
        return ~jnp.all(state[1])

    def body(state):
        x, ok, att = state
        nxt = _uniform_soa(stream, ctr, att.astype(jnp.uint32), n, p)
        okn = _min_dist_ok_soa(nxt, r)
        take = (~ok) & okn
        x = jnp.where(take[None, None], nxt, x)
        att = jnp.where(ok, att, att + 1)
        return x, ok | okn, att

    x, _, att = jax.lax.while_loop(cond, body, (x0, ok0, jnp.ones((C,), jnp.int32)))
    return x, att


def min_distance_points(key, n: int, p: int, r: float):
    """One exact draw of n points uniform on [0,1]^p conditioned on all mutual distances ≥ r.
    Returns (points (n, p), attempts). Vmappable (the loop runs until every lane accepts)."""
    _check_trial_key(key)
    _check_cell(n, p, r)
    key = jnp.asarray(key, jnp.uint32)
    x, att = _rejection_soa(key[0], key[1][None], n, p, float(r))
    return jnp.transpose(x[:, :, 0]), att[0]


# ---------------------------------------------------------------------------------------------
# The trial: a function of one key, vmapped over keys through the fast SoA kernel
# ---------------------------------------------------------------------------------------------


def _trials_soa(keys, n: int, p: int, variant: str, r: float):
    keys = jnp.asarray(keys, jnp.uint32)
    stream, ctr = keys[:, 0], keys[:, 1]
    if r > 0:
        x, att = _rejection_soa(stream, ctr, n, p, r)
    else:
        x = _uniform_soa(stream, ctr, jnp.uint32(0), n, p)
        att = jnp.ones(ctr.shape, jnp.int32)
    return success_soa(x, variant), att


@partial(jax.jit, static_argnames=("n", "p", "variant", "r"))
def trial(key, *, n: int, p: int, variant: str = "centred", r: float = 0.0):
    """One Moore–Penrose trial (§4.3.4 procedure) from one key (uint32 (2,)).

    Returns (success, attempts). ``jax.vmap(trial...)(keys)`` runs the whole batch through the
    SoA kernel (a ``custom_vmap`` rule), so vmapping over millions of keys is fast.

    Raises:
      TypeError: a key that is not a uint32 (2,) trial key (e.g. a ``jax.random.key``).
      ValueError: n or p not a positive integer, r not finite, negative or infeasible, an unknown variant.
    """
    _check_trial_key(key)
    _check_cell(n, p, r)
    _variant_flag(variant)

    @jax.custom_batching.custom_vmap
    def f(k):
        s, a = _trials_soa(k[None], n, p, variant, r)
        return s[0], a[0]

    @f.def_vmap
    def _rule(axis_size, in_batched, k):
        (kb,) = in_batched
        if not kb:
            s, a = f(k)
            return (s, a), (False, False)
        s, a = _trials_soa(k, n, p, variant, r)
        return (s, a), (True, True)

    return f(key)


@partial(jax.jit, static_argnames=("N", "p", "use_r", "chunk", "method"))
def _count_chunks(stream, start, stop, max_accept, n_chunks, n_active, centred, r, *, N, p,
                  use_r, chunk, method="mgs"):
    """Scan candidates with counters start..stop−1 in chunks of ``chunk`` trials (``n_chunks``
    of them, traced). N is the padded number of points (static; n_active ≤ N are used), so one
    compiled kernel serves every n ≤ N, both variants (``centred`` is a traced flag) and every r.
    For use_r = False every candidate is a trial. Otherwise a candidate is a trial iff all its
    mutual distances are ≥ r, and the scan stops exactly at the ``max_accept``-th accepted
    candidate (exact count, no overshoot). Returns (successes, accepted, proposals scanned)."""
    ar = jnp.arange(chunk, dtype=jnp.uint32)

    def body(c, acc):
        s_acc, a_acc, p_acc = acc
        off = c.astype(jnp.uint32) * jnp.uint32(chunk) + ar
        ctr = start + off
        valid = off < (stop - start)
        x = _uniform_soa(stream, ctr, jnp.uint32(0), N, p, n_active)
        ok = success_soa(x, centred, method, n_active)
        if use_r:
            accept = _min_dist_ok_soa(x, r, n_active) & valid
            before = a_acc + jnp.cumsum(accept, dtype=jnp.int32) - accept  # accepted before it
            scanned = valid & (before < max_accept)
            accept = accept & scanned
        else:
            accept = valid
            scanned = valid
        return (s_acc + jnp.sum(ok & accept, dtype=jnp.int32),
                a_acc + jnp.sum(accept, dtype=jnp.int32),
                p_acc + jnp.sum(scanned, dtype=jnp.int32))

    z = jnp.int32(0)
    return jax.lax.fori_loop(0, n_chunks, body, (z, z, z))


def _default_chunk(N: int, p: int) -> int:
    return 64 if N > _SMALL_N else 2048


def bucket(n: int) -> int:
    """Padded size used by the sweeps: n itself up to 10, then 16, 20, 30, 40, 50, … (one
    compiled kernel per (bucket, p))."""
    if n <= 10:
        return max(n, 2)
    if n <= _SMALL_N:
        return _SMALL_N
    return int(math.ceil(n / 10) * 10)


def _scan(stream, start: int, m: int, max_accept, kw: dict, threads: int):
    """Scan m candidates from counter ``start``, split over ``threads`` concurrent jit calls
    (XLA CPU runs each call on one core). With max_accept the parts are run as one serial call
    so the exact stop applies. Returns (successes, accepted, scanned)."""
    chunk = kw["chunk"]
    dyn = kw["dyn"]
    static = {k: v for k, v in kw.items() if k != "dyn"}
    parts = threads if (max_accept is None and threads > 1 and m >= 2 * threads * chunk) else 1
    bounds = [start + (m * i) // parts for i in range(parts + 1)]
    cap = jnp.int32(max_accept if max_accept is not None else (1 << 31) - 1)

    def run(i):
        lo, hi = bounds[i], bounds[i + 1]
        out = _count_chunks(stream, jnp.uint32(lo % (1 << 32)), jnp.uint32(hi % (1 << 32)), cap,
                            jnp.int32(-(-(hi - lo) // chunk)), *dyn, **static)
        return tuple(int(o) for o in out)

    res = thread_map(run, parts)
    return tuple(sum(r[i] for r in res) for i in range(3))


def count_successes(n: int, p: int, trials: int, *, variant="centred", r: float = 0.0, seed=0,
                    tags: tuple = (), chunk: int | None = None, call_trials: int = 1 << 22,
                    threads: int | None = None, method: str | None = None,
                    pad_to: int | None = None):
    """Run ``trials`` trials (r = 0), or scan proposals until exactly ``trials`` sets have been
    accepted (r > 0). Returns (successes, trials, proposals).

    For r > 0 the candidate stream is scanned in order and the first ``trials`` accepted sets
    are the trials: accepted members of an i.i.d. stream are i.i.d. from the conditional law,
    so this is exact whole-set rejection with no cap on retries; trials/proposals is the
    acceptance rate. The random stream depends on (seed, n, p, r, tags) but not on the variant,
    so the variants are compared on the same points. Work is split over ``threads`` concurrent
    calls (default: the number of CPU cores); ``pad_to`` (≥ n) reuses the kernel compiled for
    that many points. Neither changes the result.

    Raises:
      ValueError / TypeError: n, p or trials not positive integers, r NaN, negative or infeasible,
        an unknown variant, pad_to < n, chunk, threads or call_trials not positive integers.
    """
    import os

    _check_cell(n, p, r, trials)
    _variant_flag(variant)
    validation.check_int("seed", seed)
    for name, value in (("chunk", chunk), ("threads", threads), ("call_trials", call_trials)):
        if value is not None:
            validation.check_int(name, value, minimum=1)
    if pad_to is not None:
        validation.check_int("pad_to", pad_to, minimum=n)

    N = max(n, pad_to or n)
    chunk = chunk or _default_chunk(N, p)
    threads = threads or min(os.cpu_count() or 1, 8)
    w = _stream_words(seed, n, p, float(r), *tags)
    stream = jnp.uint32(w[0] ^ w[1])
    centred = _variant_flag(variant)
    kw = dict(N=N, p=p, use_r=bool(r > 0), chunk=chunk, method=method or QR_METHOD,
              dyn=(jnp.int32(n), jnp.float32(centred), jnp.float32(r)))
    succ = acc = ctr = 0
    if r <= 0:
        if trials >= 1 << 32:
            raise ValueError("at most 2^32 − 1 trials per stream")
        while ctr < trials:
            m = min(call_trials * threads, trials - ctr)
            s, _, _ = _scan(stream, ctr, m, None, kw, threads)
            succ += s
            ctr += m
        return succ, trials, trials
    if trials >= 1 << 31:
        raise ValueError("at most 2^31 − 1 accepted trials per call")
    rate = None
    while acc < trials:
        need = trials - acc
        if rate is not None and need / rate > 8 * threads * chunk:
            # bulk: scan a block expected to hold ~90 % of what is needed, in parallel
            m = int(min(call_trials * threads, 0.9 * need / rate))
            res = _scan(stream, ctr, m, None, kw, threads)
            if acc + res[1] > trials:  # rare overshoot: redo this block with the exact stop
                res = _scan(stream, ctr, m, need, kw, 1)
        else:
            m = min(call_trials, max(chunk, 4 * need if rate is None else int(need / rate * 1.1) + chunk))
            res = _scan(stream, ctr, m, need, kw, 1)
        if ctr + m >= 1 << 32:
            raise RuntimeError("candidate counter space (2^32) exhausted")
        succ += res[0]
        acc += res[1]
        ctr += res[2]
        rate = acc / ctr if acc else None
    return succ, acc, ctr


# ---------------------------------------------------------------------------------------------
# Statistics and sweeps
# ---------------------------------------------------------------------------------------------




@dataclasses.dataclass
class CellEstimate:
    n: int
    p: int
    variant: str
    r: float
    successes: int
    trials: int
    proposals: int
    seconds: float
    beyond_floor: bool = False

    @property
    def prob(self) -> float:
        return self.successes / self.trials if self.trials else float("nan")

    @property
    def ci(self) -> tuple[float, float]:
        return clopper_pearson(self.successes, self.trials)

    @property
    def acceptance(self) -> float:
        return self.trials / self.proposals if self.proposals else float("nan")

    def as_dict(self) -> dict:
        lo, hi = self.ci
        return dict(n=self.n, p=self.p, variant=self.variant, r=self.r,
                    successes=self.successes, trials=self.trials, proposals=self.proposals,
                    prob=self.prob, ci_low=lo, ci_high=hi, acceptance=self.acceptance,
                    seconds=self.seconds, beyond_floor=self.beyond_floor)


def estimate(n: int, p: int, trials: int, *, variant="centred", r: float = 0.0, seed=0,
             tags: tuple = ("main",), chunk: int | None = None, threads: int | None = None,
             method: str | None = None, pad_to: int | None = None) -> CellEstimate:
    """Success probability of one (n, p, variant, r) cell from ``trials`` trials."""
    t0 = time.perf_counter()
    s, a, prop = count_successes(n, p, trials, variant=variant, r=r, seed=seed, tags=tags,
                                 chunk=chunk, threads=threads, method=method, pad_to=pad_to)
    return CellEstimate(n, p, variant, float(r), s, a, prop, time.perf_counter() - t0)


def estimate_adaptive(n: int, p: int, *, variant="centred", r: float = 0.0, seed=0,
                      target_successes: int = 400, pilot_trials: int = 10_000,
                      min_trials: int = 10_000, max_trials: int = 10**7,
                      pad_to: int | None = None) -> CellEstimate:
    """Choose the number of trials from an independent pilot run, then estimate.

    N = clip(target_successes / p̂_pilot, min_trials, max_trials) (max_trials when the pilot
    sees no success). The pilot uses its own random stream and is discarded, so N does not
    depend on the main trials and the Clopper–Pearson interval stays exact.
    """
    pilot = estimate(n, p, pilot_trials, variant=variant, r=r, seed=seed, tags=("pilot",),
                     pad_to=pad_to)
    if pilot.successes == 0:
        N = max_trials
    else:
        N = int(min(max_trials, max(min_trials, math.ceil(target_successes / pilot.prob))))
    est = estimate(n, p, N, variant=variant, r=r, seed=seed, tags=("main",), pad_to=pad_to)
    est.seconds += pilot.seconds
    return est


def sweep(cells: Iterable[tuple[int, int]], *, variants: Sequence[str] = ("centred", "linear"),
          r: float = 0.0, seed=0, floor: float = 1e-6, max_trials=10**7, progress=None,
          pad=None, **adaptive) -> list[CellEstimate]:
    """``estimate_adaptive`` over (n, p) cells and variants, with padding buckets (one compiled
    kernel per (bucket(n), p)).

    Every probability above ``floor`` is resolved: cells whose pilot sees < target successes
    get up to ``max_trials`` trials (an int, or a dict p → int). Along each (p, variant, r)
    curve, ordered by n, once a cell's upper 95 % bound is below ``floor`` the later (larger)
    n are only estimated from ``min_trials`` trials and flagged ``beyond_floor`` (the
    probability decreases with n on every curve we measured; the flag keeps that visible).
    ``pad(n, p)`` gives the padded size (default ``bucket(n)``).
    """
    pad = pad or (lambda n, p: bucket(n))
    cells = sorted(cells, key=lambda c: (c[1], c[0]))
    out = []
    done_below = set()
    for n, p in cells:
        mt = max_trials[p] if isinstance(max_trials, dict) else max_trials
        for v in variants:
            curve = (p, v, float(r))
            if curve in done_below:
                e = estimate(n, p, adaptive.get("min_trials", 10_000), variant=v, r=r, seed=seed,
                             pad_to=pad(n, p))
                e.beyond_floor = True
            else:
                e = estimate_adaptive(n, p, variant=v, r=r, seed=seed, max_trials=mt,
                                      pad_to=pad(n, p), **adaptive)
                e.beyond_floor = False
                if e.ci[1] < floor:
                    done_below.add(curve)
            out.append(e)
            if progress is not None:
                progress(e)
    return out


# ---------------------------------------------------------------------------------------------
# Moore–Penrose output layer (the thesis's untested initialisation suggestion, §4.3.5)
# ---------------------------------------------------------------------------------------------


def mp_output_layer(codes, labels, n_classes: int, *, scale: float = 1.0):
    """Kernel (p × n_classes) and bias (n_classes,) of the least-squares affine map (§4.3.3) that
    sends the class-mean codes v_k to e_k: (W b) = V⁺ᵀ with V = (v_k 1). The class means are
    taken over ``codes`` (N, p) grouped by int ``labels``; absent classes get zero columns.
    Multiplying by ``scale`` sharpens the softmax without changing the hard-max.

    Raises:
      ValueError / TypeError: codes not a finite (N, p) array, labels not N integers in
        0..n_classes-1 (they are not dropped), n_classes not a positive integer, scale not > 0.
    """
    n_classes = validation.check_int("n_classes", n_classes, minimum=1)
    validation.check_number("scale", scale, minimum=0.0, strict=True)
    validation.check_floating("codes", codes)
    if np.ndim(codes) != 2 or 0 in np.shape(codes):
        raise ValueError(f"codes must be (N, p) with N, p >= 1, got shape {np.shape(codes)}.")
    validation.check_finite("codes", codes)
    if np.shape(labels) != np.shape(codes)[:1]:
        raise ValueError(f"labels must hold one class per code, shape {np.shape(codes)[:1]}; got {np.shape(labels)}.")
    validation.check_index("labels", labels, n_classes, "class label")
    codes = np.asarray(codes, np.float64)
    labels = np.asarray(labels)
    p = codes.shape[1]
    means = np.zeros((n_classes, p))
    present = np.zeros(n_classes, bool)
    for k in range(n_classes):
        sel = labels == k
        if sel.any():
            means[k] = codes[sel].mean(axis=0)
            present[k] = True
    V = np.concatenate([means, np.ones((n_classes, 1))], axis=1)[present]
    A = np.linalg.pinv(V).T  # (#present, p+1) = (W b)
    W = np.zeros((n_classes, p))
    b = np.zeros(n_classes)
    W[present] = A[:, :p]
    b[present] = A[:, p]
    b[~present] = -1e3 if (~present).any() else 0.0
    return (scale * W.T).astype(np.float32), (scale * b).astype(np.float32)
