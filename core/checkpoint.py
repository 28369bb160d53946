"""Checkpoints: network, optimizer state, config, history and RNG state in one `.npz`.

A final checkpoint (`model.npz`) holds the training state at the last completed epoch
(weights, optimizer state and RNG that go together, so it resumes exactly) plus the
best epoch's weights; a best checkpoint (`best.npz`) holds the best epoch's weights
only. `meta["weights_epoch"]` says which epoch the file's own weights are from, and
`meta["result"]` which weights are the run's result (the best epoch's when the run
restored them, else the last epoch's): `default_network()` gives those.

Everything non-numeric is stored as one JSON string array, so the file loads with
`allow_pickle=False`: a model file from someone else can never run code.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic import atomic_open
from .config import ConfigError, TrainConfig, build_config, config_from_dict
from .datasets import IMAGE, NPZ_READ_ERRORS, TABULAR, Dataset, Preprocess
from .errors import one_line
from .network import Network
from .trainer import EpochRecord, Trainer

FORMAT = "nntrain-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A model file that cannot be read; one line naming the file and the problem."""


@dataclass
class Checkpoint:
    path: Path
    config: TrainConfig
    meta: dict
    params: dict[str, np.ndarray]
    best_params: dict[str, np.ndarray]
    optimizer: dict[str, np.ndarray]
    _preprocess: Preprocess = field(default_factory=Preprocess, repr=False)

    @property
    def history(self) -> list[EpochRecord]:
        return [EpochRecord.from_dict(r) for r in self.meta["history"]]

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(self.meta["sizes"])

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(self.meta.get("class_names") or ())

    @property
    def kind(self) -> str:
        """"final" (model.npz: the training state) or "best" (best.npz: weights only)."""
        return str(self.meta.get("kind", "final"))

    @property
    def best_epoch(self) -> int:
        return int(self.meta.get("best_epoch", 0))

    @property
    def restores_best(self) -> bool:
        """Whether the run's result is its best epoch's weights (restore_best with early
        stopping on; files from before `meta["result"]` existed are read by that rule)."""
        result = self.meta.get("result")
        if isinstance(result, dict) and "weights" in result:
            return result["weights"] == "best"
        return bool(self.config.restore_best and self.config.early_stop)

    @property
    def weights_epoch(self) -> int:
        """The epoch the file's own weights (`params`) are from."""
        if "weights_epoch" in self.meta:
            return int(self.meta["weights_epoch"])
        # Older files: best.npz held the best weights; an early-stopped model.npz with
        # restore_best held them too (the weights were restored before saving).
        old_restored = self.meta.get("status") == "early-stopped" and self.config.restore_best
        return self.best_epoch if self.kind == "best" or old_restored else len(self.meta["history"])

    def weights(self, which: str = "auto") -> tuple[str, int, str]:
        """(which weights, their epoch, why) for `which` in auto | final | best.

        auto is the run's result; final is the file's own weights (for best.npz, those
        are the best epoch's: it holds no others). CheckpointError if not held."""
        if which == "auto":
            which = "best" if self.restores_best else "final"
            why = (f"the run's result; restore_best with early stopping on keeps the best epoch by "
                   f"{self.config.monitor}" if which == "best" else "the run's result, its last epoch")
        elif which == "final":
            why = "as asked, the last completed epoch"
        elif which == "best":
            why = f"as asked, the best epoch by {self.config.monitor}"
        else:
            raise CheckpointError(f"{self.path}: weights must be auto, final or best (got {which!r})")
        if self.kind == "best":
            if which == "final" and self.weights_epoch != len(self.meta["history"]):
                raise CheckpointError(
                    f"{self.path}: holds the best epoch's weights only (epoch {self.weights_epoch}); "
                    "the last epoch's are in model.npz"
                )
            return "best", self.weights_epoch, why
        if which == "best":
            if not self.best_params or not self.best_epoch:
                raise CheckpointError(f"{self.path}: holds no best epoch's weights")
            return "best", self.best_epoch, why
        return "final", self.weights_epoch, why

    @property
    def preprocess(self) -> Preprocess:
        """How raw inputs become this network's inputs (pixels / 255 for old model files)."""
        return self._preprocess

    @property
    def image_shape(self) -> tuple[int, ...]:
        """``(h, w)``, ``(h, w, c)`` or ``(1, n_features)`` as the dataset had it."""
        shape = (self.meta.get("dataset") or {}).get("image_shape")
        return tuple(int(s) for s in shape) if shape else (1, self.sizes[0])

    @property
    def data_kind(self) -> str:
        """"image" or "tabular"; model files from before tabular data are images."""
        return (self.meta.get("dataset") or {}).get("kind") or IMAGE

    @property
    def channels(self) -> int:
        return self.image_shape[2] if len(self.image_shape) == 3 else 1

    def network(self, best: bool = False) -> Network:
        """The file's own weights (the last epoch's in model.npz), or with `best` the best
        epoch's."""
        # Files from before activations existed have none in their config: relu, the default.
        net = Network(self.sizes, dtype=self.config.dtype, init=self.config.init, activation=self.config.activation)
        net.load_state(self.best_params if best and self.best_params else self.params)
        return net

    def default_network(self) -> Network:
        """The weights the run's result uses: the best epoch's when the run restored
        them, else the last epoch's (what evaluate, the app and predict use by default)."""
        which, _, _ = self.weights("auto")
        return self.network(best=which == "best")


def save_checkpoint(trainer: Trainer, path: str | os.PathLike, best: bool = False) -> Path:
    """Write the trainer's full state atomically; `best=True` stores the best weights
    as the network and no optimizer state (for `best.npz`: it is not resumable, and the
    optimizer state is the last epoch's, which does not go with those weights)."""
    net = trainer.network
    arrays: dict[str, np.ndarray] = {}
    params = trainer.best_params if best else net.params
    for name, p in zip(net.param_names(), params):
        arrays[f"param.{name}"] = p
    if not best:  # best.npz's own weights are the best ones: no second copy
        for name, p in zip(net.param_names(), trainer.best_params):
            arrays[f"best.{name}"] = p
        for key, a in trainer.optimizer.state().items():
            arrays[f"opt.{key}"] = a
    result = "best" if trainer.restores_best and trainer.best_epoch else "final"
    for key, a in trainer.data.preprocess.arrays().items():
        arrays[f"prep.{key}"] = a
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "kind": "best" if best else "final",
        "weights_epoch": trainer.best_epoch if best else trainer.epoch,
        "result": {"weights": result, "epoch": trainer.result_epoch, "file": "best.npz" if result == "best" else "model.npz"},
        "config": trainer.config.to_dict(),
        "sizes": list(net.sizes),
        "history": [r.to_dict() for r in trainer.history],
        "best_epoch": trainer.best_epoch,
        "bad_epochs": trainer.bad_epochs,
        "status": trainer.status,
        "message": trainer.message,
        "rng": trainer.rng.bit_generator.state,
        "dataset": {
            "name": trainer.data.name,
            "source": trainer.data.source,
            "split": trainer.data.split,
            "image_shape": list(trainer.data.image_shape),
            "kind": trainer.data.kind,
        },
        "preprocess": trainer.data.preprocess.to_meta(),
        "class_names": list(trainer.data.class_names),
    }
    arrays["meta"] = np.array(json.dumps(meta))
    path = Path(path)
    with atomic_open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by `save_checkpoint`; CheckpointError on anything else."""
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{p}: model file not found")
    try:
        with open(p, "rb") as handle:
            head = handle.read(4)
        # numpy would call any non-zip file "pickled data": say what it is instead.
        if head != b"PK\x03\x04":
            raise ValueError("a single .npy array, not an .npz archive" if head == b"\x93NUM" else "not an .npz archive")
        loaded = np.load(p, allow_pickle=False)
        with loaded as npz:
            arrays = {k: npz[k] for k in npz.files}
    except NPZ_READ_ERRORS as exc:
        raise CheckpointError(f"{p}: not an nntrain model file ({one_line(exc)})") from None
    if "meta" not in arrays:
        raise CheckpointError(f"{p}: not an nntrain model file (no 'meta' entry)")
    try:
        meta = json.loads(str(arrays["meta"]))
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError("wrong format tag")
        config = config_from_dict(meta["config"]).validate()
        sizes = [int(s) for s in meta["sizes"]]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"layer sizes {sizes}")
        # What evaluate and resume read later, checked here so it fails here, in one line.
        history = [EpochRecord.from_dict(r) for r in meta["history"]]
        if not 0 <= int(meta["best_epoch"]) <= len(history) or int(meta["bad_epochs"]) < 0:
            raise ValueError(f"best epoch {meta['best_epoch']} of {len(history)}")
        if not 0 <= int(meta.get("weights_epoch", 0)) <= len(history):
            raise ValueError(f"weights epoch {meta['weights_epoch']} of {len(history)}")
        np.random.default_rng().bit_generator.state = meta["rng"]
    except (ValueError, KeyError, TypeError, AttributeError, ConfigError) as exc:
        raise CheckpointError(f"{p}: unreadable model metadata ({one_line(exc)})") from None
    params = {k[6:]: v for k, v in arrays.items() if k.startswith("param.")}
    best = {k[5:]: v for k, v in arrays.items() if k.startswith("best.")}
    opt = {k[4:]: v for k, v in arrays.items() if k.startswith("opt.")}
    # Check shapes before building anything: a hostile file could claim a huge network.
    shapes = _param_shapes(sizes)
    groups = [("param", params)] + ([("best", best)] if best else [])
    groups += [(f"opt.{slot}", {n: opt.get(f"{slot}{i}") for i, n in enumerate(shapes)}) for slot in _opt_slots(opt)]
    for prefix, group in groups:
        for name, shape in shapes.items():
            a = group.get(name)
            if a is None or a.shape != shape or a.dtype.kind != "f":
                found = "missing" if a is None else f"{a.dtype} {a.shape}"
                raise CheckpointError(f"{p}: {prefix} {name} should be float {shape}, found {found}")
            if not np.isfinite(a).all():
                raise CheckpointError(f"{p}: {prefix} {name} holds NaN or infinite values")
    preprocess = _check_preprocess(p, meta, arrays, sizes)
    return Checkpoint(p, config, meta, params, best, opt, preprocess)


def _check_preprocess(p: Path, meta: dict, arrays: dict[str, np.ndarray], sizes: list[int]) -> Preprocess:
    """The stored preprocess and input shape, checked against the network's input size."""
    n_in = sizes[0]
    stored = {k[5:]: v for k, v in arrays.items() if k.startswith("prep.")}
    for key, a in stored.items():
        if a.shape != (n_in,) or a.dtype.kind != "f":
            raise CheckpointError(f"{p}: prep.{key} should be float ({n_in},), found {a.dtype} {a.shape}")
        if not np.isfinite(a).all():
            raise CheckpointError(f"{p}: prep.{key} holds NaN or infinite values")
        if key == "std" and not (a > 0).all():
            raise CheckpointError(f"{p}: prep.std must be positive, found {float(a.min()):g}")
    dataset = meta.get("dataset") or {}
    try:
        preprocess = Preprocess.from_stored(meta.get("preprocess"), stored)
        shape = dataset.get("image_shape")
        if shape is not None:
            shape = [int(s) for s in shape]
            if not 2 <= len(shape) <= 3 or min(shape) < 1 or int(np.prod(shape)) != n_in:
                raise ValueError(f"image_shape {shape} does not give the network's {n_in} inputs")
        if dataset.get("kind", IMAGE) not in (IMAGE, TABULAR):
            raise ValueError(f"dataset kind {dataset.get('kind')!r}")
    except (ValueError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{p}: unreadable model metadata ({one_line(exc)})") from None
    return preprocess


def _opt_slots(opt: dict[str, np.ndarray]) -> set[str]:
    """Optimizer slot names ("v", "m", "s") present, from keys like "v0", "v1"."""
    return {k.rstrip("0123456789") for k in opt if k != "t"}


def _param_shapes(sizes: list[int]) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        shapes[f"W{l}"], shapes[f"b{l}"] = (a, b), (b,)
    return shapes


# What a resumed run may change: how long it goes on and where the data now lives.
# Anything else would change the network, the optimizer or the order of the data.
# restore_best and train_eval only change what is reported and kept, not the training.
RESUMABLE = ("epochs", "early_stop", "min_delta", "data", "split", "restore_best", "train_eval")


def resumed_config(ckpt: Checkpoint, changes: dict) -> TrainConfig:
    """The checkpoint's config with `changes` (RESUMABLE fields, raw or typed values),
    validated; CheckpointError when a change is not allowed or adds no epoch."""
    fixed = sorted(set(changes) - set(RESUMABLE))
    if fixed:
        raise CheckpointError(f"{ckpt.path}: a resumed run continues as it was; cannot change {', '.join(fixed)}")
    config = build_config(overrides={**ckpt.config.to_dict(), **changes})
    done = len(ckpt.meta["history"])
    if config.epochs <= done:
        raise CheckpointError(f"{ckpt.path}: already trained {done} epochs; give more epochs than that to continue")
    return config


def trainer_from_checkpoint(ckpt: Checkpoint, data: Dataset, config: TrainConfig | None = None) -> Trainer:
    """A trainer that continues exactly where the checkpoint left off.

    `config` may raise `epochs` (train longer); anything that changes the network or
    optimizer shape must match the checkpoint.
    """
    config = config or ckpt.config
    if ckpt.meta.get("kind") == "best":
        raise CheckpointError(
            f"{ckpt.path}: holds the best epoch's weights only, not the state to continue from; resume from model.npz"
        )
    if (data.n_features, *config.hidden, data.n_classes) != ckpt.sizes:
        raise CheckpointError(
            f"{ckpt.path}: network {ckpt.sizes} does not fit dataset {data.name} "
            f"({data.n_features} features, {data.n_classes} classes) and hidden {config.hidden}"
        )
    if data.preprocess.kind != ckpt.preprocess.kind:
        raise CheckpointError(
            f"{ckpt.path}: the model's inputs were {ckpt.preprocess.describe()}; {data.name}'s are {data.preprocess.describe()}"
        )
    trainer = Trainer(config, data)
    trainer.network.load_state(ckpt.params)
    try:
        trainer.optimizer.load_state(ckpt.optimizer)
    except (KeyError, ValueError):
        raise CheckpointError(f"{ckpt.path}: optimizer state does not match optimizer {config.optimizer!r}") from None
    if ckpt.best_params:
        for keep, name in zip(trainer.best_params, trainer.network.param_names()):
            np.copyto(keep, ckpt.best_params[name])
    trainer.history = ckpt.history
    trainer.best_epoch = int(ckpt.meta["best_epoch"])
    trainer.bad_epochs = int(ckpt.meta["bad_epochs"])
    trainer.rng.bit_generator.state = ckpt.meta["rng"]
    return trainer


