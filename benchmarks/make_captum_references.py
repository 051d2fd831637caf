"""Captum's attributions on small fixed networks, saved as reference files that CI compares against.

CI has no torch, so the peer equality of ``tests/test_captum_peer.py`` never runs there. This script
runs Captum once, where torch 2.13.0 and captum are installed (``pip install '.[peers]'``), on the
torch twins of three small jaxprobe networks (``benchmarks/peers.py``) and writes, per network,
``tests/data/captum_<name>.npz`` holding everything a check needs without torch:

- the weights (drawn from a fixed key, scaled and given random biases so that ReLU masks and pooling
  switches are not trivial) and the inputs, so the check never depends on an initialiser staying
  the same across jax versions;
- the twin's forward logits (an independent forward pass);
- Captum's ``GuidedBackprop``, ``Deconvolution``, ``Saliency`` (``abs=True`` and ``abs=False``) for
  one target logit per example;
- ``NeuronGuidedBackprop`` and ``NeuronDeconvolution`` of one hidden ReLU layer, for the most active
  unit of each example and for its most negative (dead) unit;
- the torch and captum versions that made them.

``tests/test_captum_references.py`` rebuilds each network from :data:`NETWORKS`, loads the weights
and compares jaxprobe's flows to these arrays. Run from the repository root:

    .venv/bin/python benchmarks/make_captum_references.py [--out tests/data]

The files are deterministic for fixed torch/captum versions; rerun only when a network or a flow
is added (the total stays well under 1 MB).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import jaxprobe as jp

ROOT = Path(__file__).resolve().parents[1]


class ReferenceNetwork(NamedTuple):
    """One reference network: how to build it, its weights' key and scale, its inputs."""

    build: Callable[[], jp.Network]
    key: int  # weights: model.init(key(key)) × scale, biases bias_scale · N(0, 1)
    scale: float
    bias_scale: float
    n_examples: int
    neuron_layer: int  # the hidden ReLU layer of the neuron attributions (1-based, jaxprobe's l)


NETWORKS = {
    "mlp": ReferenceNetwork(lambda: jp.mlp([64, 32, 24, 16, 10]), key=1, scale=2.0, bias_scale=0.3,
                            n_examples=8, neuron_layer=2),
    "seed002_cnn": ReferenceNetwork(jp.seed002_cnn, key=2, scale=1.5, bias_scale=0.1, n_examples=4,
                                    neuron_layer=2),
    "cnn_pool": ReferenceNetwork(lambda: jp.cnn2d((12, 12, 2), convs=[(3, 3, 2), (4, 3, 2)], dense=(6,),
                                                  n_classes=4),
                                 key=3, scale=2.0, bias_scale=0.3, n_examples=6, neuron_layer=2),
}

FLOWS = ("guided_backprop", "deconvnet", "saliency_abs", "saliency")
NEURON_FLOWS = ("neuron_guided_backprop", "neuron_deconvnet")


def reference_path(name: str, folder: Path = ROOT / "tests" / "data") -> Path:
    """Where the reference file of network ``name`` lies."""
    return Path(folder) / f"captum_{name}.npz"


def fixed_params(spec: ReferenceNetwork, model: jp.Network):
    """The reference weights: the initialiser's, scaled, with random biases (all from ``spec.key``)."""
    k_init, k_bias = jax.random.split(jax.random.key(spec.key))
    params = model.init(k_init)
    keys = jax.random.split(k_bias, len(params))
    return tuple({"kernel": spec.scale * p["kernel"],
                  "bias": spec.bias_scale * jax.random.normal(k, p["bias"].shape)}
                 for p, k in zip(params, keys))


def fixed_inputs(spec: ReferenceNetwork, model: jp.Network) -> np.ndarray:
    """Inputs uniform on [0, 1) from a key derived from ``spec.key``."""
    key = jax.random.fold_in(jax.random.key(spec.key), 1000)
    return np.asarray(jax.random.uniform(key, (spec.n_examples,) + model.input_shape), np.float32)


def params_to_arrays(params) -> dict:
    """Flat ``{'p0_kernel': …, 'p0_bias': …}`` arrays for ``np.savez``."""
    return {f"p{i}_{leaf}": np.asarray(p[leaf], np.float32) for i, p in enumerate(params) for leaf in ("kernel", "bias")}


def params_from_arrays(data, n_layers: int):
    """Inverse of :func:`params_to_arrays`."""
    return tuple({leaf: jnp.asarray(data[f"p{i}_{leaf}"]) for leaf in ("kernel", "bias")} for i in range(n_layers))


def neuron_units(model: jp.Network, params, x: np.ndarray, layer: int) -> dict:
    """Per example, the flat index (into o_layer, jaxprobe's (H, W, C) order) of the most active
    unit and of the unit with the most negative pre-activation (a dead unit)."""
    trace = model.trace(params, jnp.asarray(x))
    n = len(x)
    post = np.asarray(trace.post[layer - 1]).reshape(n, -1)
    pre = np.asarray(trace.pre[layer - 1]).reshape(n, -1)
    return {"active": post.argmax(1).astype(np.int32), "dead": pre.argmin(1).astype(np.int32)}


def _twin(model, params):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import peers

    if all(stage.kind == "dense" for stage in model.stages):
        return peers.torch_mlp(model, params)
    return peers.torch_cnn2d(model, params, "relu_pool")


def _relu_module(module, layer: int):
    """The ReLU module of jaxprobe's layer ``layer`` in a relu_pool twin (its ``layer``-th ReLU)."""
    import torch

    relus = [m for m in module if isinstance(m, torch.nn.ReLU)]
    return relus[layer - 1]


def _selector(units: np.ndarray, shape_hwc: tuple):
    """A Captum neuron selector picking unit ``units[i]`` (jaxprobe's flat (H, W, C) index) of
    example i from a torch layer output laid out (N, C, H, W) or (N, F)."""
    import torch

    idx = torch.from_numpy(units.astype(np.int64))

    def select(out):
        if out.ndim == 4:
            out = out.permute(0, 2, 3, 1)
        flat = out.reshape(out.shape[0], -1)
        return flat[torch.arange(flat.shape[0]), idx]

    return select


def captum_reference(name: str) -> dict:
    """Everything stored for network ``name`` (see the module docstring)."""
    import captum
    import torch
    from captum.attr import (Deconvolution, GuidedBackprop, NeuronDeconvolution, NeuronGuidedBackprop,
                             Saliency)

    spec = NETWORKS[name]
    model = spec.build()
    params = fixed_params(spec, model)
    x = fixed_inputs(spec, model)
    target = (np.arange(len(x)) % model.n_classes).astype(np.int32)
    module = _twin(model, params)
    xt = torch.tensor(x).requires_grad_(True)
    tt = torch.from_numpy(target.astype(np.int64))
    with torch.no_grad():
        logits = module(torch.tensor(x)).numpy()
    out = {"x": x, "target": target, "logits": logits, **params_to_arrays(params),
           "torch_version": np.array(torch.__version__), "captum_version": np.array(captum.__version__),
           "neuron_layer": np.array(spec.neuron_layer)}
    attribute = lambda method, **kw: method.attribute(xt, **kw).detach().numpy().astype(np.float32)
    out["guided_backprop"] = attribute(GuidedBackprop(module), target=tt)
    out["deconvnet"] = attribute(Deconvolution(module), target=tt)
    out["saliency_abs"] = attribute(Saliency(module), target=tt, abs=True)
    out["saliency"] = attribute(Saliency(module), target=tt, abs=False)
    relu = _relu_module(module, spec.neuron_layer)
    shape = model.layer_shapes[spec.neuron_layer - 1]
    for which, units in neuron_units(model, params, x, spec.neuron_layer).items():
        out[f"units_{which}"] = units
        select = _selector(units, shape)
        out[f"neuron_guided_backprop_{which}"] = attribute(NeuronGuidedBackprop(module, relu), neuron_selector=select)
        out[f"neuron_deconvnet_{which}"] = attribute(NeuronDeconvolution(module, relu), neuron_selector=select)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data", help="folder of the .npz files")
    args = parser.parse_args(argv)
    import warnings

    warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in NETWORKS:
        path = reference_path(name, args.out)
        np.savez_compressed(path, **captum_reference(name))
        print(f"{path}: {path.stat().st_size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
