"""Reader for the IDX format of the MNIST files (plain or gzip-compressed).

An IDX file starts with a magic number: two zero bytes, a type code (0x08 = unsigned byte) and the
number of dimensions, then one big-endian uint32 per dimension, then the data. The reader checks
all of it and says which file is wrong and how.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np


class IDXError(ValueError):
    """A file that is not a valid IDX file of the expected kind."""


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_idx(path, *, ndim: int | None = None, shape_tail: tuple | None = None) -> np.ndarray:
    """Reads an unsigned-byte IDX file (``.gz`` or raw) into a uint8 array.

    ``ndim`` (1 for labels, 3 for images) and ``shape_tail`` (e.g. (28, 28)) are checked when given.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file {path} does not exist; check the data folder or download MNIST.")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise IDXError(f"{path}: cannot be read as {'gzip' if opener is gzip.open else 'raw'} IDX ({err}); "
                       f"the file is corrupt or truncated: delete it and fetch it again.") from err
    if len(data) < 4:
        raise IDXError(f"{path}: only {len(data)} bytes, too short for an IDX header.")
    zero, dtype_code, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise IDXError(f"{path}: bad magic number 0x{data[:4].hex()}; expected 0x000008dd "
                       f"(unsigned-byte IDX). Is this an MNIST IDX file?")
    if ndim is not None and dims != ndim:
        raise IDXError(f"{path}: has {dims} dimension(s), expected {ndim} "
                       f"({'labels' if ndim == 1 else 'images'}); were image and label files swapped?")
    header = 4 + 4 * dims
    if len(data) < header:
        raise IDXError(f"{path}: truncated inside its header.")
    shape = struct.unpack(f">{dims}I", data[4:header])
    if shape_tail is not None and tuple(shape[1:]) != tuple(shape_tail):
        raise IDXError(f"{path}: items have shape {shape[1:]}, expected {tuple(shape_tail)}.")
    expected = int(np.prod(shape))
    body = len(data) - header
    if body != expected:
        what = "truncated" if body < expected else "longer than its header says"
        raise IDXError(f"{path}: {what}: header says {shape} = {expected} bytes, found {body}.")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)
