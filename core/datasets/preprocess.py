"""How raw features become the network's inputs, fitted on the training set and stored
with a model so that evaluate, predict, resume and the app apply the very same steps.

Two kinds:

* ``pixels``: image data (whole numbers in 0..255, or floats already in [0, 1]) is
  divided by ``divisor`` (255 or 1), so inputs lie in [0, 1];
* ``standardise``: anything else (tabular features, real values, negative numbers)
  becomes ``(x - mean) / std`` per feature, with the TRAIN set's mean and std (a
  feature that is constant in train keeps std 1, so it maps to 0, never to inf).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PIXELS, STANDARDISE = "pixels", "standardise"
KINDS = (PIXELS, STANDARDISE)

# Below this a feature counts as constant: dividing by its std would blow noise up.
_MIN_STD = 1e-8


@dataclass(frozen=True, eq=False)
class Preprocess:
    """``apply(x)`` maps raw ``(n, n_features)`` rows to float32 inputs.

    ``mean`` and ``std`` are ``(n_features,)`` float64 for ``standardise``, None for
    ``pixels``. ``eq=False``: arrays have no single truth value.
    """

    kind: str = PIXELS
    divisor: float = 255.0
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"preprocess kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == STANDARDISE and (self.mean is None or self.std is None):
            raise ValueError("standardise needs mean and std")

    @classmethod
    def pixels(cls, divisor: float) -> "Preprocess":
        return cls(PIXELS, float(divisor))

    @classmethod
    def fit_standardise(cls, x_train: np.ndarray) -> "Preprocess":
        """Mean and std per feature of ``x_train`` ``(n, n_features)``, in float64."""
        x = np.asarray(x_train, dtype=np.float64)
        mean = x.mean(axis=0)
        std = x.std(axis=0)
        std = np.where(std < _MIN_STD, 1.0, std)
        return cls(STANDARDISE, 1.0, mean, std)

    @property
    def n_features(self) -> int | None:
        return None if self.mean is None else int(self.mean.shape[0])

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``x`` ``(n, n_features)`` as a new C-contiguous float32 array of inputs."""
        if self.kind == PIXELS:
            out = np.asarray(x).astype(np.float32, order="C")  # always a copy: safe to scale in place
            if self.divisor != 1.0:
                out /= np.float32(self.divisor)
            return out
        if x.shape[1] != self.mean.shape[0]:
            raise ValueError(f"expected {self.mean.shape[0]} features, got {x.shape[1]}")
        out = np.asarray(x, dtype=np.float64) - self.mean
        out /= self.std
        return out.astype(np.float32, order="C")

    def undo(self, inputs: np.ndarray) -> np.ndarray:
        """Inputs back to raw feature values (float64), e.g. for a table of a sample."""
        inputs = np.asarray(inputs, dtype=np.float64)
        if self.kind == PIXELS:
            return inputs * self.divisor
        return inputs * self.std + self.mean

    def describe(self) -> str:
        if self.kind == PIXELS:
            return "pixels scaled to [0, 1]" + (f" (/ {self.divisor:g})" if self.divisor != 1.0 else "")
        return "features standardised with the train set's mean and std"

    # -- storage in a checkpoint ------------------------------------------------
    def to_meta(self) -> dict:
        """The JSON part (the arrays go in ``arrays()``)."""
        return {"kind": self.kind, "divisor": self.divisor}

    def arrays(self) -> dict[str, np.ndarray]:
        if self.kind == PIXELS:
            return {}
        return {"mean": self.mean, "std": self.std}

    @classmethod
    def from_stored(cls, meta: dict | None, arrays: dict[str, np.ndarray]) -> "Preprocess":
        """Rebuild from ``to_meta()`` and ``arrays()``; a model saved before scaling was
        stored (no meta) used pixels / 255. ValueError on anything inconsistent."""
        if not meta:
            return cls.pixels(255.0)
        kind = meta.get("kind")
        divisor = float(meta.get("divisor", 1.0))
        if kind == PIXELS:
            if not (np.isfinite(divisor) and divisor > 0):
                raise ValueError(f"preprocess divisor {divisor}")
            return cls.pixels(divisor)
        if kind == STANDARDISE:
            mean, std = arrays.get("mean"), arrays.get("std")
            if mean is None or std is None or mean.ndim != 1 or mean.shape != std.shape:
                raise ValueError("standardise needs 1-D mean and std of one length")
            if mean.dtype.kind != "f" or std.dtype.kind != "f":
                raise ValueError("standardise mean and std must be floats")
            if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
                raise ValueError("standardise mean/std must be finite, std positive")
            return cls(STANDARDISE, 1.0, mean.astype(np.float64), std.astype(np.float64))
        raise ValueError(f"unknown preprocess kind {kind!r}")
