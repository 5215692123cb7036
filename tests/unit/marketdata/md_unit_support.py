"""Builders shared by the market-data unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from streams.marketdata.ticks import TICK_RAW_TOPIC, TICK_TOPIC, TickSource, quote_tick, trade_tick
from streams.runtime.processor import Record

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
SOURCE = TickSource(agent="test_feed", feed="test")


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def trade(
    sequence: int,
    *,
    seconds: float = 0.0,
    price: str = "100.00",
    size: str = "1",
    instrument: str = "AAPL",
    venue: str = "XNAS",
    feed: str = "test",
) -> dict[str, Any]:
    """A raw trade tick value."""
    return trade_tick(
        TickSource(agent="test_feed", feed=feed),
        instrument=instrument,
        venue=venue,
        sequence=sequence,
        event_time=at(seconds),
        ingest_time=at(seconds),
        price=Decimal(price),
        size=Decimal(size),
        aggressor="BUY",
    )


def quote(
    sequence: int,
    *,
    seconds: float = 0.0,
    bid: str | None = "99.99",
    ask: str | None = "100.01",
    instrument: str = "AAPL",
    venue: str = "XNAS",
    feed: str = "test",
) -> dict[str, Any]:
    """A raw quote tick value."""
    return quote_tick(
        TickSource(agent="test_feed", feed=feed),
        instrument=instrument,
        venue=venue,
        sequence=sequence,
        event_time=at(seconds),
        ingest_time=at(seconds),
        bid_price=None if bid is None else Decimal(bid),
        bid_size=None if bid is None else Decimal(10),
        ask_price=None if ask is None else Decimal(ask),
        ask_size=None if ask is None else Decimal(12),
    )


def raw_record(value: dict[str, Any], offset: int = 0) -> Record:
    """A record of md.tick.raw."""
    return Record(topic=TICK_RAW_TOPIC, key=value["instrument"], value=value, offset=offset)


def tick_record(value: dict[str, Any], offset: int = 0) -> Record:
    """A record of md.tick."""
    return Record(topic=TICK_TOPIC, key=value["instrument"], value=value, offset=offset)
