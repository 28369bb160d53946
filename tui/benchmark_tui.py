"""Training speed inside the Textual app against the headless trainer, same config.

The app trains in a thread worker while its event loop polls the run buffer and
redraws charts; this measures what that costs per epoch. Runs alternate (headless,
app, headless, app) so machine noise hits both; the first epoch of each run is a
warm-up and is dropped.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from core import TrainConfig, Trainer, load_dataset


def _headless(config: TrainConfig, data) -> list[float]:
    trainer = Trainer(config, data)
    return [r.seconds for r in trainer.run()][1:]


def _in_app(config: TrainConfig, size: tuple[int, int]) -> tuple[list[float], list[float]]:
    """Epoch seconds in the app, and how late the event loop woke from 5 ms sleeps while
    training ran: the delay a key press would see."""
    from .app import NNTrainApp

    async def go():
        app = NNTrainApp(config, start=True)
        lags: list[float] = []
        async with app.run_test(size=size):
            while app.training:  # a run starts just after the first refresh, then trains
                t = time.perf_counter()
                await asyncio.sleep(0.005)
                lags.append(time.perf_counter() - t - 0.005)
            return [r.seconds for r in app.current_run.trainer.history][1:], lags

    return asyncio.run(go())


def tui_overhead(hidden=(1000,), batch_size: int = 0, dtype: str = "float32", epochs: int = 5, rounds: int = 2,
                 size: tuple[int, int] = (120, 40)) -> dict:
    """Median per-epoch seconds headless and in the app, on the bundled data."""
    config = TrainConfig(hidden=tuple(hidden), batch_size=batch_size, dtype=dtype, epochs=epochs + 1, lr=1e-3)
    data = load_dataset()
    cli, app, lags = [], [], []
    for _ in range(rounds):
        cli += _headless(config, data)
        seconds, lag = _in_app(config, size)
        app += seconds
        lags += lag
    c, a = statistics.median(cli), statistics.median(app)
    lags.sort()
    return {
        "batch": "full" if batch_size == 0 else batch_size, "size": f"{size[0]}x{size[1]}",
        "cli_s": c, "app_s": a, "ratio": a / c,
        "key_lag_ms": {"p50": 1000 * lags[len(lags) // 2], "p99": 1000 * lags[int(len(lags) * 0.99)], "max": 1000 * lags[-1]},
        "samples": {"cli": cli, "app": app},
    }
