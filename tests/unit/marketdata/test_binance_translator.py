"""Binance frames and REST snapshots -> raw ticks: fields, sequences, stale and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from streams.codec import AvroCodec
from streams.marketdata.errors import VenueProtocolError
from streams.marketdata.instruments import InstrumentRegistry
from streams.marketdata.venues.binance import BOOK_FEED, TRADE_FEED, BinanceTranslator
from tests.unit.marketdata.binance_frames import (
    TRADE_MILLIS,
    book_frame,
    depth_body,
    trade_frame,
    trades_body,
)

RECEIVED = datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)


@pytest.fixture
def translator(instruments: InstrumentRegistry) -> BinanceTranslator:
    return BinanceTranslator([instruments["BTC-USD"], instruments["ETH-USD"]])


def test_stream_path_subscribes_trades_and_book_tickers(translator: BinanceTranslator) -> None:
    assert translator.stream_path() == (
        "/stream?streams=btcusdt@trade/btcusdt@bookTicker/ethusdt@trade/ethusdt@bookTicker"
    )


def test_trade_frame(translator: BinanceTranslator, codec: AvroCodec) -> None:
    [tick] = translator.on_frame(trade_frame(7, buyer_maker=True), RECEIVED)
    assert (tick["instrument"], tick["venue"], tick["feed"]) == ("BTC-USD", "BINANCE", TRADE_FEED)
    assert (tick["sequence"], tick["trade_id"], tick["aggressor"]) == (7, "7", "SELL")
    assert tick["price"] == Decimal("65000.1")
    assert tick["size"] == Decimal("0.0015")
    assert tick["envelope"]["event_time"] == datetime.fromtimestamp(
        (TRADE_MILLIS + 7) / 1000, tz=UTC
    )
    assert tick["envelope"]["ingest_time"] == RECEIVED
    [buy] = translator.on_frame(trade_frame(8, buyer_maker=False), RECEIVED)
    assert buy["aggressor"] == "BUY"
    codec.encode_value("md.tick.raw", "md.tick", tick)


def test_book_ticker_frame_uses_receive_time(translator: BinanceTranslator) -> None:
    [tick] = translator.on_frame(book_frame(500), RECEIVED)
    assert (tick["kind"], tick["feed"], tick["sequence"]) == ("QUOTE", BOOK_FEED, 500)
    assert (tick["bid_price"], tick["ask_size"]) == (Decimal("65000"), Decimal(2))
    assert tick["envelope"]["event_time"] == RECEIVED


def test_repeated_and_stale_ids_are_not_re_emitted(translator: BinanceTranslator) -> None:
    assert translator.on_frame(trade_frame(7), RECEIVED)
    assert translator.on_frame(trade_frame(7), RECEIVED) == []
    assert translator.on_frame(book_frame(500), RECEIVED)
    assert translator.on_frame(book_frame(499), RECEIVED) == []


def test_recovery_backfills_trades_after_the_last_one_and_snapshots_the_book(
    translator: BinanceTranslator,
) -> None:
    assert translator.recover_trades(trades_body(1, 2), "BTCUSDT", RECEIVED) == []  # no history
    translator.on_frame(trade_frame(10), RECEIVED)
    ticks = translator.recover_trades(trades_body(12, 9, 10, 11), "BTCUSDT", RECEIVED)
    assert [t["sequence"] for t in ticks] == [11, 12]
    assert ticks[0]["aggressor"] == "BUY"
    [quote] = translator.recover_book(depth_body(600), "BTCUSDT", RECEIVED)
    assert (quote["sequence"], quote["bid_price"], quote["ask_price"]) == (
        600,
        Decimal("64999.9"),
        Decimal("65000.2"),
    )
    assert translator.on_frame(book_frame(600), RECEIVED) == []
    assert translator.on_frame(trade_frame(12), RECEIVED) == []


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        json.dumps({"stream": "btcusdt@trade"}),
        json.dumps({"stream": "btcusdt@depth", "data": {}}),
        trade_frame(5).replace('"p": "65000.10000000"', '"p": 65000.1'),
        trade_frame(5).replace('"t": 5', '"t": "5"'),
        trade_frame(5).replace("BTCUSDT", "DOGEUSDT"),
        book_frame(5).replace('"b": "65000.00000000"', '"b": "abc"'),
    ],
    ids=["json", "no-data", "stream", "float-price", "string-id", "symbol", "bad-decimal"],
)
def test_frames_off_the_documented_format_are_protocol_errors(
    translator: BinanceTranslator, frame: str
) -> None:
    with pytest.raises(VenueProtocolError):
        translator.on_frame(frame, RECEIVED)


def test_bad_snapshots_are_protocol_errors(translator: BinanceTranslator) -> None:
    with pytest.raises(VenueProtocolError):
        translator.recover_book({"bids": []}, "BTCUSDT", RECEIVED)
    with pytest.raises(VenueProtocolError):
        translator.recover_trades({"id": 1}, "BTCUSDT", RECEIVED)
