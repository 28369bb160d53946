"""The app's Save and Open: a path prompt, a thread worker that writes or reads, and the
handler that puts the result into the session on the UI thread.

A mixin of `NNTrainApp` (it uses the app's `session`, `status`, `form`, `main_screen`,
`add_run`, `_show` and `_say`), kept apart so that the app holds only bindings, training
actions and their handlers.
"""

from __future__ import annotations

from pathlib import Path

from textual import work

from core import new_run_dir, write_run

from .messages import OpenFailed, RunSaved, RunsOpened
from .run_buffer import FOLDER, MODEL, Run
from .screens.path_prompt import PathPrompt
from .session import OpenError


class SaveOpenActions:
    """ctrl+s saves the shown run to a run folder; ctrl+o opens a model, a run folder or
    a sweep folder."""

    def action_save(self) -> None:
        run = self.session.shown
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
            self.post_message(RunSaved(run, out, error=f"{out}: cannot save ({exc.strerror or exc})"))
            return
        self.post_message(RunSaved(run, out))

    def on_run_saved(self, message: RunSaved) -> None:
        if message.error:
            self._say(message.error, severity="error")
            return
        message.run.path = message.path
        self._say(f"{message.run.label} saved to {message.path}/")

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
        try:
            self.post_message(RunsOpened(*self.session.open_path(path_text)))
        except OpenError as exc:
            self.post_message(OpenFailed(str(exc)))

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
            self.main_screen.tabs.active = "confusion" if last.evaluation is not None else "runs"
        else:
            where = message.runs[0].path.parent if len(message.runs) > 1 else last.path
            self._say(f"opened {len(message.runs)} run(s) from {where}")
            self.main_screen.tabs.active = "runs"

    def on_open_failed(self, message: OpenFailed) -> None:
        self._say(message.error, severity="error")

