"""`nntrain gradcheck`: backprop against central differences, in float64."""

from __future__ import annotations

import argparse

from ..errors import UserError

TOLERANCE = 1e-6


def run(args: argparse.Namespace) -> int:
    from core.config import coerce
    from core.gradcheck import gradient_check

    hidden = coerce("hidden", args.hidden)
    if not hidden or min(hidden) < 1 or max(hidden) > 64:
        raise UserError(f"--hidden: sizes must be between 1 and 64 for a gradient check (got {args.hidden})")
    try:
        seed = int(args.seed)
    except ValueError:
        raise UserError(f"--seed: not an integer: {args.seed!r}") from None
    if seed < 0:
        raise UserError(f"--seed: must be non-negative (got {seed})")
    worst = 0.0
    for r in gradient_check(hidden=hidden, seed=seed, activation=args.activation):
        print(f"{r.name:>4}  relative error {r.rel_error:.3e}")
        worst = max(worst, r.rel_error)
    print(f"max relative error: {worst:.3e}")
    return 0 if worst <= TOLERANCE else 1
