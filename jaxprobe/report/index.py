"""``<out>/index.html``: every experiment's report section on one page, figures inlined.

The sections' Markdown is rendered by markdown-it (CommonMark with tables), so emphasis, captions,
code and inline maths symbols come out as written; PNG figures are embedded as base64 data, so the
page reads in a browser without a server.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

from markdown_it import MarkdownIt

_STYLE = """body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}img{max-width:100%}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:90%}
em{color:#444}section{border-top:2px solid #333;margin-top:2em}"""


def markdown_to_html(markdown: str, folder: Path) -> str:
    """Renders one section's Markdown; images whose file is in ``folder`` are inlined as base64."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")

    def image(renderer, tokens, idx, options, env):
        token = tokens[idx]
        src = token.attrGet("src") or ""
        path = Path(folder) / src
        if path.is_file() and path.suffix.lower() == ".png":
            token.attrSet("src", "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode())
        token.attrSet("alt", src)
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("image", image)
    return md.render(markdown)


def write_index(out) -> Path:
    """Rebuilds ``<out>/index.html`` from every ``<out>/<name>/report.md`` (atomically)."""
    out = Path(out)
    sections = sorted(p for p in out.glob("*/report.md") if not p.parent.name.startswith("."))
    body = "".join(f'<section id="{html.escape(p.parent.name)}">{markdown_to_html(p.read_text(), p.parent)}</section>'
                   for p in sections)
    toc = "".join(f'<li><a href="#{html.escape(p.parent.name)}">{html.escape(p.parent.name)}</a></li>'
                  for p in sections)
    page = (f'<!doctype html><html><head><meta charset="utf-8"><title>jaxprobe results</title>'
            f"<style>{_STYLE}</style></head>\n<body><h1>jaxprobe: reproductions</h1><ul>{toc}</ul>\n{body}\n"
            f"</body></html>")
    tmp = out / ".index.html.tmp"
    tmp.write_text(page)
    os.replace(tmp, out / "index.html")
    return out / "index.html"
