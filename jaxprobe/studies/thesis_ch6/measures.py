"""What thesis Ch. 6 measures, per layer and per seed, from trained networks' activations.

* :func:`layer_profile` — every deviation measure of §6.4 (``jaxprobe.analysis.deviation``) and the
  class-collapse measures past the thesis (``jaxprobe.analysis.collapse``: NC1, CDNV) of K stacked networks
  on one labelled set, as ``{measure: (K, layers)}``.
* :func:`track` — the same at every training snapshot.
* :func:`stripe_index` — how "stripe-like" the class-averaged activations of Fig. 3.12/6.3/6.4 are.
* :func:`neighbour_agreement` — how much a (t-SNE) map keeps nearby jump positions together (Fig. 6.5, 6.6).
* :func:`separated` — whether two groups of seeds' values do not overlap.
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import jax
import numpy as np
from scipy.spatial import cKDTree

from jaxprobe.analysis.activations import class_means
from jaxprobe.analysis.collapse import collapse_by_layer
from jaxprobe.analysis.deviation import MEASURES, METRICS, layer_deviations
from jaxprobe.analysis.tsne import embed
from jaxprobe.models import Network
from jaxprobe.studies.thesis_ch6.protocol import layer_activations

__all__ = ["PROFILE_KEYS", "SIGNATURE_MEASURES", "layer_profile", "track", "stripe_index", "stripe_profile",
           "first_seed", "tsne_map", "neighbour_agreement", "separated", "first_separated_epoch", "ratio_to_input"]

#: The measures of a profile, each an array (K seeds, layers).
PROFILE_KEYS = (("level",) + tuple(f"inner_{m}" for m in MEASURES) + tuple(f"inter_{m}" for m in MEASURES)
                + ("nc1", "cdnv", "dead") + tuple(f"excluded_{m}" for m in METRICS if m != "euclidean"))
#: The activation-insensitive measures whose layer-wise values are compared between the networks.
SIGNATURE_MEASURES = ("nc1", "cdnv", "inner_normalised_euclidean", "inner_cosine", "inner_correlation",
                      "inter_normalised_euclidean", "inter_cosine", "inter_correlation")


def layer_profile(net: Network, params, x, y, layers: Sequence[int], *, pairs: str = "adjacent",
                  n_classes: Optional[int] = None) -> dict:
    """Every measure of K stacked networks on the labelled set (x, y), per seed and layer.

    Args:
      net: the network; params: K stacked parameter sets.
      x, y: inputs and the labels that group them (true or permuted).
      layers: layer indices (0 = the input).
      pairs: the inter-class pairs, "adjacent" (jump positions) or "all" (MNIST); the CDNV uses the same.
      n_classes: C (default ``y.max() + 1``).

    Returns:
      ``{key: (K, len(layers)) float64}`` for every key of :data:`PROFILE_KEYS`.
    """
    y = np.asarray(y)
    out = {key: [] for key in PROFILE_KEYS}
    per_layer = [layer_activations(net, params, x, layer) for layer in layers]   # each (K, N, units)
    for seed in range(per_layer[0].shape[0]):
        acts = [a[seed] for a in per_layer]
        dev = layer_deviations(acts, y, pairs=pairs, n_classes=n_classes)
        col = collapse_by_layer(acts, y, pairs=pairs, n_classes=n_classes)
        row = {"level": dev["level"], "nc1": col["nc1"], "cdnv": col["cdnv"], "dead": dev["dead"]}
        for kind in ("inner", "inter"):
            row.update({f"{kind}_{m}": dev[kind][m] for m in MEASURES})
        row.update({f"excluded_{m}": dev["excluded"][m] for m in METRICS if m != "euclidean"})
        for key in PROFILE_KEYS:
            out[key].append(row[key])
    return {key: np.asarray(v, np.float64) for key, v in out.items()}


def track(net: Network, snapshots: Mapping[int, tuple], x, y, layers: Sequence[int], *,
          pairs: str = "adjacent") -> dict:
    """:func:`layer_profile` at every snapshot: ``{'epochs': (S,), key: (S, K, layers)}``."""
    epochs = sorted(int(e) for e in snapshots)
    profiles = [layer_profile(net, snapshots[e], x, y, layers, pairs=pairs) for e in epochs]
    return {"epochs": np.asarray(epochs), **{k: np.stack([p[k] for p in profiles]) for k in PROFILE_KEYS}}


def stripe_index(acts, labels, n_classes: int) -> float:
    """How smoothly the class means change between adjacent classes (the "stripes" of Fig. 3.12, 6.4).

    ``1 − mean_c ‖A_c − A_{c+1}‖² / mean_{c<c'} ‖A_c − A_{c'}‖²`` over the class means ``A_c`` (eq. 3.6): near 1
    when adjacent jump positions have nearly equal means (stripes), near 0 when adjacency does not matter
    (class means as exchangeable as random groups), negative when adjacent classes differ more than average.

    >>> ramp = np.arange(10.0)[:, None] * np.ones((1, 3))          # class c's vectors all equal c
    >>> round(stripe_index(ramp, np.arange(10), 10), 3)            # 1 − 1 / mean (c − c′)² = 1 − 45/825
    0.945
    """
    means = np.asarray(class_means(np.asarray(acts, np.float32), np.asarray(labels), n_classes), np.float64).T
    adjacent = ((means[1:] - means[:-1]) ** 2).sum(1).mean()
    a, b = np.triu_indices(n_classes, 1)
    every = ((means[a] - means[b]) ** 2).sum(1).mean()
    return float(1.0 - adjacent / every) if every > 0 else float("nan")


def stripe_profile(net: Network, params, x, labels, layers: Sequence[int], n_classes: int) -> np.ndarray:
    """:func:`stripe_index` of K stacked networks' class means at each of ``layers``: (K, len(layers))."""
    out = np.zeros((jax.tree.leaves(params)[0].shape[0], len(layers)))
    for j, layer in enumerate(layers):
        acts = layer_activations(net, params, x, layer)
        out[:, j] = [stripe_index(a, labels, n_classes) for a in acts]
    return out


def first_seed(params) -> tuple:
    """The first of K stacked parameter sets, still stacked (K = 1)."""
    return jax.tree.map(lambda a: a[:1], params)


def tsne_map(net: Network, params, x, layer: int, *, seed: int = 0, n_iter: int = 500,
             exaggeration_iter: int = 250) -> np.ndarray:
    """t-SNE map (Euclidean; the thesis states no settings) of the first stacked network's ``layer`` on x; the
    output layer is taken as softmax probabilities, the thesis's "final output"."""
    acts = layer_activations(net, first_seed(params), x, layer)[0]
    if layer == net.n_layers:
        acts = np.asarray(jax.nn.softmax(acts, axis=-1))
    return embed(acts, metric="euclidean", seed=seed, n_iter=n_iter, early_exaggeration_iter=exaggeration_iter)


def neighbour_agreement(points, positions, k: int = 10, tolerance: int = 2) -> float:
    """Mean share of each point's ``k`` nearest other points whose jump position is within ``tolerance``.

    A map that keeps the input's thin manifold ordered by jump location scores high; points spread
    "quite evenly" score near chance, ``(2·tolerance + 1) / 60`` for 60 positions.

    >>> line = np.arange(30.0)[:, None] * np.ones((1, 2))
    >>> neighbour_agreement(line, np.arange(30), k=2, tolerance=2)
    1.0
    """
    pts = np.asarray(points, np.float64)
    _, idx = cKDTree(pts).query(pts, k=k + 1)
    pos = np.asarray(positions)
    near = np.abs(pos[idx[:, 1:]] - pos[:, None]) <= tolerance
    return float(near.mean())


def separated(a, b) -> int:
    """+1 when every value of ``a`` exceeds every value of ``b``, −1 when every one is below, else 0.

    >>> separated([3, 4], [1, 2]), separated([1, 3], [2, 4])
    (1, 0)
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return 0
    return 1 if a.min() > b.max() else -1 if a.max() < b.min() else 0


def first_separated_epoch(track_a: Mapping, track_b: Mapping, key: str, layers: Sequence[int]) -> Optional[int]:
    """The first snapshot epoch (of those both tracks share) from which the two groups of seeds are
    :func:`separated` in ``key`` at every one of ``layers`` (column indices) at every later shared snapshot;
    None when they are not separated at the last shared one.

    >>> a = {"epochs": np.array([0, 5, 9]), "m": np.array([[[1.0]], [[3.0]], [[4.0]]])}   # (snapshots, K, layers)
    >>> b = {"epochs": np.array([0, 5]), "m": np.array([[[1.0]], [[2.0]]])}
    >>> first_separated_epoch(a, b, "m", [0])
    5
    """
    common = sorted(set(np.asarray(track_a["epochs"]).tolist()) & set(np.asarray(track_b["epochs"]).tolist()))
    row = lambda t, e: int(np.flatnonzero(np.asarray(t["epochs"]) == e)[0])
    first = None
    for epoch in reversed(common):
        a, b = np.asarray(track_a[key])[row(track_a, epoch)], np.asarray(track_b[key])[row(track_b, epoch)]
        signs = {separated(a[:, l], b[:, l]) for l in layers}
        if 0 in signs:
            break
        first = int(epoch)
    return first


def ratio_to_input(profile: np.ndarray) -> np.ndarray:
    """A (K, layers) profile divided by its layer-0 (input) column: the change the network makes."""
    p = np.asarray(profile, np.float64)
    return p / p[:, :1]
