"""Read a pair of ``.npy`` files: the samples and, beside them, their labels.

``--data x.npy`` finds its labels in a sibling named after it: ``y.npy`` or
``labels.npy`` for ``x.npy``; ``Y.npy`` for ``X.npy``; ``labels.npy`` for
``images.npy``; ``<stem>_y.npy`` / ``<stem>_labels.npy`` for ``<stem>_x.npy`` /
``<stem>_images.npy``. Headers are checked against the file size and the memory
available before anything is read; loading never unpickles.
"""

from __future__ import annotations

import pathlib

import numpy as np

from .dataset import DatasetError, _Raw
from .safety import check_declared, check_fits, check_regular, npy_header
from .text import _describe
from .validate import _check_images, _check_labels

_LABEL_STEMS = {"x": ("y", "labels"), "X": ("Y", "y", "labels"), "images": ("labels",), "inputs": ("labels", "targets")}
_SUFFIXES = {"_x": ("_y", "_labels"), "_X": ("_Y", "_y", "_labels"), "_images": ("_labels",), "_inputs": ("_labels", "_targets")}


def label_candidates(file: pathlib.Path) -> list[pathlib.Path]:
    """Sibling names that would hold the labels of ``file``, in the order looked for."""
    stem = file.stem
    names = list(_LABEL_STEMS.get(stem, ()))
    for suffix, replacements in _SUFFIXES.items():
        if stem.endswith(suffix):
            names += [stem[: -len(suffix)] + r for r in replacements]
    return [file.with_name(n + ".npy") for n in names]


def _read_npy_pair(file: pathlib.Path, where: str) -> _Raw:
    candidates = label_candidates(file)
    if not candidates:
        looked = "x.npy + y.npy (or labels.npy), images.npy + labels.npy, or NAME_x.npy + NAME_y.npy"
        raise DatasetError(f"{where}: a .npy dataset is a pair of files: {looked}; pass the samples file")
    labels_file = next((c for c in candidates if c.exists()), None)
    if labels_file is None:
        names = " or ".join(c.name for c in candidates)
        raise DatasetError(f"{where}: no labels file beside it (looked for {names})")
    x = _load(file, where, "samples")
    y = _load(labels_file, str(labels_file), "labels")
    x, image_shape, kind = _check_images(x, file.name, where)
    y = _check_labels(y, labels_file.name, len(x), file.name, where)
    return _Raw(x, y, image_shape, kind=kind)


def _load(file: pathlib.Path, where: str, what: str) -> np.ndarray:
    info = check_regular(file, where)
    try:
        with open(file, "rb") as handle:
            shape, dtype, header = npy_header(handle)
    except (OSError, ValueError, EOFError) as error:
        raise DatasetError(f"{where}: not a .npy array ({_describe(error)})") from None
    if dtype.hasobject:
        raise DatasetError(f"{where}: holds a pickled object array; refusing to unpickle it")
    nbytes = check_declared(shape, dtype, header, info.st_size, where, what)
    check_fits(nbytes, nbytes // max(1, dtype.itemsize), where)
    try:
        return np.load(file, allow_pickle=False)
    except MemoryError:
        raise DatasetError(f"{where}: not enough memory to load it") from None
    except (OSError, ValueError, EOFError) as error:
        raise DatasetError(f"{where}: not a readable .npy array ({_describe(error)})") from None
