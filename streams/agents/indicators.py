"""The indicators agent: ``md.bar`` -> ``indicator.value``, one event per bar and spec.

Configuration: ``TAPEWIRE_INDICATORS``, a comma-separated list of indicator specs (see
docs/indicators.md), validated when the agent starts; a bad spec stops it with a
:class:`~streams.errors.ConfigError` naming the variable and the spec.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.errors import ConfigError
from streams.indicators.processor import IndicatorProcessor
from streams.indicators.registry import IndicatorSpec, parse_specs
from streams.runtime.agent_spec import AgentSpec
from streams.settings import Settings

DEFAULT_SPECS: Final = "sma:10,sma:30,ema:20,rsi:14,macd:12:26:9,bbands:20:2,atr:14"
ENV_VARIABLE: Final = "TAPEWIRE_INDICATORS"


class IndicatorSettings(BaseSettings):
    """Settings of the indicators agent (environment ``TAPEWIRE_*``)."""

    model_config = SettingsConfigDict(env_prefix="TAPEWIRE_", frozen=True, extra="forbid")

    indicators: str = Field(
        default=DEFAULT_SPECS,
        description="comma-separated indicator specs, e.g. ema:20,macd:12:26:9",
    )

    @property
    def specs(self) -> tuple[IndicatorSpec, ...]:
        """The parsed specs; ConfigError on ``TAPEWIRE_INDICATORS`` when one is invalid."""
        return parse_specs(self.indicators, field=ENV_VARIABLE)


def load_specs() -> tuple[IndicatorSpec, ...]:
    """The specs configured in the environment; ConfigError naming the variable and spec."""
    try:
        settings = IndicatorSettings()
    except ValidationError as exc:
        raise ConfigError(ENV_VARIABLE, str(exc.errors()[0]["msg"])) from exc
    return settings.specs


def build(settings: Settings) -> IndicatorProcessor:
    """The processor for ``tapewire agent indicators``; specs from ``TAPEWIRE_INDICATORS``."""
    del settings  # the platform settings carry nothing the processor needs
    return IndicatorProcessor(load_specs())


AGENT = AgentSpec(
    name=IndicatorProcessor.name,
    host="faust",
    build=build,
    snapshot_topic="indicator.snapshot",
    description="technical indicators (TAPEWIRE_INDICATORS) over md.bar -> indicator.value",
)
