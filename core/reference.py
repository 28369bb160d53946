"""The maths of the handout, written plainly: forward, backward and one epoch of the
course's momentum rule, built from the helpers of `core.maths`.

Row-major: `X` is `(batch, n_in)`, `weights[l]` is `(n_l, n_{l+1})`, `biases[l]` is
`(n_{l+1},)`. Hidden layers apply an activation f (ReLU unless `activation` names
another of `core.options.ACTIVATIONS`), the output is softmax with cross-entropy
(against label-smoothed targets when `label_smoothing` > 0). Nothing
here is tuned for speed: `core.network.Network` computes the same numbers fast, and the
tests check it against this module.
"""

from __future__ import annotations

from .maths import activation_derivative, compute_layer, grad_ce
from .maths import activation as apply_activation


def forward(weights, biases, X, masks=None, activation="relu"):
    """(zs, activations) for inputs `X` `(batch, n_in)`: Z_l = A_l @ W_l + b_l and
    A_{l+1} = f(Z_l) for hidden layers (f = `activation`), so activations[0] is X and
    activations[-1] the logits O = Z_L `(batch, n_out)`. `masks[l]` `(batch, n_{l+1})`,
    if given, is hidden layer l's dropout multiplier, 0 for a dropped unit and 1/(1-p)
    for a kept one (inverted dropout): A_{l+1} = f(Z_l) * masks[l]."""
    zs, activations = [], [X]
    for l, (W, b) in enumerate(zip(weights, biases)):
        z = compute_layer(activations[-1], W, b)
        zs.append(z)
        if l < len(weights) - 1:
            a = apply_activation(activation, z)
            activations.append(a if masks is None else a * masks[l])
        else:
            activations.append(z)
    return zs, activations


def backward(weights, zs, activations, y, reduction="mean", l2=0.0, masks=None, activation="relu",
             label_smoothing=0.0):
    """(grad_weights, grad_biases) of L = CE(softmax(O), Y) + (l2 / 2) sum_l ||W_l||^2,
    from `forward`'s lists and labels `y` `(batch,)`; CE is the mean over the batch
    or its sum (`reduction`), Y the one-hot targets or, with `label_smoothing` eps,
    (1 - eps) * one-hot + eps / K.

    dL/dO = (P - Y) / N (mean) or P - Y (sum)          (`grad_ce`)
    dL/dW_l = A_l.T @ dZ_l + l2 * W_l,  dL/db_l = sum_rows dZ_l   (Z_l = A_l @ W_l + b_l)
    dZ_{l-1} = (dZ_l @ W_l.T) * f'(Z_{l-1}) * masks[l-1]         (chain rule through f)
    """
    delta = grad_ce(y, activations[-1], reduction, label_smoothing)
    grad_weights, grad_biases = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        grad_weights[l] = activations[l].T @ delta + l2 * weights[l]
        grad_biases[l] = delta.sum(axis=0)
        if l > 0:
            delta = (delta @ weights[l].T) * activation_derivative(activation, zs[l - 1])
            if masks is not None:
                delta = delta * masks[l - 1]
    return grad_weights, grad_biases


def momentum_epoch(weights, biases, velocities, X, y, order, batch_size, lr, gamma,
                   reduction="mean", l2=0.0, activation="relu", label_smoothing=0.0):
    """One epoch of the course's rule, in place: for each mini-batch of `batch_size` rows
    of `X` `(n, n_in)`, `y` `(n,)` taken in `order` `(n,)`, and each parameter p with
    velocity v (the same shape; the course starts every v at v0):
        v <- gamma * v + lr * dL/dp,   p <- p - v.
    gamma = 0 with v0 = 0 is plain gradient descent, p <- p - lr * dL/dp.
    `velocities` lists the weights' velocities then the biases'."""
    params = list(weights) + list(biases)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        zs, activations = forward(weights, biases, X[rows], activation=activation)
        grad_weights, grad_biases = backward(weights, zs, activations, y[rows], reduction, l2,
                                             activation=activation, label_smoothing=label_smoothing)
        for p, v, g in zip(params, velocities, grad_weights + grad_biases):
            v[...] = gamma * v + lr * g
            p -= v
