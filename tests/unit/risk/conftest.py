"""Fixtures of the risk gate tests: a gate with small limits, driven through the harness."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from streams.risk.config import parse_risk_config
from streams.risk.gate import RiskGate
from streams.runtime.harness import Harness

LIMITS: dict[str, Any] = {
    "global": {"max_daily_loss": "5000", "max_drawdown": "8000"},
    "defaults": {
        "max_position": "100",
        "max_order_quantity": "50",
        "max_order_notional": "10000",
        "max_gross_exposure": "20000",
        "max_open_orders": 3,
        "price_band_bps": "100",
        "order_rate": {"max_orders": 5, "window_seconds": 1},
        "max_daily_loss": "1000",
        "max_drawdown": "1500",
    },
    "strategies": {"tight": {"max_order_quantity": "5", "max_daily_loss": "200"}},
}


@pytest.fixture
def make_gate() -> Callable[..., Harness]:
    def build(limits: dict[str, Any] | None = None) -> Harness:
        gate = RiskGate(parse_risk_config(LIMITS if limits is None else limits))
        return Harness(gate, fresh=lambda: RiskGate(gate.limits, gate.config))

    return build
