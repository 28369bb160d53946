"""The fast kernels behind `Network`: each computes one line of the handout's maths
(see `core.reference`) in place, in fewer passes over memory than the plain NumPy form.

Shapes follow the network: a layer's buffer `z` is `(batch, n)`, its bias `(n,)`, its
ReLU mask `(batch, n)` bool. Elementwise kernels on big arrays split their rows across
the `rowsplit` threads (rows are independent, so the bits do not depend on the split).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import rowsplit
from .options import LEAKY_SLOPE

# Up to this many classes, per-row reductions run column by column (see softmax_ce_inplace).
NARROW_CLASSES = 32
# A product into at most this many columns is bound by reading its input, so it runs
# block by block right after the ReLU, while the block is still in cache.
FUSE_MAX_WIDTH = 64
# Rows per such block: about 2 MB of activations, well inside a core's L2 and L3 share.
_FUSE_BYTES = 2 << 20


def with_ones_column(X: np.ndarray, dtype: np.dtype | str) -> np.ndarray:
    """`X` `(n, n_in)` as a fresh `(n, n_in + 1)` array of `dtype` whose last column is 1.

    Maths: [X, 1] @ [[W], [b]] = X @ W + b. Why fast: the bias rides in the matrix
    product (BLAS, all cores) instead of a pass over `(n, n_out)` forward, and backward
    [X, 1].T @ dZ gives dW and db = sum_rows dZ in one product."""
    out = np.empty((X.shape[0], X.shape[1] + 1), dtype=dtype)
    out[:, :-1] = X
    out[:, -1] = 1
    return out


def softmax_ce_inplace(logits: np.ndarray, labels: np.ndarray) -> tuple[float, int]:
    """Turn `logits` `(batch, K)` into probabilities P = softmax(O) in place; return
    (loss sum, correct), the loss sum being sum_n (log sum_k exp o_nk - o_n,y_n).

    Why fast: one pass over the logits gives the loss, the accuracy and the softmax the
    backward pass needs, with no float `(batch, K)` temporaries beyond row vectors.
    `labels` is `(batch,)` integer. NumPy's `axis=1` reductions pay a per-row cost that
    dwarfs the work when K is a handful of classes, so the row max runs column by column
    and the row sums are a BLAS matrix-vector product.
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


def ce_grad_inplace(p: np.ndarray, labels: np.ndarray, factor: float) -> np.ndarray:
    """dL/dO = factor * (P - Y) in place on the probabilities `p` `(batch, K)`, for
    `labels` `(batch,)`: factor is 1/N for the mean, 1 for the sum, times any gradient
    scale. Why fast: only the N true-class entries change before the one scaling pass,
    skipped when factor is 1."""
    p[np.arange(p.shape[0]), labels] -= 1
    if factor != 1.0:
        p *= factor
    return p


def relu_shifted(z: np.ndarray, b: np.ndarray, mask: np.ndarray | None) -> None:
    """A - b = max(Z, -b) in place on `z` `(batch, n)`, for A = relu(Z + b), `b` `(n,)`;
    and, if given, mask <- A > 0, i.e. Z > -b (the ReLU derivative).

    Why fast: relu(Z + b) = max(Z, -b) + b, so one pass gives the layer's output up to
    a constant row b; the caller folds that row into the next layer's bias,
    (A - b) @ W + (c + b @ W) = A @ W + c, and backward adds outer(b, db) to dW."""
    floor = -b
    _on_rows(z, mask, floor, floor)


def relu_inplace(z: np.ndarray, mask: np.ndarray | None) -> None:
    """A = relu(Z) in place on `z` `(batch, n)` whose product already held the bias
    (the ones column); and, if given, mask <- Z > 0. Why fast: the comparison against
    a scalar zero is NumPy's fastest loop, and `maximum` against a row of zeros is
    faster than against a scalar."""
    _on_rows(z, mask, _zeros(z.shape[1], z.dtype), z.dtype.type(0))


@lru_cache(maxsize=64)
def _zeros(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only row of n zeros, made once per width and dtype (the hot path runs per batch)."""
    row = np.zeros(n, dtype=dtype)
    row.flags.writeable = False
    return row


def _block_rows(n: int, itemsize: int) -> int:
    """Rows of an `(rows, n)` block of about _FUSE_BYTES: it stays in cache between passes."""
    return max(1, _FUSE_BYTES // max(1, n * itemsize))


def dropout_inplace(z: np.ndarray, p: float, rng: np.random.Generator, noise: np.ndarray) -> None:
    """A <- A * M / (1 - p) in place on the activations `z` `(batch, n)` (inverted
    dropout: M keeps a unit with probability 1 - p), for every activation. `noise`
    `(batch, n)` of z's dtype takes the draws (rng.random, row by row; a unit is kept
    where its draw is below 1 - p) and keeps M as 1.0/0.0 for backward. Why fast: no
    boolean-to-float conversion, the draws become the 0/1 multiplier in place."""
    keep = 1.0 - p
    rng.random(out=noise, dtype=noise.dtype)
    np.less(noise, keep, out=noise)
    z *= noise
    z *= 1.0 / keep


def _sweep(rows_fn, da: np.ndarray, bias_grad: np.ndarray | None) -> None:
    """Run `rows_fn(lo, hi, want_sums)` over row blocks of `da` `(batch, n)` on the
    rowsplit threads; with `bias_grad` `(n,)`, add the blocks' column sums into it in
    row order, so a thread count always gives the same bits."""
    want = bias_grad is not None
    sums = rowsplit.shared().run(lambda lo, hi: rows_fn(lo, hi, want), *da.shape)
    if want:
        np.copyto(bias_grad, sums[0])
        for part in sums[1:]:
            bias_grad += part


def _relu_floor(z: np.ndarray, floor: np.ndarray, cut, mask: np.ndarray | None) -> None:
    """z <- max(z, floor), and if given, mask <- z > cut (taken before the max); `floor`
    `(n,)`, `cut` `(n,)` or a scalar. The one loop behind every forward ReLU."""
    if mask is not None:
        np.greater(z, cut, out=mask)
    np.maximum(z, floor, out=z)


def _on_rows(z: np.ndarray, mask: np.ndarray | None, floor: np.ndarray, cut) -> None:
    """`_relu_floor` over row blocks of `z` `(batch, n)` on the rowsplit threads."""
    rowsplit.shared().run(
        lambda lo, hi: _relu_floor(z[lo:hi], floor, cut, None if mask is None else mask[lo:hi]),
        *z.shape,
    )


def relu_then_product(z: np.ndarray, b: np.ndarray | None, mask: np.ndarray | None,
                      w_next: np.ndarray, out: np.ndarray) -> None:
    """The ReLU of `relu_shifted` (or `relu_inplace` when `b` is None, the bias already
    inside Z) on `z` `(batch, n)`, then out <- z @ w_next `(batch, n_next)`: the next
    layer's product, without its bias.

    Why fast: for a narrow next layer (n_next <= FUSE_MAX_WIDTH) the product only
    streams its input, so it runs on blocks of rows that are still in cache from the
    ReLU, which saves reading the `(batch, n)` activations back from memory. One thread:
    the blocks are small, and measured here a second thread only lost to BLAS's own
    spinning workers."""
    if b is None:
        floor, cut = _zeros(z.shape[1], z.dtype), z.dtype.type(0)
    else:
        floor = cut = -b
    step = _block_rows(z.shape[1], z.itemsize)
    for lo in range(0, z.shape[0], step):
        zb = z[lo : lo + step]
        _relu_floor(zb, floor, cut, None if mask is None else mask[lo : lo + step])
        np.matmul(zb, w_next, out=out[lo : lo + step])


def relu_dropout(z: np.ndarray, b: np.ndarray | None, p: float, rng: np.random.Generator,
                 noise: np.ndarray, mask: np.ndarray) -> None:
    """A = relu(Z + b) * M / (1 - p) in place on `z` `(batch, n)` (inverted dropout: M
    keeps a unit with probability 1 - p), `b` `(n,)` or None when Z already holds it;
    mask <- A > 0, which is ReLU's derivative times M. `noise` `(batch, n)` as in
    `dropout_inplace`."""
    if b is not None:
        z += b
    np.maximum(z, _zeros(z.shape[1], z.dtype), out=z)
    dropout_inplace(z, p, rng, noise)
    # Dropped units are zeros of A like ReLU's, so A > 0 is the whole mask.
    np.greater(z, 0, out=mask)


def relu_backward(da: np.ndarray, mask: np.ndarray, scale: float, bias_grad: np.ndarray | None) -> np.ndarray:
    """dZ = dA * mask * scale in place on `da` `(batch, n)` (scale = 1/(1-p) under
    dropout, else 1), and, if given, bias_grad <- sum_rows dZ `(n,)`; returns dZ.

    Why fast: the mask product and the bias gradient's column sums run in one sweep of
    row blocks on the rowsplit threads, each block summed while in cache; the blocks'
    sums are added in row order, so a thread count always gives the same bits."""
    _sweep(lambda lo, hi, want: _relu_backward_rows(da[lo:hi], mask[lo:hi], scale, want), da, bias_grad)
    return da


def _relu_backward_rows(da: np.ndarray, mask: np.ndarray, scale: float, want_sums: bool) -> np.ndarray | None:
    np.multiply(da, mask, out=da)
    if scale != 1.0:
        da *= scale
    return da.sum(axis=0) if want_sums else None


# -- label smoothing ------------------------------------------------------------


def ce_grad_smoothed_inplace(p: np.ndarray, labels: np.ndarray, factor: float, eps: float) -> np.ndarray:
    """dL/dO = factor * (P - Y_smooth) in place on the probabilities `p` `(batch, K)`,
    Y_smooth = (1 - eps) * one-hot(`labels`) + eps / K (label smoothing, 0 < eps < 1).
    Why fast: the uniform part is one scalar subtraction, then only the N true-class
    entries change (as `ce_grad_inplace`)."""
    p -= eps / p.shape[1]
    p[np.arange(p.shape[0]), labels] -= 1.0 - eps
    if factor != 1.0:
        p *= factor
    return p


# -- the other hidden activations (relu has the kernels above) ------------------------
#
# leaky_relu keeps relu's mask (Z > 0, or A > 0 under dropout) and derives from it;
# tanh and sigmoid need no mask: their derivatives follow from the activation itself,
# 1 - A^2 and A (1 - A), which the layer's buffer still holds when backward reaches it.


def leaky_relu_inplace(z: np.ndarray, b: np.ndarray | None, mask: np.ndarray | None) -> None:
    """A = leaky_relu(Z + b) = max(Z + b, s (Z + b)) in place on `z` `(batch, n)`, s =
    LEAKY_SLOPE, `b` `(n,)` or None when Z already holds it; and, if given, mask <- Z + b > 0.

    Why fast: per cache-sized block of rows, s * Z goes to a block of scratch and the
    maximum reads it back from cache; NumPy's `where=` form is ~10x slower."""
    slope = z.dtype.type(LEAKY_SLOPE)

    def rows(lo: int, hi: int) -> None:
        step = _block_rows(z.shape[1], z.itemsize)
        scratch = np.empty((min(step, hi - lo), z.shape[1]), dtype=z.dtype)
        for start in range(lo, hi, step):
            zb = z[start : min(start + step, hi)]
            tb = scratch[: zb.shape[0]]
            if b is not None:
                zb += b
            if mask is not None:
                np.greater(zb, 0, out=mask[start : start + zb.shape[0]])
            np.multiply(zb, slope, out=tb)
            np.maximum(zb, tb, out=zb)

    rowsplit.shared().run(rows, *z.shape)


def smooth_inplace(z: np.ndarray, b: np.ndarray | None, activation: str) -> None:
    """A = tanh(Z + b) or sigmoid(Z + b) in place on `z` `(batch, n)`, `b` `(n,)` or None
    when Z already holds it. sigmoid(x) = (1 + tanh(x / 2)) / 2: the same function,
    with no exponent to overflow (exp(-x) overflows float32 below x = -88), and faster
    in place than 1 / (1 + exp(-x)). Rows split across the rowsplit threads."""

    def rows(lo: int, hi: int) -> None:
        zb = z[lo:hi]
        if b is not None:
            zb += b
        if activation == "tanh":
            np.tanh(zb, out=zb)
        else:
            zb *= 0.5
            np.tanh(zb, out=zb)
            zb *= 0.5
            zb += 0.5

    rowsplit.shared().run(rows, *z.shape)


def leaky_relu_backward(da: np.ndarray, mask: np.ndarray, noise: np.ndarray | None, scale: float,
                        bias_grad: np.ndarray | None) -> np.ndarray:
    """dZ = dA * (1 where mask, else s) [* M] * scale in place on `da` `(batch, n)`, s =
    LEAKY_SLOPE; `mask` `(batch, n)` bool from the forward (Z > 0; under dropout A > 0,
    which implies kept), `noise` the dropout's 0/1 multiplier M `(batch, n)` or None,
    scale = 1/(1-p) under dropout, else 1. If given, bias_grad <- sum_rows dZ `(n,)`.

    Why fast: per cache-sized block, the factor s + (1 - s) * mask is formed in scratch
    and multiplied in, each pass reading from cache; (1 - s) + s is exactly 1 for
    s = 0.01 in float32 and float64, so active units pass dA unchanged."""
    slope = da.dtype.type(LEAKY_SLOPE)
    rest = da.dtype.type(1) - slope

    def rows(lo: int, hi: int, want_sums: bool) -> np.ndarray | None:
        step = _block_rows(da.shape[1], da.itemsize)
        scratch = np.empty((min(step, hi - lo), da.shape[1]), dtype=da.dtype)
        for start in range(lo, hi, step):
            stop = min(start + step, hi)
            db, fb = da[start:stop], scratch[: stop - start]
            np.multiply(mask[start:stop], rest, out=fb)
            fb += slope
            if noise is not None:
                fb *= noise[start:stop]
            db *= fb
        if scale != 1.0:
            da[lo:hi] *= scale
        return da[lo:hi].sum(axis=0) if want_sums else None

    _sweep(rows, da, bias_grad)
    return da


def smooth_backward(a: np.ndarray, da: np.ndarray, activation: str, noise: np.ndarray | None, p: float,
                    bias_grad: np.ndarray | None) -> np.ndarray:
    """dZ = dA * f'(Z) [* M / (1 - p)] in place on `a` `(batch, n)`, the layer's
    activations A = f(Z) [* M / (1 - p)] from the forward; `da` `(batch, n)` is dA
    (scratch: sigmoid overwrites it). f' from the activation itself: tanh 1 - f^2, sigmoid
    f (1 - f), where f = A (1 - p) on kept units (dropped ones are zeroed by M).
    `noise` is the dropout's 0/1 multiplier M or None (p = 0). If given,
    bias_grad <- sum_rows dZ `(n,)`; returns dZ (the array `a`).

    Why fast: three in-place passes without dropout (no temporaries), split by rows."""
    keep = 1.0 - p

    def rows(lo: int, hi: int, want_sums: bool) -> np.ndarray | None:
        ab, db = a[lo:hi], da[lo:hi]
        if noise is not None:
            ab *= keep  # f(Z) on kept units, 0 on dropped ones
        if activation == "tanh":
            np.square(ab, out=ab)
            np.subtract(1, ab, out=ab)
            ab *= db
        else:
            db *= ab
            np.subtract(1, ab, out=ab)
            ab *= db
        if noise is not None:
            ab *= noise[lo:hi]
            ab *= 1.0 / keep
        return ab.sum(axis=0) if want_sums else None

    _sweep(rows, da, bias_grad)
    return a
