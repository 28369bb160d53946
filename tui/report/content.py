"""The facts a report states, gathered from a run or sweep folder with core's readers.

Plain data: no matplotlib, no Textual. Accuracies stay fractions in [0, 1] here; the
document turns them into percentages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError

# The diagnostics of a layer, as their keys end (core.diagnostics.columns).
DIAGNOSTIC_QUANTITIES = ("norm", "grad_norm", "update_ratio", "dead")


@dataclass
class Confusion:
    """The test confusion matrix of the run's result weights."""

    matrix: list[list[int]]  # (K, K) counts; rows = true class, columns = predicted
    class_names: tuple[str, ...]
    weights: str  # which weights and why, e.g. "epoch 7's, the run's result, its last epoch"
    loss: float
    accuracy: float

    @property
    def total(self) -> int:
        return sum(map(sum, self.matrix))

    @property
    def per_class_accuracy(self) -> list[float]:
        """(K,) recall per true class; NaN for a class absent from the test set."""
        return [row[k] / sum(row) if sum(row) else float("nan") for k, row in enumerate(self.matrix)]


@dataclass
class RunFacts:
    run: object  # core.runs.RunRecord (the figures draw its curves)
    points: dict  # core.runs.early_stopping_point: final, best_valid_loss, best_valid_acc
    result_epoch: int | None  # the epoch whose weights are the run's result; None if the model is unreadable
    confusion: Confusion | None
    confusion_note: str  # one line when there is no matrix: why
    diagnostics: dict[str, list[float]] = field(default_factory=dict)  # key -> one value per epoch

    @property
    def layers(self) -> list[int]:
        """Indices of the layers that have diagnostics, in order."""
        from core.diagnostics import layer_count

        return list(range(layer_count(self.diagnostics)))


@dataclass
class SweepFacts:
    path: Path
    runs: list  # RunRecords, in the sweep's order
    varying: tuple[str, ...]  # config fields that differ between the runs
    fixed: dict  # the other fields, with their common value


def gather(path: str | Path) -> RunFacts | SweepFacts:
    """The facts of a run folder or a sweep folder; one-line UserError/RunError for
    anything else (a missing folder, a file, a folder of no runs, a corrupt history)."""
    from core.runs import read_run

    from ..plotting import run_folders

    folder = Path(path)
    found = run_folders(folder)
    if found == [folder]:
        return run_facts(read_run(folder))
    return sweep_facts(folder, [read_run(f) for f in found])


def run_facts(run) -> RunFacts:
    from core.runs import early_stopping_point

    if not run.history:
        raise UserError(f"{run.path}: the run has no completed epoch to report")
    matrix, note, result_epoch = _confusion(run)
    return RunFacts(run=run, points=early_stopping_point(run.history), result_epoch=result_epoch,
                    confusion=matrix, confusion_note=note, diagnostics=diagnostics(run))


def sweep_facts(folder: Path, runs: list) -> SweepFacts:
    configs = [r.config.to_dict() for r in runs]
    names = list(configs[0])
    varying = tuple(n for n in names if any(c[n] != configs[0][n] for c in configs))
    if "hidden" not in varying:
        varying = ("hidden", *varying)  # the hidden-units table always shows it
    fixed = {n: configs[0][n] for n in names if n not in varying}
    return SweepFacts(path=folder, runs=runs, varying=varying, fixed=fixed)


def diagnostics(run) -> dict[str, list[float]]:
    """The per-layer diagnostic columns of the history (core.diagnostics), key -> one
    value per epoch, in `columns` order; {} for a history without them. A run resumed by
    a newer trainer has them in later rows only: the others get NaN."""
    from core.diagnostics import columns, layer_count

    keys = {k for r in run.history for k in r.diagnostics}
    return {k: [r.diagnostics.get(k, float("nan")) for r in run.history]
            for k in columns(layer_count(keys)) if k in keys}


def _confusion(run) -> tuple[Confusion | None, str, int | None]:
    """The result weights' test confusion matrix, loaded as `nntrain evaluate` does:
    model.npz, its result weights ("auto"), the run's own dataset and split. When the
    model or the data cannot be read: (None, one line saying why, the result's epoch
    when the model said it)."""
    from core import CheckpointError, DatasetError, evaluate, load_checkpoint, load_dataset
    from core.errors import one_line

    try:
        ckpt = load_checkpoint(run.path / "model.npz")
        which, epoch, why = ckpt.weights("auto")
    except (CheckpointError, OSError) as exc:
        return None, f"No confusion matrix: the model could not be loaded ({one_line(exc)}).", None
    try:
        data = load_dataset(ckpt.config.data, ckpt.config.split or None, preprocess=ckpt.preprocess)
    except (DatasetError, OSError, ValueError) as exc:
        return None, f"No confusion matrix: the run's data {ckpt.config.data} could not be loaded ({one_line(exc)}).", epoch
    net = ckpt.network(best=which == "best")
    if (data.n_features, data.n_classes) != (net.sizes[0], net.sizes[-1]):
        return None, (f"No confusion matrix: {data.name} has {data.n_features} features and {data.n_classes} classes, "
                      f"the model takes {net.sizes[0]} and {net.sizes[-1]}."), epoch
    result = evaluate(net, data.x_test, data.y_test)
    confusion = Confusion(matrix=result.confusion.tolist(), class_names=tuple(data.class_names),
                          weights=f"epoch {epoch}'s, {why}", loss=result.loss, accuracy=result.accuracy)
    return confusion, "", epoch
