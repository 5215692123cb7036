"""Risk gate agent (Faust host): ``strategy.intent`` -> ``risk.approved`` / ``risk.rejected``.

Logic: :class:`streams.risk.gate.RiskGate`; limits and their precedence: docs/risk.md.

=====================================  ======================  ===================================
variable                               default                 meaning
=====================================  ======================  ===================================
``TAPEWIRE_RISK_FILE``                 packaged ``risk.yaml``  YAML file of risk limits
``TAPEWIRE_RISK_PENDING_TTL_SECONDS``  ``300``                 unconfirmed approvals stop counting
=====================================  ======================  ===================================
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.marketdata.config import load_config
from streams.risk.config import load_risk_config
from streams.risk.gate import RiskGate, RiskGateConfig
from streams.runtime.agent_spec import AgentSpec
from streams.settings import Settings


class RiskAgentConfig(BaseSettings):
    """Settings of the risk gate agent (``TAPEWIRE_RISK_*``)."""

    model_config = SettingsConfigDict(env_prefix="TAPEWIRE_RISK_", frozen=True, extra="ignore")

    file: Path | None = Field(default=None, description="risk limits YAML (None = packaged)")
    pending_ttl_seconds: float = Field(default=300.0, gt=0)


def build(settings: Settings) -> RiskGate:
    """The gate with limits from ``TAPEWIRE_RISK_FILE`` (validated at start)."""
    del settings
    config = load_config(RiskAgentConfig)
    return RiskGate(
        load_risk_config(config.file),
        RiskGateConfig(pending_ttl_seconds=config.pending_ttl_seconds),
    )


AGENT = AgentSpec(
    name=RiskGate.name,
    host="faust",
    build=build,
    description="pre-trade risk checks, kill switches and loss halts; the only way to an order",
    snapshot_topic="risk.snapshot",
)
