"""Fixtures of the order manager tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from streams.clock import ManualClock
from streams.orders.manager import OrderManager, OrderManagerConfig
from streams.runtime.harness import Harness


@pytest.fixture
def make_manager() -> Callable[..., Harness]:
    """A harness around an OrderManager; its ManualClock starts at 2024-01-02 14:00 UTC."""

    def build(**config: Any) -> Harness:
        parsed = OrderManagerConfig(**config)
        clock = ManualClock(datetime(2024, 1, 2, 14, 0, tzinfo=UTC))
        return Harness(
            OrderManager(parsed),
            clock=clock,
            timer_every=1.0,
            fresh=lambda: OrderManager(parsed),
        )

    return build
