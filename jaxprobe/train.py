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
  a later call with the same arguments resumes from it. The checkpoint carries a fingerprint of
  everything that changes the result (:func:`run_fingerprint`): the model, the initial parameters,
  the optimizer and its hyperparameters, the content of the training and validation data, the
  batch size, the schedule (steps, ``eval_every``, ``patience``), ``snapshot_steps``, the keys and
  ``stacked``. A call that differs in any part is refused with an error naming the parts.
- Non-finite values: every step checks that the loss and the updated parameters are finite. By
  default (``on_nonfinite='raise'``) training stops with :class:`NonFiniteError` naming the step;
  with ``on_nonfinite='stop'`` it keeps the last finite parameters, records the step in
  ``TrainResult.nonfinite_step`` and stops that model (the others of a stack train on).

The optimizer's fingerprint. An optax transformation is a pair of functions with no stable name,
so its identity is derived from what it computes: the jaxprs of ``init`` and ``update`` traced at
the parameters' shapes, with their constants (learning rates, schedule boundaries, betas). Two
processes building the same optimizer get the same fingerprint; any hyperparameter or schedule
change alters it. ``make_optimizer`` also records a readable description (``adam(learning_rate=0.001)``)
for the mismatch message, and ``optimizer_config`` (any JSON-able description) adds the caller's
own, which also covers what a trace cannot see (a Python value the transformation reads at call
time). Upgrading JAX or optax may change a trace: the refusal then names the optimizer, and
deleting the checkpoint starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
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
DEFAULT_LEARNING_RATE = 0.01  # the plain-SGD step of seed 000 and the thesis
ON_NONFINITE = ("raise", "stop")

# make_optimizer's readable descriptions, by id of the transformation (kept alive here, so an id
# is never reused while it is in this table).
_DESCRIPTIONS: dict[int, tuple[optax.GradientTransformation, str]] = {}


class NonFiniteError(FloatingPointError):
    """Training produced a NaN or infinite loss or parameters; ``step`` (1-based) and ``models``
    (indices in the stack, or None) say where."""

    def __init__(self, message: str, step: int, models: Optional[list] = None):
        super().__init__(message)
        self.step, self.models = step, models


@lru_cache(maxsize=64)
def make_optimizer(name: str = "sgd", learning_rate: float = 0.01, **kwargs) -> optax.GradientTransformation:
    """An optax optimizer by name, with its learning rate checked.

    Equal arguments return the same object, so jit-compiled training steps are reused; the
    transformation's description (name and hyperparameters) is what a checkpoint mismatch shows.

    Raises:
      ValueError: an unknown name, or a learning rate that is not a positive finite number.

    >>> describe_optimizer(make_optimizer("adam", 1e-3))
    'adam(learning_rate=0.001)'
    """
    validation.check_choice("optimizer", name, OPTIMIZERS)
    if (isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.integer, np.floating))
            or not np.isfinite(learning_rate) or learning_rate <= 0):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}.")
    settings = dict(kwargs)
    if name == "momentum":
        opt = optax.sgd(learning_rate, momentum=kwargs.pop("momentum", 0.9), **kwargs)
    elif name == "nesterov":
        opt = optax.sgd(learning_rate, momentum=kwargs.pop("momentum", 0.9), nesterov=True, **kwargs)
    else:
        opt = getattr(optax, name)(learning_rate, **kwargs)
    args = ", ".join(f"{k}={v!r}" for k, v in [("learning_rate", learning_rate)] + sorted(settings.items()))
    _DESCRIPTIONS[id(opt)] = (opt, f"{name}({args})")
    return opt


def describe_optimizer(optimizer) -> str:
    """``make_optimizer``'s description of ``optimizer`` (e.g. ``'sgd(learning_rate=0.01)'``), or
    ``'a custom optax transformation'``."""
    entry = _DESCRIPTIONS.get(id(optimizer))
    return entry[1] if entry is not None and entry[0] is optimizer else "a custom optax transformation"


class TrainResult(NamedTuple):
    params: tuple  # parameters at the last step
    best_params: tuple  # parameters of the lowest validation loss (= params without validation)
    best_step: np.ndarray  # step of best_params (one per model when stacked)
    history: dict  # 'step', 'train_loss', 'valid_loss', 'valid_accuracy': arrays (n_evals[, K])
    snapshots: dict  # {step: params}
    steps_done: int
    # first non-finite step (1-based) per model, -1 where training stayed finite (on_nonfinite='stop')
    nonfinite_step: Optional[np.ndarray] = None


@dataclass
class _State:
    params: tuple
    opt_state: tuple
    best_params: tuple
    best_loss: jax.Array
    best_step: jax.Array
    since_best: jax.Array
    nonfinite_step: jax.Array  # first non-finite step (1-based) per model, -1 while finite
    step: int


_STATE_ARRAYS = ("params", "opt_state", "best_params", "best_loss", "best_step", "since_best", "nonfinite_step")


def _check_data(name, data, model: Network):
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"{name} must be a pair (x, y) of inputs and integer labels.")
    validation.check_array_like(f"{name}[0]", data[0])
    validation.check_array_like(f"{name}[1]", data[1])
    x, y = np.asarray(data[0]), np.asarray(data[1])
    if x.ndim == len(model.input_shape):
        raise ValueError(f"{name}[0] must be a batch of shape (N, {model.input_shape}), got {x.shape}.")
    validation.check_input(f"{name}[0]", x, model.input_shape)
    if len(x) == 0:
        what = "valid=None to train without validation" if name == "valid" else "a training set"
        raise ValueError(f"{name} holds no examples: pass at least one example (or {what}).")
    if y.shape != (len(x),):
        raise ValueError(f"{name}[1] must hold one label per example, shape ({len(x)},); got {y.shape}.")
    validation.check_index(f"{name}[1]", y, model.n_classes, "class label")
    return jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.int32)


@partial(jax.jit, static_argnums=2)
def _epoch_permutations(keys, epoch, n):
    """The epoch's permutation of 0..n-1 for each key of ``keys`` (K,): one compiled call, the same
    bits as ``jax.random.permutation(jax.random.fold_in(key, epoch), n)`` run key by key."""
    return jax.vmap(lambda k: jax.random.permutation(jax.random.fold_in(k, epoch), n))(keys)


def batch_indices(key: jax.Array, start: int, count: int, n: int, batch_size: int) -> np.ndarray:
    """Example indices of steps ``start .. start+count-1``: shape (count, batch_size), or
    (K, count, batch_size) for K stacked keys (each model's own order, computed together).

    Epoch e of a key visits the examples in the order ``permutation(fold_in(key, e), n)``; the
    last ``n mod batch_size`` examples of each permutation are left out of that epoch.
    """
    key = jnp.asarray(key)
    if not jnp.issubdtype(key.dtype, jax.dtypes.prng_key):  # raw uint32 key data: the same bits
        key = jax.random.wrap_key_data(key)
    keys = key[None] if key.ndim == 0 else key
    per_epoch = n // batch_size
    rows, perms = [], {}
    for t in range(start, start + count):
        epoch, pos = divmod(t, per_epoch)
        if epoch not in perms:
            perms[epoch] = np.asarray(_epoch_permutations(keys, epoch, n))
        rows.append(perms[epoch][:, pos * batch_size:(pos + 1) * batch_size])
    out = np.stack(rows, axis=1)
    return out[0] if key.ndim == 0 else out


def _loss(model, params, x, y):
    return softmax_cross_entropy(model.apply(params, x), y)


@partial(jax.jit, static_argnames=("model", "optimizer"))
def _run_steps(model, optimizer, params, opt_state, x, y, indices, count):
    """The first ``count`` rows of ``indices`` as SGD steps. Returns the new state, the mean loss,
    the index (in this chunk) of the first step whose loss is not finite (−1: none) and whether
    the final parameters are all finite.

    The loss is checked at every step (a scalar: free); the parameters once, at the end (a pass
    over all of them at every step cost ~10 % of a DNN-6 step). ``indices`` is padded to a fixed
    number of rows so that chunks of any length share one compiled loop: a run of ``count`` steps
    and one of fewer from the same state agree bit for bit on the steps they share, which
    :func:`fit` uses to find the exact step and the last finite parameters.
    """

    def step(i, carry):
        p, s, total, bad = carry
        idx = indices[i]
        loss, grads = jax.value_and_grad(partial(_loss, model))(p, x[idx], y[idx])
        updates, s = optimizer.update(grads, s, p)
        bad = jnp.where((bad < 0) & ~jnp.isfinite(loss), i, bad)
        return optax.apply_updates(p, updates), s, total + loss, bad

    params, opt_state, total, bad = jax.lax.fori_loop(
        0, count, step, (params, opt_state, jnp.float32(0.0), jnp.int32(-1)))
    return params, opt_state, total / count, bad, validation.all_finite(params)


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


def _digest(*chunks) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk if isinstance(chunk, bytes) else repr(chunk).encode())
    return h.hexdigest()


def _array_digest(*arrays) -> str:
    return _digest(*[b for a in arrays for b in (repr((np.shape(a), str(np.asarray(a).dtype))),
                                                 np.ascontiguousarray(np.asarray(a)).tobytes())])


def optimizer_digest(optimizer: optax.GradientTransformation, params, *, stacked: bool = False) -> str:
    """A digest of what ``optimizer`` computes on parameters shaped like ``params`` (one model's,
    when ``stacked``): its ``init`` and ``update`` jaxprs with their constants (see the module
    docstring). Equal for equal optimizers across processes; different when a hyperparameter or a
    schedule differs."""
    one = jax.tree.map(lambda a: jax.ShapeDtypeStruct(np.shape(a)[1:] if stacked else np.shape(a),
                                                      validation.dtype_of(a)), params)
    state = jax.eval_shape(optimizer.init, one)
    chunks = []
    for closed in (jax.make_jaxpr(optimizer.init)(one), jax.make_jaxpr(optimizer.update)(one, state, one)):
        chunks.append(re.sub(r" at 0x[0-9a-f]+", "", str(closed.jaxpr)).encode())  # function addresses vary
        chunks += [np.asarray(c).tobytes() for c in closed.consts]
    return _digest(*chunks)


def run_fingerprint(model: Network, params, train: tuple, valid: Optional[tuple], *, optimizer,
                    optimizer_config=None, batch_size: int, steps: int, eval_every: int,
                    patience: Optional[int], snapshot_steps: Sequence[int], keys, stacked: bool) -> dict:
    """Everything that changes a training run's result, part by part: ``{part: (digest, shown)}``.

    ``shown`` is what a mismatch message prints for that part (the value itself for settings, a
    short digest for arrays). Data are hashed by content (their bytes), not by name.
    """
    def data(pair):
        if pair is None:
            return _digest("none"), "none"
        d = _array_digest(*pair)
        return d, f"{len(pair[1])} examples, sha256 {d[:12]}"

    opt_shown = describe_optimizer(optimizer) + (f", optimizer_config={optimizer_config!r}"
                                                 if optimizer_config is not None else "")
    opt_digest = _digest(optimizer_digest(optimizer, params, stacked=stacked),
                         json.dumps(optimizer_config, sort_keys=True))
    leaves = jax.tree.leaves(params)
    settings = {
        "model": (repr(model), f"{model.n_layers} stages, input {model.input_shape}, layers {model.layer_shapes}"),
        "batch_size": (batch_size, str(batch_size)),
        "schedule": ((steps, eval_every, patience), f"steps={steps}, eval_every={eval_every}, patience={patience}"),
        "snapshot_steps": (tuple(sorted(set(snapshot_steps))), str(tuple(sorted(set(snapshot_steps))))),
        "stacked": (stacked, str(stacked)),
    }
    parts = {name: (_digest(value), shown) for name, (value, shown) in settings.items()}
    params_digest = _array_digest(*leaves)
    typed = jnp.issubdtype(keys.dtype, jax.dtypes.prng_key)
    keys_digest = _array_digest(jax.random.key_data(keys) if typed else keys)
    parts.update({
        "initial parameters": (params_digest, f"sha256 {params_digest[:12]}"),
        "optimizer": (opt_digest, f"{opt_shown} (trace sha256 {opt_digest[:12]})"),
        "training data": data(train),
        "validation data": data(valid),
        "keys": (keys_digest, f"sha256 {keys_digest[:12]}"),
    })
    return parts


def _save_checkpoint(folder: Path, state: _State, history: dict, snapshots: dict, fingerprint: dict):
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "state": serialization.to_state_dict({k: getattr(state, k) for k in _STATE_ARRAYS}),
        "step": state.step,
        "history": {k: np.asarray(v) for k, v in history.items()},
        "snapshots": {str(s): serialization.to_state_dict(p) for s, p in snapshots.items()},
    }
    payload = dict(jax.tree.map(np.asarray, payload),
                   fingerprint={k: d for k, (d, _) in fingerprint.items()},
                   shown={k: v for k, (_, v) in fingerprint.items()})
    data = serialization.msgpack_serialize(payload)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, folder / CHECKPOINT_FILE)


def _fingerprint_mismatch(path: Path, payload: dict, fingerprint: dict) -> Optional[str]:
    """None when the checkpoint's fingerprint equals this run's, else the refusal message."""
    fresh = f"to start fresh, delete {path} or pass another checkpoint_dir."
    stored = payload.get("fingerprint")
    if not isinstance(stored, dict):
        return (f"checkpoint {path} belongs to another run: it was written by an older jaxprobe whose "
                f"fingerprint did not cover the optimizer and the data, so it cannot be checked; {fresh}")
    shown = payload.get("shown", {})
    differ = [k for k, (d, _) in fingerprint.items() if stored.get(k) != d]
    if not differ:
        return None
    details = "; ".join(f"{k} (checkpoint: {shown.get(k, '?')}; this call: {fingerprint[k][1]})" for k in differ)
    return (f"checkpoint {path} belongs to another run: {', '.join(differ)} differ{'s' if len(differ) == 1 else ''}"
            f" — {details}. To resume it, call fit with the arguments it was written with; {fresh}")


def _load_checkpoint(folder: Path, template: _State, fingerprint: dict):
    path = folder / CHECKPOINT_FILE
    if not path.is_file():
        return None
    try:
        payload = serialization.msgpack_restore(path.read_bytes())
    except Exception as err:  # msgpack raises several types on corrupt input
        raise ValueError(f"checkpoint {path} is corrupt ({err}); delete it to start afresh.") from err
    mismatch = _fingerprint_mismatch(path, payload, fingerprint)
    if mismatch:
        raise ValueError(mismatch)
    restored = serialization.from_state_dict({k: getattr(template, k) for k in _STATE_ARRAYS}, payload["state"])
    state = _State(**{k: jax.tree.map(jnp.asarray, restored[k]) for k in _STATE_ARRAYS}, step=int(payload["step"]))
    history = {k: list(np.asarray(v)) for k, v in payload["history"].items()}
    snapshots = {int(s): jax.tree.map(jnp.asarray, serialization.from_state_dict(template.params, p))
                 for s, p in payload["snapshots"].items()}
    return state, history, snapshots


def _check_checkpoint_dir(checkpoint_dir) -> Optional[Path]:
    """The checkpoint folder, created and checked writable before any training."""
    if checkpoint_dir is None:
        return None
    if not isinstance(checkpoint_dir, (str, os.PathLike)):
        raise TypeError(f"checkpoint_dir must be a folder path, got {type(checkpoint_dir).__name__}.")
    folder = Path(checkpoint_dir)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"checkpoint_dir={str(folder)!r} is a file, not a folder; pass a folder path "
                         f"(it is created if needed).")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp"):
            pass
    except OSError as err:
        raise ValueError(f"checkpoint_dir={str(folder)!r} is not a writable folder ({err.strerror}); "
                         f"pass another folder.") from err
    return folder


def _check_optimizer(optimizer, learning_rate) -> optax.GradientTransformation:
    if optimizer is None or isinstance(optimizer, str):
        rate = DEFAULT_LEARNING_RATE if learning_rate is None else learning_rate
        return make_optimizer("sgd" if optimizer is None else optimizer, rate)
    if learning_rate is not None:
        raise ValueError(f"learning_rate={learning_rate!r} would be ignored: the optax transformation given as "
                         f"optimizer carries its own rate. Drop learning_rate, or pass the optimizer by name "
                         f"(optimizer='sgd', learning_rate={learning_rate!r}).")
    if not (callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None))):
        raise TypeError(f"optimizer must be an optax GradientTransformation, a name of {OPTIMIZERS} or None, "
                        f"got {type(optimizer).__name__}; e.g. optimizer=make_optimizer('adam', 1e-3).")
    return optimizer


def _check_snapshot_steps(snapshot_steps, total: int) -> tuple:
    if isinstance(snapshot_steps, (str, bytes)) or not isinstance(snapshot_steps, (tuple, list, range, np.ndarray)):
        raise TypeError(f"snapshot_steps must be a sequence of steps, got {snapshot_steps!r}; "
                        f"e.g. snapshot_steps=({snapshot_steps!r},) for one step.")
    steps = tuple(validation.check_int(f"snapshot_steps[{i}]", s, minimum=0, maximum=total)
                  for i, s in enumerate(list(snapshot_steps)))
    return steps


def _nonfinite_message(steps: np.ndarray, stacked: bool) -> str:
    bad = np.flatnonzero(np.atleast_1d(steps) >= 0)
    first = int(np.atleast_1d(steps)[bad].min())
    where = (f" in model(s) {', '.join(map(str, bad.tolist()))} of the stack "
             f"(steps {', '.join(str(int(np.atleast_1d(steps)[k])) for k in bad)})" if stacked else "")
    return (f"training became non-finite at step {first}{where}: the loss or the parameters are NaN or infinite "
            f"after that step (the parameters before it were finite). Lower the learning rate (the usual cause), "
            f"check the data, or pass on_nonfinite='stop' to keep the last finite parameters and stop there.")


def fit(
    model: Network,
    params,
    train: tuple,
    *,
    key: jax.Array,
    optimizer=None,
    learning_rate: Optional[float] = None,
    batch_size: int = 100,
    steps: Optional[int] = None,
    epochs: Optional[int] = None,
    valid: Optional[tuple] = None,
    eval_every: Optional[int] = None,
    patience: Optional[int] = None,
    snapshot_steps: Sequence[int] = (),
    checkpoint_dir=None,
    optimizer_config=None,
    on_nonfinite: str = "raise",
    progress: bool = True,
    stacked: bool = False,
    callback: Optional[Callable[[int, dict], None]] = None,
) -> TrainResult:
    """Trains ``model`` from ``params`` on ``train = (x, y)`` with softmax cross-entropy (seed 000 eq. 1).

    Args:
      model, params: the network and its parameters (``Network.init``; ``init_stacked`` with
        ``stacked=True``, then ``key`` holds one key per model).
      train, valid: pairs (x, y) of inputs (N, *input_shape) and integer labels (N,); ``valid``
        (optional) drives evaluation, early stopping and ``best_params``.
      key: ``jax.random.key(...)`` (or K keys when stacked): the batch order.
      optimizer: an optax transformation, a name of :data:`OPTIMIZERS`, or None (plain SGD).
      learning_rate: the step of a named optimizer or of plain SGD (default 0.01); refused beside an
        optax transformation, which carries its own rate.
      batch_size, steps / epochs (exactly one), eval_every (default one epoch), patience.
      snapshot_steps: steps (0..total) whose parameters are kept (0 = the initial parameters).
      checkpoint_dir: a folder to save and resume the whole training state (see the module
        docstring for what must match); ``optimizer_config``: a JSON-able description of a custom
        optimizer, added to its fingerprint and shown when a checkpoint does not match.
      on_nonfinite: 'raise' (default) or 'stop' (see the module docstring).
      callback: ``callback(step, history)`` after every evaluation.

    Returns:
      A :class:`TrainResult`.

    Raises:
      ValueError / TypeError: an argument that cannot be honoured (the message names it and the fix),
        or a checkpoint of another run (the message names the parts that differ).
      NonFiniteError: the loss or the parameters became NaN or infinite (``on_nonfinite='raise'``).
    """
    validation.check_choice("on_nonfinite", on_nonfinite, ON_NONFINITE)
    stacked = validation.check_bool("stacked", stacked)
    progress = validation.check_bool("progress", progress)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function (step, history) -> None, got {type(callback).__name__}.")
    x, y = _check_data("train", train, model)
    n = len(x)
    batch_size = validation.check_int("batch_size", batch_size, minimum=1)
    if batch_size > n:
        raise ValueError(f"batch_size={batch_size} is larger than the training set ({n} examples); "
                         f"use batch_size <= {n}.")
    if (steps is None) == (epochs is None):
        raise ValueError("give exactly one of steps or epochs.")
    per_epoch = n // batch_size
    if steps is not None:
        total = validation.check_int("steps", steps, minimum=1)
    else:
        total = validation.check_int("epochs", epochs, minimum=1) * per_epoch
    eval_every = per_epoch if eval_every is None else validation.check_int("eval_every", eval_every, minimum=1)
    snapshot_steps = _check_snapshot_steps(snapshot_steps, total)
    if patience is not None:
        patience = validation.check_int("patience", patience, minimum=1)
        if valid is None:
            raise ValueError("patience (early stopping) needs a validation set: pass valid=(x, y).")
    optimizer = _check_optimizer(optimizer, learning_rate)
    if optimizer_config is not None:
        try:
            json.dumps(optimizer_config, sort_keys=True)
        except (TypeError, ValueError) as err:
            raise TypeError(f"optimizer_config must be JSON-serialisable (a dict of names, numbers and strings), "
                            f"got {type(optimizer_config).__name__} ({err}).") from err
    model.check_params(params, stacked=stacked)
    n_models = jax.tree.leaves(params)[0].shape[0] if stacked else None
    keys = validation.check_key("key", key, count=n_models)
    keys = keys if jnp.issubdtype(keys.dtype, jax.dtypes.prng_key) else jnp.asarray(keys)
    vx, vy = _check_data("valid", valid, model) if valid is not None else (None, None)
    folder = _check_checkpoint_dir(checkpoint_dir)

    opt_state = jax.vmap(optimizer.init)(params) if stacked else optimizer.init(params)
    shape = (n_models,) if stacked else ()
    state = _State(params, opt_state, params, jnp.full(shape, jnp.inf), jnp.zeros(shape, jnp.int32),
                   jnp.zeros(shape, jnp.int32), jnp.full(shape, -1, jnp.int32), 0)
    history = {"step": [], "train_loss": [], "valid_loss": [], "valid_accuracy": []}
    snapshots = {0: params} if 0 in snapshot_steps else {}

    if folder is not None:
        fingerprint = run_fingerprint(
            model, params, (x, y), None if vx is None else (vx, vy), optimizer=optimizer,
            optimizer_config=optimizer_config, batch_size=batch_size, steps=total, eval_every=eval_every,
            patience=patience, snapshot_steps=snapshot_steps, keys=keys, stacked=stacked)
        restored = _load_checkpoint(folder, state, fingerprint)
        if restored is not None:
            state, history, snapshots = restored

    run = _run_steps_stacked if stacked else _run_steps
    chunk = min(eval_every, total)
    bar = tqdm(total=total, initial=state.step, desc="training", unit="step", disable=not progress,
               leave=False)

    def run_chunk(params, opt_state, start, count):
        idx = batch_indices(keys, start, count, n, batch_size)
        pad = [(0, 0)] * (idx.ndim - 2) + [(0, chunk - count), (0, 0)]
        with validation.traced_checks(False):  # the data were checked above, once
            return run(model, optimizer, params, opt_state, x, y, jnp.asarray(np.pad(idx, pad)), count)

    def all_stopped():
        halted = np.asarray(state.nonfinite_step) >= 0
        early = bool(patience) and np.asarray(state.since_best) >= patience
        return bool(np.all(halted | early))

    stopped = all_stopped()
    for boundary in _boundaries(total, eval_every, snapshot_steps, state.step):
        if stopped:
            break
        count = boundary - state.step
        halted = np.asarray(state.nonfinite_step) >= 0  # models stopped earlier (on_nonfinite='stop')
        params, opt_state, train_loss, loss_bad, params_ok = run_chunk(state.params, state.opt_state, state.step,
                                                                       count)
        suspect = ((np.asarray(loss_bad) >= 0) | ~np.asarray(params_ok)) & ~halted
        bad = np.full(np.shape(halted), -1)
        if np.any(suspect):
            bad = _first_bad_steps(lambda c: run_chunk(state.params, state.opt_state, state.step, c)[0],
                                   state.params, np.asarray(loss_bad), suspect, count)
        if np.any(bad >= 0):
            bad_steps = np.where(bad >= 0, state.step + bad + 1, -1)
            if on_nonfinite == "raise":
                bar.close()
                raise NonFiniteError(_nonfinite_message(bad_steps, stacked), int(bad_steps[bad_steps >= 0].min()),
                                     np.flatnonzero(np.atleast_1d(bad) >= 0).tolist() if stacked else None)
            # keep each diverged model's parameters before its bad step: rerun the chunk up to it
            for b in sorted(set(np.atleast_1d(bad)[np.atleast_1d(bad) >= 0].tolist())):
                lane = bad == b
                if b == 0:
                    good_p, good_s = state.params, state.opt_state
                else:
                    good_p, good_s = run_chunk(state.params, state.opt_state, state.step, int(b))[:2]
                params, opt_state = _select(lane, good_p, params), _select(lane, good_s, opt_state)
            state.nonfinite_step = jnp.asarray(np.where(bad >= 0, bad_steps, np.asarray(state.nonfinite_step)),
                                               jnp.int32)
        if np.any(halted):  # stopped models keep their last finite state
            params = _select(halted, state.params, params)
            opt_state = _select(halted, state.opt_state, opt_state)
        halted_now = np.asarray(state.nonfinite_step) >= 0
        if not stacked and halted_now:
            state.params, state.opt_state = params, opt_state
            state.step += int(bad) if np.any(bad >= 0) else count
            bar.update(state.step - bar.n)
            if folder is not None:
                _save_checkpoint(folder, state, history, snapshots, fingerprint)
            break
        state.params, state.opt_state = params, opt_state
        state.step = boundary
        bar.update(count)
        if boundary in snapshot_steps:
            snapshots[boundary] = state.params
        if boundary % eval_every == 0 or boundary == total:
            history["step"].append(boundary)
            history["train_loss"].append(np.where(halted_now, np.nan, np.asarray(train_loss)) if stacked
                                         else np.asarray(train_loss))
            if vx is not None:
                with validation.traced_checks(False):  # checked above; a stopped model may give inf logits
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
            if folder is not None:
                _save_checkpoint(folder, state, history, snapshots, fingerprint)
            if callback is not None:
                callback(boundary, history)
        stopped = all_stopped()
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
        nonfinite_step=np.asarray(state.nonfinite_step),
    )


def _first_bad_steps(params_after, start_params, loss_bad: np.ndarray, suspect: np.ndarray, count: int) -> np.ndarray:
    """Per model, the index in the chunk of the first step after which the loss or the parameters
    are not finite (−1 where neither happened).

    ``params_after(c)`` re-runs the first c steps of the chunk (bit for bit the same steps). The
    first non-finite loss bounds the answer; the parameters are finite after fewer steps than
    that unless an update overflowed without showing in the loss yet, found by bisection (once per
    diverged model, only then).
    """
    stacked = np.ndim(suspect) > 0
    cache = {0: start_params}

    def finite_after(c: int) -> np.ndarray:
        if c not in cache:
            cache[c] = params_after(c)
        ok = np.asarray([np.all(np.isfinite(np.asarray(leaf))) for leaf in jax.tree.leaves(cache[c])]) \
            if not stacked else np.all([np.isfinite(np.asarray(leaf).reshape(len(suspect), -1)).all(1)
                                        for leaf in jax.tree.leaves(cache[c])], axis=0)
        return np.all(ok) if not stacked else ok

    out = np.full(np.shape(suspect), -1)
    for lane in (np.flatnonzero(np.atleast_1d(suspect)) if stacked else ([None] if suspect else [])):
        pick = (lambda v: v[lane]) if stacked else (lambda v: v)
        hi = int(pick(loss_bad)) if int(pick(loss_bad)) >= 0 else count  # params after hi steps: suspect
        if hi < count and pick(finite_after(hi)):
            first = hi  # finite parameters, then a non-finite loss at step hi
        else:
            lo = 0  # largest c known to give finite parameters
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if pick(finite_after(mid)) else (lo, mid)
            first = lo  # step lo's update made the parameters non-finite
        if stacked:
            out[lane] = first
        else:
            out = np.asarray(first)
    return out


def _select(lanes, new, old):
    """``new`` where ``lanes`` (a bool per model, or one bool) is true, else ``old``, leaf by leaf."""
    lanes = jnp.asarray(lanes)
    return jax.tree.map(lambda a, b: jnp.where(lanes.reshape(lanes.shape + (1,) * (a.ndim - lanes.ndim)), a, b),
                        new, old)
