"""nntrain's interface side: the command line (`tui.cli`) and the Textual app (`tui.app`).

Importing this package loads nothing heavy: `nntrain train` must never pull in Textual.
"""
