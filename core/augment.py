"""Input augmentation for image data: random shifts of each training image by up to
`MAX_SHIFT` pixels, drawn per sample and per batch from the run's generator (so a
seed gives the same run).

A shift by (dy, dx) moves the picture down dy and right dx; the pixels that come in
at the border repeat the edge (Keras' fill_mode "nearest"), which suits dark and light
backgrounds alike. Rows are images flattened in (h, w) or (h, w, c) order.
"""

from __future__ import annotations

import numpy as np

from .options import AUGMENTS  # noqa: F401 - the choices live in core.options

MAX_SHIFT = 2
_BLOCK = 2048


class Shifter:
    """Shifts batches of flattened images of `image_shape` `(h, w)` or `(h, w, c)`."""

    def __init__(self, image_shape: tuple[int, ...], max_shift: int = MAX_SHIFT):
        h, w = image_shape[:2]
        c = image_shape[2] if len(image_shape) == 3 else 1
        self.n_features = h * w * c
        self.side = 2 * max_shift + 1
        # table[k] `(h * w * c,)`: for shift k = (dy + s) * side + (dx + s), the flat index
        # of the source pixel of each output pixel.
        rows, cols, chans = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
        table = []
        for dy in range(-max_shift, max_shift + 1):
            for dx in range(-max_shift, max_shift + 1):
                src_r = np.clip(rows - dy, 0, h - 1)
                src_c = np.clip(cols - dx, 0, w - 1)
                table.append(((src_r * w + src_c) * c + chans).reshape(-1))
        self.table = np.stack(table).astype(np.intp)

    def shift(self, src: np.ndarray, out: np.ndarray, rng: np.random.Generator) -> None:
        """out[:, :n] <- each row of `src[:, :n]` shifted at random, for `src` and `out`
        `(m, n + extra)` with n = h * w * c (trailing columns, e.g. the ones column,
        are left alone). One gather for the whole batch."""
        m, width = src.shape
        which = rng.integers(0, self.side * self.side, size=m)
        flat = src.reshape(-1) if src.flags.c_contiguous else np.ascontiguousarray(src).reshape(-1)
        # In blocks of rows, so that a full batch's index array stays small.
        for lo in range(0, m, _BLOCK):
            hi = min(lo + _BLOCK, m)
            index = self.table[which[lo:hi]]
            index += (np.arange(lo, hi, dtype=np.intp) * width)[:, None]
            out[lo:hi, : self.n_features] = flat[index]
