"""core.benchmark's train-eval measurement: what it reports, on a tiny run (timings are
measured by `nntrain bench`, never asserted)."""

from __future__ import annotations

import pytest

from core.benchmark import train_eval_cost
from helpers import make_dataset


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_train_eval_cost_reports_seconds_and_their_share_of_an_epoch(dtype):
    r = train_eval_cost(make_dataset(), hidden=(8,), dtype=dtype, epochs=3)
    assert r["dtype"] == dtype
    assert len(r["samples"]["eval"]) == len(r["samples"]["epoch"]) == 3
    assert r["eval_s"] > 0 and r["epoch_s"] > 0
    assert r["percent"] == pytest.approx(100 * r["eval_s"] / r["epoch_s"])
    assert r["paired_q1"] <= r["paired_q3"]
