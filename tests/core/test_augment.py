"""Shift augmentation (core.augment): the shifts against np.roll-and-fill by hand,
determinism with the seed, refusal on tabular data, and training with it."""

from __future__ import annotations

import numpy as np
import pytest

from core.augment import MAX_SHIFT, Shifter
from core.config import ConfigError, TrainConfig
from core.trainer import Trainer
from helpers import IMAGE_SHAPE, assert_params_identical, history_rows, make_dataset, params_of, train, with_sets


def shifted_by_hand(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """`image` `(h, w[, c])` moved down dy and right dx, edges repeated."""
    h, w = image.shape[:2]
    out = np.empty_like(image)
    for r in range(h):
        for c in range(w):
            out[r, c] = image[min(max(r - dy, 0), h - 1), min(max(c - dx, 0), w - 1)]
    return out


@pytest.mark.parametrize("shape", [(5, 7), (4, 6, 3)], ids=["grey", "colour"])
def test_every_shift_matches_the_hand_made_one(shape):
    shifter = Shifter(shape)
    rng = np.random.default_rng(1)
    image = rng.random(shape)
    side = 2 * MAX_SHIFT + 1
    assert len(shifter.table) == side * side
    for k, table in enumerate(shifter.table):
        dy, dx = k // side - MAX_SHIFT, k % side - MAX_SHIFT
        got = image.reshape(-1)[table].reshape(shape)
        np.testing.assert_array_equal(got, shifted_by_hand(image, dy, dx), err_msg=f"shift {(dy, dx)}")


def test_a_batch_keeps_its_trailing_columns_and_varies_its_shifts():
    shifter = Shifter((6, 6))
    rng = np.random.default_rng(0)
    images = rng.random((3000, 36))
    src = np.concatenate([images, np.ones((3000, 1))], axis=1)  # more rows than one block
    out = np.full_like(src, 7.0)
    out[:, -1] = 1
    shifter.shift(src, out, np.random.default_rng(5))
    assert (out[:, -1] == 1).all()
    side = 2 * MAX_SHIFT + 1
    which = np.random.default_rng(5).integers(0, side * side, size=3000)
    for i in (0, 1, 2047, 2048, 2999):
        dy, dx = which[i] // side - MAX_SHIFT, which[i] % side - MAX_SHIFT
        expected = shifted_by_hand(images[i].reshape(6, 6), dy, dx).reshape(-1)
        np.testing.assert_array_equal(out[i, :-1], expected)
    assert len(set(which.tolist())) == side * side


@pytest.mark.parametrize("batch_size", [16, 0], ids=["mini-batch", "full-batch"])
def test_augmented_runs_are_deterministic_and_differ_from_plain_ones(batch_size):
    epochs = 3 if batch_size else 25  # full batch: one step per epoch
    config = TrainConfig(hidden=(8,), epochs=epochs, batch_size=batch_size, lr=0.1, augment="shift").validate()
    data = make_dataset()
    a, b = train(config, data), train(config, data)
    assert history_rows(a.history) == history_rows(b.history)
    assert_params_identical(params_of(a), params_of(b))
    plain = train(config.replace(augment="none"), data)
    assert not np.array_equal(params_of(plain)[0], params_of(a)[0])
    assert a.history[-1].train_loss < a.history[0].train_loss_running


def test_augmentation_never_touches_the_stored_training_set():
    data = make_dataset()
    trainer = Trainer(TrainConfig(hidden=(8,), epochs=2, batch_size=0, augment="shift").validate(), data)
    before = trainer.x_train.copy()
    list(trainer.run())
    np.testing.assert_array_equal(trainer.x_train, before)


def test_tabular_data_refuses_shifts():
    data = with_sets(make_dataset())
    tabular = type(data)(**{**data.__dict__, "kind": "tabular"})
    with pytest.raises(ConfigError, match="augment: shift moves pixels"):
        Trainer(TrainConfig(augment="shift").validate(), tabular)
    assert IMAGE_SHAPE  # the helpers' images are what the other tests shift
