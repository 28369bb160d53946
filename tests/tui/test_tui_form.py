"""The parameter form: every field rejects bad values inline and greys out Start;
presets fill the fields; the command line prefills the form."""

from __future__ import annotations

from textual.widgets import Button, Select

from core import PRESETS, build_config
from tui.app import NNTrainApp
from tui.cli import main
from tui_support import SIZE, async_test, set_field, tiny_config

# field -> values it must reject (empty, letters, negative, zero where invalid, huge, malformed)
BAD_VALUES = {
    "data": ["", "no/such/file.npz"],
    "split": ["1,2,3", "0.7,0.5"],
    "hidden": ["", "abc", "-5", "0", "200000"],
    "lr": ["", "abc", "-1", "0", "1e9"],
    "momentum": ["", "-0.1", "1"],
    "batch_size": ["", "abc", "0", "99999999999"],
    "epochs": ["", "abc", "0", "10000000", "2.5"],
    "l2": ["", "-1", "100"],
    "dropout": ["-0.1", "1"],
    "early_stop": ["-1", "10000000"],
    "seed": ["abc", "99999999999"],
}
GOOD_VALUES = {
    "data": "bundled", "split": "", "hidden": "16,8", "lr": "1e-3", "momentum": "0.5", "batch_size": "full",
    "epochs": "7", "l2": "0.001", "dropout": "0.2", "early_stop": "3", "seed": "42",
}


def start_enabled(app) -> bool:
    return bool(app.check_action("start", ())) and not app.query_one("#start", Button).disabled


@async_test
async def test_every_field_rejects_bad_values_inline_and_disables_start(tiny_npz):
    app = NNTrainApp(tiny_config(tiny_npz))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.form.is_valid and start_enabled(app)
        for name, values in BAD_VALUES.items():
            for value in values:
                await set_field(pilot, name, value)
                field = app.form.input(name)
                assert not field.is_valid, (name, value)
                assert field.has_class("-invalid"), (name, value)
                message = app.form.field_error(name)
                assert message.startswith("✗ ") and len(message) > 4, (name, value, message)
                assert not app.form.is_valid, (name, value)
                assert not start_enabled(app), (name, value)
                # The reason is on screen, under the field, and fits the form.
                label = app.query_one(f"#error-{name}")
                assert label.display and label.region.height >= 1 and label.region.right <= SIZE[0], (name, value)
            await set_field(pilot, name, GOOD_VALUES[name])
            assert app.form.input(name).is_valid, name
            assert app.form.field_error(name) == "", name
            assert app.form.is_valid and start_enabled(app), name
        # ctrl+r does nothing while the form is invalid.
        await set_field(pilot, "epochs", "0")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.runs == []


@async_test
async def test_numeric_fields_refuse_letters_as_typed(tiny_npz):
    app = NNTrainApp(tiny_config(tiny_npz))
    async with app.run_test(size=SIZE) as pilot:
        for name in ("epochs", "lr", "hidden"):
            field = app.form.input(name)
            field.focus()
            await pilot.press("end", *"xyz")
            await pilot.pause()
            assert not any(c in field.value for c in "xyz"), (name, field.value)
        # "full" can be typed into the batch size.
        field = app.form.input("batch_size")
        field.focus()
        field.value = ""
        await pilot.press(*"full")
        await pilot.pause()
        assert field.value == "full" and field.is_valid


@async_test
async def test_cross_field_rule_from_core_is_shown(tiny_npz):
    """A config the core rejects as a whole still disables Start, with its one-line reason."""
    app = NNTrainApp(tiny_config(tiny_npz))
    async with app.run_test(size=SIZE) as pilot:
        await set_field(pilot, "hidden", "100001")
        assert not app.form.is_valid
        assert "hidden" in app.form.reason


@async_test
async def test_choosing_a_preset_fills_the_fields(tiny_npz):
    app = NNTrainApp(tiny_config(tiny_npz, seed=5))
    async with app.run_test(size=SIZE) as pilot:
        app.form.select("preset").value = "course"
        await pilot.pause()
        await pilot.pause()
        course = PRESETS["course"]
        config = app.form.config()
        for name in ("hidden", "epochs", "batch_size", "lr", "reduction", "optimizer", "momentum", "dtype", "v0"):
            assert getattr(config, name) == course[name], name
        assert app.form.input("batch_size").value == "full"
        assert app.form.input("lr").value == "1e-05"
        assert config.data == str(tiny_npz) and config.seed == 5  # kept from the form
        # Editing a field the preset set turns the preset back to "custom".
        await set_field(pilot, "lr", "0.001")
        await pilot.pause()
        assert app.form.select("preset").value == Select.NULL
        # The quick preset via the keyboard: focus the select and pick with arrows.
        app.form.select("preset").focus()
        await pilot.press("enter", "down", "down", "enter")
        await pilot.pause()
        await pilot.pause()
        assert app.form.select("preset").value in PRESETS
        chosen = PRESETS[app.form.select("preset").value]
        assert app.form.config().hidden == tuple(chosen["hidden"])
        # best sets every field of its recipe, its own patience included.
        app.form.select("preset").value = "best"
        await pilot.pause()
        await pilot.pause()
        config = app.form.config()
        for name, value in PRESETS["best"].items():
            assert getattr(config, name) == value, name
        assert config.data == str(tiny_npz) and config.seed == 5


@async_test
async def test_command_line_options_prefill_the_form():
    config = build_config("course", None, {"hidden": "64,32", "epochs": "12", "seed": "3"})
    app = NNTrainApp(config, preset="course")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        form = app.form
        assert form.input("hidden").value == "64,32"
        assert form.input("epochs").value == "12"
        assert form.input("batch_size").value == "full"
        assert form.select("dtype").value == "float64"
        assert form.config() == config
        assert start_enabled(app)


def test_tui_bad_option_exits_2_with_one_line(capsys):
    assert main(["tui", "--epochs", "abc"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "epochs" in err


def test_tui_command_builds_the_config_and_runs_the_app(monkeypatch, tiny_npz):
    seen = {}

    def fake_run(self, *args, **kwargs):
        seen["config"], seen["start"] = self.prefill, self.start_on_mount

    monkeypatch.setattr(NNTrainApp, "run", fake_run)
    assert main(["tui", "--data", str(tiny_npz), "--hidden", "64", "--epochs", "3", "--start"]) == 0
    assert seen["config"].hidden == (64,) and seen["config"].epochs == 3 and seen["start"] is True
    seen.clear()
    assert main([]) == 0  # bare `nntrain` opens the app too
    assert seen["start"] is False
