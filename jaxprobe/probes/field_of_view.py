"""The field of view (FOV) of a unit, computed from the architecture alone (seed 004 §2, Fig. 3).

A unit at spatial ``position`` of conv layer l sees a box of the input: walking down from z_l,
a k-wide convolution widens the box by k − 1 (where 'SAME' padding puts ``(k − 1) // 2`` of it
before the unit, 'VALID' none), a p × p max-pool multiplies its coordinates by p, and every box is
clipped to the map it lies on. The unclipped width is the receptive field of the layer; the
clipped box is the unit's FOV: "the connections that potentially can contribute to a specific
output in the last layer … identify the Field Of View (FOV) of that unit" (seed 004 §2). Every
backward flow from the unit, whatever its rule, is zero outside this box; the exact filter's
support lies inside it (``tests/test_study_seed004.py`` checks both).

>>> import jaxprobe as jp
>>> net = jp.vgg_mnist(4)                       # conv, conv, pool, conv, conv, pool, dense, dense
>>> receptive_field(net, 4)                     # layer 4: 14 input pixels wide, a step of 2 pixels
((14, 14), (2, 2))
>>> field_of_view(net, 4, (7, 7))               # a central unit of the 14 × 14 map: rows, columns
((8, 22), (8, 22))
>>> field_of_view(net, 4, (0, 0))               # a corner unit: clipped at the image border
((0, 8), (0, 8))
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from jaxprobe.models import Network


def _spatial_rank(model: Network, layer: int) -> int:
    """Number of spatial axes of the conv stages 1..layer; raises for dense stages."""
    if not isinstance(layer, (int, np.integer)) or not 1 <= layer <= model.n_layers:
        raise ValueError(f"layer must be an int in 1..{model.n_layers}, got {layer!r}.")
    ranks = set()
    for k in range(1, layer + 1):
        stage = model.stages[k - 1]
        if stage.kind != "conv":
            raise ValueError(f"layer={layer}: stage {k} is dense, so every unit of layer {layer} sees the whole "
                             f"input; a field of view is defined for conv layers below any dense stage.")
        ranks.add(len(stage.kernel_size))
    if len(ranks) != 1:
        raise ValueError(f"layer={layer}: stages 1..{layer} mix 1-D and 2-D convolutions.")
    return ranks.pop()


def _map_sizes(model: Network, layer: int, rank: int) -> list:
    """Spatial sizes of o_0 (the input) .. o_layer."""
    first = model.input_shape[:rank]
    return [tuple(first)] + [tuple(model.layer_shapes[k][:rank]) for k in range(layer)]


def _walk(model: Network, layer: int, position: Sequence[int], clip: bool) -> tuple:
    rank = _spatial_rank(model, layer)
    position = tuple(int(p) for p in np.atleast_1d(position))
    if len(position) != rank:
        raise ValueError(f"position must hold {rank} coordinate(s) of layer {layer}'s map, got {position}.")
    sizes = _map_sizes(model, layer, rank)
    if any(not 0 <= p < n for p, n in zip(position, sizes[layer])):
        raise ValueError(f"position {position} lies outside layer {layer}'s map of size {sizes[layer]}.")
    lo, hi = list(position), list(position)
    for k in range(layer, 0, -1):
        stage = model.stages[k - 1]
        pooled = [n // stage.pool for n in sizes[k - 1]]
        for a, size in enumerate(stage.kernel_size):
            before = (size - 1) // 2 if stage.padding == "SAME" else 0
            lo[a], hi[a] = lo[a] - before, hi[a] - before + size - 1
            if clip:
                lo[a], hi[a] = max(lo[a], 0), min(hi[a], pooled[a] - 1)
            lo[a], hi[a] = lo[a] * stage.pool, hi[a] * stage.pool + stage.pool - 1
    return tuple(zip(lo, hi))


def receptive_field(model: Network, layer: int) -> tuple:
    """The receptive field of conv layer ``layer``: (width per spatial axis, step per axis) in
    input pixels, before clipping at the border (the step is the product of the pools below).

    Raises:
      ValueError: ``layer`` out of range, or a dense stage at or below it.
    """
    rank = _spatial_rank(model, layer)
    box = _walk(model, layer, (0,) * rank, clip=False)
    step = tuple(int(np.prod([model.stages[k].pool for k in range(layer)])) for _ in range(rank))
    return tuple(hi - lo + 1 for lo, hi in box), step


def field_of_view(model: Network, layer: int, position: Sequence[int]) -> tuple:
    """The input box a unit at ``position`` of conv layer ``layer`` sees: ``((start, stop), …)``
    per spatial axis, half-open, clipped to the input.

    Args:
      model: a network whose stages 1..layer are convolutions (any pools between them).
      layer: the conv layer, 1-based.
      position: the unit's spatial coordinates on that layer's map (any channel: all share it).

    Returns:
      One ``(start, stop)`` pair per spatial axis, so ``image[start:stop, …]`` is the FOV.

    Raises:
      ValueError: a dense stage at or below ``layer``, or ``position`` outside the map.
    """
    return tuple((lo, hi + 1) for lo, hi in _walk(model, layer, position, clip=True))


def field_of_view_mask(model: Network, layer: int, positions) -> np.ndarray:
    """Boolean masks of the input's spatial shape, True inside each position's FOV.

    ``positions`` is one position or an array of them, shape (P, rank); the result is
    (*spatial,) or (P, *spatial).
    """
    rank = _spatial_rank(model, layer)
    pos = np.asarray(positions, int)
    single = pos.ndim == 1
    pos = pos.reshape(-1, rank)
    masks = np.zeros((len(pos),) + tuple(model.input_shape[:rank]), bool)
    for i, p in enumerate(pos):
        masks[(i,) + tuple(slice(a, b) for a, b in field_of_view(model, layer, p))] = True
    return masks[0] if single else masks


def unit_index(model: Network, layer: int, position: Sequence[int], channel) -> np.ndarray:
    """Flat index into o_layer (the ``unit`` of ``jaxprobe.neuron_flow``) of ``channel`` at
    ``position``; ``position`` (P, rank) and ``channel`` (C,) arrays give a (P, C) grid.

    >>> import jaxprobe as jp
    >>> int(unit_index(jp.vgg_mnist(4), 4, (1, 2), 3))   # (row 1 · 14 + column 2) · 8 channels + 3
    131
    """
    shape = tuple(model.layer_shapes[layer - 1])
    _spatial_rank(model, layer)
    pos = np.asarray(position, int)
    ch = np.asarray(channel, int)
    if pos.ndim == 1 and ch.ndim == 0:
        return np.ravel_multi_index(tuple(pos) + (int(ch),), shape)
    pos = pos.reshape(-1, len(shape) - 1)
    ch = ch.reshape(-1)
    grid = [np.ravel_multi_index(tuple(p) + (c,), shape) for p in pos for c in ch]
    return np.asarray(grid).reshape(len(pos), len(ch))
