"""The jump study's training protocol: K seeds of one network at once, early stopping, caching.

Thesis protocol (§3.3.1, digest §0, §8.4–8.5): plain SGD, no momentum, learning rate 0.01,
batch 100, softmax cross-entropy, evaluation every epoch on the validation set, the parameters of
the minimum validation loss kept. Seeds differ in initialisation and batch order; the data are the
same for all. A :class:`JumpRun` is stored as arrays (:func:`run_arrays`, :func:`run_from_arrays`)
so that a fingerprinted cache (``jaxprobe.report.RunCache``) can keep it between runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation
from jaxprobe.models import Network, glorot_init_stacked
from jaxprobe.probes.activations import predict_stacked
from jaxprobe.studies.jumps.errors import bootstrap_error_std, error_stats
from jaxprobe.studies.jumps.networks import jump_network
from jaxprobe.train import fit


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """SGD steps in one epoch: ``n_train // batch_size`` (120 for the thesis's 12000 and 100).

    Args:
      n_train: training-set size.
      batch_size: examples per step.

    Returns:
      The number of full batches (``fit`` drops the remainder).

    Raises:
      ValueError: when ``batch_size`` is not a positive integer or exceeds ``n_train``.

    >>> steps_per_epoch(12000, 100), steps_per_epoch(1200, 100)
    (120, 12)
    """
    validation.check_positive("batch_size", batch_size, integer=True)
    if batch_size > n_train:
        raise ValueError(f"batch_size={batch_size} is larger than the training set ({n_train}); "
                         f"use batch_size <= {n_train}.")
    return int(n_train) // int(batch_size)


@dataclass(frozen=True)
class Budget:
    """How long and how many: seeds trained at once, epoch budget, early-stopping patience.

    Args:
      n_seeds: K models trained at once (``fit(stacked=True)``).
      max_epochs: the epoch budget.
      patience: epochs without a lower validation loss before stopping.
      learning_rate: plain SGD step (0.01 in the thesis).
      batch_size: examples per step (100 in the thesis).
    """

    n_seeds: int
    max_epochs: int
    patience: int
    learning_rate: float = 0.01
    batch_size: int = 100


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
    boot: dict = field(default_factory=dict)   # bootstrap std of each error figure (test-set spread)
    convergence: dict = field(default_factory=dict)   # {'epoch': (K,), 'reason': (K,)}: see converge_seeds

    def summary(self) -> dict:
        """``{statistic: (mean, std)}`` over the seeds."""
        return {k: (float(np.mean(v)), float(np.std(v))) for k, v in self.stats.items()}


#: ``glorot_init_stacked`` compiled once per network (bit-identical to the eager call).
initial_params = jax.jit(glorot_init_stacked, static_argnums=0)


def _seed_keys(name: str, seed: int, salt: int):
    return jax.random.fold_in(jax.random.key(seed), sum(map(ord, name)) * 7919 + salt)


def test_stats(net: Network, params, splits) -> tuple[np.ndarray, dict]:
    """Predicted test labels (K, N) of stacked ``params`` and their error statistics (each (K,))."""
    pred = predict_stacked(net, params, splits.test_x)
    stats = {k: np.asarray(v) for k, v in error_stats(pred, np.asarray(splits.test_y)[None, :]).items()}
    return pred, stats


def train_seeds(name: str, splits, *, n_seeds: int = 5, max_epochs: int = 400, patience: int = 30,
                seed: int = 0, conv_activation: str = "linear", learning_rate: float = 0.01,
                batch_size: int = 100, progress: bool = False) -> JumpRun:
    """Trains ``n_seeds`` copies of :func:`jump_network` ``name`` at once (``fit(stacked=True)``).

    Args:
      name: a :func:`jump_network` name.
      splits: ``jaxprobe.data.jumps.JumpSplits`` (train, valid, test).
      n_seeds, max_epochs, patience, learning_rate, batch_size: see :class:`Budget`.
      seed: base seed; the keys are folded with the network's name.
      conv_activation: the CNNs' conv activation.
      progress: show a progress bar.

    Returns:
      A :class:`JumpRun` with test-set error statistics.
    """
    net = jump_network(name, conv_activation)
    k_init, k_train = jax.random.split(_seed_keys(name, seed, len(name)))
    params = initial_params(net, jax.random.split(k_init, n_seeds))
    t0 = time.perf_counter()
    per_epoch = steps_per_epoch(len(splits.train_x), batch_size)
    res = fit(net, params, (splits.train_x, splits.train_y), key=jax.random.split(k_train, n_seeds),
              optimizer=None, learning_rate=learning_rate, batch_size=batch_size, epochs=max_epochs,
              valid=(splits.valid_x, splits.valid_y), patience=patience, progress=progress, stacked=True)
    pred, stats = test_stats(net, res.best_params, splits)
    history = dict(res.history)
    history["epoch"] = np.asarray(history["step"]) / per_epoch
    return JumpRun(name=name, net=net, params=res.best_params, best_epoch=np.asarray(res.best_step) / per_epoch,
                   history=history, stats=stats, test_pred=pred, wall=time.perf_counter() - t0,
                   epochs_run=int(res.steps_done // per_epoch), max_epochs=max_epochs)


def continue_seeds(run: JumpRun, splits, *, extra_epochs: int, patience: int = 40, seed: int = 0,
                   learning_rate: float = 0.01, batch_size: int = 100, progress: bool = False, segment: int = 0,
                   frozen=None) -> JumpRun:
    """Extends a run whose validation loss was still falling at the end of its epoch budget.

    Plain SGD has no optimiser state, so training simply resumes from each seed's best parameters
    for up to ``extra_epochs`` more epochs (fresh batch orders), with early stopping; a seed keeps
    its new parameters only where they reach a lower validation loss than before.

    Args:
      run: the run to extend.
      splits: the data it was trained on.
      extra_epochs: the additional budget.
      patience, seed, learning_rate, batch_size, progress: as in :func:`train_seeds`.
      segment: which continuation this is (0: the first; each draws its own batch orders).
      frozen: (K,) bools, seeds whose parameters are kept whatever happens (converged earlier); they
        are still trained in the stack, but their results are not taken. None: no seed is frozen.

    Returns:
      A new :class:`JumpRun` (history concatenated, ``max_epochs`` increased).
    """
    per_epoch = steps_per_epoch(len(splits.train_x), batch_size)
    n_seeds = len(run.best_epoch)
    t0 = time.perf_counter()
    res = fit(run.net, run.params, (splits.train_x, splits.train_y),
              key=jax.random.split(_seed_keys(run.name, seed, 104729 + 7 * int(segment)), n_seeds),
              learning_rate=learning_rate, batch_size=batch_size, epochs=extra_epochs,
              valid=(splits.valid_x, splits.valid_y), patience=patience, progress=progress, stacked=True)
    old_best = np.min(np.atleast_2d(np.asarray(run.history["valid_loss"]).reshape(len(run.history["step"]), -1)), axis=0)
    new_best = np.min(np.asarray(res.history["valid_loss"]).reshape(len(res.history["step"]), -1), axis=0)
    better = (new_best < old_best) & ~(np.zeros(n_seeds, bool) if frozen is None else np.asarray(frozen, bool))
    pick = lambda new, old: jnp.where(jnp.asarray(better).reshape((-1,) + (1,) * (new.ndim - 1)), new, old)
    params = jax.tree.map(pick, res.best_params, run.params)
    best_epoch = np.where(better, run.best_epoch + np.asarray(res.best_step) / per_epoch, run.best_epoch)
    pred, stats = test_stats(run.net, params, splits)
    history = {k: np.concatenate([np.asarray(run.history[k]), np.asarray(res.history[k])])
               for k in ("step", "train_loss", "valid_loss", "valid_accuracy")}
    history["epoch"] = np.concatenate([np.asarray(run.history["epoch"]),
                                       run.epochs_run + np.asarray(res.history["step"]) / per_epoch])
    return JumpRun(name=run.name, net=run.net, params=params, best_epoch=best_epoch, history=history, stats=stats,
                   test_pred=pred, wall=run.wall + time.perf_counter() - t0,
                   epochs_run=run.epochs_run + int(res.steps_done // per_epoch),
                   max_epochs=run.max_epochs + extra_epochs, convergence=dict(run.convergence))


def needs_extension(run: JumpRun, patience: int) -> bool:
    """Did some seed's best epoch fall within ``patience // 2`` of the budget's end (still improving)?"""
    return bool(np.max(run.best_epoch) >= run.max_epochs - patience // 2)


# --------------------------------------------------------------------------- convergence

#: Why a seed stopped (``run.convergence['reason']``): its validation loss had no new minimum for
#: ``patience`` epochs; a whole segment lowered its best validation loss by less than ``rel_tol``;
#: the epoch cap came first (not converged).
PATIENCE, PLATEAU, CAP = 0, 1, 2
REASONS = {PATIENCE: "early stopping", PLATEAU: "plateau", CAP: "cap (not converged)"}


@dataclass(frozen=True)
class ConvergenceRule:
    """Training to convergence (the bottlenecks of Ch. 4, issue 16), declared before any run.

    After the budget's first ``Budget.max_epochs`` epochs, a run some of whose seeds are still
    improving continues from each seed's best parameters in segments of ``segment_epochs``
    (:func:`continue_seeds`, same early stopping) until every seed has converged or the run
    reaches ``max_epochs``. A seed has converged once either holds:

    * early stopping: ``patience`` epochs without a new minimum of its validation loss
      (its convergence epoch: its best epoch + ``patience``, the first epoch at which the rule held);
    * plateau: a whole segment lowered its lowest validation loss by less than ``rel_tol``
      (relative; its convergence epoch: the segment's end).

    A converged seed keeps its parameters (it is still trained in the stack, its results unused).

    Args:
      segment_epochs: epochs per continuation (the first is the old single extension).
      max_epochs: the cap on all epochs, the first budget included.
      rel_tol: the plateau's relative improvement per segment.
    """

    segment_epochs: int = 1000
    max_epochs: int = 4500
    rel_tol: float = 0.01


def still_improving(run: JumpRun, patience: int) -> np.ndarray:
    """(K,) bools: seeds whose best epoch lies within ``patience`` epochs of the end of the run.

    >>> run = JumpRun("x", None, (), np.array([10.0, 480.0]), {}, {}, np.zeros((2, 1)), 0.0, 500, 500)
    >>> still_improving(run, 40).tolist()
    [False, True]
    """
    return np.asarray(run.best_epoch) > run.epochs_run - patience


def _segment(cache, run: JumpRun, splits, budget: Budget, rule: ConvergenceRule, index: int, frozen, *, seed: int,
             progress: bool) -> tuple[JumpRun, bool]:
    """Continuation ``index`` of ``run`` through the cache (index 0 is :func:`extended_run`, unchanged)."""
    extra = min(rule.segment_epochs, rule.max_epochs - run.max_epochs)
    if index == 0:
        return extended_run(cache, run, splits, budget, extra, seed=seed, progress=progress)
    tag = f"{run.name}_segment{index}"
    config = {"run": tag, **_data_config(splits), "budget": vars(budget), "rule": vars(rule), "seed": seed,
              "start": run.max_epochs, "frozen": np.asarray(frozen, bool).tolist()}
    cached = cache.path(tag, config).is_file()
    arrays = cache.get(tag, config, lambda: run_arrays(continue_seeds(
        run, splits, extra_epochs=extra, patience=budget.patience, seed=seed, learning_rate=budget.learning_rate,
        batch_size=budget.batch_size, progress=progress, segment=index, frozen=frozen)))
    return run_from_arrays(arrays), cached


def converge_seeds(cache, run: JumpRun, splits, budget: Budget, rule: ConvergenceRule, *, seed: int = 0,
                   progress: bool = False) -> tuple[JumpRun, Optional[JumpRun], bool]:
    """Trains ``run`` (after its first budget) to convergence under ``rule``; records each seed's epochs.

    Args:
      cache: a ``jaxprobe.report.RunCache`` (each continuation is kept).
      run: the run after its first :class:`Budget` (:func:`trained_run`).
      splits, budget, seed, progress: as in :func:`trained_run`.
      rule: the :class:`ConvergenceRule`.

    Returns:
      ``(run, first_extension, cached)``: the converged run, with ``run.convergence`` =
      ``{'epoch': (K,) epochs until each seed converged (nan: cap), 'reason': (K,) codes of
      REASONS}``; the run after the first continuation only (the protocol before issue 16: one
      extension of ``rule.segment_epochs``), or None when no seed needed a continuation; whether
      every continuation came from the cache.
    """
    n = len(run.best_epoch)
    epoch, reason = np.full(n, np.nan), np.full(n, CAP)
    improving = still_improving(run, budget.patience)
    done = ~improving
    epoch[done], reason[done] = run.best_epoch[done] + budget.patience, PATIENCE
    first, all_cached, index = None, True, 0
    while not done.all() and run.max_epochs < rule.max_epochs:
        new, hit = _segment(cache, run, splits, budget, rule, index, done.copy() if index else None, seed=seed,
                            progress=progress)
        all_cached &= hit
        stopped = new.epochs_run < new.max_epochs   # early stopping ended the segment: every seed stalled
        old_min, new_min = min_valid_loss(run), min_valid_loss(new)
        stalled = ~still_improving(new, budget.patience) | stopped
        flat = (old_min - new_min) < rule.rel_tol * np.abs(old_min)
        if index == 0:   # nothing was frozen in the first continuation: every seed is judged again
            done[:] = False
        for mask, why, when in ((~done & stalled, PATIENCE, new.best_epoch + budget.patience),
                                (~done & ~stalled & flat, PLATEAU, np.full(n, float(new.epochs_run)))):
            epoch[mask], reason[mask] = np.minimum(when, new.epochs_run)[mask], why
            done |= mask
        first = new if index == 0 else first
        run, index = new, index + 1
    epoch[~done], reason[~done] = np.nan, CAP
    run.convergence = {"epoch": epoch, "reason": reason}
    return run, first, all_cached and index > 0


# --------------------------------------------------------------------------- storage

_RUN_FIELDS = ("name", "best_epoch", "history", "stats", "test_pred", "wall", "epochs_run", "max_epochs")


def run_arrays(run: JumpRun) -> dict:
    """A :class:`JumpRun` as a tree of arrays, numbers and strings (msgpack-able; no network object).

    Args:
      run: the run.

    Returns:
      ``{'name', 'conv_activation', 'params', 'best_epoch', 'history', 'stats', 'test_pred', 'wall',
      'epochs_run', 'max_epochs', 'convergence'}``; :func:`run_from_arrays` rebuilds the run (the bootstrap std
      ``boot`` is not stored: it is recomputed from ``test_pred``).
    """
    out = {k: getattr(run, k) for k in _RUN_FIELDS}
    out["history"] = {k: np.asarray(v) for k, v in run.history.items()}
    out["stats"] = {k: np.asarray(v) for k, v in run.stats.items()}
    out["best_epoch"] = np.asarray(run.best_epoch)
    out["test_pred"] = np.asarray(run.test_pred)
    out["params"] = [{k: np.asarray(v) for k, v in layer.items()} for layer in run.params]
    out["conv_activation"] = _conv_activation(run.net)
    out["convergence"] = {k: np.asarray(v) for k, v in run.convergence.items()}
    return out


def _conv_activation(net: Network) -> str:
    conv = [s.activation for s in net.stages if s.kind == "conv"]
    return conv[0] if conv else "linear"


def run_from_arrays(arrays: dict) -> JumpRun:
    """The :class:`JumpRun` stored by :func:`run_arrays` (the network is rebuilt from its name)."""
    params = tuple({k: jnp.asarray(v) for k, v in layer.items()} for layer in arrays["params"])
    return JumpRun(name=arrays["name"], net=jump_network(arrays["name"], arrays["conv_activation"]), params=params,
                   best_epoch=np.asarray(arrays["best_epoch"]),
                   history={k: np.asarray(v) for k, v in arrays["history"].items()},
                   stats={k: np.asarray(v) for k, v in arrays["stats"].items()},
                   test_pred=np.asarray(arrays["test_pred"]), wall=float(arrays["wall"]),
                   epochs_run=int(arrays["epochs_run"]), max_epochs=int(arrays["max_epochs"]),
                   convergence={k: np.asarray(v) for k, v in arrays.get("convergence", {}).items()})


def _data_config(splits) -> dict:
    return {"sigma": float(splits.sigma), "theta": float(splits.theta),
            "sizes": [len(splits.train_x), len(splits.valid_x), len(splits.test_x), len(splits.analysis_x)]}


def trained_run(cache, name: str, splits, budget: Budget, *, seed: int = 0, conv_activation: str = "linear",
                progress: bool = False) -> tuple[JumpRun, bool]:
    """:func:`train_seeds` through a run cache.

    Args:
      cache: a ``jaxprobe.report.RunCache`` (anything with its ``path`` and ``get``).
      name, splits, seed, conv_activation, progress: as in :func:`train_seeds`.
      budget: the :class:`Budget`.

    Returns:
      ``(run, cached)``: the run and whether it came from the cache.
    """
    tag = f"{name}_{conv_activation}" if name.startswith("cnn") else name
    config = {"run": tag, **_data_config(splits), "budget": vars(budget), "seed": seed}
    cached = cache.path(tag, config).is_file()
    arrays = cache.get(tag, config, lambda: run_arrays(train_seeds(
        name, splits, n_seeds=budget.n_seeds, max_epochs=budget.max_epochs, patience=budget.patience, seed=seed,
        conv_activation=conv_activation, learning_rate=budget.learning_rate, batch_size=budget.batch_size,
        progress=progress)))
    return run_from_arrays(arrays), cached


def extended_run(cache, run: JumpRun, splits, budget: Budget, extra_epochs: int, *, seed: int = 0,
                 progress: bool = False) -> tuple[JumpRun, bool]:
    """:func:`continue_seeds` through a run cache; returns ``(run, cached)``."""
    tag = f"{run.name}_extended"
    config = {"run": tag, **_data_config(splits), "budget": vars(budget), "extra_epochs": extra_epochs,
              "seed": seed}
    cached = cache.path(tag, config).is_file()
    arrays = cache.get(tag, config, lambda: run_arrays(continue_seeds(
        run, splits, extra_epochs=extra_epochs, patience=budget.patience, seed=seed,
        learning_rate=budget.learning_rate, batch_size=budget.batch_size, progress=progress)))
    return run_from_arrays(arrays), cached


def training_plan(nets: Sequence[str], conv_acts: Sequence[str], ps: Sequence[int]) -> list[tuple[str, str]]:
    """``(name, conv activation)`` of every run: MLPs, CNNs per activation, shallow then deep bottlenecks.

    >>> training_plan(("mlp1", "cnn1"), ("linear", "relu"), (2,))
    [('mlp1', 'linear'), ('cnn1', 'linear'), ('cnn1', 'relu'), ('shallow2', 'linear'), ('deep2', 'linear')]
    """
    plan = [(n, "linear") for n in nets if not n.startswith("cnn")]
    plan += [(n, a) for a in conv_acts for n in nets if n.startswith("cnn")]
    return plan + [(f"{kind}{p}", "linear") for kind in ("shallow", "deep") for p in ps]


def train_plan(cache, plan, splits, budget: Budget, *, extend_epochs: int = 0, seed: int = 0,
               progress: bool = False, rule: Optional[ConvergenceRule] = None,
               before_rule: Optional[dict] = None) -> tuple[dict, list[str], set]:
    """Every run of ``plan`` (:func:`trained_run`), bottlenecks still improving extended.

    Args:
      cache: a ``jaxprobe.report.RunCache``.
      plan: :func:`training_plan`'s list.
      splits, budget, seed, progress: as in :func:`trained_run`.
      extend_epochs: extra budget for a bottleneck whose best epoch is near the end (0: none).
      rule: a :class:`ConvergenceRule` for the bottlenecks (:func:`converge_seeds`; it replaces
        ``extend_epochs``); None: the single extension above.
      before_rule: a dict that receives, for every bottleneck a ``rule`` continued, the run the
        protocol before it gave (the single extension of ``rule.segment_epochs`` where
        :func:`needs_extension`, else the first budget), with its bootstrap std; None: not kept.

    Returns:
      ``(runs, extended, cached)``: ``{key: JumpRun}`` (CNN keys carry the activation,
      ``'cnn1_linear'``), with the test-set bootstrap std in ``run.boot``; the names extended;
      the keys that came from the cache.
    """
    runs, extended, cached = {}, [], set()
    test_y = np.asarray(splits.test_y)
    for name, act in plan:
        run, hit = trained_run(cache, name, splits, budget, seed=seed, conv_activation=act, progress=progress)
        bottleneck = name.startswith(("shallow", "deep"))
        if rule is not None and bottleneck:
            first_run = run
            run, first, seg_hit = converge_seeds(cache, run, splits, budget, rule, seed=seed, progress=progress)
            if run.max_epochs > budget.max_epochs:
                extended.append(name)
                hit = hit and seg_hit
                if before_rule is not None:
                    old = first if needs_extension(first_run, budget.patience) else first_run
                    old.boot = bootstrap_error_std(old.test_pred, test_y)
                    before_rule[name] = old
        elif extend_epochs and bottleneck and needs_extension(run, budget.patience):
            run, hit = extended_run(cache, run, splits, budget, extend_epochs, seed=seed, progress=progress)
            extended.append(name)
        key = f"{name}_{act}" if name.startswith("cnn") else name
        run.boot = bootstrap_error_std(run.test_pred, test_y)
        runs[key] = run
        if hit:
            cached.add(key)
    return runs, extended, cached


def long_run(splits, *, epochs: int, every: int, seed: int = 0, batch_size: int = 100,
             progress: bool = False) -> dict:
    """Fig. 3.9: one 2-layer MLP trained for ``epochs`` epochs without early stopping.

    Args:
      splits: the data.
      epochs: the whole run (the thesis's curve goes beyond 1400 epochs).
      every: epochs between snapshots at which the training error is measured.
      seed: keys ``seed + 101`` (initialisation) and ``seed + 102`` (batch order).
      batch_size: examples per step.
      progress: show a progress bar.

    Returns:
      ``{'epoch', 'train_loss', 'valid_loss', 'valid_acc'}`` per evaluation and
      ``{'snap_epoch', 'train_err'}`` per snapshot, all arrays.
    """
    net = jump_network("mlp2")
    per_epoch = steps_per_epoch(len(splits.train_x), batch_size)
    p0 = glorot_init_stacked(net, jax.random.split(jax.random.key(seed + 101), 1))
    res = fit(net, p0, (splits.train_x, splits.train_y), key=jax.random.split(jax.random.key(seed + 102), 1),
              batch_size=batch_size, epochs=epochs, valid=(splits.valid_x, splits.valid_y), stacked=True,
              progress=progress,
              snapshot_steps=tuple(range(every * per_epoch, epochs * per_epoch + 1, every * per_epoch)))
    snap_e, tr_err = [], []
    for st, p in sorted(res.snapshots.items()):
        pred = predict_stacked(net, p, splits.train_x)[0]
        snap_e.append(st / per_epoch)
        tr_err.append(float(np.mean(pred != np.asarray(splits.train_y))))
    return {"epoch": np.asarray(res.history["step"]) / per_epoch,
            "train_loss": np.asarray(res.history["train_loss"]).ravel(),
            "valid_loss": np.asarray(res.history["valid_loss"]).ravel(),
            "valid_acc": np.asarray(res.history["valid_accuracy"]).ravel(),
            "snap_epoch": np.asarray(snap_e), "train_err": np.asarray(tr_err)}


def min_valid_loss(run: JumpRun) -> np.ndarray:
    """(K,) each seed's lowest validation loss (the loss its early-stopped parameters reach)."""
    loss = np.asarray(run.history["valid_loss"])
    return loss.reshape(len(loss), -1).min(axis=0)


def choose_conv_activation(runs: dict, activations) -> tuple[str, dict]:
    """The conv activation whose CNNs reach the lower validation loss (the thesis does not state it).

    A criterion independent of the thesis's tables: the mean over the CNNs trained (``cnn1``,
    ``cnn1k5``, ``cnn2``, ``cnn3``) of their seeds' lowest validation loss.

    Args:
      runs: ``{'cnn1_linear': JumpRun, …}``.
      activations: the activations tried.

    Returns:
      ``(best, {activation: mean lowest validation loss})`` over the activations with a trained CNN.

    Raises:
      ValueError: when no CNN of any of the activations was trained.
    """
    names = ("cnn1", "cnn1k5", "cnn2", "cnn3")
    scores = {a: float(np.mean([min_valid_loss(runs[f"{n}_{a}"]).mean() for n in names if f"{n}_{a}" in runs]))
              for a in activations if any(f"{n}_{a}" in runs for n in names)}
    if not scores:
        raise ValueError(f"no CNN run for the activations {tuple(activations)}; train e.g. 'cnn1_linear'.")
    return min(scores, key=scores.get), scores


def initial_run(run: JumpRun, splits, *, seed: int = 0) -> JumpRun:
    """The same K networks before training: the Glorot parameters :func:`train_seeds` starts from.

    The negative control of the claims about trained networks (issue 18): every measure and
    criterion is run on it as on the trained run.

    Args:
      run: a trained run (its name, network and number of seeds are used).
      splits: the data (test figures of the untrained networks).
      seed: the seed ``run`` was trained with.

    Returns:
      A :class:`JumpRun` with the initial parameters, test figures, ``best_epoch`` 0 and no history.
    """
    k_init, _ = jax.random.split(_seed_keys(run.name, seed, len(run.name)))
    params = initial_params(run.net, jax.random.split(k_init, len(run.best_epoch)))
    pred, stats = test_stats(run.net, params, splits)
    return JumpRun(name=run.name, net=run.net, params=params, best_epoch=np.zeros(len(run.best_epoch)), history={},
                   stats=stats, test_pred=pred, wall=0.0, epochs_run=0, max_epochs=0)
