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

from jaxprobe.models import Network, mlp
from jaxprobe.probes.synthesis import Above, ClassProbability, ascend, uniform_starts
from jaxprobe.studies.thesis_ch5.protocol import START_RANGE, STEP_SIZE, THRESHOLD
from jaxprobe.train import fit

__all__ = ["MnistSynthesis", "mnist_network", "train_mnist", "params_tree", "params_from_tree", "synthesise_digits",
           "relative_change", "outside_share", "class_mean_correlation", "regulariser_stats"]


class MnistSynthesis(NamedTuple):
    """One regulariser's ascent: arrays of leading shape (10 digits, S starts)."""

    inputs: np.ndarray      # (10, S, 784)
    values: np.ndarray      # (10, S)
    iterations: np.ndarray  # (10, S)
    stopped: np.ndarray     # (10, S)


def mnist_network(hidden: Sequence[int]) -> Network:
    """784-hidden-10 ReLU MLP."""
    return mlp([784, *hidden, 10])


def train_mnist(net: Network, data, *, epochs: int, seed: int = 0, batch_size: int = 100,
                learning_rate: float = 0.1) -> tuple:
    """Plain SGD on ``data.train_x/y`` (validation: ``data.valid_x/y``, best parameters kept).

    Returns:
      ``(params, test_accuracy)``.
    """
    k_init, k_train = jax.random.split(jax.random.key(seed))
    res = fit(net, net.init(k_init), (data.train_x, data.train_y), key=k_train, learning_rate=learning_rate,
              batch_size=batch_size, epochs=int(epochs), valid=(data.valid_x, data.valid_y), progress=False)
    pred = np.asarray(jnp.argmax(net.apply(res.best_params, jnp.asarray(data.test_x)), axis=-1))
    return res.best_params, float(np.mean(pred == np.asarray(data.test_y)))


def params_tree(params) -> list:
    """Parameters as plain arrays (for ``RunCache``)."""
    return [{k: np.asarray(v) for k, v in layer.items()} for layer in params]


def params_from_tree(tree) -> tuple:
    """The inverse of :func:`params_tree`."""
    return tuple({k: jnp.asarray(v) for k, v in layer.items()} for layer in tree)


def synthesise_digits(net: Network, params, regularisers: Mapping[str, tuple], n_starts: int, *, key,
                      max_iter: int) -> dict[str, MnistSynthesis]:
    """The thesis's ascent for the ten digits with each regulariser, every one from the same starts.

    Args:
      net, params: the trained MNIST network.
      regularisers: ``{name: transforms}`` (``()`` for none), e.g. ``{"none": (), "clip": (Clip(0, 1),)}``.
      n_starts: starts per digit, uniform in [−0.05, 0.05].
      key: ``jax.random.key`` of the starts.
      max_iter: the iteration guard.

    Returns:
      ``{name: MnistSynthesis}``.
    """
    starts = uniform_starts(key, n_starts, net.input_shape, *START_RANGE)
    out = {}
    for name, transforms in regularisers.items():
        res = ascend(net, params, ClassProbability(), jnp.arange(10), starts, step_size=STEP_SIZE,
                     stop=Above(THRESHOLD), max_iter=int(max_iter), transforms=tuple(transforms))
        out[name] = MnistSynthesis(*(np.asarray(a) for a in res))
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
