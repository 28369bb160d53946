"""Hidden-layer activations (relu, tanh, sigmoid, leaky_relu): gradients against finite
differences, the fast Network against core.reference to 1e-12 in float64 (dropout
included), the masks the diagnostics read, training through the Trainer, and every
place that rebuilds a network from a config or model file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core import kernels, reference, rowsplit
from core.checkpoint import load_checkpoint, save_checkpoint
from core.config import ConfigError, TrainConfig
from core.gradcheck import gradient_check
from core.maths import activation, activation_derivative, leaky_relu, sigmoid
from core.network import Network, with_ones_column
from core.options import ACTIVATIONS, LEAKY_SLOPE
from core.datasets import load_dataset
from core.predict import Item, predict_items
from core.trainer import Trainer
from helpers import make_dataset, tiny_config, train, write_npz_dataset

RTOL = 1e-12
OTHERS = [a for a in ACTIVATIONS if a != "relu"]


def net_and_batch(sizes, act, n=13, seed=0):
    rng = np.random.default_rng(seed)
    net = Network(sizes, dtype="float64", rng=rng, activation=act)
    for b in net.biases:  # non-zero biases, so db and the bias additions are exercised
        b[:] = rng.normal(scale=0.1, size=b.shape)
    return net, rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], n)


def network_masks(rng, n, hidden, p):
    """The dropout multipliers the Network draws from `rng` (see test_reference)."""
    return [(rng.random((n, width)) < 1 - p) / (1 - p) for width in hidden]


def assert_close(actual, expected, what):
    scale = max(float(np.abs(expected).max()), 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale, err_msg=what)


# --------------------------------------------------------------------------- the plain maths


def test_maths_activations_by_hand():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(activation("relu", z), [0, 0, 0, 0.5, 2])
    np.testing.assert_allclose(leaky_relu(z), [-0.02, -0.005, 0, 0.5, 2], rtol=1e-15)
    np.testing.assert_allclose(activation("tanh", z), np.tanh(z), rtol=1e-15)
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    assert LEAKY_SLOPE == 0.01
    with pytest.raises(ValueError, match="activation"):
        activation("swish", z)


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_maths_derivatives_are_the_slopes(act):
    z = np.linspace(-3, 3, 61) + 0.013  # no point on relu's kink
    h = 1e-6
    numeric = (activation(act, z + h) - activation(act, z - h)) / (2 * h)
    np.testing.assert_allclose(activation_derivative(act, z), numeric, rtol=1e-7, atol=1e-9)


def test_sigmoid_is_finite_and_quiet_at_extremes():
    z = np.array([-1000.0, -40.0, 40.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(z)
    assert s[0] == 0 and s[-1] == 1 and 0 < s[1] < 1e-17
    for dtype in ("float32", "float64"):
        buf = z.astype(dtype)[None, :]  # a (1, 4) batch
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            kernels.smooth_inplace(buf, None, "sigmoid")
        np.testing.assert_allclose(buf[0], sigmoid(z), atol=np.finfo(dtype).eps)


# --------------------------------------------------------------------------- gradient checks


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("hidden", [(8,), (8, 6)], ids=["one-hidden", "two-hidden"])
@pytest.mark.parametrize("dropout", [0.0, 0.3], ids=["no-dropout", "dropout"])
@pytest.mark.parametrize("ones_column", [True, False], ids=["ones-column", "plain"])
def test_gradient_check(act, hidden, dropout, ones_column):
    results = gradient_check(hidden=hidden, seed=2, activation=act, dropout=dropout, ones_column=ones_column)
    assert [r.name for r in results] == [n for l in range(len(hidden) + 1) for n in (f"W{l}", f"b{l}")]
    for r in results:
        assert r.rel_error < 1e-6, f"{r.name}: {r.rel_error:.3e}"


@pytest.mark.parametrize("act", OTHERS)
def test_gradient_check_notices_a_wrong_derivative(act, monkeypatch):
    """The check is not vacuous: backprop through relu's derivative instead fails it."""
    net_grads = gradient_check(hidden=(8,), seed=2, activation=act)
    assert max(r.rel_error for r in net_grads) < 1e-6
    monkeypatch.setattr(kernels, "smooth_backward", lambda a, da, *rest: kernels.relu_backward(
        da, a > 0, 1.0, rest[-1]))
    monkeypatch.setattr(kernels, "leaky_relu_backward", lambda da, mask, noise, scale, bias_grad:
                        kernels.relu_backward(da, mask, scale, bias_grad))
    assert max(r.rel_error for r in gradient_check(hidden=(8,), seed=2, activation=act)) > 1e-3


# --------------------------------------------------------------------------- Network against the reference


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize(
    "sizes", [(6, 5, 3), (6, 5, 4, 3), (6, 8, 70, 3)], ids=["one-hidden", "two-hidden", "wide-layer"],
)
@pytest.mark.parametrize("ones_column", [False, True], ids=["plain", "ones-column"])
@pytest.mark.parametrize("dropout", [0.0, 0.4], ids=["no-dropout", "dropout"])
def test_network_matches_the_reference(act, sizes, ones_column, dropout):
    net, X, y = net_and_batch(sizes, act)
    inputs = with_ones_column(X, "float64") if ones_column else X
    masks = network_masks(np.random.default_rng(3), len(y), sizes[1:-1], dropout) if dropout else None
    logits = net.forward(inputs, dropout=dropout, rng=np.random.default_rng(3), train=True).copy()
    net.train_batch(inputs, y, l2=0.1, dropout=dropout, rng=np.random.default_rng(3))

    zs, activations = reference.forward(net.weights, net.biases, X, masks, activation=act)
    grad_weights, grad_biases = reference.backward(net.weights, zs, activations, y, l2=0.1, masks=masks,
                                                   activation=act)
    assert_close(logits, activations[-1], "logits")
    for name, a, e in zip(net.param_names(), net.grads, [g for p in zip(grad_weights, grad_biases) for g in p]):
        assert_close(a, e, name)


@pytest.mark.parametrize("act", OTHERS)
def test_activations_reach_the_reference(act):
    """Each activation changes the reference's logits and gradients: the agreement above
    is not relu's agreeing with itself."""
    net, X, y = net_and_batch((6, 5, 4, 3), act)
    relu_fwd = reference.forward(net.weights, net.biases, X)
    other_fwd = reference.forward(net.weights, net.biases, X, activation=act)
    assert not np.allclose(relu_fwd[1][-1], other_fwd[1][-1])
    net.train_batch(X, y)
    relu_grads = reference.backward(net.weights, *relu_fwd, y)
    assert not np.allclose(net.grad_weights[0], relu_grads[0][0])


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_row_split_and_one_thread_agree(monkeypatch, act, dtype, dropout):
    """Big enough to be split across threads and into several cache blocks per thread."""
    rng = np.random.default_rng(0)
    n, n_in, hidden = 1500, 12, (600, 40)
    X = rng.random((n, n_in)).astype(dtype)
    y = rng.integers(0, 5, n)
    results = []
    for threads in (1, 3):
        monkeypatch.setattr(rowsplit, "_shared", rowsplit.RowSplitter(threads))
        net = Network((n_in, *hidden, 5), dtype=dtype, rng=np.random.default_rng(1), activation=act)
        net.train_batch(X, y, dropout=dropout, rng=np.random.default_rng(2))
        results.append(([g.copy() for g in net.grads], net.forward(X).copy()))
    (g1, f1), (g3, f3) = results
    np.testing.assert_array_equal(f1, f3)  # elementwise work is exact per row
    tol = 1e-5 if dtype == "float32" else 1e-12
    for a, b in zip(g1, g3):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# --------------------------------------------------------------------------- masks for the diagnostics


@pytest.mark.parametrize("act", ["relu", "leaky_relu"])
@pytest.mark.parametrize("ones_column", [False, True])
def test_mask_holds_z_positive_after_a_training_forward(act, ones_column):
    net, X, y = net_and_batch((6, 9, 70, 3), act)  # 70: relu's unfused path; 9 -> 70 fused
    inputs = with_ones_column(X, "float64") if ones_column else X
    net.forward(inputs, train=True)
    zs, _ = reference.forward(net.weights, net.biases, X, activation=act)
    for l in range(2):
        np.testing.assert_array_equal(net._ws.mask[l][: len(y)], zs[l] > 0)


@pytest.mark.parametrize("act", ["relu", "leaky_relu"])
def test_mask_under_dropout_is_active_and_kept(act):
    net, X, y = net_and_batch((6, 9, 7, 3), act)
    masks = network_masks(np.random.default_rng(3), len(y), (9, 7), 0.4)
    net.forward(X, dropout=0.4, rng=np.random.default_rng(3), train=True)
    zs, _ = reference.forward(net.weights, net.biases, X, masks, activation=act)
    for l in range(2):
        np.testing.assert_array_equal(net._ws.mask[l][: len(y)], (zs[l] > 0) & (masks[l] > 0))


def test_leaky_backward_passes_active_units_unchanged():
    """(1 - s) + s is exactly 1 in both dtypes, so dA goes through active units bit for bit."""
    for dtype in ("float32", "float64"):
        da = np.random.default_rng(0).standard_normal((50, 30)).astype(dtype)
        mask = np.random.default_rng(1).random((50, 30)) < 0.5
        expected = np.where(mask, da, da * da.dtype.type(LEAKY_SLOPE))
        kernels.leaky_relu_backward(da, mask, None, 1.0, None)
        np.testing.assert_array_equal(da, expected)


# --------------------------------------------------------------------------- training


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_each_activation_trains(act, dropout):
    config = tiny_config(activation=act, dropout=dropout, hidden=(16,), epochs=8, lr=0.1 if act != "sigmoid" else 0.5)
    trainer = train(config, make_dataset(n_train=120))
    assert trainer.network.activation == act
    losses = [r.train_loss for r in trainer.history]
    assert len(losses) == 8 and losses[-1] < 0.7 * losses[0], losses
    assert trainer.history[-1].valid_acc > 0.6


def test_activation_changes_the_run():
    data = make_dataset()
    histories = {act: [r.train_loss for r in train(tiny_config(activation=act), data).history] for act in ACTIVATIONS}
    assert len({tuple(h) for h in histories.values()}) == len(ACTIVATIONS)


def reference_run(config: TrainConfig, data, epochs: int):
    """`reference.momentum_epoch` with the trainer's random stream replayed (as in
    test_reference), for any activation and label smoothing."""
    rng = np.random.default_rng(config.seed)
    init = Network((data.n_features, *config.hidden, data.n_classes), dtype="float64", init=config.init, rng=rng)
    weights, biases = [w.copy() for w in init.weights], [b.copy() for b in init.biases]
    velocities = [np.full_like(p, config.v0) for p in weights + biases]
    X, y = data.x_train.astype(np.float64), data.y_train
    for _ in range(epochs):
        order = rng.permutation(len(y))
        reference.momentum_epoch(weights, biases, velocities, X, y, order, config.batch_size, config.lr,
                                 config.momentum, config.reduction, config.l2, activation=config.activation,
                                 label_smoothing=config.label_smoothing)
    return [p for pair in zip(weights, biases) for p in pair]


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_trainer_follows_the_reference_trajectory(act):
    config = TrainConfig(hidden=(10, 7), epochs=3, batch_size=16, lr=0.05, momentum=0.9, dtype="float64", seed=4,
                         activation=act, label_smoothing=0.1)
    data = make_dataset()
    trainer = Trainer(config, data)
    list(trainer.run())
    for name, a, e in zip(trainer.network.param_names(), trainer.network.params, reference_run(config, data, 3)):
        assert_close(a, e, name)


# --------------------------------------------------------------------------- rebuilding networks


def test_config_refuses_an_unknown_activation():
    with pytest.raises(ConfigError, match="activation"):
        TrainConfig(activation="swish").validate()
    with pytest.raises(ValueError, match="activation"):
        Network((3, 2, 2), activation="swish")


@pytest.mark.parametrize("act", OTHERS)
def test_saved_model_loads_with_its_activation(act, tmp_path):
    data = make_dataset()
    trainer = train(tiny_config(activation=act), data)
    path = save_checkpoint(trainer, tmp_path / "model.npz")
    ckpt = load_checkpoint(path)
    assert ckpt.config.activation == act
    for net in (ckpt.network(), ckpt.network(best=True), ckpt.default_network()):
        assert net.activation == act
    X = data.x_test.astype(np.float32)
    np.testing.assert_array_equal(ckpt.network().predict_proba(X), trainer.network.predict_proba(X))
    relu_view = Network(ckpt.sizes, activation="relu")
    relu_view.load_state(ckpt.params)
    assert not np.allclose(relu_view.predict_proba(X), trainer.network.predict_proba(X))


def test_tanh_model_predictions_survive_save_and_load(tmp_path):
    """Through predict's own path (a dataset file): the loaded model predicts what the
    trained network does, and a relu network with the same weights would not."""
    path = write_npz_dataset(tmp_path / "data.npz")
    trainer = train(tiny_config(activation="tanh", epochs=4, data=str(path)), load_dataset(str(path)))
    ckpt = load_checkpoint(save_checkpoint(trainer, tmp_path / "model.npz"))

    def probabilities(net):
        return np.stack([p.probabilities for p in predict_items([Item(path, dataset=True)], ckpt, net, None)])

    loaded = probabilities(ckpt.default_network())
    assert len(loaded) == 150
    np.testing.assert_array_equal(loaded, probabilities(trainer.result_network()))
    relu = Network(ckpt.sizes)
    relu.load_state(ckpt.params)
    assert not np.allclose(loaded, probabilities(relu))


def test_old_model_files_without_an_activation_load_as_relu(tmp_path):
    trainer = train(tiny_config(), make_dataset())
    path = save_checkpoint(trainer, tmp_path / "model.npz")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    del meta["config"]["activation"], meta["config"]["label_smoothing"]
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "old.npz", **arrays)
    old = load_checkpoint(tmp_path / "old.npz")
    assert old.config.activation == "relu" and old.config.label_smoothing == 0.0
    assert old.network().activation == "relu"


@pytest.mark.parametrize("act", OTHERS)
def test_restored_best_network_keeps_the_activation(act):
    data = make_dataset()
    trainer = train(tiny_config(activation=act, epochs=6, early_stop=2, restore_best=True, lr=0.5), data)
    trainer.best_epoch = max(trainer.best_epoch, 1)
    net = trainer.result_network()
    assert net.activation == act
