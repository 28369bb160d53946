"""The runs of one app session, and the runs read from disk.

`Session` holds every `Run` (numbered in the order they joined), the current run (the
latest one started: the status line follows it) and the shown run (the one the
charts, log, confusion matrix and samples show). It is changed on the UI thread only;
workers call `load_data` and `open_path`, which build new objects and touch no run of
the session. Nothing here imports Textual.
"""

from __future__ import annotations

import threading
from pathlib import Path

from core import (
    CheckpointError,
    ConfigError,
    Dataset,
    DatasetError,
    Evaluation,
    RunError,
    TrainConfig,
    Trainer,
    evaluate,
    load_checkpoint,
    load_dataset,
    read_run,
    trainer_from_checkpoint,
)
from core.checkpoint import resumed_config
from core.datasets.load import Progress
from core.errors import one_line
from core.run_index import find_runs

from .run_buffer import FOLDER, MODEL, Run


# Fields of the form a continued model takes (a subset of core.checkpoint.RESUMABLE).
CONTINUABLE = ("epochs", "early_stop")


class OpenError(Exception):
    """A path given to Open gave no run; the message is one line."""


class StartError(Exception):
    """A run could not start; the message is one line, `field` the form field to blame."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class Session:
    """Every run of the app session; see the module docstring."""

    def __init__(self) -> None:
        self.runs: list[Run] = []
        self.current: Run | None = None
        self.shown: Run | None = None
        self.quitting = False  # workers skip their last evaluation once set
        self._data_lock = threading.Lock()
        self._data_cache: tuple[tuple[str, str], Dataset] | None = None

    # -- what there is ---------------------------------------------------------
    @property
    def live(self) -> Run | None:
        """The current run while a worker trains it."""
        run = self.current
        return run if run is not None and run.live else None

    @property
    def state(self) -> str:
        """What the status line and the bindings follow: the current run's state, or idle."""
        live = self.live
        if live is not None:
            return live.state
        return self.current.state if self.current is not None else "idle"

    def by_number(self, number: int) -> Run | None:
        return next((r for r in self.runs if r.number == number), None)

    def others(self, run: Run | None) -> list[Run]:
        return [r for r in self.runs if r is not run]

    # -- changes (UI thread) -----------------------------------------------------
    def new_run(self, config: TrainConfig, checkpoint_run: Run | None = None) -> Run:
        """A run about to train `config` (continuing `checkpoint_run`'s model if given)."""
        run = Run(number=0, config=config)
        checkpoint = checkpoint_run.checkpoint if checkpoint_run is not None else None
        if checkpoint is not None:
            run.history = list(checkpoint.history)
            run.first_epoch = len(run.history)
            run.best_epoch = int(checkpoint.meta.get("best_epoch", 0))
        run.begin()
        return run

    def continued_config(self, run: Run, form_config: TrainConfig) -> TrainConfig:
        """The config that continues `run`'s model with the form's CONTINUABLE fields.

        Raises StartError (field "epochs" when Epochs is not above what it has)."""
        done = len(run.checkpoint.history)
        changes = {name: getattr(form_config, name) for name in CONTINUABLE}
        if changes["epochs"] <= done:
            raise StartError(f"{run.name} has {done} epochs: set Epochs above {done} to continue it", "epochs")
        try:
            return resumed_config(run.checkpoint, changes)
        except (CheckpointError, ConfigError) as exc:
            raise StartError(f"cannot continue: {exc}") from exc

    def add(self, run: Run, *, current: bool = False) -> Run:
        """Number `run` after the last one and keep it; make it the current run if asked."""
        run.number = self.runs[-1].number + 1 if self.runs else 1
        self.runs.append(run)
        if current:
            self.current = run
        return run

    def remove(self, run: Run) -> bool:
        """Drop `run`; True when it was the shown run (`shown` is then the last run)."""
        if run in self.runs:
            self.runs.remove(run)
        if self.current is run:
            self.current = next((r for r in reversed(self.runs) if r.started_at is not None), None)
        if self.shown is run:
            self.shown = self.runs[-1] if self.runs else None
            return True
        return False

    def stop_all(self) -> None:
        """Ask every live run to stop (their workers then end within a mini-batch)."""
        self.quitting = True
        for run in self.runs:
            if run.live:
                run.stop()

    # -- reading (worker threads) --------------------------------------------------
    def load_data(self, config: TrainConfig, progress: Progress | None = None) -> Dataset:
        """The dataset of `config`, reusing the last one loaded when it is the same."""
        key = (config.data, config.split)
        with self._data_lock:
            if self._data_cache is not None and self._data_cache[0] == key:
                return self._data_cache[1]
        data = load_dataset(config.data, config.split or None, progress=progress)
        with self._data_lock:
            self._data_cache = (key, data)
        return data

    def build_trainer(self, run: Run, checkpoint=None, progress: Progress | None = None) -> tuple[Trainer, Dataset]:
        """The trainer for `run` (continuing `checkpoint`) and its data; raises StartError."""
        try:
            data = self.load_data(run.config, progress)
            if checkpoint is not None:
                return trainer_from_checkpoint(checkpoint, data, run.config), data
            return Trainer(run.config, data), data
        except DatasetError as exc:
            raise StartError(str(exc), field="data") from exc
        except (CheckpointError, ConfigError) as exc:
            raise StartError(str(exc)) from exc
        except MemoryError as exc:
            raise StartError(f"not enough memory for hidden {run.config.hidden} with this dataset") from exc

    @staticmethod
    def evaluate_result(trainer: Trainer, data: Dataset) -> Evaluation:
        """The test-set evaluation of the weights the run's result uses."""
        # trainer.network is the last epoch's state; with restore-best the result is
        # the best epoch's weights.
        return evaluate(trainer.result_network(), data.x_test, data.y_test)

    def open_path(self, path_text: str) -> tuple[list[Run], list[str]]:
        """Runs from a model file, a run folder or a folder of run folders, and one-line
        notes on what could not be read. Raises `OpenError` when there is no run."""
        p = Path(path_text).expanduser()
        try:
            if p.is_file():
                run, errors = self._open_model(p)
                return [run], errors
            if not p.is_dir():
                raise OpenError(f"{p}: no such file or folder")
            runs, errors = self._open_folder(p)
            if not runs:
                raise OpenError(errors[0] if errors else f"{p}: no run folders in it")
            return runs, errors
        except OpenError:
            raise
        except (CheckpointError, RunError, OSError) as exc:
            raise OpenError(one_line(exc)) from exc
        except Exception as exc:  # keep the app alive whatever the file holds
            raise OpenError(f"{p}: cannot open ({type(exc).__name__}: {one_line(exc)})") from exc

    def _open_model(self, path: Path) -> tuple[Run, list[str]]:
        ckpt = load_checkpoint(path)
        meta = ckpt.meta
        run = Run(number=0, config=ckpt.config, source=MODEL, path=path, history=ckpt.history,
                  best_epoch=int(meta.get("best_epoch", 0)), status=str(meta.get("status") or "stopped"),
                  message=str(meta.get("message") or ""), class_names=ckpt.class_names, checkpoint=ckpt)
        errors = []
        try:
            data = self.load_data(ckpt.config)
            net = ckpt.default_network()
            if (data.n_features, data.n_classes) != (net.sizes[0], net.sizes[-1]):
                raise DatasetError(f"{data.name} does not fit the model {net.sizes}")
            run.data = data
            run.class_names = data.class_names
            run.evaluation = evaluate(net, data.x_test, data.y_test)
        except DatasetError as exc:
            errors.append(f"cannot evaluate {path.name}: {exc}")
        return run, errors

    def _open_folder(self, folder: Path) -> tuple[list[Run], list[str]]:
        folders = find_runs(folder)
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
