"""`nntrain train`: headless training with a progress bar, a JSONL stream or silence."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from core.diagnostics import warnings_for

from ..errors import UserError
from ..formatting import percent
from ..loading import loading_bar, print_notes
from ..options import overrides_from


def run(args: argparse.Namespace) -> int:
    from core import build_config, load_checkpoint, load_dataset, new_run_dir, trainer_from_checkpoint
    from core.checkpoint import resumed_config
    from core.trainer import Trainer

    overrides = overrides_from(args)
    if overrides.get("data") not in (None, "bundled"):
        overrides["data"] = str(Path(overrides["data"]).expanduser().resolve())
    if args.resume:
        ckpt = load_checkpoint(args.resume)
        if args.preset or args.config:
            raise UserError("--resume continues a run as it was; --preset and --config do not apply")
        config = resumed_config(ckpt, overrides)
        with loading_bar(args.quiet or args.jsonl) as progress:
            data = load_dataset(config.data, config.split or None, progress=progress, preprocess=ckpt.preprocess)
        print_notes(data)
        try:
            trainer = trainer_from_checkpoint(ckpt, data, config)
            del data  # the trainer holds its own copy
        except MemoryError:
            raise UserError(f"not enough memory for hidden {config.hidden} with this dataset") from None
        out = Path(args.out) if args.out else Path(args.resume).resolve().parent
    else:
        config = build_config(args.preset, args.config, overrides)
        with loading_bar(args.quiet or args.jsonl) as progress:
            data = load_dataset(config.data, config.split or None, progress=progress)
        print_notes(data)
        try:
            trainer = Trainer(config, data)
            del data  # the trainer holds its own copy
        except MemoryError:
            raise UserError(f"not enough memory for hidden {config.hidden} with this dataset") from None
        out = Path(args.out) if args.out else new_run_dir()

    _check_writable(out)
    report = _reporter(args)
    report.start(trainer, out)
    with _stop_on_ctrl_c(trainer) as interrupted:
        with report.progress(trainer):
            for record in trainer.run():
                report.epoch(trainer, record)
    from core import write_run

    write_run(trainer, out)
    report.finish(trainer, out, interrupted())
    return 130 if interrupted() else (0 if trainer.status != "diverged" else 1)


def _check_writable(out: Path) -> None:
    """Fail before training, not after it, when the run folder cannot be written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".nntrain-write-test"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UserError(f"{out}: cannot write the run folder ({exc.strerror or exc})") from None


@contextmanager
def _stop_on_ctrl_c(trainer):
    """First Ctrl+C asks the trainer to stop cleanly; a second one aborts."""
    hits = []

    def handler(signum, frame):
        hits.append(signum)
        if len(hits) > 1:
            raise KeyboardInterrupt
        print("\nstopping after this batch (Ctrl+C again to abort)...", file=sys.stderr)
        trainer.stop()

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (e.g. called from tests in a thread)
        previous = None
    try:
        yield lambda: bool(hits)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _reporter(args):
    if args.jsonl:
        return JsonlReport()
    if args.quiet:
        return QuietReport()
    return RichReport()




def summary_lines(trainer, out: Path, interrupted: bool) -> list[str]:
    """The closing lines: where the files went, which epoch's weights each file holds,
    then the final and best epochs' accuracies (last, in that order)."""
    lines = []
    if trainer.message:
        lines.append(trainer.message)
    if interrupted:
        lines.append(f"interrupted: checkpoint saved; continue with  nntrain train --resume {out / 'model.npz'}")
    lines.append(f"saved to {out}/ (model.npz, best.npz, history.csv, history.json, config.toml)")
    if trainer.history:
        f, b = trainer.history[-1], trainer.best
        lines.append(
            f"model.npz: epoch {f.epoch}'s weights and optimizer state (--resume continues from it); "
            f"best.npz: epoch {b.epoch}'s weights"
        )
        lines.append(result_line(trainer))
        final_is_result = not (trainer.restores_best and trainer.best_epoch)
        lines.append(
            f"final  epoch {f.epoch}: train acc {percent(f.train_acc, 5)}  valid acc {percent(f.valid_acc, 5)}  "
            f"test acc {percent(f.test_acc, 5)}  [model.npz{', the result' if final_is_result else ''}]"
        )
        lines.append(
            f"best   epoch {b.epoch} (by {trainer.config.monitor}): train acc {percent(b.train_acc, 5)}  "
            f"valid acc {percent(b.valid_acc, 5)}  test acc {percent(b.test_acc, 5)}  "
            f"[best.npz{'' if final_is_result else ', the result'}]"
        )
    return lines


def result_line(trainer) -> str:
    """Which weights are the run's result (what evaluate, the app and predict use)."""
    if trainer.restores_best:
        why = ("early stopping restored them" if trainer.status == "early-stopped"
               else "restore_best with early stopping on keeps them, though it did not stop early")
        return f"result: the best epoch's weights (epoch {trainer.best_epoch}, {why}); evaluate and predict use them"
    why = "early stopping is off" if not trainer.config.early_stop else "--no-restore-best"
    return f"result: the last epoch's weights (epoch {trainer.epoch}, {why}); evaluate and predict use them"


def epoch_line(trainer, r) -> str:
    mark = "*" if r.epoch == trainer.best_epoch else " "
    width = len(str(trainer.config.epochs))
    return (
        f"epoch {r.epoch:>{width}}/{trainer.config.epochs}{mark} "
        f"train {r.train_loss:.4f} {percent(r.train_acc, 5)}  valid {r.valid_loss:.4f} {percent(r.valid_acc, 5)}  "
        f"test {r.test_loss:.4f} {percent(r.test_acc, 5)}  {r.seconds:.2f}s"
    )


def header_lines(trainer, out: Path) -> list[str]:
    d, c = trainer.data, trainer.config
    return [
        f"data: {d.name} ({d.source}), split {d.split}, {d.n_features} features, {d.n_classes} classes",
        f"model: {c.describe()} | epochs {c.epochs} | seed {c.seed} -> {out}/",
    ]


class QuietReport:
    @contextmanager
    def progress(self, trainer):
        yield

    def start(self, trainer, out):
        pass

    def epoch(self, trainer, record):
        pass

    def finish(self, trainer, out, interrupted):
        for line in summary_lines(trainer, out, interrupted):
            print(line)


class JsonlReport(QuietReport):
    """One JSON object per epoch on stdout; the human summary on stderr."""

    def epoch(self, trainer, record):
        line = {**record.to_dict(), "best": record.epoch == trainer.best_epoch, "warnings": warnings_for(trainer.history)}
        print(json.dumps(line), flush=True)

    def finish(self, trainer, out, interrupted):
        for line in summary_lines(trainer, out, interrupted):
            print(line, file=sys.stderr)


class RichReport(QuietReport):
    """A progress bar with ETA and one line per epoch, via rich."""

    def __init__(self):
        from rich.console import Console

        self.console = Console(highlight=False, soft_wrap=True)
        self.bar = None

    def start(self, trainer, out):
        for line in header_lines(trainer, out):
            self.console.print(line, markup=False)

    @contextmanager
    def progress(self, trainer):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        with Progress(
            TextColumn("epochs"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("ETA"), TimeRemainingColumn(), console=self.console, transient=True,
        ) as bar:
            self.bar = bar
            self.task = bar.add_task("train", total=trainer.config.epochs, completed=trainer.epoch)
            yield

    def epoch(self, trainer, record):
        self.console.print(epoch_line(trainer, record), markup=False)
        for warning in warnings_for(trainer.history):
            self.console.print(f"  warning: {warning}", markup=False, style="yellow")
        self.bar.update(self.task, completed=record.epoch)

    def finish(self, trainer, out, interrupted):
        for line in summary_lines(trainer, out, interrupted):
            self.console.print(line, markup=False)
