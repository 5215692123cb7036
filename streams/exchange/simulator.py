"""The simulated exchange: order commands in, venue events out, matched on market data.

``order.command`` NEW is validated (REJECTED with a reason, or ACK at command time + latency),
then matched against the prints of ``md.tick`` (trades) or ``md.bar`` (``fill_on``) whose time
is at or after its activation, in arrival order of orders: each print's volume x
``max_volume_share`` is shared by the orders it fills. CANCEL cancels an open order (a refused
cancel answers STATUS), QUERY answers STATUS, POSITIONS (for this venue) answers the account's
net filled positions (:func:`streams.orders.positions.position_report`). IOC fills what the
first print allows and expires the rest; FOK fills completely on the first print or expires;
DAY expires at the first print at or after the next UTC midnight. Trade ids and event ids
derive from the order and fill number, so the same input gives the same output
(docs/exchange.md). The last prints of every
instrument are kept (:mod:`streams.exchange.recent`): an order that arrives after prints at or
after its activation trades on them as if it had been there, so fills do not depend on the
arrival order of commands and market data.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Final

from streams.decimals import ZERO, q
from streams.errors import ProcessingError
from streams.events import caused_by, derive_event_id
from streams.exchange.config import ExchangeConfig
from streams.exchange.market_data import BAR_TOPIC, TICK_TOPIC, bar_from_value, trade_from_tick
from streams.exchange.matching import Print, fee, fill_price, reach
from streams.exchange.recent import RecentPrint, RecentPrints, reduced_cause
from streams.exchange.sim_order import SimOrder, unknown_order_event
from streams.orders.lifecycle import CommandKind, EventKind, OrderStatus
from streams.orders.positions import position_report, signed
from streams.runtime.processor import Output, Processor, Record

COMMAND_TOPIC: Final = "order.command"
EVENT_TOPIC: Final = "order.event"
MAX_CLOSED_ORDERS: Final = 50_000

SIM_EXCHANGE_STATE_SCHEMA: Final[dict[str, Any]] = {
    "type": "record",
    "name": "SimExchangeState",
    "namespace": "tapewire.exchange.state",
    "fields": [
        {"name": "open_orders", "type": "string", "doc": "JSON list of open orders"},
        {"name": "closed_orders", "type": "string", "doc": "JSON list of recent closed orders"},
        {"name": "rejected", "type": "long"},
        {
            "name": "recent_prints",
            "type": "string",
            "default": "{}",
            "doc": "JSON: recent prints per instrument with the liquidity they have left",
        },
        {"name": "late_matches", "type": "long", "default": 0},
        {"name": "late_orders_beyond_buffer", "type": "long", "default": 0},
        {
            "name": "positions",
            "type": "string",
            "default": "",
            "doc": "JSON [[account, instrument, net], ...]: net filled position (long > 0); "
            "empty in snapshots from before it was kept (rebuilt from the orders)",
        },
    ],
}


def _utc_midnight_after(when: datetime) -> datetime:
    day = when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=1)


class SimExchange(Processor):
    """A deterministic exchange simulator (venue ``config.venue``, default SIM)."""

    name: ClassVar[str] = "sim_exchange"
    inputs: ClassVar[tuple[str, ...]] = (COMMAND_TOPIC, TICK_TOPIC, BAR_TOPIC)
    outputs: ClassVar[tuple[str, ...]] = (EVENT_TOPIC,)
    broadcast: ClassVar[tuple[str, ...]] = (TICK_TOPIC, BAR_TOPIC)
    state_schema: ClassVar[dict[str, Any] | None] = SIM_EXCHANGE_STATE_SCHEMA

    def __init__(self, config: ExchangeConfig | None = None) -> None:
        self.config = config or ExchangeConfig()
        self.open: dict[str, SimOrder] = {}
        self.closed: OrderedDict[str, SimOrder] = OrderedDict()
        self.rejected = 0
        self.recent = RecentPrints(self.config.recent_prints)
        self.late_matches = 0
        """Buffered prints matched by orders that arrived after them."""
        self.late_orders_beyond_buffer = 0
        """Orders activated before prints the buffer had already evicted."""
        self.positions: dict[tuple[str, str], Decimal] = {}
        """Net filled position per (account, instrument): long > 0."""

    # -- dispatch --------------------------------------------------------------------------

    def process(self, record: Record) -> list[Output]:
        if record.topic == COMMAND_TOPIC:
            return [Output(EVENT_TOPIC, str(v["account"]), v) for v in self.command(record.value)]
        return [Output(EVENT_TOPIC, str(v["account"]), v) for v in self.market(record)]

    def market(self, record: Record) -> list[dict[str, Any]]:
        """Match open orders against one market-data record; returns order.event values."""
        value = record.value
        if record.topic == TICK_TOPIC:
            if self.config.fill_on != "trades":
                return []
            trade = trade_from_tick(value)
            if trade is None:
                return []
            market = Print(trade.price, trade.price, trade.price, trade.size, is_bar=False)
            return self._match(trade.instrument, market, trade.time, trade.time, value["envelope"])
        if record.topic == BAR_TOPIC:
            bar = bar_from_value(value)
            wanted = self.config.bar_interval_seconds
            if self.config.fill_on != "bars" or (
                wanted is not None and bar.interval_seconds != wanted
            ):
                return []
            market = Print(bar.open, bar.high, bar.low, bar.volume, is_bar=True)
            return self._match(bar.instrument, market, bar.start, bar.end, value["envelope"])
        raise ProcessingError(f"sim_exchange does not consume topic {record.topic!r}")

    # -- commands --------------------------------------------------------------------------

    def command(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        """Handle one order.command value; returns order.event values."""
        kind = CommandKind(command["command"])
        at = command["envelope"]["event_time"] + timedelta(milliseconds=self.config.latency_ms)
        if kind is CommandKind.POSITIONS:
            if command["venue"] != self.config.venue:
                return []  # another venue's account: not ours to report
            account = str(command["account"])
            return position_report(command, self.positions_of(account), agent=self.name, at=at)
        return self._order_command(kind, command, at)

    def _order_command(
        self, kind: CommandKind, command: dict[str, Any], at: datetime
    ) -> list[dict[str, Any]]:
        coid = str(command["client_order_id"])
        cause = command["envelope"]
        known = self.open.get(coid) or self.closed.get(coid)
        if kind is CommandKind.NEW:
            if known is not None:
                return [self._status(known, cause, at, "DUPLICATE_CLIENT_ORDER_ID")]
            return self._new(command, at)
        if known is None:
            env = caused_by(cause, event_type=EVENT_TOPIC, agent=self.name, event_time=at)
            return [unknown_order_event(env, command, "UNKNOWN_ORDER")]
        if kind is CommandKind.QUERY:
            return [self._status(known, cause, at, None)]
        if not known.status.open:
            return [self._status(known, cause, at, f"CANCEL_REJECTED: order is {known.status}")]
        known.status = OrderStatus.CANCELED
        self._close(known)
        env = caused_by(cause, event_type=EVENT_TOPIC, agent=self.name, event_time=at)
        return [known.event(env, EventKind.CANCELED, reason="canceled by client")]

    def _new(self, command: dict[str, Any], at: datetime) -> list[dict[str, Any]]:
        limit = command.get("limit_price")
        venue = self.config.venue
        order = SimOrder(
            client_order_id=str(command["client_order_id"]),
            venue_order_id=f"{venue}-{derive_event_id(venue, command['client_order_id'])}",
            account=str(command["account"]),
            strategy=str(command["strategy"]),
            instrument=str(command["instrument"]),
            venue=str(command["venue"]),
            side=str(command["side"]),
            quantity=q(command["quantity"]),
            order_type=str(command["order_type"]),
            limit_price=None if limit is None else q(limit),
            time_in_force=str(command["time_in_force"]),
            active_at=at,
        )
        env = caused_by(command["envelope"], event_type=EVENT_TOPIC, agent=self.name, event_time=at)
        problem = self._invalid(order)
        if problem is not None:
            self.rejected += 1
            order.status = OrderStatus.REJECTED
            self._close(order)
            return [order.event(env, EventKind.REJECTED, reason=problem)]
        self.open[order.client_order_id] = order
        return [order.event(env, EventKind.ACK), *self._catch_up(order)]

    def _invalid(self, order: SimOrder) -> str | None:
        if order.venue != self.config.venue:
            return f"WRONG_VENUE: this is {self.config.venue}, not {order.venue}"
        allowed = self.config.instruments
        if allowed is not None and order.instrument not in allowed:
            return f"UNKNOWN_INSTRUMENT: {order.instrument}"
        if order.quantity <= ZERO:
            return f"INVALID_QUANTITY: {order.quantity}"
        if order.order_type == "LIMIT" and (order.limit_price is None or order.limit_price <= 0):
            return "INVALID_PRICE: a LIMIT order needs a positive limit price"
        if order.order_type == "MARKET" and order.limit_price is not None:
            return "INVALID_PRICE: a MARKET order carries no limit price"
        return None

    def _status(
        self, order: SimOrder, cause: dict[str, Any], at: datetime, reason: str | None
    ) -> dict[str, Any]:
        env = caused_by(
            cause, event_type=EVENT_TOPIC, agent=self.name, discriminator="status", event_time=at
        )
        return order.event(env, EventKind.STATUS, reason=reason)

    # -- matching --------------------------------------------------------------------------

    def _match(
        self,
        instrument: str,
        market: Print,
        start: datetime,
        at: datetime,
        cause: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Fill, expire or skip each open order of ``instrument`` on one print, then keep it."""
        events: list[dict[str, Any]] = []
        recent = RecentPrint(
            market, start, at, reduced_cause(cause), q(market.volume * self.config.max_volume_share)
        )
        for order in [o for o in self.open.values() if o.instrument == instrument]:
            events.extend(self._match_order(order, recent))
        self.recent.add(instrument, recent)
        return events

    def _catch_up(self, order: SimOrder) -> list[dict[str, Any]]:
        """Match a new order against the buffered prints at or after its activation."""
        if self.recent.missed(order.instrument, order.active_at):
            self.late_orders_beyond_buffer += 1
        events: list[dict[str, Any]] = []
        for recent in self.recent.since(order.instrument, order.active_at):
            if not order.status.open:
                break
            self.late_matches += 1
            events.extend(self._match_order(order, recent))
        return events

    def _match_order(self, order: SimOrder, recent: RecentPrint) -> list[dict[str, Any]]:
        """Fill, expire or skip one open order on one print; takes from its liquidity."""
        market, at, cause = recent.market, recent.at, recent.cause
        if recent.start < order.active_at:
            return []
        first_look = not order.looked
        order.looked = True
        if order.time_in_force == "DAY" and at >= _utc_midnight_after(order.active_at):
            return [self._expire(order, cause, at, "DAY order expired at the UTC day end")]
        unlimited = market.volume <= ZERO
        capacity = order.leaves if unlimited else min(order.leaves, recent.available)
        found = reach(
            side=order.side,
            order_type=order.order_type,
            limit=order.limit_price,
            market=market,
            first_look=first_look,
        )
        if order.time_in_force == "FOK" and (found is None or capacity < order.leaves):
            return [self._expire(order, cause, at, "FOK: not fully fillable at once")]
        events: list[dict[str, Any]] = []
        if found is not None and capacity > ZERO:
            order.fills += 1
            trade_id = (
                f"{self.config.venue}-T-{derive_event_id(order.client_order_id, order.fills)}"
            )
            price = fill_price(
                config=self.config,
                side=order.side,
                limit=order.limit_price,
                found=found,
                quantity=capacity,
                volume=market.volume,
                trade_id=trade_id,
            )
            order.filled = q(order.filled + capacity)
            order.notional = q(order.notional + capacity * price)
            self._book(order, capacity)
            if not unlimited:
                recent.available = q(recent.available - capacity)
            done = order.filled >= order.quantity
            order.status = OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED
            if done:
                self._close(order)
            env = caused_by(
                cause,
                event_type=EVENT_TOPIC,
                agent=self.name,
                discriminator=f"{order.client_order_id}:{order.fills}",
                event_time=at,
            )
            events.append(
                order.event(
                    env,
                    EventKind.FILL if done else EventKind.PARTIAL_FILL,
                    fill_quantity=capacity,
                    fill_price=price,
                    trade_id=trade_id,
                    fee=fee(self.config, found.liquidity, capacity, price),
                    fee_currency=self.config.fees.currency,
                    liquidity=found.liquidity,
                )
            )
        if order.time_in_force == "IOC" and order.status.open:
            events.append(self._expire(order, cause, at, "IOC: remainder expired"))
        return events

    def _expire(
        self, order: SimOrder, cause: dict[str, Any], at: datetime, reason: str
    ) -> dict[str, Any]:
        order.status = OrderStatus.EXPIRED
        self._close(order)
        env = caused_by(
            cause,
            event_type=EVENT_TOPIC,
            agent=self.name,
            discriminator=f"{order.client_order_id}:expired",
            event_time=at,
        )
        return order.event(env, EventKind.EXPIRED, reason=reason)

    def _close(self, order: SimOrder) -> None:
        self.open.pop(order.client_order_id, None)
        self.closed[order.client_order_id] = order
        while len(self.closed) > MAX_CLOSED_ORDERS:
            self.closed.popitem(last=False)

    # -- state -----------------------------------------------------------------------------

    def open_orders(self) -> list[SimOrder]:
        return list(self.open.values())

    def positions_of(self, account: str) -> dict[str, Decimal]:
        """Net filled position per instrument of ``account`` (long > 0; flat ones included)."""
        return {i: p for (a, i), p in self.positions.items() if a == account}

    def _book(self, order: SimOrder, quantity: Decimal) -> None:
        key = (order.account, order.instrument)
        self.positions[key] = q(self.positions.get(key, ZERO) + signed(order.side, quantity))

    def snapshot(self) -> dict[str, Any]:
        return {
            "open_orders": json.dumps([o.to_json() for o in self.open.values()]),
            "closed_orders": json.dumps([o.to_json() for o in self.closed.values()]),
            "rejected": self.rejected,
            "recent_prints": json.dumps(self.recent.to_json()),
            "late_matches": self.late_matches,
            "late_orders_beyond_buffer": self.late_orders_beyond_buffer,
            "positions": json.dumps(
                [[a, i, str(p)] for (a, i), p in sorted(self.positions.items())],
                separators=(",", ":"),
            ),
        }

    def restore(self, state: dict[str, Any]) -> None:
        opened = [SimOrder.from_json(d) for d in json.loads(state["open_orders"])]
        closed = [SimOrder.from_json(d) for d in json.loads(state["closed_orders"])]
        self.open = {o.client_order_id: o for o in opened}
        self.closed = OrderedDict((o.client_order_id, o) for o in closed)
        self.rejected = int(state["rejected"])
        recent = json.loads(state.get("recent_prints") or "{}")
        self.recent = RecentPrints.from_json(self.config.recent_prints, recent)
        self.late_matches = int(state.get("late_matches") or 0)
        self.late_orders_beyond_buffer = int(state.get("late_orders_beyond_buffer") or 0)
        kept = state.get("positions") or ""
        self.positions = {}
        if kept:
            self.positions = {(a, i): q(p) for a, i, p in json.loads(kept)}
        else:  # an older snapshot: rebuild from the orders it kept
            for order in [*opened, *closed]:
                self._book(order, order.filled)
