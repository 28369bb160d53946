"""The training parameters: one row per field, each checked by Textual validators.

An invalid field is tinted and its reason is written under it; the form posts
`FormValidity` whenever its overall validity may have changed, and the app greys
out Start while the form is invalid. Choosing a preset fills the fields from
`core.PRESETS`; editing a field the preset sets clears the preset back to "custom".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.validation import Function, Integer, Number, Validator
from textual.widgets import Button, Input, Label, Select

from core import PRESETS, ConfigError, DatasetError, TrainConfig
from core.config import coerce
from core.datasets import parse_split
from core.options import BY_NAME, FULL_BATCH_HINT, Option

from ..messages import FormValidity

BOOL_CHOICES = ("yes", "no")


def _dataset_ok(value: str) -> bool:
    value = value.strip()
    return value == "bundled" or (bool(value) and Path(value).expanduser().exists())


def _split_ok(value: str) -> bool:
    try:
        parse_split(value)
    except DatasetError:
        return False
    return True


def _passes(option: Option):
    """The spec's own rule for typed text, as a Function's predicate."""
    return lambda value: option.text_problem(value) is None


def validators_for(option: Option) -> tuple[Validator, ...]:
    """Textual validators that accept exactly the text `core.options` accepts for the
    field (the CLI applies the same rule), each failure with its reason."""
    if option.name == "data":
        return (Function(_dataset_ok, "no such file or folder (bundled = the bundled data)"),)
    if option.name == "split":
        return (Function(_split_ok, "TRAIN,VALID counts (10000,6000) or fractions (0.6,0.2)"),)
    if option.kind == "sizes":
        return (Function(_passes(option), f"sizes {option.span_text()}, e.g. 1000 or 512,256"),)
    if option.kind == "int" and option.full:
        return (Function(_passes(option), f"a size {option.span_text()}; {FULL_BATCH_HINT}"),)
    if option.kind == "int":
        return (Integer(option.minimum, option.maximum, failure_description=f"a whole number {option.span_text()}"),)
    if option.kind == "float":
        number = Number(failure_description="must be a number, e.g. 0.05 or 1e-5")
        if option.min_inclusive and option.max_inclusive:
            return (number, Number(option.minimum, option.maximum, failure_description=f"a number {option.span_text()}"))
        return (number, Function(_passes(option), f"must be {option.range_text()}"))
    return ()


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the TrainConfig field, or "preset"
    label: str
    kind: str = "text"  # text | number | integer | select
    validators: tuple[Validator, ...] = ()
    restrict: str | None = None
    options: tuple[str, ...] = ()
    valid_empty: bool = False
    placeholder: str = ""
    tooltip: str = ""


_RESTRICT = {"split": r"[0-9., ]*", "hidden": r"[0-9, ]*", "batch_size": r"(?i:[0-9]*|f(u(l(l)?)?)?)"}
_PLACEHOLDER = {"data": "bundled", "split": "default"}
_FORM_KIND = {"int": "integer", "float": "number", "choice": "select", "bool": "select"}


def field_spec(option: Option) -> FieldSpec:
    """A form row built from the option's spec."""
    kind = "text" if option.full else _FORM_KIND.get(option.kind, "text")
    options = BOOL_CHOICES if option.kind == "bool" else option.choices
    tooltip = option.help
    if option.name == "early_stop":
        tooltip = "early stopping: epochs without improvement before stopping (0 = off)"
    return FieldSpec(
        option.name, option.label, kind=kind, validators=validators_for(option), restrict=_RESTRICT.get(option.name),
        options=options, valid_empty=option.name == "split", placeholder=_PLACEHOLDER.get(option.name, ""),
        tooltip=tooltip,
    )


# The form's rows, in the order shown; each option's label, limits and help come from core.options.
FORM_ORDER = (
    "data", "split", "preset", "hidden", "activation", "optimizer", "lr", "momentum", "schedule", "batch_size",
    "epochs", "reduction", "l2", "dropout", "label_smoothing", "augment", "early_stop", "monitor", "restore_best",
    "train_eval", "seed", "dtype",
)
FIELDS: tuple[FieldSpec, ...] = tuple(
    FieldSpec("preset", "Preset", kind="select", options=tuple(PRESETS),
              tooltip="fill the fields from a preset: course (the assignment), quick, or best (28x28 images)")
    if name == "preset" else field_spec(BY_NAME[name])
    for name in FORM_ORDER
)

FIELD_NAMES = tuple(spec.name for spec in FIELDS)
INPUT_FIELDS = tuple(spec.name for spec in FIELDS if spec.kind != "select")
SELECT_FIELDS = tuple(spec.name for spec in FIELDS if spec.kind == "select" and spec.name != "preset")


def field_text(name: str, config: TrainConfig) -> str:
    """A config value as the form shows it."""
    value = getattr(config, name)
    if name == "hidden":
        return ",".join(map(str, value))
    if name == "batch_size":
        return "full" if value == 0 else str(value)
    if isinstance(value, bool):
        return BOOL_CHOICES[0] if value else BOOL_CHOICES[1]
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def matches_preset(config: TrainConfig, preset: str | None) -> bool:
    """True when every field the preset sets has the preset's value in `config`."""
    if preset not in PRESETS:
        return False
    return all(getattr(config, name) == coerce(name, value) for name, value in PRESETS[preset].items())


class ParamForm(VerticalScroll, can_focus=False):
    """The parameter form; `config()` returns the validated `TrainConfig`."""

    def __init__(self, config: TrainConfig, preset: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._base = config  # carries the fields the form does not show (v0, init, min_delta)
        self._preset = preset if matches_preset(config, preset) else None
        self._valid: bool | None = None
        self._reason = ""

    def compose(self) -> ComposeResult:
        # A two-column grid (label, control); each field's error line spans both columns.
        config = self._base
        for spec in FIELDS:
            yield Label(spec.label, classes="field-label")
            widget_id = f"field-{spec.name}"
            tooltip = spec.tooltip or None
            if spec.kind == "select":
                if spec.name == "preset":
                    yield Select(
                        [(p, p) for p in spec.options], prompt="custom", allow_blank=True,
                        value=self._preset if self._preset else Select.NULL,
                        id=widget_id, compact=True, tooltip=tooltip,
                    )
                else:
                    yield Select(
                        [(o, o) for o in spec.options], allow_blank=False,
                        value=field_text(spec.name, config), id=widget_id, compact=True, tooltip=tooltip,
                    )
            else:
                yield Input(
                    field_text(spec.name, config),
                    placeholder=spec.placeholder,
                    type=spec.kind if spec.kind in ("number", "integer") else "text",
                    restrict=spec.restrict,
                    validators=list(spec.validators),
                    valid_empty=spec.valid_empty,
                    id=widget_id, compact=True, tooltip=tooltip,
                )
            yield Label("", id=f"error-{spec.name}", classes="field-error")
        yield Label("", id="form-error", classes="field-error")
        yield Label("", classes="form-gap")
        yield Label("", classes="field-label")
        yield Button("Start", id="start", variant="success", compact=True, tooltip="start training (ctrl+r)")

    def on_mount(self) -> None:
        for name in INPUT_FIELDS:
            field = self.query_one(f"#field-{name}", Input)
            self._show_field_error(field, field.validate(field.value))
        self._check()

    # -- reading and filling -----------------------------------------------
    def input(self, name: str) -> Input:
        return self.query_one(f"#field-{name}", Input)

    def select(self, name: str) -> Select:
        return self.query_one(f"#field-{name}", Select)

    def values(self) -> dict[str, str]:
        """The raw text of every field (selects included)."""
        values = {name: self.input(name).value.strip() for name in INPUT_FIELDS}
        for name in SELECT_FIELDS:
            value = self.select(name).value
            values[name] = value if isinstance(value, str) else field_text(name, self._base)
        return values

    def config(self) -> TrainConfig:
        """The form as a validated config; ConfigError names the first bad field."""
        bad = self.invalid_fields()
        if bad:
            raise ConfigError(f"{bad[0]}: {self.field_error(bad[0])}")
        raw = self.values()
        if not raw["data"]:
            raw["data"] = "bundled"
        if raw["data"] != "bundled":
            raw["data"] = str(Path(raw["data"]).expanduser().resolve())
        changes = {name: coerce(name, value) for name, value in raw.items()}
        return self._base.replace(**changes).validate()

    def set_config(self, config: TrainConfig, preset: str | None = None) -> None:
        """Fill every field from `config` (e.g. a loaded model's)."""
        self._base = config
        self._preset = preset if matches_preset(config, preset) else None
        for name in INPUT_FIELDS:
            self.input(name).value = field_text(name, config)
        for name in SELECT_FIELDS:
            self.select(name).value = field_text(name, config)
        preset_select = self.select("preset")
        if self._preset:
            preset_select.value = self._preset
        else:
            preset_select.clear()

    def apply_preset(self, preset: str) -> None:
        """What `nntrain train --preset NAME` would use, keeping the data, split and seed
        (and the patience, unless the preset sets one)."""
        kept = [n for n in ("data", "split", "seed", "early_stop") if n not in PRESETS[preset]]
        keep = {name: getattr(self._base, name) for name in kept}
        try:
            keep.update(
                {name: coerce(name, v) for name, v in self.values().items() if name in keep and v != ""}
            )
        except ConfigError:
            pass
        config = TrainConfig().replace(**{**PRESETS[preset], **keep})
        config = config.replace(hidden=tuple(config.hidden))
        self.set_config(config, preset)

    # -- validity ----------------------------------------------------------------------
    @property
    def is_valid(self) -> bool:
        return bool(self._valid)

    @property
    def reason(self) -> str:
        return self._reason

    def invalid_fields(self) -> list[str]:
        return [name for name in INPUT_FIELDS if not self.input(name).is_valid]

    def field_error(self, name: str) -> str:
        return str(self.query_one(f"#error-{name}", Label).content)

    def show_error(self, name: str, message: str) -> None:
        """Mark a field with a message from outside (e.g. a dataset that failed to load)."""
        label = self.query_one(f"#error-{name}", Label)
        text = f"✗ {message}" if message else ""
        if str(label.content) != text:
            self._set_message(label, text)

    def _set_message(self, label: Label, text: str) -> None:
        label.update(Text(text))
        label.set_class(bool(text), "-shown")
        self._fit_rows()

    def _fit_rows(self) -> None:
        """Give the grid explicit row heights: a message spanning both columns would
        otherwise get its "auto" height from the first column's width (Textual 8)."""
        # The narrowest the message can get: less the padding, and a scrollbar if one shows.
        width = max(10, (self.content_region.width or 28) - 2)
        rows = []
        for label in self.query(".field-error").results(Label):
            if label.id != "form-error":
                rows.append(1)  # the field itself
            if label.has_class("-shown"):
                rows.append(max(1, len(Text(str(label.content)).wrap(self.app.console, width))))
        rows += [1, 1]  # the gap, Start
        self.set_styles(f"grid-rows: {' '.join(map(str, rows))};")

    def on_resize(self) -> None:
        self._fit_rows()
        # A smaller terminal may hide the focused row: bring it back into view.
        focused = self.app.focused
        if focused is not None and focused in self.walk_children():
            self.call_after_refresh(self.scroll_to_widget, focused, animate=False)

    def _show_field_error(self, field: Input, result) -> None:
        name = field.id.removeprefix("field-")
        reason = ""
        if result is not None and not result.is_valid:
            reason = result.failure_descriptions[0] if result.failure_descriptions else "invalid"
        self.show_error(name, reason)

    def _check(self) -> None:
        """Recompute overall validity and tell the app if it changed."""
        bad = self.invalid_fields()
        reason = ""
        if bad:
            reason = f"{bad[0]}: {self.field_error(bad[0]).removeprefix('✗ ')}"
        else:
            try:
                self.config()
            except ConfigError as exc:
                reason = str(exc)
        form_error = self.query_one("#form-error", Label)
        text = f"✗ {reason}" if reason and not bad else ""
        if str(form_error.content) != text:
            self._set_message(form_error, text)
        valid = not reason
        if valid != self._valid or reason != self._reason:
            self._valid, self._reason = valid, reason
            self.post_message(FormValidity(valid, reason))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._show_field_error(event.input, event.validation_result)
        self._maybe_clear_preset(event.input.id.removeprefix("field-"), event.value)
        self._check()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        name = event.select.id.removeprefix("field-")
        if name == "preset":
            if isinstance(event.value, str) and event.value != self._preset:
                self.apply_preset(event.value)
            elif not isinstance(event.value, str):
                self._preset = None
        else:
            self._maybe_clear_preset(name, event.value)
        self._check()

    def _maybe_clear_preset(self, name: str, value) -> None:
        preset = self._preset
        if not preset or name not in PRESETS[preset]:
            return
        try:
            same = coerce(name, value) == coerce(name, PRESETS[preset][name])
        except ConfigError:
            same = False
        if not same:
            self._preset = None
            self.select("preset").clear()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            event.stop()
            self.app.run_action("start")

    def set_startable(self, startable: bool) -> None:
        self.query_one("#start", Button).disabled = not startable
