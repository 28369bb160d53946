"""core.config: defaults, presets, validation (one ConfigError naming the field) and
TOML round trips."""

from __future__ import annotations

import math

import pytest

from core.config import PRESETS, ConfigError, TrainConfig, build_config, coerce, config_from_dict, read_toml, to_toml


def write(tmp_path, text: str, name: str = "config.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- defaults and presets


def test_defaults_validate():
    config = TrainConfig()
    assert config.validate() is config
    assert build_config() == config


def test_presets_apply_their_values():
    for name, values in PRESETS.items():
        config = build_config(name)
        for key, value in values.items():
            assert getattr(config, key) == value, (name, key)


def test_quick_preset():
    config = build_config("quick")
    assert (config.hidden, config.epochs, config.batch_size, config.optimizer, config.lr) == ((256,), 10, 128, "adam", 1e-3)


def test_unknown_preset():
    with pytest.raises(ConfigError, match=r"^preset: .*'nope'"):
        build_config("nope")


def test_precedence_defaults_preset_file_overrides(tmp_path):
    path = write(tmp_path, "[train]\nepochs = 7\nlr = 0.5\n")
    config = build_config("course", file=path, overrides={"lr": "0.25", "seed": None})
    assert config.hidden == (1000,) and config.reduction == "sum"  # from the preset
    assert config.epochs == 7  # the file beats the preset
    assert config.lr == 0.25  # an override beats the file
    assert config.seed == 0  # None means "not given"


# --------------------------------------------------------------------------- TOML round trip

ROUND_TRIP = {
    "defaults": TrainConfig(),
    "course": build_config("course"),
    "everything-changed": TrainConfig(
        data="/tmp/some dir/with \"quotes\" and \\backslash\\.npz",
        split="0.5,0.25",
        hidden=(512, 256, 3),
        epochs=123,
        optimizer="nesterov",
        lr=3.0e-4,
        momentum=0.95,
        v0=1e-5,
        batch_size=0,
        reduction="sum",
        l2=1e-4,
        dropout=0.25,
        early_stop=5,
        min_delta=0.001,
        monitor="valid_acc",
        restore_best=False,
        seed=2**32 - 1,
        dtype="float64",
        init="he",
    ),
    "awkward-floats": TrainConfig(lr=0.1 + 0.2, momentum=1 / 3, l2=5e-324, min_delta=1e300),
    "unicode-path": TrainConfig(data="/données/ファッション.npz"),
}


@pytest.mark.parametrize("config", ROUND_TRIP.values(), ids=ROUND_TRIP.keys())
def test_toml_round_trip(tmp_path, config):
    config.validate()
    path = write(tmp_path, to_toml(config))
    again = build_config(file=path)
    assert again == config
    assert type(again.hidden) is tuple
    # And through the dict form a checkpoint stores.
    assert config_from_dict(config.to_dict()) == config


def test_to_toml_has_a_train_table_and_every_field():
    text = to_toml(TrainConfig())
    assert "[train]" in text
    for name in TrainConfig().to_dict():
        assert f"\n{name} = " in text


def test_flat_toml_without_a_table(tmp_path):
    path = write(tmp_path, 'epochs = 4\nhidden = [16, 8]\noptimizer = "adam"\n')
    config = build_config(file=path)
    assert (config.epochs, config.hidden, config.optimizer) == (4, (16, 8), "adam")


# --------------------------------------------------------------------------- TOML errors


def test_unknown_key_in_toml(tmp_path):
    path = write(tmp_path, "[train]\nepochs = 3\nlearning_rate = 0.1\n")
    with pytest.raises(ConfigError) as info:
        build_config(file=path)
    assert "learning_rate" in str(info.value) and str(path) in str(info.value)


def test_misspelt_table_name(tmp_path):
    path = write(tmp_path, "[trian]\nepochs = 3\n")
    with pytest.raises(ConfigError, match="trian"):
        build_config(file=path)


def test_keys_outside_the_train_table_are_not_silently_ignored(tmp_path):
    """`lr` above `[train]` is a top-level key: it must not be dropped without a word."""
    path = write(tmp_path, "lr = 0.5\n[train]\nepochs = 3\n")
    try:
        config = build_config(file=path)
    except ConfigError as exc:
        assert "lr" in str(exc)
    else:
        assert config.lr == 0.5, "lr outside [train] was silently ignored"


def test_train_that_is_not_a_table(tmp_path):
    path = write(tmp_path, "train = 5\n")
    with pytest.raises(ConfigError) as info:
        build_config(file=path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    path = tmp_path / "missing.toml"
    with pytest.raises(ConfigError, match="not found") as info:
        build_config(file=path)
    assert str(path) in str(info.value)


def test_invalid_toml_syntax(tmp_path):
    path = write(tmp_path, "[train]\nepochs = = 3\n")
    with pytest.raises(ConfigError) as info:
        read_toml(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        read_toml(tmp_path)
    assert str(tmp_path) in str(info.value)


@pytest.mark.parametrize(
    "line, field",
    [
        ('lr = "fast"', "lr"),
        ("epochs = 2.5", "epochs"),
        ("epochs = true", "epochs"),
        ('hidden = ["a"]', "hidden"),
        ("hidden = [1.5]", "hidden"),
        ("hidden = {a = 1}", "hidden"),
        ('restore_best = "maybe"', "restore_best"),
        ("dropout = [0.1]", "dropout"),
    ],
)
def test_wrong_type_in_toml_names_file_and_field(tmp_path, line, field):
    path = write(tmp_path, f"[train]\n{line}\n")
    with pytest.raises(ConfigError) as info:
        build_config(file=path)
    text = str(info.value)
    assert field in text and "\n" not in text


# --------------------------------------------------------------------------- validation

BAD_VALUES = [
    ("hidden", ()),
    ("hidden", (0,)),
    ("hidden", (16, -1)),
    ("hidden", (200_000,)),
    ("hidden", ("8",)),
    ("epochs", 0),
    ("epochs", -1),
    ("epochs", 2_000_000),
    ("epochs", 1.5),
    ("epochs", True),
    ("batch_size", -3),
    ("early_stop", -1),
    ("seed", -1),
    ("lr", 0.0),
    ("lr", -1.0),
    ("lr", math.nan),
    ("lr", math.inf),
    ("lr", "0.1"),
    ("momentum", 1.0),
    ("momentum", -0.1),
    ("v0", math.nan),
    ("l2", -1e-3),
    ("dropout", 1.0),
    ("dropout", 1.5),
    ("dropout", -0.1),
    ("min_delta", -1.0),
    ("optimizer", "foo"),
    ("reduction", "max"),
    ("monitor", "loss"),
    ("dtype", "float16"),
    ("init", "glorot"),
    ("restore_best", "yes"),
]


@pytest.mark.parametrize("field, value", BAD_VALUES, ids=[f"{f}={v!r}" for f, v in BAD_VALUES])
def test_validation_error_names_the_field(field, value):
    config = TrainConfig().replace(**{field: value})
    with pytest.raises(ConfigError) as info:
        config.validate()
    text = str(info.value)
    assert text.startswith(f"{field}: "), text
    assert "\n" not in text


@pytest.mark.parametrize(
    "field, text",
    [
        ("epochs", "abc"),
        ("epochs", "0"),
        ("lr", "-1"),
        ("lr", "x"),
        ("hidden", "0"),
        ("hidden", "a,b"),
        ("optimizer", "foo"),
        ("batch_size", "-3"),
        ("dropout", "1.5"),
        ("restore_best", "perhaps"),
    ],
)
def test_cli_style_string_overrides_name_the_field(field, text):
    with pytest.raises(ConfigError) as info:
        build_config(overrides={field: text})
    assert str(info.value).startswith(f"{field}: ")


def test_valid_edge_values():
    TrainConfig(dropout=0.0, momentum=0.0, l2=0.0, batch_size=0, early_stop=0, epochs=1, hidden=(1,)).validate()
    TrainConfig(dropout=0.99, momentum=0.999, epochs=1_000_000, hidden=(100_000,)).validate()


# --------------------------------------------------------------------------- coercion (CLI strings, TOML values)


@pytest.mark.parametrize(
    "name, raw, expected",
    [
        ("hidden", "512,256", (512, 256)),
        ("hidden", " 64 ", (64,)),
        ("hidden", 32, (32,)),
        ("hidden", [8, 4], (8, 4)),
        ("batch_size", "full", 0),
        ("batch_size", "FULL", 0),
        ("batch_size", "64", 64),
        ("epochs", 3.0, 3),
        ("lr", "1e-3", 1e-3),
        ("lr", 1, 1.0),
        ("restore_best", "false", False),
        ("restore_best", "on", True),
        ("restore_best", True, True),
        ("optimizer", "adam", "adam"),
    ],
)
def test_coerce(name, raw, expected):
    value = coerce(name, raw)
    assert value == expected
    assert type(value) is type(expected)


def test_coerce_unknown_option():
    with pytest.raises(ConfigError, match="colour"):
        coerce("colour", "red")


def test_describe():
    assert TrainConfig(hidden=(512, 256), batch_size=0, optimizer="adam", lr=0.001).describe() == (
        "hidden 512,256 | adam lr 0.001 | batch full | float32"
    )


def test_best_preset_is_the_recipe_the_readme_reports():
    config = build_config("best")
    assert (config.optimizer, config.lr, config.hidden, config.epochs) == ("adam", 1e-3, (1000,), 60)
    assert (config.schedule, config.warmup, config.dropout, config.label_smoothing, config.augment) == (
        "cosine", 2, 0.2, 0.1, "shift")
    assert (config.early_stop, config.monitor, config.restore_best) == (15, "valid_acc", True)
