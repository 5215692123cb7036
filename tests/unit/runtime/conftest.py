"""Fixtures of the runtime unit tests: a broker-free codec and sample raw ticks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from streams.codec import AvroCodec, LocalRegistry, SchemaStore
from streams.decimals import q
from streams.events import derive_event_id, envelope

START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def codec() -> AvroCodec:
    """A codec on the local registry (the avro/ files); no broker, no server."""
    store = SchemaStore.load()
    return AvroCodec(LocalRegistry(store), store)


def _tick(sequence: int, instrument: str = "AAA", size: str | None = "1.5") -> dict[str, Any]:
    when = START + timedelta(seconds=sequence)
    trade = size is not None
    return {
        "envelope": envelope(
            event_type="md.tick",
            event_id=derive_event_id("unit-feed", sequence),
            event_time=when,
            ingest_time=when,
            agent="unit_feed",
        ),
        "instrument": instrument,
        "venue": "TEST",
        "feed": "unit",
        "sequence": sequence,
        "kind": "TRADE" if trade else "QUOTE",
        "price": q("10") if trade else None,
        "size": q(size) if size is not None else None,
        "aggressor": None,
        "trade_id": None,
        "bid_price": None if trade else q("9.5"),
        "bid_size": None if trade else q("1"),
        "ask_price": None if trade else q("10.5"),
        "ask_size": None if trade else q("1"),
    }


@pytest.fixture(scope="session")
def make_tick() -> Callable[..., dict[str, Any]]:
    """``make_tick(sequence, instrument="AAA", size="1.5")``: a raw trade (size None: a quote),
    one second after 2024-03-01 09:30 UTC per sequence number."""
    return _tick
