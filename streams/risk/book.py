"""What the risk gate knows about the book: positions, open orders and last prices.

Fed from ``order.event`` (fills move positions by the increase of ``cumulative_quantity``, so
a re-delivered fill moves nothing), the gate's own approvals (counted as open orders from the
moment they are approved, under the client order id the order manager will derive) and market
data (recent prices per instrument by event time, :mod:`streams.risk.prices`). Pure data with a
JSON form for snapshots.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from streams.clock import from_micros, to_micros
from streams.decimals import ZERO, q
from streams.errors import ProcessingError
from streams.orders.lifecycle import EventKind, OrderStatus
from streams.risk.prices import DEFAULT_CAPACITY, PriceHistory

_CLOSING_KINDS: Final = frozenset(
    {EventKind.FILL, EventKind.CANCELED, EventKind.REJECTED, EventKind.EXPIRED}
)
_TERMINAL_STATUS_NAMES: Final = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
MAX_CLOSED_ORDERS: Final = 10_000

PositionKey = tuple[str, str, str]
"""(account, strategy, instrument)."""


def side_sign(side: str) -> int:
    """+1 for BUY, -1 for SELL."""
    return 1 if side == "BUY" else -1


@dataclass(slots=True)
class OpenOrder:
    """An order the gate counts against limits until the venue closes it."""

    account: str
    strategy: str
    instrument: str
    side: str
    quantity: Decimal
    filled: Decimal
    price: Decimal | None
    approved_at: datetime | None
    """Event time of the approval; ``None`` once any venue event for it was seen."""

    @property
    def leaves(self) -> Decimal:
        return max(self.quantity - self.filled, ZERO)

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "strategy": self.strategy,
            "instrument": self.instrument,
            "side": self.side,
            "quantity": str(self.quantity),
            "filled": str(self.filled),
            "price": None if self.price is None else str(self.price),
            "approved_at": None if self.approved_at is None else to_micros(self.approved_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OpenOrder:
        return cls(
            account=data["account"],
            strategy=data["strategy"],
            instrument=data["instrument"],
            side=data["side"],
            quantity=q(data["quantity"]),
            filled=q(data["filled"]),
            price=None if data["price"] is None else q(data["price"]),
            approved_at=None if data["approved_at"] is None else from_micros(data["approved_at"]),
        )


class RiskBook:
    """Positions, open orders and recent prices as the gate sees them."""

    def __init__(self, price_capacity: int = DEFAULT_CAPACITY) -> None:
        self.positions: dict[PositionKey, Decimal] = {}
        self.open_orders: dict[str, OpenOrder] = {}
        self.closed: OrderedDict[str, Decimal] = OrderedDict()
        self.prices = PriceHistory(price_capacity)

    # -- updates ---------------------------------------------------------------------------

    def add_approval(self, client_order_id: str, order: OpenOrder) -> None:
        self.open_orders[client_order_id] = order

    def expire_pending(self, now: datetime, ttl_seconds: float) -> list[str]:
        """Drop approvals no venue event has confirmed within ``ttl_seconds`` of event time."""
        stale = [
            coid
            for coid, order in self.open_orders.items()
            if order.approved_at is not None
            and (now - order.approved_at).total_seconds() > ttl_seconds
        ]
        for coid in stale:
            del self.open_orders[coid]
        return stale

    def apply_order_event(self, value: dict[str, Any]) -> None:
        """Book a venue event: fills move the position, closing events close the order."""
        kind = EventKind(value["kind"])
        if kind is EventKind.POSITION:
            return  # a venue's position report (reconciliation), not about an order
        coid = str(value["client_order_id"])
        cumulative = q(value["cumulative_quantity"])
        key: PositionKey = (str(value["account"]), str(value["strategy"]), str(value["instrument"]))
        sign = side_sign(str(value["side"]))
        status = value.get("order_status")
        closing = kind in _CLOSING_KINDS or (
            kind is EventKind.STATUS and status in _TERMINAL_STATUS_NAMES
        )
        order = self.open_orders.get(coid)
        if order is None:
            known = self.closed.get(coid)
            if known is not None or closing:
                self._move(key, sign, cumulative - (known if known is not None else ZERO))
                self._close(coid, max(cumulative, known if known is not None else ZERO))
                return
            if kind is EventKind.STATUS:
                return  # a report on an order we never counted (e.g. UNKNOWN): nothing open
            order = OpenOrder(
                account=key[0],
                strategy=key[1],
                instrument=key[2],
                side=str(value["side"]),
                quantity=q(value["order_quantity"]),
                filled=ZERO,
                price=None if value.get("fill_price") is None else q(value["fill_price"]),
                approved_at=None,
            )
            self.open_orders[coid] = order
        order.approved_at = None
        if cumulative > order.filled:
            self._move(key, sign, cumulative - order.filled)
            order.filled = cumulative
        if closing:
            del self.open_orders[coid]
            self._close(coid, order.filled)

    def record_price(self, instrument: str, at: datetime, price: Decimal) -> None:
        """A trade or bar close of ``instrument`` stamped ``at`` (event time)."""
        self.prices.record(instrument, at, price)

    def price_at(self, instrument: str, at: datetime) -> Decimal | None:
        """The latest price of ``instrument`` stamped at or before ``at``; never a later one."""
        return self.prices.at_or_before(instrument, at)

    def _move(self, key: PositionKey, sign: int, delta: Decimal) -> None:
        if delta <= ZERO:
            return
        self.positions[key] = q(self.positions.get(key, ZERO) + sign * delta)

    def _close(self, coid: str, cumulative: Decimal) -> None:
        self.closed[coid] = cumulative
        self.closed.move_to_end(coid)
        while len(self.closed) > MAX_CLOSED_ORDERS:
            self.closed.popitem(last=False)

    # -- measures --------------------------------------------------------------------------

    def position(self, key: PositionKey) -> Decimal:
        return self.positions.get(key, ZERO)

    def open_same_side(self, key: PositionKey, side: str) -> Decimal:
        """Signed leaves of the open orders of ``key`` on ``side`` (worst case if all fill)."""
        total = ZERO
        for order in self.open_orders.values():
            if (order.account, order.strategy, order.instrument) == key and order.side == side:
                total += order.leaves
        return total * side_sign(side)

    def open_order_count(self, account: str, strategy: str) -> int:
        return sum(
            1 for o in self.open_orders.values() if o.account == account and o.strategy == strategy
        )

    def gross_exposure(
        self, account: str, at: datetime, priced: tuple[str, Decimal] | None = None
    ) -> Decimal:
        """|position| x price over the account, plus the notional of its open orders, each
        instrument priced as of ``at`` (:meth:`price_at`); ``priced`` = (instrument, price)
        overrides that for one instrument (the intent's own reference price)."""

        def price_of(instrument: str) -> Decimal | None:
            if priced is not None and priced[0] == instrument:
                return priced[1]
            return self.price_at(instrument, at)

        total = ZERO
        for (acc, _strategy, instrument), quantity in self.positions.items():
            price = price_of(instrument) if acc == account else None
            if price is not None:
                total += abs(quantity) * price
        for order in self.open_orders.values():
            if order.account != account:
                continue
            price = order.price or price_of(order.instrument)
            if price is not None:
                total += order.leaves * price
        return q(total)

    # -- snapshot --------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "positions": [[*k, str(v)] for k, v in sorted(self.positions.items())],
                "open_orders": {c: o.to_json() for c, o in self.open_orders.items()},
                "closed": [[c, str(v)] for c, v in self.closed.items()],
                "prices": self.prices.to_json(),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str, price_capacity: int = DEFAULT_CAPACITY) -> RiskBook:
        """Rebuild from :meth:`to_json`. A book written before prices were stamped (it has
        ``last_prices`` instead of ``prices``) restores each last price stamped at the epoch
        (:data:`streams.risk.prices.LEGACY_TIME`); a book with neither is refused."""
        data = json.loads(text)
        book = cls(price_capacity)
        book.positions = {(a, s, i): q(v) for a, s, i, v in data["positions"]}
        book.open_orders = {c: OpenOrder.from_json(o) for c, o in data["open_orders"].items()}
        book.closed = OrderedDict((c, q(v)) for c, v in data["closed"])
        if "prices" in data:
            book.prices = PriceHistory.from_json(data["prices"], price_capacity)
        elif "last_prices" in data:
            book.prices = PriceHistory.from_legacy(data["last_prices"], price_capacity)
        else:
            raise ProcessingError("risk book snapshot has neither 'prices' nor 'last_prices'")
        return book
