"""Fixtures of the indicator tests: the S&P 500 daily OHLCV shipped with ``arch`` (real
data) and synthetic bars with flat stretches."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from arch.data import sp500
from tests.unit.indicators.indicator_data import Ohlcv


@pytest.fixture(scope="session")
def spx() -> Ohlcv:
    """S&P 500 daily bars 1999-2018 (5,031 rows), real data from the ``arch`` package."""
    frame = sp500.load()
    return Ohlcv(
        time=[datetime(d.year, d.month, d.day, tzinfo=UTC) for d in frame.index],
        open=frame["Open"].to_numpy(dtype=np.float64),
        high=frame["High"].to_numpy(dtype=np.float64),
        low=frame["Low"].to_numpy(dtype=np.float64),
        close=frame["Close"].to_numpy(dtype=np.float64),
        volume=frame["Volume"].to_numpy(dtype=np.float64),
    )


@pytest.fixture(scope="session")
def choppy() -> Ohlcv:
    """Synthetic bars with flat stretches (no change, zero range, zero volume) and ties.

    They exercise the conventions at the edges: the series opens with 30 identical bars, so
    the seeds see a zero average gain + loss (RSI), a zero high-low range (stochastic) and a
    zero true range (ADX/ATR); unchanged closes later test OBV and the Wilder decay.
    """
    rng = np.random.default_rng(20240501)
    steps = np.round(rng.normal(0.0, 0.6, 600), 1)
    steps[:30] = steps[100:160] = steps[300:330] = 0.0
    close = 100.0 + np.cumsum(steps)
    spread = np.round(np.abs(rng.normal(0.0, 0.5, 600)), 1)
    spread[:30] = spread[100:160] = 0.0
    high, low = close + spread, close - np.round(spread / 2, 1)
    open_ = np.concatenate(([close[0]], close[:-1]))
    volume = np.round(rng.uniform(0, 1000, 600))
    volume[100:140] = 0.0
    start = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    time = [datetime.fromtimestamp(start + 60 * i, tz=UTC) for i in range(600)]
    return Ohlcv(time, open_, high, low, close, volume)
