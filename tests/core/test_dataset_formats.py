"""Tests for the dataset formats beyond .npz/IDX: CSV tables, .npy pairs, colour and
channels-first arrays, tabular data, labels of every kind, refusals and hostile files.

Every file is written into ``tmp_path`` here. Expected arrays are computed
independently: from the arrays written and the course shuffle (``RandomState(521)``),
not from the loader's own output.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.datasets import DatasetError, Preprocess, load_dataset
from core.datasets import safety
from core.datasets.load import read_raw
from core.datasets.split import COURSE_SEED

N, K = 150, 3  # 60/20/20 -> 90/30/30: every class has >= 2 training examples
N_TRAIN, N_VALID = 90, 30


# --------------------------------------------------------------------------- helpers


def balanced_labels(n: int = N, k: int = K, seed: int = 1) -> np.ndarray:
    """``(n,)`` int64 in 0..k-1, each class n/k times, in a shuffled order."""
    return np.random.default_rng(seed).permutation(np.arange(n) % k).astype(np.int64)


def pixels(y: np.ndarray, shape=(64,), seed: int = 0) -> np.ndarray:
    """``(n, *shape)`` uint8 pixels a small network can learn: class prototype + noise."""
    prototypes = np.random.default_rng(12345).random((int(y.max()) + 1, *shape))
    noise = np.random.default_rng(seed).random((len(y), *shape))
    return np.round(255 * (0.6 * prototypes[y] + 0.4 * noise)).astype(np.uint8)


def course_order(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train, valid, test indices of the default 60/20/20 split, computed independently."""
    order = np.arange(n)
    np.random.RandomState(COURSE_SEED).shuffle(order)
    n_train, n_valid = (6 * n) // 10, (2 * n) // 10
    return order[:n_train], order[n_train:n_train + n_valid], order[n_train + n_valid:]


def write_csv(path: Path, header: list[str], rows, delimiter: str = ",") -> Path:
    """A CSV file (gzipped when ``path`` ends in .gz) with ``header`` and ``rows`` of cells."""
    lines = [delimiter.join(header)] + [delimiter.join(str(c) for c in row) for row in rows]
    text = "\n".join(lines) + "\n"
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def kaggle_csv(path: Path, x: np.ndarray, labels, delimiter: str = ",", label_name: str = "label") -> Path:
    """``label,pixel0..pixelD-1``: the label first, then one int cell per pixel."""
    header = [label_name] + [f"pixel{i}" for i in range(x.shape[1])]
    return write_csv(path, header, ([lab, *row] for lab, row in zip(labels, x.tolist())), delimiter)


def write_pair(tmp_path: Path, x: np.ndarray, y: np.ndarray, x_name="x.npy", y_name="y.npy") -> Path:
    np.save(tmp_path / x_name, x)
    np.save(tmp_path / y_name, y)
    return tmp_path / x_name


def npy_header_bytes(shape, descr: str = "<f8") -> bytes:
    """A valid version-1.0 .npy header for ``shape`` (and no data)."""
    handle = io.BytesIO()
    np.lib.format.write_array_header_1_0(handle, {"descr": descr, "fortran_order": False, "shape": shape})
    return handle.getvalue()


def refusal(path, **kwargs) -> str:
    """The DatasetError message of loading ``path``; it must be one line."""
    with pytest.raises(DatasetError) as info:
        load_dataset(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.strip() == message
    return message


# --------------------------------------------------------------------------- CSV


def test_kaggle_csv_loads_8x8_images_scaled_by_255_with_their_labels(tmp_path):
    y = balanced_labels()
    x = pixels(y)
    data = load_dataset(kaggle_csv(tmp_path / "digits.csv", x, y))
    train, valid, test = course_order(N)
    assert (data.kind, data.image_shape, data.class_names) == ("image", (8, 8), ("0", "1", "2"))
    assert (data.preprocess.kind, data.preprocess.divisor) == ("pixels", 255.0)
    assert data.x_train.dtype == np.float32 and data.x_train.shape == (N_TRAIN, 64)
    np.testing.assert_allclose(data.x_train, x[train] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(data.x_test, x[test] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(data.y_train, y[train])
    np.testing.assert_array_equal(data.y_valid, y[valid])
    np.testing.assert_array_equal(data.y_test, y[test])


def test_csv_string_labels_become_sorted_unique_class_names(tmp_path):
    y = balanced_labels()
    words = np.array(["zebra", "cat", "mouse"])  # index 0..2 -> not in sorted order
    raw, _, _ = read_raw(kaggle_csv(tmp_path / "animals.csv", pixels(y), words[y]))
    assert raw.class_names == ("cat", "mouse", "zebra")
    np.testing.assert_array_equal(np.array(raw.class_names)[raw.y], words[y])


def test_csv_quoted_string_labels(tmp_path):
    y = balanced_labels()
    raw, _, _ = read_raw(kaggle_csv(tmp_path / "q.csv", pixels(y), [f'"c {v}"' for v in y]))
    assert raw.class_names == ("c 0", "c 1", "c 2")
    np.testing.assert_array_equal(raw.y, y)


@pytest.mark.parametrize("name, delimiter", [("d.csv.gz", ","), ("d.csv", ";"), ("d.csv.gz", ";"), ("d.tsv", "\t")])
def test_csv_gz_and_other_delimiters_read_as_the_plain_csv(tmp_path, name, delimiter):
    y = balanced_labels()
    x = pixels(y)
    plain, _, _ = read_raw(kaggle_csv(tmp_path / "plain.csv", x, y))
    other, _, _ = read_raw(kaggle_csv(tmp_path / name, x, y, delimiter=delimiter))
    np.testing.assert_array_equal(other.x, plain.x)
    np.testing.assert_array_equal(other.y, y)
    assert other.image_shape == (8, 8)


@pytest.mark.parametrize("label_name", ["class", "target", "y", "Target", "LABEL"])
@pytest.mark.parametrize("position", [0, 3, 64])
def test_csv_label_column_by_name_anywhere(tmp_path, label_name, position):
    y = balanced_labels()
    x = pixels(y)
    header = [f"f{i}" for i in range(64)]
    header.insert(position, label_name)
    rows = [row[:position] + [lab] + row[position:] for lab, row in zip(y.tolist(), x.tolist())]
    raw, _, _ = read_raw(write_csv(tmp_path / "t.csv", header, rows))
    np.testing.assert_array_equal(raw.y, y)
    np.testing.assert_array_equal(raw.x, x)  # the label column is not a feature


@pytest.mark.parametrize("cell, what", [("abc", "'abc' is not a number"), ("", "an empty cell")])
def test_csv_bad_cell_refused_in_one_line_naming_its_column(tmp_path, cell, what):
    rows = [[1, 2, 3, 0], [4, cell, 6, 1], [7, 8, 9, 2]]
    message = refusal(write_csv(tmp_path / "bad.csv", ["f0", "f1", "f2", "label"], rows))
    assert "bad.csv" in message and "line " in message
    assert "'f1'" in message and what in message


def test_csv_bad_cell_names_its_line_in_the_file(tmp_path):
    # line 1 header, line 2 first row, line 3 the bad row
    rows = [[1, 2, 3, 0], [4, "abc", 6, 1], [7, 8, 9, 2]]
    message = refusal(write_csv(tmp_path / "bad.csv", ["f0", "f1", "f2", "label"], rows))
    assert "line 3," in message


def test_csv_bad_cell_after_the_label_column_names_its_column(tmp_path):
    y = balanced_labels()
    x = pixels(y).astype(object)
    x[5, 10] = "abc"
    message = refusal(kaggle_csv(tmp_path / "kaggle.csv", x, y))
    assert "'pixel10'" in message  # the code names pixel11


def test_csv_empty_label_cell_refused(tmp_path):
    y = balanced_labels().astype(object)
    y[::7] = ""  # 22 rows without a label: loaded as a class named ''
    message = refusal(kaggle_csv(tmp_path / "nolabel.csv", pixels(balanced_labels()), y))
    assert "'label'" in message and "line 2," in message


def test_csv_without_label_column_says_what_to_name_it(tmp_path):
    message = refusal(write_csv(tmp_path / "n.csv", ["a", "b", "c"], [[1, 2, 3]] * 10))
    assert "no label column" in message and "(a, b, c)" in message
    assert "label, class, target or y" in message


def test_csv_header_only_refused(tmp_path):
    message = refusal(write_csv(tmp_path / "h.csv", ["label", "a", "b"], []))
    assert "no data rows" in message


def test_csv_empty_file_refused(tmp_path):
    (tmp_path / "e.csv").write_text("")
    assert "empty CSV file" in refusal(tmp_path / "e.csv")


def test_csv_rows_shorter_than_header_refused(tmp_path):
    message = refusal(write_csv(tmp_path / "s.csv", ["label", "a", "b", "c"], [[0, 1, 2]] * 10))
    assert "3 values" in message and "4 columns" in message


# --------------------------------------------------------------------------- .npy pairs


@pytest.mark.parametrize("x_name, y_name", [
    ("x.npy", "y.npy"), ("x.npy", "labels.npy"), ("X.npy", "Y.npy"),
    ("images.npy", "labels.npy"), ("train_x.npy", "train_y.npy"), ("digits_images.npy", "digits_labels.npy"),
])
def test_npy_pair_found_by_its_sibling_name(tmp_path, x_name, y_name):
    y = balanced_labels()
    x = pixels(y, (8, 8))
    raw, _, _ = read_raw(write_pair(tmp_path, x, y, x_name, y_name))
    np.testing.assert_array_equal(raw.x, x.reshape(N, 64))
    np.testing.assert_array_equal(raw.y, y)
    assert raw.image_shape == (8, 8)


def test_npy_magic_bytes_without_suffix_read_as_npy(tmp_path):
    y = balanced_labels()
    x = pixels(y, (8, 8))
    write_pair(tmp_path, x, y, "train_x.npy", "train_y.npy")
    os.rename(tmp_path / "train_x.npy", tmp_path / "train_x")
    raw, _, _ = read_raw(tmp_path / "train_x")  # found by its magic bytes, labels by its stem
    np.testing.assert_array_equal(raw.x, x.reshape(N, 64))
    np.testing.assert_array_equal(raw.y, y)


@pytest.mark.parametrize("x_name, looked_for", [
    ("x.npy", ("y.npy", "labels.npy")), ("train_x.npy", ("train_y.npy", "train_labels.npy")),
    ("images.npy", ("labels.npy",)),
])
def test_npy_without_sibling_names_the_files_looked_for(tmp_path, x_name, looked_for):
    np.save(tmp_path / x_name, pixels(balanced_labels(), (8, 8)))
    message = refusal(tmp_path / x_name)
    assert "no labels file" in message
    for name in looked_for:
        assert name in message


@pytest.mark.parametrize("given", ["y.npy", "labels.npy", "train_y.npy", "data.npy"])
def test_npy_labels_file_or_unpaired_name_asks_for_the_samples_file(tmp_path, given):
    y = balanced_labels()
    write_pair(tmp_path, pixels(y, (8, 8)), y, "x.npy", given)
    message = refusal(tmp_path / given)
    assert "pass the samples file" in message and "x.npy + y.npy" in message


@pytest.mark.parametrize("which", ["x.npy", "y.npy"])
def test_npy_header_claiming_a_huge_shape_refused_before_reading(tmp_path, which):
    y = balanced_labels()
    write_pair(tmp_path, pixels(y, (8, 8)), y)
    (tmp_path / which).write_bytes(npy_header_bytes((10**9, 784)) + b"\0" * 64)
    message = refusal(tmp_path / "x.npy")
    assert "declares shape (1000000000, 784)" in message and which in message


def test_npy_pickled_object_array_refused(tmp_path):
    y = balanced_labels()
    np.save(tmp_path / "x.npy", np.array([{"a": 1}] * N, dtype=object), allow_pickle=True)
    np.save(tmp_path / "y.npy", y)
    assert "refusing to unpickle" in refusal(tmp_path / "x.npy")


def test_npy_labels_of_the_wrong_length_refused(tmp_path):
    y = balanced_labels()
    write_pair(tmp_path, pixels(y, (8, 8)), y[:-1])
    message = refusal(tmp_path / "x.npy")
    assert f"{N - 1} entries" in message and f"{N}" in message


# --------------------------------------------------------------------------- colour


def test_colour_channels_last_and_first_give_the_same_rows(tmp_path):
    y = balanced_labels()
    last = pixels(y, (8, 8, 3))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = load_dataset(write_pair(tmp_path / "a", last, y))
    b = load_dataset(write_pair(tmp_path / "b", np.ascontiguousarray(last.transpose(0, 3, 1, 2)), y))
    assert a.image_shape == b.image_shape == (8, 8, 3)
    assert a.channels == 3 and a.n_features == 192
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    train, _, _ = course_order(N)
    np.testing.assert_allclose(a.x_train, last[train].reshape(N_TRAIN, -1) / 255.0, rtol=1e-6)


@pytest.mark.parametrize("shape", [(1, 8, 8), (8, 8, 1)])
def test_single_channel_arrays_are_grey(tmp_path, shape):
    y = balanced_labels()
    data = load_dataset(write_pair(tmp_path, pixels(y, shape), y))
    assert data.image_shape == (8, 8) and data.channels == 1


def test_four_channels_refused_mentioning_channels(tmp_path):
    y = balanced_labels()
    message = refusal(write_pair(tmp_path, pixels(y, (8, 8, 4)), y))
    assert "4 channels" in message and "1 (grey) or 3 (RGB)" in message


def test_four_channels_first_refused_naming_four_channels(tmp_path):
    y = balanced_labels()
    message = refusal(write_pair(tmp_path, pixels(y, (4, 8, 8)), y))
    assert "4 channels" in message  # says "8 channels"


# --------------------------------------------------------------------------- tabular


def tabular_csv(path: Path, n: int = N, d: int = 5) -> tuple[Path, np.ndarray, np.ndarray]:
    """Learnable real features with negatives, very different scales per column."""
    y = balanced_labels(n)
    rng = np.random.default_rng(3)
    centres = rng.normal(0, 3, (K, d))
    x = (centres[y] + rng.normal(0, 1, (n, d))) * np.array([1, 10, 0.1, 100, -5])[:d] - 7
    header = [f"f{i}" for i in range(d)] + ["target"]
    rows = [[*(f"{v:.17g}" for v in row), lab] for row, lab in zip(x, y)]
    return write_csv(path, header, rows), x, y


def test_tabular_data_standardised_with_train_statistics(tmp_path):
    path, x, y = tabular_csv(tmp_path / "tab.csv")
    data = load_dataset(path)
    assert (data.kind, data.image_shape, data.n_features) == ("tabular", (1, 5), 5)
    assert data.preprocess.kind == "standardise" and not data.is_image
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1, atol=1e-5)

    train, valid, test = course_order(N)
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    np.testing.assert_allclose(data.x_valid, (x[valid] - mean) / std, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(data.x_test, (x[test] - mean) / std, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(data.preprocess.undo(data.x_valid), x[valid], rtol=1e-5, atol=1e-4)
    # valid was not standardised with its own statistics
    assert np.abs(data.x_valid.mean(axis=0)).max() > 1e-3
    np.testing.assert_array_equal(data.y_valid, y[valid])


def test_tabular_npy_agrees_with_read_raw_and_the_split(tmp_path):
    path, x, y = tabular_csv(tmp_path / "tab.csv")
    raw, _, _ = read_raw(path)
    np.testing.assert_allclose(raw.x, x)
    write_pair(tmp_path, x, y)
    data = load_dataset(tmp_path / "x.npy")
    train, _, _ = course_order(N)
    np.testing.assert_allclose(data.preprocess.mean, raw.x[train].mean(axis=0))
    np.testing.assert_allclose(data.preprocess.std, raw.x[train].std(axis=0))


def test_constant_feature_maps_to_zero_not_inf(tmp_path):
    y = balanced_labels()
    x = np.column_stack([np.random.default_rng(0).normal(size=(N, 4)), np.full(N, -2.5)])
    data = load_dataset(write_pair(tmp_path, x, y))
    assert np.isfinite(data.x_train).all()
    np.testing.assert_array_equal(data.x_valid[:, 4], 0)


def test_given_preprocess_is_applied_instead_of_a_fitted_one(tmp_path):
    path, x, _ = tabular_csv(tmp_path / "tab.csv")
    data = load_dataset(path, preprocess=Preprocess.pixels(255))
    train, valid, _ = course_order(N)
    assert data.preprocess.kind == "pixels"
    np.testing.assert_allclose(data.x_train, x[train] / 255, rtol=1e-5)
    np.testing.assert_allclose(data.x_valid, x[valid] / 255, rtol=1e-5)

    other = Preprocess.fit_standardise(np.arange(20.0).reshape(4, 5))
    again = load_dataset(path, preprocess=other)
    np.testing.assert_allclose(again.x_test, (x[course_order(N)[2]] - other.mean) / other.std, rtol=1e-5)


def test_preprocess_with_another_feature_count_refused(tmp_path):
    path, _, _ = tabular_csv(tmp_path / "tab.csv")
    four = Preprocess.fit_standardise(np.random.default_rng(0).normal(size=(10, 4)))
    message = refusal(path, preprocess=four)
    assert "takes 4 features" in message and "has 5" in message


# --------------------------------------------------------------------------- labels


def labels_dataset(tmp_path, y, shape=(64,)):
    """load_dataset of an x.npy/y.npy pair with learnable pixels for the labels ``y``."""
    write_pair(tmp_path, pixels(balanced_labels(len(y)), shape), y)
    return load_dataset(tmp_path / "x.npy")


def test_labels_1_to_10_relabelled_with_a_note(tmp_path):
    y = balanced_labels(200, 10) + 1
    data = labels_dataset(tmp_path, y)
    assert data.class_names == tuple(str(k) for k in range(1, 11))
    train, _, test = course_order(200)
    np.testing.assert_array_equal(data.y_train + 1, y[train])
    np.testing.assert_array_equal(data.y_test + 1, y[test])
    assert any("relabelled" in note and "1..10" in note for note in data.warnings)


def test_labels_minus_one_and_one(tmp_path):
    y = np.where(balanced_labels(N, 2) == 0, -1, 1)
    data = labels_dataset(tmp_path, y)
    train, _, _ = course_order(N)
    assert data.class_names == ("-1", "1")
    np.testing.assert_array_equal(data.y_train, (y[train] == 1).astype(int))
    assert any("{-1, 1}" in note for note in data.warnings)


def test_labels_zero_based_ints_kept_without_a_note(tmp_path):
    y = balanced_labels()
    data = labels_dataset(tmp_path, y.astype(np.uint8))
    assert data.class_names == ("0", "1", "2") and data.warnings == ()
    np.testing.assert_array_equal(data.y_train, y[course_order(N)[0]])


@pytest.mark.parametrize("encode", [lambda s: s, lambda s: np.char.encode(s, "utf-8")], ids=["str", "bytes"])
def test_labels_strings_and_bytes(tmp_path, encode):
    y = balanced_labels()
    words = np.array(["pear", "apple", "fig"])
    data = labels_dataset(tmp_path, encode(words[y]))
    assert data.class_names == ("apple", "fig", "pear")
    train, _, _ = course_order(N)
    np.testing.assert_array_equal(np.array(data.class_names)[data.y_train], words[y][train])


def test_labels_bytes_not_utf8_refused(tmp_path):
    y = np.array([b"\xff\xfe", b"ok"] * (N // 2))
    assert "not UTF-8" in refusal(write_pair(tmp_path, pixels(balanced_labels()), y))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_labels_one_hot(tmp_path, dtype):
    y = balanced_labels()
    data = labels_dataset(tmp_path, np.eye(K, dtype=dtype)[y])
    assert data.class_names == ("0", "1", "2")
    np.testing.assert_array_equal(data.y_train, y[course_order(N)[0]])


@pytest.mark.parametrize("bad_row", [[1, 1, 0], [0, 0, 0], [0.5, 0.5, 0]])
def test_labels_bad_one_hot_row_refused_naming_it(tmp_path, bad_row):
    one_hot = np.eye(K)[balanced_labels()]
    one_hot[7] = bad_row
    message = refusal(write_pair(tmp_path, pixels(balanced_labels()), one_hot))
    assert "row 7 is not one-hot" in message


def test_labels_booleans_named_false_true(tmp_path):
    y = balanced_labels(N, 2).astype(bool)
    data = labels_dataset(tmp_path, y)
    assert data.class_names == ("False", "True")
    np.testing.assert_array_equal(data.y_train, y[course_order(N)[0]].astype(int))


def test_labels_integral_floats(tmp_path):
    y = balanced_labels()
    data = labels_dataset(tmp_path, y.astype(np.float64))
    assert data.class_names == ("0", "1", "2")
    np.testing.assert_array_equal(data.y_train, y[course_order(N)[0]])
    assert data.y_train.dtype == np.int64


def test_labels_integral_floats_off_zero_relabelled(tmp_path):
    y = balanced_labels()
    data = labels_dataset(tmp_path, 2.0 * y + 4)  # 4., 6., 8.
    assert data.class_names == ("4", "6", "8")
    np.testing.assert_array_equal(data.y_train, y[course_order(N)[0]])


@pytest.mark.parametrize("bad", [0.5, np.nan, np.inf])
def test_labels_non_integral_floats_refused(tmp_path, bad):
    y = balanced_labels().astype(np.float64)
    y[3] = bad
    assert "not whole numbers" in refusal(write_pair(tmp_path, pixels(balanced_labels()), y))


# --------------------------------------------------------------------------- refusals and warnings


@pytest.mark.parametrize("label", [0, 7, "cat"])
def test_one_class_refused(tmp_path, label):
    y = balanced_labels()
    message = refusal(kaggle_csv(tmp_path / "one.csv", pixels(y), [label] * N))
    assert "same class" in message and "at least 2 classes" in message


def test_class_with_under_two_training_examples_refused_naming_it(tmp_path):
    words = np.array(["cat", "dog"], dtype=object)[balanced_labels(N, 2)]
    words[0] = "rare"
    message = refusal(kaggle_csv(tmp_path / "rare.csv", pixels(balanced_labels()), words))
    assert "fewer than 2 training examples" in message and "'rare'" in message
    assert "'cat'" not in message


def test_class_missing_from_test_and_valid_is_a_warning(tmp_path):
    train, _, _ = course_order(N)
    y = balanced_labels(N, 2)
    y[train[:10]] = 2  # class 2 only in the training set
    data = labels_dataset(tmp_path, y)
    assert data.class_names == ("0", "1", "2")
    assert np.count_nonzero(data.y_train == 2) == 10 and 2 not in data.y_test
    assert any("test set" in note and "'2'" in note for note in data.warnings)
    assert any("validation set" in note and "'2'" in note for note in data.warnings)


# --------------------------------------------------------------------------- hostile files


def load_in_thread(path, timeout: float = 10.0, fifo=None):
    """Run load_dataset(path) in a daemon thread: the exception it raised (None if it
    loaded), or fail on a hang after unblocking the thread's open() of ``fifo``."""
    outcome = []

    def target():
        try:
            load_dataset(path)
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            outcome.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        _unblock(fifo or path)
        thread.join(timeout)
        pytest.fail(f"load_dataset({path}) still running after {timeout} s")
    return outcome[0]


def _unblock(path):
    """Open a FIFO for writing and close it, so a reader stuck in open() ends."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


@pytest.mark.parametrize("name", ["data.csv", "x.npy", "data.npz", "data", "train.csv.gz"])
def test_fifo_refused_without_hanging(tmp_path, name):
    os.mkfifo(tmp_path / name)
    error = load_in_thread(tmp_path / name)
    assert isinstance(error, DatasetError), error
    assert "FIFO" in str(error) and "\n" not in str(error)


def test_fifo_as_the_labels_sibling_refused_without_hanging(tmp_path):
    np.save(tmp_path / "x.npy", pixels(balanced_labels()))
    os.mkfifo(tmp_path / "y.npy")
    error = load_in_thread(tmp_path / "x.npy")
    assert isinstance(error, DatasetError) and "FIFO" in str(error) and "y.npy" in str(error)


@pytest.mark.slow
def test_fifo_inside_an_image_folder_refused_without_hanging(tmp_path):
    image = pytest.importorskip("PIL.Image")
    for name, y in (("a", 0), ("b", 1)):
        (tmp_path / name).mkdir()
        for i, picture in enumerate(pixels(np.full(10, y), (8, 8), seed=y)):
            image.fromarray(picture).save(tmp_path / name / f"{i}.png")
    os.mkfifo(tmp_path / "a" / "evil.png")
    error = load_in_thread(tmp_path, timeout=10.0, fifo=tmp_path / "a" / "evil.png")
    # Skipping it (named in Dataset.skipped) would do as well as refusing it.
    assert error is None or isinstance(error, DatasetError)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("link", [None, "data.csv", "x.npy", "data.npz"])
def test_dev_zero_refused(tmp_path, link):
    path = "/dev/zero"
    if link is not None:
        os.symlink("/dev/zero", tmp_path / link)
        path = tmp_path / link
    error = load_in_thread(path)
    assert isinstance(error, DatasetError) and "character device" in str(error)


def test_npz_member_header_claiming_more_than_it_holds_refused(tmp_path):
    path = tmp_path / "liar.npz"
    labels = io.BytesIO()
    np.save(labels, balanced_labels(8))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", npy_header_bytes((10**10, 8)) + b"\0" * 64)
        archive.writestr("y.npy", labels.getvalue())
    message = refusal(path)
    assert "declares shape (10000000000, 8)" in message and "truncated or corrupt" in message


def test_npz_deflate_bomb_refused_by_the_memory_check(tmp_path, monkeypatch):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, x=np.zeros((60_000_000 // 64, 64), np.uint8), y=np.zeros(60_000_000 // 64, np.uint8))
    assert path.stat().st_size < 1_000_000
    monkeypatch.setattr(safety, "available_memory", lambda: 10_000_000)
    monkeypatch.setattr(np, "load", _must_not_load)
    message = refusal(path)
    assert "memory" in message and "10 MB is available" in message


def test_small_npz_loads_under_the_same_memory_limit(tmp_path, monkeypatch):
    y = balanced_labels()
    np.savez_compressed(tmp_path / "small.npz", x=pixels(y), y=y)
    monkeypatch.setattr(safety, "available_memory", lambda: 10_000_000)
    assert load_dataset(tmp_path / "small.npz").x_train.shape == (N_TRAIN, 64)


def _must_not_load(*args, **kwargs):
    raise AssertionError("a reader was called on a file that should be refused before reading")


@pytest.mark.parametrize("name", ["x.npy", "data.npz"])
def test_npy_and_npz_refused_by_the_memory_check(tmp_path, monkeypatch, name):
    y = balanced_labels()
    x = pixels(y)
    if name == "x.npy":
        write_pair(tmp_path, x, y)
    else:
        np.savez(tmp_path / name, x=x, y=y)
    monkeypatch.setattr(safety, "available_memory", lambda: 1000)
    assert "needs about" in refusal(tmp_path / name)


def test_csv_refused_by_the_memory_check(tmp_path, monkeypatch):
    y = balanced_labels()
    path = kaggle_csv(tmp_path / "d.csv", pixels(y), y)
    monkeypatch.setattr(safety, "available_memory", lambda: 1000)
    monkeypatch.setattr(np, "loadtxt", _must_not_load)
    assert "needs about" in refusal(path)


def test_csv_gz_deflate_bomb_refused_before_parsing(tmp_path, monkeypatch):
    row = ",".join(["0"] * 65) + "\n"
    text = "label," + ",".join(f"pixel{i}" for i in range(64)) + "\n" + row * 150_000  # ~20 MB
    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(gzip.compress(text.encode(), 9))
    assert path.stat().st_size * 5 < 1_000_000
    monkeypatch.setattr(safety, "available_memory", lambda: 1_000_000)
    monkeypatch.setattr(np, "loadtxt", _must_not_load)
    assert "memory" in refusal(path)


def test_idx_gz_deflate_bomb_refused(tmp_path, monkeypatch):
    n = 60_000_000 // 784
    images = struct.pack(">IIII", 0x803, n, 28, 28) + bytes(n * 784)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(images, 9))
    labels = (np.arange(n) % K).astype(np.uint8).tobytes()
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(struct.pack(">II", 0x801, n) + labels)
    monkeypatch.setattr(safety, "available_memory", lambda: 10_000_000)
    with pytest.raises(DatasetError, match="memory"):
        read_raw(tmp_path)  # reads all 60 MB though only 10 MB are "available"


@pytest.mark.parametrize("name, reader", [("x.npy", "load"), ("data.npz", "load"), ("d.csv", "loadtxt")])
def test_memory_error_in_a_reader_becomes_one_line(tmp_path, monkeypatch, name, reader):
    y = balanced_labels()
    x = pixels(y)
    if name == "x.npy":
        write_pair(tmp_path, x, y)
    elif name == "data.npz":
        np.savez(tmp_path / name, x=x, y=y)
    else:
        kaggle_csv(tmp_path / name, x, y)

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(np, reader, out_of_memory)
    message = refusal(tmp_path / name)
    assert name in message and "not enough memory to load it" in message


def test_memory_error_while_scaling_becomes_one_line(tmp_path, monkeypatch):
    y = balanced_labels()
    path = kaggle_csv(tmp_path / "d.csv", pixels(y), y)

    def out_of_memory(self, x):
        raise MemoryError

    monkeypatch.setattr(Preprocess, "apply", out_of_memory)
    assert "not enough memory to scale the data" in refusal(path)


# --------------------------------------------------------------------------- through the CLI


def test_cli_trains_on_a_kaggle_csv(tmp_path, capsys):
    from tui.cli import main

    y = balanced_labels()
    path = kaggle_csv(tmp_path / "digits.csv", pixels(y), y)
    code = main(["train", "--data", str(path), "--epochs", "2", "--quiet", "--out", str(tmp_path / "run")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert (tmp_path / "run" / "model.npz").is_file()
    assert (tmp_path / "run" / "history.csv").read_text().count("\n") == 3  # header + 2 epochs


def test_cli_trains_on_tabular_csv(tmp_path, capsys):
    from tui.cli import main

    path, _, _ = tabular_csv(tmp_path / "tab.csv")
    code = main(["train", "--data", str(path), "--epochs", "2", "--quiet", "--out", str(tmp_path / "run")])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "run" / "model.npz").is_file()


@pytest.mark.parametrize("make", ["one_class", "bad_cell", "fifo"])
def test_cli_refuses_a_bad_file_in_one_stderr_line(tmp_path, capsys, make):
    from tui.cli import main

    y = balanced_labels()
    path = tmp_path / "bad.csv"
    if make == "one_class":
        kaggle_csv(path, pixels(y), [0] * N)
    elif make == "bad_cell":
        write_csv(path, ["a", "label"], [[1, 0], ["x", 1]])
    else:
        os.mkfifo(path)
    code = main(["train", "--data", str(path), "--epochs", "2", "--quiet", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("nntrain train: error:") and "bad.csv" in err
    assert err.count("\n") == 1 and err.endswith("\n")
    assert not (tmp_path / "run" / "model.npz").exists()
