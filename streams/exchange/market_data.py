"""Market data as the trading processors see it: trade prints and bars.

Risk (last trade price), the simulated exchange (matching) and PnL (marks) all read
``md.tick`` and ``md.bar`` records; this module turns their decoded values into small typed
views so the three agree on what a "last price" is:

* an ``md.tick`` of kind ``TRADE`` with a price is a trade print; quotes are ignored;
* an ``md.bar`` is a bar; its close is the instrument's last price at the bar's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from streams.decimals import ZERO, q

TICK_TOPIC: Final = "md.tick"
BAR_TOPIC: Final = "md.bar"
MARKET_DATA_TOPICS: Final = (TICK_TOPIC, BAR_TOPIC)


@dataclass(frozen=True, slots=True)
class TradePrint:
    """One trade on the market: price, size (zero when the feed has none) and event time."""

    instrument: str
    price: Decimal
    size: Decimal
    time: datetime
    event_id: str


@dataclass(frozen=True, slots=True)
class BarPrint:
    """One OHLCV bar; ``end`` is its event time, ``start`` when its first trade could be."""

    instrument: str
    start: datetime
    end: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    interval_seconds: int
    event_id: str


@dataclass(frozen=True, slots=True)
class LastPrice:
    """The last traded price of an instrument as of ``time`` (a trade or a bar's close)."""

    instrument: str
    price: Decimal
    time: datetime


def trade_from_tick(value: dict[str, Any]) -> TradePrint | None:
    """The trade print in an ``md.tick`` value, or ``None`` for a quote or a priceless tick."""
    if value.get("kind") != "TRADE" or value.get("price") is None:
        return None
    size = value.get("size")
    return TradePrint(
        instrument=str(value["instrument"]),
        price=q(value["price"]),
        size=q(size) if size is not None else ZERO,
        time=value["envelope"]["event_time"],
        event_id=str(value["envelope"]["event_id"]),
    )


def bar_from_value(value: dict[str, Any]) -> BarPrint:
    """The typed view of an ``md.bar`` value."""
    return BarPrint(
        instrument=str(value["instrument"]),
        start=value["start"],
        end=value["end"],
        open=q(value["open"]),
        high=q(value["high"]),
        low=q(value["low"]),
        close=q(value["close"]),
        volume=q(value["volume"]),
        interval_seconds=int(value["interval_seconds"]),
        event_id=str(value["envelope"]["event_id"]),
    )


def last_price(topic: str, value: dict[str, Any]) -> LastPrice | None:
    """The last price a market-data record establishes, or ``None`` if it sets none."""
    if topic == TICK_TOPIC:
        trade = trade_from_tick(value)
        if trade is None:
            return None
        return LastPrice(trade.instrument, trade.price, trade.time)
    if topic == BAR_TOPIC:
        bar = bar_from_value(value)
        return LastPrice(bar.instrument, bar.close, value["envelope"]["event_time"])
    return None
