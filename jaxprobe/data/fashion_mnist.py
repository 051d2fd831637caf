"""Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 60,000 + 10,000 28 × 28 grey images of clothing
in 10 classes, read from the IDX files where they are installed; never downloaded.

Debian's ``dataset-fashion-mnist`` package (``apt-get install dataset-fashion-mnist``) puts the four
files in ``/usr/share/datasets/fashion-mnist``; ``$JAXPROBE_FASHION_MNIST_DIR`` points elsewhere.
The textures of clothing are closer to natural images than digits are, which is why the seed-004
study also runs on it when it is there. Nothing needs it: :func:`find_fashion_mnist` returns None
when the files are absent, and callers say so.

Images are float32 in [0, 1], flattened to 784; labels are int32. The split is the files' own
(train / t10k); the last ``n_valid`` training images are held out for validation.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np

from jaxprobe.data.idx import IDXError, read_idx
from jaxprobe.data.mnist import MNIST

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot")


def _file(folder: Path, stem: str) -> Optional[Path]:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def find_fashion_mnist(data_dir=None) -> Optional[Path]:
    """The folder holding the four Fashion-MNIST IDX files (``data_dir``, then
    ``$JAXPROBE_FASHION_MNIST_DIR``, then Debian's ``/usr/share/datasets/fashion-mnist``), or None."""
    candidates = [Path(p) for p in (data_dir, os.environ.get("JAXPROBE_FASHION_MNIST_DIR")) if p] + [DEBIAN_DIR]
    for folder in candidates:
        if all(_file(folder, stem) for pair in FILES.values() for stem in pair):
            return folder
    return None


def read_fashion_split(folder, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 784) float32 in [0, 1] and labels (N,) int32 of ``split`` ('train' or 'test')."""
    if split not in FILES:
        raise ValueError(f"split={split!r} is not known; choose 'train' or 'test'.")
    folder = Path(folder)
    paths = [_file(folder, stem) for stem in FILES[split]]
    if None in paths:
        raise FileNotFoundError(f"Fashion-MNIST {split} files ({', '.join(FILES[split])}[.gz]) are not in {folder}; "
                                f"install Debian's dataset-fashion-mnist or set JAXPROBE_FASHION_MNIST_DIR.")
    images = read_idx(paths[0], ndim=3, shape_tail=(28, 28))
    labels = read_idx(paths[1], ndim=1)
    if len(labels) != len(images):
        raise IDXError(f"{paths[1]}: {len(labels)} labels for {len(images)} images; the files do not match.")
    if labels.size and labels.max() > 9:
        raise IDXError(f"{paths[1]}: label {labels.max()} out of 0..9.")
    return (images.reshape(len(images), -1) / 255.0).astype(np.float32), labels.astype(np.int32)


def load_fashion_mnist(data_dir=None, n_valid: int = 5000) -> MNIST:
    """Fashion-MNIST as an ``MNIST`` tuple (``test_source='fashion-mnist-t10k'``).

    Raises:
      FileNotFoundError: the files are not installed (see the module docstring).
      ValueError: ``n_valid`` not in 1..N−1.
    """
    folder = find_fashion_mnist(data_dir)
    if folder is None:
        raise FileNotFoundError("Fashion-MNIST IDX files not found; `apt-get install dataset-fashion-mnist`, "
                                "or pass data_dir / set JAXPROBE_FASHION_MNIST_DIR to a folder holding them.")
    x, y = read_fashion_split(folder, "train")
    tx, ty = read_fashion_split(folder, "test")
    if not 0 < n_valid < len(x):
        raise ValueError(f"n_valid must be in 1..{len(x) - 1}, got {n_valid}.")
    return MNIST(x[:-n_valid], y[:-n_valid], x[-n_valid:], y[-n_valid:], tx, ty, "fashion-mnist-t10k")
