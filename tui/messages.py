"""Messages between the app's workers, widgets and the app.

Workers post these once per event (a run started, ended, a folder was read), never
once per epoch: epochs travel through `run_buffer.RunBuffer`, which the UI polls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message
from textual.strip import Strip

from .run_buffer import Run


@dataclass
class RunStarted(Message):
    """The worker loaded the dataset and built the trainer; epochs follow."""

    run: Run


@dataclass
class RunEnded(Message):
    """The worker's loop is over (finished, stopped, early-stopped or diverged)."""

    run: Run


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
    run: Run
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
