"""Events/s through the Faust host and the bulk host, each against a bare confluent-kafka loop.

All three move the same input (``EVENTS`` ticks on a 3-partition topic) to an output topic in
the same run, on the broker named by ``TAPEWIRE_BOOTSTRAP_SERVERS`` or, when unset, on an
embedded broker started for the benchmark:

- baseline: a bare confluent-kafka consume + produce loop (no decoding, bytes copied);
- bulk host / Faust host: ``tapewire agent benchmarks.bench_hosts:AGENT --host ...`` as a
  subprocess running :class:`PassThrough` (decode, a stateless processor, encode, produce,
  commit after the effect). Timing runs from the moment ``/readyz`` answers 200 until
  ``/metrics`` shows every event out, so start-up and group joining are excluded.

A ratio of 0.25 means the host moves a quarter of the events per second the bare loop does.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, ClassVar

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from streams.codec import AvroCodec
from streams.dev.broker import EmbeddedBroker
from streams.dev.process import free_port
from streams.events import caused_by
from streams.runtime.agent_spec import AgentSpec
from streams.runtime.kafka_config import consumer_config, producer_config
from streams.runtime.processor import Output, Processor, Record
from streams.settings import Settings, load_settings
from streams.topics.admin import create_topics

from benchmarks.common import Result, bench_tick

EVENTS = 20_000
PARTITIONS = 3
HOPS = 15
FAUST_STOCK_FETCH_WAIT_MS = 1500
_ROOT = Path(__file__).resolve().parent.parent


class PassThrough(Processor):
    """Stateless: every raw tick becomes a normalised tick with a derived id."""

    name: ClassVar[str] = "bench_pass_through"
    inputs: ClassVar[tuple[str, ...]] = ("md.tick.raw",)
    outputs: ClassVar[tuple[str, ...]] = ("md.tick",)

    def process(self, record: Record) -> list[Output]:
        value = dict(record.value)
        value["envelope"] = caused_by(
            record.value["envelope"], event_type="md.tick", agent=self.name
        )
        return [Output(topic="md.tick", key=record.key, value=value)]


AGENT = AgentSpec(
    name=PassThrough.name,
    host="bulk",
    build=lambda settings: PassThrough(),
    description="benchmark: stateless pass-through of raw ticks",
)


def _tick(sequence: int) -> dict[str, Any]:
    return bench_tick(sequence, namespace="bench")


def _produce_input(settings: Settings, codec: AvroCodec) -> None:
    topic = settings.topic("md.tick.raw")
    producer = Producer(producer_config(settings, **{"linger.ms": 5}))
    for sequence in range(EVENTS):
        value = _tick(sequence)
        producer.produce(
            topic,
            key=codec.encode_key(topic, value["instrument"]),
            value=codec.encode_value(topic, "md.tick", value),
        )
        if sequence % 5000 == 0:
            producer.poll(0)
    if producer.flush(60):
        raise RuntimeError("benchmark input was not delivered")


def _bare_loop(settings: Settings) -> float:
    """Events/s of a bare consume + produce loop over the same input."""
    source, sink = settings.topic("md.tick.raw"), settings.topic("bare.out")
    consumer = Consumer(
        consumer_config(
            settings, f"{settings.topic_prefix}bare", **{"enable.auto.offset.store": True}
        )
    )
    producer = Producer(producer_config(settings))
    consumer.subscribe([source])
    moved, started = 0, None
    try:
        while moved < EVENTS:
            batch = consumer.consume(num_messages=1000, timeout=0.1)
            if batch and started is None:
                started = time.perf_counter()
            for message in batch:
                if message.error() is None:
                    producer.produce(sink, key=message.key(), value=message.value())
                    moved += 1
            producer.poll(0)
            if batch:
                producer.flush(30)
                consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return EVENTS / (time.perf_counter() - (started or time.perf_counter()))


def _scrape(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as reply:
            return reply.status, reply.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return 0, ""


@contextmanager
def _running_host(settings: Settings, host: str, logs: Path, **env_overrides: str) -> Iterator[int]:
    """Run the pass-through agent on ``host`` as a subprocess until ready; yields its port."""
    port = free_port()
    env = {**os.environ, "TAPEWIRE_BOOTSTRAP_SERVERS": settings.bootstrap_servers}
    env["TAPEWIRE_PROFILE"] = settings.profile
    env.update(env_overrides)
    command = [sys.executable, "-m", "streams.cli.main", "agent", "benchmarks.bench_hosts:AGENT"]
    command += ["--host", host, "--topic-prefix", settings.topic_prefix]
    command += ["--group", f"{settings.topic_prefix}{host}", "--metrics-port", str(port)]
    log = logs / f"{settings.topic_prefix}{host}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, cwd=_ROOT, env=env, stderr=stderr)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while _scrape(port, "/readyz")[0] != 200:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the {host} host did not become ready; see {log}")
            time.sleep(0.02)
        yield port
    finally:
        process.terminate()
        process.wait(30)


def _host_rate(settings: Settings, host: str, logs: Path) -> float:
    """Events/s of one host, from ready to every event out."""
    out_line = re.compile(r"^tapewire_events_out_total\{[^}]*\} ([0-9.e+]+)$", re.MULTILINE)
    with _running_host(settings, host, logs) as port:
        started = time.perf_counter()
        deadline = time.monotonic() + 180
        while True:
            found = out_line.findall(_scrape(port, "/metrics")[1])
            if sum(float(v) for v in found) >= EVENTS:
                return EVENTS / (time.perf_counter() - started)
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {host} host did not finish; see {logs}")
            time.sleep(0.02)


def _hop_p50_ms(bootstrap: str, host: str, logs: Path, fetch_wait_ms: int) -> float:
    """Median ms from producing one tick to reading the host's output, one at a time."""
    settings = _fresh_topics(bootstrap, fetch_wait_ms=fetch_wait_ms)
    codec = AvroCodec.from_settings(settings)
    source, sink = settings.topic("md.tick.raw"), settings.topic("md.tick")
    producer = Producer(producer_config(settings, **{"linger.ms": 0}))
    reader = Consumer(consumer_config(settings, f"{settings.topic_prefix}reader"))
    reader.assign([TopicPartition(sink, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    hops: list[float] = []
    env = {"TAPEWIRE_FETCH_WAIT_MS": str(fetch_wait_ms)}
    try:
        with _running_host(settings, host, logs, **env):
            for sequence in range(HOPS):
                value = _tick(sequence)
                sent = time.perf_counter()
                producer.produce(
                    source,
                    key=codec.encode_key(source, value["instrument"]),
                    value=codec.encode_value(source, "md.tick", value),
                )
                producer.flush(10)
                if not _await_one(reader, time.monotonic() + 30):
                    raise RuntimeError(f"no output from the {host} host; see {logs}")
                hops.append((time.perf_counter() - sent) * 1000)
    finally:
        reader.close()
    return statistics.median(hops)


def _await_one(reader: Consumer, deadline: float) -> bool:
    while time.monotonic() < deadline:
        message = reader.poll(0.005)
        if message is not None and message.error() is None:
            return True
    return False


def _fresh_topics(bootstrap: str, **overrides: Any) -> Settings:
    settings = load_settings(
        bootstrap_servers=bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:6]}-", **overrides
    )
    names = ("md.tick.raw", "md.tick", "bare.out", "system.deadletter")
    create_topics(bootstrap, {settings.topic(n): PARTITIONS for n in names})
    return settings


def run() -> list[Result]:
    with ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-hosts-")))
        bootstrap = os.environ.get("TAPEWIRE_BOOTSTRAP_SERVERS")
        if not bootstrap:
            broker = EmbeddedBroker(logs / "stack", free_port())
            broker.start()
            stack.callback(broker.stop)
            bootstrap = broker.bootstrap_servers
        settings = _fresh_topics(bootstrap)
        _produce_input(settings, AvroCodec.from_settings(settings))
        bare = _bare_loop(settings)
        bulk = _host_rate(settings, "bulk", logs)
        faust = _host_rate(settings, "faust", logs)
        configured = settings.fetch_wait_ms or 500
        hop = _hop_p50_ms(bootstrap, "faust", logs, configured)
        stock_hop = _hop_p50_ms(bootstrap, "faust", logs, FAUST_STOCK_FETCH_WAIT_MS)
    return [
        _result("bulk host pass-through", bulk, bare),
        _result("faust host pass-through", faust, bare),
        Result(
            f"faust host hop p50 (fetch wait {configured} ms)",
            hop,
            "ms",
            stock_hop,
            hop / stock_hop,
            f"one event produce -> output read; baseline: Faust's hard-coded "
            f"{FAUST_STOCK_FETCH_WAIT_MS} ms fetch wait, same run (lower is better)",
        ),
    ]


def _result(name: str, value: float, bare: float) -> Result:
    note = (
        "throughput / a bare confluent-kafka consume+produce loop on the same input "
        "(the host decodes, validates and encodes Avro; the loop copies bytes); no budget"
    )
    return Result(name, value, "events/s", bare, value / bare, note)
