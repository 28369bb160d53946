"""The nntrain Textual app: a parameter form, live charts and log, runs, diagnostics.

Structure
---------
- `NNTrainApp` owns the session: `runs` (every `run_buffer.Run`), `current_run` (the
  latest one started: the status line follows it) and `shown_run` (the one the
  charts, log, confusion matrix and samples show; highlight a row of the Runs table
  to change it).
- Training happens in a thread worker (`_train`) that loads the dataset, builds a
  `core.Trainer` and runs `for record in trainer.run(): run.buffer.append(...)`. It
  never waits on the UI; it posts one message when the run starts and one when it
  ends. A 0.2 s timer (`_poll`) takes new epochs from the buffer; the log and the
  charts are redrawn from them at most every 0.5 s (a redraw's CPU time is taken from
  the training thread), and at once when the run ends.
- Start / Pause / Resume / Stop / Save / Open / Continue are app actions with
  priority key bindings; `check_action` greys them out (or hides them) when they do
  not apply, driven by the `run_state` and `form_valid` reactives.

Headless use (benchmarks, tests)
--------------------------------
`NNTrainApp(config, start=True)` starts training as soon as it is mounted; under
`App.run_test()` await `app.wait_for_run()`, then read the finished trainer::

    from core import build_config
    from tui.app import NNTrainApp

    async def bench():
        app = NNTrainApp(build_config(overrides={"hidden": "64", "epochs": "5"}), start=True)
        async with app.run_test(size=(80, 24)):
            await app.wait_for_run()
            trainer = app.current_run.trainer  # a core.Trainer
        return [record.seconds for record in trainer.history]

`app.add_run(run)` feeds a ready-made `Run` (e.g. a fixed history) without training.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, TabbedContent, TabPane

from core import (
    PAUSED,
    CheckpointError,
    ConfigError,
    Dataset,
    DatasetError,
    RunError,
    TrainConfig,
    Trainer,
    evaluate,
    load_checkpoint,
    load_dataset,
    new_run_dir,
    read_run,
    trainer_from_checkpoint,
    write_run,
)
from core.checkpoint import resumed_config

from .messages import FormValidity, OpenFailed, RunEnded, RunFailed, RunSaved, RunsOpened, RunStarted
from .run_buffer import FOLDER, MODEL, Run
from .screens.path_prompt import PathPrompt
from .widgets.confusion_view import ConfusionView
from .widgets.epoch_log import EpochLog
from .widgets.metric_chart import MetricChart
from .widgets.param_form import ParamForm
from .widgets.runs_table import RunsTable
from .widgets.sample_viewer import SampleViewer
from .widgets.status_line import StatusLine

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
TABS = ("train", "runs", "confusion", "samples")
# Fields of the form a continued model takes (a subset of core.checkpoint.RESUMABLE).
CONTINUABLE = ("epochs", "early_stop")


class NNTrainApp(App[int]):
    """Train the NumPy MLP interactively; see the module docstring."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere still find it
    TITLE = "nntrain"

    BINDINGS = [
        Binding("ctrl+r", "start", "Start", priority=True, id="start",
                tooltip="start training with the form's parameters"),
        Binding("ctrl+z", "pause", "Pause", priority=True, id="pause",
                tooltip="pause after the current mini-batch"),
        Binding("ctrl+z", "resume", "Resume", priority=True, id="resume", tooltip="resume training"),
        Binding("ctrl+t", "stop", "Stop", priority=True, id="stop",
                tooltip="stop after the current mini-batch; keeps the last completed epoch"),
        Binding("ctrl+s", "save", "Save", priority=True, id="save",
                tooltip="save the shown run: model, history and config, to a run folder"),
        Binding("ctrl+o", "open", "Open", priority=True, id="open",
                tooltip="open a model.npz (evaluate / continue it), a run folder or a sweep folder"),
        Binding("ctrl+f", "continue", "Continue", priority=True, id="continue",
                tooltip="continue training the opened model up to the form's Epochs"),
        Binding("ctrl+g", "overlay", "Overlay", priority=True, id="overlay",
                tooltip="overlay other runs' valid curves on the Train charts"),
        Binding("ctrl+n", "next_tab", "Tab", priority=True, id="next-tab", tooltip="next tab"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit",
                tooltip="quit (a running training is stopped cleanly first)"),
    ]

    run_state = reactive("idle", bindings=True)
    form_valid = reactive(False, bindings=True)
    overlay = reactive(False)

    def __init__(self, config: TrainConfig | None = None, *, preset: str | None = None, start: bool = False) -> None:
        super().__init__()
        self.prefill = config or TrainConfig()
        self.preset = preset
        self.start_on_mount = start
        self._switch_interval = sys.getswitchinterval()  # set again on mount; restored on unmount
        self._start_pending = start
        self.runs: list[Run] = []
        self.current_run: Run | None = None
        self.shown_run: Run | None = None
        self._quitting = False
        self._data_lock = threading.Lock()
        self._data_cache: tuple[tuple[str, str], Dataset] | None = None
        self._charts_dirty = False
        self._pending_rows: list = []  # epochs of the shown run not yet in the log
        self._last_draw = 0.0
        self._binding_states: tuple = ()

    # -- layout ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with TabbedContent(id="tabs", initial="train"):
            with TabPane("Train", id="train"):
                with Horizontal(id="train-body"):
                    yield ParamForm(self.prefill, self.preset, id="form")
                    with Vertical(id="train-right"):
                        yield Label("", id="chart-legend", classes="legend")
                        with Horizontal(id="charts"):
                            yield MetricChart("loss", id="loss-chart")
                            yield MetricChart("acc", id="acc-chart")
                        yield EpochLog(id="epoch-log")
            with TabPane("Runs", id="runs"):
                yield RunsTable(id="runs-table")
                yield Label("", id="compare-legend", classes="legend")
                with Horizontal(id="compare-charts"):
                    yield MetricChart("loss", compare=True, id="compare-loss")
                    yield MetricChart("acc", compare=True, id="compare-acc")
            with TabPane("Confusion", id="confusion"):
                with ScrollableContainer(id="confusion-scroll"):
                    yield ConfusionView(id="confusion-view")
            with TabPane("Samples", id="samples"):
                with ScrollableContainer(id="samples-scroll"):
                    yield SampleViewer(id="sample-viewer")
        yield StatusLine(id="status")
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p still opens it (themes, keys)

    def on_mount(self) -> None:
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.set_interval(POLL_SECONDS, self._poll, name="poll")
        self._show(None)
        if self.start_on_mount:
            self.call_after_refresh(self._start_from_form)

    # -- queries ----------------------------------------------------------------
    @property
    def main_screen(self) -> Screen:
        """The screen the app's widgets live on, even while a modal prompt is on top."""
        stack = self.screen_stack
        if not stack:
            raise NoMatches("the app has no screen")
        return stack[0]

    @property
    def form(self) -> ParamForm:
        return self.main_screen.query_one(ParamForm)

    @property
    def status(self) -> StatusLine:
        return self.main_screen.query_one(StatusLine)

    @property
    def live_run(self) -> Run | None:
        run = self.current_run
        return run if run is not None and run.live else None

    def run_by_number(self, number: int) -> Run | None:
        return next((r for r in self.runs if r.number == number), None)

    # -- bindings -------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if isinstance(self.screen, ModalScreen) and action not in ("quit",):
            return None
        live = self.live_run
        shown = self.shown_run
        if action == "start":
            return True if live is None and self.form_valid else None
        if action == "pause":
            if live is None:
                return None
            return False if live.state == PAUSED else True
        if action == "resume":
            return True if live is not None and live.state == PAUSED else False
        if action == "stop":
            return True if live is not None else None
        if action == "save":
            return True if shown is not None and shown.trainer is not None and not shown.live else None
        if action == "continue":
            return True if live is None and shown is not None and shown.checkpoint is not None else False
        return True

    def _sync_state(self) -> None:
        live = self.live_run
        current = self.current_run
        self.run_state = live.state if live else (current.state if current else "idle")
        self.form.set_startable(live is None and self.form_valid)
        # Build plots off the event loop while training, and always in a real terminal;
        # headless and idle (snapshot tests) they are built at once, deterministically.
        for chart in self.main_screen.query(MetricChart):
            chart.background = live is not None or not self.is_headless
        # Redraw the footer only when what it shows changed (it is rebuilt each time).
        states = tuple(self.check_action(a, ()) for a in ("start", "pause", "resume", "stop", "save", "continue"))
        if states != self._binding_states:
            self._binding_states = states
            self.refresh_bindings()

    def on_form_validity(self, message: FormValidity) -> None:
        self.form_valid = message.valid
        self._sync_state()

    # -- actions: training ----------------------------------------------------------
    def action_start(self) -> None:
        if self.live_run is None:
            self._start_from_form()

    def _start_from_form(self) -> None:
        self._start_pending = False
        try:
            config = self.form.config()
        except ConfigError as exc:
            self._say(str(exc), severity="error")
            return
        self.start_run(config)

    def start_run(self, config: TrainConfig, checkpoint_run: Run | None = None) -> Run:
        """Start training `config` in the worker (continuing `checkpoint_run`'s model if given)."""
        checkpoint = checkpoint_run.checkpoint if checkpoint_run is not None else None
        run = Run(number=0, config=config)
        if checkpoint is not None:
            run.history = list(checkpoint.history)
            run.first_epoch = len(run.history)
            run.best_epoch = int(checkpoint.meta.get("best_epoch", 0))
        self.form.show_error("data", "")
        run.begin()
        self.add_run(run, current=True)
        self.status.set_message(
            f"{run.label}: loading {config.data} …" if checkpoint is None
            else f"{run.label}: continuing {checkpoint_run.name} from epoch {run.first_epoch} …"
        )
        self._train(run, checkpoint)
        self._sync_state()
        return run

    def action_pause(self) -> None:
        if (run := self.live_run) is not None:
            run.pause()
            self.status.set_message(f"{run.label}: paused (ctrl+z resumes)")
            self._refresh_status()

    def action_resume(self) -> None:
        if (run := self.live_run) is not None:
            run.resume()
            self.status.set_message(f"{run.label}: running")
            self._refresh_status()

    def action_stop(self) -> None:
        if (run := self.live_run) is not None:
            run.stop()
            self.status.set_message(f"{run.label}: stopping after this mini-batch …")
            self._refresh_status()

    def action_continue(self) -> None:
        run = self.shown_run
        if run is None or run.checkpoint is None or self.live_run is not None:
            return
        done = len(run.checkpoint.history)
        try:
            form_config = self.form.config()
            changes = {name: getattr(form_config, name) for name in CONTINUABLE}
        except ConfigError as exc:
            self._say(f"cannot continue: {exc}", severity="error")
            return
        if changes["epochs"] <= done:
            self._say(f"{run.name} has {done} epochs: set Epochs above {done} to continue it", severity="warning")
            self.form.input("epochs").focus()
            return
        try:
            config = resumed_config(run.checkpoint, changes)
        except (CheckpointError, ConfigError) as exc:
            self._say(f"cannot continue: {exc}", severity="error")
            return
        self.start_run(config, checkpoint_run=run)

    @work(thread=True, exclusive=True, exit_on_error=False, group="train", name="train")
    def _train(self, run: Run, checkpoint=None) -> None:
        """Worker thread: load data, build the trainer, run the core loop into the buffer.

        It never waits on the UI: epochs go into `run.buffer`, and exactly one message
        (RunEnded or RunFailed) says that it is over, whatever happens.
        """
        try:
            self._train_run(run, checkpoint)
        except Exception as exc:  # a bug, not bad input: report it and keep the app alive
            self.post_message(RunFailed(run, f"training failed: {type(exc).__name__}: {exc}"))

    def _train_run(self, run: Run, checkpoint) -> None:
        try:
            data = self._load_data(run.config)
            if checkpoint is not None:
                trainer = trainer_from_checkpoint(checkpoint, data, run.config)
            else:
                trainer = Trainer(run.config, data)
        except DatasetError as exc:
            self.post_message(RunFailed(run, str(exc), field="data"))
            return
        except (CheckpointError, ConfigError) as exc:
            self.post_message(RunFailed(run, str(exc)))
            return
        except MemoryError:
            self.post_message(RunFailed(run, f"not enough memory for hidden {run.config.hidden} with this dataset"))
            return
        run.data = data
        run.class_names = data.class_names
        run.attach(trainer)
        self.post_message(RunStarted(run))
        if not run.stop_requested:
            for record in trainer.run():
                run.buffer.append(record, trainer.best_epoch)
                if run.stop_requested:  # a stop that raced with the loop's start
                    trainer.stop()
        if not self._quitting:
            run.evaluation = evaluate(trainer.network, data.x_test, data.y_test)
        # The run keeps its trainer (for Save) but not the trainer's copy of the data.
        trainer.release_data()
        self.post_message(RunEnded(run))

    def _load_data(self, config: TrainConfig) -> Dataset:
        """Worker side: the dataset, reusing the last one loaded when it is the same."""
        key = (config.data, config.split)
        with self._data_lock:
            if self._data_cache is not None and self._data_cache[0] == key:
                return self._data_cache[1]
        data = load_dataset(config.data, config.split or None)
        with self._data_lock:
            self._data_cache = (key, data)
        return data

    def on_run_started(self, message: RunStarted) -> None:
        run = message.run
        d = run.data
        self.status.set_message(f"{run.label}: {d.name}, {d.split}; {run.config.describe()}")
        self._sync_state()

    def on_run_ended(self, message: RunEnded) -> None:
        run = message.run
        run.finish()  # takes the last epochs too
        self.main_screen.query_one(RunsTable).update_run(run)
        if run is self.shown_run:
            self._show(run)  # log, charts, confusion matrix and samples, from scratch
        else:
            self._charts_dirty = True
            self._draw(force=True)
        best = run.best
        summary = f"{run.label} {run.status}"
        if best is not None:
            summary += f": best valid {100 * best.valid_acc:.1f}% at epoch {best.epoch}, test {100 * best.test_acc:.1f}%"
        if run.status == "diverged":
            self._say(f"{run.label}: {run.message}", severity="error", title="diverged")
        else:
            self._say(summary + (f" ({run.message})" if run.status == "early-stopped" else ""))
        self._sync_state()

    def on_run_failed(self, message: RunFailed) -> None:
        run = message.run
        run.finish()
        run.message = message.error
        if len(run.history) <= run.first_epoch:
            # It never trained: drop it from the session.
            self._remove_run(run)
        else:
            self.main_screen.query_one(RunsTable).update_run(run)
        if message.field:
            self.form.show_error(message.field, message.error)
        self._say(message.error, severity="error")
        self._sync_state()

    # -- polling ----------------------------------------------------------------------------
    def _poll(self) -> None:
        try:
            self._poll_once()
        except NoMatches:  # the timer fired while the app was shutting down
            pass

    def _poll_once(self) -> None:
        run = self.live_run
        if run is not None:
            new = run.take_new()
            if new:
                self._records_arrived(run, new, force=False)
            elif self._pending_rows or self._charts_dirty:
                self._draw(force=False)
        self._refresh_status()

    def _records_arrived(self, run: Run, new, force: bool = True) -> None:
        """New epochs of `run` are in its history: queue them for the log and charts."""
        if new:
            if run is self.shown_run:
                self._pending_rows.extend(new)
            self._charts_dirty = True
        self._draw(force)

    def _draw(self, force: bool) -> None:
        """Add queued log rows and replot, at most every REDRAW_SECONDS unless forced.

        Each redraw costs the UI thread tens of milliseconds (a plotext build per chart),
        and that time is taken from the training thread through the GIL; with epochs
        shorter than the interval, several epochs arrive in one redraw.
        """
        now = time.monotonic()
        if not force and now - self._last_draw < self._redraw_interval():
            return
        self._last_draw = now
        screen = self.main_screen
        if self._pending_rows and self.shown_run is not None:
            rows, self._pending_rows = self._pending_rows, []
            screen.query_one(EpochLog).add_records(rows, self.shown_run.best_epoch)
        if self.current_run is not None:
            screen.query_one(RunsTable).update_run(self.current_run)
        if self._charts_dirty:
            self._redraw_charts()

    def _redraw_interval(self) -> float:
        cost = sum(chart.build_seconds for chart in self.main_screen.query(MetricChart) if chart.display)
        return max(REDRAW_SECONDS, DRAW_BUDGET * cost)

    def _refresh_status(self) -> None:
        self.status.show(self.current_run)
        live = self.live_run
        state = live.state if live else (self.current_run.state if self.current_run else "idle")
        if state != self.run_state:
            if self.current_run is not None:
                self.main_screen.query_one(RunsTable).update_run(self.current_run)
            self._sync_state()

    def _redraw_charts(self) -> None:
        self._charts_dirty = False
        shown = self.shown_run
        overlays = [r for r in self.runs if r is not shown] if self.overlay else []
        for chart in self.main_screen.query(MetricChart):
            if chart.compare:
                chart.show_comparison(self.runs, shown)
            else:
                chart.show_run(shown, overlays)
        # Fixed-size labels: no layout pass needed (a layout pass costs far more than a repaint).
        screen = self.main_screen
        screen.query_one("#chart-legend", Label).update(screen.query_one("#loss-chart", MetricChart).legend(), layout=False)
        screen.query_one("#compare-legend", Label).update(screen.query_one("#compare-loss", MetricChart).legend(), layout=False)

    # -- runs ----------------------------------------------------------------------------------
    def add_run(self, run: Run, *, current: bool = False, show: bool = True) -> Run:
        """Add a run to the session (numbered here); make it current and/or shown."""
        run.number = len(self.runs) + 1 if not self.runs else self.runs[-1].number + 1
        self.runs.append(run)
        self.main_screen.query_one(RunsTable).add_run(run)
        if current:
            self.current_run = run
        if show:
            self._show(run)
        else:
            self._redraw_charts()
        self._refresh_status()
        return run

    def _remove_run(self, run: Run) -> None:
        if run in self.runs:
            self.runs.remove(run)
            table = self.main_screen.query_one(RunsTable)
            if str(run.number) in table.rows:
                table.remove_row(str(run.number))
        if self.current_run is run:
            self.current_run = next((r for r in reversed(self.runs) if r.started_at is not None), None)
        if self.shown_run is run:
            self._show(self.runs[-1] if self.runs else None)

    def _show(self, run: Run | None) -> None:
        """Make `run` the one the charts, log, confusion matrix and samples show."""
        self.shown_run = run
        self._pending_rows = []  # the log is rebuilt from the whole history
        self.main_screen.query_one(EpochLog).show_run(run)
        right = self.main_screen.query_one("#train-right")
        right.border_title = run.summary if run else "no run yet: ctrl+r starts one"
        if run is not None:
            self.main_screen.query_one(RunsTable).select_run(run)
        self.main_screen.query_one(ConfusionView).show_run(run)
        self.main_screen.query_one(SampleViewer).show_run(run)
        self._redraw_charts()
        self._sync_state()  # Save and Continue depend on the shown run

    @on(RunsTable.RowHighlighted, "#runs-table")
    def _row_highlighted(self, event: RunsTable.RowHighlighted) -> None:
        if not self.screen_stack:  # shutting down
            return
        if event.cursor_row != event.data_table.cursor_row:
            return  # stale: the cursor has moved on since (e.g. to a run just added)
        run = self.run_by_number(int(event.row_key.value)) if event.row_key.value else None
        if run is not None and run is not self.shown_run:
            self._show(run)

    @on(RunsTable.RowSelected, "#runs-table")
    def _row_selected(self, event: RunsTable.RowSelected) -> None:
        run = self.run_by_number(int(event.row_key.value))
        if run is not None:
            if run is not self.shown_run:
                self._show(run)
            self.main_screen.query_one(TabbedContent).active = "train"

    def action_overlay(self) -> None:
        self.overlay = not self.overlay
        self._redraw_charts()
        others = len([r for r in self.runs if r is not self.shown_run and r.history])
        self._say(f"overlay {'on' if self.overlay else 'off'}: {others} other run(s)' valid curves")

    def action_next_tab(self) -> None:
        tabs = self.main_screen.query_one(TabbedContent)
        i = TABS.index(tabs.active) if tabs.active in TABS else -1
        tabs.active = TABS[(i + 1) % len(TABS)]

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # Keyboard focus follows the tab (on Train: the tab bar, a Tab press from the form).
        target = {"runs": "#runs-table", "confusion": "#confusion-scroll", "samples": "#sample-viewer"}.get(
            event.pane.id or "", "#tabs Tabs"
        )
        self.main_screen.query_one(target).focus()

    # -- save and open ---------------------------------------------------------------------------
    def action_save(self) -> None:
        run = self.shown_run
        if run is None or run.trainer is None or run.live:
            return
        default = str(run.path) if run.path is not None and run.source not in (FOLDER, MODEL) else str(new_run_dir())

        def done(path: str | None) -> None:
            if path:
                self._save(run, Path(path).expanduser())

        self.push_screen(
            PathPrompt(f"Save {run.label} to a run folder", default,
                       hint="writes model.npz, best.npz, history.csv, history.json, config.toml", ok="Save"),
            done,
        )

    @work(thread=True, exit_on_error=False, group="save")
    def _save(self, run: Run, out: Path) -> None:
        try:
            write_run(run.trainer, out)
        except OSError as exc:
            self.post_message(RunSaved(run, error=f"{out}: cannot save ({exc.strerror or exc})"))
            return
        run.path = out
        self.post_message(RunSaved(run))

    def on_run_saved(self, message: RunSaved) -> None:
        if message.error:
            self._say(message.error, severity="error")
        else:
            self._say(f"{message.run.label} saved to {message.run.path}/")

    def action_open(self) -> None:
        def done(path: str | None) -> None:
            if path:
                self.status.set_message(f"opening {path} …")
                self._open(path)

        self.push_screen(
            PathPrompt("Open a model, a run folder or a sweep folder", "runs",
                       hint="model.npz: evaluate it (ctrl+f continues it) · a folder: its run(s)", ok="Open"),
            done,
        )

    @work(thread=True, exit_on_error=False, group="open")
    def _open(self, path_text: str) -> None:
        """Worker: read a model file, a run folder or a folder of run folders."""
        p = Path(path_text).expanduser()
        try:
            if p.is_file():
                run, errors = self._open_model(p)
                self.post_message(RunsOpened([run], errors))
            elif p.is_dir():
                runs, errors = self._open_folder(p)
                if runs:
                    self.post_message(RunsOpened(runs, errors))
                else:
                    self.post_message(OpenFailed(errors[0] if errors else f"{p}: no run folders in it"))
            else:
                self.post_message(OpenFailed(f"{p}: no such file or folder"))
        except (CheckpointError, RunError, OSError) as exc:
            self.post_message(OpenFailed(str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
        except Exception as exc:  # keep the app alive whatever the file holds
            self.post_message(OpenFailed(f"{p}: cannot open ({type(exc).__name__}: {exc})".splitlines()[0]))

    def _open_model(self, path: Path) -> tuple[Run, list[str]]:
        ckpt = load_checkpoint(path)
        meta = ckpt.meta
        run = Run(number=0, config=ckpt.config, source=MODEL, path=path, history=ckpt.history,
                  best_epoch=int(meta.get("best_epoch", 0)), status=str(meta.get("status") or "stopped"),
                  message=str(meta.get("message") or ""), class_names=ckpt.class_names, checkpoint=ckpt)
        errors = []
        try:
            data = self._load_data(ckpt.config)
            net = ckpt.network()
            if (data.n_features, data.n_classes) != (net.sizes[0], net.sizes[-1]):
                raise DatasetError(f"{data.name} does not fit the model {net.sizes}")
            run.data = data
            run.class_names = data.class_names
            run.evaluation = evaluate(net, data.x_test, data.y_test)
        except DatasetError as exc:
            errors.append(f"cannot evaluate {path.name}: {exc}")
        return run, errors

    def _open_folder(self, folder: Path) -> tuple[list[Run], list[str]]:
        if (folder / "history.json").is_file():
            folders = [folder]
        else:
            folders = sorted(d for d in folder.iterdir() if d.is_dir() and (d / "history.json").is_file())
        runs, errors = [], []
        for d in folders:
            try:
                rec = read_run(d)
            except RunError as exc:
                errors.append(str(exc))
                continue
            runs.append(Run(number=0, config=rec.config, source=FOLDER, path=rec.path, history=rec.history,
                            best_epoch=rec.best_epoch, status=rec.status or "finished", class_names=rec.class_names))
        if not folders:
            errors.append(f"{folder}: no run folders in it (no history.json here or one level down)")
        return runs, errors

    def on_runs_opened(self, message: RunsOpened) -> None:
        for run in message.runs:
            self.add_run(run, show=False)
        last = message.runs[-1]
        self._show(last)
        for error in message.errors:
            self._say(error, severity="warning")
        if last.source == MODEL:
            self.form.set_config(last.config)
            self._say(f"opened {last.path} ({len(last.history)} epochs): {last.label}; ctrl+f continues it")
            self.main_screen.query_one(TabbedContent).active = "confusion" if last.evaluation is not None else "runs"
        else:
            self._say(f"opened {len(message.runs)} run(s) from {message.runs[0].path.parent if len(message.runs) > 1 else last.path}")
            self.main_screen.query_one(TabbedContent).active = "runs"
        self._sync_state()

    def on_open_failed(self, message: OpenFailed) -> None:
        self._say(message.error, severity="error")

    # -- messages to the user -------------------------------------------------------------
    def _say(self, text: str, severity: str = "information", title: str = "") -> None:
        """One line in the status bar, and a toast."""
        self.status.set_message(text)
        timeout = 10 if severity == "error" else 5  # errors stay longer
        self.notify(text, severity=severity, title=title, markup=False, timeout=timeout)

    # -- shutting down ------------------------------------------------------------------------
    def stop_all(self) -> None:
        """Ask every live run to stop (their workers then end within a mini-batch)."""
        self._quitting = True
        for run in self.runs:
            if run.live:
                run.stop()

    async def wait_for_run(self, timeout: float | None = None) -> Run | None:
        """Wait until the training worker has ended and its end was handled."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        # With start=True the run begins just after the first refresh.
        while self._start_pending or self.live_run is not None:
            if deadline is not None and loop.time() > deadline:
                raise TimeoutError("the training run did not end in time")
            await asyncio.sleep(0.02)
        return self.current_run

    async def action_quit(self) -> None:
        self.stop_all()
        for worker in [w for w in self.workers if w.group == "train"]:
            try:
                await asyncio.wait_for(worker.wait(), 10)
            except Exception:
                pass
        self.exit(0)

    def on_unmount(self) -> None:
        self.stop_all()
        sys.setswitchinterval(self._switch_interval)
