"""Experiment reports: figures, metrics and our numbers beside the seed's, written atomically.

``Report`` collects one experiment's section in a temporary folder next to the destination and
moves it to ``<out>/<name>/`` only when the experiment finishes without error, so a failed run
leaves nothing half-written. It then rebuilds ``<out>/index.html``, a single page that gathers
every section with its figures inline (base64), readable in a browser without a server.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

VERDICTS = ("holds", "does not hold", "partly", "not measurable", "not comparable", "n/a")


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
        self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.name}-", dir=self.out))
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            return False
        try:
            self.timings.setdefault("total", time.perf_counter() - self._start)
            self._write_files()
            final = self.out / self.name
            if final.exists():
                trash = Path(tempfile.mkdtemp(prefix=f".{self.name}-old-", dir=self.out))
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
        if verdict not in VERDICTS:
            raise ValueError(f"verdict={verdict!r} is not known; choose one of {', '.join(VERDICTS)}.")
        row = {"quantity": quantity, "ours": _jsonable(ours), "seed": _jsonable(seed), "verdict": verdict,
               "note": note}
        self.comparisons.append(row)

    def table(self, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.blocks.append(_markdown_table(title, header, rows))

    def timing(self, stage: str, seconds: float) -> None:
        self.timings[stage] = float(seconds)

    # ------------------------------------------------------------------ output
    def _markdown(self) -> str:
        parts = [f"## {self.title}"]
        if self.comparisons:
            rows = [[c["quantity"], c["ours"], c["seed"], c["verdict"], c["note"]] for c in self.comparisons]
            parts.append(_markdown_table("Reproduced numbers beside the seed's",
                                         ["quantity", "ours", "seed", "verdict", "note"], rows))
        parts += self.blocks
        if self.timings:
            parts.append("**Wall time (s)**: " + ", ".join(f"{k} {v:.1f}" for k, v in self.timings.items()))
        return "\n\n".join(parts) + "\n"

    def _write_files(self) -> None:
        metrics = dict(self.metrics, comparisons=self.comparisons, timings=self.timings)
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


# ---------------------------------------------------------------------- index.html
def _markdown_to_html(markdown: str, folder: Path) -> str:
    """A small Markdown subset: headings, tables, images (inlined), emphasis and paragraphs."""
    out, table = [], []

    def flush_table():
        if table:
            rows = [r for r in table if not set(r.replace("|", "").strip()) <= set("-: ")]
            cells = [[html.escape(c.strip()) for c in r.strip().strip("|").split("|")] for r in rows]
            head = "".join(f"<th>{c}</th>" for c in cells[0])
            body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in cells[1:])
            out.append(f"<table><tr>{head}</tr>{body}</table>")
            table.clear()

    for block in markdown.split("\n\n"):
        lines = block.strip().splitlines()
        if not lines:
            continue
        if all(line.startswith("|") for line in lines):
            table.extend(lines)
            continue
        flush_table()
        if lines[0].startswith("|"):
            table.extend(line for line in lines if line.startswith("|"))
            flush_table()
            continue
        text = "\n".join(lines)
        if text.startswith("![") and "](" in text:
            src = text[text.index("](") + 2:text.index(")", text.index("]("))]
            path = folder / src
            if path.is_file():
                data = base64.b64encode(path.read_bytes()).decode()
                out.append(f'<p><img src="data:image/png;base64,{data}" alt="{html.escape(src)}"></p>')
            rest = text[text.index(")", text.index("](")) + 1:].strip().strip("*")
            if rest:
                out.append(f"<p class='caption'>{html.escape(rest)}</p>")
        elif text.startswith("#"):
            level = min(len(text) - len(text.lstrip("#")) + 1, 6)
            out.append(f"<h{level}>{html.escape(text.lstrip('#').strip())}</h{level}>")
        else:
            esc = html.escape(text)
            while esc.count("**") >= 2:
                esc = esc.replace("**", "<b>", 1).replace("**", "</b>", 1)
            out.append(f"<p>{esc}</p>")
    flush_table()
    return "\n".join(out)


def write_index(out) -> Path:
    """Rebuilds ``<out>/index.html`` from every ``<out>/<name>/report.md``."""
    out = Path(out)
    sections = sorted(p for p in out.glob("*/report.md") if not p.parent.name.startswith("."))
    body = [_markdown_to_html(p.read_text(), p.parent) for p in sections]
    toc = "".join(f'<li><a href="#{p.parent.name}">{p.parent.name}</a></li>' for p in sections)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>jaxprobe results</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}}img{{max-width:100%}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;font-size:90%}}
.caption{{color:#555;font-style:italic}}section{{border-top:2px solid #333;margin-top:2em}}</style></head>
<body><h1>jaxprobe: reproductions</h1><ul>{toc}</ul>
{''.join(f'<section id="{p.parent.name}">{b}</section>' for p, b in zip(sections, body))}
</body></html>"""
    tmp = out / ".index.html.tmp"
    tmp.write_text(page)
    os.replace(tmp, out / "index.html")
    return out / "index.html"
