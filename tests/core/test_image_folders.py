"""Folders of image files as datasets (ImageFolder layout), and the decoded-array cache."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest

import helpers
from core.datasets import DatasetError, load_dataset
from core.datasets import cache as cache_module
from core.datasets import images as images_module
from core.datasets.images import is_image_folder, read_image_folder

Image = pytest.importorskip("PIL.Image")

CLASSES = ("apple", "kiwi", "pear")


def sample(label: int, seed: int, shape=(8, 8), colour=False) -> np.ndarray:
    """A learnable image: class ``label`` lights its own band of rows, plus noise."""
    rng = np.random.default_rng(seed)
    h, w = shape
    pixels = rng.integers(0, 60, (h, w), dtype=np.int64)
    band = slice(label * h // 3, (label + 1) * h // 3)
    pixels[band] += 180
    pixels = np.clip(pixels, 0, 255).astype(np.uint8)
    if colour:
        return np.stack([pixels, 255 - pixels, pixels // 2], axis=2)
    return pixels


def make_folder(root: Path, per_class=20, classes=CLASSES, shape=(8, 8), colour=False, suffix=".png") -> Path:
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = sample(label, seed=1000 * label + i, shape=shape, colour=colour)
            Image.fromarray(pixels).save(root / name / f"{i:03d}{suffix}")
    return root


def truncated_png(path: Path) -> None:
    buffer = io.BytesIO()
    Image.fromarray(sample(0, 7, (32, 32), colour=True)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# --------------------------------------------------------------------------- loading


def test_grey_png_folder_loads_and_a_trainer_learns_it(tmp_path):
    root = make_folder(tmp_path / "fruit", per_class=40)
    data = load_dataset(root)
    assert data.class_names == CLASSES
    assert data.image_shape == (8, 8) and data.n_features == 64 and data.channels == 1
    assert len(data.y_train) + len(data.y_valid) + len(data.y_test) == 120
    assert data.x_train.dtype == np.float32 and 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    assert data.warnings == () and data.skipped == ()
    trainer = helpers.train(helpers.tiny_config(epochs=15), data)
    assert trainer.history[-1].test_acc > 0.6  # chance is 1/3


def test_pixels_and_labels_match_the_files(tmp_path):
    root = make_folder(tmp_path / "fruit", per_class=3)
    raw = read_image_folder(root, str(root))
    assert raw.x.shape == (9, 64) and raw.x.dtype == np.uint8
    assert raw.y.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert np.array_equal(raw.x[4], sample(1, 1001).reshape(-1))  # kiwi/001.png


def test_colour_folder_gives_three_channels(tmp_path):
    root = make_folder(tmp_path / "fruit", per_class=4, colour=True)
    data = load_dataset(root)
    assert data.image_shape == (8, 8, 3) and data.channels == 3 and data.n_features == 192
    raw = read_image_folder(root, str(root))
    assert np.array_equal(raw.x[0].reshape(8, 8, 3), sample(0, 0, colour=True))


def test_one_colour_image_makes_every_image_colour(tmp_path):
    root = make_folder(tmp_path / "fruit", per_class=3)
    Image.fromarray(sample(2, 5, colour=True)).save(root / "pear" / "zzz.png")
    raw = read_image_folder(root, str(root))
    assert raw.image_shape == (8, 8, 3)
    first = raw.x[0].reshape(8, 8, 3)
    assert np.array_equal(first[..., 0], sample(0, 0)) and np.array_equal(first[..., 2], sample(0, 0))


def test_mixed_sizes_are_resized_to_the_most_common_with_a_note(tmp_path):
    root = make_folder(tmp_path / "fruit", per_class=10)
    Image.fromarray(sample(0, 99, (16, 12))).save(root / "apple" / "0.png")  # the first file: an odd size
    Image.fromarray(sample(1, 98, (4, 4))).save(root / "kiwi" / "small.png")
    data = load_dataset(root)
    assert data.image_shape == (8, 8)
    assert data.warnings == ("resized 2 images to 8x8 (the most common size)",)
    raw = read_image_folder(root, str(root))
    assert raw.x.shape == (32, 64)
    assert np.array_equal(raw.x[1], sample(0, 0).reshape(-1))  # apple/000.png kept as it was


def test_corrupt_and_truncated_files_are_skipped_named_and_counted(tmp_path):
    root = make_folder(tmp_path / "fruit", per_class=10)
    (root / "kiwi" / "bad.png").write_bytes(np.random.default_rng(0).bytes(500))
    truncated_png(root / "pear" / "cut.png")
    data = load_dataset(root)
    assert data.skipped == ("kiwi/bad.png", "pear/cut.png")
    assert data.warnings[0] == (
        "skipped 2 unreadable image files: kiwi/bad.png (not an image), pear/cut.png (truncated file)"
    )
    assert len(data.y_train) + len(data.y_valid) + len(data.y_test) == 30


def test_many_skipped_files_name_three_then_count_the_rest(tmp_path):
    root = make_folder(tmp_path / "fruit", per_class=5)
    for i in range(5):
        (root / "apple" / f"x{i}.png").write_bytes(b"not a png")
    raw = read_image_folder(root, str(root))
    assert len(raw.skipped) == 5
    assert raw.notes == [
        "skipped 5 unreadable image files: apple/x0.png (not an image), apple/x1.png (not an image),"
        " apple/x2.png (not an image), and 2 more"
    ]


def test_hidden_and_non_image_files_are_ignored_and_nested_folders_read(tmp_path):
    root = make_folder(tmp_path / "fruit", per_class=3)
    (root / "apple" / ".hidden.png").write_bytes(b"junk")
    (root / "apple" / "notes.txt").write_text("hello")
    (root / ".git").mkdir()
    Image.fromarray(sample(0, 1)).save(root / ".git" / "x.png")
    (root / "README.md").write_text("readme")
    (root / "kiwi" / "more" / ".cache").mkdir(parents=True)
    Image.fromarray(sample(1, 50)).save(root / "kiwi" / "more" / "deep.png")
    Image.fromarray(sample(1, 51)).save(root / "kiwi" / "more" / ".cache" / "no.png")
    raw = read_image_folder(root, str(root))
    assert raw.class_names == CLASSES
    assert raw.skipped == [] and raw.notes == []
    assert raw.y.tolist() == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2]
    assert np.array_equal(raw.x[6], sample(1, 50).reshape(-1))  # kiwi/more/deep.png after kiwi/002.png


@pytest.mark.parametrize("suffix", [".jpg", ".JPEG", ".bmp", ".gif"])
def test_other_formats_are_read(tmp_path, suffix):
    root = make_folder(tmp_path / "fruit", per_class=4, suffix=suffix)
    raw = read_image_folder(root, str(root))
    assert raw.x.shape == (12, 64) and raw.skipped == []
    if suffix in (".bmp", ".gif"):
        assert np.array_equal(raw.x[0], sample(0, 0).reshape(-1))


def test_train_test_layout_keeps_the_test_set(tmp_path):
    make_folder(tmp_path / "d" / "train", per_class=12, classes=("a", "b"))
    make_folder(tmp_path / "d" / "test", per_class=5, classes=("a", "b"))
    data = load_dataset(tmp_path / "d")
    assert data.class_names == ("a", "b")
    assert len(data.y_test) == 10 and len(data.y_train) + len(data.y_valid) == 24
    assert sorted(set(data.y_test.tolist())) == [0, 1]
    # A class that only the test folder has cannot be learnt: refused, named.
    make_folder(tmp_path / "e" / "train", per_class=12, classes=("a", "b"))
    make_folder(tmp_path / "e" / "test", per_class=5, classes=("a", "c"))
    with pytest.raises(DatasetError, match=r"fewer than 2 training examples after the split: 'c' \(0\)"):
        load_dataset(tmp_path / "e")
    assert "test = the test folder" in data.split


def test_train_valid_test_layout_is_the_folders_own_split(tmp_path):
    for part, n in (("train", 6), ("val", 3), ("test", 2)):
        make_folder(tmp_path / "d" / part, per_class=n, classes=("a", "b"))
    data = load_dataset(tmp_path / "d")
    assert (len(data.y_train), len(data.y_valid), len(data.y_test)) == (12, 6, 4)
    assert "the file's own split" in data.split


def test_class_names_are_the_sorted_folder_names_even_for_an_empty_class(tmp_path):
    root = make_folder(tmp_path / "d", per_class=2, classes=("zebra", "Ant", "moth"))
    (root / "empty").mkdir()
    raw = read_image_folder(root, str(root))
    assert raw.class_names == ("Ant", "empty", "moth", "zebra")
    assert sorted(set(raw.y.tolist())) == [0, 2, 3]


def test_sixteen_bit_grey_png_is_scaled_not_clipped(tmp_path):
    root = make_folder(tmp_path / "d", per_class=2, classes=("a", "b"))
    Image.fromarray(np.full((8, 8), 65535, np.uint16)).save(root / "a" / "wide.png")
    Image.fromarray(np.full((8, 8), 32768, np.uint16)).save(root / "b" / "wide.png")
    raw = read_image_folder(root, str(root))
    assert (raw.x[2] == 255).all() and (raw.x[5] == 128).all()


def test_layout_errors_are_one_line(tmp_path):
    (tmp_path / "flat").mkdir()
    Image.fromarray(sample(0, 0)).save(tmp_path / "flat" / "a.png")
    with pytest.raises(DatasetError, match="images but no class sub-folders; expected ROOT/<class>/"):
        load_dataset(tmp_path / "flat")
    (tmp_path / "broken" / "a").mkdir(parents=True)
    (tmp_path / "broken" / "a" / "x.png").write_bytes(b"junk")
    with pytest.raises(DatasetError, match="none of the 1 image files could be read") as info:
        load_dataset(tmp_path / "broken")
    assert "\n" not in str(info.value)
    (tmp_path / "nothing" / "a").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no image files found"):
        read_image_folder(tmp_path / "nothing", "nothing")


def test_is_image_folder_and_idx_files_win(tmp_path):
    root = make_folder(tmp_path / "d", per_class=1)
    assert is_image_folder(root)
    (tmp_path / "e" / ".x").mkdir(parents=True)
    Image.fromarray(sample(0, 0)).save(tmp_path / "e" / ".x" / "a.png")
    assert not is_image_folder(tmp_path / "e")
    (root / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03")
    with pytest.raises(DatasetError, match="no matching train-labels-idx1-ubyte"):
        load_dataset(root)


def test_progress_is_reported_and_ends_at_the_total(tmp_path):
    root = make_folder(tmp_path / "d", per_class=10)
    calls = []
    load_dataset(root, progress=lambda done, total, what: calls.append((done, total, what)))
    assert calls and calls[-1] == (30, 30, "decoding images")
    assert all(total == 30 and what == "decoding images" for _, total, what in calls)
    assert [done for done, _, _ in calls] == sorted(done for done, _, _ in calls)


# --------------------------------------------------------------------------- cache


def _forbid_decoding(monkeypatch):
    def fail(path):
        raise AssertionError(f"decoded {path} despite the cache")

    monkeypatch.setattr(images_module, "read_image", fail)


def test_second_load_reads_no_image(tmp_path, monkeypatch):
    root = make_folder(tmp_path / "d", per_class=5)
    truncated_png(root / "apple" / "cut.png")
    Image.fromarray(sample(0, 3, (4, 4))).save(root / "kiwi" / "small.png")
    first = read_image_folder(root, str(root))
    _forbid_decoding(monkeypatch)
    second = read_image_folder(root, str(root))
    assert np.array_equal(first.x, second.x) and np.array_equal(first.y, second.y)
    assert (second.class_names, second.image_shape) == (first.class_names, first.image_shape)
    assert second.notes == first.notes and second.skipped == first.skipped == ["apple/cut.png"]
    assert second.x.dtype == np.uint8 and second.y.dtype == np.int64


def test_cached_train_test_layout_keeps_its_sets(tmp_path, monkeypatch):
    make_folder(tmp_path / "d" / "train", per_class=6, classes=("a", "b"))
    make_folder(tmp_path / "d" / "test", per_class=2, classes=("a", "b"))
    first = load_dataset(tmp_path / "d")
    _forbid_decoding(monkeypatch)
    second = load_dataset(tmp_path / "d")
    assert np.array_equal(first.x_test, second.x_test) and first.split == second.split


def test_a_touched_file_invalidates_the_cache(tmp_path, monkeypatch):
    root = make_folder(tmp_path / "d", per_class=3)
    read_image_folder(root, str(root))
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "kiwi" / "000.png")
    st = os.stat(root / "kiwi" / "000.png")
    os.utime(root / "kiwi" / "000.png", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    raw = read_image_folder(root, str(root))
    assert (raw.x[3] == 0).all()
    (root / "kiwi" / "000.png").unlink()
    assert len(read_image_folder(root, str(root)).y) == 8


def test_a_corrupt_cache_entry_is_ignored_and_rewritten(tmp_path):
    root = make_folder(tmp_path / "d", per_class=3)
    first = read_image_folder(root, str(root))
    (entry,) = Path(os.environ["NNTRAIN_CACHE_DIR"]).glob("*.npz")
    entry.write_bytes(b"PK\x03\x04 this is not a zip")
    again = read_image_folder(root, str(root))
    assert np.array_equal(first.x, again.x)
    with np.load(entry, allow_pickle=False) as archive:  # rewritten, readable again
        assert np.array_equal(archive["x"], first.x)


def test_an_unwritable_cache_dir_is_harmless(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NNTRAIN_CACHE_DIR", str(blocker / "cache"))
    root = make_folder(tmp_path / "d", per_class=10)
    assert len(load_dataset(root).class_names) == 3
    assert len(load_dataset(root).class_names) == 3


def test_nothing_is_written_beside_the_data(tmp_path):
    root = make_folder(tmp_path / "d", per_class=10)
    before = listing(root)
    load_dataset(root)
    load_dataset(root)
    assert listing(root) == before
    assert list(Path(os.environ["NNTRAIN_CACHE_DIR"]).glob("images-*.npz"))


def test_the_cache_keeps_only_the_newest_entries(tmp_path):
    for k in range(cache_module.KEEP + 2):
        root = make_folder(tmp_path / f"d{k}", per_class=1)
        read_image_folder(root, str(root))
    assert len(list(Path(os.environ["NNTRAIN_CACHE_DIR"]).glob("*.npz"))) == cache_module.KEEP


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NNTRAIN_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_module.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("NNTRAIN_CACHE_DIR")
    monkeypatch.setattr(cache_module.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_module.cache_dir() == tmp_path / "xdg" / "nntrain"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_module.cache_dir() == Path.home() / ".cache" / "nntrain"


def test_generic_store_and_load_round_trip(tmp_path):
    key = cache_module.make_key("csv", 1, "/some/file.csv", [("file.csv", 10, 123)])
    assert key != cache_module.make_key("csv", 1, "/some/file.csv", [("file.csv", 10, 124)])
    assert cache_module.load(key) is None
    cache_module.store(key, {"x": np.arange(6).reshape(2, 3), "names": np.array(["a", "b"])})
    arrays = cache_module.load(key)
    assert arrays["x"].tolist() == [[0, 1, 2], [3, 4, 5]] and arrays["names"].tolist() == ["a", "b"]


# --------------------------------------------------------------------------- CLI


def test_cli_train_on_a_folder_reports_the_skipped_file(tmp_path, capsys):
    from tui.cli import main

    root = make_folder(tmp_path / "fruit", per_class=20)
    (root / "pear" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    rc = main(["train", "--data", str(root), "--epochs", "1", "--hidden", "8", "--quiet", "--out", str(tmp_path / "run")])
    out, err = capsys.readouterr()
    assert rc == 0
    assert "skipped 1 unreadable image file: pear/broken.png" in err
    assert (tmp_path / "run" / "model.npz").exists()
