"""Label smoothing: the gradient of CE against (1 - eps) * one-hot + eps / K, checked by
hand, against core.reference and against finite differences of the smoothed loss; eps = 0
is today's code path bit for bit; reported losses stay the plain cross-entropy."""

from __future__ import annotations

import numpy as np
import pytest

from core import kernels, reference
from core.config import ConfigError, TrainConfig
from core.gradcheck import gradient_check
from core.maths import average_ce, grad_ce, smoothed_ce, smoothed_targets, softmax
from core.network import Network, with_ones_column
from core.options import ACTIVATIONS
from helpers import make_dataset, numeric_gradient, tiny_config, train

RTOL = 1e-12


def net_and_batch(sizes=(6, 5, 4, 3), n=13, seed=0, activation="relu"):
    rng = np.random.default_rng(seed)
    net = Network(sizes, dtype="float64", rng=rng, activation=activation)
    for b in net.biases:
        b[:] = rng.normal(scale=0.1, size=b.shape)
    return net, rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], n)


def test_smoothed_targets_by_hand():
    y = smoothed_targets(np.array([2, 0]), 4, 0.2)
    np.testing.assert_allclose(y, [[0.05, 0.05, 0.85, 0.05], [0.85, 0.05, 0.05, 0.05]], rtol=1e-15)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(smoothed_targets(np.array([1]), 3, 0.0), [[0, 1, 0]])


def test_kernel_gradient_is_p_minus_smoothed_targets_over_n():
    """Independent of core.maths: the targets and softmax written out here."""
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(7, 5))
    y = rng.integers(0, 5, 7)
    eps = 0.1
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    targets = np.full((7, 5), eps / 5)
    targets[np.arange(7), y] = 1 - eps + eps / 5
    got = kernels.ce_grad_smoothed_inplace(p.copy(), y, 1 / 7, eps)
    np.testing.assert_allclose(got, (p - targets) / 7, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(grad_ce(y, logits, "mean", eps), (p - targets) / 7, rtol=1e-13, atol=1e-16)
    # Rows of P - Y_smooth sum to 0: both rows sum to 1.
    np.testing.assert_allclose(got.sum(axis=1), 0, atol=1e-16)


def test_smoothed_gradient_is_the_derivative_of_the_smoothed_loss():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(6, 4))
    y = rng.integers(0, 4, 6)
    numeric = numeric_gradient(lambda z: smoothed_ce(y, z, 0.3), logits)
    np.testing.assert_allclose(grad_ce(y, logits, "mean", 0.3), numeric, rtol=1e-6, atol=1e-10)
    assert smoothed_ce(y, logits, 0.0) == pytest.approx(average_ce(y, logits), rel=1e-14)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("hidden", [(8,), (8, 6)], ids=["one-hidden", "two-hidden"])
@pytest.mark.parametrize("dropout", [0.0, 0.3], ids=["no-dropout", "dropout"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradient_check_of_the_smoothed_loss(activation, hidden, dropout, reduction):
    results = gradient_check(hidden=hidden, seed=3, activation=activation, dropout=dropout, reduction=reduction,
                             label_smoothing=0.2)
    for r in results:
        assert r.rel_error < 1e-6, f"{r.name}: {r.rel_error:.3e}"


def test_gradient_check_sees_the_smoothing(monkeypatch):
    """The smoothed check is not the plain one: the unsmoothed gradient fails it."""
    import core.gradcheck

    class Plain(Network):
        def train_batch(self, *args, label_smoothing=0.0, **kwargs):
            return super().train_batch(*args, **kwargs)

    monkeypatch.setattr(core.gradcheck, "Network", Plain)
    assert max(r.rel_error for r in gradient_check(hidden=(8,), seed=3, label_smoothing=0.2)) > 1e-3


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("ones_column", [False, True], ids=["plain", "ones-column"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dropout", [0.0, 0.4], ids=["no-dropout", "dropout"])
def test_network_matches_the_reference(activation, ones_column, reduction, dropout):
    net, X, y = net_and_batch(activation=activation)
    inputs = with_ones_column(X, "float64") if ones_column else X
    rng = np.random.default_rng(3)
    masks = [(rng.random((len(y), w)) < 1 - dropout) / (1 - dropout) for w in (5, 4)] if dropout else None
    net.train_batch(inputs, y, reduction=reduction, dropout=dropout, rng=np.random.default_rng(3),
                    label_smoothing=0.15)
    zs, acts = reference.forward(net.weights, net.biases, X, masks, activation=activation)
    gw, gb = reference.backward(net.weights, zs, acts, y, reduction, masks=masks, activation=activation,
                                label_smoothing=0.15)
    for name, a, e in zip(net.param_names(), net.grads, [g for pair in zip(gw, gb) for g in pair]):
        scale = float(np.abs(e).max())
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=RTOL * scale, err_msg=name)
    plain = reference.backward(net.weights, zs, acts, y, reduction, masks=masks, activation=activation)
    assert not np.allclose(net.grad_weights[-1], plain[0][-1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zero_smoothing_is_todays_path_bit_for_bit(dtype, monkeypatch):
    """eps = 0 never calls the smoothed kernel and gives the same bits as before."""
    net, X, y = net_and_batch()
    net = Network(net.sizes, dtype=dtype, rng=np.random.default_rng(0))
    X = X.astype(dtype)
    net.train_batch(X, y)
    before = [g.copy() for g in net.grads]

    def refuse(*args):
        raise AssertionError("the smoothed kernel ran for eps = 0")

    monkeypatch.setattr(kernels, "ce_grad_smoothed_inplace", refuse)
    net.train_batch(X, y, label_smoothing=0.0)
    for a, b in zip(net.grads, before):
        np.testing.assert_array_equal(a, b)


def test_reported_losses_stay_the_plain_cross_entropy():
    """The loss sum train_batch returns is CE against the true labels, as without smoothing."""
    net, X, y = net_and_batch()
    logits = reference.forward(net.weights, net.biases, X)[1][-1]
    loss_sum, correct = net.train_batch(X, y, label_smoothing=0.3)
    assert loss_sum == pytest.approx(len(y) * average_ce(y, logits), rel=1e-12)
    assert loss_sum != pytest.approx(len(y) * smoothed_ce(y, logits, 0.3), rel=1e-6)
    assert correct == int((softmax(logits).argmax(axis=1) == y).sum())


def test_trainer_smooths_the_gradient_and_reports_plain_losses():
    data = make_dataset()
    plain = train(tiny_config(epochs=4), data)
    smooth = train(tiny_config(epochs=4, label_smoothing=0.2), data)
    assert [r.train_loss for r in plain.history] != [r.train_loss for r in smooth.history]
    # The reported train loss is the plain CE of the trained weights on the training set.
    last = smooth.history[-1]
    net = smooth.network
    x = data.x_train.astype(np.float32)
    logits = net.forward(x).astype(np.float64)
    assert last.train_loss == pytest.approx(average_ce(data.y_train, logits), rel=1e-5)
    losses = [r.train_loss for r in smooth.history]
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("value, ok", [(0.0, True), (0.5, True), (0.999, True), (1.0, False), (-0.1, False)])
def test_smoothing_bounds(value, ok):
    config = TrainConfig(label_smoothing=value)
    if ok:
        config.validate()
    else:
        with pytest.raises(ConfigError, match="label_smoothing"):
            config.validate()
