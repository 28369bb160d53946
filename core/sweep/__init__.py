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

from .execute import OpenExecutor, estimated_cost, run_sweep
from .folder import DONE_STATES, MANIFEST, RUN_FILES, finished_doc, prepare_folder
from .grid import FORMAT, VERSION, Run, SweepError, SweepPlan, format_value, parse_values, plan_sweep
from .outcome import FAILED, NOT_RUN, Outcome, SweepResult
from .pool import BLAS_THREAD_VARS, available_cores, blas_threads, local_pool
from .results import (
    METRIC_NAMES,
    POINTS,
    STAT_COLUMNS,
    markdown_table,
    result_row,
    results_markdown,
    results_table,
    summarize,
    summary_table,
    write_results,
)
from .worker import execute_run, one_line

__all__ = [
    "BLAS_THREAD_VARS",
    "DONE_STATES",
    "FAILED",
    "FORMAT",
    "MANIFEST",
    "METRIC_NAMES",
    "NOT_RUN",
    "POINTS",
    "RUN_FILES",
    "STAT_COLUMNS",
    "VERSION",
    "OpenExecutor",
    "Outcome",
    "Run",
    "SweepError",
    "SweepPlan",
    "SweepResult",
    "available_cores",
    "blas_threads",
    "estimated_cost",
    "execute_run",
    "finished_doc",
    "format_value",
    "local_pool",
    "markdown_table",
    "one_line",
    "parse_values",
    "plan_sweep",
    "prepare_folder",
    "result_row",
    "results_markdown",
    "results_table",
    "run_sweep",
    "summarize",
    "summary_table",
    "write_results",
]
