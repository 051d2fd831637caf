"""MNIST: do the optional regularisers of eq. 2.8 change what the ascent finds? (issue 12; not a thesis experiment)

The thesis's own ascent (Ch. 5) uses none of them; Ch. 2 names L2 decay, Gaussian blur and clipping
(x ← r_θ(x + α ∂a_i/∂x), eq. 2.8). Here an MLP on MNIST is trained once, then the thesis's procedure
(starts uniform in [−0.05, 0.05], α = 10 on the softmax probability, stop at p > 0.999 with an iteration
guard) is run for every digit with each regulariser from the same starts, and the results are compared
with the unregularised ones.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe.models import Network, Stage
from jaxprobe.probes.synthesis import Above, ClassProbability, ascend, uniform_starts
from jaxprobe.studies.thesis_ch5.protocol import START_RANGE, STEP_SIZE, THRESHOLD
from jaxprobe.train import fit

__all__ = ["SHAPE", "MnistSynthesis", "mnist_network", "images", "train_mnist", "params_tree", "params_from_tree", "synthesise_digits",
           "relative_change", "outside_share", "class_mean_correlation", "regulariser_stats", "MnistStudy",
           "regulariser_study"]


class MnistSynthesis(NamedTuple):
    """One regulariser's ascent: arrays of leading shape (10 digits, S starts)."""

    inputs: np.ndarray      # (10, S, 784)
    values: np.ndarray      # (10, S)
    iterations: np.ndarray  # (10, S)
    stopped: np.ndarray     # (10, S)


SHAPE = (28, 28)


def mnist_network(hidden: Sequence[int]) -> Network:
    """784-hidden-10 ReLU MLP on 28 × 28 images (flattened by its first stage, so that image regularisers
    such as a 2-D blur, a jitter or a Fourier parameterisation see the image).

    >>> mnist_network((16,)).input_shape, mnist_network((16,)).layer_shapes
    ((28, 28), ((16,), (10,)))
    """
    widths = list(hidden) + [10]
    stages = [Stage("dense", w, "relu" if i < len(hidden) else "linear", reshape=(-1,) if i == 0 else None)
              for i, w in enumerate(widths)]
    return Network(tuple(stages), SHAPE)


def images(x) -> np.ndarray:
    """Flat digits (N, 784) as (N, 28, 28)."""
    return np.asarray(x).reshape((-1,) + SHAPE)


def train_mnist(net: Network, data, *, epochs: int, seed: int = 0, batch_size: int = 100,
                learning_rate: float = 0.1) -> tuple:
    """Plain SGD on ``data.train_x/y`` (validation: ``data.valid_x/y``, best parameters kept).

    Returns:
      ``(params, test_accuracy)``.
    """
    k_init, k_train = jax.random.split(jax.random.key(seed))
    res = fit(net, net.init(k_init), (images(data.train_x), data.train_y), key=k_train, learning_rate=learning_rate,
              batch_size=batch_size, epochs=int(epochs), valid=(images(data.valid_x), data.valid_y), progress=False)
    pred = np.asarray(jnp.argmax(net.apply(res.best_params, jnp.asarray(images(data.test_x))), axis=-1))
    return res.best_params, float(np.mean(pred == np.asarray(data.test_y)))


def params_tree(params) -> list:
    """Parameters as plain arrays (for ``RunCache``)."""
    return [{k: np.asarray(v) for k, v in layer.items()} for layer in params]


def params_from_tree(tree) -> tuple:
    """The inverse of :func:`params_tree`."""
    return tuple({k: jnp.asarray(v) for k, v in layer.items()} for layer in tree)


def _ascend_options(spec: tuple, key) -> dict:
    """``ascend`` keywords for a regulariser spec: items with ``to_input`` are a parameterisation, the others
    transforms; a key is passed only when a transform needs one (``needs`` holding "key")."""
    options = {"transforms": tuple(t for t in spec if not hasattr(t, "to_input"))}
    params = [t for t in spec if hasattr(t, "to_input")]
    if params:
        options["parameterisation"] = params[0]
    if any("key" in getattr(t, "needs", ()) for t in options["transforms"]):
        options["key"] = key
    return options


def synthesise_digits(net: Network, params, regularisers: Mapping[str, tuple], n_starts: int, *, key,
                      max_iter: int) -> dict[str, MnistSynthesis]:
    """The thesis's ascent for the ten digits with each regulariser, every one from the same starts.

    Args:
      net, params: the trained MNIST network (input 28 × 28).
      regularisers: ``{name: spec}``; a spec is a tuple of ``jaxprobe.probes.synthesis`` transforms (``()``:
        none, the thesis's) and at most one parameterisation (an object with ``to_input``, e.g. ``Fourier()``).
      n_starts: starts per digit, uniform in [−0.05, 0.05].
      key: ``jax.random.key`` of the starts (and of random transforms such as a jitter).
      max_iter: the iteration guard.

    Returns:
      ``{name: MnistSynthesis}`` with inputs flattened to 784.
    """
    start_key, transform_key = jax.random.split(key)
    starts = uniform_starts(start_key, n_starts, net.input_shape, *START_RANGE)
    out = {}
    for name, spec in regularisers.items():
        res = ascend(net, params, ClassProbability(), jnp.arange(10), starts, step_size=STEP_SIZE,
                     stop=Above(THRESHOLD), max_iter=int(max_iter), **_ascend_options(tuple(spec), transform_key))
        x = np.asarray(res.inputs)
        out[name] = MnistSynthesis(x.reshape(x.shape[:2] + (-1,)), *(np.asarray(a) for a in res[1:]))
    return out


def relative_change(x, reference) -> np.ndarray:
    """‖x − reference‖ / ‖reference‖ per input (last axis flattened).

    >>> float(relative_change(np.array([3.0, 5.0]), np.array([0.0, 5.0])))
    0.6
    """
    x, ref = np.asarray(x, np.float64), np.asarray(reference, np.float64)
    return np.linalg.norm(x - ref, axis=-1) / np.maximum(np.linalg.norm(ref, axis=-1), 1e-12)


def outside_share(x, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Share of pixels outside [low, high] per input.

    >>> float(outside_share(np.array([-0.5, 0.2, 0.9, 1.5])))
    0.5
    """
    x = np.asarray(x)
    return np.mean((x < low) | (x > high), axis=-1)


def class_mean_correlation(x, class_means) -> np.ndarray:
    """Pearson correlation of each synthesised input (10, S, 784) with the mean image of its digit.

    >>> means = np.eye(10, 784)
    >>> bool(np.allclose(class_mean_correlation(means[:, None, :], means), 1.0))
    True
    """
    x = np.asarray(x, np.float64)
    m = np.asarray(class_means, np.float64)[:, None, :]
    xc, mc = x - x.mean(-1, keepdims=True), m - m.mean(-1, keepdims=True)
    den = np.sqrt((xc * xc).sum(-1) * (mc * mc).sum(-1))
    return np.where(den > 0, (xc * mc).sum(-1) / np.where(den > 0, den, 1.0), np.nan)


def regulariser_stats(results: Mapping[str, MnistSynthesis], class_means, reference: str = "none") -> dict:
    """Per regulariser: reached share, median iterations, median change against ``reference``, pixels outside
    [0, 1], and correlation with the digit's mean image (medians over digits and starts)."""
    ref = results[reference].inputs
    return {name: {"reached": float(np.mean(r.stopped)), "iterations": float(np.median(r.iterations)),
                   "change": float(np.median(relative_change(r.inputs, ref))),
                   "outside": float(np.median(outside_share(r.inputs))),
                   "class_corr": float(np.nanmedian(class_mean_correlation(r.inputs, class_means)))}
            for name, r in results.items()}


class MnistStudy(NamedTuple):
    """The MNIST section: the network, its test accuracy, each regulariser's ascent and numbers."""

    net: Network
    accuracy: float
    results: dict
    stats: dict


def regulariser_study(cache, data, *, hidden: Sequence[int], epochs: int, regularisers: Mapping[str, tuple],
                      n_starts: int, key, max_iter: int, seed: int = 0) -> MnistStudy:
    """Trains (or loads from ``cache``, a ``jaxprobe.report.RunCache``) the MNIST MLP, then runs
    :func:`synthesise_digits` and :func:`regulariser_stats` (the first regulariser is the reference)."""
    net = mnist_network(hidden)
    config = dict(hidden=list(hidden), epochs=int(epochs), seed=int(seed), shape=list(SHAPE), source=data.test_source)
    trained = cache.get("mnist", config, lambda: (lambda p, a: {"params": params_tree(p), "accuracy": a})(
        *train_mnist(net, data, epochs=epochs, seed=seed)))
    results = synthesise_digits(net, params_from_tree(trained["params"]), regularisers, n_starts, key=key,
                                max_iter=max_iter)
    y = np.asarray(data.train_y)
    means = np.stack([np.asarray(data.train_x)[y == d].mean(0) for d in range(10)])
    return MnistStudy(net, float(trained["accuracy"]), results, regulariser_stats(results, means, next(iter(results))))
