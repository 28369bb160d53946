"""The course's helper functions, vectorised and numerically stable.

Conventions: a batch is row-major, `X` is `(batch, n_in)`, a weight matrix `W` is
`(n_in, n_out)` and a bias `b` is `(n_out,)`. `target` is either one-hot
`(batch, n_classes)` or integer labels `(batch,)`.

These are the readable forms; `core.reference` builds the handout's network from them
and `core.kernels` holds the fast in-place versions the training loop uses.
"""

from __future__ import annotations

import numpy as np

from .options import ACTIVATIONS, LEAKY_SLOPE, REDUCTIONS  # noqa: F401 - the choices live in core.options


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0) elementwise; any shape."""
    return np.maximum(x, 0)


def leaky_relu(x: np.ndarray) -> np.ndarray:
    """x where x > 0, LEAKY_SLOPE * x elsewhere; any shape."""
    return np.where(x > 0, x, LEAKY_SLOPE * x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) elementwise; any shape. Written with exp(-|x|) <= 1, so no
    exponent overflows: for x < 0 it is the equal form exp(x) / (1 + exp(x))."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def activation(name: str, z: np.ndarray) -> np.ndarray:
    """The hidden-layer activation `name` (one of ACTIVATIONS) of `z`; any shape."""
    if name == "relu":
        return relu(z)
    if name == "leaky_relu":
        return leaky_relu(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return sigmoid(z)
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")


def activation_derivative(name: str, z: np.ndarray) -> np.ndarray:
    """d activation(z) / dz elementwise, same shape as `z`:
    relu [z > 0]; leaky_relu 1 or LEAKY_SLOPE; tanh 1 - tanh(z)^2; sigmoid s (1 - s)."""
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)
    if name == "tanh":
        return 1 - np.tanh(z) ** 2
    if name == "sigmoid":
        s = sigmoid(z)
        return s * (1 - s)
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of logits `z` `(batch, n_classes)`.

    The row max is subtracted first: softmax is shift-invariant, and exp then never
    overflows (the largest exponent is 0).
    """
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax `(batch, n_classes)`: z - logsumexp(z), stable for any z."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def compute_layer(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Affine layer `X @ W + b`: `(batch, n_in) @ (n_in, n_out) + (n_out,)` -> `(batch, n_out)`."""
    return X @ W + b


def _labels(target: np.ndarray) -> np.ndarray:
    """Integer labels `(batch,)` from one-hot `(batch, K)` or labels `(batch,)`."""
    target = np.asarray(target)
    return target.argmax(axis=1) if target.ndim == 2 else target.astype(np.intp, copy=False)


def average_ce(target: np.ndarray, logits: np.ndarray) -> float:
    """Average cross-entropy  L = -(1/N) sum_n log softmax(o_n)[y_n].

    Computed from the logits `(batch, n_classes)` through log-sum-exp, so a confident
    prediction gives a finite loss (never log(0)) without an epsilon inside the log.
    """
    labels = _labels(target)
    logp = log_softmax(np.asarray(logits))
    return float(-logp[np.arange(len(labels)), labels].mean())


def smoothed_targets(target: np.ndarray, n_classes: int, label_smoothing: float) -> np.ndarray:
    """Label-smoothed targets `(batch, n_classes)`: (1 - eps) * one-hot + eps / K, with
    eps = `label_smoothing`; each row still sums to 1. eps = 0 gives the one-hot rows."""
    labels = _labels(target)
    onehot = np.zeros((len(labels), n_classes))
    onehot[np.arange(len(labels)), labels] = 1
    return (1 - label_smoothing) * onehot + label_smoothing / n_classes


def smoothed_ce(target: np.ndarray, logits: np.ndarray, label_smoothing: float) -> float:
    """Average cross-entropy against the smoothed targets,
    L = -(1/N) sum_n sum_k y_smooth_nk log softmax(o_n)_k (log-sum-exp, as `average_ce`)."""
    logp = log_softmax(np.asarray(logits))
    y_smooth = smoothed_targets(target, logp.shape[1], label_smoothing)
    return float(-(y_smooth * logp).sum(axis=1).mean())


def grad_ce(target: np.ndarray, logits: np.ndarray, reduction: str = "mean",
            label_smoothing: float = 0.0) -> np.ndarray:
    """Gradient of the cross-entropy with respect to the logits, `(batch, n_classes)`.

    For softmax followed by cross-entropy the Jacobians collapse to
    dL/do = p - y for the total loss and (p - y) / N for the average; y is the one-hot
    target, or with `label_smoothing` eps the smoothed one (`smoothed_targets`): the
    same collapse holds for any target row that sums to 1.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    logits = np.asarray(logits)
    labels = _labels(target)
    grad = softmax(logits)
    if label_smoothing:
        grad -= smoothed_targets(labels, grad.shape[1], label_smoothing)
    else:
        grad[np.arange(len(labels)), labels] -= 1
    if reduction == "mean":
        grad /= len(labels)
    return grad
