"""A chart of one per-layer diagnostic against epoch: one curve per layer.

The trainer records, per epoch, for every weight layer `l` its weight norm `W{l}_norm`,
gradient norm `W{l}_grad_norm` and update ratio `W{l}_update_ratio` (norm of the step
over norm of the weights), and for hidden layers the fraction of dead units `h{l}_dead`
(`EpochRecord.diagnostics`). One chart shows one of these for every layer, so layers
can be compared; the Network tab puts four of them side by side. Norms and the ratio
are on a log scale (layers differ by orders of magnitude), with reference lines for
the ratio at 1e-2 (above: steps too large for the weights) and 1e-3 (the usual rule of
thumb), and for the dead fraction at 0.5. Old histories have no diagnostics:
`has_diagnostics` says so, and the tab shows a line instead of empty charts.
"""

from __future__ import annotations

import math
from typing import Sequence

from core import EpochRecord
from core.diagnostics import DEAD_WARN, UPDATE_RATIO_WARN, key, layer_count

from ..run_buffer import Run
from .metric_chart import BEST, OVERLAY, TEST, TRAIN, MetricChart, Series, downsample

# (key suffix, title, short title, log scale): what each of the tab's four charts shows;
# the short title when the long one would not fit (plotext then drops the title).
DIAGNOSTICS = (
    ("norm", "weight norm", "‖W‖", True),
    ("grad_norm", "gradient norm", "‖grad‖", True),
    ("update_ratio", "update ratio", "ratio", True),
    ("dead", "dead units", "dead", False),
)
Y_LABELS = 9  # columns a chart's y tick labels and axis take, about
# Not orange for a layer: in a 256-colour terminal it looks like the red 1e-2 line.
LAYER_COLORS = (TRAIN, TEST, *OVERLAY)
REFERENCE = (150, 150, 150)
# Horizontal reference lines: (value, label, colour) per diagnostic; the first of each
# is where core.diagnostics warns (the log and status line say so too).
REFERENCES = {
    "update_ratio": ((UPDATE_RATIO_WARN, f"{UPDATE_RATIO_WARN:.0e}".replace("e-0", "e-"), BEST), (1e-3, "1e-3", REFERENCE)),
    "dead": ((DEAD_WARN, "half dead" if DEAD_WARN == 0.5 else f"{DEAD_WARN:g} dead", REFERENCE),),
}


def diagnostics_of(record: EpochRecord) -> dict:
    """The record's per-layer figures (empty for histories from before they existed)."""
    return getattr(record, "diagnostics", None) or {}


def has_diagnostics(history: Sequence[EpochRecord]) -> bool:
    return any(diagnostics_of(r) for r in history)


def n_layers(history: Sequence[EpochRecord]) -> int:
    """Weight layers the history has figures for (0 without diagnostics): read from its
    last record that has any (every epoch of a run has the same layers), so that a
    redraw does not scan a long history."""
    return layer_count(next((d for d in map(diagnostics_of, reversed(history)) if d), {}))


def layer_series(history: Sequence[EpochRecord], which: str) -> list[Series]:
    """One curve per layer of diagnostic `which` (downsampled), with its reference lines.

    Points that are not finite (NaN: does not apply, or a diverged run) are left out,
    and so is a layer with none; `dead` has hidden layers only (all but the last)."""
    layers = n_layers(history)
    layers = layers - 1 if which == "dead" else layers
    records = downsample(history)
    series = []
    for layer in range(max(0, layers)):
        name = key(which, layer)
        points = [(r.epoch, float(diagnostics_of(r).get(name, math.nan))) for r in records]
        points = [(x, y) for x, y in points if math.isfinite(y)]
        if points:
            label = f"h{layer}" if which == "dead" else f"W{layer}"
            series.append(Series(label, [x for x, _ in points], [y for _, y in points],
                                 LAYER_COLORS[layer % len(LAYER_COLORS)]))
    if series:
        first = min(s.xs[0] for s in series)
        last = max(s.xs[-1] for s in series)
        for value, label, color in REFERENCES.get(which, ()):
            series.append(Series(label, [first, last], [value, value], color, own=False))
    return series


class DiagnosticChart(MetricChart):
    """One diagnostic (a DIAGNOSTICS suffix) of every layer of the shown run, per epoch."""

    def __init__(self, which: str, **kwargs) -> None:
        super().__init__(which, **kwargs)
        self.which = which
        _, self.title, self.short_title, log = next(d for d in DIAGNOSTICS if d[0] == which)
        self.set_reactive(DiagnosticChart.log_scale, log)
        self.caption = self.title
        self._shown: tuple | None = None  # (run, epochs) last drawn: replot only on news

    @property
    def metric_name(self) -> str:
        return self.title

    def _spec(self) -> tuple:
        # The title as it fits this chart's width (with the " · log" the build adds).
        key, series, best, _, log = super()._spec()
        room = self.size.width - Y_LABELS - len(" · log" if log else "")
        return key, series, best, self.caption if len(self.caption) <= room else self.short_title, log

    def show_run(self, run: Run | None, overlays: Sequence[Run] = ()) -> None:
        """As the Train charts are called (`MainScreen.redraw_charts`); other runs are
        not overlaid here: one run's layers are lines enough."""
        self.show_diagnostics(run)

    def show_diagnostics(self, run: Run | None) -> None:
        """Draw `run`'s history (nothing for None); a no-op when it has no new epoch."""
        history = run.history if run is not None else []
        shown = (run, len(history))
        if shown == self._shown:
            return
        self._shown = shown
        self.series = layer_series(history, self.which)
        self.best_epoch = 0  # no best-epoch line: these are not the monitored metric
        # tanh and sigmoid units cannot die: their dead fraction is NaN throughout.
        self.caption = self.title if self.series or not has_diagnostics(history) else f"{self.short_title}: n/a"
        self.replot()
