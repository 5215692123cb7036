"""An order as the order manager tracks it, with its JSON form for snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from streams.clock import from_micros, to_micros
from streams.decimals import q
from streams.orders.lifecycle import OrderStatus

NIL: Final = q(0)


@dataclass(slots=True)
class ManagedOrder:
    """One order from its approval to a terminal state."""

    client_order_id: str
    decision_id: str
    correlation_id: str | None
    decided_at: datetime
    ingested_at: datetime
    account: str
    strategy: str
    instrument: str
    venue: str
    side: str
    quantity: Decimal
    order_type: str
    limit_price: Decimal | None
    time_in_force: str
    status: OrderStatus = OrderStatus.NEW
    filled: Decimal = NIL
    trade_ids: list[str] = field(default_factory=list)
    held: bool = False
    """Approved during reconciliation: not sent until reconciliation succeeds."""
    last_sent_at: datetime | None = None
    """The timer's ``now`` when the wait for an answer began (first timer after the NEW, or
    the last QUERY); None until a timer has seen the order."""
    queries: int = 0
    cancel_requested: bool = False
    overfilled: bool = False

    @property
    def leaves(self) -> Decimal:
        return NIL if self.status.terminal else max(self.quantity - self.filled, NIL)

    def cause(self) -> dict[str, Any]:
        """The approval's envelope fields that command envelopes derive from."""
        return {
            "event_id": self.decision_id,
            "event_time": self.decided_at,
            "ingest_time": self.ingested_at,
            "correlation_id": self.correlation_id,
        }

    def in_scope(self, scope_key: str) -> bool:
        """Whether a kill of ``GLOBAL``, ``STRATEGY:<s>`` or ``ACCOUNT:<a>`` covers it."""
        return scope_key in ("GLOBAL", f"STRATEGY:{self.strategy}", f"ACCOUNT:{self.account}")

    def to_json(self) -> dict[str, Any]:
        return {
            "client_order_id": self.client_order_id,
            "decision_id": self.decision_id,
            "correlation_id": self.correlation_id,
            "decided_at": to_micros(self.decided_at),
            "ingested_at": to_micros(self.ingested_at),
            "account": self.account,
            "strategy": self.strategy,
            "instrument": self.instrument,
            "venue": self.venue,
            "side": self.side,
            "quantity": str(self.quantity),
            "order_type": self.order_type,
            "limit_price": None if self.limit_price is None else str(self.limit_price),
            "time_in_force": self.time_in_force,
            "status": self.status.value,
            "filled": str(self.filled),
            "trade_ids": list(self.trade_ids),
            "held": self.held,
            "last_sent_at": None if self.last_sent_at is None else to_micros(self.last_sent_at),
            "queries": self.queries,
            "cancel_requested": self.cancel_requested,
            "overfilled": self.overfilled,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ManagedOrder:
        last_sent = data["last_sent_at"]
        return cls(
            client_order_id=data["client_order_id"],
            decision_id=data["decision_id"],
            correlation_id=data["correlation_id"],
            decided_at=from_micros(data["decided_at"]),
            ingested_at=from_micros(data["ingested_at"]),
            account=data["account"],
            strategy=data["strategy"],
            instrument=data["instrument"],
            venue=data["venue"],
            side=data["side"],
            quantity=q(data["quantity"]),
            order_type=data["order_type"],
            limit_price=None if data["limit_price"] is None else q(data["limit_price"]),
            time_in_force=data["time_in_force"],
            status=OrderStatus(data["status"]),
            filled=q(data["filled"]),
            trade_ids=list(data["trade_ids"]),
            held=bool(data["held"]),
            last_sent_at=None if last_sent is None else from_micros(last_sent),
            queries=int(data["queries"]),
            cancel_requested=bool(data["cancel_requested"]),
            overfilled=bool(data["overfilled"]),
        )
