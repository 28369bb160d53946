"""Live changes of the learning rate and momentum (core.events): applied between
mini-batches, recorded in the config, replayed bit for bit by a rerun of config.toml."""

from __future__ import annotations

import pytest

from core.config import ConfigError, TrainConfig, build_config, to_toml
from core.trainer import Trainer
from helpers import assert_params_identical, history_rows, make_dataset, params_of, train


def changing_at_step(trainer: Trainer, step: int, **changes):
    """Make `changes` from inside the optimizer's `step`-th step (as another thread
    would, mid-epoch); returns the list of (lr, momentum) each step ran with."""
    seen, real = [], trainer.optimizer.step

    def step_and_maybe_change(*args, **kwargs):
        seen.append((trainer.optimizer.lr, getattr(trainer.optimizer, "momentum", None)))
        if len(seen) == step:
            for name, value in changes.items():
                trainer.request_change(name, value)
        return real(*args, **kwargs)

    trainer.optimizer.step = step_and_maybe_change
    return seen


def test_a_change_applies_from_the_next_batch_and_is_recorded():
    config = TrainConfig(hidden=(8,), epochs=2, batch_size=16, lr=0.1, momentum=0.9).validate()
    trainer = Trainer(config, make_dataset())  # 60 samples: 4 batches per epoch
    seen = changing_at_step(trainer, 3, lr=0.02, momentum=0.5)
    list(trainer.run())
    assert trainer.config.events == ((1, 3, "lr", 0.02), (1, 3, "momentum", 0.5))
    assert seen[:3] == [(0.1, 0.9)] * 3
    assert seen[3:] == [(0.02, 0.5)] * 5
    assert [r.lr for r in trainer.history] == [0.02, 0.02]
    assert config.events == ()  # the caller's config is not the run's


def test_a_rerun_of_config_toml_replays_the_changes_bit_for_bit(tmp_path):
    data = make_dataset()
    config = TrainConfig(hidden=(8,), epochs=3, batch_size=16, lr=0.1, seed=2).validate()
    live = Trainer(config, data)
    changing_at_step(live, 6, lr=0.03)
    list(live.run())
    path = tmp_path / "config.toml"
    path.write_text(to_toml(live.config))
    assert "events = [{epoch = 2, batch = 2, lr = 0.03}]" in path.read_text()
    again = build_config(file=path)
    assert again.events == live.config.events
    rerun = train(again, data)
    assert history_rows(rerun.history) == history_rows(live.history)
    assert_params_identical(params_of(rerun), params_of(live))
    plain = train(config, data)
    assert history_rows(plain.history) != history_rows(live.history)


def test_a_schedule_goes_on_from_a_changed_rate():
    config = TrainConfig(hidden=(8,), epochs=4, batch_size=16, lr=0.1, schedule="step", lr_step=2,
                         lr_gamma=0.5).validate()
    trainer = Trainer(config.replace(events=((2, 0, "lr", 0.01),)), make_dataset())
    list(trainer.run())
    # Epoch 2's scheduled rate was 0.1; from the change on it is scaled by 0.01 / 0.1.
    assert [r.lr for r in trainer.history] == pytest.approx([0.1, 0.01, 0.005, 0.005])


def test_a_stop_in_the_epoch_of_a_change_rolls_it_back():
    trainer = Trainer(TrainConfig(hidden=(8,), epochs=3, batch_size=16, lr=0.1).validate(), make_dataset())
    seen = changing_at_step(trainer, 6, lr=0.5)
    real = trainer.optimizer.step

    def stop_after_the_change(*args, **kwargs):
        real(*args, **kwargs)
        if len(seen) == 7:
            trainer.stop()

    trainer.optimizer.step = stop_after_the_change
    list(trainer.run())
    assert trainer.epoch == 1
    assert trainer.config.events == ()
    assert trainer.optimizer.lr == 0.1


@pytest.mark.parametrize(
    "name, value, optimizer, why",
    [("lr", 0.0, "momentum", "lr must be above 0"), ("momentum", 1.5, "momentum", "momentum must be"),
     ("momentum", 0.5, "adam", "the adam optimizer has none"), ("dropout", 0.1, "momentum", "can change lr")],
)
def test_bad_changes_are_refused_in_one_line(name, value, optimizer, why):
    trainer = Trainer(TrainConfig(hidden=(4,), optimizer=optimizer).validate(), make_dataset())
    with pytest.raises(ValueError, match=why):
        trainer.request_change(name, value)


@pytest.mark.parametrize(
    "text, why",
    [('events = [{epoch = 0, batch = 1, lr = 0.1}]', "epoch must be 1 or more"),
     ('events = [{epoch = 1, batch = 1, lr = -1.0}]', "lr at epoch 1, batch 1 must be above 0"),
     ('events = [{epoch = 2, batch = 0, lr = 0.1}, {epoch = 1, batch = 0, lr = 0.1}]', "in the order"),
     ('events = [{epoch = 1, batch = 0, l2 = 0.1}]', "cannot read"),
     ('events = "often"', "cannot read")],
)
def test_bad_events_in_a_config_file(tmp_path, text, why):
    path = tmp_path / "c.toml"
    path.write_text(f"[train]\n{text}\n")
    with pytest.raises(ConfigError, match=why) as info:
        build_config(file=path)
    assert "\n" not in str(info.value)


def test_a_change_made_while_paused_applies_to_the_batch_the_pause_held():
    import threading
    import time

    trainer = Trainer(TrainConfig(hidden=(8,), epochs=2, batch_size=16, lr=0.1).validate(), make_dataset())
    seen = changing_at_step(trainer, 0)  # records each step's rate
    real = trainer.optimizer.step

    def pause_after_step_three(*args, **kwargs):
        real(*args, **kwargs)
        if len(seen) == 3:
            trainer.pause()

    trainer.optimizer.step = pause_after_step_three
    worker = threading.Thread(target=lambda: list(trainer.run()))
    worker.start()
    deadline = time.monotonic() + 10
    while trainer.status != "paused" and time.monotonic() < deadline:
        time.sleep(0.005)
    assert trainer.status == "paused"
    trainer.request_change("lr", 0.01)
    trainer.resume()
    worker.join(10)
    assert trainer.config.events == ((1, 3, "lr", 0.01),)
    assert [lr for lr, _ in seen] == [0.1, 0.1, 0.1] + [0.01] * 5
