"""Snapshot/restore: continuing after a restore equals an uninterrupted run."""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import pytest
from streams.codec.schemas import SchemaStore
from streams.codec.validation import Validator
from streams.errors import ProcessingError
from streams.runtime.processor import Record
from streams.strategy import StrategyProcessor, parse_strategy_yaml
from streams.strategy.state import STATE_SCHEMA
from tests.unit.strategy.strategy_events import (
    advice,
    bar,
    bar_end,
    bar_with,
    control,
    indicator,
    run,
)

STRATEGY = """\
name: stateful
version: 1
instruments: ["*"]
indicators: {fast: sma:3, slow: sma:5}
max_position: 20
rate_limit: {max_intents: 3, window_seconds: 240}
entry: {when: "crosses_above(fast, slow) or advice.score > 0.8", side: buy, quantity: 10}
exit:  {when: "crosses_below(fast, slow)"}
"""
FAST = [1.0, 3.0, 1.0, 3.0, 3.5, 1.0, 4.0, 0.5, 5.0, 1.0, 6.0, 0.2, 3.0, 1.0]


def stream() -> list[Record]:
    records: list[Record] = []
    for i, fast in enumerate(FAST):
        for instrument in ("SPX", "ES"):
            readings = {("sma", "3"): {"sma": fast}, ("sma", "5"): {"sma": 2.0}}
            records.extend(bar_with(i, 100 + i, readings, instrument=instrument))
        if i == 3:
            records.append(advice(bar_end(4), 0.9))
        if i == 5:
            records.append(control("KILL", "STRATEGY", "stateful"))
        if i == 7:
            records.append(control("RESUME", "STRATEGY", "stateful"))
    # a bar whose indicator values have not all arrived, and a future advice
    records.extend(
        [
            bar(len(FAST), 90),
            indicator(len(FAST), "sma", "3", {"sma": 9.0}),
            advice(bar_end(len(FAST) + 3), 0.1),
        ]
    )
    records.append(indicator(len(FAST), "sma", "5", {"sma": 2.0}))
    return records


def make() -> StrategyProcessor:
    return StrategyProcessor([parse_strategy_yaml(STRATEGY)])


def through_avro(state: dict[str, Any]) -> dict[str, Any]:
    """Validate with the platform's strict validator, then encode and decode the state."""
    store = SchemaStore.load()
    Validator(store.expand_inline(STATE_SCHEMA))(state)
    schema = store.parse_inline(STATE_SCHEMA)
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, state, strict=True)
    buffer.seek(0)
    decoded = fastavro.schemaless_reader(buffer, schema, None)
    assert isinstance(decoded, dict)
    return decoded


def test_the_stream_exercises_every_part_of_the_state() -> None:
    proc = make()
    outputs = run(proc, stream())
    assert len(outputs) > 6
    counters = proc.counters
    assert counters["intents_suppressed_killed"] > 0
    assert counters["intents_rate_limited"] > 0


@pytest.mark.parametrize("cut", [1, 5, 17, 30, 44, 57, 62, 75, 88, 89, 90])
def test_restore_then_continue_equals_uninterrupted(cut: int) -> None:
    records = stream()
    uninterrupted = make()
    expected_head = run(uninterrupted, records[:cut])
    expected_tail = run(uninterrupted, records[cut:])

    first = make()
    assert run(first, records[:cut]) == expected_head
    state = through_avro(first.snapshot())
    second = make()
    second.restore(state)
    assert second.snapshot() == first.snapshot()
    assert run(second, records[cut:]) == expected_tail
    assert second.snapshot() == uninterrupted.snapshot()


def test_snapshot_holds_pending_bars_positions_switches_and_windows() -> None:
    records = stream()
    proc = make()
    run(proc, records[:-1])  # the last bar waits for its slow SMA
    state = proc.snapshot()
    pending = json.loads(state["pending_json"])
    assert [lane[0] for lane in pending["lanes"]] == ["SPX"]
    assert {(p["strategy"], p["instrument"]) for p in state["positions"]} == {
        ("stateful", "SPX"),
        ("stateful", "ES"),
    }
    assert set(json.loads(state["memory_json"])["stateful"]) == {"SPX", "ES"}
    assert state["rate_windows"]["stateful"]
    assert state["switches"]["killed_strategies"] == []
    assert json.loads(state["advice_json"])["book"]["SPX"]


def test_memory_of_a_strategy_whose_version_changed_is_reset_on_restore() -> None:
    proc = make()
    run(proc, stream())
    state = proc.snapshot()
    bumped = StrategyProcessor([parse_strategy_yaml(STRATEGY.replace("version: 1", "version: 2"))])
    bumped.restore(state)
    restored = bumped.snapshot()
    assert json.loads(restored["memory_json"]) == {}
    assert restored["positions"] == state["positions"]


def test_malformed_snapshot_raises_processing_error() -> None:
    state = make().snapshot()
    state["pending_json"] = "{not json"
    with pytest.raises(ProcessingError, match="malformed strategy snapshot"):
        make().restore(state)
