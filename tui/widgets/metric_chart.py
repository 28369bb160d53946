"""A plotext chart of one metric (loss or accuracy) against epoch.

Two uses: one run's train/valid/test curves (optionally with other runs' valid
curves overlaid), or every run's valid curve for comparison. The app calls
`show_run`/`show_comparison` from its polling timer, so the chart is replotted at
most a few times a second; each build starts from `clear_data()`, long histories
are downsampled so a 200-epoch run costs no more than a short one, and while a run
trains the build happens in a thread worker so key presses are not kept waiting.
`log_scale` puts the y axis on a log scale (the app's `l` key, for the loss chart),
where points that are not positive and finite are left out (a log has no place for them).
"""

from __future__ import annotations

import io
import math
import time
import threading
from dataclasses import dataclass
from typing import Sequence

from rich.console import Console
from rich.text import Text
from textual.reactive import reactive
from textual.strip import Strip
from textual_plotext import PlotextPlot

from core import EpochRecord

from ..messages import ChartBuilt
from ..run_buffer import Run

MAX_POINTS = 150

# RGB triples that read on dark and light backgrounds and map to distinct greys under
# NO_COLOR; the legend line outside the plot names them.
TRAIN, VALID, TEST = (66, 133, 244), (255, 143, 0), (46, 160, 67)
BEST = (220, 50, 47)
OVERLAY = ((171, 71, 188), (0, 172, 193), (141, 110, 99), (236, 64, 122), (124, 179, 66), (120, 144, 156))


def _rgb(color: tuple[int, int, int]) -> str:
    return "bold rgb({},{},{})".format(*color)


@dataclass
class Series:
    label: str
    xs: list[int]
    ys: list[float]
    color: tuple[int, int, int]
    own: bool = True  # the shown run's own curve (else another run's, overlaid)


def downsample(history: Sequence[EpochRecord], max_points: int = MAX_POINTS, keep: int = 0) -> list[EpochRecord]:
    """At most about `max_points` records, evenly spaced, always with the first, the last
    and epoch `keep` (the best one), so the curve's ends and its best point survive."""
    n = len(history)
    if n <= max_points:
        return list(history)
    step = n / max_points
    idx = {int(i * step) for i in range(max_points)} | {n - 1}
    if 0 < keep <= n:
        idx.add(keep - 1)
    return [history[i] for i in sorted(idx)]


def epoch_ticks(first: int, last: int, most: int) -> list[int]:
    """About `most` whole-epoch ticks: `first`, round multiples of a step, and `last`."""
    span = max(1, last - first)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000):
        if span / step < most:
            break
    inner = [t for t in range(((first // step) + 1) * step, last, step)]
    # Keep round ticks only where they do not crowd the two ends.
    inner = [t for t in inner if t - first > step / 2 and last - t > step / 2]
    return sorted({first, *inner, last})


def metric_values(records: Sequence[EpochRecord], which: str, metric: str) -> list[float]:
    """`which` in train/valid/test; accuracies in percent."""
    name = f"{which}_{'loss' if metric == 'loss' else 'acc'}"
    scale = 1.0 if metric == "loss" else 100.0
    return [scale * getattr(r, name) for r in records]


class MetricChart(PlotextPlot):
    """Loss or accuracy (percent) against epoch."""

    log_scale = reactive(False, init=False)  # the y axis; the title then says "log"

    def __init__(self, metric: str, *, compare: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.metric = metric  # "loss" or "acc"
        self.compare = compare
        self.series: list[Series] = []
        self.best_epoch = 0
        self.caption = ""
        self._version = 0  # bumped by each replot
        self._rendered: tuple[tuple, list[Strip]] | None = None  # (what was drawn, its rows)
        self._wanted: tuple | None = None  # what a background build is drawing
        self.build_seconds = 0.0  # what the last plotext build cost
        self._plot_lock = threading.Lock()
        self.background = False  # build in a thread worker (set by the app while training)

    @property
    def metric_name(self) -> str:
        return "loss" if self.metric == "loss" else "accuracy %"

    # -- data -------------------------------------------------------------------
    def show_run(self, run: Run | None, overlays: Sequence[Run] = ()) -> None:
        """One run's train/valid/test curves, other runs' valid curves faint behind."""
        series: list[Series] = []
        for i, other in enumerate(o for o in overlays if o is not run and o.history):
            recs = downsample(other.history, keep=other.best_epoch)
            series.append(Series(other.label, [r.epoch for r in recs], metric_values(recs, "valid", self.metric),
                                 OVERLAY[i % len(OVERLAY)], own=False))
        best = 0
        if run is not None and run.history:
            best = run.best_epoch
            recs = downsample(run.history, keep=best)
            xs = [r.epoch for r in recs]
            for which, color in (("train", TRAIN), ("valid", VALID), ("test", TEST)):
                series.append(Series(which, xs, metric_values(recs, which, self.metric), color))
        self.series, self.best_epoch = series, best
        self.caption = f"{self.metric_name}" + (f" · best {best}" if best else "")
        self.replot()

    def show_comparison(self, runs: Sequence[Run], highlight: Run | None = None) -> None:
        """Every run's valid curve; the highlighted run drawn last (on top)."""
        series: list[Series] = []
        ordered = [r for r in runs if r is not highlight and r.history]
        if highlight is not None and highlight.history:
            ordered.append(highlight)
        for run in ordered:
            recs = downsample(run.history, keep=run.best_epoch)
            color = VALID if run is highlight else OVERLAY[(run.number - 1) % len(OVERLAY)]
            series.append(Series(run.label, [r.epoch for r in recs], metric_values(recs, "valid", self.metric),
                                 color, own=run is highlight))
        self.series = series
        self.best_epoch = highlight.best_epoch if highlight is not None else 0
        self.caption = f"valid {self.metric_name}, all runs"
        self.replot()

    # -- drawing ------------------------------------------------------------------
    def legend(self) -> Text:
        """The series as coloured text, for a legend line outside the (small) plot."""
        text = Text(no_wrap=True, overflow="ellipsis")
        own = [s for s in self.series if s.own]
        for s in own + [s for s in self.series if not s.own]:
            if text:
                text.append("  ")
            text.append("━━" if s.own else "──", style=_rgb(s.color))
            text.append(f" {s.label}")
        if self.best_epoch and not self.compare:
            text.append("  ")
            text.append("│", style=_rgb(BEST))
            text.append(f" best epoch {self.best_epoch}")
        return text

    def watch_log_scale(self) -> None:
        self.replot()

    def replot(self) -> None:
        """The data changed: draw again (the plot is built on the next render)."""
        self._version += 1
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """Line API: rows of the plot, built only when its data, size or theme changed.

        While a run trains (`background`, set by the app) the plot is built and cut into
        strips in a thread worker, and the previous picture stays up meanwhile: for a
        large chart that takes tens of milliseconds, which would delay key presses if it
        ran on the event loop. Otherwise (an idle app, snapshot tests) it is built here.
        """
        strips = self._strips()
        if y < len(strips):
            return strips[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)

    def _strips(self) -> list[Strip]:
        spec = self._spec()
        if self._rendered is not None and self._rendered[0] == spec[0]:
            return self._rendered[1]
        if self.background and self._rendered is not None:
            if self._wanted != spec[0]:
                self._wanted = spec[0]
                self.run_worker(lambda: self._build_in_thread(spec), thread=True, exit_on_error=False, group="plot")
            return self._rendered[1]
        strips = self._build(spec)
        self._rendered = (spec[0], strips)
        return strips

    def _spec(self) -> tuple:
        """What to draw: (key, series, best epoch, caption, log scale); the key says what changed."""
        theme = self._get_plotext_theme_name(self.app.theme)
        key = (self._version, self.size.width, self.size.height, theme)
        return key, list(self.series), self.best_epoch, self.caption, self.log_scale

    def _build_in_thread(self, spec) -> None:
        self.post_message(ChartBuilt(spec[0], self._build(spec)))

    def on_chart_built(self, message: ChartBuilt) -> None:
        message.stop()
        self._rendered = (message.key, message.strips)
        if self._wanted == message.key:
            self._wanted = None
        self.refresh()

    def _build(self, spec) -> list[Strip]:
        """Draw `spec` with plotext, as strips (any thread: the plot is behind a lock).

        Records its own cost in `build_seconds`: the app spaces redraws by it."""
        (_, width, height, theme), series, best_epoch, caption, log_scale = spec
        started = time.perf_counter()
        if log_scale:
            series = [s for s in map(_loggable, series) if s.xs]
        with self._plot_lock:
            plt = self.plt
            plt.clear_data()
            plt.title(f"{caption} · log" if log_scale else caption)
            # clear_data keeps the scale; an empty plot's 0..1 axis cannot be a log one.
            plt.yscale("log" if log_scale and series else "linear")
            if not series:
                plt.xlim(1, 10)
                plt.xticks([1, 10], ["1", "10"])
                plt.ylim(0, 1)
            else:
                last = max(s.xs[-1] for s in series if s.xs)
                first = min(s.xs[0] for s in series if s.xs)
                for s in series:
                    plt.plot(s.xs, s.ys, color=s.color, marker="braille")
                if last == first:  # one epoch: give the axis some width
                    plt.xlim(first - 1, last + 1)
                else:
                    plt.xlim(first, last)
                ticks = epoch_ticks(first, last, max(2, width // 9))
                plt.xticks(ticks, [str(t) for t in ticks])
                plt.ylim(None, None)
                if best_epoch and not self.compare:
                    plt.vertical_line(best_epoch, color=BEST)
            plt.plotsize(width, height)
            plt._set_size(width, height)  # as textual-plotext does: plotsize alone is not enough
            plt.theme(theme)
            text = Text.from_ansi(plt.build(), no_wrap=True, overflow="crop")
        console = Console(width=max(1, width), color_system="truecolor", force_terminal=True,
                          legacy_windows=False, file=io.StringIO())
        lines = console.render_lines(text, console.options, pad=True, new_lines=False)
        strips = [Strip(line, width) for line in lines[:height]]
        self.build_seconds = time.perf_counter() - started
        return strips


def _loggable(series: Series) -> Series:
    """`series` without the points a log axis cannot place (zero, negative, nan, inf)."""
    kept = [(x, y) for x, y in zip(series.xs, series.ys) if y > 0 and math.isfinite(y)]
    return Series(series.label, [x for x, _ in kept], [y for _, y in kept], series.color, series.own)
