"""Fixtures of the trading integration tests (helpers live in trading_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streams.codec import AvroCodec
from tests.integration.trading.trading_support import TradingEnv


@pytest.fixture
def trading_env(stack: Any, unique: str, tmp_path: Path) -> Iterator[TradingEnv]:
    settings = stack.settings(topic_prefix=unique)
    env = TradingEnv(
        settings=settings,
        prefix=unique,
        codec=AvroCodec.from_settings(settings),
        work_dir=tmp_path,
    )
    try:
        yield env
    finally:
        env.stop_all()
