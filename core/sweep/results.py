"""The results tables: one row per run, mean and std per configuration, as CSV and Markdown."""

from __future__ import annotations

import csv
import io
import math
import statistics
from pathlib import Path

from ..atomic import write_text
from ..config import TrainConfig
from .grid import SweepPlan, format_value
from .outcome import Outcome

# The three points of a run the tables report: the last epoch, and the course's two
# early-stopping points (lowest valid loss, highest valid accuracy).
POINTS = (("final", "final"), ("best_loss", "best_valid_loss"), ("best_acc", "best_valid_acc"))
METRIC_NAMES = ("train_loss", "valid_loss", "test_loss", "train_acc", "valid_acc", "test_acc")

STAT_COLUMNS = tuple(
    f"{prefix}_{metric}" for prefix, _ in POINTS for metric in ("epoch", *METRIC_NAMES)
) + ("seconds",)


def result_row(outcome: Outcome, varying: tuple[str, ...]) -> dict:
    """One run's row: its parameters, status, and the final, best-valid-loss and
    best-valid-accuracy epochs with their metrics (fractions, as in history.json).
    `seconds` is the run's training time (the sum of its epochs)."""
    run = outcome.run
    row = {"run": run.name, **{f: format_value(v) for f, v in run.params.items()}}
    if "seed" not in varying:
        row["seed"] = str(run.config.seed)
    row["status"] = outcome.status
    doc = outcome.doc or {}
    points = doc.get("early_stopping_point") or {}
    row["epochs"] = doc.get("epochs", "")
    row["best_epoch"] = doc.get("best_epoch", "")
    for prefix, key in POINTS:
        record = points.get(key) or {}
        row[f"{prefix}_epoch"] = record.get("epoch", "")
        for metric in METRIC_NAMES:
            row[f"{prefix}_{metric}"] = record.get(metric, "")
    history = doc.get("history")
    row["seconds"] = sum(r["seconds"] for r in history) if history else outcome.seconds or ""
    row["error"] = outcome.error
    return row


def write_results(out: Path, plan: SweepPlan, outcomes: list[Outcome]) -> None:
    """results.csv, results.md and (with repeated configurations) summary.csv."""
    rows = [result_row(o, plan.varying) for o in outcomes]
    write_text(out / "results.csv", _csv(rows))
    groups = summarize(plan, outcomes) if plan.repeated else []
    if groups:
        write_text(out / "summary.csv", _csv(groups))
    write_text(out / "results.md", results_markdown(out, plan, outcomes, groups))


def summarize(plan: SweepPlan, outcomes: list[Outcome]) -> list[dict]:
    """Mean and sample standard deviation of every metric per configuration, over its
    successful runs (their seeds)."""
    varying = tuple(f for f in plan.varying if f != "seed")
    by_group: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_group.setdefault(o.run.group, []).append(o)
    groups = []
    for group, members in by_group.items():
        rows = [result_row(o, plan.varying) for o in members if o.ok]
        summary = {"config": group, **{f: format_value(getattr(members[0].run.config, f)) for f in varying}}
        summary["runs"] = len(rows)
        summary["seeds"] = " ".join(str(o.run.config.seed) for o in members if o.ok)
        for column in STAT_COLUMNS:
            values = [float(r[column]) for r in rows if r[column] != ""]
            summary[f"{column}_mean"] = statistics.fmean(values) if values else ""
            summary[f"{column}_std"] = statistics.stdev(values) if len(values) > 1 else ""
        groups.append(summary)
    return groups


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: repr(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows)
    return out.getvalue()


def results_table(outcomes: list[Outcome]) -> str:
    """The per-run Markdown table: accuracies (%) at the final epoch and at the two
    early-stopping points."""
    any_error = any(o.error for o in outcomes)
    head = ["run", "status", "final ep: train / valid / test %", "best valid loss ep: train / valid / test %",
            "best valid acc ep: train / valid / test %", "seconds"] + (["error"] if any_error else [])
    body = []
    for o in outcomes:
        points = (o.doc or {}).get("early_stopping_point") or {}
        cells = [o.run.name, o.status + (" (kept)" if o.kept else "")]
        cells += [_point_cell(points.get(key)) for _, key in POINTS]
        history = (o.doc or {}).get("history")
        seconds = sum(r["seconds"] for r in history) if history else o.seconds
        cells.append("" if seconds is None else f"{seconds:.1f}")
        if any_error:
            cells.append(o.error)
        body.append(cells)
    return markdown_table(head, body)


def summary_table(groups: list[dict]) -> str:
    """Mean ± std per configuration of the accuracies (%) in `results_table`."""
    head = ["config", "runs", "final valid %", "final test %", "best loss ep", "valid %", "test %",
            "best acc ep", "valid %", "test %"]
    body = []
    for g in groups:
        cells = [g["config"], str(g["runs"])]
        for column in ("final_valid_acc", "final_test_acc", "best_loss_epoch", "best_loss_valid_acc",
                       "best_loss_test_acc", "best_acc_epoch", "best_acc_valid_acc", "best_acc_test_acc"):
            scale = 1 if column.endswith("epoch") else 100
            cells.append(_mean_std(g[f"{column}_mean"], g[f"{column}_std"], scale))
        body.append(cells)
    return markdown_table(head, body)


def results_markdown(out: Path, plan: SweepPlan, outcomes: list[Outcome], groups: list[dict]) -> str:
    base = plan.runs[0].config if plan.runs else TrainConfig()
    fixed = ", ".join(
        f"{f} {format_value(v) if v != '' else 'default'}" for f, v in base.to_dict().items() if f not in plan.varying
    )
    done = sum(o.ok for o in outcomes)
    lines = [
        f"# Sweep {out.name}",
        "",
        f"{len(outcomes)} runs, {done} complete. Varying: {', '.join(plan.varying) or 'nothing'}"
        + (f" ({plan.repeats} seeds per configuration)" if plan.repeats > 1 else "") + ".",
        f"Fixed: {fixed}.",
        "Accuracies in %, at the last epoch and at the two early-stopping points: the epoch with the "
        "lowest valid loss and the epoch with the highest valid accuracy. Seconds: training time.",
        "",
        results_table(outcomes),
    ]
    if groups:
        lines += ["", "## Mean ± standard deviation over seeds", "", summary_table(groups)]
    return "\n".join(lines) + "\n"


def _point_cell(record: dict | None) -> str:
    if not record:
        return ""
    accs = " / ".join(f"{100 * record[m]:.1f}" for m in ("train_acc", "valid_acc", "test_acc"))
    return f"{record['epoch']}: {accs}"


def _mean_std(mean, std, scale: float) -> str:
    if mean == "":
        return ""
    text = f"{scale * mean:.1f}"
    return text + (f" ± {scale * std:.1f}" if std != "" and math.isfinite(std) else "")


def markdown_table(head: list[str], body: list[list[str]]) -> str:
    """A Markdown table padded into columns, so it also reads as plain text."""
    cells = [[c.replace("|", "\\|") for c in row] for row in [head, *body]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
