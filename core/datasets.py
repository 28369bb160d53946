"""Load an image-classification dataset as flat float32 train/valid/test arrays.

Three kinds of input are understood:

* an ``.npz`` archive holding ``images``/``labels`` (the course's ``notMNIST.npz``)
  or ``x``/``y``, optionally ``class_names``; or one already split into
  ``x_train``/``y_train``, ``x_valid``/``y_valid`` (optional) and ``x_test``/``y_test``;
* a directory of MNIST-style IDX files (``train-images-idx3-ubyte[.gz]``, ...);
* the bundled Fashion-MNIST subset (``path=None`` or ``"bundled"``).

Whatever the input, the result is a :class:`Dataset` whose images are
``(n, n_features)`` float32 in [0, 1] and whose labels are ``(n,)`` int64.
Every failure raises :class:`DatasetError` with a one-line message naming the
file and the problem, so a CLI or a TUI can show it as it is.

Archives are always opened with ``allow_pickle=False``: a dataset is data, and
unpickling would let a downloaded file run code.
"""

from __future__ import annotations

import gzip
import math
import os
import pathlib
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

BUNDLED = "bundled"
BUNDLED_NAME = "fashion-mnist-subset"
BUNDLED_FILE = BUNDLED_NAME + ".npz"

# The course starter code: np.random.seed(521); shuffle; 10000 train, 6000 valid, rest test.
COURSE_SEED = 521
COURSE_SPLIT = (10000, 6000)
DEFAULT_FRACTIONS = (0.6, 0.2)

FASHION_CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
LETTER_CLASS_NAMES = tuple("ABCDEFGHIJ")

# Larger label values are corrupt data, not class indices; the cap also keeps
# float labels safely castable to int64.
MAX_CLASSES = 10_000

IDX_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
IDX_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members / an empty zip
_GZIP_MAGIC = b"\x1f\x8b"

# What reading a damaged or hostile .npz can raise, from zipfile, zlib and numpy.
NPZ_READ_ERRORS = (
    OSError, EOFError, ValueError, KeyError, RuntimeError, NotImplementedError,
    zipfile.BadZipFile, zlib.error, struct.error,
)

_NPZ_KEYS = frozenset({
    "images", "labels", "x", "y", "class_names",
    "x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test",
})


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

    ``x_*`` are ``(n, n_features)`` float32 in [0, 1], C-contiguous; ``y_*`` are
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


# --------------------------------------------------------------------------- public


def bundled_path() -> pathlib.Path:
    """Location of the bundled ``fashion-mnist-subset.npz``.

    An installed wheel carries it in ``core/_assets/``; a checkout has it in the
    top-level ``assets/``.
    """
    candidates = (
        pathlib.Path(__file__).parent / "_assets" / BUNDLED_FILE,
        pathlib.Path(__file__).resolve().parent.parent / "assets" / BUNDLED_FILE,
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = " or ".join(str(c) for c in candidates)
    raise DatasetError(f"bundled dataset is missing: looked for {looked}")


def parse_split(text: str) -> tuple[float | int, float | int]:
    """Parse ``"TRAIN,VALID"``: two sample counts or two fractions; the test set is the rest.

    ``"10000,6000"`` gives ``(10000, 6000)``; ``"0.6,0.2"`` gives ``(0.6, 0.2)``.
    Counts must be positive; fractions must lie in (0, 1) and sum to less than 1.
    """
    where = f"split {str(text)!r}"
    parts = [part.strip() for part in str(text).split(",")]
    if len(parts) != 2 or not all(parts):
        raise DatasetError(f"{where}: expected TRAIN,VALID, e.g. 10000,6000 or 0.6,0.2")
    if all(re.fullmatch(r"[0-9]+", part) for part in parts):
        counts = (int(parts[0]), int(parts[1]))
        if min(counts) <= 0:
            raise DatasetError(f"{where}: sample counts must be positive")
        return counts
    try:
        fractions = (float(parts[0]), float(parts[1]))
    except ValueError:
        fractions = (math.nan, math.nan)
    if not all(0.0 < f < 1.0 for f in fractions):
        raise DatasetError(
            f"{where}: use two whole counts (10000,6000) or two fractions between 0 and 1 (0.6,0.2)"
        )
    if sum(fractions) >= 1.0:
        raise DatasetError(f"{where}: fractions must sum to less than 1 to leave a test set")
    return fractions


def load_dataset(path: str | os.PathLike | None = None, split: str | None = None) -> Dataset:
    """Load ``path`` (an ``.npz``, an IDX directory, or ``None``/``"bundled"``) and split it.

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
    if file.is_dir():
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
    )


# --------------------------------------------------------------------------- npz


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
            x, image_shape = _check_images(arrays[x_key], x_key, where)
            y = _check_labels(arrays[y_key], y_key, len(x), x_key, where)
            return _Raw(x, y, image_shape, class_names)
    raise DatasetError(
        f"{where}: expected arrays images+labels or x+y (found: {_key_list(keys)})"
    )


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

    x, image_shape = _check_images(arrays["x_train"], "x_train", where)
    y = _check_labels(arrays["y_train"], "y_train", len(x), "x_train", where)
    sets = {}
    for part in ("valid", "test"):
        x_key, y_key = f"x_{part}", f"y_{part}"
        if x_key not in keys:
            continue
        x_part, shape = _check_images(arrays[x_key], x_key, where)
        if shape != image_shape:
            raise DatasetError(
                f"{where}: {x_key} has images of shape {_shape_text(shape)}"
                f" but x_train has {_shape_text(image_shape)}"
            )
        sets[part] = (x_part, _check_labels(arrays[y_key], y_key, len(x_part), x_key, where))
    return _Raw(x, y, image_shape, class_names, sets.get("valid"), sets["test"], "x_train", "x_test")


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


# --------------------------------------------------------------------------- IDX


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
        return _Raw(x, y, image_shape, min_classes=10)

    x_test, y_test, test_shape = _read_idx_pair(*test, "t10k", where)
    if test_shape != image_shape:
        raise DatasetError(
            f"{test[0]}: images are {_shape_text(test_shape)}"
            f" but {train[0].name} has {_shape_text(image_shape)}"
        )
    return _Raw(
        x, y, image_shape, test=(x_test, y_test),
        train_origin="the train file", test_origin="t10k files", min_classes=10,
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
    x, image_shape = _check_images(
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
    data = _read_bytes(file)
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


def _read_bytes(file: pathlib.Path) -> bytes:
    """The file's contents, gunzipped when it starts with the gzip magic."""
    try:
        data = file.read_bytes()
    except OSError as error:
        raise DatasetError(f"{file}: cannot read ({_describe(error)})") from None
    if data[:2] != _GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(f"{file}: truncated or corrupt gzip data ({_describe(error)})") from None


# --------------------------------------------------------------------------- validation


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


# --------------------------------------------------------------------------- split and scale


def _split(
    raw: _Raw, spec: tuple[float | int, float | int] | None, where: str,
) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """The (x, y) train, valid and test sets in the file's dtype, and a description.

    Sets the file does not provide are cut from ``raw.x`` after shuffling its
    indices with ``RandomState(521)``, which repeats the course starter code's
    ``np.random.seed(521); np.random.shuffle(randIndx)`` exactly.
    """
    n = len(raw.x)
    if raw.valid is not None:
        if spec is not None:
            raise DatasetError(f"{where}: already split into train/valid/test; a split does not apply")
        sets = [(raw.x, raw.y), raw.valid, raw.test]
        return sets, f"{_counts_text(sets)} (the file's own split)"

    if raw.test is None:
        n_train, n_valid, how = _split_counts(n, spec, where)
    else:
        n_train, n_valid, how = _holdout_counts(n, spec, where, raw.train_origin, raw.test_origin)
    order = np.arange(n)
    np.random.RandomState(COURSE_SEED).shuffle(order)
    train, valid = order[:n_train], order[n_train:n_train + n_valid]
    test = order[n_train + n_valid:] if raw.test is None else None
    sets = [(raw.x[train], raw.y[train]), (raw.x[valid], raw.y[valid])]
    sets.append((raw.x[test], raw.y[test]) if test is not None else raw.test)
    return sets, f"{_counts_text(sets)} ({how})"


def _split_counts(n: int, spec, where: str) -> tuple[int, int, str]:
    """Train and valid counts for one array of ``n`` samples; the test set is the rest."""
    seed = f"shuffle seed {COURSE_SEED}"
    if spec is None and n > sum(COURSE_SPLIT):
        (n_train, n_valid), how, asked = COURSE_SPLIT, f"course split: {seed}", "the course split"
    elif spec is None:
        n_train, n_valid = _fraction_counts(n, DEFAULT_FRACTIONS)
        asked = "default 60/20/20 split"
        how = f"{asked}: {seed}"
    else:
        n_train, n_valid = spec if isinstance(spec[0], int) else _fraction_counts(n, spec)
        asked = f"split {_spec_text(spec)}"
        how = f"{asked}: {seed}"
    if n_train + n_valid > n:
        raise DatasetError(f"{where}: {asked} asks for {n_train + n_valid} samples but there are {n}")
    _check_nonempty(where, asked, n, train=n_train, validation=n_valid, test=n - n_train - n_valid)
    return n_train, n_valid, how


def _holdout_counts(
    n: int, spec, where: str, train_origin: str, test_origin: str,
) -> tuple[int, int, str]:
    """Train and valid counts from the ``n`` training samples of a file with its own test set."""
    if spec is None:
        n_valid = max(1, n // 6)  # 60000 -> 50000/10000, the usual MNIST validation size
        n_train = n - n_valid
        asked = "the default 1/6 validation split"
        how = f"valid = 1/6 of {train_origin}"
    else:
        n_train, n_valid = spec if isinstance(spec[0], int) else _fraction_counts(n, spec)
        asked = f"split {_spec_text(spec)}"
        how = f"{asked} of {train_origin}"
        if n_train + n_valid > n:
            raise DatasetError(
                f"{where}: {asked} asks for {n_train + n_valid} samples but {train_origin} has {n}"
            )
        if n_train + n_valid < n:
            how += f", {n - n_train - n_valid} unused"
    _check_nonempty(where, asked, n, train=n_train, validation=n_valid)
    return n_train, n_valid, f"{how}, shuffle seed {COURSE_SEED}; test = {test_origin}"


def _fraction_counts(n: int, fractions: tuple[float, float]) -> tuple[int, int]:
    """``floor(n * f)`` for each fraction, exact for decimal text such as ``0.29``."""
    # Fraction(str(f)) is the decimal the user typed, so 100 * 0.29 floors to 29, not 28.
    return tuple(math.floor(n * Fraction(str(f))) for f in fractions)


def _check_nonempty(where: str, asked: str, n: int, **sizes: int) -> None:
    """Every named set must get at least one sample."""
    for name, size in sizes.items():
        if size <= 0:
            raise DatasetError(f"{where}: {asked} of {n} samples leaves the {name} set empty")


def _pixel_divisor(raw: _Raw) -> float:
    """255 for byte-range pixels, 1 for float pixels already in [0, 1], over all of a file's sets.

    Values were checked to lie in 0..255 when read, so the only choice left is
    whether float data is already scaled.
    """
    xs = [raw.x] + [part[0] for part in (raw.valid, raw.test) if part is not None]
    if all(x.dtype.kind == "f" for x in xs) and max(float(x.max()) for x in xs) <= 1.0:
        return 1.0
    return 255.0


def _to_float(x: np.ndarray, divisor: float) -> np.ndarray:
    """``x`` ``(n, features)`` as a new C-contiguous float32 array divided by ``divisor``."""
    out = x.astype(np.float32, order="C")  # always a copy, so dividing in place is safe
    if divisor != 1.0:
        out /= np.float32(divisor)
    return out


# --------------------------------------------------------------------------- text helpers


def _describe(error: BaseException) -> str:
    """An exception as short text, preferring the OS's own wording."""
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _number(value) -> str:
    """A numpy scalar for a message: ``300`` for integers, ``382.5`` or ``1e+30`` for floats."""
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(int(value))


def _key_list(keys) -> str:
    """Archive keys as ``"a, b"`` for messages, or ``"nothing"``."""
    return ", ".join(sorted(keys)) or "nothing"


def _shape_text(shape: tuple[int, int]) -> str:
    """``(28, 28)`` as ``"28x28"``."""
    return "x".join(map(str, shape))


def _spec_text(spec: tuple[float | int, float | int]) -> str:
    """A parsed split back as the user wrote it, e.g. ``"10000,6000"``."""
    return ",".join(f"{value:g}" if isinstance(value, float) else str(value) for value in spec)


def _counts_text(sets: list[tuple[np.ndarray, np.ndarray]]) -> str:
    """Set sizes as ``"10000/6000/2720"``."""
    return "/".join(str(len(y)) for _, y in sets)
