"""Building ``md.tick`` event values (plain dicts matching avro/md.tick.v1.avsc).

Connectors publish raw ticks to ``md.tick.raw`` with the md.tick schema. A raw tick's id is
derived from its source identity, ``derive_event_id("md.tick.raw", feed, instrument,
sequence)``, so a connector that re-sends a tick (after a reconnect or a restart) produces
the same id and the normaliser recognises the duplicate by its sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Literal

from streams.decimals import q
from streams.events import derive_event_id, envelope

TICK_RAW_TOPIC: Final = "md.tick.raw"
TICK_TOPIC: Final = "md.tick"
GAP_TOPIC: Final = "md.gap"
BAR_TOPIC: Final = "md.bar"
TICK_EVENT_TYPE: Final = "md.tick"

Aggressor = Literal["BUY", "SELL", "UNKNOWN"]


@dataclass(frozen=True, slots=True)
class TickSource:
    """Who publishes a raw tick: the agent name and the feed its sequences belong to."""

    agent: str
    feed: str


def with_ingest_time(value: dict[str, Any], when: datetime) -> dict[str, Any]:
    """A copy of an event value whose envelope's ``ingest_time`` is ``when`` (the id stays)."""
    return {**value, "envelope": {**value["envelope"], "ingest_time": when}}


def raw_tick_id(feed: str, instrument: str, sequence: int) -> str:
    """The deterministic id of a raw tick."""
    return derive_event_id(TICK_RAW_TOPIC, feed, instrument, sequence)


def _base(
    source: TickSource,
    *,
    instrument: str,
    venue: str,
    sequence: int,
    kind: Literal["TRADE", "QUOTE"],
    event_time: datetime,
    ingest_time: datetime,
) -> dict[str, Any]:
    return {
        "envelope": envelope(
            event_type=TICK_EVENT_TYPE,
            event_id=raw_tick_id(source.feed, instrument, sequence),
            event_time=event_time,
            ingest_time=ingest_time,
            agent=source.agent,
        ),
        "instrument": instrument,
        "venue": venue,
        "feed": source.feed,
        "sequence": sequence,
        "kind": kind,
        "price": None,
        "size": None,
        "aggressor": None,
        "trade_id": None,
        "bid_price": None,
        "bid_size": None,
        "ask_price": None,
        "ask_size": None,
    }


def trade_tick(
    source: TickSource,
    *,
    instrument: str,
    venue: str,
    sequence: int,
    event_time: datetime,
    ingest_time: datetime,
    price: Decimal,
    size: Decimal,
    aggressor: Aggressor = "UNKNOWN",
    trade_id: str | None = None,
) -> dict[str, Any]:
    """A raw TRADE tick."""
    tick = _base(
        source,
        instrument=instrument,
        venue=venue,
        sequence=sequence,
        kind="TRADE",
        event_time=event_time,
        ingest_time=ingest_time,
    )
    tick.update(price=q(price), size=q(size), aggressor=aggressor, trade_id=trade_id)
    return tick


def quote_tick(
    source: TickSource,
    *,
    instrument: str,
    venue: str,
    sequence: int,
    event_time: datetime,
    ingest_time: datetime,
    bid_price: Decimal | None,
    bid_size: Decimal | None,
    ask_price: Decimal | None,
    ask_size: Decimal | None,
) -> dict[str, Any]:
    """A raw QUOTE tick (top of book); a missing side is ``None``."""
    tick = _base(
        source,
        instrument=instrument,
        venue=venue,
        sequence=sequence,
        kind="QUOTE",
        event_time=event_time,
        ingest_time=ingest_time,
    )
    tick.update(
        bid_price=None if bid_price is None else q(bid_price),
        bid_size=None if bid_size is None else q(bid_size),
        ask_price=None if ask_price is None else q(ask_price),
        ask_size=None if ask_size is None else q(ask_size),
    )
    return tick
