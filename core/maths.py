"""The course's helper functions, vectorised and numerically stable.

Conventions: a batch is row-major, `X` is `(batch, n_in)`, a weight matrix `W` is
`(n_in, n_out)` and a bias `b` is `(n_out,)`. `target` is either one-hot
`(batch, n_classes)` or integer labels `(batch,)`.
"""

from __future__ import annotations

import numpy as np

REDUCTIONS = ("mean", "sum")

# Up to this many classes, per-row reductions run column by column (see softmax_ce_inplace).
NARROW_CLASSES = 32


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


def softmax_ce_inplace(logits: np.ndarray, labels: np.ndarray) -> tuple[float, int]:
    """Turn `logits` `(batch, K)` into probabilities in place; return (loss sum, correct).

    The training hot path uses this instead of `softmax` + `average_ce` so that one
    pass over the logits gives the loss, the accuracy and the softmax the backward
    pass needs, with no extra float `(batch, K)` arrays beyond small row vectors.
    `labels` is `(batch,)` integer.

    NumPy's `axis=1` reductions pay a per-row cost that dwarfs the work when K is a
    handful of classes, so the row max runs column by column and the row sums are a
    BLAS matrix-vector product.
    """
    n, k = logits.shape
    if k <= NARROW_CLASSES:
        row_max = logits[:, 0].copy()
        for j in range(1, k):
            np.maximum(row_max, logits[:, j], out=row_max)
    else:
        row_max = logits.max(axis=1)
    # A NaN or inf row turns to NaN in the shift: count such a batch by argmax first.
    finite = bool(np.isfinite(row_max).all())
    correct = None if finite else _argmax_hits(logits, labels)
    logits -= row_max[:, None]
    true_logit = logits[np.arange(n), labels]
    if finite:
        # After the shift a row's maximum is exactly 0 (x - x) and every other entry is
        # below it, so with exactly n zeros no row ties and a prediction is right where
        # the true logit is 0. With ties argmax decides (it picks the first maximum).
        ties = np.count_nonzero(logits == 0) != n
        correct = _argmax_hits(logits, labels) if ties else int(np.count_nonzero(true_logit == 0))
    np.exp(logits, out=logits)
    row_sum = logits @ np.ones(k, dtype=logits.dtype)
    loss_sum = float(np.log(row_sum).sum() - true_logit.sum())
    logits /= row_sum[:, None]
    return loss_sum, correct


def _argmax_hits(logits: np.ndarray, labels: np.ndarray) -> int:
    """Rows of `logits` `(batch, K)` whose argmax is the label."""
    return int(np.count_nonzero(logits.argmax(axis=1) == labels))
