"""Checks on images and labels as read, and the class names a file without any gets."""

from __future__ import annotations

import math

import numpy as np

from .dataset import DatasetError, _Raw
from .text import _number

FASHION_CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
LETTER_CLASS_NAMES = tuple("ABCDEFGHIJ")

# Larger label values are corrupt data, not class indices; the cap also keeps
# float labels safely castable to int64.
MAX_CLASSES = 10_000


def _check_images(images: np.ndarray, key: str, where: str) -> tuple[np.ndarray, tuple[int, int]]:
    """Images ``(n, h, w)``, ``(n, h, w, 1)`` or ``(n, d)`` as ``(n, features)`` plus ``(h, w)``.

    Flat rows of a perfect-square length are taken as square images; other
    lengths get image shape ``(1, d)``. Values are checked here too: finite,
    and within 0..255 (scaling is decided later, over all sets at once).
    """
    shape = images.shape
    if images.dtype.kind not in "uif":
        raise DatasetError(f"{where}: {key} has dtype {images.dtype}; expected numbers")
    if len(shape) >= 1 and shape[0] == 0:
        raise DatasetError(f"{where}: {key} is empty (shape {shape})")
    if len(shape) == 3 or (len(shape) == 4 and shape[3] == 1):
        image_shape = (shape[1], shape[2])
    elif len(shape) == 2:
        side = math.isqrt(shape[1])
        image_shape = (side, side) if side * side == shape[1] else (1, shape[1])
    else:
        image_shape = (0, 0)
    if min(image_shape) == 0:
        raise DatasetError(
            f"{where}: {key} has non-image shape {shape};"
            " expected (N, H, W), (N, H, W, 1) or (N, features)"
        )
    flat = images.reshape(shape[0], -1)
    _check_pixel_values(flat, key, where)
    return flat, image_shape


def _check_pixel_values(x: np.ndarray, key: str, where: str) -> None:
    """Reject NaN/inf and values outside 0..255 in ``x`` ``(n, features)``."""
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise DatasetError(f"{where}: {key} contains NaN or inf")
    if x.dtype == np.uint8:
        return
    low, high = x.min(), x.max()
    if low < 0 or high > 255:
        raise DatasetError(
            f"{where}: {key} has values outside 0..255 (min {_number(low)}, max {_number(high)})"
        )


def _check_labels(labels: np.ndarray, key: str, n_images: int, x_key: str, where: str) -> np.ndarray:
    """Labels ``(n,)`` (or ``(n, 1)``) of whole non-negative numbers, as int64 ``(n,)``."""
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise DatasetError(
            f"{where}: {key} has shape {labels.shape}; expected one class index per image, shape (N,)"
        )
    if len(labels) != n_images:
        raise DatasetError(f"{where}: {key} has {len(labels)} entries but {x_key} has {n_images}")
    if labels.dtype.kind == "f":
        if not (np.isfinite(labels).all() and (labels == np.round(labels)).all()):
            raise DatasetError(f"{where}: {key} has values that are not integers")
    elif labels.dtype.kind not in "ui":
        raise DatasetError(f"{where}: {key} has values that are not integers (dtype {labels.dtype})")
    low, high = labels.min(), labels.max()
    if low < 0:
        raise DatasetError(f"{where}: {key} has negative values (min {_number(low)})")
    if high >= MAX_CLASSES:
        raise DatasetError(
            f"{where}: {key} goes up to {_number(high)}; at most {MAX_CLASSES} classes are supported"
        )
    return labels.astype(np.int64)


def _all_labels(raw: _Raw) -> list[np.ndarray]:
    """Every label array of ``raw``: the main one and the file's own valid/test sets."""
    return [raw.y] + [part[1] for part in (raw.valid, raw.test) if part is not None]


def _guess_class_names(raw: _Raw, path_text: str) -> tuple[str, ...]:
    """Class names for a file that has none, hinted by its path when the labels fit.

    ``notmnist`` in the path gives A..J, ``fashion`` the garment names; otherwise
    (or with labels past 9) the names are the digits ``"0"`` .. ``"K-1"``.
    """
    n_classes = max(int(y.max()) + 1 for y in _all_labels(raw))
    lowered = path_text.lower()
    if n_classes <= 10 and "notmnist" in lowered:
        return LETTER_CLASS_NAMES
    if n_classes <= 10 and "fashion" in lowered:
        return FASHION_CLASS_NAMES
    return tuple(str(k) for k in range(max(n_classes, raw.min_classes)))


def _check_label_range(raw: _Raw, class_names: tuple[str, ...], where: str) -> None:
    """Every label must index ``class_names``."""
    high = max(int(y.max()) for y in _all_labels(raw))
    if high >= len(class_names):
        raise DatasetError(
            f"{where}: labels go up to {high} but there are only {len(class_names)} class names"
        )
