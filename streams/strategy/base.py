"""The strategy interface shared by Python plug-ins and compiled YAML strategies.

A strategy is an object that, for one instrument and one bar, turns what it may see (the
bar, its declared indicators, the latest ML advice, its own expected position and its own
per-instrument memory) into a list of :class:`IntentRequest`. It does no I/O, reads no
clock and keeps no hidden state: everything it must remember between bars goes into
``ctx.memory`` (JSON-serialisable), which the processor snapshots and restores. The
:class:`~streams.strategy.processor.StrategyProcessor` runs both kinds the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from streams.clock import from_micros, to_micros
from streams.decimals import ZERO, q

Side = Literal["BUY", "SELL"]
OrderType = Literal["MARKET", "LIMIT"]
TimeInForce = Literal["GTC", "IOC", "FOK", "DAY"]
ALL_INSTRUMENTS = "*"
"""``instruments = ("*",)`` trades every instrument the processor sees."""


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV bar (``md.bar``); prices and volume are scale-9 Decimals."""

    instrument: str
    interval_seconds: int
    start: datetime
    end: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    @classmethod
    def from_event(cls, value: Mapping[str, Any]) -> Bar:
        return cls(
            instrument=str(value["instrument"]),
            interval_seconds=int(value["interval_seconds"]),
            start=value["start"],
            end=value["end"],
            open=q(value["open"]),
            high=q(value["high"]),
            low=q(value["low"]),
            close=q(value["close"]),
            volume=q(value["volume"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "interval_seconds": self.interval_seconds,
            "start": to_micros(self.start),
            "end": to_micros(self.end),
            "ohlcv": [str(v) for v in (self.open, self.high, self.low, self.close, self.volume)],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Bar:
        open_, high, low, close, volume = (q(v) for v in data["ohlcv"])
        return cls(
            instrument=str(data["instrument"]),
            interval_seconds=int(data["interval_seconds"]),
            start=from_micros(int(data["start"])),
            end=from_micros(int(data["end"])),
            open=open_,
            high=high,
            low=low,
            close=close,
            volume=volume,
        )


@dataclass(frozen=True, slots=True)
class IndicatorReading:
    """One indicator's outputs for one bar; ``ready`` is false during warm-up."""

    ready: bool
    values: Mapping[str, float | None]

    def get(self, output: str) -> float | None:
        """The output's value, or ``None`` while the indicator is not ready."""
        return self.values.get(output) if self.ready else None


@dataclass(frozen=True, slots=True)
class Advice:
    """The latest ``ml.advice`` for the instrument with event time <= the bar end."""

    model: str
    model_version: str
    direction: Literal["UP", "DOWN", "FLAT"]
    score: float
    confidence: float
    features: Mapping[str, float]
    event_time: datetime

    @property
    def direction_value(self) -> float:
        """+1 for UP, -1 for DOWN, 0 for FLAT."""
        return {"UP": 1.0, "DOWN": -1.0, "FLAT": 0.0}[self.direction]


@dataclass(frozen=True, slots=True)
class IntentRequest:
    """What a strategy asks the processor to emit as a ``strategy.intent``.

    ``rule`` names the rule that fired; together with the strategy name and version it makes
    the intent's event id deterministic. ``time_in_force`` ``None`` means the default: IOC
    for MARKET (a market intent must not rest), GTC for LIMIT.
    """

    side: Side
    quantity: Decimal
    rule: str
    reason: str
    order_type: OrderType = "MARKET"
    limit_price: Decimal | None = None
    time_in_force: TimeInForce | None = None


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``max_intents`` intents per ``window_seconds`` of event time, per strategy."""

    max_intents: int = 10
    window_seconds: float = 60.0


@dataclass(slots=True)
class BarContext:
    """What a strategy sees for one (instrument, bar)."""

    strategy: str
    instrument: str
    position: Decimal
    indicators: Mapping[str, IndicatorReading]
    advice: Advice | None
    memory: dict[str, Any] = field(default_factory=dict)

    @property
    def is_flat(self) -> bool:
        return self.position == ZERO

    @property
    def is_long(self) -> bool:
        return self.position > ZERO

    @property
    def is_short(self) -> bool:
        return self.position < ZERO

    def ready(self, alias: str) -> bool:
        """True when the indicator declared as ``alias`` has finished warming up."""
        return self.indicators[alias].ready

    def value(self, alias: str, output: str | None = None) -> float | None:
        """An indicator output (``None`` while warming up); single-output: no ``output``."""
        reading = self.indicators[alias]
        if output is None:
            if len(reading.values) != 1:
                raise KeyError(f"{alias} has several outputs: {sorted(reading.values)}")
            output = next(iter(reading.values))
        return reading.get(output)


class Strategy(ABC):
    """Base class of every strategy (Python plug-ins subclass it; YAML compiles to it).

    See docs/strategies.md for the table of required and optional members.
    """

    name: str
    version: int
    instruments: tuple[str, ...]
    indicators: Mapping[str, str] = {}
    account: str = "default"
    interval_seconds: int | None = None
    rate_limit: RateLimit = RateLimit()
    description: str = ""

    @abstractmethod
    def on_bar(self, ctx: BarContext, bar: Bar) -> list[IntentRequest]:
        """Decide what to do at the end of ``bar``; return zero or more intent requests."""

    def fingerprint(self) -> str:
        """Identity of the strategy's content; equal fingerprints mean identical behaviour."""
        kind = type(self)
        return f"{kind.__module__}.{kind.__qualname__}:{self.version}"

    def trades(self, instrument: str, interval_seconds: int) -> bool:
        """Whether bars of ``instrument`` and this interval are evaluated by this strategy."""
        if self.interval_seconds is not None and interval_seconds != self.interval_seconds:
            return False
        return ALL_INSTRUMENTS in self.instruments or instrument in self.instruments
