"""A modal that asks for one path (save to a run folder, open a model or runs)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import Function
from textual.widgets import Button, Input, Label


class PathPrompt(ModalScreen[str | None]):
    """Dismisses with the path typed (Enter / OK), or None (Escape / Cancel)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="close without doing anything", id="prompt-cancel")]

    def __init__(self, title: str, value: str = "", hint: str = "", ok: str = "OK") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.hint = hint
        self.ok = ok

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Label(self.title_text, id="prompt-title")
            yield Input(
                self.value,
                placeholder="path",
                validators=[Function(lambda v: bool(v.strip()), "enter a path")],
                id="prompt-input",
            )
            if self.hint:
                yield Label(self.hint, id="prompt-hint")
            with Horizontal(id="prompt-buttons"):
                yield Button(self.ok, id="prompt-ok", variant="primary", compact=True)
                yield Button("Cancel", id="prompt-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "prompt-ok":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        value = self.query_one("#prompt-input", Input).value.strip()
        if value:
            self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
