"""Loss and accuracy curves of run folders: a matplotlib figure for reports (PNG, SVG,
PDF) or plotext in the terminal. matplotlib is the optional extra `nntrain[plots]`,
imported only when a file is asked for."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .errors import UserError

SETS = ("train", "valid", "test")
SUFFIXES = (".png", ".svg", ".pdf")
INSTALL_HINT = 'pip install "nntrain[plots]"'
# Several runs: one colour per run, one line style per set.
LINESTYLES = {"valid": "-", "train": "--", "test": ":"}
SET_COLORS = {"train": "tab:blue", "valid": "tab:orange", "test": "tab:green"}
TERMINAL_SET_COLORS = {"train": "blue", "valid": "orange", "test": "green"}
TERMINAL_RUN_COLORS = ("blue", "orange", "green", "red", "magenta", "cyan", "gray", "black")
TERMINAL_MAX_POINTS = 400
LOSS_LABEL = "cross-entropy loss (mean per sample)"


def collect_runs(paths) -> list:
    """RunRecords from run folders and sweep folders (a sweep gives its complete runs,
    in its manifest's order). One-line UserError/RunError for anything else."""
    from core.runs import read_run

    runs = []
    for text in paths:
        runs += [read_run(f) for f in run_folders(Path(text))]
    return runs


def run_folders(path: Path) -> list[Path]:
    """The run folders of a run folder ([path]) or of a sweep folder; one-line
    UserError/RunError for a missing folder, a file, a sweep with no complete run yet
    or a folder that holds no run."""
    from core.run_index import find_runs
    from core.runs import read_run

    if not path.exists():
        raise UserError(f"{path}: no such folder")
    if not path.is_dir():
        raise UserError(f"{path}: not a folder (give a run folder or a sweep folder)")
    folders = find_runs(path)
    if not folders and (path / "sweep.json").is_file():
        raise UserError(f"{path}: the sweep has no complete runs yet")
    if not folders:
        read_run(path)  # raises "not a run folder"
    return folders


def parse_sets(text: str | None, several: bool) -> tuple[str, ...]:
    """--sets as a tuple; by default all three for one run, valid for several."""
    if text is None:
        return ("valid",) if several else SETS
    sets = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in sets if s not in SETS]
    if bad or not sets:
        raise UserError(f"--sets: use a comma list of train, valid, test (got {text!r})")
    return tuple(dict.fromkeys(sets))


def panels(metric: str) -> tuple[str, ...]:
    return ("loss", "accuracy") if metric == "both" else (metric,)


def labels(runs) -> list[str]:
    """Run names, with their parent folder when names alone are ambiguous."""
    names = [r.name for r in runs]
    if len(set(names)) == len(names):
        return names
    return [f"{r.path.parent.name}/{r.name}" for r in runs]


def curve(run, panel: str, which: str) -> tuple[list[int], list[float]]:
    """Epochs and the values of `which` set's loss or accuracy (in %)."""
    key = f"{which}_loss" if panel == "loss" else f"{which}_acc"
    scale = 1.0 if panel == "loss" else 100.0
    return [r.epoch for r in run.history], [scale * getattr(r, key) for r in run.history]


def title(runs, sets: tuple[str, ...]) -> str:
    if len(runs) == 1:
        run = runs[0]
        return f"{run.name}: {run.config.describe()}"
    parents = {r.path.resolve().parent.name for r in runs}
    where = f" in {parents.pop()}" if len(parents) == 1 else ""
    return f"{len(runs)} runs{where}: {', '.join(sets)} set{'s' * (len(sets) > 1)}"


# --------------------------------------------------------------------------- matplotlib


def check_output(path: str) -> Path:
    out = Path(path)
    if out.suffix.lower() not in SUFFIXES:
        raise UserError(f"{out}: unknown image type {out.suffix or '(none)'!r}; use .png, .svg or .pdf")
    return out


def require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UserError(f"plotting to a file needs matplotlib: {INSTALL_HINT}") from None


def figure(runs, metric: str = "both", sets: tuple[str, ...] = SETS):
    """A matplotlib Figure (Agg canvas, no pyplot): one panel per metric, one legend.

    One run: a colour per set and a dotted line at the best epoch. Several runs: a
    colour per run, a line style per set, a dot at each run's best epoch on its valid
    curve (or the first set shown).
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    names = panels(metric)
    single = len(runs) == 1
    colors = [SET_COLORS[which] for which in sets] if single else _run_colors(len(runs))
    marked = "valid" if "valid" in sets else sets[0]
    fig = Figure(figsize=(5.6 * len(names) + 2.4, 4.4), layout="constrained")
    FigureCanvasAgg(fig)
    for ax, panel in zip(fig.subplots(1, len(names), squeeze=False)[0], names):
        for i, run in enumerate(runs):
            best = run.best_epoch
            for j, which in enumerate(sets):
                x, y = curve(run, panel, which)
                color = colors[j] if single else colors[i]
                ax.plot(x, y, color=color, linestyle="-" if single else LINESTYLES[which], linewidth=1.6)
                if best and (single or which == marked):
                    ax.plot([best], [y[best - 1]], marker="o", color=color, markeredgecolor="black", zorder=3)
            if best and single:
                ax.axvline(best, color="0.4", linestyle=":", linewidth=1.2)
        ax.set_xlabel("epoch")
        ax.set_ylabel(LOSS_LABEL if panel == "loss" else "accuracy (%)")
        ax.set_title("Loss" if panel == "loss" else "Accuracy")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)

    if single:
        handles = [Line2D([], [], color=c, label=which) for c, which in zip(colors, sets)]
    else:
        handles = [Line2D([], [], color=c, label=text) for c, text in zip(colors, labels(runs))]
        if len(sets) > 1:
            handles += [Line2D([], [], color="0.3", linestyle=LINESTYLES[w], label=f"{w} set") for w in sets]
    monitors = {r.config.monitor for r in runs}
    best_text = f"best epoch (by {monitors.pop().replace('_', ' ')})" if len(monitors) == 1 else "best epoch"
    handles.append(Line2D([], [], marker="o", color="0.5", markeredgecolor="black", linestyle=":" if single else "none",
                          label=f"{best_text}: {runs[0].best_epoch}" if single else best_text))
    fig.legend(handles=handles, loc="outside right upper", fontsize="small")
    fig.suptitle(title(runs, sets))
    return fig


def _run_colors(n: int) -> list:
    from matplotlib import colormaps

    if n <= 10:
        return [f"C{i}" for i in range(n)]
    cmap = colormaps["viridis"]
    return [cmap(i / (n - 1)) for i in range(n)]


def save_figure(runs, output: str, metric: str = "both", sets: tuple[str, ...] = SETS) -> Path:
    """Draw and write the figure atomically; the format follows the file's extension."""
    from core.atomic import atomic_path

    out = check_output(output)
    fig = figure(runs, metric, sets)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format=out.suffix.lower()[1:], dpi=150)
    return out


# --------------------------------------------------------------------------- plotext


def terminal_plot(runs, metric: str = "both", sets: tuple[str, ...] = SETS,
                  width: int | None = None, height: int | None = None, color: bool = True) -> str:
    """The same curves drawn by plotext (5.3 API), as a string to print.

    The "clear" theme keeps the terminal's own background (plotext's default paints a
    white box); `color=False` (NO_COLOR, or output to a file) draws without escapes.
    """
    import plotext as plt

    size = shutil.get_terminal_size((100, 30))
    width = width or size.columns
    height = height or max(15, min(size.lines - 2, 30))
    names = panels(metric)
    single = len(runs) == 1
    plt.main()  # plotext's figure functions act on the active subplot: select the whole figure
    plt.clear_figure()
    plt.limitsize(False, False)
    plt.plotsize(width, height)
    plt.subplots(1, len(names))
    plt.theme("clear")
    for col, panel in enumerate(names, start=1):
        plt.subplot(1, col)
        for i, (run, label) in enumerate(zip(runs, labels(runs))):
            for which in sets:
                x, y = _downsample(*curve(run, panel, which))
                if not x:  # a run that stopped before its first epoch ended
                    continue
                series = TERMINAL_SET_COLORS[which] if single else TERMINAL_RUN_COLORS[i % len(TERMINAL_RUN_COLORS)]
                text = which if single else (label if len(sets) == 1 else f"{label} ({which})")
                plt.plot(x, y, label=text, color=series, marker="braille")
        if single and runs[0].best_epoch:
            plt.vline(runs[0].best_epoch, "gray")
        best = f"best epoch {runs[0].best_epoch} (line)" if single else "accuracy (%)"
        plt.title(("Loss" if panel == "loss" else "Accuracy") + (f" - {best}" if single and col == 1 else ""))
        plt.xlabel("epoch")
        plt.ylabel("loss" if panel == "loss" else "accuracy (%)")
    text = plt.build()
    if not color:
        # plotext 5.3's clear_color() misses per-series colours: strip the escapes instead.
        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return f"{title(runs, sets)}\n{text}"


def _downsample(x: list, y: list) -> tuple[list, list]:
    """At most TERMINAL_MAX_POINTS points, keeping the last; drawing cost grows with points."""
    step = -(-len(x) // TERMINAL_MAX_POINTS)
    if step <= 1:
        return x, y
    keep = list(range(0, len(x), step))
    if keep[-1] != len(x) - 1:
        keep.append(len(x) - 1)
    return [x[i] for i in keep], [y[i] for i in keep]
