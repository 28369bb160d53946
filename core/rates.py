"""The learning rate and momentum a run trains with, batch by batch: the schedule's
rate each epoch (core.schedules) and the changes made while training (core.events),
which a `Trainer` asks for from any thread and applies between mini-batches."""

from __future__ import annotations

import threading

from .events import EVENT_NAMES, HAS_MOMENTUM, in_epoch, latest_before
from .options import BY_NAME
from .schedules import learning_rate


class Rates:
    """Sets `optimizer.lr` (and `momentum`) for a run of `config`, whose `events` it
    extends with the changes requested while training."""

    def __init__(self, config, optimizer):
        self.config, self.optimizer = config, optimizer
        self.pending: list[tuple[str, float]] = []  # requested, for the next batch
        self._lock = threading.Lock()
        self._live: tuple = ()  # the events requested in the current epoch
        self._changes: dict[int, list] = {}  # this epoch's events by batch index
        self._epoch = 0
        self._at_start: tuple[float, float | None] | None = None  # (lr, momentum) as the epoch began

    def request(self, name: str, value: float) -> None:
        """Ask for `name` (lr or momentum) = `value` from the next mini-batch on (from any
        thread). ValueError, one line, for a bad name or value."""
        if name not in EVENT_NAMES:
            raise ValueError(f"can change {' or '.join(EVENT_NAMES)}, not {name!r}")
        if name == "momentum" and self.config.optimizer not in HAS_MOMENTUM:
            raise ValueError(f"momentum: the {self.config.optimizer} optimizer has none to change")
        why = BY_NAME[name].problem(value)
        if why:
            raise ValueError(f"{name} {why} (got {value!r})")
        with self._lock:
            self.pending.append((name, float(value)))

    def start_epoch(self, epoch: int, history) -> None:
        """The rate (and momentum) epoch `epoch` (1-based) starts with: the schedule's,
        from the latest change of an earlier epoch on. With the constant schedule and no
        changes the rate is left as it is, so a rate set on the optimizer holds."""
        cfg = self.config
        self._epoch, self._live = epoch, ()
        self._changes = in_epoch(cfg.events, epoch)
        if cfg.schedule != "constant" or cfg.events:
            rate = learning_rate(cfg, epoch, history)
            last = latest_before(cfg.events, "lr", epoch)
            if last is not None:
                rate *= last[3] / learning_rate(cfg, last[0], history)
            self.optimizer.lr = rate
        if any(e[2] == "momentum" for e in cfg.events):
            last = latest_before(cfg.events, "momentum", epoch)
            self.optimizer.momentum = cfg.momentum if last is None else last[3]
        self._at_start = (self.optimizer.lr, getattr(self.optimizer, "momentum", None))

    def before_batch(self, index: int) -> None:
        """Apply what is due before batch `index`: pending requests (recorded as events
        of this batch) and the config's events for it."""
        if self.pending:
            with self._lock:
                requests, self.pending = self.pending, []
            new = tuple((self._epoch, index, name, value) for name, value in requests)
            self.config.events = self.config.events + new
            self._live += new
            self._changes.setdefault(index, []).extend(new)
        if self._changes and index in self._changes:
            for _, _, name, value in self._changes.pop(index):
                setattr(self.optimizer, "lr" if name == "lr" else "momentum", value)

    def roll_back(self) -> None:
        """Back to the epoch's start: its rate and momentum, and without the changes
        requested in it, which never shaped a completed epoch."""
        if self._live:
            self.config.events = tuple(e for e in self.config.events if e not in self._live)
            self._live = ()
        if self._at_start is not None:
            self.optimizer.lr, momentum = self._at_start
            if momentum is not None:
                self.optimizer.momentum = momentum
