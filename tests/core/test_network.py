"""core.network and core.gradcheck: initialisation, dtypes, forward/backward, dropout,
buffer reuse, and gradients checked twice: by the project's gradient_check and by a
finite difference written here, independent of the module under test."""

from __future__ import annotations

import numpy as np
import pytest

from core.gradcheck import gradient_check
from core.maths import average_ce, compute_layer, relu, softmax
from core.network import Network, with_ones_column

# --------------------------------------------------------------------------- helpers


def small_net(sizes=(5, 4, 3, 3), dtype="float64", seed=0) -> Network:
    """A tiny network with non-zero biases, so every gradient is exercised off the origin."""
    rng = np.random.default_rng(seed)
    net = Network(sizes, dtype=dtype, rng=rng)
    for b in net.biases:
        b[:] = rng.normal(scale=0.1, size=b.shape)
    return net


def batch(n=6, n_in=5, n_out=3, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), rng.integers(0, n_out, n)


def reference_loss(weights, biases, X, y, reduction="mean", l2=0.0) -> float:
    """The network's loss written out from scratch: ReLU hidden layers, log-sum-exp CE."""
    a = X
    for l, (W, b) in enumerate(zip(weights, biases)):
        z = a @ W + b
        a = np.maximum(z, 0) if l < len(weights) - 1 else z
    shifted = a - a.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    total = -logp[np.arange(len(y)), y].sum()
    data = total / len(y) if reduction == "mean" else total
    return data + 0.5 * l2 * sum(float((W * W).sum()) for W in weights)


def reference_forward(net: Network, X: np.ndarray) -> np.ndarray:
    """Logits from the course helpers: relu(compute_layer(...)) per hidden layer."""
    a = X
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        a = compute_layer(a, W, b)
        if l < net.n_layers - 1:
            a = relu(a)
    return a


def numeric_grads(loss, params, eps=1e-6) -> list[np.ndarray]:
    """Central differences of `loss()` with respect to every entry of every array."""
    out = []
    for p in params:
        g = np.empty_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            up = loss()
            p[i] = old - eps
            down = loss()
            p[i] = old
            g[i] = (up - down) / (2 * eps)
        out.append(g)
    return out


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


# --------------------------------------------------------------------------- gradient check (module)


@pytest.mark.parametrize(
    "hidden, l2, reduction",
    [
        ((8,), 0.0, "mean"),
        ((8, 6), 0.0, "mean"),
        ((8,), 0.1, "mean"),
        ((8, 6), 0.05, "sum"),
    ],
    ids=["one-hidden", "two-hidden", "one-hidden-l2", "two-hidden-l2-sum"],
)
@pytest.mark.parametrize("ones_column", [True, False], ids=["ones-column", "plain"])
def test_gradient_check_module(hidden, l2, reduction, ones_column):
    results = gradient_check(hidden=hidden, l2=l2, reduction=reduction, seed=2, ones_column=ones_column)
    names = [r.name for r in results]
    expected = [n for l in range(len(hidden) + 1) for n in (f"W{l}", f"b{l}")]
    assert names == expected
    for r in results:
        assert r.rel_error < 1e-6, f"{r.name}: {r.rel_error:.3e}"


# --------------------------------------------------------------------------- independent finite difference


@pytest.mark.parametrize(
    "sizes, reduction, l2",
    [
        ((5, 4, 3), "mean", 0.0),
        ((5, 4, 3, 3), "mean", 0.0),
        ((5, 4, 3, 3), "sum", 0.0),
        ((5, 4, 3, 3), "mean", 0.3),
        ((5, 8, 70, 3), "mean", 0.0),
    ],
    # wide-layer: a next layer wider than FUSE_MAX_WIDTH takes the unfused ReLU path
    ids=["one-hidden", "two-hidden", "two-hidden-sum", "two-hidden-l2", "wide-layer"],
)
@pytest.mark.parametrize("ones_column", [False, True], ids=["plain", "ones-column"])
def test_train_batch_gradients_match_independent_finite_difference(sizes, reduction, l2, ones_column):
    net = small_net(sizes)
    X, y = batch(n_in=sizes[0], n_out=sizes[-1])
    net.train_batch(with_ones_column(X, "float64") if ones_column else X, y, reduction=reduction, l2=l2)
    analytic = [g.copy() for g in net.grads]

    weights = [W.copy() for W in net.weights]
    biases = [b.copy() for b in net.biases]
    params = [p for pair in zip(weights, biases) for p in pair]
    numeric = numeric_grads(lambda: reference_loss(weights, biases, X, y, reduction, l2), params)

    for name, a, n in zip(net.param_names(), analytic, numeric):
        assert rel_error(a, n) < 1e-7, f"{name}: {rel_error(a, n):.3e}"
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-7, err_msg=name)


def test_dropout_gradients_match_finite_difference_with_a_fixed_mask():
    """With the same random stream the dropout mask is fixed, so the loss is a smooth
    function of the weights and backprop must match central differences."""
    net = small_net((5, 6, 5, 3))
    X, y = batch(n=8)
    p = 0.4

    def loss() -> float:
        logits = net.forward(X, dropout=p, rng=np.random.default_rng(11), train=True).copy()
        return average_ce(y, logits)

    net.train_batch(X, y, reduction="mean", dropout=p, rng=np.random.default_rng(11))
    analytic = [g.copy() for g in net.grads]
    numeric = numeric_grads(loss, net.params)
    for name, a, n in zip(net.param_names(), analytic, numeric):
        assert rel_error(a, n) < 1e-7, f"{name}: {rel_error(a, n):.3e}"


def test_sum_gradient_is_n_times_mean_gradient():
    net = small_net()
    X, y = batch(n=6)
    net.train_batch(X, y, reduction="mean")
    mean = [g.copy() for g in net.grads]
    net.train_batch(X, y, reduction="sum")
    for g_sum, g_mean in zip(net.grads, mean):
        np.testing.assert_allclose(g_sum, 6 * g_mean, rtol=1e-12, atol=1e-15)


def test_l2_adds_l2_times_w_to_weights_only():
    net = small_net()
    X, y = batch()
    net.train_batch(X, y)
    plain = [g.copy() for g in net.grads]
    net.train_batch(X, y, l2=0.25)
    for l in range(net.n_layers):
        np.testing.assert_allclose(net.grad_weights[l], plain[2 * l] + 0.25 * net.weights[l], rtol=1e-12)
        np.testing.assert_array_equal(net.grad_biases[l], plain[2 * l + 1])


def test_train_batch_returns_loss_sum_and_correct():
    net = small_net()
    X, y = batch(n=6)
    logits = reference_forward(net, X)
    loss_sum, correct = net.train_batch(X, y, reduction="mean")
    assert loss_sum == pytest.approx(6 * average_ce(y, logits), rel=1e-12)
    assert correct == int((logits.argmax(axis=1) == y).sum())


# --------------------------------------------------------------------------- initialisation


@pytest.mark.parametrize(
    "init, expected_var",
    [("xavier", 2.0 / (1000 + 500)), ("he", 2.0 / 1000)],
)
def test_init_variance(init, expected_var):
    # 500,000 draws: the sample variance is within ~0.2% (one sd) of the true one.
    net = Network((1000, 500), dtype="float64", init=init, rng=np.random.default_rng(0))
    W = net.weights[0]
    assert W.var() == pytest.approx(expected_var, rel=0.02)
    assert abs(W.mean()) < 0.01 * np.sqrt(expected_var)
    np.testing.assert_array_equal(net.biases[0], np.zeros(500))


def test_xavier_and_he_differ_per_layer():
    # Each layer uses its own fan-in/fan-out: the second layer of (400, 200, 100) has
    # Xavier variance 2/300.
    net = Network((400, 200, 100), dtype="float64", init="xavier", rng=np.random.default_rng(1))
    assert net.weights[0].var() == pytest.approx(2 / 600, rel=0.03)
    assert net.weights[1].var() == pytest.approx(2 / 300, rel=0.03)


def test_init_depends_on_rng_and_is_reproducible():
    a = Network((10, 7, 3), rng=np.random.default_rng(5))
    b = Network((10, 7, 3), rng=np.random.default_rng(5))
    c = Network((10, 7, 3), rng=np.random.default_rng(6))
    for pa, pb in zip(a.params, b.params):
        np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a.weights[0], c.weights[0])


@pytest.mark.parametrize("sizes", [(3,), (3, 0, 2), (0, 2), (3, -1, 2)])
def test_bad_sizes_raise(sizes):
    with pytest.raises(ValueError):
        Network(sizes)


def test_bad_init_raises():
    with pytest.raises(ValueError, match="init"):
        Network((3, 2), init="glorot")


# --------------------------------------------------------------------------- dtypes and shapes


@pytest.mark.parametrize("dtype, kwargs", [("float32", {}), ("float64", {"dtype": "float64"})])
def test_dtype_of_params_grads_and_outputs(dtype, kwargs):
    net = Network((6, 5, 4, 3), rng=np.random.default_rng(0), **kwargs)
    X, y = batch(n=4, n_in=6)
    X = X.astype(dtype)
    net.train_batch(X, y)
    for p in net.params + net.grads:
        assert p.dtype == np.dtype(dtype)
    assert net.forward(X).dtype == np.dtype(dtype)
    assert net.predict_proba(X).dtype == np.dtype(dtype)


def test_shapes_are_row_major():
    net = Network((6, 5, 4, 3))
    assert [W.shape for W in net.weights] == [(6, 5), (5, 4), (4, 3)]
    assert [b.shape for b in net.biases] == [(5,), (4,), (3,)]
    assert [g.shape for g in net.grads] == [p.shape for p in net.params]
    assert net.param_names() == ["W0", "b0", "W1", "b1", "W2", "b2"]
    assert net.hidden == (5, 4)
    assert net.forward(np.zeros((7, 6), dtype=np.float32)).shape == (7, 3)


# --------------------------------------------------------------------------- forward and backward


def test_forward_matches_course_helpers():
    net = small_net()
    X, _ = batch()
    np.testing.assert_allclose(net.forward(X), reference_forward(net, X), rtol=1e-13)


def test_forward_without_dropout_is_deterministic():
    net = small_net(dtype="float32")
    X, _ = batch()
    X = X.astype(np.float32)
    first = net.forward(X).copy()
    second = net.forward(X, dropout=0.0, rng=np.random.default_rng(99)).copy()
    np.testing.assert_array_equal(first, second)


def test_backward_fills_every_gradient():
    net = small_net((5, 4, 3, 3))
    for g in net.grads:
        g.fill(np.nan)
    X, y = batch()
    net.train_batch(X, y)
    for name, g in zip(net.param_names(), net.grads):
        assert np.isfinite(g).all(), name
        assert np.any(g != 0), name


def test_backward_overwrites_previous_gradients():
    # Gradients are assigned, not accumulated: a second identical call gives the same values.
    net = small_net()
    X, y = batch()
    net.train_batch(X, y)
    first = [g.copy() for g in net.grads]
    net.train_batch(X, y)
    for a, b in zip(first, net.grads):
        np.testing.assert_array_equal(a, b)


def test_evaluate_equals_average_ce_of_fresh_forward():
    net = small_net(dtype="float64")
    X, y = batch(n=23, seed=4)
    logits = reference_forward(net, X)
    loss, acc = net.evaluate(X, y)
    assert loss == pytest.approx(average_ce(y, logits), rel=1e-12)
    assert acc == pytest.approx(np.mean(logits.argmax(axis=1) == y))
    # Chunked evaluation gives the same numbers.
    loss_chunked, acc_chunked = net.evaluate(X, y, chunk=5)
    assert loss_chunked == pytest.approx(loss, rel=1e-12)
    assert acc_chunked == acc


def test_evaluate_empty_set_is_nan():
    loss, acc = small_net().evaluate(np.zeros((0, 5)), np.zeros(0, dtype=np.intp))
    assert np.isnan(loss) and np.isnan(acc)


def test_predict_proba_and_predict():
    net = small_net()
    X, _ = batch(n=9)
    proba = net.predict_proba(X, chunk=4)
    np.testing.assert_allclose(proba, softmax(reference_forward(net, X)), rtol=1e-12)
    np.testing.assert_array_equal(net.predict(X), proba.argmax(axis=1))


def test_state_round_trip_and_errors():
    a = small_net(seed=0)
    b = small_net(seed=1)
    b.load_state(a.state())
    for pa, pb in zip(a.params, b.params):
        np.testing.assert_array_equal(pa, pb)
        assert not np.shares_memory(pa, pb)
    with pytest.raises(ValueError, match="W1"):
        b.load_state({k: v for k, v in a.state().items() if k != "W1"})
    bad = a.state()
    bad["b0"] = np.zeros(7)
    with pytest.raises(ValueError, match="b0"):
        b.load_state(bad)


# --------------------------------------------------------------------------- dropout


def identity_readout(n_in: int, hidden: int, seed: int = 0) -> Network:
    """(n_in -> hidden -> hidden) with W1 = I, b1 = 0: the logits are the hidden activations."""
    net = Network((n_in, hidden, hidden), dtype="float64", rng=np.random.default_rng(seed))
    net.weights[1][:] = np.eye(hidden)
    net.biases[1][:] = 0
    return net


def test_dropout_scales_kept_units_by_inverse_keep_probability():
    p = 0.5
    net = identity_readout(20, 200)
    X = np.random.default_rng(2).normal(size=(2000, 20))
    clean = net.forward(X).copy()
    dropped = net.forward(X, dropout=p, rng=np.random.default_rng(3), train=True).copy()

    kept = dropped != 0
    # Every unit is either dropped or the clean activation times 1 / (1 - p).
    np.testing.assert_allclose(dropped[kept], clean[kept] / (1 - p), rtol=1e-12)
    # About a fraction p of the active units is dropped (400,000 draws: sd ~ 0.001).
    active = clean > 0
    assert np.mean(~kept[active]) == pytest.approx(p, abs=0.01)
    # The mean activation is preserved.
    assert dropped.mean() == pytest.approx(clean.mean(), rel=0.02)


def test_dropout_depends_on_rng_and_evaluation_never_drops():
    net = identity_readout(10, 50)
    X = np.random.default_rng(4).normal(size=(100, 10))
    a = net.forward(X, dropout=0.3, rng=np.random.default_rng(1), train=True).copy()
    b = net.forward(X, dropout=0.3, rng=np.random.default_rng(1), train=True).copy()
    c = net.forward(X, dropout=0.3, rng=np.random.default_rng(2), train=True).copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # evaluate() after a dropout pass uses the full network.
    y = np.zeros(100, dtype=np.intp)
    loss, _ = net.evaluate(X, y)
    assert loss == pytest.approx(average_ce(y, reference_forward(net, X)), rel=1e-12)


# --------------------------------------------------------------------------- buffers


def test_forward_reuses_its_workspace():
    net = small_net(dtype="float32")
    X, y = batch(n=16)
    X = X.astype(np.float32)
    out1 = net.forward(X)
    ws = net._ws
    ids = [id(a) for a in ws.z + ws.mask]
    out2 = net.forward(X)
    assert net._ws is ws
    assert [id(a) for a in ws.z + ws.mask] == ids
    assert np.shares_memory(out1, out2) and np.shares_memory(out2, ws.z[-1])
    # A training step and a smaller batch reuse the same buffers too.
    net.train_batch(X, y)
    net.forward(X[:5])
    assert net._ws is ws
    assert [id(a) for a in ws.z + ws.mask] == ids


# --------------------------------------------------------------------------- inputs with a ones column


@pytest.mark.parametrize(
    "sizes, dropout",
    [((5, 3), 0.0), ((5, 4, 3), 0.0), ((5, 6, 5, 3), 0.0), ((5, 4, 3), 0.3), ((5, 6, 5, 3), 0.3)],
    ids=["no-hidden", "one-hidden", "two-hidden", "one-hidden-dropout", "two-hidden-dropout"],
)
def test_ones_column_gives_the_same_logits_loss_and_gradients(sizes, dropout):
    net = small_net(sizes)
    X, y = batch(n=9, n_in=sizes[0], n_out=sizes[-1])
    results = []
    for inputs in (X, with_ones_column(X, "float64")):
        loss = net.train_batch(inputs, y, l2=0.1, dropout=dropout, rng=np.random.default_rng(5))
        logits = net.forward(inputs).copy()
        results.append((loss, logits, [g.copy() for g in net.grads]))
    (loss_a, logits_a, grads_a), (loss_b, logits_b, grads_b) = results
    assert loss_a[0] == pytest.approx(loss_b[0], rel=1e-12) and loss_a[1] == loss_b[1]
    np.testing.assert_allclose(logits_a, logits_b, rtol=1e-12, atol=1e-12)
    for name, a, b in zip(net.param_names(), grads_a, grads_b):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=name)


def test_first_layer_weights_and_bias_share_one_array():
    # The optimizer and load_state write W0 and b0 in place; the product with a ones
    # column must see those writes.
    net = small_net((5, 4, 3))
    X, _ = batch(n_in=5)
    net.biases[0][:] = 7.0
    net.weights[0][0, :] = -2.0
    np.testing.assert_allclose(net.forward(with_ones_column(X, "float64")), reference_forward(net, X), rtol=1e-12)


def test_with_ones_column_shape_dtype_and_values():
    X = np.arange(6, dtype=np.uint8).reshape(2, 3)
    out = with_ones_column(X, "float32")
    assert out.shape == (2, 4) and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, [[0, 1, 2, 1], [3, 4, 5, 1]])


@pytest.mark.parametrize("width", [4, 7])
def test_inputs_of_the_wrong_width_raise(width):
    net = small_net((5, 4, 3))
    with pytest.raises(ValueError, match=r"\(batch, 5\)"):
        net.forward(np.zeros((2, width)))


def test_extra_column_that_is_not_ones_raises():
    net = small_net((5, 4, 3))
    X = with_ones_column(np.zeros((3, 5)), "float64")
    X[1, -1] = 0.5
    with pytest.raises(ValueError, match="column of ones"):
        net.forward(X)


@pytest.mark.parametrize("ones_column", [False, True], ids=["plain", "ones-column"])
def test_fused_relu_and_product_give_the_same_result_in_any_block_size(monkeypatch, ones_column):
    import core.kernels as kernels_module

    net = small_net((5, 6, 5, 3))
    X, y = batch(n=11, n_in=5)
    inputs = with_ones_column(X, "float64") if ones_column else X
    results = []
    for block_bytes in (kernels_module._FUSE_BYTES, 1, 3 * 6 * 8):  # one block; a row each; 3 rows
        monkeypatch.setattr(kernels_module, "_FUSE_BYTES", block_bytes)
        loss = net.train_batch(inputs, y)
        results.append((loss, net.forward(inputs).copy(), [g.copy() for g in net.grads]))
    for loss, logits, grads in results[1:]:
        assert loss[0] == pytest.approx(results[0][0][0], rel=1e-12) and loss[1] == results[0][0][1]
        np.testing.assert_allclose(logits, results[0][1], rtol=1e-12, atol=1e-12)
        for a, b in zip(grads, results[0][2]):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results[0][1], reference_forward(net, X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reduction, l2, dropout", [("mean", 0.0, 0.0), ("sum", 0.2, 0.0), ("mean", 0.1, 0.3)])
def test_grad_scale_multiplies_every_gradient(reduction, l2, dropout):
    net = small_net((5, 6, 5, 3))
    X, y = batch(n=9)
    inputs = with_ones_column(X, "float64")
    net.train_batch(inputs, y, reduction=reduction, l2=l2, dropout=dropout, rng=np.random.default_rng(2))
    plain = [g.copy() for g in net.grads]
    net.train_batch(inputs, y, reduction=reduction, l2=l2, dropout=dropout, rng=np.random.default_rng(2),
                    grad_scale=0.03)
    for name, a, b in zip(net.param_names(), plain, net.grads):
        np.testing.assert_allclose(b, 0.03 * a, rtol=1e-12, atol=1e-15, err_msg=name)
