"""The status line: state, epoch N of M, elapsed and ETA, a progress bar, and a message.

Elapsed is the wall clock while a run is live and the sum of the epochs' own seconds
once it has ended; ETA shows only while live. A run that is not live (a finished or
loaded one, or the fixed histories of snapshot tests) therefore shows no clock.
Every label has a fixed size, so the clock's ticks repaint without a layout pass.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar

from core.states import RunState

from ..run_buffer import Run

STATES = tuple(state.value for state in RunState)


def clock(seconds: float | None) -> str:
    """`m:ss` or `h:mm:ss`; `--` when unknown."""
    if seconds is None:
        return "--"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class StatusLine(Vertical):
    """What the current run is doing."""

    _shown: tuple | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="status-row"):
            yield Label("idle", id="status-state", classes="state-idle")
            yield Label("", id="status-text")
            yield ProgressBar(total=1, show_eta=False, id="status-bar")
        yield Label("", id="status-message")

    def show(self, run: Run | None, message: str | None = None) -> None:
        if message is not None:
            self.set_message(message)
        state_label = self.query_one("#status-state", Label)
        bar = self.query_one("#status-bar", ProgressBar)
        if run is None:
            state, text, done, total = "idle", "epoch 0 of 0  elapsed --  ETA --", 0, 1
        else:
            state = run.state
            done, total = len(run.history), run.total_epochs
            text = f"epoch {done} of {total}  elapsed {clock(run.elapsed())}  ETA {clock(run.eta())}"
        shown = (state, text, done, total)
        if shown == self._shown:
            return  # the clock did not move: nothing to redraw
        if state != (self._shown or ("",))[0]:
            state_label.update(state, layout=False)
            for s in STATES:
                state_label.set_class(s == state, f"state-{s}")
        self.query_one("#status-text", Label).update(text, layout=False)
        bar.update(total=max(total, 1), progress=min(done, max(total, 1)))
        self._shown = shown

    def set_message(self, message: str) -> None:
        if message != self.message:
            self.query_one("#status-message", Label).update(Text(message), layout=False)

    @property
    def state(self) -> str:
        return str(self.query_one("#status-state", Label).content)

    @property
    def message(self) -> str:
        return str(self.query_one("#status-message", Label).content).strip()
