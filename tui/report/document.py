"""A report as a list of plain blocks (headings, paragraphs, tables, images) that the
Markdown and HTML writers render; numbers are formatted here, once, for both."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.diagnostics import UPDATE_RATIO_WARN, key
from core.sweep.grid import format_value

from .content import DIAGNOSTIC_QUANTITIES, RunFacts, SweepFacts

POINT_NAMES = (("final", "final epoch"), ("best_valid_loss", "lowest valid loss"),
               ("best_valid_acc", "highest valid accuracy"))


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    head: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Image:
    name: str  # key into the figures: the file name without ".png"
    alt: str


Block = Heading | Paragraph | Table | Image


def percent(x: float) -> str:
    return "-" if x is None or math.isnan(x) else f"{100 * x:.2f}"


def number(x: float, digits: int = 4) -> str:
    return "-" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def scientific(x: float) -> str:
    return "-" if x is None or math.isnan(x) else f"{x:.3g}"


def config_table(options: dict) -> Table:
    """Option and value, as the sweep tables write values ("" is the default)."""
    return Table(["option", "value"], [[k, format_value(v) if v != "" else "default"] for k, v in options.items()])


def run_document(facts: RunFacts) -> tuple[str, list[Block]]:
    run = facts.run
    config = run.config
    data = run.dataset
    last = facts.points["final"]
    monitor = config.monitor.replace("_", " ")
    where = f"{data.get('name', config.data)}" + (f" ({data['source']})" if data.get("source") else "")
    blocks: list[Block] = [
        Heading(1, f"Run report: {run.name}"),
        Paragraph(f"{config.describe()}. Status: {run.status or 'unknown'} after {len(run.history)} "
                  f"epoch{'s' * (len(run.history) != 1)}. Data: {where}, split {data.get('split', config.split or 'default')}."),
        Paragraph(f"Final test accuracy {percent(last['test_acc'])}%, valid {percent(last['valid_acc'])}%, "
                  f"train {percent(last['train_acc'])}%. Best epoch by {monitor}: {run.best_epoch or '-'}"
                  + (f"; the run's result is epoch {facts.result_epoch}'s weights." if facts.result_epoch else ".")),
        Heading(2, "Configuration"),
        config_table(config.to_dict()),
        Heading(2, "Loss and accuracy per epoch"),
        Image("curves", "loss and accuracy per epoch for the train, valid and test sets"),
        Paragraph(f"Mean cross-entropy per sample and accuracy; the dotted line marks the best epoch by {monitor}."),
        Heading(2, "Final accuracies and the early-stopping point"),
        Table(["point", "epoch", "train loss", "valid loss", "test loss", "train %", "valid %", "test %"],
              [_point_row(label, facts.points[key]) for key, label in POINT_NAMES]),
        Heading(2, "Test confusion matrix"),
    ]
    if facts.confusion is None:
        blocks.append(Paragraph(facts.confusion_note))
    else:
        blocks += _confusion_blocks(facts.confusion)
    if facts.diagnostics:
        blocks += _diagnostics_blocks(facts)
    return f"Run report: {run.name}", blocks


def _point_row(label: str, record: dict) -> list[str]:
    return [label, str(record["epoch"]), *(number(record[f"{s}_loss"]) for s in ("train", "valid", "test")),
            *(percent(record[f"{s}_acc"]) for s in ("train", "valid", "test"))]


def _confusion_blocks(confusion) -> list[Block]:
    names = list(confusion.class_names) or [str(k) for k in range(len(confusion.matrix))]
    rows = [[name, *map(str, row), percent(acc)]
            for name, row, acc in zip(names, confusion.matrix, confusion.per_class_accuracy)]
    return [
        Paragraph(f"Weights: {confusion.weights}. {confusion.total} test samples, loss {number(confusion.loss)}, "
                  f"accuracy {percent(confusion.accuracy)}%. Rows: true class; columns: predicted class."),
        Table(["true class", *names, "accuracy %"], rows),
        Image("confusion", "test confusion matrix"),
    ]


def _diagnostics_blocks(facts: RunFacts) -> list[Block]:
    d = facts.diagnostics
    last = len(facts.run.history) - 1
    rows = []
    for layer in facts.layers:
        values = [d.get(key(q, layer)) for q in DIAGNOSTIC_QUANTITIES]
        at_last = [v[last] if v else float("nan") for v in values]
        rows.append([f"layer {layer}", scientific(at_last[0]), scientific(at_last[1]), scientific(at_last[2]),
                     percent(at_last[3])])
    return [
        Heading(2, "Per-layer diagnostics"),
        Image("diagnostics", "per-layer weight norm, gradient norm, update ratio and dead units per epoch"),
        Paragraph(f"At the last epoch ({facts.run.history[-1].epoch}). An update ratio above "
                  f"{UPDATE_RATIO_WARN:g} means steps "
                  "too large for the weights; dead units were never active over the epoch."),
        Table(["layer", "weight norm", "gradient norm", "update ratio", "dead units %"], rows),
    ]


def sweep_document(facts: SweepFacts) -> tuple[str, list[Block]]:
    runs = facts.runs
    monitors = {r.config.monitor for r in runs}
    by = monitors.pop().replace("_", " ") if len(monitors) == 1 else "each run's monitor"
    others = [f for f in facts.varying if f != "hidden"]
    head = ["run", "hidden", *others, "status", "epochs", "best epoch", "valid % at best", "test % at best",
            "final valid %", "final test %"]
    rows = []
    for run in runs:
        final = run.history[-1] if run.history else None
        best = run.best or final
        config = run.config.to_dict()
        rows.append([run.name, format_value(run.config.hidden), *(format_value(config[f]) for f in others),
                     run.status or "-", str(len(run.history)), str(run.best_epoch or "-"),
                     percent(best.valid_acc) if best else "-", percent(best.test_acc) if best else "-",
                     percent(final.valid_acc) if final else "-", percent(final.test_acc) if final else "-"])
    title = f"Sweep report: {facts.path.name}"
    blocks: list[Block] = [
        Heading(1, title),
        Paragraph(f"{len(runs)} run{'s' * (len(runs) != 1)}; varying: {', '.join(facts.varying)}."),
        Heading(2, "Hidden units"),
        Paragraph(f"Accuracies in %. Best epoch: by {by}; the valid and test accuracies there, and at the last epoch."),
        Table(head, rows),
        Heading(2, "Valid curves"),
        Image("valid", "valid loss and accuracy per epoch of every run"),
        Heading(2, "Fixed configuration"),
        config_table(facts.fixed),
    ]
    return title, blocks
