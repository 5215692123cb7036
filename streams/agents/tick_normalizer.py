"""Tick normaliser (bulk host): ``md.tick.raw`` -> ``md.tick`` + ``md.gap``.

Validates raw ticks against the instruments file, rounds prices and sizes to the
instrument's increments and checks sequences per (feed, instrument); malformed ticks are
dead-lettered by the host. Logic: :class:`streams.marketdata.normalizer.TickNormalizer`.

Settings (environment):

- ``TAPEWIRE_INSTRUMENTS_FILE`` (the packaged instruments.yaml): instruments and increments;
- ``TAPEWIRE_NORMALIZER_MAX_MISSING_RANGES`` (1024): skipped sequence ranges remembered per
  (feed, instrument);
- ``TAPEWIRE_NORMALIZER_CONFLATED_FEEDS`` (``["binance.bookTicker"]``): JSON list of feeds
  whose sequences skip by design (jumps there are not gaps).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.marketdata.config import load_config
from streams.marketdata.instruments import load_instruments
from streams.marketdata.normalizer import NormalizerOptions, TickNormalizer
from streams.runtime.agent_spec import AgentSpec
from streams.settings import Settings


class NormalizerConfig(BaseSettings):
    """Settings of the tick normaliser (``TAPEWIRE_NORMALIZER_*``)."""

    model_config = SettingsConfigDict(
        env_prefix="TAPEWIRE_NORMALIZER_", frozen=True, extra="ignore"
    )

    max_missing_ranges: int = Field(default=1024, gt=0)
    conflated_feeds: frozenset[str] = frozenset({"binance.bookTicker"})


def build(settings: Settings) -> TickNormalizer:
    """One normaliser per partition of md.tick.raw."""
    del settings
    config = load_config(NormalizerConfig)
    options = NormalizerOptions(
        max_missing_ranges=config.max_missing_ranges, conflated_feeds=config.conflated_feeds
    )
    return TickNormalizer(load_instruments(), options)


AGENT = AgentSpec(
    name=TickNormalizer.name,
    host="bulk",
    build=build,
    description="validate and round raw ticks, detect sequence gaps and duplicates",
    snapshot_topic="md.normalizer.snapshot",
)
