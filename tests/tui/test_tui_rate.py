"""The live learning-rate prompt (ctrl+e) and the diagnostics' warnings in the app."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Input, Label

from tui.app import NNTrainApp
from tui.screens.rate_prompt import RatePrompt
from tui.widgets.epoch_log import EpochLog
from tui_support import SIZE, async_test, finish_run, fixed_run, tiny_config, wait_until


@async_test
async def test_ctrl_e_changes_the_live_rate_between_batches_and_records_it(tiny_npz):
    app = NNTrainApp(tiny_config(tiny_npz, epochs=100_000, batch_size=4, hidden=(16,), lr=0.05, momentum=0.9))
    async with app.run_test(size=SIZE) as pilot:
        assert app.check_action("rate", ()) is None  # nothing trains yet
        await pilot.press("ctrl+r")
        await wait_until(lambda: app.current_run is not None and len(app.current_run.history) >= 1)
        run = app.current_run
        await pilot.press("ctrl+e")
        await wait_until(lambda: isinstance(app.screen, RatePrompt), 5)
        prompt = app.screen
        assert prompt.query_one("#rate-lr", Input).value == "0.05"
        prompt.query_one("#rate-lr", Input).value = "0"
        await pilot.press("enter")
        assert isinstance(app.screen, RatePrompt)  # refused, with the reason
        assert "Learn rate" in str(prompt.query_one("#rate-error", Label).content)
        prompt.query_one("#rate-lr", Input).value = "0.002"
        prompt.query_one("#rate-momentum", Input).value = "0.5"
        await pilot.press("enter")
        await wait_until(lambda: not isinstance(app.screen, RatePrompt), 5)
        await wait_until(lambda: len(run.trainer.config.events) == 2, 10)
        (epoch, batch, name, value), (_, _, name2, value2) = run.trainer.config.events
        assert (name, value, name2, value2) == ("lr", 0.002, "momentum", 0.5)
        assert epoch >= 2 and batch >= 0
        await wait_until(lambda: len(run.trainer.history) > epoch, 10)
        assert run.trainer.optimizer.lr == 0.002 and run.trainer.optimizer.momentum == 0.5
        assert "from the next mini-batch" in app.status.message
        await pilot.press("ctrl+t")
        await finish_run(app, pilot, 10)
        assert run.trainer.config.to_dict()["events"][0] == {"epoch": epoch, "batch": batch, "lr": 0.002}


@async_test
async def test_adam_offers_no_momentum(tiny_npz):
    app = NNTrainApp(tiny_config(tiny_npz, epochs=100_000, batch_size=4, optimizer="adam", lr=0.001))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(lambda: app.current_run is not None and app.current_run.trainer is not None
                         and len(app.current_run.history) >= 1)
        await pilot.press("ctrl+e")
        await wait_until(lambda: isinstance(app.screen, RatePrompt), 5)
        assert not app.screen.query("#rate-momentum")
        await pilot.press("escape")
        await wait_until(lambda: not isinstance(app.screen, RatePrompt), 5)
        await pilot.press("ctrl+t")
        await finish_run(app, pilot, 10)
        assert app.current_run.trainer.config.events == ()


@async_test
async def test_warned_epochs_are_marked_in_the_log():
    run = fixed_run(epochs=5)
    calm = dict(W0_norm=1.0, W0_grad_norm=1.0, W0_update_ratio=1e-3, W1_norm=1.0, W1_grad_norm=1.0,
                W1_update_ratio=1e-3, h0_dead=0.1)
    run.history = [replace(r, diagnostics={**calm, "h0_dead": 0.8 if r.epoch == 4 else 0.1}) for r in run.history]
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        app.add_run(run, current=True)
        await pilot.pause()
        log = app.query_one(EpochLog)
        marks = {e: log.get_row(str(e))[0].plain[-1] for e in range(1, 6)}
        assert marks[4] == "!" and all(marks[e] in " *" for e in (1, 2, 3, 5))
