"""How the CLI and the app write numbers for people."""

from __future__ import annotations


def percent(x: float | None, width: int = 0) -> str:
    """A fraction as a percent with one decimal (0.8123 -> "81.2%"), right-aligned in
    `width` characters before the % sign; "--" when there is no value."""
    if x is None:
        return "--"
    return f"{100 * x:{width}.1f}%" if width else f"{100 * x:.1f}%"
