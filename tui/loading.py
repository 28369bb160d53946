"""A progress bar on stderr while a dataset loads, and the loader's notes afterwards."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

Progress = Callable[[int, int, str], None]


@contextmanager
def loading_bar(quiet: bool = False) -> Iterator[Progress | None]:
    """Yield a ``progress(done, total, what)`` callback that draws a transient rich bar.

    Yields None (so loaders skip their bookkeeping) when ``quiet`` or when stderr
    is not a terminal; rich is imported only once a loader reports progress.
    """
    if quiet or not sys.stderr.isatty():
        yield None
        return
    state = {}

    def progress(done: int, total: int, what: str) -> None:
        if "bar" not in state:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task(what, total=total)
        state["bar"].update(state["task"], completed=done, total=total, description=what)

    try:
        yield progress
    finally:
        if "bar" in state:
            state["bar"].stop()


def print_notes(data) -> None:
    """The dataset's one-line warnings (skipped files, resized images) on stderr."""
    for note in getattr(data, "warnings", ()):
        print(f"note: {note}", file=sys.stderr)
