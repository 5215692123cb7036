"""Recent prints per instrument, so an order that arrives late still sees them.

Live, an order command and the market data reach the simulated exchange on different topics,
and nothing orders them: the command caused by a bar's close can arrive after the next bar
(or trades) the order should have traded on. The backtest delivers everything in event-time
order. For fills not to depend on arrival order, the exchange keeps the last ``capacity``
prints of every instrument (only prints that can fill: trades with ``fill_on: trades``, bars
of the configured interval with ``fill_on: bars``) with the liquidity the orders matched so
far left on each. A new order is first matched against the buffered prints whose time is at
or after its activation, oldest first, exactly as if it had been open when they arrived.

The buffer is bounded: when a print is evicted, :attr:`RecentPrints.forgotten` remembers the
latest time evicted per instrument, so an order activated at or before it is known to have
missed prints (counted by the exchange; its fills may then differ from an in-order run).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from streams.clock import from_micros, to_micros
from streams.decimals import q
from streams.exchange.matching import Print


@dataclass(slots=True)
class RecentPrint:
    """A print already matched, with the liquidity it has left."""

    market: Print
    start: datetime
    """Time compared with an order's activation (a trade's time, a bar's start)."""
    at: datetime
    """Time stamped on fills (a trade's time, a bar's end)."""
    cause: dict[str, Any]
    """The print's envelope, reduced to what :func:`streams.events.caused_by` reads."""
    available: Decimal
    """Liquidity left for later orders (meaningless when the print's volume is unknown)."""

    def to_json(self) -> dict[str, Any]:
        market = self.market
        return {
            "open": str(market.open),
            "high": str(market.high),
            "low": str(market.low),
            "volume": str(market.volume),
            "is_bar": market.is_bar,
            "start": to_micros(self.start),
            "at": to_micros(self.at),
            "event_id": str(self.cause["event_id"]),
            "event_time": to_micros(self.cause["event_time"]),
            "ingest_time": to_micros(self.cause["ingest_time"]),
            "correlation_id": self.cause.get("correlation_id"),
            "available": str(self.available),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecentPrint:
        market = Print(
            open=q(data["open"]),
            high=q(data["high"]),
            low=q(data["low"]),
            volume=q(data["volume"]),
            is_bar=bool(data["is_bar"]),
        )
        cause = {
            "event_id": str(data["event_id"]),
            "event_time": from_micros(int(data["event_time"])),
            "ingest_time": from_micros(int(data["ingest_time"])),
            "correlation_id": data["correlation_id"],
        }
        return cls(
            market=market,
            start=from_micros(int(data["start"])),
            at=from_micros(int(data["at"])),
            cause=cause,
            available=q(data["available"]),
        )


def reduced_cause(envelope: dict[str, Any]) -> dict[str, Any]:
    """The part of an envelope that :func:`streams.events.caused_by` reads."""
    return {
        "event_id": str(envelope["event_id"]),
        "event_time": envelope["event_time"],
        "ingest_time": envelope["ingest_time"],
        "correlation_id": envelope.get("correlation_id"),
    }


class RecentPrints:
    """The last ``capacity`` prints per instrument, in arrival order."""

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must not be negative, got {capacity}")
        self.capacity = capacity
        self._prints: dict[str, deque[RecentPrint]] = {}
        self.forgotten: dict[str, datetime] = {}

    def add(self, instrument: str, recent: RecentPrint) -> None:
        """Remember a print (after the open orders matched it); evict beyond the capacity."""
        if self.capacity == 0:
            self._forget(instrument, recent.start)
            return
        prints = self._prints.setdefault(instrument, deque())
        prints.append(recent)
        while len(prints) > self.capacity:
            self._forget(instrument, prints.popleft().start)

    def since(self, instrument: str, active_at: datetime) -> Iterator[RecentPrint]:
        """Buffered prints of ``instrument`` at or after ``active_at``, oldest first."""
        for recent in self._prints.get(instrument, ()):
            if recent.start >= active_at:
                yield recent

    def missed(self, instrument: str, active_at: datetime) -> bool:
        """True when prints an order activated at ``active_at`` should see were evicted."""
        forgotten = self.forgotten.get(instrument)
        return forgotten is not None and forgotten >= active_at

    def _forget(self, instrument: str, start: datetime) -> None:
        previous = self.forgotten.get(instrument)
        self.forgotten[instrument] = start if previous is None else max(previous, start)

    def to_json(self) -> dict[str, Any]:
        return {
            "prints": {i: [p.to_json() for p in ps] for i, ps in sorted(self._prints.items())},
            "forgotten": {i: to_micros(t) for i, t in sorted(self.forgotten.items())},
        }

    @classmethod
    def from_json(cls, capacity: int, data: dict[str, Any]) -> RecentPrints:
        recent = cls(capacity)
        for instrument, prints in data.get("prints", {}).items():
            for item in prints:
                recent.add(instrument, RecentPrint.from_json(item))
        for instrument, micros in data.get("forgotten", {}).items():
            forgotten = from_micros(int(micros))
            previous = recent.forgotten.get(instrument)
            recent.forgotten[instrument] = (
                forgotten if previous is None else max(previous, forgotten)
            )
        return recent
