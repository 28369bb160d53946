"""The epoch log: one row per epoch, the newest kept in view, the best-valid row marked
and the rows whose diagnostics raised a warning (core.diagnostics) marked too."""

from __future__ import annotations

from typing import Sequence

from rich.text import Text
from textual.widgets import DataTable

from core import EpochRecord
from core.diagnostics import warnings_for

from ..run_buffer import Run

COLUMNS = (
    ("epoch", "ep"),
    ("train_loss", "train\nloss"),
    ("train_acc", "train\nacc %"),
    ("valid_loss", "valid\nloss"),
    ("valid_acc", "valid\nacc %"),
    ("test_loss", "test\nloss"),
    ("test_acc", "test\nacc %"),
    ("seconds", "sec"),
)
BEST_MARK = "*"
WARN_MARK = "!"


def _cells(record: EpochRecord, best: bool, warned: bool = False) -> list[Text]:
    style = ("bold " if best else "") + ("yellow" if warned else "")
    mark = BEST_MARK if best else WARN_MARK if warned else " "
    values = [
        f"{record.epoch}{mark}",
        f"{record.train_loss:.3f}", f"{100 * record.train_acc:.1f}",
        f"{record.valid_loss:.3f}", f"{100 * record.valid_acc:.1f}",
        f"{record.test_loss:.3f}", f"{100 * record.test_acc:.1f}",
        f"{record.seconds:.2f}",
    ]
    return [Text(v if i == 0 else f" {v}", style=style, justify="right") for i, v in enumerate(values)]


class EpochLog(DataTable):
    """Per-epoch losses and accuracies of the shown run; `*` marks the best valid epoch,
    `!` (and yellow) an epoch whose diagnostics warned (the status line says what)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, header_height=2, cell_padding=0, **kwargs)
        self._records: list[EpochRecord] = []
        self._warned: set[int] = set()
        self._best = 0
        self.shown: Run | None = None

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(Text("\n".join(f" {part}" for part in label.split("\n")), justify="right"), key=key)
        self._fit_padding()

    def on_resize(self) -> None:
        self._fit_padding()

    def _fit_padding(self) -> None:
        # Tight at 80 columns, airy when there is room.
        self.cell_padding = 1 if self.size.width >= 66 else 0

    def show_run(self, run: Run | None) -> None:
        """Replace the rows with `run`'s history."""
        self.shown = run
        self.clear()
        self._records = []
        self._warned = set()
        self._best = 0
        if run is not None:
            self.add_records(run.history, run.best_epoch)

    def add_records(self, records: Sequence[EpochRecord], best_epoch: int) -> None:
        """Append epochs; move the best mark if it changed; keep the newest row in view."""
        at_end = self.cursor_row >= self.row_count - 1
        for record in records:
            self._records.append(record)
            if warnings_for(self._records):
                self._warned.add(record.epoch)
            self.add_row(*_cells(record, record.epoch == best_epoch, record.epoch in self._warned),
                         key=str(record.epoch))
        self.mark_best(best_epoch)
        if records and at_end:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def mark_best(self, best_epoch: int) -> None:
        if best_epoch == self._best:
            return
        for epoch, best in ((self._best, False), (best_epoch, True)):
            if 0 < epoch <= len(self._records):
                record = self._records[epoch - 1]
                if record.epoch != epoch:
                    continue
                for (key, _), cell in zip(COLUMNS, _cells(record, best, epoch in self._warned)):
                    self.update_cell(str(epoch), key, cell)
        self._best = best_epoch
