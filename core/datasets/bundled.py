"""The bundled Fashion-MNIST subset: its name and where the file is."""

from __future__ import annotations

import pathlib

from .dataset import DatasetError

BUNDLED = "bundled"
BUNDLED_NAME = "fashion-mnist-subset"
BUNDLED_FILE = BUNDLED_NAME + ".npz"


def bundled_path() -> pathlib.Path:
    """Location of the bundled ``fashion-mnist-subset.npz``.

    An installed wheel carries it in ``core/_assets/``; a checkout has it in the
    top-level ``assets/``. This file is ``core/datasets/bundled.py``.
    """
    candidates = (
        pathlib.Path(__file__).parent.parent / "_assets" / BUNDLED_FILE,
        pathlib.Path(__file__).resolve().parent.parent.parent / "assets" / BUNDLED_FILE,
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = " or ".join(str(c) for c in candidates)
    raise DatasetError(f"bundled dataset is missing: looked for {looked}")
