"""Labels of any common form turned into class indices ``0..K-1`` and class names.

Accepted: integers of any set (``0..K-1`` kept as they are; any other set, e.g.
``1..10`` or ``{-1, 1}``, relabelled in sorted order with the values as names),
whole-number floats, strings and bytes (names = the sorted unique values), booleans,
and one-hot rows ``(n, K)``. All of a file's label arrays (its own train/valid/test
sets) share one mapping.
"""

from __future__ import annotations

import numpy as np

from .dataset import DatasetError
from .text import _number

# Larger counts are corrupt data or a regression target, not classes.
MAX_CLASSES = 10_000


def label_shape(labels: np.ndarray, key: str, n: int, x_key: str, where: str) -> np.ndarray:
    """``labels`` as ``(n,)``, or ``(n, K)`` one-hot rows; shape and length checked."""
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim not in (1, 2) or (labels.ndim == 2 and labels.shape[1] < 2):
        raise DatasetError(
            f"{where}: {key} has shape {labels.shape}; expected one label per sample, (N,) or one-hot (N, K)"
        )
    if len(labels) != n:
        raise DatasetError(f"{where}: {key} has {len(labels)} entries but {x_key} has {n}")
    if labels.dtype.kind not in "biufUS":
        raise DatasetError(f"{where}: {key} has dtype {labels.dtype}; expected integers, strings or booleans")
    return labels


def normalise(
    arrays: list[np.ndarray], class_names: tuple[str, ...] | None, where: str,
) -> tuple[list[np.ndarray], tuple[str, ...] | None, list[str]]:
    """Class indices ``(n,)`` int64 for each array, the class names (None: guess them
    from the path later, labels are 0..K-1) and notes for the user."""
    arrays = [_from_one_hot(a, where) for a in arrays]
    kinds = {a.dtype.kind for a in arrays}
    if kinds & set("US"):
        if not kinds <= set("US"):
            raise DatasetError(f"{where}: labels mix text and numbers across sets")
        return _from_text([_decode(a, where) for a in arrays], class_names, where)
    if "b" in kinds:
        arrays = [a.astype(np.int64) for a in arrays]
        if class_names is None:
            class_names = ("False", "True")
    ints = [_whole(a, where) for a in arrays]
    if class_names is not None:
        low = min(int(a.min()) for a in ints)
        high = max(int(a.max()) for a in ints)
        if low < 0 or high >= len(class_names):
            raise DatasetError(
                f"{where}: labels run from {low} to {high} but there are {len(class_names)} class names"
            )
        return ints, class_names, []
    values = np.unique(np.concatenate(ints))
    if len(values) > MAX_CLASSES:
        raise DatasetError(
            f"{where}: labels take {len(values)} different values; at most {MAX_CLASSES} classes are supported"
            " (is this a regression target?)"
        )
    if values[0] == 0 and values[-1] == len(values) - 1:
        return ints, None, []
    names = tuple(str(int(v)) for v in values)
    note = f"labels {_span(values)} relabelled to classes 0..{len(values) - 1} (names keep the values)"
    return [np.searchsorted(values, a).astype(np.int64) for a in ints], names, [note]


def _span(values: np.ndarray) -> str:
    if len(values) <= 4:
        return "{" + ", ".join(str(int(v)) for v in values) + "}"
    return f"{int(values[0])}..{int(values[-1])}"


def _from_one_hot(a: np.ndarray, where: str) -> np.ndarray:
    if a.ndim == 1:
        return a
    if a.dtype.kind not in "biuf":
        raise DatasetError(f"{where}: 2-D labels must be one-hot numbers, got dtype {a.dtype}")
    ok = ((a == 0) | (a == 1)).all(axis=1) & ((a == 1).sum(axis=1) == 1)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise DatasetError(f"{where}: labels row {row} is not one-hot (exactly one 1, the rest 0)")
    return a.argmax(axis=1).astype(np.int64)


def _whole(a: np.ndarray, where: str) -> np.ndarray:
    if a.dtype.kind == "f":
        if not (np.isfinite(a).all() and (a == np.round(a)).all()):
            raise DatasetError(f"{where}: labels have values that are not whole numbers (is this a regression target?)")
        if np.abs(a).max() >= 2**53:
            raise DatasetError(f"{where}: labels go up to {_number(np.abs(a).max())}; not class labels")
    return a.astype(np.int64)


def _decode(a: np.ndarray, where: str) -> np.ndarray:
    if a.dtype.kind == "S":
        try:
            a = np.char.decode(a, "utf-8")
        except UnicodeDecodeError:
            raise DatasetError(f"{where}: labels are bytes that are not UTF-8") from None
    return np.char.strip(a)


def _from_text(arrays, class_names, where: str):
    if class_names is not None:
        names = np.asarray(class_names)
        order = np.argsort(names)
        out = []
        for a in arrays:
            pos = np.clip(np.searchsorted(names[order], a), 0, len(names) - 1)
            found = names[order][pos] == a
            if not found.all():
                bad = str(a[np.flatnonzero(~found)[0]])
                raise DatasetError(f"{where}: label {bad!r} is not one of the class names")
            out.append(order[pos].astype(np.int64))
        return out, class_names, []
    values = np.unique(np.concatenate(arrays))
    if len(values) > MAX_CLASSES:
        raise DatasetError(f"{where}: labels take {len(values)} different values; at most {MAX_CLASSES} classes are supported")
    return [np.searchsorted(values, a).astype(np.int64) for a in arrays], tuple(str(v) for v in values), []


def class_counts_problems(y_train: np.ndarray, sets: dict[str, np.ndarray], class_names, where: str) -> list[str]:
    """Refuse a single class or a class with fewer than 2 training examples; return
    warnings for classes missing from the other sets."""
    k = len(class_names)
    present = np.bincount(np.concatenate([y_train, *sets.values()]), minlength=k)
    if np.count_nonzero(present) < 2:
        only = class_names[int(np.argmax(present))]
        raise DatasetError(f"{where}: every label is the same class ({only!r}); need at least 2 classes to train")
    counts = np.bincount(y_train, minlength=k)
    few = np.flatnonzero(counts < 2)
    if len(few):
        listed = ", ".join(f"{class_names[i]!r} ({counts[i]})" for i in few[:5])
        more = f" and {len(few) - 5} more" if len(few) > 5 else ""
        raise DatasetError(
            f"{where}: class(es) with fewer than 2 training examples after the split: {listed}{more};"
            " give more data or another split"
        )
    notes = []
    for name, y in sets.items():
        missing = np.flatnonzero(np.bincount(y, minlength=k) == 0)
        if len(missing) and len(y):
            listed = ", ".join(repr(class_names[i]) for i in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            notes.append(f"the {name} set has no examples of class(es) {listed}{more}")
    return notes
