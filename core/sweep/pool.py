"""The local process pool, and how BLAS threads are shared between its workers."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from multiprocessing.connection import Connection
from typing import Iterator

from .worker import init_worker

BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def blas_threads(workers: int, cores: int | None = None) -> int:
    """BLAS threads per worker so that workers x threads never exceeds the cores."""
    return max(1, (cores or available_cores()) // max(1, workers))


@contextmanager
def local_pool(workers: int, progress: Connection | None = None) -> Iterator[ProcessPoolExecutor]:
    """A spawn-context process pool whose workers use `blas_threads(workers)` threads each.

    `progress`, the write end of a pipe, lets `execute_run` report each epoch
    (`core.sweep.progress`).

    BLAS reads its thread count once, when numpy loads it; a spawned worker imports
    numpy afresh, so the variables are set in this process's environment (which spawned
    children inherit) for the life of the pool, then restored. Workers ignore Ctrl+C:
    on an interrupt this process terminates them.
    """
    threads = blas_threads(workers)
    saved = {var: os.environ.get(var) for var in BLAS_THREAD_VARS}
    for var, old in saved.items():
        limit = int(old) if old and old.isdigit() and int(old) > 0 else threads
        os.environ[var] = str(min(limit, threads))
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"),
        initializer=init_worker, initargs=(progress,),
    )
    try:
        yield pool
    except BaseException:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        for var, old in saved.items():
            if old is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = old

