"""Venue feed: live Binance spot trades and top of book -> ``md.tick.raw``.

Adapter: :mod:`streams.marketdata.venues.binance` (message formats, sequences, recovery)
and :mod:`streams.marketdata.venues.binance_client` (websocket, reconnect, REST snapshots).

Settings (environment, ``TAPEWIRE_VENUE_*``):

- ``INSTRUMENTS`` (``["BTC-USD","ETH-USD"]``): JSON list; their venue must be BINANCE;
- ``WS_URL`` (``wss://stream.binance.com:9443``): websocket base URL;
- ``REST_URL`` (``https://api.binance.com``): REST base URL (snapshots);
- ``BACKOFF_INITIAL_SECONDS`` (0.5) and ``BACKOFF_MAX_SECONDS`` (30): reconnect delays;
- ``USE_PROXY`` (true): honour the proxy environment variables.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.clock import Clock
from streams.errors import ConfigError
from streams.marketdata.config import load_config
from streams.marketdata.instruments import load_instruments
from streams.marketdata.ticks import TICK_RAW_TOPIC
from streams.marketdata.venues.binance import VENUE, BinanceTranslator
from streams.marketdata.venues.binance_client import Backoff, BinanceClient, BinanceEndpoints
from streams.runtime.agent_spec import Publisher, SourceSpec
from streams.runtime.processor import Output
from streams.settings import Settings

NAME = "venue_feed"


class VenueFeedConfig(BaseSettings):
    """Settings of the venue feed (``TAPEWIRE_VENUE_*``)."""

    model_config = SettingsConfigDict(env_prefix="TAPEWIRE_VENUE_", frozen=True, extra="ignore")

    instruments: tuple[str, ...] = ("BTC-USD", "ETH-USD")
    ws_url: str = "wss://stream.binance.com:9443"
    rest_url: str = "https://api.binance.com"
    backoff_initial_seconds: float = Field(default=0.5, gt=0)
    backoff_max_seconds: float = Field(default=30.0, gt=0)
    use_proxy: bool = True


def build_client(config: VenueFeedConfig, publisher: Publisher, clock: Clock) -> BinanceClient:
    """The Binance client for the configured instruments, publishing to md.tick.raw."""
    registry = load_instruments()
    chosen = []
    for symbol in config.instruments:
        instrument = registry.get(symbol)
        if instrument is None or instrument.venue != VENUE:
            raise ConfigError("venue.instruments", f"{symbol!r} is not a {VENUE} instrument")
        chosen.append(instrument)

    def emit(tick: dict[str, Any]) -> None:
        publisher.publish(Output(topic=TICK_RAW_TOPIC, key=tick["instrument"], value=tick))

    try:
        endpoints = BinanceEndpoints(
            ws_url=config.ws_url, rest_url=config.rest_url, use_proxy=config.use_proxy
        )
    except ValueError as exc:
        raise ConfigError("venue.ws_url", str(exc)) from exc
    return BinanceClient(
        BinanceTranslator(chosen, agent=NAME),
        emit,
        clock,
        endpoints=endpoints,
        backoff=Backoff(config.backoff_initial_seconds, config.backoff_max_seconds),
    )


def run(
    settings: Settings, publisher: Publisher, clock: Clock, should_stop: Callable[[], bool]
) -> None:
    """Stream until stopped, reconnecting as needed; flush on the way out."""
    del settings
    client = build_client(load_config(VenueFeedConfig), publisher, clock)
    try:
        asyncio.run(client.run(should_stop))
    finally:
        publisher.flush()


AGENT = SourceSpec(
    name=NAME,
    run=run,
    description="Binance spot trades and top of book (reconnect + REST recovery) to md.tick.raw",
)
