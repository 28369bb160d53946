"""Read a folder of image files, one sub-folder per class (the ImageFolder layout).

Layouts:

* ``ROOT/<class>/<files>``: one set, split later like any single array;
* ``ROOT/train/<class>/...`` and ``ROOT/test/<class>/...`` (and optionally
  ``ROOT/valid/`` or ``ROOT/val/``): the folder's own sets, kept as they are.

Class names are the sorted union of the class folder names; files are taken in
name order (recursively inside a class folder), so a load is deterministic.
Hidden entries (``.``-prefixed) and files without an image suffix are ignored.
Every image is brought to one mode (colour if any image is colour) and one size
(the most common one). Unreadable files are skipped and named in the notes.
Decoded arrays are cached (:mod:`core.datasets.cache`): an unchanged folder is
decoded once.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np

from . import cache
from .dataset import DatasetError, _Raw
from .imagefile import ImageReadError, is_image_name, read_image, resize, to_channels
from .text import _describe, _shape_text

# Bump when what read_image_folder returns for the same files changes.
CACHE_VERSION = 1

_SETS = ("train", "valid", "test")
_SET_FOLDERS = {"train": ("train",), "valid": ("valid", "val"), "test": ("test",)}
_PROGRESS_INTERVAL = 0.05  # seconds: at most ~20 calls a second
_NAMED_SKIPS = 3

LAYOUT = (
    "expected ROOT/<class>/<image files> (or ROOT/train/<class>/... and ROOT/test/<class>/...)"
    " with png/jpg/jpeg/bmp/gif images"
)

Progress = Callable[[int, int, str], None]


def is_image_folder(directory: str | os.PathLike) -> bool:
    """Whether ``directory`` has an image file somewhere below it (hidden entries aside)."""
    stack = [os.fspath(directory)]
    while stack:
        try:
            with os.scandir(stack.pop()) as scan:
                for entry in scan:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir():
                        stack.append(entry.path)
                    elif is_image_name(entry.name) and entry.is_file():
                        return True
        except OSError:
            continue
    return False


def read_image_folder(
    directory: str | os.PathLike, where: str, progress: Progress | None = None,
) -> _Raw:
    """Decode every image below ``directory`` into uint8 rows ``(n, h*w*c)`` with labels.

    ``progress(done, total, "decoding images")`` is called while files are decoded
    (not at all when the cache has them).
    """
    root = Path(directory)
    sets, class_names, top_images = _scan(root, where)
    files = [(name, label, rel, size, mtime) for name in _SETS for label, rel, size, mtime in sets.get(name, [])]
    if not files:
        if top_images:
            raise DatasetError(f"{where}: images but no class sub-folders; {LAYOUT}")
        raise DatasetError(f"{where}: no image files found; {LAYOUT}")

    key = cache.make_key(
        "images", CACHE_VERSION, str(root.resolve()),
        ((name, rel, size, mtime) for name, _, rel, size, mtime in files),
    )
    arrays = cache.load(key)
    if arrays is not None:
        try:
            return _raw_from_arrays(arrays)
        except (KeyError, ValueError, IndexError, TypeError):
            pass  # an entry from an incompatible writer: decode again and replace it
    raw = _decode(root, files, class_names, where, progress)
    cache.store(key, _raw_to_arrays(raw))
    return raw


# --------------------------------------------------------------------------- scanning


def _scan(root: Path, where: str):
    """``({set: [(label, rel, size, mtime_ns)]}, class_names, has_top_images)``."""
    try:
        top = _entries(root)
    except OSError as error:
        raise DatasetError(f"{where}: cannot read the folder ({_describe(error)})") from None
    folders = {e.name: e for e in top if e.is_dir()}
    top_images = any(is_image_name(e.name) and not e.is_dir() for e in top)
    chosen = {}
    lowered = {name.lower(): name for name in folders}
    if "train" in lowered and "test" in lowered:
        for set_name, spellings in _SET_FOLDERS.items():
            found = next((lowered[s] for s in spellings if s in lowered), None)
            if found is not None:
                chosen[set_name] = Path(folders[found].path)
    else:
        chosen["train"] = root

    per_set = {}
    for set_name, folder in chosen.items():
        try:
            per_set[set_name] = {
                e.name: _images_below(Path(e.path), e.name) for e in _entries(folder) if e.is_dir()
            }
        except OSError as error:
            raise DatasetError(f"{folder}: cannot read the folder ({_describe(error)})") from None
    class_names = tuple(sorted({name for classes in per_set.values() for name in classes}))
    index = {name: k for k, name in enumerate(class_names)}
    sets = {}
    for set_name, classes in per_set.items():
        prefix = "" if chosen[set_name] == root else chosen[set_name].name + "/"
        sets[set_name] = [
            (index[name], prefix + rel, size, mtime)
            for name in sorted(classes) for rel, size, mtime in classes[name]
        ]
    return sets, class_names, top_images


def _entries(folder: Path) -> list[os.DirEntry]:
    """Non-hidden entries of ``folder``."""
    with os.scandir(folder) as scan:
        return [e for e in scan if not e.name.startswith(".")]


def _images_below(folder: Path, rel: str) -> list[tuple[str, int, int]]:
    """``(relative path, size, mtime_ns)`` of every image file below ``folder``, by name."""
    found = []
    try:
        entries = _entries(folder)
    except OSError:
        return found
    for entry in sorted(entries, key=lambda e: e.name):
        path = f"{rel}/{entry.name}"
        try:
            if entry.is_dir():
                found.extend(_images_below(Path(entry.path), path))
            elif is_image_name(entry.name) and entry.is_file():  # a FIFO would block the decoder
                stat = entry.stat()
                found.append((path, stat.st_size, stat.st_mtime_ns))
        except OSError:
            found.append((path, -1, -1))  # unreadable: decoding will name it as skipped
    return found


# --------------------------------------------------------------------------- decoding


class _Rows:
    """Decoded images gathered into one ``(capacity, h*w*c)`` uint8 buffer.

    The buffer takes the first image's size; images of other sizes wait, unresized,
    until the most common size is known. The channel count grows to 3 (replicating
    what is there) the first time a colour image arrives.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.buffer = None
        self.size = None      # (h, w) of the buffer's rows
        self.channels = 1
        self.odd = {}         # row -> image of another size
        self.sizes = Counter()

    def put(self, row: int, image: np.ndarray) -> None:
        size = image.shape[:2]
        self.sizes[size] += 1
        if image.ndim == 3 and self.channels == 1:
            self._to_colour()
        if self.buffer is None:
            self.size = size
            self.buffer = np.zeros((self.capacity, size[0] * size[1] * self.channels), np.uint8)
        if size == self.size:
            self.buffer[row] = to_channels(image, self.channels).reshape(-1)
        else:
            self.odd[row] = image

    def _to_colour(self) -> None:
        self.channels = 3
        if self.buffer is None:
            return
        h, w = self.size
        grey = self.buffer.reshape(self.capacity, h, w)
        self.buffer = np.repeat(grey[:, :, :, None], 3, axis=3).reshape(self.capacity, -1)

    def finish(self, kept: np.ndarray) -> tuple[np.ndarray, tuple[int, ...], int]:
        """Rows ``kept`` at the most common size, the image shape, and how many were resized."""
        # Most images win; a tie goes to the larger, then taller size, so the choice is fixed.
        target = max(self.sizes, key=lambda s: (self.sizes[s], s[0] * s[1], s))
        h, w = target
        c = self.channels
        shape = (h, w) if c == 1 else (h, w, c)
        if target == self.size:
            out = self.buffer
        else:
            # Rare: the first image was not of the common size. Resize buffered rows into a new buffer.
            out = np.zeros((self.capacity, h * w * c), np.uint8)
            bh, bw = self.size
            for row in kept:
                if row not in self.odd:
                    image = self.buffer[row].reshape((bh, bw) if c == 1 else (bh, bw, c))
                    self.odd[row] = image
            self.buffer = None
        resized = 0
        for row, image in self.odd.items():
            if image.shape[:2] != target:
                image = resize(image, target)
                resized += 1
            out[row] = to_channels(image, c).reshape(-1)
        self.odd = {}
        return _compact(out, kept), shape, resized


def _compact(rows: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """``rows[kept]`` for sorted ``kept``, moved down in place: no second full-size copy."""
    if len(kept) == len(rows):
        return rows
    chunk = 4096
    for start in range(0, len(kept), chunk):
        # Every source row is at or after its destination, and after all rows written so far.
        picked = kept[start:start + chunk]
        rows[start:start + len(picked)] = rows[picked]
    return rows[:len(kept)]


def _decode(root: Path, files: list, class_names: tuple, where: str, progress: Progress | None) -> _Raw:
    total = len(files)
    rows = _Rows(total)
    ok = np.zeros(total, dtype=bool)
    skipped = []
    last = time.monotonic()
    for row, (_, _, rel, _, _) in enumerate(files):
        try:
            rows.put(row, read_image(root / rel))
            ok[row] = True
        except ImageReadError as error:
            skipped.append((rel, str(error)))
        if progress is not None:
            now = time.monotonic()
            if now - last >= _PROGRESS_INTERVAL:
                last = now
                progress(row + 1, total, "decoding images")
    if progress is not None:
        progress(total, total, "decoding images")
    if not ok.any():
        raise DatasetError(f"{where}: none of the {total} image files could be read; {LAYOUT}")

    kept = np.flatnonzero(ok)
    x, shape, resized = rows.finish(kept)
    labels = np.array([files[k][1] for k in kept], dtype=np.int64)
    # Files are ordered train, valid, test, so each set is a contiguous run of rows: views, no copies.
    set_of = np.array([_SETS.index(files[k][0]) for k in kept])
    bounds = np.searchsorted(set_of, [0, 1, 2, 3])
    notes = []
    if resized:
        notes.append(f"resized {_count(resized, 'image')} to {_shape_text(shape[:2])} (the most common size)")
    if skipped:
        named = ", ".join(f"{rel} ({reason})" for rel, reason in skipped[:_NAMED_SKIPS])
        more = f", and {len(skipped) - _NAMED_SKIPS} more" if len(skipped) > _NAMED_SKIPS else ""
        notes.append(f"skipped {_count(len(skipped), 'unreadable image file')}: {named}{more}")

    def part(k):
        return x[bounds[k]:bounds[k + 1]], labels[bounds[k]:bounds[k + 1]]

    raw = _Raw(x, labels, shape, class_names, notes=notes, skipped=[rel for rel, _ in skipped])
    present = {files[k][0] for k in kept}
    if "test" in {f[0] for f in files}:
        if "test" not in present:
            raise DatasetError(f"{where}: none of the test folder's image files could be read")
        if "train" not in present:
            raise DatasetError(f"{where}: none of the train folder's image files could be read")
        raw.x, raw.y = part(0)
        raw.test = part(2)
        raw.train_origin, raw.test_origin = "the train folder", "the test folder"
        if "valid" in {f[0] for f in files}:
            raw.valid = part(1)
    return raw


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


# --------------------------------------------------------------------------- cache entries


def _raw_to_arrays(raw: _Raw) -> dict[str, np.ndarray]:
    arrays = {
        "x": raw.x, "y": raw.y,
        "image_shape": np.array(raw.image_shape, dtype=np.int64),
        "class_names": np.array(raw.class_names, dtype=str),
        "notes": np.array(raw.notes, dtype=str),
        "skipped": np.array(raw.skipped, dtype=str),
        "origins": np.array([raw.train_origin, raw.test_origin], dtype=str),
    }
    for name in ("valid", "test"):
        part = getattr(raw, name)
        if part is not None:
            arrays[f"x_{name}"], arrays[f"y_{name}"] = part
    return arrays


def _raw_from_arrays(arrays: dict[str, np.ndarray]) -> _Raw:
    shape = tuple(int(v) for v in arrays["image_shape"])
    width = int(np.prod(shape))
    parts = {}
    for name in ("", "_valid", "_test"):
        if f"x{name}" in arrays:
            x, y = arrays[f"x{name}"], arrays[f"y{name}"]
            if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != width or y.shape != (len(x),):
                raise ValueError("cache entry does not match its shape")
            parts[name] = (x, y.astype(np.int64))
    class_names = tuple(str(name) for name in arrays["class_names"])
    train_origin, test_origin = (str(v) for v in arrays["origins"])
    x, y = parts[""]
    return _Raw(
        x, y, shape, class_names,
        valid=parts.get("_valid"), test=parts.get("_test"),
        train_origin=train_origin, test_origin=test_origin,
        notes=[str(v) for v in arrays["notes"]], skipped=[str(v) for v in arrays["skipped"]],
    )
