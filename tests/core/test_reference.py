"""core.reference is the oracle: the fast Network must give its logits and gradients
(float64, to 1e-12, dropout included through the same masks), and the Trainer must
follow its momentum/SGD trajectory over three epochs with the trainer's own shuffles."""

from __future__ import annotations

import numpy as np
import pytest

from core import reference
from core.config import TrainConfig
from core.network import Network, with_ones_column
from core.trainer import Trainer
from helpers import make_dataset

RTOL = 1e-12


def net_and_batch(sizes, n=13, seed=0):
    rng = np.random.default_rng(seed)
    net = Network(sizes, dtype="float64", rng=rng)
    for b in net.biases:  # non-zero biases, so the shift trick and db are exercised
        b[:] = rng.normal(scale=0.1, size=b.shape)
    return net, rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], n)


def assert_close(actual, expected, what):
    # Relative to the array's scale: an entry whose true value is ~0 carries only rounding.
    scale = max(float(np.abs(expected).max()), 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale, err_msg=what)


def network_masks(rng, n, hidden, p):
    """The dropout multipliers the Network draws from `rng`: one uniform `(n, width)`
    array per hidden layer, in layer order; a unit is kept where its draw is below 1 - p."""
    return [(rng.random((n, width)) < 1 - p) / (1 - p) for width in hidden]


@pytest.mark.parametrize(
    "sizes", [(6, 3), (6, 5, 3), (6, 5, 4, 3), (6, 8, 70, 3)],
    ids=["no-hidden", "one-hidden", "two-hidden", "wide-layer"],  # wide: the unfused ReLU
)
@pytest.mark.parametrize("reduction, l2", [("mean", 0.0), ("sum", 0.2)])
@pytest.mark.parametrize("ones_column", [False, True], ids=["plain", "ones-column"])
@pytest.mark.parametrize("dropout", [0.0, 0.4], ids=["no-dropout", "dropout"])
def test_network_matches_the_reference(sizes, reduction, l2, ones_column, dropout):
    net, X, y = net_and_batch(sizes)
    inputs = with_ones_column(X, "float64") if ones_column else X
    masks = network_masks(np.random.default_rng(3), len(y), sizes[1:-1], dropout) if dropout else None
    logits = net.forward(inputs, dropout=dropout, rng=np.random.default_rng(3), train=True).copy()
    net.train_batch(inputs, y, reduction=reduction, l2=l2, dropout=dropout, rng=np.random.default_rng(3))

    zs, activations = reference.forward(net.weights, net.biases, X, masks)
    grad_weights, grad_biases = reference.backward(net.weights, zs, activations, y, reduction, l2, masks)
    assert_close(logits, activations[-1], "logits")
    expected = [g for pair in zip(grad_weights, grad_biases) for g in pair]
    for name, a, e in zip(net.param_names(), net.grads, expected):
        assert_close(a, e, name)


def test_masks_reach_the_reference():
    """Dropping units changes the reference's gradients: the dropout comparison above
    is not vacuous."""
    net, X, y = net_and_batch((6, 5, 4, 3))
    masks = network_masks(np.random.default_rng(3), len(y), (5, 4), 0.4)
    plain = reference.backward(net.weights, *reference.forward(net.weights, net.biases, X), y)
    dropped = reference.backward(net.weights, *reference.forward(net.weights, net.biases, X, masks), y, masks=masks)
    assert not np.allclose(plain[0][0], dropped[0][0])


def reference_run(config: TrainConfig, data, epochs: int):
    """The config trained by `reference.momentum_epoch`, with the trainer's random
    stream replayed: initial weights from a Network on the same generator, then one
    permutation per epoch when there are mini-batches."""
    rng = np.random.default_rng(config.seed)
    sizes = (data.n_features, *config.hidden, data.n_classes)
    init = Network(sizes, dtype="float64", init=config.init, rng=rng)
    weights = [w.copy() for w in init.weights]
    biases = [b.copy() for b in init.biases]
    sgd = config.optimizer == "sgd"
    v0 = 0.0 if sgd else config.v0
    velocities = [np.full_like(p, v0) for p in weights + biases]
    X, y = data.x_train.astype(np.float64), data.y_train
    n = len(y)
    batch = n if config.batch_size in (0, None) or config.batch_size >= n else config.batch_size
    for _ in range(epochs):
        order = rng.permutation(n) if batch < n else np.arange(n)
        reference.momentum_epoch(weights, biases, velocities, X, y, order, batch, config.lr,
                                 0.0 if sgd else config.momentum, config.reduction, config.l2)
    return weights, biases, velocities


@pytest.mark.parametrize(
    "changes",
    [
        {"optimizer": "sgd"},
        {"optimizer": "momentum", "v0": 1e-3},
        {"optimizer": "momentum", "v0": 1e-3, "batch_size": 0},
        {"optimizer": "momentum", "reduction": "sum", "lr": 2e-3, "l2": 0.01, "hidden": (12, 7)},
        {"optimizer": "sgd", "hidden": (80,), "batch_size": 25},  # a wide layer, a short last batch
    ],
    ids=["sgd", "momentum-v0", "momentum-full-batch", "momentum-sum-l2-two-hidden", "sgd-wide-ragged"],
)
def test_trainer_follows_the_reference_trajectory(changes):
    config = TrainConfig(**{"hidden": (10,), "epochs": 3, "batch_size": 16, "lr": 0.05, "momentum": 0.9,
                            "dtype": "float64", "seed": 4, **changes})
    data = make_dataset()
    trainer = Trainer(config, data)
    start = [p.copy() for p in trainer.network.params]
    list(trainer.run())
    weights, biases, velocities = reference_run(config, data, 3)
    expected = [p for pair in zip(weights, biases) for p in pair]
    for name, a, e, s in zip(trainer.network.param_names(), trainer.network.params, expected, start):
        assert not np.array_equal(a, s), f"{name} never moved"
        assert_close(a, e, name)
    if config.optimizer == "momentum":
        v_expected = [v for pair in zip(velocities[: len(weights)], velocities[len(weights):]) for v in pair]
        for name, a, e in zip(trainer.network.param_names(), trainer.optimizer.velocity, v_expected):
            assert_close(a, e, f"velocity of {name}")
