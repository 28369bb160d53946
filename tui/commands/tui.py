"""`nntrain` / `nntrain tui`: the Textual app, its form prefilled from the training options."""

from __future__ import annotations

import argparse

from ..options import overrides_from


def run(args: argparse.Namespace) -> int:
    from core import build_config

    # A bad option is a ConfigError here, before Textual loads: cli.py prints one line, exit 2.
    config = build_config(getattr(args, "preset", None), getattr(args, "config", None), overrides_from(args))

    from ..app import NNTrainApp

    app = NNTrainApp(config, preset=getattr(args, "preset", None), start=bool(getattr(args, "start", False)))
    try:
        app.run()
    finally:
        app.stop_all()  # belt and braces: no training thread outlives the app
    return app.return_code or 0
