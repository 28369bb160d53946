"""``load_dataset``: read a file or directory, name its classes, split and scale it."""

from __future__ import annotations

import os
import pathlib
from typing import Callable

from .bundled import BUNDLED, bundled_path
from .dataset import Dataset, DatasetError
from .idx import _read_idx_dir
from .images import is_image_folder, read_image_folder
from .npz import _read_npz
from .preprocess import Preprocess
from .split import _pixel_divisor, _split, _to_float, parse_split
from .validate import _check_label_range, _guess_class_names


# progress(done, total, what): called while a loader works through many files.
Progress = Callable[[int, int, str], None]


def load_dataset(
    path: str | os.PathLike | None = None,
    split: str | None = None,
    progress: Progress | None = None,
    preprocess: Preprocess | None = None,
) -> Dataset:
    """Load ``path`` (an ``.npz``, an IDX directory, or ``None``/``"bundled"``) and split it.

    ``progress`` is told how far a long load is (e.g. decoding thousands of image
    files). ``preprocess`` (a model's) is applied instead of one fitted to this
    dataset's train set, so a model sees new data exactly as it saw its own.

    ``split`` is ``"TRAIN,VALID"`` as for :func:`parse_split`. Without it, one
    array is split the course's way (shuffle with seed 521, then 10000/6000/rest)
    when it has at least 16001 samples, else 60/20/20; a file with its own test
    set keeps it and gives 1/6 of its training part to validation.
    """
    spec = None if split is None else parse_split(split)
    if path is None or (isinstance(path, str) and path == BUNDLED):
        file, source = bundled_path(), BUNDLED
    else:
        source = os.fspath(path)
        if not source:
            raise DatasetError("'': empty dataset path")
        file = pathlib.Path(source)

    where = str(file)
    if file.is_dir() and not _has_idx_files(file) and is_image_folder(file):
        raw = read_image_folder(file, where, progress=progress)
    elif file.is_dir():
        raw = _read_idx_dir(file, where)
    elif not file.exists():
        raise DatasetError(f"{where}: no such file or directory")
    else:
        raw = _read_npz(file, where)

    absolute = os.path.abspath(file)
    class_names = raw.class_names or _guess_class_names(raw, absolute)
    _check_label_range(raw, class_names, where)
    sets, description = _split(raw, spec, where)
    divisor = _pixel_divisor(raw)
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = (
        (_to_float(x, divisor), y) for x, y in sets
    )
    return Dataset(
        name=pathlib.Path(absolute).stem,
        source=source,
        x_train=x_train, y_train=y_train,
        x_valid=x_valid, y_valid=y_valid,
        x_test=x_test, y_test=y_test,
        class_names=class_names,
        image_shape=raw.image_shape,
        split=description,
        kind=raw.kind,
        warnings=tuple(raw.notes),
        skipped=tuple(raw.skipped),
    )


def _has_idx_files(directory: pathlib.Path) -> bool:
    """Whether ``directory`` holds any MNIST-style IDX file (they win over image files)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return True  # let the IDX reader name the problem
    return any("idx1-ubyte" in name or "idx3-ubyte" in name for name in names)
