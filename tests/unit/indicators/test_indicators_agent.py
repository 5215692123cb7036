"""The indicators agent module: AGENT wiring and TAPEWIRE_INDICATORS."""

from __future__ import annotations

import pytest
from streams.agents import indicators as agent_module
from streams.errors import ConfigError
from streams.indicators.processor import IndicatorProcessor
from streams.settings import load_settings


def test_agent_spec_describes_the_processor() -> None:
    spec = agent_module.AGENT
    assert (spec.name, spec.host, spec.snapshot_topic) == (
        "indicators",
        "faust",
        "indicator.snapshot",
    )
    assert IndicatorProcessor.inputs == ("md.bar",)
    assert IndicatorProcessor.outputs == ("indicator.value",)


def test_default_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAPEWIRE_INDICATORS", raising=False)
    processor = agent_module.AGENT.build(load_settings())
    assert isinstance(processor, IndicatorProcessor)
    assert [s.text for s in processor.specs] == [
        "sma:10",
        "sma:30",
        "ema:20",
        "rsi:14",
        "macd:12:26:9",
        "bbands:20:2",
        "atr:14",
    ]


def test_specs_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAPEWIRE_INDICATORS", "ema:50, stoch:14:3:3,obv")
    processor = agent_module.build(load_settings())
    assert [s.text for s in processor.specs] == ["ema:50", "stoch:14:3:3", "obv"]
    settings = agent_module.IndicatorSettings()
    with pytest.raises(ValueError, match="frozen"):
        settings.indicators = "sma:5"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ema:20,rsi:x", "indicator spec 'rsi:x': period must be a number"),
        ("ema:20,ema:20", "'ema:20' is listed twice"),
        ("", "empty indicator spec"),
    ],
)
def test_a_bad_spec_stops_the_agent_at_start(
    value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAPEWIRE_INDICATORS", value)
    with pytest.raises(ConfigError, match=message) as caught:
        agent_module.build(load_settings())
    assert caught.value.field == "TAPEWIRE_INDICATORS"
