"""Mapping of every sinkable event type to its table rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from streams.sink.rows import (
    EventMappingError,
    UnsupportedEventError,
    rows_for,
    supported_event_types,
)
from streams.sink.samples import dead_letter_event, quote, sample_events, tick
from streams.sink.tables import TABLES, TableRow

START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def _by_type() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for event in sample_events(START, minutes=5):
        out.setdefault(event["envelope"]["event_type"], []).append(event)
    return out


EVENTS = _by_type()


def _named(row: TableRow) -> dict[str, object]:
    spec = TABLES[row.table]
    assert len(row.values) == len(spec.columns)
    return dict(zip(spec.columns, row.values, strict=True))


def _one(event: dict[str, Any], run_id: str = "live") -> dict[str, object]:
    (row,) = rows_for(event, run_id)
    return _named(row)


def _first(event_type: str, **match: object) -> dict[str, Any]:
    return next(e for e in EVENTS[event_type] if all(e.get(k) == v for k, v in match.items()))


def test_every_sinkable_type_appears_in_the_samples() -> None:
    assert set(EVENTS) == supported_event_types()


def test_trade_tick() -> None:
    event = tick("BTC-USD", START, 7, Decimal("30000.5"), Decimal("0.25"))
    row = _one(event)
    assert row["time"] == START
    assert row["instrument"] == "BTC-USD"
    assert row["kind"] == "TRADE"
    assert row["price"] == Decimal("30000.500000000")
    assert row["size"] == Decimal("0.250000000")
    assert row["bid_price"] is None
    assert row["sequence"] == 7
    assert row["event_id"] == event["envelope"]["event_id"]
    assert row["run_id"] == "live"
    assert row["ingest_time"] == event["envelope"]["ingest_time"]
    assert row["source_agent"] == "tick_normalizer"


def test_quote_tick_keeps_both_sides() -> None:
    row = _one(quote("ETH-USD", START, 8, Decimal("2000")))
    assert row["price"] is None
    assert row["bid_price"] == Decimal("1999.800000000")
    assert row["ask_price"] == Decimal("2000.200000000")


def test_bar_uses_its_end_as_time() -> None:
    event = EVENTS["md.bar"][0]
    row = _one(event)
    assert row["time"] == event["end"]
    assert row["bar_start"] == event["start"]
    assert row["open"] == event["open"]
    assert row["trade_count"] == event["trade_count"]
    assert row["revision"] == 0


def test_indicator_gives_one_row_per_output() -> None:
    event = EVENTS["indicator.value"][0]
    rows = [_named(r) for r in rows_for(event)]
    assert [r["output"] for r in rows] == sorted(event["values"])
    assert all(isinstance(r["value"], float) for r in rows)
    assert {r["indicator"] for r in rows} == {"sma"}


def test_indicator_output_without_value_is_null() -> None:
    event = {**EVENTS["indicator.value"][0], "values": {"macd": None}}
    assert _one(event)["value"] is None


def test_intent() -> None:
    event = EVENTS["strategy.intent"][0]
    row = _one(event)
    assert row["strategy"] == event["strategy"]
    assert row["quantity"] == event["quantity"]
    assert row["reference_price"] == event["reference_price"]


def test_rejected_decision_keeps_reason_codes_and_exact_reasons() -> None:
    event = _first("risk.decision", outcome="REJECTED")
    row = _one(event)
    assert row["outcome"] == "REJECTED"
    assert row["reason_codes"] == ["MAX_POSITION"]
    assert row["reasons"] == (
        '[{"actual": "1.500000000", "code": "MAX_POSITION", "limit": "1.000000000", '
        '"message": "position limit reached"}]'
    )
    assert _one(_first("risk.decision", outcome="APPROVED"))["reason_codes"] == []


def test_violation() -> None:
    row = _one(EVENTS["risk.violation"][0])
    assert row["limit_name"] == "MAX_DRAWDOWN"
    assert row["action"] == "WARN"


def test_new_order_command_creates_the_order_state() -> None:
    event = EVENTS["order.command"][0]
    row = _one(event)
    assert row["status"] == "NEW"
    assert row["status_rank"] == 0
    assert row["submitted_time"] == event["envelope"]["event_time"]
    assert row["decision_id"] == event["decision_id"]
    assert row["cumulative_quantity"] is None


def test_cancel_and_query_commands() -> None:
    new = EVENTS["order.command"][0]
    cancel = {**new, "command": "CANCEL"}
    row = _one(cancel)
    assert row["status"] == "PENDING_CANCEL"
    assert row["submitted_time"] is None
    assert row["quantity"] is None
    assert rows_for({**new, "command": "QUERY"}) == []


def test_fill_event_writes_event_fill_and_order_state() -> None:
    event = _first("order.event", kind="FILL")
    rows = rows_for(event)
    assert [r.table for r in rows] == ["order_events", "fills", "orders"]
    order_event, fill, order = (_named(r) for r in rows)
    assert order_event["kind"] == "FILL"
    assert fill["quantity"] == event["fill_quantity"]
    assert fill["price"] == event["fill_price"]
    assert order["status"] == "FILLED"
    assert order["status_rank"] == 4
    assert order["cumulative_quantity"] == event["cumulative_quantity"]
    assert order["last_event_id"] == event["envelope"]["event_id"]


def test_ack_writes_no_fill() -> None:
    rows = rows_for(_first("order.event", kind="ACK"))
    assert [r.table for r in rows] == ["order_events", "orders"]
    assert _named(rows[1])["status"] == "ACKNOWLEDGED"


def test_status_event_takes_the_venue_status() -> None:
    event = {**_first("order.event", kind="ACK"), "kind": "STATUS", "order_status": "CANCELED"}
    order = _named(rows_for(event)[-1])
    assert order["status"] == "CANCELED"


def test_position_and_pnl() -> None:
    position = _one(EVENTS["position.snapshot"][0])
    assert position["net_exposure"] == EVENTS["position.snapshot"][0]["net_exposure"]
    global_pnl = _one(_first("pnl.update", scope="GLOBAL"))
    assert global_pnl["strategy"] is None
    assert global_pnl["instrument"] is None
    assert isinstance(global_pnl["trading_day"], date)


def test_dead_letter_keeps_raw_bytes_and_is_timed_by_its_origin() -> None:
    event = dead_letter_event(START, 41)
    row = _one(event)
    assert row["origin_offset"] == 41
    assert row["value"] == b"\x07garbage"
    # the same origin record dead-lettered again later maps to the same row
    assert row["time"] == event["origin_timestamp"] == START - timedelta(seconds=2)
    assert row["dead_lettered_time"] == START
    later = {**event, "envelope": {**event["envelope"], "event_time": START + timedelta(hours=1)}}
    assert _one(later)["time"] == row["time"]
    assert _one({**event, "origin_timestamp": None})["time"] == START


def test_run_id_marks_replayed_rows() -> None:
    event = EVENTS["order.event"][0]
    assert {_named(r)["run_id"] for r in rows_for(event, "replay-42")} == {"replay-42"}


def test_unknown_event_type_is_refused() -> None:
    event = {"envelope": {**EVENTS["md.tick"][0]["envelope"], "event_type": "system.heartbeat"}}
    with pytest.raises(UnsupportedEventError, match=r"system\.heartbeat"):
        rows_for(event)


@pytest.mark.parametrize("broken", [{}, {"envelope": None}])
def test_event_without_envelope_is_refused(broken: dict[str, Any]) -> None:
    with pytest.raises(EventMappingError, match="envelope"):
        rows_for(broken)


def test_event_missing_a_field_is_refused() -> None:
    event = dict(EVENTS["md.bar"][0])
    del event["close"]
    with pytest.raises(EventMappingError, match=r"md\.bar event lacks field 'close'"):
        rows_for(event)


def test_mapping_is_deterministic() -> None:
    later = START + timedelta(hours=1)
    assert rows_for(tick("X", later, 1, Decimal(1), Decimal(1))) == rows_for(
        tick("X", later, 1, Decimal(1), Decimal(1))
    )
