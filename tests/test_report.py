"""Reports are written whole or not at all, and gather into one index.html."""

import json

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from jaxprobe.report import Report, RunCache


def _fig():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    return fig


def test_section_files_and_index(tmp_path):
    with Report(tmp_path, "demo", title="Demo section") as report:
        report.text("Some **bold** words.")
        report.figure(_fig(), "line.png", "A line")
        report.compare("accuracy (%)", 97.0, 97.51, "partly", note="fewer digits")
        report.table("A table", ["a", "b"], [[1, 2.5], [3, 1e-7]])
        report.metric("nested", {"x": [1.0, float("nan")], "y": -float("inf")})
        report.timing("stage", 1.5)
    folder = tmp_path / "demo"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["comparisons"][0]["seed"] == 97.51
    assert metrics["non_finite"] == ["nested.x.1", "nested.y"]
    md = (folder / "report.md").read_text()
    assert "| accuracy (%) | 97 | 97.51 | partly | fewer digits |" in md
    assert "![A line](line.png)" in md and "stage 1.5" in md
    index = (tmp_path / "index.html").read_text()
    assert "data:image/png;base64," in index and "<strong>bold</strong>" in index and "<td>97.51</td>" in index


def test_failed_experiment_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with Report(tmp_path, "broken", title="Broken") as report:
            report.figure(_fig(), "a.png", "a")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_rerun_replaces_the_old_section(tmp_path):
    for value in (1.0, 2.0):
        with Report(tmp_path, "demo", title="Demo") as report:
            report.metric("value", value)
    assert json.loads((tmp_path / "demo" / "metrics.json").read_text())["value"] == 2.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo", "index.html"]


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(PermissionError, match=r"--out .* is not a writable folder"):
        Report(blocker / "sub", "demo", title="Demo")


def test_bad_verdict_and_filename(tmp_path):
    with Report(tmp_path, "demo", title="Demo") as report:
        with pytest.raises(ValueError, match=r"verdict='maybe' is not a verdict"):
            report.compare("x", 1, 2, "maybe")
        with pytest.raises(ValueError, match=r"filename must end in .png"):
            report.figure(_fig(), "a.jpg", "a")


def test_run_cache_reuses_only_the_same_config(tmp_path):
    calls = []

    def compute(value):
        def run():
            calls.append(value)
            return {"y": value, "arr": np.arange(3.0) * value, "items": [value, "a"]}
        return run

    cache = RunCache(tmp_path / "cache")
    first = cache.get("step", {"n": 3, "seed": 0}, compute(1))
    again = cache.get("step", {"seed": 0, "n": 3}, compute(2))  # same config, keys in another order
    assert calls == [1] and again["y"] == 1 and again["items"] == [1, "a"]
    np.testing.assert_array_equal(again["arr"], first["arr"])
    other = cache.get("step", {"n": 4, "seed": 0}, compute(3))    # another config: computed afresh
    named = cache.get("other_step", {"n": 3, "seed": 0}, compute(4))  # another name too
    assert calls == [1, 3, 4] and other["y"] == 3 and named["y"] == 4
    assert len(list((tmp_path / "cache").glob("*.msgpack"))) == 3
    with pytest.raises(ValueError, match=r"name='a/b': use letters, digits"):
        cache.get("a/b", {}, compute(5))
