"""Changes made to a run while it trains (the app's learning-rate prompt), kept in
its config so that a rerun from config.toml replays them bit for bit.

An event ``(epoch, batch, name, value)`` sets ``name`` (``lr`` or ``momentum``) to
``value`` just before mini-batch ``batch`` (0-based) of epoch ``epoch`` (1-based).
A rate set this way holds under the constant schedule; under another schedule the
schedule goes on from it, scaled by value / (the schedule's rate at that epoch), so
a step or cosine schedule keeps its shape. In config.toml:

    events = [{epoch = 3, batch = 17, lr = 0.01}, {epoch = 5, batch = 0, momentum = 0.5}]
"""

from __future__ import annotations

from typing import Sequence

from .options import BY_NAME

EVENT_NAMES = ("lr", "momentum")
# The optimizers that have a momentum to change.
HAS_MOMENTUM = ("momentum", "nesterov")

Event = tuple[int, int, str, float]


def problem(events) -> str | None:
    """Why a config's `events` are bad, or None."""
    if not isinstance(events, tuple):
        return "must be a list of changes"
    last = (0, 0)
    for event in events:
        if not (isinstance(event, tuple) and len(event) == 4):
            return f"each change is (epoch, batch, name, value), got {event!r}"
        epoch, batch, name, value = event
        if not (_whole(epoch) and epoch >= 1 and _whole(batch) and batch >= 0):
            return f"a change's epoch must be 1 or more and its batch 0 or more, got {event!r}"
        if name not in EVENT_NAMES:
            return f"a change sets {' or '.join(EVENT_NAMES)}, not {name!r}"
        why = BY_NAME[name].problem(value)
        if why:
            return f"{name} at epoch {epoch}, batch {batch} {why}"
        if (epoch, batch) < last:
            return "changes must be in the order they happen"
        last = (epoch, batch)
    return None


def _whole(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def from_items(items) -> tuple[Event, ...]:
    """Events from TOML/JSON: tables ``{epoch, batch, lr|momentum}`` or 4-item lists.
    Raises ValueError (TypeError) for anything else."""
    out = []
    for item in items:
        if isinstance(item, dict):
            names = [k for k in item if k in EVENT_NAMES]
            extra = set(item) - {"epoch", "batch", *EVENT_NAMES}
            if len(names) != 1 or extra:
                raise ValueError(f"a change is {{epoch, batch, lr or momentum}}, got {item!r}")
            name = names[0]
            out.append((int(item["epoch"]), int(item["batch"]), name, float(item[name])))
        else:
            epoch, batch, name, value = item
            out.append((int(epoch), int(batch), str(name), float(value)))
    return tuple(out)


def to_items(events: Sequence[Event]) -> list[dict]:
    return [{"epoch": e, "batch": b, name: v} for e, b, name, v in events]


def in_epoch(events: Sequence[Event], epoch: int) -> dict[int, list[Event]]:
    """The events of `epoch`, by batch index."""
    out: dict[int, list[Event]] = {}
    for event in events:
        if event[0] == epoch:
            out.setdefault(event[1], []).append(event)
    return out


def latest_before(events: Sequence[Event], name: str, epoch: int) -> Event | None:
    """The last `name` event of the epochs before `epoch`."""
    found = None
    for event in events:
        if event[0] < epoch and event[2] == name:
            found = event
    return found
