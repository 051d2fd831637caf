"""The IDX reader and the MNIST loaders, on real files where present and on broken ones made here."""

import gzip
import struct

import numpy as np
import pytest

from jaxprobe.data import mnist
from jaxprobe.data.idx import IDXError, read_idx, sha256_of

SHARED = mnist.shared_test_dir()
needs_shared = pytest.mark.skipif(SHARED is None, reason="real MNIST test set not on this machine")


def _write_idx(path, array, magic_type=0x08, gz=True):
    header = struct.pack(">HBB", 0, magic_type, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)
    return path


@needs_shared
def test_shared_test_set_sha256_and_class_counts():
    images = SHARED / "t10k-images-idx3-ubyte.gz"
    labels = SHARED / "t10k-labels-idx1-ubyte.gz"
    # a file that exists but matches no known digest is corrupt or foreign: fail, never skip
    assert sha256_of(images) in mnist.SHA256[images.name], f"{images}: sha256 matches no known copy of the test set"
    assert sha256_of(labels) in mnist.SHA256[labels.name], f"{labels}: sha256 matches no known copy"
    x, y = mnist.read_split(SHARED, "t10k")
    assert x.shape == (10000, 784) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])


def test_embedded_split_is_fixed_and_stratified():
    a = mnist.load_mnist("embedded")
    b = mnist.load_mnist("embedded")
    assert a.train_x.shape == (4500, 784) and a.valid_x.shape == (500, 784)
    np.testing.assert_array_equal(np.bincount(a.valid_y), [50] * 10)
    np.testing.assert_array_equal(a.train_y, b.train_y)
    # no digit is both in train and validation
    train_rows = {r.tobytes() for r in a.train_x}
    assert not any(r.tobytes() in train_rows for r in a.valid_x)
    assert a.test_source in ("mnist-t10k", "embedded-validation")
    if SHARED is not None:
        assert a.test_source == "mnist-t10k" and len(a.test_x) == 10000


def test_idx_folder_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (30, 28, 28))
    labels = rng.integers(0, 10, 30)
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", imgs)
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", imgs[:10], gz=False)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels[:10], gz=False)
    data = mnist.load_mnist("idx", tmp_path, n_valid=5)
    np.testing.assert_allclose(data.train_x * 255, imgs[:25].reshape(25, 784), atol=1e-4)
    np.testing.assert_array_equal(data.valid_y, labels[25:])
    assert data.test_x.shape == (10, 784)


def test_bad_magic_names_the_file(tmp_path):
    path = _write_idx(tmp_path / "x.gz", np.zeros((2, 28, 28)), magic_type=0x0D)
    with pytest.raises(IDXError, match=r"x.gz: bad magic number"):
        read_idx(path)


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    _write_idx(path, np.zeros((3, 28, 28)), gz=False)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(IDXError, match=r"t10k-images-idx3-ubyte: truncated: header says \(3, 28, 28\)"):
        read_idx(path, ndim=3)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + b"\x00\x00\x00\x05" + b"\x01" * 5)[:-6])
    with pytest.raises(IDXError, match=r"labels.gz: cannot be read as gzip IDX"):
        read_idx(path)


def test_swapped_files_and_mismatched_counts(tmp_path):
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros(4))  # labels where images belong
    with pytest.raises(IDXError, match=r"has 1 dimension\(s\), expected 3"):
        mnist.read_split(tmp_path, "train")
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((4, 28, 28)))
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(3))
    with pytest.raises(IDXError, match=r"3 labels for 4 images"):
        mnist.read_split(tmp_path, "train")


def test_missing_files_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte\[.gz\] not found .*download_mnist"):
        mnist.load_mnist("idx", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"data_dir=.* is not a folder"):
        mnist.load_mnist("idx", tmp_path / "nope")
    with pytest.raises(ValueError, match=r"source='kaggle' is not known"):
        mnist.load_mnist("kaggle")


def test_download_offline_fails_cleanly(tmp_path):
    with pytest.raises(RuntimeError, match=r"(?s)could not download train-images-idx3-ubyte.gz.*Offline\?"):
        mnist.download_mnist(tmp_path, mirrors=("http://127.0.0.1:9/",), timeout=2)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


# ------------------------------------------------------------------ issue 10 item 3 and unclear errors
def _idx_folder(folder, n_train=30, n_test=10):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (n_train, 28, 28))
    labels = rng.integers(0, 10, n_train)
    _write_idx(folder / "train-images-idx3-ubyte.gz", imgs)
    _write_idx(folder / "train-labels-idx1-ubyte.gz", labels)
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", imgs[:n_test])
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels[:n_test])
    return imgs, labels


def test_data_dir_alone_reads_the_folder_with_its_n_valid(tmp_path):
    """Issue 10 item 3: load_mnist(data_dir=folder) used to ignore the folder and n_valid."""
    imgs, labels = _idx_folder(tmp_path)
    data = mnist.load_mnist(data_dir=tmp_path, n_valid=4)
    assert data.train_x.shape == (26, 784) and data.valid_x.shape == (4, 784)
    np.testing.assert_array_equal(data.valid_y, labels[26:])
    np.testing.assert_allclose(data.test_x * 255, imgs[:10].reshape(10, 784), atol=1e-4)


def test_embedded_refuses_a_folder_or_n_valid(tmp_path):
    with pytest.raises(ValueError, match=r"data_dir=.* is read only with source='idx'"):
        mnist.load_mnist("embedded", data_dir=tmp_path)
    with pytest.raises(ValueError, match=r"n_valid=100 applies to source='idx'"):
        mnist.load_mnist("embedded", n_valid=100)
    with pytest.raises(TypeError, match=r"n_valid must be an integer, got 2.5"):
        _idx_folder(tmp_path)
        mnist.load_mnist("idx", tmp_path, n_valid=2.5)


def test_read_split_refuses_a_validation_split(tmp_path):
    _idx_folder(tmp_path)
    with pytest.raises(ValueError, match=r"split='valid' is not known; choose one of 'train', 't10k', 'test'"):
        mnist.read_split(tmp_path, "valid")
    x, y = mnist.read_split(tmp_path, "test")
    assert x.shape == (10, 784)


def test_idx_with_zero_examples_names_the_file(tmp_path):
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((0, 28, 28)))
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(0))
    with pytest.raises(IDXError, match=r"train-images-idx3-ubyte.gz: holds no images \(0 examples\)"):
        mnist.read_split(tmp_path, "train")


def test_jump_data_refuse_non_finite_theta_and_bad_counts():
    """Issue 10 item 10: clean_jumps(theta=nan) returned NaN."""
    from jaxprobe.data.jumps import clean_jumps, split_key
    from jaxprobe.data.sampling import balanced_indices

    with pytest.raises(ValueError, match=r"theta must be a finite number, got nan"):
        clean_jumps(theta=float("nan"))
    with pytest.raises(ValueError, match=r"seed must be an integer, got 1.5"):
        split_key(1.5, "train")
    with pytest.raises(ValueError, match=r"n_per_class must be a positive integer, got -1"):
        balanced_indices(np.arange(10) % 2, -1)
