"""Run a sweep's runs on an executor, longest first, storing each as it finishes; retry a broken pool's runs."""

from __future__ import annotations

import json
import os
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Executor, wait
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, ContextManager

from ..atomic import atomic_open
from ..config import TrainConfig
from ..runs import remove_stale_temp_files
from .folder import finished_doc, prepare_folder
from .grid import Run, SweepPlan
from .outcome import FAILED, Outcome, SweepResult
from .pool import available_cores, local_pool
from .progress import Channel, OnProgress
from .results import write_results
from .worker import execute_run, one_line

OpenExecutor = Callable[[int], ContextManager[Executor]]


def run_sweep(
    plan: SweepPlan,
    out: str | os.PathLike,
    *,
    workers: int | None = None,
    open_executor: OpenExecutor | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_progress: OnProgress | None = None,
    options: dict | None = None,
    task: Callable[..., dict] = execute_run,
) -> SweepResult:
    """Run the plan's runs that `out` does not already hold; write tables as they finish.

    `open_executor(n)` gives a context manager yielding an Executor for up to `n`
    concurrent runs (default: `local_pool`); at most `workers` runs are in flight
    (default: one per core, at most one per run to do). If a process pool breaks (a
    worker died), its runs in flight are retried one at a time in fresh pools, so only
    the culprit fails. Ctrl+C returns with `interrupted` set. `on_start(runs to do,
    workers)` is called once before any outcome; kept runs are then reported as outcomes
    too. `on_progress(run name, epoch, epochs, valid accuracy)` reports runs on the way,
    a few times a second, when `execute_run` runs them in the local pool; other
    executors and tasks report whole runs only.
    `options` (e.g. workers, cluster) are recorded in a new manifest.
    """
    out = Path(out)
    prepare_folder(plan, out, options or {})
    outcomes = {r.name: Outcome(r) for r in plan.runs}
    todo = []
    for run in plan.runs:
        doc = finished_doc(out / run.name, run.config)
        if doc is None:
            todo.append(run)
        else:
            outcomes[run.name] = Outcome(run, status=doc["status"], doc=doc, kept=True)
    result = SweepResult(out, list(outcomes.values()))
    workers = max(1, workers or min(len(todo), available_cores()))
    progress = None
    if open_executor is None:
        if on_progress is not None and task is execute_run:
            progress = Channel(*get_context("spawn").Pipe(duplex=False), on_progress)
            open_executor = partial(local_pool, progress=progress.writer)
        else:
            open_executor = local_pool
    if on_start:
        on_start(len(todo), workers)
    for outcome in result.outcomes:
        if outcome.kept and on_outcome:
            on_outcome(outcome)

    def record(run: Run, payload: dict) -> None:
        outcome = _store(out, run, payload)
        outcomes[run.name] = outcome
        result.outcomes = list(outcomes.values())
        write_results(out, plan, result.outcomes)
        if on_outcome:
            on_outcome(outcome)

    started = time.perf_counter()
    write_results(out, plan, result.outcomes)
    try:
        # Longest first, so a big run does not start last and leave the other workers idle.
        queue = deque(sorted(todo, key=lambda run: -estimated_cost(run.config)))
        while queue:
            for suspect in _run_batch(queue, workers, open_executor, task, record, progress):
                # Alone in a pool: if it breaks this one too, it is the culprit.
                if _run_batch(deque([suspect]), 1, open_executor, task, record, progress):
                    record(suspect, {"error": "the worker process died (killed, or out of memory?)", "seconds": 0.0})
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        if progress is not None:
            progress.close()
        result.wall = time.perf_counter() - started
        result.outcomes = list(outcomes.values())
        write_results(out, plan, result.outcomes)
    return result


def estimated_cost(config: TrainConfig) -> int:
    """Multiply-adds per sample and epoch times epochs, for a nominal 784-pixel input:
    enough to order runs by length."""
    sizes = (784, *config.hidden, 10)
    return config.epochs * sum(a * b for a, b in zip(sizes, sizes[1:]))


def _run_batch(
    queue: deque, workers: int, open_executor: OpenExecutor, task, record, progress: Channel | None = None
) -> list[Run]:
    """Run the queue through one executor, at most `workers` at a time; record each
    result. Returns the runs that were in flight if the executor broke, else [].
    With `progress`, the pool's workers report epochs: the task gets the run's name."""
    in_flight: dict = {}
    with open_executor(workers) as executor:
        while queue or in_flight:
            try:
                while queue and len(in_flight) < workers:
                    run = queue[0]
                    names = () if progress is None else (run.name,)
                    in_flight[executor.submit(task, run.config.to_dict(), *names)] = run
                    queue.popleft()
            except BrokenExecutor:  # it broke since the last wait: the run stays queued
                done, broken = set(), True
            else:
                # With progress, wake up a few times a second to pass it on.
                timeout = None if progress is None else 0.2
                done, _ = wait(list(in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
                broken = any(isinstance(_exception(f), BrokenExecutor) for f in done)
            if progress is not None:
                # A run's last epochs are in the pipe before its result is: they come first.
                progress.drain()
            if broken:
                wait(list(in_flight))  # a broken pool fails all its futures at once
                suspects = []
                for future, run in in_flight.items():
                    if isinstance(_exception(future), BrokenExecutor):
                        suspects.append(run)
                    else:
                        record(run, _payload(future))
                return suspects
            for future in done:
                record(in_flight.pop(future), _payload(future))
    return []


def _exception(future) -> BaseException | None:
    return CancelledError("the run was cancelled") if future.cancelled() else future.exception()


def _payload(future) -> dict:
    exc = _exception(future)
    if exc is not None:  # the task itself catches run errors: this is the executor's (e.g. Dask's)
        return {"error": one_line(exc), "seconds": 0.0}
    return future.result()


def _store(out: Path, run: Run, payload: dict) -> Outcome:
    """Write a finished run's files (history.json last) or record its error."""
    seconds = float(payload.get("seconds", 0.0))
    if "error" in payload:
        return Outcome(run, status=FAILED, error=str(payload["error"]), seconds=seconds)
    folder = out / run.name
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(folder)
    files = payload["files"]
    for name in sorted(files, key=lambda n: n == "history.json"):
        with atomic_open(folder / name, "wb") as handle:
            handle.write(files[name])
    doc = json.loads(files["history.json"])
    return Outcome(run, status=doc["status"], doc=doc, seconds=seconds)
