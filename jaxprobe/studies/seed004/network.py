"""The networks of the seed-004 study: a VGG-style CNN trained on MNIST or Fashion-MNIST, saved.

Seed 004 probed a pre-trained VGG-16, which cannot be downloaded here; the study trains
``jaxprobe.vgg_mnist(width)`` (blocks of 3 × 3 convs + ReLU and 2 × 2 max-pooling, then dense
layers) instead, with a checkpoint so that a rerun reuses the trained network. Every measure of the
study takes any network of this family (conv stages, then dense stages).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from jaxprobe.data import mnist
from jaxprobe.data.fashion_mnist import find_fashion_mnist, load_fashion_mnist
from jaxprobe.models import Network, Params
from jaxprobe.train import fit, make_optimizer

DATASETS = ("mnist", "fashion")


class Dataset(NamedTuple):
    """Images shaped for the network (N, 28, 28) and labels, with where the test set came from."""

    name: str
    train_x: np.ndarray
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    test_source: str


def load_dataset(name: str, n_train: Optional[int] = None) -> Optional[Dataset]:
    """MNIST ('mnist': the embedded digits, tested on the real t10k set when present) or
    Fashion-MNIST ('fashion', None when its files are not installed); images reshaped to 28 × 28.
    ``n_train`` keeps the first n training images (None: all)."""
    if name not in DATASETS:
        raise ValueError(f"dataset {name!r} is not known; choose one of {', '.join(map(repr, DATASETS))}.")
    if name == "fashion" and find_fashion_mnist() is None:
        return None
    data = mnist.load_mnist() if name == "mnist" else load_fashion_mnist()
    img = lambda a: np.asarray(a, np.float32).reshape(-1, 28, 28)
    keep = slice(None) if n_train is None else slice(0, int(n_train))
    return Dataset(name, img(data.train_x)[keep], np.asarray(data.train_y)[keep], img(data.valid_x),
                   np.asarray(data.valid_y), img(data.test_x), np.asarray(data.test_y), str(data.test_source))


def train_network(model: Network, data: Dataset, *, steps: int, key: jax.Array, batch_size: int = 64,
                  learning_rate: float = 1e-3, checkpoint_dir=None, progress: bool = False) -> Params:
    """Trains ``model`` with Adam on ``data`` for ``steps`` steps and returns its parameters (the
    last step's). With ``checkpoint_dir`` the run is saved there and a rerun with the same
    arguments loads it instead of training again."""
    init_key, train_key = jax.random.split(key)
    folder = None if checkpoint_dir is None else Path(checkpoint_dir)
    result = fit(model, model.init(init_key), (data.train_x, data.train_y), key=train_key,
                 optimizer=make_optimizer("adam", learning_rate), batch_size=batch_size, steps=int(steps),
                 eval_every=max(1, int(steps) // 4), checkpoint_dir=folder, progress=progress)
    return result.params


def test_accuracy(model: Network, params: Params, x, y, chunk: int = 2000) -> float:
    """Share of ``x`` classified as ``y``."""
    apply = jax.jit(model.apply)
    hits = sum(int(jnp.sum(jnp.argmax(apply(params, jnp.asarray(x[i:i + chunk])), -1) == jnp.asarray(y[i:i + chunk])))
               for i in range(0, len(x), chunk))
    return hits / len(x)
