"""The first layer's receptive fields: each hidden unit's incoming weights as a picture.

For image data, unit `j`'s weights `W0[:, j]` have the input's shape: each is drawn as
a small image with half blocks ("▀", upper pixel in the foreground colour, lower in the
background), in a diverging map (negative blue, zero grey, positive red), scaled
symmetrically by the unit's own max |w| so that every tile uses the whole map. The
units are ranked by weight norm; as many tiles as fit are shown, n/p page through the
rest. Colour inputs are averaged over their channels. Colours come in 2 * LEVELS + 1
steps (styles made once), and rows are built as segments (the Line API), not as a Text
of thousands of one-cell spans: ~10 ms for 65 tiles at 200x50 instead of ~80. For tabular data the tiles make
no sense: a heat-map of the weight matrix instead (rows = input features, averaged in
groups when there are more than lines; columns = the units, in the same ranking).

Live runs: the worker updates W0 in place, between mini-batches, and never reallocates
it. The UI thread copies it (`np.array`, ~1 ms for 784x1000) at most every
READ_SECONDS, when a new epoch has arrived and the tab is on screen (the copy is made
in `render`, which Textual calls only for visible widgets); drawing reads the copy
only. No lock is taken: one would cost the training loop on every batch. The copy may
straddle one optimizer step (some columns from step k, some from k+1), a difference
far below what a tile can show, and it never sees freed memory (the array lives as
long as the network).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from core.datasets import TABULAR

from ..fields_render import (
    LEVELS,
    TILE_PIXELS,
    heatmap,
    palette,
    quantise,
    resize,
    symmetric_scale,
    tile_factors,
    tile_grid,
    top_units,
    unit_image,
)
from ..run_buffer import Run

UPPER_HALF = "▀"
READ_SECONDS = 2.0  # a live run's weights are copied at most this often
HEADER_LINES = 2
KEY_STEPS = 7  # cells of the colour key


@dataclass
class FirstLayer:
    """A copy of a run's first-layer weights `(n_in, n_hidden)` and what they are."""

    weights: np.ndarray
    image_shape: tuple[int, ...]
    tabular: bool
    what: str  # e.g. "epoch 12 (training)", "best epoch 7"
    feature_names: tuple[str, ...] = ()

    @property
    def n_units(self) -> int:
        return int(self.weights.shape[1])

    @property
    def channels(self) -> int:
        return int(self.image_shape[2]) if len(self.image_shape) == 3 else 1


def first_layer(run: Run | None) -> FirstLayer | str:
    """The weights `run`'s Network tab draws (a copy), or one line on why there are none.

    A live run: the training state now; a finished one: its result (the best epoch's
    weights when the run restores them, as Confusion and Samples use); an opened
    model: the file's result weights. A run folder holds only the history."""
    if run is None:
        return "No run yet: ctrl+r starts one, ctrl+o opens a model."
    trainer = run.trainer
    if trainer is not None:
        data = trainer.data  # release_data keeps the dataset's description
        shape, tabular = tuple(data.image_shape), data.kind == TABULAR
        names = tuple(getattr(data, "feature_names", ()) or ())
        if run.live:
            w0, what = trainer.network.weights[0], f"epoch {len(run.history)}, training"
        elif trainer.restores_best and trainer.best_epoch:
            w0, what = trainer.best_params[0], f"best epoch {trainer.best_epoch} (the result)"
        else:
            w0, what = trainer.network.weights[0], f"epoch {trainer.epoch}"
        return FirstLayer(np.array(w0, copy=True), shape, tabular, what, names)
    ckpt = run.checkpoint
    if ckpt is not None:
        which, epoch, _ = ckpt.weights("auto")
        what = f"{'best ' if which == 'best' else ''}epoch {epoch} of {run.path.name if run.path else 'the model'}"
        w0 = ckpt.default_network().weights[0]  # a fresh network's: no copy needed
        return FirstLayer(w0, tuple(ckpt.image_shape), ckpt.data_kind == TABULAR, what)
    if run.live:
        return f"{run.label}: loading …"
    return f"{run.name} is a run folder's history (no weights): open its model.npz with ctrl+o to see them."


_PALETTE = [Color.from_rgb(*map(int, c)) for c in palette()]
_STYLES: dict[tuple[int, int], Style] = {}


def _style(top: int, bottom: int) -> Style:
    """The half block's style for colour steps `top` and `bottom` (in -LEVELS..LEVELS)."""
    style = _STYLES.get((top, bottom))
    if style is None:
        style = _STYLES[top, bottom] = Style(color=_PALETTE[top + LEVELS], bgcolor=_PALETTE[bottom + LEVELS])
    return style


def _half_blocks(steps: np.ndarray, line: int, width: int = 1) -> list[Segment]:
    """Line `line` of an image of colour steps `(h, w)` (h even), `width` cells a pixel."""
    block = UPPER_HALF * width
    return [Segment(block, _style(t, b)) for t, b in zip(steps[2 * line].tolist(), steps[2 * line + 1].tolist())]


def _colour_key() -> Text:
    """−max ▀▀▀▀▀▀▀ +max: the map from blue through grey to red."""
    text = Text("−max ")
    for k in quantise(np.linspace(-1, 1, KEY_STEPS)).tolist():
        text.append(UPPER_HALF, _style(k, k))
    text.append(" +max")
    return text


class ReceptiveFields(Widget, can_focus=True):
    """The top units' incoming weights of the shown run (tiles, or a heat-map)."""

    BINDINGS = [
        Binding("n,right", "next_page", "More units", tooltip="the next units by weight norm", id="fields-next", show=False),
        Binding("p,left", "previous_page", "Fewer", tooltip="the previous units by weight norm", id="fields-previous", show=False),
    ]

    page = reactive(0)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.run: Run | None = None
        self.first: FirstLayer | str = first_layer(None)
        self.reads = 0  # weight copies made (tests count them)
        self._stale = True
        self._read_key: tuple | None = None  # (live, epochs) of the run when last read
        self._read_at = -math.inf
        self._per_page = 1
        self._ranking: np.ndarray | None = None  # units by weight norm, of `first`
        self._drawn: tuple[tuple, list[Strip]] | None = None  # (what was drawn, its rows)

    # -- what to show -----------------------------------------------------------
    def show_run(self, run: Run | None) -> None:
        """Show `run`; for the same run, copy its weights again when it has a new epoch
        (or ended) and, while live, READ_SECONDS have passed (the copy is made on the
        next render, so only when the tab is on screen)."""
        if run is not self.run:
            self.run, self.page = run, 0
            self._stale = True
        elif run is not None and self._key(run) != self._read_key:
            if not run.live or time.monotonic() - self._read_at >= READ_SECONDS:
                self._stale = True
        if self._stale:
            self.refresh()

    @staticmethod
    def _key(run: Run) -> tuple:
        return (run.live, len(run.history), run.trainer is not None)

    def _read(self) -> None:
        run = self.run
        self.first = first_layer(run)
        self._ranking = top_units(self.first.weights, self.first.n_units) if isinstance(self.first, FirstLayer) else None
        self._read_key = self._key(run) if run is not None else None
        self._read_at = time.monotonic()
        self._stale = False
        self.reads += 1

    # -- keys ------------------------------------------------------------------
    @property
    def pages(self) -> int:
        layer = self.first
        return max(1, math.ceil(layer.n_units / max(1, self._per_page))) if isinstance(layer, FirstLayer) else 1

    def action_next_page(self) -> None:
        self.page = (self.page + 1) % self.pages

    def action_previous_page(self) -> None:
        self.page = (self.page - 1) % self.pages

    # -- drawing ---------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        """Line API: rows of segments built straight from the colours (a Text of
        thousands of one-cell spans cost ~0.1 s per frame to lay out at 200x50)."""
        strips = self._strips()
        if y < len(strips):
            return strips[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _strips(self) -> list[Strip]:
        if self._stale:
            self._read()
        width, height = self.size.width, self.size.height
        key = (self.reads, self.page, width, height, self.rich_style)
        if self._drawn is not None and self._drawn[0] == key:
            return self._drawn[1]
        base = self.rich_style
        layer = self.first
        if not isinstance(layer, FirstLayer):
            lines = [self._text(Text(layer, style="dim"), width)]
        elif layer.tabular or len(layer.image_shape) < 2 or layer.image_shape[0] == 1 \
                or int(np.prod(layer.image_shape)) != layer.weights.shape[0]:
            lines = self._heatmap_lines(layer, width, height - HEADER_LINES)
        else:
            lines = self._tile_lines(layer, width, height - HEADER_LINES)
        strips = [Strip(segments).adjust_cell_length(width, base) for segments in lines[:height]]
        self._drawn = (key, strips)
        return strips

    def _text(self, text: Text, width: int) -> list[Segment]:
        """One line of rich text as segments on the widget's style, cut with an ellipsis."""
        text = text.copy()
        text.truncate(width, overflow="ellipsis")
        base = self.rich_style
        return [Segment(seg.text, base + seg.style if seg.style else base) for seg in text.render(self.app.console)]

    def _units(self, per_page: int) -> np.ndarray:
        self._per_page = max(1, per_page)
        start = (self.page % self.pages) * self._per_page
        return self._ranking[start: start + self._per_page]

    def _header(self, layer: FirstLayer, units: np.ndarray, width: int, notes: str = "") -> list[list[Segment]]:
        first = int(np.flatnonzero(self._ranking == units[0])[0]) + 1 if len(units) else 0
        line1 = Text.assemble(("Receptive fields", "bold"), f" (W0, {layer.what}): units "
                              f"{first}–{first + len(units) - 1} of {layer.n_units} by weight norm")
        line2 = _colour_key()
        line2.append(" of each unit" + notes + (" · n/p more" if self.pages > 1 else ""), "dim")
        return [self._text(line1, width), self._text(line2, width)]

    def _tile_lines(self, layer: FirstLayer, width: int, height: int) -> list[list[Segment]]:
        h, w = layer.image_shape[:2]
        # Tiles of at most TILE_PIXELS a side, and low enough for one row to fit.
        shrink, enlarge = tile_factors(h, w, max(2, min(TILE_PIXELS, 2 * (height - 1))))
        tile_h, tile_w = math.ceil(h / shrink) * enlarge, math.ceil(w / shrink) * enlarge
        lines = math.ceil(tile_h / 2)
        cols, rows = tile_grid(width, height, tile_w, lines)
        if cols * rows == 0:
            return [self._text(Text("Too small for the receptive fields: make the window larger.", style="dim"), width)]
        units = self._units(cols * rows)
        base = self.rich_style
        gap, dim = Segment(" ", base), base + Style(dim=True)
        out: list[list[Segment]] = []
        for r in range(math.ceil(len(units) / cols)):
            row = units[r * cols: (r + 1) * cols]
            pictures = []
            for j in row:
                img = symmetric_scale(resize(unit_image(layer.weights, int(j), layer.image_shape), shrink, enlarge))
                steps = quantise(img)
                if steps.shape[0] % 2:  # an odd height: the last line's lower half in the zero colour
                    steps = np.concatenate([steps, np.zeros((1, steps.shape[1]), int)])
                pictures.append(steps)
            for line in range(lines):
                segments: list[Segment] = []
                for k, steps in enumerate(pictures):
                    if k:
                        segments.append(gap)
                    segments.extend(_half_blocks(steps, line))
                out.append(segments)
            out.append([Segment(" ".join(f"#{int(j)}".center(tile_w)[:tile_w] for j in row), dim)])
        notes = f" · mean of {layer.channels} channels" if layer.channels > 1 else ""
        return self._header(layer, units, width, notes) + out

    def _heatmap_lines(self, layer: FirstLayer, width: int, height: int) -> list[list[Segment]]:
        n_in = layer.weights.shape[0]
        one_per_line = n_in <= height - 1
        max_rows = n_in if one_per_line else 2 * max(1, height - 1)
        names = layer.feature_names
        named = one_per_line and len(names) == n_in
        label_w = min(14, max(len(n) for n in names)) if named else len(f"f{n_in - 1}–{n_in - 1}")
        room = max(0, width - label_w - 1)
        cell_w = max(2, min(6, room // max(1, layer.n_units)))
        units = self._units(max(1, room // cell_w))
        values, bounds = heatmap(layer.weights, units, max_rows)
        steps = quantise(values)
        if one_per_line:  # a feature per line: both halves of its cells
            steps = np.repeat(steps, 2, axis=0)
        elif steps.shape[0] % 2:
            steps = np.concatenate([steps, np.zeros((1, steps.shape[1]), int)])
            bounds = bounds + [(n_in, n_in)]
        base = self.rich_style
        dim = base + Style(dim=True)
        out: list[list[Segment]] = []
        digits = len(str(int(units.max()))) + 1 if len(units) else 2
        indexed = cell_w > digits  # room for each unit's index above its column, else a line below
        if indexed:
            out.append([Segment(" " * (label_w + 1) + "".join(f"#{int(j)}".rjust(cell_w) for j in units), dim)])
        for line in range(steps.shape[0] // 2):
            if one_per_line:
                label = names[line] if named else f"f{line}"
            else:
                # Grouped rows say so in their labels (f0–8: the mean of features 0 to 8).
                a, b = bounds[2 * line][0], bounds[min(2 * line + 1, len(bounds) - 1)][1]
                label = f"f{a}–{max(a, b - 1)}"
            out.append([Segment(label[:label_w].rjust(label_w) + " ", dim), *_half_blocks(steps, line, cell_w)])
        if not indexed:
            out.append([Segment("columns: " + " ".join(f"#{int(j)}" for j in units), dim)])
        return self._header(layer, units, width, " · rows: features, columns: units") + out
