"""One experiment's report section: figures, metrics, claims beside the seed's, written atomically.

``Report`` collects the section in a temporary folder next to the destination and moves it to
``<out>/<name>/`` only when the experiment finishes without error, so a failed run leaves nothing
half-written (and the temporary folders of a killed run are removed by the next run). It then
rebuilds ``<out>/index.html`` (``jaxprobe.report.index``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from jaxprobe.analysis.verdicts import JUDGED, VERDICTS, Criterion, check_verdict, count_outcomes
from jaxprobe.report.index import write_index

_OWNER_FILE = ".jaxprobe-report-pid"


def _jsonable(value: Any):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.generic, np.ndarray)) or hasattr(value, "__array__"):
        arr = np.asarray(value)
        return arr.item() if arr.ndim == 0 else arr.tolist()
    return value


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.3g}"
        return f"{v:.4g}"
    return str(value)


def ensure_writable(out) -> Path:
    """Creates ``out`` if needed and checks it can be written, with a clear error otherwise."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out):
            pass
    except OSError as err:
        raise PermissionError(f"--out {out} is not a writable folder ({err.strerror}); "
                              f"choose another folder with --out.") from err
    return out


class Report:
    """One experiment's section of the report; use as a context manager."""

    def __init__(self, out, name: str, title: str):
        self.out = ensure_writable(out)
        self.name, self.title = name, title
        self.blocks: list[str] = []
        self.metrics: dict[str, Any] = {}
        self.comparisons: list[dict] = []
        self.timings: dict[str, float] = {}
        self._tmp: Optional[Path] = None
        self._start = time.perf_counter()

    # ------------------------------------------------------------------ context
    def __enter__(self) -> "Report":
        remove_stale_folders(self.out)
        self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.name}-", dir=self.out))
        (self._tmp / _OWNER_FILE).write_text(str(os.getpid()))
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            return False
        try:
            self.timings.setdefault("total", time.perf_counter() - self._start)
            self._write_files()
            (self._tmp / _OWNER_FILE).unlink(missing_ok=True)
            final = self.out / self.name
            if final.exists():
                trash = Path(tempfile.mkdtemp(prefix=f".{self.name}-old-", dir=self.out))
                (trash / _OWNER_FILE).write_text(str(os.getpid()))
                final.rename(trash / "old")
                self._tmp.rename(final)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                self._tmp.rename(final)
            write_index(self.out)
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise
        return False

    @property
    def folder(self) -> Path:
        """The temporary folder being written (for files an experiment saves itself)."""
        if self._tmp is None:
            raise RuntimeError("use Report as a context manager: `with Report(...) as report:`")
        return self._tmp

    # ------------------------------------------------------------------ content
    def text(self, markdown: str) -> None:
        self.blocks.append(markdown.strip())

    def figure(self, fig, filename: str, caption: str) -> None:
        import matplotlib.pyplot as plt

        if not filename.endswith(".png"):
            raise ValueError(f"filename must end in .png, got {filename!r}.")
        fig.savefig(self.folder / filename, dpi=110, bbox_inches="tight")
        plt.close(fig)
        self.blocks.append(f"![{caption}]({filename})\n\n*{caption}*")

    def metric(self, name: str, value: Any) -> None:
        self.metrics[name] = _jsonable(value)

    def compare(self, quantity: str, ours: Any, seed: Any, verdict: str = "n/a", note: str = "") -> None:
        """A row of the 'ours beside the seed' table (also stored in metrics.json)."""
        check_verdict("verdict", verdict)
        row = {"quantity": quantity, "ours": _jsonable(ours), "seed": _jsonable(seed), "verdict": verdict,
               "note": note}
        self.comparisons.append(row)

    def claim(self, criterion: Criterion, ours: Any, seed: Any, verdict: str, *, control: Any = None,
              control_verdict: str | None = None, note: str = "") -> None:
        """A claim row: the criterion's words and thresholds, our number, the seed's, the outcome.

        ``control``/``control_verdict`` are the same criterion on a negative control (an untrained
        network, say), shown beside the real run; ``verdict`` should already account for it
        (``jaxprobe.analysis.verdicts.with_control``).
        """
        check_verdict("verdict", verdict)
        if control_verdict is not None:
            check_verdict("control_verdict", control_verdict)
        rule = criterion.rule()
        self.compare(criterion.claim, ours, seed, verdict, note=(note + " — " if note else "") + rule)
        self.comparisons[-1].update(quote=criterion.quote, source=criterion.source, measure=criterion.measure,
                                    control=_jsonable(control), control_verdict=control_verdict)

    @contextlib.contextmanager
    def stage(self, name: str, *, echo: bool = True):
        """``with report.stage("training"):`` times a stage of the experiment into the report."""
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.timing(name, seconds)
        if echo:
            print(f"[{self.name}] {name}: {seconds:.1f} s", flush=True)

    def table(self, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.blocks.append(_markdown_table(title, header, rows))

    def timing(self, stage: str, seconds: float) -> None:
        self.timings[stage] = float(seconds)

    # ------------------------------------------------------------------ output
    def _markdown(self) -> str:
        parts = [f"## {self.title}"]
        if self.comparisons:
            counts = count_outcomes([c["verdict"] for c in self.comparisons])
            judged = [v for v in VERDICTS if counts[v] or v in JUDGED]
            parts.append(_markdown_table("Outcomes", judged, [[counts[v] for v in judged]]))
            header = ["quantity", "ours", "seed", "verdict"]
            controls = any(c.get("control_verdict") is not None for c in self.comparisons)
            if controls:
                header += ["control", "control verdict"]
            rows = []
            for c in self.comparisons:
                row = [c["quantity"], c["ours"], c["seed"], c["verdict"]]
                if controls:
                    row += [c.get("control"), c.get("control_verdict")]
                rows.append(row + [c["note"]])
            parts.append(_markdown_table("Reproduced numbers beside the seed's", header + ["note"], rows))
        parts += self.blocks
        if self.timings:
            parts.append("**Wall time (s)**: " + ", ".join(f"{k} {v:.1f}" for k, v in self.timings.items()))
        return "\n\n".join(parts) + "\n"

    def _write_files(self) -> None:
        metrics = dict(self.metrics, comparisons=self.comparisons, timings=self.timings,
                       outcomes=count_outcomes([c["verdict"] for c in self.comparisons]))
        bad = [k for k, v in _flat_numbers(metrics) if not math.isfinite(v)]
        metrics["non_finite"] = bad
        (self.folder / "metrics.json").write_text(json.dumps(_jsonable(metrics), indent=2, allow_nan=True))
        (self.folder / "report.md").write_text(self._markdown())


def _markdown_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = [f"**{title}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows])


def _flat_numbers(value, prefix=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flat_numbers(v, f"{prefix}{k}.")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _flat_numbers(v, f"{prefix}{i}.")
    elif isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        yield prefix.rstrip("."), float(value)


def remove_stale_folders(out) -> list[Path]:
    """Removes the temporary folders a killed report writer left in ``out``; returns them.

    Only folders holding this module's owner file, written by a process that no longer runs, are
    removed: a concurrent run's folder and anything a person put there are left alone.
    """
    removed = []
    for folder in Path(out).glob(".*"):
        owner = folder / _OWNER_FILE
        if not (folder.is_dir() and owner.is_file()):
            continue
        try:
            pid = int(owner.read_text().strip())
        except ValueError:
            pid = -1
        if pid > 0 and _process_alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
