"""One place that turns an exception into the one-line message the user sees."""

from __future__ import annotations


def one_line(exc: BaseException) -> str:
    """`exc` as one line: its message's first non-empty line; for an OSError the OS's
    reason (and the file, when known); the type's name when there is no message."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__
