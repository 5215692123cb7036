"""Pre-trade risk: limits from YAML, the risk gate processor, kill switches and loss halts."""

from streams.risk.config import RiskConfig, load_risk_config, parse_risk_config
from streams.risk.gate import RiskGate, RiskGateConfig

__all__ = ["RiskConfig", "RiskGate", "RiskGateConfig", "load_risk_config", "parse_risk_config"]
