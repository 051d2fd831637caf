"""Every experiment runs in --quick mode and leaves figures, metrics and a report section."""

import importlib.util
import json
from pathlib import Path

import pytest

from jaxprobe.report import VERDICTS

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("run_all", ROOT / "experiments" / "run_all.py")
run_all = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_all)

EXPERIMENTS = list(run_all.available())


def test_there_are_experiments():
    assert EXPERIMENTS, "experiments/ holds no experiment script"


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_quick_run_writes_figures_metrics_and_report(name, tmp_path):
    run_all.load(name).main(["--quick", "--out", str(tmp_path), "--no-progress"])
    folder = tmp_path / name
    assert sorted(folder.glob("*.png")), f"{name} wrote no figure"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["non_finite"] == [], f"{name} has non-finite numbers: {metrics['non_finite']}"
    assert metrics["comparisons"], f"{name} puts no number beside the seed's"
    for row in metrics["comparisons"]:
        assert row["verdict"] in VERDICTS
    report = (folder / "report.md").read_text()
    for png in folder.glob("*.png"):
        assert png.name in report, f"{png.name} is not shown in the report"
    index = (tmp_path / "index.html").read_text()
    assert f'id="{name}"' in index and "data:image/png;base64," in index
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def test_unknown_experiment_name_is_refused(tmp_path):
    with pytest.raises(SystemExit, match=r"unknown experiment 'bpdnn'; choose from"):
        run_all.main(["--quick", "--only", "bpdnn", "--out", str(tmp_path)])
    assert not (tmp_path / "index.html").exists()


def test_thesis_ch5_quick_mode_is_a_smoke_test_of_the_full_configuration():
    module = run_all.load("thesis_ch5_synthesis")  # its quick run is one of the parametrised runs above
    quick, full = module.QUICK, module.FULL
    assert quick.budget.max_epochs < full.budget.max_epochs and quick.starts < full.starts
    assert set(quick.mlps) <= set(full.mlps) and set(quick.cnns) <= set(full.cnns) and "mlp2" in quick.mlps
