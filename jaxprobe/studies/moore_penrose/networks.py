"""Past the thesis: trained 100-p-60 bottleneck networks and the Moore–Penrose construction.

* :func:`train_bottlenecks` — K networks 100-p-60 (ReLU, softmax) trained at once (stacked), with
  the standard output layer or the Moore–Penrose one (§4.3.5's untested suggestion).
* :func:`init_comparison` — validation curves of the output-layer initialisations, same first
  layers, keys and batches.
* :func:`code_subset_trials` — the Moore–Penrose trial of §4.3.4 run on a trained network's own
  hidden codes v_k = ReLU(W₁u_k + b₁) of the noise-free jumps u_k instead of uniform random points.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxprobe import moore_penrose as mp
from jaxprobe.data.jumps import JumpSplits, clean_jumps
from jaxprobe.losses import accuracy, softmax_cross_entropy
from jaxprobe.models import Network, mlp
from jaxprobe.parallel import unstack
from jaxprobe.train import TrainResult, fit

__all__ = [
    "INITS",
    "InitCurves",
    "SubsetTrials",
    "WholeCodes",
    "mp_output_params",
    "train_bottlenecks",
    "validation_scores",
    "init_comparison",
    "init_table",
    "code_subset_trials",
]

#: Output-layer initialisations compared: flax's default and the Moore–Penrose map.
INITS = ("standard", "mp")
N_CLASSES = 60
INPUT_LENGTH = 100


class InitCurves(NamedTuple):
    """Validation curves of K stacked networks: ``epoch`` (E+1,), ``loss``/``acc`` (E+1, K),
    row 0 before training; ``best_step`` (K,)."""

    epoch: np.ndarray
    loss: np.ndarray
    acc: np.ndarray
    best_step: np.ndarray


class SubsetTrials(NamedTuple):
    """Moore–Penrose trials on random n-subsets of one network's 60 codes."""

    p: int
    seed: int
    n: int
    variant: str
    successes: int
    trials: int


class WholeCodes(NamedTuple):
    """The Moore–Penrose trial on all 60 codes of one network."""

    p: int
    seed: int
    dead_units: int
    centred_succeeds: bool
    linear_succeeds: bool
    valid_accuracy: float


def mp_output_params(model: Network, params, x, y):
    """Stacked parameters with the output layer replaced by the least-squares (Moore–Penrose) map
    (§4.3.3) from the class means of each model's initial hidden codes ReLU(x W₁ + b₁) to e_k.

    Args:
      model: a two-layer network (one hidden layer).
      params: K stacked parameter sets.
      x, y: the training inputs (N, 100) and labels (N,).

    Returns:
      Stacked parameters, the first layer unchanged.
    """
    x, y = np.asarray(x), np.asarray(y)
    K = jax.tree.leaves(params)[0].shape[0]
    kernels, biases = [], []
    for k in range(K):
        first = unstack(params, k)[0]
        codes = np.maximum(x @ np.asarray(first["kernel"]) + np.asarray(first["bias"]), 0)
        W, b = mp.mp_output_layer(codes, y, model.n_classes)
        kernels.append(W)
        biases.append(b)
    last = dict(params[-1], kernel=jnp.asarray(np.stack(kernels)), bias=jnp.asarray(np.stack(biases)))
    return params[:-1] + (last,)


def train_bottlenecks(splits: JumpSplits, p: int, seeds: int, epochs: int, key: int, *,
                      init: str = "standard", optimizer: Optional[optax.GradientTransformation] = None,
                      progress: bool = False) -> tuple[Network, tuple, TrainResult]:
    """``seeds`` networks 100-p-60 (ReLU hidden, softmax output) trained at once.

    SGD lr 0.01 (or ``optimizer``), batch 100, evaluated on the validation set every epoch, as in
    the thesis's §3.3 protocol. ``init='mp'`` replaces the output layer by
    :func:`mp_output_params`.

    Args:
      splits: the jump data (``jaxprobe.data.jumps.jump_splits``).
      p: bottleneck width.
      seeds: number of networks K.
      epochs: training epochs.
      key: integer seed of the initial parameters (and, + 1, of the batches).
      init: ``'standard'`` or ``'mp'``.

    Returns:
      (model, initial stacked parameters, ``TrainResult``).
    """
    if init not in INITS:
        raise ValueError(f"init={init!r} is not known; choose one of {', '.join(map(repr, INITS))}.")
    model = mlp([INPUT_LENGTH, p, N_CLASSES])
    params = model.init_stacked(jax.random.split(jax.random.key(key), seeds))
    if init == "mp":
        params = mp_output_params(model, params, splits.train_x, splits.train_y)
    per_epoch = len(splits.train_x) // 100
    result = fit(model, params, (splits.train_x, splits.train_y),
                 key=jax.random.split(jax.random.key(key + 1), seeds), optimizer=optimizer,
                 learning_rate=0.01, batch_size=100, epochs=epochs,
                 valid=(splits.valid_x, splits.valid_y), eval_every=per_epoch, progress=progress,
                 stacked=True)
    return model, params, result


def validation_scores(model: Network, params, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Cross-entropy and accuracy of K stacked models on (x, y): two arrays of shape (K,)."""

    def one(pr):
        logits = model.apply(pr, x)
        return softmax_cross_entropy(logits, y), accuracy(logits, y)

    loss, acc = jax.vmap(one)(params)
    return np.asarray(loss), np.asarray(acc)


def init_comparison(splits: JumpSplits, ps: Sequence[int], seeds: int, epochs: int, seed: int = 0
                    ) -> tuple[dict, dict]:
    """Each output-layer initialisation of :data:`INITS` trained from the same first layers, keys
    and batches, for every bottleneck width in ``ps``.

    Returns:
      ({(p, init): InitCurves}, {p: (model, TrainResult)} of the standard-initialised networks).
    """
    curves, nets = {}, {}
    for p in ps:
        for init in INITS:
            model, params0, res = train_bottlenecks(splits, p, seeds, epochs, 2000 + 10 * p + 7 * seed,
                                                    init=init)
            loss0, acc0 = validation_scores(model, params0, splits.valid_x, splits.valid_y)
            if init == "standard":
                nets[p] = (model, res)
            curves[(p, init)] = InitCurves(
                epoch=np.arange(len(res.history["valid_loss"]) + 1),
                loss=np.concatenate([loss0[None], np.asarray(res.history["valid_loss"])]),
                acc=np.concatenate([acc0[None], np.asarray(res.history["valid_accuracy"])]),
                best_step=np.asarray(res.best_step))
    return curves, nets


def init_table(curves: dict, ps: Sequence[int]) -> list[list]:
    """Rows [p, epoch, loss standard, loss MP, acc standard, acc MP] (means over seeds) at epochs
    0, 1, 5 and the last."""
    rows = []
    for p in ps:
        s, m = curves[(p, "standard")], curves[(p, "mp")]
        for ep in sorted({0, 1, min(5, len(s.epoch) - 1), len(s.epoch) - 1}):
            rows.append([p, ep] + [f"{c[ep].mean():.3f}" for c in (s.loss, m.loss, s.acc, m.acc)])
    return rows


def code_subset_trials(splits: JumpSplits, ps: Sequence[int], seeds: int, epochs: int, subsets: int,
                       seed: int = 0, trained: Optional[dict] = None
                       ) -> tuple[list[SubsetTrials], list[WholeCodes]]:
    """The Moore–Penrose trial on trained networks' hidden codes of the noise-free jumps u_k.

    For each width p, ``seeds`` networks are trained with Adam (lr 1e-3, so the codes come from
    well-trained networks within ``epochs``) unless ``trained`` holds {p: (model, TrainResult)}.
    For each network: the trial on all 60 codes, and on ``subsets`` random n-subsets for every
    n = 2p, …, 5p, both readings.

    Returns:
      (subset trials, one ``WholeCodes`` per network).
    """
    u = clean_jumps()  # u_k scaled by θ = 3, k = 21..80
    rng = np.random.default_rng(seed)
    rows, whole = [], []
    for p in ps:
        if trained and p in trained:
            model, res = trained[p]
        else:
            model, _, res = train_bottlenecks(splits, p, seeds, epochs, 1000 + 10 * p,
                                              optimizer=optax.adam(1e-3))
        for k in range(seeds):
            v = np.asarray(model.trace(unstack(res.best_params, k), u).post[0], np.float64)  # (60, p)
            ok = {var: mp.reference_success(v, var) for var in ("centred", "linear")}
            whole.append(WholeCodes(p, k, int((v.max(axis=0) <= 0).sum()), ok["centred"], ok["linear"],
                                    float(np.asarray(res.history["valid_accuracy"])[-1][k])))
            padded = mp.bucket(5 * p)
            for n in range(2 * p, 5 * p + 1):
                idx = np.stack([np.sort(rng.choice(N_CLASSES, n, replace=False)) for _ in range(subsets)])
                pts = np.zeros((len(idx), padded, p), np.float32)
                pts[:, :n] = v[idx]
                for var in ("centred", "linear"):
                    hit = np.asarray(mp.success_batch(pts, var, n_active=jnp.int32(n)))
                    rows.append(SubsetTrials(p, k, n, var, int(hit.sum()), len(hit)))
    return rows, whole
