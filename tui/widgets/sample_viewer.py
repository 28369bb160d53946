"""Test images drawn in the terminal with their true and predicted labels.

Each text cell shows two pixels: the upper half block "▀" in the top pixel's colour
(grey or RGB) on a background of the bottom pixel's, so a 28x28 image takes 28 columns
and 14 rows. Small images are scaled up by a whole factor; standardised images are
min-max scaled for display. Tabular samples show a table of their raw feature values.
Keys: n/→ next, p/← previous, m shows only the mistakes, o predicts an image file of
your own (escape goes back to the test samples).
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
from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from core.datasets import PIXELS, TABULAR, Preprocess

from ..run_buffer import Run
from ..screens.path_prompt import PathPrompt
from ..own_image import OwnImage, OwnImageError, predict_own_image

UPPER_HALF = "▀"
EMPTY = "No samples yet: they appear when a run ends, or open a model.npz (ctrl+o); then o predicts an image file of your own."


TABLE_ROWS = 12  # features listed for a tabular sample


@dataclass
class Samples:
    """Network inputs `(n, n_features)`, their labels and a model's predictions `(n,)`.

    `shape` is `(h, w)`, `(h, w, c)` or `(1, n_features)` for tabular data; `preprocess`
    maps raw values to the inputs (pixels in [0, 1], or standardised).
    """

    images: np.ndarray
    shape: tuple[int, ...]
    labels: np.ndarray
    predictions: np.ndarray
    class_names: Sequence[str]
    kind: str = "image"
    preprocess: Preprocess | None = None
    feature_names: Sequence[str] = ()

    @classmethod
    def of_run(cls, run: Run | None) -> "Samples | None":
        if run is None or run.evaluation is None or run.data is None:
            return None
        data = run.data
        return cls(
            data.x_test, tuple(data.image_shape), data.y_test, run.evaluation.predictions, run.class_names,
            kind=data.kind, preprocess=data.preprocess, feature_names=tuple(getattr(data, "feature_names", ()) or ()),
        )

    @property
    def is_table(self) -> bool:
        return self.kind == TABULAR

    def picture(self, i: int) -> np.ndarray:
        """Sample `i` as `(h, w)` or `(h, w, 3)` floats in [0, 1] for display."""
        return display_pixels(self.images[i], self.shape, self.preprocess)


def display_pixels(row: np.ndarray, shape: Sequence[int], preprocess: Preprocess | None) -> np.ndarray:
    """One input row as an image in [0, 1]: as it is for pixel inputs, min-max scaled
    when the inputs were standardised (their range says nothing about brightness)."""
    img = np.asarray(row, dtype=float).reshape(tuple(shape))
    if preprocess is not None and preprocess.kind != PIXELS:
        low, high = float(img.min()), float(img.max())
        img = (img - low) / (high - low) if high > low else np.zeros_like(img)
    return img


def half_block_image(pixels: np.ndarray) -> Text:
    """A `(h, w)` grey or `(h, w, 3)` RGB image in [0, 1] as Text, two pixel rows per
    line (odd heights pad black)."""
    img = np.clip(np.asarray(pixels, dtype=float), 0.0, 1.0)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.shape[0] % 2:
        img = np.concatenate([img, np.zeros((1, *img.shape[1:]))], axis=0)
    levels = np.rint(img * 255).astype(int)
    colour = levels.ndim == 3
    styles: dict[tuple, Style] = {}
    text = Text(no_wrap=True, overflow="crop")
    for r in range(0, levels.shape[0], 2):
        if r:
            text.append("\n")
        for top, bottom in zip(levels[r], levels[r + 1]):
            key = (tuple(int(v) for v in top), tuple(int(v) for v in bottom)) if colour else (int(top), int(bottom))
            style = styles.get(key)
            if style is None:
                upper, lower = key if colour else ((key[0],) * 3, (key[1],) * 3)
                style = styles[key] = Style(color=Color.from_rgb(*upper), bgcolor=Color.from_rgb(*lower))
            text.append(UPPER_HALF, style)
    return text


def feature_table(raw: np.ndarray, names: Sequence[str] = (), limit: int = TABLE_ROWS) -> Table:
    """The first `limit` raw feature values `(n_features,)` as a two-column table."""
    table = Table(box=None, padding=(0, 1), show_header=True, header_style="dim")
    table.add_column("feature", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    for k, value in enumerate(raw[:limit]):
        name = names[k] if k < len(names) else f"f{k}"
        table.add_row(name, f"{value:.6g}")
    if len(raw) > limit:
        table.add_row(Text(f"… {len(raw) - limit} more", "dim"), "")
    return table


def scale_factor(shape: Sequence[int], target: int = 28) -> int:
    return max(1, min(4, target // max(shape[:2])))


def enlarge(img: np.ndarray, factor: int) -> np.ndarray:
    if factor > 1:
        img = np.repeat(np.repeat(img, factor, axis=0), factor, axis=1)
    return img


class SampleViewer(Widget, can_focus=True):
    """One test image at a time, optionally only the misclassified ones."""

    BINDINGS = [
        Binding("n,right", "next", "Next", tooltip="next sample", id="sample-next", show=False),
        Binding("p,left", "previous", "Previous", tooltip="previous sample", id="sample-previous", show=False),
        Binding("m", "mistakes", "Mistakes", tooltip="show only misclassified samples (toggle)", id="sample-mistakes", show=False),
        Binding("o", "open_image", "Open image", tooltip="predict an image file of your own with this run's network", id="sample-open", show=False),
        Binding("escape", "back", "Back", tooltip="back to the test samples", id="sample-back", show=False),
    ]

    class Predicted(Message):
        """The worker's result for an image of the user's own."""

        def __init__(self, result: OwnImage | None, error: str = "") -> None:
            super().__init__()
            self.result = result
            self.error = error

    position = reactive(0)
    mistakes_only = reactive(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.samples: Samples | None = None
        self.label = ""
        self.run: Run | None = None
        self.own: OwnImage | None = None  # an image of the user's own, on screen instead of a sample
        self.own_message = ""  # what went wrong opening one, or that it is being predicted

    def show_samples(self, samples: Samples | None, label: str = "") -> None:
        self.samples = samples
        self.label = label
        self.position = 0
        self.own, self.own_message = None, ""
        self.refresh(layout=True)

    def show_run(self, run: Run | None) -> None:
        self.run = run
        self.show_samples(Samples.of_run(run), run.label if run else "")

    # -- an image of the user's own ------------------------------------------------
    def action_open_image(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.own_message = f"predicting {path} …"
                self.refresh(layout=True)
                self._predict_own(self.run, path)

        self.app.push_screen(
            PathPrompt("Predict an image file", hint="a .png, .jpg, .bmp or .gif; resized to the model's input", ok="Predict"),
            chosen,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="own-image")
    def _predict_own(self, run: Run | None, path: str) -> None:
        try:
            self.post_message(self.Predicted(predict_own_image(run, path)))
        except OwnImageError as error:
            self.post_message(self.Predicted(None, str(error)))
        except (OSError, ValueError, MemoryError) as error:  # a decoder or resize failure not foreseen
            self.post_message(self.Predicted(None, f"{path}: {error}"))

    def on_sample_viewer_predicted(self, event: "SampleViewer.Predicted") -> None:
        event.stop()
        self.own = event.result
        self.own_message = event.error
        if event.error:
            self.notify(event.error, severity="error", title="Open image")
        self.refresh(layout=True)

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "back":  # escape goes on to the app unless there is something to leave
            return self.own is not None or bool(self.own_message)
        return True

    def action_back(self) -> None:
        self.own, self.own_message = None, ""
        self.refresh(layout=True)

    def _leave_own(self) -> bool:
        """n/p on the user's image go back to the samples where they were."""
        if self.own is None and not self.own_message:
            return False
        self.action_back()
        return True

    def _render_own(self):
        own = self.own
        head = Text.assemble((self.label or "model", "bold"), " · your image · ", str(own.path))
        picture = enlarge(own.picture, scale_factor(own.picture.shape))
        lines = [("top classes", "bold"), "\n"]
        for name, prob in own.top:
            lines += [(f"{100 * prob:5.1f}%  ", "dim"), (name, "bold"), "\n"]
        for note in own.notes:
            lines += [(note, "dim italic"), "\n"]
        lines += ["\n", ("escape/n/p back to the test samples\no another image", "dim")]
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column()
        grid.add_row(half_block_image(picture), Text.assemble(*lines))
        return Group(head, Text(""), grid)

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
        if self._leave_own():
            return
        if len(self.indices):
            self.position = (self.position + 1) % len(self.indices)

    def action_previous(self) -> None:
        if self._leave_own():
            return
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
        if self.own is not None:
            return self._render_own()
        s = self.samples
        if s is None:
            return Text(EMPTY if not self.own_message else self.own_message)
        body = self._render_samples(s)
        if self.own_message:
            return Group(Text(self.own_message, "bold red" if not self.own_message.startswith("predicting") else "dim"), body)
        return body

    def _render_samples(self, s: Samples):
        idx = self.indices
        n_mistakes = int(np.count_nonzero(np.asarray(s.predictions) != np.asarray(s.labels)))
        filter_text = "mistakes only" if self.mistakes_only else "all"
        head = Text.assemble((self.label, "bold"), f" · test set · showing {filter_text} · {n_mistakes} mistakes of {len(s.labels)}")
        if not len(idx):
            return Group(head, Text(""), Text("No mistakes: every test image is classified correctly."))
        i = self.current_index
        if s.is_table:
            raw = s.preprocess.undo(s.images[i]) if s.preprocess is not None else np.asarray(s.images[i], dtype=float)
            left = feature_table(np.ravel(raw), s.feature_names)
            what = "test sample"
        else:
            left = half_block_image(enlarge(s.picture(i), scale_factor(s.shape)))
            what = "test image"
        names = list(s.class_names)
        true, pred = int(s.labels[i]), int(s.predictions[i])
        name = lambda k: names[k] if 0 <= k < len(names) else str(k)
        right = pred == true
        info = Text.assemble(
            (f"sample {self.position % len(idx) + 1} of {len(idx)}", "bold"), f"\n({what} #{i})\n\n",
            ("true       ", "dim"), (name(true), "bold"), "\n",
            ("predicted  ", "dim"), (name(pred), "bold"), "  ",
            ("✓ right", "bold green") if right else ("✗ wrong", "bold red"), "\n\n",
            ("n/→ next · p/← previous\nm mistakes only: " + ("on" if self.mistakes_only else "off"), "dim"),
        )
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column()
        grid.add_row(left, info)
        return Group(head, Text(""), grid)

    def get_content_height(self, container, viewport, width: int) -> int:
        # The message wraps: room for every line of it (word wrapping may need one more).
        extra = len(self.own_message) // max(1, width) + 2 if self.own_message and self.own is None else 0
        if self.own is not None:
            shape = self.own.picture.shape
            return max((shape[0] * scale_factor(shape) + 1) // 2, 8) + 2
        s = self.samples
        if s is None:
            return 2 + extra
        if s.is_table:
            rows = min(s.shape[-1], TABLE_ROWS) + 1 + (s.shape[-1] > TABLE_ROWS)
        else:
            rows = (s.shape[0] * scale_factor(s.shape) + 1) // 2
        return max(rows, 8) + 2 + extra
