"""Python plug-in strategies: loading by module path and entry point, validation, examples."""

from __future__ import annotations

from decimal import Decimal
from importlib.metadata import EntryPoint
from typing import Any

import pytest
from streams.errors import ConfigError
from streams.strategy import (
    Bar,
    BarContext,
    IntentRequest,
    Strategy,
    StrategyProcessor,
    load_strategies,
    load_strategy,
    required_indicators,
)
from streams.strategy.examples import MACD_TREND, SMA_CROSS
from streams.strategy.examples.rsi_reversion import RsiMeanReversion
from streams.strategy.loading import ENTRY_POINT_GROUP
from streams.strategy.prepared import prepare
from streams.strategy.scaffold import TemplateStrategy
from tests.unit.strategy.strategy_events import bar_with, run

RSI_PATH = "streams.strategy.examples.rsi_reversion:RsiMeanReversion"


def test_load_by_module_path_and_yaml_path() -> None:
    plugin = load_strategy(RSI_PATH)
    assert isinstance(plugin, RsiMeanReversion)
    assert load_strategy(f"  {SMA_CROSS}  ").name == "sma_cross"


def test_load_by_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        assert group == ENTRY_POINT_GROUP
        return [EntryPoint(name="rsi", value=RSI_PATH, group=group)]

    monkeypatch.setattr("streams.strategy.loading.entry_points", fake_entry_points)
    assert isinstance(load_strategy("rsi"), RsiMeanReversion)
    with pytest.raises(ConfigError, match="not a YAML file, a module:Class path or an entry"):
        load_strategy("nothing_here")


class NotAStrategy:
    pass


class NeedsArguments(Strategy):
    name = "needs"
    version = 1
    instruments = ("SPX",)

    def __init__(self, size: int) -> None:
        self.size = size

    def on_bar(self, ctx: BarContext, bar: Bar) -> list[IntentRequest]:
        return []


@pytest.mark.parametrize(
    ("reference", "fragment"),
    [
        ("no_such_module_xyz:Thing", "cannot import 'no_such_module_xyz'"),
        ("streams.strategy.examples.rsi_reversion:Missing", "has no class 'Missing'"),
        (f"{__name__}:NotAStrategy", "does not subclass streams.strategy.Strategy"),
        (f"{__name__}:NeedsArguments", "cannot be created without arguments"),
    ],
)
def test_loading_errors_name_the_reference(reference: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment) as caught:
        load_strategy(reference)
    assert reference in str(caught.value)


class Configurable(Strategy):
    def __init__(self, **members: Any) -> None:
        self.name = "configurable"
        self.version = 1
        self.instruments = ("SPX",)
        for key, value in members.items():
            setattr(self, key, value)

    def on_bar(self, ctx: BarContext, bar: Bar) -> list[IntentRequest]:
        return []


@pytest.mark.parametrize(
    ("members", "field"),
    [
        ({"name": "Bad Name"}, "name"),
        ({"version": 0}, "version"),
        ({"version": True}, "version"),
        ({"instruments": ["SPX"]}, "instruments"),
        ({"instruments": ()}, "instruments"),
        ({"account": ""}, "account"),
        ({"indicators": {"x": "sma:1"}}, "indicators.x"),
    ],
)
def test_declared_members_are_validated(members: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        prepare(Configurable(**members))
    assert getattr(caught.value, "path", None) == field


def test_duplicate_names_and_required_indicator_union() -> None:
    with pytest.raises(ConfigError, match="configured twice"):
        load_strategies([str(SMA_CROSS), str(SMA_CROSS)])
    strategies = load_strategies([str(SMA_CROSS), str(MACD_TREND), RSI_PATH])
    assert [spec.text for spec in required_indicators(strategies)] == [
        "sma:10",
        "sma:30",
        "macd:12:26:9",
        "adx:14",
        "atr:14",
        "rsi:14",
        "sma:200",
    ]


def test_rsi_example_enters_on_leaving_oversold_and_exits_overbought() -> None:
    proc = StrategyProcessor([RsiMeanReversion()])

    def step(index: int, close: float, rsi: float | None, trend: float | None) -> list[str]:
        readings = {("rsi", "14"): {"rsi": rsi}, ("sma", "200"): {"sma": trend}}
        outputs = run(proc, bar_with(index, close, readings))
        return [f"{o.value['side']} {o.value['quantity'].normalize()}" for o in outputs]

    assert step(0, 100, 25.0, 90.0) == []
    assert step(1, 100, 35.0, 110.0) == []  # left oversold but below the trend
    assert step(2, 100, 25.0, 90.0) == []
    assert step(3, 100, 35.0, 90.0) == ["BUY 5"]
    assert step(4, 100, 65.0, 90.0) == []
    assert step(5, 100, 71.0, None) == ["SELL 5"]
    assert proc.position("rsi_reversion", "SPX") == Decimal(0)


def test_scaffold_template_is_a_working_strategy() -> None:
    proc = StrategyProcessor([TemplateStrategy()])

    def step(index: int, close: float, ema: float | None) -> list[tuple[str, str, Any]]:
        outputs = run(proc, bar_with(index, close, {("ema", "20"): {"ema": ema}}))
        return [(o.value["side"], o.value["order_type"], o.value["limit_price"]) for o in outputs]

    assert step(0, 10, None) == []
    assert step(1, 11, 10.0) == []
    assert step(2, 12, 10.5) == []
    assert step(3, 13, 11.0) == [("BUY", "LIMIT", Decimal("11.000000000"))]
    assert step(4, 14, 11.5) == []
    assert step(5, 11, 11.6) == [("SELL", "MARKET", None)]
    assert proc.counters["intents"] == 2
