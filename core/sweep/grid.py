"""The grid of a sweep: option values, the runs they make, and their names."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..config import FIELD_TYPES, ConfigError, TrainConfig, build_config, coerce
from ..datasets import BUNDLED, parse_split

FORMAT = "nntrain-sweep"
VERSION = 1


class SweepError(ConfigError):
    """A bad grid or sweep folder; one line."""


@dataclass(frozen=True)
class Run:
    """One point of the grid: its folder name, its config and its varying parameters."""

    name: str
    group: str  # the name without the seed: runs that differ only by seed share it
    config: TrainConfig
    params: dict  # varying field -> value, in field order, seed last


@dataclass
class SweepPlan:
    runs: list[Run]
    varying: tuple[str, ...]
    grid: dict  # field -> the values asked for, as text
    repeats: int

    def manifest(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "grid": self.grid,
            "repeats": self.repeats,
            "varying": list(self.varying),
            "runs": [{"name": r.name, "config": r.config.to_dict()} for r in self.runs],
        }

    @property
    def repeated(self) -> bool:
        """Whether some configuration runs more than once (with different seeds)."""
        return len({r.group for r in self.runs}) < len(self.runs)


def format_value(value) -> str:
    """A parameter as it appears in run names and tables: 512x256, 0.01, true."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "x".join(map(str, value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse_values(name: str, text: str) -> list:
    """One sweep option's comma list as config values.

    hidden: "100,500" is two runs, "512x256" one run with two layers. split: runs are
    separated by ";" since a split itself is "TRAIN,VALID". data: relative paths are
    made absolute.
    """
    if name not in FIELD_TYPES:
        raise SweepError(f"unknown option {name!r}")
    sep = ";" if name == "split" else ","
    items = [item.strip() for item in str(text).split(sep) if item.strip()]
    if not items:
        raise SweepError(f"{name}: no values in {text!r}")
    values = []
    for item in items:
        if name == "hidden":
            value = coerce("hidden", item.lower().replace("x", ","))
        elif name == "split":
            parse_split(item)  # DatasetError now rather than in every worker
            value = item
        elif name == "data":
            value = item if item == BUNDLED else str(Path(item).expanduser().resolve())
        else:
            value = coerce(name, item)
        if value in values:
            raise SweepError(f"{name}: {format_value(value)} appears twice in {text!r}")
        values.append(value)
    return values


def plan_sweep(
    lists: dict[str, list], repeats: int = 1, preset: str | None = None, config_file: str | None = None
) -> SweepPlan:
    """The cartesian product of `lists` (field -> values) over the base config from
    the preset and config file; each point `repeats` times with seeds seed, seed+1, ..."""
    if not isinstance(repeats, int) or repeats < 1:
        raise SweepError(f"repeats: must be a positive integer (got {repeats!r})")
    base = build_config(preset, config_file)
    swept = [f for f in FIELD_TYPES if f in lists and f != "seed"]
    seeds = lists.get("seed", [base.seed])
    configs: list[TrainConfig] = []
    for combo in itertools.product(*(lists[f] for f in swept)):
        for seed, r in itertools.product(seeds, range(repeats)):
            config = base.replace(**dict(zip(swept, combo)), seed=seed + r)
            configs.append(config.validate())
    unique = {json.dumps(c.to_dict(), sort_keys=True) for c in configs}
    if len(unique) < len(configs):
        raise SweepError("the grid runs the same config twice (do --seed and --repeats overlap?)")

    varying = [f for f in FIELD_TYPES if f != "seed" and len({getattr(c, f) for c in configs}) > 1]
    if len({c.seed for c in configs}) > 1:
        varying.append("seed")
    runs, taken = [], set()
    for config in configs:
        params = {f: getattr(config, f) for f in varying}
        group = "_".join(_name_part(f, v) for f, v in params.items() if f != "seed") or "run"
        name = "_".join(_name_part(f, v) for f, v in params.items()) or "run"
        base_name, i = name, 1
        while name in taken:  # e.g. two data files with the same name in different folders
            i += 1
            name = f"{base_name}-{i}"
        taken.add(name)
        runs.append(Run(name=name, group=group, config=config, params=params))
    grid = {f: [format_value(v) for v in lists[f]] for f in FIELD_TYPES if f in lists}
    return SweepPlan(runs=runs, varying=tuple(varying), grid=grid, repeats=repeats)


def _name_part(name: str, value) -> str:
    if name == "data" and value != BUNDLED:
        value = Path(value).name
    text = re.sub(r"[^A-Za-z0-9.+-]", "-", format_value(value))  # split 0.6,0.2 -> 0.6-0.2
    return f"{name}={text}"
