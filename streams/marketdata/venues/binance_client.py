"""The Binance connection: combined websocket stream, reconnect with backoff, REST recovery.

The edge around :class:`~streams.marketdata.venues.binance.BinanceTranslator`: it opens
``<ws_url>/stream?streams=...``, and after every (re)connect fetches the REST snapshots
(``<rest_url>/api/v3/depth`` and ``/api/v3/trades`` per symbol) before reading the frames
that queued meanwhile. A dropped connection, a failed handshake or a failed snapshot is
logged and retried after an exponential backoff (``initial`` doubling up to ``maximum``,
reset after a connection that delivered frames). A frame that does not match the
documented format is logged at ERROR level and counted in ``frames_rejected``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from streams.clock import Clock
from streams.marketdata.errors import VenueError, VenueProtocolError
from streams.marketdata.venues.binance import BinanceTranslator

_log = logging.getLogger(__name__)
_HTTP_TIMEOUT_SECONDS = 10.0

Emit = Callable[[dict[str, Any]], None]
FetchJson = Callable[[str], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential reconnect delays in seconds."""

    initial: float = 0.5
    maximum: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.maximum, self.initial * 2.0 ** min(attempt, 30))


@dataclass(frozen=True, slots=True)
class BinanceEndpoints:
    """Base URLs (configurable so tests point them at local servers)."""

    ws_url: str = "wss://stream.binance.com:9443"
    rest_url: str = "https://api.binance.com"
    depth_limit: int = 5
    trades_limit: int = 1000
    use_proxy: bool = True

    def __post_init__(self) -> None:
        if not self.ws_url.startswith(("ws://", "wss://")):
            raise ValueError(f"ws_url must be ws:// or wss://, got {self.ws_url!r}")
        if not self.rest_url.startswith(("http://", "https://")):
            raise ValueError(f"rest_url must be http:// or https://, got {self.rest_url!r}")


async def fetch_json(url: str) -> object:
    """GET ``url`` and parse its JSON body (in a worker thread); failures are VenueError."""

    def _get() -> object:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 (scheme checked)
        try:
            with urllib.request.urlopen(request, timeout=_HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
                return json.loads(response.read())
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise VenueError(f"GET {url} failed: {exc}") from exc

    return await asyncio.to_thread(_get)


class BinanceClient:
    """Streams Binance ticks to ``emit`` until ``should_stop()``; see the module docstring."""

    def __init__(
        self,
        translator: BinanceTranslator,
        emit: Emit,
        clock: Clock,
        *,
        endpoints: BinanceEndpoints | None = None,
        backoff: Backoff | None = None,
        fetch: FetchJson = fetch_json,
        poll_seconds: float = 0.2,
    ) -> None:
        self._translator = translator
        self._emit = emit
        self._clock = clock
        self._endpoints = endpoints or BinanceEndpoints()
        self._backoff = backoff or Backoff()
        self._fetch = fetch
        self._poll = poll_seconds
        self.connections = 0
        self.connection_failures = 0
        self.recoveries = 0
        self.frames_received = 0
        self.frames_rejected = 0

    async def run(self, should_stop: Callable[[], bool]) -> None:
        """Connect, recover, stream; reconnect after any failure until asked to stop."""
        url = self._endpoints.ws_url.rstrip("/") + self._translator.stream_path()
        attempt = 0
        while not should_stop():
            frames_before = self.frames_received
            try:
                async with connect(
                    url, proxy=True if self._endpoints.use_proxy else None, open_timeout=10
                ) as websocket:
                    self.connections += 1
                    _log.info("connected to %s", url, extra={"agent": "venue_feed"})
                    await self._recover()
                    await self._pump(websocket, should_stop)
            except (OSError, TimeoutError, WebSocketException, VenueError) as exc:
                self.connection_failures += 1
                _log.warning(
                    "binance connection lost: %s",
                    exc,
                    extra={"agent": "venue_feed", "error_class": type(exc).__name__},
                )
            if should_stop():
                return
            if self.frames_received > frames_before:
                attempt = 0
            await asyncio.sleep(self._backoff.delay(attempt))
            attempt += 1

    async def _recover(self) -> None:
        """Publish the REST snapshots taken after this (re)connect."""
        base = self._endpoints.rest_url.rstrip("/")
        for symbol in self._translator.venue_symbols:
            depth_query = urlencode({"symbol": symbol, "limit": self._endpoints.depth_limit})
            depth = await self._fetch(f"{base}/api/v3/depth?{depth_query}")
            trades_query = urlencode({"symbol": symbol, "limit": self._endpoints.trades_limit})
            trades = await self._fetch(f"{base}/api/v3/trades?{trades_query}")
            now = self._clock.now()
            try:
                ticks = self._translator.recover_trades(trades, symbol, now)
                ticks.extend(self._translator.recover_book(depth, symbol, now))
            except VenueProtocolError as exc:
                raise VenueError(f"unusable snapshot for {symbol}: {exc}") from exc
            for tick in ticks:
                self._emit(tick)
        self.recoveries += 1

    async def _pump(self, websocket: ClientConnection, should_stop: Callable[[], bool]) -> None:
        """Translate frames until stopped; a failed connection raises."""
        while not should_stop():
            try:
                frame = await asyncio.wait_for(websocket.recv(), timeout=self._poll)
            except TimeoutError:
                continue
            self.frames_received += 1
            try:
                ticks = self._translator.on_frame(frame, self._clock.now())
            except VenueProtocolError as exc:
                self.frames_rejected += 1
                _log.error("rejected binance frame: %s", exc, extra={"agent": "venue_feed"})
                continue
            for tick in ticks:
                self._emit(tick)
