"""nntrain's headless core: a NumPy MLP, optimizers, the training loop, datasets and
checkpoints. Imports numpy and the standard library only.

Names are loaded on first use, so that importing one light module (e.g.
`core.options` for `nntrain --help`) does not load NumPy and the whole package."""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Checkpoint": "checkpoint",
    "CheckpointError": "checkpoint",
    "load_checkpoint": "checkpoint",
    "save_checkpoint": "checkpoint",
    "trainer_from_checkpoint": "checkpoint",
    "PRESETS": "config",
    "ConfigError": "config",
    "TrainConfig": "config",
    "build_config": "config",
    "read_toml": "config",
    "to_toml": "config",
    "Dataset": "datasets",
    "DatasetError": "datasets",
    "load_dataset": "datasets",
    "Evaluation": "evaluation",
    "confusion_matrix": "evaluation",
    "evaluate": "evaluation",
    "average_ce": "maths",
    "compute_layer": "maths",
    "grad_ce": "maths",
    "relu": "maths",
    "softmax": "maths",
    "Network": "network",
    "OPTIMIZERS": "optimizers",
    "Adam": "optimizers",
    "Momentum": "optimizers",
    "Nesterov": "optimizers",
    "SGD": "optimizers",
    "make_optimizer": "optimizers",
    "RunError": "runs",
    "RunRecord": "runs",
    "early_stopping_point": "runs",
    "new_run_dir": "runs",
    "read_run": "runs",
    "write_run": "runs",
    "DIVERGED": "trainer",
    "EARLY_STOPPED": "trainer",
    "FINAL_STATES": "trainer",
    "FINISHED": "trainer",
    "HISTORY_COLUMNS": "trainer",
    "IDLE": "trainer",
    "PAUSED": "trainer",
    "RUNNING": "trainer",
    "STOPPED": "trainer",
    "EpochRecord": "trainer",
    "Trainer": "trainer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
