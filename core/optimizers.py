"""Gradient-descent update rules, applied in place to a list of parameter arrays.

`step(params, grads)` takes aligned lists of arrays (e.g. `Network.params` and
`Network.grads`). Each rule may overwrite `grads` (it is scratch space for the next
backward pass anyway): that keeps an update free of temporary arrays.

An update is a few memory-bound passes over every parameter; with mini-batches that is
a large share of the work, so big weight matrices are updated in row blocks on the
`rowsplit` threads (rows are independent, so the result is exactly the same).
"""

from __future__ import annotations

import numpy as np

from . import rowsplit

from .options import OPTIMIZERS  # noqa: F401 - the choices live in core.options


class Optimizer:
    name = "base"

    def __init__(self, lr: float):
        self.lr = float(lr)
        self.t = 0  # number of steps taken
        self._scaled = False  # this step's gradients come multiplied by grad_scale

    def setup(self, params: list[np.ndarray]) -> "Optimizer":
        """Allocate the per-parameter state (velocities, moments) once, up front."""
        self._init_slots(params)
        return self

    @property
    def grad_scale(self) -> float:
        """The factor a backward pass may fold into the gradients it makes, for
        `step(..., scaled=True)`: a rule that only uses lr * g takes lr, which saves a
        pass over every parameter per step."""
        return 1.0

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], scaled: bool = False) -> None:
        """One update of every `params[i]` from `grads[i]` (call `setup` first). With
        `scaled`, the gradients are already multiplied by `grad_scale`."""
        self._scaled = scaled
        self.t += 1
        self._begin_step()
        rows = rowsplit.shared()
        slots = list(self._slots().values())
        for i, (p, g) in enumerate(zip(params, grads)):
            state = [slot[i] for slot in slots]
            if p.ndim == 2:
                rows.run(lambda lo, hi: self._update(p[lo:hi], g[lo:hi], *(a[lo:hi] for a in state)), *p.shape)
            else:
                self._update(p, g, *state)

    def _init_slots(self, params: list[np.ndarray]) -> None:
        pass

    def _begin_step(self) -> None:
        """Per-step scalars (Adam's bias correction), computed once for all parameters."""

    def _update(self, p: np.ndarray, g: np.ndarray, *state: np.ndarray) -> None:
        """Update one parameter (or a row block of it) in place from its gradient."""
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

    @property
    def grad_scale(self) -> float:
        return self.lr

    def _update(self, p, g):
        if not self._scaled:
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

    @property
    def grad_scale(self) -> float:
        return self.lr

    def _update(self, p, g, v):
        if not self._scaled:
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

    def _update(self, p, g, v):
        if not self._scaled:
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

    def _begin_step(self):
        b1, b2 = self.beta1, self.beta2
        self._step = self.lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        # eps is applied to sqrt(s_hat); folded into the sqrt(s) scale it becomes:
        self._eps = self.eps * np.sqrt(1 - b2**self.t)

    def _update(self, p, g, m, s):
        b1, b2 = self.beta1, self.beta2
        m *= b1
        m += (1 - b1) * g
        np.multiply(g, g, out=g)
        s *= b2
        s += (1 - b2) * g
        np.sqrt(s, out=g)
        g += self._eps
        np.divide(m, g, out=g)
        g *= self._step
        p -= g


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton 2012), as in Keras and PyTorch (no momentum):
    s <- rho s + (1 - rho) g^2, W <- W - lr * g / (sqrt(s) + eps).
    """

    name = "rmsprop"

    def __init__(self, lr: float, rho: float = 0.9, eps: float = 1e-7):
        super().__init__(lr)
        self.rho, self.eps = float(rho), float(eps)
        self.s: list[np.ndarray] = []

    def _init_slots(self, params):
        self.s = [np.zeros_like(p) for p in params]

    def _slots(self):
        return {"s": self.s}

    def _update(self, p, g, s):
        s *= self.rho
        s += (1 - self.rho) * (g * g)
        # g <- lr * g / (sqrt(s) + eps), in g's own buffer (scratch for the next backward).
        denom = np.sqrt(s)
        denom += self.eps
        g /= denom
        g *= self.lr
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
    if name == "rmsprop":
        return RMSprop(lr)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
