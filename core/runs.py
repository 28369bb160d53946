"""Run folders: the files `nntrain train --out DIR`, the TUI's Save and sweeps write.

DIR/history.csv   one row per epoch (HISTORY_COLUMNS), accuracies in [0, 1]
DIR/history.json  the same rows plus the run's summary (status, best epoch, config)
DIR/model.npz     final checkpoint (resumable with --resume)
DIR/best.npz      checkpoint holding the best-valid weights
DIR/config.toml   the exact config, rerunnable with --config
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
from .trainer import HISTORY_COLUMNS, EpochRecord, Trainer


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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    for r in history:
        d = r.to_dict()
        writer.writerow([d["epoch"], *(f"{d[c]:.6g}" if c != "seconds" else f"{d[c]:.4f}" for c in HISTORY_COLUMNS[1:])])
    return out.getvalue()


def summary(trainer: Trainer) -> dict:
    best = trainer.best
    return {
        "status": trainer.status,
        "message": trainer.message,
        "epochs": trainer.epoch,
        "best_epoch": trainer.best_epoch,
        "monitor": trainer.config.monitor,
        "best": best.to_dict() if best else None,
        "final": trainer.history[-1].to_dict() if trainer.history else None,
        "early_stopping_point": early_stopping_point(trainer.history),
        "dataset": {"name": trainer.data.name, "source": trainer.data.source, "split": trainer.data.split},
        "class_names": list(trainer.data.class_names),
        "config": trainer.config.to_dict(),
    }


def write_run(trainer: Trainer, out_dir: str | os.PathLike) -> Path:
    """Write all five files for the trainer's current state; each one atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_checkpoint(trainer, out / "model.npz")
    save_checkpoint(trainer, out / "best.npz", best=True)
    write_text(out / "config.toml", to_toml(trainer.config))
    write_text(out / "history.csv", history_csv(trainer.history))
    doc = {**summary(trainer), "history": [r.to_dict() for r in trainer.history]}
    write_text(out / "history.json", json.dumps(doc, indent=1) + "\n")
    return out


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
