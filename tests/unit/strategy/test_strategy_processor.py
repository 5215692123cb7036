"""The strategy processor: intents, join order, lookahead guard, buffer bounds, errors."""

from __future__ import annotations

import io
import random
from decimal import Decimal
from typing import Any

import fastavro
import pytest
from streams.clock import to_micros
from streams.codec.schemas import SchemaStore
from streams.errors import ProcessingError
from streams.events import derive_event_id
from streams.runtime.processor import Output, Record
from streams.strategy import (
    Bar,
    BarContext,
    IntentRequest,
    Strategy,
    StrategyProcessor,
    parse_strategy_yaml,
)
from tests.unit.strategy.strategy_events import (
    INTERVAL,
    advice,
    bar,
    bar_end,
    bar_with,
    indicator,
    run,
)

CROSS = """\
name: cross
version: 1
instruments: [SPX]
indicators: {fast: sma:3, slow: sma:5}
entry: {when: "crosses_above(fast, slow)", side: buy, quantity: 10}
exit:  {when: "crosses_below(fast, slow)"}
"""
FAST = [1.0, 2.0, 3.0, 1.0, 0.5, 4.0, 5.0, 1.0, 2.0, 3.0, 0.5, 6.0] * 3
SLOW = [2.0] * len(FAST)


def cross_records(count: int = len(FAST), *, instrument: str = "SPX") -> list[Record]:
    records: list[Record] = []
    for i in range(count):
        readings = {("sma", "3"): {"sma": FAST[i]}, ("sma", "5"): {"sma": SLOW[i]}}
        records.extend(bar_with(i, 100 + i, readings, instrument=instrument))
    return records


def cross_processor(**kwargs: Any) -> StrategyProcessor:
    return StrategyProcessor([parse_strategy_yaml(CROSS)], **kwargs)


def test_intent_event_content_and_deterministic_id() -> None:
    proc = cross_processor()
    outputs = run(proc, cross_records(3))
    (output,) = outputs
    value = output.value
    bar_record = cross_records(3)[6]
    cause_id = bar_record.value["envelope"]["event_id"]
    assert output.topic == "strategy.intent"
    assert output.key == "default"
    assert value["envelope"]["event_id"] == derive_event_id(
        cause_id, "strategy.intent", "cross:1:entry"
    )
    assert value["envelope"]["event_type"] == "strategy.intent"
    assert value["envelope"]["event_time"] == bar_end(2)
    assert value["envelope"]["causation_id"] == cause_id
    assert value["envelope"]["source"]["agent"] == "strategy"
    assert {k: v for k, v in value.items() if k != "envelope"} == {
        "strategy": "cross",
        "strategy_version": 1,
        "account": "default",
        "instrument": "SPX",
        "side": "BUY",
        "quantity": Decimal("10.000000000"),
        "order_type": "MARKET",
        "limit_price": None,
        "time_in_force": "IOC",
        "reason": "entry: crosses_above(fast, slow)",
        "reference_price": Decimal("102.000000000"),
    }
    schema = SchemaStore.load().latest("strategy.intent").parsed
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, value, strict=True)
    buffer.seek(0)
    decoded = fastavro.schemaless_reader(buffer, schema, None)
    assert isinstance(decoded, dict)
    assert decoded["quantity"] == Decimal("10")
    again = run(cross_processor(), cross_records(3))
    assert again[0].value == value


def test_expected_intents_over_a_series() -> None:
    outputs = run(cross_processor(), cross_records(12))
    assert [(o.value["side"], o.value["envelope"]["event_time"]) for o in outputs] == [
        ("BUY", bar_end(2)),
        ("SELL", bar_end(3)),
        ("BUY", bar_end(5)),
        ("SELL", bar_end(7)),
        ("BUY", bar_end(9)),
        ("SELL", bar_end(10)),
        ("BUY", bar_end(11)),
    ]


@pytest.mark.parametrize("seed", range(8))
def test_join_is_independent_of_arrival_order(seed: int) -> None:
    records = cross_records()
    expected = run(cross_processor(), records)
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    assert run(cross_processor(), shuffled) == expected
    per_bar = [records[i : i + 3] for i in range(0, len(records), 3)]
    for group in per_bar:
        random.Random(seed).shuffle(group)
    assert run(cross_processor(), [r for group in per_bar for r in group]) == expected


def test_lookahead_guard_future_values_are_not_used_for_an_earlier_bar() -> None:
    strategy = parse_strategy_yaml(
        """\
name: guard
version: 1
instruments: [SPX]
indicators: {fast: sma:3}
entry: {when: "fast > 10 or advice.score > 0.5", side: buy, quantity: 1}
"""
    )
    proc = StrategyProcessor([strategy])
    # The future arrives first: bar 1's indicator value (fast = 50) and advice at bar 1's end.
    assert run(proc, [indicator(1, "sma", "3", {"sma": 50.0}), advice(bar_end(1), 0.9)]) == []
    # Bar 0 must be decided on bar 0's data only: fast = 5, no advice at or before its end.
    assert run(proc, [bar(0, 100), indicator(0, "sma", "3", {"sma": 5.0})]) == []
    # Bar 1 then sees its own data and fires.
    fired = run(proc, [bar(1, 100)])
    assert [o.value["envelope"]["event_time"] for o in fired] == [bar_end(1)]


def test_indicator_computed_after_the_bar_end_is_refused() -> None:
    proc = cross_processor()
    late_stamp = indicator(0, "sma", "3", {"sma": 1.0}, event_time=bar_end(1))
    assert run(proc, [bar(0, 100), late_stamp]) == []
    assert proc.counters["lookahead_rejected"] == 1


def test_advice_ties_and_history_use_the_latest_at_or_before_the_bar() -> None:
    strategy = parse_strategy_yaml(
        "name: adv\nversion: 1\ninstruments: [SPX]\n"
        "entry: {when: 'advice.score > 0.5', side: buy, quantity: 1}\n"
        "exit: {when: 'advice.score < 0.5'}\n"
    )
    proc = StrategyProcessor([strategy])
    run(proc, [advice(bar_end(0), 0.9), advice(bar_end(2), 0.1), advice(bar_end(1), 0.2)])
    outputs = run(proc, [bar(0, 1), bar(1, 1), bar(2, 1)])
    assert [(o.value["side"], o.value["envelope"]["event_time"]) for o in outputs] == [
        ("BUY", bar_end(0)),
        ("SELL", bar_end(1)),
    ]


def test_bounded_buffer_evicts_the_oldest_incomplete_bar() -> None:
    proc = cross_processor(max_pending_bars=2)
    records = cross_records(6)
    missing = records[1]  # bar 0's fast SMA never arrives
    stream = [r for r in records if r is not missing]
    outputs = run(proc, stream)
    assert proc.counters["join_evicted"] == 1
    # bar 0 was skipped, so the first crossover memory starts at bar 1
    assert [o.value["envelope"]["event_time"] for o in outputs] == [
        bar_end(2),
        bar_end(3),
        bar_end(5),
    ]
    assert run(proc, [missing]) == []
    assert proc.counters["late_inputs"] == 1


def test_duplicates_revisions_and_uninteresting_inputs() -> None:
    proc = cross_processor()
    run(proc, cross_records(2))
    run(proc, [bar(2, 1), bar(2, 1)])
    assert proc.counters["duplicate_inputs"] == 1
    run(proc, [bar(3, 1, revision=1)])
    assert proc.counters["bar_revisions_ignored"] == 1
    before = proc.snapshot()
    run(
        proc,
        [
            bar(5, 1, instrument="ES"),
            indicator(5, "sma", "3", {"sma": 1.0}, instrument="ES"),
            indicator(5, "ema", "3", {"ema": 1.0}),
        ],
    )
    assert proc.snapshot() == before


def test_interval_filter() -> None:
    strategy = parse_strategy_yaml(
        "name: minute\nversion: 1\ninstruments: ['*']\ninterval_seconds: 60\n"
        "entry: {when: close > 0, side: buy, quantity: 1}\n"
    )
    proc = StrategyProcessor([strategy])
    assert run(proc, [bar(0, 5, interval=1), bar(0, 5, instrument="X", interval=3600)]) == []
    assert len(run(proc, [bar(0, 5, instrument="ANY", interval=INTERVAL)])) == 1


class Exploding(Strategy):
    name = "exploding"
    version = 1
    instruments = ("SPX",)

    def on_bar(self, ctx: BarContext, bar: Bar) -> list[IntentRequest]:
        if bar.close > 101:
            raise ZeroDivisionError("boom")
        return [IntentRequest(side="BUY", quantity=Decimal(0), rule="bad", reason="zero")]


def test_a_failing_strategy_is_counted_and_does_not_stall_the_others() -> None:
    proc = StrategyProcessor([Exploding(), parse_strategy_yaml(CROSS)])
    outputs = run(proc, cross_records())
    assert len(outputs) == len(run(cross_processor(), cross_records()))
    assert proc.counters["strategy_errors"] == len(FAST)
    assert proc.last_error is not None
    assert "boom" in proc.last_error


@pytest.mark.parametrize(
    "record",
    [
        Record("md.bar", "SPX", {"instrument": "SPX"}),
        Record("indicator.value", "SPX", {"instrument": "SPX"}),
        Record("ml.advice", "SPX", {}),
        Record("system.control", None, {"command": "KILL"}),
        Record("md.tick", "SPX", {}),
    ],
)
def test_malformed_or_unexpected_records_raise_processing_error(record: Record) -> None:
    with pytest.raises(ProcessingError):
        cross_processor().process(record)


def test_bar_prices_are_decimals_in_the_strategy() -> None:
    seen: list[tuple[Decimal, int]] = []

    class Probe(Strategy):
        name = "probe"
        version = 1
        instruments = ("SPX",)

        def on_bar(self, ctx: BarContext, bar: Bar) -> list[IntentRequest]:
            seen.append((bar.close, to_micros(bar.end)))
            return []

    outputs: list[Output] = run(StrategyProcessor([Probe()]), [bar(0, "100.125")])
    assert outputs == []
    assert seen == [(Decimal("100.125000000"), to_micros(bar_end(0)))]
