"""Net positions for reconciliation: the order manager's ledger and the venue's position report.

On a restart or recovery the order manager sends one ``order.command`` POSITIONS per
(account, venue) it knows. The venue answers with one ``order.event`` POSITION per instrument
in which the account holds a non-zero net position (``position_quantity``, signed: long > 0)
and ends the report with a marker: a POSITION event whose instrument is :data:`ALL` (``*``)
and whose ``position_quantity`` is null. Every event of a report carries the command's
``client_order_id`` (the request id), so answers are matched to requests.

The order manager keeps its own net position per (account, venue, instrument) from the fills
it books (:class:`PositionLedger`) and compares it with the report (:func:`compare_positions`);
instruments missing from either side count as flat.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from streams.decimals import q
from streams.events import caused_by, derive_event_id
from streams.orders.lifecycle import CommandKind, EventKind

ALL: Final = "*"
"""Instrument of the end-of-report marker; strategy and instrument of a POSITIONS command."""
COMMAND_TOPIC: Final = "order.command"
EVENT_TOPIC: Final = "order.event"
NIL: Final = q(0)

PositionKey = tuple[str, str, str]
"""(account, venue, instrument)."""


def signed(side: str, quantity: Decimal) -> Decimal:
    """``quantity`` as a position change: positive for BUY, negative for SELL."""
    return q(quantity if side == "BUY" else -quantity)


class PositionLedger:
    """Net filled position per (account, venue, instrument), from booked fills."""

    def __init__(self, positions: Mapping[PositionKey, Decimal] | None = None) -> None:
        self.positions: dict[PositionKey, Decimal] = dict(positions or {})

    def book(self, account: str, venue: str, instrument: str, side: str, quantity: Decimal) -> None:
        key = (account, venue, instrument)
        self.positions[key] = q(self.positions.get(key, NIL) + signed(side, quantity))

    def adopt(self, account: str, venue: str, instrument: str, quantity: Decimal) -> None:
        """Take the venue's position (an operator accepted it)."""
        self.positions[(account, venue, instrument)] = q(quantity)

    def accounts(self) -> set[tuple[str, str]]:
        """Every (account, venue) with a booked fill."""
        return {(account, venue) for account, venue, _ in self.positions}

    def of(self, account: str, venue: str) -> dict[str, Decimal]:
        """Net position per instrument of one account at one venue."""
        return {i: p for (a, v, i), p in self.positions.items() if (a, v) == (account, venue)}

    def to_json(self) -> str:
        rows = [[a, v, i, str(p)] for (a, v, i), p in sorted(self.positions.items())]
        return json.dumps(rows, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> PositionLedger:
        return cls({(a, v, i): q(p) for a, v, i, p in json.loads(text)})


def compare_positions(
    account: str,
    venue: str,
    ours: Mapping[str, Decimal],
    theirs: Mapping[str, Decimal],
) -> dict[str, tuple[Decimal, str]]:
    """Instruments whose net positions differ: instrument -> (the venue's, a clear message)."""
    out: dict[str, tuple[Decimal, str]] = {}
    for instrument in sorted(set(ours) | set(theirs)):
        mine = q(ours.get(instrument, NIL))
        venues = q(theirs.get(instrument, NIL))
        if mine != venues:
            out[instrument] = (
                venues,
                f"position of account {account} in {instrument} at {venue}: "
                f"the venue reports {venues}, we booked {mine}",
            )
    return out


def positions_request_id(account: str, venue: str, round_: int) -> str:
    """The client order id (request id) of the POSITIONS command of one reconciliation."""
    return f"POS-{derive_event_id(account, venue, 'positions', round_)}"


def positions_command(
    account: str, venue: str, request_id: str, at: datetime, agent: str
) -> dict[str, Any]:
    """An order.command POSITIONS value: report the net positions of ``account``."""
    cause = {"event_id": request_id, "event_time": at, "ingest_time": at}
    return {
        "envelope": caused_by(cause, event_type=COMMAND_TOPIC, agent=agent),
        "command": CommandKind.POSITIONS.value,
        "client_order_id": request_id,
        "decision_id": None,
        "account": account,
        "strategy": ALL,
        "instrument": ALL,
        "venue": venue,
        "side": "BUY",
        "quantity": NIL,
        "order_type": "MARKET",
        "limit_price": None,
        "time_in_force": "GTC",
    }


def position_report(
    command: dict[str, Any],
    positions: Mapping[str, Decimal],
    *,
    agent: str,
    at: datetime | None = None,
) -> list[dict[str, Any]]:
    """The venue's answer to a POSITIONS command: one POSITION per non-flat instrument, then
    the end marker (instrument ``*``, ``position_quantity`` null)."""
    events: list[dict[str, Any]] = []
    held = {i: q(p) for i, p in sorted(positions.items()) if q(p) != NIL}
    for instrument, quantity in [*held.items(), (ALL, None)]:
        env = caused_by(
            command["envelope"],
            event_type=EVENT_TOPIC,
            agent=agent,
            discriminator=f"position:{instrument}",
            event_time=at,
        )
        events.append(
            {
                "envelope": env,
                "client_order_id": command["client_order_id"],
                "venue_order_id": None,
                "account": command["account"],
                "strategy": ALL,
                "instrument": instrument,
                "venue": command["venue"],
                "kind": EventKind.POSITION.value,
                "side": "SELL" if quantity is not None and quantity < 0 else "BUY",
                "order_quantity": NIL if quantity is None else abs(quantity),
                "fill_quantity": None,
                "fill_price": None,
                "trade_id": None,
                "cumulative_quantity": NIL,
                "leaves_quantity": NIL,
                "fee": None,
                "fee_currency": None,
                "liquidity": None,
                "reason": f"END_OF_POSITIONS: {len(held)}" if quantity is None else None,
                "order_status": None,
                "average_price": None,
                "position_quantity": quantity,
            }
        )
    return events
