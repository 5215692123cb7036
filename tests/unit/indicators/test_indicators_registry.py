"""Indicator specs: parsing, normalisation, names of columns, and errors naming the spec."""

from __future__ import annotations

import pytest
from streams.errors import ConfigError
from streams.indicators import INDICATORS, IndicatorSpec, create, parse_spec, parse_specs
from streams.indicators.momentum import MovingAverageConvergenceDivergence
from streams.indicators.volume import VolumeWeightedAveragePrice


def test_spec_names_and_columns() -> None:
    macd = parse_spec("macd:12:26:9")
    assert (macd.name, macd.params) == ("macd", (12.0, 26.0, 9.0))
    assert macd.text == "macd:12:26:9"
    assert macd.parameters_text == "12:26:9"
    assert macd.key == "macd_12_26_9"
    assert macd.outputs == ("macd", "signal", "hist")
    assert macd.column("signal") == "macd_12_26_9_signal"
    assert macd.columns == ("macd_12_26_9_macd", "macd_12_26_9_signal", "macd_12_26_9_hist")
    ema = parse_spec("ema:20")
    assert ema.column("ema") == "ema_20"
    assert ema.columns == ("ema_20",)
    with pytest.raises(KeyError, match="no output 'signal'"):
        ema.column("signal")


@pytest.mark.parametrize(
    ("text", "canonical", "key"),
    [
        (" EMA : 20.0 ", "ema:20", "ema_20"),
        ("bbands:10:1.5", "bbands:10:1.5", "bbands_10_1p5"),
        ("bbands:20:2", "bbands:20:2", "bbands_20_2"),
        ("obv", "obv", "obv"),
        ("vwap", "vwap", "vwap"),
        ("vwap:390", "vwap:390", "vwap_390"),
        ("stoch:14:3:3", "stoch:14:3:3", "stoch_14_3_3"),
    ],
)
def test_specs_are_normalised(text: str, canonical: str, key: str) -> None:
    spec = parse_spec(text)
    assert spec.text == canonical
    assert spec.key == key
    assert parse_spec(spec.text) == spec


def test_outputs_follow_the_documented_names() -> None:
    outputs = {name: definition.outputs for name, definition in INDICATORS.items()}
    assert outputs == {
        "sma": ("sma",),
        "ema": ("ema",),
        "wma": ("wma",),
        "rsi": ("rsi",),
        "macd": ("macd", "signal", "hist"),
        "bbands": ("upper", "middle", "lower"),
        "atr": ("atr",),
        "adx": ("adx", "plus_di", "minus_di"),
        "stoch": ("slowk", "slowd"),
        "vwap": ("vwap",),
        "obv": ("obv",),
    }


def test_create_builds_the_indicator_of_a_spec() -> None:
    macd = create("macd:5:35:5")
    assert isinstance(macd, MovingAverageConvergenceDivergence)
    assert (macd.name, macd.params, macd.version) == ("macd", (5.0, 35.0, 5.0), 1)
    assert create(parse_spec("vwap:20")).params == (20.0,)
    assert isinstance(create("vwap"), VolumeWeightedAveragePrice)
    for definition in INDICATORS.values():
        example = ":".join([definition.name, *("20" for p in definition.parameters)])
        if definition.name == "macd":
            example = "macd:12:26:9"
        indicator = create(example)
        assert indicator.name == definition.name
        assert indicator.outputs == definition.outputs


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo:3", "unknown indicator 'foo'"),
        ("", "unknown indicator ''"),
        ("ema", r"expected ema:period \(1 parameter\), got 0"),
        ("ema:10:20", "got 2"),
        ("macd:12:26", r"expected macd:fast:slow:signal \(3 parameters\)"),
        ("obv:3", r"\(0 parameters\), got 1"),
        ("vwap:1:2", r"\(0 to 1 parameters\), got 2"),
        ("ema:x", "period must be a number, got 'x'"),
        ("ema:nan", "period must be finite"),
        ("sma:20.5", "period must be an integer, got '20.5'"),
        ("sma:1", r"period \(integer >= 2\): got '1'"),
        ("rsi:-3", r"period \(integer >= 2\)"),
        ("bbands:20:0", r"k \(number > 0\): got '0'"),
        ("macd:26:12:9", r"slow period \(12\) must be greater than fast period \(26\)"),
        ("stoch:0:3:3", r"fastk \(integer >= 1\)"),
    ],
)
def test_bad_specs_raise_config_error_naming_the_spec(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_spec(text)
    assert caught.value.field == f"indicator spec {text!r}"


def test_parse_specs_reports_the_field_and_the_spec() -> None:
    specs = parse_specs("ema:20, rsi:14 ,macd:12:26:9")
    assert [s.text for s in specs] == ["ema:20", "rsi:14", "macd:12:26:9"]
    assert parse_specs(["ema:20", "obv"]) == (parse_spec("ema:20"), parse_spec("obv"))
    with pytest.raises(ConfigError, match="indicator spec 'rsi:x'") as caught:
        parse_specs("ema:20,rsi:x", field="--spec")
    assert caught.value.field == "--spec"
    with pytest.raises(ConfigError, match="'ema:20' is listed twice"):
        parse_specs("ema:20,EMA:20.0")
    with pytest.raises(ConfigError, match="empty indicator spec"):
        parse_specs("ema:20,,rsi:14")
    with pytest.raises(ConfigError, match="no indicator specs"):
        parse_specs([])


def test_create_validates_a_hand_made_spec() -> None:
    with pytest.raises(ConfigError, match="must be greater than fast"):
        create(IndicatorSpec("macd", (26.0, 12.0, 9.0), ("macd", "signal", "hist")))
    with pytest.raises(ConfigError, match=r"period must be an integer, got '1\.5'"):
        create(IndicatorSpec("sma", (1.5,), ("sma",)))
    with pytest.raises(ConfigError, match="unknown indicator 'nope'"):
        create(IndicatorSpec("nope", (), ("nope",)))
