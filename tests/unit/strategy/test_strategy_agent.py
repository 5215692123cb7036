"""The strategy agent module: settings, indicator union and YAML hot reload at the edge."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streams.agents.strategy import (
    AGENT,
    ReloadingStrategyProcessor,
    build,
    configured_indicator_specs,
    load_agent_settings,
)
from streams.errors import ConfigError
from streams.settings import load_settings
from streams.strategy import load_strategy_file
from streams.strategy.examples import SMA_CROSS
from tests.unit.strategy.strategy_events import bar, run

RSI_PATH = "streams.strategy.examples.rsi_reversion:RsiMeanReversion"
NOW = datetime(2024, 1, 2, tzinfo=UTC)

TEMPLATE = """\
name: live
version: {version}
instruments: [SPX]
entry: {{when: "close > {level}", side: buy, quantity: 1}}
"""


def write(path: Path, version: int, level: int, stamp: int) -> None:
    path.write_text(TEMPLATE.format(version=version, level=level), encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))


def test_agent_spec() -> None:
    assert (AGENT.name, AGENT.host, AGENT.snapshot_topic) == (
        "strategy",
        "faust",
        "strategy.snapshot",
    )


def test_default_is_the_packaged_sma_cross(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAPEWIRE_STRATEGIES", raising=False)
    assert load_agent_settings().references == (str(SMA_CROSS),)
    assert [spec.text for spec in configured_indicator_specs()] == ["sma:10", "sma:30"]
    processor = build(load_settings())
    assert isinstance(processor, ReloadingStrategyProcessor)
    assert list(processor.strategies) == ["sma_cross"]


def test_strategies_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAPEWIRE_STRATEGIES", f"{SMA_CROSS}, {RSI_PATH}")
    specs = configured_indicator_specs()
    assert [spec.text for spec in specs] == ["sma:10", "sma:30", "rsi:14", "sma:200"]
    assert list(build(load_settings()).strategies) == ["sma_cross", "rsi_reversion"]


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [
        ("TAPEWIRE_STRATEGIES", " , ", "TAPEWIRE_STRATEGIES"),
        ("TAPEWIRE_STRATEGY_RELOAD_SECONDS", "0", "TAPEWIRE_STRATEGY_RELOAD_SECONDS"),
        ("TAPEWIRE_STRATEGY_MAX_PENDING", "x", "TAPEWIRE_STRATEGY_MAX_PENDING"),
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        build(load_settings())
    assert caught.value.field == field


def test_bad_strategy_file_stops_the_agent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: b\nversion: 1\ninstruments: [A]\nentry: {when: 'x >', side: buy}\n")
    monkeypatch.setenv("TAPEWIRE_STRATEGIES", str(broken))
    with pytest.raises(ConfigError, match=r"broken.yaml:4 entry.when"):
        build(load_settings())


def test_yaml_files_are_hot_reloaded_on_timer(tmp_path: Path) -> None:
    path = tmp_path / "live.yaml"
    write(path, version=1, level=100, stamp=1_000_000_000)
    processor = ReloadingStrategyProcessor(
        [load_strategy_file(path)], files=[path], poll_seconds=5.0
    )
    assert processor.on_timer(NOW) == []
    assert run(processor, [bar(0, 50)]) == []

    write(path, version=2, level=10, stamp=2_000_000_000)
    processor.on_timer(NOW + timedelta(seconds=1))  # not due yet
    assert processor.strategies["live"].version == 1
    processor.on_timer(NOW + timedelta(seconds=5))
    assert processor.strategies["live"].version == 2
    assert len(run(processor, [bar(1, 50)])) == 1

    write(path, version=2, level=20, stamp=3_000_000_000)  # changed without a version bump
    processor.on_timer(NOW + timedelta(seconds=10))
    assert processor.counters["reload_refused"] == 1
    path.write_text("name: live\nversion: [\n", encoding="utf-8")
    os.utime(path, ns=(4_000_000_000, 4_000_000_000))
    processor.on_timer(NOW + timedelta(seconds=15))
    assert processor.counters["reload_invalid"] == 1
    path.unlink()
    processor.on_timer(NOW + timedelta(seconds=20))
    assert processor.strategies["live"].version == 2
