"""Networks, data and training of thesis Ch. 6 (digest §6, §8.4, §8.12).

* The "normal" (learning) network: the 4-layer MLP 100-100-100-100-60 of §3.3 (ReLU, softmax, SGD without
  momentum, lr 0.01, batch 100, Keras's Glorot-uniform init), trained on the true jump labels and adopted
  at its minimum validation loss (early stopping, as in every jump experiment of the thesis).
* The "memorising" network: the same MLP on the training labels shuffled by **one permutation** (200
  signals per random label kept), trained until it classifies every training signal correctly; early
  stopping on the true-label validation loss would stop at once (digest §6.2, §8.12).
* MNIST (§6.4.2): 784-784-784-784-784-10, SGD lr 0.01, early stopping on validation cross-entropy.

:func:`train_tracked` trains K stacked seeds in chunks of epochs with ``jaxprobe.train.fit``, recording the
training accuracy and the validation loss at every check (every few epochs: the resolution of early stopping
and of the epochs to 100 %), parameters at the snapshot epochs, and each seed's parameters at the first check
at which it classifies every training signal correctly.
"""

from __future__ import annotations

import time
from functools import partial
from typing import NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe.losses import softmax_cross_entropy
from jaxprobe.models import Network, glorot_init_stacked, mlp
from jaxprobe.probes.activations import predict_stacked, stacked_activations
from jaxprobe.train import fit

__all__ = [
    "JUMP_WIDTHS", "MNIST_WIDTHS", "LEARNING_RATE", "JUMP_BATCH", "MNIST_BATCH", "N_JUMP_CLASSES",
    "THESIS_MNIST_ACCURACY", "DEVIATION_LAYERS", "ACCURACY_LEVELS",
    "jump_mlp", "permuted_labels", "init_seeds", "Training", "check_epochs", "train_tracked", "epochs_to",
    "stacked_loss", "accuracy_stacked", "layer_activations", "training_to_tree", "training_from_tree", "MnistRun",
    "train_mnist",
]

JUMP_WIDTHS = (100, 100, 100, 100, 60)
MNIST_WIDTHS = (784, 784, 784, 784, 784, 10)
LEARNING_RATE = 0.01
JUMP_BATCH = 100
MNIST_BATCH = 1000
N_JUMP_CLASSES = 60
#: §6.4.2: "98.07%" test accuracy of the MNIST MLP trained on 48,000 digits.
THESIS_MNIST_ACCURACY = 0.9807
#: Layers of the deviation figures: the input (0) and the three hidden layers; the output is left out (§6.4.1).
DEVIATION_LAYERS = (0, 1, 2, 3)
#: Training accuracies whose epochs are compared between the memorising and the normal network.
ACCURACY_LEVELS = (0.5, 0.9, 1.0)


def jump_mlp() -> Network:
    """The thesis's 4-layer jump MLP 100-100-100-100-60 (ReLU hidden layers, softmax output)."""
    return mlp(JUMP_WIDTHS)


def permuted_labels(labels, seed: int) -> np.ndarray:
    """The training labels shuffled by one random permutation (§6.2.2): every label keeps its count.

    >>> np.bincount(permuted_labels(np.repeat(np.arange(3), 4), seed=0)).tolist()
    [4, 4, 4]
    """
    y = np.asarray(labels)
    return y[np.random.default_rng(seed).permutation(len(y))]


def init_seeds(net: Network, n_seeds: int, seed: int, group: int) -> tuple:
    """Glorot-uniform parameters (Keras's default, digest §8.4) of ``n_seeds`` stacked networks.

    ``group`` separates the seeds of different networks (normal 0, memorising 1), so that their untrained
    states are independent draws.
    """
    keys = jax.random.split(jax.random.fold_in(jax.random.key(seed), group), n_seeds)
    return _glorot_stacked(net, keys)


_glorot_stacked = jax.jit(glorot_init_stacked, static_argnums=0)   # one compilation instead of one per operation


@partial(jax.jit, static_argnames=("net",))
def stacked_loss(net: Network, params, x, y) -> jax.Array:
    """Mean softmax cross-entropy of each of K stacked models on (x, y): (K,)."""
    return jax.vmap(lambda p: softmax_cross_entropy(net.apply(p, x), y))(params)


def accuracy_stacked(net: Network, params, x, y) -> np.ndarray:
    """Classification accuracy of each of K stacked models: (K,)."""
    return (predict_stacked(net, params, x) == np.asarray(y)[None, :]).mean(1)


class Training(NamedTuple):
    """K stacked seeds trained by :func:`train_tracked`.

    At every check epoch (``check_epochs``, (checks,)): ``train_accuracy`` (checks, K), the accuracy on the whole
    training set, and ``valid_loss`` (checks, K; empty without validation). ``early`` holds the parameters of each
    seed's lowest validation loss (``final`` without validation) from ``early_epoch``; ``memorised`` each seed's
    parameters at the first check with training accuracy 1 (``final`` where never reached), from
    ``memorised_epoch`` (−1 where never reached).
    """

    final: tuple
    early: tuple
    early_epoch: np.ndarray
    memorised: tuple
    memorised_epoch: np.ndarray
    check_epochs: np.ndarray
    train_accuracy: np.ndarray
    valid_loss: np.ndarray
    snapshots: dict
    epochs: int
    seconds: float


def _pick(mask, new, old):
    """Per seed: ``new`` where ``mask`` else ``old`` (stacked parameter trees)."""
    return jax.tree.map(lambda a, b: jnp.where(mask.reshape((-1,) + (1,) * (a.ndim - 1)), a, b), new, old)


def check_epochs(max_epochs: int, check_every: int, snapshot_epochs: Sequence[int] = ()) -> list[int]:
    """The epochs at which :func:`train_tracked` measures: every ``check_every``-th, the snapshots, the last.

    >>> check_epochs(12, 5, (0, 1, 2))
    [1, 2, 5, 10, 12]
    """
    return sorted({e for e in range(check_every, max_epochs + 1, check_every)} | {max_epochs}
                  | {int(s) for s in snapshot_epochs if 0 < s <= max_epochs})


def train_tracked(net: Network, params, train: tuple, *, key: jax.Array, max_epochs: int, batch_size: int,
                  valid: Optional[tuple] = None, snapshot_epochs: Sequence[int] = (), check_every: int = 5,
                  stop_when_memorised: bool = True, learning_rate: float = LEARNING_RATE) -> Training:
    """Trains K stacked seeds with plain SGD (``jaxprobe.train.fit``), measuring at the check epochs.

    Args:
      net: the network.
      params: K stacked initial parameters.
      train: (x, y) training set (y the labels the network learns: true or permuted).
      key: one jax.random key per seed, shape (K,).
      max_epochs: the epoch budget.
      batch_size: SGD batch size (the last partial batch of an epoch is dropped, as in ``fit``).
      valid: optional (x, y): validation loss at every check, early stopping at its minimum.
      snapshot_epochs: epochs whose parameters are kept (0 = the initial parameters); each is also a check.
      check_every: epochs between checks (the resolution of epochs-to-accuracy, early stopping and the
        memorised parameters).
      stop_when_memorised: stop once every seed has classified the whole training set correctly at a check.
      learning_rate: SGD learning rate (the thesis's 0.01).

    Returns:
      :class:`Training`.
    """
    if max_epochs < 1 or check_every < 1:
        raise ValueError(f"max_epochs and check_every must be positive integers, got {max_epochs}, {check_every}.")
    keys = jnp.asarray(key)
    n_seeds = keys.shape[0]
    snapshots = {0: params} if 0 in snapshot_epochs else {}
    early, early_loss, early_epoch = params, np.full(n_seeds, np.inf), np.zeros(n_seeds, np.int64)
    memorised, memorised_epoch = params, np.full(n_seeds, -1)
    checks, accuracy, valid_loss = [], [], []
    x, y = jnp.asarray(train[0]), jnp.asarray(train[1])
    start, epoch = time.perf_counter(), 0
    for bound in check_epochs(max_epochs, check_every, snapshot_epochs):
        chunk_keys = jax.vmap(lambda k: jax.random.fold_in(k, epoch))(keys)
        params = fit(net, params, (x, y), key=chunk_keys, epochs=bound - epoch, batch_size=batch_size,
                     learning_rate=learning_rate, stacked=True, progress=False).params
        epoch = bound
        checks.append(bound)
        accuracy.append(accuracy_stacked(net, params, x, y))
        if bound in snapshot_epochs:
            snapshots[bound] = params
        if valid is not None:
            loss = np.asarray(stacked_loss(net, params, jnp.asarray(valid[0]), jnp.asarray(valid[1])))
            better = loss < early_loss
            early = _pick(jnp.asarray(better), params, early)
            early_loss, early_epoch = np.where(better, loss, early_loss), np.where(better, bound, early_epoch)
            valid_loss.append(loss)
        new = (accuracy[-1] >= 1.0) & (memorised_epoch < 0)
        if new.any():
            memorised = _pick(jnp.asarray(new), params, memorised)
            memorised_epoch = np.where(new, bound, memorised_epoch)
        if stop_when_memorised and (memorised_epoch >= 0).all():
            break
    if valid is None:
        early, early_epoch = params, np.full(n_seeds, epoch)
    memorised = _pick(jnp.asarray(memorised_epoch >= 0), memorised, params)
    return Training(params, early, early_epoch, memorised, memorised_epoch, np.asarray(checks, np.int64),
                    np.asarray(accuracy), np.asarray(valid_loss).reshape(-1, n_seeds), snapshots, epoch,
                    time.perf_counter() - start)


def epochs_to(check_epochs, train_accuracy, level: float) -> np.ndarray:
    """First check epoch at which each seed's training accuracy reaches ``level``: (K,), inf where never.

    >>> epochs_to([5, 10, 15], np.array([[0.2, 0.5], [0.6, 0.4], [1.0, 0.6]]), 0.5).tolist()
    [10.0, 5.0]
    """
    acc = np.asarray(train_accuracy)
    reached = acc >= level - 1e-9
    epochs = np.asarray(check_epochs, np.float64)
    return np.where(reached.any(0), epochs[reached.argmax(0)], np.inf)


def layer_activations(net: Network, params, x, layer: int) -> np.ndarray:
    """o_layer of K stacked models on x: (K, N, units); layer 0 is the input itself (broadcast to K)."""
    if layer == 0:
        k = jax.tree.leaves(params)[0].shape[0]
        return np.broadcast_to(np.asarray(x).reshape(len(x), -1), (k,) + np.asarray(x).reshape(len(x), -1).shape)
    return stacked_activations(net, params, x, layer)


# ------------------------------------------------------------------------------------------ caching
def training_to_tree(t: Training) -> dict:
    """A :class:`Training` as a tree of arrays for ``jaxprobe.report.RunCache``."""
    d = t._asdict()
    d["snapshots"] = {str(k): v for k, v in t.snapshots.items()}
    return jax.tree.map(np.asarray, d)


def training_from_tree(tree: dict) -> Training:
    """Inverse of :func:`training_to_tree` (parameter lists back to tuples)."""
    as_params = lambda p: tuple({k: jnp.asarray(v) for k, v in layer.items()} for layer in p)
    return Training(
        final=as_params(tree["final"]), early=as_params(tree["early"]),
        early_epoch=np.asarray(tree["early_epoch"]), memorised=as_params(tree["memorised"]),
        memorised_epoch=np.asarray(tree["memorised_epoch"]), check_epochs=np.asarray(tree["check_epochs"]),
        train_accuracy=np.asarray(tree["train_accuracy"]), valid_loss=np.asarray(tree["valid_loss"]),
        snapshots={int(k): as_params(v) for k, v in tree["snapshots"].items()},
        epochs=int(tree["epochs"]), seconds=float(tree["seconds"]))


# ------------------------------------------------------------------------------------------ MNIST
class MnistRun(NamedTuple):
    """One MNIST MLP (stacked as K = 1): initial and early-stopped parameters, epochs, test accuracy."""

    initial: tuple
    best: tuple
    best_epoch: int
    epochs: int
    test_accuracy: float


def train_mnist(net: Network, data, *, seed: int, batch_size: int, max_epochs: int, patience: int) -> MnistRun:
    """The MNIST MLP of §6.4.2: plain SGD (lr 0.01) from Glorot init, early stopping on the validation loss.

    ``data`` is a ``jaxprobe.data.mnist.MNIST``; the accuracy is measured on its test digits.
    """
    init = init_seeds(net, 1, seed, group=2)
    per_epoch = len(data.train_y) // batch_size
    result = fit(net, init, (data.train_x, data.train_y), key=jax.random.split(jax.random.key(seed + 7), 1),
                 batch_size=batch_size, epochs=max_epochs, valid=(data.valid_x, data.valid_y), patience=patience,
                 learning_rate=LEARNING_RATE, stacked=True, progress=False)
    accuracy = float(accuracy_stacked(net, result.best_params, data.test_x, data.test_y)[0])
    return MnistRun(init, result.best_params, int(np.asarray(result.best_step)[0]) // per_epoch,
                    result.steps_done // per_epoch, accuracy)
