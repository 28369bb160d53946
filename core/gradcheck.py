"""Finite-difference gradient check of `Network.backward`, in float64."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kernels import with_ones_column
from .maths import log_softmax, smoothed_targets
from .network import Network


@dataclass
class GradCheckResult:
    name: str  # "W0", "b0", ...
    rel_error: float  # ||num - ana|| / (||num|| + ||ana||) over the whole parameter


def gradient_check(
    hidden: tuple[int, ...] = (8, 6),
    n_in: int = 12,
    n_out: int = 5,
    batch: int = 7,
    seed: int = 0,
    reduction: str = "mean",
    l2: float = 0.0,
    eps: float = 1e-6,
    ones_column: bool = True,
    activation: str = "relu",
    dropout: float = 0.0,
    label_smoothing: float = 0.0,
) -> list[GradCheckResult]:
    """Central differences (L(w + eps) - L(w - eps)) / 2 eps against backprop for every
    entry of every parameter of a small random float64 network with hidden layers of
    `activation`.

    With `ones_column` (the default) the inputs carry the ones column the trainer feeds
    (see `core.network`); without, the plain `(batch, n_in)` form. With `dropout` p > 0
    every pass draws the same mask (a generator reseeded each time), so L is a smooth
    function of the weights. With `label_smoothing` eps, L is the cross-entropy against
    the smoothed targets (1 - eps) * one-hot + eps / K, whose gradient backprop gives."""
    rng = np.random.default_rng(seed)
    net = Network((n_in, *hidden, n_out), dtype="float64", init="xavier", rng=rng, activation=activation)
    for b in net.biases:  # non-zero biases so their gradient is exercised off the origin
        b[:] = rng.standard_normal(b.shape) * 0.1
    X = rng.standard_normal((batch, n_in))
    if ones_column:
        X = with_ones_column(X, "float64")
    y = rng.integers(0, n_out, size=batch)
    targets = smoothed_targets(y, n_out, label_smoothing)

    def stream() -> np.random.Generator | None:
        return np.random.default_rng(seed + 1) if dropout else None

    def loss() -> float:
        logp = log_softmax(net.forward(X, dropout=dropout, rng=stream(), train=bool(dropout)))
        total = -(targets * logp).sum()
        data = total / batch if reduction == "mean" else total
        return data + 0.5 * l2 * sum(float((w * w).sum()) for w in net.weights)

    net.train_batch(X, y, reduction=reduction, l2=l2, dropout=dropout, rng=stream(), label_smoothing=label_smoothing)
    analytic = [g.copy() for g in net.grads]
    results = []
    for name, p, g in zip(net.param_names(), net.params, analytic):
        numeric = np.empty_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            up = loss()
            p[i] = old - eps
            down = loss()
            p[i] = old
            numeric[i] = (up - down) / (2 * eps)
        # The norm-wise ratio, not the entry-wise maximum: an entry whose true gradient
        # is ~0 would otherwise report float noise as a large relative error.
        denom = max(np.linalg.norm(numeric) + np.linalg.norm(g), 1e-12)
        results.append(GradCheckResult(name, float(np.linalg.norm(numeric - g) / denom)))
    return results
