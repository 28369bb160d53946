"""Run folders: the files `nntrain train --out DIR`, the TUI's Save and sweeps write.

DIR/history.csv   one row per epoch (HISTORY_COLUMNS), accuracies in [0, 1]
DIR/history.json  the same rows plus the run's summary (status, best epoch, config)
DIR/model.npz     the last completed epoch's state (resumable with --resume)
DIR/best.npz      the best epoch's weights (by the run's monitor)
DIR/config.toml   the exact config, rerunnable with --config

history.json's "files" say which epoch's weights each checkpoint holds, and "result"
which of them the run's result is (the best epoch's when it restored them).
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .atomic import write_text
from .checkpoint import save_checkpoint
from .config import TrainConfig, config_from_dict, to_toml
from .trainer import HISTORY_COLUMNS, NAN, EpochRecord, Trainer


RUN_FILES = ("model.npz", "best.npz", "config.toml", "history.csv", "history.json")


class RunError(ValueError):
    """A run folder that cannot be read; one line naming the folder."""


def new_run_dir(root: str | os.PathLike = "runs") -> Path:
    """A fresh timestamped folder name under `root` (not created)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / stamp
    path, i = base, 1
    while path.exists():
        i += 1
        path = Path(f"{base}-{i}")
    return path


def early_stopping_point(history: list[EpochRecord]) -> dict:
    """The course's "early stopping point": the epochs of best valid loss and best valid
    accuracy, with the train/valid/test metrics there, next to the final epoch's."""
    if not history:
        return {}
    by_loss = min(history, key=lambda r: r.valid_loss)
    by_acc = max(history, key=lambda r: r.valid_acc)
    return {"best_valid_loss": by_loss.to_dict(), "best_valid_acc": by_acc.to_dict(), "final": history[-1].to_dict()}


def history_csv(history: list[EpochRecord]) -> str:
    """HISTORY_COLUMNS, then the per-layer diagnostic columns (core.diagnostics) when
    the records have them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    extra = tuple(history[0].diagnostics) if history else ()
    writer.writerow((*HISTORY_COLUMNS, *extra))
    for r in history:
        d = r.to_dict()
        writer.writerow([d["epoch"], *(f"{d[c]:.6g}" if c != "seconds" else f"{d[c]:.4f}" for c in HISTORY_COLUMNS[1:]),
                         *(f"{d.get(c, NAN):.6g}" for c in extra)])
    return out.getvalue()


def files_summary(trainer: Trainer) -> dict:
    """Which epoch's weights each checkpoint holds, and which file is the result."""
    result = "best.npz" if trainer.restores_best and trainer.best_epoch else "model.npz"
    return {
        "model.npz": {"weights_epoch": trainer.epoch, "holds": "the last completed epoch's weights, optimizer "
                      "state and random generator: --resume continues from it"},
        "best.npz": {"weights_epoch": trainer.best_epoch,
                     "holds": f"the best epoch's weights (by {trainer.config.monitor}); not resumable"},
        "result": {"file": result, "weights_epoch": trainer.result_epoch, "restores_best": trainer.restores_best},
    }


def summary(trainer: Trainer) -> dict:
    best = trainer.best
    return {
        "status": str(trainer.status),
        "message": trainer.message,
        "epochs": trainer.epoch,
        "best_epoch": trainer.best_epoch,
        "monitor": trainer.config.monitor,
        "train_eval": trainer.train_eval,
        "files": files_summary(trainer),
        "best": best.to_dict() if best else None,
        "final": trainer.history[-1].to_dict() if trainer.history else None,
        "early_stopping_point": early_stopping_point(trainer.history),
        "dataset": _dataset_summary(trainer.data),
        "class_names": list(trainer.data.class_names),
        "config": trainer.config.to_dict(),
    }


# A run folder names at most this many skipped files (and counts them all).
_MAX_NAMED_SKIPS = 1000


def _dataset_summary(data) -> dict:
    """What the run was trained on, including what the loader left out and why."""
    return {
        "name": data.name,
        "source": data.source,
        "split": data.split,
        "kind": data.kind,
        "image_shape": list(data.image_shape),
        "preprocess": data.preprocess.describe(),
        "warnings": list(data.warnings),
        "skipped_count": len(data.skipped),
        "skipped": list(data.skipped[:_MAX_NAMED_SKIPS]),
    }


def write_run(trainer: Trainer, out_dir: str | os.PathLike) -> Path:
    """Write all five files for the trainer's current state; each one atomically.

    First removes the temp files a killed earlier write left behind (the atomic
    writer's `.{name}.*.tmp` for the folder's own files)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(out)
    save_checkpoint(trainer, out / "model.npz")
    save_checkpoint(trainer, out / "best.npz", best=True)
    write_text(out / "config.toml", to_toml(trainer.config))
    write_text(out / "history.csv", history_csv(trainer.history))
    doc = {**summary(trainer), "history": [r.to_dict() for r in trainer.history]}
    write_text(out / "history.json", json.dumps(doc, indent=1) + "\n")
    return out


def remove_stale_temp_files(out: Path) -> list[Path]:
    """Delete `out`'s leftover temp files of RUN_FILES; returns those removed.

    Only a write killed mid-way (kill -9, power loss) leaves one: any other failure
    removes its own. One process writes a run folder at a time, so none is in use."""
    removed = []
    for name in RUN_FILES:
        for tmp in out.glob(f".{name}.*.tmp"):
            try:
                tmp.unlink()
                removed.append(tmp)
            except FileNotFoundError:
                pass
    return removed


@dataclass
class RunRecord:
    """A finished run read back from its folder."""

    path: Path
    config: TrainConfig
    history: list[EpochRecord]
    status: str
    best_epoch: int
    class_names: tuple[str, ...]
    dataset: dict

    @property
    def best(self) -> EpochRecord | None:
        return self.history[self.best_epoch - 1] if 0 < self.best_epoch <= len(self.history) else None

    @property
    def name(self) -> str:
        return self.path.name


def read_run(path: str | os.PathLike) -> RunRecord:
    """Read a run folder's history.json (RunError if it is not a run folder)."""
    p = Path(path)
    f = p / "history.json"
    if not f.is_file():
        raise RunError(f"{p}: not a run folder (no history.json)")
    try:
        doc = json.loads(f.read_text(encoding="utf-8"))
        history = [EpochRecord.from_dict(r) for r in doc["history"]]
        config = config_from_dict(doc["config"])
        return RunRecord(
            path=p,
            config=config,
            history=history,
            status=str(doc.get("status", "")),
            best_epoch=int(doc.get("best_epoch", 0)),
            class_names=tuple(doc.get("class_names", ())),
            dataset=dict(doc.get("dataset", {})),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise RunError(f"{f}: unreadable run history ({exc})") from None
