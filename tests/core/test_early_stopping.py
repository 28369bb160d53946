"""Early stopping's files tell the truth (issue 13): model.npz is the last epoch's state,
best.npz the best epoch's weights, and the result (what evaluate, the app and predict
use) is the best epoch's only when the run restores it; the clean train pass equals an
independent evaluation; the default monitor picks the most accurate valid epoch; stale
temp files of a killed save go away on the next write."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from core import evaluate, read_run, write_run
from core.checkpoint import CheckpointError, load_checkpoint, resumed_config, trainer_from_checkpoint
from core.config import ConfigError, TrainConfig
from core.runs import remove_stale_temp_files
from core.states import FINAL_STATES, RunState
from core.trainer import EARLY_STOPPED, FINISHED, HISTORY_COLUMNS, RUNNING_METRICS, EpochRecord, Trainer
from helpers import assert_params_identical, history_rows, make_dataset, params_of, tiny_config, train, with_sets


def overfitting_data():
    """Valid labels that cannot be learned, so early stopping triggers."""
    data = make_dataset()
    return with_sets(data, y_valid=np.random.default_rng(5).permutation(data.y_valid))


def noisy_data(seed: int = 1, signal: float = 0.12):
    """Classes barely above the noise: valid loss bottoms out long before valid accuracy."""
    rng = np.random.default_rng(seed)
    prototypes = np.random.default_rng(1).random((3, 64))
    sets = {}
    for name, n in (("train", 200), ("valid", 100), ("test", 100)):
        y = rng.integers(0, 3, n)
        sets[f"x_{name}"] = (signal * prototypes[y] + rng.random((n, 64))).astype(np.float32)
        sets[f"y_{name}"] = y
    return with_sets(make_dataset(), **sets)


EARLY = dict(epochs=25, lr=0.3, hidden=(16,), early_stop=2)


@pytest.fixture(params=[True, False], ids=["restore-best", "no-restore-best"])
def early_run(request, tmp_path):
    """(trainer, run folder, data) of an early-stopped run, with or without restore."""
    data = overfitting_data()
    trainer = train(tiny_config(**EARLY, restore_best=request.param), data)
    assert trainer.status == EARLY_STOPPED and trainer.best_epoch < trainer.epoch  # not vacuous
    return trainer, write_run(trainer, tmp_path / "run"), data


def test_evaluating_the_saved_result_reproduces_the_summary(early_run):
    trainer, out, data = early_run
    doc = json.loads((out / "history.json").read_text())
    expected = doc["best"] if trainer.config.restore_best else doc["final"]
    for name in ("model.npz", "best.npz") if trainer.config.restore_best else ("model.npz",):
        result = evaluate(load_checkpoint(out / name).default_network(), data.x_test, data.y_test)
        assert result.accuracy == expected["test_acc"], name
        assert result.loss == pytest.approx(expected["test_loss"], rel=1e-6), name
    # The file's own weights are always the last epoch's: they reproduce the final figures.
    own = evaluate(load_checkpoint(out / "model.npz").network(), data.x_valid, data.y_valid)
    assert own.accuracy == doc["final"]["valid_acc"]
    assert own.loss == pytest.approx(doc["final"]["valid_loss"], rel=1e-6)


def test_the_files_say_which_epoch_they_hold(early_run):
    trainer, out, _ = early_run
    model, best = load_checkpoint(out / "model.npz"), load_checkpoint(out / "best.npz")
    assert model.weights_epoch == trainer.epoch and best.weights_epoch == trainer.best_epoch
    assert model.kind == "final" and best.kind == "best"
    assert model.restores_best == best.restores_best == trainer.config.restore_best
    which, epoch, why = model.weights("auto")
    if trainer.config.restore_best:
        assert (which, epoch) == ("best", trainer.best_epoch) and "restore_best" in why
    else:
        assert (which, epoch) == ("final", trainer.epoch)
    assert model.weights("final")[:2] == ("final", trainer.epoch)
    assert model.weights("best")[:2] == ("best", trainer.best_epoch)
    with pytest.raises(CheckpointError, match="best epoch's weights only"):
        best.weights("final")
    assert not best.optimizer  # the last epoch's optimizer state does not go with these weights

    doc = json.loads((out / "history.json").read_text())
    files = doc["files"]
    assert files["model.npz"]["weights_epoch"] == trainer.epoch
    assert files["best.npz"]["weights_epoch"] == trainer.best_epoch
    assert files["result"] == {
        "file": "best.npz" if trainer.config.restore_best else "model.npz",
        "weights_epoch": trainer.result_epoch,
        "restores_best": trainer.config.restore_best,
    }
    # model.npz's training state is the last epoch's, never the restored weights.
    last_epoch = train(tiny_config(**{**EARLY, "early_stop": 0, "epochs": trainer.epoch}), overfitting_data())
    assert_params_identical([model.params[n] for n in trainer.network.param_names()], params_of(last_epoch))
    assert_params_identical([best.params[n] for n in trainer.network.param_names()], [p.copy() for p in trainer.best_params])


def test_restore_applies_whenever_early_stopping_is_on():
    """Keras' restore_best_weights: the result is the best epoch's even without a stop."""
    data = overfitting_data()
    trainer = train(tiny_config(**{**EARLY, "early_stop": 100, "epochs": 8}), data)
    assert trainer.status == FINISHED and trainer.restores_best
    assert trainer.result_epoch == trainer.best_epoch
    assert_params_identical(trainer.result_network().params, [p.copy() for p in trainer.best_params])
    off = train(tiny_config(epochs=3), data)
    assert not off.restores_best and off.result_network() is off.network and off.result_epoch == 3


def test_result_network_is_a_separate_copy():
    trainer = train(tiny_config(**EARLY), overfitting_data())
    result = trainer.result_network()
    before = params_of(trainer)
    for p in result.params:
        p += 1.0
    assert_params_identical(params_of(trainer), before)
    assert not np.array_equal(result.params[0], trainer.best_params[0])


@pytest.mark.parametrize("restore_best", [True, False])
def test_resume_after_an_early_stop_continues_the_last_epoch(tmp_path, restore_best):
    data = overfitting_data()
    stopped = train(tiny_config(**EARLY, restore_best=restore_best), data)
    stop = stopped.epoch
    out = write_run(stopped, tmp_path / "run")
    ckpt = load_checkpoint(out / "model.npz")
    config = resumed_config(ckpt, {"epochs": stop + 3, "early_stop": 0})
    resumed = trainer_from_checkpoint(ckpt, overfitting_data(), config)
    assert [r.epoch for r in resumed.run()] == [stop + 1, stop + 2, stop + 3]

    uninterrupted = train(tiny_config(**{**EARLY, "early_stop": 0, "epochs": stop + 3}), data)
    assert history_rows(resumed.history) == history_rows(uninterrupted.history)
    assert_params_identical(params_of(resumed), params_of(uninterrupted))
    assert {k: v.tobytes() for k, v in resumed.optimizer.state().items()} == {
        k: v.tobytes() for k, v in uninterrupted.optimizer.state().items()
    }
    assert resumed.rng.bit_generator.state == uninterrupted.rng.bit_generator.state


# --------------------------------------------------------------------------- clean train figures


@pytest.mark.parametrize("changes", [dict(dropout=0.3), dict(batch_size=0, dtype="float64")], ids=["dropout", "full"])
def test_clean_train_figures_equal_an_independent_evaluation(tmp_path, changes):
    data = make_dataset()
    trainer = train(tiny_config(epochs=4, **changes), data)
    assert trainer.train_eval
    out = write_run(trainer, tmp_path / "run")
    net = load_checkpoint(out / "model.npz").network()
    independent = evaluate(net, data.x_train, data.y_train)
    final = read_run(out).history[-1]
    assert final.train_acc == independent.accuracy
    assert final.train_loss == pytest.approx(independent.loss, rel=1e-6)
    # The running figures are kept, and they are other numbers.
    assert all(math.isfinite(getattr(r, k)) for r in trainer.history for k in RUNNING_METRICS)
    assert [r.train_loss for r in trainer.history] != [r.train_loss_running for r in trainer.history]


def test_train_eval_off_keeps_the_running_figures(tiny_data):
    trainer = train(tiny_config(epochs=3, dropout=0.3, train_eval="off"), tiny_data)
    assert not trainer.train_eval
    for r in trainer.history:
        assert (r.train_loss, r.train_acc) == (r.train_loss_running, r.train_acc_running)


def test_train_eval_does_not_change_the_training(tiny_data):
    on = train(tiny_config(epochs=3, dropout=0.3, train_eval="on"), tiny_data)
    off = train(tiny_config(epochs=3, dropout=0.3, train_eval="off"), make_dataset())
    assert_params_identical(params_of(on), params_of(off))
    assert [r.valid_loss for r in on.history] == [r.valid_loss for r in off.history]
    assert [r.train_loss_running for r in on.history] == [r.train_loss_running for r in off.history]


def test_train_eval_auto_rule():
    small = make_dataset(n_train=60)
    assert Trainer(tiny_config(batch_size=16), small).train_eval  # under 20000 samples
    big = make_dataset(n_train=20_000, n_valid=4, n_test=4)
    assert not Trainer(tiny_config(batch_size=128), big).train_eval
    assert Trainer(tiny_config(batch_size=0), big).train_eval  # full batch
    assert Trainer(tiny_config(batch_size=128, train_eval="on"), big).train_eval
    assert not Trainer(tiny_config(batch_size=0, train_eval="off"), big).train_eval


def test_train_eval_is_validated():
    with pytest.raises(ConfigError, match="train_eval"):
        TrainConfig(train_eval="sometimes").validate()


def test_old_histories_read_with_nan_running_columns():
    old = {"epoch": 1, "train_loss": 0.5, "train_acc": 0.8, "valid_loss": 0.6, "valid_acc": 0.7,
           "test_loss": 0.6, "test_acc": 0.7, "lr": 0.1, "seconds": 0.01}
    r = EpochRecord.from_dict(old)
    assert r.train_loss == 0.5 and math.isnan(r.train_loss_running) and math.isnan(r.train_acc_running)
    assert tuple(r.to_dict()) == HISTORY_COLUMNS


# --------------------------------------------------------------------------- the default monitor


def test_default_monitor_picks_the_best_valid_accuracy_epoch():
    assert TrainConfig().monitor == "valid_acc"
    data = noisy_data()
    trainer = train(tiny_config(epochs=40, lr=0.2, hidden=(64,)), data)
    acc = [r.valid_acc for r in trainer.history]
    loss = [r.valid_loss for r in trainer.history]
    assert trainer.best_epoch == int(np.argmax(acc)) + 1  # the first epoch of highest accuracy
    by_loss = int(np.argmin(loss)) + 1
    assert by_loss != trainer.best_epoch and acc[by_loss - 1] < max(acc)  # the trap is real here
    # valid loss stays available
    assert train(tiny_config(epochs=40, lr=0.2, hidden=(64,), monitor="valid_loss"), data).best_epoch == by_loss


def test_patience_counts_on_the_monitor():
    data = noisy_data()
    trainer = train(tiny_config(epochs=40, lr=0.2, hidden=(64,), early_stop=5), data)
    acc = [r.valid_acc for r in trainer.history]
    best = trainer.best_epoch
    assert acc[best - 1] == max(acc) and all(a <= acc[best - 1] for a in acc[best:])
    assert trainer.status == EARLY_STOPPED and trainer.epoch == best + 5


def test_course_preset_has_no_early_stopping():
    from core.config import build_config

    config = build_config("course")
    assert config.early_stop == 0 and not Trainer(config.replace(epochs=1), make_dataset()).restores_best


# --------------------------------------------------------------------------- states, temp files


def test_run_states_compare_as_strings():
    assert RunState.EARLY_STOPPED == "early-stopped" and f"{RunState.FINISHED}" == "finished"
    assert json.dumps({"s": RunState.DIVERGED}) == '{"s": "diverged"}'
    assert "stopped" in FINAL_STATES and "running" not in FINAL_STATES


def test_write_run_removes_stale_temp_files(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    stale = [out / ".model.npz.abc123.tmp", out / ".history.json.x_y.tmp", out / ".best.npz.q.tmp"]
    for p in stale:
        p.write_bytes(b"half a file")
    keep = [out / "notes.txt", out / ".other.npz.abc.tmp", out / "model.npz.tmp"]
    for p in keep:
        p.write_text("mine")
    write_run(train(tiny_config(epochs=1), make_dataset()), out)
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in keep)
    assert sorted(p.name for p in out.glob(".*.tmp")) == [".other.npz.abc.tmp"]
    assert remove_stale_temp_files(out) == []
