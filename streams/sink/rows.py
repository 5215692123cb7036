"""Pure mapping of decoded events to the rows of the Timescale tables.

:func:`rows_for` turns one event (a dict exactly matching its Avro schema) into the rows it
contributes: usually one, several for an indicator (one per output) and for an order event
(``order_events``, ``fills`` for a fill, and the ``orders`` state). ``run_id`` is ``"live"``
for live traffic, or the id of the replay run that produced the event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from streams.errors import ProcessingError
from streams.sink.tables import (
    BARS,
    DEAD_LETTERS,
    FILLS,
    INDICATOR_VALUES,
    INTENTS,
    ORDER_EVENTS,
    ORDERS,
    PNL,
    POSITIONS,
    RISK_DECISIONS,
    RISK_VIOLATIONS,
    TERMINAL_RANK,
    TICKS,
    TableRow,
    TableSpec,
)

LIVE_RUN_ID: Final = "live"

Event = Mapping[str, Any]

# Order lifecycle: the status an order.event kind leads to, and each status's rank.
STATUS_OF_EVENT_KIND: Final[dict[str, str]] = {
    "ACK": "ACKNOWLEDGED",
    "PARTIAL_FILL": "PARTIALLY_FILLED",
    "FILL": "FILLED",
    "CANCELED": "CANCELED",
    "REJECTED": "REJECTED",
    "EXPIRED": "EXPIRED",
}
STATUS_RANK: Final[dict[str, int]] = {
    "NEW": 0,
    "UNKNOWN": 0,
    "PENDING_CANCEL": 1,
    "ACKNOWLEDGED": 2,
    "PARTIALLY_FILLED": 3,
    "FILLED": TERMINAL_RANK,
    "CANCELED": TERMINAL_RANK,
    "REJECTED": TERMINAL_RANK,
    "EXPIRED": TERMINAL_RANK,
}
_STATUS_OF_COMMAND: Final[dict[str, str]] = {"NEW": "NEW", "CANCEL": "PENDING_CANCEL"}
_FILL_KINDS: Final = frozenset({"PARTIAL_FILL", "FILL"})


class UnsupportedEventError(ProcessingError):
    """The sink has no table for this event type."""


class EventMappingError(ProcessingError):
    """An event lacks a field its table needs (it does not match its schema)."""


def rows_for(event: Event, run_id: str = LIVE_RUN_ID) -> list[TableRow]:
    """The rows one event contributes to the sink's tables."""
    try:
        event_type = event["envelope"]["event_type"]
    except (KeyError, TypeError) as exc:
        raise EventMappingError(f"event without an envelope.event_type: {exc}") from exc
    mapper = _MAPPERS.get(event_type)
    if mapper is None:
        raise UnsupportedEventError(f"the sink has no table for event type {event_type!r}")
    try:
        return mapper(event, run_id)
    except KeyError as exc:
        raise EventMappingError(f"{event_type} event lacks field {exc}") from exc


def supported_event_types() -> frozenset[str]:
    """Event types the sink can write."""
    return frozenset(_MAPPERS)


def _row(spec: TableSpec, event: Event, run_id: str, *values: object) -> TableRow:
    """A row of an event table: ``values`` then event_id, run_id, ingest_time, source_agent."""
    env = event["envelope"]
    return TableRow(
        spec.name,
        (*values, env["event_id"], run_id, env["ingest_time"], env["source"]["agent"]),
    )


def _tick(event: Event, run_id: str) -> list[TableRow]:
    e = event
    return [
        _row(
            TICKS,
            e,
            run_id,
            *(e["envelope"]["event_time"], e["instrument"], e["venue"], e["feed"]),
            *(e["sequence"], e["kind"], e.get("price"), e.get("size"), e.get("aggressor")),
            *(e.get("trade_id"), e.get("bid_price"), e.get("bid_size"), e.get("ask_price")),
            e.get("ask_size"),
        )
    ]


def _bar(event: Event, run_id: str) -> list[TableRow]:
    e = event
    return [
        _row(
            BARS,
            e,
            run_id,
            *(e["end"], e["instrument"], e["venue"], e["interval_seconds"], e["start"]),
            *(e["open"], e["high"], e["low"], e["close"], e["volume"], e.get("vwap")),
            *(e["trade_count"], e.get("revision", 0)),
        )
    ]


def _indicator(event: Event, run_id: str) -> list[TableRow]:
    e = event
    values: Mapping[str, float | None] = e["values"]
    return [
        _row(
            INDICATOR_VALUES,
            e,
            run_id,
            *(e["envelope"]["event_time"], e["instrument"], e["indicator"], e["parameters"]),
            *(e["version"], e["interval_seconds"], e["bar_end"], e["ready"], output),
            None if value is None else float(value),
        )
        for output, value in sorted(values.items())
    ]


def _intent(event: Event, run_id: str) -> list[TableRow]:
    e = event
    return [
        _row(
            INTENTS,
            e,
            run_id,
            *(e["envelope"]["event_time"], e["strategy"], e["strategy_version"], e["account"]),
            *(e["instrument"], e["side"], e["quantity"], e["order_type"], e.get("limit_price")),
            *(e["time_in_force"], e["reason"], e.get("reference_price")),
        )
    ]


def _decision(event: Event, run_id: str) -> list[TableRow]:
    e = event
    reasons: list[Mapping[str, Any]] = list(e.get("reasons", []))
    return [
        _row(
            RISK_DECISIONS,
            e,
            run_id,
            *(e["envelope"]["event_time"], e["intent_id"], e["outcome"], e["strategy"]),
            *(e["strategy_version"], e["account"], e["instrument"], e["side"], e["quantity"]),
            *(e["order_type"], e.get("limit_price"), e["time_in_force"]),
            e.get("reference_price"),
            [str(r["code"]) for r in reasons],
            json.dumps([_json_reason(r) for r in reasons], sort_keys=True),
        )
    ]


def _json_reason(reason: Mapping[str, Any]) -> dict[str, str | None]:
    """A decision reason as JSON-ready strings (decimals keep their exact digits)."""
    out: dict[str, str | None] = {}
    for name in ("code", "message", "limit", "actual"):
        value = reason.get(name)
        out[name] = None if value is None else str(value)
    return out


def _violation(event: Event, run_id: str) -> list[TableRow]:
    e = event
    return [
        _row(
            RISK_VIOLATIONS,
            e,
            run_id,
            *(e["envelope"]["event_time"], e["scope"], e.get("strategy"), e.get("account")),
            *(e["limit"], e["limit_value"], e["actual_value"], e["action"], e["message"]),
        )
    ]


def _command(event: Event, run_id: str) -> list[TableRow]:
    e = event
    status = _STATUS_OF_COMMAND.get(e["command"])
    if status is None:  # QUERY and other commands do not change an order's state
        return []
    time = e["envelope"]["event_time"]
    is_new = e["command"] == "NEW"
    return [
        _order_row(
            e,
            run_id,
            time=time,
            submitted_time=time if is_new else None,
            quantity=e["quantity"] if is_new else None,
            order_type=e["order_type"] if is_new else None,
            limit_price=e.get("limit_price") if is_new else None,
            time_in_force=e["time_in_force"] if is_new else None,
            decision_id=e.get("decision_id"),
            status=status,
            venue_order_id=None,
            cumulative_quantity=None,
            leaves_quantity=None,
        )
    ]


def _order_event(event: Event, run_id: str) -> list[TableRow]:
    e = event
    time = e["envelope"]["event_time"]
    kind = e["kind"]
    if kind == "POSITION":
        return []  # a venue's position report for reconciliation: no order, nothing to store
    rows = [
        _row(
            ORDER_EVENTS,
            e,
            run_id,
            *(time, e["client_order_id"], e.get("venue_order_id"), e["account"], e["strategy"]),
            *(e["instrument"], e["venue"], kind, e["side"], e["order_quantity"]),
            *(e.get("fill_quantity"), e.get("fill_price"), e.get("trade_id")),
            *(e["cumulative_quantity"], e["leaves_quantity"], e.get("fee")),
            *(e.get("fee_currency"), e.get("liquidity"), e.get("reason")),
            *(e.get("order_status"), e.get("average_price")),
        )
    ]
    if kind in _FILL_KINDS:
        rows.append(
            _row(
                FILLS,
                e,
                run_id,
                *(time, e["client_order_id"], e.get("venue_order_id"), e.get("trade_id")),
                *(e["account"], e["strategy"], e["instrument"], e["venue"], e["side"]),
                *(e.get("fill_quantity"), e.get("fill_price"), e.get("fee")),
                *(e.get("fee_currency"), e.get("liquidity")),
            )
        )
    status = STATUS_OF_EVENT_KIND.get(kind) or e.get("order_status") or "UNKNOWN"
    rows.append(
        _order_row(
            e,
            run_id,
            time=time,
            submitted_time=None,
            quantity=e["order_quantity"],
            order_type=None,
            limit_price=None,
            time_in_force=None,
            decision_id=None,
            status=status,
            venue_order_id=e.get("venue_order_id"),
            cumulative_quantity=e["cumulative_quantity"],
            leaves_quantity=e["leaves_quantity"],
        )
    )
    return rows


def _order_row(event: Event, run_id: str, *, status: str, **fields: object) -> TableRow:
    rank = STATUS_RANK.get(status)
    if rank is None:
        raise EventMappingError(f"unknown order status {status!r}")
    values: dict[str, object] = {
        "client_order_id": event["client_order_id"],
        "run_id": run_id,
        "account": event["account"],
        "strategy": event["strategy"],
        "instrument": event["instrument"],
        "venue": event["venue"],
        "side": event["side"],
        "status": status,
        "status_rank": rank,
        "last_event_id": event["envelope"]["event_id"],
        **fields,
    }
    return TableRow(ORDERS.name, tuple(values[column] for column in ORDERS.columns))


def _position(event: Event, run_id: str) -> list[TableRow]:
    e = event
    return [
        _row(
            POSITIONS,
            e,
            run_id,
            *(e["envelope"]["event_time"], e["account"], e["strategy"], e["instrument"]),
            *(e["quantity"], e["average_cost"], e.get("mark_price"), e["realized_pnl"]),
            *(e["unrealized_pnl"], e["fees"], e["net_pnl"], e["gross_exposure"]),
            e["net_exposure"],
        )
    ]


def _pnl(event: Event, run_id: str) -> list[TableRow]:
    e = event
    return [
        _row(
            PNL,
            e,
            run_id,
            *(e["envelope"]["event_time"], e["scope"], e.get("account"), e.get("strategy")),
            *(e.get("instrument"), e.get("quantity"), e.get("average_cost")),
            *(e.get("mark_price"), e["realized_pnl"], e["unrealized_pnl"], e["fees"]),
            *(e["net_pnl"], e["gross_exposure"], e["net_exposure"], e["trading_day"]),
            *(e["daily_pnl"], e["high_water_mark"], e["drawdown"]),
        )
    ]


def _dead_letter(event: Event, run_id: str) -> list[TableRow]:
    e = event
    return [
        _row(
            DEAD_LETTERS,
            e,
            run_id,
            e.get("origin_timestamp") or e["envelope"]["event_time"],
            *(e["envelope"]["event_time"], e["agent"], e["origin_topic"]),
            *(e["origin_partition"], e["origin_offset"], e.get("origin_timestamp")),
            *(e["error_class"], e["error_message"], e.get("key"), e.get("value")),
        )
    ]


_MAPPERS: Final[dict[str, Callable[[Event, str], list[TableRow]]]] = {
    "md.tick": _tick,
    "md.bar": _bar,
    "indicator.value": _indicator,
    "strategy.intent": _intent,
    "risk.decision": _decision,
    "risk.violation": _violation,
    "order.command": _command,
    "order.event": _order_event,
    "position.snapshot": _position,
    "pnl.update": _pnl,
    "system.deadletter": _dead_letter,
}

__all__ = [
    "LIVE_RUN_ID",
    "EventMappingError",
    "UnsupportedEventError",
    "rows_for",
    "supported_event_types",
]
