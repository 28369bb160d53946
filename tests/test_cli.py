"""The headless CLI end to end: `nntrain train`, `evaluate` and `gradcheck` on tiny .npz
files, in-process through `tui.cli.main` and as real subprocesses; every bad input
exits 2 with one line on stderr; Ctrl+C leaves a loadable, resumable checkpoint."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import build_config, load_checkpoint, load_dataset
from core.diagnostics import columns
from core.trainer import HISTORY_COLUMNS
from helpers import history_rows, write_npz_dataset
from tui.cli import main

ROOT = Path(__file__).resolve().parents[1]
# One hidden layer: two weight layers' diagnostic columns (core.diagnostics) follow.
HEADER = ",".join(("epoch,train_loss,train_acc,valid_loss,valid_acc,test_loss,test_acc,lr,seconds,"
                   "train_loss_running,train_acc_running", *columns(2)))
RUN_FILES = ("history.csv", "history.json", "model.npz", "best.npz", "config.toml")


def cli(*argv) -> int:
    """`nntrain ARGV` in-process; argparse's SystemExit becomes a return code."""
    try:
        return main([str(a) for a in argv])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1


def train_args(data: Path, out: Path, *extra) -> list:
    return ["train", "--data", data, "--hidden", "8", "--epochs", "3", "--batch-size", "16", "--lr", "0.1",
            "--out", out, *extra]


def history_of(run: Path) -> list[dict]:
    return json.loads((run / "history.json").read_text())["history"]


def subprocess_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("COLUMNS", None)
    return env


@pytest.fixture
def trained_run(npz_data, tmp_path, capsys):
    """(folder, stdout) of a finished 3-epoch run."""
    out = tmp_path / "run"
    assert cli(*train_args(npz_data, out)) == 0
    return out, capsys.readouterr().out


@pytest.fixture
def run_dir(trained_run):
    return trained_run[0]


# --------------------------------------------------------------------------- train --out


def test_train_writes_the_run_folder(run_dir):
    for name in RUN_FILES:
        assert (run_dir / name).is_file(), name

    lines = (run_dir / "history.csv").read_text().splitlines()
    assert lines[0] == HEADER
    rows = list(csv.DictReader(lines))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    for r in rows:
        for key in ("train_acc", "valid_acc", "test_acc"):
            assert 0.0 <= float(r[key]) <= 1.0
        for key in ("train_loss", "valid_loss", "test_loss", "lr", "seconds"):
            assert np.isfinite(float(r[key]))
        assert float(r["lr"]) == 0.1

    doc = json.loads((run_dir / "history.json").read_text())
    assert doc["status"] == "finished"
    assert len(doc["history"]) == 3
    assert [tuple(r) for r in doc["history"]] == [HISTORY_COLUMNS + columns(2)] * 3
    for r_csv, r_json in zip(rows, doc["history"]):
        for key in HISTORY_COLUMNS[1:] + columns(2):
            if key != "seconds":
                assert float(r_csv[key]) == pytest.approx(r_json[key], rel=1e-5)

    model = load_checkpoint(run_dir / "model.npz")
    best = load_checkpoint(run_dir / "best.npz")
    assert [r.to_dict() for r in model.history] == doc["history"]
    assert best.meta["kind"] == "best"
    assert build_config(file=run_dir / "config.toml") == model.config
    assert model.config.hidden == (8,) and model.config.epochs == 3 and model.config.lr == 0.1


def test_train_prints_final_and_best_accuracies_last(trained_run):
    run_dir, stdout = trained_run
    lines = stdout.strip().splitlines()
    doc = json.loads((run_dir / "history.json").read_text())
    final, best = doc["final"], doc["best"]
    assert lines[-2].startswith(f"final  epoch {final['epoch']}:")
    assert lines[-1].startswith(f"best   epoch {best['epoch']} ")
    for line, record in ((lines[-2], final), (lines[-1], best)):
        for name in ("train", "valid", "test"):
            assert f"{name} acc {100 * record[f'{name}_acc']:5.1f}%" in line
    # One line per epoch before the summary.
    assert len([line for line in lines if line.startswith("epoch ")]) == 3


def test_rerun_with_config_toml_gives_an_identical_history(run_dir, tmp_path, capsys):
    again = tmp_path / "again"
    assert cli("train", "--config", run_dir / "config.toml", "--out", again, "--quiet") == 0
    assert history_rows(history_of(again)) == history_rows(history_of(run_dir))
    a, b = load_checkpoint(run_dir / "model.npz"), load_checkpoint(again / "model.npz")
    for name in a.params:
        assert a.params[name].tobytes() == b.params[name].tobytes()


def test_quiet_prints_only_the_summary(npz_data, tmp_path, capsys):
    assert cli(*train_args(npz_data, tmp_path / "q", "--quiet")) == 0
    out = capsys.readouterr().out
    assert not any(line.startswith("epoch ") for line in out.splitlines())
    assert out.strip().splitlines()[-1].startswith("best   epoch")


def test_jsonl_prints_one_object_per_epoch(npz_data, tmp_path, capsys):
    out_dir = tmp_path / "j"
    assert cli(*train_args(npz_data, out_dir, "--jsonl")) == 0
    captured = capsys.readouterr()
    objects = [json.loads(line) for line in captured.out.splitlines()]
    assert [o["epoch"] for o in objects] == [1, 2, 3]
    for o in objects:
        assert set(o) == {*HISTORY_COLUMNS, *columns(2), "best", "warnings"}
        assert isinstance(o["warnings"], list)
    assert history_rows(objects) == history_rows(history_of(out_dir))
    # The human summary goes to stderr, keeping stdout machine-readable.
    assert "final" in captured.err


def test_default_out_is_a_new_folder_under_runs(npz_data, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli("train", "--data", npz_data, "--hidden", "4", "--epochs", "1", "--quiet") == 0
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1
    for name in RUN_FILES:
        assert (runs[0] / name).is_file()


# --------------------------------------------------------------------------- resume


def test_resume_continues_like_an_uninterrupted_run(run_dir, npz_data, tmp_path, capsys):
    assert cli("train", "--resume", run_dir / "model.npz", "--epochs", "5", "--quiet") == 0
    resumed = history_of(run_dir)  # the run folder of the checkpoint is updated in place
    assert [r["epoch"] for r in resumed] == [1, 2, 3, 4, 5]

    straight = tmp_path / "straight"
    argv = train_args(npz_data, straight, "--quiet")
    argv[argv.index("--epochs") + 1] = "5"
    assert cli(*argv) == 0
    assert history_rows(resumed) == history_rows(history_of(straight))
    a, b = load_checkpoint(run_dir / "model.npz"), load_checkpoint(straight / "model.npz")
    for name in a.params:
        assert a.params[name].tobytes() == b.params[name].tobytes()


def test_resume_refuses_to_change_the_model(run_dir, capsys):
    assert cli("train", "--resume", run_dir / "model.npz", "--lr", "0.5") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lr" in err


# --------------------------------------------------------------------------- evaluate


def test_evaluate_prints_accuracy_per_class_and_confusion(npz_data, tmp_path, capsys):
    out = tmp_path / "weak"
    # One epoch at a small lr: a model that still makes mistakes.
    assert cli("train", "--data", npz_data, "--hidden", "4", "--epochs", "1", "--lr", "0.01", "--batch-size", "full",
               "--out", out, "--quiet") == 0
    capsys.readouterr()
    assert cli("evaluate", out / "model.npz") == 0
    text = capsys.readouterr().out

    # The expected numbers, computed here from the saved weights.
    ckpt = load_checkpoint(out / "model.npz")
    data = load_dataset(npz_data)
    pred = ckpt.network().predict(data.x_test)
    y = data.y_test
    confusion = np.array([[np.sum((y == i) & (pred == j)) for j in range(3)] for i in range(3)])
    accuracy = np.mean(pred == y)
    assert not np.all(confusion == np.diag(np.diag(confusion))), "model too good to check orientation"

    assert f"accuracy {100 * accuracy:.2f}%" in text
    assert "confusion matrix" in text
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("confusion matrix")) + 2
    for k in range(3):
        fields = lines[start + k].split()
        assert fields[0] == data.class_names[k]
        assert [int(v) for v in fields[1:4]] == list(confusion[k])
        if confusion[k].sum():
            assert fields[4] == f"{100 * confusion[k, k] / confusion[k].sum():.1f}%"


def test_evaluate_other_set(run_dir, capsys):
    assert cli("evaluate", run_dir / "model.npz", "--set", "valid") == 0
    text = capsys.readouterr().out
    assert "valid set of 30 samples" in text


# --------------------------------------------------------------------------- early stopping's files


def early_stopped_run(npz_data, out: Path, capsys, *extra) -> tuple[dict, str]:
    """(history.json, stdout) of a run that early-stops on the tiny data."""
    assert cli("train", "--data", npz_data, "--hidden", "8", "--epochs", "40", "--batch-size", "16", "--lr", "0.1",
               "--early-stop", "2", "--out", out, "--quiet", *extra) == 0
    doc = json.loads((out / "history.json").read_text())
    assert doc["status"] == "early-stopped" and doc["best_epoch"] < doc["epochs"], doc["message"]
    return doc, capsys.readouterr().out


def evaluated(capsys, *argv) -> tuple[str, str]:
    """(the `weights:` line, the `loss ... accuracy ...` line) of `nntrain evaluate`."""
    assert cli("evaluate", *argv) == 0
    lines = capsys.readouterr().out.splitlines()
    return next(l for l in lines if l.startswith("weights: ")), next(l for l in lines if l.startswith("loss "))


def figures(record: dict) -> str:
    return f"loss {record['test_loss']:.4f}  accuracy {100 * record['test_acc']:.2f}%"


def test_early_stopped_run_evaluates_to_the_best_epoch_and_says_so(npz_data, tmp_path, capsys):
    out = tmp_path / "es"
    doc, stdout = early_stopped_run(npz_data, out, capsys)
    best, final = doc["best"], doc["final"]
    assert f"result: the best epoch's weights (epoch {best['epoch']}, early stopping restored them)" in stdout
    assert f"model.npz: epoch {final['epoch']}'s weights and optimizer state" in stdout
    assert f"best.npz: epoch {best['epoch']}'s weights" in stdout
    assert doc["files"]["model.npz"]["weights_epoch"] == final["epoch"]
    assert doc["files"]["best.npz"]["weights_epoch"] == best["epoch"]

    weights, result = evaluated(capsys, out / "model.npz")
    assert weights.startswith(f"weights: epoch {best['epoch']}'s, the run's result; restore_best") and result == figures(best)
    weights, result = evaluated(capsys, out / "model.npz", "--weights", "final")
    assert weights.startswith(f"weights: epoch {final['epoch']}'s") and result == figures(final)
    assert evaluated(capsys, out / "best.npz")[1] == figures(best)
    assert cli("evaluate", out / "best.npz", "--weights", "final") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model.npz" in err


def test_no_restore_best_evaluates_to_the_final_epoch(npz_data, tmp_path, capsys):
    out = tmp_path / "es"
    doc, stdout = early_stopped_run(npz_data, out, capsys, "--no-restore-best")
    assert doc["config"]["restore_best"] is False
    assert f"result: the last epoch's weights (epoch {doc['epochs']}, --no-restore-best)" in stdout
    weights, result = evaluated(capsys, out / "model.npz")
    assert weights.startswith(f"weights: epoch {doc['epochs']}'s") and result == figures(doc["final"])
    assert evaluated(capsys, out / "model.npz", "--weights", "best")[1] == figures(doc["best"])


def test_resume_of_an_early_stopped_run_continues_from_the_last_epoch(npz_data, tmp_path, capsys):
    out = tmp_path / "es"
    doc, _ = early_stopped_run(npz_data, out, capsys)
    n = doc["epochs"]
    assert cli("train", "--resume", out / "model.npz", "--epochs", n + 2, "--early-stop", "0", "--quiet") == 0
    straight = tmp_path / "straight"
    assert cli("train", "--data", npz_data, "--hidden", "8", "--epochs", n + 2, "--batch-size", "16", "--lr", "0.1",
               "--out", straight, "--quiet") == 0
    capsys.readouterr()
    assert history_rows(history_of(out)) == history_rows(history_of(straight))
    a, b = load_checkpoint(out / "model.npz"), load_checkpoint(straight / "model.npz")
    for name in a.params:
        assert a.params[name].tobytes() == b.params[name].tobytes()


def test_train_eval_flag(npz_data, tmp_path, capsys):
    assert cli(*train_args(npz_data, tmp_path / "off", "--train-eval", "off", "--dropout", "0.3")) == 0
    for r in history_of(tmp_path / "off"):
        assert (r["train_loss"], r["train_acc"]) == (r["train_loss_running"], r["train_acc_running"])
    assert cli(*train_args(npz_data, tmp_path / "bad", "--train-eval", "maybe")) == 2
    assert "--train-eval" in capsys.readouterr().err


@pytest.mark.slow
def test_kill_9_while_saving_leaves_temp_files_that_the_next_run_removes(npz_data, tmp_path, capsys):
    """A save that never finishes: numpy.savez writes the temp file, then the process waits
    to be killed (as a kill -9 in the middle of a save would leave it)."""
    out = tmp_path / "killed"
    argv = [str(a) for a in train_args(npz_data, out, "--quiet")]
    script = (
        "import sys, time, numpy\n"
        "real = numpy.savez\n"
        "def savez(*a, **k):\n"
        "    real(*a, **k)\n"
        "    print('saving', flush=True)\n"
        "    time.sleep(600)\n"
        "numpy.savez = savez\n"
        "from tui.cli import main\n"
        f"main({argv!r})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=subprocess_env(), cwd=tmp_path)
    try:
        assert proc.stdout.readline().strip() == "saving"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stale = list(out.glob(".model.npz.*.tmp"))
    assert len(stale) == 1 and stale[0].stat().st_size > 0
    assert not (out / "model.npz").exists()

    assert cli(*train_args(npz_data, out, "--quiet")) == 0
    capsys.readouterr()
    assert list(out.glob(".*.tmp")) == []
    assert len(load_checkpoint(out / "model.npz").history) == 3


# --------------------------------------------------------------------------- gradcheck


def test_gradcheck(capsys):
    assert cli("gradcheck") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    match = re.fullmatch(r"max relative error: (\S+)", lines[-1])
    assert match, lines[-1]
    assert float(match.group(1)) < 1e-6
    assert len(lines) == 7  # W0, b0, W1, b1, W2, b2 for the default 8,6 network, then the max


def test_gradcheck_other_hidden(capsys):
    assert cli("gradcheck", "--hidden", "5", "--seed", "3") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5 and lines[-1].startswith("max relative error: ")


@pytest.mark.parametrize("argv", [("--hidden", "100"), ("--hidden", "x"), ("--seed", "x")])
def test_gradcheck_bad_input(argv, capsys):
    assert cli("gradcheck", *argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


# --------------------------------------------------------------------------- bad input: exit 2, one line


def _typo_toml(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text("[train]\nepochz = 3\n")
    return path


def _not_npz(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("not an archive\n")
    return path


BAD_TRAIN = {
    "epochs-abc": lambda d, t: ["--epochs", "abc"],
    "epochs-0": lambda d, t: ["--epochs", "0"],
    "lr-negative": lambda d, t: ["--lr", "-1"],
    "hidden-0": lambda d, t: ["--hidden", "0"],
    "hidden-letters": lambda d, t: ["--hidden", "a,b"],
    "optimizer-foo": lambda d, t: ["--optimizer", "foo"],
    "batch-size-negative": lambda d, t: ["--batch-size", "-3"],
    "dropout-1.5": lambda d, t: ["--dropout", "1.5"],
    "data-missing": lambda d, t: ["--data", "/nonexistent"],
    "data-not-npz": lambda d, t: ["--data", _not_npz(t)],
    "split-0,0": lambda d, t: ["--split", "0,0"],
    "preset-nope": lambda d, t: ["--preset", "nope"],
    "config-missing": lambda d, t: ["--config", t / "missing.toml"],
    "config-typo": lambda d, t: ["--config", _typo_toml(t)],
    "resume-missing": lambda d, t: ["--resume", t / "missing.npz"],
    "unknown-flag": lambda d, t: ["--colour", "red"],
}


@pytest.mark.parametrize("make_args", BAD_TRAIN.values(), ids=BAD_TRAIN.keys())
def test_bad_train_input_exits_2_with_one_line(npz_data, tmp_path, capsys, make_args):
    extra = make_args(npz_data, tmp_path)
    # The good options first, so that the bad one is what fails (the last --data wins).
    argv = ["train", "--data", npz_data, "--hidden", "4", "--epochs", "1", "--out", tmp_path / "out", *extra]
    assert cli(*argv) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("nntrain")
    assert "Traceback" not in captured.err
    assert captured.out == ""
    assert not (tmp_path / "out").exists()


def _npy_as_model(tmp_path):
    path = tmp_path / "weights.npz"
    with open(path, "wb") as handle:
        np.save(handle, np.zeros((2, 2)))
    return path


BAD_EVALUATE = {
    "missing": lambda d, t: t / "missing.npz",
    "dataset-not-model": lambda d, t: d,
    "text-file": lambda d, t: _not_npz(t),
    "npy-not-npz": lambda d, t: _npy_as_model(t),
}


@pytest.mark.parametrize("make_path", BAD_EVALUATE.values(), ids=BAD_EVALUATE.keys())
def test_evaluate_non_model_exits_2_with_one_line(npz_data, tmp_path, capsys, make_path):
    assert cli("evaluate", make_path(npz_data, tmp_path)) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err


def test_config_whose_train_is_not_a_table_exits_2(npz_data, tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text("train = 5\n")
    assert cli("train", "--data", npz_data, "--config", path) == 2
    assert capsys.readouterr().err.count("\n") == 1


# --------------------------------------------------------------------------- real processes


def test_subprocess_train_and_bad_input(npz_data, tmp_path):
    out = tmp_path / "sub"
    cmd = [sys.executable, "-m", "tui.cli", *map(str, train_args(npz_data, out, "--quiet"))]
    done = subprocess.run(cmd, capture_output=True, text=True, env=subprocess_env(), cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    best_epoch = json.loads((out / "history.json").read_text())["best_epoch"]
    assert done.stdout.strip().splitlines()[-1].startswith(f"best   epoch {best_epoch} ")
    assert "(by valid_acc)" in done.stdout
    assert (out / "history.csv").read_text().splitlines()[0] == HEADER
    assert len(history_of(out)) == 3

    bad = subprocess.run(cmd + ["--epochs", "abc"], capture_output=True, text=True, env=subprocess_env(),
                         cwd=tmp_path, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_nntrain_executable(tmp_path):
    exe = shutil.which("nntrain")
    if exe is None:
        pytest.skip("the nntrain console script is not installed")
    done = subprocess.run([exe, "gradcheck", "--hidden", "4"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("max relative error: ")


@pytest.mark.slow
def test_ctrl_c_saves_a_loadable_resumable_checkpoint(tmp_path, capsys):
    # Enough work that 2000 epochs would take minutes; we interrupt after the first.
    data = write_npz_dataset(tmp_path / "bigger.npz", n=3000)
    out = tmp_path / "interrupted"
    argv = ["train", "--data", str(data), "--hidden", "256", "--epochs", "2000", "--batch-size", "16",
            "--lr", "0.05", "--out", str(out), "--jsonl"]
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=subprocess_env(), cwd=tmp_path)
    try:
        first = proc.stdout.readline()
        assert json.loads(first)["epoch"] == 1, first
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    printed = [json.loads(line) for line in [first, *rest.splitlines()]]

    ckpt = load_checkpoint(out / "model.npz")
    assert ckpt.meta["status"] == "stopped"
    k = len(ckpt.history)
    assert 1 <= k < 2000
    assert [r["epoch"] for r in printed] == list(range(1, k + 1))
    assert history_rows(ckpt.history) == history_rows(printed)

    # Resumable: one more epoch, and the result equals an uninterrupted run of k + 1 epochs.
    assert cli("train", "--resume", out / "model.npz", "--epochs", k + 1, "--quiet") == 0
    straight = tmp_path / "straight"
    argv_straight = [a if a != str(out) else str(straight) for a in argv[:-1]] + ["--quiet"]
    argv_straight[argv_straight.index("--epochs") + 1] = str(k + 1)
    assert cli(*argv_straight) == 0
    capsys.readouterr()
    assert history_rows(history_of(out)) == history_rows(history_of(straight))
    assert len(history_of(out)) == k + 1


# --------------------------------------------------------------------------- out of memory


def _no_memory(*args, **kwargs):
    raise MemoryError("Unable to allocate 74.5 GiB for an array with shape (100000, 100000)")


@pytest.mark.parametrize("where", ["load", "workspace", "train"])
def test_memory_error_anywhere_exits_2_with_one_line(npz_data, tmp_path, capsys, monkeypatch, where):
    import core
    from core.network import Network

    if where == "load":  # reading the dataset
        monkeypatch.setattr(core, "load_dataset", _no_memory)
    elif where == "workspace":  # the epoch's buffers (e.g. --hidden 100000 --batch-size full)
        monkeypatch.setattr(Network, "workspace", _no_memory)
    else:  # an allocation in a training step
        monkeypatch.setattr(Network, "train_batch", _no_memory)
    code = cli("train", "--data", npz_data, "--hidden", "8", "--epochs", "1", "--batch-size", "full",
               "--out", tmp_path / "oom", "--quiet")
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "memory" in err and "Traceback" not in err, err
