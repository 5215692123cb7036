"""VWAP (no TA-Lib reference) against an independent numpy computation."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from streams.indicators import BarInput, create
from tests.unit.indicators.indicator_data import FloatArray, Ohlcv, run


def _typical_volume(d: Ohlcv) -> tuple[FloatArray, FloatArray]:
    typical = (d.high + d.low + d.close) / 3.0
    return typical * d.volume, d.volume


def test_cumulative_vwap_matches_numpy(spx: Ohlcv) -> None:
    price_volume, volume = _typical_volume(spx)
    expected = np.cumsum(price_volume) / np.cumsum(volume)
    got = run(create("vwap"), spx.bars)["vwap"]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("window", [1, 20, 390])
def test_rolling_vwap_matches_numpy(window: int, spx: Ohlcv) -> None:
    price_volume, volume = _typical_volume(spx)
    kernel = np.ones(window)
    expected = np.convolve(price_volume, kernel, "valid") / np.convolve(volume, kernel, "valid")
    got = run(create(f"vwap:{window}"), spx.bars)["vwap"]
    assert np.isnan(got[: window - 1]).all()
    np.testing.assert_allclose(got[window - 1 :], expected, rtol=1e-11)


def test_vwap_is_undefined_while_the_covered_volume_is_zero(choppy: Ohlcv) -> None:
    # choppy: bars 100..139 have no volume
    rolling = run(create("vwap:20"), choppy.bars)["vwap"]
    assert np.isnan(rolling[119:140]).all()  # windows entirely inside 100..139
    assert not np.isnan(rolling[19:119]).any()
    assert not np.isnan(rolling[140:]).any()
    cumulative = run(create("vwap"), choppy.bars)["vwap"]
    assert not np.isnan(cumulative[1:]).any()
    np.testing.assert_array_equal(cumulative[100:140], cumulative[99])


def test_vwap_waits_for_the_first_traded_volume() -> None:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    vwap = create("vwap")
    assert vwap.update(BarInput(when, 10, 11, 9, 10, 0)) == {"vwap": None}
    assert not vwap.ready
    assert vwap.update(BarInput(when, 10, 12, 9, 12, 5)) == {"vwap": 11.0}
    assert vwap.ready
