"""`nntrain sweep --cluster`: a real Dask LocalCluster with two worker processes."""

from __future__ import annotations

import csv
import importlib.util
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import write_npz_dataset
from tui.cli import main

pytestmark = pytest.mark.cluster

needs_dask = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason='dask.distributed is not installed: pip install "nntrain[cluster]" (CI installs it)',
)


@pytest.fixture
def cluster(monkeypatch):
    from dask.distributed import LocalCluster

    # The workers inherit this: one BLAS thread each, two workers on two cores.
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as local:
        yield local


@needs_dask
def test_sweep_on_a_local_cluster(cluster, tmp_path, capsys):
    data = write_npz_dataset(tmp_path / "tiny.npz", n=240)
    missing = tmp_path / "missing.npz"
    out = tmp_path / "sweep"
    argv = [
        "sweep", "--hidden", "8,12", "--data", f"{data},{missing}", "--split", "160,40", "--epochs", "2",
        "--cluster", cluster.scheduler_address, "--out", str(out), "--quiet",
    ]
    assert main(argv) == 1  # the runs on the missing file fail; the others finish
    with open(out / "results.csv", newline="") as handle:
        rows = {r["run"]: r for r in csv.DictReader(handle)}
    assert sorted(rows) == sorted(
        f"data={d}_hidden={h}" for d in ("tiny.npz", "missing.npz") for h in (8, 12)
    )
    for hidden in (8, 12):
        row = rows[f"data=tiny.npz_hidden={hidden}"]
        folder = out / row["run"]
        assert sorted(p.name for p in folder.iterdir()) == [
            "best.npz", "config.toml", "history.csv", "history.json", "model.npz",
        ]
        doc = json.loads((folder / "history.json").read_text())
        assert row["status"] == doc["status"] == "finished"
        assert float(row["final_valid_loss"]) == doc["history"][-1]["valid_loss"]
        failed = rows[f"data=missing.npz_hidden={hidden}"]
        assert failed["status"] == "failed" and "no such file or directory" in failed["error"]
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["options"]["cluster"] == cluster.scheduler_address
    printed = capsys.readouterr().out
    assert "wall " in printed and "2 runs failed" in printed

    # A worker computed the same history as this process would: the run is the real one.
    from core import Trainer, build_config, load_dataset

    config = build_config(overrides={"data": str(data), "split": "160,40", "hidden": "12", "epochs": "2"})
    trainer = Trainer(config, load_dataset(str(data), "160,40"))
    local = [r.valid_loss for r in trainer.run()]
    remote = json.loads((out / "data=tiny.npz_hidden=12" / "history.json").read_text())
    assert [r["valid_loss"] for r in remote["history"]] == local

    # Resume on the cluster: finished runs are kept, the failed ones are retried (and fail again).
    assert main(argv) == 1
    assert "2 kept from an earlier attempt" in capsys.readouterr().out


@needs_dask
def test_unreachable_scheduler_is_one_line(tmp_path, capsys, monkeypatch):
    import tui.cluster

    monkeypatch.setattr(tui.cluster, "CONNECT_TIMEOUT", "1s")
    rc = main(["sweep", "--hidden", "8", "--cluster", "tcp://127.0.0.1:9", "--out", str(tmp_path / "s"), "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()


def test_without_dask_says_how_to_install(tmp_path):
    code = (
        "import sys\n"
        "sys.modules['dask'] = sys.modules['distributed'] = None\n"
        "from tui.cli import main\n"
        f"sys.exit(main(['sweep', '--hidden', '8', '--cluster', 'tcp://127.0.0.1:8786', "
        f"'--out', {str(tmp_path / 's')!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        'nntrain sweep: error: --cluster needs dask.distributed: pip install "nntrain[cluster]"'
    ]
    assert not (tmp_path / "s").exists()
