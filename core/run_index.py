"""The run folders of a run folder or a sweep folder, in one order for every caller."""

from __future__ import annotations

import json
import re
from pathlib import Path

RUN_MARKER = "history.json"
SWEEP_MANIFEST = "sweep.json"


def find_runs(folder: str | Path) -> list[Path]:
    """`folder` itself when it is a run folder; else its run folders (those holding a
    history.json): in the order of its sweep.json when there is a readable one, else
    in natural order of their names (run2 before run10). [] when there are none."""
    path = Path(folder)
    if (path / RUN_MARKER).is_file():
        return [path]
    names = _manifest_names(path)
    if names is None:
        try:
            names = sorted((p.name for p in path.iterdir() if p.is_dir()), key=natural_key)
        except OSError:
            return []
    return [path / n for n in names if (path / n / RUN_MARKER).is_file()]


def natural_key(name: str) -> list:
    """Sort key that orders the digits in a name as numbers: h2 < h10."""
    return [(0, int(part), part) if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name) if part]


def _manifest_names(path: Path) -> list[str] | None:
    try:
        runs = json.loads((path / SWEEP_MANIFEST).read_text(encoding="utf-8"))["runs"]
        names = [str(r["name"]) for r in runs]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    # A name from the file must stay a child of the folder.
    return [n for n in names if n and Path(n).name == n and n not in (".", "..")]
