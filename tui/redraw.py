"""When the app redraws: the throttles between a fast worker and a costly redraw.

Training runs in a thread worker; everything the UI thread draws takes its CPU time
(and the GIL) from training. These classes decide how often the log and charts are
redrawn, how often a loader's progress reaches the status line, and how long the
worker waits for the GIL. Nothing here imports Textual.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from core import EpochRecord

POLL_SECONDS = 0.2  # how often the UI takes new epochs from the worker's buffer
REDRAW_SECONDS = 0.5  # the log and charts redraw at most this often while training
# ... and no more often than DRAW_BUDGET times what the last chart builds cost, so that
# drawing takes at most ~1/DRAW_BUDGET of the time: a plotext build is pure Python, and
# what it holds of the GIL and a core is taken from training (big charts cost more).
DRAW_BUDGET = 25
# The training worker makes many short NumPy calls, each giving up the GIL and taking it
# back; while the UI thread runs Python (a chart build) each take-back waits up to the
# switch interval. At CPython's 5 ms default a full-batch epoch ran ~15% slower in the
# app than headless, at 0.5 ms ~5% (`nntrain bench --tui`), and keys answered sooner.
SWITCH_INTERVAL = 0.0005
PROGRESS_SECONDS = 0.25  # a loader's progress reaches the status line at most this often


class RedrawThrottle:
    """What the log and charts still have to show, and whether it is time to draw it.

    Each redraw costs the UI thread tens of milliseconds (a plotext build per chart),
    and that time is taken from the training thread through the GIL; with epochs
    shorter than the interval, several epochs arrive in one redraw.
    """

    def __init__(self) -> None:
        self.rows: list[EpochRecord] = []  # epochs of the shown run not yet in the log
        self.charts_dirty = False
        self._last_draw = 0.0

    def queue(self, records: list[EpochRecord], shown: bool) -> None:
        """New epochs arrived; `shown`: they belong to the run the log shows."""
        if records:
            if shown:
                self.rows.extend(records)
            self.charts_dirty = True

    @property
    def pending(self) -> bool:
        return bool(self.rows) or self.charts_dirty

    def forget_rows(self) -> None:
        """The log is being rebuilt from a whole history."""
        self.rows = []

    def take_rows(self) -> list[EpochRecord]:
        rows, self.rows = self.rows, []
        return rows

    def due(self, force: bool, chart_seconds: float) -> bool:
        """Whether to draw now; `chart_seconds` is what the shown charts' last builds cost."""
        now = time.monotonic()
        if not force and now - self._last_draw < max(REDRAW_SECONDS, DRAW_BUDGET * chart_seconds):
            return False
        self._last_draw = now
        return True


class ProgressThrottle:
    """Worker side: pass a loader's `progress(done, total, what)` on a few times a second.

    A loader may report after every one of thousands of files; each report that gets
    through becomes a message and a status-line repaint on the UI thread.
    """

    def __init__(self, send: Callable[[int, int, str], None], seconds: float = PROGRESS_SECONDS) -> None:
        self._send = send
        self._seconds = seconds
        self._last = float("-inf")

    def __call__(self, done: int, total: int, what: str) -> None:
        now = time.monotonic()
        if now - self._last >= self._seconds or done >= total:
            self._last = now
            self._send(done, total, what)


@contextmanager
def switch_interval(seconds: float = SWITCH_INTERVAL) -> Iterator[None]:
    """The interpreter's GIL switch interval is `seconds` inside, what it was after."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(before)
