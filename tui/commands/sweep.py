"""`nntrain sweep`: train a grid of configurations in parallel, locally or on a Dask
cluster, into one resumable folder with results tables."""

from __future__ import annotations

import argparse
from contextlib import contextmanager, nullcontext
from pathlib import Path

from ..errors import UserError
from ..formatting import percent
from ..options import overrides_from


def run(args: argparse.Namespace) -> int:
    from core.runs import new_run_dir
    from core.sweep import parse_values, plan_sweep, prepare_folder, run_sweep

    lists = {name: parse_values(name, text) for name, text in overrides_from(args).items()}
    repeats = _positive_int(args.repeats, "--repeats")
    workers = _positive_int(args.workers, "--workers") if args.workers is not None else None
    plan = plan_sweep(lists, repeats, preset=args.preset, config_file=args.config)
    out = Path(args.out) if args.out else new_run_dir("sweeps")

    cluster = nullcontext(None)
    if args.cluster:
        from ..cluster import dask_executor

        cluster = dask_executor(args.cluster)
    with cluster as remote:
        if remote is not None:
            open_executor, threads = remote
            workers = workers or max(1, threads)
        else:
            open_executor = None  # the local process pool
        options = {"workers": workers, "cluster": args.cluster}
        prepare_folder(plan, out, options)  # a different sweep in --out: exit 2 before any output
        view = QuietView() if args.quiet else RichView(plan, out, args.cluster)
        with view.progress():
            result = run_sweep(
                plan, out, workers=workers, open_executor=open_executor, on_start=view.start,
                on_outcome=view.outcome, on_progress=None if args.quiet else view.progress_of, options=options,
            )
    view.finish(plan, result)
    if result.interrupted:
        return 130
    return 1 if result.failed else 0


def _positive_int(text: str, flag: str) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise UserError(f"{flag}: not an integer: {text!r}") from None
    if value < 1:
        raise UserError(f"{flag}: must be at least 1 (got {value})")
    return value


def _runs(n: int) -> str:
    return f"{n} run{'s' * (n != 1)}"




def outcome_line(outcome) -> str:
    """One line per finished run for the live view."""
    if outcome.error:
        return f"failed   {outcome.run.name}: {outcome.error}"
    points = outcome.doc["early_stopping_point"]
    if not points:
        return f"{'kept' if outcome.kept else 'done'}     {outcome.run.name}: {outcome.status} (no complete epoch)"
    final, best = points["final"], points["best_valid_loss"]
    seconds = "" if outcome.seconds is None else f"  {outcome.seconds:.1f} s"
    return (
        f"{'kept' if outcome.kept else 'done'}     {outcome.run.name}: {outcome.status} "
        f"epoch {final['epoch']} valid {percent(final['valid_acc'])} test {percent(final['test_acc'])} | "
        f"lowest valid loss at epoch {best['epoch']}: valid {percent(best['valid_acc'])} "
        f"test {percent(best['test_acc'])}{seconds}"
    )


def final_lines(plan, result) -> list[str]:
    """The closing table(s), the timing against running one after another, the files."""
    from core.sweep import results_table, summarize, summary_table

    lines = [results_table(result.outcomes)]
    if plan.repeated:
        lines += ["", "mean ± std over seeds:", summary_table(summarize(plan, result.outcomes))]
    lines += ["", result.timing_line()]
    complete = sum(o.ok for o in result.outcomes)
    if result.interrupted:
        lines.append(
            f"interrupted: {complete} of {len(result.outcomes)} runs complete; "
            f"rerun the same command with --out {result.out} to resume"
        )
    if result.failed:
        lines.append(f"{_runs(len(result.failed))} failed; rerun the same command with --out {result.out} to retry")
    extra = ", summary.csv" if plan.repeated else ""
    lines.append(f"saved to {result.out}/ (results.md, results.csv{extra}, sweep.json, one folder per run)")
    return lines


class QuietView:
    """Only the final table."""

    @contextmanager
    def progress(self):
        yield

    def start(self, todo, workers):
        pass

    def outcome(self, outcome):
        pass

    def finish(self, plan, result):
        for line in final_lines(plan, result):
            print(line)


class RichView(QuietView):
    """A progress bar over the work to do (ETA), one row per running run (local pool
    only: a cluster reports whole runs) and one line per finished run."""

    def __init__(self, plan, out, cluster):
        from rich.console import Console

        from core.sweep import estimated_cost

        self.console = Console(highlight=False, soft_wrap=True)
        self.plan, self.out, self.cluster = plan, out, cluster
        self.epochs = {run.name: run.config.epochs for run in plan.runs}
        # An epoch's share of the bar: its multiply-adds, relative to the smallest run's.
        cost = {run.name: estimated_cost(run.config) / run.config.epochs for run in plan.runs}
        self.weight = {name: c / min(cost.values()) for name, c in cost.items()}
        self.counted: dict[str, int] = {}  # epochs of each run already on the bar
        self.rows: dict[str, int] = {}  # the progress row of each running run
        self.done = 0

    @contextmanager
    def progress(self):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        with Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=self.console, transient=True,
        ) as bar:
            self.bar = bar
            yield

    def start(self, todo, workers):
        from core.sweep import blas_threads

        if self.cluster:
            where = f"on the Dask cluster {self.cluster}, up to {workers} at a time"
        else:
            where = f"locally, {workers} worker process(es) x {blas_threads(workers)} BLAS thread(s)"
        kept = len(self.plan.runs) - todo
        self.console.print(
            f"sweep: {_runs(len(self.plan.runs))} (varying {', '.join(self.plan.varying) or 'nothing'}) -> {self.out}/"
            + (f"; {kept} already complete" if kept else "") + (f"; {todo} to run {where}" if todo else ""),
            markup=False,
        )
        self.todo = todo
        # The bar counts epochs weighted by network size, so its ETA weighs long and
        # big runs as they are; kept runs come off the total as they are reported,
        # before any run starts.
        total = sum(self.epochs[name] * self.weight[name] for name in self.epochs)
        self.task = self.bar.add_task("runs", total=total, info=self._runs_info())

    def progress_of(self, name, epoch, epochs, valid_acc):
        self._count(name, epoch)
        info = f"epoch {epoch}/{epochs} valid {percent(valid_acc)}"
        if name in self.rows:
            self.bar.update(self.rows[name], completed=epoch, info=info)
        else:
            self.rows[name] = self.bar.add_task(f"  {name}", total=epochs, completed=epoch, info=info)

    def outcome(self, outcome):
        name = outcome.run.name
        main = next(task for task in self.bar.tasks if task.id == self.task)
        if outcome.kept:
            self.bar.update(self.task, total=main.total - self.epochs[name] * self.weight[name])
        else:
            # Epochs a run trained count as done (a cluster reports them only now); the
            # ones an early stop or a failure skipped come off the total, so they do not
            # read as speed and shorten the ETA.
            trained = len(outcome.doc["history"]) if outcome.doc else self.counted.get(name, 0)
            self._count(name, trained)
            self.done += 1
            skipped = (self.epochs[name] - trained) * self.weight[name]
            self.bar.update(self.task, total=main.total - skipped, info=self._runs_info())
        if name in self.rows:
            self.bar.remove_task(self.rows.pop(name))
        self.console.print(outcome_line(outcome), markup=False)

    def _count(self, name, epoch):
        before = self.counted.get(name, 0)
        self.counted[name] = epoch
        if epoch != before:
            # Backwards too: a run retried after its worker died starts again at epoch 1.
            self.bar.advance(self.task, (epoch - before) * self.weight[name])

    def _runs_info(self):
        return f"{self.done}/{self.todo} runs done"

    def finish(self, plan, result):
        for line in final_lines(plan, result):
            self.console.print(line, markup=False)
