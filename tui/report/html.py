"""A report's blocks as one self-contained HTML file: images as base64 data URIs,
a little inline CSS, no external resources, every text escaped."""

from __future__ import annotations

import base64
from html import escape

from .document import Block, Heading, Image, Paragraph, Table

CSS = """
body { font-family: system-ui, sans-serif; max-width: 72em; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
th { background: #f0f0f0; text-align: left; }
td { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child { text-align: left; }
img { max-width: 100%; height: auto; }
"""


def render(title: str, blocks: list[Block], images: dict[str, bytes]) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>{escape(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>"]
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"<h{block.level}>{escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            parts.append(f"<p>{escape(block.text)}</p>")
        elif isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Image):
            data = base64.b64encode(images[block.name]).decode("ascii")
            parts.append(f'<p><img alt="{escape(block.alt)}" src="data:image/png;base64,{data}"></p>')
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.head)
    body = "\n".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
