"""Fixtures of the simulated exchange tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from streams.exchange.config import parse_exchange_config
from streams.exchange.simulator import SimExchange
from streams.runtime.harness import Harness


@pytest.fixture
def make_exchange() -> Callable[..., Harness]:
    """A harness around a SimExchange with the given config (no fees/slippage by default)."""

    def build(**config: Any) -> Harness:
        parsed = parse_exchange_config(config)
        return Harness(SimExchange(parsed), fresh=lambda: SimExchange(parsed))

    return build
