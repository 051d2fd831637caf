"""The networks and the gradient-ascent protocol of thesis Ch. 5 (digest §5, §8.9).

* Networks: the jump study's 1–4-layer MLPs and one-filter CNNs (``jaxprobe.studies.jumps``), trained
  over K seeds at once with its protocol (SGD lr 0.01, batch 100, early stopping) and kept in a
  ``jaxprobe.report.RunCache``; the negative controls are the same networks untrained (Glorot-uniform,
  the initialiser the jump study trains from, other keys).
* Synthesis (§5, verbatim procedure): x ∈ R^100 drawn uniformly in [−0.05, 0.05]; x ← x + α ∂a_i/∂x with
  α = 10 on the softmax probability a_i of the target's output unit; no regulariser; stop when
  a_i > 0.999, with a maximum-iteration guard (not in the thesis) whose hits are counted. The engine is
  ``jaxprobe.probes.synthesis.ascend`` (targets × starts in one compiled loop); seeds are looped here.
* §5.2's two readings for the CNNs: the conv signals of the synthesised input forwarded through the
  network (:func:`forwarded_layers`), and ascent directly on the activation of conv layer l with the
  network above it fixed (:func:`layer_ascent`, on :func:`downstream_network`).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import validation
from jaxprobe.data.jumps import FIRST
from jaxprobe.models import Network, glorot_init_stacked
from jaxprobe.parallel import unstack
from jaxprobe.probes.synthesis import Above, ClassProbability, ascend, uniform_starts
from jaxprobe.studies.jumps import Budget, run_arrays, run_from_arrays, train_seeds

__all__ = ["MLPS", "CNNS", "MLP_POSITIONS", "CNN_POSITION", "STEP_SIZE", "START_RANGE", "THRESHOLD", "Synthesis",
           "label_of", "trained_networks", "untrained_params", "synthesise", "conv_layers",
           "forwarded_layers", "downstream_network", "layer_ascent"]

MLPS = ("mlp1", "mlp2", "mlp3", "mlp4")
CNNS = ("cnn1", "cnn2", "cnn3")
#: §5.1: "Output neuron activations of jump positions at 21, 40, 60 and 80 are maximized."
MLP_POSITIONS = (21, 40, 60, 80)
#: §5.2: "Activation maximized for jump position at 50."
CNN_POSITION = 50
#: §5: x ← x + α ∂a_i/∂x with α = 10.
STEP_SIZE = 10.0
#: §5: "initialized randomly, uniformly in range [−0.05 : 0.05]".
START_RANGE = (-0.05, 0.05)
#: §5: stop "when the activation level of an output neuron is over 0.999".
THRESHOLD = 0.999


class Synthesis(NamedTuple):
    """Ascent results of K seeds: arrays of leading shape (K, T targets, S starts)."""

    inputs: np.ndarray      # (K, T, S, *shape) the synthesised inputs
    values: np.ndarray      # (K, T, S) final objective (the target's probability)
    iterations: np.ndarray  # (K, T, S) steps taken
    stopped: np.ndarray     # (K, T, S) reached the threshold before the guard


def label_of(position: int) -> int:
    """The output unit of a jump position: label = t₀ − 21 (digest §0).

    >>> label_of(21), label_of(50), label_of(80)
    (0, 29, 59)
    """
    return int(position) - FIRST


def trained_networks(cache, names: Sequence[str], splits, budget: Budget, *, seed: int = 0,
                     conv_activation: str = "linear", progress: bool = False) -> dict:
    """The jump study's trained runs (``train_seeds``), each kept in ``cache`` under its configuration.

    Args:
      cache: a ``jaxprobe.report.RunCache``.
      names: jump-network names (``mlp1`` … ``cnn3``).
      splits: the jump data (``jaxprobe.data.jumps.jump_splits``).
      budget: seeds, epoch budget and patience (``jaxprobe.studies.jumps.Budget``).
      seed: the base seed of the jump study's training keys.
      conv_activation: the CNNs' conv activation (the thesis states none).
      progress: show training progress bars.

    Returns:
      ``{name: JumpRun}`` with K stacked early-stopped parameters each.
    """
    sizes = [len(splits.train_x), len(splits.valid_x), len(splits.test_x), len(splits.analysis_x)]
    runs = {}
    for name in names:
        config = {"name": name, "sigma": float(splits.sigma), "theta": float(splits.theta), "sizes": sizes,
                  "budget": vars(budget), "seed": seed, "conv_activation": conv_activation}
        arrays = cache.get(f"trained-{name}", config, lambda: run_arrays(train_seeds(
            name, splits, n_seeds=budget.n_seeds, max_epochs=budget.max_epochs, patience=budget.patience, seed=seed,
            conv_activation=conv_activation, learning_rate=budget.learning_rate, batch_size=budget.batch_size,
            progress=progress)))
        runs[name] = run_from_arrays(arrays)
    return runs


def untrained_params(net: Network, n_seeds: int, seed: int = 0):
    """K stacked untrained parameter sets (Glorot-uniform kernels, zero biases): the negative control.

    >>> from jaxprobe.studies.jumps import jump_network
    >>> p = untrained_params(jump_network("mlp2"), 3)
    >>> p[0]["kernel"].shape
    (3, 100, 100)
    """
    validation.check_int("n_seeds", n_seeds, minimum=1)
    keys = jax.random.split(jax.random.fold_in(jax.random.key(seed), 55), int(n_seeds))
    return glorot_init_stacked(net, keys)


def _n_seeds(stacked) -> int:
    return int(jax.tree_util.tree_leaves(stacked)[0].shape[0])


def _ascend_seeds(net: Network, stacked, targets, starts, max_iter: int, transforms) -> Synthesis:
    parts = [ascend(net, unstack(stacked, k), ClassProbability(), jnp.asarray(targets), starts,
                    step_size=STEP_SIZE, stop=Above(THRESHOLD), max_iter=int(max_iter), transforms=transforms)
             for k in range(_n_seeds(stacked))]
    return Synthesis(*(np.stack([np.asarray(getattr(p, f)) for p in parts]) for f in Synthesis._fields))


def synthesise(net: Network, stacked, positions: Sequence[int], n_starts: int, *, key, max_iter: int,
               transforms=()) -> Synthesis:
    """The thesis's ascent (§5) on every seed: ``n_starts`` starts shared by every position and seed.

    Args:
      net: a jump network (input length 100, 60 classes).
      stacked: K stacked parameter sets.
      positions: target jump positions (21..80); the objective is the softmax probability of
        output unit ``position − 21``.
      n_starts: random starts, uniform in [−0.05, 0.05].
      key: ``jax.random.key`` of the starts.
      max_iter: the iteration guard.
      transforms: regularisers applied after each step (none in the thesis).

    Returns:
      :class:`Synthesis` of leading shape (K, len(positions), n_starts).

    Raises:
      ValueError: a position outside 21..80, ``n_starts`` < 1, ``max_iter`` < 1.
    """
    for p in positions:
        validation.check_int("positions", p, minimum=FIRST, maximum=FIRST + net.n_classes - 1)
    starts = uniform_starts(key, n_starts, net.input_shape, *START_RANGE)
    return _ascend_seeds(net, stacked, [label_of(p) for p in positions], starts, max_iter, transforms)


def conv_layers(net: Network) -> int:
    """How many conv stages come first (0 for an MLP)."""
    n = 0
    while n < net.n_layers and net.stages[n].kind == "conv":
        n += 1
    return n


def forwarded_layers(net: Network, stacked, inputs) -> list[np.ndarray]:
    """§5.2, reading 1: the synthesised inputs and their conv-layer signals.

    Args:
      net: a one-filter CNN.
      stacked: K stacked parameters.
      inputs: (K, ..., 100) synthesised inputs of the same seeds.

    Returns:
      ``[input, conv 1, …, conv n]``, each (K, ..., 100): o_l of each conv layer (after its activation).
    """
    inputs = np.asarray(inputs)
    flat = inputs.reshape(inputs.shape[0], -1, inputs.shape[-1])
    out = [inputs]
    for layer in range(1, conv_layers(net) + 1):
        conv = jax.jit(jax.vmap(lambda p, x: net.trace(p, x).post[layer - 1].reshape(x.shape[0], -1)))
        signal = conv(stacked, flat)
        out.append(np.asarray(signal).reshape(inputs.shape))
    return out


def downstream_network(net: Network, layer: int) -> Network:
    """The network above layer ``layer`` (1-based): stages l+1..L on inputs shaped like o_l.

    >>> from jaxprobe.studies.jumps import jump_network
    >>> downstream_network(jump_network("cnn2"), 1).input_shape, downstream_network(jump_network("cnn2"), 1).n_layers
    ((100, 1), 2)
    """
    validation.check_int("layer", layer, minimum=1, maximum=net.n_layers - 1)
    return Network(net.stages[layer:], net.layer_shapes[layer - 1])


def layer_ascent(net: Network, stacked, layer: int, position: int, n_starts: int, *, key,
                 max_iter: int) -> Synthesis:
    """§5.2, reading 2: ascent directly on the activation o_l of conv layer ``layer``, the network above it fixed.

    The same procedure as :func:`synthesise` (uniform starts in [−0.05, 0.05], α = 10, stop at p > 0.999),
    on :func:`downstream_network`. The signals returned are flattened to length 100.

    Returns:
      :class:`Synthesis` with inputs (K, 1, n_starts, 100).
    """
    sub = downstream_network(net, layer)
    params = tuple(stacked[layer:])
    starts = uniform_starts(key, n_starts, sub.input_shape, *START_RANGE)
    res = _ascend_seeds(sub, params, [label_of(position)], starts, max_iter, ())
    k, t, s = res.values.shape
    return res._replace(inputs=res.inputs.reshape(k, t, s, -1))
