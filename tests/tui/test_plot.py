"""`nntrain plot`: PNG, SVG and PDF figures, the terminal plot, and every bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from core import Trainer, build_config, load_dataset, write_run
from helpers import write_npz_dataset
from tui.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    """A folder of three tiny runs, as a sweep would leave them (with its manifest)."""
    root = tmp_path_factory.mktemp("plot")
    data_path = write_npz_dataset(root / "tiny.npz", n=240)
    data = load_dataset(str(data_path), "160,40")
    sweep = root / "sweep"
    names = []
    for hidden in (8, 12, 16):
        config = build_config(overrides={"data": str(data_path), "split": "160,40", "hidden": str(hidden), "epochs": "4"})
        trainer = Trainer(config, data)
        for _ in trainer.run():
            pass
        names.append(f"hidden={hidden}")
        write_run(trainer, sweep / names[-1])
    (sweep / "sweep.json").write_text(json.dumps({"runs": [{"name": n} for n in reversed(names)]}))
    return sweep


def test_png_of_one_run(sweep_dir, tmp_path, capsys):
    out = tmp_path / "run.png"
    assert main(["plot", str(sweep_dir / "hidden=8"), "-o", str(out)]) == 0
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    import matplotlib.image

    image = matplotlib.image.imread(out)
    assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 600
    assert "wrote" in capsys.readouterr().out


def test_svg_of_a_sweep_folder(sweep_dir, tmp_path):
    out = tmp_path / "sub" / "sweep.svg"
    assert main(["plot", str(sweep_dir), "-o", str(out), "--metric", "accuracy"]) == 0
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")


def test_pdf_with_chosen_sets(sweep_dir, tmp_path):
    out = tmp_path / "two.pdf"
    assert main(["plot", str(sweep_dir / "hidden=8"), str(sweep_dir / "hidden=12"), "-o", str(out),
                 "--sets", "train,valid", "--metric", "loss"]) == 0
    assert out.read_bytes()[:5] == b"%PDF-"


def test_figure_has_labels_legend_title_and_best_epoch(sweep_dir):
    from core import read_run
    from tui.plotting import collect_runs, figure

    runs = collect_runs([str(sweep_dir)])
    assert [r.name for r in runs] == ["hidden=16", "hidden=12", "hidden=8"]  # the manifest's order
    fig = figure(runs, "both", ("valid",))
    loss, acc = fig.axes
    assert loss.get_xlabel() == "epoch" and "loss" in loss.get_ylabel() and "%" in acc.get_ylabel()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["hidden=16", "hidden=12", "hidden=8", "best epoch (by valid acc)"]
    assert "3 runs" in fig.get_suptitle()
    # one marker per run at its best epoch, on the valid loss curve
    run = read_run(sweep_dir / "hidden=8")
    markers = [line for line in loss.get_lines() if line.get_marker() == "o"]
    best_y = 100 * run.best.valid_acc
    assert any(list(m.get_xdata()) == [run.best_epoch] for m in markers)
    assert any(list(m.get_ydata()) == [pytest.approx(best_y)] for m in acc.get_lines() if m.get_marker() == "o")


def test_one_run_shows_all_sets_and_a_best_epoch_line(sweep_dir):
    from tui.plotting import collect_runs, figure, parse_sets

    runs = collect_runs([str(sweep_dir / "hidden=12")])
    fig = figure(runs, "loss", parse_sets(None, several=False))
    (ax,) = fig.axes
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["train", "valid", "test", f"best epoch (by valid acc): {runs[0].best_epoch}"]
    assert "hidden=12" in fig.get_suptitle() and "hidden 12" in fig.get_suptitle()


def test_terminal_plot(sweep_dir, capsys):
    assert main(["plot", str(sweep_dir / "hidden=8"), "--terminal"]) == 0
    out = capsys.readouterr().out
    assert "hidden=8" in out and "Loss" in out and "Accuracy" in out and "epoch" in out


def test_terminal_plot_piped_or_no_color_has_no_escapes(sweep_dir, capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["plot", str(sweep_dir / "hidden=8"), "--terminal"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "Loss" in out


def test_terminal_plot_of_several_runs_fits_the_width(sweep_dir):
    import re

    from tui.plotting import collect_runs, terminal_plot

    text = terminal_plot(collect_runs([str(sweep_dir)]), "loss", ("valid",), width=80, height=20)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert max(len(line) for line in plain.splitlines()) <= 80
    assert "hidden=16" in plain


@pytest.mark.parametrize(
    "args, message",
    [
        (["{run}", "-o", "{tmp}/x.jpg"], "unknown image type"),
        (["{tmp}/missing", "-o", "{tmp}/x.png"], "no such folder"),
        (["{tmp}", "-o", "{tmp}/x.png"], "not a run folder"),
        (["{run}", "-o", "{tmp}/x.png", "--sets", "train,dev"], "--sets"),
        (["{run}"], "--terminal"),
    ],
)
def test_bad_input_is_one_line_exit_2(sweep_dir, tmp_path, capsys, args, message):
    argv = ["plot", *(a.format(run=sweep_dir / "hidden=8", tmp=tmp_path) for a in args)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_without_matplotlib_says_how_to_install(sweep_dir, tmp_path):
    out = tmp_path / "x.png"
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None\n"
        "from tui.cli import main\n"
        f"sys.exit(main(['plot', {str(sweep_dir / 'hidden=8')!r}, '-o', {str(out)!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        'nntrain plot: error: plotting to a file needs matplotlib: pip install "nntrain[plots]"'
    ]
    assert not out.exists()
