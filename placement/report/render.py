"""HTML and Markdown of a report's sections: one self-contained page (styles inline, charts as
PNG data URIs, nothing fetched) and the same as Markdown with figures beside it."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence

from placement.report.blocks import Block, Chart, Paragraph, Section

__all__ = ["html_page", "markdown_page"]


def html_page(title: str, meta: str, sections: Sequence[Section]) -> str:
    """One self-contained HTML page: ``meta`` is the line under the title (HTML)."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
        "<header>", f"<h1>{e(title)}</h1>", f'<p class="meta">{meta}</p>',
        "<nav><ol>" + "".join(f'<li><a href="#{s.id}">{e(s.title)}</a></li>'
                              for s in sections) + "</ol></nav>", "</header>",
        "<main>",
    ]
    for s in sections:
        parts.append(f'<section id="{s.id}"><h2>{e(s.title)}</h2>')
        parts += [_html_block(b) for b in s.blocks]
        parts.append("</section>")
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def markdown_page(title: str, meta: str, sections: Sequence[Section], figure_dir: str) -> str:
    """The same page as Markdown; charts are referenced as ``figure_dir/<name>.png``."""
    out = [f"# {title}", "", meta, ""]
    out += [f"{i}. [{s.title}](#{s.id})" for i, s in enumerate(sections, 1)] + [""]
    for s in sections:
        out += [f'<a id="{s.id}"></a>', "", f"## {s.title}", ""]
        for b in s.blocks:
            out += _md_block(b, figure_dir) + [""]
    return "\n".join(out).rstrip() + "\n"


def _html_block(b: Block) -> str:
    e = html.escape
    if isinstance(b, Paragraph):
        out = f"<p>{e(b.text)}</p>" if b.text else ""
        if b.items:
            out += "<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>"
        return out
    if isinstance(b, Chart):
        data = base64.b64encode(b.png).decode("ascii")
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{e(b.alt)}">'
                f"<figcaption>{e(b.caption)}</figcaption></figure>")
    head = "".join(f'<th class="{"num" if n else "txt"}">{e(h)}</th>'
                   for h, n in zip(b.headers, b.numeric, strict=True))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if n or _NUMBER.match(c) else "txt"}">{e(c)}</td>'
                         for c, n in zip(row, b.numeric, strict=True)) + "</tr>"
        for row in b.rows)
    table = (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
             f"<tbody>{body}</tbody></table></div>")
    note = f'<p class="note">{e(b.note)}</p>' if b.note else ""
    if b.collapsed:
        summary = e(b.caption or "table") + f" ({len(b.rows)} rows)"
        return f"<details><summary>{summary}</summary>{table}{note}</details>"
    cap = f'<p class="caption">{e(b.caption)}</p>' if b.caption else ""
    return cap + table + note


#: A cell that reads as a number (in a column of mixed text and numbers): aligned right.
_NUMBER = re.compile(r"^[-+]?(\d[\d,]*)?\.?\d+(e[-+]?\d+)?%?$")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_block(b: Block, figure_dir: str) -> list[str]:
    if isinstance(b, Paragraph):
        out = [b.text] if b.text else []
        if b.items:
            out += ([""] if b.text else []) + [f"- {i}" for i in b.items]
        return out
    if isinstance(b, Chart):
        return [f"![{b.alt}]({figure_dir}/{b.name}.png)", "", f"*{b.caption}*"]
    lines = ["| " + " | ".join(_md_cell(h) for h in b.headers) + " |",
             "|" + "|".join("---:" if n else "---" for n in b.numeric) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
    if b.note:
        lines += ["", f"*{b.note}*"]
    if b.collapsed:
        return [f"<details><summary>{b.caption or 'table'} ({len(b.rows)} rows)</summary>", "",
                *lines, "", "</details>"]
    return ([f"*{b.caption}*", ""] if b.caption else []) + lines


_CSS = """
:root { --ink: #1f2328; --muted: #57606a; --rule: #d0d7de; --band: #f6f8fa; --accent: #c0392b; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
header, main { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; border-bottom: 1px solid var(--rule); }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-bottom: 4px;
     border-bottom: 2px solid var(--accent); }
.meta, .note, .caption, figcaption { color: var(--muted); font-size: 13px; }
nav ol { columns: 2; margin: 8px 0 16px; padding-left: 20px; }
nav a { color: var(--ink); }
section { margin-bottom: 24px; }
figure { margin: 16px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
.scroll { overflow-x: auto; max-height: 720px; overflow-y: auto; border: 1px solid var(--rule); }
table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { position: sticky; top: 0; z-index: 1; background: var(--band); text-align: left;
           vertical-align: bottom; }
tbody tr:nth-child(even) td { background: #fbfbfc; }
tbody td { background: #fff; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { text-align: right; }
td.txt { min-width: 6em; }
tbody td:first-child { position: sticky; left: 0; white-space: nowrap; font-weight: 600;
                       border-right: 1px solid var(--rule); }
thead th:first-child { left: 0; z-index: 2; }
@media (max-width: 900px) {
  header, main { padding: 0 12px; }
  table { font-size: 11.5px; }
  th, td { padding: 2px 5px; }
}
details { margin: 12px 0; }
summary { cursor: pointer; color: var(--muted); }
@media print { .scroll { max-height: none; overflow: visible; } nav { display: none; } }
"""


