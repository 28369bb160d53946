"""Parse a ``TRAIN,VALID`` split and cut a file's arrays into train/valid/test."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np

from .dataset import DatasetError, _Raw
from .text import _counts_text, _spec_text

# The course starter code: np.random.seed(521); shuffle; 10000 train, 6000 valid, rest test.
COURSE_SEED = 521
COURSE_SPLIT = (10000, 6000)
DEFAULT_FRACTIONS = (0.6, 0.2)


def parse_split(text: str) -> tuple[float | int, float | int]:
    """Parse ``"TRAIN,VALID"``: two sample counts or two fractions; the test set is the rest.

    ``"10000,6000"`` gives ``(10000, 6000)``; ``"0.6,0.2"`` gives ``(0.6, 0.2)``.
    Counts must be positive; fractions must lie in (0, 1) and sum to less than 1.
    """
    where = f"split {str(text)!r}"
    parts = [part.strip() for part in str(text).split(",")]
    if len(parts) != 2 or not all(parts):
        raise DatasetError(f"{where}: expected TRAIN,VALID, e.g. 10000,6000 or 0.6,0.2")
    if all(re.fullmatch(r"[0-9]+", part) for part in parts):
        counts = (int(parts[0]), int(parts[1]))
        if min(counts) <= 0:
            raise DatasetError(f"{where}: sample counts must be positive")
        return counts
    try:
        fractions = (float(parts[0]), float(parts[1]))
    except ValueError:
        fractions = (math.nan, math.nan)
    if not all(0.0 < f < 1.0 for f in fractions):
        raise DatasetError(
            f"{where}: use two whole counts (10000,6000) or two fractions between 0 and 1 (0.6,0.2)"
        )
    if sum(fractions) >= 1.0:
        raise DatasetError(f"{where}: fractions must sum to less than 1 to leave a test set")
    return fractions


def _split(
    raw: _Raw, spec: tuple[float | int, float | int] | None, where: str,
) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """The (x, y) train, valid and test sets in the file's dtype, and a description.

    Sets the file does not provide are cut from ``raw.x`` after shuffling its
    indices with ``RandomState(521)``, which repeats the course starter code's
    ``np.random.seed(521); np.random.shuffle(randIndx)`` exactly.
    """
    n = len(raw.x)
    if raw.valid is not None:
        if spec is not None:
            raise DatasetError(f"{where}: already split into train/valid/test; a split does not apply")
        sets = [(raw.x, raw.y), raw.valid, raw.test]
        return sets, f"{_counts_text(sets)} (the file's own split)"

    if raw.test is None:
        n_train, n_valid, how = _split_counts(n, spec, where)
    else:
        n_train, n_valid, how = _holdout_counts(n, spec, where, raw.train_origin, raw.test_origin)
    order = np.arange(n)
    np.random.RandomState(COURSE_SEED).shuffle(order)
    train, valid = order[:n_train], order[n_train:n_train + n_valid]
    test = order[n_train + n_valid:] if raw.test is None else None
    sets = [(raw.x[train], raw.y[train]), (raw.x[valid], raw.y[valid])]
    sets.append((raw.x[test], raw.y[test]) if test is not None else raw.test)
    return sets, f"{_counts_text(sets)} ({how})"


def _split_counts(n: int, spec, where: str) -> tuple[int, int, str]:
    """Train and valid counts for one array of ``n`` samples; the test set is the rest."""
    seed = f"shuffle seed {COURSE_SEED}"
    if spec is None and n > sum(COURSE_SPLIT):
        (n_train, n_valid), how, asked = COURSE_SPLIT, f"course split: {seed}", "the course split"
    elif spec is None:
        n_train, n_valid = _fraction_counts(n, DEFAULT_FRACTIONS)
        asked = "default 60/20/20 split"
        how = f"{asked}: {seed}"
    else:
        n_train, n_valid = spec if isinstance(spec[0], int) else _fraction_counts(n, spec)
        asked = f"split {_spec_text(spec)}"
        how = f"{asked}: {seed}"
    if n_train + n_valid > n:
        raise DatasetError(f"{where}: {asked} asks for {n_train + n_valid} samples but there are {n}")
    _check_nonempty(where, asked, n, train=n_train, validation=n_valid, test=n - n_train - n_valid)
    return n_train, n_valid, how


def _holdout_counts(
    n: int, spec, where: str, train_origin: str, test_origin: str,
) -> tuple[int, int, str]:
    """Train and valid counts from the ``n`` training samples of a file with its own test set."""
    if spec is None:
        n_valid = max(1, n // 6)  # 60000 -> 50000/10000, the usual MNIST validation size
        n_train = n - n_valid
        asked = "the default 1/6 validation split"
        how = f"valid = 1/6 of {train_origin}"
    else:
        n_train, n_valid = spec if isinstance(spec[0], int) else _fraction_counts(n, spec)
        asked = f"split {_spec_text(spec)}"
        how = f"{asked} of {train_origin}"
        if n_train + n_valid > n:
            raise DatasetError(
                f"{where}: {asked} asks for {n_train + n_valid} samples but {train_origin} has {n}"
            )
        if n_train + n_valid < n:
            how += f", {n - n_train - n_valid} unused"
    _check_nonempty(where, asked, n, train=n_train, validation=n_valid)
    return n_train, n_valid, f"{how}, shuffle seed {COURSE_SEED}; test = {test_origin}"


def _fraction_counts(n: int, fractions: tuple[float, float]) -> tuple[int, int]:
    """``floor(n * f)`` for each fraction, exact for decimal text such as ``0.29``."""
    # Fraction(str(f)) is the decimal the user typed, so 100 * 0.29 floors to 29, not 28.
    return tuple(math.floor(n * Fraction(str(f))) for f in fractions)


def _check_nonempty(where: str, asked: str, n: int, **sizes: int) -> None:
    """Every named set must get at least one sample."""
    for name, size in sizes.items():
        if size <= 0:
            raise DatasetError(f"{where}: {asked} of {n} samples leaves the {name} set empty")

