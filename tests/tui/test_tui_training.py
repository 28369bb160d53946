"""Training from the app on a tiny dataset: a full run, pause / resume / stop, a second
run overlaid, divergence, a dataset that fails to load, quitting mid-run, and the
headless entry point the benchmark uses."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np

from core import FINAL_STATES
from tui.app import NNTrainApp
from tui.widgets.epoch_log import EpochLog
from tui.widgets.metric_chart import MetricChart
from tui.widgets.runs_table import RunsTable
from tui_support import SIZE, async_test, finish_run, set_field, tiny_config, wait_for_run, wait_until


@async_test
async def test_full_run_from_start_to_finished(tiny_npz):
    app = NNTrainApp(tiny_config(tiny_npz, epochs=4))
    async with app.run_test(size=SIZE) as pilot:
        assert app.check_action("start", ()) and app.check_action("stop", ()) is None
        await pilot.press("ctrl+r")
        run = await finish_run(app, pilot)
        assert run.state == "finished" and app.status.state == "finished"
        assert [r.epoch for r in run.history] == [1, 2, 3, 4]
        assert run.trainer.history == run.history
        assert run.trainer.x_train is None  # a finished run keeps its trainer, not its data copy
        # The log: one row per epoch, the best-valid row marked.
        log = app.query_one(EpochLog)
        assert log.row_count == 4
        best_row = log.get_row(str(run.best_epoch))
        assert best_row[0].plain.endswith("*")
        assert all(not log.get_row(str(e))[0].plain.endswith("*") for e in range(1, 5) if e != run.best_epoch)
        # The charts: train/valid/test curves with the best epoch marked.
        chart = app.query_one("#loss-chart", MetricChart)
        assert [s.label for s in chart.series] == ["train", "valid", "test"]
        assert chart.series[1].ys == [r.valid_loss for r in run.history]
        assert chart.best_epoch == run.best_epoch
        # The runs table and the test-set diagnostics.
        assert app.query_one(RunsTable).row_count == 1
        assert run.evaluation is not None and run.evaluation.confusion.sum() == len(run.data.y_test)
        assert "epoch 4 of 4" in str(app.query_one("#status-text").content)
        # Start applies again; Stop and Pause do not.
        assert app.check_action("start", ()) and app.check_action("stop", ()) is None
        assert app.check_action("pause", ()) is None


@async_test
async def test_pause_resume_and_stop(tiny_npz):
    app = NNTrainApp(tiny_config(tiny_npz, epochs=100_000, batch_size=4, hidden=(16,)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(lambda: app.current_run is not None and len(app.current_run.history) >= 2)
        run = app.current_run
        assert app.status.state == "running" or app.run_state == "running"

        # Responsiveness (how late the event loop wakes while training) is measured by
        # `nntrain bench --tui`, not asserted here: timings flake on a shared machine.
        await pilot.press("ctrl+z")
        assert run.state == "paused" and app.run_state == "paused"
        await wait_until(lambda: run.trainer.status == "paused", 5)
        frozen = len(run.trainer.history)
        await asyncio.sleep(0.3)
        assert len(run.trainer.history) == frozen  # really paused
        assert app.check_action("resume", ()) and app.check_action("pause", ()) is False

        await pilot.press("ctrl+z")
        assert run.state == "running"
        await wait_until(lambda: len(run.trainer.history) > frozen + 1, 10)

        # Stop while paused: the pause ends and the run stops at a batch boundary.
        await pilot.press("ctrl+z")
        await pilot.press("ctrl+t")
        await finish_run(app, pilot, 10)
        assert run.state == "stopped" and app.status.state == "stopped"
        # A consistent state: history, log and weights are those of the last completed epoch.
        assert len(run.history) == run.trainer.epoch == len(run.trainer.history)
        assert app.query_one(EpochLog).row_count == len(run.history)
        assert run.trainer.network.all_finite()
        assert app.check_action("start", ())


@async_test
async def test_second_run_is_kept_and_overlaid(tiny_npz):
    app = NNTrainApp(tiny_config(tiny_npz, epochs=3, hidden=(4,)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        first = await finish_run(app, pilot)
        await set_field(pilot, "hidden", "12")
        await set_field(pilot, "epochs", "5")
        await pilot.press("ctrl+r")
        second = await finish_run(app, pilot)
        assert second is not first and app.runs == [first, second]
        assert second.config.hidden == (12,) and len(second.history) == 5
        assert app.shown_run is second

        table = app.query_one(RunsTable)
        assert table.row_count == 2
        row = [c.plain for c in table.get_row("1")]
        assert row[1] == "4" and row[6] == "finished"
        assert row[7].endswith("%") and row[8] == str(first.best_epoch) and row[9].endswith("%")

        # Overlay: the Train charts add the first run's valid curve.
        acc = app.query_one("#acc-chart", MetricChart)
        assert len(acc.series) == 3
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert app.overlay and [s.label for s in acc.series][0] == first.label
        assert acc.series[0].ys == [100 * r.valid_acc for r in first.history]
        # The Runs tab compares every run's valid curve.
        compare = app.query_one("#compare-acc", MetricChart)
        assert {s.label for s in compare.series} == {first.label, second.label}

        # Highlighting the first run in the table shows its curves and log.
        app.query_one("TabbedContent").active = "runs"
        await pilot.pause()
        table.focus()
        await pilot.press("up")
        await pilot.pause()
        assert app.shown_run is first
        assert app.query_one(EpochLog).row_count == 3
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "train"
        assert app.query_one("#loss-chart", MetricChart).series[-1].ys == [r.test_loss for r in first.history]


@async_test
async def test_divergence_ends_in_diverged_and_the_app_stays_usable(tiny_npz):
    app = NNTrainApp(tiny_config(tiny_npz, lr=10.0, batch_size=0, reduction="sum", epochs=20))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        run = await finish_run(app, pilot)
        assert run.state == "diverged" and app.status.state == "diverged"
        assert "diverged" in run.message
        assert run.message in app.status.message
        assert app.check_action("start", ())
        # Usable: a sane run afterwards finishes.
        await set_field(pilot, "lr", "0.05")
        await set_field(pilot, "batch_size", "32")
        await pilot.press("ctrl+r")
        run = await finish_run(app, pilot)
        assert run.state == "finished"


@async_test
async def test_dataset_that_fails_to_load_shows_one_line_and_app_keeps_running(tiny_npz, tmp_path):
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"this is not a zip archive")
    app = NNTrainApp(tiny_config(bad))
    async with app.run_test(size=SIZE) as pilot:
        assert app.form.is_valid  # the path exists: only loading it can tell
        await pilot.press("ctrl+r")
        # Wait for the failure itself: the status line names the file while it loads too.
        await wait_until(lambda: "broken.npz" in app.form.field_error("data"), 10)
        await pilot.pause()
        message = app.status.message
        assert "\n" not in message and "broken.npz" in message
        assert "broken.npz" in app.form.field_error("data")
        assert app.runs == [] and app.status.state == "idle"
        assert app.check_action("start", ())
        # Pointing the field at good data clears the mark and trains.
        await set_field(pilot, "data", str(tiny_npz))
        await pilot.press("ctrl+r")
        run = await finish_run(app, pilot)
        assert run.state == "finished" and app.form.field_error("data") == ""


@async_test
async def test_quitting_during_a_run_stops_the_worker_cleanly(tiny_npz):
    app = NNTrainApp(tiny_config(tiny_npz, epochs=100_000, batch_size=4))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(lambda: app.current_run is not None and len(app.current_run.history) >= 1)
        run = app.current_run
        await pilot.press("ctrl+q")
        await wait_until(lambda: not any(w.is_running for w in app.workers), 10)
    assert run.trainer.status == "stopped"
    assert len(run.trainer.history) == run.trainer.epoch
    assert not [t for t in threading.enumerate() if t.name.startswith("train")]


@async_test
async def test_headless_start_for_the_benchmark(tiny_npz):
    """The documented entry point: NNTrainApp(config, start=True), then wait while app.training."""
    app = NNTrainApp(tiny_config(tiny_npz, epochs=3), start=True)
    async with app.run_test(size=SIZE):
        run = await wait_for_run(app, timeout=30)
        trainer = app.current_run.trainer
    assert run is app.current_run and trainer.status in FINAL_STATES
    seconds = [r.seconds for r in trainer.history]
    assert len(seconds) == 3 and all(s > 0 for s in seconds)


@async_test
async def test_start_true_with_an_invalid_prefill_does_not_hang(tiny_npz):
    app = NNTrainApp(tiny_config(tiny_npz).replace(data=str(tiny_npz) + ".missing"), start=True)
    async with app.run_test(size=SIZE):
        assert await wait_for_run(app, timeout=10) is None
        assert app.runs == []


@async_test
async def test_no_color_and_light_theme(tiny_npz, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = NNTrainApp(tiny_config(tiny_npz, epochs=2))
    async with app.run_test(size=SIZE) as pilot:
        assert app.no_color
        app.theme = "textual-light"
        await pilot.press("ctrl+r")
        run = await finish_run(app, pilot)
        assert run.state == "finished"
        for tab in ("runs", "confusion", "samples", "train"):
            app.query_one("TabbedContent").active = tab
            await pilot.pause()
        # The best row is marked with a character, not only a colour.
        assert app.query_one(EpochLog).get_row(str(run.best_epoch))[0].plain.endswith("*")


def test_chart_downsamples_long_histories():
    from tui.widgets.metric_chart import downsample
    from tui_support import fixed_history

    history = fixed_history(1000)
    kept = downsample(history, 150, keep=437)
    assert len(kept) <= 152 and kept[0].epoch == 1 and kept[-1].epoch == 1000
    assert any(r.epoch == 437 for r in kept)
    assert [r.epoch for r in kept] == sorted(r.epoch for r in kept)
    assert downsample(history[:20], 150) == history[:20]


def test_run_buffer_hands_over_each_record_once():
    from tui.run_buffer import RunBuffer
    from tui_support import fixed_history

    buffer = RunBuffer()
    records = fixed_history(50)

    def worker():
        for r in records:
            buffer.append(r, r.epoch)

    thread = threading.Thread(target=worker)
    taken = []
    thread.start()
    while thread.is_alive() or len(taken) < len(records):
        taken += [r for r, _ in buffer.take_new()]
    thread.join()
    assert taken == records and buffer.take_new() == []
    assert np.isclose(sum(r.seconds for r in taken), 25.0)


@async_test
async def test_app_shortens_the_gil_switch_interval_while_it_runs(tiny_npz):
    # The worker's many short NumPy calls each retake the GIL; the app shortens the
    # wait for it while mounted and puts the interpreter's setting back afterwards.
    import sys

    from tui.redraw import SWITCH_INTERVAL

    before = sys.getswitchinterval()
    assert before != SWITCH_INTERVAL
    app = NNTrainApp(tiny_config(tiny_npz, epochs=2))
    async with app.run_test(size=SIZE):
        assert sys.getswitchinterval() == SWITCH_INTERVAL
    assert sys.getswitchinterval() == before


@async_test
async def test_loading_progress_and_dataset_warnings_reach_the_status_line(tiny_npz, monkeypatch):
    # The loader reports progress and returns warnings (the formats helper implements
    # both in core); a stand-in loader checks what the app does with them.
    import dataclasses

    import tui.session
    from core import load_dataset

    release = threading.Event()

    def slow_loader(path, split=None, progress=None, preprocess=None):
        for done in range(1, 4200):
            progress(done, 18724, "decoding images")
        time.sleep(0.3)  # longer than the throttle's interval: the next report gets through
        progress(4200, 18724, "decoding images")
        release.wait(10)
        data = load_dataset(path, split)
        return dataclasses.replace(data, warnings=("2 unreadable files skipped", "class 'c' has no test images"))

    monkeypatch.setattr(tui.session, "load_dataset", slow_loader)
    # Long enough that the run's end does not replace the status line before it is read.
    app = NNTrainApp(tiny_config(tiny_npz, epochs=100_000, batch_size=4))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(lambda: "decoding images 4200/18724" in app.status.message, 10)
        assert f"loading {tiny_npz.name}: decoding images 4200/18724" in app.status.message
        release.set()
        await wait_until(lambda: "2 unreadable files skipped" in app.status.message, 10)
        assert "class 'c' has no test images" in app.status.message
        toasts = [(n.message, n.severity) for n in app._notifications]
        assert ("2 unreadable files skipped", "warning") in toasts
        assert ("class 'c' has no test images", "warning") in toasts
        await pilot.press("ctrl+t")
        run = await finish_run(app, pilot)
        assert run.state == "stopped" and run.data.warnings


def test_progress_throttle_passes_a_few_reports_and_always_the_last():
    from tui.redraw import ProgressThrottle

    sent = []
    throttle = ProgressThrottle(lambda *report: sent.append(report), seconds=3600)
    for done in range(1, 1001):
        throttle(done, 1000, "decoding images")
    assert sent == [(1, 1000, "decoding images"), (1000, 1000, "decoding images")]


@async_test
async def test_a_finished_run_is_evaluated_with_the_trainers_result_network(tiny_npz, monkeypatch):
    # Issue 13: trainer.result_network() gives the weights the run's result uses; the
    # app evaluates those (and trainer.network while the method does not exist).
    import tui.session
    from core import Trainer

    used = []
    real_evaluate = tui.session.evaluate

    def spy(network, x, y):
        used.append(network)
        return real_evaluate(network, x, y)

    sentinel_calls = []

    def result_network(self):
        sentinel_calls.append(self)
        return self.network

    monkeypatch.setattr(tui.session, "evaluate", spy)
    monkeypatch.setattr(Trainer, "result_network", result_network, raising=False)
    app = NNTrainApp(tiny_config(tiny_npz, epochs=2))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        run = await finish_run(app, pilot)
    assert sentinel_calls == [run.trainer] and used == [run.trainer.network]
    assert run.evaluation is not None


def test_session_and_redraw_modules_do_not_import_textual():
    """The session model and the throttles are plain Python: testable and reusable
    without a terminal (the same rule as core's)."""
    import subprocess
    import sys

    code = "import sys, tui.session, tui.redraw, tui.run_buffer; print('textual' in sys.modules, 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "False"]
