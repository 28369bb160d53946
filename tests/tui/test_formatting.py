"""tui.formatting: the one way the CLI and the app write a percentage."""

from tui.formatting import percent


def test_percent_one_decimal_and_missing_value():
    assert percent(0.8123) == "81.2%"
    assert percent(1.0) == "100.0%"
    assert percent(None) == "--"


def test_percent_right_aligned_in_a_width():
    assert percent(0.05, 5) == "  5.0%"
    assert percent(0.9999, 5) == "100.0%"
