"""Gradient-descent update rules, applied in place to a list of parameter arrays.

`step(params, grads)` takes aligned lists of arrays (e.g. `Network.params` and
`Network.grads`). Each rule may overwrite `grads` (it is scratch space for the next
backward pass anyway): that keeps an update free of temporary arrays.
"""

from __future__ import annotations

import numpy as np

OPTIMIZERS = ("momentum", "nesterov", "adam", "sgd")


class Optimizer:
    name = "base"

    def __init__(self, lr: float):
        self.lr = float(lr)
        self.t = 0  # number of steps taken

    def setup(self, params: list[np.ndarray]) -> "Optimizer":
        """Allocate the per-parameter state (velocities, moments) once, up front."""
        self._init_slots(params)
        return self

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """One update of every `params[i]` from `grads[i]` (call `setup` first)."""
        self.t += 1
        self._update(params, grads)

    def _init_slots(self, params: list[np.ndarray]) -> None:
        pass

    def _update(self, params, grads) -> None:
        raise NotImplementedError

    # -- checkpointing ------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """Arrays and counters that, restored, make the next step identical."""
        out = {"t": np.array(self.t)}
        for slot, arrays in self._slots().items():
            for i, a in enumerate(arrays):
                out[f"{slot}{i}"] = a
        return out

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore what `state()` returned (after `setup`)."""
        self.t = int(arrays["t"])
        for slot, targets in self._slots().items():
            for i, a in enumerate(targets):
                np.copyto(a, arrays[f"{slot}{i}"])

    def _slots(self) -> dict[str, list[np.ndarray]]:
        return {}


class SGD(Optimizer):
    """W <- W - lr * g."""

    name = "sgd"

    def _update(self, params, grads):
        for p, g in zip(params, grads):
            g *= self.lr
            p -= g


class Momentum(Optimizer):
    """The course's rule: v <- gamma * v + lr * g, W <- W - v.

    `v0` is the constant every velocity starts at (the course uses 1e-5).
    """

    name = "momentum"

    def __init__(self, lr: float, momentum: float = 0.9, v0: float = 0.0):
        super().__init__(lr)
        self.momentum = float(momentum)
        self.v0 = float(v0)
        self.velocity: list[np.ndarray] = []

    def _init_slots(self, params):
        self.velocity = [np.full_like(p, self.v0) for p in params]

    def _slots(self):
        return {"v": self.velocity}

    def _update(self, params, grads):
        for p, g, v in zip(params, grads, self.velocity):
            g *= self.lr
            v *= self.momentum
            v += g
            p -= v


class Nesterov(Momentum):
    """Nesterov momentum in the form used by PyTorch and Keras (Sutskever et al. 2013):
    v <- gamma * v + lr * g, W <- W - (gamma * v + lr * g), g taken at the current W,
    which equals evaluating the gradient at the look-ahead point W - gamma * v.
    """

    name = "nesterov"

    def _update(self, params, grads):
        for p, g, v in zip(params, grads, self.velocity):
            g *= self.lr
            v *= self.momentum
            v += g
            p -= g
            # A parameter-sized temporary, small next to the activations.
            p -= self.momentum * v


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction:
    m <- b1 m + (1 - b1) g, s <- b2 s + (1 - b2) g^2,
    W <- W - lr * m_hat / (sqrt(s_hat) + eps).
    """

    name = "adam"

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.m: list[np.ndarray] = []
        self.s: list[np.ndarray] = []

    def _init_slots(self, params):
        self.m = [np.zeros_like(p) for p in params]
        self.s = [np.zeros_like(p) for p in params]

    def _slots(self):
        return {"m": self.m, "s": self.s}

    def _update(self, params, grads):
        b1, b2 = self.beta1, self.beta2
        step = self.lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        # eps is applied to sqrt(s_hat); folded into the sqrt(s) scale it becomes:
        eps = self.eps * np.sqrt(1 - b2**self.t)
        for p, g, m, s in zip(params, grads, self.m, self.s):
            m *= b1
            m += (1 - b1) * g
            np.multiply(g, g, out=g)
            s *= b2
            s += (1 - b2) * g
            np.sqrt(s, out=g)
            g += eps
            np.divide(m, g, out=g)
            g *= step
            p -= g


def make_optimizer(name: str, lr: float, momentum: float = 0.9, v0: float = 0.0) -> Optimizer:
    """Build an optimizer by name (one of OPTIMIZERS)."""
    if name == "momentum":
        return Momentum(lr, momentum, v0)
    if name == "nesterov":
        return Nesterov(lr, momentum, v0)
    if name == "adam":
        return Adam(lr)
    if name == "sgd":
        return SGD(lr)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
