"""Indicator updates per second against a bare-Python running-sum SMA loop (same run).

The baseline is the cheapest honest O(1) indicator one can write in Python: a running sum
over a ring of closes, inlined in one loop, no objects, no outputs dict. Each indicator runs
over the same bars through its public ``update``; the ratio (indicator / baseline) shows
what the contract costs (BarInput, dict of outputs, compensated sums, warm-up checks).
Two more lines: the SMA at periods 10 and 1000 (O(1): the ratio stays near 1), and the whole
indicators processor (md.bar dicts in, indicator.value events out) with the agent's default
specs. Nothing is asserted on time.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from streams.agents.indicators import DEFAULT_SPECS
from streams.decimals import q
from streams.events import derive_event_id, envelope
from streams.indicators import BarInput, create
from streams.indicators.processor import IndicatorProcessor
from streams.runtime.processor import Record

from benchmarks.common import Result, paired_ops_per_second

BARS = 20_000
PROCESSOR_BARS = 2_000
REPEATS = 5
SPECS = (
    "sma:20",
    "ema:20",
    "wma:20",
    "rsi:14",
    "macd:12:26:9",
    "bbands:20:2",
    "atr:14",
    "adx:14",
    "stoch:14:3:3",
    "vwap",
    "obv",
)
DEFAULT_AGENT_SPECS = tuple(DEFAULT_SPECS.split(","))
START = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def synthetic_bars(count: int, seed: int = 42) -> list[BarInput]:
    """A seeded random walk of one-minute OHLCV bars."""
    rng = random.Random(seed)
    bars: list[BarInput] = []
    close = 100.0
    for index in range(count):
        open_ = close
        close = max(1.0, open_ * (1.0 + rng.gauss(0.0, 0.002)))
        high = max(open_, close) * (1.0 + abs(rng.gauss(0.0, 0.001)))
        low = min(open_, close) * (1.0 - abs(rng.gauss(0.0, 0.001)))
        volume = float(rng.randint(100, 10_000))
        bars.append(BarInput(START + timedelta(minutes=index + 1), open_, high, low, close, volume))
    return bars


def _baseline(closes: list[float], period: int = 20) -> None:
    window = [0.0] * period
    total = 0.0
    slot = 0
    value = 0.0
    for count, close in enumerate(closes, start=1):
        total += close - window[slot]
        window[slot] = close
        slot = (slot + 1) % period
        if count >= period:
            value = total / period
    del value


def _records(bars: list[BarInput]) -> list[Record]:
    records = []
    for index, bar in enumerate(bars):
        env = envelope(
            event_type="md.bar",
            event_id=derive_event_id("bench", "md.bar", index),
            event_time=bar.time,
            ingest_time=bar.time,
            agent="bar_aggregator",
        )
        prices = (bar.open, bar.high, bar.low, bar.close, bar.volume)
        open_, high, low, close, volume = (q(Decimal(repr(p))) for p in prices)
        value: dict[str, Any] = {
            "envelope": env,
            "instrument": "SIMX",
            "venue": "SIM",
            "interval_seconds": 60,
            "start": bar.time - timedelta(minutes=1),
            "end": bar.time,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
            "vwap": None,
            "trade_count": 1,
            "revision": 0,
        }
        records.append(Record(topic="md.bar", key="SIMX", value=value, offset=index))
    return records


def _updates(spec: str, bars: list[BarInput]) -> None:
    update = create(spec).update
    for bar in bars:
        update(bar)


def run() -> list[Result]:
    bars = synthetic_bars(BARS)
    closes = [bar.close for bar in bars]
    results: list[Result] = []
    for spec in SPECS:
        ops, base = paired_ops_per_second(
            partial(_updates, spec, bars), partial(_baseline, closes), 1, repeats=REPEATS
        )
        results.append(
            Result(
                f"indicator {spec}",
                ops * BARS,
                "updates/s",
                base * BARS,
                ops / base,
                "throughput vs bare-Python running-sum SMA loop (higher is better)",
            )
        )
    long_period, short_period = paired_ops_per_second(
        partial(_updates, "sma:1000", bars), partial(_updates, "sma:10", bars), 1, repeats=REPEATS
    )
    results.append(
        Result(
            "indicator sma:1000 vs sma:10",
            long_period * BARS,
            "updates/s",
            short_period * BARS,
            long_period / short_period,
            "O(1) per update: ~1x whatever the period",
        )
    )
    records = _records(bars[:PROCESSOR_BARS])

    def process_all() -> None:
        processor = IndicatorProcessor(DEFAULT_AGENT_SPECS)
        for record in records:
            processor.process(record)

    def baseline_processor_bars() -> None:
        _baseline([float(r.value["close"]) for r in records])

    ops, base = paired_ops_per_second(process_all, baseline_processor_bars, 1, repeats=REPEATS)
    results.append(
        Result(
            f"indicators processor ({len(DEFAULT_AGENT_SPECS)} specs)",
            ops * PROCESSOR_BARS,
            "bars/s",
            base * PROCESSOR_BARS,
            ops / base,
            f"md.bar -> {len(DEFAULT_AGENT_SPECS)} indicator.value events per bar, vs the "
            "bare loop (incl. Decimal->float) over the same bars",
        )
    )
    return results
