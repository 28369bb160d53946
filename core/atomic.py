"""Atomic file writes: a reader never sees a half-written file."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


def _read_umask() -> int:
    # Read once: setting it to read it is process-wide, so it must not race the app's
    # worker threads later.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def default_mode(folder: bool = False) -> int:
    """The mode a plain open() (or, with `folder`, mkdir) gives a new file here."""
    return (0o777 if folder else 0o666) & ~_UMASK


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success move it over `path`.

    The temp file lives in the same directory so that `os.replace` is a rename on
    one filesystem, which POSIX makes atomic. On error the temp file is removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        # (or the mode of the file it replaces), so run folders and reports can be shared.
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = default_mode()
        os.chmod(tmp_path, mode)
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temp file for writing; it replaces `path` only if the block succeeds."""
    with atomic_path(path) as tmp:
        with open(tmp, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
