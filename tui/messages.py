"""Messages between the app's workers, widgets and the app.

Workers post these once per event (a run started, ended, a folder was read), never
once per epoch: epochs travel through `run_buffer.RunBuffer`, which the UI polls.
What a worker made (a trainer, a dataset, an evaluation, opened runs) travels inside
the message, and the handler on the UI thread puts it into the run or the session:
only the UI thread changes a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message
from textual.strip import Strip

from .run_buffer import Run

if TYPE_CHECKING:
    from core import Dataset, Evaluation, Trainer


@dataclass
class RunStarted(Message):
    """The worker loaded the dataset and built the trainer; epochs follow."""

    run: Run
    trainer: "Trainer"
    data: "Dataset"


@dataclass
class LoadProgress(Message):
    """How far the worker is in loading a run's dataset; a burst collapses into the last."""

    run: Run
    done: int
    total: int
    what: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LoadProgress) and message.run is self.run


@dataclass
class RunEnded(Message):
    """The worker's loop is over (finished, stopped, early-stopped or diverged).

    `evaluation` is the result network's on the test set (None when quitting)."""

    run: Run
    evaluation: "Evaluation | None" = None


@dataclass
class RunFailed(Message):
    """The run could not start or crashed; `error` is one line for the user."""

    run: Run
    error: str
    field: str = ""  # the form field to blame, e.g. "data"


@dataclass
class RunsOpened(Message):
    """Runs read from disk (a run folder, a sweep folder or a model file)."""

    runs: list[Run]
    errors: list[str] = field(default_factory=list)


@dataclass
class OpenFailed(Message):
    """A path given to Open could not be read; `error` is one line."""

    error: str


@dataclass
class RunSaved(Message):
    """The save worker wrote `run` to `path`, or could not (`error`, one line)."""

    run: Run
    path: Path
    error: str = ""


@dataclass
class FormValidity(Message):
    """The parameter form became valid or invalid; a burst collapses into the last one."""

    valid: bool
    reason: str = ""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FormValidity)


@dataclass
class ChartBuilt(Message):
    """A chart's plot was built in a thread worker; `key` says what it shows."""

    key: tuple
    strips: list[Strip]
