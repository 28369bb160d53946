"""One description of the options: TrainConfig.validate, the CLI and the form's
validators accept and refuse the same values, just inside and just outside every bound."""

from __future__ import annotations

import math

import pytest

from core.config import ConfigError, TrainConfig, build_config, coerce, read_toml, to_toml
from core.options import FULL_BATCH_HINT, OPTIONS
from tui.cli import build_parser, main
from tui.options import overrides_from


def _text(option, x) -> str:
    return str(int(x)) if option.kind in ("int", "sizes") else repr(float(x))


def _bound_cases():
    """(option, text, accepted) just inside and just outside each bound."""
    for option in OPTIONS:
        if option.kind not in ("int", "float", "sizes"):
            continue
        for bound, inclusive, outward in (
            (option.minimum, option.min_inclusive, -math.inf),
            (option.maximum, option.max_inclusive, math.inf),
        ):
            if bound is None:
                continue
            if option.kind == "float":
                inside = bound if inclusive else math.nextafter(bound, -outward)
                outside = math.nextafter(bound, outward) if inclusive else bound
            else:
                step = 1 if outward > 0 else -1
                inside, outside = bound, bound + step
            if option.full and outside == 0:
                outside = -1  # 0 is the stored full batch: see test_batch_size_zero_*
            yield pytest.param(option, _text(option, inside), True, id=f"{option.name}-{_text(option, inside)}")
            yield pytest.param(option, _text(option, outside), False, id=f"{option.name}-{_text(option, outside)}")


BOUND_CASES = list(_bound_cases())


def _validate_accepts(option, text: str) -> bool:
    try:
        TrainConfig(**{option.name: coerce(option.name, text)}).validate()
    except ConfigError:
        return False
    return True


def _cli_accepts(option, text: str, capsys) -> bool:
    """Refused: main() exits 2 with one line naming the flag. Accepted: the parsed
    options build a valid config (everything `train` does before loading data)."""
    argv = ["train", f"{option.flag}={text}"]
    try:
        args = build_parser().parse_args(argv)
        build_config(overrides=overrides_from(args))
    except (SystemExit, ConfigError):
        capsys.readouterr()
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and option.flag in err and "Traceback" not in err, err
        return False
    return True


def _form_accepts(option, text: str) -> bool:
    from tui.widgets.param_form import validators_for

    validators = validators_for(option)
    assert validators, option.name
    return all(v.validate(text).is_valid for v in validators)


def test_every_bounded_option_has_cases():
    bounded = {o.name for o in OPTIONS if o.minimum is not None or o.maximum is not None}
    assert bounded == {p.values[0].name for p in BOUND_CASES}
    assert {"hidden", "epochs", "lr", "momentum", "batch_size", "l2", "dropout", "early_stop", "seed", "min_delta"} <= bounded


@pytest.mark.parametrize("option, text, accepted", BOUND_CASES)
def test_bounds_agree_in_config_cli_and_form(option, text, accepted, capsys):
    assert _validate_accepts(option, text) is accepted
    assert _cli_accepts(option, text, capsys) is accepted
    if option.label:  # in the form
        assert _form_accepts(option, text) is accepted


CHOICE_OPTIONS = [o for o in OPTIONS if o.kind == "choice"]


@pytest.mark.parametrize("option", CHOICE_OPTIONS, ids=[o.name for o in CHOICE_OPTIONS])
def test_choices_agree_in_config_cli_and_form(option, capsys):
    for choice in option.choices:
        assert _validate_accepts(option, choice) and _cli_accepts(option, choice, capsys)
    assert not _validate_accepts(option, "nonsense")
    assert not _cli_accepts(option, "nonsense", capsys)
    if option.label:
        from tui.widgets.param_form import FIELDS

        (spec,) = [s for s in FIELDS if s.name == option.name]
        assert spec.kind == "select" and spec.options == option.choices


@pytest.mark.parametrize("text", ["abc", "", "1e400", "nan", "2.5"])
@pytest.mark.parametrize("name", ["epochs", "seed", "lr", "l2", "batch_size", "hidden"])
def test_unreadable_text_is_refused_by_cli_and_form(name, text, capsys):
    (option,) = [o for o in OPTIONS if o.name == name]
    if option.kind == "float" and text == "2.5":
        return  # a fine number
    assert not _cli_accepts(option, text, capsys)
    assert not _form_accepts(option, text)


def test_batch_size_zero_is_refused_when_typed_but_loads_from_old_configs(tmp_path, capsys):
    from tui.widgets.param_form import validators_for

    (option,) = [o for o in OPTIONS if o.name == "batch_size"]
    assert main(["train", "--batch-size", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and FULL_BATCH_HINT in err
    failures = [v.validate("0") for v in validators_for(option)]
    assert any(not r.is_valid and FULL_BATCH_HINT in r.failure_descriptions[0] for r in failures)
    # Internally 0 is full batch; a config.toml written before says 0 and still loads.
    old = tmp_path / "old.toml"
    old.write_text("[train]\nbatch_size = 0\n")
    assert build_config(file=old).batch_size == 0
    # New files say "full" and read back equal.
    config = TrainConfig(batch_size=0)
    assert 'batch_size = "full"' in to_toml(config)
    new = tmp_path / "new.toml"
    new.write_text(to_toml(config))
    assert build_config(file=new) == config
    assert read_toml(new)["batch_size"] == 0


def test_new_fields_and_flags(capsys):
    assert TrainConfig().monitor == "valid_acc" and TrainConfig().train_eval == "auto"
    args = build_parser().parse_args(["train", "--no-restore-best", "--train-eval", "off"])
    assert build_config(overrides=overrides_from(args)).restore_best is False
    assert build_config(overrides=overrides_from(args)).train_eval == "off"
    args = build_parser().parse_args(["train", "--restore-best"])
    assert build_config(overrides=overrides_from(args)).restore_best is True
    assert "restore_best" not in overrides_from(build_parser().parse_args(["train"]))


def test_help_lists_every_option(capsys):
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    for option in OPTIONS:
        assert option.flag in out, option.flag
    assert "--no-restore-best" in out and "auto|on|off" in out
