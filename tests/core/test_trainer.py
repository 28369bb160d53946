"""core.trainer: the training loop shared by the CLI and the TUI.

Threads are synchronised with events (a hook on the optimizer's step hands control to
the test at an exact mini-batch), never with sleeps; every comparison with an
uninterrupted run is bit-for-bit."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest

from core.config import PRESETS, TrainConfig, build_config
from core.diagnostics import columns
from core.optimizers import Momentum
from core.trainer import (
    DIVERGED,
    EARLY_STOPPED,
    FINISHED,
    HISTORY_COLUMNS,
    IDLE,
    PAUSED,
    RUNNING,
    STOPPED,
    EpochRecord,
    Trainer,
)
from helpers import (
    assert_params_identical,
    history_rows,
    make_dataset,
    params_of,
    tiny_config,
    train,
    with_sets,
)

WAIT = 60  # seconds: only a safety net against a hung thread, never a timing assertion
STEPS_PER_EPOCH = 4  # 60 training samples in batches of 16: 16, 16, 16, 12


# --------------------------------------------------------------------------- helpers


def run_in_thread(trainer: Trainer):
    """Consume `trainer.run()` in a background thread; returns (thread, records, errors)."""
    records: list[EpochRecord] = []
    errors: list[BaseException] = []

    def target():
        try:
            for record in trainer.run():
                records.append(record)
        except BaseException as exc:  # surfaced by the test, not lost in the thread
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, records, errors


def hold_at_step(trainer: Trainer, at_step: int):
    """Make the training thread stop and wait right after optimizer step `at_step`.

    Returns (reached, go, count): `reached` is set when the step is done; the thread
    continues only after the test sets `go`. `count[0]` is the number of steps taken.
    """
    reached, go = threading.Event(), threading.Event()
    count = [0]
    original = trainer.optimizer.step

    def step(params, grads, **kwargs):
        original(params, grads, **kwargs)
        count[0] += 1
        if count[0] == at_step:
            reached.set()
            go.wait(WAIT)

    trainer.optimizer.step = step
    return reached, go, count


def wait_until(predicate, timeout: float = WAIT) -> bool:
    """Poll `predicate` until true (a deadline against hangs, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def reference(config: TrainConfig, data, epochs: int) -> Trainer:
    """An uninterrupted run of the same config for `epochs` epochs."""
    return train(config.replace(epochs=epochs), data)


def expected_early_stop(history, patience: int, min_delta: float, monitor: str):
    """Early stopping written from the spec: (stop epoch or None, best epoch)."""
    best_epoch, best_value, bad = 0, None, 0
    for r in history:
        value = getattr(r, monitor)
        if best_value is None:
            improved = True
        elif monitor == "valid_acc":
            improved = value > best_value + min_delta
        else:
            improved = value < best_value - min_delta
        if improved:
            best_epoch, best_value, bad = r.epoch, value, 0
        else:
            bad += 1
            if bad >= patience:
                return r.epoch, best_epoch
    return None, best_epoch


def opt_state_copy(trainer: Trainer) -> dict:
    return {k: np.copy(v) for k, v in trainer.optimizer.state().items()}


# --------------------------------------------------------------------------- records


def test_records_and_final_state(tiny_data):
    trainer = Trainer(tiny_config(epochs=4), tiny_data)
    assert trainer.status == IDLE and trainer.epoch == 0 and trainer.best is None
    records = list(trainer.run())
    assert [r.epoch for r in records] == [1, 2, 3, 4]
    assert trainer.history == records
    assert trainer.status == FINISHED
    assert trainer.message
    for r in records:
        assert tuple(r.to_dict()) == HISTORY_COLUMNS + columns(trainer.network.n_layers)
        for name in ("train_acc", "valid_acc", "test_acc"):
            assert 0.0 <= getattr(r, name) <= 1.0
        for name in ("train_loss", "valid_loss", "test_loss"):
            assert math.isfinite(getattr(r, name)) and getattr(r, name) >= 0
        assert r.lr == 0.1
        assert r.seconds >= 0
        assert EpochRecord.from_dict(r.to_dict()) == r
    # The tiny problem is learnable: the loop really trains.
    assert records[-1].train_loss < records[0].train_loss


def test_trainer_copies_the_data_once_with_a_ones_column(tiny_data):
    trainer = Trainer(tiny_config(epochs=1, dtype="float64"), tiny_data)
    for s in ("train", "valid", "test"):
        x = getattr(trainer, f"x_{s}")
        original = getattr(tiny_data, f"x_{s}")
        assert x.shape == (len(original), original.shape[1] + 1) and x.dtype == np.float64
        assert (x[:, -1] == 1).all() and not np.shares_memory(x, original)
        # The trainer's dataset shows the same values, as views of that copy.
        view = getattr(trainer.data, f"x_{s}")
        np.testing.assert_array_equal(view, original)
        assert np.shares_memory(view, x)


def test_release_data_keeps_what_saving_needs(tiny_data, tmp_path):
    from core.runs import read_run, write_run

    trainer = Trainer(tiny_config(epochs=2), tiny_data)
    list(trainer.run())
    trainer.release_data()
    assert trainer.x_train is None and trainer.data.x_train.size == 0
    assert (trainer.data.n_features, trainer.data.n_classes) == (tiny_data.n_features, tiny_data.n_classes)
    write_run(trainer, tmp_path)
    saved = read_run(tmp_path)
    assert [r.epoch for r in saved.history] == [1, 2]
    with pytest.raises(RuntimeError, match="released"):
        next(trainer.run())


def test_valid_and_test_losses_are_those_of_the_final_weights(tiny_data):
    trainer = train(tiny_config(epochs=2, dtype="float64"), tiny_data)
    last = trainer.history[-1]
    loss, acc = trainer.network.evaluate(trainer.x_valid, trainer.y_valid)
    assert (last.valid_loss, last.valid_acc) == (loss, acc)
    loss, acc = trainer.network.evaluate(trainer.x_test, trainer.y_test)
    assert (last.test_loss, last.test_acc) == (loss, acc)


# --------------------------------------------------------------------------- valid and test are never trained on


@pytest.mark.parametrize("batch_size", [0, 16], ids=["full-batch", "mini-batch"])
def test_valid_and_test_sets_are_never_trained_on(tiny_data, batch_size):
    rng = np.random.default_rng(42)
    corrupted = with_sets(
        tiny_data,
        x_valid=rng.random(tiny_data.x_valid.shape).astype(np.float32),
        y_valid=(tiny_data.y_valid + 1) % 3,
        x_test=rng.random(tiny_data.x_test.shape).astype(np.float32),
        y_test=(tiny_data.y_test + 2) % 3,
    )
    config = tiny_config(epochs=4, batch_size=batch_size, dropout=0.1)
    clean = train(config, tiny_data)
    dirty = train(config, corrupted)
    assert_params_identical(params_of(clean), params_of(dirty))
    for a, b in zip(clean.history, dirty.history):
        assert (a.train_loss, a.train_acc) == (b.train_loss, b.train_acc)
    # ... while the valid metrics did see the change (the comparison is not vacuous).
    assert [r.valid_loss for r in clean.history] != [r.valid_loss for r in dirty.history]


# --------------------------------------------------------------------------- full batch and mini-batch


def test_full_batch_one_step_per_epoch_and_loss_at_start_weights(tiny_data):
    config = tiny_config(epochs=3, batch_size=0, dtype="float64")
    trainer = Trainer(config, tiny_data)
    assert trainer.train_eval  # auto: on for full batch
    start_loss, start_acc = trainer.network.evaluate(trainer.x_train, trainer.y_train)
    records = list(trainer.run())
    assert trainer.optimizer.t == 3
    # Full batch: the running figures are those of the weights the epoch started with,
    # the clean ones those of the weights it ended with (= the next epoch's start).
    assert records[0].train_loss_running == pytest.approx(start_loss, rel=1e-12)
    assert records[0].train_acc_running == start_acc
    for r, after in zip(records, records[1:]):
        assert r.train_loss == pytest.approx(after.train_loss_running, rel=1e-12)
        assert r.train_acc == after.train_acc_running
    assert (records[-1].train_loss, records[-1].train_acc) == trainer.network.evaluate(trainer.x_train, trainer.y_train)


@pytest.mark.parametrize("batch_size", [60, 1000])
def test_batch_size_at_least_n_is_full_batch(tiny_data, batch_size):
    full = train(tiny_config(batch_size=0), tiny_data)
    same = train(tiny_config(batch_size=batch_size), tiny_data)
    assert same.optimizer.t == 3
    assert_params_identical(params_of(full), params_of(same))


def test_mini_batches_cover_the_shuffled_training_set_each_epoch(tiny_data):
    trainer = Trainer(tiny_config(epochs=2, batch_size=16), tiny_data)
    seen: list[np.ndarray] = []
    original = trainer.network.train_batch

    def spy(x, y, **kwargs):
        seen.append(y.copy())
        return original(x, y, **kwargs)

    trainer.network.train_batch = spy
    list(trainer.run())
    assert [len(y) for y in seen] == [16, 16, 16, 12] * 2
    assert trainer.optimizer.t == 2 * STEPS_PER_EPOCH
    labels = np.sort(tiny_data.y_train)
    epoch1, epoch2 = np.concatenate(seen[:4]), np.concatenate(seen[4:])
    np.testing.assert_array_equal(np.sort(epoch1), labels)
    np.testing.assert_array_equal(np.sort(epoch2), labels)
    assert not np.array_equal(epoch1, epoch2)  # reshuffled every epoch


def test_mini_batch_and_full_batch_differ(tiny_data):
    a = train(tiny_config(batch_size=0), tiny_data)
    b = train(tiny_config(batch_size=16), tiny_data)
    assert not np.array_equal(a.network.weights[0], b.network.weights[0])


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize(
    "changes",
    [
        dict(batch_size=16),
        dict(batch_size=0, dtype="float64"),
        dict(batch_size=8, dropout=0.3, optimizer="adam", lr=0.01),
        dict(batch_size=16, optimizer="nesterov", l2=0.01, init="he"),
    ],
    ids=["mini-batch", "full-batch-f64", "dropout-adam", "nesterov-l2-he"],
)
def test_same_config_and_seed_are_bit_identical(tiny_data, changes):
    config = tiny_config(epochs=4, **changes)
    a = train(config, tiny_data)
    b = train(config, make_dataset())  # an equal, separately built dataset
    assert history_rows(a.history) == history_rows(b.history)
    assert_params_identical(params_of(a), params_of(b))
    assert a.best_epoch == b.best_epoch


def test_different_seed_differs(tiny_data):
    a = train(tiny_config(seed=0), tiny_data)
    b = train(tiny_config(seed=1), tiny_data)
    assert history_rows(a.history) != history_rows(b.history)
    assert not np.array_equal(a.network.weights[0], b.network.weights[0])


# --------------------------------------------------------------------------- stop, pause, resume


def test_stop_from_another_thread_mid_epoch_keeps_last_completed_epoch(tiny_data):
    config = tiny_config(epochs=5, dropout=0.2)
    trainer = Trainer(config, tiny_data)
    # Hold the training thread in the middle of epoch 3 (after its 2nd of 4 steps).
    reached, go, count = hold_at_step(trainer, 2 * STEPS_PER_EPOCH + 2)
    thread, records, errors = run_in_thread(trainer)
    assert reached.wait(WAIT)
    trainer.stop()
    go.set()
    thread.join(WAIT)
    assert not thread.is_alive() and not errors

    assert trainer.status == STOPPED
    assert "2" in trainer.message
    assert trainer.epoch == 2 and [r.epoch for r in records] == [1, 2]
    ref = reference(config, tiny_data, 2)
    assert history_rows(trainer.history) == history_rows(ref.history)
    assert_params_identical(params_of(trainer), params_of(ref))
    for k, v in opt_state_copy(ref).items():
        np.testing.assert_array_equal(trainer.optimizer.state()[k], v, err_msg=k)
    assert trainer.rng.bit_generator.state == ref.rng.bit_generator.state

    # Running again continues exactly as if never stopped.
    list(trainer.run())
    full = reference(config, tiny_data, 5)
    assert trainer.status == FINISHED
    assert history_rows(trainer.history) == history_rows(full.history)
    assert_params_identical(params_of(trainer), params_of(full))


def test_pause_then_resume_from_another_thread(tiny_data):
    config = tiny_config(epochs=4)
    trainer = Trainer(config, tiny_data)
    reached, go, count = hold_at_step(trainer, STEPS_PER_EPOCH + 2)
    thread, records, errors = run_in_thread(trainer)
    assert reached.wait(WAIT)
    trainer.pause()
    go.set()
    assert wait_until(lambda: trainer.status == PAUSED)
    assert trainer.paused
    assert count[0] == STEPS_PER_EPOCH + 2  # no step is taken while paused
    assert trainer.epoch == 1
    trainer.resume()
    thread.join(WAIT)
    assert not thread.is_alive() and not errors
    assert not trainer.paused
    assert trainer.status == FINISHED
    full = reference(config, tiny_data, 4)
    assert history_rows(trainer.history) == history_rows(full.history)
    assert_params_identical(params_of(trainer), params_of(full))


def test_stop_while_paused_ends_the_run(tiny_data):
    config = tiny_config(epochs=4)
    trainer = Trainer(config, tiny_data)
    reached, go, count = hold_at_step(trainer, STEPS_PER_EPOCH + 1)
    thread, records, errors = run_in_thread(trainer)
    assert reached.wait(WAIT)
    trainer.pause()
    go.set()
    assert wait_until(lambda: trainer.status == PAUSED)
    trainer.stop()
    thread.join(WAIT)
    assert not thread.is_alive() and not errors
    assert trainer.status == STOPPED
    assert trainer.epoch == 1
    assert_params_identical(params_of(trainer), params_of(reference(config, tiny_data, 1)))


def test_closing_the_generator_is_a_stop(tiny_data):
    trainer = Trainer(tiny_config(epochs=5), tiny_data)
    gen = trainer.run()
    next(gen)
    next(gen)
    assert trainer.status == RUNNING
    gen.close()
    assert trainer.status == STOPPED
    assert trainer.epoch == 2


# --------------------------------------------------------------------------- early stopping


def overfitting_data():
    """Valid labels that cannot be learned: valid loss rises once the net grows confident."""
    data = make_dataset()
    rng = np.random.default_rng(5)
    return with_sets(data, y_valid=rng.permutation(data.y_valid))


@pytest.mark.parametrize(
    "monitor, patience, min_delta",
    [("valid_loss", 2, 0.0), ("valid_loss", 3, 0.01), ("valid_acc", 2, 0.0)],
)
@pytest.mark.parametrize("restore_best", [True, False])
def test_early_stopping(monitor, patience, min_delta, restore_best):
    data = overfitting_data()
    base = tiny_config(epochs=25, lr=0.3, hidden=(16,), monitor=monitor, min_delta=min_delta)
    full = train(base, data)
    stop_epoch, best_epoch = expected_early_stop(full.history, patience, min_delta, monitor)
    assert stop_epoch is not None and best_epoch < stop_epoch < 25  # the case is not vacuous

    config = base.replace(early_stop=patience, restore_best=restore_best)
    trainer = train(config, data)
    assert trainer.status == EARLY_STOPPED
    assert trainer.epoch == stop_epoch
    assert trainer.best_epoch == best_epoch
    assert f"best epoch {best_epoch}" in trainer.message
    assert history_rows(trainer.history) == history_rows(full.history[:stop_epoch])
    best_weights = params_of(reference(base, data, best_epoch))
    assert_params_identical([p.copy() for p in trainer.best_params], best_weights)
    # The training state is always the last epoch's; the result is the best one's on restore.
    assert_params_identical(params_of(trainer), params_of(reference(base, data, stop_epoch)))
    assert trainer.restores_best == restore_best
    result = trainer.result_network()
    assert (result is trainer.network) != restore_best
    assert trainer.result_epoch == (best_epoch if restore_best else stop_epoch)
    assert_params_identical([p.copy() for p in result.params], best_weights if restore_best else params_of(trainer))


@pytest.mark.parametrize("monitor, min_delta", [("valid_loss", 1e9), ("valid_acc", 1.0)])
def test_early_stopping_min_delta_nothing_counts_as_improvement(tiny_data, monitor, min_delta):
    # Epoch 1 is best by definition; with an unreachable min_delta, patience 2 stops at 3.
    config = tiny_config(epochs=10, early_stop=2, min_delta=min_delta, monitor=monitor)
    trainer = train(config, tiny_data)
    assert trainer.status == EARLY_STOPPED
    assert trainer.epoch == 3 and trainer.best_epoch == 1
    reference_run = config.replace(early_stop=0)
    assert_params_identical(params_of(trainer), params_of(reference(reference_run, tiny_data, 3)))
    assert_params_identical(trainer.result_network().params, params_of(reference(reference_run, tiny_data, 1)))


def test_no_early_stop_when_off(tiny_data):
    trainer = train(tiny_config(epochs=6, early_stop=0, min_delta=1e9), tiny_data)
    assert trainer.status == FINISHED and trainer.epoch == 6


# --------------------------------------------------------------------------- divergence


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_huge_lr_sum_full_batch_diverges(tiny_data):
    """The issue's case: a huge lr (the largest a config allows) on the total loss, full
    batch. Losses explode within a few epochs; a run like that must be reported as diverged."""
    config = tiny_config(epochs=10, batch_size=0, lr=1000, reduction="sum", momentum=0.99, v0=1e-5, dtype="float64")
    trainer = Trainer(config, tiny_data)
    initial = params_of(trainer)
    list(trainer.run())
    assert trainer.status == DIVERGED, f"status {trainer.status}; history losses {[r.train_loss for r in trainer.history]}"
    assert "diverged" in trainer.message
    assert trainer.network.all_finite()
    expected = params_of(reference(config, tiny_data, trainer.epoch)) if trainer.epoch else initial
    assert_params_identical(params_of(trainer), expected)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("dtype, lr", [("float64", 1e308), ("float32", 1e38)])
def test_overflowing_weights_diverge_and_keep_finite_weights(tiny_data, dtype, lr):
    config = tiny_config(epochs=3, batch_size=0, reduction="sum", optimizer="sgd", dtype=dtype)
    trainer = Trainer(config, tiny_data)
    trainer.optimizer.lr = lr  # beyond what a config allows: the first update overflows
    initial = params_of(trainer)
    records = list(trainer.run())
    assert trainer.status == DIVERGED
    assert records == [] and trainer.epoch == 0
    assert trainer.message.startswith("diverged") and "epoch 1" in trainer.message
    assert trainer.network.all_finite()
    assert_params_identical(params_of(trainer), initial)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_mid_run_keeps_last_good_epoch(tiny_data):
    config = tiny_config(epochs=5, dtype="float64")
    trainer = Trainer(config, tiny_data)
    for record in trainer.run():
        if record.epoch == 2:
            trainer.optimizer.lr = 1e308  # blow up in epoch 3
    assert trainer.status == DIVERGED
    assert trainer.epoch == 2
    assert "epoch 3" in trainer.message
    assert trainer.network.all_finite()
    ref = reference(config, tiny_data, 2)
    assert_params_identical(params_of(trainer), params_of(ref))
    assert history_rows(trainer.history) == history_rows(ref.history)


# --------------------------------------------------------------------------- the course preset


def test_course_preset_values():
    course = PRESETS["course"]
    assert course["hidden"] == (1000,)
    assert course["epochs"] == 200
    assert course["batch_size"] == 0
    assert course["lr"] == 1e-5
    assert course["reduction"] == "sum"
    assert course["optimizer"] == "momentum"
    assert course["momentum"] == 0.99
    assert course["v0"] == 1e-5
    assert course["init"] == "xavier"
    assert course["dtype"] == "float64"
    config = build_config("course")
    for key, value in course.items():
        assert getattr(config, key) == value, key


def test_course_preset_trains_full_batch_float64(tiny_data):
    config = build_config("course", overrides={"epochs": 5})
    trainer = Trainer(config, tiny_data)
    assert trainer.network.sizes == (64, 1000, 3)
    assert all(p.dtype == np.float64 for p in trainer.network.params)
    assert isinstance(trainer.optimizer, Momentum)
    assert all((v == 1e-5).all() for v in trainer.optimizer.velocity)
    list(trainer.run())
    assert trainer.status == FINISHED
    assert trainer.optimizer.t == 5  # full batch: one step per epoch
    assert trainer.history[-1].train_loss < trainer.history[0].train_loss


# --------------------------------------------------------------------------- reduction


def test_sum_gradient_is_n_times_mean_gradient_on_the_training_set(tiny_data):
    trainer = Trainer(tiny_config(dtype="float64"), tiny_data)
    net, n = trainer.network, len(trainer.y_train)
    net.train_batch(trainer.x_train, trainer.y_train, reduction="mean")
    mean = [g.copy() for g in net.grads]
    net.train_batch(trainer.x_train, trainer.y_train, reduction="sum")
    for g_sum, g_mean in zip(net.grads, mean):
        np.testing.assert_allclose(g_sum, n * g_mean, rtol=1e-12, atol=1e-15)


def test_sum_with_lr_over_n_equals_mean_with_lr(tiny_data):
    n = len(tiny_data.y_train)
    mean = train(tiny_config(batch_size=0, optimizer="sgd", lr=0.5, reduction="mean", dtype="float64"), tiny_data)
    total = train(tiny_config(batch_size=0, optimizer="sgd", lr=0.5 / n, reduction="sum", dtype="float64"), tiny_data)
    for a, b in zip(mean.network.params, total.network.params):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    # Reported losses are the mean per sample whatever the reduction.
    for a, b in zip(mean.history, total.history):
        assert a.train_loss == pytest.approx(b.train_loss, rel=1e-10)
    # Same lr with sum is a different (N times larger) step.
    big = train(tiny_config(batch_size=0, optimizer="sgd", lr=0.5, reduction="sum", dtype="float64"), tiny_data)
    assert not np.allclose(big.network.weights[0], mean.network.weights[0])


def test_full_batch_clean_pass_is_reused_as_the_next_forward(tiny_data):
    """Full batch without dropout: the clean train pass at an epoch's end weights is the
    next epoch's forward, made once; the training is bit for bit the same as without it,
    and the clean figures are an evaluation at the epoch's end weights."""
    on = Trainer(tiny_config(batch_size=0, epochs=4, train_eval="on"), tiny_data)
    off = Trainer(tiny_config(batch_size=0, epochs=4, train_eval="off"), tiny_data)
    for _ in on.run():
        pass
    ends = []
    for _ in off.run():
        ends.append(off.network.evaluate(off.x_train, off.y_train))
    assert_params_identical(params_of(on), params_of(off))
    assert [r.train_loss_running for r in on.history] == [r.train_loss for r in off.history]
    assert [(r.train_loss, r.train_acc) for r in on.history] == pytest.approx(ends, rel=1e-6)
    # Per epoch: one forward for training (its first epoch) or none (reused), one each for
    # valid and test, one clean pass; `off` one training forward every epoch, plus the
    # test's own evaluation.
    assert on.network.forwards == 1 + 4 * 3 and off.network.forwards == 4 * 4
    # Anything else running a forward pass in between (here: an evaluation after each
    # epoch) makes the next epoch do its own forward, with the same result.
    again = Trainer(tiny_config(batch_size=0, epochs=4, train_eval="on"), tiny_data)
    for _ in again.run():
        again.network.evaluate(again.x_valid, again.y_valid)
    assert_params_identical(params_of(again), params_of(off))
