"""Builders for the app tests: a tiny .npz dataset, configs that train in milliseconds,
fixed seeded histories and evaluations (for snapshots), and async helpers."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import numpy as np

from core import Dataset, EpochRecord, Evaluation, TrainConfig
from tui.run_buffer import Run

SIZE = (80, 24)
WIDE = (120, 40)


def write_tiny_npz(path: Path, n: int = 300, n_classes: int = 3, side: int = 8, seed: int = 0) -> Path:
    """`n` learnable `side`x`side` uint8 images under keys x/y (a prototype per class plus noise)."""
    rng = np.random.default_rng(seed)
    prototypes = np.random.default_rng(12345).random((n_classes, side, side))
    y = rng.integers(0, n_classes, n)
    x = 0.6 * prototypes[y] + 0.4 * rng.random((n, side, side))
    np.savez(path, x=(255 * x).astype(np.uint8), y=y.astype(np.int64))
    return path


def tiny_config(data: Path | str, **changes) -> TrainConfig:
    base = TrainConfig(data=str(data), hidden=(8,), epochs=3, batch_size=32, lr=0.05, seed=0)
    return base.replace(**changes).validate()


def fixed_history(epochs: int = 20, seed: int = 7) -> list[EpochRecord]:
    """A plausible, seeded learning curve: losses fall, accuracies rise, valid overfits late."""
    rng = np.random.default_rng(seed)
    records = []
    for e in range(1, epochs + 1):
        t = e / epochs
        train_loss = 1.2 * np.exp(-3 * t) + 0.15 + 0.01 * rng.standard_normal()
        valid_loss = 1.2 * np.exp(-3 * t) + 0.3 + 0.25 * max(0.0, t - 0.6) ** 2 + 0.01 * rng.standard_normal()
        test_loss = valid_loss + 0.02 + 0.01 * rng.standard_normal()
        records.append(EpochRecord(
            epoch=e,
            train_loss=round(float(train_loss), 4),
            train_acc=round(float(min(0.99, 0.55 + 0.4 * (1 - np.exp(-4 * t)))), 4),
            valid_acc=round(float(0.52 + 0.33 * (1 - np.exp(-4 * t)) - 0.02 * max(0.0, t - 0.6)), 4),
            valid_loss=round(float(valid_loss), 4),
            test_loss=round(float(test_loss), 4),
            test_acc=round(float(0.51 + 0.33 * (1 - np.exp(-4 * t))), 4),
            lr=0.05,
            seconds=0.5,
        ))
    return records


def best_by_valid_loss(history: list[EpochRecord]) -> int:
    return min(history, key=lambda r: r.valid_loss).epoch


FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def fixed_dataset(n_test: int = 40, side: int = 28, n_classes: int = 10, seed: int = 3) -> Dataset:
    """Synthetic test images with clear shapes (a bright disc whose size is the class)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side]
    labels = np.arange(n_test) % n_classes
    images = []
    for k in labels:
        r = 3 + k
        disc = ((yy - side / 2 + 0.5) ** 2 + (xx - side / 2 + 0.5) ** 2) <= r * r
        images.append(np.clip(disc * 0.9 + 0.05 * rng.random((side, side)), 0, 1).ravel())
    x = np.asarray(images, dtype=np.float32)
    y = labels.astype(np.int64)
    empty_x, empty_y = x[:0], y[:0]
    return Dataset(
        name="fixed", source="memory",
        x_train=empty_x, y_train=empty_y, x_valid=empty_x, y_valid=empty_y, x_test=x, y_test=y,
        class_names=FASHION[:n_classes], image_shape=(side, side), split=f"0/0/{n_test}",
    )


def fixed_confusion(n_classes: int = 10, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    confusion = rng.integers(0, 6, (n_classes, n_classes))
    confusion[np.diag_indices(n_classes)] = rng.integers(180, 260, n_classes)
    confusion[6, 0], confusion[6, 2], confusion[4, 2] = 41, 57, 33  # shirts look like tops and pullovers
    return confusion


def fixed_run(hidden: tuple[int, ...] = (1000,), epochs: int = 20, seed: int = 7, with_evaluation: bool = False) -> Run:
    """A finished run with a fixed history (and, optionally, a fixed test-set evaluation)."""
    history = fixed_history(epochs, seed)
    config = TrainConfig(hidden=hidden, epochs=epochs)
    run = Run(number=0, config=config, history=history, best_epoch=best_by_valid_loss(history),
              status="finished", message=f"finished {epochs} epochs", class_names=FASHION)
    if with_evaluation:
        data = fixed_dataset()
        predictions = data.y_test.copy()
        predictions[::4] = (predictions[::4] + 2) % 10  # a mistake every fourth image
        confusion = fixed_confusion()
        run.data = data
        acc = float(np.trace(confusion) / confusion.sum())
        run.evaluation = Evaluation(loss=0.4321, accuracy=acc, confusion=confusion, predictions=predictions)
    return run


def async_test(fn):
    """Run an `async def` test body with asyncio (no pytest plugin needed)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


async def wait_until(predicate, timeout: float = 20.0, step: float = 0.02) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {getattr(predicate, '__name__', predicate)}")
        await asyncio.sleep(step)


async def wait_for_run(app, timeout: float | None = None):
    """Wait until the app's training worker has ended and its end was handled (with
    start=True the run begins just after the first refresh); the current run."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    while app.training:
        if deadline is not None and loop.time() > deadline:
            raise TimeoutError("the training run did not end in time")
        await asyncio.sleep(0.02)
    return app.current_run


async def finish_run(app, pilot, timeout: float = 30.0):
    """Wait for the current run to end and for the app to have handled its end."""
    await wait_until(lambda: app.current_run is not None and not app.current_run.live, timeout)
    await pilot.pause()
    return app.current_run


async def set_field(pilot, name: str, value: str) -> None:
    """Set a form input's text (as a paste would) and let validation run."""
    field = pilot.app.form.input(name)
    field.value = value
    await pilot.pause()
