"""Test-set diagnostics: confusion matrix and per-class accuracy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import Network


@dataclass
class Evaluation:
    loss: float
    accuracy: float
    confusion: np.ndarray  # (K, K) counts; rows = true class, columns = predicted
    predictions: np.ndarray  # (n,) predicted class per sample

    @property
    def per_class_accuracy(self) -> np.ndarray:
        """(K,) recall per true class; NaN for a class absent from the set."""
        totals = self.confusion.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diag(self.confusion) / totals


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(K, K) counts from labels `(n,)` and predictions `(n,)`, rows = true class."""
    flat = np.asarray(y_true, dtype=np.intp) * n_classes + np.asarray(y_pred, dtype=np.intp)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def evaluate(network: Network, X: np.ndarray, y: np.ndarray) -> Evaluation:
    """Loss, accuracy, confusion matrix and predictions of `network` on `X` `(n, n_in)`."""
    X = np.ascontiguousarray(X, dtype=network.dtype)
    y = np.asarray(y, dtype=np.intp)
    pred = np.empty(len(y), dtype=np.intp)
    loss, accuracy = network.evaluate(X, y, predictions=pred)
    return Evaluation(loss=loss, accuracy=accuracy, confusion=confusion_matrix(y, pred, network.sizes[-1]), predictions=pred)
