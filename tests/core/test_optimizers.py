"""core.optimizers: each update rule against hand-computed steps or a textbook
implementation written here, and state()/load_state() round trips."""

from __future__ import annotations

import io

import numpy as np
import pytest

from core.optimizers import OPTIMIZERS, SGD, Adam, Momentum, Nesterov, RMSprop, make_optimizer


def run_steps(opt, params, grads_seq):
    """Apply each gradient list in turn; grads are copied since `step` may overwrite them."""
    for grads in grads_seq:
        opt.step(params, [g.copy() for g in grads])
    return params


def random_grads(shapes, steps, seed=0):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=s) for s in shapes] for _ in range(steps)]


SHAPES = [(3, 2), (2,)]


# --------------------------------------------------------------------------- momentum (the course rule)


def test_momentum_two_steps_by_hand():
    # v <- gamma v + lr g, W <- W - v, v starts at v0 = 1e-5; gamma 0.9, lr 0.1.
    W = np.array([1.0, -2.0])
    opt = Momentum(lr=0.1, momentum=0.9, v0=1e-5).setup([W])
    np.testing.assert_array_equal(opt.velocity[0], [1e-5, 1e-5])

    opt.step([W], [np.array([0.5, 1.0])])
    # v = 0.9 * 1e-5 + 0.1 * [0.5, 1.0] = [0.050009, 0.100009]
    np.testing.assert_allclose(opt.velocity[0], [0.050009, 0.100009], rtol=1e-13)
    np.testing.assert_allclose(W, [0.949991, -2.100009], rtol=1e-13)

    opt.step([W], [np.array([-1.0, 2.0])])
    # v = 0.9 * [0.050009, 0.100009] + 0.1 * [-1, 2] = [-0.0549919, 0.2900081]
    np.testing.assert_allclose(opt.velocity[0], [-0.0549919, 0.2900081], rtol=1e-13)
    np.testing.assert_allclose(W, [1.0049829, -2.3900171], rtol=1e-13)
    assert opt.t == 2


def test_momentum_course_values_first_step():
    # The course: gamma 0.99, lr 1e-5, v0 1e-5. One step from W = 0 with g = 1.
    W = np.zeros(1)
    Momentum(lr=1e-5, momentum=0.99, v0=1e-5).setup([W]).step([W], [np.ones(1)])
    np.testing.assert_allclose(W, [-(0.99e-5 + 1e-5)], rtol=1e-13)


def test_momentum_zero_gamma_is_sgd():
    params_m = [np.ones(s) for s in SHAPES]
    params_s = [np.ones(s) for s in SHAPES]
    grads = random_grads(SHAPES, 3)
    run_steps(Momentum(0.1, momentum=0.0).setup(params_m), params_m, grads)
    run_steps(SGD(0.1).setup(params_s), params_s, grads)
    for a, b in zip(params_m, params_s):
        np.testing.assert_allclose(a, b, rtol=1e-15)


# --------------------------------------------------------------------------- sgd


def test_sgd_by_hand():
    W = np.array([[1.0, 2.0]])
    opt = SGD(0.5).setup([W])
    opt.step([W], [np.array([[2.0, -4.0]])])
    np.testing.assert_array_equal(W, [[0.0, 4.0]])
    assert opt.state().keys() == {"t"}


# --------------------------------------------------------------------------- nesterov


def test_nesterov_two_steps_by_hand():
    # v <- gamma v + lr g; W <- W - (gamma v + lr g); gamma 0.9, lr 0.1, v0 0, g = 1 twice.
    W = np.array([1.0])
    opt = Nesterov(lr=0.1, momentum=0.9).setup([W])
    opt.step([W], [np.array([1.0])])  # v = 0.1; W = 1 - 0.09 - 0.1
    np.testing.assert_allclose(W, [0.81], rtol=1e-14)
    opt.step([W], [np.array([1.0])])  # v = 0.19; W = 0.81 - 0.171 - 0.1
    np.testing.assert_allclose(W, [0.539], rtol=1e-14)


def test_nesterov_equals_pytorch_formulation():
    # PyTorch SGD(nesterov=True): buf <- mu buf + g; p <- p - lr (g + mu buf).
    lr, mu = 0.05, 0.8
    grads = random_grads(SHAPES, 4, seed=1)
    params = [np.ones(s) for s in SHAPES]
    run_steps(Nesterov(lr, mu).setup(params), params, grads)

    ref = [np.ones(s) for s in SHAPES]
    buf = [np.zeros(s) for s in SHAPES]
    for step in grads:
        for p, b, g in zip(ref, buf, step):
            b *= mu
            b += g
            p -= lr * (g + mu * b)
    for a, b in zip(params, ref):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_nesterov_differs_from_momentum():
    grads = random_grads(SHAPES, 2)
    a = [np.ones(s) for s in SHAPES]
    b = [np.ones(s) for s in SHAPES]
    run_steps(Nesterov(0.1, 0.9).setup(a), a, grads)
    run_steps(Momentum(0.1, 0.9).setup(b), b, grads)
    assert not np.allclose(a[0], b[0])


# --------------------------------------------------------------------------- adam


def textbook_adam(params, grads_seq, lr, b1=0.9, b2=0.999, eps=1e-8):
    m = [np.zeros_like(p) for p in params]
    s = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(grads_seq, start=1):
        for p, g, m_i, s_i in zip(params, grads, m, s):
            m_i[:] = b1 * m_i + (1 - b1) * g
            s_i[:] = b2 * s_i + (1 - b2) * g * g
            m_hat = m_i / (1 - b1**t)
            s_hat = s_i / (1 - b2**t)
            p -= lr * m_hat / (np.sqrt(s_hat) + eps)
    return params


def test_adam_matches_textbook_for_three_steps():
    grads = random_grads(SHAPES, 3, seed=2)
    params = [np.full(s, 0.5) for s in SHAPES]
    opt = Adam(lr=0.01).setup(params)
    expected = textbook_adam([np.full(s, 0.5) for s in SHAPES], grads, lr=0.01)
    for k in range(3):
        opt.step(params, [g.copy() for g in grads[k]])
        partial = textbook_adam([np.full(s, 0.5) for s in SHAPES], grads[: k + 1], lr=0.01)
        for a, b in zip(params, partial):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    for a, b in zip(params, expected):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_adam_first_step_is_lr_times_sign():
    # Bias correction makes the first step lr * g / (|g| + eps) ~ lr * sign(g).
    W = np.zeros(3)
    Adam(lr=0.01).setup([W]).step([W], [np.array([1e-3, -5.0, 200.0])])
    np.testing.assert_allclose(W, [-0.01, 0.01, -0.01], rtol=1e-4)


def test_adam_eps_matters_for_tiny_gradients():
    # With g = 1e-8, eps = 1e-8 halves the first step: lr * g / (g + eps) = lr / 2.
    W = np.zeros(1)
    Adam(lr=1.0).setup([W]).step([W], [np.array([1e-8])])
    np.testing.assert_allclose(W, [-0.5], rtol=1e-6)


# --------------------------------------------------------------------------- dtype, factory, state


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_float32_stays_float32(name):
    params = [np.ones(s, dtype=np.float32) for s in SHAPES]
    opt = make_optimizer(name, 0.01, 0.9, 1e-5).setup(params)
    grads = [[g.astype(np.float32) for g in step] for step in random_grads(SHAPES, 2)]
    run_steps(opt, params, grads)
    for p in params:
        assert p.dtype == np.float32
        assert np.isfinite(p).all()
    for key, a in opt.state().items():
        if key != "t":
            assert a.dtype == np.float32, key


def test_make_optimizer():
    assert isinstance(make_optimizer("momentum", 0.1, 0.5, 1e-5), Momentum)
    m = make_optimizer("momentum", 0.1, 0.5, 1e-5)
    assert (m.lr, m.momentum, m.v0) == (0.1, 0.5, 1e-5)
    assert isinstance(make_optimizer("nesterov", 0.1), Nesterov)
    assert isinstance(make_optimizer("adam", 0.1), Adam)
    assert isinstance(make_optimizer("sgd", 0.1), SGD)
    assert isinstance(make_optimizer("rmsprop", 0.1), RMSprop)
    with pytest.raises(ValueError, match="optimizer"):
        make_optimizer("adagrad", 0.1)


def test_rmsprop_matches_hand_computed_steps():
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) for _ in range(3)]
    opt = RMSprop(0.01, rho=0.9, eps=1e-7)
    w = [w0.copy()]
    opt.setup(w)
    s, expected = np.zeros_like(w0), w0.copy()
    for g in grads:
        s = 0.9 * s + 0.1 * g**2
        expected = expected - 0.01 * g / (np.sqrt(s) + 1e-7)
        opt.step(w, [g.copy()])
    np.testing.assert_allclose(w[0], expected, rtol=1e-12)
    assert opt.t == 3 and set(opt.state()) == {"t", "s0"}


def saved_and_loaded(state: dict) -> dict:
    """The state through an .npz round trip, as a checkpoint stores it."""
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_round_trip_gives_identical_next_steps(name):
    grads = random_grads(SHAPES, 5, seed=3)
    params = [np.ones(s) for s in SHAPES]
    opt = make_optimizer(name, 0.05, 0.9, 1e-5).setup(params)
    run_steps(opt, params, grads[:2])

    saved_params = [p.copy() for p in params]
    saved_state = saved_and_loaded(opt.state())
    assert int(saved_state["t"]) == 2

    clone_params = [p.copy() for p in saved_params]
    clone = make_optimizer(name, 0.05, 0.9, 1e-5).setup(clone_params)
    clone.load_state(saved_state)
    assert clone.t == 2

    run_steps(opt, params, grads[2:])
    run_steps(clone, clone_params, grads[2:])
    for a, b in zip(params, clone_params):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", ["momentum", "nesterov", "adam"])
def test_state_matters(name):
    """Without load_state the next steps differ: the round-trip test is not vacuous."""
    grads = random_grads(SHAPES, 4, seed=4)
    params = [np.ones(s) for s in SHAPES]
    opt = make_optimizer(name, 0.05, 0.9, 1e-5).setup(params)
    run_steps(opt, params, grads[:2])
    fresh_params = [p.copy() for p in params]
    fresh = make_optimizer(name, 0.05, 0.9, 1e-5).setup(fresh_params)
    run_steps(opt, params, grads[2:])
    run_steps(fresh, fresh_params, grads[2:])
    assert not np.array_equal(params[0], fresh_params[0])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_prescaled_gradients_give_the_same_steps(name):
    # The trainer's backward pass folds grad_scale (the learning rate, for the rules
    # that only use lr * g) into the gradients and steps with scaled=True.
    shapes = [(5, 4), (4,)]
    grads_seq = random_grads(shapes, 3, seed=3)
    plain = make_optimizer(name, lr=0.05, momentum=0.9, v0=0.01)
    folded = make_optimizer(name, lr=0.05, momentum=0.9, v0=0.01)
    assert folded.grad_scale == (1.0 if name in ("adam", "rmsprop") else 0.05)
    rng = np.random.default_rng(1)
    p_plain = [rng.normal(size=s) for s in shapes]
    p_folded = [p.copy() for p in p_plain]
    plain.setup(p_plain)
    folded.setup(p_folded)
    for grads in grads_seq:
        plain.step(p_plain, [g.copy() for g in grads])
        folded.step(p_folded, [g * folded.grad_scale for g in grads], scaled=True)
    for a, b in zip(p_plain, p_folded):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- row-split updates


@pytest.mark.parametrize("scaled", [False, True], ids=["plain", "prescaled"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_row_split_update_is_bit_identical_to_one_thread(monkeypatch, name, scaled):
    """A weight matrix big enough to be split across the rowsplit threads gets exactly
    the bits that one thread gives it, for every rule, over several steps."""
    from core import rowsplit

    shapes = [(700, 400), (400,)]  # 280,000 entries: above rowsplit.MIN_ELEMENTS
    split = rowsplit.RowSplitter(threads=4)
    assert len(split.blocks(*shapes[0])) == 4
    grads_seq = random_grads(shapes, 3, seed=5)
    results = []
    for splitter in (rowsplit.RowSplitter(threads=1), split):
        monkeypatch.setattr(rowsplit, "_shared", splitter)
        params = [np.random.default_rng(6).normal(size=s) for s in shapes]
        opt = make_optimizer(name, lr=0.05, momentum=0.9, v0=1e-3).setup(params)
        for grads in grads_seq:
            opt.step(params, [g * opt.grad_scale if scaled else g.copy() for g in grads], scaled=scaled)
        results.append((params, opt.state()))
    (p1, s1), (p4, s4) = results
    for a, b in zip(p1, p4):
        assert a.tobytes() == b.tobytes()
    for key in s1:
        assert np.asarray(s1[key]).tobytes() == np.asarray(s4[key]).tobytes(), key
    assert not np.array_equal(p1[0], np.random.default_rng(6).normal(size=shapes[0]))
