"""Sweeps: a grid of training runs, run in parallel, resumable, summarised in tables.

A sweep folder holds:

OUT/sweep.json     the manifest: the grid and the exact config of every run
OUT/<run name>/    one run folder per run, the files `nntrain train --out` writes
OUT/results.csv    one row per run: parameters, final and early-stopping-point metrics
OUT/results.md     the same as a Markdown table (plus mean ± std over seeds)
OUT/summary.csv    mean and std per configuration, when a configuration ran more than once

Runs are executed by any `concurrent.futures.Executor`: a local spawn-context process
pool by default, or a Dask `client.get_executor()` (see `tui/cluster.py`). The task,
`execute_run`, returns the run folder's files as bytes and the client writes them, so a
worker needs no access to the client's disk. A run folder whose history.json has a
final status is kept when the same sweep is run again; everything else is rerun.
Every file is written atomically, history.json last, so it marks a complete run.

Imports numpy and the standard library only.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
import signal
import statistics
import tempfile
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Executor, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, ContextManager, Iterator

from .atomic import atomic_open, write_text
from .config import FIELD_TYPES, ConfigError, TrainConfig, build_config, coerce, config_from_dict
from .datasets import BUNDLED, load_dataset, parse_split
from .runs import write_run
from .trainer import DIVERGED, EARLY_STOPPED, FINISHED, Trainer

FORMAT = "nntrain-sweep"
VERSION = 1
MANIFEST = "sweep.json"
RUN_FILES = ("model.npz", "best.npz", "config.toml", "history.csv", "history.json")
# A run with one of these statuses is complete; "stopped" only comes from an interrupt.
DONE_STATES = (FINISHED, EARLY_STOPPED, DIVERGED)
FAILED, NOT_RUN = "failed", "not run"
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# The three points of a run the tables report: the last epoch, and the course's two
# early-stopping points (lowest valid loss, highest valid accuracy).
POINTS = (("final", "final"), ("best_loss", "best_valid_loss"), ("best_acc", "best_valid_acc"))
METRIC_NAMES = ("train_loss", "valid_loss", "test_loss", "train_acc", "valid_acc", "test_acc")


class SweepError(ConfigError):
    """A bad grid or sweep folder; one line."""


# --------------------------------------------------------------------------- the grid


@dataclass(frozen=True)
class Run:
    """One point of the grid: its folder name, its config and its varying parameters."""

    name: str
    group: str  # the name without the seed: runs that differ only by seed share it
    config: TrainConfig
    params: dict  # varying field -> value, in field order, seed last


@dataclass
class SweepPlan:
    runs: list[Run]
    varying: tuple[str, ...]
    grid: dict  # field -> the values asked for, as text
    repeats: int

    def manifest(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "grid": self.grid,
            "repeats": self.repeats,
            "varying": list(self.varying),
            "runs": [{"name": r.name, "config": r.config.to_dict()} for r in self.runs],
        }

    @property
    def repeated(self) -> bool:
        """Whether some configuration runs more than once (with different seeds)."""
        return len({r.group for r in self.runs}) < len(self.runs)


def format_value(value) -> str:
    """A parameter as it appears in run names and tables: 512x256, 0.01, true."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "x".join(map(str, value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse_values(name: str, text: str) -> list:
    """One sweep option's comma list as config values.

    hidden: "100,500" is two runs, "512x256" one run with two layers. split: runs are
    separated by ";" since a split itself is "TRAIN,VALID". data: relative paths are
    made absolute.
    """
    if name not in FIELD_TYPES:
        raise SweepError(f"unknown option {name!r}")
    sep = ";" if name == "split" else ","
    items = [item.strip() for item in str(text).split(sep) if item.strip()]
    if not items:
        raise SweepError(f"{name}: no values in {text!r}")
    values = []
    for item in items:
        if name == "hidden":
            value = coerce("hidden", item.lower().replace("x", ","))
        elif name == "split":
            parse_split(item)  # DatasetError now rather than in every worker
            value = item
        elif name == "data":
            value = item if item == BUNDLED else str(Path(item).expanduser().resolve())
        else:
            value = coerce(name, item)
        if value in values:
            raise SweepError(f"{name}: {format_value(value)} appears twice in {text!r}")
        values.append(value)
    return values


def plan_sweep(
    lists: dict[str, list], repeats: int = 1, preset: str | None = None, config_file: str | None = None
) -> SweepPlan:
    """The cartesian product of `lists` (field -> values) over the base config from
    the preset and config file; each point `repeats` times with seeds seed, seed+1, ..."""
    if not isinstance(repeats, int) or repeats < 1:
        raise SweepError(f"repeats: must be a positive integer (got {repeats!r})")
    base = build_config(preset, config_file)
    swept = [f for f in FIELD_TYPES if f in lists and f != "seed"]
    seeds = lists.get("seed", [base.seed])
    configs: list[TrainConfig] = []
    for combo in itertools.product(*(lists[f] for f in swept)):
        for seed, r in itertools.product(seeds, range(repeats)):
            config = base.replace(**dict(zip(swept, combo)), seed=seed + r)
            configs.append(config.validate())
    unique = {json.dumps(c.to_dict(), sort_keys=True) for c in configs}
    if len(unique) < len(configs):
        raise SweepError("the grid runs the same config twice (do --seed and --repeats overlap?)")

    varying = [f for f in FIELD_TYPES if f != "seed" and len({getattr(c, f) for c in configs}) > 1]
    if len({c.seed for c in configs}) > 1:
        varying.append("seed")
    runs, taken = [], set()
    for config in configs:
        params = {f: getattr(config, f) for f in varying}
        group = "_".join(_name_part(f, v) for f, v in params.items() if f != "seed") or "run"
        name = "_".join(_name_part(f, v) for f, v in params.items()) or "run"
        base_name, i = name, 1
        while name in taken:  # e.g. two data files with the same name in different folders
            i += 1
            name = f"{base_name}-{i}"
        taken.add(name)
        runs.append(Run(name=name, group=group, config=config, params=params))
    grid = {f: [format_value(v) for v in lists[f]] for f in FIELD_TYPES if f in lists}
    return SweepPlan(runs=runs, varying=tuple(varying), grid=grid, repeats=repeats)


def _name_part(name: str, value) -> str:
    if name == "data" and value != BUNDLED:
        value = Path(value).name
    text = re.sub(r"[^A-Za-z0-9.+-]", "-", format_value(value))  # split 0.6,0.2 -> 0.6-0.2
    return f"{name}={text}"


# --------------------------------------------------------------------------- a run, in a worker

_dataset_cache: dict = {}


def execute_run(config: dict) -> dict:
    """Train one run and return its folder's files; runs in a worker process.

    `config` is `TrainConfig.to_dict()`. Returns {"files": {name: bytes}, "seconds": s}
    or, when the run raises, {"error": one line, "seconds": s}: the error travels as
    text, so it needs no unpickling on the client.
    """
    started = time.perf_counter()
    try:
        cfg = config_from_dict(config).validate()
        key = (cfg.data, cfg.split)
        if key not in _dataset_cache:
            _dataset_cache.clear()  # one dataset per worker process is enough
            _dataset_cache[key] = load_dataset(cfg.data, cfg.split or None)
        trainer = Trainer(cfg, _dataset_cache[key])
        for _ in trainer.run():
            pass
        with tempfile.TemporaryDirectory(prefix="nntrain-run-") as tmp:
            write_run(trainer, tmp)
            files = {name: (Path(tmp) / name).read_bytes() for name in RUN_FILES}
    except MemoryError:
        return {"error": "out of memory", "seconds": time.perf_counter() - started}
    except Exception as exc:  # noqa: BLE001 - any failure of one run is reported, not raised
        return {"error": one_line(exc), "seconds": time.perf_counter() - started}
    return {"files": files, "seconds": time.perf_counter() - started}


def one_line(exc: BaseException) -> str:
    """An exception as one line; the type is named unless it is a bad-input error."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    if isinstance(exc, ValueError) and text:  # ConfigError, DatasetError, ...: the message says it
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --------------------------------------------------------------------------- local process pool


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def blas_threads(workers: int, cores: int | None = None) -> int:
    """BLAS threads per worker so that workers x threads never exceeds the cores."""
    return max(1, (cores or available_cores()) // max(1, workers))


@contextmanager
def local_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A spawn-context process pool whose workers use `blas_threads(workers)` threads each.

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
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_ignore_sigint)
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


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# --------------------------------------------------------------------------- orchestration


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


OpenExecutor = Callable[[int], ContextManager[Executor]]


def run_sweep(
    plan: SweepPlan,
    out: str | os.PathLike,
    *,
    workers: int | None = None,
    open_executor: OpenExecutor | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    options: dict | None = None,
    task: Callable[[dict], dict] = execute_run,
) -> SweepResult:
    """Run the plan's runs that `out` does not already hold; write tables as they finish.

    `open_executor(n)` gives a context manager yielding an Executor for up to `n`
    concurrent runs (default: `local_pool`); at most `workers` runs are in flight
    (default: one per core, at most one per run to do). If a process pool breaks (a
    worker died), its runs in flight are retried one at a time in fresh pools, so only
    the culprit fails. Ctrl+C returns with `interrupted` set. `on_start(runs to do,
    workers)` is called once before any outcome; kept runs are then reported as outcomes
    too. `options` (e.g. workers, cluster) are recorded in a new manifest.
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
    open_executor = open_executor or local_pool
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
            for suspect in _run_batch(queue, workers, open_executor, task, record):
                # Alone in a pool: if it breaks this one too, it is the culprit.
                if _run_batch(deque([suspect]), 1, open_executor, task, record):
                    record(suspect, {"error": "the worker process died (killed, or out of memory?)", "seconds": 0.0})
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        result.wall = time.perf_counter() - started
        result.outcomes = list(outcomes.values())
        write_results(out, plan, result.outcomes)
    return result


def estimated_cost(config: TrainConfig) -> int:
    """Multiply-adds per sample and epoch times epochs, for a nominal 784-pixel input:
    enough to order runs by length."""
    sizes = (784, *config.hidden, 10)
    return config.epochs * sum(a * b for a, b in zip(sizes, sizes[1:]))


def _run_batch(queue: deque, workers: int, open_executor: OpenExecutor, task, record) -> list[Run]:
    """Run the queue through one executor, at most `workers` at a time; record each
    result. Returns the runs that were in flight if the executor broke, else []."""
    in_flight: dict = {}
    with open_executor(workers) as executor:
        while queue or in_flight:
            try:
                while queue and len(in_flight) < workers:
                    in_flight[executor.submit(task, queue[0].config.to_dict())] = queue[0]
                    queue.popleft()
            except BrokenExecutor:  # it broke since the last wait: the run stays queued
                done, broken = set(), True
            else:
                done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
                broken = any(isinstance(_exception(f), BrokenExecutor) for f in done)
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
    files = payload["files"]
    for name in sorted(files, key=lambda n: n == "history.json"):
        with atomic_open(folder / name, "wb") as handle:
            handle.write(files[name])
    doc = json.loads(files["history.json"])
    return Outcome(run, status=doc["status"], doc=doc, seconds=seconds)


def finished_doc(folder: Path, config: TrainConfig) -> dict | None:
    """The history.json of a complete run of `config` in `folder`, else None."""
    try:
        doc = json.loads((folder / "history.json").read_text(encoding="utf-8"))
        if doc["status"] in DONE_STATES and config_from_dict(doc["config"]) == config:
            if all((folder / name).is_file() for name in RUN_FILES):
                return doc
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def prepare_folder(plan: SweepPlan, out: Path, options: dict) -> None:
    """Create `out` with the plan's manifest, or check that it holds the same sweep."""
    manifest = out / MANIFEST
    if manifest.is_file():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
            old_runs = old["runs"]
        except (OSError, ValueError, KeyError, TypeError):
            raise SweepError(f"{manifest}: unreadable sweep manifest; use another --out") from None
        if old_runs != plan.manifest()["runs"]:
            grid = " ".join(f"--{k.replace('_', '-')} {','.join(v)}" for k, v in old.get("grid", {}).items())
            raise SweepError(
                f"{out}: holds a different sweep ({len(old_runs)} runs: {grid or 'no grid'}, "
                f"repeats {old.get('repeats', 1)}); rerun that sweep or choose another --out"
            )
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SweepError(f"{out}: exists and is not a sweep folder (no {MANIFEST}); choose another --out")
    write_text(manifest, json.dumps({**plan.manifest(), "options": options}, indent=1) + "\n")


# --------------------------------------------------------------------------- tables

STAT_COLUMNS = tuple(
    f"{prefix}_{metric}" for prefix, _ in POINTS for metric in ("epoch", *METRIC_NAMES)
) + ("seconds",)


def result_row(outcome: Outcome, varying: tuple[str, ...]) -> dict:
    """One run's row: its parameters, status, and the final, best-valid-loss and
    best-valid-accuracy epochs with their metrics (fractions, as in history.json).
    `seconds` is the run's training time (the sum of its epochs)."""
    run = outcome.run
    row = {"run": run.name, **{f: format_value(v) for f, v in run.params.items()}}
    if "seed" not in varying:
        row["seed"] = str(run.config.seed)
    row["status"] = outcome.status
    doc = outcome.doc or {}
    points = doc.get("early_stopping_point") or {}
    row["epochs"] = doc.get("epochs", "")
    row["best_epoch"] = doc.get("best_epoch", "")
    for prefix, key in POINTS:
        record = points.get(key) or {}
        row[f"{prefix}_epoch"] = record.get("epoch", "")
        for metric in METRIC_NAMES:
            row[f"{prefix}_{metric}"] = record.get(metric, "")
    history = doc.get("history")
    row["seconds"] = sum(r["seconds"] for r in history) if history else outcome.seconds or ""
    row["error"] = outcome.error
    return row


def write_results(out: Path, plan: SweepPlan, outcomes: list[Outcome]) -> None:
    """results.csv, results.md and (with repeated configurations) summary.csv."""
    rows = [result_row(o, plan.varying) for o in outcomes]
    write_text(out / "results.csv", _csv(rows))
    groups = summarize(plan, outcomes) if plan.repeated else []
    if groups:
        write_text(out / "summary.csv", _csv(groups))
    write_text(out / "results.md", results_markdown(out, plan, outcomes, groups))


def summarize(plan: SweepPlan, outcomes: list[Outcome]) -> list[dict]:
    """Mean and sample standard deviation of every metric per configuration, over its
    successful runs (their seeds)."""
    varying = tuple(f for f in plan.varying if f != "seed")
    by_group: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_group.setdefault(o.run.group, []).append(o)
    groups = []
    for group, members in by_group.items():
        rows = [result_row(o, plan.varying) for o in members if o.ok]
        summary = {"config": group, **{f: format_value(getattr(members[0].run.config, f)) for f in varying}}
        summary["runs"] = len(rows)
        summary["seeds"] = " ".join(str(o.run.config.seed) for o in members if o.ok)
        for column in STAT_COLUMNS:
            values = [float(r[column]) for r in rows if r[column] != ""]
            summary[f"{column}_mean"] = statistics.fmean(values) if values else ""
            summary[f"{column}_std"] = statistics.stdev(values) if len(values) > 1 else ""
        groups.append(summary)
    return groups


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: repr(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows)
    return out.getvalue()


def results_table(outcomes: list[Outcome]) -> str:
    """The per-run Markdown table: accuracies (%) at the final epoch and at the two
    early-stopping points."""
    any_error = any(o.error for o in outcomes)
    head = ["run", "status", "final ep: train / valid / test %", "best valid loss ep: train / valid / test %",
            "best valid acc ep: train / valid / test %", "seconds"] + (["error"] if any_error else [])
    body = []
    for o in outcomes:
        points = (o.doc or {}).get("early_stopping_point") or {}
        cells = [o.run.name, o.status + (" (kept)" if o.kept else "")]
        cells += [_point_cell(points.get(key)) for _, key in POINTS]
        history = (o.doc or {}).get("history")
        seconds = sum(r["seconds"] for r in history) if history else o.seconds
        cells.append("" if seconds is None else f"{seconds:.1f}")
        if any_error:
            cells.append(o.error)
        body.append(cells)
    return markdown_table(head, body)


def summary_table(groups: list[dict]) -> str:
    """Mean ± std per configuration of the accuracies (%) in `results_table`."""
    head = ["config", "runs", "final valid %", "final test %", "best loss ep", "valid %", "test %",
            "best acc ep", "valid %", "test %"]
    body = []
    for g in groups:
        cells = [g["config"], str(g["runs"])]
        for column in ("final_valid_acc", "final_test_acc", "best_loss_epoch", "best_loss_valid_acc",
                       "best_loss_test_acc", "best_acc_epoch", "best_acc_valid_acc", "best_acc_test_acc"):
            scale = 1 if column.endswith("epoch") else 100
            cells.append(_mean_std(g[f"{column}_mean"], g[f"{column}_std"], scale))
        body.append(cells)
    return markdown_table(head, body)


def results_markdown(out: Path, plan: SweepPlan, outcomes: list[Outcome], groups: list[dict]) -> str:
    base = plan.runs[0].config if plan.runs else TrainConfig()
    fixed = ", ".join(
        f"{f} {format_value(v) if v != '' else 'default'}" for f, v in base.to_dict().items() if f not in plan.varying
    )
    done = sum(o.ok for o in outcomes)
    lines = [
        f"# Sweep {out.name}",
        "",
        f"{len(outcomes)} runs, {done} complete. Varying: {', '.join(plan.varying) or 'nothing'}"
        + (f" ({plan.repeats} seeds per configuration)" if plan.repeats > 1 else "") + ".",
        f"Fixed: {fixed}.",
        "Accuracies in %, at the last epoch and at the two early-stopping points: the epoch with the "
        "lowest valid loss and the epoch with the highest valid accuracy. Seconds: training time.",
        "",
        results_table(outcomes),
    ]
    if groups:
        lines += ["", "## Mean ± standard deviation over seeds", "", summary_table(groups)]
    return "\n".join(lines) + "\n"


def _point_cell(record: dict | None) -> str:
    if not record:
        return ""
    accs = " / ".join(f"{100 * record[m]:.1f}" for m in ("train_acc", "valid_acc", "test_acc"))
    return f"{record['epoch']}: {accs}"


def _mean_std(mean, std, scale: float) -> str:
    if mean == "":
        return ""
    text = f"{scale * mean:.1f}"
    return text + (f" ± {scale * std:.1f}" if std != "" and math.isfinite(std) else "")


def markdown_table(head: list[str], body: list[list[str]]) -> str:
    """A Markdown table padded into columns, so it also reads as plain text."""
    cells = [[c.replace("|", "\\|") for c in row] for row in [head, *body]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
