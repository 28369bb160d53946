"""Decoded arrays kept in the user's cache folder, so a slow loader runs once per input.

An entry is an uncompressed ``.npz`` named by a key that hashes everything the
result depends on (for a folder: every file's relative path, size and mtime), so
any change to the input simply misses the cache. Entries are written atomically
and read with ``allow_pickle=False``; a damaged entry is dropped, and a cache
folder that cannot be written is no error: the load just is not cached. Nothing
is ever written beside the user's data.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Iterable

import numpy as np

from ..atomic import atomic_path
from .npz import NPZ_READ_ERRORS

# Entries kept (the most recently used); a notMNIST_large entry is ~400 MB.
KEEP = 3
_SUFFIX = ".npz"


def cache_dir() -> Path:
    """``$NNTRAIN_CACHE_DIR``, else the platform's user cache folder + ``nntrain``."""
    explicit = os.environ.get("NNTRAIN_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "nntrain" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "nntrain"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache") / "nntrain"


def make_key(kind: str, version: int, source: str, items: Iterable[tuple]) -> str:
    """A hex digest of a loader's name and format ``version``, its ``source`` and ``items``.

    ``items`` are tuples of str/int, e.g. ``(relative_path, size, mtime_ns)`` per file.
    """
    digest = hashlib.sha256()
    digest.update(f"{kind}\0{version}\0{source}\0".encode("utf-8", "surrogateescape"))
    for item in items:
        digest.update("\0".join(map(str, item)).encode("utf-8", "surrogateescape") + b"\n")
    return f"{kind}-{digest.hexdigest()[:32]}"


def load(key: str) -> dict[str, np.ndarray] | None:
    """The arrays stored under ``key``, or None when there is no usable entry."""
    path = cache_dir() / (key + _SUFFIX)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        return None
    except NPZ_READ_ERRORS:
        _remove(path)
        return None
    try:
        os.utime(path)  # most recently used: the last to be pruned
    except OSError:
        pass
    return arrays


def store(key: str, arrays: dict[str, np.ndarray]) -> None:
    """Keep ``arrays`` under ``key`` (silently not, when the cache cannot be written)."""
    folder = cache_dir()
    try:
        with atomic_path(folder / (key + _SUFFIX)) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, **arrays)
    except OSError:
        return
    _prune(folder)


def _prune(folder: Path) -> None:
    """Remove all but the ``KEEP`` most recently used entries."""
    try:
        entries = []
        with os.scandir(folder) as scan:
            for entry in scan:
                if entry.name.endswith(_SUFFIX) and not entry.name.startswith("."):
                    entries.append((entry.stat().st_mtime_ns, entry.path))
    except OSError:
        return
    for _, path in sorted(entries, reverse=True)[KEEP:]:
        _remove(Path(path))


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
