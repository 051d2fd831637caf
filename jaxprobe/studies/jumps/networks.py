"""The thesis's jump networks by name (§3.3 MLPs, §3.4 one-filter CNNs, §4.2 bottlenecks).

All take a 100-sample signal and end in 60 softmax logits (jump at 21..80); hidden layers are ReLU.
"""

from __future__ import annotations

from jaxprobe.models import Network, cnn1d, mlp

N_CLASSES = 60
LENGTH = 100
#: Conv filter lengths of the one-filter CNNs (§3.4.1–3.4.3, Fig. 3.19).
CNN_KERNELS = {"cnn1": (7,), "cnn1k5": (5,), "cnn2": (5, 9), "cnn3": (5, 7, 9)}


def jump_network(name: str, conv_activation: str = "linear") -> Network:
    """The thesis's networks by name.

    Args:
      name: ``mlp1`` (100→60, the "1-layer NN"), ``mlp2`` 100-100-60, ``mlp3``, ``mlp4``;
        ``cnn1`` (one conv, length 7), ``cnn1k5`` (length 5, Fig. 3.19), ``cnn2`` (5, 9),
        ``cnn3`` (5, 7, 9) — one filter per conv layer, same padding, then dense 100→60;
        ``shallow{p}`` 100-p-60 and ``deep{p}`` 100-25-p-25-60.
      conv_activation: the activation after the conv layers (the thesis does not state it;
        ``'linear'`` or ``'relu'``); ignored by the MLPs.

    Returns:
      The :class:`jaxprobe.models.Network`.

    Raises:
      ValueError: for a name that is none of the above.

    >>> jump_network("deep4").layer_shapes
    ((25,), (4,), (25,), (60,))
    """
    if name.startswith("mlp") and name[3:].isdigit():
        depth = int(name[3:])
        return mlp([LENGTH] + [100] * (depth - 1) + [N_CLASSES])
    if name in CNN_KERNELS:
        return cnn1d(LENGTH, CNN_KERNELS[name], N_CLASSES, channels=1, conv_activation=conv_activation)
    if name.startswith("shallow") and name[7:].isdigit():
        return mlp([LENGTH, int(name[7:]), N_CLASSES])
    if name.startswith("deep") and name[4:].isdigit():
        return mlp([LENGTH, 25, int(name[4:]), 25, N_CLASSES])
    raise ValueError(f"name={name!r} is not a jump network; use mlp1..mlp4, cnn1, cnn1k5, cnn2, cnn3, "
                     f"shallow<p> or deep<p>.")
