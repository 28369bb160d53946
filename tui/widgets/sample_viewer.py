"""Test images drawn in the terminal with their true and predicted labels.

Each text cell shows two pixels: the upper half block "▀" in the top pixel's grey on
a background of the bottom pixel's grey, so a 28x28 image takes 28 columns and 14
rows. Small images are scaled up by a whole factor. Keys: n/→ next, p/← previous,
m shows only the mistakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from rich.color import Color
from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget

from ..run_buffer import Run

UPPER_HALF = "▀"
EMPTY = "No samples yet: they appear when a run ends, or open a model.npz (ctrl+o)."


@dataclass
class Samples:
    """Images `(n, h*w)` in [0, 1], their labels and a model's predictions `(n,)`."""

    images: np.ndarray
    shape: tuple[int, int]
    labels: np.ndarray
    predictions: np.ndarray
    class_names: Sequence[str]

    @classmethod
    def of_run(cls, run: Run | None) -> "Samples | None":
        if run is None or run.evaluation is None or run.data is None:
            return None
        data = run.data
        return cls(data.x_test, tuple(data.image_shape), data.y_test, run.evaluation.predictions, run.class_names)


def half_block_image(pixels: np.ndarray) -> Text:
    """A `(h, w)` image in [0, 1] as Text, two pixel rows per line (odd heights pad black)."""
    img = np.clip(np.asarray(pixels, dtype=float), 0.0, 1.0)
    if img.shape[0] % 2:
        img = np.vstack([img, np.zeros((1, img.shape[1]))])
    grey = np.rint(img * 255).astype(int)
    styles: dict[tuple[int, int], Style] = {}
    text = Text(no_wrap=True, overflow="crop")
    for r in range(0, grey.shape[0], 2):
        if r:
            text.append("\n")
        for top, bottom in zip(grey[r], grey[r + 1]):
            key = (int(top), int(bottom))
            style = styles.get(key)
            if style is None:
                style = styles[key] = Style(
                    color=Color.from_rgb(key[0], key[0], key[0]), bgcolor=Color.from_rgb(key[1], key[1], key[1])
                )
            text.append(UPPER_HALF, style)
    return text


def scale_factor(shape: tuple[int, int], target: int = 28) -> int:
    return max(1, min(4, target // max(shape)))


class SampleViewer(Widget, can_focus=True):
    """One test image at a time, optionally only the misclassified ones."""

    BINDINGS = [
        Binding("n,right", "next", "Next", tooltip="next sample", id="sample-next", show=False),
        Binding("p,left", "previous", "Previous", tooltip="previous sample", id="sample-previous", show=False),
        Binding("m", "mistakes", "Mistakes", tooltip="show only misclassified samples (toggle)", id="sample-mistakes", show=False),
    ]

    position = reactive(0)
    mistakes_only = reactive(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.samples: Samples | None = None
        self.label = ""

    def show_samples(self, samples: Samples | None, label: str = "") -> None:
        self.samples = samples
        self.label = label
        self.position = 0
        self.refresh(layout=True)

    def show_run(self, run: Run | None) -> None:
        self.show_samples(Samples.of_run(run), run.label if run else "")

    @property
    def indices(self) -> np.ndarray:
        s = self.samples
        if s is None:
            return np.arange(0)
        if self.mistakes_only:
            return np.flatnonzero(np.asarray(s.predictions) != np.asarray(s.labels))
        return np.arange(len(s.labels))

    @property
    def current_index(self) -> int | None:
        """Index into the test set of the image on screen."""
        idx = self.indices
        return int(idx[self.position % len(idx)]) if len(idx) else None

    def action_next(self) -> None:
        if len(self.indices):
            self.position = (self.position + 1) % len(self.indices)

    def action_previous(self) -> None:
        if len(self.indices):
            self.position = (self.position - 1) % len(self.indices)

    def action_mistakes(self) -> None:
        # Keep the image on screen if it is still in the new list.
        current = self.current_index
        self.mistakes_only = not self.mistakes_only
        idx = self.indices
        hits = np.flatnonzero(idx == current) if current is not None else []
        self.position = int(hits[0]) if len(hits) else 0
        self.refresh(layout=True)

    def render(self):
        s = self.samples
        if s is None:
            return Text(EMPTY)
        idx = self.indices
        n_mistakes = int(np.count_nonzero(np.asarray(s.predictions) != np.asarray(s.labels)))
        filter_text = "mistakes only" if self.mistakes_only else "all"
        head = Text.assemble((self.label, "bold"), f" · test set · showing {filter_text} · {n_mistakes} mistakes of {len(s.labels)}")
        if not len(idx):
            return Group(head, Text(""), Text("No mistakes: every test image is classified correctly."))
        i = self.current_index
        h, w = s.shape
        factor = scale_factor(s.shape)
        img = np.asarray(s.images[i], dtype=float).reshape(h, w)
        if factor > 1:
            img = np.repeat(np.repeat(img, factor, axis=0), factor, axis=1)
        names = list(s.class_names)
        true, pred = int(s.labels[i]), int(s.predictions[i])
        name = lambda k: names[k] if 0 <= k < len(names) else str(k)
        right = pred == true
        info = Text.assemble(
            (f"sample {self.position % len(idx) + 1} of {len(idx)}", "bold"), f"\n(test image #{i})\n\n",
            ("true       ", "dim"), (name(true), "bold"), "\n",
            ("predicted  ", "dim"), (name(pred), "bold"), "  ",
            ("✓ right", "bold green") if right else ("✗ wrong", "bold red"), "\n\n",
            ("n/→ next · p/← previous\nm mistakes only: " + ("on" if self.mistakes_only else "off"), "dim"),
        )
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column()
        grid.add_row(half_block_image(img), info)
        return Group(head, Text(""), grid)

    def get_content_height(self, container, viewport, width: int) -> int:
        s = self.samples
        if s is None:
            return 2
        rows = (s.shape[0] * scale_factor(s.shape) + 1) // 2
        return max(rows, 8) + 2
