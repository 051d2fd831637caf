"""Signal-processing baseline of seed 001 §3.2 and the calibration of the unstated noise σ.

Detector (§3.2.1): smooth with a normalised Gaussian window (w taps, std τ, centred, zero
padding at the ends), take a discrete derivative, and report the arg-max position (1-based).
The discrete derivative and whether the arg-max is restricted to the jump range 21..80 are
not stated in the thesis; they are options here and are decided by :func:`calibrate_sigma`
together with σ, on Table 3.1 alone.

Derivative conventions, for the smoothed signal ``s`` indexed by 1-based position ``i``:

* ``'backward'``: ``d_i = s_i − s_{i−1}`` — expected peak at the first high sample t0;
* ``'forward'``:  ``d_i = s_{i+1} − s_i`` — expected peak at t0 − 1 (a −1 bias);
* ``'central'``:  ``d_i = (s_{i+1} − s_{i−1})/2`` (``np.gradient``) — t0 − 1 and t0 tie.

Everything is one linear filter followed by an arg-max, so a whole detector is a 100×100
matrix; τ and σ sweeps are vmaps over that matrix and over the noise.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation
from jaxprobe.data.jumps import FIRST, LAST, LENGTH, THETA, jump_kernel
from jaxprobe.studies.jumps.errors import ERROR_KEYS, error_stats

DERIVATIVES = ("backward", "forward", "central")
#: Table 3.1 (and the first row of Tables 3.2–3.4, 4.1, 7.1).
TABLE_3_1 = {"L1": 0.5532, "L2": 1.4946, "L1_99": 0.4917, "L2_99": 0.7443}
TABLE_3_1_MAX_ERROR = 58
THESIS_W, THESIS_TAU = 19, 2.9


def _check_detector(w, derivative):
    if not isinstance(w, (int, np.integer)) or w < 1 or w % 2 == 0:
        raise ValueError(f"w must be a positive odd integer (window taps), got {w!r}; the thesis uses w=19.")
    if derivative not in DERIVATIVES:
        raise ValueError(f"derivative={derivative!r} is not known; choose one of {', '.join(map(repr, DERIVATIVES))}.")


def gaussian_window(tau, w: int = THESIS_W) -> jax.Array:
    """Normalised Gaussian smoother of Fig. 3.6: taps at offsets −(w−1)/2..(w−1)/2, std τ, sum 1."""
    k = jnp.arange(w, dtype=jnp.float32) - (w - 1) / 2
    g = jnp.exp(-0.5 * (k / tau) ** 2)
    return g / g.sum()


def smoothing_matrix(tau, w: int = THESIS_W, length: int = LENGTH) -> jax.Array:
    """``S`` with ``(S x)_i = Σ_u g(u) x_{i−u}`` over the centred window, zero padding outside."""
    g = gaussian_window(tau, w)
    h = (w - 1) // 2
    i = jnp.arange(length)[:, None]
    j = jnp.arange(length)[None, :]
    off = i - j + h  # tap index for x_j in output i (symmetric window, so convolution = correlation)
    return jnp.where((off >= 0) & (off < w), g[jnp.clip(off, 0, w - 1)], 0.0)


def derivative_matrix(derivative: str, length: int = LENGTH) -> tuple[jax.Array, np.ndarray]:
    """``(D, valid)``: the difference operator and a mask of positions where it is defined."""
    eye = jnp.eye(length)
    valid = np.ones(length, bool)
    if derivative == "backward":
        D = eye - jnp.eye(length, k=-1)
        valid[0] = False
    elif derivative == "forward":
        D = jnp.eye(length, k=1) - eye
        valid[-1] = False
    else:
        D = 0.5 * (jnp.eye(length, k=1) - jnp.eye(length, k=-1))
        valid[0] = valid[-1] = False
    return D, valid


def detector_matrix(tau, w: int = THESIS_W, derivative: str = "backward", length: int = LENGTH) -> jax.Array:
    """The whole linear part (derivative ∘ smoothing) as one ``(length, length)`` matrix."""
    D, _ = derivative_matrix(derivative, length)
    return D @ smoothing_matrix(tau, w, length)


def _position_mask(derivative, restrict, length, first, last):
    _, valid = derivative_matrix(derivative, length)
    mask = valid.copy()
    if restrict:
        pos = np.arange(1, length + 1)
        mask &= (pos >= first) & (pos <= last)
    return jnp.asarray(mask)


def _predict(x, M, mask):
    resp = x @ M.T
    resp = jnp.where(mask, resp, -jnp.inf)
    return jnp.argmax(resp, axis=-1).astype(jnp.int32) + 1


def detect(x, tau: float = THESIS_TAU, *, w: int = THESIS_W, derivative: str = "backward",
           restrict: bool = True, first: int = FIRST, last: int = LAST) -> jax.Array:
    """Predicted 1-based jump positions for signals ``x`` of shape ``(..., length)``."""
    _check_detector(w, derivative)
    x = jnp.asarray(x)
    if x.ndim < 1 or not jnp.issubdtype(x.dtype, jnp.floating):
        raise ValueError(f"x must be a float array of signals (..., length), got shape {x.shape} dtype {x.dtype}.")
    length = x.shape[-1]
    M = detector_matrix(tau, w, derivative, length)
    return _predict(x, M, _position_mask(derivative, restrict, length, first, last))


def baseline_errors(x, y, tau: float = THESIS_TAU, **kw) -> dict[str, jax.Array]:
    """Error statistics of :func:`detect` against labels ``y`` (= t0 − first)."""
    first = kw.get("first", FIRST)
    return error_stats(detect(x, tau, **kw), jnp.asarray(y) + first)


# --------------------------------------------------------------------------- simulations

@partial(jax.jit, static_argnames=("n_per_class", "length", "first", "last"))
def _simulate_stats_m(keys, sigma, theta, M, mask, *, n_per_class, length=LENGTH, first=FIRST, last=LAST):
    def one(key):
        x, y = jump_kernel(key, sigma, theta, n_per_class=n_per_class, length=length, first=first, last=last)
        return error_stats(_predict(x, M, mask), y + first)

    return jax.lax.map(one, keys)


@partial(jax.jit, static_argnames=("n_per_class",))
def _simulate_stats_options(keys, sigma, theta, Ms, masks, *, n_per_class):
    """:func:`_simulate_stats_m` for several detectors at once: each replicate set is drawn once and
    judged by every detector ``(Ms[o], masks[o])``; returns dict of (R, O) arrays."""
    def one(key):
        x, y = jump_kernel(key, sigma, theta, n_per_class=n_per_class, length=LENGTH, first=FIRST, last=LAST)
        per = [error_stats(_predict(x, Ms[o], masks[o]), y + FIRST) for o in range(Ms.shape[0])]
        return {k: jnp.stack([p[k] for p in per]) for k in per[0]}

    return jax.lax.map(one, keys)


def _simulate_stats(keys, sigma, tau, theta, *, n_per_class, w, derivative, restrict,
                    length=LENGTH, first=FIRST, last=LAST):
    """Error stats over replicate sets: keys (R,), returns dict of (R,) arrays (one compile for all
    detector variants: the detector matrix and arg-max mask are traced)."""
    M = detector_matrix(tau, w, derivative, length)
    mask = _position_mask(derivative, restrict, length, first, last)
    return _simulate_stats_m(keys, sigma, theta, M, mask, n_per_class=n_per_class, length=length,
                             first=first, last=last)


@partial(jax.jit, static_argnames=("n_per_class", "w", "derivative", "restrict"))
def _random_sigma_stats(keys, lo, hi, tau, theta, *, n_per_class, w, derivative, restrict):
    """As :func:`_simulate_stats` with a per-signal σ ~ U(lo, hi)."""
    M = detector_matrix(tau, w, derivative, LENGTH)
    mask = _position_mask(derivative, restrict, LENGTH, FIRST, LAST)

    def one(key):
        k1, k2 = jax.random.split(key)
        x0, y = jump_kernel(k1, 0.0, theta, n_per_class=n_per_class, length=LENGTH, first=FIRST, last=LAST)
        n = x0.shape[0]
        ks, kn = jax.random.split(k2)
        s = jax.random.uniform(ks, (n, 1), minval=lo, maxval=hi)
        x = x0 + s * jax.random.normal(kn, x0.shape)
        return error_stats(_predict(x, M, mask), y + FIRST)

    return jax.lax.map(one, keys)


def simulate_baseline(sigma: float, *, key, replicates: int = 50, n: int = 6000, tau: float = THESIS_TAU,
                      w: int = THESIS_W, derivative: str = "backward", restrict: bool = True,
                      theta: float = THETA) -> dict[str, np.ndarray]:
    """Baseline error statistics on ``replicates`` fresh test sets of ``n`` signals each."""
    validation.check_key("key", key)
    _check_detector(w, derivative)
    if n % (LAST - FIRST + 1):
        raise ValueError(f"n={n} must be a multiple of {LAST - FIRST + 1} (class-balanced sets); e.g. n=6000.")
    keys = jax.random.split(key, replicates)
    out = _simulate_stats(keys, jnp.float32(sigma), jnp.float32(tau), jnp.float32(theta),
                          n_per_class=n // (LAST - FIRST + 1), w=w, derivative=derivative, restrict=restrict)
    return {k: np.asarray(v) for k, v in out.items()}


# --------------------------------------------------------------------------- Fig. 3.5

@partial(jax.jit, static_argnames=("n_per_class", "w", "tolerance"))
def _tau_sweep(key, sigmas, taus, theta, *, n_per_class, w, tolerance):
    x0, y = jump_kernel(key, 0.0, theta, n_per_class=n_per_class, length=LENGTH, first=FIRST, last=LAST)
    eps = jax.random.normal(jax.random.fold_in(key, 7), x0.shape)   # common random numbers
    mask = _position_mask("backward", True, LENGTH, FIRST, LAST)

    def per_sigma(sigma):
        x = x0 + sigma * eps

        def per_tau(tau):
            pred = _predict(x, detector_matrix(tau, w, "backward", LENGTH), mask)
            return jnp.mean(jnp.abs(pred - (y + FIRST)) <= tolerance)

        return jax.lax.map(per_tau, taus)

    return jax.vmap(per_sigma)(sigmas)


def tau_sweep(key, sigmas: Sequence[float] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6),
              taus: Sequence[float] = tuple(np.round(np.arange(0.25, 6.01, 0.25), 2)),
              *, theta: float = 1.0, n_per_class: int = 100, w: int = 41, tolerance: int = 1) -> np.ndarray:
    """Fig. 3.5: P(|error| ≤ tolerance) for each (σ, τ), jump size θ (1 in the thesis).

    Returns ``(len(sigmas), len(taus))``.  The same noise draws are used for every cell (common
    random numbers) so the curves are smooth; ``w`` is wide enough not to truncate τ ≤ 6.
    """
    validation.check_key("key", key)
    _check_detector(w, "backward")
    return np.asarray(_tau_sweep(key, jnp.asarray(sigmas, jnp.float32), jnp.asarray(taus, jnp.float32),
                                 jnp.float32(theta), n_per_class=n_per_class, w=w, tolerance=tolerance))


# --------------------------------------------------------------------------- calibration

class Calibration(NamedTuple):
    sigma: float
    derivative: str
    restrict: bool
    chi2: float
    grid: np.ndarray                 # σ values tried
    chi2_grid: dict                  # (derivative, restrict) -> chi2 over grid
    mean_at_best: dict               # metric -> mean over replicates at the best σ
    std_at_best: dict
    max_error_quantiles: dict        # (derivative, restrict) -> quantiles of the max error at its best σ
    p_max_ge_58: dict                # (derivative, restrict) -> P(max error over 6000 ≥ 58) at its best σ
    p_max_gt_59: dict                # (derivative, restrict) -> P(max error > 59)
    p_max_near_58: dict              # (derivative, restrict) -> P(57 <= max <= 59), smoothed
    score: dict                      # (derivative, restrict) -> min chi2 − 2 log p_max_near_58
    random_sigma_chi2: float         # per-signal σ ~ U(0.5, 2), same detector as the winner
    random_sigma_mean: dict


def chi2_to_table(stats: dict[str, np.ndarray], target: dict[str, float] = TABLE_3_1) -> float:
    """Σ over the four figures of ((thesis − mean) / std)², mean/std over replicate test sets."""
    total = 0.0
    for k in ERROR_KEYS:
        v = np.asarray(stats[k], np.float64)
        total += ((target[k] - v.mean()) / max(v.std(ddof=1), 1e-9)) ** 2
    return float(total)


def calibrate_sigma(sigmas: Sequence[float] = tuple(np.round(np.arange(0.70, 1.301, 0.02), 3)),
                    *, key=None, replicates: int = 60, derivatives: Sequence[str] = DERIVATIVES,
                    restricts: Sequence[bool] = (True, False), n: int = 6000,
                    target: dict[str, float] = TABLE_3_1, score_random_sigma: bool = True) -> Calibration:
    """Fit σ (and the detector's two unstated choices) to Table 3.1 alone.

    For every σ on the grid and every (derivative, restricted arg-max) option the baseline is run
    on ``replicates`` fresh 6000-signal test sets (the same keys for every cell); the score is the
    chi-square of the four Table 3.1 figures against the replicate mean ± std.  The winner is the
    option with the lowest ``chi2 − 2 log P(57 ≤ max error ≤ 59)`` (the chi-square at its best σ
    plus the evidence of the reported maximum error 58), and σ is that option's chi-square minimum,
    refined by a parabola.  ``p_max_ge_58`` / ``p_max_gt_59`` say how often a 6000-set reaches 58
    or exceeds the restricted arg-max's ceiling of 59.
    A per-signal σ ~ U(0.5, 2) (the thesis's "ranging from 0.5 to 2") is scored as an alternative.
    """
    key = jax.random.key(2017) if key is None else key
    if replicates < 2:
        raise ValueError(f"replicates must be >= 2 (a spread is needed), got {replicates!r}; e.g. replicates=60.")
    if set(target) != set(ERROR_KEYS):
        raise ValueError(f"target must have the keys {ERROR_KEYS}, got {sorted(target)}.")
    sigmas = np.asarray(sigmas, np.float64)
    chi2_grid, stats_grid = {}, {}
    options = [(d, r) for d in derivatives for r in restricts]
    for d in derivatives:
        _check_detector(THESIS_W, d)
    if n % (LAST - FIRST + 1):
        raise ValueError(f"n={n} must be a multiple of {LAST - FIRST + 1} (class-balanced sets); e.g. n=6000.")
    Ms = jnp.stack([detector_matrix(jnp.float32(THESIS_TAU), THESIS_W, d, LENGTH) for d, _ in options])
    masks = jnp.stack([_position_mask(d, r, LENGTH, FIRST, LAST) for d, r in options])
    keys = jax.random.split(key, replicates)
    per_sigma = []   # each σ's replicate sets are drawn once and judged by every option (same keys as before)
    for s in sigmas:
        out = _simulate_stats_options(keys, jnp.float32(float(s)), jnp.float32(THETA), Ms, masks,
                                      n_per_class=n // (LAST - FIRST + 1))
        per_sigma.append({k: np.asarray(v) for k, v in out.items()})
    for o, opt in enumerate(options):
        sts = [{k: v[:, o] for k, v in st.items()} for st in per_sigma]
        chi2_grid[opt] = np.asarray([chi2_to_table(st, target) for st in sts])
        stats_grid[opt] = sts
    # the maximum error of 58: −2 log P(57 ≤ max ≤ 59) at each option's best σ (add-½ smoothing)
    near58 = {}
    for opt, chis in chi2_grid.items():
        m = stats_grid[opt][int(np.argmin(chis))]["max"]
        near58[opt] = float((np.sum(np.abs(m - TABLE_3_1_MAX_ERROR) <= 1) + 0.5) / (len(m) + 1))
    score = {opt: float(chis.min() - 2 * np.log(near58[opt])) for opt, chis in chi2_grid.items()}
    best_opt = min(score, key=score.get)
    i = int(np.argmin(chi2_grid[best_opt]))
    # refine σ with a parabola through the grid minimum (chi2 is smooth thanks to common keys)
    sigma = float(sigmas[i])
    if 0 < i < len(sigmas) - 1:
        c = chi2_grid[best_opt][i - 1:i + 2]
        denom = c[0] - 2 * c[1] + c[2]
        if denom > 0:
            step = sigmas[1] - sigmas[0]
            sigma = float(sigmas[i] + 0.5 * step * (c[0] - c[2]) / denom)
    best_stats = stats_grid[best_opt][i]
    qs, p58, p59 = {}, {}, {}
    for opt, chis in chi2_grid.items():
        st = stats_grid[opt][int(np.argmin(chis))]
        qs[opt] = np.quantile(st["max"], [0.1, 0.5, 0.9])
        p58[opt] = float(np.mean(st["max"] >= TABLE_3_1_MAX_ERROR))
        p59[opt] = float(np.mean(st["max"] > 59))
    rs = None
    if score_random_sigma:
        rs = jax.device_get(_random_sigma_stats(jax.random.split(key, replicates), 0.5, 2.0, THESIS_TAU, THETA,
                                                n_per_class=n // 60, w=THESIS_W, derivative=best_opt[0],
                                                restrict=best_opt[1]))
        rs = {k: np.asarray(v) for k, v in rs.items()}
    return Calibration(
        sigma=sigma, derivative=best_opt[0], restrict=best_opt[1], chi2=float(chi2_grid[best_opt][i]),
        grid=sigmas, chi2_grid=chi2_grid,
        mean_at_best={k: float(np.mean(v)) for k, v in best_stats.items()},
        std_at_best={k: float(np.std(v, ddof=1)) for k, v in best_stats.items()},
        max_error_quantiles=qs, p_max_ge_58=p58, p_max_gt_59=p59, p_max_near_58=near58, score=score,
        random_sigma_chi2=chi2_to_table(rs, target) if rs else float("nan"),
        random_sigma_mean={k: float(np.mean(v)) for k, v in rs.items()} if rs else {},
    )


# --------------------------------------------------------------------------- storage

def _option_name(option) -> str:
    return f"{option[0]}|{int(option[1])}"


def _option(name: str) -> tuple[str, bool]:
    derivative, restrict = name.split("|")
    return derivative, bool(int(restrict))


def calibration_arrays(cal: Calibration) -> dict:
    """A :class:`Calibration` as a msgpack-able tree (the (derivative, restrict) keys as strings)."""
    out = cal._asdict()
    for name in ("chi2_grid", "max_error_quantiles", "p_max_ge_58", "p_max_gt_59", "p_max_near_58", "score"):
        out[name] = {_option_name(opt): v for opt, v in out[name].items()}
    out["options"] = [_option_name(opt) for opt in cal.chi2_grid]
    return out


def calibration_from_arrays(arrays: dict) -> Calibration:
    """The :class:`Calibration` stored by :func:`calibration_arrays` (options in their original order)."""
    d = dict(arrays)
    order = d.pop("options")
    for name in ("chi2_grid", "max_error_quantiles", "p_max_ge_58", "p_max_gt_59", "p_max_near_58", "score"):
        d[name] = {_option(o): d[name][o] for o in order}
    d["restrict"] = bool(d["restrict"])
    d["grid"] = np.asarray(d["grid"])
    return Calibration(**d)


def training_tau_l1(x, y, taus: Sequence[float], *, derivative: str = "backward", restrict: bool = True) -> np.ndarray:
    """The baseline's L1 error on ``(x, y)`` for each filter width τ (the thesis picked τ = 2.9 on
    the training set this way, §3.2.3).

    Args:
      x, y: signals and labels (y = t0 − 21).
      taus: the widths tried.
      derivative, restrict: the detector's options (:func:`detect`).

    Returns:
      ``(len(taus),)`` L1 errors.
    """
    return np.asarray([float(baseline_errors(x, y, float(t), derivative=derivative, restrict=restrict)["L1"])
                       for t in taus])
