"""Per-layer diagnostics (core.diagnostics): the trainer's numbers against an
independent replay of the epoch with core.reference, the files that carry them, and
the warnings they trigger."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import replace

import numpy as np
import pytest

from core import reference
from core.config import TrainConfig
from core.diagnostics import columns, is_column, warnings_for
from core.network import Network
from core.runs import read_run, write_run
from core.trainer import EpochRecord, Trainer
from helpers import make_dataset, train


def replay_epoch(config: TrainConfig, data):
    """One momentum epoch replayed with the reference maths: the expected diagnostics."""
    rng = np.random.default_rng(config.seed)
    sizes = (data.n_features, *config.hidden, data.n_classes)
    init = Network(sizes, dtype="float64", init=config.init, rng=rng)
    weights = [w.copy() for w in init.weights]
    biases = [b.copy() for b in init.biases]
    params = weights + biases
    velocities = [np.zeros_like(p) for p in params]
    X, y = data.x_train.astype(np.float64), data.y_train
    n = len(y)
    batch = n if config.batch_size == 0 else config.batch_size
    order = rng.permutation(n) if batch < n else np.arange(n)
    probed = (n // batch - 1) * batch
    active = [np.zeros(h, dtype=bool) for h in config.hidden]
    expected = {}
    for start in range(0, n, batch):
        rows = order[start : start + batch]
        zs, activations = reference.forward(weights, biases, X[rows])
        for a, z in zip(active, zs[:-1]):
            a |= (z > 0).any(axis=0)
        gw, gb = reference.backward(weights, zs, activations, y[rows], config.reduction, config.l2)
        before = [w.copy() for w in weights]
        for p, v, g in zip(params, velocities, gw + gb):
            v[...] = config.momentum * v + config.lr * g
            p -= v
        if start == probed:
            for l, (g, w0, w1) in enumerate(zip(gw, before, weights)):
                expected[f"W{l}_grad_norm"] = np.linalg.norm(g)
                expected[f"W{l}_update_ratio"] = np.linalg.norm(w1 - w0) / np.linalg.norm(w1)
    for l, w in enumerate(weights):
        expected[f"W{l}_norm"] = np.linalg.norm(w)
    for l, a in enumerate(active):
        expected[f"h{l}_dead"] = 1 - a.mean()
    return expected


@pytest.mark.parametrize(
    "changes",
    [{"batch_size": 25}, {"batch_size": 0}, {"batch_size": 20, "hidden": (9, 5), "l2": 0.01}],
    ids=["ragged-mini-batches", "full-batch", "two-hidden-l2"],
)
def test_diagnostics_match_an_independent_replay(changes, monkeypatch):
    config = TrainConfig(**{"hidden": (10,), "epochs": 1, "lr": 0.05, "momentum": 0.9, "dtype": "float64",
                            "seed": 3, **changes}).validate()
    data = make_dataset(n_train=60)
    original = Network.__init__

    def with_dead_units(self, *args, **kwargs):
        # Three units of the first hidden layer die for certain: their inputs are in
        # [0, 1], so their pre-activations stay below zero whatever one step does.
        original(self, *args, **kwargs)
        self.weights[0][:, :3] = -5.0
        self.biases[0][:3] = -5.0

    monkeypatch.setattr(Network, "__init__", with_dead_units)
    record = next(Trainer(config, data).run())
    expected = replay_epoch(config, data)
    assert set(record.diagnostics) == set(columns(len(config.hidden) + 1))
    for key, value in expected.items():
        assert record.diagnostics[key] == pytest.approx(float(value), rel=1e-9), key
    assert record.diagnostics["h0_dead"] >= 0.3


def test_columns_and_is_column():
    assert columns(2) == ("W0_norm", "W0_grad_norm", "W0_update_ratio",
                          "W1_norm", "W1_grad_norm", "W1_update_ratio", "h0_dead")
    assert all(is_column(c) for c in columns(4))
    for name in ("train_loss", "W_norm", "Wx_norm", "h0_alive", "W0_dead", "lr", "epoch"):
        assert not is_column(name)


def test_files_carry_the_diagnostic_columns(tmp_path):
    config = TrainConfig(hidden=(6, 4), epochs=2, batch_size=16, lr=0.1, seed=0).validate()
    trainer = train(config, make_dataset())
    out = write_run(trainer, tmp_path / "run")
    with open(out / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for c in columns(3):
        assert c in rows[0], c
        assert float(rows[1][c]) == pytest.approx(trainer.history[1].diagnostics[c], rel=1e-5)
    doc = json.loads((out / "history.json").read_text())
    assert doc["history"][0]["W2_update_ratio"] == trainer.history[0].diagnostics["W2_update_ratio"]
    back = read_run(out)
    assert back.history[1].diagnostics == trainer.history[1].diagnostics


def test_old_histories_without_diagnostics_still_read():
    row = {"epoch": 1, "train_loss": 1.0, "train_acc": 0.5, "valid_loss": 1.0, "valid_acc": 0.5,
           "test_loss": 1.0, "test_acc": 0.5, "lr": 0.1, "seconds": 0.1}
    record = EpochRecord.from_dict(row)
    assert record.diagnostics == {}
    assert warnings_for([record]) == []


def _record(epoch, **diagnostics):
    return EpochRecord(epoch, 1.0, 0.5, 1.0, 0.5, 1.0, 0.5, 0.1, 0.1, diagnostics=diagnostics)


def test_update_ratio_warns_after_two_large_epochs_and_once():
    calm = dict(W0_norm=1.0, W0_grad_norm=1.0, W0_update_ratio=1e-3, h0_dead=0.0)
    large = {**calm, "W0_update_ratio": 3e-2}
    history = [_record(1, **large)]
    assert warnings_for(history) == []  # one large step is not yet a warning
    history.append(_record(2, **large))
    (warning,) = warnings_for(history)
    assert "W0 update ratio 3.0e-02" in warning
    history.append(_record(3, **large))
    assert warnings_for(history) == []  # still large: said already
    history += [_record(4, **calm), _record(5, **large), _record(6, **large)]
    assert len(warnings_for(history)) == 1  # back after a calm spell: said again


def test_dead_units_and_exploding_gradients_warn():
    base = dict(W0_norm=1.0, W0_update_ratio=1e-3, W1_norm=1.0, W1_grad_norm=1.0, W1_update_ratio=1e-3)
    history = [_record(e, W0_grad_norm=1.0 + 0.1 * e, h0_dead=0.1, **base) for e in range(1, 5)]
    assert warnings_for(history) == []
    history.append(_record(5, W0_grad_norm=50.0, h0_dead=0.7, **base))
    text = " | ".join(warnings_for(history))
    assert "h0: 70% of the units are dead" in text
    assert "W0 gradient norm 50" in text and "exploding" in text
    history.append(_record(6, W0_grad_norm=math.inf, h0_dead=0.1, **base))
    assert any("gradient norm is inf" in w for w in warnings_for(history))


def test_the_course_runs_large_steps_are_warned_of():
    """The course's lr on the summed loss with momentum 0.99 takes steps of several
    percent of the weights: the warning names them within the first epochs."""
    config = TrainConfig(hidden=(30,), epochs=4, batch_size=0, lr=1e-3, reduction="sum", momentum=0.99,
                         v0=1e-5, dtype="float64").validate()
    trainer = Trainer(config, make_dataset(n_train=120))
    said = []
    for _ in trainer.run():
        said += warnings_for(trainer.history)
    assert any("update ratio" in w for w in said)
    calm = Trainer(replace(config, lr=1e-5), make_dataset(n_train=120))
    quiet = []
    for _ in calm.run():
        quiet += warnings_for(calm.history)
    assert not any("update ratio" in w for w in quiet)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_tanh_like_activations_have_no_dead_units(activation):
    # Without ReLU there is no dead state: the column is NaN, not 0 (nor the unused mask).
    config = TrainConfig(hidden=(6,), epochs=1, batch_size=16, lr=0.1, activation=activation).validate()
    record = next(Trainer(config, make_dataset()).run())
    assert math.isnan(record.diagnostics["h0_dead"])
    assert math.isfinite(record.diagnostics["W0_update_ratio"])


def test_leaky_relu_units_count_as_dead_when_never_positive(monkeypatch):
    config = TrainConfig(hidden=(10,), epochs=1, batch_size=0, lr=0.05, activation="leaky_relu").validate()
    original = Network.__init__

    def with_dead_units(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.weights[0][:, :4] = -5.0

    monkeypatch.setattr(Network, "__init__", with_dead_units)
    record = next(Trainer(config, make_dataset()).run())
    assert record.diagnostics["h0_dead"] >= 0.4
