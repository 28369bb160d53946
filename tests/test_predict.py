"""`nntrain predict` and core.predict: images, folders, data files, and the model's preprocessing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core import Dataset, TrainConfig, Trainer, load_checkpoint, save_checkpoint
from core.datasets import Preprocess
from core.datasets.imagefile import read_image
from tui.cli import main

CLASSES = ("dark", "left", "top")
SIDE = 8


def class_image(k: int, rng, side: int = SIDE, colour: bool = False) -> np.ndarray:
    """A learnable uint8 image: dark, bright left half, or bright top half, plus noise."""
    img = rng.integers(0, 40, (side, side)).astype(np.int64)
    if k == 1:
        img[:, : side // 2] += 200
    elif k == 2:
        img[: side // 2, :] += 200
    img = np.clip(img, 0, 255).astype(np.uint8)
    if colour:
        img = np.stack([img, img // 2, np.clip(img.astype(int) + 10, 0, 255).astype(np.uint8)], axis=2)
    return img


def write_png_folder(root: Path, per_class: int, seed: int, side: int = SIDE, colour: bool = False) -> Path:
    rng = np.random.default_rng(seed)
    for k, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(class_image(k, rng, side, colour)).save(root / name / f"{i:03d}.png")
    return root


def folder_dataset(root: Path) -> Dataset:
    """The PNG folder read with imagefile.read_image, as a Dataset scaled pixels / 255."""
    rows, labels = [], []
    for k, name in enumerate(CLASSES):
        for f in sorted((root / name).glob("*.png")):
            rows.append(read_image(f).reshape(-1))
            labels.append(k)
    x = np.asarray(rows, dtype=np.float32) / 255
    y = np.asarray(labels, dtype=np.int64)
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order], y[order]
    return Dataset(
        name="pngs", source=str(root), x_train=x, y_train=y, x_valid=x[:10], y_valid=y[:10],
        x_test=x[:10], y_test=y[:10], class_names=CLASSES, image_shape=(SIDE, SIDE), split="all",
        preprocess=Preprocess.pixels(255.0),
    )


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("model")
    data = folder_dataset(write_png_folder(tmp / "train", 30, seed=1))
    trainer = Trainer(TrainConfig(hidden=(16,), epochs=40, batch_size=16, lr=0.1, seed=0), data)
    for _ in trainer.run():
        pass
    return save_checkpoint(trainer, tmp / "model.npz")


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(["predict", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_held_out_pngs_mostly_right_with_accuracy_line(model, tmp_path, capsys):
    held = write_png_folder(tmp_path / "held", 5, seed=99)
    code, out, err = run_cli(capsys, model, held)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 16  # 15 files and the accuracy line
    right = sum(1 for line in lines[:-1] if "wrong" not in line)
    assert right >= 13
    assert lines[-1].startswith("accuracy ") and "of 15 with a known class" in lines[-1]
    first = lines[0].split("  ")
    assert first[0].endswith("dark/000.png") and first[1] in CLASSES and "top-3:" in first[3]


def test_json_and_top(model, tmp_path, capsys):
    held = write_png_folder(tmp_path / "held", 2, seed=5)
    code, out, _ = run_cli(capsys, model, held / "left", "--json", "--top", "2")
    assert code == 0
    records = [json.loads(line) for line in out.strip().splitlines()]
    assert len(records) == 2  # no class sub-folders here: no "true", no accuracy line
    for r in records:
        assert set(r) == {"input", "predicted", "probability", "top", "notes"}
        assert len(r["top"]) == 2 and r["top"][0]["class"] == r["predicted"]
        assert r["top"][0]["probability"] >= r["top"][1]["probability"]
        assert r["probability"] == r["top"][0]["probability"]
    code, out, _ = run_cli(capsys, model, held / "left" / "000.png", "--top", "99")
    assert "top-3:" in out  # capped at the class count


def test_size_mismatch_is_resized_and_colour_converted(model, tmp_path, capsys):
    rng = np.random.default_rng(3)
    big = np.kron(class_image(1, rng), np.ones((6, 8), dtype=np.uint8))  # 48 x 64
    Image.fromarray(big).save(tmp_path / "big.png")
    Image.fromarray(class_image(2, rng, colour=True)).save(tmp_path / "colour.png")
    code, out, _ = run_cli(capsys, model, tmp_path / "big.png", tmp_path / "colour.png", "--json")
    assert code == 0
    big_r, colour_r = (json.loads(line) for line in out.strip().splitlines())
    assert big_r["notes"] == ["resized from 64x48 to 8x8"] and big_r["predicted"] == "left"
    assert colour_r["notes"] == ["colour converted to grey"] and colour_r["predicted"] == "top"


def test_missing_input_exits_2_before_predicting(model, tmp_path, capsys):
    held = write_png_folder(tmp_path / "held", 1, seed=5)
    code, out, err = run_cli(capsys, model, held, tmp_path / "nope.png")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "nope.png: no such file or directory" in err


def test_corrupt_png_among_good_ones(model, tmp_path, capsys):
    held = write_png_folder(tmp_path / "held", 2, seed=5)
    good = (held / "top" / "000.png").read_bytes()
    (held / "top" / "001.png").write_bytes(good[: len(good) // 2])
    code, out, err = run_cli(capsys, model, held)
    assert code == 2
    assert len(out.strip().splitlines()) == 5 + 1  # the five good files and the accuracy line
    assert "top/001.png: cannot read image" in err and "Traceback" not in err


def test_dataset_file_as_input(model, tmp_path, capsys):
    rng = np.random.default_rng(8)
    y = np.arange(12) % 3
    x = np.stack([class_image(k, rng).reshape(-1) for k in y])
    np.savez(tmp_path / "new.npz", x=x, y=y)
    code, out, _ = run_cli(capsys, model, tmp_path / "new.npz")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith(f"{tmp_path / 'new.npz'}[0]  ") and len(lines) == 13
    assert lines[-1].endswith("(12 of 12 with a known class)")
    np.savez(tmp_path / "wide.npz", x=np.zeros((4, 16, 16), np.uint8), y=np.zeros(4, np.int64))
    code, out, err = run_cli(capsys, model, tmp_path / "wide.npz")
    assert code == 2
    assert "model takes 64 features (8x8 grey); file has 256 (16x16 grey)" in err and err.count("\n") == 1


def test_tabular_model_refuses_an_image_in_one_line(tmp_path, capsys):
    ckpt_path, _, _ = tabular_model(tmp_path)
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "a.png")
    code, out, err = run_cli(capsys, ckpt_path, tmp_path / "a.png")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "tabular model (5 features)" in err


def tabular_model(tmp_path: Path):
    """A model trained on standardised tabular rows with negative values."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    raw = rng.normal(-50, 20, (200, 5)) + 30 * y[:, None]
    prep = Preprocess.fit_standardise(raw)
    x = prep.apply(raw)
    data = Dataset(
        name="tab", source="memory", x_train=x, y_train=y, x_valid=x[:20], y_valid=y[:20],
        x_test=x[:20], y_test=y[:20], class_names=("no", "yes"), image_shape=(1, 5), split="all",
        preprocess=prep, kind="tabular",
    )
    trainer = Trainer(TrainConfig(hidden=(8,), epochs=5, batch_size=32, lr=0.05, seed=0), data)
    for _ in trainer.run():
        pass
    return save_checkpoint(trainer, tmp_path / "tab.npz"), trainer, prep


def test_standardisation_round_trip(tmp_path, capsys):
    path, trainer, prep = tabular_model(tmp_path)
    ckpt = load_checkpoint(path)
    assert ckpt.data_kind == "tabular" and ckpt.image_shape == (1, 5) and ckpt.channels == 1
    np.testing.assert_array_equal(ckpt.preprocess.mean, prep.mean)
    np.testing.assert_array_equal(ckpt.preprocess.std, prep.std)
    rows = np.random.default_rng(1).normal(-40, 25, (7, 5))
    expected = trainer.network.predict_proba(prep.apply(rows))
    np.testing.assert_allclose(ckpt.network().predict_proba(ckpt.preprocess.apply(rows)), expected, rtol=1e-6)
    # The same through predict_items, from a data file's raw rows (the reader is given
    # directly: reading negative values from a file is the loaders' part).
    from core.datasets.dataset import _Raw
    from core.predict import Item, predict_items

    raw = _Raw(rows, np.zeros(7, np.int64), (1, 5), kind="tabular")
    got = list(predict_items([Item(tmp_path / "rows.csv", dataset=True)], ckpt, ckpt.network(), on_error=None,
                             read_dataset=lambda path: raw))
    assert [p.input for p in got] == [f"{tmp_path / 'rows.csv'}[{i}]" for i in range(7)]
    np.testing.assert_allclose(np.stack([p.probabilities for p in got]), expected, rtol=1e-6)


@pytest.mark.parametrize("std, problem", [
    (lambda s: s * 0, "prep.std must be positive"),
    (lambda s: np.where(np.arange(len(s)) == 2, np.nan, s), "prep.std holds NaN"),
    (lambda s: s[:3], "prep.std should be float (5,)"),
])
def test_tampered_std_is_refused_in_one_line(tmp_path, std, problem):
    from core import CheckpointError

    path, _, _ = tabular_model(tmp_path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["prep.std"] = std(arrays["prep.std"])
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(tmp_path / "bad.npz")
    assert problem in str(caught.value) and "\n" not in str(caught.value)


def test_old_model_file_means_pixels_over_255(model, tmp_path):
    with np.load(model, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    del meta["preprocess"], meta["dataset"]["kind"]
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "old.npz", **arrays)
    ckpt = load_checkpoint(tmp_path / "old.npz")
    assert ckpt.preprocess.kind == "pixels" and ckpt.preprocess.divisor == 255.0 and ckpt.data_kind == "image"
    assert ckpt.image_shape == (SIDE, SIDE)


def test_image_shape_must_give_the_input_size(model, tmp_path):
    from core import CheckpointError

    with np.load(model, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    meta["dataset"]["image_shape"] = [9, 9]
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(CheckpointError, match="image_shape"):
        load_checkpoint(tmp_path / "bad.npz")


def test_resume_refuses_data_of_another_preprocess_kind(tmp_path):
    from core import CheckpointError, trainer_from_checkpoint

    path, trainer, _ = tabular_model(tmp_path)
    ckpt = load_checkpoint(path)
    pixel_data = __import__("dataclasses").replace(trainer.data, preprocess=Preprocess.pixels(255.0), kind="image")
    with pytest.raises(CheckpointError, match="standardised"):
        trainer_from_checkpoint(ckpt, pixel_data, ckpt.config.replace(epochs=10))


def test_a_csv_without_labels_is_predicted_row_by_row(model, tmp_path, capsys):
    # Kaggle's test.csv: pixel columns only. Predicting needs no labels.
    rng = np.random.default_rng(9)
    y = np.arange(9) % 3
    rows = np.stack([class_image(k, rng).reshape(-1) for k in y])
    path = tmp_path / "test.csv"
    header = ",".join(f"pixel{i}" for i in range(rows.shape[1]))
    path.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    code, out, _ = run_cli(capsys, model, path)
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 9  # no accuracy line: nothing to compare with
    assert all(line.startswith(f"{path}[{i}]  ") and "(true:" not in line for i, line in enumerate(lines))
    # The same rows with their labels are predicted the same way.
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("label," + header + "\n" + "\n".join(f"{k}," + ",".join(map(str, r)) for k, r in zip(y, rows)) + "\n")
    _, out2, _ = run_cli(capsys, model, labelled)
    assert [l.split()[1:3] for l in lines] == [l.split()[1:3] for l in out2.strip().splitlines()[:9]]
