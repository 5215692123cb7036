"""An order resting at a simulated venue, and the order.event values that report on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from streams.clock import from_micros, to_micros
from streams.decimals import ZERO, q
from streams.orders.lifecycle import EventKind, OrderStatus

NIL: Final = q(0)
"""Zero at the platform scale."""


@dataclass(slots=True)
class SimOrder:
    """One order at the venue: what was asked, what was filled, where it is."""

    client_order_id: str
    venue_order_id: str
    account: str
    strategy: str
    instrument: str
    venue: str
    side: str
    quantity: Decimal
    order_type: str
    limit_price: Decimal | None
    time_in_force: str
    active_at: datetime
    status: OrderStatus = OrderStatus.ACKNOWLEDGED
    filled: Decimal = NIL
    notional: Decimal = NIL
    fills: int = 0
    looked: bool = False
    """True once a print at or after activation was seen (the first look is over)."""

    @property
    def leaves(self) -> Decimal:
        return NIL if self.status.terminal else max(self.quantity - self.filled, NIL)

    @property
    def average_price(self) -> Decimal | None:
        return q(self.notional / self.filled) if self.filled > ZERO else None

    def event(
        self,
        envelope: dict[str, Any],
        kind: EventKind,
        *,
        fill_quantity: Decimal | None = None,
        fill_price: Decimal | None = None,
        trade_id: str | None = None,
        fee: Decimal | None = None,
        fee_currency: str | None = None,
        liquidity: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """An order.event value for this order as it is now."""
        return {
            "envelope": envelope,
            "client_order_id": self.client_order_id,
            "venue_order_id": self.venue_order_id,
            "account": self.account,
            "strategy": self.strategy,
            "instrument": self.instrument,
            "venue": self.venue,
            "kind": kind.value,
            "side": self.side,
            "order_quantity": self.quantity,
            "fill_quantity": fill_quantity,
            "fill_price": fill_price,
            "trade_id": trade_id,
            "cumulative_quantity": self.filled,
            "leaves_quantity": self.leaves,
            "fee": fee,
            "fee_currency": fee_currency,
            "liquidity": liquidity,
            "reason": reason,
            "order_status": self.status.value,
            "average_price": self.average_price,
            "position_quantity": None,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "client_order_id": self.client_order_id,
            "venue_order_id": self.venue_order_id,
            "account": self.account,
            "strategy": self.strategy,
            "instrument": self.instrument,
            "venue": self.venue,
            "side": self.side,
            "quantity": str(self.quantity),
            "order_type": self.order_type,
            "limit_price": None if self.limit_price is None else str(self.limit_price),
            "time_in_force": self.time_in_force,
            "active_at": to_micros(self.active_at),
            "status": self.status.value,
            "filled": str(self.filled),
            "notional": str(self.notional),
            "fills": self.fills,
            "looked": self.looked,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SimOrder:
        return cls(
            client_order_id=data["client_order_id"],
            venue_order_id=data["venue_order_id"],
            account=data["account"],
            strategy=data["strategy"],
            instrument=data["instrument"],
            venue=data["venue"],
            side=data["side"],
            quantity=q(data["quantity"]),
            order_type=data["order_type"],
            limit_price=None if data["limit_price"] is None else q(data["limit_price"]),
            time_in_force=data["time_in_force"],
            active_at=from_micros(data["active_at"]),
            status=OrderStatus(data["status"]),
            filled=q(data["filled"]),
            notional=q(data["notional"]),
            fills=int(data["fills"]),
            looked=bool(data["looked"]),
        )


def unknown_order_event(
    envelope: dict[str, Any], command: dict[str, Any], reason: str
) -> dict[str, Any]:
    """A STATUS event for an order the venue does not know (echoes the command's fields)."""
    return {
        "envelope": envelope,
        "client_order_id": command["client_order_id"],
        "venue_order_id": None,
        "account": command["account"],
        "strategy": command["strategy"],
        "instrument": command["instrument"],
        "venue": command["venue"],
        "kind": EventKind.STATUS.value,
        "side": command["side"],
        "order_quantity": q(command["quantity"]),
        "fill_quantity": None,
        "fill_price": None,
        "trade_id": None,
        "cumulative_quantity": NIL,
        "leaves_quantity": NIL,
        "fee": None,
        "fee_currency": None,
        "liquidity": None,
        "reason": reason,
        "order_status": OrderStatus.UNKNOWN.value,
        "average_price": None,
        "position_quantity": None,
    }
