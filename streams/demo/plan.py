"""Which agents the demo runs and with which environment (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

DEMO_AGENTS: Final = (
    "sink",
    "pnl",
    "sim_exchange",
    "order_manager",
    "risk_gate",
    "strategy",
    "indicators",
    "bar_aggregator",
    "tick_normalizer",
    "synthetic_feed",
)
"""Downstream first, so every consumer is in its group before the feed publishes."""

DEMO_INDICATORS: Final = "sma:5,sma:20,ema:20,rsi:14,macd:12:26:9,bbands:20:2"


@dataclass(frozen=True, slots=True)
class DemoPlan:
    bootstrap_servers: str
    database_url: str
    data_dir: Path
    speed: float
    rate: float
    seed: int
    metrics_ports: Mapping[str, int]

    def environment(self, agent: str, base: Mapping[str, str]) -> dict[str, str]:
        """The environment of one agent process: the base plus the demo's settings."""
        env = dict(base)
        env.update(
            {
                "TAPEWIRE_PROFILE": "embedded",
                "TAPEWIRE_BOOTSTRAP_SERVERS": self.bootstrap_servers,
                "TAPEWIRE_DATABASE_URL": self.database_url,
                "TAPEWIRE_DATA_DIR": str(self.data_dir),
                "TAPEWIRE_METRICS_PORT": str(self.metrics_ports[agent]),
                "TAPEWIRE_SNAPSHOT_EVERY_SECONDS": "2",
                "TAPEWIRE_STRATEGIES": str(strategy_file()),
                "TAPEWIRE_INDICATORS": DEMO_INDICATORS,
                "TAPEWIRE_BAR_INTERVALS": "[1]",
                "TAPEWIRE_BAR_ALLOWED_LATENESS_SECONDS": "0.5",
                "TAPEWIRE_SYNTHETIC_SEED": str(self.seed),
                "TAPEWIRE_SYNTHETIC_RATE": str(self.rate),
                "TAPEWIRE_SYNTHETIC_SPEED": str(self.speed),
                "TAPEWIRE_SINK_RUN_ID": "demo",
            }
        )
        env.pop("TAPEWIRE_CONFIG_FILE", None)
        return env


def strategy_file() -> Path:
    """The demo strategy shipped with the package."""
    return Path(str(resources.files("streams.demo").joinpath("demo_strategy.yaml")))
