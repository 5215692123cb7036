"""The O(1) building blocks against exact or brute-force computations."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from streams.indicators import create
from streams.indicators.rolling import (
    CompensatedSum,
    RingBuffer,
    RollingExtreme,
    RollingMoments,
    RollingSum,
)
from tests.unit.indicators.indicator_data import Ohlcv, run


def test_compensated_window_sum_does_not_drift_where_a_naive_one_does() -> None:
    rng = random.Random(7)
    values = [rng.choice((1e12, 1e-3, -1e12, 0.1, 3.7)) * rng.random() for _ in range(100_000)]
    period = 50
    window = RollingSum(period)
    naive = 0.0
    for index, value in enumerate(values):
        window.push(value)
        naive += value
        if index >= period:
            naive -= values[index - period]
    exact = math.fsum(values[-period:])
    assert window.sum == pytest.approx(exact, rel=1e-15, abs=1e-3)
    assert abs(naive - exact) > 1e-2  # the uncompensated running sum has drifted


def test_compensated_sum_keeps_the_small_terms() -> None:
    total = CompensatedSum()
    for value in (1e16, 1.0, -1e16, 1.0):
        total.add(value)
    assert total.value == 2.0


def test_ring_buffer_evicts_the_oldest_and_restores_its_order() -> None:
    buffer = RingBuffer(3)
    assert [buffer.push(v) for v in (1.0, 2.0, 3.0, 4.0, 5.0)] == [None, None, None, 1.0, 2.0]
    assert buffer.ordered() == [3.0, 4.0, 5.0]
    assert buffer.newest == 5.0
    copy = RingBuffer(3)
    copy.load(buffer.state())
    assert copy.push(6.0) == 3.0
    assert copy.ordered() == [4.0, 5.0, 6.0]
    with pytest.raises(ValueError, match="at most 3"):
        copy.load([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="capacity"):
        RingBuffer(0)


@pytest.mark.parametrize("period", [1, 2, 5, 14])
def test_rolling_extremes_match_brute_force(period: int) -> None:
    rng = np.random.default_rng(period)
    values = np.round(rng.normal(0, 3, 2000), 0).tolist()  # many ties
    highest = RollingExtreme(period, maximum=True)
    lowest = RollingExtreme(period, maximum=False)
    for index, value in enumerate(values):
        window = values[max(0, index - period + 1) : index + 1]
        assert highest.push(value) == max(window)
        assert lowest.push(value) == min(window)
        if index == 1000:
            restored = RollingExtreme(period, maximum=True)
            restored.load(highest.state())
            highest = restored


def test_rolling_variance_survives_prices_far_from_zero() -> None:
    rng = np.random.default_rng(3)
    prices = 1e6 + rng.normal(0, 1e-3, 5000)  # variance 1e-6 next to a mean of 1e6
    moments = RollingMoments(20)
    for value in prices.tolist():
        moments.push(value)
    window = prices[-20:]
    assert moments.mean == pytest.approx(float(np.mean(window)), rel=1e-15)
    assert moments.variance == pytest.approx(float(np.var(window)), rel=1e-6)


def test_a_constant_window_has_exactly_zero_variance() -> None:
    moments = RollingMoments(5)
    for value in [1.3, 7.9, 2.2, 5.5, 0.1, *([4.2] * 5)]:
        moments.push(value)
    assert moments.variance == 0.0
    restored = RollingMoments(5)
    restored.load(moments.state())
    restored.push(4.2)
    assert restored.variance == 0.0


def test_wma_running_sum_trick_matches_a_convolution(spx: Ohlcv) -> None:
    period = 30
    weights = np.arange(period, 0, -1, dtype=np.float64)
    expected = np.convolve(spx.close, weights, mode="valid") / weights.sum()
    got = run(create(f"wma:{period}"), spx.bars)["wma"]
    np.testing.assert_allclose(got[period - 1 :], expected, rtol=1e-12)
