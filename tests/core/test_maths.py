"""core.maths against hand-computed values: relu, softmax, compute_layer, average_ce,
grad_ce; and core.kernels' fused softmax_ce_inplace (the training hot path) against them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.kernels import softmax_ce_inplace
from core.maths import average_ce, compute_layer, grad_ce, relu, softmax
from helpers import numeric_gradient

LN3 = math.log(3.0)


# --------------------------------------------------------------------------- relu


def test_relu_hand_values():
    x = np.array([[-2.0, -0.0, 0.0, 0.5, 3.0]])
    np.testing.assert_array_equal(relu(x), [[0.0, 0.0, 0.0, 0.5, 3.0]])


def test_relu_keeps_shape_and_does_not_modify_input():
    x = np.array([[-1.0, 2.0], [3.0, -4.0]])
    before = x.copy()
    out = relu(x)
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(out, [[0.0, 2.0], [3.0, 0.0]])
    np.testing.assert_array_equal(x, before)


# --------------------------------------------------------------------------- softmax


def test_softmax_hand_values_row_wise():
    # Row 0: exp(0) : exp(ln 3) = 1 : 3. Row 1: equal logits. Row 2: e^1, e^2, e^3 normalised.
    z = np.array([[0.0, LN3, -np.inf], [5.0, 5.0, 5.0], [1.0, 2.0, 3.0]])
    p = softmax(z)
    np.testing.assert_allclose(p[0], [0.25, 0.75, 0.0], rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(p[1], [1 / 3, 1 / 3, 1 / 3], rtol=1e-15)
    np.testing.assert_allclose(p[2], [0.09003057317038046, 0.24472847105479764, 0.6652409557748219], rtol=1e-14)


def test_softmax_rows_sum_to_one():
    z = np.random.default_rng(0).normal(scale=10, size=(7, 5))
    np.testing.assert_allclose(softmax(z).sum(axis=1), np.ones(7), rtol=1e-14)


def test_softmax_is_row_wise_not_global():
    # The second row's huge values must not influence the first row.
    z = np.array([[0.0, LN3], [1000.0, 0.0]])
    np.testing.assert_allclose(softmax(z)[0], [0.25, 0.75], rtol=1e-15)


def test_softmax_large_logits_are_finite():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # overflow in exp would raise
        p = softmax(np.array([[1000.0, 0.0], [-1000.0, -1000.0], [1e300, -1e300]]))
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p[0], [1.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(p[1], [0.5, 0.5])
    np.testing.assert_array_equal(p[2], [1.0, 0.0])


def test_softmax_shift_invariant():
    z = np.array([[0.3, -1.2, 2.0]])
    np.testing.assert_allclose(softmax(z), softmax(z + 700.0), rtol=1e-12)


# --------------------------------------------------------------------------- compute_layer


def test_compute_layer_hand_values():
    X = np.array([[1.0, 2.0], [0.0, -1.0]])
    W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    b = np.array([0.5, -1.0, 2.0])
    # Row 0: [1 + 4 + .5, 0 + 2 - 1, -1 + 0 + 2]; row 1: [-2 + .5, -1 - 1, 0 + 2].
    np.testing.assert_array_equal(compute_layer(X, W, b), [[5.5, 1.0, 1.0], [-1.5, -2.0, 2.0]])


def test_compute_layer_shape_row_major():
    X = np.ones((4, 3))
    W = np.ones((3, 2))
    b = np.array([1.0, -1.0])
    out = compute_layer(X, W, b)
    assert out.shape == (4, 2)
    np.testing.assert_array_equal(out, np.tile([4.0, 2.0], (4, 1)))


# --------------------------------------------------------------------------- average_ce


def test_average_ce_hand_values():
    logits = np.array([[0.0, LN3], [0.0, LN3]])
    # -log(0.75) and -log(0.25), averaged.
    expected = (-math.log(0.75) - math.log(0.25)) / 2
    assert average_ce(np.array([1, 0]), logits) == pytest.approx(expected, rel=1e-14)
    assert average_ce(np.array([[0, 1], [1, 0]]), logits) == pytest.approx(expected, rel=1e-14)


def test_average_ce_uniform_is_log_k():
    assert average_ce(np.array([2, 0, 4]), np.zeros((3, 5))) == pytest.approx(math.log(5), rel=1e-14)


def test_average_ce_confident_wrong_prediction_is_finite():
    logits = np.array([[1000.0, -1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        wrong = average_ce(np.array([1]), logits)
        right = average_ce(np.array([0]), logits)
        wrong_onehot = average_ce(np.array([[0.0, 1.0]]), logits)
    assert wrong == pytest.approx(2000.0, rel=1e-15)
    assert wrong_onehot == pytest.approx(2000.0, rel=1e-15)
    assert right == 0.0


def test_average_ce_returns_python_float():
    assert isinstance(average_ce(np.array([0]), np.array([[1.0, 2.0]])), float)


# --------------------------------------------------------------------------- grad_ce

LOGITS = np.array([[0.0, LN3], [0.0, 0.0]])
LABELS = np.array([1, 0])
ONE_HOT = np.array([[0.0, 1.0], [1.0, 0.0]])
# p = [[.25, .75], [.5, .5]]; p - y = [[.25, -.25], [-.5, .5]].
P_MINUS_Y = np.array([[0.25, -0.25], [-0.5, 0.5]])


@pytest.mark.parametrize("target", [LABELS, ONE_HOT], ids=["labels", "one-hot"])
def test_grad_ce_mean_is_p_minus_y_over_n(target):
    np.testing.assert_allclose(grad_ce(target, LOGITS, "mean"), P_MINUS_Y / 2, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("target", [LABELS, ONE_HOT], ids=["labels", "one-hot"])
def test_grad_ce_sum_is_p_minus_y(target):
    np.testing.assert_allclose(grad_ce(target, LOGITS, "sum"), P_MINUS_Y, rtol=1e-14, atol=1e-16)


def test_grad_ce_default_is_mean():
    np.testing.assert_array_equal(grad_ce(LABELS, LOGITS), grad_ce(LABELS, LOGITS, "mean"))


def test_grad_ce_does_not_modify_logits():
    logits = LOGITS.copy()
    grad_ce(LABELS, logits, "sum")
    np.testing.assert_array_equal(logits, LOGITS)


def test_grad_ce_rejects_unknown_reduction():
    with pytest.raises(ValueError, match="reduction"):
        grad_ce(LABELS, LOGITS, "max")


def test_grad_ce_matches_finite_difference_of_average_ce():
    # An independent check: central differences of average_ce itself (float64).
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(4, 3))
    y = np.array([0, 2, 1, 2])
    numeric = numeric_gradient(lambda z: average_ce(y, z), logits)
    np.testing.assert_allclose(grad_ce(y, logits, "mean"), numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grad_ce(y, logits, "sum"), 4 * numeric, rtol=1e-6, atol=1e-9)


def test_grad_ce_confident_logits_are_finite():
    g = grad_ce(np.array([1]), np.array([[1000.0, -1000.0]]), "sum")
    np.testing.assert_array_equal(g, [[1.0, -1.0]])


# --------------------------------------------------------------------------- softmax_ce_inplace


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_classes", [4, 40])  # the column-by-column path and the wide one
def test_softmax_ce_inplace_equals_softmax_plus_average_ce(dtype, n_classes):
    rng = np.random.default_rng(7)
    logits = (rng.normal(scale=4, size=(9, n_classes))).astype(dtype)
    labels = rng.integers(0, n_classes, 9)
    expected_p = softmax(logits.astype(np.float64))
    expected_loss = average_ce(labels, logits.astype(np.float64))
    expected_correct = int((logits.argmax(axis=1) == labels).sum())

    work = logits.copy()
    loss_sum, correct = softmax_ce_inplace(work, labels)
    rtol = 1e-13 if dtype == np.float64 else 1e-5
    assert loss_sum / len(labels) == pytest.approx(expected_loss, rel=rtol)
    assert correct == expected_correct
    assert work.dtype == dtype
    np.testing.assert_allclose(work, expected_p, rtol=rtol, atol=1e-7)


def test_softmax_ce_inplace_confident_logits():
    logits = np.array([[1000.0, -1000.0], [1000.0, -1000.0]])
    loss_sum, correct = softmax_ce_inplace(logits, np.array([1, 0]))
    assert loss_sum == pytest.approx(2000.0)
    assert correct == 1
    np.testing.assert_array_equal(logits, [[1.0, 0.0], [1.0, 0.0]])


@pytest.mark.parametrize("n_classes", [3, 40])
def test_softmax_ce_inplace_ties_count_like_argmax(n_classes):
    # Tied maxima: argmax picks the first, so a row is right only if its label is
    # the first of the tied classes. Integer-valued logits make ties common.
    rng = np.random.default_rng(3)
    logits = rng.integers(0, 3, size=(200, n_classes)).astype(np.float64)
    logits[:5] = 0.0  # all classes tied
    labels = rng.integers(0, n_classes, 200)
    expected = int((logits.argmax(axis=1) == labels).sum())
    assert softmax_ce_inplace(logits.copy(), labels)[1] == expected


@pytest.mark.parametrize("n_classes", [3, 40])
def test_softmax_ce_inplace_non_finite_rows_count_like_argmax(n_classes):
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(6, n_classes))
    logits[0, 1] = np.nan  # argmax of a row with a NaN is the NaN's index
    logits[1, 2] = np.inf
    logits[2, :] = 0.0  # a tie, alongside the inf row
    labels = np.array([1, 2, 1, 0, 1, 2])
    expected = int((logits.argmax(axis=1) == labels).sum())
    with np.errstate(invalid="ignore"):  # inf - inf in the shifted row, as in training
        loss_sum, correct = softmax_ce_inplace(logits.copy(), labels)
    assert np.isnan(loss_sum)
    assert correct == expected
