"""`simulate`: the whole chain over source records, every output per topic (parity helper)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from streams.backtest.chain import OUTPUT_TOPICS, ChainConfig, build_processors, orders_config
from streams.backtest.chain import simulate as simulate_chain
from streams.codec import AvroCodec, LocalRegistry
from streams.codec.schemas import SchemaStore
from streams.errors import ConfigError
from streams.exchange.config import parse_exchange_config
from streams.marketdata.instruments import load_instruments
from streams.marketdata.synthetic import SyntheticFeed, SyntheticParameters
from streams.orders.manager import OrderManager, OrderManagerConfig
from streams.risk.config import load_risk_config
from streams.runtime.processor import Record
from streams.strategy.base import Strategy
from streams.strategy.yaml_loader import parse_strategy_yaml

TICK_STRATEGY = """
name: tick_cross
version: 1
lot_size: 0.001
instruments: [BTC-USD]
indicators: {fast: sma:5, slow: sma:20}
entry: {when: "crosses_above(fast, slow)", side: buy, quantity: 0.01}
exit: {when: "crosses_below(fast, slow)"}
"""


def _strategy() -> Strategy:
    return parse_strategy_yaml(TICK_STRATEGY, source="tick_cross.yaml")


def _raw_ticks(count: int) -> list[Record]:
    registry = load_instruments()
    parameters = SyntheticParameters(
        seed=11, start=datetime(2024, 1, 2, tzinfo=UTC), events_per_second=20
    )
    feed = SyntheticFeed(parameters, [registry["BTC-USD"]])
    return [
        Record("md.tick.raw", str(v["instrument"]), v, offset=n)
        for n, v in enumerate(itertools.islice(feed, count))
    ]


def _config() -> ChainConfig:
    return ChainConfig(
        risk=load_risk_config(),
        exchange=parse_exchange_config({"latency_ms": 50, "fees": {"taker_bps": "5"}}),
        bar_intervals=(10,),
    )


@pytest.fixture(scope="module")
def ticks() -> list[Record]:
    return _raw_ticks(12_000)


def test_raw_ticks_flow_through_every_processor_to_pnl(ticks: list[Record]) -> None:
    out = simulate_chain(ticks, [_strategy()], _config())
    assert set(out) == set(OUTPUT_TOPICS)
    assert len(out["md.tick"]) == len(ticks)
    assert out["md.bar"], "the aggregator builds 10 s bars"
    assert {b["interval_seconds"] for b in out["md.bar"]} == {10}
    intents = out["strategy.intent"]
    assert intents, "the strategy trades on synthetic data"
    decisions = out["risk.approved"] + out["risk.rejected"]
    assert sorted(d["intent_id"] for d in decisions) == sorted(
        i["envelope"]["event_id"] for i in intents
    )
    news = [c for c in out["order.command"] if c["command"] == "NEW"]
    assert {c["venue"] for c in news} == {"SIM"}
    assert len(news) == len(out["risk.approved"])
    fills = [e for e in out["order.event"] if e["kind"] in ("FILL", "PARTIAL_FILL")]
    assert fills
    globals_ = [u for u in out["pnl.update"] if u["scope"] == "GLOBAL"]
    assert globals_[-1]["fees"] == sum((f["fee"] for f in fills), Decimal(0))


def test_the_same_input_gives_the_same_outputs_and_every_output_matches_its_schema(
    ticks: list[Record],
) -> None:
    first = simulate_chain(ticks[:4_000], [_strategy()], _config())
    second = simulate_chain(ticks[:4_000], [_strategy()], _config())
    assert first == second
    store = SchemaStore.load()
    codec = AvroCodec(LocalRegistry(store), store)
    for topic, values in first.items():
        for value in values:
            codec.encode_value(topic, value["envelope"]["event_type"], value)


def test_source_topics_decide_which_processors_run() -> None:
    names = [p.name for p in build_processors([_strategy()], _config(), {"md.bar"})]
    assert names == ["indicators", "strategy", "risk_gate", "order_manager", "sim_exchange", "pnl"]
    names = [p.name for p in build_processors([_strategy()], _config(), {"md.tick.raw"})]
    assert names[:2] == ["tick_normalizer", "bar_aggregator"]
    with pytest.raises(ConfigError, match=r"order\.command"):
        build_processors([_strategy()], _config(), {"order.command"})


def test_the_order_manager_runs_in_replay_mode_on_the_simulated_venue_only() -> None:
    manager = next(
        p
        for p in build_processors([_strategy()], _config(), {"md.bar"})
        if isinstance(p, OrderManager)
    )
    assert manager.config.replay_mode
    assert manager.config.simulated_venues == frozenset({"SIM"})
    real = ChainConfig(
        risk=load_risk_config(),
        orders=OrderManagerConfig(default_venue="SIM", venues={"BTC-USD": "BINANCE"}),
    )
    with pytest.raises(ConfigError, match=r"orders\.venues") as caught:
        orders_config(real)
    assert caught.value.field == "orders.venues"
