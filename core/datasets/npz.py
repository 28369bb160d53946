"""Read an ``.npz`` archive: ``images``/``labels``, ``x``/``y``, or already split.

Archives are always opened with ``allow_pickle=False``.
"""

from __future__ import annotations

import pathlib
import re
import struct
import zipfile
import zlib

import numpy as np

from .dataset import DatasetError, _Raw
from .idx import _GZIP_MAGIC
from .text import _describe, _key_list, _shape_text
from .safety import check_declared, check_fits, npy_header
from .validate import _check_images, _check_labels

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members / an empty zip

# What reading a damaged or hostile .npz can raise, from zipfile, zlib and numpy.
NPZ_READ_ERRORS = (
    OSError, EOFError, ValueError, KeyError, RuntimeError, NotImplementedError,
    zipfile.BadZipFile, zlib.error, struct.error,
)

_NPZ_KEYS = frozenset({
    "images", "labels", "x", "y", "class_names",
    "x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test",
})


def _read_npz(file: pathlib.Path, where: str) -> _Raw:
    """Read and validate an ``.npz`` archive in any of the accepted layouts."""
    try:
        with open(file, "rb") as handle:
            head = handle.read(4)
    except OSError as error:
        raise DatasetError(f"{where}: cannot read ({_describe(error)})") from None
    if head[:2] == _GZIP_MAGIC or re.search(r"idx[13]-ubyte", file.name):
        raise DatasetError(f"{where}: looks like an IDX file; pass the directory that holds it")
    if head not in _ZIP_MAGICS:
        raise DatasetError(f"{where}: not an .npz archive or a directory of IDX files")
    _check_members(file, where)
    try:
        with np.load(file, allow_pickle=False) as archive:
            keys = set(archive.files)
            arrays = {key: _npz_array(archive, key, where) for key in sorted(keys & _NPZ_KEYS)}
    except DatasetError:
        raise
    except NPZ_READ_ERRORS as error:
        raise DatasetError(f"{where}: not a readable .npz archive ({_describe(error)})") from None

    class_names = _npz_class_names(arrays.get("class_names"), where)
    if "x_train" in keys:
        return _presplit_npz(arrays, keys, class_names, where)
    for x_key, y_key in (("images", "labels"), ("x", "y")):
        if x_key in keys and y_key in keys:
            x, image_shape, kind = _check_images(arrays[x_key], x_key, where)
            y = _check_labels(arrays[y_key], y_key, len(x), x_key, where)
            return _Raw(x, y, image_shape, class_names, kind=kind)
    raise DatasetError(
        f"{where}: expected arrays images+labels or x+y (found: {_key_list(keys)})"
    )


def _check_members(file: pathlib.Path, where: str) -> None:
    """Read each member's .npy header (only the header) and refuse, before allocating,
    one that claims more bytes than the zip entry holds, or arrays that together
    would not fit in memory (a hostile header, a deflate bomb)."""
    total = values = 0
    try:
        with zipfile.ZipFile(file) as archive:
            for info in archive.infolist():
                key = info.filename.removesuffix(".npy")
                if key not in _NPZ_KEYS:
                    continue
                try:
                    with archive.open(info) as member:
                        shape, dtype, header = npy_header(member)
                except NPZ_READ_ERRORS:
                    continue  # a damaged member: np.load below names what is wrong with it
                nbytes = check_declared(shape, dtype, header, info.file_size, where, key)
                total += nbytes
                if dtype.kind in "biuf" and key.startswith(("x", "images")):
                    values += nbytes // max(1, dtype.itemsize)
    except DatasetError:
        raise
    except NPZ_READ_ERRORS as error:
        raise DatasetError(f"{where}: not a readable .npz archive ({_describe(error)})") from None
    check_fits(total, values, where)


def _npz_array(archive, key: str, where: str) -> np.ndarray:
    """One member of an open archive; pickled object arrays are refused, never loaded."""
    try:
        value = archive[key]
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise DatasetError(
                f"{where}: {key} is a pickled object array; refusing to unpickle it"
            ) from None
        raise DatasetError(f"{where}: {key} is not a readable array ({_describe(error)})") from None
    except NPZ_READ_ERRORS as error:
        raise DatasetError(f"{where}: cannot read {key} ({_describe(error)})") from None
    if not isinstance(value, np.ndarray):  # a zip member that is not .npy comes back as bytes
        raise DatasetError(f"{where}: {key} is not a NumPy .npy array")
    return value


def _presplit_npz(arrays: dict, keys: set, class_names, where: str) -> _Raw:
    """An archive already split into x_train/y_train, x_test/y_test and optionally x_valid/y_valid."""
    required = {"x_train", "y_train", "x_test", "y_test"}
    if not required <= keys:
        raise DatasetError(
            f"{where}: a pre-split archive needs {_key_list(required)} (found: {_key_list(keys)})"
        )
    if ("x_valid" in keys) != ("y_valid" in keys):
        raise DatasetError(f"{where}: x_valid and y_valid must come together (found: {_key_list(keys)})")

    x, image_shape, kind = _check_images(arrays["x_train"], "x_train", where)
    y = _check_labels(arrays["y_train"], "y_train", len(x), "x_train", where)
    sets = {}
    for part in ("valid", "test"):
        x_key, y_key = f"x_{part}", f"y_{part}"
        if x_key not in keys:
            continue
        x_part, shape, _ = _check_images(arrays[x_key], x_key, where)
        if shape != image_shape:
            raise DatasetError(
                f"{where}: {x_key} has images of shape {_shape_text(shape)}"
                f" but x_train has {_shape_text(image_shape)}"
            )
        sets[part] = (x_part, _check_labels(arrays[y_key], y_key, len(x_part), x_key, where))
    return _Raw(
        x, y, image_shape, class_names, sets.get("valid"), sets["test"], "x_train", "x_test", kind=kind,
    )


def _npz_class_names(names: np.ndarray | None, where: str) -> tuple[str, ...] | None:
    """``class_names`` as a tuple of str, or None when the archive has none."""
    if names is None:
        return None
    if names.dtype.kind == "S":
        try:
            names = np.char.decode(names, "utf-8")
        except UnicodeDecodeError:
            raise DatasetError(f"{where}: class_names are bytes that are not UTF-8") from None
    if names.dtype.kind != "U" or names.ndim != 1:
        raise DatasetError(
            f"{where}: class_names must be a 1-D array of strings"
            f" (got dtype {names.dtype}, shape {names.shape})"
        )
    if len(names) < 2:
        raise DatasetError(f"{where}: class_names has {len(names)} entries; need at least 2 classes")
    return tuple(str(name) for name in names)
