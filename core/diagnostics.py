"""Per-layer numbers that tell how training goes, and the warnings they call for.

For a network of L weight layers, each epoch records, for l = 0..L-1:

* ``W{l}_norm``: ||W_l|| (Frobenius) at the epoch's end weights;
* ``W{l}_grad_norm``: ||dL/dW_l|| of one step, the epoch's last full-size mini-batch
  (the one step of a full-batch epoch), L2 term included;
* ``W{l}_update_ratio``: ||step|| / ||W_l|| of that same step, the step being the
  change the optimizer made to W_l (whatever the rule: momentum, Adam, ...);

and for hidden layers l = 0..L-2:

* ``h{l}_dead``: the fraction of layer l's units that were never active (output > 0)
  for any sample of the epoch's training batches. NaN for tanh and sigmoid, whose
  units have no dead state.

Cheap by design: the step's norms come from one step per epoch (a copy of the weights
before it and a few norms after), and the dead units from the ReLU masks the forward
pass already makes (one OR over each batch's mask). No extra pass over the data.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

# An update this large relative to the weights changes them by over 1% per step:
# beyond the ~1e-3 that usually trains well, and where loss spikes start (the course
# run on the bundled data: 1.5e-2 to 8.6e-2 through its spikes of epochs 10-16). It
# must hold two epochs in a row.
UPDATE_RATIO_WARN = 1e-2
# A gradient norm this many times its median over the earlier epochs is exploding.
GRAD_EXPLODE_FACTOR = 10.0
GRAD_HISTORY_MIN = 3  # epochs of history before the explosion test applies
DEAD_WARN = 0.5
# Activations whose "active" is output > 0, so that a unit can die.
DYING_ACTIVATIONS = ("relu", "leaky_relu")


def columns(n_layers: int) -> tuple[str, ...]:
    """The diagnostic keys of a network with `n_layers` weight layers, in order."""
    names = []
    for l in range(n_layers):
        names += [f"W{l}_norm", f"W{l}_grad_norm", f"W{l}_update_ratio"]
    names += [f"h{l}_dead" for l in range(n_layers - 1)]
    return tuple(names)


def key(quantity: str, layer: int) -> str:
    """The key of `quantity` (norm, grad_norm, update_ratio or dead) for `layer`."""
    return f"h{layer}_dead" if quantity == "dead" else f"W{layer}_{quantity}"


def layer_count(diagnostics) -> int:
    """Weight layers a record's diagnostics (keys) cover; 0 for none."""
    layers = [int(k[1:].split("_")[0]) for k in diagnostics if k.startswith("W") and is_column(k)]
    return 1 + max(layers) if layers else 0


def is_column(name: str) -> bool:
    """Whether `name` is a diagnostic key (W3_norm, h0_dead, ...)."""
    head, _, tail = name.partition("_")
    return len(head) > 1 and head[0] in "Wh" and head[1:].isdigit() and (
        tail in ("norm", "grad_norm", "update_ratio") if head[0] == "W" else tail == "dead"
    )


def _norm(a: np.ndarray) -> float:
    flat = a.reshape(-1)
    return math.sqrt(float(np.dot(flat, flat)))


class EpochProbe:
    """Collects one epoch's diagnostics for a `Network` while it trains.

    The trainer calls `batch(network)` after each batch's forward and backward, and
    around the probed step `before_step(network, grad_scale)` and `after_step(network)`;
    `finish(network)` returns the epoch's dict."""

    def __init__(self, network, activation: str = "relu"):
        self.n_layers = network.n_layers
        self.track_dead = activation in DYING_ACTIVATIONS
        self._active = [np.zeros(n, dtype=bool) for n in network.hidden]
        self._before = [np.empty_like(w) for w in network.weights]
        self._values: dict[str, float] = {}

    def start(self) -> None:
        for a in self._active:
            a.fill(False)
        self._values = {}

    def batch(self, network, rows: int) -> None:
        """OR the batch's activity masks `(rows, n_l)` into the epoch's."""
        if self.track_dead:
            for a, mask in zip(self._active, network.activity_masks(rows)):
                a |= mask.any(axis=0)

    def before_step(self, network, grad_scale: float) -> None:
        """Keep the weights before the step and the norms of its gradients (which come
        multiplied by `grad_scale`, see `Optimizer.grad_scale`)."""
        for l, (keep, w, g) in enumerate(zip(self._before, network.weights, network.grad_weights)):
            np.copyto(keep, w)
            self._values[f"W{l}_grad_norm"] = _norm(g) / grad_scale

    def after_step(self, network) -> None:
        for l, (keep, w) in enumerate(zip(self._before, network.weights)):
            np.subtract(w, keep, out=keep)
            weight = _norm(w)
            self._values[f"W{l}_update_ratio"] = _norm(keep) / weight if weight else math.inf

    def finish(self, network) -> dict[str, float]:
        out = {}
        for l, w in enumerate(network.weights):
            out[f"W{l}_norm"] = _norm(w)
            out[f"W{l}_grad_norm"] = self._values.get(f"W{l}_grad_norm", math.nan)
            out[f"W{l}_update_ratio"] = self._values.get(f"W{l}_update_ratio", math.nan)
        for l, a in enumerate(self._active):
            out[f"h{l}_dead"] = 1.0 - int(np.count_nonzero(a)) / a.size if self.track_dead else math.nan
        return out


class NullProbe:
    """A probe that records nothing: epochs then have no diagnostics."""

    def start(self) -> None:
        pass

    def batch(self, network, rows: int) -> None:
        pass

    def finish(self, network) -> dict[str, float]:
        return {}


def warnings_for(history: Sequence) -> list[str]:
    """What the newest record of `history` (EpochRecords with `diagnostics`) says is
    going wrong, as short lines; a condition already warned of at the epoch before is
    not repeated."""
    if not history or not history[-1].diagnostics:
        return []
    now = _conditions(history)
    before = {key for key, _ in _conditions(history[:-1])} if len(history) > 1 else set()
    return [text for key, text in now if key not in before]


def _conditions(history: Sequence) -> list[tuple[str, str]]:
    """(key, text) for each condition the last record of `history` meets."""
    d = history[-1].diagnostics
    found = []
    n_layers = layer_count(d)
    previous = history[-2].diagnostics if len(history) > 1 else {}
    for l in range(n_layers):
        # Two epochs in a row: the first epochs of a good run may take one large step.
        ratio = d.get(f"W{l}_update_ratio", math.nan)
        if ratio > UPDATE_RATIO_WARN and previous.get(f"W{l}_update_ratio", math.nan) > UPDATE_RATIO_WARN:
            found.append((f"ratio{l}", f"W{l} update ratio {ratio:.1e} > {UPDATE_RATIO_WARN:g}: steps are "
                          "large for the weights (a lower learning rate?)"))
        grad = d.get(f"W{l}_grad_norm", math.nan)
        earlier = [r.diagnostics.get(f"W{l}_grad_norm", math.nan) for r in history[:-1]]
        earlier = [g for g in earlier if math.isfinite(g)]
        if math.isinf(grad):
            found.append((f"inf{l}", f"W{l} gradient norm is {grad}"))
        elif len(earlier) >= GRAD_HISTORY_MIN:
            median = float(np.median(earlier))
            if median > 0 and grad > GRAD_EXPLODE_FACTOR * median:
                found.append((f"grad{l}", f"W{l} gradient norm {grad:.3g} is {grad / median:.0f}x its median "
                              f"({median:.3g}): exploding gradients"))
    for l in range(n_layers - 1):
        dead = d.get(f"h{l}_dead", math.nan)
        if dead > DEAD_WARN:
            found.append((f"dead{l}", f"h{l}: {dead:.0%} of the units are dead (never active this epoch)"))
    return found
