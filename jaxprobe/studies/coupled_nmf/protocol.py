"""Seed 002's protocol: the CNN, the three case studies, and what is measured on each network.

The seed (Saini & Papalexakis, KDD DL Day 2018, §3) trains its CNN "in various problematic ways"
for one epoch each, stores the test images D_0 and the activations A_0, A_1 of its two
conv–maxpool–ReLU layers (columns = test images), and fits the coupled factorisation of eq. 1 at
ranks 10..50. What it leaves unstated is fixed here and said in the report:

* training: SGD with learning rate 0.01 and momentum 0.5 (the PyTorch MNIST example whose network
  this is, without its dropout and hidden dense layer), one epoch, softmax cross-entropy;
* data: the 4,500 embedded training digits (450 a class) instead of the seed's 60,000, so the
  batch is scaled to keep the seed's number of updates per epoch: 64 · 4,500 / 60,000 ≈ 5 digits
  (900 updates, against the seed's 938 at batch 64);
* every condition of one seed starts from the same initial weights (a paired design), and those
  weights are the untrained control network of that seed;
* case III ("class by class […] the first training class was the Digit 9"): classes in the order
  9, 0, 1, …, 8, one ``fit`` call per class, so the momentum restarts with each class;
* each block is fitted raw (as the seed) and normalised to unit root-mean-square, so that no block
  weighs more because its numbers are larger.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Optional, Sequence

import jax
import numpy as np
import optax

from jaxprobe import validation
from jaxprobe.analysis.factorization import coupled_nmf, effective_rank, energy_rank, singular_values
from jaxprobe.models import Network, seed002_cnn
from jaxprobe.probes.layer_outputs import pooled_outputs
from jaxprobe.train import fit, make_optimizer

__all__ = [
    "RANKS", "SEED_BATCH", "SEED_TRAIN_SIZE", "CLASS_ORDER", "LEARNING_RATE", "MOMENTUM", "BLOCK_NAMES",
    "Condition", "CONDITIONS", "REFERENCE", "UNTRAINED", "condition", "network", "optimizer", "batch_size_for",
    "training_segments", "train", "blocks_of", "normalise", "measure_network",
]

#: "The number of latent factors in (1) is varied from 10 to 50 with increments of 10" (§3.3).
RANKS = (10, 20, 30, 40, 50)
#: The PyTorch MNIST example's batch, and the seed's "about 60,000 training images" (§3.1).
SEED_BATCH, SEED_TRAIN_SIZE = 64, 60_000
#: Case III's class order: "the first training class was the Digit 9", then ascending.
CLASS_ORDER = (9, 0, 1, 2, 3, 4, 5, 6, 7, 8)
#: The PyTorch MNIST example's SGD (the seed names no optimizer).
LEARNING_RATE, MOMENTUM = 0.01, 0.5
#: Rows of the stacked matrix: D_0 (784 pixels), A_0 (12·12·10), A_1 (4·4·20).
BLOCK_NAMES = ("D_0 (pixels)", "A_0 (layer 1)", "A_1 (layer 2)")
DIGITS = tuple(range(10))


@dataclass(frozen=True)
class Condition:
    """One way of training the network.

    Attributes:
      key: short name used in files and tables (``"I-25"``).
      title: the case study's words (``"25 % of the training data"``).
      case: ``"I"``, ``"II"``, ``"III"`` or ``"control"``.
      fraction: share of the training digits used (case I).
      digits: the classes trained on (case II).
      class_order: classes one after the other, unshuffled (case III); empty = shuffled.
      trained: False for the untrained control.
      seed_accuracy: the seed's test accuracy (%) for this condition, where it gives one.
    """

    key: str
    title: str
    case: str
    fraction: float = 1.0
    digits: tuple = DIGITS
    class_order: tuple = ()
    trained: bool = True
    seed_accuracy: Optional[float] = None


CONDITIONS = (
    Condition("I-25", "25 % of the data", "I", fraction=0.25, seed_accuracy=83.0),
    Condition("I-50", "50 % of the data", "I", fraction=0.50, seed_accuracy=89.0),
    Condition("I-75", "75 % of the data", "I", fraction=0.75, seed_accuracy=93.0),
    Condition("I-100", "100 % of the data (= case II, all digits)", "I", fraction=1.0, seed_accuracy=95.0),
    Condition("II-0", "digit {0}", "II", digits=(0,), seed_accuracy=9.0),
    Condition("II-0-4", "digits {0..4}", "II", digits=(0, 1, 2, 3, 4), seed_accuracy=50.0),
    Condition("II-5-9", "digits {5..9}", "II", digits=(5, 6, 7, 8, 9), seed_accuracy=47.0),
    Condition("III", "class by class, 9 first, unshuffled", "III", class_order=CLASS_ORDER, seed_accuracy=9.0),
    Condition("untrained", "untrained (the shared initial weights)", "control", trained=False),
)
#: The well-trained reference of every "poorer training" comparison.
REFERENCE = "I-100"
#: The negative control.
UNTRAINED = "untrained"
#: Case II's "all digits" network is case I's 100 % network (same data, one epoch); the seed
#: reports 93 % for it in case II and 95 % in case I.
SEED_ACCURACY_ALL_DIGITS = 93.0


def condition(key: str) -> Condition:
    """The condition named ``key``.

    >>> condition("III").class_order[0]
    9
    """
    for c in CONDITIONS:
        if c.key == key:
            return c
    raise ValueError(f"condition {key!r} is not known; choose one of {', '.join(c.key for c in CONDITIONS)}.")


def network() -> Network:
    """The seed's CNN (§3.1): ``jaxprobe.seed002_cnn()``."""
    return seed002_cnn()


def optimizer() -> optax.GradientTransformation:
    """SGD, learning rate 0.01, momentum 0.5 (the PyTorch MNIST example; the seed states none).

    The same object on every call (``make_optimizer`` is cached), so ``fit`` reuses its compiled steps.
    """
    return make_optimizer("momentum", LEARNING_RATE, momentum=MOMENTUM)


def batch_size_for(n_train: int) -> int:
    """The batch that gives one epoch of ``n_train`` digits the seed's number of updates
    (60,000 / 64 ≈ 938): ``round(64 · n_train / 60,000)``, at least 1.

    >>> batch_size_for(4500), batch_size_for(60000)
    (5, 64)
    """
    validation.check_positive("n_train", n_train, integer=True)
    return max(1, round(SEED_BATCH * n_train / SEED_TRAIN_SIZE))


def training_segments(cond: Condition, x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The training data of ``cond`` as segments trained one after the other (one epoch each).

    Case I takes the first ``fraction`` of the digits (they come in a fixed random order), case II
    the digits of its classes, case III one segment per class in :data:`CLASS_ORDER`.

    >>> y = np.repeat(np.arange(10), 3); x = np.zeros((30, 28, 28), np.float32)
    >>> [int(s[1][0]) for s in training_segments(condition("III"), x, y)][:3]
    [9, 0, 1]
    >>> len(training_segments(condition("I-50"), x, y)[0][1])
    15
    """
    if not cond.trained:
        return []
    if cond.class_order:
        return [(x[y == c], y[y == c]) for c in cond.class_order]
    keep = np.isin(y, cond.digits)
    x, y = x[keep], y[keep]
    n = int(round(cond.fraction * len(y)))
    return [(x[:n], y[:n])]


def train(net: Network, cond: Condition, x: np.ndarray, y: np.ndarray, seed: int, batch_size: int,
          progress: bool = False) -> tuple:
    """Parameters of ``net`` after one epoch of ``cond``'s training, from the seed's shared start.

    Args:
      net: the network (:func:`network`).
      cond: the condition.
      x, y: the training digits (N, 28, 28) and labels.
      seed: initial weights from ``jax.random.key(seed)`` (the same for every condition); batch
        orders from ``fold_in`` of that key.
      batch_size: digits per update (:func:`batch_size_for`).
      progress: show a progress bar.

    Returns:
      The parameters (the initial ones for the untrained control).
    """
    key = jax.random.key(seed)
    params = net.init(key)
    for i, (sx, sy) in enumerate(training_segments(cond, x, y)):
        params = fit(net, params, (sx, sy), key=jax.random.fold_in(key, 1 + i), optimizer=optimizer(),
                     batch_size=min(batch_size, len(sy)), epochs=1, progress=progress).params
    return params


def blocks_of(net: Network, params, x: np.ndarray) -> list[np.ndarray]:
    """[D_0, A_0, A_1] of seed §3.2: the test images and the two pooled ReLU layers, columns = images.

    >>> net = network(); x = np.zeros((3, 28, 28), np.float32)
    >>> [b.shape for b in blocks_of(net, net.init(jax.random.key(0)), x)]
    [(784, 3), (1440, 3), (320, 3)]
    """
    a0, a1 = pooled_outputs(net, params, x, (1, 2))
    return [np.asarray(x, np.float32).reshape(len(x), -1).T, a0.T, a1.T]


def normalise(blocks: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Each block divided by its root-mean-square value (an all-zero block stays zero).

    >>> normalise([np.full((2, 2), 3.0)])[0].tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    out = []
    for b in blocks:
        rms = float(np.sqrt(np.mean(np.square(b, dtype=np.float64))))
        out.append((b / rms).astype(b.dtype) if rms > 0 else b)
    return out


def _class_means(F: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.stack([F[y == c].mean(0) if np.any(y == c) else np.zeros(F.shape[1]) for c in DIGITS])


def _factorise(blocks, y, ranks, key, iterations, inner_steps) -> dict:
    fit_ = coupled_nmf(blocks, ranks, key=key, iterations=iterations, inner_steps=inner_steps)
    J = np.asarray(fit_.objective, np.float64)
    last = J[np.arange(len(ranks)), np.asarray(fit_.n_iter)]
    before = J[np.arange(len(ranks)), np.maximum(np.asarray(fit_.n_iter) - 10, 0)]
    loads, F = fit_.factors(ranks[0])
    return {
        "rmse": np.asarray(fit_.rmse, np.float64),
        "block_rmse": np.asarray(fit_.block_rmse, np.float64),
        "block_relative_error": np.asarray(fit_.block_relative_error, np.float64),
        "last10_decrease": (before - last) / before,  # convergence: relative fall of J over the last 10 iterations
        "loadings": [np.asarray(p) for p in loads],   # P_0, O_0, O_1 at the smallest rank (Fig. 2, 8)
        "image_factor_by_class": _class_means(np.asarray(F), y),
    }


@partial(jax.jit, static_argnums=0)
def _logits(net: Network, params, x):
    return net.apply(params, x)


def measure_network(net: Network, params, test_x: np.ndarray, test_y: np.ndarray, idx: np.ndarray, *,
                    ranks: Sequence[int] = RANKS, key, iterations: int, inner_steps: int,
                    normalised: bool = True) -> dict:
    """Everything the study reads from one network.

    Args:
      net, params: the network and its weights.
      test_x, test_y: the test digits (N, 28, 28) and labels: accuracy uses all of them.
      idx: the test digits whose blocks are factorised (the seed: all of them).
      ranks: the ranks of the factorisation.
      key: ``jax.random.key`` for the factorisation's initial factors.
      iterations, inner_steps: of :func:`jaxprobe.analysis.factorization.coupled_nmf`.
      normalised: also fit the blocks normalised to unit RMS (else ``normalised`` is None).

    Returns:
      A dict of numpy arrays and numbers: ``accuracy``, ``recall`` (per digit), ``raw`` and
      ``normalised`` factorisations (``rmse`` per rank, ``block_rmse`` (rank, block), rank-``ranks[0]``
      loadings, …), ``spectra`` (singular values of A_0 and A_1), ``effective_rank`` and
      ``energy_rank_90`` of A_0 and A_1, ``dead_share`` (units never active) of each layer and
      ``class_means`` of A_1 (10 × 320).
    """
    logits = np.concatenate([np.asarray(_logits(net, params, test_x[i:i + 5000])) for i in range(0, len(test_x), 5000)])
    pred = logits.argmax(1)
    recall = np.array([np.mean(pred[test_y == c] == c) if np.any(test_y == c) else np.nan for c in DIGITS])
    x, y = test_x[idx], test_y[idx]
    blocks = blocks_of(net, params, x)
    spectra = [singular_values(b) for b in blocks[1:]]
    out = {
        "accuracy": float(np.mean(pred == test_y)),
        "recall": recall,
        "raw": _factorise(blocks, y, tuple(ranks), key, iterations, inner_steps),
        "normalised": _factorise(normalise(blocks), y, tuple(ranks), key, iterations, inner_steps) if normalised else None,
        "spectra": spectra,
        "effective_rank": np.array([effective_rank(s) for s in spectra]),
        "energy_rank_90": np.array([energy_rank(s, 0.9) for s in spectra]),
        "dead_share": np.array([float(np.mean(b.max(1) <= 0)) for b in blocks[1:]]),
        "class_means": _class_means(blocks[2].T, y),
    }
    return out
