"""The tables the sink writes and how it writes each one (mirrors sql/0001-0002).

Two write modes:

* ``ignore`` - append-only event tables: ``INSERT ... ON CONFLICT DO NOTHING`` on the
  table's unique event key, so re-inserting an event (replay, redelivery) changes nothing;
* ``merge`` - ``orders``, the latest state per order: ``ON CONFLICT (key) DO UPDATE`` where
  a newer change (by :data:`ORDER_RANK_COLUMNS`) overwrites and an older one only fills
  columns that are still empty. Applying the same changes again gives the same row.

Sinks never create or alter these tables; ``tapewire migrate`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal

WriteMode = Literal["ignore", "merge"]

EVENT_COLUMNS: Final = ("event_id", "run_id", "ingest_time", "source_agent")


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A sink target: its columns in row order, write mode and conflict key."""

    name: str
    columns: tuple[str, ...]
    mode: WriteMode = "ignore"
    key: tuple[str, ...] = ()

    def index(self, column: str) -> int:
        return self.columns.index(column)


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row for one table, values in :attr:`TableSpec.columns` order."""

    table: str
    values: tuple[object, ...]


def _spec(name: str, *columns: str) -> TableSpec:
    return TableSpec(name, (*columns, *EVENT_COLUMNS))


TICKS: Final = _spec(
    "ticks",
    *("time", "instrument", "venue", "feed", "sequence", "kind", "price", "size"),
    *("aggressor", "trade_id", "bid_price", "bid_size", "ask_price", "ask_size"),
)
BARS: Final = _spec(
    "bars",
    *("time", "instrument", "venue", "interval_seconds", "bar_start", "open", "high"),
    *("low", "close", "volume", "vwap", "trade_count", "revision"),
)
INDICATOR_VALUES: Final = _spec(
    "indicator_values",
    *("time", "instrument", "indicator", "parameters", "version", "interval_seconds"),
    *("bar_end", "ready", "output", "value"),
)
INTENTS: Final = _spec(
    "intents",
    *("time", "strategy", "strategy_version", "account", "instrument", "side", "quantity"),
    *("order_type", "limit_price", "time_in_force", "reason", "reference_price"),
)
RISK_DECISIONS: Final = _spec(
    "risk_decisions",
    *("time", "intent_id", "outcome", "strategy", "strategy_version", "account"),
    *("instrument", "side", "quantity", "order_type", "limit_price", "time_in_force"),
    *("reference_price", "reason_codes", "reasons"),
)
RISK_VIOLATIONS: Final = _spec(
    "risk_violations",
    *("time", "scope", "strategy", "account", "limit_name", "limit_value", "actual_value"),
    *("action", "message"),
)
ORDER_EVENTS: Final = _spec(
    "order_events",
    *("time", "client_order_id", "venue_order_id", "account", "strategy", "instrument"),
    *("venue", "kind", "side", "order_quantity", "fill_quantity", "fill_price", "trade_id"),
    *("cumulative_quantity", "leaves_quantity", "fee", "fee_currency", "liquidity"),
    *("reason", "order_status", "average_price"),
)
FILLS: Final = _spec(
    "fills",
    *("time", "client_order_id", "venue_order_id", "trade_id", "account", "strategy"),
    *("instrument", "venue", "side", "quantity", "price", "fee", "fee_currency", "liquidity"),
)
POSITIONS: Final = _spec(
    "positions",
    *("time", "account", "strategy", "instrument", "quantity", "average_cost", "mark_price"),
    *("realized_pnl", "unrealized_pnl", "fees", "net_pnl", "gross_exposure", "net_exposure"),
)
PNL: Final = _spec(
    "pnl",
    *("time", "scope", "account", "strategy", "instrument", "quantity", "average_cost"),
    *("mark_price", "realized_pnl", "unrealized_pnl", "fees", "net_pnl", "gross_exposure"),
    *("net_exposure", "trading_day", "daily_pnl", "high_water_mark", "drawdown"),
)
DEAD_LETTERS: Final = _spec(
    "dead_letters",
    *("time", "dead_lettered_time", "agent", "origin_topic", "origin_partition"),
    "origin_offset",
    *("origin_timestamp", "error_class", "error_message", "key", "value"),
)
ORDERS: Final = TableSpec(
    "orders",
    (
        *("client_order_id", "run_id", "time", "submitted_time", "account", "strategy"),
        *("instrument", "venue", "side", "quantity", "order_type", "limit_price"),
        *("time_in_force", "decision_id", "status", "status_rank", "venue_order_id"),
        *("cumulative_quantity", "leaves_quantity", "last_event_id"),
    ),
    mode="merge",
    key=("client_order_id", "run_id"),
)

TABLES: Final[dict[str, TableSpec]] = {
    spec.name: spec
    for spec in (
        TICKS,
        BARS,
        INDICATOR_VALUES,
        INTENTS,
        RISK_DECISIONS,
        RISK_VIOLATIONS,
        ORDERS,
        ORDER_EVENTS,
        FILLS,
        POSITIONS,
        PNL,
        DEAD_LETTERS,
    )
}

# Which of two changes to one order is newer: a terminal status (rank 4) beats any other,
# then the later event time, then further along the lifecycle, then more filled. On a tie
# the later write wins. The database applies the same rule (streams.sink.statements).
TERMINAL_RANK: Final = 4
# Columns that keep their earliest non-null value instead of the newest.
ORDER_EARLIEST_COLUMNS: Final = ("submitted_time",)


def order_precedence(values: Sequence[object]) -> tuple[bool, datetime, int, Decimal]:
    """Sort key of an ``orders`` row: larger means newer (see the rule above)."""
    rank, time, cumulative = values[_STATUS_RANK], values[_TIME], values[_CUMULATIVE]
    if not isinstance(rank, int) or not isinstance(time, datetime):
        raise TypeError(f"orders row needs an int status_rank and a time: {values!r}")
    if not isinstance(cumulative, Decimal):
        cumulative = Decimal(0)
    return (rank >= TERMINAL_RANK, time, rank, cumulative)


def merge_order_rows(rows: Iterable[TableRow]) -> list[TableRow]:
    """Fold several changes to the same order (one batch) into one row per order.

    Changes are applied oldest first (:func:`order_precedence`); a newer change overwrites a
    column unless its value is null; ``submitted_time`` keeps the earliest value. The
    database applies the same rule in ``ON CONFLICT DO UPDATE``, so the result does not
    depend on how the changes were split into batches.
    """
    key_idx = [ORDERS.index(c) for c in ORDERS.key]
    earliest_idx = {ORDERS.index(c) for c in ORDER_EARLIEST_COLUMNS}
    merged: dict[tuple[object, ...], list[object]] = {}
    for row in sorted(rows, key=lambda r: order_precedence(r.values)):
        key = tuple(row.values[i] for i in key_idx)
        current = merged.get(key)
        if current is None:
            merged[key] = list(row.values)
            continue
        for i, value in enumerate(row.values):
            if value is None:
                continue
            previous = current[i]
            if i in earliest_idx and isinstance(previous, datetime):
                if isinstance(value, datetime) and value < previous:
                    current[i] = value
                continue
            current[i] = value
    return [TableRow(ORDERS.name, tuple(values)) for values in merged.values()]


_TIME: Final = ORDERS.index("time")
_STATUS_RANK: Final = ORDERS.index("status_rank")
_CUMULATIVE: Final = ORDERS.index("cumulative_quantity")
