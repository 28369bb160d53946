"""The Samples tab beyond grey images: colour, tabular rows, and an image of one's own."""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image
from textual.geometry import Region

from core import Dataset, Trainer, evaluate
from core.datasets import Preprocess
from tui.app import NNTrainApp
from tui.widgets.sample_viewer import SampleViewer
from tui_support import SIZE, async_test, fixed_run, tiny_config, wait_until


def screen_segments(viewer: SampleViewer):
    strips = viewer.render_lines(Region(0, 0, viewer.size.width, viewer.size.height))
    return [seg for strip in strips for seg in strip]


def screen_text(viewer: SampleViewer) -> str:
    strips = viewer.render_lines(Region(0, 0, viewer.size.width, viewer.size.height))
    return "\n".join(strip.text for strip in strips)


async def show(app, pilot, run) -> SampleViewer:
    app.add_run(run, current=True)
    app.query_one("TabbedContent").active = "samples"
    await pilot.pause()
    viewer = app.query_one(SampleViewer)
    viewer.focus()
    await pilot.pause()
    return viewer


def colour_run():
    """The fixed run with 8x8 RGB test images: red on top, blue below."""
    run = fixed_run(with_evaluation=True)
    n = len(run.data.y_test)
    img = np.zeros((n, 8, 8, 3), np.float32)
    img[:, :4, :, 0] = 1.0  # top half red
    img[:, 4:, :, 2] = 1.0  # bottom half blue
    run.data = dataclasses.replace(run.data, x_test=img.reshape(n, -1), image_shape=(8, 8, 3))
    return run


@async_test
async def test_colour_samples_are_drawn_in_rgb():
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        viewer = await show(app, pilot, colour_run())
        blocks = [seg.style for seg in screen_segments(viewer) if seg.text and set(seg.text) == {"▀"}]
        colours = {(st.color.triplet, st.bgcolor.triplet) for st in blocks}
        assert ((255, 0, 0), (255, 0, 0)) in colours  # the red top half
        assert ((0, 0, 255), (0, 0, 255)) in colours  # the blue bottom half
        assert viewer.region.right <= SIZE[0]


@async_test
async def test_standardised_images_are_min_max_scaled_for_display():
    run = fixed_run(with_evaluation=True)
    x = run.data.x_test
    prep = Preprocess.fit_standardise(x * 255)
    run.data = dataclasses.replace(run.data, x_test=prep.apply(x * 255), preprocess=prep)
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        viewer = await show(app, pilot, run)
        picture = viewer.samples.picture(viewer.current_index)
        assert picture.min() == 0.0 and picture.max() == 1.0


def tabular_data(n_features: int = 15) -> Dataset:
    rng = np.random.default_rng(0)
    raw = rng.normal(-100, 10, (40, n_features))
    raw[:, 0] = -123.5
    prep = Preprocess.fit_standardise(raw)
    x, y = prep.apply(raw), np.arange(40) % 2
    return Dataset(
        name="tab", source="memory", x_train=x, y_train=y, x_valid=x, y_valid=y, x_test=x, y_test=y,
        class_names=("no", "yes"), image_shape=(1, n_features), split="all", preprocess=prep, kind="tabular",
    )


@async_test
async def test_tabular_sample_shows_a_table_of_raw_values():
    run = fixed_run(with_evaluation=True)
    run.data = tabular_data()
    run.class_names = ("no", "yes")
    run.evaluation = dataclasses.replace(run.evaluation, predictions=np.zeros(40, np.int64))
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        viewer = await show(app, pilot, run)
        text = screen_text(viewer)
        assert "f0" in text and "-123.5" in text  # the raw value, not the standardised 0
        assert "f11" in text and "f12" not in text and "… 3 more" in text
        assert "▀" not in text


def image_run(tmp_path):
    """A finished run with a trained network on the tiny 8x8 data, as the app keeps one."""
    from core import load_dataset
    from tui_support import write_tiny_npz

    data = load_dataset(write_tiny_npz(tmp_path / "tiny.npz"))
    trainer = Trainer(tiny_config(tmp_path / "tiny.npz"), data)
    for _ in trainer.run():
        pass
    run = fixed_run(hidden=(8,), with_evaluation=True)
    run.trainer, run.data = trainer, data
    run.class_names = data.class_names
    run.evaluation = evaluate(trainer.network, data.x_test, data.y_test)
    return run, trainer


@async_test
async def test_opening_a_png_shows_its_prediction(tmp_path):
    run, trainer = image_run(tmp_path)
    rng = np.random.default_rng(4)
    Image.fromarray(rng.integers(0, 255, (16, 16), dtype=np.uint8)).save(tmp_path / "mine.png")
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        viewer = await show(app, pilot, run)
        await pilot.press("o")
        await pilot.pause()
        app.screen.query_one("#prompt-input").value = str(tmp_path / "mine.png")
        await pilot.press("enter")
        await wait_until(lambda: viewer.own is not None or viewer.own_message.startswith(str(tmp_path)))
        await pilot.pause()
        assert viewer.own is not None, viewer.own_message
        # The same probabilities as the network on the file resized to 8x8, / 255.
        from core.datasets.imagefile import read_image, resize

        row = resize(read_image(tmp_path / "mine.png"), (8, 8)).reshape(1, -1) / 255.0
        proba = trainer.network.predict_proba(row.astype(np.float32))[0]
        best = int(np.argmax(proba))
        assert viewer.own.top[0] == (run.class_names[best], float(proba[best]))
        text = screen_text(viewer)
        assert "your image" in text and run.class_names[best] in text and f"{100 * proba[best]:5.1f}%" in text
        assert "resized from 16x16 to 8x8" in text
        await pilot.press("escape")
        await pilot.pause()
        assert viewer.own is None and "test set" in screen_text(viewer)


@async_test
async def test_a_bad_path_is_an_inline_message(tmp_path):
    run, _ = image_run(tmp_path)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    app = NNTrainApp()
    async with app.run_test(size=SIZE) as pilot:
        viewer = await show(app, pilot, run)
        for name, problem in (("nope.png", "no such file"), ("broken.png", "cannot read image")):
            await pilot.press("o")
            await pilot.pause()
            app.screen.query_one("#prompt-input").value = str(tmp_path / name)
            await pilot.press("enter")
            await wait_until(lambda: problem in viewer.own_message)
            await pilot.pause()
            assert problem in " ".join(screen_text(viewer).split()) and viewer.own is None
            assert "▀" in screen_text(viewer)  # the test sample is still on screen below it
        await pilot.press("n")
        await pilot.pause()
        assert viewer.own_message == ""
