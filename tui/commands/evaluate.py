"""`nntrain evaluate MODEL.npz`: loss, accuracy, per-class accuracy, confusion matrix."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UserError


def run(args: argparse.Namespace) -> int:
    from core import CheckpointError, evaluate, load_checkpoint, load_dataset

    ckpt = load_checkpoint(args.model)
    data_path = str(Path(args.data).expanduser().resolve()) if args.data else ckpt.config.data
    split = args.split if args.split is not None else (ckpt.config.split if not args.data else "")
    data = load_dataset(data_path, split or None, preprocess=ckpt.preprocess)
    try:
        which, epoch, why = ckpt.weights(getattr(args, "weights", "auto") or "auto")
    except CheckpointError as exc:
        raise UserError(str(exc)) from None
    net = ckpt.network(best=which == "best")
    if (data.n_features, data.n_classes) != (net.sizes[0], net.sizes[-1]):
        raise UserError(
            f"{args.model}: model takes {net.sizes[0]} features and {net.sizes[-1]} classes, "
            f"but {data.name} has {data.n_features} and {data.n_classes}"
        )
    X, y = {"train": (data.x_train, data.y_train), "valid": (data.x_valid, data.y_valid), "test": (data.x_test, data.y_test)}[args.which]
    result = evaluate(net, X, y)
    names = data.class_names
    print(f"model: {args.model} ({ckpt.config.describe()}, {len(ckpt.history)} epochs)")
    print(f"weights: epoch {epoch}'s, {why}")
    print(f"data: {data.name} ({data.source}), {args.which} set of {len(y)} samples, split {data.split}")
    print(f"loss {result.loss:.4f}  accuracy {100 * result.accuracy:.2f}%")
    print()
    print(format_confusion(result.confusion, names, result.per_class_accuracy))
    return 0


def format_confusion(confusion, names, per_class) -> str:
    """The confusion matrix as text, rows = true class, with per-class accuracy."""
    width = max(6, max(len(str(v)) for v in confusion.flat) + 1)
    labels = [n[:width - 1] for n in names]
    name_w = max(len(n) for n in names)
    head = " " * (name_w + 2) + "".join(f"{l:>{width}}" for l in labels) + "   accuracy"
    lines = ["confusion matrix (rows: true class, columns: predicted)", head]
    for name, row, acc in zip(names, confusion, per_class):
        acc_text = "     -" if acc != acc else f"{100 * acc:6.1f}%"
        lines.append(f"{name:>{name_w}}  " + "".join(f"{v:>{width}}" for v in row) + f"   {acc_text}")
    return "\n".join(lines)
