"""The live processor chain, wired for one in-process run (the backtest and the parity test).

Which processors run depends on the source topics, exactly as the live agents are chained:

=================  ==========================================================================
source topic       processors (in delivery order)
=================  ==========================================================================
``md.tick.raw``    tick normalizer, bar aggregator, then the trading chain below
``md.tick``        bar aggregator, then the trading chain
``md.bar``         the trading chain: indicators, strategy, risk gate, order manager,
                   simulated exchange, PnL
=================  ==========================================================================

The order manager always runs in replay mode and routes every instrument to the simulated
exchange's venue, so a backtest can never address a real venue. :func:`simulate` returns all
outputs per topic for a list of source records: the function the live/backtest parity test
compares with the agents' outputs on the broker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from streams.backtest.engine import EventLoop, LoopResult, Observer
from streams.errors import ConfigError
from streams.exchange.config import ExchangeConfig
from streams.exchange.simulator import SimExchange
from streams.indicators.processor import IndicatorProcessor
from streams.marketdata.bars import BarAggregator, BarOptions
from streams.marketdata.instruments import InstrumentRegistry, load_instruments
from streams.marketdata.normalizer import TickNormalizer
from streams.marketdata.ticks import BAR_TOPIC, TICK_RAW_TOPIC, TICK_TOPIC
from streams.orders.manager import OrderManager, OrderManagerConfig
from streams.pnl.processor import PnlProcessor
from streams.risk.config import RiskConfig, load_risk_config
from streams.risk.gate import RiskGate, RiskGateConfig
from streams.runtime.processor import Processor, Record
from streams.strategy.base import Strategy
from streams.strategy.loading import required_indicators
from streams.strategy.processor import StrategyProcessor

OUTPUT_TOPICS: Final = (
    TICK_TOPIC,
    "md.gap",
    BAR_TOPIC,
    "indicator.value",
    "strategy.intent",
    "risk.approved",
    "risk.rejected",
    "risk.violation",
    "order.command",
    "order.event",
    "pnl.update",
    "position.snapshot",
)
"""Topics the chain can produce (and :func:`simulate` reports)."""


@dataclass(frozen=True, slots=True)
class ChainConfig:
    """Everything the processors need besides the strategies."""

    risk: RiskConfig = field(default_factory=load_risk_config)
    exchange: ExchangeConfig = field(default_factory=ExchangeConfig)
    orders: OrderManagerConfig | None = None
    """None: replay mode, every instrument routed to ``exchange.venue``."""
    risk_gate: RiskGateConfig = field(default_factory=RiskGateConfig)
    bar_intervals: tuple[int, ...] = (60,)
    """Bars the aggregator builds from ticks (tick sources only)."""
    instruments: InstrumentRegistry | None = None
    """For the tick normalizer (``md.tick.raw`` sources); None = the instruments file."""
    timer_interval: timedelta = timedelta(seconds=1)
    timer_horizon: timedelta | None = None
    """None: the longest timeout a processor waits for (order manager ack and
    reconciliation timeouts, bar lateness) plus one interval; see :func:`timer_horizon`."""


def timer_horizon(config: ChainConfig) -> timedelta:
    """How long after the last event timers keep firing every interval.

    Long enough for every timeout of the chain to fire at its exact instant; after it, the
    loop fires once more just before the next event (streams.backtest.engine).
    """
    if config.timer_horizon is not None:
        return config.timer_horizon
    orders = orders_config(config)
    longest = max(
        timedelta(seconds=orders.ack_timeout_seconds),
        timedelta(seconds=orders.reconcile_timeout_seconds),
        BarOptions().allowed_lateness,
    )
    return longest + config.timer_interval


def orders_config(config: ChainConfig) -> OrderManagerConfig:
    """The order manager's config: replay mode, only the simulated venue ever addressed."""
    venue = config.exchange.venue
    base = config.orders or OrderManagerConfig(default_venue=venue)
    routed = {base.default_venue, *base.venues.values()}
    if routed != {venue}:
        raise ConfigError(
            "orders.venues",
            f"a backtest trades on the simulated venue {venue!r} only, not {sorted(routed)}",
        )
    return dataclasses.replace(base, replay_mode=True, simulated_venues=frozenset({venue}))


def build_processors(
    strategies: Sequence[Strategy], config: ChainConfig, source_topics: Iterable[str]
) -> list[Processor]:
    """Fresh processors for a run over sources of ``source_topics``."""
    topics = set(source_topics)
    unknown = topics - {TICK_RAW_TOPIC, TICK_TOPIC, BAR_TOPIC, "system.control", "ml.advice"}
    if unknown:
        raise ConfigError("source", f"cannot backtest source topics {sorted(unknown)}")
    processors: list[Processor] = []
    if TICK_RAW_TOPIC in topics:
        instruments = config.instruments if config.instruments is not None else load_instruments()
        processors.append(TickNormalizer(instruments))
    if topics & {TICK_RAW_TOPIC, TICK_TOPIC}:
        try:
            options = BarOptions(intervals=config.bar_intervals)
        except ValueError as exc:
            raise ConfigError("bar_intervals", str(exc)) from exc
        processors.append(BarAggregator(options))
    processors.extend(
        [
            IndicatorProcessor(required_indicators(strategies)),
            StrategyProcessor(strategies),
            RiskGate(config.risk, config.risk_gate),
            OrderManager(orders_config(config)),
            SimExchange(config.exchange),
            PnlProcessor(),
        ]
    )
    return processors


def run_chain(
    records: Iterable[Record],
    strategies: Sequence[Strategy],
    config: ChainConfig,
    *,
    source_topics: Iterable[str],
    observers: Sequence[Observer] = (),
    keep_topics: Iterable[str] | None = None,
) -> tuple[LoopResult, list[Processor]]:
    """Run the chain over time-ordered ``records``; the loop's result and the processors."""
    processors = build_processors(strategies, config, source_topics)
    loop = EventLoop(
        processors,
        timer_interval=config.timer_interval,
        timer_horizon=timer_horizon(config),
        observers=observers,
        keep_topics=keep_topics,
    )
    return loop.run(records), processors


def simulate(
    records: Sequence[Record], strategies: Sequence[Strategy], config: ChainConfig
) -> dict[str, list[dict[str, Any]]]:
    """Every output of the chain per topic (in delivery order) for a list of source records.

    ``records`` are ``md.tick.raw``, ``md.tick`` or ``md.bar`` records (optionally with
    ``system.control``/``ml.advice``) in event-time order. The result holds every topic in
    :data:`OUTPUT_TOPICS` (empty lists included) but none of the source topics.
    """
    sources = {r.topic for r in records}
    result, _ = run_chain(records, strategies, config, source_topics=sources)
    produced = [t for t in OUTPUT_TOPICS if t not in sources]
    return {topic: result.values(topic) for topic in produced}
