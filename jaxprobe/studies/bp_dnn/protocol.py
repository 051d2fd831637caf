"""Seed 000's protocol: DNN-6, its solver, the snapshots, and what is extracted from each.

DNN-6 is 784-100-100-100-100-100-10 with ReLU and softmax cross-entropy, trained 10,000
iterations of batch 64 (seed 000 §4). From each snapshot the study takes the fp-DNN features
z_l (eq. 2) and the bp-DNN targets õ_l = ∂ℓ/∂z_l (eq. 3, 4) on a fixed balanced probe set, and
from the final network the input-space maps of bp-DNN (eq. 3, 9) and guided-bp-DNN (eq. 11).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxprobe import validation
from jaxprobe.analysis.discriminance import discriminance
from jaxprobe.flows import bp_dnn_targets, guided_backprop, guided_bp_dnn, saliency
from jaxprobe.models import Network, mlp
from jaxprobe.probes.activations import encoder_decoder_features

__all__ = [
    "DNN6_WIDTHS",
    "N_HIDDEN",
    "SEED_ACCURACY",
    "KNN_NEIGHBOURS",
    "dnn6",
    "seed_keys",
    "caffe_lenet_solver",
    "snapshot_plan",
    "test_accuracy",
    "discriminance_by_snapshot",
    "label_shuffled_discriminance",
    "input_space_maps",
]

#: DNN-6 of seed 000 §4: five hidden layers of 100 ReLU units.
DNN6_WIDTHS = (784, 100, 100, 100, 100, 100, 10)
#: Hidden layers l = 1..5, whose z_l and õ_l the seed draws.
N_HIDDEN = 5
#: "The final accuracy of DNN-6 on the test set of MNIST is 97.51%" (seed 000 §4).
SEED_ACCURACY = 97.51
#: Neighbours of the leave-one-out k-NN discriminance measure.
KNN_NEIGHBOURS = 5


def dnn6() -> Network:
    """DNN-6 (seed 000 §4): ``mlp(DNN6_WIDTHS)``, ReLU hidden layers, linear output.

    >>> dnn6().n_layers
    6
    """
    return mlp(list(DNN6_WIDTHS))


def seed_keys(seed: int, count: int) -> tuple[jax.Array, jax.Array]:
    """Initial-weight and minibatch keys of seeds ``seed``, …, ``seed + count − 1``, stacked (K,).

    Seed s gets ``jax.random.split(jax.random.key(s))`` = (weights, batches), the keys a run of
    seed s alone uses, so member s of a stacked run (``fit(..., stacked=True)``) is that run.

    Raises:
      ValueError: if ``count`` is not a positive integer.

    >>> init, batches = seed_keys(0, 3)
    >>> init.shape, batches.shape
    ((3,), (3,))
    """
    validation.check_positive("count", count, integer=True)
    keys = jnp.stack([jax.random.split(jax.random.key(s)) for s in range(seed, seed + count)])
    return keys[:, 0], keys[:, 1]


def caffe_lenet_solver(steps: int) -> optax.GradientTransformation:
    """The Caffe MNIST solver, matching the seed's 10,000 iterations of batch 64.

    SGD with learning rate 0.01, momentum 0.9, weight decay 5e-4 and Caffe's 'inv' policy
    lr(t) = 0.01 · (1 + 1e-4 · t)^-0.75. The seed does not state its solver; this is the one of
    the Caffe example with the same iterations and batch size.

    Args:
      steps: the number of iterations planned (kept for the call signature of the experiment;
        the 'inv' policy does not depend on it).

    Returns:
      An optax gradient transformation.

    Raises:
      ValueError: if ``steps`` is not a positive integer.

    >>> import optax
    >>> isinstance(caffe_lenet_solver(100), optax.GradientTransformation)
    True
    """
    validation.check_positive("steps", steps, integer=True)
    schedule = lambda t: 0.01 * (1.0 + 1e-4 * t) ** -0.75
    return optax.chain(optax.add_decayed_weights(5e-4), optax.sgd(schedule, momentum=0.9))


def snapshot_plan(steps: int, fig5: Sequence[int], extra: Sequence[int] = ()) -> tuple[tuple, tuple]:
    """The iterations of Fig. 5 and every snapshot to keep, for a run of ``steps`` iterations.

    Fig. 5 shows iterations 10, 30, 50, 100 and the last; iterations at or past ``steps`` are
    dropped and ``steps`` itself is always last. Snapshots are iteration 0, Fig. 5's and
    ``extra`` (those below ``steps``), sorted.

    Args:
      steps: iterations of the run.
      fig5: Fig. 5's intermediate iterations.
      extra: further iterations to snapshot.

    Returns:
      ``(fig5_steps, snapshot_steps)``, two tuples of ints.

    Raises:
      ValueError: if ``steps`` is not a positive integer.

    >>> snapshot_plan(300, (10, 30, 50, 100))
    ((10, 30, 50, 100, 300), (0, 10, 30, 50, 100, 300))
    >>> snapshot_plan(40, (10, 30, 50, 100), extra=(20, 1000))
    ((10, 30, 40), (0, 10, 20, 30, 40))
    """
    validation.check_positive("steps", steps, integer=True)
    fig5_steps = tuple(s for s in fig5 if s < steps) + (steps,)
    snaps = tuple(sorted(set((0,) + fig5_steps + tuple(s for s in extra if s < steps))))
    return fig5_steps, snaps


@partial(jax.jit, static_argnums=0)
def _logits(model: Network, params, x):
    return model.apply(params, x)


def test_accuracy(model: Network, params, x: Any, y: Any, batch_size: int = 2000) -> float:
    """Classification accuracy in percent, computed in batches.

    Args:
      model, params: the network.
      x: inputs (N, 784); y: integer labels (N,).
      batch_size: examples per forward pass.

    Returns:
      100 · mean(argmax logits == y).

    Raises:
      ValueError: if ``batch_size`` is not a positive integer.
    """
    validation.check_positive("batch_size", batch_size, integer=True)
    x, y = np.asarray(x), np.asarray(y)
    logits = np.concatenate([np.asarray(_logits(model, params, x[i:i + batch_size]))
                             for i in range(0, len(x), batch_size)])
    return 100.0 * float(np.mean(logits.argmax(1) == y))


def discriminance_by_snapshot(model: Network, snapshots: Mapping[int, Any], features: Mapping[int, dict],
                              x: Any, y: Any, k: int = KNN_NEIGHBOURS) -> dict:
    """(k-NN accuracy, silhouette) of every vector set the study judges, keyed by (kind, l, step).

    Kinds: ``'targets'`` (õ_l, l = 1..5) and ``'z'`` (z_l) from ``features[step]``
    (``jaxprobe.probes.activations.encoder_decoder_features``), ``'top'`` (õ_6 = p − y, the
    bp-DNN input, at l = 6) per snapshot, and the references ``('input', 0, 0)`` (the pixels)
    and ``('label', 0, 0)`` (the label code e_y − 1/10).

    Args:
      model: the network; snapshots: {step: params}; features: {step: {'z', 'targets'}}.
      x, y: the probe digits and their labels.
      k: neighbours of the k-NN measure.

    Returns:
      ``{(kind, l, step): (knn, silhouette)}``.
    """
    y = np.asarray(y)
    x = np.asarray(x)

    def measure(v):
        m = discriminance(v, y, k=k)
        return m["knn"], m["silhouette"]

    n_hidden = model.n_layers - 1
    disc = {}
    for s in features:
        for l in range(1, n_hidden + 1):
            disc[("targets", l, s)] = measure(features[s]["targets"][l - 1])
            disc[("z", l, s)] = measure(features[s]["z"][l - 1])
        # softmax outside the compiled forward pass: fused into it, it differs in the last bits
        top = np.asarray(jax.nn.softmax(_logits(model, snapshots[s], x))) - np.eye(model.n_classes)[y]
        disc[("top", n_hidden + 1, s)] = measure(top)
    disc[("input", 0, 0)] = measure(x)
    disc[("label", 0, 0)] = measure(np.eye(model.n_classes)[y] - 1.0 / model.n_classes)
    return disc


def label_shuffled_discriminance(model: Network, snapshots: Mapping[int, Any], steps: Sequence[int], x: Any,
                                 y: Any, seed: int = 0, k: int = KNN_NEIGHBOURS) -> dict:
    """Negative control: discriminance of õ_l when bp-DNN starts from p − y with shuffled labels.

    The labels are permuted across the digits (class counts kept); the targets õ_l are taken from
    bp-DNN started at p − y_shuffled and judged against the *true* classes. If the targets'
    discriminance comes from the label fed in (seed 000 §4.1), it vanishes here.

    Args:
      model: the network; snapshots: {step: params}; steps: which snapshots to use.
      x, y: the probe digits and their true labels.
      seed: seed of the permutation; k: neighbours of the k-NN measure.

    Returns:
      ``{('targets', l, step): (knn, silhouette)}`` for l = 1..L−1 and every step in ``steps``.
    """
    x, y = np.asarray(x), np.asarray(y)
    shuffled = y[np.random.default_rng(seed).permutation(len(y))]
    out = {}
    for s in steps:
        targets = encoder_decoder_features(model, snapshots[s], x, shuffled)["targets"]
        for l, t in enumerate(targets, start=1):
            m = discriminance(t, y, k=k)
            out[("targets", l, s)] = (m["knn"], m["silhouette"])
    return out


def input_space_maps(model: Network, params, x: Any, y: Any) -> dict[str, np.ndarray]:
    """The input-space maps of Fig. 7 for digits ``x`` with labels ``y``.

    Returns ``{'bp': −z̃_0 of bp-DNN from p − y (eq. 3, 9), 'guided': guided-bp-DNN from one-hot
    y (eq. 11), 'guided_backprop': guided backprop of the class logit, 'grad_logit': the plain
    gradient of the class logit (bp-DNN from one-hot y, no guide)}``, each (N, 784).
    """
    return {
        "bp": -np.asarray(bp_dnn_targets(model, params, x, y).reconstructions[0]),
        "guided": np.asarray(guided_bp_dnn(model, params, x, y).reconstructions[0]),
        "guided_backprop": np.asarray(guided_backprop(model, params, x, y)),
        "grad_logit": np.asarray(saliency(model, params, x, y, abs=False)),
    }
