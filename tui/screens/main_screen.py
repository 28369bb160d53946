"""The app's one full screen: the tabs, their widgets, and how a run is shown on them.

The app holds its `MainScreen` (the first screen of the stack; modal prompts go on
top) and reaches every widget through the typed attributes below, never by query.
The screen draws what it is given; which runs there are is the app's `Session`.
"""

from __future__ import annotations

import asyncio
from typing import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, TabbedContent, TabPane

from core import EpochRecord, TrainConfig

from ..run_buffer import Run
from ..widgets.confusion_view import ConfusionView
from ..widgets.epoch_log import EpochLog
from ..widgets.layer_diagnostics import DIAGNOSTICS, DiagnosticChart, has_diagnostics
from ..widgets.metric_chart import MetricChart
from ..widgets.param_form import ParamForm
from ..widgets.receptive_fields import ReceptiveFields
from ..widgets.runs_table import RunsTable
from ..widgets.sample_viewer import SampleViewer
from ..widgets.status_line import StatusLine

TABS = ("train", "runs", "confusion", "samples", "network")
# Keyboard focus follows the tab (on Train: the tab bar, a Tab press from the form).
TAB_FOCUS = {"runs": "#runs-table", "confusion": "#confusion-scroll", "samples": "#sample-viewer",
             "network": "#receptive-fields"}


class MainScreen(Screen):
    """Train, Runs, Confusion, Samples and Network tabs over the status line and the footer."""

    def __init__(self, prefill: TrainConfig, preset: str | None = None) -> None:
        super().__init__()
        self._prefill, self._preset = prefill, preset
        self.composed = asyncio.Event()  # set once every widget is mounted: the app waits for it

    def on_mount(self) -> None:
        self.composed.set()

    def compose(self) -> ComposeResult:
        # Built here, inside the running app (they read its console and theme when made).
        self.form = ParamForm(self._prefill, self._preset, id="form")
        self.chart_legend = Label("", id="chart-legend", classes="legend")
        self.loss_chart = MetricChart("loss", id="loss-chart")
        self.acc_chart = MetricChart("acc", id="acc-chart")
        self.epoch_log = EpochLog(id="epoch-log")
        self.train_right = Vertical(id="train-right")
        self.runs_table = RunsTable(id="runs-table")
        self.compare_legend = Label("", id="compare-legend", classes="legend")
        self.compare_loss = MetricChart("loss", compare=True, id="compare-loss")
        self.compare_acc = MetricChart("acc", compare=True, id="compare-acc")
        self.confusion_view = ConfusionView(id="confusion-view")
        self.sample_viewer = SampleViewer(id="sample-viewer")
        self.network_legend = Label("", id="network-legend", classes="legend")
        self.layer_charts = tuple(DiagnosticChart(which, id=f"layer-{which}") for which, *_ in DIAGNOSTICS)
        self.network_charts = Horizontal(id="network-charts")
        self.receptive_fields = ReceptiveFields(id="receptive-fields")
        self.status_line = StatusLine(id="status")
        self.tabs = TabbedContent(id="tabs", initial="train")
        with self.tabs:
            with TabPane("Train", id="train"):
                with Horizontal(id="train-body"):
                    yield self.form
                    with self.train_right:
                        yield self.chart_legend
                        with Horizontal(id="charts"):
                            yield self.loss_chart
                            yield self.acc_chart
                        yield self.epoch_log
            with TabPane("Runs", id="runs"):
                yield self.runs_table
                yield self.compare_legend
                with Horizontal(id="compare-charts"):
                    yield self.compare_loss
                    yield self.compare_acc
            with TabPane("Confusion", id="confusion"):
                with ScrollableContainer(id="confusion-scroll"):
                    yield self.confusion_view
            with TabPane("Samples", id="samples"):
                with ScrollableContainer(id="samples-scroll"):
                    yield self.sample_viewer
            with TabPane("Network", id="network"):
                yield self.network_legend
                with self.network_charts:
                    yield from self.layer_charts
                yield self.receptive_fields
        yield self.status_line
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p still opens it (themes, keys)

    @property
    def charts(self) -> tuple[MetricChart, ...]:
        # The Network tab's charts take `show_run(shown, overlays)` as the Train charts do.
        return (self.loss_chart, self.acc_chart, self.compare_loss, self.compare_acc, *self.layer_charts)

    # -- drawing ------------------------------------------------------------------
    def show_run(self, run: Run | None) -> None:
        """Make the log, title, table cursor, confusion matrix and samples show `run`."""
        if run is not None or self.epoch_log.shown is not None:
            # An empty log is left alone: clearing it once its columns exist narrowed them
            # (the header widths) for the rows added next.
            self.epoch_log.show_run(run)
        self.train_right.border_title = run.summary if run else "no run yet: ctrl+r starts one"
        if run is not None:
            self.runs_table.select_run(run)
        self.confusion_view.show_run(run)
        self.sample_viewer.show_run(run)  # the Network tab follows in redraw_charts

    def add_log_rows(self, rows: Sequence[EpochRecord], run: Run) -> None:
        self.epoch_log.add_records(rows, run.best_epoch)

    def redraw_charts(self, runs: Sequence[Run], shown: Run | None, overlays: Sequence[Run]) -> None:
        """Train charts: `shown` with `overlays`' valid curves; Runs charts: every run."""
        for chart in self.charts:
            if chart.compare:
                chart.show_comparison(runs, shown)
            else:
                chart.show_run(shown, overlays)
        # Fixed-size labels: no layout pass needed (a layout pass costs far more than a repaint).
        self.chart_legend.update(self.loss_chart.legend(), layout=False)
        self.compare_legend.update(self.compare_loss.legend(), layout=False)
        self._show_network(shown)

    def _show_network(self, run: Run | None) -> None:
        """The Network tab: its charts (drawn above with the others), their legend, or one
        line saying there is nothing to chart; the receptive fields, copied if due."""
        history = run.history if run is not None else []
        charted = has_diagnostics(history)
        if charted:
            # The layers' colours and the ratio's reference lines.
            legend = next(c for c in self.layer_charts if c.which == "update_ratio").legend()
        elif run is None:
            legend = "Per-layer diagnostics: no run yet."
        elif not history:
            legend = "Per-layer diagnostics appear after the first epoch."
        else:
            legend = "This history has no per-layer diagnostics (older runs did not record them)."
        self.network_legend.update(legend, layout=False)
        if self.network_charts.display != charted:
            self.network_charts.display = charted  # the fields take the room
        self.receptive_fields.show_run(run)

    def replot_charts(self) -> None:
        for chart in self.charts:
            chart.replot()

    def chart_seconds(self) -> float:
        """What the last builds of the charts on view cost (the redraw throttle spaces by it)."""
        return sum(chart.build_seconds for chart in self.charts if chart.display)

    def build_charts_in_background(self, on: bool) -> None:
        for chart in self.charts:
            chart.background = on

    # -- tabs -------------------------------------------------------------------------
    def next_tab(self) -> None:
        i = TABS.index(self.tabs.active) if self.tabs.active in TABS else -1
        self.tabs.active = TABS[(i + 1) % len(TABS)]

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # Focus follows the tab, but only for the tab still active: a focused widget
        # activates its own tab, so after quick ctrl+n presses a stale event's focus
        # would switch back, whose event would switch forward again, for ever.
        pane = event.pane.id or ""
        if self.tabs.active != pane:
            return
        target = self.query_one(TAB_FOCUS.get(pane, "#tabs Tabs"))
        if not target.has_focus:
            target.focus()
