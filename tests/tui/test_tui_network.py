"""The Network tab: per-layer diagnostic charts and the first layer's receptive fields.

The drawing maths are pure functions (tui/fields_render.py), tested on small arrays;
the tab is tested and snapshotted at 80x24 from fixed, seeded histories and fixed
weights (an opened model's checkpoint built in memory), never a live run.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
from textual.geometry import Region
from textual.widgets import Input

from core import EpochRecord, TrainConfig
from core.checkpoint import Checkpoint
from tui import fields_render as fr
from tui.app import NNTrainApp
from tui.run_buffer import MODEL
from tui.widgets.layer_diagnostics import DiagnosticChart, has_diagnostics, layer_series, n_layers
from tui.widgets.receptive_fields import ReceptiveFields, first_layer
from tui_support import SIZE, async_test, fixed_history, fixed_run, wait_until

BIG = (200, 50)


# -- fixed data -------------------------------------------------------------------------
def diagnostic_history(epochs: int = 20, n_layers: int = 3, seed: int = 5) -> list[EpochRecord]:
    """`fixed_history` with plausible per-layer figures: norms grow, gradients and update
    ratios fall (layer 0's ratio starts above 1e-2), hidden units die slowly."""
    rng = np.random.default_rng(seed)
    history = []
    for record in fixed_history(epochs):
        t = record.epoch / epochs
        d = {}
        for l in range(n_layers):
            d[f"W{l}_norm"] = round((12.0 / (l + 1)) * (1 + 0.5 * t) + 0.05 * rng.random(), 4)
            d[f"W{l}_grad_norm"] = round((2.0 / (l + 1)) * math.exp(-2 * t) + 0.01 * rng.random(), 5)
            d[f"W{l}_update_ratio"] = float(f"{0.03 * 10 ** (-l / 2) * math.exp(-3 * t):.3g}")
            if l < n_layers - 1:
                d[f"h{l}_dead"] = round(min(1.0, 0.05 + 0.3 * t * (l + 1)), 3)
        history.append(dataclasses.replace(record, diagnostics=d))
    return history


def fixed_weights(shape: tuple[int, ...], n_hidden: int, seed: int = 9) -> np.ndarray:
    """`(n_in, n_hidden)` weights: unit j is an oriented stripe pattern with a norm that
    grows with (j * 7) % n_hidden, so the ranking by norm is known; a little noise."""
    rng = np.random.default_rng(seed)
    h, w = shape[:2]
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    cols = []
    for j in range(n_hidden):
        angle = math.pi * j / n_hidden
        img = np.sin(2 * math.pi * 2.5 * (xx * math.cos(angle) + yy * math.sin(angle)))
        if len(shape) == 3:
            img = np.repeat(img[:, :, None], shape[2], axis=2)
        col = img.ravel() * (1 + (j * 7) % n_hidden) / n_hidden + 0.05 * rng.standard_normal(img.size)
        cols.append(col)
    return np.column_stack(cols).astype(np.float32)


def model_run(image_shape=(28, 28), kind="image", n_hidden=32, history=None, path="fixed/model.npz"):
    """A run as Open makes one from a model.npz, with fixed weights and a fixed history."""
    n_in = int(np.prod(image_shape))
    w0 = fixed_weights(image_shape if kind == "image" else (1, n_in), n_hidden)
    history = diagnostic_history() if history is None else history
    config = TrainConfig(hidden=(n_hidden, 16), epochs=len(history))
    params = {"W0": w0, "b0": np.zeros(n_hidden, np.float32),
              "W1": np.zeros((n_hidden, 16), np.float32), "b1": np.zeros(16, np.float32),
              "W2": np.zeros((16, 10), np.float32), "b2": np.zeros(10, np.float32)}
    meta = {"sizes": [n_in, n_hidden, 16, 10], "history": [r.to_dict() for r in history], "kind": "final",
            "best_epoch": 12, "weights_epoch": len(history),
            "dataset": {"image_shape": list(image_shape), "kind": kind}}
    ckpt = Checkpoint(path=Path(path), config=config, meta=meta, params=params, best_params={}, optimizer={})
    run = fixed_run(hidden=(n_hidden, 16), epochs=len(history))
    run.history, run.source, run.path, run.checkpoint = list(history), MODEL, Path(path), ckpt
    return run


# -- pure functions -----------------------------------------------------------------------
def test_colour_map_sign_and_symmetry():
    v = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, np.nan])
    rgb = fr.diverging_rgb(v).astype(int)
    assert rgb.shape == (6, 3) and rgb.dtype == int
    neg, pos, zero = rgb[0], rgb[4], rgb[2]
    assert neg[2] > neg[0] + 100  # negative: blue
    assert pos[0] > pos[2] + 100  # positive: red
    assert zero[0] == zero[1] == zero[2]  # zero: grey
    np.testing.assert_array_equal(rgb[5], zero)  # NaN drawn as zero
    np.testing.assert_array_equal(rgb[0], rgb[4][::-1])  # -v is v with red and blue swapped
    np.testing.assert_array_equal(rgb[1], rgb[3][::-1])
    # Strength grows with |v|: half-way is between grey and the end.
    assert zero[0] < rgb[3][0] < pos[0]
    np.testing.assert_array_equal(fr.diverging_rgb(np.array([3.0, -7.0])), fr.diverging_rgb(np.array([1.0, -1.0])))


def test_colour_steps_are_symmetric_and_round_to_the_map():
    steps = fr.quantise(np.array([-1.5, -1.0, -0.04, 0.0, 0.04, 0.5, 1.0, np.nan]), levels=12)
    np.testing.assert_array_equal(steps, [-12, -12, 0, 0, 0, 6, 12, 0])
    pal = fr.palette(12)
    assert pal.shape == (25, 3)
    np.testing.assert_array_equal(pal[12], fr.diverging_rgb(np.array(0.0)))  # step 0 is the zero grey
    np.testing.assert_array_equal(pal[0], pal[24][::-1])  # -max mirrors +max
    np.testing.assert_array_equal(pal[24], fr.POSITIVE.astype(np.uint8))


def test_symmetric_scale_keeps_zero_and_sign():
    scaled = fr.symmetric_scale(np.array([-2.0, 0.0, 1.0]))
    np.testing.assert_allclose(scaled, [-1.0, 0.0, 0.5])
    np.testing.assert_array_equal(fr.symmetric_scale(np.zeros(3)), np.zeros(3))


def test_top_units_by_norm():
    w0 = np.array([[1.0, 0.0, 3.0, 0.0], [0.0, -2.0, 0.0, 2.0]])  # norms 1, 2, 3, 2
    np.testing.assert_array_equal(fr.top_units(w0, 4), [2, 1, 3, 0])  # ties keep index order
    np.testing.assert_array_equal(fr.top_units(w0, 2), [2, 1])
    np.testing.assert_array_equal(fr.top_units(w0, 2, start=2), [3, 0])
    w0[0, 2] = np.nan
    assert fr.top_units(w0, 4)[-1] == 2  # NaN weights rank last
    np.testing.assert_allclose(fr.unit_norms(np.array([[3.0], [4.0]])), [5.0])


def test_unit_image_averages_colour_channels():
    w0 = np.zeros((2 * 2 * 3, 1))
    w0[:, 0] = np.arange(12)  # channels last: pixel (0, 0) holds 0, 1, 2
    np.testing.assert_allclose(fr.unit_image(w0, 0, (2, 2, 3)), [[1, 4], [7, 10]])
    np.testing.assert_allclose(fr.unit_image(w0[:4], 0, (2, 2)), [[0, 1], [2, 3]])


def test_tile_factors_and_resize():
    assert fr.tile_factors(28, 28) == (2, 1)
    assert fr.tile_factors(8, 8) == (1, 2)
    assert fr.tile_factors(64, 32) == (4, 1)
    assert fr.tile_factors(16, 16) == (1, 1)
    img = np.arange(16.0).reshape(4, 4)
    np.testing.assert_allclose(fr.resize(img, 2, 1), [[2.5, 4.5], [10.5, 12.5]])
    assert fr.resize(np.ones((5, 5)), 2, 1).shape == (3, 3)  # the edge averages what it has
    np.testing.assert_allclose(fr.resize(np.ones((5, 5)), 2, 1), np.ones((3, 3)))
    assert fr.resize(np.ones((3, 2)), 1, 3).shape == (9, 6)


def test_tile_grid_counts_for_a_size():
    # 14-wide tiles of 7 lines plus a caption, one column between tiles.
    assert fr.tile_grid(78, 8, 14, 7) == (5, 1)
    assert fr.tile_grid(74, 8, 14, 7) == (5, 1)  # 5 * 14 + 4 gaps = 74
    assert fr.tile_grid(73, 15, 14, 7) == (4, 1)
    assert fr.tile_grid(196, 40, 14, 7) == (13, 5)
    assert fr.tile_grid(10, 40, 14, 7) == (0, 5)
    assert fr.tile_grid(80, 0, 14, 7) == (5, 0)


def test_heatmap_downsampling_shape():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((50, 20))
    units = np.array([3, 7, 11])
    values, bounds = fr.heatmap(w0, units, max_rows=8)
    assert values.shape == (8, 3)
    assert bounds[0][0] == 0 and bounds[-1][1] == 50 and all(b - a in (6, 7) for a, b in bounds)
    assert np.abs(values).max() <= 1.0
    # Each row is the mean of its features, each column scaled by its unit's max |w|.
    a, b = bounds[2]
    np.testing.assert_allclose(values[2, 1], w0[a:b, 7].mean() / np.abs(w0[:, 7]).max())
    values, bounds = fr.heatmap(w0[:5], units, max_rows=8)  # fewer features than rows: one each
    assert values.shape == (5, 3) and bounds == [(i, i + 1) for i in range(5)]


def test_group_bounds_cover_everything():
    assert fr.group_bounds(10, 3) == [(0, 3), (3, 7), (7, 10)]
    assert fr.group_bounds(2, 5) == [(0, 1), (1, 2)]


def test_layer_series_from_diagnostics():
    history = diagnostic_history(epochs=10, n_layers=3)
    assert has_diagnostics(history) and n_layers(history) == 3
    assert not has_diagnostics(fixed_history(5)) and n_layers(fixed_history(5)) == 0
    ratio = layer_series(history, "update_ratio")
    assert [s.label for s in ratio] == ["W0", "W1", "W2", "1e-2", "1e-3"]
    assert ratio[0].ys[0] == history[0].diagnostics["W0_update_ratio"]
    assert ratio[3].ys == [1e-2, 1e-2] and ratio[3].xs == [1, 10] and not ratio[3].own
    dead = layer_series(history, "dead")
    assert [s.label for s in dead] == ["h0", "h1", "half dead"]  # hidden layers only
    # A NaN (does not apply) is left out of the curve.
    d = dict(history[4].diagnostics, h1_dead=float("nan"))
    history[4] = dataclasses.replace(history[4], diagnostics=d)
    assert 5 not in layer_series(history, "dead")[1].xs
    assert layer_series(fixed_history(5), "norm") == []


def test_units_that_cannot_die_say_not_applicable():
    history = [dataclasses.replace(r, diagnostics={**r.diagnostics, "h0_dead": float("nan"), "h1_dead": float("nan")})
               for r in diagnostic_history(epochs=5)]
    chart = DiagnosticChart("dead")
    run = fixed_run()
    run.history = history
    chart.show_diagnostics(run)
    assert chart.series == [] and chart.caption == "dead: n/a"
    ratio = DiagnosticChart("update_ratio")
    ratio.show_diagnostics(run)
    assert ratio.caption == "update ratio" and len(ratio.series) == 5


def test_first_layer_of_an_opened_model_and_a_folder():
    run = model_run(image_shape=(8, 8, 3), n_hidden=6)
    layer = first_layer(run)
    assert layer.weights.shape == (192, 6) and layer.channels == 3 and not layer.tabular
    assert layer.weights is not run.checkpoint.params["W0"]  # a copy
    assert "epoch 20" in layer.what
    folder = fixed_run()
    assert "no weights" in first_layer(folder)
    assert "No run" in first_layer(None)


# -- the tab ------------------------------------------------------------------------------
def prepare(run, focus: bool = True):
    async def run_before(pilot) -> None:
        app = pilot.app
        app.add_run(run, current=True)
        for field in app.query(Input):
            field.cursor_blink = False
        app.query_one("TabbedContent").active = "network"
        await pilot.pause()

    return run_before


def test_network_tab_80x24(snap_compare):
    assert snap_compare(NNTrainApp(), terminal_size=SIZE, run_before=prepare(model_run()))


def test_network_tab_tabular_heatmap_80x24(snap_compare):
    run = model_run(image_shape=(1, 12), kind="tabular", n_hidden=8)
    assert snap_compare(NNTrainApp(), terminal_size=SIZE, run_before=prepare(run))


def test_network_tab_without_diagnostics_80x24(snap_compare):
    run = model_run(history=fixed_history(20))
    assert snap_compare(NNTrainApp(), terminal_size=SIZE, run_before=prepare(run))


def widget_text(widget) -> str:
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(strip.text for strip in strips)


async def open_network_tab(app, pilot, run):
    app.add_run(run, current=True)
    app.query_one("TabbedContent").active = "network"
    await pilot.pause()
    await pilot.pause()
    return app.main_screen


@async_test
async def test_network_tab_fits_80x24_and_shows_the_top_units():
    run = model_run()
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_network_tab(app, pilot, run)
        fields = screen.receptive_fields
        assert screen.network_charts.display
        for widget in (*screen.layer_charts, fields, screen.network_legend):
            assert widget.region.right <= SIZE[0] and widget.region.width > 0, widget
            assert widget.region.bottom <= SIZE[1] - 3  # above the status line and footer
        assert all(chart.region.height >= 7 for chart in screen.layer_charts)
        text = widget_text(fields)
        ranked = fr.top_units(run.checkpoint.params["W0"], 32)
        captions = [f"#{j}" for j in ranked[:5]]
        assert all(c in text for c in captions), (captions, text)
        assert f"#{ranked[5]}" not in text.split("\n", 2)[2]  # only as many as fit
        assert "units 1–5 of 32" in text and "▀" in text
        assert app.focused is fields  # focus follows the tab
        await pilot.press("n")
        await pilot.pause()
        text = widget_text(fields)
        assert "units 6–10 of 32" in text and f"#{ranked[5]}" in text
        legend = str(screen.network_legend.render())
        assert "W0" in legend and "W2" in legend and "1e-2" in legend and "1e-3" in legend


@async_test
async def test_network_tab_at_200x50_shows_more_tiles():
    run = model_run(n_hidden=64)
    app = NNTrainApp()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_network_tab(app, pilot, run)
        fields = screen.receptive_fields
        text = widget_text(fields)
        assert fields.region.right <= BIG[0]
        shown = [j for j in range(64) if f"#{j} " in text + " "]
        assert len(shown) >= 30, text
        assert all(chart.region.width >= 45 for chart in screen.layer_charts)


@async_test
async def test_colour_model_says_channels_are_averaged():
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_network_tab(app, pilot, model_run(image_shape=(8, 8, 3), n_hidden=6))
        text = widget_text(screen.receptive_fields)
        assert "mean of 3 channels" in " ".join(text.split())


@async_test
async def test_no_diagnostics_is_one_line_and_hides_the_charts():
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_network_tab(app, pilot, model_run(history=fixed_history(20)))
        assert not screen.network_charts.display
        assert "no per-layer diagnostics" in str(screen.network_legend.render())
        assert "▀" in widget_text(screen.receptive_fields)  # the fields are still drawn


@async_test
async def test_live_weights_are_copied_when_a_new_epoch_arrives_at_most_every_2s():
    """A stand-in trainer whose W0 the test changes between 'epochs'."""
    from tui.widgets import receptive_fields as rf

    run = model_run(n_hidden=8)
    w0 = run.checkpoint.params["W0"].copy()

    class Trainer:
        data = dataclasses.make_dataclass("D", ["image_shape", "kind"])((28, 28), "image")
        network = type("N", (), {"weights": [w0]})()
        restores_best, best_epoch, epoch = False, 0, 0
        status = "running"

        def stop(self):
            pass

        pause = resume = stop

    run.checkpoint, run.trainer, run.history = None, Trainer(), []
    run.begin()  # live
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_network_tab(app, pilot, run)
        fields = screen.receptive_fields
        reads = fields.reads
        assert fields.first.weights is not w0 and "epoch 0, training" in fields.first.what
        run.history.append(diagnostic_history(1)[0])
        w0[:] = 0  # the worker's next steps
        screen.redraw_charts(app.runs, run, [])
        await pilot.pause()
        assert fields.reads == reads  # too soon: no copy yet
        fields._read_at -= rf.READ_SECONDS
        screen.redraw_charts(app.runs, run, [])
        await pilot.pause()
        assert fields.reads == reads + 1 and not fields.first.weights.any()
        assert "epoch 1, training" in fields.first.what
        # Hidden tab: no copy until it is on screen again.
        app.query_one("TabbedContent").active = "train"
        await pilot.pause()
        run.history.append(diagnostic_history(2)[1])
        fields._read_at -= rf.READ_SECONDS
        screen.redraw_charts(app.runs, run, [])
        await pilot.pause()
        assert fields.reads == reads + 1
        app.query_one("TabbedContent").active = "network"
        await wait_until(lambda: fields.reads == reads + 2, timeout=5)


def test_the_drawing_maths_import_no_textual():
    import subprocess
    import sys

    code = "import sys, tui.fields_render; assert 'textual' not in sys.modules and 'rich' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
