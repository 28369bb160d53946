"""The training options shared by `train`, `tui` and `sweep`, derived from
`core.options.OPTIONS`, and their conversion to config overrides. argparse (and that
small core module) only: this module is imported for `--help`."""

from __future__ import annotations

import argparse

from core.options import OPTIONS, Option

_LIST_HELP = {
    "hidden": "hidden sizes per run: 100,500 is two runs; use 512x256 for two layers in one run",
    "split": 'TRAIN,VALID per run; separate several splits with ";", e.g. "10000,6000;5000,3000"',
}


def _checker(option: Option, lists: bool):
    """An argparse `type`: the text unchanged when every value in it is good (by the same
    rule as the form), else a one-line ArgumentTypeError."""

    def check(text: str) -> str:
        if lists:
            sep = ";" if option.name == "split" else ","
            items = [i.strip() for i in text.split(sep) if i.strip()]
            if option.name == "hidden":
                items = [i.lower().replace("x", ",") for i in items]
        else:
            items = [text]
        if option.name != "split":  # a split is checked against its dataset when loading
            for item in items:
                why = option.text_problem(item)
                if why:
                    raise argparse.ArgumentTypeError(f"{why} (got {item!r})")
        return text

    check.__name__ = option.name  # argparse names the type in some messages
    return check


def add_train_options(parser: argparse.ArgumentParser, lists: bool = False) -> None:
    """Add every training option; with `lists`, each takes a comma list (for sweeps)."""
    group = parser.add_argument_group("training options" + (" (each takes a comma list)" if lists else ""))
    group.add_argument("--preset", metavar="NAME", help="start from a preset: course (the assignment), quick, or best (the best recipe for 28x28 images)")
    group.add_argument("--config", metavar="FILE.toml", help="read options from a TOML file (e.g. a run's config.toml)")
    for option in OPTIONS:
        text = _LIST_HELP.get(option.name, option.help) if lists else option.help
        if option.kind == "bool":
            group.add_argument(
                option.flag, dest=option.name, action=argparse.BooleanOptionalAction, default=None, help=text
            )
        else:
            group.add_argument(
                option.flag, dest=option.name, metavar=option.metavar, default=None, help=text,
                type=_checker(option, lists),
            )


def overrides_from(args: argparse.Namespace) -> dict:
    """The training options the user actually gave, keyed by config field (text, or
    a bool for on/off flags)."""
    return {o.name: getattr(args, o.name) for o in OPTIONS if getattr(args, o.name, None) is not None}
