"""Reports are written whole or not at all, and gather into one index.html."""

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from jaxprobe.report import Report


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
        report.metric("nested", {"x": [1.0, float("nan")]})
        report.timing("stage", 1.5)
    folder = tmp_path / "demo"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["comparisons"][0]["seed"] == 97.51
    assert metrics["non_finite"] == ["nested.x.1"]
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
        with pytest.raises(ValueError, match=r"verdict=.maybe. is not a verdict"):
            report.compare("x", 1, 2, "maybe")
        with pytest.raises(ValueError, match=r"filename must end in .png"):
            report.figure(_fig(), "a.jpg", "a")
