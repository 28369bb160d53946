"""Fixtures for the app tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import tui_support  # noqa: E402


@pytest.fixture
def tiny_npz(tmp_path) -> Path:
    """300 8x8 images in 3 classes: splits 180/60/60 by default."""
    return tui_support.write_tiny_npz(tmp_path / "tiny.npz")


@pytest.fixture(autouse=True)
def _no_color_from_outside(request, monkeypatch):
    """The app tests choose NO_COLOR themselves; the shell running them must not."""
    if request.module.__name__.startswith("test_tui_"):
        monkeypatch.delenv("NO_COLOR", raising=False)
