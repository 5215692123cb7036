"""Replay records/s: a rewound bulk-host agent re-reading a topic vs a bare consumer.

Both read the same ``EVENTS`` ticks (3 partitions) in the same run, on the broker named by
``TAPEWIRE_BOOTSTRAP_SERVERS`` or, when unset, on an embedded broker started here:

- baseline: a bare confluent-kafka group consumer reading the topic from the beginning
  (bytes only, no decoding);
- subject: a stateless agent (:class:`ReReader`: decodes and validates every tick, emits
  nothing) on the bulk host, in-process, after ``tapewire replay``'s plan/apply rewound its
  group to earliest. This is the cost of a replay's re-read itself: Avro decode and strict
  validation of every record plus the host's bookkeeping, without any output.

Each side is timed from the end of its first batch to its last record (group joining and the
first fetch are excluded), alternately, best of ``REPEATS``. Budget (docs/ARCHITECTURE): the
rewound agent re-reads at least 50 % as fast as the bare consumer. A second, informative row
compares the agent with the bare consumer plus a plain ``fastavro`` decode of every value (no
validation), which shows how much of the gap is decoding.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any, ClassVar

from confluent_kafka import Consumer, Producer
from fastavro import schemaless_reader
from streams.codec import AvroCodec, SchemaStore
from streams.dev.broker import EmbeddedBroker
from streams.dev.process import free_port, wait_until
from streams.replay.groups import GroupAdmin
from streams.replay.rewind import apply_plan, plan_replay
from streams.replay.targets import Target
from streams.runtime.agent_spec import AgentSpec
from streams.runtime.bulk_host import BulkHost
from streams.runtime.host_base import HostContext
from streams.runtime.kafka_config import consumer_config, producer_config
from streams.runtime.processor import Output, Processor, Record
from streams.settings import Settings, load_settings
from streams.topics.admin import create_topics

from benchmarks.common import Result, bench_tick, throughput_result

EVENTS = 60_000
PARTITIONS = 3
REPEATS = 2
BATCH = 5000


class ReReader(Processor):
    """Stateless: takes every decoded tick, emits nothing (a replay's re-read, isolated)."""

    name: ClassVar[str] = "bench_replay_reader"
    inputs: ClassVar[tuple[str, ...]] = ("md.tick.raw",)
    outputs: ClassVar[tuple[str, ...]] = ()

    def process(self, record: Record) -> list[Output]:
        del record
        return []


AGENT = AgentSpec(
    name=ReReader.name,
    host="bulk",
    build=lambda settings: ReReader(),
    description="benchmark: re-reads raw ticks after a rewind",
)


def _tick(sequence: int) -> dict[str, Any]:
    return bench_tick(sequence, namespace="bench-replay")


def _produce(settings: Settings) -> None:
    codec = AvroCodec.from_settings(settings)
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


def _bare_rate(settings: Settings, *, decode: bool = False) -> float:
    """Records/s of a bare consumer reading the topic from the beginning (fresh group);
    ``decode`` adds a plain fastavro decode of every value (Confluent frame skipped)."""
    parsed = SchemaStore.load().latest("md.tick").parsed
    group = f"{settings.topic_prefix}bare-{uuid.uuid4().hex[:6]}"
    consumer = Consumer(consumer_config(settings, group))
    consumer.subscribe([settings.topic("md.tick.raw")])
    read, first, started = 0, 0, 0.0
    deadline = time.monotonic() + 120
    try:
        while read < EVENTS:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bare consumer read {read} of {EVENTS} records")
            batch = consumer.consume(num_messages=BATCH, timeout=0.1)
            for message in batch:
                if message.error() is None:
                    read += 1
                    if decode:
                        schemaless_reader(io.BytesIO((message.value() or b"")[5:]), parsed, None)
            if read and not first:
                first, started = read, time.perf_counter()
    finally:
        consumer.close()
    return (EVENTS - first) / (time.perf_counter() - started)


def _agent_rate(settings: Settings, group: str) -> float:
    """Rewind ``group`` to earliest with replay's plan/apply, run the agent until re-read."""
    admin = GroupAdmin(settings.bootstrap_servers)
    if admin.committed(group):
        if not wait_until(lambda: not admin.describe(group).active, 30):
            raise RuntimeError(f"group {group} stays active")
        apply_plan(
            plan_replay(settings.bootstrap_servers, group, Target("earliest"), admin=admin),
            settings.bootstrap_servers,
            admin=admin,
        )
    context = HostContext(AGENT, settings, group_id=group)
    topic = settings.topic("md.tick.raw")
    stop = threading.Event()
    failures: list[BaseException] = []

    def target() -> None:
        try:
            BulkHost(context, batch_size=BATCH).run(stop)
        except BaseException as exc:  # reported below
            failures.append(exc)
            raise
        finally:
            context.close()

    thread = threading.Thread(target=target, name="bench-replay-agent")
    thread.start()
    first, started = 0.0, 0.0
    deadline = time.monotonic() + 120
    try:
        while (seen := context.metrics.value("tapewire_events_in_total", topic=topic)) < EVENTS:
            if failures or time.monotonic() > deadline:
                raise RuntimeError(f"the agent re-read {seen:.0f} of {EVENTS}: {failures}")
            if seen and not first:
                first, started = seen, time.perf_counter()
            time.sleep(0.002)
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        thread.join(60)
    return (EVENTS - first) / elapsed


def run() -> list[Result]:
    with ExitStack() as stack:
        bootstrap = os.environ.get("TAPEWIRE_BOOTSTRAP_SERVERS")
        if not bootstrap:
            data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-replay-")))
            broker = EmbeddedBroker(data / "stack", free_port())
            broker.start()
            stack.callback(broker.stop)
            bootstrap = broker.bootstrap_servers
        settings = load_settings(
            bootstrap_servers=bootstrap,
            topic_prefix=f"bench{uuid.uuid4().hex[:6]}-",
            log_level="WARNING",
        )
        names = ("md.tick.raw", "system.deadletter")
        create_topics(bootstrap, {settings.topic(n): PARTITIONS for n in names})
        _produce(settings)
        group = settings.topic(AGENT.name)
        bare = decoded = agent = 0.0
        for _ in range(REPEATS):
            bare = max(bare, _bare_rate(settings))
            decoded = max(decoded, _bare_rate(settings, decode=True))
            agent = max(agent, _agent_rate(settings, group))
    return [
        throughput_result(
            "replay re-read (rewound bulk-host agent)",
            agent,
            bare,
            "records/s",
            floor=0.5,
            what="a bare confluent-kafka consumer reading the same topic (bytes only; the "
            "agent decodes and validates Avro)",
        ),
        Result(
            "replay re-read vs consumer + fastavro decode",
            agent,
            "records/s",
            decoded,
            agent / decoded,
            "throughput / a bare consumer that also decodes every value with fastavro "
            "(no validation, no host); informative, no budget",
        ),
    ]
