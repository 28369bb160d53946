"""Where a report goes and how it is written: all of it or nothing.

`.md`: the Markdown file and a folder beside it named after it (`report.md` ->
`report_files/`) holding the PNGs. `.html`: one file. Everything is rendered in memory
first; the images go to a temp folder that replaces the old one by a rename, then the
text is written atomically (core.atomic), and a failure there puts the old folder back.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import UserError

SUFFIXES = (".md", ".html")


def check_output(path: str) -> Path:
    """The report's path, refused in one line when its type is unknown or its folder
    is missing, not a folder or not writable (tried with a temp file: permission bits
    say nothing for root or read-only mounts)."""
    out = Path(path)
    if out.suffix.lower() not in SUFFIXES:
        raise UserError(f"{out}: unknown report type {out.suffix or '(none)'!r}; use .md or .html")
    folder = out.parent
    if not folder.exists():
        raise UserError(f"{folder}: output folder does not exist")
    if not folder.is_dir():
        raise UserError(f"{folder}: output folder is not a folder")
    if out.is_dir():
        raise UserError(f"{out}: is a folder; give a file name ending in .md or .html")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"{folder}: output folder is not writable ({exc.strerror or exc})") from None
    if out.suffix.lower() == ".md" and images_dir(out).exists() and not images_dir(out).is_dir():
        raise UserError(f"{images_dir(out)}: exists and is not a folder (the report's images go there)")
    return out


def images_dir(out: Path) -> Path:
    """The Markdown report's image folder: `report.md` -> `report_files`."""
    return out.with_name(f"{out.stem}_files")


def write_html(out: Path, text: str) -> None:
    from core.atomic import write_text

    write_text(out, text)


def write_markdown(out: Path, text: str, images: dict[str, bytes]) -> None:
    from core.atomic import default_mode, write_text

    target = images_dir(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=out.parent))
    # mkdtemp makes a private (0700) folder: give it the mode a plain mkdir would have.
    os.chmod(staging, default_mode(folder=True))
    old = staging.with_name(staging.name[:-4] + ".old.tmp")
    moved_old = False
    try:
        for name, data in images.items():
            (staging / f"{name}.png").write_bytes(data)
        if target.exists():
            os.rename(target, old)
            moved_old = True
        os.rename(staging, target)
        try:
            write_text(out, text)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            if moved_old:
                os.rename(old, target)
                moved_old = False
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if moved_old and not target.exists():
            os.rename(old, target)
        raise
    if moved_old:
        shutil.rmtree(old, ignore_errors=True)
