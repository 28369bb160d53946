"""Predict an image file of the user's own with a run's network, for the Samples tab.

Blocking (decode, resize, one forward pass): the viewer calls it in a thread worker.
Nothing here imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.datasets import TABULAR
from core.datasets.imagefile import ImageReadError, read_image
from core.predict import image_inputs, image_row

from .run_buffer import Run


class OwnImageError(ValueError):
    """Why an image cannot be predicted; one line for the viewer and a notification."""


@dataclass(frozen=True, eq=False)
class OwnImage:
    """The image as the model saw it, `(h, w)` or `(h, w, 3)` in [0, 1], and its top classes."""

    path: Path
    picture: np.ndarray
    top: list[tuple[str, float]]
    notes: tuple[str, ...] = ()


def predict_own_image(run: Run | None, path: str, top_k: int = 3) -> OwnImage:
    """Decode `path`, fit it to the run's input shape and preprocessing, and predict it."""
    if run is None:
        raise OwnImageError("no run to predict with: train one or open a model.npz first")
    if run.live:
        raise OwnImageError("this run is still training: open an image once it has ended")
    data, ckpt = run.data, run.checkpoint
    if data is not None:
        shape, preprocess, kind = tuple(data.image_shape), data.preprocess, data.kind
    elif ckpt is not None:
        shape, preprocess, kind = ckpt.image_shape, ckpt.preprocess, ckpt.data_kind
    else:
        raise OwnImageError("this run has no data loaded to know its input shape")
    if kind == TABULAR:
        raise OwnImageError(f"{run.label} was trained on tabular data, not images")
    if run.trainer is not None:
        net = run.trainer.result_network()
    elif ckpt is not None:
        net = ckpt.default_network()
    else:
        raise OwnImageError(f"{run.label} has no network in memory")
    file = Path(path).expanduser()
    if not file.is_file():
        raise OwnImageError(f"{file}: no such file")
    try:
        image = read_image(file)
    except ImageReadError as error:
        raise OwnImageError(f"{file}: cannot read image ({error})") from None
    row, notes = image_row(image, shape)
    proba = net.predict_proba(image_inputs(row[None, :], preprocess))[0]
    names = list(run.class_names) or [str(k) for k in range(len(proba))]
    order = np.argsort(-proba, kind="stable")[:top_k]
    picture = row.reshape(shape).astype(float) / 255.0
    return OwnImage(file, picture, [(names[k], float(proba[k])) for k in order], tuple(notes))
