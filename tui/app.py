"""The nntrain Textual app: bindings, actions and the handlers of what workers report.

- `session.Session` holds the runs (`current_run`: the latest one started, which the
  status line follows; `shown_run`: the one the charts, log, confusion matrix and
  samples show) and does the reading and building that workers need.
- `screens.main_screen.MainScreen` holds the widgets and draws a run on them.
- `_train` (a thread worker) builds the trainer, posts `RunStarted(run, trainer, data)`,
  appends each epoch to `run.buffer` (never waiting on the UI) and posts
  `RunEnded(run, evaluation)`; the handlers put those into the run, on the UI thread.
  A 0.2 s timer takes new epochs from the buffer and redraws as `redraw.RedrawThrottle`
  allows; the end of a run redraws at once.
- `check_action` greys out what does not apply, driven by the `run_state` and
  `form_valid` reactives, whose watchers update the form, charts and footer.

Headless (benchmarks, tests): `NNTrainApp(config, start=True)` starts training once
mounted; under `App.run_test()` wait while `app.training`, then read
`app.current_run.trainer`. `app.add_run(run)` feeds a ready-made `Run` (e.g. a fixed
history) without training.
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from pathlib import Path

from textual import on, work
from textual.app import App
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.screen import ModalScreen

from core import PAUSED, ConfigError, TrainConfig
from core.diagnostics import warnings_for
from core.events import HAS_MOMENTUM

from .bindings import APP_BINDINGS
from .messages import FormValidity, LoadProgress, RunEnded, RunFailed, RunStarted
from .redraw import POLL_SECONDS, SWITCH_INTERVAL, ProgressThrottle, RedrawThrottle, switch_interval
from .run_buffer import Run
from .save_open import SaveOpenActions
from .screens.help_screen import HelpScreen
from .screens.rate_prompt import RatePrompt
from .screens.main_screen import MainScreen
from .session import Session, StartError
from .widgets.param_form import ParamForm
from .widgets.runs_table import RunsTable
from .widgets.status_line import StatusLine

__all__ = ["NNTrainApp", "SWITCH_INTERVAL"]

# The actions whose availability the footer shows.
STATEFUL = ("start", "pause", "resume", "stop", "rate", "save", "continue")


class NNTrainApp(SaveOpenActions, App[int]):
    """Train the NumPy MLP interactively; see the module docstring."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere still find it
    TITLE = "nntrain"

    BINDINGS = APP_BINDINGS

    # init=False: the watchers draw on the main screen, which on_mount sets up first.
    run_state = reactive("idle", bindings=True, init=False)
    form_valid = reactive(False, bindings=True, init=False)
    overlay = reactive(False, init=False)

    def __init__(self, config: TrainConfig | None = None, *, preset: str | None = None, start: bool = False) -> None:
        super().__init__()
        self.prefill = config or TrainConfig()
        self.start_on_mount = start
        self.start_pending = start  # a start=True run that has not begun yet
        self.session = Session()
        self.main_screen = MainScreen(self.prefill, preset)
        self._throttle = RedrawThrottle()
        self._binding_states: tuple = ()
        self._scoped = ExitStack()  # what holds while the app runs (the switch interval)

    def get_default_screen(self) -> MainScreen:
        return self.main_screen  # the first screen of the stack (App.query looks there)

    async def on_mount(self) -> None:
        await self.main_screen.composed.wait()  # its widgets are mounted in its own task
        self._scoped.enter_context(switch_interval(SWITCH_INTERVAL))
        self.set_interval(POLL_SECONDS, self._poll, name="poll")
        # The charts register a new theme's colours with plotext when it changes; a plot
        # built in between (under the new theme's name, with plotext's default colours)
        # would otherwise stay up; so replot once every subscriber has seen the change.
        self.theme_changed_signal.subscribe(self, lambda _theme: self.call_after_refresh(self.main_screen.replot_charts))
        self._show(None)
        self._state_changed()
        if self.start_on_mount:
            self.call_after_refresh(self._start_from_form)

    def on_unmount(self) -> None:
        self.session.stop_all()
        self._scoped.close()

    # -- what the app shows ------------------------------------------------------------
    @property
    def form(self) -> ParamForm:
        return self.main_screen.form

    @property
    def status(self) -> StatusLine:
        return self.main_screen.status_line

    @property
    def runs(self) -> list[Run]:
        return self.session.runs

    @property
    def current_run(self) -> Run | None:
        return self.session.current

    @property
    def shown_run(self) -> Run | None:
        return self.session.shown

    @property
    def training(self) -> bool:
        """A run is about to start (start=True) or a worker trains one."""
        return self.start_pending or self.session.live is not None

    # -- bindings -------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if isinstance(self.screen, ModalScreen) and action not in ("quit",):
            return None
        live, shown = self.session.live, self.session.shown
        if action == "start":
            return True if live is None and self.form_valid else None
        if action == "pause":
            return None if live is None else live.state != PAUSED
        if action == "resume":
            return live is not None and live.state == PAUSED
        if action == "stop":
            return True if live is not None else None
        if action == "rate":
            return True if live is not None and live.trainer is not None else None
        if action == "save":
            return True if shown is not None and shown.trainer is not None and not shown.live else None
        if action == "continue":
            return live is None and shown is not None and shown.checkpoint is not None
        return True

    def _refresh_bindings_if_changed(self) -> None:
        # The footer is rebuilt on every refresh: only when what it shows changed.
        states = tuple(self.check_action(a, ()) for a in STATEFUL)
        if states != self._binding_states:
            self._binding_states = states
            self.refresh_bindings()

    def watch_run_state(self) -> None:
        self._state_changed()

    def watch_form_valid(self) -> None:
        self._state_changed()

    def watch_overlay(self) -> None:
        self._redraw_charts()

    def _state_changed(self) -> None:
        live = self.session.live
        self.form.set_startable(live is None and self.form_valid)
        # Build plots off the event loop while training, and always in a real terminal;
        # headless and idle (snapshot tests) they are built at once, deterministically.
        self.main_screen.build_charts_in_background(live is not None or not self.is_headless)
        if self.session.current is not None:
            self.main_screen.runs_table.update_run(self.session.current)
        self._refresh_bindings_if_changed()

    def on_form_validity(self, message: FormValidity) -> None:
        self.form_valid = message.valid

    # -- actions: training ----------------------------------------------------------
    def action_start(self) -> None:
        if self.session.live is None:
            self._start_from_form()

    def _start_from_form(self) -> None:
        self.start_pending = False
        try:
            config = self.form.config()
        except ConfigError as exc:
            self._say(str(exc), severity="error")
            return
        self.start_run(config)

    def start_run(self, config: TrainConfig, checkpoint_run: Run | None = None) -> Run:
        """Start training `config` in the worker (continuing `checkpoint_run`'s model if given)."""
        run = self.session.new_run(config, checkpoint_run)
        self.form.show_error("data", "")
        self.add_run(run, current=True)
        self.status.set_message(
            f"{run.label}: loading {config.data} …" if checkpoint_run is None
            else f"{run.label}: continuing {checkpoint_run.name} from epoch {run.first_epoch} …"
        )
        self._train(run, checkpoint_run.checkpoint if checkpoint_run is not None else None)
        return run

    def action_pause(self) -> None:
        self._control("pause", "paused (ctrl+z resumes)")

    def action_resume(self) -> None:
        self._control("resume", "running")

    def action_stop(self) -> None:
        self._control("stop", "stopping after this mini-batch …")

    def _control(self, verb: str, said: str) -> None:
        if (run := self.session.live) is not None:
            getattr(run, verb)()
            self.status.set_message(f"{run.label}: {said}")
            self._refresh_status()

    def action_rate(self) -> None:
        run = self.session.live
        if run is None or run.trainer is None:
            return
        optimizer = run.trainer.optimizer
        momentum = optimizer.momentum if run.trainer.config.optimizer in HAS_MOMENTUM else None
        self.push_screen(RatePrompt(run.label, optimizer.lr, momentum), lambda changes: self._change_rates(run, changes))

    def _change_rates(self, run: Run, changes: dict | None) -> None:
        if not changes or run.trainer is None or not run.live:
            return
        try:
            for name, value in changes.items():
                run.trainer.request_change(name, value)
        except ValueError as exc:
            self._say(str(exc), severity="error")
            return
        said = ", ".join(f"{name} {value:g}" for name, value in changes.items())
        self._say(f"{run.label}: {said} from the next mini-batch (recorded in its config)")

    def action_continue(self) -> None:
        run = self.session.shown
        if run is None or run.checkpoint is None or self.session.live is not None:
            return
        try:
            config = self.session.continued_config(run, self.form.config())
        except ConfigError as exc:
            self._say(f"cannot continue: {exc}", severity="error")
        except StartError as exc:
            self._say(str(exc), severity="warning" if exc.field else "error")
            if exc.field:
                self.form.input(exc.field).focus()
        else:
            self.start_run(config, checkpoint_run=run)

    @work(thread=True, exclusive=True, exit_on_error=False, group="train", name="train")
    def _train(self, run: Run, checkpoint=None) -> None:
        """Worker thread: load data, build the trainer, run the core loop into the buffer.

        It never waits on the UI and changes nothing of the run but its buffer: what it
        makes goes in messages, and exactly one RunEnded or RunFailed says it is over.
        """
        try:
            self._train_run(run, checkpoint)
        except Exception as exc:  # a bug, not bad input: report it and keep the app alive
            self.post_message(RunFailed(run, f"training failed: {type(exc).__name__}: {exc}"))

    def _train_run(self, run: Run, checkpoint) -> None:
        progress = ProgressThrottle(lambda done, total, what: self.post_message(LoadProgress(run, done, total, what)))
        try:
            trainer, data = self.session.build_trainer(run, checkpoint, progress)
        except StartError as exc:
            self.post_message(RunFailed(run, str(exc), field=exc.field))
            return
        self.post_message(RunStarted(run, trainer, data))  # the handler attaches the trainer
        if not run.stop_requested:
            for record in trainer.run():
                run.buffer.append(record, trainer.best_epoch)
                if run.stop_requested:  # a stop asked for before the handler attached the trainer
                    trainer.stop()
        evaluation = None if self.session.quitting else self.session.evaluate_result(trainer, data)
        trainer.release_data()  # the run keeps its trainer (for Save), not the trainer's data copy
        self.post_message(RunEnded(run, evaluation))

    def on_load_progress(self, message: LoadProgress) -> None:
        if message.run.trainer is None and message.run.live:
            name = Path(message.run.config.data).name
            self.status.set_message(f"{message.run.label}: loading {name}: {message.what} {message.done}/{message.total}")

    def on_run_started(self, message: RunStarted) -> None:
        run, data = message.run, message.data
        run.data = data
        run.class_names = data.class_names
        run.attach(message.trainer)  # applies a pause or stop asked for while it loaded
        started = f"{run.label}: {data.name}, {data.split}; {run.config.describe()}"
        for warning in data.warnings:
            self.notify(warning, severity="warning", title=data.name, markup=False, timeout=10)
        self.status.set_message(started if not data.warnings else f"{started} · {' · '.join(data.warnings)}")
        self._refresh_status()

    def on_run_ended(self, message: RunEnded) -> None:
        run = message.run
        run.evaluation = message.evaluation
        run.finish()  # takes the last epochs too
        self.main_screen.runs_table.update_run(run)
        if run is self.session.shown:
            self._show(run)  # log, charts, confusion matrix and samples, from scratch
        else:
            self._throttle.charts_dirty = True
            self._draw(force=True)
        if run.status == "diverged":
            self._say(f"{run.label}: {run.message}", severity="error", title="diverged")
        else:
            self._say(run.outcome)
        self._refresh_status()

    def on_run_failed(self, message: RunFailed) -> None:
        run = message.run
        run.finish()
        run.message = message.error
        if len(run.history) <= run.first_epoch:
            self._remove_run(run)  # it never trained: drop it from the session
        else:
            self.main_screen.runs_table.update_run(run)
        if message.field:
            self.form.show_error(message.field, message.error)
        self._say(message.error, severity="error")
        self._refresh_status()

    # -- polling and drawing -------------------------------------------------------------------
    def _poll(self) -> None:
        try:
            run = self.session.live
            if run is not None:
                new = run.take_new()
                self._warn(run, len(new))
                self._throttle.queue(new, shown=run is self.session.shown)
                if self._throttle.pending:
                    self._draw(force=False)
            self._refresh_status()
        except NoMatches:  # the timer fired while the app was shutting down
            pass

    def _warn(self, run: Run, n_new: int) -> None:
        """Say what the diagnostics of the `n_new` newest epochs warn of (core.diagnostics)."""
        for end in range(len(run.history) - n_new + 1, len(run.history) + 1):
            warnings = warnings_for(run.history[:end])
            if warnings:
                epoch = run.history[end - 1].epoch
                self._say(f"{run.label} epoch {epoch}: " + "; ".join(warnings), severity="warning")

    def _draw(self, force: bool) -> None:
        """Add queued log rows and replot, when the throttle allows or when forced."""
        screen = self.main_screen
        if not self._throttle.due(force, screen.chart_seconds()):
            return
        rows = self._throttle.take_rows()
        if rows and self.session.shown is not None:
            screen.add_log_rows(rows, self.session.shown)
        if self.session.current is not None:
            screen.runs_table.update_run(self.session.current)
        if self._throttle.charts_dirty:
            self._redraw_charts()

    def _refresh_status(self) -> None:
        self.status.show(self.session.current)
        self.run_state = self.session.state  # its watcher updates the table, form and footer

    def _redraw_charts(self) -> None:
        self._throttle.charts_dirty = False
        shown = self.session.shown
        overlays = self.session.others(shown) if self.overlay else []
        self.main_screen.redraw_charts(self.session.runs, shown, overlays)

    # -- runs ----------------------------------------------------------------------------------
    def add_run(self, run: Run, *, current: bool = False, show: bool = True) -> Run:
        """Add a run to the session (numbered there); make it current and/or shown."""
        self.session.add(run, current=current)
        self.main_screen.runs_table.add_run(run)
        if show:
            self._show(run)
        else:
            self._redraw_charts()
        self._refresh_status()
        return run

    def _remove_run(self, run: Run) -> None:
        table = self.main_screen.runs_table
        if run in self.session.runs and str(run.number) in table.rows:
            table.remove_row(str(run.number))
        if self.session.remove(run):
            self._show(self.session.shown)

    def _show(self, run: Run | None) -> None:
        """Make `run` the one the charts, log, confusion matrix and samples show."""
        self.session.shown = run
        self._throttle.forget_rows()  # the log is rebuilt from the whole history
        self.main_screen.show_run(run)
        self._redraw_charts()
        self._refresh_bindings_if_changed()  # Save and Continue depend on the shown run

    @on(RunsTable.RowHighlighted, "#runs-table")
    def _row_highlighted(self, event: RunsTable.RowHighlighted) -> None:
        if not self.screen_stack:  # shutting down
            return
        if event.cursor_row != event.data_table.cursor_row:
            return  # stale: the cursor has moved on since (e.g. to a run just added)
        run = self.session.by_number(int(event.row_key.value)) if event.row_key.value else None
        if run is not None and run is not self.session.shown:
            self._show(run)

    @on(RunsTable.RowSelected, "#runs-table")
    def _row_selected(self, event: RunsTable.RowSelected) -> None:
        run = self.session.by_number(int(event.row_key.value))
        if run is not None:
            if run is not self.session.shown:
                self._show(run)
            self.main_screen.tabs.active = "train"

    def action_overlay(self) -> None:
        self.overlay = not self.overlay  # its watcher redraws the charts
        others = len([r for r in self.session.others(self.session.shown) if r.history])
        self._say(f"overlay {'on' if self.overlay else 'off'}: {others} other run(s)' valid curves")

    def action_next_tab(self) -> None:
        self.main_screen.next_tab()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_log_scale(self) -> None:
        chart = self.main_screen.loss_chart
        chart.log_scale = not chart.log_scale  # its watcher replots

    # -- messages to the user -------------------------------------------------------------
    def _say(self, text: str, severity: str = "information", title: str = "") -> None:
        """One line in the status bar, and a toast."""
        self.status.set_message(text)
        timeout = 10 if severity == "error" else 5  # errors stay longer
        self.notify(text, severity=severity, title=title, markup=False, timeout=timeout)

    # -- shutting down ------------------------------------------------------------------------
    def stop_all(self) -> None:
        """Ask every live run to stop (their workers then end within a mini-batch)."""
        self.session.stop_all()

    async def action_quit(self) -> None:
        self.stop_all()
        for worker in [w for w in self.workers if w.group == "train"]:
            try:
                await asyncio.wait_for(worker.wait(), 10)
            except Exception:
                pass
        self.exit(0)
