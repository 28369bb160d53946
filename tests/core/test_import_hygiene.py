"""core stays headless: importing it, or running `nntrain train`, loads no UI library."""

import subprocess
import sys

import pytest

UI_MODULES = ("textual", "rich", "plotext", "textual_plotext")
# Pillow is optional, imported only inside the functions that decode image files.
LAZY_MODULES = ("PIL",)
LAZY_IMPORTERS = {"datasets/imagefile.py": {"PIL"}, "benchmark.py": {"threadpoolctl"}}


def _loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys\nprint(' '.join(m for m in %r if m in sys.modules))" % (UI_MODULES + LAZY_MODULES,)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "module",
    ["core", "core.network", "core.benchmark", "core.trainer", "core.datasets", "core.checkpoint", "core.runs", "core.config", "core.sweep"],
)
def test_core_modules_load_no_ui_library(module):
    assert _loaded_after(f"import {module}") == set()


def test_train_command_does_not_load_textual(tmp_path):
    code = (
        "import sys\n"
        "from tui.cli import main\n"
        f"rc = main(['train', '--hidden', '8', '--epochs', '1', '--quiet', '--split', '300,100', "
        f"'--out', {str(tmp_path / 'run')!r}])\n"
        "assert rc == 0, rc"
    )
    loaded = _loaded_after(code)
    assert "textual" not in loaded
    assert "textual_plotext" not in loaded


def test_help_loads_neither_numpy_nor_textual():
    loaded = _loaded_after("from tui.cli import build_parser\nbuild_parser().format_help()")
    assert loaded == set()


def test_core_source_imports_only_numpy_and_the_standard_library():
    """Every import statement under core/ names numpy, the standard library or core
    itself (tomli only as the Python 3.10 stand-in for tomllib); imported inside a
    function only: Pillow by the image-file decoder, threadpoolctl by the benchmark
    (to name its BLAS, when installed)."""
    import ast
    from pathlib import Path

    allowed = set(sys.stdlib_module_names) | {"numpy", "core", "tomli"}
    core_dir = Path(__file__).resolve().parents[2] / "core"
    found = {}
    for path in core_dir.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        optional = LAZY_IMPORTERS.get(path.relative_to(core_dir).as_posix(), set())
        in_function = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in allowed and not (top in optional and id(node) in in_function):
                    found.setdefault(top, []).append(str(path.relative_to(core_dir)))
    assert found == {}
