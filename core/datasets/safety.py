"""Checks made before a file is opened or an array allocated, so that a hostile or odd
file gives one line instead of a hang, a traceback or an exhausted machine.

* Only regular files (and directories) are read: a FIFO would block ``open`` forever,
  and ``/dev/zero`` would never end.
* An array's size is read from its ``.npy`` header and compared with the bytes that
  actually hold it and with the memory available, before anything is allocated: a
  header claiming 78 GB in a small file, or a deflate bomb, is refused at once.
"""

from __future__ import annotations

import math
import os
import stat

import numpy as np

from .dataset import DatasetError

# Training holds the raw arrays and a float32 copy (plus the trainer's own copy):
# leave room for that in the memory check.
_FLOAT32 = 4


def check_regular(path, where: str) -> os.stat_result:
    """``os.stat`` of ``path``; DatasetError unless it is a regular file or a directory."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DatasetError(f"{where}: no such file or directory") from None
    except OSError as error:
        raise DatasetError(f"{where}: cannot read ({error.strerror or error})") from None
    if stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode):
        return info
    raise DatasetError(f"{where}: not a regular file ({_kind(info.st_mode)}); give a dataset file or folder")


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def available_memory() -> int:
    """Bytes this process could still allocate: ``MemAvailable``, else free pages."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62  # unknown: do not refuse


def gigabytes(nbytes: int) -> str:
    return f"{nbytes / 1e9:.3g} GB" if nbytes >= 1e8 else f"{nbytes / 1e6:.3g} MB"


def check_fits(nbytes: int, n_values: int, where: str) -> None:
    """Refuse arrays of ``nbytes`` (``n_values`` numbers) that, with the float32 copy
    training makes, would not fit in the memory available."""
    need = nbytes + _FLOAT32 * n_values
    have = available_memory()
    if need > have:
        raise DatasetError(
            f"{where}: needs about {gigabytes(need)} of memory to load, only {gigabytes(have)} is available"
        )


def npy_header(handle) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, header bytes) from an open ``.npy`` stream positioned at its start.

    ValueError for anything that is not an ``.npy`` header.
    """
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
    elif version in ((2, 0), (3, 0)):
        shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    return tuple(int(s) for s in shape), np.dtype(dtype), handle.tell()


def declared_bytes(shape: tuple[int, ...], dtype: np.dtype) -> int:
    return math.prod(shape) * dtype.itemsize


def check_declared(shape, dtype: np.dtype, header: int, stored: int, where: str, key: str) -> int:
    """The array's byte count; DatasetError when the file holds fewer bytes than the
    header declares (a lying header) — checked before reading any of the data."""
    if dtype.hasobject:
        return 0  # refused later as a pickled object array, never loaded
    nbytes = declared_bytes(shape, dtype)
    if header + nbytes > stored:
        raise DatasetError(
            f"{where}: {key} declares shape {shape} ({gigabytes(nbytes)}) but the file holds only "
            f"{gigabytes(max(0, stored - header))}: a truncated or corrupt array"
        )
    return nbytes
