"""The report's figures as PNG bytes (matplotlib's Agg canvas; no pyplot, no window).

The curves are tui.plotting's figure; the confusion matrix and the per-layer
diagnostics are drawn here. Nothing is written to disk: the output module writes.
"""

from __future__ import annotations

import io
import math

from core.diagnostics import UPDATE_RATIO_WARN

from ..plotting import figure, require_matplotlib
from .content import RunFacts, SweepFacts

DPI = 110
QUANTITY_TITLES = {
    "norm": "weight norm ||W||",
    "grad_norm": "gradient norm ||dL/dW||",
    "update_ratio": "update ratio ||step|| / ||W||",
    "dead": "dead hidden units (%)",
}


def run_figures(facts: RunFacts) -> dict[str, bytes]:
    """name -> PNG: "curves", and "confusion" / "diagnostics" when the facts have them."""
    require_matplotlib()
    images = {"curves": png(figure([facts.run], "both"))}
    if facts.confusion is not None:
        images["confusion"] = png(confusion_figure(facts.confusion))
    if facts.diagnostics:
        images["diagnostics"] = png(diagnostics_figure(facts))
    return images


def sweep_figures(facts: SweepFacts) -> dict[str, bytes]:
    """"valid": every run's valid loss and accuracy curves."""
    require_matplotlib()
    return {"valid": png(figure(facts.runs, "both", ("valid",)))}


def png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _new_figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def confusion_figure(confusion):
    """Counts as a heat map, rows = true class, with the count in each cell."""
    k = len(confusion.matrix)
    side = min(9.0, 2.5 + 0.5 * k)
    fig = _new_figure(side + 1.0, side)
    ax = fig.subplots()
    image = ax.imshow(confusion.matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8, label="samples")
    top = max(max(row) for row in confusion.matrix) or 1
    if k <= 20:  # beyond that the numbers no longer fit their cells
        for i, row in enumerate(confusion.matrix):
            for j, count in enumerate(row):
                ax.text(j, i, str(count), ha="center", va="center", fontsize="small",
                        color="white" if count > 0.6 * top else "black")
    names = [n[:8] for n in confusion.class_names] if len(confusion.class_names) == k else list(map(str, range(k)))
    ax.set_xticks(range(k), names, rotation=90 if k > 10 else 0)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"Test confusion matrix ({confusion.total} samples, {100 * confusion.accuracy:.2f}% correct)")
    return fig


def diagnostics_figure(facts: RunFacts):
    """One panel per quantity (weight norm, gradient norm, update ratio, dead units),
    one line per layer, in two columns; the norms and the ratio on log scales (when all
    positive), as they span decades."""
    from matplotlib.ticker import MaxNLocator

    epochs = [r.epoch for r in facts.run.history]
    quantities = [q for q in QUANTITY_TITLES if any(_quantity(k) == q for k in facts.diagnostics)]
    cols = min(2, len(quantities))  # two columns: readable at a report's width
    rows = -(-len(quantities) // cols)
    fig = _new_figure(5.0 * cols, 3.3 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).flat
    for ax, quantity in zip(axes, quantities):
        for key, values in facts.diagnostics.items():
            if _quantity(key) != quantity:
                continue
            scale = 100.0 if quantity == "dead" else 1.0
            ax.plot(epochs, [scale * v for v in values], label=key.split("_")[0], linewidth=1.5)
        if quantity != "dead" and _all_positive(facts.diagnostics, quantity):
            ax.set_yscale("log")
        if quantity == "dead":
            ax.set_ylim(bottom=0)
        if quantity == "update_ratio":
            ax.axhline(UPDATE_RATIO_WARN, color="tab:red", linestyle=":", linewidth=1.2,
                       label=f"{UPDATE_RATIO_WARN:g}")
        ax.set_title(QUANTITY_TITLES[quantity], fontsize="medium")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(f"{facts.run.name}: per-layer diagnostics")
    return fig


def _quantity(key: str) -> str:
    return key.split("_", 1)[1]


def _all_positive(diagnostics: dict, quantity: str) -> bool:
    values = [v for k, vs in diagnostics.items() if _quantity(k) == quantity for v in vs if not math.isnan(v)]
    return bool(values) and min(values) > 0
