"""Simulated exchange agent (Faust host): ``order.command`` + market data -> ``order.event``.

Logic: :class:`streams.exchange.simulator.SimExchange`; matching rules: docs/exchange.md.

==============================  ==========================  ==================================
variable                        default                     meaning
==============================  ==========================  ==================================
``TAPEWIRE_EXCHANGE_FILE``      packaged ``exchange.yaml``  latency, slippage, fees, fill model
==============================  ==========================  ==================================
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.exchange.config import load_exchange_config
from streams.exchange.simulator import SimExchange
from streams.marketdata.config import load_config
from streams.runtime.agent_spec import AgentSpec
from streams.settings import Settings


class ExchangeAgentConfig(BaseSettings):
    """Settings of the simulated exchange agent (``TAPEWIRE_EXCHANGE_*``)."""

    model_config = SettingsConfigDict(env_prefix="TAPEWIRE_EXCHANGE_", frozen=True, extra="ignore")

    file: Path | None = Field(default=None, description="exchange YAML (None = packaged)")


def build(settings: Settings) -> SimExchange:
    """The simulator configured from ``TAPEWIRE_EXCHANGE_FILE`` (validated at start)."""
    del settings
    return SimExchange(load_exchange_config(load_config(ExchangeAgentConfig).file))


AGENT = AgentSpec(
    name=SimExchange.name,
    host="faust",
    build=build,
    description="deterministic simulated venue SIM: latency, slippage, partial fills, fees",
    snapshot_topic="order.exchange.snapshot",
)
