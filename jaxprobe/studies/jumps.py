"""Study: the jump-detection chapters of seed 001 (Chen 2017, Ch. 3–4).

Error statistics of §3.2.3 (L1, L2 and their "99 percentile" versions), the smoothed-derivative
template of Fig. 3.16 and the sign/shape tests that turn the thesis's qualitative claims into
numbers; the thesis's networks (§3.3, §3.4, §4.2) and a stacked-seed training wrapper around
``jaxprobe.train.fit``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe.models import Network, cnn1d, glorot_init_stacked, mlp
from jaxprobe.probes.activations import predict_stacked
from jaxprobe.train import fit

ERROR_KEYS = ("L1", "L2", "L1_99", "L2_99")


def error_stats(pred, true, keep: float = 0.99) -> dict[str, jax.Array]:
    """L1 (MAE), L2 (RMSE) and both on the ``keep`` fraction with lowest |error|, plus the max.

    ``pred``/``true`` are positions or labels (only their difference matters), shape ``(..., N)``;
    leading axes are kept, so stacked seeds give one number per seed.  The "99 percentile"
    keeps ``floor(keep·N)`` samples (5940 of 6000), as in digest §8.8.
    """
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep!r}; the thesis uses keep=0.99.")
    err = jnp.abs(jnp.asarray(pred).astype(jnp.float32) - jnp.asarray(true).astype(jnp.float32))
    n = err.shape[-1]
    m = int(np.floor(keep * n + 1e-9))
    low = jnp.sort(err, axis=-1)[..., :m]
    return {
        "L1": err.mean(-1),
        "L2": jnp.sqrt((err ** 2).mean(-1)),
        "L1_99": low.mean(-1),
        "L2_99": jnp.sqrt((low ** 2).mean(-1)),
        "max": err.max(-1),
    }


def error_histogram(pred, true, max_error: int | None = None) -> np.ndarray:
    """Counts of |error| = 0, 1, 2, … (length ``max_error+1``; default: up to the largest error)."""
    err = np.abs(np.asarray(pred, np.int64) - np.asarray(true, np.int64)).ravel()
    top = int(err.max()) if max_error is None else int(max_error)
    return np.bincount(np.minimum(err, top), minlength=top + 1)








def derivative_template(n: int, center: int, tau: float) -> np.ndarray:
    """Gaussian-smoothed first-derivative filter as a weight column (Fig. 3.15/3.16d).

    The logit of class "jump at 0-based index ``center``" of a 1-layer network is Σ_i w_i x_i; a
    smoothed derivative at the jump is ``w_i ∝ g'(i − (center − ½))``, i.e. a negative lobe
    before the jump and a positive one after it, antisymmetric about ``center − ½``.
    Unit L2 norm, length ``n``.
    """
    u = np.arange(n) - (center - 0.5)
    w = u * np.exp(-0.5 * (u / tau) ** 2)
    return w / np.linalg.norm(w)


def best_template_correlation(column, center: int,
                              taus: Sequence[float] = tuple(np.arange(0.5, 8.01, 0.25)),
                              shifts: Sequence[int] = (-1, 0, 1)):
    """Max Pearson correlation of ``column`` with :func:`derivative_template`.

    Searched over widths τ and shifts of the centre (0-based index of the first high sample);
    returns ``(corr, tau, shift)``.
    """
    column = np.asarray(column, np.float64).ravel()
    best = (-np.inf, float("nan"), 0)
    for tau in taus:
        for shift in shifts:
            r = np.corrcoef(column, derivative_template(column.size, center + shift, tau))[0, 1]
            if r > best[0]:
                best = (float(r), float(tau), int(shift))
    return best


def sign_summary(filt) -> dict[str, float]:
    """Sign structure of a (conv) filter: fractions of positive/negative taps by mass.

    ``one_signed`` is True when the minority sign carries < 10 % of the total |weight|.
    """
    w = np.asarray(filt, np.float64).ravel()
    pos, neg = w[w > 0].sum(), -w[w < 0].sum()
    tot = pos + neg if pos + neg > 0 else 1.0
    minority = min(pos, neg) / tot
    return {"pos_mass": float(pos / tot), "neg_mass": float(neg / tot),
            "minority_mass": float(minority), "one_signed": bool(minority < 0.10),
            "n_pos": int((w > 0).sum()), "n_neg": int((w < 0).sum())}








# =========================================================================== networks

N_CLASSES = 60
LENGTH = 100


def jump_network(name: str, conv_activation: str = "linear") -> Network:
    """The thesis's networks by name.

    ``mlp1`` (100→60, the "1-layer NN"), ``mlp2`` 100-100-60, ``mlp3``, ``mlp4``;
    ``cnn1`` (one conv, length 7), ``cnn1k5`` (length 5, Fig. 3.19), ``cnn2`` (5, 9),
    ``cnn3`` (5, 7, 9) — one filter per conv layer, same padding, then dense 100→60;
    ``shallow{p}`` 100-p-60 and ``deep{p}`` 100-25-p-25-60.
    """
    if name.startswith("mlp") and name[3:].isdigit():
        depth = int(name[3:])
        return mlp([LENGTH] + [100] * (depth - 1) + [N_CLASSES])
    kernels = {"cnn1": (7,), "cnn1k5": (5,), "cnn2": (5, 9), "cnn3": (5, 7, 9)}
    if name in kernels:
        return cnn1d(LENGTH, kernels[name], N_CLASSES, channels=1, conv_activation=conv_activation)
    if name.startswith("shallow") and name[7:].isdigit():
        return mlp([LENGTH, int(name[7:]), N_CLASSES])
    if name.startswith("deep") and name[4:].isdigit():
        return mlp([LENGTH, 25, int(name[4:]), 25, N_CLASSES])
    raise ValueError(f"name={name!r} is not a jump network; use mlp1..mlp4, cnn1, cnn1k5, cnn2, cnn3, "
                     f"shallow<p> or deep<p>.")






_JITTED: dict = {}








@dataclass
class JumpRun:
    """K stacked seeds of one network, early-stopped at the minimum validation loss."""

    name: str
    net: Network
    params: tuple            # best (early-stopped) params, stacked (K, ...)
    best_epoch: np.ndarray   # (K,)
    history: dict            # fit's history; 'epoch' added
    stats: dict              # error stats on the test set, each (K,)
    test_pred: np.ndarray    # (K, N) predicted labels
    wall: float              # seconds (training + test evaluation)
    epochs_run: int
    max_epochs: int

    def summary(self) -> dict:
        return {k: (float(np.mean(v)), float(np.std(v))) for k, v in self.stats.items()}


def train_seeds(name: str, splits, *, n_seeds: int = 5, max_epochs: int = 400, patience: int = 30,
                seed: int = 0, conv_activation: str = "linear", learning_rate: float = 0.01,
                batch_size: int = 100, progress: bool = False, snapshot_epochs=()) -> JumpRun:
    """Trains ``n_seeds`` copies of :func:`jump_network` ``name`` at once (``fit(stacked=True)``).

    Thesis protocol: plain SGD lr 0.01, batch 100, softmax cross-entropy, evaluation every epoch
    on the validation set, parameters of the minimum validation loss kept (early stopping with
    ``patience`` epochs, a budget of ``max_epochs``).  Seeds differ in initialisation and batch order;
    the data are the same for all.  Returns a :class:`JumpRun` with test-set error statistics.
    """
    net = jump_network(name, conv_activation)
    base = jax.random.fold_in(jax.random.key(seed), sum(map(ord, name)) * 7919 + len(name))
    k_init, k_train = jax.random.split(base)
    params = glorot_init_stacked(net, jax.random.split(k_init, n_seeds))
    t0 = time.perf_counter()
    per_epoch = len(splits.train_x) // batch_size
    res = fit(net, params, (splits.train_x, splits.train_y), key=jax.random.split(k_train, n_seeds),
              optimizer=None, learning_rate=learning_rate, batch_size=batch_size, epochs=max_epochs,
              valid=(splits.valid_x, splits.valid_y), patience=patience, progress=progress, stacked=True,
              snapshot_steps=tuple(int(e) * per_epoch for e in snapshot_epochs))
    pred = predict_stacked(net, res.best_params, splits.test_x)
    wall = time.perf_counter() - t0
    stats = {k: np.asarray(v) for k, v in error_stats(pred, np.asarray(splits.test_y)[None, :]).items()}
    history = dict(res.history)
    history["epoch"] = np.asarray(history["step"]) / per_epoch
    run = JumpRun(name=name, net=net, params=res.best_params, best_epoch=np.asarray(res.best_step) / per_epoch,
                  history=history, stats=stats, test_pred=pred, wall=wall,
                  epochs_run=int(res.steps_done // per_epoch), max_epochs=max_epochs)
    run.snapshots = res.snapshots
    return run


def continue_seeds(run: JumpRun, splits, *, extra_epochs: int, patience: int = 40, seed: int = 0,
                   learning_rate: float = 0.01, batch_size: int = 100, progress: bool = False) -> JumpRun:
    """Extends a run whose validation loss was still falling at the end of its epoch budget.

    Plain SGD has no optimiser state, so training simply resumes from each seed's best parameters
    for up to ``extra_epochs`` more epochs (fresh batch orders), with early stopping; a seed keeps
    its new parameters only where they reach a lower validation loss than before.
    """
    per_epoch = len(splits.train_x) // batch_size
    base = jax.random.fold_in(jax.random.key(seed), sum(map(ord, run.name)) * 7919 + 104729)
    n_seeds = len(run.best_epoch)
    t0 = time.perf_counter()
    res = fit(run.net, run.params, (splits.train_x, splits.train_y), key=jax.random.split(base, n_seeds),
              learning_rate=learning_rate, batch_size=batch_size, epochs=extra_epochs,
              valid=(splits.valid_x, splits.valid_y), patience=patience, progress=progress, stacked=True)
    old_best = np.min(np.atleast_2d(np.asarray(run.history["valid_loss"]).reshape(len(run.history["step"]), -1)), axis=0)
    new_best = np.min(np.asarray(res.history["valid_loss"]).reshape(len(res.history["step"]), -1), axis=0)
    better = new_best < old_best
    pick = lambda new, old: jnp.where(jnp.asarray(better).reshape((-1,) + (1,) * (new.ndim - 1)), new, old)
    params = jax.tree.map(pick, res.best_params, run.params)
    best_epoch = np.where(better, run.best_epoch + np.asarray(res.best_step) / per_epoch, run.best_epoch)
    pred = predict_stacked(run.net, params, splits.test_x)
    stats = {k: np.asarray(v) for k, v in error_stats(pred, np.asarray(splits.test_y)[None, :]).items()}
    history = {k: np.concatenate([np.asarray(run.history[k]), np.asarray(res.history[k])])
               for k in ("step", "train_loss", "valid_loss", "valid_accuracy")}
    history["epoch"] = np.concatenate([np.asarray(run.history["epoch"]),
                                       run.epochs_run + np.asarray(res.history["step"]) / per_epoch])
    out = JumpRun(name=run.name, net=run.net, params=params, best_epoch=best_epoch, history=history, stats=stats,
                  test_pred=pred, wall=run.wall + time.perf_counter() - t0,
                  epochs_run=run.epochs_run + int(res.steps_done // per_epoch),
                  max_epochs=run.max_epochs + extra_epochs)
    out.snapshots = {}
    return out


def bootstrap_error_std(pred, true, n_boot: int = 200, seed: int = 0, keep: float = 0.99) -> dict:
    """Std of each error statistic under resampling of the test set (with replacement).

    ``pred`` (K, N) or (N,), ``true`` (N,).  Returns ``{key: std}`` averaged over the K models —
    how much a figure would move with another test set of the same size, on top of the seed spread.
    """
    pred = np.atleast_2d(np.asarray(pred))
    err = np.abs(pred - np.asarray(true)[None, :]).astype(np.float64)
    n = err.shape[1]
    m = int(np.floor(keep * n + 1e-9))
    idx = np.random.default_rng(seed).integers(0, n, (n_boot, n))
    out = {k: [] for k in ERROR_KEYS}
    for e in err:
        b = np.sort(e[idx], axis=1)
        out["L1"].append(b.mean(1).std())
        out["L2"].append(np.sqrt((b ** 2).mean(1)).std())
        out["L1_99"].append(b[:, :m].mean(1).std())
        out["L2_99"].append(np.sqrt((b[:, :m] ** 2).mean(1)).std())
    return {k: float(np.mean(v)) for k, v in out.items()}
