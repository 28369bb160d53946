"""Read a CSV table (``.csv`` or ``.csv.gz``): a header row, a label column, numeric features.

The label column is the first header named ``label``, else ``class``, ``target``,
``y`` (case-insensitive). Every other column is a feature and must be a number in
every row. The delimiter (comma, semicolon or tab) is taken from the header line.
The numbers are parsed by NumPy's C parser (``np.loadtxt``): a Kaggle-sized MNIST
CSV (42000 x 785) loads in seconds, not the minute Python's csv module would take.
"""

from __future__ import annotations

import csv
import gzip
import io
import pathlib
import re
import zlib

import numpy as np

from .dataset import DatasetError, _Raw
from .idx import _GZIP_MAGIC
from . import safety
from .safety import check_fits, gigabytes
from .text import _describe
from .validate import _check_images, _check_labels

LABEL_NAMES = ("label", "class", "target", "y")
_DELIMITERS = (",", ";", "\t")
_ROW_COLUMN = re.compile(r"at row (\d+), column (\d+)")


def _read_csv(file: pathlib.Path, where: str, labels_optional: bool = False) -> _Raw:
    """Validated rows and labels of a CSV file, in file order. With `labels_optional`
    (inputs to predict, such as Kaggle's test.csv), a file without a label column is all
    features and its ``y`` is None."""
    size = file.stat().st_size
    with _open_text(file, where) as handle:
        try:
            header = handle.readline()
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
            raise DatasetError(f"{where}: cannot read as UTF-8 CSV text ({_describe(error)})") from None
        if not header.strip():
            raise DatasetError(f"{where}: empty CSV file (expected a header row such as label,pixel0,pixel1,...)")
        delimiter = max(_DELIMITERS, key=header.count)
        names = [n.strip().strip('"').strip("'").strip() for n in next(csv.reader([header], delimiter=delimiter))]
        label = _label_column(names, where, labels_optional)
        features = [i for i in range(len(names)) if i != label]
        if not features:
            raise DatasetError(f"{where}: no feature columns besides {names[label]!r}")
        check_fits(size, 0, where)
        # Read no more text than memory allows: a gzipped file may inflate without
        # bound (the numbers take about as much memory again once parsed).
        limit = safety.available_memory() // 3
        try:
            body = handle.read(limit + 1)
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
            raise DatasetError(f"{where}: cannot read as UTF-8 CSV text ({_describe(error)})") from None
        if len(body) > limit:
            raise DatasetError(
                f"{where}: holds more than {gigabytes(limit)} of text; too big for the memory available"
            )
    x, y = _parse(body, delimiter, label, features, names, where)
    x, image_shape, kind = _check_images(_compact(x), "features", where)
    if label is not None:
        y = _check_labels(y, names[label], len(x), "features", where)
    return _Raw(x, y, image_shape, kind=kind)


def _open_text(file: pathlib.Path, where: str):
    try:
        with open(file, "rb") as raw:
            gzipped = raw.read(2) == _GZIP_MAGIC
        if gzipped:
            return io.TextIOWrapper(gzip.open(file, "rb"), encoding="utf-8-sig", newline="")
        return open(file, encoding="utf-8-sig", newline="")
    except OSError as error:
        raise DatasetError(f"{where}: cannot read ({_describe(error)})") from None


def _label_column(names: list[str], where: str, optional: bool = False) -> int | None:
    lowered = [n.lower() for n in names]
    for wanted in LABEL_NAMES:
        if wanted in lowered:
            return lowered.index(wanted)
    if optional:
        return None
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    raise DatasetError(
        f"{where}: no label column in the header ({shown}); name it label, class, target or y"
    )


def _parse(body: str, delimiter: str, label: int | None, features: list[int], names: list[str], where: str):
    """(features ``(n, d)`` float64, labels ``(n,)`` or None) from the text after the header."""
    def load(**kwargs):
        try:
            return np.loadtxt(io.StringIO(body), delimiter=delimiter, quotechar='"', ndmin=2, **kwargs)
        except ValueError as error:
            raise DatasetError(f"{where}: {_cell_message(str(error), kwargs.get('usecols'), names)}") from None

    if not body.strip():
        raise DatasetError(f"{where}: has a header but no data rows")
    table = None  # text labels, or a bad cell: the column-wise reads below tell which
    # Whole numbers parse about 4x faster as integers (pixels usually are): try them first.
    for dtype in (np.int64, np.float64):
        try:
            table = np.loadtxt(io.StringIO(body), delimiter=delimiter, quotechar='"', ndmin=2, dtype=dtype)
            break
        except (ValueError, OverflowError):
            continue
    if table is not None:
        if table.shape[1] != len(names):
            raise DatasetError(f"{where}: rows have {table.shape[1]} values but the header has {len(names)} columns")
        return table[:, features], (None if label is None else table[:, label])
    x = load(usecols=features, dtype=np.float64)
    if label is None:
        return x, None
    y = np.char.strip(load(usecols=[label], dtype=str)[:, 0])
    empty = np.flatnonzero(y == "")
    if len(empty):
        raise DatasetError(f"{where}: line {int(empty[0]) + 2}, column {names[label]!r}: an empty label")
    y = _numbers_if_possible(y)
    return x, y


def _cell_message(text: str, usecols, names: list[str]) -> str:
    """NumPy's parse error, with the file's line number and the column's header name."""
    found = _ROW_COLUMN.search(text)
    if found is None:
        first = text.splitlines()[0] if text else "unreadable rows"
        return f"cannot parse the rows ({first.split(';')[0]})"
    # NumPy counts data rows from 0 (the header is line 1) and columns of the file from 1.
    row, column = int(found.group(1)), int(found.group(2))
    name = names[column - 1] if 0 < column <= len(names) else f"#{column}"
    value = re.search(r"string '([^']*)'", text)
    what = "an empty cell" if value and value.group(1) == "" else (
        f"{value.group(1)!r} is not a number" if value else "a value that is not a number")
    return f"line {row + 2}, column {name!r}: {what}"


def _numbers_if_possible(y: np.ndarray) -> np.ndarray:
    """Text labels that are all numbers become numbers (e.g. quoted digits); `labels`
    turns whole ones into class indices."""
    try:
        as_float = y.astype(np.float64)
    except ValueError:
        return y
    return as_float


def _compact(x: np.ndarray) -> np.ndarray:
    """Whole numbers in 0..255 as uint8 (pixels: 8x less memory), else float64 as read."""
    if x.size and x.min() >= 0 and x.max() <= 255 and (x == np.round(x)).all():
        return x.astype(np.uint8)
    return x
