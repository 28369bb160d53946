"""A modal that changes the live run's learning rate (and momentum) while it trains."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from core.options import BY_NAME

from ..widgets.param_form import validators_for

FIELDS = ("lr", "momentum")


class RatePrompt(ModalScreen[dict | None]):
    """Dismisses with the values that changed, e.g. {"lr": 0.01} (Enter / Apply), or
    None (Escape / Cancel). Momentum is only offered to optimizers that have one."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="close without changing anything", id="rate-cancel")]

    def __init__(self, label: str, lr: float, momentum: float | None) -> None:
        super().__init__()
        self.label = label
        self.current = {"lr": lr, "momentum": momentum}

    def compose(self) -> ComposeResult:
        with Vertical(id="rate-prompt"):
            yield Label(f"{self.label}: change while training", id="rate-title")
            for name in FIELDS:
                if self.current[name] is None:
                    continue
                option = BY_NAME[name]
                with Horizontal(classes="rate-row"):
                    yield Label(option.label, classes="rate-label")
                    yield Input(f"{self.current[name]:g}", validators=list(validators_for(option)),
                                id=f"rate-{name}", classes="rate-input")
            yield Label("from the next mini-batch; saved in config.toml", id="rate-hint")
            yield Label("", id="rate-error")
            with Horizontal(id="rate-buttons"):
                yield Button("Apply", id="rate-apply", variant="primary", compact=True)
                yield Button("Cancel", id="rate-cancel-button", compact=True)

    def on_mount(self) -> None:
        self.query_one("#rate-lr", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "rate-apply":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        changes = {}
        for name in FIELDS:
            if self.current[name] is None:
                continue
            field = self.query_one(f"#rate-{name}", Input)
            result = field.validate(field.value)
            if result is not None and not result.is_valid:
                self.query_one("#rate-error", Label).update(f"{BY_NAME[name].label}: {result.failure_descriptions[0]}")
                field.focus()
                return
            value = float(field.value)
            if value != self.current[name]:
                changes[name] = value
        self.dismiss(changes)

    def action_cancel(self) -> None:
        self.dismiss(None)
