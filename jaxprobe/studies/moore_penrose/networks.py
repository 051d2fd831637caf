"""Past the thesis: trained 100-p-60 bottleneck networks and the Moore–Penrose construction.

* :func:`output_layer` — the output-layer initialisations compared in (b): flax's default
  (``'standard'``), a zero layer (``'zero'``, initial loss ln 60, close to the MP layer's), the
  least-squares Moore–Penrose map of §4.3.3 (``'mp'``), and the MP layer rescaled to the
  standard layer's initial training loss (``'mp_matched_standard'``), so that training speed can
  be compared from matched starting losses rather than from the MP layer's head start.
* :func:`train_bottlenecks`, :func:`init_comparison` — K networks trained at once (stacked), the
  initialisations from the same first layers, keys and batches.
* :func:`hidden_codes`, :func:`subset_trials`, :func:`whole_codes`, :func:`codes_study` — the
  trial of §4.3.4 on a network's own hidden codes v_k = ReLU(W₁u_k + b₁) of the noise-free jumps
  u_k instead of uniform random points, trained and (negative control) untrained.

Every network here is trained as the thesis trains its bottleneck networks (§3.3, §4.2, "all the
activation or hyperparameter settings are kept the same as in Section 3.3"): plain SGD without
momentum, learning rate :data:`THESIS_LEARNING_RATE`, batch :data:`THESIS_BATCH`, softmax
cross-entropy, and (for the codes) early stopping on the validation loss.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe import moore_penrose as mp
from jaxprobe.data.jumps import JumpSplits, clean_jumps
from jaxprobe.losses import accuracy, softmax_cross_entropy
from jaxprobe.models import Network, mlp
from jaxprobe.parallel import unstack
from jaxprobe.studies.moore_penrose.trials import correct_columns
from jaxprobe.train import TrainResult, fit

__all__ = [
    "INITS",
    "THESIS_LEARNING_RATE",
    "THESIS_BATCH",
    "CodeTraining",
    "code_training",
    "InitCurves",
    "SubsetTrials",
    "WholeCodes",
    "CodeTrials",
    "mean_cross_entropy",
    "match_scale",
    "mp_output_params",
    "output_layer",
    "train_bottlenecks",
    "validation_scores",
    "init_comparison",
    "init_table",
    "INIT_TABLE_HEADER",
    "hidden_codes",
    "subset_trials",
    "whole_codes",
    "codes_study",
    "WHOLE_CODES_HEADER",
    "whole_codes_rows",
    "TRAINING_HEADER",
    "training_rows",
]

#: Output-layer initialisations of (b), in the order they are trained and plotted.
INITS = ("standard", "zero", "mp", "mp_matched_standard")
N_CLASSES = 60
INPUT_LENGTH = 100
#: The thesis's SGD (§3.3.1): plain SGD, no momentum, learning rate 0.01, batch 100.
THESIS_LEARNING_RATE = 0.01
THESIS_BATCH = 100


class InitCurves(NamedTuple):
    """Validation curves of K stacked networks: ``step`` (E+1,), ``loss``/``acc`` (E+1, K), row 0
    before training; ``best_step`` (K,); ``train_loss0`` (K,) the initial training loss;
    ``scale`` (K,) the factor applied to the MP layer (1 for the other initialisations)."""

    step: np.ndarray
    loss: np.ndarray
    acc: np.ndarray
    best_step: np.ndarray
    train_loss0: np.ndarray
    scale: np.ndarray


class SubsetTrials(NamedTuple):
    """Moore–Penrose trials on random n-subsets of one network's 60 codes."""

    p: int
    seed: int
    n: int
    variant: str
    successes: int
    trials: int


class WholeCodes(NamedTuple):
    """All 60 codes of one network: the Moore–Penrose trial, and how many classes the network's
    own output layer and the Moore–Penrose map (centred) assign correctly."""

    p: int
    seed: int
    dead_units: int
    centred_succeeds: bool
    linear_succeeds: bool
    own_correct: int
    mp_correct: int
    valid_accuracy: float


class CodeTraining(NamedTuple):
    """How one network of (a) was trained: the epoch of its lowest validation loss (the parameters
    whose codes are used), the epochs the stack ran (it stops when every network has gone
    ``patience`` epochs without a lower validation loss) and the budget, and the validation loss
    and accuracy at the lowest."""

    p: int
    seed: int
    best_epoch: float
    epochs_run: float
    max_epochs: int
    valid_loss: float
    valid_accuracy: float


class CodeTrials(NamedTuple):
    """:func:`codes_study`'s result for the trained networks or their untrained control
    (``training``: one :class:`CodeTraining` per trained network; empty for the control)."""

    subsets: list
    whole: list
    training: list = []


def mean_cross_entropy(logits, labels) -> float:
    """Mean softmax cross-entropy of float64 ``logits`` (N, C) at int ``labels`` (N,).

    >>> round(mean_cross_entropy(np.zeros((2, 60)), np.array([0, 5])), 4)  # ln 60
    4.0943
    """
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_norm - z[np.arange(len(z)), np.asarray(labels)]))


def match_scale(logits, labels, target_loss: float, *, tol: float = 1e-10) -> float:
    """The factor s > 0 with ``mean_cross_entropy(s · logits, labels) = target_loss``.

    The loss of s·logits is convex in s (ln C at s = 0), so there are at most two roots; the
    larger is returned. It is bracketed on the grid s = 0, 2⁻²⁰, …, 2⁴⁰ (a root pair inside one
    factor-2 step is missed) and refined by bisection to relative ``tol``.

    Args:
      logits: (N, C) logits of the layer to rescale.
      labels: (N,) int labels.
      target_loss: the loss to match.

    Returns:
      s, or NaN when no s on the grid's range reaches ``target_loss``.

    >>> s = match_scale(np.array([[1.0, -1.0]]), np.array([1]), 5.0)  # log(1 + e^{2s}) = 5
    >>> round(s, 6), round(float(np.log(np.expm1(5.0))) / 2, 6)
    (2.49662, 2.49662)
    """
    z, labels = np.asarray(logits, np.float64), np.asarray(labels)
    gap = lambda s: mean_cross_entropy(s * z, labels) - target_loss
    grid = np.concatenate([[0.0], 2.0 ** np.arange(-20, 41)])
    sign = np.sign([gap(s) for s in grid])
    change = np.nonzero(sign[:-1] != sign[1:])[0]
    if not len(change):
        return float("nan")
    i = change[-1]
    lo, hi, lo_sign = grid[i], grid[i + 1], sign[i]
    while hi - lo > tol * hi:
        mid = (lo + hi) / 2
        if np.sign(gap(mid)) == lo_sign:
            lo = mid
        else:
            hi = mid
    return float((lo + hi) / 2)


def _first_layer_codes(params, x, k):
    first = unstack(params, k)[0]
    return np.maximum(np.asarray(x) @ np.asarray(first["kernel"]) + np.asarray(first["bias"]), 0)


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
    K = jax.tree.leaves(params)[0].shape[0]
    layers = [mp.mp_output_layer(_first_layer_codes(params, x, k), np.asarray(y), model.n_classes)
              for k in range(K)]
    last = dict(params[-1], kernel=jnp.asarray(np.stack([w for w, _ in layers])),
                bias=jnp.asarray(np.stack([b for _, b in layers])))
    return params[:-1] + (last,)


def _training_losses(model: Network, params, x, y) -> np.ndarray:
    return np.array([mean_cross_entropy(model.apply(unstack(params, k), x), y)
                     for k in range(jax.tree.leaves(params)[0].shape[0])])


def output_layer(model: Network, params, x, y, init: str) -> tuple[tuple, np.ndarray]:
    """Stacked parameters with the output layer of initialisation ``init`` (:data:`INITS`).

    Args:
      model: a two-layer network; ``params`` K stacked parameter sets (the standard layer).
      x, y: the training set; the MP layer is fitted on it and ``'mp_matched'`` matched on it
        (the validation set is never used).
      init: one of :data:`INITS`.

    Returns:
      (parameters, the factor applied to the MP layer per model: 1 unless matched).

    Raises:
      ValueError: for an unknown ``init``, or when no rescaling of the MP layer reaches the
        baseline's initial loss.
    """
    if init not in INITS:
        raise ValueError(f"init={init!r} is not known; choose one of {', '.join(map(repr, INITS))}.")
    K = jax.tree.leaves(params)[0].shape[0]
    ones = np.ones(K)
    if init == "standard":
        return params, ones
    if init == "zero":
        return params[:-1] + (jax.tree.map(jnp.zeros_like, params[-1]),), ones
    mp_params = mp_output_params(model, params, x, y)
    if init == "mp":
        return mp_params, ones
    baseline = output_layer(model, params, x, y, init.removeprefix("mp_matched_"))[0]
    target = _training_losses(model, baseline, x, y)
    scale = np.array([match_scale(model.apply(unstack(mp_params, k), x), np.asarray(y), target[k])
                      for k in range(K)])
    if not np.all(np.isfinite(scale)):
        raise ValueError(f"no rescaling of the MP layer reaches the initial loss {target} of init={init!r}; "
                         f"compare against another baseline.")
    s = jnp.asarray(scale, jnp.float32)
    last = dict(mp_params[-1], kernel=mp_params[-1]["kernel"] * s[:, None, None],
                bias=mp_params[-1]["bias"] * s[:, None])
    return mp_params[:-1] + (last,), scale


def train_bottlenecks(splits: JumpSplits, p: int, seeds: int, epochs: int, key: int, *,
                      init: str = "standard", eval_every: Optional[int] = None, patience: Optional[int] = None,
                      progress: bool = False) -> tuple[Network, tuple, TrainResult, np.ndarray]:
    """``seeds`` networks 100-p-60 (ReLU hidden, softmax output) trained at once.

    The thesis's training (§3.3.1): plain SGD, no momentum, lr :data:`THESIS_LEARNING_RATE`,
    batch :data:`THESIS_BATCH`; the output layer from :func:`output_layer`. With ``patience``,
    each network stops after that many evaluations without a lower validation loss and
    ``TrainResult.best_params`` holds its parameters at the lowest one (the thesis's early stopping).

    Args:
      splits: the jump data (``jaxprobe.data.jumps.jump_splits``).
      p: bottleneck width.
      seeds: number of networks K.
      epochs: training epochs (the budget when ``patience`` is given).
      key: integer seed of the initial parameters (and, + 1, of the batches).
      init: one of :data:`INITS`.
      eval_every: steps between validation evaluations (default: one epoch).
      patience: evaluations without improvement before a network stops (default: never).

    Returns:
      (model, initial stacked parameters, ``TrainResult``, the MP layer's scale per model).
    """
    model = mlp([INPUT_LENGTH, p, N_CLASSES])
    params = model.init_stacked(jax.random.split(jax.random.key(key), seeds))
    params, scale = output_layer(model, params, splits.train_x, splits.train_y, init)
    per_epoch = len(splits.train_x) // THESIS_BATCH
    result = fit(model, params, (splits.train_x, splits.train_y),
                 key=jax.random.split(jax.random.key(key + 1), seeds), optimizer="sgd",
                 learning_rate=THESIS_LEARNING_RATE, batch_size=THESIS_BATCH, epochs=epochs,
                 valid=(splits.valid_x, splits.valid_y), eval_every=eval_every or per_epoch, patience=patience,
                 progress=progress, stacked=True)
    return model, params, result, scale


def validation_scores(model: Network, params, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Cross-entropy and accuracy of K stacked models on (x, y): two arrays of shape (K,)."""

    def one(pr):
        logits = model.apply(pr, x)
        return softmax_cross_entropy(logits, y), accuracy(logits, y)

    loss, acc = jax.vmap(one)(params)
    return np.asarray(loss), np.asarray(acc)


def init_comparison(splits: JumpSplits, ps: Sequence[int], seeds: int, epochs: int, seed: int = 0,
                    eval_every: Optional[int] = None) -> tuple[dict, dict]:
    """Each output-layer initialisation of :data:`INITS` trained from the same first layers, keys
    and batches, for every bottleneck width in ``ps``.

    Returns:
      ({(p, init): InitCurves}, {p: (model, initial params, TrainResult)} of the standard networks).
    """
    curves, nets = {}, {}
    for p in ps:
        for init in INITS:
            model, params0, res, scale = train_bottlenecks(splits, p, seeds, epochs, 2000 + 10 * p + 7 * seed,
                                                           init=init, eval_every=eval_every)
            loss0, acc0 = validation_scores(model, params0, splits.valid_x, splits.valid_y)
            if init == "standard":
                nets[p] = (model, params0, res)
            curves[(p, init)] = InitCurves(
                step=np.concatenate([[0], np.asarray(res.history["step"])]),
                loss=np.concatenate([loss0[None], np.asarray(res.history["valid_loss"])]),
                acc=np.concatenate([acc0[None], np.asarray(res.history["valid_accuracy"])]),
                best_step=np.asarray(res.best_step),
                train_loss0=_training_losses(model, params0, splits.train_x, splits.train_y), scale=scale)
    return curves, nets


#: Columns of :func:`init_table`.
INIT_TABLE_HEADER = ("p", "init", "MP scale", "initial train loss", "loss 0", "acc 0", "loss 1st", "acc 1st",
                     "loss end", "acc end")


def init_table(curves: dict, ps: Sequence[int]) -> list[list]:
    """Rows [p, initialisation, MP scale, initial training loss, validation loss and accuracy at
    step 0, after the first evaluation and at the end] (means over seeds)."""
    rows = []
    for p in ps:
        for init in INITS:
            c = curves[(p, init)]
            rows.append([p, init, f"{c.scale.mean():.3g}", f"{c.train_loss0.mean():.3f}"]
                        + [f"{v[i].mean():.3f}" for i in (0, 1, -1) for v in (c.loss, c.acc)])
    return rows


def hidden_codes(model: Network, params) -> np.ndarray:
    """Codes v_k = ReLU(W₁u_k + b₁) of the 60 noise-free jumps for K stacked models: (K, 60, p)."""
    u = clean_jumps()  # u_k scaled by θ = 3, k = 21..80
    K = jax.tree.leaves(params)[0].shape[0]
    return np.stack([np.asarray(model.trace(unstack(params, k), u).post[0], np.float64) for k in range(K)])


def subset_trials(codes: np.ndarray, subsets: int, rng: np.random.Generator) -> list[SubsetTrials]:
    """The trial on ``subsets`` random n-subsets of each model's codes (K, 60, p), for every
    n = 2p, …, 5p and both readings."""
    rows = []
    p = codes.shape[-1]
    padded = mp.bucket(5 * p)
    for k, v in enumerate(codes):
        for n in range(2 * p, 5 * p + 1):
            idx = np.stack([np.sort(rng.choice(len(v), n, replace=False)) for _ in range(subsets)])
            pts = np.zeros((len(idx), padded, p), np.float32)
            pts[:, :n] = v[idx]
            for var in ("centred", "linear"):
                hit = np.asarray(mp.success_batch(pts, var, n_active=jnp.int32(n)))
                rows.append(SubsetTrials(p, k, n, var, int(hit.sum()), len(hit)))
    return rows


def whole_codes(model: Network, params, codes: np.ndarray, valid_accuracy) -> list[WholeCodes]:
    """One :class:`WholeCodes` per model: the trial on all 60 codes, the classes of the u_k that
    the model itself and the Moore–Penrose map assign correctly."""
    own = np.stack([np.asarray(jnp.argmax(model.apply(unstack(params, k), clean_jumps()), -1))
                    for k in range(len(codes))])
    out = []
    for k, v in enumerate(codes):
        out.append(WholeCodes(codes.shape[-1], k, int((v.max(axis=0) <= 0).sum()),
                              mp.reference_success(v, "centred"), mp.reference_success(v, "linear"),
                              int((own[k] == np.arange(len(v))).sum()), correct_columns(v, "centred"),
                              float(valid_accuracy[k])))
    return out


def code_training(res: TrainResult, p: int, per_epoch: int, budget: int, valid_loss, valid_accuracy
                  ) -> list[CodeTraining]:
    """One :class:`CodeTraining` per network of a stacked run ``res`` of width ``p``.

    Args:
      res: the run (``best_step`` per network, ``steps_done``); per_epoch: SGD steps per epoch.
      budget: the epoch budget; valid_loss, valid_accuracy: (K,) scores of ``res.best_params``.
    """
    best = np.asarray(res.best_step)
    return [CodeTraining(p, k, float(best[k]) / per_epoch, res.steps_done / per_epoch, budget,
                         float(valid_loss[k]), float(valid_accuracy[k])) for k in range(len(best))]


def codes_study(splits: JumpSplits, ps: Sequence[int], seeds: int, epochs: int, subsets: int,
                seed: int = 0, trained: Optional[dict] = None, patience: Optional[int] = None
                ) -> dict[str, CodeTrials]:
    """The trial on trained networks' codes of the u_k, and on the same networks untrained.

    For each width p, ``seeds`` networks are trained by the thesis's SGD (:func:`train_bottlenecks`:
    lr 0.01, batch 100, at most ``epochs`` epochs, early stopping after ``patience`` epochs without
    a lower validation loss) unless ``trained`` holds {p: (model, initial params, TrainResult)}; the
    codes are those of the lowest validation loss. The untrained control uses the initial
    parameters and the same random subsets.

    Returns:
      {'trained': CodeTrials, 'untrained': CodeTrials}; the trained one's ``training`` says when
      each network reached its lowest validation loss.
    """
    rng = {"trained": np.random.default_rng(seed), "untrained": np.random.default_rng(seed)}
    out = {name: CodeTrials([], [], []) for name in rng}
    per_epoch = len(splits.train_x) // THESIS_BATCH
    for p in ps:
        if trained and p in trained:
            model, params0, res = trained[p]
        else:
            model, params0, res, _ = train_bottlenecks(splits, p, seeds, epochs, 1000 + 10 * p, patience=patience)
        loss_after, accuracy_after = validation_scores(model, res.best_params, splits.valid_x, splits.valid_y)
        _, accuracy_before = validation_scores(model, params0, splits.valid_x, splits.valid_y)
        budget = res.steps_done // per_epoch if trained and p in trained else epochs
        out["trained"].training.extend(code_training(res, p, per_epoch, budget, loss_after, accuracy_after))
        for name, params, acc in (("trained", res.best_params, accuracy_after),
                                  ("untrained", params0, accuracy_before)):
            codes = hidden_codes(model, params)
            out[name].subsets.extend(subset_trials(codes, subsets, rng[name]))
            out[name].whole.extend(whole_codes(model, params, codes, acc))
    return out


#: Columns of :func:`whole_codes_rows`.
WHOLE_CODES_HEADER = ("network", "p", "seed", "dead units", "MP centred succeeds", "MP linear succeeds",
                      "own correct", "MP correct", "valid accuracy")


def whole_codes_rows(codes: dict[str, CodeTrials]) -> list[list]:
    """Report rows of :func:`codes_study`'s ``WholeCodes``, trained and untrained networks."""
    return [[name, *w[:7], f"{w.valid_accuracy:.3f}"] for name, c in codes.items() for w in c.whole]


#: Columns of :func:`training_rows`.
TRAINING_HEADER = ("p", "seed", "epoch of the lowest validation loss", "epochs run", "budget", "valid loss",
                   "valid accuracy")


def training_rows(training: Sequence[CodeTraining]) -> list[list]:
    """Report rows of the code networks' training (:class:`CodeTraining`)."""
    return [[t.p, t.seed, f"{t.best_epoch:g}", f"{t.epochs_run:g}", t.max_epochs, f"{t.valid_loss:.3f}",
             f"{t.valid_accuracy:.3f}"] for t in training]
