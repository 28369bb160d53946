"""`nntrain plot RUN_DIR...`: loss and accuracy curves to a PNG/SVG/PDF or the terminal."""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import UserError


def run(args: argparse.Namespace) -> int:
    from ..plotting import check_output, collect_runs, parse_sets, require_matplotlib, save_figure, terminal_plot

    if not args.output and not args.terminal:
        raise UserError("give -o FILE.png|.svg|.pdf, or --terminal")
    if args.output:
        check_output(args.output)
        require_matplotlib()
    runs = collect_runs(args.runs)
    sets = parse_sets(args.sets, several=len(runs) > 1)
    if args.terminal:
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        print(terminal_plot(runs, args.metric, sets, color=color))
    if args.output:
        out = save_figure(runs, args.output, args.metric, sets)
        print(f"wrote {out} ({len(runs)} run{'s' * (len(runs) != 1)}: {args.metric}, {','.join(sets)})")
    return 0
