"""Build ``assets/fashion-mnist-subset.npz`` from Debian's Fashion-MNIST training files.

The subset has the course's size, 18,720 images: the first 1,872 images of
each of the 10 classes in file order, kept in file order. Rebuild with::

    python assets/make_bundled_dataset.py [SOURCE_DIR]

SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist (Debian package
``dataset-fashion-mnist``). It prints the sha256 of each array, which
ATTRIBUTION.md records, and of the file; numpy stamps every zip member with
the same fixed date, so the file's bytes repeat too, as long as zlib
compresses the same way.

Standalone on purpose (stdlib + numpy): it reads the IDX files itself rather
than through ``core.datasets``, so it runs from any checkout state.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pathlib
import struct
import sys
import tempfile

import numpy as np

SOURCE_DIR = pathlib.Path("/usr/share/datasets/fashion-mnist")
OUTPUT = pathlib.Path(__file__).resolve().parent / "fashion-mnist-subset.npz"
PER_CLASS = 1872  # 10 x 1872 = 18720, the size of the course's notMNIST.npz
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


def read_idx(path: pathlib.Path, magic: int) -> np.ndarray:
    """A gzipped IDX file of unsigned bytes as an array of the header's shape."""
    data = gzip.decompress(path.read_bytes())
    found, = struct.unpack(">I", data[:4])
    if found != magic:
        raise SystemExit(f"{path}: IDX magic 0x{found:08x}, expected 0x{magic:08x}")
    ndim = magic & 0xFF
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    payload = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if payload.size != np.prod(dims):
        raise SystemExit(f"{path}: payload has {payload.size} bytes, header says {dims}")
    return payload.reshape(dims)


def first_per_class(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first ``per_class`` samples of every class, ascending (file order).

    labels: ``(n,)`` ints in 0..K-1. Returns ``(K * per_class,)`` indices.
    """
    chosen = []
    for k in range(len(CLASS_NAMES)):
        of_class = np.flatnonzero(labels == k)[:per_class]
        if len(of_class) < per_class:
            raise SystemExit(f"class {k} has only {len(of_class)} samples, need {per_class}")
        chosen.append(of_class)
    return np.sort(np.concatenate(chosen))


def save_atomically(path: pathlib.Path, **arrays: np.ndarray) -> None:
    """``np.savez_compressed`` to a temporary file beside ``path``, then rename over it.

    A crash mid-write leaves the old file intact instead of a truncated archive.
    """
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", suffix=".npz", delete=False)
    try:
        with handle:
            np.savez_compressed(handle, **arrays)
        os.chmod(handle.name, 0o644)  # temporary files start private; this one is for everyone
        os.replace(handle.name, path)
    except BaseException:
        os.unlink(handle.name)
        raise


def main(argv: list[str]) -> None:
    source = pathlib.Path(argv[1]) if len(argv) > 1 else SOURCE_DIR
    images = read_idx(source / "train-images-idx3-ubyte.gz", 0x00000803)
    labels = read_idx(source / "train-labels-idx1-ubyte.gz", 0x00000801)
    keep = first_per_class(labels, PER_CLASS)
    arrays = {
        "images": np.ascontiguousarray(images[keep]),  # (18720, 28, 28) uint8
        "labels": np.ascontiguousarray(labels[keep]),  # (18720,) uint8
        "class_names": np.array(CLASS_NAMES, dtype=str),
    }
    save_atomically(OUTPUT, **arrays)
    file_digest = hashlib.sha256(OUTPUT.read_bytes()).hexdigest()
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, sha256 {file_digest})")
    for key, array in arrays.items():
        digest = hashlib.sha256(array.tobytes()).hexdigest()
        print(f"sha256 {key} {array.dtype} {array.shape}: {digest}")


if __name__ == "__main__":
    main(sys.argv)
