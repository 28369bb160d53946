"""Save, open and continue runs; the confusion matrix and the sample viewer; start-up
time and the layout at 80x24 and larger."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from core import Trainer, load_dataset, read_run, write_run
from tui.app import NNTrainApp
from tui.run_buffer import FOLDER, MODEL
from tui.screens.path_prompt import PathPrompt
from tui.widgets.confusion_view import ConfusionView
from tui.widgets.runs_table import RunsTable
from tui.widgets.sample_viewer import SampleViewer, half_block_image
from tui_support import SIZE, async_test, finish_run, fixed_run, set_field, tiny_config, wait_until

RUN_FILES = {"model.npz", "best.npz", "history.csv", "history.json", "config.toml"}


async def answer_prompt(pilot, text: str) -> None:
    """Type a path into the open PathPrompt and press Enter."""
    await wait_until(lambda: isinstance(pilot.app.screen, PathPrompt), 5)
    field = pilot.app.screen.query_one("#prompt-input")
    field.value = text
    await pilot.press("enter")
    await pilot.pause()


@async_test
async def test_save_then_open_the_model_evaluate_and_continue_it(tiny_npz, tmp_path):
    out = tmp_path / "saved-run"
    app = NNTrainApp(tiny_config(tiny_npz, epochs=3))
    async with app.run_test(size=SIZE) as pilot:
        assert app.check_action("save", ()) is None  # nothing to save yet
        await pilot.press("ctrl+r")
        run = await finish_run(app, pilot)
        assert app.check_action("save", ())

        await pilot.press("ctrl+s")
        await answer_prompt(pilot, str(out))
        await wait_until(lambda: run.path == out, 10)
        assert RUN_FILES <= {p.name for p in out.iterdir()}
        assert str(out) in app.status.message
        record = read_run(out)  # the same files as `nntrain train --out`
        assert record.history == run.history and record.config == run.config

        # Escape closes the prompt without doing anything.
        await pilot.press("ctrl+o")
        await wait_until(lambda: isinstance(app.screen, PathPrompt), 5)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PathPrompt) and len(app.runs) == 1

        # Open the model: it is evaluated on its dataset and shown.
        await pilot.press("ctrl+o")
        await answer_prompt(pilot, str(out / "model.npz"))
        await wait_until(lambda: len(app.runs) == 2, 10)
        await pilot.pause()
        loaded = app.runs[-1]
        assert loaded.source == MODEL and app.shown_run is loaded
        assert loaded.history == run.history and loaded.best_epoch == run.best_epoch
        np.testing.assert_array_equal(loaded.evaluation.confusion, run.evaluation.confusion)
        assert app.query_one("TabbedContent").active == "confusion"
        assert app.check_action("continue", ())

        # Continue it: Epochs must go above what it has.
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert len(app.runs) == 2 and "Epochs above 3" in app.status.message
        await set_field(pilot, "epochs", "5")
        await pilot.press("ctrl+f")
        continued = await finish_run(app, pilot)
        assert continued is app.runs[-1] and len(app.runs) == 3
        assert continued.state == "finished" and [r.epoch for r in continued.history] == [1, 2, 3, 4, 5]
        assert continued.history[:3] == run.history


def _write_sweep(root, data_path, hidden_sizes):
    data = load_dataset(str(data_path), None)
    for h in hidden_sizes:
        trainer = Trainer(tiny_config(data_path, hidden=(h,), epochs=2), data)
        for _ in trainer.run():
            pass
        write_run(trainer, root / f"hidden-{h}")


@async_test
async def test_open_run_and_sweep_folders(tiny_npz, tmp_path):
    sweep = tmp_path / "sweep"
    _write_sweep(sweep, tiny_npz, (3, 6))
    (sweep / "notes").mkdir()  # not a run folder: skipped
    app = NNTrainApp(tiny_config(tiny_npz))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await answer_prompt(pilot, str(sweep))
        await wait_until(lambda: len(app.runs) == 2, 10)
        await pilot.pause()
        assert [r.source for r in app.runs] == [FOLDER, FOLDER]
        assert [r.config.hidden for r in app.runs] == [(3,), (6,)]
        assert app.query_one("TabbedContent").active == "runs"
        assert app.query_one(RunsTable).row_count == 2
        compare = app.query_one("#compare-acc")
        assert len(compare.series) == 2

        # One run folder on its own.
        await pilot.press("ctrl+o")
        await answer_prompt(pilot, str(sweep / "hidden-3"))
        await wait_until(lambda: len(app.runs) == 3, 10)

        # A path that is not there, and a folder without runs: one line each, nothing added.
        for bad in (tmp_path / "nowhere", sweep / "notes"):
            await pilot.press("ctrl+o")
            await answer_prompt(pilot, str(bad))
            await wait_until(lambda: str(bad) in app.status.message, 10)
            assert "\n" not in app.status.message and len(app.runs) == 3


@async_test
async def test_confusion_matrix_and_per_class_accuracy_after_a_run(tiny_npz):
    app = NNTrainApp(tiny_config(tiny_npz, epochs=3))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConfusionView)
        assert "No test-set evaluation yet" in str(view.content)
        await pilot.press("ctrl+r")
        run = await finish_run(app, pilot)
        confusion = run.evaluation.confusion
        assert confusion.shape == (3, 3) and confusion.sum() == len(run.data.y_test)
        text = app.query_one("#confusion-view").render()  # a rich Group
        assert text is not None
        acc = run.evaluation.per_class_accuracy
        assert np.all((acc >= 0) & (acc <= 1))
        # The sample viewer has the run's test images too.
        viewer = app.query_one(SampleViewer)
        assert viewer.samples is not None and len(viewer.samples.labels) == len(run.data.y_test)
        assert viewer.samples.shape == (8, 8)


@async_test
async def test_sample_viewer_keys_and_mistakes_filter():
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        run = app.add_run(fixed_run(with_evaluation=True), current=True)
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")
        await pilot.pause()
        viewer = app.query_one(SampleViewer)
        assert app.query_one("TabbedContent").active == "samples" and app.focused is viewer
        assert viewer.current_index == 0
        await pilot.press("n", "n", "right")
        assert viewer.current_index == 3
        await pilot.press("p", "left")
        assert viewer.current_index == 1
        await pilot.press("p", "p")
        assert viewer.current_index == len(run.data.y_test) - 1  # wraps around
        await pilot.press("m")
        wrong = np.flatnonzero(run.evaluation.predictions != run.data.y_test)
        assert viewer.mistakes_only and list(viewer.indices) == list(wrong)
        assert viewer.current_index in wrong
        await pilot.press("n")
        assert viewer.current_index in wrong
        await pilot.press("m")
        assert not viewer.mistakes_only and len(viewer.indices) == len(run.data.y_test)
        region = viewer.region
        assert region.right <= SIZE[0] and region.height >= 14 + 2


def test_half_block_image_two_pixel_rows_per_line():
    img = np.zeros((28, 28))
    img[0, 0] = 1.0  # top-left pixel white
    img[1, 1] = 0.5  # the pixel below-right of it mid grey
    text = half_block_image(img)
    lines = text.split("\n")
    assert len(lines) == 14 and all(line.plain == "▀" * 28 for line in lines)
    first = lines[0].spans
    assert first[0].style.color.triplet == (255, 255, 255) and first[0].style.bgcolor.triplet == (0, 0, 0)
    assert first[1].style.color.triplet == (0, 0, 0) and first[1].style.bgcolor.triplet == (128, 128, 128)
    assert len(half_block_image(np.zeros((7, 5))).split("\n")) == 4  # odd heights pad a black row


def test_app_opens_in_a_fresh_interpreter():
    """Process start to first frame works from a cold interpreter (imports included).
    How long it takes is measured by `nntrain bench` (start-up), not asserted here."""
    code = (
        "import time; t0 = time.perf_counter()\n"
        "from tui.app import NNTrainApp\n"
        "class A(NNTrainApp):\n"
        "    def on_ready(self):\n"
        "        self.exit(time.perf_counter() - t0)\n"
        "print(A().run(headless=True, size=(80, 24)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert float(out.stdout.strip().splitlines()[-1]) > 0


KEY_WIDGETS = {
    # The form's last rows and Start may need scrolling at 80x24 (checked below).
    "train": ("#form", "#field-data", "#loss-chart", "#acc-chart", "#epoch-log", "#chart-legend"),
    "runs": ("#runs-table", "#compare-loss", "#compare-acc"),
    "confusion": ("#confusion-scroll",),
    "samples": ("#samples-scroll",),
}
ALWAYS = ("#status", "#status-bar", "#status-state", "#status-message", "Footer")


async def _check_layout(app, pilot, size, tabs=tuple(KEY_WIDGETS)):
    width, height = size
    for tab in tabs:
        selectors = KEY_WIDGETS[tab]
        app.query_one("TabbedContent").active = tab
        await pilot.pause()
        for selector in selectors + ALWAYS:
            widget = app.query_one(selector)
            r = widget.region
            assert r.width > 0 and r.height > 0, (size, tab, selector, r)
            assert r.right <= width and r.bottom <= height, (size, tab, selector, r)
    # The whole form is reachable by scrolling, and Start at its end.
    app.query_one("TabbedContent").active = "train"
    await pilot.pause()
    app.query_one("#start").focus()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()  # focusing Start scrolls the form, animated
    start = app.query_one("#start").region
    assert start.bottom <= height - 3 and start.right <= width
    dtype = app.query_one("#field-dtype").region
    assert dtype.height > 0 and dtype.bottom <= start.y and dtype.right <= width


@async_test
async def test_layout_fits_80x24_and_resizes():
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        app.add_run(fixed_run(with_evaluation=True), current=True)
        await _check_layout(app, pilot, SIZE)
        assert app.query_one("#charts").region.height >= 8  # the charts are usable
        assert app.query_one("#epoch-log").region.height >= 5
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        await _check_layout(app, pilot, (200, 50), tabs=("train", "runs"))
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        await _check_layout(app, pilot, SIZE, tabs=("train",))


def test_every_action_has_a_key_and_a_description():
    actions = {b.action for b in NNTrainApp.BINDINGS}
    assert {"start", "pause", "resume", "stop", "save", "open", "continue", "overlay", "next_tab", "quit"} <= actions
    assert all(b.description and b.tooltip and b.id for b in NNTrainApp.BINDINGS)
    # They work with the focus in a form field, but for the printable keys (? and l), which
    # a form field must still be able to type.
    typed = [b for b in NNTrainApp.BINDINGS if len(b.key) == 1]
    assert {b.action for b in typed} == {"help", "log_scale"}
    assert all(b.priority for b in NNTrainApp.BINDINGS if b not in typed)
    assert not any(b.priority for b in typed)


@async_test
async def test_quick_tab_presses_settle_on_the_last_tab():
    # A focused widget activates its own tab: the focus that follows a tab switch must
    # not come from a stale switch, or two tabs would take turns for ever.
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        app.add_run(fixed_run())
        for _ in range(3):  # as fast as keys arriving in one read
            app.action_next_tab()
        await pilot.pause()
        seen = set()
        for _ in range(10):
            await pilot.pause(0.02)
            seen.add(app.main_screen.tabs.active)
        assert seen == {"samples"}
        assert isinstance(app.focused, SampleViewer)
