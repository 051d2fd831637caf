"""The run cache: same config → stored value; other config → recomputed; atomic; no pickle."""

import numpy as np
import pytest

from jaxprobe.report import RunCache


def test_cache_stores_and_reuses_by_config(tmp_path):
    cache = RunCache(tmp_path / "cache")
    calls = []

    def compute():
        calls.append(1)
        return {"params": [np.arange(3.0), {"w": np.ones((2, 2), np.float32)}], "epochs": 7, "name": "mlp2"}

    first = cache.get("run", {"lr": 0.01, "seeds": [0, 1]}, compute)
    again = cache.get("run", {"seeds": [0, 1], "lr": 0.01}, compute)  # key order does not matter
    assert len(calls) == 1
    np.testing.assert_array_equal(again["params"][0], first["params"][0])
    assert again["params"][1]["w"].dtype == np.float32 and again["epochs"] == 7 and again["name"] == "mlp2"
    cache.get("run", {"lr": 0.02, "seeds": [0, 1]}, compute)
    assert len(calls) == 2
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".")]


def test_failed_compute_leaves_no_file(tmp_path):
    cache = RunCache(tmp_path)

    def boom():
        raise RuntimeError("training diverged")

    with pytest.raises(RuntimeError):
        cache.get("run", {"a": 1}, boom)
    assert list(tmp_path.iterdir()) == []


def test_bad_names_and_configs(tmp_path):
    cache = RunCache(tmp_path)
    with pytest.raises(ValueError, match="name='a/b'"):
        cache.get("a/b", {}, dict)
    with pytest.raises(TypeError, match="config of cache entry 'x' must be JSON-able"):
        cache.get("x", {"f": object()}, dict)
