"""Training configuration: defaults, presets, validation and TOML round-trips."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, fields
from pathlib import Path

from .events import from_items as events_from_items, problem as events_problem, to_items as events_to_items
from .options import MONITORS, OPTIONS, TRAIN_EVALS  # noqa: F401 - MONITORS, TRAIN_EVALS re-exported

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


class ConfigError(ValueError):
    """A bad option or config file; the message is one line naming the field."""


@dataclass
class TrainConfig:
    """Everything that defines a run. Same config and seed give identical histories.

    Defaults are a sensible fast run on the bundled data (mini-batches with
    momentum); the `course` preset reproduces the assignment exactly.
    """

    data: str = "bundled"
    split: str = ""  # "" = the dataset's default split
    hidden: tuple[int, ...] = (1000,)
    activation: str = "relu"  # of the hidden layers (core.options.ACTIVATIONS)
    epochs: int = 20
    optimizer: str = "momentum"
    lr: float = 0.05
    momentum: float = 0.9
    v0: float = 0.0
    schedule: str = "constant"  # learning-rate schedule (core.schedules)
    lr_step: int = 10
    lr_gamma: float = 0.1
    warmup: int = 0
    lr_patience: int = 5
    batch_size: int = 128  # 0 = full batch
    reduction: str = "mean"
    l2: float = 0.0
    dropout: float = 0.0
    augment: str = "none"  # "shift": random shifts of image inputs (core.augment)
    # The gradient's targets are (1 - eps) * one-hot + eps / K; reported losses are the
    # plain cross-entropy, so runs with and without smoothing compare.
    label_smoothing: float = 0.0
    early_stop: int = 0  # patience in epochs; 0 = off
    min_delta: float = 0.0
    # Valid accuracy, not loss: on real data valid loss bottoms out epochs before valid
    # accuracy stops rising, so a loss monitor stops early at a less accurate epoch.
    monitor: str = "valid_acc"
    restore_best: bool = True
    train_eval: str = "auto"  # clean train loss/acc pass: on, off, or auto (core.trainer)
    seed: int = 0
    dtype: str = "float32"
    init: str = "xavier"
    # Changes made while the run trained (core.events): (epoch, batch, "lr"|"momentum", value).
    events: tuple[tuple[int, int, str, float], ...] = ()

    def validate(self) -> "TrainConfig":
        """Raise ConfigError naming the first bad field; return self when all is well.
        The rules are `core.options.OPTIONS`, the same the CLI and the form apply."""
        for option in OPTIONS:
            why = option.problem(getattr(self, option.name))
            if why:
                raise ConfigError(f"{option.name}: {why} (got {getattr(self, option.name)!r})")
        why = events_problem(self.events)
        if why:
            raise ConfigError(f"events: {why}")
        return self

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        d["events"] = events_to_items(self.events)
        return d

    def describe(self) -> str:
        """A short one-line summary for tables and titles."""
        batch = "full" if self.batch_size == 0 else str(self.batch_size)
        hidden = ",".join(map(str, self.hidden))
        extras = [self.activation] if self.activation != "relu" else []
        if self.label_smoothing:
            extras.append(f"smoothing {self.label_smoothing:g}")
        if self.augment != "none":
            extras.append(f"augment {self.augment}")
        if self.schedule != "constant":
            extras.append(self.schedule)
        tail = "".join(f" | {e}" for e in extras)
        return f"hidden {hidden} | {self.optimizer} lr {self.lr:g} | batch {batch} | {self.dtype}{tail}"


# The assignment: hidden 1000, 200 epochs, full batch, lr 1e-5 on the gradient of the
# TOTAL cross-entropy (with a mean it would barely move), momentum 0.99, v0 = 1e-5,
# Xavier, float64; the starter code's split comes from the dataset's default.
PRESETS: dict[str, dict] = {
    "course": dict(
        hidden=(1000,),
        epochs=200,
        batch_size=0,
        lr=1e-5,
        reduction="sum",
        optimizer="momentum",
        momentum=0.99,
        v0=1e-5,
        init="xavier",
        dtype="float64",
    ),
    "quick": dict(hidden=(256,), epochs=10, batch_size=128, optimizer="adam", lr=1e-3),
    # nntrain's best general recipe for 28x28 images, chosen by the experiments in the
    # README (Recipes): each of label smoothing, shift augmentation (with lighter
    # dropout, as the shifts regularise too) and the cosine schedule helped on letters.
    "best": dict(
        hidden=(1000,),
        epochs=60,
        batch_size=128,
        optimizer="adam",
        lr=1e-3,
        schedule="cosine",
        warmup=2,
        dropout=0.2,
        label_smoothing=0.1,
        augment="shift",
        early_stop=15,
        monitor="valid_acc",
        restore_best=True,
    ),
}

FIELD_TYPES = {f.name: f.type for f in fields(TrainConfig)}


def coerce(name: str, value):
    """Convert a TOML/CLI value to the field's type, or raise ConfigError."""
    if name not in FIELD_TYPES:
        raise ConfigError(f"unknown option {name!r}")
    default = getattr(TrainConfig(), name)
    try:
        if name == "events":
            if not isinstance(value, (list, tuple)):
                raise ValueError
            return events_from_items(value)
        if name == "hidden":
            if isinstance(value, str):
                value = [v for v in value.replace(" ", "").split(",") if v]
            if isinstance(value, int) and not isinstance(value, bool):
                value = [value]
            return tuple(_to_int(v) for v in value)
        if name == "batch_size" and isinstance(value, str) and value.strip().lower() == "full":
            return 0
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() in ("true", "yes", "1", "on"):
                    return True
                if value.lower() in ("false", "no", "0", "off"):
                    return False
                raise ValueError
            return value
        if isinstance(default, int):
            return _to_int(value)
        if isinstance(default, float):
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: cannot read {value!r} as {type(default).__name__}") from None


def _to_int(value) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        return int(value)
    return int(str(value).strip())


def build_config(
    preset: str | None = None, file: str | Path | None = None, overrides: dict | None = None
) -> TrainConfig:
    """Defaults, then the preset, then the TOML file, then explicit overrides; validated."""
    values: dict = {}
    if preset:
        if preset not in PRESETS:
            raise ConfigError(f"preset: unknown preset {preset!r} (choose from {', '.join(PRESETS)})")
        values.update(PRESETS[preset])
    if file:
        values.update(read_toml(file))
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    config = TrainConfig(**{k: coerce(k, v) for k, v in values.items()})
    return config.validate()


def read_toml(path: str | Path) -> dict:
    """Read a config TOML (flat, or with a [train] table) into a dict of fields."""
    p = Path(path)
    try:
        with open(p, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read config ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc})") from None
    if "train" in data:
        outside = sorted(set(data) - {"train"})
        if outside:
            raise ConfigError(f"{p}: option(s) outside the [train] table: {', '.join(outside)}")
        data = data["train"]
        if not isinstance(data, dict):
            raise ConfigError(f"{p}: train must be a table ([train]), not {type(data).__name__}")
    unknown = sorted(set(data) - set(FIELD_TYPES))
    if unknown:
        raise ConfigError(f"{p}: unknown option(s) {', '.join(unknown)}")
    try:
        return {k: coerce(k, v) for k, v in data.items()}
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None


def to_toml(config: TrainConfig) -> str:
    """The config as TOML that `build_config(file=...)` reads back to an equal config."""
    lines = ["# nntrain run configuration: rerun with `nntrain train --config config.toml`", "[train]"]
    for name, value in config.to_dict().items():
        if name == "batch_size" and value == 0:
            value = "full"  # reads back as 0; older files with 0 load too
        lines.append(f"{name} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table (an event)
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def config_from_dict(d: dict) -> TrainConfig:
    return TrainConfig(**{k: coerce(k, v) for k, v in d.items() if k in FIELD_TYPES})
