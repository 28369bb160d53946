"""The course's helper functions, vectorised and numerically stable.

Conventions: a batch is row-major, `X` is `(batch, n_in)`, a weight matrix `W` is
`(n_in, n_out)` and a bias `b` is `(n_out,)`. `target` is either one-hot
`(batch, n_classes)` or integer labels `(batch,)`.

These are the readable forms; `core.reference` builds the handout's network from them
and `core.kernels` holds the fast in-place versions the training loop uses.
"""

from __future__ import annotations

import numpy as np

from .options import REDUCTIONS  # noqa: F401 - the choices live in core.options


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0) elementwise; any shape."""
    return np.maximum(x, 0)


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


def grad_ce(target: np.ndarray, logits: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """Gradient of the cross-entropy with respect to the logits, `(batch, n_classes)`.

    For softmax followed by cross-entropy the Jacobians collapse to
    dL/do = p - y for the total loss and (p - y) / N for the average.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    logits = np.asarray(logits)
    labels = _labels(target)
    grad = softmax(logits)
    grad[np.arange(len(labels)), labels] -= 1
    if reduction == "mean":
        grad /= len(labels)
    return grad
