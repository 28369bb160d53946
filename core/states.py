"""The states a run can be in, as one enum.

`RunState` is a `str` enum whose values are the strings the files and the TUI have
always used, so `state == "finished"` and JSON round-trips keep working.
"""

from __future__ import annotations

from enum import Enum


class RunState(str, Enum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    EARLY_STOPPED = "early-stopped"
    DIVERGED = "diverged"
    FINISHED = "finished"

    def __str__(self) -> str:  # "finished", not "RunState.FINISHED", in messages and labels
        return self.value


# The states a run that has ended can be in.
FINAL_STATES = (RunState.STOPPED, RunState.EARLY_STOPPED, RunState.DIVERGED, RunState.FINISHED)
