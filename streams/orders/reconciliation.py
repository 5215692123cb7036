"""Reconciliation with the venue: compare its report of an order with ours, book what we missed.

After a restart or recovery the order manager queries every open order (order.command QUERY)
and waits up to ``reconcile_timeout`` for the STATUS answers. Each answer is compared with the
order as we know it (:func:`compare`):

* the venue filled more than we booked -> book the difference (a missed fill);
* the venue closed the order (filled, canceled, expired, rejected) -> book the close;
* the venue acknowledged an order we still hold as NEW -> book the ack;
* the venue does not know an order we never saw acknowledged -> submit it again (same client
  order id, so a venue that did get it answers with a duplicate STATUS instead);
* anything else (the venue filled *less* than we booked, an order we saw acknowledged is
  unknown there, an order we closed is open there) is a **mismatch**.

Positions too (:mod:`streams.orders.positions`): the manager asks the venue for the net
positions of every (account, venue) it knows (order.command POSITIONS) and, once every report
is complete and every order query answered (so the fills those answers book count), compares
them with its own ledger. Equal -> fine; different -> a **position mismatch**, which puts the
manager in REFUSING at once (a later order event cannot explain a point-in-time report).

A query or position report unanswered, or an order mismatch unresolved, ``reconcile_timeout``
after it began puts the manager in REFUSING: no new orders, with the reason as a
:class:`ReconciliationError` text (``refusal``) for the agent's log and readiness endpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from streams.clock import from_micros, to_micros
from streams.decimals import q
from streams.errors import ReconciliationError
from streams.orders.lifecycle import OrderStatus
from streams.orders.managed_order import NIL, ManagedOrder


class TradingMode(StrEnum):
    """Whether the order manager sends new orders."""

    ACTIVE = "ACTIVE"
    RECONCILING = "RECONCILING"
    REFUSING = "REFUSING"


@dataclass(frozen=True, slots=True)
class Comparison:
    """What a venue report means for our copy of the order."""

    missed_fill: Decimal = NIL
    new_status: OrderStatus | None = None
    resubmit: bool = False
    mismatch: str | None = None


def compare(order: ManagedOrder, report: dict[str, Any]) -> Comparison:
    """Compare a venue STATUS report with ``order`` (see the module docstring)."""
    venue_status = OrderStatus(report.get("order_status") or OrderStatus.UNKNOWN.value)
    venue_filled = q(report["cumulative_quantity"])
    coid = order.client_order_id
    if venue_status is OrderStatus.UNKNOWN:
        if order.status is OrderStatus.NEW and order.filled == NIL:
            return Comparison(resubmit=True)
        return Comparison(
            mismatch=f"{coid}: the venue does not know an order we hold as {order.status}"
        )
    if venue_filled < order.filled:
        return Comparison(
            mismatch=f"{coid}: the venue reports {venue_filled} filled, we booked {order.filled}"
        )
    if order.status.terminal and venue_status.open:
        return Comparison(
            mismatch=f"{coid}: we hold the order as {order.status}, the venue as {venue_status}"
        )
    missed = q(venue_filled - order.filled)
    new_status: OrderStatus | None = None
    if venue_status != order.status and not order.status.terminal:
        new_status = venue_status
    return Comparison(missed_fill=missed, new_status=new_status)


@dataclass(slots=True)
class PositionRequest:
    """One POSITIONS request: whose positions, and the venue's report so far."""

    account: str
    venue: str
    positions: dict[str, Decimal] = field(default_factory=dict)
    complete: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "venue": self.venue,
            "positions": {i: str(p) for i, p in sorted(self.positions.items())},
            "complete": self.complete,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PositionRequest:
        return cls(
            account=data["account"],
            venue=data["venue"],
            positions={i: q(p) for i, p in data["positions"].items()},
            complete=bool(data["complete"]),
        )


@dataclass(frozen=True, slots=True)
class PositionMismatch:
    """A net position the venue reports differently from our booked fills."""

    account: str
    venue: str
    instrument: str
    venue_position: Decimal
    message: str

    def to_json(self) -> list[str]:
        return [self.account, self.venue, self.instrument, str(self.venue_position), self.message]

    @classmethod
    def from_json(cls, data: list[str]) -> PositionMismatch:
        account, venue, instrument, position, message = data
        return cls(account, venue, instrument, q(position), message)


@dataclass(slots=True)
class Reconciliation:
    """Progress of a reconciliation and any mismatch still open."""

    mode: TradingMode = TradingMode.ACTIVE
    awaiting: set[str] = field(default_factory=set)
    deadline: datetime | None = None
    mismatches: dict[str, str] = field(default_factory=dict)
    mismatch_since: datetime | None = None
    refusal: str | None = None
    position_requests: dict[str, PositionRequest] = field(default_factory=dict)
    """POSITIONS request id -> the report so far; dropped once compared."""
    position_mismatches: list[PositionMismatch] = field(default_factory=list)

    def begin(self) -> None:
        """Start a reconciliation (after a restore): queries go out at the next timer."""
        self.mode = TradingMode.RECONCILING
        self.awaiting = set()
        self.deadline = None
        self.position_requests = {}

    @property
    def pending_start(self) -> bool:
        return self.mode is TradingMode.RECONCILING and self.deadline is None

    def start(
        self,
        now: datetime,
        timeout_seconds: float,
        queried: set[str],
        requests: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        """Queries (client order ids) and POSITIONS requests (id -> (account, venue)) sent."""
        self.awaiting = set(queried)
        self.position_requests = {
            rid: PositionRequest(account, venue)
            for rid, (account, venue) in (requests or {}).items()
        }
        self.deadline = now + timedelta(seconds=timeout_seconds)

    @property
    def positions_awaiting(self) -> list[PositionRequest]:
        return [r for r in self.position_requests.values() if not r.complete]

    def reports_to_compare(self) -> list[PositionRequest]:
        """Every report, once all are complete and no order query is unanswered; else none."""
        if self.awaiting or self.positions_awaiting:
            return []
        return list(self.position_requests.values())

    def positions_compared(self, mismatches: list[PositionMismatch]) -> None:
        self.position_requests = {}
        self.position_mismatches = list(mismatches)

    def answered(self, coid: str, mismatch: str | None, at: datetime) -> None:
        self.awaiting.discard(coid)
        if mismatch is None:
            self.mismatches.pop(coid, None)
        else:
            self.mismatches[coid] = mismatch
            if self.mismatch_since is None:
                self.mismatch_since = at

    def settle(self, now: datetime, timeout_seconds: float) -> bool:
        """Move between modes as answers and time allow; True if trading just (re)started."""
        if not self.mismatches:
            self.mismatch_since = None
        clear = not (
            self.awaiting or self.mismatches or self.position_requests or self.position_mismatches
        )
        if self.mode is TradingMode.RECONCILING and clear:
            if self.deadline is None:
                return False
            self._activate()
            return True
        if self.mode is TradingMode.REFUSING and clear:
            self._activate()
            return True
        unanswered = bool(self.awaiting) or bool(self.positions_awaiting)
        overdue = self.deadline is not None and now >= self.deadline and unanswered
        stale = self.mismatch_since is not None and now >= self.mismatch_since + timedelta(
            seconds=timeout_seconds
        )
        if overdue or stale or self.position_mismatches:
            self.mode = TradingMode.REFUSING
            self.refusal = self._message()
        return False

    def override(self) -> None:
        """An operator accepts the venue's view (CLEAR_HALT GLOBAL): trade again."""
        self.awaiting.clear()
        self.mismatches.clear()
        self.position_requests.clear()
        self.position_mismatches.clear()
        self._activate()

    def error(self) -> ReconciliationError | None:
        """The refusal as an error, for logs and readiness; None when not refusing."""
        if self.mode is not TradingMode.REFUSING or self.refusal is None:
            return None
        return ReconciliationError(self.refusal)

    def _activate(self) -> None:
        self.mode = TradingMode.ACTIVE
        self.deadline = None
        self.mismatch_since = None
        self.refusal = None

    def _message(self) -> str:
        parts: list[str] = []
        if self.awaiting:
            parts.append(
                f"no answer from the venue for {len(self.awaiting)} open order(s): "
                + ", ".join(sorted(self.awaiting))
            )
        parts.extend(
            f"no position report from the venue for account {r.account} at {r.venue}"
            for r in self.positions_awaiting
        )
        parts.extend(self.mismatches[c] for c in sorted(self.mismatches))
        parts.extend(m.message for m in self.position_mismatches)
        return (
            "order manager refuses new orders: orders or positions disagree with the venue; "
            + "; ".join(parts)
            + ". Fix the venue or book by hand, then send system.control CLEAR_HALT GLOBAL."
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "mode": self.mode.value,
                "awaiting": sorted(self.awaiting),
                "deadline": None if self.deadline is None else to_micros(self.deadline),
                "mismatches": self.mismatches,
                "mismatch_since": None
                if self.mismatch_since is None
                else to_micros(self.mismatch_since),
                "refusal": self.refusal,
                "position_requests": {
                    rid: r.to_json() for rid, r in sorted(self.position_requests.items())
                },
                "position_mismatches": [m.to_json() for m in self.position_mismatches],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Reconciliation:
        data = json.loads(text)
        return cls(
            mode=TradingMode(data["mode"]),
            awaiting=set(data["awaiting"]),
            deadline=None if data["deadline"] is None else from_micros(data["deadline"]),
            mismatches=dict(data["mismatches"]),
            mismatch_since=None
            if data["mismatch_since"] is None
            else from_micros(data["mismatch_since"]),
            refusal=data["refusal"],
            position_requests={
                rid: PositionRequest.from_json(r)
                for rid, r in data.get("position_requests", {}).items()
            },
            position_mismatches=[
                PositionMismatch.from_json(m) for m in data.get("position_mismatches", [])
            ],
        )
