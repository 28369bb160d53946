"""nntrain's headless core: a NumPy MLP, optimizers, the training loop, datasets and
checkpoints. Imports numpy and the standard library only."""

from .checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint, trainer_from_checkpoint
from .config import PRESETS, ConfigError, TrainConfig, build_config, read_toml, to_toml
from .datasets import Dataset, DatasetError, load_dataset
from .evaluation import Evaluation, confusion_matrix, evaluate
from .maths import average_ce, compute_layer, grad_ce, relu, softmax
from .network import Network
from .optimizers import OPTIMIZERS, Adam, Momentum, Nesterov, SGD, make_optimizer
from .runs import RunError, RunRecord, early_stopping_point, new_run_dir, read_run, write_run
from .trainer import (
    DIVERGED,
    EARLY_STOPPED,
    FINAL_STATES,
    FINISHED,
    HISTORY_COLUMNS,
    IDLE,
    PAUSED,
    RUNNING,
    STOPPED,
    EpochRecord,
    Trainer,
)

__all__ = [name for name in dir() if not name.startswith("_")]
