"""Reports are written whole or not at all, and gather into one index.html."""

import json
import os

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


def test_stale_folders_of_a_killed_writer_are_removed(tmp_path):
    """Issue 10: a run killed with SIGKILL left hidden temporary section folders behind."""
    import subprocess
    import sys

    from jaxprobe.report.section import _OWNER_FILE, remove_stale_folders

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / ".demo-abc123"  # what a killed writer leaves: its pid, no longer running
    stale.mkdir()
    (stale / _OWNER_FILE).write_text(dead.stdout.strip())
    (stale / "metrics.json").write_text("{}")
    live = tmp_path / ".other-live"  # a concurrent writer's folder: its process still runs
    live.mkdir()
    (live / _OWNER_FILE).write_text(str(os.getpid()))
    mine = tmp_path / ".user-notes"  # not the report writer's: no owner file
    mine.mkdir()
    assert remove_stale_folders(tmp_path) == [stale]
    assert not stale.exists() and live.exists() and mine.exists()
    with Report(tmp_path, "demo", title="Demo") as report:  # a new run cleans them too
        report.metric("x", 1)
    (live / _OWNER_FILE).write_text(dead.stdout.strip())
    with Report(tmp_path, "demo", title="Demo") as report:
        report.metric("x", 2)
    assert not live.exists() and mine.exists()


def test_run_all_says_no_report_when_it_cannot_write(tmp_path, capsys):
    """Issue 10: run_all printed "report: …/index.html" even when it could not write there."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("run_all_for_report", root / "experiments" / "run_all.py")
    run_all = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_all)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    name = next(iter(run_all.available()))
    assert run_all.main(["--quick", "--only", name, "--out", str(blocker / "sub")]) == 2
    out = capsys.readouterr()
    assert "report:" not in out.out and "is not a writable folder" in out.err
