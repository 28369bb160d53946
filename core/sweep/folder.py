"""The sweep folder on disk: its manifest, and which run folders hold a complete run."""

from __future__ import annotations

import json
from pathlib import Path

from ..atomic import write_text
from ..config import TrainConfig, config_from_dict
from ..runs import RUN_FILES
from ..trainer import DIVERGED, EARLY_STOPPED, FINISHED
from .grid import SweepError, SweepPlan

MANIFEST = "sweep.json"
# A run with one of these statuses is complete; "stopped" only comes from an interrupt.
DONE_STATES = (FINISHED, EARLY_STOPPED, DIVERGED)


def finished_doc(folder: Path, config: TrainConfig) -> dict | None:
    """The history.json of a complete run of `config` in `folder`, else None."""
    try:
        doc = json.loads((folder / "history.json").read_text(encoding="utf-8"))
        if doc["status"] in DONE_STATES and config_from_dict(doc["config"]) == config:
            if all((folder / name).is_file() for name in RUN_FILES):
                return doc
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def prepare_folder(plan: SweepPlan, out: Path, options: dict) -> None:
    """Create `out` with the plan's manifest, or check that it holds the same sweep."""
    manifest = out / MANIFEST
    if manifest.is_file():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
            old_runs = old["runs"]
        except (OSError, ValueError, KeyError, TypeError):
            raise SweepError(f"{manifest}: unreadable sweep manifest; use another --out") from None
        if old_runs != plan.manifest()["runs"]:
            grid = " ".join(f"--{k.replace('_', '-')} {','.join(v)}" for k, v in old.get("grid", {}).items())
            raise SweepError(
                f"{out}: holds a different sweep ({len(old_runs)} runs: {grid or 'no grid'}, "
                f"repeats {old.get('repeats', 1)}); rerun that sweep or choose another --out"
            )
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SweepError(f"{out}: exists and is not a sweep folder (no {MANIFEST}); choose another --out")
    write_text(manifest, json.dumps({**plan.manifest(), "options": options}, indent=1) + "\n")
