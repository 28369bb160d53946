"""Every run of the session (and runs opened from disk): key parameters and results.

"best valid" is the best epoch's valid accuracy (best by the run's monitor, as the
trainer tracks it), "ep" that epoch, and "test" the test accuracy at that epoch.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from ..formatting import percent
from ..run_buffer import Run

COLUMNS = (
    ("run", "run"),
    ("hidden", "hidden"),
    ("optimizer", "optim"),
    ("lr", "lr"),
    ("batch", "batch"),
    ("epochs", "epochs"),
    ("status", "status"),
    ("best_valid", "best valid"),
    ("best_epoch", "ep"),
    ("test", "test"),
    ("source", "from"),
)




def run_cells(run: Run) -> list[Text]:
    c = run.config
    best = run.best
    source = run.source if run.path is None else f"{run.source}: {run.path.name}"
    values = [
        f"#{run.number}",
        ",".join(map(str, c.hidden)),
        c.optimizer,
        f"{c.lr:g}",
        "full" if c.batch_size == 0 else str(c.batch_size),
        f"{len(run.history)}/{c.epochs}",
        run.state,
        percent(best.valid_acc if best else None),
        str(best.epoch) if best else "--",
        percent(best.test_acc if best else None),
        source,
    ]
    right = {"lr", "batch", "epochs", "best_valid", "best_epoch", "test"}
    return [Text(v, justify="right" if key in right else "left") for (key, _), v in zip(COLUMNS, values)]


class RunsTable(DataTable):
    """One row per run; highlighting a row shows that run everywhere in the app."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def add_run(self, run: Run) -> None:
        self.add_row(*run_cells(run), key=str(run.number))

    def update_run(self, run: Run) -> None:
        key = str(run.number)
        if key not in self.rows:
            self.add_run(run)
            return
        for (column, _), cell in zip(COLUMNS, run_cells(run)):
            self.update_cell(key, column, cell, update_width=True)

    def select_run(self, run: Run) -> None:
        """Move the cursor to `run`'s row (without re-posting if it is already there)."""
        index = self.get_row_index(str(run.number))
        if self.cursor_row != index:
            self.move_cursor(row=index, animate=False)

    def run_number_at_cursor(self) -> int | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key
        return int(key.value)
