"""One training loop: optax, jit-compiled scans of SGD steps, early stopping, snapshots, checkpoints.

``fit`` trains one model, or K models at once (``stacked=True``: parameters from
``Network.init_stacked`` and one key per model, vmapped; each model equals its separate run).

- Batches: epoch e is a permutation of the training set drawn from ``fold_in(key, e)``; step t
  takes batch ``t mod steps_per_epoch`` of epoch ``t // steps_per_epoch`` (the last partial
  batch is dropped). The schedule depends only on the key and the step, so a resumed run sees
  exactly the batches the uninterrupted run would have seen.
- Evaluation every ``eval_every`` steps (default one epoch) on the validation set; early stopping
  keeps the parameters of the lowest validation loss and stops after ``patience`` evaluations
  without improvement (for every model, when stacked).
- ``snapshot_steps``: copies of the parameters at those steps (step 0 = the initial parameters),
  for probing a network during training (seed 000 Fig. 4–6).
- ``checkpoint_dir``: the whole training state is written there (atomically) at every evaluation;
  a later call with the same arguments resumes from it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable, NamedTuple, Optional, Sequence

import flax.serialization as serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from jaxprobe import validation
from jaxprobe.losses import accuracy, softmax_cross_entropy
from jaxprobe.models import Network

CHECKPOINT_FILE = "checkpoint.msgpack"
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad")


@lru_cache(maxsize=64)
def make_optimizer(name: str = "sgd", learning_rate: float = 0.01, **kwargs) -> optax.GradientTransformation:
    """An optax optimizer by name, with its learning rate checked.

    Equal arguments return the same object, so jit-compiled training steps are reused.
    """
    validation.check_choice("optimizer", name, OPTIMIZERS)
    if not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}.")
    if name == "momentum":
        return optax.sgd(learning_rate, momentum=kwargs.pop("momentum", 0.9), **kwargs)
    if name == "nesterov":
        return optax.sgd(learning_rate, momentum=kwargs.pop("momentum", 0.9), nesterov=True, **kwargs)
    return getattr(optax, name)(learning_rate, **kwargs)


class TrainResult(NamedTuple):
    params: tuple  # parameters at the last step
    best_params: tuple  # parameters of the lowest validation loss (= params without validation)
    best_step: np.ndarray  # step of best_params (one per model when stacked)
    history: dict  # 'step', 'train_loss', 'valid_loss', 'valid_accuracy': arrays (n_evals[, K])
    snapshots: dict  # {step: params}
    steps_done: int


@dataclass
class _State:
    params: tuple
    opt_state: tuple
    best_params: tuple
    best_loss: jax.Array
    best_step: jax.Array
    since_best: jax.Array
    step: int


def _check_data(name, data, model: Network):
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"{name} must be a pair (x, y) of inputs and integer labels.")
    x, y = np.asarray(data[0]), np.asarray(data[1])
    if x.ndim == len(model.input_shape):
        raise ValueError(f"{name}[0] must be a batch of shape (N, {model.input_shape}), got {x.shape}.")
    validation.check_input(f"{name}[0]", x, model.input_shape)
    if y.shape != (len(x),):
        raise ValueError(f"{name}[1] must hold one label per example, shape ({len(x)},); got {y.shape}.")
    validation.check_index(f"{name}[1]", y, model.n_classes, "class label")
    return jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.int32)


def _epoch_permutation(key, epoch, n):
    return jax.random.permutation(jax.random.fold_in(key, epoch), n)


def batch_indices(key: jax.Array, start: int, count: int, n: int, batch_size: int) -> np.ndarray:
    """Example indices of steps ``start .. start+count-1``: shape (count, batch_size)."""
    per_epoch = n // batch_size
    rows, perms = [], {}
    for t in range(start, start + count):
        epoch, pos = divmod(t, per_epoch)
        if epoch not in perms:
            perms[epoch] = np.asarray(_epoch_permutation(key, epoch, n))
        rows.append(perms[epoch][pos * batch_size:(pos + 1) * batch_size])
    return np.stack(rows)


def _loss(model, params, x, y):
    return softmax_cross_entropy(model.apply(params, x), y)


@partial(jax.jit, static_argnames=("model", "optimizer"))
def _run_steps(model, optimizer, params, opt_state, x, y, indices, count):
    """The first ``count`` rows of ``indices`` as SGD steps; returns the new state and the mean loss.

    ``indices`` is padded to a fixed number of rows so that chunks of any length share one
    compiled loop.
    """

    def step(i, carry):
        p, s, total = carry
        idx = indices[i]
        loss, grads = jax.value_and_grad(partial(_loss, model))(p, x[idx], y[idx])
        updates, s = optimizer.update(grads, s, p)
        return optax.apply_updates(p, updates), s, total + loss

    params, opt_state, total = jax.lax.fori_loop(0, count, step, (params, opt_state, jnp.float32(0.0)))
    return params, opt_state, total / count


@partial(jax.jit, static_argnames=("model", "optimizer"))
def _run_steps_stacked(model, optimizer, params, opt_state, x, y, indices, count):
    run = lambda p, s, idx: _run_steps(model, optimizer, p, s, x, y, idx, count)
    return jax.vmap(run)(params, opt_state, indices)


@partial(jax.jit, static_argnames=("model", "stacked"))
def _evaluate(model, params, x, y, stacked):
    def one(p):
        logits = model.apply(p, x)
        return softmax_cross_entropy(logits, y), accuracy(logits, y)

    return jax.vmap(one)(params) if stacked else one(params)


def _boundaries(total, eval_every, snapshot_steps, start):
    points = set(range(eval_every, total + 1, eval_every)) | {s for s in snapshot_steps if 0 < s <= total} | {total}
    return sorted(p for p in points if p > start)


def _fingerprint(model, params, train, batch_size, total, eval_every, stacked, keys) -> str:
    h = hashlib.sha256()
    h.update(repr((model, batch_size, total, eval_every, stacked)).encode())
    h.update(np.asarray(jax.random.key_data(keys)).tobytes())
    h.update(np.asarray(train[1]).tobytes())
    for leaf in jax.tree.leaves(params):
        h.update(np.asarray(leaf).tobytes()[:4096])
    return h.hexdigest()


def _save_checkpoint(folder: Path, state: _State, history: dict, snapshots: dict, fingerprint: str):
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "fingerprint": fingerprint,
        "state": serialization.to_state_dict(
            {k: getattr(state, k) for k in ("params", "opt_state", "best_params", "best_loss", "best_step",
                                             "since_best")}),
        "step": state.step,
        "history": {k: np.asarray(v) for k, v in history.items()},
        "snapshots": {str(s): serialization.to_state_dict(p) for s, p in snapshots.items()},
    }
    data = serialization.msgpack_serialize(dict(jax.tree.map(np.asarray, payload), fingerprint=fingerprint))
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, folder / CHECKPOINT_FILE)


def _load_checkpoint(folder: Path, template: _State, fingerprint: str):
    path = folder / CHECKPOINT_FILE
    if not path.is_file():
        return None
    try:
        payload = serialization.msgpack_restore(path.read_bytes())
    except Exception as err:  # msgpack raises several types on corrupt input
        raise ValueError(f"checkpoint {path} is corrupt ({err}); delete it to start afresh.") from err
    if str(payload.get("fingerprint")) != fingerprint:
        raise ValueError(
            f"checkpoint {path} belongs to another run (different model, data, key or schedule); "
            f"use another checkpoint_dir or delete it to start afresh."
        )
    names = ("params", "opt_state", "best_params", "best_loss", "best_step", "since_best")
    restored = serialization.from_state_dict({k: getattr(template, k) for k in names}, payload["state"])
    state = _State(**{k: jax.tree.map(jnp.asarray, restored[k]) for k in names}, step=int(payload["step"]))
    history = {k: list(np.asarray(v)) for k, v in payload["history"].items()}
    snapshots = {int(s): jax.tree.map(jnp.asarray, serialization.from_state_dict(template.params, p))
                 for s, p in payload["snapshots"].items()}
    return state, history, snapshots


def fit(
    model: Network,
    params,
    train: tuple,
    *,
    key: jax.Array,
    optimizer: Optional[optax.GradientTransformation] = None,
    learning_rate: float = 0.01,
    batch_size: int = 100,
    steps: Optional[int] = None,
    epochs: Optional[int] = None,
    valid: Optional[tuple] = None,
    eval_every: Optional[int] = None,
    patience: Optional[int] = None,
    snapshot_steps: Sequence[int] = (),
    checkpoint_dir=None,
    progress: bool = True,
    stacked: bool = False,
    callback: Optional[Callable[[int, dict], None]] = None,
) -> TrainResult:
    """Trains ``model`` from ``params`` on ``train = (x, y)`` with softmax cross-entropy.

    ``optimizer`` defaults to ``optax.sgd(learning_rate)``. Give ``steps`` or ``epochs``.
    ``callback(step, history)`` runs after every evaluation.
    """
    x, y = _check_data("train", train, model)
    n = len(x)
    validation.check_positive("batch_size", batch_size, integer=True)
    if batch_size > n:
        raise ValueError(f"batch_size={batch_size} is larger than the training set ({n} examples); "
                         f"use batch_size <= {n}.")
    if (steps is None) == (epochs is None):
        raise ValueError("give exactly one of steps or epochs.")
    per_epoch = n // batch_size
    total = steps if steps is not None else epochs * per_epoch
    validation.check_positive("steps" if steps is not None else "epochs", steps or epochs, integer=True)
    eval_every = int(eval_every or per_epoch)
    validation.check_positive("eval_every", eval_every, integer=True)
    if patience is not None:
        validation.check_positive("patience", patience, integer=True)
        if valid is None:
            raise ValueError("patience (early stopping) needs a validation set: pass valid=(x, y).")
    if optimizer is None:
        optimizer = make_optimizer("sgd", learning_rate)
    model.check_params(params, stacked=stacked)
    keys = jnp.asarray(key)
    if stacked and (keys.ndim != 1 or keys.shape[0] != jax.tree.leaves(params)[0].shape[0]):
        raise ValueError(f"stacked training needs one key per model: key of shape (K,), got {keys.shape}.")
    vx, vy = _check_data("valid", valid, model) if valid is not None else (None, None)

    opt_state = jax.vmap(optimizer.init)(params) if stacked else optimizer.init(params)
    n_models = keys.shape[0] if stacked else None
    shape = (n_models,) if stacked else ()
    state = _State(params, opt_state, params, jnp.full(shape, jnp.inf), jnp.zeros(shape, jnp.int32),
                   jnp.zeros(shape, jnp.int32), 0)
    history = {"step": [], "train_loss": [], "valid_loss": [], "valid_accuracy": []}
    snapshots = {0: params} if 0 in snapshot_steps else {}

    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    fingerprint = _fingerprint(model, params, (x, y), batch_size, total, eval_every, stacked, keys)
    if folder is not None:
        restored = _load_checkpoint(folder, state, fingerprint)
        if restored is not None:
            state, history, snapshots = restored

    run = _run_steps_stacked if stacked else _run_steps
    chunk = min(eval_every, total)
    bar = tqdm(total=total, initial=state.step, desc="training", unit="step", disable=not progress,
               leave=False)
    stopped = bool(patience) and bool(np.all(np.asarray(state.since_best) >= patience))
    for boundary in _boundaries(total, eval_every, snapshot_steps, state.step):
        if stopped:
            break
        count = boundary - state.step
        if stacked:
            idx = np.stack([batch_indices(k, state.step, count, n, batch_size) for k in keys])
        else:
            idx = batch_indices(keys, state.step, count, n, batch_size)
        pad = [(0, 0)] * (idx.ndim - 2) + [(0, chunk - count), (0, 0)]
        state.params, state.opt_state, train_loss = run(model, optimizer, state.params, state.opt_state, x, y,
                                                        jnp.asarray(np.pad(idx, pad)), count)
        state.step = boundary
        bar.update(count)
        if boundary in snapshot_steps:
            snapshots[boundary] = state.params
        if boundary % eval_every == 0 or boundary == total:
            history["step"].append(boundary)
            history["train_loss"].append(np.asarray(train_loss))
            if vx is not None:
                vloss, vacc = _evaluate(model, state.params, vx, vy, stacked)
                improved = vloss < state.best_loss
                pick = lambda new, old: jnp.where(improved.reshape(improved.shape + (1,) * (new.ndim - improved.ndim)),
                                                  new, old)
                state.best_params = jax.tree.map(pick, state.params, state.best_params)
                state.best_loss = jnp.where(improved, vloss, state.best_loss)
                state.best_step = jnp.where(improved, boundary, state.best_step)
                state.since_best = jnp.where(improved, 0, state.since_best + 1)
                history["valid_loss"].append(np.asarray(vloss))
                history["valid_accuracy"].append(np.asarray(vacc))
                bar.set_postfix(valid_loss=float(jnp.mean(vloss)), valid_acc=float(jnp.mean(vacc)))
                stopped = bool(patience) and bool(np.all(np.asarray(state.since_best) >= patience))
            if folder is not None:
                _save_checkpoint(folder, state, history, snapshots, fingerprint)
            if callback is not None:
                callback(boundary, history)
    bar.close()
    if vx is None:
        state.best_params, state.best_step = state.params, jnp.full(shape, state.step, jnp.int32)
    return TrainResult(
        params=state.params,
        best_params=state.best_params,
        best_step=np.asarray(state.best_step),
        history={k: np.asarray(v) for k, v in history.items()},
        snapshots=snapshots,
        steps_done=state.step,
    )
