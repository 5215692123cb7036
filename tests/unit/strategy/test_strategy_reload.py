"""Hot reload: a higher version replaces the running strategy; anything else is refused."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from streams.errors import ConfigError
from streams.strategy import StrategyProcessor, parse_strategy_yaml
from tests.unit.strategy.strategy_events import bar, control, run

V1 = """\
name: swing
version: 1
instruments: [SPX]
entry: {when: "crosses_above(close, 10)", side: buy, quantity: 1}
exit: {when: "close < 5"}
"""


def version(number: int, quantity: int = 1) -> str:
    return V1.replace("version: 1", f"version: {number}").replace(
        "quantity: 1", f"quantity: {quantity}"
    )


def test_higher_version_is_accepted_keeping_positions_and_switches() -> None:
    proc = StrategyProcessor([parse_strategy_yaml(V1)])
    run(proc, [bar(0, 5), bar(1, 11), control("DISABLE_STRATEGY", "STRATEGY", "swing")])
    assert proc.position("swing", "SPX") == Decimal(1)
    assert json.loads(proc.snapshot()["memory_json"])["swing"]["SPX"]["crossovers"] == [[11, 10]]
    assert proc.reload(parse_strategy_yaml(version(2, quantity=3))) is True
    assert proc.strategies["swing"].version == 2
    assert proc.counters["reload_accepted"] == 1
    assert proc.position("swing", "SPX") == Decimal(1)  # intents already emitted stand
    assert json.loads(proc.snapshot()["memory_json"]) == {}  # rule memory starts afresh
    assert run(proc, [bar(2, 4)]) == []  # still disabled: the switch survived the reload
    run(proc, [control("ENABLE_STRATEGY", "STRATEGY", "swing")])
    (exit_intent,) = run(proc, [bar(3, 4)])
    assert (exit_intent.value["side"], exit_intent.value["strategy_version"]) == ("SELL", 2)
    (entry,) = run(proc, [bar(4, 12)])
    assert (entry.value["quantity"], entry.value["strategy_version"]) == (Decimal(3), 2)


def test_same_version_same_content_is_a_no_op() -> None:
    proc = StrategyProcessor([parse_strategy_yaml(V1)])
    assert proc.reload(parse_strategy_yaml("# edited comment only\n" + V1)) is False
    assert proc.counters["reload_refused"] == 0


def test_same_or_lower_version_with_different_content_is_refused() -> None:
    proc = StrategyProcessor([parse_strategy_yaml(version(2))])
    with pytest.raises(ConfigError, match="bump 'version'") as caught:
        proc.reload(parse_strategy_yaml(version(2, quantity=5)))
    assert getattr(caught.value, "name", None) == "swing"
    with pytest.raises(ConfigError, match="not higher"):
        proc.reload(parse_strategy_yaml(version(1)))
    assert proc.counters["reload_refused"] == 2
    assert proc.strategies["swing"].version == 2


def test_a_new_strategy_name_is_added() -> None:
    proc = StrategyProcessor([parse_strategy_yaml(V1)])
    assert proc.reload(parse_strategy_yaml(V1.replace("name: swing", "name: other"))) is True
    assert set(proc.strategies) == {"swing", "other"}
    assert {o.value["strategy"] for o in run(proc, [bar(0, 5), bar(1, 11)])} == {
        "swing",
        "other",
    }
