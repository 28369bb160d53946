import json

from core.run_index import find_runs, natural_key


def _run(folder):
    folder.mkdir(parents=True)
    (folder / "history.json").write_text("{}")
    return folder


def test_a_run_folder_is_its_own_run(tmp_path):
    run = _run(tmp_path / "r")
    assert find_runs(run) == [run]


def test_without_manifest_natural_order_and_only_run_folders(tmp_path):
    for name in ("h10", "h2", "h100", "a"):
        _run(tmp_path / name)
    (tmp_path / "notes").mkdir()  # no history.json: not a run
    (tmp_path / "h3.txt").write_text("x")
    assert [p.name for p in find_runs(tmp_path)] == ["a", "h2", "h10", "h100"]


def test_manifest_order_wins_and_missing_runs_are_left_out(tmp_path):
    for name in ("b", "a", "c"):
        _run(tmp_path / name)
    runs = [{"name": n} for n in ("c", "a", "missing", "../escape", "b")]
    (tmp_path / "sweep.json").write_text(json.dumps({"runs": runs}))
    assert [p.name for p in find_runs(tmp_path)] == ["c", "a", "b"]


def test_unreadable_manifest_falls_back_to_names(tmp_path):
    for name in ("run10", "run9"):
        _run(tmp_path / name)
    (tmp_path / "sweep.json").write_text("{not json")
    assert [p.name for p in find_runs(tmp_path)] == ["run9", "run10"]


def test_empty_or_missing_folder(tmp_path):
    assert find_runs(tmp_path) == []
    assert find_runs(tmp_path / "nope") == []


def test_natural_key():
    assert sorted(["x10y", "x9y", "x9z", "X"], key=natural_key) == ["X", "x9y", "x9z", "x10y"]
