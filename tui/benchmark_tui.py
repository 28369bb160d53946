"""Training speed inside the Textual app against the headless trainer, same config.

The app trains in a thread worker while its event loop polls the run buffer and
redraws charts; this measures what that costs per epoch. Runs alternate (headless,
app, headless, app) so machine noise hits both; the first epoch of each run is a
warm-up and is dropped.
"""

from __future__ import annotations

import asyncio
import statistics

from core import TrainConfig, Trainer, load_dataset


def _headless(config: TrainConfig, data) -> list[float]:
    trainer = Trainer(config, data)
    return [r.seconds for r in trainer.run()][1:]


def _in_app(config: TrainConfig) -> list[float]:
    from .app import NNTrainApp

    async def go():
        app = NNTrainApp(config, start=True)
        async with app.run_test(size=(120, 40)):
            await app.wait_for_run()
            return [r.seconds for r in app.current_run.trainer.history][1:]

    return asyncio.run(go())


def tui_overhead(hidden=(1000,), batch_size: int = 0, dtype: str = "float32", epochs: int = 5, rounds: int = 2) -> dict:
    """Median per-epoch seconds headless and in the app, on the bundled data."""
    config = TrainConfig(hidden=tuple(hidden), batch_size=batch_size, dtype=dtype, epochs=epochs + 1, lr=1e-3)
    data = load_dataset()
    cli, app = [], []
    for _ in range(rounds):
        cli += _headless(config, data)
        app += _in_app(config)
    c, a = statistics.median(cli), statistics.median(app)
    return {"batch": "full" if batch_size == 0 else batch_size, "cli_s": c, "app_s": a, "ratio": a / c,
            "samples": {"cli": cli, "app": app}}
