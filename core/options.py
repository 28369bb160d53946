"""The one description of every training option: type, choices, bounds, CLI flag,
help and form label. `TrainConfig.validate`, the CLI's options and the app's form
are all derived from `OPTIONS`, so a limit is written once."""

from __future__ import annotations

import math
from dataclasses import dataclass

# The choices live here, not beside the code that uses them, so that the CLI can describe
# every option (`nntrain --help`) without importing NumPy.
REDUCTIONS = ("mean", "sum")
DTYPES = ("float32", "float64")
INITS = ("xavier", "he")
OPTIMIZERS = ("momentum", "nesterov", "adam", "sgd", "rmsprop")
SCHEDULES = ("constant", "step", "cosine", "plateau")
# Hidden-layer activations. leaky_relu is max(z, LEAKY_SLOPE * z): the slope below zero
# is this one constant (core.maths, core.kernels and the help text read it from here).
ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu")
LEAKY_SLOPE = 0.01

AUGMENTS = ("none", "shift")

MONITORS = ("valid_acc", "valid_loss")
TRAIN_EVALS = ("auto", "on", "off")
FULL_BATCH_HINT = "use full for full batch"


@dataclass(frozen=True)
class Option:
    """One TrainConfig field. kind: int | float | sizes (tuple of ints) | choice | bool | text.
    `minimum`/`maximum` bound a number (each size, for sizes); None = unbounded."""

    name: str
    kind: str
    flag: str
    metavar: str
    help: str
    label: str = ""  # "" = not in the form
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    full: bool = False  # "full" is a value (stored as 0): the batch size

    def range_text(self) -> str:
        """The bounds in words, e.g. "above 0 and at most 1000"."""
        parts = []
        if self.minimum is not None:
            parts.append(f"{'at least' if self.min_inclusive else 'above'} {_number(self.minimum)}")
        if self.maximum is not None:
            parts.append(f"{'at most' if self.max_inclusive else 'below'} {_number(self.maximum)}")
        return " and ".join(parts)

    def span_text(self) -> str:
        """Short bounds for a form's message: "1-100000" when both ends are included."""
        if self.minimum is not None and self.maximum is not None and self.min_inclusive and self.max_inclusive:
            return f"{_number(self.minimum)}-{_number(self.maximum)}"
        return self.range_text()

    def in_range(self, x: float) -> bool:
        if self.minimum is not None and (x < self.minimum if self.min_inclusive else x <= self.minimum):
            return False
        if self.maximum is not None and (x > self.maximum if self.max_inclusive else x >= self.maximum):
            return False
        return True

    def problem(self, value) -> str | None:
        """Why a typed `value` of the field is bad, or None when it is good."""
        if self.kind == "choice":
            return None if value in self.choices else f"must be one of {', '.join(self.choices)}"
        if self.kind == "bool":
            return None if isinstance(value, bool) else "must be true or false"
        if self.kind == "text":
            return None if isinstance(value, str) else "must be text"
        if self.kind == "sizes":
            if not isinstance(value, tuple) or not value or not all(_is_int(h) for h in value):
                return "hidden sizes must be positive integers"
            if not all(self.in_range(h) for h in value):
                return f"each size must be {self.range_text()}"
            return None
        if self.kind == "int":
            if not _is_int(value):
                return "must be a whole number"
            if self.full and value == 0:
                return None  # 0 = full batch, how configs store "full"
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return "must be a finite number"
        if not self.in_range(value):
            return f"must be {self.range_text()}" + (f" ({FULL_BATCH_HINT})" if self.full else "")
        return None

    def text_problem(self, text: str) -> str | None:
        """Why text a user typed (CLI or form) is bad for the field, or None. Unlike a
        stored config, typed text may not say 0 for the full batch."""
        from .config import ConfigError, coerce

        if self.full and text.strip().isdigit() and int(text.strip()) == 0:
            return f"must be {self.range_text()} ({FULL_BATCH_HINT})"
        try:
            value = coerce(self.name, text)
        except ConfigError:
            return _UNREADABLE.get(self.kind, "cannot be read")
        return self.problem(value)


_UNREADABLE = {
    "int": "must be a whole number",
    "float": "must be a number, e.g. 0.05 or 1e-5",
    "sizes": "sizes must be whole numbers, e.g. 1000 or 512,256",
    "bool": "must be true or false",
}


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


MAX_HIDDEN = 100_000
MAX_EPOCHS = 1_000_000

OPTIONS: tuple[Option, ...] = (
    Option("data", "text", "--data", "PATH", "dataset: .npz, .npy, .csv[.gz], a folder of class folders of images, or of IDX files (default: the bundled Fashion-MNIST subset)", "Dataset"),
    Option("split", "text", "--split", "TRAIN,VALID", "counts or fractions for train and valid; the rest is test", "Split"),
    Option("hidden", "sizes", "--hidden", "SIZES", "hidden layer sizes, e.g. 1000 or 512,256", "Hidden",
           minimum=1, maximum=MAX_HIDDEN),
    Option("activation", "choice", "--activation", "NAME",
           f"hidden-layer activation: relu | tanh | sigmoid | leaky_relu (slope {LEAKY_SLOPE:g} below 0)", "Activation",
           choices=ACTIVATIONS),
    Option("epochs", "int", "--epochs", "N", "number of epochs", "Epochs", minimum=1, maximum=MAX_EPOCHS),
    Option("optimizer", "choice", "--optimizer", "NAME", "momentum | nesterov | adam | sgd | rmsprop", "Optimizer",
           choices=OPTIMIZERS),
    Option("lr", "float", "--lr", "X", "learning rate", "Learn rate", minimum=0, min_inclusive=False, maximum=1000),
    Option("momentum", "float", "--momentum", "X", "momentum (gamma) for momentum and nesterov", "Momentum",
           minimum=0, maximum=1, max_inclusive=False),
    Option("v0", "float", "--v0", "X", "initial velocity of the momentum optimizers (the course: 1e-5)"),
    Option("schedule", "choice", "--schedule", "NAME",
           "learning-rate schedule: constant | step (x lr-gamma every lr-step epochs) | cosine (over the run,"
           " after --warmup) | plateau (x lr-gamma after lr-patience epochs without a better valid loss)",
           "Schedule", choices=SCHEDULES),
    Option("lr_step", "int", "--lr-step", "EPOCHS", "step schedule: epochs between reductions", minimum=1,
           maximum=1_000_000),
    Option("lr_gamma", "float", "--lr-gamma", "X", "step and plateau schedules: the factor of each reduction",
           minimum=0, min_inclusive=False, maximum=1, max_inclusive=False),
    Option("warmup", "int", "--warmup", "EPOCHS", "cosine schedule: epochs of linear warm-up first", minimum=0,
           maximum=1_000_000),
    Option("lr_patience", "int", "--lr-patience", "EPOCHS",
           "plateau schedule: epochs without a better valid loss before a reduction", minimum=1, maximum=1_000_000),
    Option("batch_size", "int", "--batch-size", "N|full", "mini-batch size, or full for full-batch gradient descent",
           "Batch", minimum=1, maximum=10_000_000, full=True),
    Option("reduction", "choice", "--reduction", "mean|sum",
           "the loss the gradient is taken of: mean or total cross-entropy", "Loss", choices=REDUCTIONS),
    Option("l2", "float", "--l2", "X", "L2 weight decay", "L2", minimum=0, maximum=10),
    Option("dropout", "float", "--dropout", "P", "dropout probability on hidden layers", "Dropout",
           minimum=0, maximum=1, max_inclusive=False),
    Option("augment", "choice", "--augment", "none|shift",
           "image data: shift each training image by up to 2 pixels at random, per batch", "Augment",
           choices=AUGMENTS),
    Option("label_smoothing", "float", "--label-smoothing", "X",
           "train against (1 - X) * one-hot + X / classes; reported losses stay the plain cross-entropy",
           "Smoothing", minimum=0, maximum=1, max_inclusive=False),
    Option("early_stop", "int", "--early-stop", "PATIENCE", "stop after PATIENCE epochs without improvement (0: off)",
           "Patience", minimum=0, maximum=MAX_EPOCHS),
    Option("min_delta", "float", "--min-delta", "X", "smallest change that counts as an improvement", minimum=0),
    Option("monitor", "choice", "--monitor", "METRIC", "valid_acc | valid_loss: what early stopping and 'best' follow",
           "Monitor", choices=MONITORS),
    Option("restore_best", "bool", "--restore-best", "",
           "with early stopping, the run's result uses the best epoch's weights", "Restore best"),
    Option("train_eval", "choice", "--train-eval", "auto|on|off",
           "clean train loss/accuracy after each epoch; auto = on for full batch or fewer than 20000 training samples",
           "Train eval", choices=TRAIN_EVALS),
    Option("init", "choice", "--init", "NAME", "xavier | he", choices=INITS),
    Option("seed", "int", "--seed", "N", "random seed", "Seed", minimum=0, maximum=2**32 - 1),
    Option("dtype", "choice", "--dtype", "NAME", "float32 | float64", "Dtype", choices=DTYPES),
)

BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}
