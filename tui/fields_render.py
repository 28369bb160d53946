"""The maths of drawing the first layer's weights: colours, the units to show, the tiles.

Pure NumPy, no Textual: `tui/widgets/receptive_fields.py` turns these arrays into text.
`W0` is `(n_in, n_hidden)`: column `j` is hidden unit `j`'s incoming weights, its
"receptive field" (for image data, an image of the input's shape).
"""

from __future__ import annotations

import math

import numpy as np

# Diverging map: negative blue, zero a dim grey (near a dark background, and still
# visible on a light one), positive red. The ends mirror each other (red and blue
# channels swapped), so equal |w| of either sign is equally strong.
NEGATIVE = np.array([40, 90, 235], dtype=float)
ZERO = np.array([70, 70, 70], dtype=float)
POSITIVE = NEGATIVE[::-1].copy()
TILE_PIXELS = 16  # a tile's longer side aims at this many pixels (28x28 -> 14x14)
# Drawn colours are 2 * LEVELS + 1 steps of the map: a few dozen styles, made once, instead
# of one per cell (building thousands of styles per frame cost ~0.1 s at 200x50).
LEVELS = 12


def diverging_rgb(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] (clipped; NaN as zero) `(...)` -> RGB `(..., 3)` uint8."""
    v = np.nan_to_num(np.clip(np.asarray(values, dtype=float), -1.0, 1.0), nan=0.0)
    t = np.abs(v)[..., None]
    end = np.where((v < 0)[..., None], NEGATIVE, POSITIVE)
    return np.rint(ZERO + t * (end - ZERO)).astype(np.uint8)


def quantise(values: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """Values in [-1, 1] (clipped; NaN as zero) -> whole steps in [-levels, levels]."""
    v = np.nan_to_num(np.clip(np.asarray(values, dtype=float), -1.0, 1.0), nan=0.0)
    return np.rint(v * levels).astype(int)


def palette(levels: int = LEVELS) -> np.ndarray:
    """RGB `(2 * levels + 1, 3)` of the steps: row `k + levels` is step `k`."""
    return diverging_rgb(np.arange(-levels, levels + 1) / levels)


def unit_norms(w0: np.ndarray) -> np.ndarray:
    """The L2 norm of each unit's incoming weights: `(n_in, n_hidden)` -> `(n_hidden,)`."""
    return np.sqrt(np.einsum("ij,ij->j", w0, w0, dtype=np.float64))


def top_units(w0: np.ndarray, n: int, start: int = 0) -> np.ndarray:
    """Indices of units ranked `start .. start + n - 1` by weight norm, largest first
    (ties by index; a unit with NaN weights ranks last)."""
    norms = unit_norms(w0)
    order = np.argsort(-np.nan_to_num(norms, nan=-np.inf), kind="stable")
    return order[max(0, start): max(0, start) + max(0, n)]


def symmetric_scale(values: np.ndarray) -> np.ndarray:
    """`values / max |values|` (so in [-1, 1], zero stays zero); all zeros when that max
    is zero or not finite."""
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    top = float(np.abs(finite).max()) if finite.size else 0.0
    return v / top if top > 0 else np.zeros_like(v)


def unit_image(w0: np.ndarray, unit: int, image_shape: tuple[int, ...]) -> np.ndarray:
    """Unit `unit`'s weights as an `(h, w)` image; colour inputs `(h, w, c)` (channels
    last, as the rows hold them) are averaged over the channels."""
    img = np.asarray(w0[:, unit], dtype=float).reshape(tuple(image_shape))
    return img.mean(axis=2) if img.ndim == 3 else img


def tile_factors(h: int, w: int, target: int = TILE_PIXELS) -> tuple[int, int]:
    """(shrink, enlarge): whole factors that bring an `h`x`w` image's longer side to at
    most `target` pixels (shrink) or near it from below (enlarge); one of them is 1."""
    side = max(h, w, 1)
    if side > target:
        return math.ceil(side / target), 1
    return 1, max(1, target // side)


def resize(img: np.ndarray, shrink: int, enlarge: int) -> np.ndarray:
    """`(h, w)` -> block means of `shrink`x`shrink` (edges that do not fill a block are
    averaged over what they have), then each pixel repeated `enlarge` times each way."""
    if shrink > 1:
        h, w = img.shape
        H, W = math.ceil(h / shrink), math.ceil(w / shrink)
        padded = np.full((H * shrink, W * shrink), np.nan)
        padded[:h, :w] = img
        with np.errstate(invalid="ignore"):
            blocks = padded.reshape(H, shrink, W, shrink)
            img = np.nanmean(blocks, axis=(1, 3)) if np.isnan(padded).any() else blocks.mean(axis=(1, 3))
    if enlarge > 1:
        img = np.repeat(np.repeat(img, enlarge, axis=0), enlarge, axis=1)
    return img


def tile_grid(width: int, height: int, tile_w: int, tile_lines: int, gap: int = 1) -> tuple[int, int]:
    """(columns, rows) of tiles that fit `width` x `height` cells: each tile `tile_w` wide,
    `tile_lines` lines of picture plus one of caption, `gap` columns between tiles."""
    if tile_w < 1 or tile_lines < 1:
        return 0, 0
    cols = max(0, (width + gap) // (tile_w + gap))
    rows = max(0, height // (tile_lines + 1))
    return cols, rows


def group_bounds(n: int, groups: int) -> list[tuple[int, int]]:
    """`n` items in `min(n, groups)` contiguous groups as even as possible: [(start, stop)]."""
    groups = max(1, min(n, groups))
    edges = np.linspace(0, n, groups + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def heatmap(w0: np.ndarray, units: np.ndarray, max_rows: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The weight matrix for tabular data: rows = input features, columns = `units`.

    Returns `(rows, len(units))` values in [-1, 1] (each column scaled by its unit's
    max |w|, as the image tiles are) and the feature range `(start, stop)` of each
    row: with more features than `max_rows`, neighbouring features are averaged.
    """
    cols = np.asarray(w0, dtype=float)[:, np.asarray(units, dtype=int)]
    scaled = np.column_stack([symmetric_scale(cols[:, k]) for k in range(cols.shape[1])]) if cols.shape[1] else cols
    bounds = group_bounds(cols.shape[0], max_rows)
    rows = np.array([scaled[a:b].mean(axis=0) for a, b in bounds]) if scaled.size else np.zeros((len(bounds), 0))
    return rows, bounds
