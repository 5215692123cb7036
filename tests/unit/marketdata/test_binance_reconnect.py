"""The Binance client against local servers: disconnect mid-stream, reconnect, REST recovery."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from streams.clock import SystemClock
from streams.marketdata.instruments import InstrumentRegistry
from streams.marketdata.normalizer import TickNormalizer
from streams.marketdata.venues.binance import BinanceTranslator
from streams.marketdata.venues.binance_client import Backoff, BinanceClient, BinanceEndpoints
from tests.unit.marketdata.binance_frames import book_frame, depth_body, trade_frame, trades_body
from tests.unit.marketdata.binance_local_venue import Connection, LocalWebsocketVenue, local_rest
from tests.unit.marketdata.md_unit_support import raw_record

SCRIPT = [
    Connection(frames=[trade_frame(100), trade_frame(101), book_frame(500)], drop=True),
    Connection(
        frames=[trade_frame(103), "{not json", trade_frame(104), book_frame(505), book_frame(512)],
        drop=False,
    ),
]
REST: dict[str, list[Any]] = {
    "/api/v3/depth": [depth_body(490), depth_body(510)],
    "/api/v3/trades": [trades_body(98, 99), trades_body(101, 103)],  # 102 is lost for good
}


async def stream(
    instruments: InstrumentRegistry, rest_url: str
) -> tuple[BinanceClient, list[dict[str, Any]], list[str]]:
    venue = LocalWebsocketVenue(SCRIPT)
    ws_url = await venue.start()
    ticks: list[dict[str, Any]] = []
    client = BinanceClient(
        BinanceTranslator([instruments["BTC-USD"]]),
        ticks.append,
        SystemClock(),
        endpoints=BinanceEndpoints(ws_url=ws_url, rest_url=rest_url, use_proxy=False),
        backoff=Backoff(initial=0.05, maximum=0.1),
        poll_seconds=0.05,
    )
    deadline = time.monotonic() + 10

    def done() -> bool:
        return any(t["sequence"] == 512 for t in ticks) or time.monotonic() > deadline

    try:
        await client.run(done)
    finally:
        await venue.stop()
    return client, ticks, venue.paths


def test_reconnects_recovers_from_snapshots_and_leaves_the_real_gap(
    instruments: InstrumentRegistry,
) -> None:
    with local_rest(REST) as (rest_url, requests):
        client, ticks, paths = asyncio.run(stream(instruments, rest_url))

    assert paths == ["/stream?streams=btcusdt@trade/btcusdt@bookTicker"] * 2
    assert (client.connections, client.connection_failures, client.recoveries) == (2, 1, 2)
    assert client.frames_rejected == 1  # logged and skipped; the stream goes on
    assert (
        requests
        == [
            "/api/v3/depth?symbol=BTCUSDT&limit=5",
            "/api/v3/trades?symbol=BTCUSDT&limit=1000",
        ]
        * 2
    )
    emitted = [(t["kind"], t["sequence"]) for t in ticks]
    assert emitted == [
        ("QUOTE", 490),  # snapshot after the first connect (no trade history to back-fill)
        ("TRADE", 100),
        ("TRADE", 101),
        ("QUOTE", 500),
        ("TRADE", 103),  # back-filled from REST after the reconnect
        ("QUOTE", 510),  # book snapshot after the reconnect
        ("TRADE", 104),  # stream trade 103 was already published; quote 505 is stale
        ("QUOTE", 512),
    ]

    normalizer = TickNormalizer(instruments)
    outputs = [o for t in ticks for o in normalizer.process(raw_record(t))]
    gaps = [o.value for o in outputs if o.topic == "md.gap"]
    assert [(g["feed"], g["expected_sequence"], g["received_sequence"]) for g in gaps] == [
        ("binance.trade", 102, 103)
    ]
    assert len([o for o in outputs if o.topic == "md.tick"]) == len(ticks)


def test_backs_off_and_retries_while_the_venue_is_down(instruments: InstrumentRegistry) -> None:
    async def attempt() -> BinanceClient:
        ticks: list[dict[str, Any]] = []
        client = BinanceClient(
            BinanceTranslator([instruments["BTC-USD"]]),
            ticks.append,
            SystemClock(),
            endpoints=BinanceEndpoints(
                ws_url="ws://127.0.0.1:9", rest_url="http://127.0.0.1:9", use_proxy=False
            ),
            backoff=Backoff(initial=0.02, maximum=0.05),
        )
        deadline = time.monotonic() + 0.5
        await client.run(lambda: time.monotonic() > deadline)
        return client

    client = asyncio.run(attempt())
    assert client.connections == 0
    assert client.connection_failures >= 3
