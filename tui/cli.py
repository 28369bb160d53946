"""`nntrain`: the Textual app by default, plus headless commands for scripts and SSH.

Only argparse is imported at start-up; each command imports what it needs, so
`nntrain --help` is instant and `nntrain train` never loads Textual.
"""

from __future__ import annotations

import argparse
import sys

from core.options import ACTIVATIONS

from .options import add_train_options

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (exit 2), no usage dump."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> Parser:
    parser = Parser(prog="nntrain", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("tui", help="open the Textual app (the default)")
    add_train_options(p)
    p.add_argument("--start", action="store_true", help="start training at once")

    p = sub.add_parser("train", help="train headless, with a progress bar")
    add_train_options(p)
    p.add_argument("--out", metavar="DIR", help="run folder (default: a new runs/<timestamp>)")
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue from a model.npz")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--quiet", action="store_true", help="print only the final summary")
    out.add_argument("--jsonl", action="store_true", help="print one JSON object per epoch on stdout")

    p = sub.add_parser("evaluate", help="loss, accuracy, per-class accuracy and confusion matrix of a model")
    p.add_argument("model", metavar="MODEL.npz")
    p.add_argument("--data", metavar="PATH", help="dataset (default: the one the model was trained on)")
    p.add_argument("--split", metavar="TRAIN,VALID", help="split of that dataset")
    p.add_argument("--set", dest="which", choices=("train", "valid", "test"), default="test", help="which set (default: test)")
    p.add_argument("--weights", choices=("auto", "final", "best"), default="auto",
                   help="auto: the run's result (the best epoch's if it restored them, else the last); final; best")

    p = sub.add_parser("predict", help="a model's classes for image files, folders of images or data files")
    p.add_argument("model", metavar="MODEL.npz")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders of images, or .npz/.npy/.csv/IDX data")
    p.add_argument("--top", type=int, default=3, metavar="K", help="classes to list per input (default 3)")
    p.add_argument("--json", action="store_true", help="one JSON object per input")

    p = sub.add_parser("gradcheck", help="finite differences against backprop, in float64")
    p.add_argument("--hidden", default="8,6", metavar="SIZES", help="hidden sizes of the test network (default 8,6)")
    p.add_argument("--seed", default="0", metavar="N")
    p.add_argument("--activation", default="relu", choices=ACTIVATIONS, help="hidden-layer activation (default relu)")

    p = sub.add_parser("bench", help="time an epoch against the BLAS bound")
    p.add_argument("--n", type=int, default=10000, metavar="N", help="training images (default 10000)")
    p.add_argument("--hidden", default="1000", metavar="SIZES")
    p.add_argument("--batch-size", default="full", metavar="N|full")
    p.add_argument("--dtype", default="both", choices=("float32", "float64", "both"))
    p.add_argument("--epochs", type=int, default=5, metavar="K", help="timed epochs after a warm-up (default 5)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--minibatch", action="store_true", help="also time batch sizes 32, 128, 512")
    p.add_argument("--tui", action="store_true", help="also time training inside the app's worker")

    p = sub.add_parser("sweep", help="train a grid of configurations")
    add_train_options(p, lists=True)
    p.add_argument("--repeats", default="1", metavar="R", help="runs per configuration, with seeds seed..seed+R-1")
    p.add_argument("--workers", default=None, metavar="W", help="parallel runs (default: one per core, at most one per run; on a cluster: its worker threads)")
    p.add_argument("--out", metavar="DIR", help="sweep folder (default: a new sweeps/<timestamp>); rerun to resume")
    p.add_argument("--cluster", metavar="tcp://HOST:PORT", help="submit the runs to a Dask scheduler")
    p.add_argument("--quiet", action="store_true")

    p = sub.add_parser("plot", help="loss and accuracy curves of runs, to a file or the terminal")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR")
    p.add_argument("-o", "--output", metavar="FILE", help="FILE.png, .svg or .pdf")
    p.add_argument("--metric", choices=("loss", "accuracy", "both"), default="both")
    p.add_argument("--sets", default=None, metavar="SETS", help="train,valid,test (default: all; valid for several runs)")
    p.add_argument("--terminal", action="store_true", help="draw in the terminal with plotext")

    p = sub.add_parser("report", help="the course report of a run or sweep folder, as Markdown or HTML")
    p.add_argument("source", metavar="RUN_OR_SWEEP")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="report.md (images beside it) or report.html (one file)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv or ["tui"])
    except SystemExit as exc:  # a usage error (one line, already printed) or --help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    command = args.command or "tui"
    try:
        return _dispatch(command, args)
    except KeyboardInterrupt:
        print("nntrain: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0


def _dispatch(command: str, args: argparse.Namespace) -> int:
    from .errors import UserError, user_errors

    try:
        if command == "train":
            from .commands.train import run
        elif command == "evaluate":
            from .commands.evaluate import run
        elif command == "predict":
            from .commands.predict import run
        elif command == "gradcheck":
            from .commands.gradcheck import run
        elif command == "bench":
            from .commands.bench import run
        elif command == "sweep":
            from .commands.sweep import run
        elif command == "plot":
            from .commands.plot import run
        elif command == "report":
            from .commands.report import run
        else:
            from .commands.tui import run
        return run(args)
    except user_errors() as exc:
        print(f"nntrain {command}: error: {UserError.text(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a path we were given cannot be read or written
        print(f"nntrain {command}: error: {UserError.text(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:  # e.g. --hidden 100000 --batch-size full on a small machine
        print(f"nntrain {command}: error: out of memory (try a smaller --hidden or --batch-size)", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
