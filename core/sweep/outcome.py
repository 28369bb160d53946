"""What became of each run of a sweep, and of the sweep as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .grid import Run

FAILED, NOT_RUN = "failed", "not run"


@dataclass
class Outcome:
    """What became of one run: a trainer status, FAILED or NOT_RUN."""

    run: Run
    status: str = NOT_RUN
    doc: dict | None = None  # the run's history.json
    error: str = ""
    seconds: float | None = None  # the worker's wall time, for runs done by this invocation
    kept: bool = False  # complete from an earlier invocation

    @property
    def ok(self) -> bool:
        return self.doc is not None


@dataclass
class SweepResult:
    out: Path
    outcomes: list[Outcome]
    wall: float = 0.0
    interrupted: bool = False

    @property
    def ran(self) -> list[Outcome]:
        """Runs executed (finished or failed) by this invocation."""
        return [o for o in self.outcomes if o.seconds is not None]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == FAILED]

    def timing_line(self) -> str:
        """Wall time against the sum of the runs' own times (one after another)."""
        ran = self.ran
        total = sum(o.seconds for o in ran)
        kept = sum(o.kept for o in self.outcomes)
        line = f"wall {self.wall:.1f} s for {len(ran)} run{'s' * (len(ran) != 1)}"
        if ran:
            line += f"; run times add up to {total:.1f} s ({total / max(self.wall, 1e-9):.1f}x)"
        if kept:
            line += f"; {kept} kept from an earlier attempt"
        return line
