"""Tests for core.datasets: every loader on files written here, every malformed input, the bundled file."""

from __future__ import annotations

import ast
import dataclasses
import gzip
import re
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.datasets import bundled as bundled_module
from core.datasets import (
    BUNDLED,
    FASHION_CLASS_NAMES,
    Dataset,
    DatasetError,
    bundled_path,
    load_dataset,
    parse_split,
)

ROOT = Path(__file__).resolve().parents[2]
LETTERS = tuple("ABCDEFGHIJ")
DIGITS = tuple("0123456789")


# --------------------------------------------------------------------------- helpers


def make_images(n: int, shape=(8, 8), seed: int = 0) -> np.ndarray:
    """``(n, *shape)`` uint8 pixels covering 0..255."""
    return np.random.default_rng(seed).integers(0, 256, (n, *shape), dtype=np.uint8)


def make_labels(n: int, n_classes: int = 10, seed: int = 1) -> np.ndarray:
    """``(n,)`` uint8 labels in 0..n_classes-1."""
    return np.random.default_rng(seed).integers(0, n_classes, n).astype(np.uint8)


def write_npz(path: Path, **arrays) -> Path:
    """Write an uncompressed .npz (pickling allowed only so tests can write hostile files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


def write_idx(path: Path, array: np.ndarray, magic: int | None = None, cut: int = 0) -> Path:
    """Write ``array`` as an IDX file (gzipped when the name ends in .gz), minus ``cut`` final bytes."""
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x800 + array.ndim if magic is None else magic
    data = struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.tobytes()
    data = data[: len(data) - cut]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def make_idx_dir(directory: Path, n_train=60, n_test=12, gz=True, sep="-", test=True, n_classes=10):
    """An MNIST-style directory; returns the arrays written: x, y, x_test, y_test."""
    suffix = ".gz" if gz else ""
    x, y = make_images(n_train), make_labels(n_train, n_classes)
    x_test, y_test = make_images(n_test, seed=2), make_labels(n_test, n_classes, seed=3)
    write_idx(directory / f"train-images{sep}idx3-ubyte{suffix}", x)
    write_idx(directory / f"train-labels{sep}idx1-ubyte{suffix}", y)
    if test:
        write_idx(directory / f"t10k-images{sep}idx3-ubyte{suffix}", x_test)
        write_idx(directory / f"t10k-labels{sep}idx1-ubyte{suffix}", y_test)
    return x, y, x_test, y_test


def course_order(n: int) -> np.ndarray:
    """The starter code's permutation: np.random.seed(521); np.random.shuffle(arange(n))."""
    order = np.arange(n)
    np.random.RandomState(521).shuffle(order)
    return order


def assert_well_formed(ds: Dataset) -> None:
    """The promises every Dataset keeps, whatever it was loaded from."""
    n_features = ds.image_shape[0] * ds.image_shape[1]
    for x, y in ((ds.x_train, ds.y_train), (ds.x_valid, ds.y_valid), (ds.x_test, ds.y_test)):
        assert x.dtype == np.float32 and x.flags.c_contiguous
        assert x.ndim == 2 and x.shape == (len(y), n_features) and len(y) > 0
        assert 0.0 <= x.min() and x.max() <= 1.0
        assert y.dtype == np.int64 and y.ndim == 1
        assert 0 <= y.min() and y.max() < ds.n_classes
    assert ds.n_features == n_features
    assert all(isinstance(name, str) for name in ds.class_names)
    sizes = f"{len(ds.y_train)}/{len(ds.y_valid)}/{len(ds.y_test)}"
    assert ds.split.startswith(sizes + " (")


def load_error(path, split=None) -> str:
    """The one-line DatasetError message that loading ``path`` must raise."""
    with pytest.raises(DatasetError) as info:
        load_dataset(path, split)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    return message


# --------------------------------------------------------------------------- parse_split


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10000,6000", (10000, 6000)), (" 0.6 , 0.2 ", (0.6, 0.2)), ("1,1", (1, 1)), (".5,.25", (0.5, 0.25))],
)
def test_parse_split_accepts_counts_and_fractions(text, expected):
    result = parse_split(text)
    assert result == expected
    assert [type(v) for v in result] == [type(v) for v in expected]


@pytest.mark.parametrize(
    "text",
    ["", "10000", "1,2,3", "0,5", "5,0", "-1,5", "a,b", "0.6,0.4", "0.7,0.5", "1.0,0.2",
     "10000,0.2", "0.5,", "nan,0.1", "inf,0.1", "5.0,3.0"],
)
def test_parse_split_rejects_bad_text(text):
    with pytest.raises(DatasetError) as info:
        parse_split(text)
    message = str(info.value)
    assert "\n" not in message and repr(text) in message


# --------------------------------------------------------------------------- npz loaders


def test_course_file_gives_exactly_the_starter_codes_arrays(tmp_path):
    images, labels = make_images(18720, (28, 28)), make_labels(18720)
    path = write_npz(tmp_path / "notMNIST.npz", images=images, labels=labels)

    ds = load_dataset(path)

    # The course starter code, verbatim but for saving and restoring numpy's global RNG.
    state = np.random.get_state()
    try:
        with np.load(path, allow_pickle=False) as data:
            Data, Target = data["images"], data["labels"]
            np.random.seed(521)
            randIndx = np.arange(len(Data))
            np.random.shuffle(randIndx)
            Data = Data[randIndx] / 255.0
            Target = Target[randIndx]
            trainData, trainTarget = Data[:10000], Target[:10000]
            validData, validTarget = Data[10000:16000], Target[10000:16000]
            testData, testTarget = Data[16000:], Target[16000:]
    finally:
        np.random.set_state(state)

    assert ds.split == "10000/6000/2720 (course split: shuffle seed 521)"
    for ours, theirs in ((ds.x_train, trainData), (ds.x_valid, validData), (ds.x_test, testData)):
        np.testing.assert_array_equal(ours, theirs.reshape(len(theirs), -1).astype(np.float32))
    for ours, theirs in ((ds.y_train, trainTarget), (ds.y_valid, validTarget), (ds.y_test, testTarget)):
        np.testing.assert_array_equal(ours, theirs)
    assert ds.class_names == LETTERS and ds.n_classes == 10
    assert (ds.name, ds.source, ds.image_shape, ds.n_features) == ("notMNIST", str(path), (28, 28), 784)
    assert_well_formed(ds)


def test_course_file_with_float_pixels_matches_uint8(tmp_path):
    images, labels = make_images(50), make_labels(50)
    as_bytes = load_dataset(write_npz(tmp_path / "a" / "notmnist.npz", images=images, labels=labels))
    as_float = load_dataset(
        write_npz(tmp_path / "b" / "NotMnist_small.npz", images=images.astype(np.float64), labels=labels)
    )
    np.testing.assert_array_equal(as_bytes.x_train, as_float.x_train)
    assert as_float.class_names == LETTERS
    assert as_float.split == "30/10/10 (default 60/20/20 split: shuffle seed 521)"


def test_xy_npz_with_class_names_keeps_unit_floats(tmp_path):
    x = np.random.default_rng(0).random((50, 6, 6))  # already in [0, 1]: must not be divided again
    y = make_labels(50, 3)
    path = write_npz(tmp_path / "pets.npz", x=x, y=y, class_names=np.array(["cat", "dog", "bird"]))

    ds = load_dataset(path)

    order = course_order(50)
    np.testing.assert_array_equal(ds.x_train, x[order[:30]].reshape(30, 36).astype(np.float32))
    np.testing.assert_array_equal(ds.y_test, y[order[40:]])
    assert ds.class_names == ("cat", "dog", "bird") and ds.image_shape == (6, 6)
    assert ds.name == "pets"
    assert_well_formed(ds)


@pytest.mark.parametrize(
    ("shape", "image_shape"),
    [((40, 784), (28, 28)), ((40, 10), (1, 10)), ((40, 5, 7, 1), (5, 7)), ((40, 5, 7), (5, 7))],
)
def test_accepted_image_layouts(tmp_path, shape, image_shape):
    x = np.random.default_rng(0).integers(0, 256, shape).astype(np.int32)
    ds = load_dataset(write_npz(tmp_path / "d.npz", x=x, y=make_labels(40)))
    assert ds.image_shape == image_shape
    assert ds.n_features == image_shape[0] * image_shape[1]
    assert_well_formed(ds)


@pytest.mark.parametrize(
    ("labels", "names"),
    [(np.array([0, 1, 2, 3] * 10), ("0", "1", "2", "3")),
     (np.zeros(40, dtype=np.int8), ("0", "1")),           # at least two classes
     (np.array([0.0, 1.0, 2.0, 1.0] * 10), ("0", "1", "2"))],  # whole floats are fine
)
def test_class_names_default_to_numbers(tmp_path, labels, names):
    ds = load_dataset(write_npz(tmp_path / "plain.npz", x=make_images(40), y=labels))
    assert ds.class_names == names
    assert_well_formed(ds)


def test_fashion_in_path_gives_garment_names(tmp_path):
    ds = load_dataset(write_npz(tmp_path / "my-fashion.npz", x=make_images(40), y=make_labels(40)))
    assert ds.class_names == FASHION_CLASS_NAMES


@pytest.mark.parametrize(
    ("split", "sizes", "note"),
    [("50,30", (50, 30, 20), "split 50,30: shuffle seed 521"),
     ("0.29,0.3", (29, 30, 41), "split 0.29,0.3: shuffle seed 521"),  # floor(100 * 0.29) is 29, not 28
     ("99,0.005", None, None)],
)
def test_explicit_split(tmp_path, split, sizes, note):
    path = write_npz(tmp_path / "d.npz", x=make_images(100), y=make_labels(100))
    if sizes is None:
        assert "'99,0.005'" in load_error(path, split)
        return
    ds = load_dataset(path, split)
    assert (len(ds.y_train), len(ds.y_valid), len(ds.y_test)) == sizes
    assert ds.split == "{}/{}/{} ({})".format(*sizes, note)
    assert_well_formed(ds)


def test_presplit_npz_keeps_its_own_sets_in_order(tmp_path):
    sizes = {"train": 30, "valid": 7, "test": 9}
    parts = {f"x_{part}": make_images(n, seed=i) for i, (part, n) in enumerate(sizes.items())}
    parts.update({f"y_{part}": make_labels(n, seed=i) for i, (part, n) in enumerate(sizes.items())})
    ds = load_dataset(write_npz(tmp_path / "split.npz", **parts))
    np.testing.assert_array_equal(ds.x_valid, parts["x_valid"].reshape(7, 64) / np.float32(255))
    np.testing.assert_array_equal(ds.y_test, parts["y_test"])
    assert ds.split == "30/7/9 (the file's own split)"
    assert_well_formed(ds)


def test_presplit_npz_without_valid_splits_its_training_part(tmp_path):
    x, y = make_images(60), make_labels(60)
    path = write_npz(tmp_path / "tt.npz", x_train=x, y_train=y, x_test=make_images(9), y_test=make_labels(9))

    ds = load_dataset(path)
    order = course_order(60)
    np.testing.assert_array_equal(ds.y_valid, y[order[50:]])
    assert ds.split == "50/10/9 (valid = 1/6 of x_train, shuffle seed 521; test = x_test)"
    assert_well_formed(ds)

    ds = load_dataset(path, "40,10")
    assert ds.split == "40/10/9 (split 40,10 of x_train, 10 unused, shuffle seed 521; test = x_test)"


# --------------------------------------------------------------------------- IDX loaders


@pytest.mark.parametrize(("gz", "sep"), [(True, "-"), (False, "-"), (True, "."), (False, ".")])
def test_idx_directory_with_t10k(tmp_path, gz, sep):
    directory = tmp_path / "digits"
    x, y, x_test, y_test = make_idx_dir(directory, gz=gz, sep=sep)

    ds = load_dataset(directory)

    order = course_order(60)
    np.testing.assert_array_equal(ds.x_train, x[order[:50]].reshape(50, 64) / np.float32(255))
    np.testing.assert_array_equal(ds.y_valid, y[order[50:]])
    np.testing.assert_array_equal(ds.x_test, x_test.reshape(12, 64) / np.float32(255))
    np.testing.assert_array_equal(ds.y_test, y_test)
    assert ds.split == "50/10/12 (valid = 1/6 of the train file, shuffle seed 521; test = t10k files)"
    assert (ds.name, ds.image_shape, ds.class_names) == ("digits", (8, 8), DIGITS)
    assert_well_formed(ds)


def test_idx_split_applies_to_the_train_file(tmp_path):
    make_idx_dir(tmp_path / "mnist")
    ds = load_dataset(tmp_path / "mnist", "30,12")
    assert ds.split == (
        "30/12/12 (split 30,12 of the train file, 18 unused, shuffle seed 521; test = t10k files)"
    )
    ds = load_dataset(tmp_path / "mnist", "0.5,0.25")
    assert ds.split.startswith("30/15/12 (split 0.5,0.25 of the train file, 15 unused")


def test_idx_directory_without_t10k_is_split_three_ways(tmp_path):
    x, y, _, _ = make_idx_dir(tmp_path / "fashion-mnist", test=False, n_classes=5)
    ds = load_dataset(tmp_path / "fashion-mnist")
    order = course_order(60)
    np.testing.assert_array_equal(ds.y_test, y[order[48:]])
    assert ds.split == "36/12/12 (default 60/20/20 split: shuffle seed 521)"
    assert ds.class_names == FASHION_CLASS_NAMES
    assert_well_formed(ds)


def test_idx_class_names_follow_the_path(tmp_path):
    make_idx_dir(tmp_path / "notMNIST_small" / "idx", n_classes=4)
    make_idx_dir(tmp_path / "plain", n_classes=4)
    assert load_dataset(tmp_path / "notMNIST_small" / "idx").class_names == LETTERS
    assert load_dataset(tmp_path / "plain").class_names == DIGITS  # 0..9 even when only 0..3 occur


# --------------------------------------------------------------------------- malformed input

# Each case writes its files under ``base`` and returns (path to load, split, path the message must name).


def _npz(name, **arrays):
    def build(base):
        path = write_npz(base / name, **arrays)
        return path, None, path
    return build


def _with_split(build, split):
    def wrapped(base):
        path, _, named = build(base)
        return path, split, named
    return wrapped


def _missing(base):
    return base / "nope.npz", None, base / "nope.npz"


def _empty_dir(base):
    (base / "empty").mkdir(parents=True)
    return base / "empty", None, base / "empty"


def _text_file(base):
    base.mkdir(parents=True)
    (base / "notes.npz").write_text("hello\n")
    return base / "notes.npz", None, base / "notes.npz"


def _npy_file(base):
    base.mkdir(parents=True)
    with open(base / "array.npz", "wb") as handle:
        np.save(handle, make_images(5))
    return base / "array.npz", None, base / "array.npz"


def _plain_zip(base):
    base.mkdir(parents=True)
    with zipfile.ZipFile(base / "docs.npz", "w") as archive:
        archive.writestr("readme.txt", "not numpy")
    return base / "docs.npz", None, base / "docs.npz"


def _zip_with_fake_npy(base):
    base.mkdir(parents=True)
    with zipfile.ZipFile(base / "fake.npz", "w") as archive:
        archive.writestr("x.npy", "not numpy")
        archive.writestr("y.npy", "not numpy")
    return base / "fake.npz", None, base / "fake.npz"


def _truncated_npz(base):
    path, _, _ = _npz("cut.npz", x=make_images(50), y=make_labels(50))(base)
    path.write_bytes(path.read_bytes()[:-200])  # loses the zip's central directory
    return path, None, path


def _bad_crc_npz(base):
    path, _, _ = _npz("crc.npz", x=make_images(50), y=make_labels(50))(base)
    data = bytearray(path.read_bytes())
    data[1500] ^= 0xFF  # inside x's pixel bytes, stored uncompressed
    path.write_bytes(bytes(data))
    return path, None, path


def _idx_dir(name, cut=0, magic=None, gz=True, which="train-labels-idx1-ubyte", extra=b""):
    """A valid IDX directory with one file rewritten: shortened, bad magic, or trailing bytes."""
    def build(base):
        directory = base / name
        x, y, x_test, y_test = make_idx_dir(directory, gz=gz)
        arrays = {"train-images-idx3-ubyte": x, "train-labels-idx1-ubyte": y,
                  "t10k-images-idx3-ubyte": x_test, "t10k-labels-idx1-ubyte": y_test}
        target = directory / (which + (".gz" if gz else ""))
        write_idx(target, arrays[which], magic=magic, cut=cut)
        if extra:
            target.write_bytes(target.read_bytes() + extra)
        return directory, None, target
    return build


def _truncated_gzip(base):
    directory, _, _ = _idx_dir("gz")(base)
    target = directory / "train-images-idx3-ubyte.gz"
    target.write_bytes(target.read_bytes()[:-30])
    return directory, None, target


def _short_header(base):
    directory, _, _ = _idx_dir("hdr", gz=False)(base)
    (directory / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03\x00\x00")
    return directory, None, directory / "train-images-idx3-ubyte"


def _label_count_mismatch(base):
    directory = base / "count"
    make_idx_dir(directory)
    target = write_idx(directory / "train-labels-idx1-ubyte.gz", make_labels(59))
    return directory, None, target


def _remove(name, gone):
    def build(base):
        directory = base / name
        make_idx_dir(directory)
        (directory / gone).unlink()
        return directory, None, directory
    return build


def _idx_ok(name):
    def build(base):
        make_idx_dir(base / name)
        return base / name, None, base / name
    return build


def _idx_file_given(base):
    make_idx_dir(base / "i")
    path = base / "i" / "train-images-idx3-ubyte.gz"
    return path, None, path


def _presplit(name, skip=(), **extra):
    def build(base):
        arrays = {"x_train": make_images(30), "y_train": make_labels(30),
                  "x_valid": make_images(5), "y_valid": make_labels(5),
                  "x_test": make_images(5), "y_test": make_labels(5)}
        arrays.update(extra)
        return _npz(name, **{k: v for k, v in arrays.items() if k not in skip})(base)
    return build


X, Y = make_images(50), make_labels(50)
FLOATS = X.astype(np.float64)

MALFORMED = {
    "missing file": (_missing, "no such file"),
    "directory without IDX files": (_empty_dir, "no IDX files"),
    "text file": (_text_file, "not an .npz archive"),
    "npy file": (_npy_file, "not an .npz archive"),
    "zip without arrays": (_plain_zip, r"expected arrays images\+labels or x\+y \(found: readme.txt\)"),
    "zip with non-npy members": (_zip_with_fake_npy, "not a NumPy .npy array"),
    "truncated npz": (_truncated_npz, "not a readable .npz"),
    "corrupt npz member": (_bad_crc_npz, "cannot read x .*CRC"),
    "missing keys": (_npz("k.npz", x=X, labels=Y), r"\(found: labels, x\)"),
    "mismatched lengths": (_npz("n.npz", images=X, labels=Y[:45]), "labels has 45 entries but images has 50"),
    "colour images": (_npz("c.npz", x=np.zeros((5, 8, 8, 3)), y=Y[:5]), "non-image shape"),
    "1-D images": (_npz("o.npz", x=np.zeros(50), y=Y), "non-image shape"),
    "no samples": (_npz("e.npz", x=np.zeros((0, 8, 8)), y=np.zeros(0)), "empty"),
    "NaN pixels": (_npz("nan.npz", x=np.where(X == 7, np.nan, FLOATS), y=Y), "NaN or inf"),
    "inf pixels": (_npz("inf.npz", x=np.where(X == 7, np.inf, FLOATS), y=Y), "NaN or inf"),
    "float pixels over 255": (_npz("big.npz", x=FLOATS * 1.5, y=Y), r"outside 0\.\.255"),
    "negative pixels": (_npz("neg.npz", x=X.astype(np.int16) - 1, y=Y), r"outside 0\.\.255 \(min -1"),
    "int pixels over 255": (_npz("i16.npz", x=X.astype(np.int16) + 45, y=Y), r"outside 0\.\.255"),
    "text pixels": (_npz("s.npz", x=np.array([["a"] * 4] * 50), y=Y), "expected numbers"),
    "fractional labels": (_npz("fl.npz", x=X, y=Y + 0.5), "has values that are not integers"),
    "text labels": (_npz("tl.npz", x=X, y=Y.astype(str)), "has values that are not integers"),
    "negative labels": (_npz("nl.npz", x=X, y=Y.astype(np.int64) - 1), "negative"),
    "labels past class names": (
        _npz("cn.npz", x=X, y=Y, class_names=np.array(["a", "b", "c"])), "only 3 class names"),
    "one-hot labels": (_npz("oh.npz", x=X, y=np.eye(10)[Y]), "expected one class index"),
    "huge labels": (_npz("hl.npz", x=X, y=Y.astype(np.int64) * 10**6), "at most 10000 classes"),
    "numeric class names": (_npz("nn.npz", x=X, y=Y, class_names=np.arange(10)), "array of strings"),
    "pickled class names": (
        _npz("pk.npz", x=X, y=Y, class_names=np.array(["a", 1], dtype=object)), "pickled object array"),
    "pickled images": (_npz("pi.npz", images=np.array([None] * 50), labels=Y), "pickled object array"),
    "split leaves no test set": (_with_split(_npz("s1.npz", x=X, y=Y), "30,20"), "leaves the test set empty"),
    "split asks for too much": (
        _with_split(_npz("s2.npz", x=X, y=Y), "40,20"), "asks for 60 samples but there are 50"),
    "fractions leave valid empty": (
        _with_split(_npz("s3.npz", x=X[:5], y=Y[:5]), "0.6,0.1"), "leaves the validation set empty"),
    "too few for the default split": (
        _npz("s4.npz", x=X[:3], y=Y[:3]), "default 60/20/20 split of 3 samples leaves the validation"),
    "split on a pre-split file": (_with_split(_presplit("p1.npz"), "10,5"), "a split does not apply"),
    "pre-split without test": (_presplit("p2.npz", skip=("x_test", "y_test")), "pre-split archive needs"),
    "x_valid without y_valid": (_presplit("p3.npz", skip=("y_valid",)), "must come together"),
    "pre-split shapes differ": (
        _presplit("p4.npz", x_test=make_images(5, (9, 9))), "x_test has images of shape 9x9"),
    "IDX wrong magic": (_idx_dir("m", magic=0x803), "wrong IDX magic 0x00000803, expected 0x00000801"),
    "IDX truncated payload": (_idx_dir("t", cut=5), "truncated IDX payload"),
    "IDX truncated payload, plain": (
        _idx_dir("tp", cut=5, gz=False, which="t10k-images-idx3-ubyte"), "truncated IDX payload"),
    "IDX payload too long": (_idx_dir("l", gz=False, extra=b"\x00"), "IDX payload too long"),
    "IDX truncated gzip": (_truncated_gzip, "truncated or corrupt gzip"),
    "IDX header too short": (_short_header, "truncated IDX header"),
    "IDX label count": (_label_count_mismatch, "has 59 labels but train-images-idx3-ubyte.gz has 60"),
    "IDX labels missing": (_remove("nl", "train-labels-idx1-ubyte.gz"), "no matching train-labels"),
    "IDX t10k labels missing": (_remove("nt", "t10k-labels-idx1-ubyte.gz"), "no matching t10k-labels"),
    "IDX file instead of directory": (_idx_file_given, "pass the directory"),
    "IDX split asks for too much": (
        _with_split(_idx_ok("big"), "50,20"), "asks for 70 samples but the train file has 60"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_input_raises_one_line_dataset_error(tmp_path, case):
    build, pattern = MALFORMED[case]
    path, split, named = build(tmp_path / "case")
    message = load_error(path, split)
    assert str(named) in message
    assert re.search(pattern, message), message


class _Trap:
    """Unpickling this creates a file: proof that code from the archive ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickled_payload_is_never_run(tmp_path):
    marker = tmp_path / "pwned"
    trap = np.empty(1, dtype=object)
    trap[0] = _Trap(marker)
    path = write_npz(tmp_path / "evil.npz", x=X, y=Y, class_names=trap)
    assert "pickled object array" in load_error(path)
    assert not marker.exists()


def test_empty_path_is_an_error():
    assert "empty dataset path" in load_error("")


def test_bad_split_text_is_reported_before_reading(tmp_path):
    assert "'10000'" in load_error(tmp_path / "missing.npz", "10000")


# --------------------------------------------------------------------------- bundled file


@pytest.fixture(scope="module")
def bundled() -> Dataset:
    return load_dataset()


def test_bundled_file_loads_with_the_course_split(bundled):
    assert (bundled.name, bundled.source) == ("fashion-mnist-subset", BUNDLED)
    assert bundled.split == "10000/6000/2720 (course split: shuffle seed 521)"
    assert bundled.class_names == FASHION_CLASS_NAMES and bundled.n_classes == 10
    assert bundled.image_shape == (28, 28) and bundled.n_features == 784
    assert bundled.x_train.max() == 1.0
    all_labels = np.concatenate([bundled.y_train, bundled.y_valid, bundled.y_test])
    np.testing.assert_array_equal(np.bincount(all_labels), [1872] * 10)
    assert_well_formed(bundled)


def test_bundled_by_name_is_the_same_file(bundled):
    again = load_dataset(BUNDLED)
    np.testing.assert_array_equal(again.x_test, bundled.x_test)
    assert again.source == BUNDLED


def test_bundled_path_prefers_the_wheel_location(tmp_path, monkeypatch):
    package = tmp_path / "core"
    (package / "_assets").mkdir(parents=True)
    (package / "_assets" / "fashion-mnist-subset.npz").write_bytes(b"")
    monkeypatch.setattr(bundled_module, "__file__", str(package / "datasets" / "bundled.py"))
    assert bundled_path() == package / "_assets" / "fashion-mnist-subset.npz"


def test_bundled_path_finds_the_checkout_copy():
    assert bundled_path() == ROOT / "assets" / "fashion-mnist-subset.npz"


def test_missing_bundled_file_is_a_dataset_error(tmp_path, monkeypatch):
    monkeypatch.setattr(bundled_module, "__file__", str(tmp_path / "core" / "datasets" / "bundled.py"))
    with pytest.raises(DatasetError, match="bundled dataset is missing"):
        load_dataset()


# --------------------------------------------------------------------------- the type and the module


def test_dataset_is_frozen_and_short_to_print(bundled):
    with pytest.raises(dataclasses.FrozenInstanceError):
        bundled.name = "other"
    assert "x_train" not in repr(bundled) and len(repr(bundled)) < 500


def test_datasets_package_imports_only_numpy_and_stdlib():
    for module in sorted((ROOT / "core" / "datasets").glob("*.py")):
        tree = ast.parse(module.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        # Pillow only in the image-file decoder (lazily: see test_import_hygiene).
        allowed = {"numpy", "PIL"} if module.name == "imagefile.py" else {"numpy"}
        assert imported - set(sys.stdlib_module_names) <= allowed, module.name
        # Relative imports stay inside the package: core.datasets needs nothing else from core,
        # except the cache's atomic writes.
        outside = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level > 1}
        assert outside <= ({"atomic"} if module.name == "cache.py" else set()), module.name

