"""The training loop, written once: the CLI, the TUI and sweeps all consume it.

`Trainer.run()` is a generator that yields one `EpochRecord` per epoch. Another
thread may call `stop()`, `pause()` and `resume()`; they take effect between
mini-batches. A stop in the middle of an epoch rolls the weights, optimizer state and
random generator back to the start of that epoch, so the state is always that of the
last completed epoch and a checkpoint taken then resumes exactly.

With `train_eval` on, train loss and accuracy are measured like valid and test: one
clean forward pass (no dropout) over the training set at the epoch's end weights,
after the batch loop. The running figures (the epoch's own forward passes, before each
batch's update, on the dropped-out network, as Keras reports them) are kept as
`train_loss_running` / `train_acc_running`; with `train_eval` off they are also the
`train_loss` / `train_acc`. Valid and test sets are only ever evaluated, never trained
on. Reported losses are always the mean cross-entropy per sample, whatever `reduction`
the gradient uses.

`network` always holds the training state: the last completed epoch's weights, with
the optimizer state and random generator that go with them. `best_params` holds the
best epoch's weights (by `config.monitor`); when the run restores the best weights
(`restores_best`), `result_network()` gives those, and the files say which is which.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Iterator

import numpy as np

from .augment import Shifter
from .config import ConfigError, TrainConfig
from .datasets import Dataset
from .diagnostics import EpochProbe, NullProbe, is_column
from .network import Network, with_ones_column
from .optimizers import Optimizer, make_optimizer
from .rates import Rates
from .states import FINAL_STATES, RunState

# The states a run can be in (core.states), under the names the callers know.
IDLE, RUNNING, PAUSED = RunState.IDLE, RunState.RUNNING, RunState.PAUSED
STOPPED, EARLY_STOPPED, DIVERGED, FINISHED = (
    RunState.STOPPED, RunState.EARLY_STOPPED, RunState.DIVERGED, RunState.FINISHED,
)

# A mean cross-entropy this many times chance level (log K) means the run blew up,
# even while the numbers are still finite (dead ReLUs keep huge logits finite).
DIVERGENCE_FACTOR = 100.0

# With train_eval "auto", the clean pass over the training set is made when an epoch
# is cheap: full batch (one step per epoch, so the pass is one more forward of the
# same size) or a training set under this many samples.
TRAIN_EVAL_AUTO_MAX = 20_000

METRICS = ("train_loss", "train_acc", "valid_loss", "valid_acc", "test_loss", "test_acc")
RUNNING_METRICS = ("train_loss_running", "train_acc_running")
HISTORY_COLUMNS = ("epoch", *METRICS, "lr", "seconds", *RUNNING_METRICS)
SETS = ("train", "valid", "test")
NAN = float("nan")


@dataclass(frozen=True)
class EpochRecord:
    """One epoch's results; accuracies are fractions in [0, 1].

    `train_loss`/`train_acc` are the clean figures when the run measured them
    (`train_eval`), else the running ones; `*_running` are always the running ones
    (NaN in histories written before they existed). `diagnostics` holds the per-layer
    numbers of `core.diagnostics` (empty in older histories); `to_dict` puts them
    beside the metrics as flat keys (W0_norm, ...).
    """

    epoch: int
    train_loss: float
    train_acc: float
    valid_loss: float
    valid_acc: float
    test_loss: float
    test_acc: float
    lr: float
    seconds: float
    train_loss_running: float = NAN
    train_acc_running: float = NAN
    diagnostics: dict[str, float] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        diagnostics = d.pop("diagnostics")
        return {**d, **diagnostics}

    @classmethod
    def from_dict(cls, d: dict) -> "EpochRecord":
        values = {k: float(d[k]) for k in HISTORY_COLUMNS[1:] if k not in RUNNING_METRICS}
        values.update({k: float(d.get(k, NAN)) for k in RUNNING_METRICS})
        diagnostics = {k: float(v) for k, v in d.items() if is_column(k)}
        return cls(epoch=int(d["epoch"]), **values, diagnostics=diagnostics)


class Trainer:
    """Trains a `Network` on a `Dataset` according to a `TrainConfig`."""

    def __init__(self, config: TrainConfig, data: Dataset):
        config.validate()
        # A copy: changes made while training (request_change) go into the run's own.
        self.config = config = config.replace()
        dtype = np.dtype(config.dtype)
        self.rng = np.random.default_rng(config.seed)
        # The network first: its temporaries are gone before the data is copied, which
        # keeps them out of the peak while the caller's original still exists.
        sizes = (data.n_features, *config.hidden, data.n_classes)
        self.network = Network(sizes, dtype=config.dtype, init=config.init, rng=self.rng, activation=config.activation)
        self.optimizer: Optimizer = make_optimizer(config.optimizer, config.lr, config.momentum, config.v0)
        self.optimizer.setup(self.network.params)

        # Cast once, with the column of ones that carries the first layer's bias (see
        # core.network): the loop then never converts or copies the data. The trainer's
        # dataset holds views of these arrays without that column (so not C-contiguous),
        # and the caller may free the original.
        inputs = {s: with_ones_column(getattr(data, f"x_{s}"), dtype) for s in SETS}
        self.data = data = dataclasses.replace(
            data,
            **{f"x_{s}": inputs[s][:, :-1] for s in SETS},
            **{f"y_{s}": np.ascontiguousarray(getattr(data, f"y_{s}"), dtype=np.intp) for s in SETS},
        )
        # The network's inputs, `(n, n_features + 1)`, ending in ones.
        self.x_train, self.y_train = inputs["train"], data.y_train
        self.x_valid, self.y_valid = inputs["valid"], data.y_valid
        self.x_test, self.y_test = inputs["test"], data.y_test

        self.history: list[EpochRecord] = []
        self.best_epoch = 0  # 0 = no epoch yet
        self.best_params = [p.copy() for p in self.network.params]
        self.bad_epochs = 0  # epochs since the monitored metric last improved
        self.status = IDLE
        self.message = ""
        self.loss_limit = DIVERGENCE_FACTOR * max(1.0, float(np.log(data.n_classes)))

        self.rates = Rates(self.config, self.optimizer)
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        n = len(self.y_train)
        self.batch_size = n if config.batch_size in (0, None) or config.batch_size >= n else config.batch_size
        self.train_eval = config.train_eval == "on" or (
            config.train_eval == "auto" and (self.batch_size == n or n < TRAIN_EVAL_AUTO_MAX)
        )
        self._x_batch = None if self.batch_size == n else np.empty((self.batch_size, data.n_features + 1), dtype=dtype)
        self._y_batch = None if self.batch_size == n else np.empty(self.batch_size, dtype=np.intp)
        self._shifter = self._make_shifter(config, data)
        if self._shifter is not None:
            self._x_shifted = np.ones((self.batch_size, data.n_features + 1), dtype=dtype)
        self._snapshot_params = [p.copy() for p in self.network.params]
        self._snapshot_opt: dict[str, np.ndarray] = {}
        # Full batch without dropout: the clean train pass at an epoch's end weights is
        # the next epoch's forward pass, so it is made once (`Network.prime`) and reused.
        self._reuse_clean_pass = (self.train_eval and self.batch_size == n and config.dropout == 0
                                  and self._shifter is None)
        self._primed: tuple[int, tuple[float, int]] | None = None  # (network.forwards, figures)
        self._probe = EpochProbe(self.network, config.activation)
        # The probed step (core.diagnostics): the last full-size batch of an epoch.
        self._probe_start = (n // self.batch_size - 1) * self.batch_size

    @staticmethod
    def _make_shifter(config: TrainConfig, data: Dataset) -> Shifter | None:
        if config.augment == "none":
            return None
        if not data.is_image or int(np.prod(data.image_shape)) != data.n_features:
            raise ConfigError(f"augment: {config.augment} moves pixels, and {data.name} is not image data "
                              "(use --augment none)")
        return Shifter(data.image_shape)

    # -- control from other threads ------------------------------------------
    def stop(self) -> None:
        """Ask the loop to stop after the current mini-batch (it also ends a pause)."""
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def epoch(self) -> int:
        """Completed epochs."""
        return len(self.history)

    @property
    def best(self) -> EpochRecord | None:
        return self.history[self.best_epoch - 1] if self.best_epoch else None

    @property
    def restores_best(self) -> bool:
        """Whether the run's result is its best epoch's weights: restore_best with early
        stopping on, whether or not it triggered (Keras' restore_best_weights)."""
        return bool(self.config.restore_best and self.config.early_stop)

    @property
    def result_epoch(self) -> int:
        """The epoch whose weights `result_network()` holds (0 before any epoch)."""
        return self.best_epoch if self.restores_best and self.best_epoch else self.epoch

    def result_network(self) -> Network:
        """The weights the run's result uses: a separate copy of the best epoch's when
        the run restores them, else `self.network` itself (the training state)."""
        if not (self.restores_best and self.best_epoch):
            return self.network
        net = Network(self.network.sizes, dtype=self.network.dtype, init=self.config.init,
                      activation=self.network.activation)
        net.load_state(dict(zip(self.network.param_names(), self.best_params)))
        return net

    def disable_diagnostics(self) -> None:
        """Record no per-layer diagnostics (the benchmark's baseline for their cost)."""
        self._probe = NullProbe()
        self._probe_start = -1

    # -- the loop ----------------------------------------------------------------
    def release_data(self) -> None:
        """Drop the trainer's copies of the data and keep the dataset's description, for
        a trainer kept only to be saved or inspected (the app keeps every run of a
        session). `run()` cannot be called afterwards."""
        d = self.data
        empty_x = np.empty((0, d.n_features), dtype=self.network.dtype)
        empty_y = np.empty(0, dtype=np.intp)
        self.data = dataclasses.replace(d, **{f"x_{s}": empty_x for s in SETS}, **{f"y_{s}": empty_y for s in SETS})
        self.x_train = self.x_valid = self.x_test = None
        self.y_train = self.y_valid = self.y_test = None
        self._x_batch = self._y_batch = None

    def run(self) -> Iterator[EpochRecord]:
        """Train up to `config.epochs`, yielding each completed epoch's record."""
        if self.x_train is None:
            raise RuntimeError("this trainer's data was released (release_data); build a new one to train")
        self.status = RUNNING
        self.message = ""
        try:
            while self.epoch < self.config.epochs:
                record = self._run_epoch()
                if record is None:
                    return
                self.history.append(record)
                if self._update_best(record) and self.config.early_stop and self.bad_epochs >= self.config.early_stop:
                    self.status = EARLY_STOPPED
                    self.message = self._early_stop_message()
                    yield record
                    return
                yield record
            self.status = FINISHED
            self.message = f"finished {self.epoch} epochs"
        finally:
            # Cleared here, not at the start: a stop() that arrives before the worker
            # thread enters run() must still stop it.
            self._stop.clear()
            if self.status in (RUNNING, PAUSED):
                # The consumer closed the generator mid-run: that is a stop too.
                self.status = STOPPED
                self.message = f"stopped after epoch {self.epoch}"

    def _run_epoch(self) -> EpochRecord | None:
        """One epoch; None if it was stopped or diverged (state rolled back)."""
        # Overflow on the way to divergence is detected and reported below; numpy's
        # warnings about it would only be noise.
        with np.errstate(over="ignore", invalid="ignore"):
            return self._train_epoch()

    def _train_epoch(self) -> EpochRecord | None:
        cfg = self.config
        net = self.network
        self.rates.start_epoch(self.epoch + 1, self.history)
        self._take_snapshot()
        started = time.perf_counter()
        paused_for = 0.0
        n = len(self.y_train)
        order = self.rng.permutation(n) if self.batch_size < n else None
        loss_sum, correct = 0.0, 0
        probe = self._probe
        probe.start()
        for index, start in enumerate(range(0, n, self.batch_size)):
            if not self._running.is_set():
                self.status = PAUSED
                t = time.perf_counter()
                self._running.wait()
                paused_for += time.perf_counter() - t
                self.status = RUNNING
            if self._stop.is_set():
                self._restore_snapshot()
                self.status = STOPPED
                self.message = f"stopped after epoch {self.epoch}"
                return None
            # After the pause: a change made while paused applies to this very batch.
            self.rates.before_batch(index)
            x, y = self._batch(order, start)
            primed = self._take_primed()
            # The backward pass folds the learning rate into the gradients where the
            # rule allows, which saves the optimizer a pass over every weight.
            batch_loss, batch_correct = net.train_batch(
                x, y, reduction=cfg.reduction, l2=cfg.l2, dropout=cfg.dropout, rng=self.rng,
                grad_scale=self.optimizer.grad_scale, primed=primed, label_smoothing=cfg.label_smoothing,
            )
            if not np.isfinite(batch_loss):
                return self._diverged(f"loss became {batch_loss} in epoch {self.epoch + 1}")
            probe.batch(net, len(y))
            if start == self._probe_start:
                probe.before_step(net, self.optimizer.grad_scale)
                self.optimizer.step(net.params, net.grads, scaled=True)
                probe.after_step(net)
            else:
                self.optimizer.step(net.params, net.grads, scaled=True)
            loss_sum += batch_loss
            correct += batch_correct
        if not net.all_finite():
            return self._diverged(f"weights became non-finite in epoch {self.epoch + 1}")
        running_loss, running_acc = loss_sum / n, correct / n
        valid_loss, valid_acc = net.evaluate(self.x_valid, self.y_valid)
        test_loss, test_acc = net.evaluate(self.x_test, self.y_test)
        if not self.train_eval:
            train_loss, train_acc = running_loss, running_acc
        elif self._reuse_clean_pass:
            # Last, so that valid/test do not overwrite the workspace it leaves ready.
            figures = net.prime(self.x_train, self.y_train)
            self._primed = (net.forwards, figures)
            train_loss, train_acc = figures[0] / n, figures[1] / n
        else:
            train_loss, train_acc = net.evaluate(self.x_train, self.y_train)
        for what, loss in (("train loss", running_loss), ("train loss", train_loss), ("valid loss", valid_loss)):
            if not loss <= self.loss_limit:  # NaN fails this comparison too
                return self._diverged(f"{what} became {loss:.3g} in epoch {self.epoch + 1}")
        return EpochRecord(
            epoch=self.epoch + 1,
            train_loss=train_loss,
            train_acc=train_acc,
            valid_loss=valid_loss,
            valid_acc=valid_acc,
            test_loss=test_loss,
            test_acc=test_acc,
            lr=self.optimizer.lr,
            seconds=time.perf_counter() - started - paused_for,
            train_loss_running=running_loss,
            train_acc_running=running_acc,
            diagnostics=probe.finish(net),
        )

    def request_change(self, name: str, value: float) -> None:
        """Set the learning rate or momentum from the next mini-batch on (from any
        thread); recorded in `config.events`, so a rerun replays it (core.rates).
        ValueError, one line, for a bad name or value."""
        self.rates.request(name, value)

    def _take_primed(self) -> tuple[float, int] | None:
        """The figures of the last clean pass if its workspace is still untouched."""
        primed, self._primed = self._primed, None
        if primed is not None and primed[0] == self.network.forwards:
            return primed[1]
        return None

    def _batch(self, order: np.ndarray | None, start: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the epoch's shuffled order, gathered into reused buffers."""
        if order is None:
            x, y = self.x_train, self.y_train
        else:
            idx = order[start : start + self.batch_size]
            m = len(idx)
            x = self._x_batch[:m]
            y = self._y_batch[:m]
            np.take(self.x_train, idx, axis=0, out=x)
            np.take(self.y_train, idx, out=y)
        if self._shifter is not None:
            out = self._x_shifted[: len(y)]
            self._shifter.shift(x, out, self.rng)
            x = out
        return x, y

    def _diverged(self, why: str) -> None:
        self._restore_snapshot()
        self.status = DIVERGED
        self.message = f"diverged: {why}; kept the weights of epoch {self.epoch} (the last finite ones)"
        return None

    # -- best epoch and early stopping ------------------------------------------
    def _improved(self, record: EpochRecord) -> bool:
        best = self.best
        if best is None:
            return True
        delta = self.config.min_delta
        if self.config.monitor == "valid_acc":
            return record.valid_acc > best.valid_acc + delta
        return record.valid_loss < best.valid_loss - delta

    def _update_best(self, record: EpochRecord) -> bool:
        """Track the best epoch; True when the monitored metric did not improve."""
        if self._improved(record):
            self.best_epoch = record.epoch
            self.bad_epochs = 0
            for keep, p in zip(self.best_params, self.network.params):
                np.copyto(keep, p)
            return False
        self.bad_epochs += 1
        return True

    def _early_stop_message(self) -> str:
        # The training state stays in `network` (model.npz resumes from it); the restored
        # weights are `result_network()`'s.
        restored = "; its weights are the result (best.npz)" if self.restores_best else ""
        return (
            f"early-stopped at epoch {self.epoch}: {self.config.monitor} did not improve for "
            f"{self.config.early_stop} epochs; best epoch {self.best_epoch}{restored}"
        )

    # -- snapshots for stop and divergence ---------------------------------------
    def _take_snapshot(self) -> None:
        for keep, p in zip(self._snapshot_params, self.network.params):
            np.copyto(keep, p)
        self._snapshot_opt = self._snapshot_opt or {k: np.copy(v) for k, v in self.optimizer.state().items()}
        for k, v in self.optimizer.state().items():
            np.copyto(self._snapshot_opt[k], v)
        self._snapshot_rng = self.rng.bit_generator.state

    def _restore_snapshot(self) -> None:
        self._primed = None
        self.rates.roll_back()
        for p, keep in zip(self.network.params, self._snapshot_params):
            np.copyto(p, keep)
        self.optimizer.load_state(self._snapshot_opt)
        self.rng.bit_generator.state = self._snapshot_rng
