"""Backtest throughput through the full processor chain, in process, no broker.

Two subjects, each against a baseline measured in the same run (interleaved, best of
``REPEATS``): the bare :class:`~streams.backtest.engine.EventLoop` delivering the *same*
source records to one no-op processor (the loop's own cost: heap, clock, routing).

- ``backtest bars/s``: the S&P 500 daily bars (arch) through indicators, the sma_cross
  strategy, risk gate, order manager, simulated exchange and PnL;
- ``backtest ticks/s``: synthetic raw BTC-USD ticks (quotes and trades) through the tick
  normalizer and the bar aggregator (10 s bars) as well, then the same trading chain with a
  tick SMA crossover strategy.

The ratio is subject / baseline throughput (how much of the bare loop's speed the chain
keeps; higher is better). File reading is excluded (records are decoded beforehand).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from streams.backtest.chain import ChainConfig, run_chain
from streams.backtest.engine import EventLoop
from streams.backtest.runner import KEPT_TOPICS
from streams.exchange.config import parse_exchange_config
from streams.marketdata.file_mapping import SP500_DAILY
from streams.marketdata.files import read_bars, sp500_path
from streams.marketdata.instruments import load_instruments
from streams.marketdata.synthetic import SyntheticFeed, SyntheticParameters
from streams.risk.config import load_risk_config
from streams.runtime.processor import Output, Processor, Record
from streams.strategy import load_strategy
from streams.strategy.base import Strategy
from streams.strategy.examples import SMA_CROSS
from streams.strategy.yaml_loader import parse_strategy_yaml

from benchmarks.common import Result

REPEATS = 3
TICKS = 20_000
TICK_STRATEGY = """
name: tick_cross
version: 1
lot_size: 0.001
instruments: [BTC-USD]
indicators: {fast: sma:5, slow: sma:20}
entry: {when: "crosses_above(fast, slow)", side: buy, quantity: 0.01}
exit: {when: "crosses_below(fast, slow)"}
"""


class _NoOp(Processor):
    name: ClassVar[str] = "no_op"
    inputs: ClassVar[tuple[str, ...]] = ("md.bar", "md.tick.raw")
    outputs: ClassVar[tuple[str, ...]] = ()

    def process(self, record: Record) -> list[Output]:
        del record
        return []


def _best_paired(
    subject: Callable[[], object], baseline: Callable[[], object]
) -> tuple[float, float]:
    """Best seconds of each, alternating so both see the same machine conditions."""
    best_subject = best_baseline = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        baseline()
        best_baseline = min(best_baseline, time.perf_counter() - started)
        started = time.perf_counter()
        subject()
        best_subject = min(best_subject, time.perf_counter() - started)
    return best_subject, best_baseline


def _measure(
    name: str,
    unit: str,
    records: list[Record],
    strategy: Callable[[], Strategy],
    config: ChainConfig,
) -> Result:
    topics = {r.topic for r in records}

    def chain() -> None:
        run_chain(records, [strategy()], config, source_topics=topics, keep_topics=KEPT_TOPICS)

    def bare() -> None:
        EventLoop([_NoOp()], keep_topics=()).run(records)

    subject_s, baseline_s = _best_paired(chain, bare)
    value, baseline = len(records) / subject_s, len(records) / baseline_s
    return Result(
        name,
        value,
        unit,
        baseline,
        value / baseline,
        f"full chain vs the bare event loop over the same {len(records):,} records "
        "(higher is better; no budget)",
    )


def run() -> list[Result]:
    instruments = load_instruments()
    bars = [
        Record("md.bar", "SPX", value, offset=n)
        for n, value in enumerate(read_bars(sp500_path(), SP500_DAILY, instruments))
    ]
    bar_config = ChainConfig(
        risk=load_risk_config(),
        exchange=parse_exchange_config(
            {"fill_on": "bars", "slippage_bps": "1", "fees": {"taker_bps": "5"}}
        ),
    )
    parameters = SyntheticParameters(seed=5, start=datetime(2024, 1, 2, tzinfo=UTC))
    feed = SyntheticFeed(parameters, [instruments["BTC-USD"]])
    ticks = [
        Record("md.tick.raw", str(v["instrument"]), v, offset=n)
        for n, v in enumerate(itertools.islice(feed, TICKS))
    ]
    tick_config = ChainConfig(
        risk=load_risk_config(),
        exchange=parse_exchange_config({"latency_ms": 50, "fees": {"taker_bps": "5"}}),
        bar_intervals=(10,),
        instruments=instruments,
    )
    return [
        _measure(
            "backtest bars/s (S&P 500 daily, sma_cross)",
            "bars/s",
            bars,
            lambda: load_strategy(str(SMA_CROSS)),
            bar_config,
        ),
        _measure(
            "backtest ticks/s (synthetic raw ticks, 10 s bars)",
            "ticks/s",
            ticks,
            lambda: parse_strategy_yaml(TICK_STRATEGY, source="tick_cross"),
            tick_config,
        ),
    ]
