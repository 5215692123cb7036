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

A query unanswered, or a mismatch unresolved, ``reconcile_timeout`` after it began puts the
manager in REFUSING: no new orders, with the reason as a :class:`ReconciliationError` text
(``refusal``) for the agent's log and readiness endpoint.
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
class Reconciliation:
    """Progress of a reconciliation and any mismatch still open."""

    mode: TradingMode = TradingMode.ACTIVE
    awaiting: set[str] = field(default_factory=set)
    deadline: datetime | None = None
    mismatches: dict[str, str] = field(default_factory=dict)
    mismatch_since: datetime | None = None
    refusal: str | None = None

    def begin(self) -> None:
        """Start a reconciliation (after a restore): queries go out at the next timer."""
        self.mode = TradingMode.RECONCILING
        self.awaiting = set()
        self.deadline = None

    @property
    def pending_start(self) -> bool:
        return self.mode is TradingMode.RECONCILING and self.deadline is None

    def start(self, now: datetime, timeout_seconds: float, queried: set[str]) -> None:
        self.awaiting = set(queried)
        self.deadline = now + timedelta(seconds=timeout_seconds)

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
        if self.mode is TradingMode.RECONCILING and not self.awaiting and not self.mismatches:
            if self.deadline is None:
                return False
            self._activate()
            return True
        if self.mode is TradingMode.REFUSING and not self.awaiting and not self.mismatches:
            self._activate()
            return True
        overdue = self.deadline is not None and now >= self.deadline and bool(self.awaiting)
        stale = self.mismatch_since is not None and now >= self.mismatch_since + timedelta(
            seconds=timeout_seconds
        )
        if overdue or stale:
            self.mode = TradingMode.REFUSING
            self.refusal = self._message()
        return False

    def override(self) -> None:
        """An operator accepts the venue's view (CLEAR_HALT GLOBAL): trade again."""
        self.awaiting.clear()
        self.mismatches.clear()
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
        parts.extend(self.mismatches[c] for c in sorted(self.mismatches))
        return (
            "order manager refuses new orders: orders disagree with the venue; "
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
        )
