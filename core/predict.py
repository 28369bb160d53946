"""Class probabilities of a saved model for new inputs: image files, folders of images,
or dataset files, each given the model's own preprocessing.

An image is decoded, converted to the model's channels, resized to its ``(h, w)``,
flattened channels-last and passed through ``checkpoint.preprocess``; images go through
the network in chunks (one forward per chunk). Bad input raises :class:`PredictError`
(one line) before anything is predicted; an unreadable image among many is reported
through ``on_error`` and the others go on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from .checkpoint import Checkpoint
from .datasets import PIXELS, TABULAR, DatasetError, Preprocess
from .datasets.imagefile import ImageReadError, is_image_name, read_image, resize, to_channels
from .datasets.load import DATASET_SUFFIXES, has_idx_files, read_raw
from .network import Network

CHUNK = 256  # images decoded and predicted together


class PredictError(ValueError):
    """Inputs a model cannot take; one line naming the input and the problem."""


@dataclass(frozen=True)
class Item:
    """One input to predict: an image file, or a whole dataset file (``dataset=True``)."""

    path: Path
    dataset: bool = False
    true: int | None = None  # class index from a folder named for the class


@dataclass(frozen=True, eq=False)
class Prediction:
    """``probabilities`` is ``(n_classes,)``; ``true`` is a class index when known."""

    input: str
    probabilities: np.ndarray
    true: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))

    def top(self, k: int) -> list[tuple[int, float]]:
        """The ``k`` likeliest classes, likeliest first, as (index, probability)."""
        order = np.argsort(-self.probabilities, kind="stable")[: max(1, k)]
        return [(int(i), float(self.probabilities[i])) for i in order]


def shape_text(shape: Sequence[int], kind: str = "image") -> str:
    """``(28, 28)`` -> ``"28x28 grey"``, ``(32, 32, 3)`` -> ``"32x32x3"``, tabular -> ``"tabular"``."""
    if kind == TABULAR:
        return "tabular"
    text = "x".join(str(int(s)) for s in shape)
    return f"{text} grey" if len(shape) == 2 else text


def is_dataset_path(path: Path) -> bool:
    """A dataset file by its name, or a folder holding IDX files."""
    if path.is_dir():
        return has_idx_files(path)
    return path.name.lower().endswith(DATASET_SUFFIXES)


def gather(paths: Sequence[str | os.PathLike], ckpt: Checkpoint) -> list[Item]:
    """The inputs to predict, in order; PredictError for a missing path, a folder with
    no image, or images given to a tabular model, before anything is predicted."""
    items: list[Item] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise PredictError(f"{path}: no such file or directory")
        if is_dataset_path(path):
            items.append(Item(path, dataset=True))
            continue
        if path.is_dir():
            found = _folder_images(path, ckpt.class_names)
            if not found:
                raise PredictError(f"{path}: no image files in this folder")
            items.extend(found)
        else:
            items.append(Item(path))
    if ckpt.data_kind == TABULAR:
        image = next((item for item in items if not item.dataset), None)
        if image is not None:
            raise PredictError(
                f"{image.path}: {ckpt.path.name} is a tabular model ({ckpt.sizes[0]} features); "
                "give it a data file (.npz, .npy, .csv), not an image"
            )
    return items


def _folder_images(folder: Path, class_names: Sequence[str]) -> list[Item]:
    """Image files under ``folder`` (recursively, sorted, hidden ones left out); when
    the sub-folder names are all class names, each file's class is its sub-folder's."""
    subdirs = [p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    labelled = bool(subdirs) and set(subdirs) <= set(class_names)
    index = {name: k for k, name in enumerate(class_names)}
    items = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or not is_image_name(name):
                continue
            path = Path(root) / name
            true = None
            if labelled:
                top = path.relative_to(folder).parts
                true = index.get(top[0]) if len(top) > 1 else None
            items.append(Item(path, true=true))
    return items


def image_row(image: np.ndarray, image_shape: Sequence[int]) -> tuple[np.ndarray, list[str]]:
    """A decoded image ``(h, w)`` or ``(h, w, 3)`` uint8 as a raw row ``(h*w*c,)`` uint8
    for a model of ``image_shape``, and notes on what was changed to fit."""
    notes = []
    channels = int(image_shape[2]) if len(image_shape) == 3 else 1
    have = 1 if image.ndim == 2 else image.shape[2]
    if have != channels:
        image = to_channels(image, channels)
        notes.append("colour converted to grey" if channels == 1 else "grey converted to colour")
    h, w = int(image_shape[0]), int(image_shape[1])
    if image.shape[:2] != (h, w):
        notes.append(f"resized from {image.shape[1]}x{image.shape[0]} to {w}x{h}")
        image = resize(image, (h, w))
    return image.reshape(-1), notes


def image_inputs(rows: np.ndarray, preprocess: Preprocess) -> np.ndarray:
    """Raw image rows ``(n, n_in)`` uint8 as the network's float32 inputs ``(n, n_in)``."""
    if preprocess.kind == PIXELS and preprocess.divisor != 255.0:
        # The model was trained on pixels already scaled (e.g. floats in [0, 1]): a
        # decoded file's 0..255 is brought into the same range first.
        rows = rows.astype(np.float32) * np.float32(preprocess.divisor / 255.0)
    return preprocess.apply(rows)


def predict_items(
    items: Sequence[Item],
    ckpt: Checkpoint,
    net: Network,
    on_error: Callable[[Path, str], None],
    read_dataset: Callable | None = None,
    chunk: int = CHUNK,
) -> Iterator[Prediction]:
    """Predictions for every image and every sample of every dataset file, in order.

    An unreadable image is passed to ``on_error(path, reason)`` and skipped; a dataset
    file that cannot be read or does not fit the model raises PredictError.
    """
    pending: list[Item] = []
    for item in items:
        if not item.dataset:
            pending.append(item)
            if len(pending) >= chunk:
                yield from _predict_images(pending, ckpt, net, on_error)
                pending = []
            continue
        if pending:
            yield from _predict_images(pending, ckpt, net, on_error)
            pending = []
        yield from _predict_dataset(item.path, ckpt, net, read_dataset or _read_raw, chunk)
    if pending:
        yield from _predict_images(pending, ckpt, net, on_error)


def _predict_images(items: list[Item], ckpt: Checkpoint, net: Network, on_error) -> Iterator[Prediction]:
    rows, kept = [], []
    for item in items:
        try:
            row, notes = image_row(read_image(item.path), ckpt.image_shape)
        except ImageReadError as error:
            on_error(item.path, str(error))
            continue
        rows.append(row)
        kept.append((item, notes))
    if not rows:
        return
    proba = net.predict_proba(image_inputs(np.stack(rows), ckpt.preprocess))
    for (item, notes), p in zip(kept, proba):
        yield Prediction(str(item.path), p, item.true, tuple(notes))


def _predict_dataset(path: Path, ckpt: Checkpoint, net: Network, read_dataset, chunk: int) -> Iterator[Prediction]:
    try:
        raw = read_dataset(path)
    except DatasetError as error:
        raise PredictError(str(error)) from None
    xs = [raw.x] + [part[0] for part in (raw.valid, raw.test) if part is not None]
    ys = [raw.y] + [part[1] for part in (raw.valid, raw.test) if part is not None]
    n_in = ckpt.sizes[0]
    if raw.x.shape[1] != n_in:
        raise PredictError(
            f"{path}: model takes {n_in} features ({shape_text(ckpt.image_shape, ckpt.data_kind)}); "
            f"file has {raw.x.shape[1]} ({shape_text(raw.image_shape, getattr(raw, 'kind', 'image'))})"
        )
    # A file's labels are the model's classes by name; plain indices (names "0".."K-1")
    # are taken as the model's class indices.
    names = tuple(raw.class_names or ())
    model_names = list(ckpt.class_names)
    if names == tuple(str(k) for k in range(len(names))) and names != tuple(model_names[: len(names)]):
        to_model = np.arange(len(names))
    else:
        to_model = np.array([model_names.index(n) if n in model_names else -1 for n in names] or [-1])
    n_classes = ckpt.sizes[-1]
    row = 0
    for x, y in zip(xs, ys):
        for start in range(0, len(x), chunk * 16):
            stop = start + chunk * 16
            proba = net.predict_proba(ckpt.preprocess.apply(x[start:stop]))
            for k, p in enumerate(proba):
                label = int(to_model[int(y[start + k])]) if int(y[start + k]) < len(to_model) else -1
                true = label if 0 <= label < n_classes else None
                yield Prediction(f"{path}[{row}]", p, true)
                row += 1


def _read_raw(path: Path):
    """A dataset file's samples in file order (no split, no scaling); a CSV without a
    label column (e.g. Kaggle's test.csv) is all features."""
    return read_raw(path, labels_optional=True)[0]
