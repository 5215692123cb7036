"""Real data: the S&P 500 daily bars shipped with ``arch``, through the real indicators.

The expected signals are computed independently (numpy moving averages, TA-Lib RSI) and the
strategies' intents must occur exactly at those bars.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pytest
import talib
from arch.data import sp500
from streams.decimals import q
from streams.events import derive_event_id, envelope
from streams.indicators.processor import IndicatorProcessor
from streams.runtime.processor import Output, Record
from streams.strategy import Strategy, StrategyProcessor, load_strategy
from streams.strategy.examples import SMA_CROSS
from streams.strategy.examples.rsi_reversion import RsiMeanReversion

FloatArray = npt.NDArray[np.float64]
DAY = 86_400


@dataclass(frozen=True)
class Daily:
    end: list[datetime]
    records: list[Record]
    close: FloatArray


@pytest.fixture(scope="module")
def spx() -> Daily:
    frame = sp500.load()
    ends: list[datetime] = []
    records: list[Record] = []
    for index, (stamp, row) in enumerate(frame.iterrows()):
        end = datetime(stamp.year, stamp.month, stamp.day, 21, tzinfo=UTC)
        value = {
            "envelope": envelope(
                event_type="md.bar",
                event_id=derive_event_id("spx", index),
                event_time=end,
                ingest_time=end,
                agent="test",
            ),
            "instrument": "SPX",
            "venue": "ARCH",
            "interval_seconds": DAY,
            "start": end - timedelta(days=1),
            "end": end,
            "open": q(repr(float(row["Open"]))),
            "high": q(repr(float(row["High"]))),
            "low": q(repr(float(row["Low"]))),
            "close": q(repr(float(row["Close"]))),
            "volume": q(repr(float(row["Volume"]))),
            "vwap": None,
            "trade_count": 0,
            "revision": 0,
        }
        ends.append(end)
        records.append(Record(topic="md.bar", key="SPX", value=value))
    close = np.array([float(r.value["close"]) for r in records], dtype=np.float64)
    return Daily(ends, records, close)


def run_with_indicators(strategy: Strategy, data: Daily, specs: list[str]) -> list[Output]:
    indicators = IndicatorProcessor(specs)
    strategies = StrategyProcessor([strategy])
    intents: list[Output] = []
    for record in data.records:
        values = indicators.process(record)
        # indicator values first, then the bar: the join must not care
        for output in values:
            intents.extend(strategies.process(Record("indicator.value", "SPX", output.value)))
        intents.extend(strategies.process(record))
    assert strategies.counters["evaluations"] == len(data.records)
    return intents


def moving_average(values: FloatArray, period: int) -> FloatArray:
    out = np.full(values.shape, np.nan)
    out[period - 1 :] = np.convolve(values, np.ones(period) / period, mode="valid")
    return out


def test_sma_cross_intents_occur_exactly_at_the_numpy_crossings(spx: Daily) -> None:
    fast = moving_average(spx.close, 10)
    slow = moving_average(spx.close, 30)
    diff = fast - slow
    expected: list[tuple[datetime, str]] = []
    long = False
    for i in range(30, len(diff)):  # slow is first defined at index 29
        up = diff[i - 1] <= 0 < diff[i]
        down = diff[i - 1] >= 0 > diff[i]
        if down and long:
            expected.append((spx.end[i], "SELL"))
            long = False
        elif up and not long:
            expected.append((spx.end[i], "BUY"))
            long = True
    crossing = np.sign(diff[30:]) != np.sign(diff[29:-1])
    margin = np.abs(diff[30:][crossing]).min()
    assert margin > 1e-6  # no crossing so close that float rounding could move it
    assert len(expected) > 100

    intents = run_with_indicators(load_strategy(str(SMA_CROSS)), spx, ["sma:10", "sma:30"])
    assert [(o.value["envelope"]["event_time"], o.value["side"]) for o in intents] == expected
    by_end = dict(zip(spx.end, spx.records, strict=True))
    for output in intents:
        value = output.value
        assert value["quantity"] == q(10)
        assert value["reference_price"] == by_end[value["envelope"]["event_time"]].value["close"]


def test_rsi_example_matches_talib_signals(spx: Daily) -> None:
    rsi = talib.RSI(spx.close, timeperiod=14)
    trend = talib.SMA(spx.close, timeperiod=200)
    expected: list[tuple[datetime, str]] = []
    long = False
    for i in range(1, len(rsi)):
        if np.isnan(rsi[i]):
            continue
        if long and rsi[i] >= 70:
            expected.append((spx.end[i], "SELL"))
            long = False
            continue
        leaving = not np.isnan(rsi[i - 1]) and rsi[i - 1] < 30 <= rsi[i]
        if not long and leaving and not np.isnan(trend[i]) and spx.close[i] > trend[i]:
            expected.append((spx.end[i], "BUY"))
            long = True
    assert len(expected) >= 4

    intents = run_with_indicators(RsiMeanReversion(), spx, ["rsi:14", "sma:200"])
    assert [(o.value["envelope"]["event_time"], o.value["side"]) for o in intents] == expected
