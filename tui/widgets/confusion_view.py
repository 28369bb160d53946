"""The confusion matrix and per-class accuracy of a run on the test set."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ..run_buffer import Run

EMPTY = "No test-set evaluation yet: it appears when a run ends, or open a model.npz (ctrl+o)."


def short(name: str, width: int) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def confusion_table(confusion: np.ndarray, class_names: Sequence[str]) -> Table:
    """Rows are true classes, columns predictions; the diagonal is bold, big mistakes stand out."""
    confusion = np.asarray(confusion)
    k = confusion.shape[0]
    names = list(class_names) if len(class_names) == k else [str(i) for i in range(k)]
    width = max(3, len(str(int(confusion.max(initial=0)))))
    # Columns are headed by class number when the names do not fit; rows carry both.
    numbered = any(len(name) > width for name in names)
    table = Table(box=None, padding=(0, 1, 0, 0), show_edge=False, pad_edge=False)
    table.add_column(Text("true \\ pred", style="dim"), no_wrap=True)
    for j, name in enumerate(names):
        table.add_column(Text(str(j) if numbered else name, style="bold"), justify="right", no_wrap=True, min_width=width)
    table.add_column(Text("acc%", style="bold"), justify="right", no_wrap=True)
    totals = confusion.sum(axis=1)
    for i, name in enumerate(names):
        cells = []
        for j in range(k):
            count = int(confusion[i, j])
            if i == j:
                cells.append(Text(str(count), style="bold green"))
            elif count == 0:
                cells.append(Text("·", style="dim"))
            elif totals[i] and count >= 0.05 * totals[i]:
                cells.append(Text(str(count), style="bold red"))
            else:
                cells.append(Text(str(count)))
        acc = "-" if not totals[i] else f"{100 * confusion[i, i] / totals[i]:.1f}"
        label = f"{i} {short(name, 11)}" if numbered else short(name, 12)
        table.add_row(Text(label, style="bold"), *cells, Text(acc))
    return table


class ConfusionView(Static):
    """Shows the shown run's `evaluation` (set when a run ends or a model is opened)."""

    def show_run(self, run: Run | None) -> None:
        if run is None or run.evaluation is None:
            text = EMPTY
            if run is not None and run.message and run.evaluation is None and run.ended:
                text = f"{EMPTY}\n{run.message}"
            self.update(Text(text))
            return
        ev = run.evaluation
        names = run.class_names or tuple(str(i) for i in range(ev.confusion.shape[0]))
        n = int(ev.confusion.sum())
        # With restore_best and early stopping on, the evaluated weights are the best epoch's
        # (Trainer.result_network, Checkpoint.default_network), stopped early or not.
        restored = bool(run.config.restore_best and run.config.early_stop and run.best_epoch)
        epoch = run.best_epoch if restored else len(run.history)
        title = Text.assemble(
            (f"{run.label}", "bold"),
            f" · test set, {n} images · weights after epoch {epoch} · ",
            (f"accuracy {100 * ev.accuracy:.1f}%", "bold"),
            f" · loss {ev.loss:.4f}",
        )
        legend = Text("rows: true class · columns: predicted · red: ≥5% of the row", style="dim")
        self.update(Group(title, legend, Text(""), confusion_table(ev.confusion, names)))
