"""Probe sweeps: a grid of seeds × hyperparameters trained as stacked members, probed, tabulated.

``sweep(model, train, {"seed": [0, 1, 2], "learning_rate": [0.1, 0.01]}, steps=...)`` trains the
grid's 6 members as one stack of parameters in one compiled program, applies every probe to
every member and returns a :class:`SweepTable`: one row per member, a column per grid axis and
per measure. Grid axes:

- ``"seed"``: member keys. ``init_key, data_key = split(key(seed))``: the parameters come from
  ``init(model, init_key)`` and the minibatch order from ``data_key``, exactly as
  ``fit(model, init(model, init_key), train, key=data_key)`` would draw it
  (``jaxprobe.train.batch_indices``).
- ``"subset"``: index arrays into ``train`` (all of one length, so that members stack); a member
  trains on ``(x[subset], y[subset])``.
- ``"model"``: networks; members of one network form one stacked program (widths that differ
  give one program per width).
- any other name: a numeric argument of the optimizer (``learning_rate``, ``momentum``, ``b1`` …),
  set per member through ``optax.inject_hyperparams``.

Values may be given as a sequence or as a ``{label: value}`` dict (labels name arrays and
networks in the table). Members are the grid's cartesian product, the last axis varying fastest.
The members of a network are split over all local devices (``jaxprobe.parallel``) and trained in
rounds when they do not fit in memory at once; under several processes
(``jaxprobe.distributed``) each process trains its share and every process receives the table.

Each step is the SGD step of ``jaxprobe.train.fit``: the mean softmax cross-entropy of seed 000
eq. 1 on the step's minibatch, its gradient, the optimizer's update. Options of the training:

- ``shared_order=True``: every member draws its minibatches in member 0's order (its seed's data
  key). The members' first-layer matmuls then read the same inputs, and XLA runs them as one wide
  GEMM, x (B, n_in) @ [W_1 … W_K] (n_in, K·n_out), and the weight gradients as one xᵀ @ [δ_1 … δ_K]
  (``benchmarks/bench_sweep.py`` measures what that gains). Each member then equals
  ``fit(..., key=<member 0's data key>)``.
- ``patience``: early stopping per member on its validation loss, as ``fit(..., patience=...)``:
  a member whose loss did not improve for ``patience`` evaluations stops (its parameters are frozen
  while the rest of the stack trains on; a round ends when all its members stopped); the measures
  are then those of each member's best parameters, with the columns ``best_step`` and ``steps_done``.
- ``snapshot_steps``: the measures computed from the parameters after those steps, as columns
  ``<measure>@<step>`` (NaN after a member stopped), and with ``keep_params`` the parameters
  themselves in ``table.snapshots``.

:func:`probe_members` applies a per-example probe (a flow over a test set, say) to all members in
one compiled call, vmapped over members (split over the device mesh) and chunked over examples.
"""

from __future__ import annotations

import csv
import inspect
import itertools
import json
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable, Mapping, NamedTuple, Optional, Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxprobe import distributed, parallel, validation
from jaxprobe.losses import accuracy, softmax_cross_entropy
from jaxprobe.models import Network
from jaxprobe.train import batch_indices

SEED, SUBSET, MODEL = "seed", "subset", "model"
Probe = Callable[[Network, tuple], Union[jax.Array, Mapping[str, jax.Array]]]


# ------------------------------------------------------------------------------ the grid
def grid_axes(grid: Mapping[str, Union[Sequence, Mapping]]) -> dict:
    """The grid as ``{axis: (labels, values)}``, checked: no empty axis, labels from dict keys.

    Raises:
        ValueError: naming an axis with no values.

    >>> grid_axes({"seed": [0, 1]})["seed"]
    (('0', '1'), (0, 1))
    """
    if not grid:
        raise ValueError("grid must name at least one axis, e.g. {'seed': [0, 1, 2]}.")
    axes = {}
    for name, values in grid.items():
        if isinstance(values, Mapping):
            labels, values = tuple(str(k) for k in values), tuple(values.values())
        else:
            values = tuple(values) if not isinstance(values, (str, bytes)) else (values,)
            scalar = all(np.ndim(v) == 0 and not isinstance(v, Network) for v in values)
            labels = tuple(str(v) if scalar else str(i) for i, v in enumerate(values))
        if not values:
            raise ValueError(f"grid axis {name!r} is empty; give it at least one value.")
        axes[name] = (labels, values)
    return axes


def expand_grid(grid: Mapping[str, Union[Sequence, Mapping]]) -> list[dict]:
    """The grid's members: one ``{axis: index}`` per point of the cartesian product, last axis fastest.

    >>> expand_grid({"seed": [0, 1], "learning_rate": [0.1, 0.2, 0.3]})[:2]
    [{'seed': 0, 'learning_rate': 0}, {'seed': 0, 'learning_rate': 1}]
    """
    axes = grid_axes(grid)
    names = list(axes)
    return [dict(zip(names, point)) for point in itertools.product(*(range(len(axes[a][0])) for a in names))]


def member_keys(seed: int) -> tuple:
    """``(init_key, data_key)`` of a member with this seed: ``split(key(seed))``."""
    init_key, data_key = jax.random.split(jax.random.key(seed))
    return init_key, data_key


# ------------------------------------------------------------------------------ the table
@dataclass
class SweepTable:
    """One row per member: the grid axes' labels and the measures (floats)."""

    axes: tuple
    measures: tuple
    rows: list
    params: dict = field(default_factory=dict)  # member index → parameters (when keep_params)
    snapshots: dict = field(default_factory=dict)  # member index → {step: parameters} (keep_params)
    settings: dict = field(default_factory=dict)  # the training settings shared by all members

    @property
    def columns(self) -> tuple:
        return ("member",) + self.axes + self.measures

    def column(self, name: str) -> np.ndarray:
        """One column over all members (floats for measures, labels for axes)."""
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; columns are {', '.join(self.columns)}.")
        return np.asarray([row[name] for row in self.rows])

    def to_csv(self, path) -> Path:
        path = Path(path)
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.columns)
            writer.writeheader()
            writer.writerows(self.rows)
        return path

    def to_json(self, path) -> Path:
        path = Path(path)
        path.write_text(json.dumps({"axes": list(self.axes), "measures": list(self.measures),
                                    "settings": self.settings, "rows": self.rows}, indent=1, default=str))
        return path

    def save(self, folder, name: str = "sweep") -> tuple:
        """Writes ``<name>.csv`` and ``<name>.json`` into ``folder``; returns their paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        return self.to_csv(folder / f"{name}.csv"), self.to_json(folder / f"{name}.json")

    def to_report(self, report, title: str = "Sweep", digits: int = 4) -> None:
        """Adds the table to a ``jaxprobe.report.Report`` section (and its files to its folder)."""
        fmt = lambda v: f"{v:.{digits}g}" if isinstance(v, float) else v
        report.table(title, self.columns, [[fmt(row[c]) for c in self.columns] for row in self.rows])
        self.save(report.folder)


# ------------------------------------------------------------------------------ training
def _optimizer_factory(optimizer) -> Callable:
    if callable(optimizer):
        return optimizer
    if not isinstance(optimizer, str) or not callable(getattr(optax, optimizer, None)):
        raise ValueError(f"optimizer must be an optax optimizer factory (optax.adam) or its name ('adam'), "
                         f"got {optimizer!r}.")
    return getattr(optax, optimizer)


@lru_cache(maxsize=32)
def _injected(factory, fixed: tuple, swept: tuple) -> optax.GradientTransformation:
    """One optimizer object per (factory, fixed arguments, swept names), so compiled steps are reused."""
    return optax.inject_hyperparams(factory)(**dict(fixed), **{name: 0.0 for name in swept})


def stacked_steps(model: Network, optimizer, params, opt_state, x, y, indices, count):
    """The first ``count`` of each member's rows of ``indices`` (K, rows, batch) as SGD steps.

    Returns the new stacked parameters and optimizer states and each member's mean loss over the
    steps (seed 000 eq. 1), the step of ``jaxprobe.train.fit`` vmapped over members. ``indices``
    of shape (rows, batch) is one minibatch order shared by all members: the members' first-layer
    matmuls then read the same inputs and XLA may run them as one wide GEMM.
    """
    def one(p, s, idx):
        def step(i, carry):
            p, s, total = carry
            rows = idx[i]
            loss, grads = jax.value_and_grad(lambda q: softmax_cross_entropy(model.apply(q, x[rows]), y[rows]))(p)
            updates, s = optimizer.update(grads, s, p)
            return optax.apply_updates(p, updates), s, total + loss

        p, s, total = jax.lax.fori_loop(0, count, step, (p, s, jnp.float32(0.0)))
        return p, s, total / count

    return jax.vmap(one, in_axes=(0, 0, 0 if indices.ndim == 3 else None))(params, opt_state, indices)


_stacked_steps_jit = jax.jit(stacked_steps, static_argnames=("model", "optimizer"))


class _Setup(NamedTuple):
    """What every round of one network's members shares."""

    model: Network
    optimizer: optax.GradientTransformation
    init: Callable
    axes: dict
    members: list
    swept: tuple
    data: tuple  # (x, y) replicated over the mesh
    valid: Optional[tuple]  # (x, y) replicated over the mesh, or None
    probes: tuple  # ((name, probe), ...)
    n: int  # examples per member's training set
    batch_size: int
    steps: int
    chunk: int
    patience: Optional[int]
    snapshot_steps: tuple
    order_key: Optional[jax.Array]  # the data key every member uses (shared_order), else None
    mesh: jax.sharding.Mesh


class _Round(NamedTuple):
    """A round's results, one entry per member (numpy, except the parameters)."""

    params: object  # stacked: the final parameters, or the best ones under patience
    measures: np.ndarray  # (K, n_measures): valid loss and accuracy, then the probes' values
    train_loss: np.ndarray  # (K,) mean loss of each member's last chunk
    best_step: np.ndarray  # (K,) step of the best parameters (patience), else the last step
    steps_done: np.ndarray  # (K,) steps each member trained
    snapshot_measures: dict  # {step: (K, n_measures) array, NaN where the member had stopped}
    snapshots: dict  # {step: (stacked parameters, bool per member: it had stopped before)}


def schedule(steps: int, chunk: int, snapshot_steps: Sequence[int]) -> list:
    """The steps after which training pauses: every ``chunk`` steps, at each snapshot step and at the end.

    >>> schedule(7, 3, (0, 4))
    [3, 4, 6, 7]
    """
    points = set(range(chunk, steps + 1, chunk)) | {s for s in snapshot_steps if 0 < s <= steps} | {steps}
    return sorted(points)


def _member_state(setup: _Setup, ids: list):
    """Stacked initial parameters and optimizer states of members ``ids``, and their data keys."""
    axes, members = setup.axes, setup.members
    keys = [member_keys(int(axes[SEED][1][members[i][SEED]]) if SEED in axes else 0) for i in ids]
    params = jax.vmap(lambda k: setup.init(setup.model, k))(jnp.stack([k[0] for k in keys]))
    state = jax.vmap(setup.optimizer.init)(params)
    hyper = dict(state.hyperparams)
    for name in setup.swept:
        hyper[name] = jnp.asarray([axes[name][1][members[i][name]] for i in ids], hyper[name].dtype)
    data_keys = [k[1] if setup.order_key is None else setup.order_key for k in keys]
    return params, state._replace(hyperparams=hyper), data_keys


def _specs(args) -> tuple:
    """The arguments' structure and their shapes, dtypes and placements: hashable, the key of a round's program."""
    leaves, structure = jax.tree.flatten(args)
    return structure, tuple(jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=a.sharding) for a in leaves)


@lru_cache(maxsize=32)
def _program_bytes(model: Network, optimizer, specs: tuple) -> int:
    """Device bytes of the compiled round of ``specs`` (measured once per shape and placement)."""
    with validation.traced_checks(False):
        args = jax.tree.unflatten(*specs)
        return parallel.compiled_bytes(_stacked_steps_jit.lower(model, optimizer, *args, 1).compile())


def _keep_where(mask: np.ndarray, old, new):
    """``old`` for the members where ``mask`` is true, ``new`` elsewhere (leaf by leaf)."""
    mask = jnp.asarray(mask)
    return jax.tree.map(lambda a, b: jnp.where(mask.reshape(mask.shape + (1,) * (a.ndim - 1)), a, b), old, new)


def _minibatch_rows(setup: _Setup, data_keys: list, subsets: list, done: int, count: int) -> jax.Array:
    """Example indices of the next ``count`` steps, padded to ``chunk`` rows: (K, chunk, batch),
    or (chunk, batch) placed on every device when all members share them (``shared_order``
    without subsets), so that XLA sees one input batch for all members."""
    pad = lambda r: np.pad(r, [(0, 0)] * (r.ndim - 2) + [(0, setup.chunk - count), (0, 0)]).astype(np.int32)
    if setup.order_key is not None and subsets[0] is None:
        return parallel.replicate(jnp.asarray(pad(batch_indices(setup.order_key, done, count, setup.n,
                                                                setup.batch_size))), setup.mesh)
    rows = batch_indices(jnp.stack(data_keys), done, count, setup.n, setup.batch_size)
    rows = np.stack([r if s is None else s[r] for r, s in zip(rows, subsets)])
    return parallel.shard_leading(jnp.asarray(pad(rows)), setup.mesh)


def _train_round(setup: _Setup, ids: list, *, measure_memory: bool):
    """Members ``ids`` (a multiple of the device count) trained together over the mesh.

    Returns a :class:`_Round`, or, when ``measure_memory`` finds that the compiled round needs
    more than the free device memory allows, its measured bytes per member (an int).
    """
    axes, members, k = setup.axes, setup.members, len(ids)
    params, state, data_keys = _member_state(setup, ids)
    params, state = parallel.shard_leading((params, state), setup.mesh)
    subsets = [np.asarray(axes[SUBSET][1][members[i][SUBSET]]) if SUBSET in axes else None for i in ids]
    evaluate = lambda p: np.asarray(_measures(setup.model, setup.probes, p, setup.valid))
    valid_loss_of = lambda p: np.asarray(_measures(setup.model, (), p, setup.valid))[:, 0]
    stopped = np.zeros(k, bool)
    best = (params, np.full(k, np.inf), np.zeros(k, np.int64), np.zeros(k, np.int64))  # params, loss, step, since
    train_loss, steps_done = np.full(k, np.nan, np.float32), np.zeros(k, np.int64)
    snapshot_measures, snapshots = {}, {}
    if 0 in setup.snapshot_steps:
        snapshot_measures[0], snapshots[0] = evaluate(params), (params, stopped)
    done = 0
    for boundary in schedule(setup.steps, setup.chunk, setup.snapshot_steps):
        if stopped.all():
            break
        count = boundary - done
        args = (params, state, *setup.data, _minibatch_rows(setup, data_keys, subsets, done, count))
        if measure_memory:
            n_dev = setup.mesh.devices.size
            per_member = _program_bytes(setup.model, setup.optimizer, _specs(args)) * n_dev // k
            if parallel.members_per_round(k, per_member, n_dev) < k:
                return per_member
            measure_memory = False
        with validation.traced_checks(False):  # the data were checked once, in sweep; jit keeps this trace
            new_params, new_state, loss = _stacked_steps_jit(setup.model, setup.optimizer, *args, count)
        params, state = _keep_where(stopped, params, new_params), _keep_where(stopped, state, new_state)
        done = boundary
        steps_done = np.where(stopped, steps_done, done)
        if boundary in setup.snapshot_steps:
            values = evaluate(params)
            snapshot_measures[boundary] = np.where(stopped[:, None], np.nan, values)
            snapshots[boundary] = (params, stopped)
        if boundary % setup.chunk == 0 or boundary == setup.steps:
            train_loss = np.where(stopped, train_loss, np.asarray(loss))
            if setup.patience is not None:
                valid_loss = valid_loss_of(params)
                improved = (valid_loss < best[1]) & ~stopped
                best = (_keep_where(improved, params, best[0]), np.where(improved, valid_loss, best[1]),
                        np.where(improved, boundary, best[2]),
                        np.where(improved, 0, np.where(stopped, best[3], best[3] + 1)))
                stopped = stopped | (best[3] >= setup.patience)
    if setup.patience is not None:
        params, best_step = best[0], best[2]
    else:
        best_step = np.full(k, done)
    return _Round(params, evaluate(params), train_loss, best_step, steps_done, snapshot_measures, snapshots)


def _probe_names(model: Network, probes: Mapping[str, Probe]) -> list:
    names = []
    for name, probe in probes.items():
        out = jax.eval_shape(lambda p: probe(model, p), model.param_shapes)
        if isinstance(out, Mapping):
            names += [f"{name}.{k}" for k in out]
        elif np.prod(out.shape) == 1:
            names.append(name)
        else:
            raise ValueError(f"probe {name!r} must return a scalar or a dict of scalars per member, "
                             f"got shape {out.shape}.")
    return names


@partial(jax.jit, static_argnames=("model", "probes"))
def _measures(model, probes: tuple, params, valid) -> jax.Array:
    """Each member's measures (valid loss and accuracy, then the probes' values): (K, n_measures)."""
    def one(p):
        out = []
        if valid is not None:
            logits = model.apply(p, valid[0])
            out += [softmax_cross_entropy(logits, valid[1]), accuracy(logits, valid[1])]
        for _, probe in probes:
            value = probe(model, p)
            values = value.values() if isinstance(value, Mapping) else [value]
            out += [jnp.reshape(v, ()) for v in values]
        return jnp.stack(out).astype(jnp.float32) if out else jnp.zeros((0,), jnp.float32)

    return jax.vmap(one)(params)


# ------------------------------------------------------------------------------ probes over members
@partial(jax.jit, static_argnames=("model", "probe", "chunk", "checks"))
def _probe_program(model, probe, chunk, checks, params, data):
    """``checks`` only keys the compiled program: the caller traces it with or without traced checks."""
    def one(p):
        if chunk is None:
            return probe(model, p, *data)
        n = data[0].shape[0]
        pieces = -(-n // chunk)
        padded = parallel.pad_leading(data, pieces * chunk)  # the last example repeated, dropped below
        blocks = jax.tree.map(lambda a: a.reshape((pieces, chunk) + a.shape[1:]), padded)
        out = jax.lax.map(lambda block: probe(model, p, *block), blocks)
        return jax.tree.map(lambda a: a.reshape((pieces * chunk,) + a.shape[2:])[:n], out)

    return jax.vmap(one)(params)


def probe_members(model: Network, params, probe: Callable, data: tuple, *, chunk: Optional[int] = None,
                  checks: bool = True, mesh: Optional[jax.sharding.Mesh] = None):
    """``probe(model, params_k, *data)`` for every member k of stacked ``params``, in one compiled call.

    The members are vmapped and split over ``mesh``'s devices; the examples (the leading axis of
    every array in ``data``) run whole, or in blocks of ``chunk`` through ``lax.map`` when memory
    is short (same results). A bp-DNN target sweep over a test set, for instance::

        targets = probe_members(net, table_params, lambda m, p, x, y: jp.bp_dnn_targets(m, p, x, y).targets,
                                (test_x, test_y))

    Args:
        model: the members' network.
        params: stacked parameters (leading axis K: ``Network.init_stacked``, ``parallel.stack``).
        probe: ``probe(model, params, *data) → pytree`` of arrays with the examples on the leading
            axis (a flow of ``jaxprobe.flows`` on a batch); hashable (a module-level function or a
            lambda kept in a variable, so that the compiled program is reused).
        data: arrays sharing their leading (example) axis.
        chunk: examples per block (None: all at once).
        checks: keep the probe's traced value checks (``jaxprobe.validation``: NaN inputs, outputs
            that overflow); ``False`` checks the floating-point data once, here, and compiles the
            probe without them (its finiteness reductions then drop out of the program).
        mesh: the devices the members are split over (default all local devices).
    Returns:
        The probe's pytree with a leading member axis (K, N, ...).
    Raises:
        ValueError: ``data`` empty or of unequal lengths, a ``chunk`` that is not positive, or
            (``checks=False``) data that are not finite.

    >>> import jaxprobe as jp
    >>> net = jp.mlp([3, 2])
    >>> stacked = net.init_stacked(jax.random.split(jax.random.key(0), 4))
    >>> probe_members(net, stacked, lambda m, p, x: m.apply(p, x), (jnp.ones((5, 3)),), chunk=2).shape
    (4, 5, 2)
    """
    data = tuple(jnp.asarray(a) for a in data)
    if not data or len({a.shape[0] if a.ndim else -1 for a in data}) != 1 or data[0].ndim == 0:
        raise ValueError("data must be a non-empty tuple of arrays sharing their leading (example) axis, got shapes "
                         f"{[a.shape for a in data]}.")
    if chunk is not None:
        chunk = validation.check_int("chunk", chunk, minimum=1)
        chunk = None if chunk >= data[0].shape[0] else chunk
    checks = validation.check_bool("checks", checks)
    if not checks:
        for i, a in enumerate(data):
            if jnp.issubdtype(a.dtype, jnp.floating):
                validation.check_finite(f"data[{i}]", a)
    mesh = mesh or parallel.device_mesh()
    k = jax.tree.leaves(params)[0].shape[0]
    padded = parallel.round_up(k, mesh.devices.size)
    params = parallel.shard_leading(parallel.pad_leading(params, padded), mesh)
    with validation.traced_checks(checks and validation.traced_checks_enabled()):
        out = _probe_program(model, probe, chunk, checks, params, parallel.replicate(data, mesh))
    return jax.tree.map(lambda a: a[:k], out) if padded > k else out


def _check_axes(axes: dict, factory, n_train: int) -> tuple:
    """The optimizer axes; raises naming an axis whose values cannot stack or are not known."""
    accepted = set(inspect.signature(factory).parameters)
    swept = []
    for name, (_, values) in axes.items():
        if name == SEED:
            if not all(float(v).is_integer() for v in values):
                raise ValueError(f"grid axis 'seed' must hold integers, got {values!r}.")
        elif name == SUBSET:
            sizes = {np.shape(v) for v in values}
            if len(sizes) > 1 or any(np.ndim(v) != 1 for v in values):
                raise ValueError(f"grid axis 'subset' holds index arrays of shapes {sorted(sizes)}; members can "
                                 f"only stack when every subset is 1-D and of one length.")
            for v in values:
                validation.check_index("grid axis 'subset'", np.asarray(v), n_train, "training example index")
        elif name == MODEL:
            if not all(isinstance(v, Network) for v in values):
                raise ValueError("grid axis 'model' must hold jaxprobe Networks.")
        else:
            if name not in accepted:
                raise ValueError(f"grid axis {name!r} is neither 'seed', 'subset', 'model' nor an argument of the "
                                 f"optimizer {getattr(factory, '__name__', factory)} "
                                 f"({', '.join(sorted(accepted))}).")
            if not all(np.ndim(v) == 0 and np.issubdtype(np.asarray(v).dtype, np.number) for v in values):
                raise ValueError(f"grid axis {name!r} must hold numbers (set per member through "
                                 f"optax.inject_hyperparams); got {values!r}.")
            swept.append(name)
    return tuple(swept)


def sweep(
    model: Network,
    train: tuple,
    grid: Mapping[str, Union[Sequence, Mapping]],
    *,
    steps: int,
    batch_size: int = 100,
    optimizer: Union[str, Callable] = optax.sgd,
    optimizer_args: Optional[Mapping] = None,
    valid: Optional[tuple] = None,
    probes: Optional[Mapping[str, Probe]] = None,
    init: Optional[Callable[[Network, jax.Array], tuple]] = None,
    eval_every: Optional[int] = None,
    shared_order: bool = False,
    patience: Optional[int] = None,
    snapshot_steps: Sequence[int] = (),
    mesh: Optional[jax.sharding.Mesh] = None,
    max_members_per_device: Optional[int] = None,
    keep_params: bool = False,
) -> SweepTable:
    """Trains every member of ``grid`` (see the module docstring) and probes it; one table row each.

    Args:
        model: the network (unless the grid has a ``"model"`` axis).
        train: ``(x, y)``, inputs and integer labels.
        grid: ``{axis: values}``; at least one axis, none empty.
        steps: SGD steps per member.
        batch_size: examples per step.
        optimizer: an optax factory or its name (default ``optax.sgd``); swept arguments go
            through ``optax.inject_hyperparams``.
        optimizer_args: fixed arguments of the optimizer (``learning_rate`` defaults to 0.01).
        valid: ``(x, y)``; adds ``valid_loss`` and ``valid_accuracy`` of the final parameters (of
            the best ones under ``patience``).
        probes: ``{name: probe(model, params) → scalar or {key: scalar}}``, applied to every member
            (a dict gives the columns ``name.key``).
        init: ``init(model, key) → params`` (default ``model.init``).
        eval_every: steps per compiled chunk and between evaluations (default one epoch);
            ``train_loss`` is the mean loss of the last chunk, as ``fit``'s last ``history['train_loss']``.
        shared_order: every member draws its minibatches in member 0's order (one wide first-layer
            GEMM for all members; see the module docstring).
        patience: early stopping per member after this many evaluations without a lower validation
            loss (needs ``valid``); adds the columns ``best_step`` and ``steps_done``.
        snapshot_steps: steps (0 … steps) whose parameters are measured (columns ``<measure>@<step>``)
            and, with ``keep_params``, kept in ``table.snapshots`` (as ``fit``: none after a member stopped).
        mesh: the devices members are split over (default all local devices).
        max_members_per_device: a cap on members per device and round; without it the cap comes
            from the measured per-member footprint and the free device memory.
        keep_params: keep each member's final (best, under ``patience``) parameters in
            ``table.params`` and its snapshots in ``table.snapshots`` (this process's share).
    Returns:
        A :class:`SweepTable` (the whole grid on every process); ``table.settings`` records the
        training settings (steps, batch size, optimizer, ``shared_order``, ``patience`` …).
    Raises:
        ValueError: an empty axis, subsets that cannot stack, an unknown axis (each naming the axis),
            or bad training arguments.

    >>> import jaxprobe as jp
    >>> x, y = jnp.ones((8, 3)), jnp.arange(8) % 2
    >>> t = sweep(jp.mlp([3, 2]), (x, y), {"seed": [0], "learning_rate": [0.1, 0.2]}, steps=2, batch_size=4)
    >>> t.column("learning_rate").tolist(), t.measures
    (['0.1', '0.2'], ('train_loss',))
    """
    axes = grid_axes(grid)
    factory = _optimizer_factory(optimizer)
    fixed = dict(optimizer_args or {})
    if "learning_rate" in inspect.signature(factory).parameters and "learning_rate" not in axes:
        fixed.setdefault("learning_rate", 0.01)
    x, y = np.asarray(train[0], np.float32), np.asarray(train[1], np.int32)
    swept = _check_axes(axes, factory, len(x))
    models = axes[MODEL][1] if MODEL in axes else (model,)
    if MODEL not in axes and not isinstance(model, Network):
        raise ValueError(f"model must be a jaxprobe Network (or give the grid a 'model' axis), got {model!r}.")
    for m in models:
        validation.check_input("train[0]", x, m.input_shape)
        validation.check_index("train[1]", y, m.n_classes, "class label")
    n = len(axes[SUBSET][1][0]) if SUBSET in axes else len(x)
    validation.check_positive("steps", steps, integer=True)
    validation.check_positive("batch_size", batch_size, integer=True)
    if batch_size > n:
        raise ValueError(f"batch_size={batch_size} is larger than the training set ({n} examples).")
    chunk = min(int(eval_every or n // batch_size), steps)
    validation.check_positive("eval_every", chunk, integer=True)
    shared_order = validation.check_bool("shared_order", shared_order)
    if patience is not None:
        patience = validation.check_int("patience", patience, minimum=1)
        if valid is None:
            raise ValueError("patience (early stopping) needs a validation set: pass valid=(x, y).")
    if isinstance(snapshot_steps, (str, bytes)) or not isinstance(snapshot_steps, (tuple, list, range, np.ndarray)):
        raise TypeError(f"snapshot_steps must be a sequence of steps, got {snapshot_steps!r}.")
    snapshot_steps = tuple(sorted({validation.check_int(f"snapshot_steps[{i}]", s, minimum=0, maximum=steps)
                                   for i, s in enumerate(list(snapshot_steps))}))
    probes = dict(probes or {})
    valid = None if valid is None else (jnp.asarray(valid[0], jnp.float32), jnp.asarray(valid[1], jnp.int32))
    opt = _injected(factory, tuple(sorted(fixed.items())), swept)
    init = init or (lambda m, k: m.init(k))
    mesh = mesh or parallel.device_mesh()
    n_dev = mesh.devices.size

    members = expand_grid(grid)
    measured = (["valid_loss", "valid_accuracy"] if valid is not None else []) + _probe_names(models[0], probes)
    names = ["train_loss"] + measured + (["best_step", "steps_done"] if patience is not None else [])
    names += [f"{name}@{step}" for step in snapshot_steps for name in measured]
    order_key = None
    if shared_order:
        order_key = member_keys(int(axes[SEED][1][members[0][SEED]]) if SEED in axes else 0)[1]
    mine = distributed.share(len(members))
    values = np.zeros((len(mine), len(names)), np.float32)
    kept, kept_snapshots = {}, {}
    by_model = {}
    for i in mine:
        by_model.setdefault(members[i].get(MODEL, 0), []).append(i)
    xs, ys = parallel.replicate((jnp.asarray(x), jnp.asarray(y)), mesh)
    valid = None if valid is None else parallel.replicate(valid, mesh)
    for model_index, group in by_model.items():
        net = models[model_index]
        setup = _Setup(net, opt, init, axes, members, swept, (xs, ys), valid, tuple(probes.items()), n, batch_size,
                       steps, chunk, patience, snapshot_steps, order_key, mesh)
        cap = len(group) if max_members_per_device is None else max_members_per_device * n_dev
        size, start = parallel.round_up(min(len(group), cap), n_dev), 0
        while start < len(group):
            ids = group[start:start + size]
            padded = ids + ids[-1:] * ((size if len(group) > size else parallel.round_up(len(ids), n_dev)) - len(ids))
            trained = _train_round(setup, padded, measure_memory=max_members_per_device is None and start == 0)
            if isinstance(trained, int):  # the round does not fit in memory: fewer members per round
                size = parallel.members_per_round(len(group), trained, n_dev)
                continue
            columns = [trained.train_loss[:, None], trained.measures]
            if patience is not None:
                columns += [trained.best_step[:, None], trained.steps_done[:, None]]
            columns += [trained.snapshot_measures[step] for step in snapshot_steps]
            table = np.concatenate([np.asarray(c, np.float32).reshape(len(padded), -1) for c in columns], axis=1)
            for row, i in enumerate(ids):
                values[i - mine.start] = table[row]
                if keep_params:
                    kept[i] = parallel.unstack(trained.params, row)
                    kept_snapshots[i] = {step: parallel.unstack(p, row) for step, (p, had_stopped)
                                         in trained.snapshots.items() if not had_stopped[row]}
            start += len(ids)
    values = distributed.gather_rows(values, len(members))
    rows = []
    for i, member in enumerate(members):
        row = {"member": i, **{a: axes[a][0][member[a]] for a in axes}}
        row.update({name: float(v) for name, v in zip(names, values[i])})
        rows.append(row)
    settings = {"steps": steps, "batch_size": batch_size, "eval_every": chunk,
                "optimizer": getattr(factory, "__name__", str(factory)), "optimizer_args": fixed,
                "shared_order": shared_order, "patience": patience, "snapshot_steps": list(snapshot_steps)}
    return SweepTable(tuple(axes), tuple(names), rows, kept, kept_snapshots, settings)
