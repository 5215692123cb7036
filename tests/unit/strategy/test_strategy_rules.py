"""YAML rules through the processor: position awareness, sizing, limits, warm-up, advice."""

from __future__ import annotations

import textwrap
from decimal import Decimal

from streams.strategy import StrategyProcessor, parse_strategy_yaml
from tests.unit.strategy.strategy_events import (
    advice,
    bar,
    bar_end,
    bar_with,
    indicator,
    run,
    summary,
)

HEADER = """\
name: rules
version: 1
instruments: [SPX]
"""


def processor(body: str) -> StrategyProcessor:
    return StrategyProcessor([parse_strategy_yaml(HEADER + textwrap.dedent(body))])


def sides(proc: StrategyProcessor, closes: list[float]) -> list[tuple[str, str]]:
    outputs = run(proc, [bar(i, c) for i, c in enumerate(closes)])
    return [(o.value["side"], plain(o.value["quantity"])) for o in outputs]


def plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def test_entry_only_when_flat_and_exit_closes() -> None:
    proc = processor(
        """
        entry: {when: close > 100, side: buy, quantity: 10}
        exit: {when: close < 90}
        """
    )
    assert sides(proc, [101, 102, 103, 89, 88, 105]) == [
        ("BUY", "10"),
        ("SELL", "10"),
        ("BUY", "10"),
    ]
    assert proc.position("rules", "SPX") == Decimal(10)


def test_max_position_allows_pyramiding_up_to_the_limit() -> None:
    proc = processor(
        """
        max_position: 25
        entry: {when: close > 100, side: buy, quantity: 10}
        exit: {when: close < 90}
        """
    )
    assert sides(proc, [101, 102, 103, 104, 80]) == [
        ("BUY", "10"),
        ("BUY", "10"),
        ("BUY", "5"),
        ("SELL", "25"),
    ]


def test_short_entries_and_position_names() -> None:
    proc = processor(
        """
        entry: {when: "close < 50 and is_flat", side: sell, quantity: 3}
        exit: {when: "is_short and position == -3 and close > 60"}
        """
    )
    assert sides(proc, [49, 48, 61, 40]) == [("SELL", "3"), ("BUY", "3"), ("SELL", "3")]
    assert proc.position("rules", "SPX") == Decimal(-3)


def test_entry_never_flips_but_exit_then_entry_reverses_on_one_bar() -> None:
    no_exit = processor(
        """
        entry:
          - {name: long, when: close > 100, side: buy, quantity: 2}
          - {name: short, when: close < 50, side: sell, quantity: 2}
        """
    )
    assert sides(no_exit, [101, 40, 30]) == [("BUY", "2")]
    with_exit = processor(
        """
        entry:
          - {name: long, when: close > 100, side: buy, quantity: 2}
          - {name: short, when: close < 50, side: sell, quantity: 2}
        exit: {when: close < 50, applies_to: long}
        """
    )
    outputs = run(with_exit, [bar(0, 101), bar(1, 40)])
    assert [(o.value["side"], o.value["reason"]) for o in outputs] == [
        ("BUY", "long: close > 100"),
        ("SELL", "exit: close < 50"),
        ("SELL", "short: close < 50"),
    ]
    assert with_exit.position("rules", "SPX") == Decimal(-2)


def test_exit_applies_to_filters_by_side() -> None:
    proc = processor(
        """
        entry: {when: close < 50, side: sell, quantity: 1}
        exit:
          - {name: long_exit, when: close > 0, applies_to: long}
        """
    )
    assert sides(proc, [40, 45, 60]) == [("SELL", "1")]


def test_risk_based_size_is_rounded_down_to_the_lot() -> None:
    body = """
        capital: 100000
        lot_size: {lot}
        indicators: {{atr: atr:14}}
        entry:
          when: close > 0
          side: buy
          size: {{risk_fraction: 0.01, stop_distance: "2 * atr"}}
        """

    def first_quantity(lot: str, atr: float | None) -> list[str]:
        proc = processor(body.format(lot=lot))
        outputs = run(proc, bar_with(0, 100, {("atr", "14"): {"atr": atr}}))
        return [plain(o.value["quantity"]) for o in outputs]

    # 100000 * 0.01 / (2 * 7.3) = 68.49...
    assert first_quantity("1", 7.3) == ["68"]
    assert first_quantity("5", 7.3) == ["65"]
    assert first_quantity("0.1", 7.3) == ["68.4"]
    assert first_quantity("1", 600.0) == []  # 0.83 rounds down to zero: no intent
    assert first_quantity("1", None) == []  # ATR still warming up: the rule is false


def test_limit_price_rounding_and_time_in_force() -> None:
    proc = processor(
        """
        tick_size: 0.25
        entry: {when: close < 150, side: buy, quantity: 1, limit: "close - 1.1"}
        exit: {when: close > 200, time_in_force: day}
        """
    )
    outputs = run(proc, [bar(0, 100), bar(1, 201)])
    entry, exit_intent = (o.value for o in outputs)
    assert (entry["order_type"], entry["limit_price"], entry["time_in_force"]) == (
        "LIMIT",
        Decimal("99.000000000"),  # 98.9 to the nearest 0.25
        "GTC",
    )
    assert (exit_intent["order_type"], exit_intent["limit_price"]) == ("MARKET", None)
    assert exit_intent["time_in_force"] == "DAY"


def test_market_intents_default_to_ioc() -> None:
    proc = processor("entry: {when: close > 1, side: buy, quantity: 1}\n")
    (output,) = run(proc, [bar(0, 5)])
    assert (output.value["order_type"], output.value["time_in_force"]) == ("MARKET", "IOC")


def test_rules_using_a_warming_up_indicator_are_false() -> None:
    proc = processor(
        """
        indicators: {fast: sma:10}
        entry:
          - {name: negated, when: "not (fast > 1000)", side: buy, quantity: 1}
          - {name: either, when: "close > 1 or fast > 0", side: buy, quantity: 1}
        """
    )
    warming = run(proc, bar_with(0, 5, {("sma", "10"): {"sma": None}}))
    assert warming == []
    not_ready_flag = run(
        proc,
        [bar(1, 5), indicator(1, "sma", "10", {"sma": 4.0}, ready=False)],
    )
    assert not_ready_flag == []
    ready = run(proc, bar_with(2, 5, {("sma", "10"): {"sma": 4.0}}))
    assert [o.value["reason"] for o in ready] == ["negated: not (fast > 1000)"]


def test_multi_output_indicators_by_alias_and_output() -> None:
    proc = processor(
        """
        indicators: {bb: "bbands:20:2", m: "macd:12:26:9"}
        entry: {when: "close < bb.lower and m.hist > 0 and m.macd > m.signal", side: buy,
                quantity: 1}
        """
    )
    readings = {
        ("bbands", "20:2"): {"upper": 110.0, "middle": 100.0, "lower": 90.0},
        ("macd", "12:26:9"): {"macd": 1.5, "signal": 1.0, "hist": 0.5},
    }
    assert run(proc, bar_with(0, 95, readings)) == []
    assert len(run(proc, bar_with(1, 89, readings))) == 1


def test_advice_is_a_feature_as_of_the_bar_end() -> None:
    proc = processor(
        """
        entry: {when: "advice.score > 0.5 and advice.features.trend > 0", side: buy,
                quantity: 1}
        exit: {when: "advice.direction == -1"}
        """
    )
    assert run(proc, [bar(0, 10)]) == []  # no advice yet: unknown, so false
    run(proc, [advice(bar_end(1), 0.9, features={"trend": 1.0})])
    opened = run(proc, [bar(1, 10)])
    assert summary(opened) == [
        (
            bar_end(1).isoformat(),
            "BUY",
            "1.000000000",
            "entry: advice.score > 0.5 and advice.features.trend > 0",
        )
    ]
    run(proc, [advice(bar_end(2), 0.1, direction="DOWN")])
    assert [o.value["side"] for o in run(proc, [bar(2, 10)])] == ["SELL"]
