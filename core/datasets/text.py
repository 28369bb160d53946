"""Short text for messages and split descriptions: errors, numbers, keys, shapes, set sizes."""

from __future__ import annotations

import numpy as np


def _describe(error: BaseException) -> str:
    """An exception as short text, preferring the OS's own wording."""
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _number(value) -> str:
    """A numpy scalar for a message: ``300`` for integers, ``382.5`` or ``1e+30`` for floats."""
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(int(value))


def _key_list(keys) -> str:
    """Archive keys as ``"a, b"`` for messages, or ``"nothing"``."""
    return ", ".join(sorted(keys)) or "nothing"


def _shape_text(shape: tuple[int, int]) -> str:
    """``(28, 28)`` as ``"28x28"``."""
    return "x".join(map(str, shape))


def _spec_text(spec: tuple[float | int, float | int]) -> str:
    """A parsed split back as the user wrote it, e.g. ``"10000,6000"``."""
    return ",".join(f"{value:g}" if isinstance(value, float) else str(value) for value in spec)


def _counts_text(sets: list[tuple[np.ndarray, np.ndarray]]) -> str:
    """Set sizes as ``"10000/6000/2720"``."""
    return "/".join(str(len(y)) for _, y in sets)
