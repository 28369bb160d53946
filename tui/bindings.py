"""The app's key bindings: every action has a key (the mouse is optional); priority
bindings so that a focused input cannot swallow them, and ids and tooltips for the footer
and the help screen (`?`, f1), which lists these and the widgets' own bindings."""

from __future__ import annotations

from textual.binding import Binding

APP_BINDINGS = [
    Binding("ctrl+r", "start", "Start", priority=True, id="start",
            tooltip="start training with the form's parameters"),
    Binding("ctrl+z", "pause", "Pause", priority=True, id="pause",
            tooltip="pause after the current mini-batch"),
    Binding("ctrl+z", "resume", "Resume", priority=True, id="resume", tooltip="resume training"),
    Binding("ctrl+t", "stop", "Stop", priority=True, id="stop",
            tooltip="stop after the current mini-batch; keeps the last completed epoch"),
    Binding("ctrl+e", "rate", "Rate", priority=True, id="rate",
            tooltip="change the learning rate (and momentum) of the run training now, from its next mini-batch"),
    Binding("ctrl+s", "save", "Save", priority=True, id="save",
            tooltip="save the shown run: model, history and config, to a run folder"),
    Binding("ctrl+o", "open", "Open", priority=True, id="open",
            tooltip="open a model.npz (evaluate / continue it), a run folder or a sweep folder"),
    Binding("ctrl+f", "continue", "Continue", priority=True, id="continue",
            tooltip="continue training the opened model up to the form's Epochs"),
    Binding("ctrl+g", "overlay", "Overlay", priority=True, id="overlay",
            tooltip="overlay other runs' valid curves on the Train charts"),
    Binding("ctrl+n", "next_tab", "Tab", priority=True, id="next-tab", tooltip="next tab"),
    Binding("f1", "help", "Help", priority=True, id="help-f1", show=False, tooltip="every key of the app (this list)"),
    Binding("?", "help", "Help", id="help", show=False, tooltip="every key of the app (this list)"),
    Binding("l", "log_scale", "Log scale", id="log-scale", show=False,
            tooltip="the Train tab's loss chart on a log-scale y axis (toggle)"),
    Binding("ctrl+q", "quit", "Quit", priority=True, id="quit",
            tooltip="quit (a running training is stopped cleanly first)"),
]
