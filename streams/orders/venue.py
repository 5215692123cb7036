"""The venue port: what the order manager's commands need from a venue, in process.

The live path is the log (order.command -> venue agent -> order.event). In process (the
backtest engine, tests, a broker adapter's own agent) a venue is a :class:`VenuePort`: each
method takes an order.command value and returns the order.event values it causes right away;
events caused later by market data come from the implementation's own feed method. See
docs/orders.md for the semantics a real broker adapter must honour.

Implementations here: :class:`SimulatedVenue` (the simulated exchange, in process) and
:class:`streams.orders.paper_venue.PaperVenue` (fills at the last price it was given).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from streams.errors import ProcessingError
from streams.events import derive_event_id, envelope
from streams.exchange.config import ExchangeConfig
from streams.exchange.simulator import SimExchange
from streams.orders.lifecycle import CommandKind, EventKind
from streams.orders.positions import position_report
from streams.runtime.processor import Record


class VenuePort(Protocol):
    """A venue the order manager can trade on."""

    @property
    def venue(self) -> str:
        """The venue name order commands carry."""
        ...

    @property
    def simulated(self) -> bool:
        """True when no real money moves (replay mode may send to it)."""
        ...

    def submit(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        """Place a NEW order; ACK or REJECTED (and any immediate fills). Idempotent by id."""
        ...

    def cancel(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        """Cancel an open order: CANCELED, or STATUS when it is no longer open."""
        ...

    def query(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        """One STATUS event with the order's state (UNKNOWN when the venue has no such order)."""
        ...

    def open_orders(self) -> list[dict[str, Any]]:
        """A STATUS event for every open order (reconciliation on start)."""
        ...

    def positions(self, account: str) -> dict[str, Decimal]:
        """Net filled position of ``account`` per instrument (long > 0) at this venue."""
        ...


def dispatch(port: VenuePort, command: dict[str, Any]) -> list[dict[str, Any]]:
    """Route an order.command value to the port method for its kind."""
    kind = CommandKind(command["command"])
    if kind is CommandKind.NEW:
        return port.submit(command)
    if kind is CommandKind.CANCEL:
        return port.cancel(command)
    if kind is CommandKind.POSITIONS:
        if command["venue"] != port.venue:
            return []
        positions = port.positions(str(command["account"]))
        return position_report(command, positions, agent=port.venue.lower())
    return port.query(command)


class SimulatedVenue:
    """The simulated exchange behind the venue port; feed it market data with :meth:`feed`."""

    def __init__(self, config: ExchangeConfig | None = None) -> None:
        self.exchange = SimExchange(config)

    @property
    def venue(self) -> str:
        return self.exchange.config.venue

    @property
    def simulated(self) -> bool:
        return True

    def submit(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        return self._expect(command, CommandKind.NEW)

    def cancel(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        return self._expect(command, CommandKind.CANCEL)

    def query(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        return self._expect(command, CommandKind.QUERY)

    def open_orders(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for order in self.exchange.open_orders():
            env = envelope(
                event_type="order.event",
                event_id=derive_event_id(order.venue_order_id, "open", order.fills),
                event_time=order.active_at,
                ingest_time=order.active_at,
                agent=self.exchange.name,
            )
            events.append(order.event(env, EventKind.STATUS))
        return events

    def positions(self, account: str) -> dict[str, Decimal]:
        return self.exchange.positions_of(account)

    def feed(self, topic: str, value: dict[str, Any]) -> list[dict[str, Any]]:
        """Match on one md.tick or md.bar value; returns the fills and expiries it causes."""
        return self.exchange.market(Record(topic=topic, key=None, value=value))

    def _expect(self, command: dict[str, Any], kind: CommandKind) -> list[dict[str, Any]]:
        if command["command"] != kind.value:
            raise ProcessingError(f"expected a {kind} command, got {command['command']}")
        return self.exchange.command(command)
