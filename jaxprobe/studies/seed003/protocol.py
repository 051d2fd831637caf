"""Seed 003's protocol: the networks, their training, the three routes to a class feature, the measures.

* Networks (seed 003 §3): dense, sigmoid at every layer, hidden sizes 8…1024, 1 or 3 hidden layers,
  MNIST, batch 100, SGD. Trained two ways on the same initial weights' distribution:
  ``"gtp"`` — the gradient-target-propagation rule (:mod:`.gtp`; sigmoid output, squared error to
  the one-hot) — and ``"bp"`` — back-propagation of the softmax cross-entropy with
  :func:`jaxprobe.train.fit` (sigmoid hidden layers, linear logits).
* Routes from an output unit to the input, all from the zero input: ``"gtp"`` the input target of
  a one-hot (seed 003 Alg. 1, :func:`jaxprobe.probes.target_propagation.class_features`),
  ``"bp_dnn"`` the descent direction −∂ℓ/∂x of the class's cross-entropy (seed 000's bp-DNN,
  :func:`jaxprobe.bp_dnn_targets`), ``"ascent"`` gradient ascent on the class's output
  pre-activation with an L2 penalty (written here: a synthesis module may land in
  ``jaxprobe.probes`` later).
* Measures (:mod:`jaxprobe.analysis.explainability`): the explainability E (class contrast against
  the centred class means of the training digits), the share of features a ridge linear judge
  of the digits assigns to their class, and the mean mutual cosine of the features (Fig. 2).
"""

from __future__ import annotations

import time
from functools import lru_cache, partial
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe.analysis.explainability import (centred_class_means, class_contrast, judge_identification,
                                              linear_judge, mutual_cosine, shared_fraction,
                                              template_identification)
from jaxprobe.flows import bp_dnn_targets
from jaxprobe.models import Network, mlp
from jaxprobe.probes.activations import predict_stacked
from jaxprobe.probes.target_propagation import class_features
from jaxprobe.studies.seed003.gtp import fit_gtp, sigmoid_network
from jaxprobe.train import fit

__all__ = ["HIDDEN", "DEPTHS", "BATCH", "TAU", "PROPAGATION_STEPS", "START", "BASE_LEARNING_RATE", "RULES",
           "ROUTES", "ASCENT_STEPS", "ASCENT_RATE", "ASCENT_PENALTY", "SEED_ACCURACIES", "network",
           "learning_rate", "epoch_steps", "Reader", "make_reader", "train_stacked", "route_features",
           "stacked_route_features", "time_class_features",
           "measure", "Architecture", "run_architecture"]

#: Hidden sizes and depths of seed 003 §3 and Appendix A.
HIDDEN = (8, 16, 128, 512, 1024)
DEPTHS = (1, 3)
#: Batch size (seed 003 §3).
BATCH = 100
#: τ = 4 = 1 / max σ′: one step then carries a target across a sigmoid layer at the size of the
#: signal above it; τ = 1 with one step from the forward activation is exactly back-propagation of
#: the squared error (tests/test_study_seed003.py), so GTP differs from BP only with τ ≠ 1.
TAU = 4.0
#: Descent steps per layer (the authors' code: ``period = 1``).
PROPAGATION_STEPS = 1
START = "forward"
#: SGD step for width ≤ 128; wider layers take 128/width of it (at 1.0 the 1024-wide sigmoid
#: networks diverged: their output pre-activations sum 1024 uncentred activations).
BASE_LEARNING_RATE = 1.0
RULES = ("gtp", "bp")
ROUTES = ("gtp", "bp_dnn", "ascent")
#: Gradient ascent from the zero input: x ← x + η ∇(z_L[c] − ½λ‖x‖²), 100 steps (1 − ηλ = 0.95).
ASCENT_STEPS, ASCENT_RATE, ASCENT_PENALTY = 100, 0.5, 0.1

#: The test accuracies (%) seed 003 reports: (figure, hidden, hidden layers, epochs) → accuracy.
SEED_ACCURACIES = (
    ("Fig. 1, 2a", 128, 1, 1, 85.88),
    ("Fig. 2b", 128, 1, 10, 94.86),
    ("Fig. 4a", 512, 1, 1, 89.04),
    ("Fig. 4b", 512, 1, 10, 92.83),
    ("Fig. 5a", 16, 1, 10, 93.08),
    ("Fig. 5b", 16, 3, 10, 93.83),
    ("Fig. 6a", 8, 3, 10, 91.26),
    ("Fig. 6b", 16, 3, 10, 91.26),
    ("Fig. 8 top", 1024, 3, 10, 89.64),
    ("Fig. 8 bottom", 1024, 3, 10, 95.17),
    ("Fig. 9 top", 512, 3, 10, 84.07),
    ("Fig. 9 bottom", 512, 3, 10, 94.03),
    ("Fig. 10", 128, 3, 1, 83.05),
)


def network(rule: str, hidden: int, depth: int) -> Network:
    """784 → hidden × depth → 10, sigmoid hidden layers; sigmoid output for GTP, logits for BP."""
    widths = [784] + [hidden] * depth + [10]
    return sigmoid_network(widths) if rule == "gtp" else mlp(widths, activation="sigmoid")


def learning_rate(hidden: int) -> float:
    """The SGD step of a network of this width: 1.0 × min(1, 128 / hidden).

    >>> learning_rate(16), learning_rate(1024)
    (1.0, 0.125)
    """
    return BASE_LEARNING_RATE * min(1.0, 128.0 / hidden)


def epoch_steps(epochs: Sequence[float], n_train: int) -> tuple:
    """SGD steps at the given epochs (one epoch = one pass over ``n_train`` digits in batches of 100).

    >>> epoch_steps((0, 0.5, 1, 10), 4500)
    (0, 22, 45, 450)
    """
    per_epoch = n_train // BATCH
    return tuple(int(round(e * per_epoch)) for e in epochs)


class Reader(NamedTuple):
    """What the measures compare features with: the training digits' class patterns and a judge."""

    patterns: np.ndarray  # centred class means, (10, 784)
    judge: np.ndarray  # ridge linear judge weights, (784, 10)
    judge_accuracy: float  # its accuracy on the test digits


def make_reader(train_x, train_y, test_x, test_y) -> Reader:
    """Class patterns and the linear judge of the training digits; the judge's test accuracy."""
    weights, centre = linear_judge(train_x, train_y, 10)
    acc = float(np.mean(np.argmax((np.asarray(test_x) - centre) @ weights, axis=1) == np.asarray(test_y)))
    return Reader(centred_class_means(train_x, train_y, 10), weights, acc)


def train_stacked(rule: str, model: Network, keys: jax.Array, train: tuple, *, lr: float, total_steps: int,
                  snapshot_steps: Sequence[int]) -> dict:
    """K models (one per key) trained with ``rule``; returns ``{step: stacked params}``."""
    init_keys = jax.vmap(lambda k: jax.random.fold_in(k, 0))(keys)
    batch_keys = jax.vmap(lambda k: jax.random.fold_in(k, 1))(keys)
    params = model.init_stacked(init_keys)
    if rule == "gtp":
        return fit_gtp(model, params, train, key=batch_keys, learning_rate=lr, batch_size=BATCH,
                       total_steps=total_steps, snapshot_steps=snapshot_steps, tau=TAU, steps=PROPAGATION_STEPS,
                       start=START, stacked=True)
    result = fit(model, params, train, key=batch_keys, learning_rate=lr, batch_size=BATCH, steps=total_steps,
                 snapshot_steps=snapshot_steps, eval_every=total_steps, progress=False, stacked=True)
    return dict(result.snapshots)


@partial(jax.jit, static_argnames=("model",))
def _ascent(model: Network, params, classes):
    def one(c):
        score = lambda x: model.trace_one(params, x).pre[-1][c] - 0.5 * ASCENT_PENALTY * jnp.sum(x * x)
        step = lambda _, x: x + ASCENT_RATE * jax.grad(score)(x)
        return jax.lax.fori_loop(0, ASCENT_STEPS, step, jnp.zeros(model.input_shape, jnp.float32))

    return jax.vmap(one)(classes)


def route_features(route: str, model: Network, params) -> jax.Array:
    """The ten class features of one network along ``route`` (see the module docstring): (10, 784)."""
    classes = jnp.arange(model.n_classes)
    if route == "gtp":
        return class_features(model, params, tau=TAU, steps=PROPAGATION_STEPS, start=START)
    if route == "bp_dnn":
        zeros = jnp.zeros((model.n_classes,) + model.input_shape, jnp.float32)
        return -bp_dnn_targets(model, params, zeros, classes).reconstructions[0]
    if route == "ascent":
        return _ascent(model, params, classes)
    raise ValueError(f"route={route!r} is not known; choose one of {', '.join(map(repr, ROUTES))}.")


def time_class_features(model: Network, params) -> tuple[float, float]:
    """Seconds of :func:`class_features` (this study's settings): the first call (compilation
    included) and a second one (the compiled call alone)."""
    times = []
    for _ in range(2):
        start = time.perf_counter()
        class_features(model, params, tau=TAU, steps=PROPAGATION_STEPS, start=START).block_until_ready()
        times.append(time.perf_counter() - start)
    return times[0], times[1]


@lru_cache(maxsize=None)
def stacked_route_features(route: str, model: Network):
    """:func:`route_features` of K stacked models, one compiled call: params → (K, 10, 784)."""
    return jax.jit(jax.vmap(partial(route_features, route, model)))


def measure(features, reader: Reader) -> dict:
    """E, template and judge identification, mutual cosine of one network's ten features; E of the
    class-specific parts (each feature minus the ten features' mean), the shared part's share, and
    E against the wrong classes' patterns (class c read as c + 1: a control)."""
    f = np.asarray(features, np.float64).reshape(len(features), -1)
    return {"explainability": class_contrast(f, reader.patterns),
            "explainability_wrong_class": class_contrast(f, np.roll(reader.patterns, -1, axis=0)),
            "explainability_specific": class_contrast(f - f.mean(axis=0), reader.patterns),
            "shared_fraction": shared_fraction(f),
            "template_id": template_identification(f, reader.patterns),
            "judge_id": judge_identification(f, reader.judge),
            "mutual_cosine": mutual_cosine(f)}


class Architecture(NamedTuple):
    """One architecture trained with one rule, K seeds, measured at every snapshot.

    ``accuracy`` (%) is (snapshots, K); ``measures[route][name]`` is (snapshots, K);
    ``features[route]`` is (snapshots, K, 10, 784) float32; ``params`` is ``{step: stacked params}``
    when kept (else empty).
    """

    rule: str
    hidden: int
    depth: int
    steps: tuple
    accuracy: np.ndarray
    measures: dict
    features: dict
    params: dict


def run_architecture(rule: str, hidden: int, depth: int, *, keys: jax.Array, train: tuple, test: tuple,
                     reader: Reader, snapshot_steps: Sequence[int], keep_params: bool = False) -> Architecture:
    """Trains K seeds (one per key) of one architecture with ``rule`` and measures the three routes'
    features and the test accuracy at every snapshot step."""
    model = network(rule, hidden, depth)
    train = (np.asarray(train[0]), np.asarray(train[1]))
    snaps = train_stacked(rule, model, keys, train, lr=learning_rate(hidden), total_steps=max(snapshot_steps),
                          snapshot_steps=snapshot_steps)
    steps = tuple(sorted(snaps))
    test_x, test_y = np.asarray(test[0]), np.asarray(test[1])
    accuracy = np.stack([100 * np.mean(predict_stacked(model, snaps[s], test_x) == test_y, axis=1) for s in steps])
    features, measures = {}, {}
    for route in ROUTES:
        per_snap = [np.asarray(stacked_route_features(route, model)(snaps[s]), np.float32) for s in steps]
        features[route] = np.stack(per_snap)
        rows = [[measure(f, reader) for f in snap] for snap in per_snap]
        measures[route] = {name: np.array([[r[name] for r in snap] for snap in rows]) for name in rows[0][0]}
    return Architecture(rule, hidden, depth, steps, accuracy, measures, features, snaps if keep_params else {})
