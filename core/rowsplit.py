"""Elementwise passes over big activation arrays, split by rows across threads.

NumPy's ufuncs run on one core (and release the GIL) while the BLAS products use
them all, so on a full batch the bias, ReLU and mask passes leave cores idle. Each
row block is independent, so splitting the rows across a few threads is exact; only
the bias gradient's column sums are added per block, in a fixed order, so a given
thread count always gives the same bits.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")

# Below this many elements per pass, handing work to a thread costs more than it saves.
MIN_ELEMENTS = 1 << 18


def thread_count() -> int:
    """Threads for elementwise work: NNTRAIN_THREADS, else the BLAS thread setting
    (a sweep worker gets cores / workers), else the cores this process may use."""
    for var in ("NNTRAIN_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class RowSplitter:
    """Runs `fn(lo, hi)` over row blocks of an `(n, width)` array on up to `threads` threads."""

    def __init__(self, threads: int | None = None):
        self.threads = max(1, threads if threads is not None else thread_count())
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def blocks(self, n: int, width: int) -> list[tuple[int, int]]:
        parts = self.threads if n * width >= MIN_ELEMENTS else 1
        parts = max(1, min(parts, n))
        step = -(-n // parts)
        return [(lo, min(lo + step, n)) for lo in range(0, n, step)] or [(0, 0)]

    def run(self, fn: Callable[[int, int], T], n: int, width: int) -> list[T]:
        """Results of `fn` per row block, in row order; the caller's thread takes block 0."""
        blocks = self.blocks(n, width)
        if len(blocks) == 1:
            return [fn(*blocks[0])]
        with self._lock:  # two training threads (the TUI's workers) may arrive at once
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads - 1, thread_name_prefix="nntrain-rows")
        futures = [self._pool.submit(fn, lo, hi) for lo, hi in blocks[1:]]
        first = fn(*blocks[0])
        return [first, *(f.result() for f in futures)]


_shared: RowSplitter | None = None
_shared_lock = threading.Lock()


def shared() -> RowSplitter:
    """The process-wide splitter (created on first use, after any sweep worker's env is set)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = RowSplitter()
        return _shared
