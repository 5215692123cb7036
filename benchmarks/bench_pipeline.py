"""The live pipeline on its own embedded broker: ticks/s end to end, tick-to-order latency.

Six agents run as ``tapewire agent`` processes on an embedded broker started for the
benchmark — tick_normalizer and bar_aggregator (bulk host, 1-second bars), indicators,
strategy (four YAML strategies), risk_gate and order_manager (Faust host) — and the benchmark
publishes synthetic ticks to ``md.tick.raw`` itself:

- **burst**: ``BURST_TICKS`` ticks as fast as possible; the pipeline's sustained rate is the
  ticks divided by the time from the first publication until the last order command the
  same processors produce in process on those ticks has been read back (commands caused by
  each instrument's final bar are left out: live, that bar closes on the host's timer);
  baseline: a bare confluent-kafka producer -> consumer moving the same encoded ticks through
  one topic of the same broker (higher is better; no budget in the architecture);
- **paced**: ``PACED_SECONDS`` of ticks published at their event time (event time = now);
  the latency of an order is from the publication of the trade that closed its bar (that
  trade is what makes the bar, and so the order, possible) to the broker timestamp of the
  ``order.command``; baseline: one bare produce -> consume hop on the same broker at the
  same fetch wait (the ratio is the latency in bare-hop units; lower is better).

Only AAPL and BTC-USD are used: the bulk and Faust hosts partition other keys differently
(tests/integration/chain/test_chain_to_intents.py, the strict xfail).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, Final

import yaml
from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, Producer, TopicPartition
from streams.backtest.chain import ChainConfig, simulate
from streams.codec import AvroCodec
from streams.dev.broker import EmbeddedBroker
from streams.dev.process import free_port
from streams.marketdata.instruments import load_instruments
from streams.marketdata.synthetic import SyntheticFeed, SyntheticParameters
from streams.marketdata.ticks import with_ingest_time
from streams.risk.config import parse_risk_config
from streams.runtime.kafka_config import consumer_config, producer_config
from streams.runtime.processor import Record
from streams.settings import Settings, load_settings
from streams.strategy.yaml_loader import load_strategy_file
from streams.topics.admin import apply_topics, create_topics
from streams.topics.spec import load_topics

from benchmarks.common import Result

INSTRUMENTS: Final = ("AAPL", "BTC-USD")
BURST_TICKS: Final = 20_000
BURST_RATE: Final = 200.0
PACED_SECONDS: Final = 20.0
PACED_RATE: Final = 100.0
BARE_HOPS: Final = 200
AGENTS: Final = (
    "tick_normalizer",
    "bar_aggregator",
    "indicators",
    "strategy",
    "risk_gate",
    "order_manager",
)
_STRATEGY = """\
name: {name}
version: 1
instruments: [AAPL, BTC-USD]
interval_seconds: 1
indicators: {{fast: "sma:{period}"}}
rate_limit: {{max_intents: 100000, window_seconds: 1}}
entry: {{when: "close > fast", side: buy, quantity: 1}}
exit:  {{when: "close < fast"}}
"""
_RISK = """\
defaults:
  max_position: "100000"
  max_order_quantity: "1000"
  max_open_orders: 100000
  price_band_bps: "10000"
  order_rate: {max_orders: 100000, window_seconds: 1}
"""
_PERIODS: Final = (2, 3, 4, 5)


class PipelineBenchmarkError(RuntimeError):
    """The pipeline did not start or did not deliver what the benchmark waits for."""


@dataclass
class _Pipeline:
    """The agent processes of one run and the files they read."""

    settings: Settings
    work: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    strategy_files: list[Path] = field(default_factory=list)

    def start(self) -> None:
        for period in _PERIODS:
            path = self.work / f"close_above_sma{period}.yaml"
            path.write_text(_STRATEGY.format(name=f"close_above_sma{period}", period=period))
            self.strategy_files.append(path)
        (self.work / "risk.yaml").write_text(_RISK, encoding="utf-8")
        env = {
            **os.environ,
            "TAPEWIRE_BOOTSTRAP_SERVERS": self.settings.bootstrap_servers,
            "TAPEWIRE_PROFILE": self.settings.profile,
            "TAPEWIRE_BAR_INTERVALS": "[1]",
            "TAPEWIRE_INDICATORS": ",".join(f"sma:{p}" for p in _PERIODS),
            "TAPEWIRE_STRATEGIES": ",".join(str(p) for p in self.strategy_files),
            "TAPEWIRE_STRATEGY_MAX_PENDING": "1024",
            "TAPEWIRE_RISK_FILE": str(self.work / "risk.yaml"),
            "TAPEWIRE_ORDERS_ACK_TIMEOUT_SECONDS": "600",
        }
        ports = []
        for agent in AGENTS:
            port = free_port()
            ports.append((agent, port))
            command = [sys.executable, "-m", "streams.cli.main", "agent", agent]
            command += ["--topic-prefix", self.settings.topic_prefix, "--metrics-port", str(port)]
            with (self.work / f"{agent}.log").open("wb") as stderr:
                process = subprocess.Popen(command, env=env, stderr=stderr, cwd=self.work)  # noqa: S603
            self.processes.append(process)
        deadline = time.monotonic() + 90
        for agent, port in ports:
            while not _ready(port):
                dead = [
                    a for a, p in zip(AGENTS, self.processes, strict=True) if p.poll() is not None
                ]
                if dead or time.monotonic() > deadline:
                    culprit = dead[0] if dead else agent
                    log = (self.work / f"{culprit}.log").read_text(errors="replace")[-2000:]
                    raise PipelineBenchmarkError(f"{culprit} did not become ready:\n{log}")
                time.sleep(0.1)  # polling an HTTP endpoint: nothing to wait on

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, ConnectionError):
        return False


def _feed(start: datetime, rate: float, feed: str) -> SyntheticFeed:
    registry = load_instruments()
    parameters = SyntheticParameters(
        seed=17, start=start, events_per_second=rate, trade_probability=0.5, feed=feed
    )
    return SyntheticFeed(parameters, [registry[s] for s in INSTRUMENTS])


class _Commands:
    """Reads ``order.command`` NEWs from the beginning: (value, broker timestamp in s)."""

    def __init__(self, settings: Settings, codec: AvroCodec) -> None:
        self._codec = codec
        self._consumer = Consumer(consumer_config(settings, f"{settings.topic_prefix}reader"))
        topic = settings.topic("order.command")
        self._consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        self.news: dict[str, tuple[dict[str, Any], float]] = {}

    def poll(self, timeout: float = 0.05) -> None:
        for message in self._consumer.consume(1000, timeout=timeout):
            if message.error() is not None:
                continue
            value = self._codec.decode_value(message.value() or b"")
            if value["command"] == "NEW":
                appended = message.timestamp()[1] / 1000
                self.news.setdefault(str(value["client_order_id"]), (value, appended))

    def close(self) -> None:
        self._consumer.close()


def _publish(producer: Producer, codec: AvroCodec, topic: str, tick: dict[str, Any]) -> None:
    key = codec.encode_key(topic, tick["instrument"])
    producer.produce(topic, key=key, value=codec.encode_value(topic, "md.tick", tick))
    producer.poll(0)


def _burst(
    settings: Settings, codec: AvroCodec, commands: _Commands, strategy_files: list[Path]
) -> float:
    """Ticks per second from the first publication to the last expected order command."""
    start = datetime(2024, 5, 6, 13, 30, tzinfo=UTC)
    ticks = list(islice(_feed(start, BURST_RATE, "bench.burst"), BURST_TICKS))
    strategies = [load_strategy_file(path) for path in strategy_files]
    config = ChainConfig(risk=parse_risk_config(yaml.safe_load(_RISK)), bar_intervals=(1,))
    records = [Record(topic="md.tick.raw", key=t["instrument"], value=t) for t in ticks]
    expected = simulate(records, strategies, config)
    last_bar = {b["instrument"]: b["end"] for b in expected["md.bar"]}
    wanted = {
        str(c["client_order_id"])
        for c in expected["order.command"]
        if c["command"] == "NEW" and c["envelope"]["event_time"] < last_bar[c["instrument"]]
    }
    topic = settings.topic("md.tick.raw")
    producer = Producer(producer_config(settings))
    began = time.time()
    for tick in ticks:
        _publish(producer, codec, topic, with_ingest_time(tick, datetime.now(UTC)))
    producer.flush(30)
    deadline = time.monotonic() + 120
    while not wanted <= commands.news.keys():
        if time.monotonic() > deadline:
            missing = len(wanted - commands.news.keys())
            raise PipelineBenchmarkError(f"{missing} of {len(wanted)} expected orders never came")
        commands.poll()
    finished = max(commands.news[coid][1] for coid in wanted)
    return BURST_TICKS / (finished - began)


def _paced(settings: Settings, codec: AvroCodec, commands: _Commands) -> list[float]:
    """Milliseconds from the publication of the trade closing a bar to each order it caused."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    feed = _feed(start, PACED_RATE, "bench.paced")
    topic = settings.topic("md.tick.raw")
    producer = Producer(producer_config(settings))
    trades: dict[str, list[tuple[datetime, float]]] = {s: [] for s in INSTRUMENTS}
    end = start + timedelta(seconds=PACED_SECONDS)
    for tick in feed:
        at = tick["envelope"]["event_time"]
        if at >= end:
            break
        wait = (at - datetime.now(UTC)).total_seconds()
        if wait > 0:
            time.sleep(wait)  # pacing publication at event time (the subject of the test)
        published = time.time()
        _publish(producer, codec, topic, with_ingest_time(tick, datetime.now(UTC)))
        if tick["kind"] == "TRADE":
            trades[tick["instrument"]].append((at, published))
        commands.poll(timeout=0)
    producer.flush(30)
    deadline = time.monotonic() + 2  # orders of the last bars; later ones are not counted
    while time.monotonic() < deadline:
        commands.poll()
    latencies = []
    for value, appended in commands.news.values():
        bar_end = value["envelope"]["event_time"]
        if bar_end < start:
            continue
        closing = next((p for t, p in trades[value["instrument"]] if t >= bar_end), None)
        if closing is not None:
            latencies.append((appended - closing) * 1000)
    return latencies


def _bare_throughput(settings: Settings, codec: AvroCodec) -> float:
    """Messages per second of the same encoded ticks through one bare topic."""
    topic = settings.topic("bare.hop")
    start = datetime(2024, 5, 6, 13, 30, tzinfo=UTC)
    payloads = [
        codec.encode_value(settings.topic("md.tick.raw"), "md.tick", t)
        for t in islice(_feed(start, BURST_RATE, "bench.bare"), BURST_TICKS)
    ]
    consumer = Consumer(consumer_config(settings, f"{settings.topic_prefix}bare"))
    consumer.assign([TopicPartition(topic, p, OFFSET_END) for p in range(3)])
    consumer.consume(1, timeout=1.0)  # the assignment takes effect before timing starts
    producer = Producer(producer_config(settings))
    began = time.time()
    for payload in payloads:
        producer.produce(topic, value=payload)
        producer.poll(0)
    producer.flush(30)
    received = 0
    deadline = time.monotonic() + 60
    while received < len(payloads) and time.monotonic() < deadline:
        received += sum(1 for m in consumer.consume(1000, timeout=0.1) if m.error() is None)
    finished = time.time()
    consumer.close()
    return received / (finished - began)


def _bare_latencies(settings: Settings) -> list[float]:
    """Milliseconds of single produce -> consume hops, one message at a time."""
    topic = settings.topic("bare.latency")
    consumer = Consumer(consumer_config(settings, f"{settings.topic_prefix}bare-latency"))
    consumer.assign([TopicPartition(topic, 0, OFFSET_END)])
    consumer.consume(1, timeout=1.0)
    producer = Producer(producer_config(settings))
    latencies = []
    for _ in range(BARE_HOPS):
        sent = time.perf_counter()
        producer.produce(topic, value=b"x")
        producer.flush(5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if any(m.error() is None for m in consumer.consume(1, timeout=0.5)):
                latencies.append((time.perf_counter() - sent) * 1000)
                break
    consumer.close()
    return latencies


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _environment(stack: ExitStack) -> tuple[Settings, Path]:
    work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pipeline-")))
    broker = EmbeddedBroker(work / "broker", free_port())
    broker.start()
    stack.callback(broker.stop)
    prefix = f"benchpipe{uuid.uuid4().hex[:6]}-"
    settings = load_settings(bootstrap_servers=broker.bootstrap_servers, topic_prefix=prefix)
    apply_topics(settings.bootstrap_servers, load_topics(), prefix)
    create_topics(
        settings.bootstrap_servers,
        {settings.topic("bare.hop"): 3, settings.topic("bare.latency"): 1},
    )
    return settings, work


def _measure() -> Iterator[Result]:
    with ExitStack() as stack:
        settings, work = _environment(stack)
        codec = AvroCodec.from_settings(settings)
        pipeline = _Pipeline(settings, work)
        stack.callback(pipeline.stop)
        pipeline.start()
        commands = _Commands(settings, codec)
        stack.callback(commands.close)
        bare_rate = _bare_throughput(settings, codec)
        rate = _burst(settings, codec, commands, pipeline.strategy_files)
        latencies = _paced(settings, codec, commands)
        bare = _bare_latencies(settings)
    yield Result(
        "live pipeline ticks end to end",
        rate,
        "ticks/s",
        bare_rate,
        rate / bare_rate,
        f"{BURST_TICKS} ticks -> 6 agents -> order.command, vs a bare confluent-kafka "
        "produce->consume of the same encoded ticks on the same broker; no budget",
    )
    if not latencies or not bare:
        raise PipelineBenchmarkError("no order was caused by the paced ticks")
    for label, share in (("p50", 0.5), ("p99", 0.99)):
        value, baseline = _percentile(latencies, share), _percentile(bare, share)
        yield Result(
            f"live pipeline tick-to-order {label}",
            value,
            "ms",
            baseline,
            value / baseline,
            f"{len(latencies)} orders at {PACED_RATE:g} ticks/s paced; baseline: one bare "
            f"produce->consume hop {label} (median of {len(bare)}: "
            f"{statistics.median(bare):.1f} ms); lower is better",
        )


def run() -> list[Result]:
    return list(_measure())
