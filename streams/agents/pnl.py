"""Positions and PnL agent (Faust host): ``order.event`` + market data -> ``pnl.update``.

Logic: :class:`streams.pnl.processor.PnlProcessor`; arithmetic and conventions: docs/pnl.md.
Also writes ``position.snapshot`` (compacted, key ``account:strategy:instrument``).
"""

from __future__ import annotations

from streams.pnl.processor import PnlProcessor
from streams.runtime.agent_spec import AgentSpec
from streams.settings import Settings


def build(settings: Settings) -> PnlProcessor:
    """One PnL processor per partition of order.event (market data is broadcast)."""
    del settings
    return PnlProcessor()


AGENT = AgentSpec(
    name=PnlProcessor.name,
    host="faust",
    build=build,
    description="positions, average cost, realized/unrealized PnL, daily PnL and drawdown",
    snapshot_topic="pnl.snapshot",
)
