"""Synthetic feed: seeded GBM + GARCH ticks for several instruments -> ``md.tick.raw``.

The default source of ``make demo``. Settings (environment, ``TAPEWIRE_SYNTHETIC_*``):

- ``SEED`` (7): random seed; the same seed gives the same ticks;
- ``INSTRUMENTS`` (``["SPX","AAPL","MSFT","BTC-USD","ETH-USD"]``): JSON list of symbols
  from the instruments file (each needs a ``simulation`` block);
- ``START`` (``2024-01-02T14:30:00Z``): event time of the simulation start;
- ``RATE`` (200): events per second of event time, over all instruments;
- ``SPEED`` (1): publication speed relative to event time, 0 = as fast as possible;
- ``MAX_EVENTS`` (0): stop after N events, 0 = never;
- ``TRADE_PROBABILITY`` (0.3): share of trades among the events.

Event times come from the simulation, never from the clock; the clock only paces
publication and stamps ``ingest_time``. Restarting with the same seed re-publishes the same
ticks with the same ids and sequences, which the normaliser drops as duplicates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import islice

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.clock import Clock
from streams.errors import ConfigError
from streams.marketdata.config import load_config
from streams.marketdata.instruments import load_instruments
from streams.marketdata.pacing import Pacer
from streams.marketdata.synthetic import SyntheticFeed, SyntheticParameters
from streams.marketdata.ticks import TICK_RAW_TOPIC, with_ingest_time
from streams.runtime.agent_spec import Publisher, SourceSpec
from streams.runtime.processor import Output
from streams.settings import Settings

NAME = "synthetic_feed"


class SyntheticFeedConfig(BaseSettings):
    """Settings of the synthetic feed (``TAPEWIRE_SYNTHETIC_*``)."""

    model_config = SettingsConfigDict(env_prefix="TAPEWIRE_SYNTHETIC_", frozen=True, extra="ignore")

    seed: int = 7
    instruments: tuple[str, ...] = ("SPX", "AAPL", "MSFT", "BTC-USD", "ETH-USD")
    start: datetime = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
    rate: float = Field(default=200.0, gt=0, description="events per second of event time")
    speed: float = Field(default=1.0, ge=0, description="0 = as fast as possible")
    max_events: int = Field(default=0, ge=0, description="0 = unlimited")
    trade_probability: float = Field(default=0.3, ge=0, le=1)


def build_feed(config: SyntheticFeedConfig) -> SyntheticFeed:
    """The generator the agent publishes (also used by tests and the backtest)."""
    registry = load_instruments()
    missing = [s for s in config.instruments if s not in registry]
    if missing:
        raise ConfigError("synthetic.instruments", f"not in the instruments file: {missing}")
    parameters = SyntheticParameters(
        seed=config.seed,
        start=config.start if config.start.tzinfo else config.start.replace(tzinfo=UTC),
        events_per_second=config.rate,
        trade_probability=config.trade_probability,
        agent=NAME,
    )
    return SyntheticFeed(parameters, [registry[s] for s in config.instruments])


def run(
    settings: Settings,
    publisher: Publisher,
    clock: Clock,
    should_stop: Callable[[], bool],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Publish synthetic ticks until stopped (or ``max_events`` are out)."""
    del settings
    config = load_config(SyntheticFeedConfig)
    pacer = Pacer(clock, sleep, speed=config.speed)
    feed = build_feed(config)
    ticks = islice(feed, config.max_events) if config.max_events else feed
    for tick in ticks:
        if not pacer.wait_until_due(tick["envelope"]["event_time"], should_stop):
            break
        value = with_ingest_time(tick, clock.now())
        publisher.publish(Output(topic=TICK_RAW_TOPIC, key=value["instrument"], value=value))
    publisher.flush()


AGENT = SourceSpec(
    name=NAME,
    run=run,
    description="seeded synthetic trades and quotes (GBM with GARCH volatility) to md.tick.raw",
)
