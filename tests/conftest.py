"""Fixtures shared by the core and CLI tests; builders live in tests/helpers.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# `import helpers` works under any pytest import mode.
TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import helpers  # noqa: E402


@pytest.fixture
def tiny_data():
    """A fresh tiny in-memory Dataset: 60/24/24 samples, 64 features, 3 classes."""
    return helpers.make_dataset()


@pytest.fixture
def npz_data(tmp_path):
    """A small .npz dataset on disk (x: 150 8x8 uint8 images, y: 3 classes)."""
    return helpers.write_npz_dataset(tmp_path / "tiny.npz")


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory, monkeypatch):
    """Every test caches decoded datasets in its own folder, never in the real home."""
    monkeypatch.setenv("NNTRAIN_CACHE_DIR", str(tmp_path_factory.mktemp("nntrain-cache")))
