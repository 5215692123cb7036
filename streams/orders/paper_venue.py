"""A paper venue: every order fills at the last price it was given, no market impact.

Market orders fill in full at the last price when submitted (REJECTED ``NO_PRICE`` before any
price). A limit order fills in full at the last price as soon as that price is at or better
than its limit (on submit or on a later :meth:`PaperVenue.mark`); IOC and FOK orders that
cannot fill on submit expire. Fees are ``fee_bps`` of the notional. Useful for dry runs of a
strategy against live prices without an exchange simulation.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from streams.decimals import q
from streams.events import caused_by, derive_event_id
from streams.exchange.market_data import last_price
from streams.exchange.sim_order import SimOrder, unknown_order_event
from streams.orders.lifecycle import EventKind, OrderStatus
from streams.orders.positions import signed

PAPER: Final = "PAPER"
_BPS: Final = Decimal(10_000)


class PaperVenue:
    """Implements :class:`streams.orders.venue.VenuePort`."""

    def __init__(self, *, venue: str = PAPER, fee_bps: Decimal = Decimal(0)) -> None:
        self._venue = venue
        self._fee_bps = fee_bps
        self._orders: dict[str, SimOrder] = {}
        self._prices: dict[str, tuple[Decimal, dict[str, Any]]] = {}
        self._positions: dict[tuple[str, str], Decimal] = {}

    @property
    def venue(self) -> str:
        return self._venue

    @property
    def simulated(self) -> bool:
        return True

    def mark(self, topic: str, value: dict[str, Any]) -> list[dict[str, Any]]:
        """Take the last price from an md.tick/md.bar value; fill resting limits it crosses."""
        price = last_price(topic, value)
        if price is None:
            return []
        self._prices[price.instrument] = (price.price, value["envelope"])
        events: list[dict[str, Any]] = []
        for order in list(self._orders.values()):
            if order.instrument == price.instrument and order.status.open:
                events.extend(self._try_fill(order, value["envelope"], price.time))
        return events

    def submit(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        cause = command["envelope"]
        coid = str(command["client_order_id"])
        if coid in self._orders:
            return [self._status(self._orders[coid], cause, "DUPLICATE_CLIENT_ORDER_ID")]
        limit = command.get("limit_price")
        order = SimOrder(
            client_order_id=coid,
            venue_order_id=f"{self._venue}-{derive_event_id(self._venue, coid)}",
            account=str(command["account"]),
            strategy=str(command["strategy"]),
            instrument=str(command["instrument"]),
            venue=str(command["venue"]),
            side=str(command["side"]),
            quantity=q(command["quantity"]),
            order_type=str(command["order_type"]),
            limit_price=None if limit is None else q(limit),
            time_in_force=str(command["time_in_force"]),
            active_at=cause["event_time"],
        )
        self._orders[coid] = order
        env = caused_by(cause, event_type="order.event", agent=self._venue.lower())
        if order.instrument not in self._prices and order.order_type == "MARKET":
            order.status = OrderStatus.REJECTED
            return [order.event(env, EventKind.REJECTED, reason="NO_PRICE: no price given yet")]
        events = [order.event(env, EventKind.ACK)]
        events.extend(self._try_fill(order, cause, cause["event_time"]))
        if order.status.open and order.time_in_force in ("IOC", "FOK"):
            order.status = OrderStatus.EXPIRED
            expired = caused_by(
                cause, event_type="order.event", agent=self._venue.lower(), discriminator="exp"
            )
            events.append(order.event(expired, EventKind.EXPIRED, reason="not fillable at once"))
        return events

    def cancel(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        cause = command["envelope"]
        order = self._orders.get(str(command["client_order_id"]))
        if order is None:
            env = caused_by(cause, event_type="order.event", agent=self._venue.lower())
            return [unknown_order_event(env, command, "UNKNOWN_ORDER")]
        if not order.status.open:
            return [self._status(order, cause, f"CANCEL_REJECTED: order is {order.status}")]
        order.status = OrderStatus.CANCELED
        env = caused_by(cause, event_type="order.event", agent=self._venue.lower())
        return [order.event(env, EventKind.CANCELED, reason="canceled by client")]

    def query(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        order = self._orders.get(str(command["client_order_id"]))
        if order is None:
            env = caused_by(
                command["envelope"], event_type="order.event", agent=self._venue.lower()
            )
            return [unknown_order_event(env, command, "UNKNOWN_ORDER")]
        return [self._status(order, command["envelope"], None)]

    def open_orders(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for order in self._orders.values():
            if order.status.open:
                cause = {
                    "event_id": order.venue_order_id,
                    "event_time": order.active_at,
                    "ingest_time": order.active_at,
                }
                events.append(self._status(order, cause, None))
        return events

    def positions(self, account: str) -> dict[str, Decimal]:
        return {i: p for (a, i), p in self._positions.items() if a == account}

    def _try_fill(
        self, order: SimOrder, cause: dict[str, Any], at: datetime
    ) -> list[dict[str, Any]]:
        known = self._prices.get(order.instrument)
        if known is None:
            return []
        price = known[0]
        limit = order.limit_price
        if limit is not None and (price > limit if order.side == "BUY" else price < limit):
            return []
        quantity = order.leaves
        order.fills += 1
        order.filled = q(order.filled + quantity)
        key = (order.account, order.instrument)
        self._positions[key] = q(self._positions.get(key, q(0)) + signed(order.side, quantity))
        order.notional = q(order.notional + quantity * price)
        order.status = OrderStatus.FILLED
        trade_id = f"{self._venue}-T-{derive_event_id(order.client_order_id, order.fills)}"
        env = caused_by(
            cause,
            event_type="order.event",
            agent=self._venue.lower(),
            discriminator=trade_id,
            event_time=at,
        )
        return [
            order.event(
                env,
                EventKind.FILL,
                fill_quantity=quantity,
                fill_price=price,
                trade_id=trade_id,
                fee=q(quantity * price * self._fee_bps / _BPS),
                fee_currency="USD",
                liquidity="TAKER",
            )
        ]

    def _status(self, order: SimOrder, cause: dict[str, Any], reason: str | None) -> dict[str, Any]:
        env = caused_by(
            cause, event_type="order.event", agent=self._venue.lower(), discriminator="status"
        )
        return order.event(env, EventKind.STATUS, reason=reason)
