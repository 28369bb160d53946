"""The loaded :class:`Dataset`, the one error every loader raises, and a file's raw arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class DatasetError(ValueError):
    """One-line message naming the file and the problem.

    e.g. ``"data/x.npz: labels has 90 entries but images has 100"``.
    """

    def __init__(self, message: str) -> None:
        # Keep the one-line promise even when an OS message or a file name has a newline.
        super().__init__(" ".join(str(message).splitlines()))


@dataclass(frozen=True, eq=False)
class Dataset:
    """A dataset split three ways, images flattened to rows.

    ``x_*`` are ``(n, n_features)`` float32 in [0, 1], C-contiguous as the loaders
    return them (a `Trainer`'s own copy is cast to its dtype and strided); ``y_*`` are
    ``(n,)`` int64 indices into ``class_names``. ``eq=False`` because comparing
    arrays element-wise has no single truth value; arrays stay out of ``repr``.
    """

    name: str
    source: str
    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_valid: np.ndarray = field(repr=False)
    y_valid: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    class_names: tuple[str, ...]
    image_shape: tuple[int, int]
    split: str

    @property
    def n_classes(self) -> int:
        """Number of classes: the width of the network's output layer."""
        return len(self.class_names)

    @property
    def n_features(self) -> int:
        """Inputs per sample: ``height * width`` for images."""
        return int(self.x_train.shape[1])


@dataclass
class _Raw:
    """Validated arrays from a file, before scaling and splitting.

    ``x`` is ``(n, n_features)`` in the file's dtype and ``y`` is ``(n,)`` int64.
    ``valid``/``test`` are ``(x, y)`` pairs when the file carries its own sets.
    """

    x: np.ndarray
    y: np.ndarray
    image_shape: tuple[int, int]
    class_names: tuple[str, ...] | None = None
    valid: tuple[np.ndarray, np.ndarray] | None = None
    test: tuple[np.ndarray, np.ndarray] | None = None
    train_origin: str = ""  # what a file's own test set was split off from, e.g. "the train file"
    test_origin: str = ""   # where that test set came from, e.g. "t10k files"
    min_classes: int = 2    # fewest class names to invent when the file gives none
