"""The study's steps on trained and untrained networks: synthesis, the CNN readings, Fig. 7.1, and the rows.

Each function takes networks (or their synthesis) and returns arrays, cells or claim rows; the experiment
only configures and reports. "Trained" and "control" always come in pairs: the control is the same call on
the untrained networks (:func:`jaxprobe.studies.thesis_ch5.protocol.untrained_params`), same starts.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, Sequence

import jax
import numpy as np

from jaxprobe.data.jumps import FIRST
from jaxprobe.studies.thesis_ch5 import claims, criteria as C, measures as M, protocol as P
from jaxprobe.studies.thesis_ch5.signals import handmade_signals

__all__ = ["Pair", "synthesise_pairs", "cells_of", "CnnReadings", "cnn_readings", "layer_sharpness",
           "start_probability", "handmade_predictions", "mlp_rows", "reached_readings", "cnn_rows", "reached_share", "reaches"]


class Pair(NamedTuple):
    """The same synthesis on the trained networks and on the untrained control."""

    trained: P.Synthesis
    control: P.Synthesis


def synthesise_pairs(runs: Mapping, controls: Mapping, positions: Mapping[str, Sequence[int]], n_starts: int, *,
                     key, max_iter: int) -> dict[str, Pair]:
    """:func:`~jaxprobe.studies.thesis_ch5.protocol.synthesise` on every network, trained and untrained.

    Args:
      runs: ``{name: JumpRun}``; controls: ``{name: stacked untrained params}``.
      positions: ``{name: target positions}``.
      n_starts, key, max_iter: as in ``synthesise`` (the same starts for every network and the control).
    """
    out = {}
    for name, run in runs.items():
        go = lambda params: P.synthesise(run.net, params, positions[name], n_starts, key=key, max_iter=max_iter)
        out[name] = Pair(go(run.params), go(controls[name]))
    return out


def cells_of(synthesis: P.Synthesis, positions: Sequence[int]) -> dict[int, dict]:
    """``{position: summarise(inputs of that target)}`` over every seed and start."""
    return {p: M.summarise(synthesis.inputs[:, i], p) for i, p in enumerate(positions)}


def reached_share(syntheses: Sequence[P.Synthesis]) -> float:
    """Share of all starts (every target and seed) that reached p > 0.999 before the guard."""
    return float(np.mean(np.concatenate([np.ravel(s.stopped) for s in syntheses])))


class CnnReadings(NamedTuple):
    """§5.2's two readings, each ``[input, conv 1, …, conv n]`` of signals (K, S, 100), and the direct runs."""

    forward: list
    direct: list
    direct_runs: list


def cnn_readings(net, stacked, synthesis: P.Synthesis, n_starts: int, *, key, max_iter: int) -> CnnReadings:
    """Reading 1: the synthesised input's conv signals; reading 2: ascent on each conv layer's activation."""
    inputs = synthesis.inputs[:, 0]
    forward = [np.asarray(s) for s in P.forwarded_layers(net, stacked, inputs)]
    runs = [P.layer_ascent(net, stacked, layer, P.CNN_POSITION, n_starts, key=jax.random.fold_in(key, layer),
                           max_iter=max_iter) for layer in range(1, P.conv_layers(net) + 1)]
    return CnnReadings(forward, [inputs] + [r.inputs[:, 0] for r in runs], runs)


def layer_sharpness(layers: Sequence[np.ndarray]) -> list[float]:
    """Median peak sharpness of each layer's signals (over seeds and starts; NaN for no signal)."""
    return [float(np.nanmedian(M.peak_sharpness(s))) if np.size(s) else float("nan") for s in layers]


def start_probability(net, stacked, positions: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The objective and its gradient norm at the centre of the starts (x = 0), per seed and target.

    Where p is ~0 there, ∂p/∂x = p (∂z_i/∂x − Σ_j p_j ∂z_j/∂x) is ~0 too and the ascent with α = 10 cannot
    leave the start (it hits the guard).

    Returns:
      ``(p, gradient norm)``, each (K, len(positions)).
    """
    labels = np.array([P.label_of(p) for p in positions])

    def one(params):
        prob = lambda x, i: jax.nn.softmax(net.apply(params, x))[i]
        x0 = jax.numpy.zeros(net.input_shape)
        return jax.vmap(lambda i: (prob(x0, i), jax.numpy.linalg.norm(jax.grad(prob)(x0, i))))(labels)

    p, g = jax.jit(jax.vmap(one))(stacked)
    return np.asarray(p), np.asarray(g)


def handmade_predictions(net, stacked, position: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Fig. 7.1: predicted positions and p(position) of the hand-made signals, per seed: two (K, 9) arrays."""
    x = np.stack(list(handmade_signals(position).values())).astype(np.float32)
    logits = np.asarray(jax.jit(jax.vmap(lambda p: net.apply(p, x)))(stacked))
    prob = np.asarray(jax.nn.softmax(logits, axis=-1))
    return logits.argmax(-1) + FIRST, prob[..., P.label_of(position)]


def reaches(pairs: Mapping[str, Pair], max_iter: int):
    """The REACHES row: reached share, guard hits and median iterations over every network, the control beside."""
    trained = [p.trained for p in pairs.values()]
    guard = int(sum((~np.asarray(s.stopped)).sum() for s in trained))
    return claims.reaches_row(reached_share(trained), guard, int(sum(np.size(s.stopped) for s in trained)),
                              {n: float(np.median(p.trained.iterations)) for n, p in pairs.items()}, max_iter,
                              reached_share([p.control for p in pairs.values()]))


def _roughness(cells: Mapping[int, Mapping]) -> float:
    return float(np.nanmedian([c["roughness"] for c in cells.values()]))


def mlp_rows(pairs: Mapping[str, Pair], errors: Mapping[str, float]) -> list:
    """The MLP claims (Fig. 5.1–5.2) from the synthesis pairs of ``mlp1`` … ``mlp4`` (those present).

    Args:
      pairs: ``{name: Pair}`` for the MLPs, targets :data:`~jaxprobe.studies.thesis_ch5.protocol.MLP_POSITIONS`.
      errors: ``{name: test L1 error (seed mean)}``.
    """
    cells = {n: cells_of(p.trained, P.MLP_POSITIONS) for n, p in pairs.items()}
    ctl = {n: cells_of(p.control, P.MLP_POSITIONS) for n, p in pairs.items()}
    deep = lambda c: {f"{n[3:]}L@{p}": c[n][p] for n in c if n != "mlp1" for p in P.MLP_POSITIONS
                      if not (n == "mlp4" and p in (21, 40))}
    at = lambda c, n: {f"@{p}": c[n][p] for p in P.MLP_POSITIONS}
    rows = []
    if "mlp1" in cells:
        rows.append(claims.jump_row(C.JUMP_MLP1, at(cells, "mlp1"), at(ctl, "mlp1"), "jump at 21, 40, 60, 80 "
                                    "(Fig. 5.1, no number)"))
        rows.append(claims.dips_row(cells["mlp1"], ctl["mlp1"]))
    if len(cells) > 1:
        rows.append(claims.jump_row(C.JUMP_MLPS, deep(cells), deep(ctl), "jump at the targets (Fig. 5.2, no number)"))
        rows.append(claims.noisier_row({n: _roughness(c) for n, c in cells.items()},
                                       {n: _roughness(c) for n, c in ctl.items()}))
        rows.append(claims.clearer_row({n: errors[n] for n in cells}, {n: _roughness(c) for n, c in cells.items()}))
    if "mlp4" in cells:
        rows.append(claims.mlp4_row(cells["mlp4"], reached_share([pairs["mlp4"].trained]), ctl["mlp4"],
                                    reached_share([pairs["mlp4"].control])))
    return rows


def reached_readings(synthesis: P.Synthesis, readings: CnnReadings) -> CnnReadings:
    """The readings restricted to the starts that reached p > 0.999 (signals flattened to (N, 100)): the inputs
    and forwarded signals by the synthesis's own runs, each directly ascended layer by its own run."""
    mask = np.asarray(synthesis.stopped)[:, 0]
    forward = [np.asarray(s)[mask] for s in readings.forward]
    direct = [np.asarray(readings.direct[0])[mask]] + [np.asarray(s)[np.asarray(run.stopped)[:, 0]]
                                                       for s, run in zip(readings.direct[1:], readings.direct_runs)]
    return CnnReadings(forward, direct, readings.direct_runs)


def _cnn_rows(inputs: Mapping[str, np.ndarray], readings: Mapping[str, CnnReadings],
              control_inputs: Mapping[str, np.ndarray], control_readings: Mapping[str, CnnReadings]) -> list:
    cell = lambda x: M.summarise(x, P.CNN_POSITION)
    rows = [claims.jump_row(C.JUMP_CNN, {n: cell(x) for n, x in inputs.items()},
                            {n: cell(x) for n, x in control_inputs.items()}, "jump at 50 (Fig. 5.3–5.5, no number)")]
    for criterion, field in ((C.SHARPER_FORWARD, "forward"), (C.SHARPER_DIRECT, "direct")):
        rows.append(claims.sharper_row(criterion, {n: layer_sharpness(getattr(r, field)) for n, r in readings.items()},
                                       {n: layer_sharpness(getattr(r, field)) for n, r in control_readings.items()}))
    med = lambda v: float(np.nanmedian(v)) if np.size(v) else float("nan")
    if "cnn1" in readings:
        peak = lambda r: med(M.peak_position(r.forward[1]))
        under = lambda r: med(M.undershoot(r.forward[1]))
        rows.append(claims.undershoot_row(peak(readings["cnn1"]), under(readings["cnn1"]),
                                          peak(control_readings["cnn1"]), under(control_readings["cnn1"])))
    first = lambda rs: {n: med(M.shape_similarity(r.forward[0], r.forward[1])) for n, r in rs.items()
                        if n in ("cnn2", "cnn3")}
    if first(readings):
        rows.append(claims.first_same_row(first(readings), first(control_readings)))
    if "cnn3" in readings:
        third = lambda r: med(M.shape_similarity(r.forward[2], r.forward[3]))
        rows.append(claims.third_same_row(third(readings["cnn3"]), third(control_readings["cnn3"])))
    return rows


def cnn_rows(pairs: Mapping[str, Pair], readings: Mapping[str, CnnReadings],
             control_readings: Mapping[str, CnnReadings]) -> list:
    """The CNN claims (Fig. 5.3–5.5) from the synthesis pairs and both readings of ``cnn1`` … ``cnn3`` (those present).

    The verdicts use every start, as declared; each row's note repeats the numbers on the starts that reached
    p > 0.999 only (the thesis shows generated inputs, i.e. ones that met its stopping rule).
    """
    inputs = lambda side: {n: np.asarray(getattr(p, side).inputs)[:, 0] for n, p in pairs.items()}
    rows = _cnn_rows(inputs("trained"), readings, inputs("control"), control_readings)
    reached = {n: reached_readings(pairs[n].trained, r) for n, r in readings.items()}
    masked = {n: x[np.asarray(pairs[n].trained.stopped)[:, 0]] for n, x in inputs("trained").items()}
    alt = _cnn_rows(masked, reached, inputs("control"), control_readings)
    count = ", ".join(f"{n} {int(np.sum(p.trained.stopped))}/{np.size(p.trained.stopped)}" for n, p in pairs.items())
    return [r._replace(note=f"on the starts that reached 0.999 only ({count}): {a.ours}, outcome there: {a.outcome}")
            for r, a in zip(rows, alt)]
