"""A modal listing every key of the app, grouped by where it applies.

The rows are read from the bindings themselves (the app's, the widgets' and the
prompts'), so the help cannot drift from what the keys do.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.keys import format_key
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from ..bindings import APP_BINDINGS
from ..widgets.runs_table import RunsTable
from ..widgets.receptive_fields import ReceptiveFields
from ..widgets.sample_viewer import SampleViewer
from .path_prompt import PathPrompt

HELP_BINDINGS = [Binding("escape,q,?,f1", "close", "Close", tooltip="close this help", id="help-close", show=False)]


def key_names(keys: Iterable[str]) -> str:
    """Keys as the user types them: "n, →" for "n" and "right", "?" for "question_mark"."""
    return ", ".join(format_key(key.strip()) for key in keys)


def binding_groups() -> list[tuple[str, list[Binding]]]:
    """(where the keys apply, their bindings), in the order the help lists them."""
    return [
        ("Everywhere, also in a text field", [b for b in APP_BINDINGS if b.priority]),
        ("Everywhere but in a text field (there the key types)", [b for b in APP_BINDINGS if not b.priority]),
        ("Samples tab", list(SampleViewer.BINDINGS)),
        ("Network tab: the receptive fields", list(ReceptiveFields.BINDINGS)),
        ("Runs tab: the table (enter shows the run on the Train tab)", _class_bindings(RunsTable)),
        ("Save / Open prompts", list(PathPrompt.BINDINGS)),
        ("Moving between fields and widgets; Textual's commands", [
            *_class_bindings(Screen, exclude=("screen.copy_text",)),
            Binding(App.COMMAND_PALETTE_BINDING, "command_palette", "Commands", tooltip="themes, keys, quit"),
        ]),
        ("This help (the arrows and page keys scroll it)", list(HELP_BINDINGS)),
    ]


def _class_bindings(cls: type, exclude: Sequence[str] = ()) -> list[Binding]:
    """Every binding `cls` has, its own and inherited (Textual's widgets bring theirs)."""
    found: list[Binding] = []
    for bindings in cls._merge_bindings().key_to_bindings.values():
        found.extend(b for b in bindings if not b.system and b.action not in exclude)
    return found


def binding_rows(bindings: Iterable[Binding]) -> list[tuple[str, str]]:
    """(keys, what they do) per action: keys bound to the same action share a row."""
    rows: dict[tuple[str, str], list[str]] = {}
    for binding in bindings:
        if binding.tooltip and binding.description:
            what = f"{binding.description}: {binding.tooltip}"
        else:
            what = binding.description or binding.tooltip or binding.action
        keys = rows.setdefault((binding.action, what), [])
        keys.extend(k for k in binding.key.split(",") if k not in keys)
    return [(key_names(keys), what) for (_, what), keys in rows.items()]


def group_table(title: str, rows: Sequence[tuple[str, str]], key_width: int = 8) -> Table:
    """One group as a two-column table: the keys, and what they do (wrapped)."""
    table = Table(title=Text(title, style="bold"), title_justify="left", show_header=False,
                  box=None, padding=(0, 1), expand=True)
    table.add_column("keys", no_wrap=True, style="bold", min_width=key_width)
    table.add_column("what", ratio=1, overflow="fold")
    for keys, what in rows:
        table.add_row(keys, what)
    return table


class HelpScreen(ModalScreen[None]):
    """Every key of the app; escape, q, ? or f1 closes it; it scrolls with the arrows."""

    BINDINGS = HELP_BINDINGS

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Label("Keys", id="help-title")
            groups = [(title, binding_rows(bindings)) for title, bindings in binding_groups()]
            key_width = max(len(keys) for _, rows in groups for keys, _ in rows)  # one column for all
            with VerticalScroll(id="help-scroll"):
                for title, rows in groups:
                    yield Static(group_table(title, rows, key_width), classes="help-group")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()  # so the arrows and page keys scroll it

    def action_close(self) -> None:
        self.dismiss(None)
