"""Checks on images and labels as read, and the class names a file without any gets."""

from __future__ import annotations

import math

import numpy as np

from .dataset import IMAGE, TABULAR, DatasetError, _Raw
from .labels import MAX_CLASSES, label_shape

FASHION_CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
LETTER_CLASS_NAMES = tuple("ABCDEFGHIJ")

# Flat rows of a square length below this side (4, 16, 49 features) are tabular.
MIN_IMAGE_SIDE = 8


def _check_images(images: np.ndarray, key: str, where: str) -> tuple[np.ndarray, tuple[int, ...], str]:
    """Rows ``(n, features)``, the image shape and the kind ("image" or "tabular").

    ``(n, h, w)``, ``(n, h, w, 1)`` and ``(n, 1, h, w)`` are grey images; ``(n, h, w, 3)``
    and ``(n, 3, h, w)`` colour ones (channels-first is moved to channels-last rows;
    channels-last wins when both readings fit). Flat rows whose length is a square of
    side >= 8 are taken as square grey images, any other length as tabular features
    (image shape ``(1, d)``). Values must be finite numbers; their range decides the
    scaling later, over all sets at once.
    """
    shape = images.shape
    if images.dtype.kind == "b":
        images = images.astype(np.uint8)
    if images.dtype.kind not in "uif":
        raise DatasetError(f"{where}: {key} has dtype {images.dtype}; expected numbers")
    if len(shape) >= 1 and shape[0] == 0:
        raise DatasetError(f"{where}: {key} is empty (shape {shape})")
    kind = IMAGE
    if len(shape) == 3:
        image_shape = (shape[1], shape[2])
    elif len(shape) == 4 and shape[3] in (1, 3):
        image_shape = (shape[1], shape[2]) if shape[3] == 1 else (shape[1], shape[2], 3)
    elif len(shape) == 4 and shape[1] in (1, 3):
        images = np.ascontiguousarray(images.transpose(0, 2, 3, 1))
        image_shape = (shape[2], shape[3]) if shape[1] == 1 else (shape[2], shape[3], 3)
    elif len(shape) == 4:
        raise DatasetError(
            f"{where}: {key} has shape {shape}: {_channels(shape)} channels; expected 1 (grey) or 3 (RGB),"
            " as (N, H, W, C) or (N, C, H, W)"
        )
    elif len(shape) == 2:
        side = math.isqrt(shape[1])
        if side >= MIN_IMAGE_SIDE and side * side == shape[1]:
            image_shape = (side, side)
        else:
            image_shape, kind = (1, shape[1]), TABULAR
    else:
        image_shape = (0, 0)
    if min(image_shape) == 0:
        raise DatasetError(
            f"{where}: {key} has shape {shape};"
            " expected images (N, H, W), (N, H, W, C), (N, C, H, W) or rows of features (N, D)"
        )
    flat = images.reshape(shape[0], -1)
    _check_values(flat, key, where)
    return flat, image_shape, kind


def _channels(shape: tuple[int, ...]) -> int:
    """The channel count a 4-D shape most likely means: the short axis, first or last."""
    return shape[1] if shape[1] < shape[3] else shape[3]


def _check_values(x: np.ndarray, key: str, where: str) -> None:
    """Reject NaN and inf in ``x`` ``(n, features)``."""
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise DatasetError(f"{where}: {key} contains NaN or inf")


def _check_labels(labels: np.ndarray, key: str, n_images: int, x_key: str, where: str) -> np.ndarray:
    """Labels ``(n,)`` or one-hot ``(n, K)`` as read; turned into indices by `labels.normalise`."""
    return label_shape(labels, key, n_images, x_key, where)


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
        return LETTER_CLASS_NAMES[:n_classes]
    if n_classes <= 10 and "fashion" in lowered:
        return FASHION_CLASS_NAMES[:n_classes]
    return tuple(str(k) for k in range(n_classes))

