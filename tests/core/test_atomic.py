"""Atomic writes give the mode a plain open() would, not mkstemp's private 0600."""

from __future__ import annotations

import os
import stat

from core.atomic import write_text


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_a_new_file_follows_the_umask(tmp_path):
    path = tmp_path / "history.csv"
    write_text(path, "a\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~current_umask()
    assert path.read_text() == "a\n"


def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("old\n")
    path.chmod(0o640)
    write_text(path, "new\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text() == "new\n"
    assert list(tmp_path.iterdir()) == [path]  # no temp file left
