"""Learning-rate schedules: the rate an epoch trains with, from the config and the
history so far.

A pure function of (config, epoch, history): a resumed run gets the same rates as an
uninterrupted one with nothing extra stored, and the `lr` column of a history is the
rate actually used.

* constant: ``lr``;
* step: ``lr * lr_gamma ** floor((epoch - 1) / lr_step)``;
* cosine: a linear warm-up to ``lr`` over ``warmup`` epochs (``lr * e / warmup``),
  then ``lr * (1 + cos(pi * t)) / 2`` with ``t`` going from 0 to 1 over the remaining
  epochs of the run (the last epoch trains at a small but non-zero rate);
* plateau (as Keras' ReduceLROnPlateau): multiply by ``lr_gamma`` each time
  ``lr_patience`` epochs pass without a valid loss below the best so far; the count
  starts again after a reduction.
"""

from __future__ import annotations

import math
from typing import Sequence

from .options import SCHEDULES  # noqa: F401 - the choices live in core.options


def learning_rate(config, epoch: int, history: Sequence = ()) -> float:
    """The rate of `epoch` (1-based) of a run of `config`; `history` holds the epochs
    before it (records with `valid_loss`), which only the plateau schedule reads."""
    lr = config.lr
    if config.schedule == "step":
        return lr * config.lr_gamma ** ((epoch - 1) // config.lr_step)
    if config.schedule == "cosine":
        warmup = min(config.warmup, config.epochs)
        if epoch <= warmup:
            return lr * epoch / warmup
        span = config.epochs - warmup
        t = (epoch - warmup - 1) / span if span > 0 else 0.0
        return lr * 0.5 * (1.0 + math.cos(math.pi * t))
    if config.schedule == "plateau":
        return lr * config.lr_gamma ** _plateau_reductions(history[: epoch - 1], config.lr_patience)
    return lr


def _plateau_reductions(history: Sequence, patience: int) -> int:
    """How many reductions the valid losses of `history` call for."""
    best, waited, reductions = math.inf, 0, 0
    for record in history:
        if record.valid_loss < best:
            best, waited = record.valid_loss, 0
            continue
        waited += 1
        if waited >= patience:
            reductions += 1
            waited = 0
    return reductions
