"""Sweeps: the grid, the run folders and tables, resume, failures, the process pool."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.config import ConfigError
from core.datasets import DatasetError
from core.sweep import (
    FAILED,
    NOT_RUN,
    SweepError,
    blas_threads,
    execute_run,
    local_pool,
    parse_values,
    plan_sweep,
    run_sweep,
)
from helpers import write_npz_dataset
from tui.cli import main

SPLIT = "160,40"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_npz_dataset(tmp_path_factory.mktemp("data") / "tiny.npz", n=240)


def sweep_args(data: Path, out: Path, *extra: str) -> list[str]:
    return ["sweep", "--data", str(data), "--split", SPLIT, "--epochs", "2", "--out", str(out), "--quiet", *extra]


@pytest.fixture(scope="module")
def done_sweep(tmp_path_factory, data) -> tuple[Path, list[str]]:
    """A finished 2 x 2 sweep; tests that change it work on a copy."""
    out = tmp_path_factory.mktemp("sweeps") / "grid"
    args = sweep_args(data, out, "--hidden", "8,12", "--lr", "0.1,0.05", "--workers", "2")
    assert main(args) == 0
    return out, args


def copy_sweep(done_sweep, tmp_path) -> tuple[Path, list[str]]:
    out, args = done_sweep
    copy = tmp_path / "grid"
    shutil.copytree(out, copy)
    return copy, [str(copy) if a == str(out) else a for a in args]


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- the grid


def test_parse_values_follows_the_sweep_grammar(tmp_path, monkeypatch):
    assert parse_values("hidden", "100,500") == [(100,), (500,)]
    assert parse_values("hidden", "512x256, 64") == [(512, 256), (64,)]
    assert parse_values("lr", "0.1,1e-3") == [0.1, 0.001]
    assert parse_values("batch_size", "full,32") == [0, 32]
    assert parse_values("split", "100,50;0.6,0.2") == ["100,50", "0.6,0.2"]
    monkeypatch.chdir(tmp_path)
    assert parse_values("data", "bundled,x.npz") == ["bundled", str(tmp_path / "x.npz")]


@pytest.mark.parametrize(
    "name, text, error",
    [
        ("hidden", "100,100", SweepError),
        ("hidden", "100,abc", ConfigError),
        ("lr", "", SweepError),
        ("split", "100", DatasetError),
        ("nonsense", "1", SweepError),
    ],
)
def test_parse_values_rejects_bad_lists(name, text, error):
    with pytest.raises(error):
        parse_values(name, text)


def test_plan_is_the_cartesian_product_with_repeats_as_seeds():
    plan = plan_sweep({"hidden": [(8,), (16,)], "lr": [0.1, 0.05]}, repeats=2)
    assert len(plan.runs) == 8
    assert plan.varying == ("hidden", "lr", "seed")
    assert [r.name for r in plan.runs[:3]] == [
        "hidden=8_lr=0.1_seed=0", "hidden=8_lr=0.1_seed=1", "hidden=8_lr=0.05_seed=0",
    ]
    assert {r.config.seed for r in plan.runs} == {0, 1}
    assert plan.runs[0].group == plan.runs[1].group == "hidden=8_lr=0.1"
    assert plan.repeated
    assert plan.grid == {"hidden": ["8", "16"], "lr": ["0.1", "0.05"]}


def test_plan_names_only_what_varies():
    plan = plan_sweep({"hidden": [(512, 256), (64,)], "epochs": [3]})
    assert [r.name for r in plan.runs] == ["hidden=512x256", "hidden=64"]
    assert all(r.config.epochs == 3 for r in plan.runs)
    assert not plan.repeated
    assert [r.name for r in plan_sweep({"epochs": [3]}).runs] == ["run"]
    split_names = [r.name for r in plan_sweep({"split": ["100,50", "0.6,0.2"]}).runs]
    assert split_names == ["split=100-50", "split=0.6-0.2"]


def test_plan_with_seed_list_and_base_seed():
    plan = plan_sweep({"seed": [10, 20], "hidden": [(8,)]}, repeats=2)
    assert [r.config.seed for r in plan.runs] == [10, 11, 20, 21]
    with pytest.raises(SweepError, match="same config twice"):
        plan_sweep({"seed": [0, 1]}, repeats=2)
    with pytest.raises(SweepError):
        plan_sweep({"hidden": [(8,)]}, repeats=0)
    with pytest.raises(ConfigError):
        plan_sweep({"lr": [-1.0]})


# --------------------------------------------------------------------------- folders and tables


def test_sweep_writes_run_folders_and_tables_that_match_them(done_sweep):
    out, _ = done_sweep
    manifest = json.loads((out / "sweep.json").read_text())
    names = [r["name"] for r in manifest["runs"]]
    assert names == ["hidden=8_lr=0.1", "hidden=8_lr=0.05", "hidden=12_lr=0.1", "hidden=12_lr=0.05"]
    rows = read_csv(out / "results.csv")
    assert [r["run"] for r in rows] == names
    for row in rows:
        folder = out / row["run"]
        assert sorted(p.name for p in folder.iterdir()) == [
            "best.npz", "config.toml", "history.csv", "history.json", "model.npz",
        ]
        doc = json.loads((folder / "history.json").read_text())
        assert row["status"] == doc["status"] == "finished"
        assert row["error"] == ""
        assert int(row["best_epoch"]) == doc["best_epoch"]
        for prefix, key in (("final", "final"), ("best_loss", "best_valid_loss"), ("best_acc", "best_valid_acc")):
            point = doc["early_stopping_point"][key]
            assert int(row[f"{prefix}_epoch"]) == point["epoch"]
            for metric in ("train_loss", "valid_loss", "test_loss", "train_acc", "valid_acc", "test_acc"):
                assert float(row[f"{prefix}_{metric}"]) == point[metric], (row["run"], prefix, metric)
        best_loss = min(doc["history"], key=lambda r: r["valid_loss"])
        assert int(row["best_loss_epoch"]) == best_loss["epoch"]
        assert float(row["seconds"]) == pytest.approx(sum(r["seconds"] for r in doc["history"]))
        assert row["hidden"] == doc["config"]["hidden"][0].__str__()
    md = (out / "results.md").read_text()
    assert all(f"| {name}" in md for name in names)
    assert "lowest valid loss" in md
    assert not (out / "summary.csv").exists()


def test_run_folder_matches_a_train_run(done_sweep, data, tmp_path):
    out, _ = done_sweep
    assert main(["train", "--data", str(data), "--split", SPLIT, "--epochs", "2", "--hidden", "12",
                 "--lr", "0.05", "--quiet", "--out", str(tmp_path / "train")]) == 0
    swept = json.loads((out / "hidden=12_lr=0.05" / "history.json").read_text())
    trained = json.loads((tmp_path / "train" / "history.json").read_text())
    strip = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert strip(swept["history"]) == strip(trained["history"])
    assert swept["config"] == trained["config"]


def test_repeats_write_mean_and_std(data, tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(sweep_args(data, out, "--hidden", "8", "--repeats", "3", "--epochs", "1")) == 0
    rows = read_csv(out / "results.csv")
    assert [r["run"] for r in rows] == ["seed=0", "seed=1", "seed=2"]
    summary = read_csv(out / "summary.csv")
    assert len(summary) == 1 and summary[0]["runs"] == "3"
    values = [float(r["final_valid_acc"]) for r in rows]
    assert float(summary[0]["final_valid_acc_mean"]) == pytest.approx(np.mean(values))
    assert float(summary[0]["final_valid_acc_std"]) == pytest.approx(np.std(values, ddof=1))
    assert "Mean ± standard deviation" in (out / "results.md").read_text()
    printed = capsys.readouterr().out
    assert "mean ± std over seeds" in printed and "wall " in printed


# --------------------------------------------------------------------------- resume


def test_resume_reruns_only_missing_and_incomplete_runs(done_sweep, tmp_path, capsys):
    out, args = copy_sweep(done_sweep, tmp_path)
    shutil.rmtree(out / "hidden=8_lr=0.05")
    incomplete = out / "hidden=12_lr=0.1" / "history.json"
    doc = json.loads(incomplete.read_text())
    incomplete.write_text(json.dumps({**doc, "status": "running"}))
    kept = {name: (out / name / "history.json").stat().st_mtime_ns for name in ("hidden=8_lr=0.1", "hidden=12_lr=0.05")}
    capsys.readouterr()
    assert main(args) == 0
    for name, mtime in kept.items():
        assert (out / name / "history.json").stat().st_mtime_ns == mtime, f"{name} was rerun"
    assert json.loads(incomplete.read_text())["status"] == "finished"
    assert (out / "hidden=8_lr=0.05" / "model.npz").is_file()
    printed = capsys.readouterr().out
    assert "wall " in printed and "for 2 runs" in printed and "2 kept" in printed
    assert [r["status"] for r in read_csv(out / "results.csv")] == ["finished"] * 4


def test_rerun_with_a_different_grid_is_an_error(done_sweep, tmp_path, capsys):
    out, args = copy_sweep(done_sweep, tmp_path)
    changed = [a if a != "8,12" else "8,16" for a in args]
    assert main(changed) == 2
    err = capsys.readouterr().err
    assert "holds a different sweep" in err and len(err.strip().splitlines()) == 1


def test_out_must_be_a_sweep_folder_or_new(data, tmp_path, capsys):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    assert main(sweep_args(data, tmp_path / "busy", "--hidden", "8")) == 2
    assert "not a sweep folder" in capsys.readouterr().err


def test_interrupted_sweep_resumes(data, tmp_path):
    out = tmp_path / "int"
    plan = plan_sweep({"data": [str(data)], "split": [SPLIT], "epochs": [2], "hidden": [(8,), (9,), (10,)]})
    seen = []

    def ctrl_c_after_first(outcome):
        seen.append(outcome.run.name)
        raise KeyboardInterrupt

    result = run_sweep(plan, out, workers=1, on_outcome=ctrl_c_after_first)
    assert result.interrupted
    statuses = [r["status"] for r in read_csv(out / "results.csv")]
    assert statuses.count("finished") == 1 and statuses.count(NOT_RUN) == 2
    result = run_sweep(plan, out, workers=2)
    assert not result.interrupted
    assert sum(o.kept for o in result.outcomes) == 1 and len(result.ran) == 2
    assert [r["status"] for r in read_csv(out / "results.csv")] == ["finished"] * 3


# --------------------------------------------------------------------------- failures


def test_live_view_prints_a_line_per_run_then_the_table(data, tmp_path, capsys):
    args = [a for a in sweep_args(data, tmp_path / "live", "--hidden", "8,9") if a != "--quiet"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "sweep: 2 runs (varying hidden)" in printed
    assert "done     hidden=8: finished epoch 2" in printed and "done     hidden=9" in printed
    assert "| hidden=9 " in printed and "wall " in printed


def test_failing_run_is_reported_and_the_rest_finish(data, tmp_path, capsys):
    out = tmp_path / "fail"
    missing = tmp_path / "missing.npz"
    rc = main(sweep_args(data, out, "--hidden", "8", "--data", f"{data},{missing}", "--workers", "2"))
    assert rc == 1
    rows = {r["run"]: r for r in read_csv(out / "results.csv")}
    assert rows["data=tiny.npz"]["status"] == "finished"
    failed = rows["data=missing.npz"]
    assert failed["status"] == FAILED
    assert "no such file or directory" in failed["error"] and "\n" not in failed["error"]
    assert not (out / "data=missing.npz").exists()
    md = (out / "results.md").read_text()
    assert "| error" in md and "no such file" in md
    printed = capsys.readouterr().out
    assert "1 run failed" in printed


def crash_on_hidden_9(config: dict) -> dict:
    """A task that kills its worker process for hidden 9, as the OOM killer would."""
    if config["hidden"] == [9]:
        os._exit(3)
    return execute_run(config)


def test_a_killed_worker_fails_only_its_run(data, tmp_path):
    plan = plan_sweep({"data": [str(data)], "split": [SPLIT], "epochs": [2], "hidden": [(8,), (9,), (10,), (11,)]})
    result = run_sweep(plan, tmp_path / "crash", workers=2, task=crash_on_hidden_9)
    by_name = {o.run.name: o for o in result.outcomes}
    assert by_name["hidden=9"].status == FAILED
    assert "worker process died" in by_name["hidden=9"].error
    assert [by_name[f"hidden={h}"].status for h in (8, 10, 11)] == ["finished"] * 3
    assert (tmp_path / "crash" / "hidden=11" / "history.json").is_file()


def test_execute_run_returns_errors_as_text(tmp_path):
    payload = execute_run({"data": str(tmp_path / "nope.npz"), "hidden": [8], "epochs": 1})
    assert "nope.npz: no such file or directory" in payload["error"]
    assert "files" not in payload


def test_bad_sweep_options_exit_2(data, tmp_path, capsys):
    for extra in (["--repeats", "0"], ["--workers", "x"], ["--hidden", "8,8"], ["--lr", "fast"]):
        assert main(sweep_args(data, tmp_path / "bad", "--hidden", "8", *extra)) == 2
        err = capsys.readouterr().err
        assert err.startswith("nntrain sweep: error:") and len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------- the pool


def worker_blas(_config: dict) -> dict:
    from threadpoolctl import threadpool_info

    blas = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return {var: os.environ.get(var) for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")} | {
        "blas": blas
    }


def test_local_pool_splits_blas_threads_between_workers():
    pytest.importorskip("threadpoolctl", reason="threadpoolctl is in the test extras")
    before = dict(os.environ)
    expected = blas_threads(2)
    assert expected * 2 <= max(2, os.cpu_count() or 1)
    with local_pool(2) as pool:
        info = pool.submit(worker_blas, {}).result()
    assert info["OPENBLAS_NUM_THREADS"] == info["OMP_NUM_THREADS"] == info["MKL_NUM_THREADS"] == str(expected)
    assert info["blas"] and all(n == expected for n in info["blas"])
    assert dict(os.environ) == before
    assert blas_threads(1, cores=8) == 8 and blas_threads(3, cores=8) == 2 and blas_threads(16, cores=2) == 1


def test_core_sweep_loads_no_ui_or_cluster_library():
    code = (
        "import sys, core.sweep\n"
        "print(' '.join(m for m in ('dask', 'distributed', 'rich', 'matplotlib', 'textual', 'plotext') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --------------------------------------------------------------------------- live progress


def test_local_runs_report_their_epochs_before_their_outcome(data, tmp_path):
    plan = plan_sweep({"data": [str(data)], "split": [SPLIT], "epochs": [3], "hidden": [(8,), (12,)]})
    events = []
    result = run_sweep(
        plan, tmp_path / "live", workers=2,
        on_progress=lambda name, epoch, epochs, acc: events.append(("epoch", name, epoch, epochs, acc)),
        on_outcome=lambda outcome: events.append(("outcome", outcome.run.name)),
    )
    assert [o.status for o in result.outcomes] == ["finished", "finished"]
    for run in plan.runs:
        mine = [e for e in events if e[1] == run.name]
        epochs = [e[2] for e in mine if e[0] == "epoch"]
        # The first and the last epoch always go; the rate limit may drop the middle one.
        assert epochs[0] == 1 and epochs[-1] == 3 and epochs == sorted(set(epochs))
        assert all(e[3] == 3 and 0.0 <= e[4] <= 1.0 for e in mine if e[0] == "epoch")
        assert mine[-1] == ("outcome", run.name)
        history = json.loads((tmp_path / "live" / run.name / "history.json").read_text())["history"]
        last = [e for e in mine if e[0] == "epoch"][-1]
        assert last[4] == history[-1]["valid_acc"]


def test_progress_messages_are_rate_limited_but_keep_the_first_and_last_epoch(monkeypatch):
    from multiprocessing import Pipe

    from core.sweep import progress

    clock = [0.0]
    monkeypatch.setattr(progress, "monotonic", lambda: clock[0])
    got = []
    channel = progress.Channel(*Pipe(duplex=False), lambda *message: got.append(message))
    reader, writer = channel.reader, channel.writer

    reporter = progress.Reporter(writer, "hidden=8", 50)
    for epoch in range(1, 51):  # all within one instant
        reporter.epoch(epoch, 0.5)
    channel.drain()
    assert got == [("hidden=8", 1, 50, 0.5), ("hidden=8", 50, 50, 0.5)]

    got.clear()
    reporter = progress.Reporter(writer, "slow", 6)
    for epoch in range(1, 7):
        clock[0] += 1.25 / progress.RATE
        reporter.epoch(epoch, float("nan"))
    channel.drain()
    assert [g[1] for g in got] == [1, 2, 3, 4, 5, 6] and all(np.isnan(g[3]) for g in got)

    # A name too long for one atomic pipe write is not reported, and nothing breaks.
    progress.Reporter(writer, "x" * 600, 2).epoch(1, 0.5)
    channel.drain()
    assert len(got) == 6

    # Nor does a client that went away: the run just goes on unreported.
    reader.close()
    gone = progress.Reporter(writer, "orphan", 3)
    for epoch in range(1, 4):
        clock[0] += 1.0
        gone.epoch(epoch, 0.5)
    assert gone._gone


def test_other_executors_report_whole_runs_only(data, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    plan = plan_sweep({"data": [str(data)], "split": [SPLIT], "epochs": [2], "hidden": [(8,)]})
    calls = []

    def one_argument_task(config: dict) -> dict:  # as a cluster's task is called
        calls.append(config["hidden"])
        return execute_run(config)

    result = run_sweep(
        plan, tmp_path / "threads", open_executor=lambda n: ThreadPoolExecutor(n), task=one_argument_task,
        on_progress=lambda *event: pytest.fail(f"unexpected progress {event}"),
    )
    assert calls == [[8]] and result.outcomes[0].status == "finished"

    # A one-argument task in the local pool is called as before, with no progress.
    result = run_sweep(
        plan, tmp_path / "pool", task=crash_on_hidden_9,
        on_progress=lambda *event: pytest.fail(f"unexpected progress {event}"),
    )
    assert result.outcomes[0].status == "finished"


def test_the_live_view_counts_epochs_for_its_eta(capsys):
    from core.sweep import Outcome
    from tui.commands.sweep import RichView

    plan = plan_sweep({"epochs": [4], "lr": [0.1, 0.2, 0.3]})  # one network size: every epoch weighs 1
    fails, stops, kept = plan.runs
    view = RichView(plan, "out", None)
    with view.progress():
        view.start(2, 2)
        main_task = view.bar.tasks[0]
        assert main_task.total == 12
        view.outcome(Outcome(kept, status="finished", doc={"early_stopping_point": None}, kept=True))
        assert main_task.total == 8 and main_task.completed == 0  # a kept run is not work to do
        view.progress_of(fails.name, 1, 4, 0.5)
        view.progress_of(fails.name, 3, 4, 0.625)
        row = view.bar.tasks[1]
        assert main_task.completed == 3 and row.completed == 3 and row.fields["info"] == "epoch 3/4 valid 62.5%"
        view.outcome(Outcome(fails, status=FAILED, error="boom", seconds=1.0))
        # A run that ends early takes its skipped epoch off the total (it is no speed); its row goes.
        assert (main_task.completed, main_task.total) == (3, 7) and len(view.bar.tasks) == 1
        # A retried run starts again at epoch 1: its earlier epochs come off the count.
        view.progress_of(stops.name, 3, 4, 0.5)
        view.progress_of(stops.name, 1, 4, 0.5)
        assert main_task.completed == 4
        doc = {"early_stopping_point": None, "history": [{}, {}]}  # early-stopped after 2 epochs
        view.outcome(Outcome(stops, status="early_stopped", doc=doc, seconds=1.0))
        assert main_task.completed == main_task.total == 5 and main_task.fields["info"] == "2/2 runs done"
    printed = capsys.readouterr().out
    assert f"failed   {fails.name}: boom" in printed and f"kept     {kept.name}" in printed


def test_the_view_weighs_an_epoch_by_network_size():
    from tui.commands.sweep import RichView

    plan = plan_sweep({"epochs": [10], "hidden": [(100,), (200,)]})
    small, big = sorted(plan.runs, key=lambda run: run.config.hidden)
    view = RichView(plan, "out", None)
    with view.progress():
        view.start(2, 2)
        main_task = view.bar.tasks[0]
        view.progress_of(small.name, 1, 10, 0.5)
        one_small = main_task.completed
        view.progress_of(big.name, 1, 10, 0.5)
        # (784 x 200 + 200 x 10) / (784 x 100 + 100 x 10) multiply-adds per sample
        assert one_small == 1 and main_task.completed - one_small == pytest.approx(158800 / 79400)
        assert main_task.total == pytest.approx(10 + 10 * 158800 / 79400)


def test_the_view_counts_a_cluster_run_when_it_finishes(capsys):
    from core.sweep import Outcome
    from tui.commands.sweep import RichView

    plan = plan_sweep({"epochs": [4], "hidden": [(8,)]})
    view = RichView(plan, "out", "tcp://scheduler:8786")
    with view.progress():
        view.start(1, 1)
        doc = {"early_stopping_point": None, "history": [{}] * 4}
        view.outcome(Outcome(plan.runs[0], status="finished", doc=doc, seconds=1.0))
        main_task = view.bar.tasks[0]
        assert main_task.completed == main_task.total == 4
