"""Every indicator against TA-Lib (default settings) on real and on edge-case data.

For each output: the first value appears at TA-Lib's first non-NaN index (the warm-up is
identical), there is no gap after it, and every value equals TA-Lib's to 1e-9 relative, with
an absolute floor of 1e-9 times the output's largest magnitude for values that cross zero
(MACD histogram, OBV, DI).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import talib
from streams.indicators import create
from talib._ta_lib import MA_Type
from tests.unit.indicators.indicator_data import FloatArray, Ohlcv, run

Reference = Callable[[Ohlcv], dict[str, FloatArray]]

RTOL = 1e-9


def _bbands(period: int, k: float) -> Reference:
    def ref(d: Ohlcv) -> dict[str, FloatArray]:
        upper, middle, lower = talib.BBANDS(d.close, period, k, k, MA_Type.SMA)
        return {"upper": upper, "middle": middle, "lower": lower}

    return ref


def _macd(fast: int, slow: int, signal: int) -> Reference:
    def ref(d: Ohlcv) -> dict[str, FloatArray]:
        line, sig, hist = talib.MACD(d.close, fast, slow, signal)
        return {"macd": line, "signal": sig, "hist": hist}

    return ref


def _adx(period: int) -> Reference:
    def ref(d: Ohlcv) -> dict[str, FloatArray]:
        return {
            "adx": talib.ADX(d.high, d.low, d.close, period),
            "plus_di": talib.PLUS_DI(d.high, d.low, d.close, period),
            "minus_di": talib.MINUS_DI(d.high, d.low, d.close, period),
        }

    return ref


def _stoch(fastk: int, slowk: int, slowd: int) -> Reference:
    def ref(d: Ohlcv) -> dict[str, FloatArray]:
        k, dd = talib.STOCH(d.high, d.low, d.close, fastk, slowk, MA_Type.SMA, slowd, MA_Type.SMA)
        return {"slowk": k, "slowd": dd}

    return ref


def _close(function: Callable[..., FloatArray], name: str, period: int) -> Reference:
    return lambda d: {name: function(d.close, period)}


def _hlc(function: Callable[..., FloatArray], name: str, period: int) -> Reference:
    return lambda d: {name: function(d.high, d.low, d.close, period)}


CASES: dict[str, Reference] = {
    "sma:5": _close(talib.SMA, "sma", 5),
    "sma:20": _close(talib.SMA, "sma", 20),
    "sma:200": _close(talib.SMA, "sma", 200),
    "ema:10": _close(talib.EMA, "ema", 10),
    "ema:50": _close(talib.EMA, "ema", 50),
    "wma:10": _close(talib.WMA, "wma", 10),
    "wma:30": _close(talib.WMA, "wma", 30),
    "rsi:7": _close(talib.RSI, "rsi", 7),
    "rsi:14": _close(talib.RSI, "rsi", 14),
    "rsi:21": _close(talib.RSI, "rsi", 21),
    "macd:12:26:9": _macd(12, 26, 9),
    "macd:5:35:5": _macd(5, 35, 5),
    "bbands:20:2": _bbands(20, 2.0),
    "bbands:10:1.5": _bbands(10, 1.5),
    "atr:14": _hlc(talib.ATR, "atr", 14),
    "atr:7": _hlc(talib.ATR, "atr", 7),
    "atr:1": _hlc(talib.ATR, "atr", 1),
    "adx:14": _adx(14),
    "adx:7": _adx(7),
    "stoch:14:3:3": _stoch(14, 3, 3),
    "stoch:5:3:3": _stoch(5, 3, 3),
    "stoch:1:1:1": _stoch(1, 1, 1),
    "obv": lambda d: {"obv": talib.OBV(d.close, d.volume)},
}


def _assert_matches(spec: str, got: dict[str, FloatArray], expected: dict[str, FloatArray]) -> None:
    assert set(got) == set(expected)
    for output, reference in expected.items():
        values = got[output]
        valid = ~np.isnan(reference)
        assert valid.any(), f"{spec}.{output}: TA-Lib produced no value"
        first_reference = int(np.argmax(valid))
        first_ours = int(np.argmax(~np.isnan(values)))
        assert first_ours == first_reference, f"{spec}.{output}: warm-up differs"
        assert not np.isnan(values[first_ours:]).any(), f"{spec}.{output}: gap after warm-up"
        floor = RTOL * float(np.max(np.abs(reference[valid])))
        np.testing.assert_allclose(
            values[valid], reference[valid], rtol=RTOL, atol=floor, err_msg=f"{spec}.{output}"
        )


@pytest.mark.parametrize("spec", list(CASES))
def test_matches_talib_on_sp500(spec: str, spx: Ohlcv) -> None:
    _assert_matches(spec, run(create(spec), spx.bars), CASES[spec](spx))


@pytest.mark.parametrize("spec", list(CASES))
def test_matches_talib_on_flat_and_tied_bars(spec: str, choppy: Ohlcv) -> None:
    _assert_matches(spec, run(create(spec), choppy.bars), CASES[spec](choppy))


def test_ready_flips_exactly_when_every_output_has_a_value(spx: Ohlcv) -> None:
    for spec in CASES:
        indicator = create(spec)
        for bar in spx.bars[:60]:
            values = indicator.update(bar)
            assert indicator.ready == all(v is not None for v in values.values()), spec


def test_adx_directional_indicators_warm_up_before_the_adx(spx: Ohlcv) -> None:
    got = run(create("adx:14"), spx.bars[:40])
    assert int(np.argmax(~np.isnan(got["plus_di"]))) == 14
    assert int(np.argmax(~np.isnan(got["adx"]))) == 27


def test_obv_is_exact_for_integer_volumes(spx: Ohlcv) -> None:
    np.testing.assert_array_equal(
        run(create("obv"), spx.bars)["obv"], talib.OBV(spx.close, spx.volume)
    )
