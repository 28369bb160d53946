"""Snapshots of the app, fed fixed, seeded histories and evaluations (never a live run).

Regenerate after an intended change with
    python -m pytest tests/tui --snapshot-update
and look at the SVGs in tests/tui/__snapshots__/ before committing them.
"""

from __future__ import annotations

from textual.widgets import Input

from tui.app import NNTrainApp
from tui_support import SIZE, WIDE, fixed_run


def prepare(*runs, tab: str = "train", overlay: bool = False, theme: str | None = None, fields: dict | None = None):
    """A run_before hook: add `runs` (the last one current and shown), pick a tab, no blinking cursor."""

    async def run_before(pilot) -> None:
        app = pilot.app
        for run in runs:
            app.add_run(run, current=True)
        for field in app.query(Input):
            field.cursor_blink = False
        for name, value in (fields or {}).items():
            app.form.input(name).value = value
        if theme:
            app.theme = theme
        if overlay:
            await pilot.press("ctrl+g")
            app.clear_notifications()
        app.query_one("TabbedContent").active = tab
        await pilot.pause()

    return run_before


def comparison_runs():
    """The course's hidden-units comparison, as fixed histories."""
    return [fixed_run(hidden=(h,), epochs=30, seed=s) for h, s in ((100, 1), (500, 2), (1000, 3), (2000, 4))]


def test_main_screen_80x24(snap_compare):
    assert snap_compare(NNTrainApp(), terminal_size=SIZE, run_before=prepare(fixed_run()))


def test_main_screen_120x40(snap_compare):
    assert snap_compare(NNTrainApp(), terminal_size=WIDE, run_before=prepare(fixed_run()))


def test_main_screen_light_theme_80x24(snap_compare):
    assert snap_compare(NNTrainApp(), terminal_size=SIZE, run_before=prepare(fixed_run(), theme="textual-light"))


def test_invalid_fields_80x24(snap_compare):
    fields = {"hidden": "0", "lr": "-1"}
    assert snap_compare(NNTrainApp(), terminal_size=SIZE, run_before=prepare(fields=fields))


def test_overlaid_runs_120x40(snap_compare):
    assert snap_compare(NNTrainApp(), terminal_size=WIDE, run_before=prepare(*comparison_runs(), overlay=True))


def test_runs_tab_80x24(snap_compare):
    assert snap_compare(NNTrainApp(), terminal_size=SIZE, run_before=prepare(*comparison_runs(), tab="runs"))


def test_confusion_80x24(snap_compare):
    run = fixed_run(with_evaluation=True)
    assert snap_compare(NNTrainApp(), terminal_size=SIZE, run_before=prepare(run, tab="confusion"))


def test_samples_80x24(snap_compare):
    run = fixed_run(with_evaluation=True)
    assert snap_compare(NNTrainApp(), terminal_size=SIZE, press=["n", "m"], run_before=prepare(run, tab="samples"))
