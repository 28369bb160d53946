"""The loaded :class:`Dataset`, the one error every loader raises, and a file's raw arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .preprocess import Preprocess

IMAGE, TABULAR = "image", "tabular"


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

    ``x_*`` are ``(n, n_features)`` float32 network inputs (pixels in [0, 1], or
    standardised features: see ``preprocess``), C-contiguous as the loaders return them
    (a `Trainer`'s own copy is cast to its dtype and strided); ``y_*`` are ``(n,)``
    int64 indices into ``class_names``. ``eq=False`` because comparing arrays
    element-wise has no single truth value; arrays stay out of ``repr``.

    ``image_shape`` is ``(h, w)`` for grey images, ``(h, w, c)`` for colour ones (rows
    hold pixels channels-last, ``h * w * c`` features), and ``(1, n_features)`` for
    tabular data (``kind == "tabular"``). ``preprocess`` turned the file's raw values
    into ``x_*`` and is what a model applies to new inputs. ``warnings`` are one-line
    notes for the user (skipped files, resized images, a class missing from a set);
    ``skipped`` names every unreadable file that was left out.
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
    image_shape: tuple[int, ...]
    split: str
    preprocess: Preprocess = field(default_factory=Preprocess, repr=False)
    kind: str = IMAGE
    warnings: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()

    @property
    def is_image(self) -> bool:
        return self.kind == IMAGE

    @property
    def channels(self) -> int:
        """1 for grey images and tabular data, 3 for colour images."""
        return int(self.image_shape[2]) if len(self.image_shape) == 3 else 1

    @property
    def n_classes(self) -> int:
        """Number of classes: the width of the network's output layer."""
        return len(self.class_names)

    @property
    def n_features(self) -> int:
        """Inputs per sample: ``height * width * channels`` for images."""
        return int(self.x_train.shape[1])


@dataclass
class _Raw:
    """Validated arrays from a file, before scaling and splitting.

    ``x`` is ``(n, n_features)`` in the file's dtype and ``y`` is ``(n,)`` int64.
    ``valid``/``test`` are ``(x, y)`` pairs when the file carries its own sets.
    ``image_shape`` and ``kind`` as in `Dataset`; ``notes`` and ``skipped`` become the
    dataset's ``warnings`` and ``skipped``.
    """

    x: np.ndarray
    y: np.ndarray
    image_shape: tuple[int, ...]
    class_names: tuple[str, ...] | None = None
    valid: tuple[np.ndarray, np.ndarray] | None = None
    test: tuple[np.ndarray, np.ndarray] | None = None
    train_origin: str = ""  # what a file's own test set was split off from, e.g. "the train file"
    test_origin: str = ""   # where that test set came from, e.g. "t10k files"
    kind: str = IMAGE
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
