"""Torch twins of jaxprobe networks, for the Captum peer test and the speed benchmark.

``torch_mlp`` and ``torch_seed002_cnn`` build a ``torch.nn.Sequential`` that computes the same
function as the jaxprobe network on the same weights (copied, not re-initialised). Layout
conversions:

- dense: flax ``kernel`` is (in, out), torch ``Linear.weight`` is (out, in): transpose.
- conv: flax ``kernel`` is (kh, kw, in, out) on channels-last images, torch ``Conv2d.weight`` is
  (out, in, kh, kw) on channels-first images: ``transpose(3, 2, 0, 1)``.
- flatten: jaxprobe flattens the (H, W, C) feature map, torch flattens (C, H, W); the rows of
  the first dense kernel are permuted so that torch's order reads the same weights.

Every ReLU is its own, non-inplace ``nn.ReLU`` module, as Captum's ``GuidedBackprop`` and
``Deconvolution`` need (they hook ReLU modules). Torch is imported lazily, so this module can be
imported without it.
"""

from __future__ import annotations

import numpy as np


def _torch():
    import torch

    return torch


def _tensor(a):
    torch = _torch()
    return torch.tensor(np.asarray(a, dtype=np.float32))  # a copy: jax arrays are read-only


def dense_to_torch(p: dict, linear=None):
    """A ``torch.nn.Linear`` holding the flax dense params ``p`` (kernel (in, out), bias (out,))."""
    torch = _torch()
    kernel = np.asarray(p["kernel"], np.float32)
    if linear is None:
        linear = torch.nn.Linear(kernel.shape[0], kernel.shape[1])
    with torch.no_grad():
        linear.weight.copy_(_tensor(kernel.T))
        linear.bias.copy_(_tensor(p["bias"]))
    return linear


def conv2d_to_torch(p: dict, padding: str = "VALID"):
    """A ``torch.nn.Conv2d`` holding the flax conv params ``p`` (kernel (kh, kw, in, out)), stride 1."""
    torch = _torch()
    kernel = np.asarray(p["kernel"], np.float32)
    kh, kw, cin, cout = kernel.shape
    pad = {"VALID": 0, "SAME": "same"}[padding.upper()]
    conv = torch.nn.Conv2d(cin, cout, (kh, kw), padding=pad)
    with torch.no_grad():
        conv.weight.copy_(_tensor(kernel.transpose(3, 2, 0, 1)))
        conv.bias.copy_(_tensor(p["bias"]))
    return conv


def hwc_dense_to_torch(p: dict, hwc: tuple):
    """A ``torch.nn.Linear`` on a torch-flattened (C, H, W) map, equal to the flax dense layer on
    the flax-flattened (H, W, C) map of shape ``hwc``."""
    h, w, c = hwc
    kernel = np.asarray(p["kernel"], np.float32)
    out = kernel.shape[1]
    kernel = kernel.reshape(h, w, c, out).transpose(2, 0, 1, 3).reshape(h * w * c, out)
    return dense_to_torch({"kernel": kernel, "bias": p["bias"]})


def torch_mlp(model, params):
    """Torch twin of a jaxprobe ``mlp`` with ReLU hidden layers (e.g. DNN-6)."""
    torch = _torch()
    layers = []
    for stage, p in zip(model.stages, params):
        if stage.kind != "dense" or stage.pool != 1 or stage.activation not in ("relu", "linear"):
            raise ValueError("torch_mlp takes a jaxprobe mlp with ReLU hidden layers.")
        layers.append(dense_to_torch(p))
        if stage.activation == "relu":
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).eval()


def torch_seed002_cnn(model, params, order: str = "relu_pool"):
    """Torch twin of ``jaxprobe.seed002_cnn()`` on (N, 28, 28) images, as jaxprobe takes them.

    ``order='relu_pool'`` builds conv → ReLU → maxpool, jaxprobe's own order; ``'pool_relu'``
    builds seed 002's conv → maxpool → ReLU. Both compute the same function; their Deconvolution
    flows can differ where a whole pooling window is ≤ 0 (the argmax switch is then taken on the
    ReLU's zeros in one order, on the raw pre-activations in the other).
    """
    torch = _torch()
    nn = torch.nn
    if order not in ("relu_pool", "pool_relu"):
        raise ValueError(f"order must be 'relu_pool' or 'pool_relu', got {order!r}.")
    conv1, conv2, dense = model.stages
    if (conv1.kind, conv2.kind, dense.kind) != ("conv", "conv", "dense") or conv2.pool != 2 or dense.pool != 2:
        raise ValueError("torch_seed002_cnn takes jaxprobe.seed002_cnn().")

    def block(conv):
        if order == "relu_pool":
            return [conv, nn.ReLU(), nn.MaxPool2d(2)]
        return [conv, nn.MaxPool2d(2), nn.ReLU()]

    shapes = model.layer_shapes  # z shapes, channels-last: (24,24,10), (8,8,20), (10,)
    h, w, c = shapes[1]
    pooled = (h // 2, w // 2, c)
    layers = [nn.Unflatten(1, (1, model.input_shape[0]))]  # (N, 28, 28) -> (N, 1, 28, 28)
    layers += block(conv2d_to_torch(params[0], conv1.padding))
    layers += block(conv2d_to_torch(params[1], conv2.padding))
    layers += [nn.Flatten(), hwc_dense_to_torch(params[2], pooled)]
    return nn.Sequential(*layers).eval()


def _channels_first():
    nn = _torch().nn

    class ToChannelsFirst(nn.Module):
        """(N, H, W, C) → (N, C, H, W): the twin takes images in jaxprobe's channels-last layout."""

        def forward(self, x):
            return x.permute(0, 3, 1, 2)

    return ToChannelsFirst()


def torch_cnn2d(model, params, order: str = "relu_pool"):
    """Torch twin of any ``jaxprobe.cnn2d`` network with ReLU hidden layers, on inputs laid out as
    jaxprobe takes them ((N, H, W) or (N, H, W, C)).

    Stages are read in order: [max-pool] → [reshape] → conv or dense → [ReLU]. ``order='pool_relu'``
    moves each pool in front of the ReLU of the stage below it (seed 002's conv → maxpool → ReLU);
    the function is the same, only Deconvolution can see the difference (see
    ``torch_seed002_cnn``).
    """
    torch = _torch()
    nn = torch.nn
    if order not in ("relu_pool", "pool_relu"):
        raise ValueError(f"order must be 'relu_pool' or 'pool_relu', got {order!r}.")
    stages = model.stages
    if len(model.input_shape) == 2:
        h, w = model.input_shape
        layers, hwc = [nn.Unflatten(1, (1, h))], (h, w, 1)
    elif len(model.input_shape) == 3:
        layers, hwc = [_channels_first()], tuple(model.input_shape)
    else:
        raise ValueError(f"torch_cnn2d takes images (H, W) or (H, W, C), got input_shape {model.input_shape}.")
    flat = None  # the (H, W, C) map that a flatten turned into a vector
    for index, (stage, p) in enumerate(zip(stages, params)):
        if stage.activation not in ("relu", "linear"):
            raise ValueError(f"torch_cnn2d handles ReLU and linear stages, got {stage.activation!r}.")
        if stage.pool > 1 and not (order == "pool_relu" and index > 0 and stages[index - 1].activation == "relu"):
            layers.append(nn.MaxPool2d(stage.pool))
        if stage.pool > 1:
            hwc = (hwc[0] // stage.pool, hwc[1] // stage.pool, hwc[2])
        if stage.reshape == (-1,):
            layers.append(nn.Flatten())
            flat = hwc
        elif stage.reshape is not None and index > 0:
            raise ValueError(f"torch_cnn2d cannot convert reshape={stage.reshape} at stage {index + 1}.")
        if stage.kind == "conv":
            layers.append(conv2d_to_torch(p, stage.padding))
            hwc = tuple(model.layer_shapes[index])
        elif flat is not None:
            layers.append(hwc_dense_to_torch(p, flat))
            flat = None
        else:
            layers.append(dense_to_torch(p))
        following = stages[index + 1] if index + 1 < len(stages) else None
        relu_after_pool = order == "pool_relu" and following is not None and following.pool > 1
        if stage.activation == "relu":
            if relu_after_pool:
                layers.append(nn.MaxPool2d(following.pool))
            layers.append(nn.ReLU())
    return nn.Sequential(*layers).eval()


def captum_attributions(module, x: np.ndarray, target: np.ndarray) -> dict:
    """Captum's GuidedBackprop, Deconvolution and Saliency (abs) of ``module`` at inputs ``x``
    for the ``target`` logits, as numpy arrays keyed by the jaxprobe flow names."""
    torch = _torch()
    from captum.attr import Deconvolution, GuidedBackprop, Saliency

    xt = _tensor(x).requires_grad_(True)
    tt = torch.from_numpy(np.asarray(target, np.int64))
    out = {}
    for name, method in (("guided_backprop", GuidedBackprop), ("deconvnet", Deconvolution),
                         ("saliency", Saliency)):
        out[name] = method(module).attribute(xt, target=tt).detach().numpy()
    return out
