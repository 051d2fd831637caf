"""The labelled sets of thesis Ch. 6 and every measurement made on them, by name.

A *view* is a set of signals grouped by one labelling: the training signals by true or by permuted
label, the 60,000 analysis signals by true label (or a shuffled copy, a negative control), and small
balanced subsets of both for tracking through training. The functions below make the named
measurements the experiment reports; ``cached(name, compute)`` (e.g. a ``jaxprobe.report.RunCache``
bound to the run's settings) lets a caller store the slow ones.
"""

from __future__ import annotations

from typing import Callable, Mapping, NamedTuple

import jax
import numpy as np

from jaxprobe.analysis.activations import class_means
from jaxprobe.data.jumps import jump_splits
from jaxprobe.data.mnist import load_mnist
from jaxprobe.data.sampling import balanced_indices
from jaxprobe.models import Network, mlp
from jaxprobe.studies.thesis_ch6 import measures as M
from jaxprobe.studies.thesis_ch6.protocol import (N_JUMP_CLASSES, Training, layer_activations, permuted_labels,
                                                  train_mnist)

__all__ = ["LAYERS", "HIDDEN", "JumpViews", "jump_views", "networks", "stripe_indices", "class_mean_rows",
           "profiles", "tracks", "MnistViews", "mnist_views"]

#: Layers measured: input, the three hidden layers, the output logits.
LAYERS = (0, 1, 2, 3, 4)
HIDDEN = (1, 2, 3)
Cached = Callable[[str, Callable[[], object]], object]


class JumpViews(NamedTuple):
    """Training signals with true and permuted labels, analysis signals with true and shuffled labels,
    validation signals, and the indices of the balanced tracking subsets (``held`` of the analysis set,
    ``sub`` of the training set by permuted label)."""

    train_x: np.ndarray
    true_y: np.ndarray
    random_y: np.ndarray
    analysis_x: np.ndarray
    analysis_y: np.ndarray
    shuffled_y: np.ndarray
    valid: tuple
    held: np.ndarray
    sub: np.ndarray


def jump_views(sizes, seed: int, per_class: int) -> JumpViews:
    """The thesis's jump sets (``jaxprobe.data.jumps.jump_splits``) and the permuted / shuffled labellings."""
    s = jump_splits(sizes=tuple(sizes), seed=seed)
    true_y, ay = np.asarray(s.train_y), np.asarray(s.analysis_y)
    random_y = permuted_labels(true_y, seed)
    return JumpViews(np.asarray(s.train_x), true_y, random_y, np.asarray(s.analysis_x), ay,
                     permuted_labels(ay, seed + 1), (np.asarray(s.valid_x), np.asarray(s.valid_y)),
                     balanced_indices(ay, per_class, seed=seed), balanced_indices(random_y, per_class, seed=seed))


def networks(normal: Training, memorising: Training) -> dict:
    """The analysed parameters: the normal network at its minimum validation loss, the memorising network at
    100 % training accuracy, and each group's untrained initial parameters."""
    return {"normal": normal.early, "memorising": memorising.memorised, "untrained normal": normal.snapshots[0],
            "untrained memorising": memorising.snapshots[0]}


def stripe_indices(net: Network, nets: Mapping, v: JumpViews) -> dict:
    """Stripe index (K, hidden layers) of each view of Fig. 6.3/6.4 and of its control."""
    idx = lambda name, x, y: M.stripe_profile(net, nets[name], x, y, HIDDEN, N_JUMP_CLASSES)
    return {"mem random": idx("memorising", v.train_x, v.random_y),
            "normal train": idx("normal", v.train_x, v.true_y),
            "mem true": idx("memorising", v.analysis_x, v.analysis_y),
            "mem shuffled": idx("memorising", v.analysis_x, v.shuffled_y),
            "untrained true": idx("untrained normal", v.analysis_x, v.analysis_y),
            "untrained shuffled": idx("untrained normal", v.analysis_x, v.shuffled_y)}


def class_mean_rows(net: Network, nets: Mapping, v: JumpViews) -> list:
    """Rows of the class-mean heat maps (seed 0, layers 1–3 and the softmax output): Fig. 6.3, Fig. 6.4 and the
    normal network."""
    rows = [("memorising, random labels (Fig. 6.3)", nets["memorising"], v.train_x, v.random_y),
            ("memorising, true labels (Fig. 6.4)", nets["memorising"], v.analysis_x, v.analysis_y),
            ("normal, true labels (Fig. 3.12)", nets["normal"], v.analysis_x, v.analysis_y)]
    def acts(p, x, layer):                                              # the output as softmax probabilities
        a = layer_activations(net, M.first_seed(p), x, layer)[0]
        return np.asarray(jax.nn.softmax(a, axis=-1)) if layer == LAYERS[-1] else a

    return [(title, [np.asarray(class_means(acts(p, x, l), y, N_JUMP_CLASSES)) for l in LAYERS[1:]])
            for title, p, x, y in rows]


def profiles(net: Network, nets: Mapping, v: JumpViews, cached: Cached) -> dict:
    """Every measure per seed and layer (:func:`measures.layer_profile`) of the eight views the claims use."""
    views = {"normal": ("normal", v.analysis_x, v.analysis_y),
             "untrained normal": ("untrained normal", v.analysis_x, v.analysis_y),
             "memorising true": ("memorising", v.analysis_x, v.analysis_y),
             "untrained memorising true": ("untrained memorising", v.analysis_x, v.analysis_y),
             "memorising random": ("memorising", v.train_x, v.random_y),
             "untrained memorising random": ("untrained memorising", v.train_x, v.random_y),
             "normal train": ("normal", v.train_x, v.true_y),
             "untrained normal train": ("untrained normal", v.train_x, v.true_y)}
    return {name: cached("profile-" + name.replace(" ", "-"),
                         lambda n=n, x=x, y=y: M.layer_profile(net, nets[n], x, y, LAYERS))
            for name, (n, x, y) in views.items()}


def tracks(net: Network, runs: Mapping[str, Training], v: JumpViews, cached: Cached) -> dict:
    """:func:`measures.track` of both networks' snapshots (and final parameters) on the held-out true-label
    subset and on the training subset with the labels each network learnt."""
    views = {"normal, held-out true labels": ("normal", v.analysis_x[v.held], v.analysis_y[v.held]),
             "memorising, held-out true labels": ("memorising", v.analysis_x[v.held], v.analysis_y[v.held]),
             "normal, training labels": ("normal", v.train_x[v.sub], v.true_y[v.sub]),
             "memorising, random training labels": ("memorising", v.train_x[v.sub], v.random_y[v.sub])}
    out = {}
    for name, (run_name, x, y) in views.items():
        run = runs[run_name]
        snaps = {**run.snapshots, run.epochs: run.final}
        out[name] = cached("track-" + "".join(c for c in name if c.isalnum()),
                           lambda s=snaps, x=x, y=y: M.track(net, s, x, y, LAYERS))
    return out


class MnistViews(NamedTuple):
    """The MNIST MLP of §6.4.2 (trained and untrained) and its profiles on the test digits."""

    run: object
    profiles: dict
    layers: tuple
    n_train: int
    description: str


def mnist_views(widths, *, seed: int, batch_size: int, max_epochs: int, patience: int, per_class: int) -> MnistViews:
    """Trains the MNIST MLP (``protocol.train_mnist``) and profiles it and its initial parameters on the test
    digits (``per_class`` of each digit, 0 = all) with inter-class deviations over all 45 class pairs."""
    data, net = load_mnist(), mlp(widths)
    run = train_mnist(net, data, seed=seed, batch_size=batch_size, max_epochs=max_epochs, patience=patience)
    pick = balanced_indices(data.test_y, per_class, seed=seed) if per_class else slice(None)
    x, y, layers = np.asarray(data.test_x)[pick], np.asarray(data.test_y)[pick], tuple(range(len(widths)))
    profiles = {name: M.layer_profile(net, p, x, y, layers, pairs="all")
                for name, p in (("MNIST MLP", run.best), ("untrained", run.initial))}
    description = (f"MNIST {'-'.join(map(str, widths))}: {len(data.train_y):,} embedded training digits, measured on "
                   f"{len(y):,} test digits ({data.test_source})")
    return MnistViews(run, profiles, layers, len(data.train_y), description)
