"""The task a worker process runs: train one run and return its folder's files."""

from __future__ import annotations

import signal
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from ..config import config_from_dict
from ..datasets import load_dataset
from ..errors import one_line as _one_line
from ..runs import write_run
from ..trainer import Trainer
from .folder import RUN_FILES
from .progress import Reporter

_dataset_cache: dict = {}
# The pipe to the client for per-epoch progress, set by `init_worker` in local pools.
_progress: Connection | None = None


def init_worker(progress: Connection | None = None) -> None:
    """Process-pool initializer: ignore Ctrl+C (the client stops the pool) and keep the
    progress pipe, if any."""
    global _progress
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _progress = progress


def execute_run(config: dict, name: str | None = None) -> dict:
    """Train one run and return its folder's files; runs in a worker process.

    `config` is `TrainConfig.to_dict()`. Returns {"files": {name: bytes}, "seconds": s}
    or, when the run raises, {"error": one line, "seconds": s}: the error travels as
    text, so it needs no unpickling on the client. With the run's `name`, in a pool
    started with a progress pipe (`init_worker`), each epoch is reported on the way.
    """
    started = time.perf_counter()
    try:
        cfg = config_from_dict(config).validate()
        key = (cfg.data, cfg.split)
        if key not in _dataset_cache:
            _dataset_cache.clear()  # one dataset per worker process is enough
            _dataset_cache[key] = load_dataset(cfg.data, cfg.split or None)
        trainer = Trainer(cfg, _dataset_cache[key])
        reporter = Reporter(_progress, name, cfg.epochs) if _progress is not None and name else None
        for record in trainer.run():
            if reporter is not None:
                reporter.epoch(record.epoch, record.valid_acc)
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
    text = _one_line(exc)
    if isinstance(exc, (ValueError, OSError)) or text == type(exc).__name__:
        return text  # ConfigError, DatasetError, a path's OS error: the message says it
    return f"{type(exc).__name__}: {text}"
