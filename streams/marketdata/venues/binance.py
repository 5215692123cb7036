"""Binance spot market data -> raw md.tick values (pure translation, no I/O).

Why Binance: its public spot streams need no API key, one combined connection carries every
symbol, and both streams we use carry ids that make sequence handling possible.

Messages (Binance spot "WebSocket Streams" and "REST API" documentation; payload fields are
single letters, prices and quantities decimal strings):

* combined stream ``/stream?streams=btcusdt@trade/btcusdt@bookTicker``, every frame is
  ``{"stream": "<name>", "data": <payload>}``;
* ``<symbol>@trade``: ``{"e": "trade", "E": event ms, "s": "BTCUSDT", "t": trade id,
  "p": price, "q": quantity, "T": trade ms, "m": buyer is the maker, ...}``. Trade ids are
  consecutive per symbol, so they are the tick ``sequence`` (feed ``binance.trade``) and a
  lost trade shows up downstream as an ``md.gap``. ``m`` true means the seller was the
  aggressor. Event time is ``T``;
* ``<symbol>@bookTicker``: ``{"u": order book update id, "s": symbol, "b": bid, "B": bid
  qty, "a": ask, "A": ask qty}``. It carries no timestamp, so event time is the receive
  time. ``u`` increases but skips (the stream is conflated), so it is the sequence of the
  *conflated* feed ``binance.bookTicker`` (the normaliser does not report jumps there);
* REST ``GET /api/v3/depth?symbol=BTCUSDT&limit=5``: ``{"lastUpdateId": n, "bids": [[price,
  qty], ...], "asks": [...]}``; ``GET /api/v3/trades?symbol=BTCUSDT&limit=1000``: a list of
  ``{"id", "price", "qty", "time", "isBuyerMaker", ...}`` oldest first.

Recovery after a (re)connect follows Binance's order-book procedure: keep the stream's
frames, take the REST depth snapshot, publish its top of book as a quote with sequence
``lastUpdateId`` and drop stream updates with ``u <= lastUpdateId``. Trades missed while
disconnected are back-filled from the recent-trades endpoint (ids after the last one
published); stream trades with ids already published are dropped. Whatever the snapshot
cannot cover remains a sequence gap that the normaliser reports.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from streams.clock import from_micros
from streams.marketdata.errors import VenueProtocolError
from streams.marketdata.instruments import Instrument
from streams.marketdata.ticks import TickSource, quote_tick, trade_tick

VENUE: Final = "BINANCE"
TRADE_FEED: Final = "binance.trade"
BOOK_FEED: Final = "binance.bookTicker"


class BinanceTranslator:
    """Turns Binance frames and REST snapshots into raw ticks; remembers the last ids."""

    def __init__(self, instruments: Sequence[Instrument], *, agent: str = "venue_feed") -> None:
        if not instruments:
            raise ValueError("at least one Binance instrument is required")
        self._by_symbol = {i.venue_symbol.upper(): i for i in instruments}
        self._trades = TickSource(agent=agent, feed=TRADE_FEED)
        self._book = TickSource(agent=agent, feed=BOOK_FEED)
        self.last_trade_id: dict[str, int] = {}
        self.last_book_update: dict[str, int] = {}

    @property
    def venue_symbols(self) -> list[str]:
        return sorted(self._by_symbol)

    def stream_path(self) -> str:
        """The combined-stream path for every instrument (trades and top of book)."""
        names = [
            f"{s.lower()}@{kind}" for s in self.venue_symbols for kind in ("trade", "bookTicker")
        ]
        return "/stream?streams=" + "/".join(names)

    def on_frame(self, frame: str | bytes, received: datetime) -> list[dict[str, Any]]:
        """Ticks for one combined-stream frame (none for duplicates and stale quotes)."""
        try:
            message = json.loads(frame)
        except ValueError as exc:
            raise VenueProtocolError(f"frame is not JSON: {frame[:200]!r}") from exc
        if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
            raise VenueProtocolError(f"not a combined-stream frame: {str(message)[:200]}")
        stream = str(message.get("stream", ""))
        data: dict[str, Any] = message["data"]
        if stream.endswith("@trade"):
            return self._stream_trade(data, received)
        if stream.endswith("@bookTicker"):
            return self._book_ticker(data, received)
        raise VenueProtocolError(f"unexpected stream {stream!r}")

    def recover_book(
        self, depth: object, venue_symbol: str, received: datetime
    ) -> list[dict[str, Any]]:
        """A quote from a REST depth snapshot; later stream updates up to it are dropped."""
        if not isinstance(depth, dict):
            raise VenueProtocolError(f"depth snapshot is not an object: {str(depth)[:200]}")
        update_id = _int(depth, "lastUpdateId")
        instrument = self._instrument(venue_symbol)
        if update_id <= self.last_book_update.get(instrument.venue_symbol.upper(), -1):
            return []
        self.last_book_update[instrument.venue_symbol.upper()] = update_id
        bid = _best(depth, "bids")
        ask = _best(depth, "asks")
        return [
            quote_tick(
                self._book,
                instrument=instrument.symbol,
                venue=VENUE,
                sequence=update_id,
                event_time=received,
                ingest_time=received,
                bid_price=bid[0] if bid else None,
                bid_size=bid[1] if bid else None,
                ask_price=ask[0] if ask else None,
                ask_size=ask[1] if ask else None,
            )
        ]

    def recover_trades(
        self, trades: object, venue_symbol: str, received: datetime
    ) -> list[dict[str, Any]]:
        """Back-fill trades after the last published id from a REST recent-trades list."""
        if not isinstance(trades, list):
            raise VenueProtocolError(f"recent trades is not a list: {str(trades)[:200]}")
        instrument = self._instrument(venue_symbol)
        if instrument.venue_symbol.upper() not in self.last_trade_id:
            return []
        ticks: list[dict[str, Any]] = []
        for trade in sorted(trades, key=lambda t: _int(t, "id") if isinstance(t, dict) else -1):
            if not isinstance(trade, dict):
                raise VenueProtocolError(f"recent trade is not an object: {str(trade)[:200]}")
            ticks.extend(
                self._trade(
                    instrument,
                    trade_id=_int(trade, "id"),
                    price=_decimal(trade, "price"),
                    size=_decimal(trade, "qty"),
                    millis=_int(trade, "time"),
                    buyer_is_maker=bool(trade.get("isBuyerMaker")),
                    received=received,
                )
            )
        return ticks

    def _stream_trade(self, data: dict[str, Any], received: datetime) -> list[dict[str, Any]]:
        return self._trade(
            self._instrument(str(data.get("s", ""))),
            trade_id=_int(data, "t"),
            price=_decimal(data, "p"),
            size=_decimal(data, "q"),
            millis=_int(data, "T"),
            buyer_is_maker=bool(data.get("m")),
            received=received,
        )

    def _trade(
        self,
        instrument: Instrument,
        *,
        trade_id: int,
        price: Decimal,
        size: Decimal,
        millis: int,
        buyer_is_maker: bool,
        received: datetime,
    ) -> list[dict[str, Any]]:
        key = instrument.venue_symbol.upper()
        if trade_id <= self.last_trade_id.get(key, -1):
            return []
        self.last_trade_id[key] = trade_id
        return [
            trade_tick(
                self._trades,
                instrument=instrument.symbol,
                venue=VENUE,
                sequence=trade_id,
                event_time=from_micros(millis * 1000),
                ingest_time=received,
                price=price,
                size=size,
                aggressor="SELL" if buyer_is_maker else "BUY",
                trade_id=str(trade_id),
            )
        ]

    def _book_ticker(self, data: dict[str, Any], received: datetime) -> list[dict[str, Any]]:
        instrument = self._instrument(str(data.get("s", "")))
        key = instrument.venue_symbol.upper()
        update_id = _int(data, "u")
        if update_id <= self.last_book_update.get(key, -1):
            return []
        self.last_book_update[key] = update_id
        return [
            quote_tick(
                self._book,
                instrument=instrument.symbol,
                venue=VENUE,
                sequence=update_id,
                event_time=received,
                ingest_time=received,
                bid_price=_decimal(data, "b"),
                bid_size=_decimal(data, "B"),
                ask_price=_decimal(data, "a"),
                ask_size=_decimal(data, "A"),
            )
        ]

    def _instrument(self, venue_symbol: str) -> Instrument:
        instrument = self._by_symbol.get(venue_symbol.upper())
        if instrument is None:
            raise VenueProtocolError(f"symbol {venue_symbol!r} was not subscribed")
        return instrument


def _int(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise VenueProtocolError(f"field {name!r} must be an integer, got {value!r}")
    return value


def _decimal(data: dict[str, Any], name: str) -> Decimal:
    value = data.get(name)
    if not isinstance(value, str):
        raise VenueProtocolError(f"field {name!r} must be a decimal string, got {value!r}")
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise VenueProtocolError(f"field {name!r} is not a decimal: {value!r}") from exc


def _best(depth: dict[str, Any], side: str) -> tuple[Decimal, Decimal] | None:
    levels = depth.get(side)
    if not isinstance(levels, list):
        raise VenueProtocolError(f"depth snapshot has no {side!r} list")
    if not levels:
        return None
    level = levels[0]
    if not isinstance(level, list) or len(level) < 2:
        raise VenueProtocolError(f"depth level is not [price, qty]: {level!r}")
    return _decimal({"v": level[0]}, "v"), _decimal({"v": level[1]}, "v")
