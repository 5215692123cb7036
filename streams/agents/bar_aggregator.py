"""Bar aggregator (bulk host): trade ticks from ``md.tick`` -> OHLCV time bars on ``md.bar``.

Logic and the late-tick policy: :class:`streams.marketdata.bars.BarAggregator`.

Settings (environment):

- ``TAPEWIRE_BAR_INTERVALS`` (``[1, 60]``): JSON list of bar lengths in seconds;
- ``TAPEWIRE_BAR_ALLOWED_LATENESS_SECONDS`` (2): host-clock delay after a bar's end before a
  quiet instrument's bar is closed by the timer;
- ``TAPEWIRE_BAR_LATE_GRACE_SECONDS`` (10): event-time window in which late trades revise
  an emitted bar.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.errors import ConfigError
from streams.marketdata.bars import BarAggregator, BarOptions
from streams.marketdata.config import load_config
from streams.runtime.agent_spec import AgentSpec
from streams.settings import Settings


class BarConfig(BaseSettings):
    """Settings of the bar aggregator (``TAPEWIRE_BAR_*``)."""

    model_config = SettingsConfigDict(env_prefix="TAPEWIRE_BAR_", frozen=True, extra="ignore")

    intervals: tuple[int, ...] = (1, 60)
    allowed_lateness_seconds: float = Field(default=2.0, ge=0)
    late_grace_seconds: float = Field(default=10.0, ge=0)


def options_from(config: BarConfig) -> BarOptions:
    """Translate the settings into processor options; bad intervals are a ConfigError."""
    try:
        return BarOptions(
            intervals=config.intervals,
            allowed_lateness=timedelta(seconds=config.allowed_lateness_seconds),
            late_grace=timedelta(seconds=config.late_grace_seconds),
        )
    except ValueError as exc:
        raise ConfigError("bar.intervals", f"{exc} (env TAPEWIRE_BAR_INTERVALS)") from exc


def build(settings: Settings) -> BarAggregator:
    """One aggregator per partition of md.tick."""
    del settings
    return BarAggregator(options_from(load_config(BarConfig)))


AGENT = AgentSpec(
    name=BarAggregator.name,
    host="bulk",
    build=build,
    description="time bars (OHLCV, vwap, trade count) per instrument from trade ticks",
    snapshot_topic="md.bars.snapshot",
)
