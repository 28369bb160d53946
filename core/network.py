"""A fully connected network: ReLU (or tanh, sigmoid, leaky ReLU) hidden layers, softmax
output, cross-entropy.

The maths is that of `core.reference` (the handout's forward and backward passes,
written plainly); this class computes the same numbers fast, with the kernels of
`core.kernels`. Row-major throughout: inputs `X` are `(batch, n_in)` (or
`(batch, n_in + 1)`, below), weights `W[l]` are `(n_l, n_{l+1})`, biases `b[l]` are
`(n_{l+1},)`. The forward and backward passes write into buffers that are allocated
once per batch size and reused, so an epoch in the steady state allocates no large
arrays.

Inputs may carry a trailing column of ones (`with_ones_column`): the first layer's
weights and bias live in one `(n_in + 1, n_1)` array, so the bias then rides in the
matrix products, forward and backward, instead of costing a pass over the hidden
activations each way. The trainer feeds its data that way; plain `(batch, n_in)`
inputs give the same results.

ReLU has the fast path (the bias folding of `kernels.relu_shifted`, the fused product of
`kernels.relu_then_product`); the other activations run one in-place kernel each way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import kernels
from .kernels import FUSE_MAX_WIDTH, softmax_ce_inplace, with_ones_column
from .maths import softmax

__all__ = ["ACTIVATIONS", "DTYPES", "INITS", "Network", "with_ones_column"]

from .options import ACTIVATIONS, DTYPES, INITS  # noqa: F401 - the choices live in core.options


@dataclass
class _Workspace:
    """Reusable buffers for up to `rows` samples.

    z[l]: `(rows, n_{l+1})` pre-activations, overwritten by activations for hidden layers.
    mask[l]: `(rows, n_{l+1})` bool, for relu and leaky_relu after a training forward:
    Z > 0 (the unit active), and under dropout also kept (A > 0). Unused by tanh, sigmoid.
    noise[l]: `(rows, n_{l+1})` uniform draws for dropout (only when dropout is used),
    turned by the forward into the 0/1 multiplier M, which backward reads for tanh,
    sigmoid and leaky_relu.
    scratch: flat, `rows * max(hidden)`: dA for tanh and sigmoid backward (made by the
    first such backward; None before and for other activations).
    What the last forward decided, for backward to read:
    ones_column: its inputs ended in ones (the first bias rode in the product).
    shift[l]: `(n_{l+1},)` or None: hidden layer l's buffer holds A - shift[l]
    (`kernels.relu_shifted`); backward adds the shift's share of dW back.
    dropout: its dropout probability p (0 for none).
    """

    rows: int
    z: list[np.ndarray]
    mask: list[np.ndarray]
    noise: list[np.ndarray] = field(default_factory=list)
    scratch: np.ndarray | None = None
    shift: list[np.ndarray | None] = field(default_factory=list)
    ones_column: bool = False
    dropout: float = 0.0


class Network:
    """Dense layers `sizes[0] -> ... -> sizes[-1]`; `activation` (relu unless told) between,
    softmax at the end."""

    def __init__(
        self,
        sizes: list[int] | tuple[int, ...],
        dtype: str = "float32",
        init: str = "xavier",
        rng: np.random.Generator | None = None,
        activation: str = "relu",
    ):
        if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
            raise ValueError(f"layer sizes must be positive, got {sizes}")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.activation = activation
        self.sizes = tuple(int(s) for s in sizes)
        self.dtype = np.dtype(dtype)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            # Xavier (course): Var = 2 / (fan_in + fan_out); He: Var = 2 / fan_in (suits ReLU).
            var = 2.0 / (fan_in + fan_out) if init == "xavier" else 2.0 / fan_in
            w = rng.standard_normal((fan_in, fan_out))
            w *= np.sqrt(var)
            self.weights.append(w.astype(self.dtype, copy=False))
            self.biases.append(np.zeros(fan_out, dtype=self.dtype))
        self.grad_weights = [np.zeros_like(w) for w in self.weights]
        self.grad_biases = [np.zeros_like(b) for b in self.biases]
        # W0 and b0 (and their gradients) are views of one (n_in + 1, n_1) array, for
        # inputs that carry a ones column (see the module docstring).
        n_in = self.sizes[0]
        self._wb0 = np.concatenate([self.weights[0], self.biases[0][None, :]])
        self.weights[0], self.biases[0] = self._wb0[:n_in], self._wb0[n_in]
        self._grad_wb0 = np.zeros_like(self._wb0)
        self.grad_weights[0], self.grad_biases[0] = self._grad_wb0[:n_in], self._grad_wb0[n_in]
        self._ws: _Workspace | None = None
        # Counts forward passes: a caller that primed the workspace (`prime`) can tell
        # that nothing has overwritten it since.
        self.forwards = 0

    # -- parameters ---------------------------------------------------------
    @property
    def params(self) -> list[np.ndarray]:
        """[W0, b0, W1, b1, ...]: the arrays the optimizer updates in place."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    @property
    def grads(self) -> list[np.ndarray]:
        """Gradients aligned with `params`, filled by `backward`."""
        return [g for pair in zip(self.grad_weights, self.grad_biases) for g in pair]

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    @property
    def hidden(self) -> tuple[int, ...]:
        return self.sizes[1:-1]

    def param_names(self) -> list[str]:
        return [name for l in range(self.n_layers) for name in (f"W{l}", f"b{l}")]

    def state(self) -> dict[str, np.ndarray]:
        return dict(zip(self.param_names(), self.params))

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy saved parameters in (shapes must match this network)."""
        for name, p in zip(self.param_names(), self.params):
            if name not in arrays:
                raise ValueError(f"missing parameter {name}")
            if arrays[name].shape != p.shape:
                raise ValueError(f"parameter {name} has shape {arrays[name].shape}, expected {p.shape}")
            np.copyto(p, arrays[name], casting="same_kind")

    def all_finite(self) -> bool:
        return all(np.isfinite(p).all() for p in self.params)

    def activity_masks(self, rows: int) -> list[np.ndarray]:
        """The last training forward's masks of where each hidden unit was active
        (output > 0), `(rows, n_l)` bool per hidden layer, for its first `rows` samples."""
        return [m[:rows] for m in self._ws.mask]

    # -- buffers ------------------------------------------------------------
    def workspace(self, rows: int, dropout: bool = False) -> _Workspace:
        """Buffers for at most `rows` samples, reused while big enough."""
        ws = self._ws
        if ws is None or ws.rows < rows:
            outs = self.sizes[1:]
            ws = _Workspace(
                rows=rows,
                z=[np.empty((rows, n), dtype=self.dtype) for n in outs],
                mask=[np.empty((rows, n), dtype=bool) for n in outs[:-1]],
            )
            self._ws = ws
        if dropout and not ws.noise:
            ws.noise = [np.empty((ws.rows, n), dtype=self.dtype) for n in self.sizes[1:-1]]
        return ws

    # -- passes -------------------------------------------------------------
    def forward(
        self,
        X: np.ndarray,
        dropout: float = 0.0,
        rng: np.random.Generator | None = None,
        train: bool = False,
    ) -> np.ndarray:
        """Logits `(batch, n_out)` for inputs `X` `(batch, n_in)`, or `(batch, n_in + 1)`
        ending in a column of ones (`with_ones_column`).

        Per layer Z = A_prev @ W + b, and A = f(Z) for hidden layers, f the network's
        activation (`reference.forward`). With `train`, the masks (relu, leaky_relu) are
        kept for `backward`, and with `dropout` p > 0
        each hidden unit is kept with probability 1 - p and scaled by 1/(1-p) (inverted
        dropout), so evaluation needs no rescaling. The returned array is a view into a
        reused buffer: copy it if you keep it past the next call.
        """
        if dropout > 0 and not train:
            raise ValueError("dropout applies to training passes only (train=True)")
        if dropout > 0 and rng is None:
            raise ValueError("dropout needs a random generator (rng)")
        ones_column = self._has_ones_column(X)
        n = X.shape[0]
        ws = self.workspace(n, dropout=dropout > 0)
        self.forwards += 1
        ws.ones_column, ws.dropout, ws.shift = ones_column, dropout, [None] * self.n_layers
        a, product_done = X, False
        for l in range(self.n_layers):
            z = ws.z[l][:n]
            if not product_done:  # else the previous layer's fused kernel formed it
                np.matmul(a, self._wb0 if l == 0 and ones_column else self.weights[l], out=z)
            b = self._bias_to_add(l, ws)
            if l == self.n_layers - 1:
                if b is not None:
                    z += b
                return z
            product_done = self._activate(l, z, b, ws, train, rng)
            a = z

    def _bias_to_add(self, l: int, ws: _Workspace) -> np.ndarray | None:
        """What layer l's product lacks of Z = A_prev @ W + b, `(n_{l+1},)`: nothing (None)
        if the ones column carried b0; b + shift @ W if A_prev's buffer holds A_prev - shift,
        since (A_prev - shift) @ W + (b + shift @ W) = A_prev @ W + b."""
        if l == 0 and ws.ones_column:
            return None
        shift = ws.shift[l - 1] if l else None
        return self.biases[l] if shift is None else self.biases[l] + shift @ self.weights[l]

    def _activate(self, l: int, z: np.ndarray, b: np.ndarray | None, ws: _Workspace, train: bool,
                  rng: np.random.Generator | None) -> bool:
        """A = f(Z + b) for hidden layer l in its buffer `z` `(batch, n)` (`b` None when Z
        holds it), through one kernel; True if that kernel also formed layer l+1's product."""
        n = z.shape[0]
        mask = ws.mask[l][:n] if train else None
        if self.activation != "relu":
            self._activate_other(l, z, b, ws, mask, rng)
            return False
        if ws.dropout > 0:
            kernels.relu_dropout(z, b, ws.dropout, rng, ws.noise[l][:n], mask)
            return False
        ws.shift[l] = b  # the buffer keeps A - b (relu_shifted); None: A itself
        if self.sizes[l + 2] <= FUSE_MAX_WIDTH:
            kernels.relu_then_product(z, b, mask, self.weights[l + 1], ws.z[l + 1][:n])
            return True
        if b is None:
            kernels.relu_inplace(z, mask)
        else:
            kernels.relu_shifted(z, b, mask)
        return False

    def _activate_other(self, l: int, z: np.ndarray, b: np.ndarray | None, ws: _Workspace,
                        mask: np.ndarray | None, rng: np.random.Generator | None) -> None:
        """`_activate` for tanh, sigmoid and leaky_relu: the activation in place, then dropout."""
        n = z.shape[0]
        if self.activation == "leaky_relu":
            # Under dropout the mask is taken after it (A > 0), as relu's.
            kernels.leaky_relu_inplace(z, b, None if ws.dropout > 0 else mask)
        else:
            kernels.smooth_inplace(z, b, self.activation)
        if ws.dropout > 0:
            kernels.dropout_inplace(z, ws.dropout, rng, ws.noise[l][:n])
            if mask is not None and self.activation == "leaky_relu":
                np.greater(z, 0, out=mask)

    def _has_ones_column(self, X: np.ndarray) -> bool:
        """True for `(batch, n_in + 1)` inputs ending in ones, False for `(batch, n_in)`."""
        n_in = self.sizes[0]
        if X.ndim != 2 or X.shape[1] not in (n_in, n_in + 1):
            raise ValueError(f"inputs must be (batch, {n_in}), got shape {X.shape}")
        if X.shape[1] == n_in:
            return False
        if not (X[:, -1] == 1).all():
            raise ValueError(f"inputs of width {n_in + 1} must end in a column of ones (with_ones_column)")
        return True

    def train_batch(
        self,
        X: np.ndarray,
        y: np.ndarray,
        reduction: str = "mean",
        l2: float = 0.0,
        dropout: float = 0.0,
        rng: np.random.Generator | None = None,
        grad_scale: float = 1.0,
        primed: tuple[float, int] | None = None,
        label_smoothing: float = 0.0,
    ) -> tuple[float, int]:
        """Forward and backward on one batch; fills `grads` (times `grad_scale`, see
        `backward`). Returns (loss sum, correct).

        `X` is `(batch, n_in)` or, ending in ones, `(batch, n_in + 1)` (as in `forward`);
        `y` `(batch,)` integer labels. The loss sum is the data cross-entropy summed over
        the batch against the true labels (the L2 term is not included, nor is label
        smoothing: only the gradient uses the smoothed targets, so reported losses of
        runs with and without it compare). `primed` is what `prime(X, y)` returned
        at these very weights, with no forward pass since: the forward is then skipped.
        """
        if primed is None:
            logits = self.forward(X, dropout=dropout, rng=rng, train=True)
            loss_sum, correct = softmax_ce_inplace(logits, y)
        else:
            loss_sum, correct = primed
        if np.isfinite(loss_sum):
            self.backward(X, y, reduction=reduction, l2=l2, grad_scale=grad_scale, label_smoothing=label_smoothing)
        return loss_sum, correct

    def prime(self, X: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        """(loss sum, correct) of `X` `(n, n_in[+1])`, `y` `(n,)` at the current weights,
        by the training forward pass without dropout, which leaves the workspace ready
        for `backward`. A full-batch trainer measures its clean train figures this way
        and its next epoch starts from them (`train_batch(..., primed=...)`) instead of
        repeating the same forward pass: the clean figures then cost nothing."""
        return softmax_ce_inplace(self.forward(X, train=True), y)

    def backward(
        self,
        X: np.ndarray,
        y: np.ndarray,
        reduction: str = "mean",
        l2: float = 0.0,
        grad_scale: float = 1.0,
        label_smoothing: float = 0.0,
    ) -> None:
        """Backpropagate from the softmax probabilities, masks, activations and decisions
        (ones column, dropout, shifts) that the preceding `forward(X, train=True)` left in
        the workspace (`train_batch` does both). `X` and `y` `(batch,)` as given to it.

        dL/dO = (P - Y) / N for the mean (P - Y for the sum), Y the one-hot targets or
        with `label_smoothing` eps > 0 the smoothed (1 - eps) * Y + eps / K; then per layer
        dW = A_prev.T @ dZ, db = sum_rows dZ, dA_prev = dZ @ W.T, and through ReLU (and
        dropout) dZ_prev = dA_prev * mask / (1 - p) (`reference.backward`); leaky ReLU
        passes s * dA_prev where the mask is off, tanh multiplies by 1 - A^2 and sigmoid
        by A (1 - A), from the stored activations A. The gradient
        with respect to the input `X` is never formed. L2 adds l2 * W to each dW
        (weights only, not biases). Every gradient comes multiplied by `grad_scale`,
        folded into dL/dO at no cost (the optimizer's learning rate, see
        `Optimizer.grad_scale`).
        """
        n = X.shape[0]
        ws = self._ws
        factor = grad_scale / n if reduction == "mean" else grad_scale
        if label_smoothing:
            dz = kernels.ce_grad_smoothed_inplace(ws.z[-1][:n], y, factor, label_smoothing)
        else:
            dz = kernels.ce_grad_inplace(ws.z[-1][:n], y, factor)
        np.sum(dz, axis=0, out=self.grad_biases[-1])
        scale = 1.0 / (1.0 - ws.dropout) if ws.dropout > 0 else 1.0
        for l in range(self.n_layers - 1, -1, -1):
            a_prev = X if l == 0 else ws.z[l - 1][:n]
            self._weight_gradient(l, a_prev, dz, ws, l2 * grad_scale)
            if l == 0:
                return
            # With a ones column, layer 0's product forms db0 itself (below).
            bias_grad = None if l == 1 and ws.ones_column else self.grad_biases[l - 1]
            if self.activation in ("tanh", "sigmoid"):
                # Their derivative needs A_prev itself: dA_prev goes to scratch.
                if ws.scratch is None:
                    ws.scratch = np.empty(ws.rows * max(self.hidden), dtype=self.dtype)
                da = ws.scratch[: a_prev.size].reshape(a_prev.shape)
                np.matmul(dz, self.weights[l].T, out=da)
                noise = ws.noise[l - 1][:n] if ws.dropout > 0 else None
                dz = kernels.smooth_backward(a_prev, da, self.activation, noise, ws.dropout, bias_grad)
                continue
            # A_prev is no longer needed once dW is formed: its buffer takes dA_prev.
            np.matmul(dz, self.weights[l].T, out=a_prev)
            if self.activation == "leaky_relu":
                noise = ws.noise[l - 1][:n] if ws.dropout > 0 else None
                dz = kernels.leaky_relu_backward(a_prev, ws.mask[l - 1][:n], noise, scale, bias_grad)
                continue
            dz = kernels.relu_backward(a_prev, ws.mask[l - 1][:n], scale, bias_grad)

    def _weight_gradient(self, l: int, a_prev: np.ndarray, dz: np.ndarray, ws: _Workspace, l2: float) -> None:
        """dW = A_prev.T @ dZ (+ l2 * W) into `grad_weights[l]`, for `a_prev` `(batch, n_l)`
        and `dz` `(batch, n_{l+1})`; `grad_biases[l]` must already hold sum_rows dZ."""
        if l == 0 and ws.ones_column:
            # [X, 1].T @ dZ: the last row is sum_rows dZ, so this product also gives db0.
            np.matmul(a_prev.T, dz, out=self._grad_wb0)
        else:
            np.matmul(a_prev.T, dz, out=self.grad_weights[l])
        if l > 0 and ws.shift[l - 1] is not None:
            # a_prev holds A - shift: A.T @ dZ = a_prev.T @ dZ + outer(shift, sum_rows dZ).
            self.grad_weights[l] += np.outer(ws.shift[l - 1], self.grad_biases[l])
        if l2:
            self.grad_weights[l] += l2 * self.weights[l]

    def evaluate(
        self, X: np.ndarray, y: np.ndarray, chunk: int | None = None, predictions: np.ndarray | None = None
    ) -> tuple[float, float]:
        """(mean cross-entropy, accuracy) over `X` `(n, n_in)` (or `(n, n_in + 1)` ending in
        ones), `y` `(n,)`; forward only.

        Runs in chunks of the training workspace's rows (grown to up to 8192 rows when
        training used small batches, once). `predictions` `(n,)`, if given, receives the
        predicted classes from the same forward pass.
        """
        n = X.shape[0]
        if n == 0:
            return float("nan"), float("nan")
        current = self._ws.rows if self._ws is not None else 0
        rows = chunk or max(current, min(n, 8192))
        loss_sum, correct = 0.0, 0
        for start in range(0, n, rows):
            stop = min(start + rows, n)
            logits = self.forward(X[start:stop])
            if predictions is not None:
                predictions[start:stop] = logits.argmax(axis=1)
            ls, c = softmax_ce_inplace(logits, y[start:stop])
            loss_sum += ls
            correct += c
        return loss_sum / n, correct / n

    def predict_proba(self, X: np.ndarray, chunk: int = 8192) -> np.ndarray:
        """Class probabilities `(n, n_out)` for `X` `(n, n_in)` (a fresh array)."""
        out = np.empty((X.shape[0], self.sizes[-1]), dtype=self.dtype)
        for start in range(0, X.shape[0], chunk):
            out[start : start + chunk] = softmax(self.forward(X[start : start + chunk]))
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class `(n,)` for `X` `(n, n_in)`."""
        return self.predict_proba(X).argmax(axis=1)
