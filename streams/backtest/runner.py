"""``tapewire backtest``: validate everything at start, run the chain, write the report.

:func:`prepare` turns a :class:`BacktestRequest` (what the CLI parsed) into a
:class:`PreparedBacktest` or raises :class:`~streams.errors.ConfigError` naming the option or
field; :func:`execute` runs the live processor chain over the bar or tick file in event-time order
(:mod:`streams.backtest.chain`) and computes the tables and the summary
(:mod:`streams.backtest.report`); :func:`write_outputs` (:mod:`streams.backtest.output`)
writes them. No wall clock is read except by the progress bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from streams.backtest.chain import ChainConfig, run_chain
from streams.backtest.config import BacktestConfig, DataKind, load_backtest_config
from streams.backtest.data import (
    Window,
    bar_records,
    detect_mapping,
    load_mapping,
    sample,
    window,
)
from streams.backtest.engine import DeadLetter, Observer
from streams.backtest.progress import ProgressBar
from streams.backtest.report import EquityPoint, OrderRow, equity_curve, order_rows, summarise
from streams.backtest.tick_data import detect_tick_mapping, looks_like_ticks, tick_records
from streams.errors import ConfigError
from streams.marketdata.file_mapping import BarMapping, TickMapping
from streams.marketdata.instruments import InstrumentRegistry, load_instruments
from streams.marketdata.ticks import BAR_TOPIC, TICK_RAW_TOPIC
from streams.runtime.processor import Record
from streams.strategy.base import ALL_INSTRUMENTS, Strategy
from streams.strategy.loading import load_strategy

DEFAULT_TICK_BAR_SECONDS = 60
KEPT_TOPICS = (
    "strategy.intent",
    "risk.approved",
    "risk.rejected",
    "risk.violation",
    "order.command",
    "order.event",
)


@dataclass(frozen=True, slots=True)
class BacktestRequest:
    """What the command line asked for (unvalidated)."""

    data: Path
    strategy: str
    output: Path
    config: Path | None = None
    mapping: Path | None = None
    instrument: str | None = None
    start: str | None = None
    end: str | None = None
    timezone: str | None = None
    instruments_file: Path | None = None
    bar_interval: int | None = None
    """Tick files only: the bars (seconds) the aggregator builds; default the strategy's or 60."""


@dataclass(frozen=True, slots=True)
class PreparedBacktest:
    """A validated request: everything loaded, nothing run yet."""

    request: BacktestRequest
    strategy: Strategy
    config: BacktestConfig
    mapping: BarMapping | TickMapping
    instruments: InstrumentRegistry
    instrument: str
    window: Window
    bar_interval: int

    @property
    def kind(self) -> DataKind:
        return "ticks" if isinstance(self.mapping, TickMapping) else "bars"

    @property
    def title(self) -> str:
        return f"{self.strategy.name} v{self.strategy.version} on {self.instrument}"


@dataclass
class BacktestOutcome:
    """What a run produced, ready to be written."""

    fills: list[dict[str, Any]]
    orders: list[OrderRow]
    equity: list[EquityPoint]
    summary: dict[str, Any]
    events: dict[str, list[Record]] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)


def _symbol(strategy: Strategy, chosen: str | None) -> str:
    """``--instrument``, else the strategy's first instrument."""
    if chosen is not None:
        return chosen
    first = strategy.instruments[0] if strategy.instruments else ALL_INSTRUMENTS
    if first == ALL_INSTRUMENTS:
        raise ConfigError("--instrument", f"{strategy.name} names no instrument; give one")
    return first


def _check_instrument(
    strategy: Strategy, symbol: str, instruments: InstrumentRegistry, interval: int
) -> None:
    if symbol not in instruments:
        raise ConfigError("--instrument", f"unknown instrument {symbol!r} (instruments file)")
    if not strategy.trades(symbol, interval):
        raise ConfigError(
            "--instrument", f"strategy {strategy.name} does not trade {symbol} bars of {interval} s"
        )


def _mapping(request: BacktestRequest, symbol: str) -> BarMapping | TickMapping:
    if request.mapping is not None:
        return load_mapping(request.mapping, symbol)
    columns, _ = sample(request.data)
    if looks_like_ticks(columns):
        return detect_tick_mapping(request.data, symbol, request.timezone)
    return detect_mapping(request.data, symbol, request.timezone)


def _bar_interval(
    request: BacktestRequest, strategy: Strategy, mapping: BarMapping | TickMapping
) -> int:
    if isinstance(mapping, BarMapping):
        if request.bar_interval is not None:
            raise ConfigError("--bar-interval", "applies to tick files only (bars have theirs)")
        return mapping.interval_seconds
    interval = request.bar_interval
    if interval is None:
        interval = strategy.interval_seconds or DEFAULT_TICK_BAR_SECONDS
    if interval <= 0:
        raise ConfigError("--bar-interval", f"must be a positive number of seconds: {interval}")
    return interval


def prepare(request: BacktestRequest) -> PreparedBacktest:
    """Validate and load everything the run needs; ConfigError names the culprit."""
    if not request.data.is_file():
        raise ConfigError("--data", f"no such file: {request.data}")
    if request.output.exists() and not request.output.is_dir():
        raise ConfigError("--output", f"{request.output} exists and is not a directory")
    strategy = load_strategy(request.strategy)
    instruments = load_instruments(request.instruments_file)
    symbol = _symbol(strategy, request.instrument)
    mapping = _mapping(request, symbol)
    interval = _bar_interval(request, strategy, mapping)
    instrument = mapping.default_instrument or symbol
    _check_instrument(strategy, instrument, instruments, interval)
    kind: DataKind = "ticks" if isinstance(mapping, TickMapping) else "bars"
    return PreparedBacktest(
        request=request,
        strategy=strategy,
        config=load_backtest_config(request.config, kind),
        mapping=mapping,
        instruments=instruments,
        instrument=instrument,
        window=window(request.start, request.end, mapping.timezone),
        bar_interval=interval,
    )


class _Collector:
    """Observer keeping only what the report needs of the high-volume topics."""

    def __init__(self) -> None:
        self.bar_ends: list[datetime] = []
        self.global_pnl: list[tuple[datetime, Decimal]] = []

    def __call__(self, record: Record) -> None:
        if record.topic == BAR_TOPIC:
            self.bar_ends.append(record.value["envelope"]["event_time"])
        elif record.topic == "pnl.update" and record.value["scope"] == "GLOBAL":
            value = record.value
            self.global_pnl.append((value["envelope"]["event_time"], value["net_pnl"]))


def execute(
    prepared: PreparedBacktest,
    *,
    progress: ProgressBar | None = None,
    observers: Sequence[Observer] = (),
) -> BacktestOutcome:
    """Run the chain over the bar file and compute trades, orders, equity and the summary."""
    on_row = None if progress is None else progress.tick
    data, mapping = prepared.request.data, prepared.mapping
    records = (
        tick_records(data, mapping, prepared.instruments, prepared.window, on_row)
        if isinstance(mapping, TickMapping)
        else bar_records(data, mapping, prepared.instruments, prepared.window, on_row)
    )
    collector = _Collector()
    chain = ChainConfig(
        risk=prepared.config.risk,
        exchange=prepared.config.exchange,
        bar_intervals=(prepared.bar_interval,),
        instruments=prepared.instruments,
    )
    result, _ = run_chain(
        records,
        [prepared.strategy],
        chain,
        source_topics={TICK_RAW_TOPIC if prepared.kind == "ticks" else BAR_TOPIC},
        observers=[collector, *observers],
        keep_topics=KEPT_TOPICS,
    )
    if progress is not None:
        progress.close()
    if not collector.bar_ends:
        raise ConfigError("--from", "no bar of the data file falls within --from/--to")
    events = result.values("order.event")
    fills = [e for e in events if e["kind"] in ("PARTIAL_FILL", "FILL")]
    capital = prepared.config.capital
    equity = equity_curve(collector.bar_ends, collector.global_pnl, capital)
    commands = result.values("order.command")
    counts = {
        "intents": len(result.values("strategy.intent")),
        "approved": len(result.values("risk.approved")),
        "rejected": len(result.values("risk.rejected")),
        "orders": sum(1 for c in commands if c["command"] == "NEW"),
    }
    summary = summarise(equity, fills, capital=capital, counts=counts)
    summary.extra.update(
        {
            "strategy": prepared.strategy.name,
            "strategy_version": prepared.strategy.version,
            "instrument": prepared.instrument,
            "data": prepared.request.data.name,
            "interval_seconds": prepared.bar_interval,
            "data_kind": prepared.kind,
            "violations": len(result.values("risk.violation")),
            "dead_letters": len(result.dead_letters),
        }
    )
    return BacktestOutcome(
        fills=fills,
        orders=order_rows(commands, events),
        equity=equity,
        summary=summary.to_json(),
        events=dict(result.events),
        dead_letters=list(result.dead_letters),
    )
