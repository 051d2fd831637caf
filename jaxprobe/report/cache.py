"""A run cache: results of long steps kept on disk under a fingerprint of everything that made them.

``RunCache(folder).get(name, config, compute)`` returns the stored value when a file of that name
was written with the same ``config`` (any JSON-able description: sizes, seeds, hyperparameters, the
data's digest) and otherwise calls ``compute()`` and stores its value. Values are pytrees of arrays,
numbers, strings, lists and dicts, stored as msgpack (no pickle: nothing is executed on load) and
written atomically, so a killed run leaves no half-written file. A different config gives a
different file, so changing a setting never reuses a stale result.

>>> import tempfile
>>> cache = RunCache(tempfile.mkdtemp())
>>> cache.get("square", {"x": 3}, lambda: {"y": 9})
{'y': 9}
>>> cache.get("square", {"x": 3}, lambda: {"y": -1})   # stored: compute is not called
{'y': 9}
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Callable

import flax.serialization as serialization
import numpy as np


def fingerprint(name: str, config: Any) -> str:
    """sha256 (first 16 hex digits) of ``name`` and the canonical JSON of ``config``."""
    try:
        text = json.dumps({"name": name, "config": config}, sort_keys=True, default=_json_default)
    except TypeError as err:
        raise TypeError(f"config of cache entry {name!r} must be JSON-able (numbers, strings, lists, dicts, "
                        f"arrays); {err}") from err
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _json_default(value):
    if isinstance(value, (np.ndarray, np.generic)) or hasattr(value, "__array__"):
        return np.asarray(value).tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-able")


def _to_storable(value):
    if isinstance(value, dict):
        return {str(k): _to_storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return {"__list__": {str(i): _to_storable(v) for i, v in enumerate(value)}}
    if hasattr(value, "__array__") and not isinstance(value, np.ndarray):
        return np.asarray(value)
    return value


def _from_storable(value):
    if isinstance(value, dict):
        if set(value) == {"__list__"}:
            items = value["__list__"]
            return [_from_storable(items[str(i)]) for i in range(len(items))]
        return {k: _from_storable(v) for k, v in value.items()}
    return value


class RunCache:
    """Fingerprinted results in one folder (created on first write)."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def path(self, name: str, config: Any) -> Path:
        """The file that holds ``name`` computed under ``config``."""
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", str(name)):
            raise ValueError(f"name={name!r}: use letters, digits, '.', '_' and '-' only (it names a file).")
        return self.folder / f"{name}-{fingerprint(name, config)}.msgpack"

    def get(self, name: str, config: Any, compute: Callable[[], Any]) -> Any:
        """The stored value of ``name`` under ``config``, computing and storing it when absent."""
        path = self.path(name, config)
        if path.is_file():
            return _from_storable(serialization.msgpack_restore(path.read_bytes()))
        value = compute()
        self.put(path, value)
        return value

    def put(self, path: Path, value: Any) -> None:
        """Writes ``value`` to ``path`` atomically (temporary file, then rename)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        data = serialization.msgpack_serialize(_to_storable(value))
        fd, tmp = tempfile.mkstemp(prefix=".cache-", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
