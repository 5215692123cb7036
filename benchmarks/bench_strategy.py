"""Strategy evaluations per second against a bare-Python crossover loop (same run).

The baseline is the cheapest honest version of ``sma_cross``: one loop over precomputed
(fast, slow) pairs that remembers the previous pair, checks the two crossovers and tracks a
long/flat position, with no objects, no Decimals and no events. Two subjects over the same
bars:

- ``strategy sma_cross rules``: the compiled YAML strategy's ``on_bar`` (features, compiled
  expression closures, crossover memory, readiness checks, Decimal sizing);
- ``strategy processor sma_cross``: the whole processor (one ``md.bar`` and two
  ``indicator.value`` records in per bar, join, evaluation, ``strategy.intent`` events out).

The ratio is the cost of one evaluation relative to the baseline's (baseline rate / subject
rate: 300x means an evaluation costs 300 bare-loop iterations; lower is better). The
architecture sets no budget here; the faust host's 3-6.5k events/s per worker is the
practical ceiling the processor must stay well above. Nothing is asserted on time.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from streams.decimals import ZERO, q
from streams.events import derive_event_id, envelope
from streams.runtime.processor import Record
from streams.strategy import (
    Bar,
    BarContext,
    IndicatorReading,
    StrategyProcessor,
    load_strategy_file,
)
from streams.strategy.examples import SMA_CROSS

from benchmarks.common import Result, paired_ops_per_second

BARS = 20_000
PROCESSOR_BARS = 4_000
REPEATS = 5
START = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
Pair = tuple[float | None, float | None]


def _closes(count: int, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    closes: list[float] = []
    close = 100.0
    for _ in range(count):
        close = max(1.0, close * (1.0 + rng.gauss(0.0, 0.002)))
        closes.append(round(close, 4))
    return closes


def _sma(closes: list[float], period: int) -> list[float | None]:
    out: list[float | None] = []
    total = 0.0
    for index, close in enumerate(closes):
        total += close
        if index >= period:
            total -= closes[index - period]
        out.append(total / period if index >= period - 1 else None)
    return out


def _baseline(pairs: list[Pair]) -> None:
    previous_fast: float | None = None
    previous_slow: float | None = None
    position = 0
    for fast, slow in pairs:
        if (
            fast is not None
            and slow is not None
            and previous_fast is not None
            and previous_slow is not None
        ):
            if position > 0 and previous_fast >= previous_slow and fast < slow:
                position = 0
            if position == 0 and previous_fast <= previous_slow and fast > slow:
                position = 10
        previous_fast, previous_slow = fast, slow


def _bars(closes: list[float]) -> list[Bar]:
    bars: list[Bar] = []
    for index, close in enumerate(closes):
        end = START + timedelta(minutes=index + 1)
        price = q(Decimal(repr(close)))
        bars.append(
            Bar("SIMX", 60, end - timedelta(minutes=1), end, price, price, price, price, q(1))
        )
    return bars


def _readings(pairs: list[Pair]) -> list[dict[str, IndicatorReading]]:
    return [
        {
            "fast": IndicatorReading(fast is not None, {"sma": fast}),
            "slow": IndicatorReading(slow is not None, {"sma": slow}),
        }
        for fast, slow in pairs
    ]


def _records(bars: list[Bar], pairs: list[Pair]) -> list[Record]:
    records: list[Record] = []
    for index, (bar, (fast, slow)) in enumerate(zip(bars, pairs, strict=True)):
        env = envelope(
            event_type="md.bar",
            event_id=derive_event_id("bench", "md.bar", index),
            event_time=bar.end,
            ingest_time=bar.end,
            agent="bar_aggregator",
        )
        value: dict[str, Any] = {
            "envelope": env,
            "instrument": bar.instrument,
            "venue": "SIM",
            "interval_seconds": 60,
            "start": bar.start,
            "end": bar.end,
            "open": bar.open,
            "high": bar.high,
            "low": bar.low,
            "close": bar.close,
            "volume": bar.volume,
            "vwap": None,
            "trade_count": 1,
            "revision": 0,
        }
        records.append(Record("md.bar", bar.instrument, value, offset=index))
        for parameters, output in (("10", fast), ("30", slow)):
            records.append(
                Record(
                    "indicator.value",
                    bar.instrument,
                    {
                        "envelope": {**env, "event_type": "indicator.value"},
                        "instrument": bar.instrument,
                        "indicator": "sma",
                        "parameters": parameters,
                        "version": 1,
                        "interval_seconds": 60,
                        "bar_end": bar.end,
                        "ready": output is not None,
                        "values": {"sma": output},
                    },
                )
            )
    return records


def run() -> list[Result]:
    strategy = load_strategy_file(SMA_CROSS)
    strategy.instruments = ("SIMX",)
    closes = _closes(BARS)
    pairs: list[Pair] = list(zip(_sma(closes, 10), _sma(closes, 30), strict=True))
    bars = _bars(closes)
    readings = _readings(pairs)

    def rules() -> None:
        memory: dict[str, Any] = {}
        position = ZERO
        for bar, reading in zip(bars, readings, strict=True):
            ctx = BarContext("sma_cross", "SIMX", position, reading, None, memory)
            for request in strategy.on_bar(ctx, bar):
                position += request.quantity if request.side == "BUY" else -request.quantity

    ops, base = paired_ops_per_second(rules, lambda: _baseline(pairs), 1, repeats=REPEATS)
    results = [
        Result(
            "strategy sma_cross rules",
            ops * BARS,
            "evaluations/s",
            base * BARS,
            base / ops,
            "cost vs bare-Python crossover loop (lower is better)",
        )
    ]
    records = _records(bars[:PROCESSOR_BARS], pairs[:PROCESSOR_BARS])
    head = pairs[:PROCESSOR_BARS]

    def process_all() -> None:
        processor = StrategyProcessor([strategy])
        for record in records:
            processor.process(record)

    ops, base = paired_ops_per_second(process_all, lambda: _baseline(head), 1, repeats=REPEATS)
    results.append(
        Result(
            "strategy processor sma_cross",
            ops * PROCESSOR_BARS,
            "evaluations/s",
            base * PROCESSOR_BARS,
            base / ops,
            "cost vs the bare loop: bar + 2 indicator.value in, join, rules, intents out",
        )
    )
    return results
