"""core.benchmark's train-eval measurement: what it reports, on a tiny run (timings are
measured by `nntrain bench`, never asserted)."""

from __future__ import annotations

import pytest

from core.benchmark import diagnostics_cost, train_eval_cost
from helpers import make_dataset


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_train_eval_cost_reports_seconds_and_their_share_of_an_epoch(dtype):
    r = train_eval_cost(make_dataset(), hidden=(8,), dtype=dtype, epochs=3)
    assert r["dtype"] == dtype
    assert len(r["samples"]["eval"]) == len(r["samples"]["epoch"]) == 3
    assert r["eval_s"] > 0 and r["epoch_s"] > 0
    assert r["percent"] == pytest.approx(100 * r["eval_s"] / r["epoch_s"])
    assert r["paired_q1"] <= r["paired_q3"]


def test_diagnostics_cost_pairs_epochs_with_and_without_the_probe():
    r = diagnostics_cost(make_dataset(), hidden=(8,), batch_size=16, epochs=3)
    assert r["batch"] == 16 and len(r["samples"]) == 3
    assert r["ratio"] > 0 and min(r["samples"]) <= r["ratio"] <= max(r["samples"])


def test_a_trainer_without_diagnostics_records_none_and_trains_the_same():
    from core.config import TrainConfig
    from core.trainer import Trainer
    from helpers import assert_params_identical, params_of

    config = TrainConfig(hidden=(8,), epochs=2, batch_size=16).validate()
    a, b = Trainer(config, make_dataset()), Trainer(config, make_dataset())
    b.disable_diagnostics()
    ra, rb = list(a.run()), list(b.run())
    assert ra[-1].diagnostics and rb[-1].diagnostics == {}
    assert_params_identical(params_of(a), params_of(b))
