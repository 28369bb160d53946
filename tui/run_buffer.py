"""The hand-over between the training thread and the UI, and the runs of a session.

The worker thread only ever appends to a `RunBuffer` (a list append under a lock: it
never waits on the UI). The app's timer takes what is new a few times a second. A
`Run` is one entry of the session: a live or finished training run, a run folder
read from disk, or a loaded model. Nothing here imports Textual.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core import FINAL_STATES, IDLE, PAUSED, RUNNING, EpochRecord, TrainConfig

if TYPE_CHECKING:
    from core import Checkpoint, Dataset, Evaluation, Trainer

# Where a run came from.
SESSION, FOLDER, MODEL = "session", "folder", "model"


class RunBuffer:
    """Epoch records from the worker, taken by the UI in order, each exactly once."""

    def __init__(self) -> None:
        self._items: list[tuple[EpochRecord, int]] = []
        self._taken = 0
        self._lock = threading.Lock()

    def append(self, record: EpochRecord, best_epoch: int) -> None:
        """Worker side: add one epoch and the best epoch as the trainer saw it then."""
        with self._lock:
            self._items.append((record, best_epoch))

    def take_new(self) -> list[tuple[EpochRecord, int]]:
        """UI side: the records appended since the last call."""
        with self._lock:
            new = self._items[self._taken :]
            self._taken = len(self._items)
        return new

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


@dataclass(eq=False)
class Run:
    """One run of the session. The UI reads `history`; only the worker feeds `buffer`."""

    number: int
    config: TrainConfig
    source: str = SESSION
    path: Path | None = None  # run folder or model file it came from / was saved to
    history: list[EpochRecord] = field(default_factory=list)
    best_epoch: int = 0
    status: str = IDLE  # the final state once `ended`
    message: str = ""
    class_names: tuple[str, ...] = ()
    trainer: "Trainer | None" = None
    data: "Dataset | None" = None
    evaluation: "Evaluation | None" = None
    checkpoint: "Checkpoint | None" = None  # a loaded model: can be evaluated or continued
    first_epoch: int = 0  # epochs already done when this run started (a continued model)
    buffer: RunBuffer = field(default_factory=RunBuffer)
    started_at: float | None = None  # monotonic clock, for elapsed and ETA
    ended: bool = True  # False while a worker trains it
    _stop_requested: bool = False
    _pause_requested: bool = False
    _paused_since: float | None = None
    _paused_total: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- what the tables show ------------------------------------------------
    @property
    def label(self) -> str:
        hidden = ",".join(map(str, self.config.hidden))
        return f"#{self.number} h{hidden}"

    @property
    def summary(self) -> str:
        """A one-line title: label, optimizer, learning rate, batch, loss reduction, dtype."""
        c = self.config
        batch = "full" if c.batch_size == 0 else str(c.batch_size)
        where = f" · {self.path.name}" if self.path is not None and self.source != SESSION else ""
        return f"{self.label} · {c.optimizer} lr {c.lr:g} · batch {batch} · {c.reduction} · {c.dtype}{where}"

    @property
    def name(self) -> str:
        if self.source == SESSION:
            return f"run {self.number}"
        return self.path.name if self.path else self.source

    @property
    def best(self) -> EpochRecord | None:
        return self.history[self.best_epoch - 1] if 0 < self.best_epoch <= len(self.history) else None

    @property
    def outcome(self) -> str:
        """One line for the user once the run has ended: its state and best epoch."""
        best = self.best
        line = f"{self.label} {self.status}"
        if best is not None:
            line += f": best valid {100 * best.valid_acc:.1f}% at epoch {best.epoch}, test {100 * best.test_acc:.1f}%"
        return line + (f" ({self.message})" if self.status == "early-stopped" else "")

    @property
    def live(self) -> bool:
        return not self.ended

    @property
    def state(self) -> str:
        """idle / running / paused, or the final state once the run has ended."""
        if self.ended:
            return self.status
        trainer = self.trainer
        if self._pause_requested or (trainer is not None and trainer.status == PAUSED):
            return PAUSED
        return RUNNING

    # -- control from the UI thread ---------------------------------------------
    def begin(self) -> None:
        self.ended = False
        self.status = RUNNING
        self.started_at = time.monotonic()

    def attach(self, trainer: "Trainer") -> None:
        """Worker side: the trainer exists now; apply a stop or pause asked for earlier."""
        with self._lock:
            self.trainer = trainer
            if self._pause_requested:
                trainer.pause()
            if self._stop_requested:
                trainer.stop()

    def stop(self) -> None:
        with self._lock:
            self._stop_requested = True
            self._pause_requested = False
            self._unpause_clock()
            if self.trainer is not None:
                self.trainer.stop()

    def pause(self) -> None:
        with self._lock:
            if self._stop_requested:
                return
            self._pause_requested = True
            if self._paused_since is None:
                self._paused_since = time.monotonic()
            if self.trainer is not None:
                self.trainer.pause()

    def resume(self) -> None:
        with self._lock:
            self._pause_requested = False
            self._unpause_clock()
            if self.trainer is not None:
                self.trainer.resume()

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def _unpause_clock(self) -> None:
        if self._paused_since is not None:
            self._paused_total += time.monotonic() - self._paused_since
            self._paused_since = None

    def take_new(self) -> list[EpochRecord]:
        """Move what the worker produced into `history`; return the new records."""
        new = self.buffer.take_new()
        for record, best_epoch in new:
            self.history.append(record)
            self.best_epoch = best_epoch
        return [record for record, _ in new]

    def finish(self) -> None:
        """UI side, after the worker ended: take the last records and the final state."""
        self.take_new()
        self._unpause_clock()
        trainer = self.trainer
        if trainer is not None:
            self.status = trainer.status if trainer.status in FINAL_STATES else "stopped"
            self.message = trainer.message or self.message
            self.best_epoch = trainer.best_epoch
        elif self.status == RUNNING:
            self.status = "stopped"
        self.ended = True

    # -- clocks ----------------------------------------------------------------------
    @property
    def total_epochs(self) -> int:
        return self.config.epochs

    def elapsed(self) -> float | None:
        """Training time so far: wall clock while live, the epochs' own seconds after."""
        if self.started_at is None or self.ended:
            new = self.history[self.first_epoch :]
            return sum(r.seconds for r in new) if new else None
        paused = self._paused_total
        if self._paused_since is not None:
            paused += time.monotonic() - self._paused_since
        return time.monotonic() - self.started_at - paused

    def eta(self) -> float | None:
        """Seconds left at the mean epoch time so far; None when unknown or not live."""
        new = self.history[self.first_epoch :]
        if self.ended or not new:
            return None
        per_epoch = sum(r.seconds for r in new) / len(new)
        return per_epoch * max(0, self.total_epochs - len(self.history))
