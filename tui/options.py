"""The training options shared by `train`, `tui` and `sweep`, and their conversion to
config overrides. argparse only: this module is imported for `--help`."""

from __future__ import annotations

import argparse

# (flag, config field, metavar, help)
TRAIN_OPTIONS = (
    ("--data", "data", "PATH", "dataset: a .npz or an IDX folder (default: the bundled Fashion-MNIST subset)"),
    ("--split", "split", "TRAIN,VALID", "counts or fractions for train and valid; the rest is test"),
    ("--hidden", "hidden", "SIZES", "hidden layer sizes, e.g. 1000 or 512,256"),
    ("--epochs", "epochs", "N", "number of epochs"),
    ("--lr", "lr", "X", "learning rate"),
    ("--momentum", "momentum", "X", "momentum (gamma) for momentum and nesterov"),
    ("--v0", "v0", "X", "initial velocity of the momentum optimizers (the course: 1e-5)"),
    ("--optimizer", "optimizer", "NAME", "momentum | nesterov | adam | sgd"),
    ("--batch-size", "batch_size", "N|full", "mini-batch size, or full for full-batch gradient descent"),
    ("--reduction", "reduction", "mean|sum", "the loss the gradient is taken of: mean or total cross-entropy"),
    ("--l2", "l2", "X", "L2 weight decay"),
    ("--dropout", "dropout", "P", "dropout probability on hidden layers"),
    ("--early-stop", "early_stop", "PATIENCE", "stop after PATIENCE epochs without improvement (0: off)"),
    ("--min-delta", "min_delta", "X", "smallest change that counts as an improvement"),
    ("--monitor", "monitor", "METRIC", "valid_acc | valid_loss: what early stopping and 'best' follow"),
    ("--train-eval", "train_eval", "auto|on|off",
     "train loss/acc by a clean pass at each epoch's end (auto: on for full batch or under 20000 samples)"),
    ("--init", "init", "NAME", "xavier | he"),
    ("--seed", "seed", "N", "random seed"),
    ("--dtype", "dtype", "NAME", "float32 | float64"),
)


def add_train_options(parser: argparse.ArgumentParser, lists: bool = False) -> None:
    """Add every training option; with `lists`, each takes a comma list (for sweeps)."""
    group = parser.add_argument_group("training options" + (" (each takes a comma list)" if lists else ""))
    group.add_argument("--preset", metavar="NAME", help="start from a preset: course (the assignment) or quick")
    group.add_argument("--config", metavar="FILE.toml", help="read options from a TOML file (e.g. a run's config.toml)")
    for flag, field, metavar, text in TRAIN_OPTIONS:
        if lists and field == "hidden":
            text = "hidden sizes per run: 100,500 is two runs; use 512x256 for two layers in one run"
        if lists and field == "split":
            text = 'TRAIN,VALID per run; separate several splits with ";", e.g. "10000,6000;5000,3000"'
        group.add_argument(flag, dest=field, metavar=metavar, default=None, help=text)
    if not lists:
        group.add_argument(
            "--restore-best", dest="restore_best", action=argparse.BooleanOptionalAction, default=None,
            help="with early stopping, the result is the best epoch's weights (default: on)",
        )


def overrides_from(args: argparse.Namespace) -> dict:
    """The training options the user actually gave, as raw strings keyed by config field."""
    fields = [field for _, field, _, _ in TRAIN_OPTIONS] + ["restore_best"]
    return {field: getattr(args, field) for field in fields if getattr(args, field, None) is not None}
