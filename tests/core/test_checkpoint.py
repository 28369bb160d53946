"""core.checkpoint: save/load round trips, exact resumption, and every unreadable file
giving a one-line CheckpointError that names the file."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, trainer_from_checkpoint
from core.trainer import EARLY_STOPPED, FINISHED, Trainer
from helpers import (
    assert_params_identical,
    history_rows,
    make_dataset,
    params_of,
    tiny_config,
    train,
    with_sets,
)


@pytest.fixture
def trained(tiny_data):
    return train(tiny_config(epochs=3, dropout=0.1), tiny_data)


@pytest.fixture
def model_file(trained, tmp_path):
    return save_checkpoint(trained, tmp_path / "model.npz")


def assert_one_line_naming(exc: CheckpointError, path) -> None:
    text = str(exc)
    assert "\n" not in text
    assert str(path) in text


# --------------------------------------------------------------------------- round trip


def test_save_load_round_trip(trained, model_file):
    ckpt = load_checkpoint(model_file)
    assert ckpt.path == model_file
    assert ckpt.config == trained.config
    assert ckpt.sizes == trained.network.sizes
    assert ckpt.class_names == ("c0", "c1", "c2")
    # JSON keeps every float exactly, `seconds` included.
    assert ckpt.history == trained.history
    assert ckpt.meta["best_epoch"] == trained.best_epoch
    assert ckpt.meta["status"] == FINISHED
    for name, p in zip(trained.network.param_names(), trained.network.params):
        assert ckpt.params[name].tobytes() == p.tobytes()
        assert ckpt.params[name].dtype == p.dtype
    for name, p in zip(trained.network.param_names(), trained.best_params):
        assert ckpt.best_params[name].tobytes() == p.tobytes()
    for key, value in trained.optimizer.state().items():
        np.testing.assert_array_equal(ckpt.optimizer[key], value)
    assert_params_identical(params_of(ckpt.network()), params_of(trained))
    assert_params_identical(params_of(ckpt.network(best=True)), [p.copy() for p in trained.best_params])


def test_best_checkpoint_holds_best_weights(tmp_path):
    data = make_dataset()
    data = with_sets(data, y_valid=np.random.default_rng(5).permutation(data.y_valid))
    trainer = train(tiny_config(epochs=12, lr=0.3, hidden=(16,)), data)
    assert trainer.best_epoch < trainer.epoch  # the best epoch is not the last one here
    ckpt = load_checkpoint(save_checkpoint(trainer, tmp_path / "best.npz", best=True))
    assert ckpt.meta["kind"] == "best"
    assert_params_identical(params_of(ckpt.network()), [p.copy() for p in trainer.best_params])
    assert not np.array_equal(ckpt.params["W0"], trainer.network.weights[0])


def test_loads_with_allow_pickle_false(model_file):
    with np.load(model_file, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    assert "meta" in arrays and "param.W0" in arrays and "opt.t" in arrays
    assert all(a.dtype != object for a in arrays.values())
    meta = json.loads(str(arrays["meta"]))
    assert meta["format"] == "nntrain-checkpoint"


def test_save_is_atomic_and_overwrites(trained, tmp_path):
    path = tmp_path / "model.npz"
    save_checkpoint(trained, path)
    trained.message = "saved again"  # change something, save again over the same file
    save_checkpoint(trained, path)
    assert load_checkpoint(path).meta["message"] == "saved again"
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # no temporary file left behind


# --------------------------------------------------------------------------- exact resumption


def overfitting_data():
    data = make_dataset()
    return with_sets(data, y_valid=np.random.default_rng(5).permutation(data.y_valid))


RESUME_CASES = {
    "momentum-mini-batch": dict(batch_size=16, optimizer="momentum", v0=1e-5),
    "adam": dict(batch_size=16, optimizer="adam", lr=0.01),
    "dropout": dict(batch_size=16, dropout=0.3),
    "nesterov-full-batch-l2-f64": dict(batch_size=0, optimizer="nesterov", l2=0.01, dtype="float64"),
    "sgd-sum": dict(batch_size=8, optimizer="sgd", reduction="sum", lr=0.01),
}


@pytest.mark.parametrize("changes", RESUME_CASES.values(), ids=RESUME_CASES.keys())
def test_resume_equals_uninterrupted_run(tiny_data, tmp_path, changes):
    config6 = tiny_config(epochs=6, **changes)
    uninterrupted = train(config6, tiny_data)

    first = train(config6.replace(epochs=3), tiny_data)
    path = save_checkpoint(first, tmp_path / "model.npz")
    del first
    resumed = trainer_from_checkpoint(load_checkpoint(path), make_dataset(), config6)
    assert resumed.epoch == 3
    records = list(resumed.run())
    assert [r.epoch for r in records] == [4, 5, 6]

    assert resumed.status == FINISHED
    assert history_rows(resumed.history) == history_rows(uninterrupted.history)
    assert_params_identical(params_of(resumed), params_of(uninterrupted))
    assert_params_identical([p.copy() for p in resumed.best_params], [p.copy() for p in uninterrupted.best_params])
    assert resumed.best_epoch == uninterrupted.best_epoch


def test_resume_after_a_stop_with_the_same_config(tmp_path):
    """Like Ctrl+C: a run of 8 epochs stopped after 3, saved, resumed to the end."""
    data = make_dataset()
    config = tiny_config(epochs=8, dropout=0.2)
    uninterrupted = train(config, data)
    trainer = Trainer(config, data)
    gen = trainer.run()
    for _ in range(3):
        next(gen)
    gen.close()
    path = save_checkpoint(trainer, tmp_path / "model.npz")
    resumed = trainer_from_checkpoint(load_checkpoint(path), data)
    list(resumed.run())
    assert history_rows(resumed.history) == history_rows(uninterrupted.history)
    assert_params_identical(params_of(resumed), params_of(uninterrupted))


def test_resume_keeps_early_stopping_state(tmp_path):
    data = overfitting_data()
    config = tiny_config(epochs=25, lr=0.3, hidden=(16,), early_stop=3)
    uninterrupted = train(config, data)
    assert uninterrupted.status == EARLY_STOPPED
    stop = uninterrupted.epoch
    assert stop >= 3
    # Stop one epoch before early stopping triggers: bad_epochs must carry over.
    first = train(config.replace(epochs=stop - 1), data)
    assert first.bad_epochs > 0
    resumed = trainer_from_checkpoint(load_checkpoint(save_checkpoint(first, tmp_path / "m.npz")), data, config)
    list(resumed.run())
    assert resumed.status == EARLY_STOPPED
    assert resumed.epoch == stop
    assert resumed.best_epoch == uninterrupted.best_epoch
    assert_params_identical(params_of(resumed), params_of(uninterrupted))


def test_resume_rejects_a_dataset_that_does_not_fit(model_file):
    other = make_dataset(n_classes=4)
    with pytest.raises(CheckpointError) as info:
        trainer_from_checkpoint(load_checkpoint(model_file), other)
    assert_one_line_naming(info.value, model_file)


def test_resume_rejects_a_different_optimizer(trained, model_file, tiny_data):
    with pytest.raises(CheckpointError) as info:
        trainer_from_checkpoint(load_checkpoint(model_file), tiny_data, trained.config.replace(optimizer="adam"))
    assert_one_line_naming(info.value, model_file)
    assert "optimizer" in str(info.value)


# --------------------------------------------------------------------------- unreadable files


def test_missing_file(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert_one_line_naming(info.value, path)


def write_arrays(path, **arrays):
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


def test_pickled_object_array_is_refused(model_file, tmp_path):
    with np.load(model_file) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["param.W0"] = np.array([{"evil": 1}, None], dtype=object)
    path = write_arrays(tmp_path / "pickled.npz", **arrays)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert_one_line_naming(info.value, path)


def test_pickled_meta_is_refused(tmp_path):
    path = write_arrays(tmp_path / "pickled.npz", meta=np.array([{"format": "nntrain-checkpoint"}], dtype=object))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert_one_line_naming(info.value, path)


@pytest.mark.parametrize("size", [0, 1, 100, 5000])
def test_random_bytes(tmp_path, size):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(size).bytes(size))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert_one_line_naming(info.value, path)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.99])
def test_truncated_checkpoint(model_file, tmp_path, fraction):
    data = model_file.read_bytes()
    path = tmp_path / "truncated.npz"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert_one_line_naming(info.value, path)


def test_text_file_and_directory(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("hello\n")
    for path in (text, tmp_path):
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(path)
        assert_one_line_naming(info.value, path)


def test_dataset_file_is_not_a_model(npz_data):
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(npz_data)
    assert_one_line_naming(info.value, npz_data)
    assert "meta" in str(info.value)


def test_single_npy_array_is_not_a_model(tmp_path):
    """np.save output (an .npy, not an archive) under a .npz name, e.g. saved weights."""
    path = tmp_path / "weights.npz"
    with open(path, "wb") as handle:
        np.save(handle, np.zeros((3, 3)))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert_one_line_naming(info.value, path)


def _edit_meta(arrays, change):
    meta = json.loads(str(arrays["meta"]))
    arrays["meta"] = np.array(json.dumps(change(meta)))


def _drop(key):
    return lambda meta: {k: v for k, v in meta.items() if k != key}


HOSTILE = {
    "meta-is-a-list": lambda a: a.__setitem__("meta", np.array("[1, 2]")),
    "meta-is-a-number": lambda a: a.__setitem__("meta", np.array(5)),
    "meta-not-json": lambda a: a.__setitem__("meta", np.array("{nope")),
    "wrong-format-tag": lambda a: _edit_meta(a, lambda m: {**m, "format": "other"}),
    "bad-config": lambda a: _edit_meta(a, lambda m: {**m, "config": {**m["config"], "lr": -1}}),
    "no-history": lambda a: _edit_meta(a, _drop("history")),
    "bad-history-row": lambda a: _edit_meta(a, lambda m: {**m, "history": [{"epoch": 1}]}),
    "no-best-epoch": lambda a: _edit_meta(a, _drop("best_epoch")),
    "no-rng": lambda a: _edit_meta(a, _drop("rng")),
    "wrong-param-shape": lambda a: a.__setitem__("param.W0", np.zeros((2, 2), dtype=np.float32)),
    "missing-param": lambda a: a.pop("param.b1"),
    "string-param": lambda a: a.__setitem__("param.W0", np.full(a["param.W0"].shape, "x")),
}


@pytest.mark.parametrize("damage", HOSTILE.values(), ids=HOSTILE.keys())
def test_damaged_checkpoint_gives_checkpoint_error(model_file, tmp_path, tiny_data, damage):
    """Whatever is wrong inside the file, loading (and resuming from) it raises
    CheckpointError, never KeyError/TypeError/AttributeError from deep inside."""
    with np.load(model_file) as npz:
        arrays = {k: npz[k] for k in npz.files}
    damage(arrays)
    path = write_arrays(tmp_path / "damaged.npz", **arrays)
    with pytest.raises(CheckpointError) as info:
        ckpt = load_checkpoint(path)
        # What `nntrain evaluate` and `--resume` do next with a loaded checkpoint:
        ckpt.history
        ckpt.network()
        trainer_from_checkpoint(ckpt, tiny_data)
    assert_one_line_naming(info.value, path)


def _rewrite(src, dst, change):
    """Copy a checkpoint with `change(arrays, meta)` applied (arrays and meta edited in place)."""
    with np.load(src, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    change(arrays, meta)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(dst, **arrays)
    return dst


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a, m: m.update(sizes=[784]), "layer sizes"),
        (lambda a, m: m.update(best_epoch=len(m["history"]) + 5), "best epoch"),
        (lambda a, m: a.__setitem__("param.W0", np.full_like(a["param.W0"], np.nan)), "NaN"),
        (lambda a, m: a.__setitem__("opt.v0", np.zeros(3, dtype=a["opt.v0"].dtype)), "opt.v W0"),
        (lambda a, m: a.pop("best.b0"), "best b0"),
    ],
)
def test_inconsistent_checkpoint_is_refused_in_one_line(trained, tmp_path, change, message):
    src = save_checkpoint(trained, tmp_path / "model.npz")
    bad = _rewrite(src, tmp_path / "bad.npz", change)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(bad)
    text = str(info.value)
    assert message in text and "bad.npz" in text and "\n" not in text


def test_best_npz_cannot_be_resumed(trained, tmp_path):
    best = load_checkpoint(save_checkpoint(trained, tmp_path / "best.npz", best=True))
    with pytest.raises(CheckpointError, match="model.npz"):
        trainer_from_checkpoint(best, trained.data)


def test_resumed_config_allows_only_what_keeps_the_run_exact(trained, tmp_path):
    from core.checkpoint import resumed_config

    ckpt = load_checkpoint(save_checkpoint(trained, tmp_path / "model.npz"))
    done = len(ckpt.history)
    assert resumed_config(ckpt, {"epochs": str(done + 4)}).epochs == done + 4
    with pytest.raises(CheckpointError, match="cannot change lr"):
        resumed_config(ckpt, {"epochs": done + 4, "lr": 0.5})
    with pytest.raises(CheckpointError, match=f"already trained {done} epochs"):
        resumed_config(ckpt, {"epochs": done})


@pytest.mark.parametrize("status, restore_best, expect", [
    ("early-stopped", True, "best"), ("early-stopped", False, "final"), ("finished", True, "final"),
])
def test_files_from_before_weights_epoch_say_which_weights_they_hold(tmp_path, status, restore_best, expect):
    """Older model.npz files had no weights_epoch/result: an early-stopped one with
    restore_best held the restored (best) weights as its own."""
    data = overfitting_data()
    trainer = train(tiny_config(epochs=25, lr=0.3, hidden=(16,), early_stop=3, restore_best=restore_best), data)
    assert trainer.status == EARLY_STOPPED and trainer.best_epoch < trainer.epoch
    path = save_checkpoint(trainer, tmp_path / "model.npz")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    for key in ("weights_epoch", "result"):
        del meta[key]
    meta["status"] = status
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "old.npz", **arrays)
    old = load_checkpoint(tmp_path / "old.npz")
    epoch = trainer.best_epoch if expect == "best" else trainer.epoch
    assert old.weights_epoch == epoch
    # restore_best with early stopping on: the result is the best epoch's weights.
    assert old.weights("auto")[:2] == (("best", trainer.best_epoch) if restore_best else ("final", epoch))
