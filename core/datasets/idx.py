"""Read a directory of MNIST-style IDX files (``train-images-idx3-ubyte[.gz]``, ...)."""

from __future__ import annotations

import gzip
import io
import math
import pathlib
import struct
import zlib

import numpy as np

from .dataset import DatasetError, _Raw
from .safety import check_fits
from .text import _describe, _shape_text
from .validate import _check_images, _check_labels

IDX_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
IDX_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension

_GZIP_MAGIC = b"\x1f\x8b"


def _read_idx_dir(directory: pathlib.Path, where: str) -> _Raw:
    """Read ``train-*`` and, when present, ``t10k-*`` IDX files from ``directory``."""
    train = (_find_idx(directory, "train", "images", 3), _find_idx(directory, "train", "labels", 1))
    test = (_find_idx(directory, "t10k", "images", 3), _find_idx(directory, "t10k", "labels", 1))
    if train == (None, None):
        raise DatasetError(
            f"{where}: directory has no IDX files"
            " (expected train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz])"
        )
    x, y, image_shape = _read_idx_pair(*train, "train", where)
    if test == (None, None):
        return _Raw(x, y, image_shape)

    x_test, y_test, test_shape = _read_idx_pair(*test, "t10k", where)
    if test_shape != image_shape:
        raise DatasetError(
            f"{test[0]}: images are {_shape_text(test_shape)}"
            f" but {train[0].name} has {_shape_text(image_shape)}"
        )
    return _Raw(
        x, y, image_shape, test=(x_test, y_test),
        train_origin="the train file", test_origin="t10k files",
    )


def _find_idx(directory: pathlib.Path, prefix: str, kind: str, ndim: int) -> pathlib.Path | None:
    """The first existing spelling of e.g. ``train-images-idx3-ubyte``; plain before ``.gz``."""
    for sep in ("-", "."):
        for suffix in ("", ".gz"):
            candidate = directory / f"{prefix}-{kind}{sep}idx{ndim}-ubyte{suffix}"
            if candidate.is_file():
                return candidate
    return None


def _read_idx_pair(
    images_file: pathlib.Path | None, labels_file: pathlib.Path | None, prefix: str, where: str,
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Images ``(n, h*w)`` uint8, labels ``(n,)`` int64 and ``(h, w)`` from two matching IDX files."""
    if images_file is None:
        raise DatasetError(f"{labels_file}: no matching {prefix}-images-idx3-ubyte[.gz] in {where}")
    if labels_file is None:
        raise DatasetError(f"{images_file}: no matching {prefix}-labels-idx1-ubyte[.gz] in {where}")
    x, image_shape, _ = _check_images(
        _read_idx(images_file, IDX_IMAGES_MAGIC), "images", str(images_file)
    )
    labels = _read_idx(labels_file, IDX_LABELS_MAGIC)
    if len(labels) != len(x):
        raise DatasetError(
            f"{labels_file}: has {len(labels)} labels but {images_file.name} has {len(x)} images"
        )
    return x, _check_labels(labels, "labels", len(x), "images", str(labels_file)), image_shape


def _read_idx(file: pathlib.Path, magic: int) -> np.ndarray:
    """Parse one IDX file (gzipped or not) whose header must start with ``magic``.

    Layout: 4-byte big-endian magic (0, 0, type 0x08 = ubyte, ndim), then ndim
    big-endian uint32 sizes, then the bytes in C order.
    """
    data = _read_bytes(file, magic)
    if len(data) < 4:
        raise DatasetError(f"{file}: too short to be an IDX file ({len(data)} bytes)")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise DatasetError(f"{file}: wrong IDX magic 0x{found:08x}, expected 0x{magic:08x}")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{file}: truncated IDX header ({len(data)} of {header} bytes)")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected, payload = math.prod(dims), len(data) - header
    if payload != expected:
        problem = "truncated IDX payload" if payload < expected else "IDX payload too long"
        raise DatasetError(
            f"{file}: {problem}: header says {' x '.join(map(str, dims))} = {expected} bytes,"
            f" found {payload}"
        )
    return np.frombuffer(data, dtype=np.uint8, count=expected, offset=header).reshape(dims)


def _read_bytes(file: pathlib.Path, magic: int | None = None) -> bytes:
    """The file's contents, gunzipped when it starts with the gzip magic."""
    try:
        data = file.read_bytes()
    except OSError as error:
        raise DatasetError(f"{file}: cannot read ({_describe(error)})") from None
    if data[:2] != _GZIP_MAGIC:
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            # Inflate no more than the header declares (a gzip bomb would never end).
            head = stream.read(4)
            if len(head) < 4 or (magic is not None and int.from_bytes(head, "big") != magic):
                return head  # the IDX checks name what is wrong
            ndim = head[3]
            head += stream.read(4 * ndim)
            if len(head) < 4 + 4 * ndim:
                return head  # too short: the IDX checks name it
            expected = math.prod(struct.unpack(f">{ndim}I", head[4:]))
            check_fits(expected, expected, str(file))
            return head + stream.read(expected + 1)  # one byte more shows a payload too long
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(f"{file}: truncated or corrupt gzip data ({_describe(error)})") from None
