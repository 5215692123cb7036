"""From the synthetic feed to strategy intents on the embedded broker (issue 4's done-when).

synthetic_feed -> md.tick.raw -> tick_normalizer -> md.tick -> bar_aggregator (1 s bars) ->
md.bar -> indicators -> indicator.value -> strategy -> strategy.intent, every agent a real
``tapewire agent`` process with the test's own topic prefix and groups. A malformed tick
injected into md.tick.raw is dead-lettered with its origin and every other tick is processed;
the intents must be exactly those the same processors produce in process on the same ticks
(``streams.backtest.chain.simulate``), compared by content with their event ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from aiokafka.partitioner import DefaultPartitioner
from confluent_kafka import KafkaError, Message, Producer
from streams.agents.synthetic_feed import SyntheticFeedConfig, build_feed
from streams.backtest.chain import ChainConfig, simulate
from streams.codec import AvroCodec
from streams.runtime.kafka_config import producer_config
from streams.runtime.processor import Record
from streams.strategy.yaml_loader import load_strategy_file
from streams.topics.admin import create_topics
from streams.topics.spec import load_topics
from tests.integration.chain.chain_support import ChainEnv
from tests.integration.chain.parity_compare import by_event_id

EVENTS = 2400
INSTRUMENTS = ("AAPL", "BTC-USD")
FEED = SyntheticFeedConfig(
    seed=11,
    instruments=INSTRUMENTS,
    start=datetime(2024, 3, 4, 14, 30, tzinfo=UTC),
    rate=20.0,
    speed=0.0,
    max_events=EVENTS,
    trade_probability=0.6,
)
STRATEGY_YAML = """\
name: chain_cross
version: 1
instruments: [AAPL, BTC-USD]
interval_seconds: 1
indicators: {fast: "sma:3", slow: "sma:8"}
rate_limit: {max_intents: 1000, window_seconds: 60}
entry: {when: "crosses_above(fast, slow)", side: buy, quantity: 1}
exit:  {when: "crosses_below(fast, slow)"}
"""
AGENTS = ("tick_normalizer", "bar_aggregator", "indicators", "strategy")


@pytest.fixture
def chain(stack: Any, unique: str, tmp_path: Path) -> Iterator[ChainEnv]:
    settings = stack.settings(topic_prefix=unique)
    strategy_file = tmp_path / "chain_cross.yaml"
    strategy_file.write_text(STRATEGY_YAML, encoding="utf-8")
    env = ChainEnv(
        settings=settings,
        prefix=unique,
        codec=AvroCodec.from_settings(settings),
        work_dir=tmp_path,
        agent_env={
            "TAPEWIRE_SYNTHETIC_SEED": str(FEED.seed),
            "TAPEWIRE_SYNTHETIC_INSTRUMENTS": '["AAPL", "BTC-USD"]',
            "TAPEWIRE_SYNTHETIC_START": FEED.start.isoformat(),
            "TAPEWIRE_SYNTHETIC_RATE": str(FEED.rate),
            "TAPEWIRE_SYNTHETIC_SPEED": "0",
            "TAPEWIRE_SYNTHETIC_MAX_EVENTS": str(EVENTS),
            "TAPEWIRE_SYNTHETIC_TRADE_PROBABILITY": str(FEED.trade_probability),
            "TAPEWIRE_BAR_INTERVALS": "[1]",
            "TAPEWIRE_INDICATORS": "sma:3,sma:8",
            "TAPEWIRE_STRATEGIES": str(strategy_file),
            # the feed publishes 120 s of bars in a burst: the strategy's join must hold every
            # bar until its indicator values arrive (the default 64 would evict the oldest)
            "TAPEWIRE_STRATEGY_MAX_PENDING": "256",
        },
    )
    try:
        yield env
    finally:
        env.stop_all()


def _raw_ticks() -> list[Record]:
    return [
        Record(topic="md.tick.raw", key=tick["instrument"], value=tick)
        for tick in islice(build_feed(FEED), EVENTS)
    ]


def _in_process(strategy_file: Path) -> dict[str, list[dict[str, Any]]]:
    """The same processors in process (event-time order, no broker) on the same ticks."""
    return simulate(
        _raw_ticks(), [load_strategy_file(strategy_file)], ChainConfig(bar_intervals=(1,))
    )


def test_synthetic_feed_to_intents_with_a_malformed_tick_dead_lettered(chain: ChainEnv) -> None:
    expected = _in_process(chain.work_dir / "chain_cross.yaml")
    expected_intents = by_event_id(expected["strategy.intent"])
    expected_ticks = {t["envelope"]["event_id"] for t in expected["md.tick"]}
    assert len(expected_intents) >= 10, "the strategy must trade within the test's data"

    tail = chain.tail(("md.tick", "strategy.intent", "system.deadletter"))
    for agent in AGENTS:
        chain.start(agent)
    good = _raw_ticks()[0].value
    malformed = {**good, "instrument": "NOPE", "sequence": 1}
    chain.produce([Record(topic="md.tick.raw", key="NOPE", value=malformed)])
    feed = chain.start("synthetic_feed")
    assert feed.wait(90) == 0, chain.problems()

    def complete(values: Mapping[str, list[dict[str, Any]]]) -> bool:
        return (
            len(values["strategy.intent"]) >= len(expected_intents)
            and len(values["md.tick"]) >= len(expected_ticks)
            and len(values["system.deadletter"]) >= 1
        )

    counts = tail.counts  # evaluated only if the assertion fails
    assert tail.wait_for(complete, timeout=90), (
        f"read {counts()}, expected {len(expected_intents)} intents and "
        f"{len(expected_ticks)} ticks\n{chain.problems()}"
    )
    tail.drain(quiet=1.5)  # anything beyond the expected would arrive now

    assert {t["envelope"]["event_id"] for t in tail.values["md.tick"]} == expected_ticks
    assert len(tail.values["md.tick"]) == len(expected_ticks), "every other tick, once"

    [letter] = tail.values["system.deadletter"]
    assert letter["agent"] == "tick_normalizer"
    assert letter["origin_topic"] == chain.topic("md.tick.raw")
    assert letter["origin_partition"] >= 0
    assert letter["origin_offset"] >= 0
    assert letter["error_class"].endswith("UnknownInstrumentError")
    assert "NOPE" in letter["error_message"]

    intents = tail.values["strategy.intent"]
    assert len(intents) == len(expected_intents), "no intent twice"
    assert by_event_id(intents) == expected_intents
    assert {i["instrument"] for i in intents} == set(INSTRUMENTS)
    assert {i["side"] for i in intents} == {"BUY", "SELL"}
    assert "Traceback" not in chain.logs(), chain.problems()


def test_both_hosts_put_an_instrument_on_the_same_partition(stack: Any, unique: str) -> None:
    settings = stack.settings(topic_prefix=unique)
    codec = AvroCodec.from_settings(settings)
    topic = settings.topic("md.bar")
    partitions = load_topics()["md.bar"].partitions
    create_topics(settings.bootstrap_servers, {topic: partitions})
    bulk_host = Producer(producer_config(settings))
    delivered: dict[str, int] = {}

    def on_delivery(error: KafkaError | None, message: Message) -> None:
        assert error is None
        delivered[str(codec.decode_key(message.key()))] = int(message.partition() or 0)

    symbols = ("SPX", "AAPL", "MSFT", "BTC-USD", "ETH-USD")
    for symbol in symbols:
        bulk_host.produce(topic, key=codec.encode_key(topic, symbol), on_delivery=on_delivery)
    assert bulk_host.flush(15) == 0
    faust_host = DefaultPartitioner()
    everything = list(range(partitions))
    expected = {s: faust_host(codec.encode_key(topic, s), everything, everything) for s in symbols}
    assert delivered == expected
