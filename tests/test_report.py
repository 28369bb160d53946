"""`nntrain report`: Markdown and HTML reports of real tiny runs and a sweep, their
images, their numbers against the history, and every bad input."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import Trainer, build_config, load_dataset, write_run
from core.diagnostics import is_column
from helpers import write_npz_dataset
from tui.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HIDDEN = (8, 12, 16)
SPLIT = "160,40"
N_TEST = 40  # 240 samples, split 160 train / 40 valid: the rest is the test set


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    """Three real tiny runs in a folder with a sweep manifest (in the order 16, 8, 12)."""
    root = tmp_path_factory.mktemp("report")
    data_path = write_npz_dataset(root / "tiny.npz", n=240)
    data = load_dataset(str(data_path), SPLIT)
    sweep = root / "sweep"
    for hidden in HIDDEN:
        config = build_config(overrides={"data": str(data_path), "split": SPLIT, "hidden": str(hidden),
                                         "epochs": "6", "lr": "0.2"})
        trainer = Trainer(config, data)
        for _ in trainer.run():
            pass
        write_run(trainer, sweep / f"hidden={hidden}")
    order = ["hidden=16", "hidden=8", "hidden=12"]
    (sweep / "sweep.json").write_text(json.dumps({"runs": [{"name": n} for n in order]}))
    return sweep


@pytest.fixture
def run_dir(sweep_dir, tmp_path) -> Path:
    """A private copy of one run folder, free to modify."""
    return Path(shutil.copytree(sweep_dir / "hidden=8", tmp_path / "run"))


def history(run: Path) -> list[dict]:
    return json.loads((run / "history.json").read_text())["history"]


def table_rows(text: str, first_cell: str) -> list[list[str]]:
    """The cells of the Markdown table rows whose first cell is `first_cell`."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0] == first_cell:
                rows.append(cells)
    return rows


def table_after(text: str, heading: str) -> list[list[str]]:
    """The body rows of the first Markdown table after `heading`."""
    lines = text[text.index(heading):].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2:]:  # skip the header and the rule
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def decode_png(data: bytes):
    from PIL import Image

    assert data[:8] == PNG_SIGNATURE
    image = Image.open(io.BytesIO(data))
    image.load()  # decodes the whole file: a truncated PNG fails here
    return image


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# --------------------------------------------------------------------------- a run


def test_markdown_report_of_a_run(run_dir, tmp_path, capsys):
    out = tmp_path / "out" / "report.md"
    out.parent.mkdir()
    assert main(["report", str(run_dir), "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    text = out.read_text()
    # Every image is referenced relatively, exists in report_files/ and decodes.
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    # Runs record diagnostics (core.diagnostics): their figure comes last.
    assert links == ["report_files/curves.png", "report_files/confusion.png", "report_files/diagnostics.png"]
    for link in links:
        image = decode_png((out.parent / link).read_bytes())
        assert image.width > 300 and image.height > 300
    assert sorted(p.name for p in (out.parent / "report_files").iterdir()) == [
        "confusion.png", "curves.png", "diagnostics.png"]
    assert listing(out.parent) == ["report.md", "report_files", "report_files/confusion.png",
                                   "report_files/curves.png", "report_files/diagnostics.png"]


def test_the_numbers_match_the_history(run_dir, tmp_path):
    out = tmp_path / "report.md"
    assert main(["report", str(run_dir), "-o", str(out)]) == 0
    text = out.read_text()
    rows = history(run_dir)
    # The early-stopping points, computed here from the raw rows (first epoch on ties).
    by_acc = max(rows, key=lambda r: r["valid_acc"])
    by_loss = min(rows, key=lambda r: r["valid_loss"])
    for label, row in (("highest valid accuracy", by_acc), ("lowest valid loss", by_loss), ("final epoch", rows[-1])):
        (cells,) = table_rows(text, label)
        assert cells[1] == str(row["epoch"])
        assert cells[2:5] == [f"{row[f'{s}_loss']:.4f}" for s in ("train", "valid", "test")]
        assert cells[5:8] == [f"{100 * row[f'{s}_acc']:.2f}" for s in ("train", "valid", "test")]
    (lr,) = table_rows(text, "lr")
    assert lr[1] == "0.2"
    assert f"Final test accuracy {100 * rows[-1]['test_acc']:.2f}%" in text


def test_confusion_matrix_sums_to_the_test_set(run_dir, tmp_path):
    out = tmp_path / "report.md"
    assert main(["report", str(run_dir), "-o", str(out)]) == 0
    text = out.read_text()
    matrix = np.array([[int(c) for c in row[1:-1]] for row in table_after(text, "## Test confusion matrix")])
    assert matrix.shape == (3, 3)
    assert matrix.sum() == N_TEST
    # No restore of a best epoch (no early stopping): the result is the last epoch's
    # weights, so their test accuracy is the history's last test accuracy.
    last = history(run_dir)[-1]
    assert np.trace(matrix) / N_TEST == pytest.approx(last["test_acc"])
    assert f"accuracy {100 * last['test_acc']:.2f}%" in text


def test_an_early_stopped_run_reports_its_restored_best_weights(sweep_dir, tmp_path):
    """With early stopping and restore_best, the matrix is of the best epoch's weights
    (as `nntrain evaluate` uses them), not the last epoch's."""
    data_path = write_npz_dataset(tmp_path / "tiny.npz", n=240)
    config = build_config(overrides={"data": str(data_path), "split": SPLIT, "hidden": "8", "epochs": "20",
                                     "lr": "0.5", "early_stop": "2"})
    trainer = Trainer(config, load_dataset(str(data_path), SPLIT))
    for _ in trainer.run():
        pass
    run = write_run(trainer, tmp_path / "run")
    doc = json.loads((run / "history.json").read_text())
    result = doc["files"]["result"]
    assert result["file"] == "best.npz" and result["weights_epoch"] < len(doc["history"])  # the case under test
    out = tmp_path / "report.md"
    assert main(["report", str(run), "-o", str(out)]) == 0
    text = out.read_text()
    matrix = np.array([[int(c) for c in row[1:-1]] for row in table_after(text, "## Test confusion matrix")])
    best = doc["history"][result["weights_epoch"] - 1]
    assert matrix.sum() == N_TEST
    assert np.trace(matrix) / N_TEST == pytest.approx(best["test_acc"])
    assert f"Weights: epoch {result['weights_epoch']}'s" in text
    assert f"the run's result is epoch {result['weights_epoch']}'s weights" in text


def test_html_report_is_one_self_contained_file(run_dir, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", str(run_dir), "-o", str(out)]) == 0
    assert listing(tmp_path) == sorted(["report.html", *listing_of(run_dir, tmp_path)])
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == 3  # curves, confusion, diagnostics
    for data in images:
        image = decode_png(base64.b64decode(data, validate=True))
        assert image.width > 300 and image.height > 300
    # Nothing to fetch: no links, scripts, or other sources.
    assert not re.search(r"<(link|script)|https?://|src=\"(?!data:)", text)
    rows = history(run_dir)
    best = max(rows, key=lambda r: r["valid_acc"])
    assert f"<td>highest valid accuracy</td><td>{best['epoch']}</td>" in text
    assert f"<td>{100 * best['test_acc']:.2f}</td>" in text


def listing_of(run_dir: Path, root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in [run_dir, *run_dir.rglob("*")])


def test_names_are_escaped_in_html_and_markdown(sweep_dir, tmp_path):
    run = Path(shutil.copytree(sweep_dir / "hidden=8", tmp_path / "a<b>&*c"))
    assert main(["report", str(run), "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text()
    assert "Run report: a&lt;b&gt;&amp;*c" in html and "a<b>" not in html
    assert main(["report", str(run), "-o", str(tmp_path / "r.md")]) == 0
    assert "# Run report: a\\<b\\>&\\*c" in (tmp_path / "r.md").read_text()


def test_missing_data_is_one_line_and_the_rest_of_the_report(sweep_dir, tmp_path, capsys):
    data_path = write_npz_dataset(tmp_path / "gone.npz", n=240)
    config = build_config(overrides={"data": str(data_path), "split": SPLIT, "hidden": "8", "epochs": "2"})
    trainer = Trainer(config, load_dataset(str(data_path), SPLIT))
    for _ in trainer.run():
        pass
    run = write_run(trainer, tmp_path / "run")
    data_path.unlink()
    out = tmp_path / "report.md"
    assert main(["report", str(run), "-o", str(out)]) == 0
    text = out.read_text()
    notes = [line for line in text.splitlines() if line.startswith("No confusion matrix")]
    assert len(notes) == 1 and str(data_path) in notes[0]
    assert "confusion.png" not in text and "## Final accuracies" in text
    assert sorted(p.name for p in (tmp_path / "report_files").iterdir()) == ["curves.png", "diagnostics.png"]
    assert "No confusion matrix" in capsys.readouterr().out


def test_an_unreadable_model_is_one_line_and_the_rest_of_the_report(run_dir, tmp_path):
    (run_dir / "model.npz").write_bytes(b"not a zip")
    out = tmp_path / "report.md"
    assert main(["report", str(run_dir), "-o", str(out)]) == 0
    text = out.read_text()
    notes = [line for line in text.splitlines() if line.startswith("No confusion matrix")]
    assert len(notes) == 1 and "model.npz: not an nntrain model file" in notes[0]
    assert "the run's result is" not in text and table_rows(text, "final epoch")


def test_diagnostic_columns_give_a_figure_and_a_table(run_dir, tmp_path):
    doc = json.loads((run_dir / "history.json").read_text())
    # A 64-8-3 network: weight layers 0 and 1, hidden layer 0 (the lead's column names).
    keys = ("W0_norm", "W0_grad_norm", "W0_update_ratio", "h0_dead", "W1_norm", "W1_grad_norm", "W1_update_ratio")
    for i, row in enumerate(doc["history"], start=1):
        row.update({k: (j + 1) * 0.5 ** i for j, k in enumerate(keys)})
        row["h0_dead"] = 0.125 * i
    (run_dir / "history.json").write_text(json.dumps(doc))
    out = tmp_path / "report.md"
    assert main(["report", str(run_dir), "-o", str(out)]) == 0
    text = out.read_text()
    assert "![per-layer" in text and "report_files/diagnostics.png" in text
    image = decode_png((tmp_path / "report_files" / "diagnostics.png").read_bytes())
    assert image.width > 600 and image.height > 200
    last = doc["history"][-1]
    (layer0,) = table_rows(text, "layer 0")
    (layer1,) = table_rows(text, "layer 1")
    assert layer0[1:] == [f"{last['W0_norm']:.3g}", f"{last['W0_grad_norm']:.3g}", f"{last['W0_update_ratio']:.3g}",
                          f"{100 * last['h0_dead']:.2f}"]
    assert layer1[1:] == [f"{last['W1_norm']:.3g}", f"{last['W1_grad_norm']:.3g}", f"{last['W1_update_ratio']:.3g}", "-"]


def test_a_history_without_diagnostics_has_no_diagnostics_section(run_dir, tmp_path):
    doc = json.loads((run_dir / "history.json").read_text())
    doc["history"] = [{k: v for k, v in row.items() if not is_column(k)} for row in doc["history"]]
    (run_dir / "history.json").write_text(json.dumps(doc))  # as written before diagnostics existed
    assert main(["report", str(run_dir), "-o", str(tmp_path / "r.md")]) == 0
    assert "diagnostics" not in (tmp_path / "r.md").read_text()


# --------------------------------------------------------------------------- a sweep


def test_sweep_report_has_the_hidden_units_table(sweep_dir, tmp_path):
    out = tmp_path / "sweep.md"
    assert main(["report", str(sweep_dir), "-o", str(out)]) == 0
    text = out.read_text()
    rows = table_after(text, "## Hidden units")
    assert [r[0] for r in rows] == ["hidden=16", "hidden=8", "hidden=12"]  # the manifest's order
    for cells in rows:
        doc = json.loads((sweep_dir / cells[0] / "history.json").read_text())
        best = doc["history"][doc["best_epoch"] - 1]
        final = doc["history"][-1]
        assert cells[1] == cells[0].split("=")[1]
        assert cells[2:] == [doc["status"], str(len(doc["history"])), str(doc["best_epoch"]), f"{100 * best['valid_acc']:.2f}",
                             f"{100 * best['test_acc']:.2f}", f"{100 * final['valid_acc']:.2f}",
                             f"{100 * final['test_acc']:.2f}"]
    assert re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text) == ["sweep_files/valid.png"]
    image = decode_png((tmp_path / "sweep_files" / "valid.png").read_bytes())
    assert image.width > 600 and image.height > 300


def test_sweep_report_as_html(sweep_dir, tmp_path):
    out = tmp_path / "sweep.html"
    assert main(["report", str(sweep_dir), "-o", str(out)]) == 0
    text = out.read_text()
    assert text.count("<tr><td>hidden=") == len(HIDDEN)
    (data,) = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    decode_png(base64.b64decode(data))


def test_rewriting_a_markdown_report_replaces_its_images(run_dir, tmp_path):
    out = tmp_path / "r.md"
    files = tmp_path / "r_files"
    files.mkdir()
    (files / "stale.png").write_bytes(b"old")
    assert main(["report", str(run_dir), "-o", str(out)]) == 0
    assert sorted(p.name for p in files.iterdir()) == ["confusion.png", "curves.png", "diagnostics.png"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# --------------------------------------------------------------------------- bad input


def _bad_sources(tmp_path: Path, run_dir: Path) -> dict[str, tuple[str, str]]:
    """case -> (source, what the one line must name)."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "a_file").write_text("x")
    corrupt = Path(shutil.copytree(run_dir, tmp_path / "corrupt"))
    (corrupt / "history.json").write_text('{"history": [')
    no_rows = Path(shutil.copytree(run_dir, tmp_path / "no_rows"))
    (no_rows / "history.json").write_text(json.dumps({"config": {}}))
    no_epochs = Path(shutil.copytree(run_dir, tmp_path / "no_epochs"))
    doc = json.loads((no_epochs / "history.json").read_text())
    (no_epochs / "history.json").write_text(json.dumps({**doc, "history": []}))
    half_sweep = tmp_path / "half_sweep"
    half_sweep.mkdir()
    (half_sweep / "sweep.json").write_text('{"runs": []}')
    return {
        "missing": (str(tmp_path / "nope"), "nope: no such folder"),
        "file": (str(tmp_path / "a_file"), "a_file: not a folder"),
        "not a run": (str(tmp_path / "empty"), "empty: not a run folder"),
        "corrupt history": (str(corrupt), "history.json: unreadable run history"),
        "history without rows": (str(no_rows), "history.json: unreadable run history"),
        "sweep without runs": (str(half_sweep), "half_sweep: the sweep has no complete runs"),
        "run without epochs": (str(no_epochs), "no_epochs: the run has no completed epoch"),
    }


@pytest.mark.parametrize("case", ["missing", "file", "not a run", "corrupt history", "history without rows",
                                  "sweep without runs", "run without epochs"])
@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_bad_source_is_one_line_and_writes_nothing(case, suffix, run_dir, tmp_path, capsys):
    source, named = _bad_sources(tmp_path, run_dir)[case]
    out = tmp_path / "out"
    out.mkdir()
    assert main(["report", source, "-o", str(out / f"report{suffix}")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nntrain report: error: ") and named in err
    assert "Traceback" not in err
    assert listing(out) == []


@pytest.mark.parametrize("case", ["no folder", "folder is a file", "not writable", "unknown suffix", "no suffix",
                                  "output is a folder"])
def test_bad_output_is_one_line_and_writes_nothing(case, run_dir, tmp_path, capsys):
    (tmp_path / "plain").write_text("x")
    (tmp_path / "adir.md").mkdir()
    output, named = {
        "no folder": (tmp_path / "missing" / "r.md", "missing: output folder does not exist"),
        "folder is a file": (tmp_path / "plain" / "r.md", "plain: output folder is not a folder"),
        # /proc refuses new files even to root, where permission bits would not.
        "not writable": (Path("/proc/r.html"), "/proc: output folder is not writable"),
        "unknown suffix": (tmp_path / "r.txt", "unknown report type '.txt'; use .md or .html"),
        "no suffix": (tmp_path / "report", "unknown report type '(none)'"),
        "output is a folder": (tmp_path / "adir.md", "adir.md: is a folder"),
    }[case]
    before = listing(tmp_path)
    assert main(["report", str(run_dir), "-o", str(output)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nntrain report: error: ") and named in err
    assert listing(tmp_path) == before


def test_missing_output_option_is_a_usage_error(run_dir, capsys):
    assert main(["report", str(run_dir)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_without_matplotlib_says_to_install_the_extra(run_dir, tmp_path, monkeypatch, capsys):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    assert main(["report", str(run_dir), "-o", str(tmp_path / "r.md")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nntrain[plots]" in err
    assert not (tmp_path / "r.md").exists() and not (tmp_path / "r_files").exists()


def test_a_failure_while_writing_leaves_the_old_report(run_dir, tmp_path, monkeypatch, capsys):
    out = tmp_path / "r.md"
    assert main(["report", str(run_dir), "-o", str(out)]) == 0
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    import core.atomic

    def broken(path, text):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(core.atomic, "write_text", broken)
    assert main(["report", str(run_dir), "-o", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before  # no temp files either


def test_a_failing_figure_writes_nothing(run_dir, tmp_path, monkeypatch):
    from tui.report import figures

    calls = []

    def failing(fig):
        calls.append(fig)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        return b"png"

    monkeypatch.setattr(figures, "png", failing)
    assert main(["report", str(run_dir), "-o", str(tmp_path / "r.md")]) == 2
    assert len(calls) == 2
    assert listing(tmp_path) == listing_of(run_dir, tmp_path)


def test_report_needs_neither_textual_nor_pyplot(run_dir, tmp_path):
    """The facts and the figures are gathered without Textual and without pyplot (the
    Agg canvas only: no window, no GUI backend)."""
    code = (
        "import sys; from tui.cli import main; "
        f"assert main(['report', {str(run_dir)!r}, '-o', {str(tmp_path / 'r.html')!r}]) == 0; "
        "bad = [m for m in ('textual', 'matplotlib.pyplot') if m in sys.modules]; "
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.html").is_file()
