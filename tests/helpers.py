"""Shared builders for the core and CLI tests: tiny in-memory datasets, tiny .npz
files, configs that train in milliseconds, and comparisons that ignore `seconds`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.config import TrainConfig
from core.datasets import Dataset
from core.trainer import EpochRecord, Trainer

IMAGE_SHAPE = (8, 8)
N_FEATURES = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]


def make_xy(n: int, n_classes: int = 3, seed: int = 0, n_features: int = N_FEATURES) -> tuple[np.ndarray, np.ndarray]:
    """Learnable data: `(n, n_features)` float32 in [0, 1] and `(n,)` int64 labels.

    Each class has its own prototype image; samples are the prototype plus noise, so a
    small network's loss goes down within a few epochs.
    """
    rng = np.random.default_rng(seed)
    prototypes = np.random.default_rng(12345).random((n_classes, n_features))
    y = rng.integers(0, n_classes, n)
    x = 0.6 * prototypes[y] + 0.4 * rng.random((n, n_features))
    return x.astype(np.float32), y.astype(np.int64)


def make_dataset(
    n_train: int = 60,
    n_valid: int = 24,
    n_test: int = 24,
    n_classes: int = 3,
    seed: int = 0,
    n_features: int = N_FEATURES,
) -> Dataset:
    """A tiny in-memory `Dataset` with disjoint, differently-seeded train/valid/test sets."""
    x_train, y_train = make_xy(n_train, n_classes, seed, n_features)
    x_valid, y_valid = make_xy(n_valid, n_classes, seed + 1000, n_features)
    x_test, y_test = make_xy(n_test, n_classes, seed + 2000, n_features)
    return Dataset(
        name="tiny",
        source="memory",
        x_train=x_train, y_train=y_train,
        x_valid=x_valid, y_valid=y_valid,
        x_test=x_test, y_test=y_test,
        class_names=tuple(f"c{k}" for k in range(n_classes)),
        image_shape=IMAGE_SHAPE,
        split=f"{n_train}/{n_valid}/{n_test}",
    )


def with_sets(data: Dataset, **changes) -> Dataset:
    """A copy of `data` with some arrays replaced (Dataset is frozen)."""
    fields = {k: getattr(data, k) for k in (
        "name", "source", "x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test",
        "class_names", "image_shape", "split",
    )}
    fields.update(changes)
    return Dataset(**fields)


def write_npz_dataset(path: Path, n: int = 150, n_classes: int = 3, seed: int = 0) -> Path:
    """A small `.npz` with `x` `(n, 8, 8)` uint8 images and `y` `(n,)` labels."""
    x, y = make_xy(n, n_classes, seed)
    images = np.round(x * 255).astype(np.uint8).reshape(n, *IMAGE_SHAPE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez(handle, x=images, y=y.astype(np.uint8))
    return path


def tiny_config(**changes) -> TrainConfig:
    """A config that trains the tiny dataset in milliseconds (mini-batch momentum)."""
    base = dict(hidden=(8,), epochs=3, batch_size=16, lr=0.1, optimizer="momentum", momentum=0.9, seed=0)
    base.update(changes)
    return TrainConfig(**base).validate()


def train(config: TrainConfig, data: Dataset) -> Trainer:
    """A trainer run to the end of its generator."""
    trainer = Trainer(config, data)
    for _ in trainer.run():
        pass
    return trainer


def history_rows(history: list[EpochRecord] | list[dict]) -> list[dict]:
    """Epoch records as dicts without the wall-clock `seconds` field."""
    rows = []
    for r in history:
        d = dict(r.to_dict() if isinstance(r, EpochRecord) else r)
        d.pop("seconds", None)
        d.pop("best", None)
        d.pop("warnings", None)
        rows.append(d)
    return rows


def params_of(trainer_or_net) -> list[np.ndarray]:
    """Copies of the parameters of a `Trainer` or a `Network`."""
    net = getattr(trainer_or_net, "network", trainer_or_net)
    return [p.copy() for p in net.params]


def assert_params_identical(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    """Bit-identical parameter lists (same dtype, shape and bytes)."""
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        assert x.dtype == y.dtype, f"param {i}: dtype {x.dtype} != {y.dtype}"
        assert x.shape == y.shape, f"param {i}: shape {x.shape} != {y.shape}"
        assert x.tobytes() == y.tobytes(), f"param {i} differs (max |diff| {np.max(np.abs(x - y))})"


def numeric_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + h e_i) - f(x - h e_i)) / 2h of the scalar `f` at each
    entry of `x` (any shape, float64): an independent check of an analytic gradient."""
    numeric = np.empty_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (f(up) - f(down)) / (2 * h)
    return numeric

