"""The help screen (every key, read from the bindings) and the loss chart's log scale."""

from __future__ import annotations

import dataclasses
import re

from textual.geometry import Region
from textual.keys import format_key

from tui.app import NNTrainApp
from tui.bindings import APP_BINDINGS
from tui.screens.help_screen import HelpScreen
from tui.widgets.sample_viewer import SampleViewer
from tui_support import SIZE, async_test, fixed_run


def focus_tabs(app) -> None:
    app.main_screen.query_one("#tabs Tabs").focus()


def help_text(screen: HelpScreen) -> str:
    """Everything the help lists, scrolled or not (each group's rendered table)."""
    groups = screen.query(".help-group")
    lines = []
    for group in groups:
        strips = group.render_lines(Region(0, 0, group.size.width, group.size.height))
        lines.extend(strip.text for strip in strips)
    return "\n".join(lines)


def keys_of(bindings) -> set[str]:
    return {format_key(key.strip()) for binding in bindings for key in binding.key.split(",")}


def listed_keys(text: str) -> set[str]:
    """The keys in the help's first column: each row starts with them, comma-separated."""
    keys = set()
    for line in text.splitlines():
        match = re.match(r"\s*(\S+(?:, \S+)*)\s{2,}", line)
        if match:
            keys.update(match.group(1).split(", "))
    return keys


@async_test
async def test_question_mark_opens_the_help_with_every_key_and_escape_closes_it():
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        app.add_run(fixed_run(), current=True)
        focus_tabs(app)  # not a text field: there "?" would be typed
        await pilot.press("?")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = help_text(app.screen)
        listed = listed_keys(text)
        assert keys_of(APP_BINDINGS) <= listed, keys_of(APP_BINDINGS) - listed
        assert keys_of(SampleViewer.BINDINGS) <= listed, keys_of(SampleViewer.BINDINGS) - listed
        for binding in APP_BINDINGS + SampleViewer.BINDINGS:
            assert binding.description in text
        assert "Samples tab" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert app.screen is app.main_screen


@async_test
async def test_f1_opens_the_help_from_a_text_field_and_it_fits_80x24():
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        app.form.input("lr").focus()
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        box, scroll = screen.query_one("#help"), screen.query_one("#help-scroll")
        assert box.region.x >= 0 and box.region.right <= SIZE[0]
        assert box.region.y >= 0 and box.region.bottom <= SIZE[1]
        assert scroll.max_scroll_x == 0  # nothing wider than the screen
        for group in screen.query(".help-group"):
            assert group.region.width <= SIZE[0]
        # More keys than 24 rows hold: it scrolls, and the last group can be reached.
        assert scroll.max_scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
        assert screen.query(".help-group").last().region.bottom <= box.region.bottom
        await pilot.press("f1")  # f1 closes it again, as do q and ?
        await pilot.pause()
        assert app.screen is app.main_screen
        assert app.form.input("lr").has_focus
        for key in ("q", "?"):
            focus_tabs(app)
            await pilot.press("?")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is app.main_screen


@async_test
async def test_question_mark_in_a_text_field_is_typed_not_help():
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        field = app.form.input("data")
        field.focus()
        field.value = ""
        await pilot.press("?", "l")
        await pilot.pause()
        assert app.screen is app.main_screen
        assert field.value == "?l"
        assert not app.main_screen.loss_chart.log_scale


def decades_run():
    """A run whose losses fall from about 2 to about 0.002: three decades."""
    run = fixed_run()
    run.history = [
        dataclasses.replace(r, train_loss=2.0 * 10 ** (-3 * i / 19), valid_loss=2.5 * 10 ** (-2.5 * i / 19),
                            test_loss=2.6 * 10 ** (-2.5 * i / 19))
        for i, r in enumerate(run.history)
    ]
    return run


def y_tick_labels(chart) -> list[str]:
    """The numbers left of the plot's frame, top to bottom."""
    rows = [strip.text for strip in chart._strips()]
    return [m.group(1) for row in rows if (m := re.match(r"\s*([-0-9.e+]+)\s*┤", row))]


@async_test
async def test_l_toggles_the_loss_chart_log_scale_and_back():
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        app.add_run(decades_run(), current=True)
        focus_tabs(app)
        await pilot.pause()
        chart = app.main_screen.loss_chart
        assert chart.log_scale is False  # off by default
        linear = y_tick_labels(chart)
        title = chart._strips()[0].text
        assert "log" not in title
        version = chart._version

        await pilot.press("l")
        await pilot.pause()
        assert chart.log_scale is True
        assert chart._version > version  # the watcher replotted
        logged = y_tick_labels(chart)
        assert len(logged) >= 3 and logged != linear
        # Log ticks are spaced by ratio: the top label over the bottom one spans decades.
        assert float(logged[0]) / float(logged[-1]) > 100
        assert "log" in chart._strips()[0].text
        assert app.main_screen.acc_chart.log_scale is False  # only the loss chart

        await pilot.press("l")
        await pilot.pause()
        assert chart.log_scale is False
        assert y_tick_labels(chart) == linear
        assert "log" not in chart._strips()[0].text


@async_test
async def test_log_scale_leaves_out_points_a_log_axis_cannot_place():
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        run = decades_run()
        run.history[3] = dataclasses.replace(run.history[3], train_loss=0.0, valid_loss=float("nan"))
        app.add_run(run, current=True)
        focus_tabs(app)
        await pilot.press("l")
        await pilot.pause()
        chart = app.main_screen.loss_chart
        assert chart.log_scale and len(y_tick_labels(chart)) >= 3  # drawn, not a traceback
        # Nothing a log axis can place: the empty frame (as before any run), not a traceback.
        nothing = fixed_run()
        nothing.history = [dataclasses.replace(r, train_loss=0.0, valid_loss=0.0, test_loss=-1.0) for r in nothing.history]
        app.add_run(nothing, current=True)
        await pilot.pause()
        rows = [strip.text for strip in chart._strips()]
        assert chart.log_scale and "log" in rows[0] and "┌" in rows[1] and not y_tick_labels(chart)
