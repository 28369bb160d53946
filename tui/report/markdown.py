"""A report's blocks as Markdown; images are referenced as files in `image_dir`,
relative to the Markdown file."""

from __future__ import annotations

import re

from core.sweep.results import markdown_table

from .document import Block, Heading, Image, Paragraph, Table

# Characters that would start emphasis, code, links or HTML in a paragraph or a cell.
# "_" is left alone: run names and options use it inside words, where it is literal.
_SPECIAL = re.compile(r"([\\`*\[\]<>])")


def escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def render(title: str, blocks: list[Block], image_dir: str) -> str:
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {escape(block.text)}")
        elif isinstance(block, Paragraph):
            parts.append(escape(block.text))
        elif isinstance(block, Table):
            # markdown_table escapes "|"; the rest is escaped here.
            parts.append(markdown_table([escape(c) for c in block.head],
                                        [[escape(c) for c in row] for row in block.rows]))
        elif isinstance(block, Image):
            parts.append(f"![{escape(block.alt)}]({image_path(image_dir, block.name)})")
    return "\n\n".join(parts) + "\n"


def image_path(image_dir: str, name: str) -> str:
    """The relative link to an image; spaces and parentheses in a folder name are
    percent-encoded, as they would end the link."""
    link = f"{image_dir}/{name}.png"
    return link.replace("%", "%25").replace(" ", "%20").replace("(", "%28").replace(")", "%29")
