"""``load_dataset``: read a file or directory, name its classes, split and scale it;
``read_raw``: the reading step alone (predict uses it on whole files)."""

from __future__ import annotations

import os
import pathlib
from typing import Callable

import numpy as np

from .bundled import BUNDLED, bundled_path
from .csvfile import _read_csv
from .dataset import IMAGE, Dataset, DatasetError, _Raw
from .idx import _read_idx_dir
from .images import is_image_folder, read_image_folder
from .labels import class_counts_problems, normalise
from .npy import _read_npy_pair
from .npz import _read_npz
from .preprocess import Preprocess
from .safety import check_regular
from .split import _split, parse_split
from .validate import _guess_class_names


# Files read by their name (others by their first bytes).
TABLE_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz")
DATASET_SUFFIXES = (".npz", ".npy", *TABLE_SUFFIXES)

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
    raw, file, source = read_raw(path, progress)
    where = str(file)
    sets, description = _split(raw, spec, where)
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = sets
    notes = list(raw.notes)
    notes += class_counts_problems(y_train, {"validation": y_valid, "test": y_test}, raw.class_names, where)
    if preprocess is None:
        preprocess = _choose_preprocess(raw, x_train)
    elif preprocess.n_features not in (None, raw.x.shape[1]):
        raise DatasetError(
            f"{where}: the model takes {preprocess.n_features} features but this data has {raw.x.shape[1]}"
        )
    try:
        inputs = [preprocess.apply(x) for x in (x_train, x_valid, x_test)]
    except MemoryError:
        raise DatasetError(f"{where}: not enough memory to scale the data") from None
    return Dataset(
        name=pathlib.Path(os.path.abspath(file)).stem,
        source=source,
        x_train=inputs[0], y_train=y_train,
        x_valid=inputs[1], y_valid=y_valid,
        x_test=inputs[2], y_test=y_test,
        class_names=raw.class_names,
        image_shape=raw.image_shape,
        split=description,
        preprocess=preprocess,
        kind=raw.kind,
        warnings=tuple(notes),
        skipped=tuple(raw.skipped),
    )


def read_raw(
    path: str | os.PathLike | None, progress: Progress | None = None, labels_optional: bool = False,
) -> tuple[_Raw, pathlib.Path, str]:
    """A dataset file's validated arrays in file order, before any split or scaling:
    ``(raw, file, source)``. Labels are class indices and ``raw.class_names`` is set.
    With `labels_optional` (inputs to predict), a CSV without a label column is read
    as features only: its labels are all -1 and it has no class names."""
    if path is None or (isinstance(path, str) and path == BUNDLED):
        file, source = bundled_path(), BUNDLED
    else:
        source = os.fspath(path)
        if not source:
            raise DatasetError("'': empty dataset path")
        file = pathlib.Path(source).expanduser()
    where = str(file)
    check_regular(file, where)
    try:
        raw = _read_any(file, where, progress, labels_optional)
    except MemoryError:
        raise DatasetError(f"{where}: not enough memory to load it") from None
    if raw.y is None:
        raw.y, raw.class_names = np.full(len(raw.x), -1, dtype=np.int64), ()
        return raw, file, source
    _name_classes(raw, os.path.abspath(file), where)
    return raw, file, source


def _read_any(file: pathlib.Path, where: str, progress: Progress | None, labels_optional: bool = False) -> _Raw:
    """Dispatch on what ``file`` is: a folder, then the suffix, then the magic bytes."""
    if file.is_dir():
        if not has_idx_files(file) and is_image_folder(file):
            return read_image_folder(file, where, progress=progress)
        return _read_idx_dir(file, where)
    name = file.name.lower()
    if name.endswith(TABLE_SUFFIXES):
        return _read_csv(file, where, labels_optional)
    if name.endswith(".npy"):
        return _read_npy_pair(file, where)
    if name.endswith(".npz"):
        return _read_npz(file, where)
    try:
        with open(file, "rb") as handle:
            head = handle.read(6)
    except OSError as error:
        raise DatasetError(f"{where}: cannot read ({error.strerror or error})") from None
    if head.startswith(b"\x93NUMPY"):
        return _read_npy_pair(file, where)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06") or head[:2] == b"\x1f\x8b":
        return _read_npz(file, where)  # names an IDX file given instead of its folder, too
    raise DatasetError(
        f"{where}: not a dataset format nntrain reads"
        " (.npz, .npy pair, .csv[.gz], a folder of IDX files or of class folders of images)"
    )


def _name_classes(raw: _Raw, path_text: str, where: str) -> None:
    """Labels of every set as class indices, and the class names (guessed from the
    path when the file gives none and its labels are already 0..K-1)."""
    parts = [("y", raw.y)] + [(name, part[1]) for name, part in (("valid", raw.valid), ("test", raw.test)) if part]
    ys, names, notes = normalise([y for _, y in parts], raw.class_names, where)
    raw.y = ys[0]
    rest = iter(ys[1:])
    if raw.valid is not None:
        raw.valid = (raw.valid[0], next(rest))
    if raw.test is not None:
        raw.test = (raw.test[0], next(rest))
    raw.notes.extend(notes)
    raw.class_names = names or _guess_class_names(raw, path_text)


def _choose_preprocess(raw: _Raw, x_train) -> Preprocess:
    """Pixels in [0, 1] for image data whose values are pixels, over all of a file's
    sets (whole numbers in 0..255 are divided by 255, floats in [0, 1] kept); the train
    set's standardisation for anything else."""
    if raw.kind == IMAGE:
        xs = [raw.x] + [part[0] for part in (raw.valid, raw.test) if part is not None]
        if all(x.dtype.kind in "ui" for x in xs) and all(x.min() >= 0 and x.max() <= 255 for x in xs):
            return Preprocess.pixels(255.0)
        if all(x.dtype.kind in "uif" for x in xs) and all(x.min() >= 0 for x in xs):
            high = max(float(x.max()) for x in xs)
            if high <= 1.0 and all(x.dtype.kind == "f" for x in xs):
                return Preprocess.pixels(1.0)
            if high <= 255 and all(bool((x == np.round(x)).all()) for x in xs):
                return Preprocess.pixels(255.0)
    return Preprocess.fit_standardise(x_train)


def has_idx_files(directory: pathlib.Path) -> bool:
    """Whether ``directory`` holds any MNIST-style IDX file (they win over image files)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return True  # let the IDX reader name the problem
    return any("idx1-ubyte" in name or "idx3-ubyte" in name for name in names)
