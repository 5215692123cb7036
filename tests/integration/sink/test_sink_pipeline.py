"""The sink agent on the embedded broker: topics in, rows out, rewinding changes nothing.

Realistic events of every sinkable type (plus one undecodable record) are produced to fresh
topics; the sink runs until it has consumed them all; the database then holds exactly the
rows the events map to, and the bad record sits in dead_letters (dead-lettered by the sink,
then sunk from system.deadletter). Rewinding the sink's consumer group to the beginning and
running it again reads everything a second time and changes no count.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from streams.agents.sink import AGENT, run
from streams.codec import AvroCodec
from streams.db.migrations import migrate
from streams.resources import resource_dir
from streams.runtime.kafka_config import consumer_config, producer_config
from streams.runtime.metrics import AgentMetrics
from streams.settings import Settings
from streams.sink.config import DEFAULT_TOPICS, SinkSettings, load_sink_settings
from streams.sink.rows import rows_for
from streams.sink.samples import sample_events
from streams.sink.tables import TABLES
from streams.topics.admin import create_topics

START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
PARTITIONS = 2
_TOPIC_OF = {
    "md.tick": "md.tick",
    "md.bar": "md.bar",
    "indicator.value": "indicator.value",
    "strategy.intent": "strategy.intent",
    "risk.violation": "risk.violation",
    "order.command": "order.command",
    "order.event": "order.event",
    "position.snapshot": "position.snapshot",
    "pnl.update": "pnl.update",
    "system.deadletter": "system.deadletter",
}


def _topic(event: dict[str, Any]) -> str:
    event_type = event["envelope"]["event_type"]
    if event_type == "risk.decision":
        return "risk.approved" if event["outcome"] == "APPROVED" else "risk.rejected"
    return _TOPIC_OF[event_type]


def _produce(settings: Settings, events: list[dict[str, Any]]) -> int:
    codec = AvroCodec.from_settings(settings)
    producer = Producer(producer_config(settings))
    for event in events:
        topic = settings.topic(_topic(event))
        key = event.get("instrument") or event.get("strategy")
        producer.produce(
            topic,
            key=codec.encode_key(topic, key),
            value=codec.encode_value(topic, event["envelope"]["event_type"], event),
        )
    producer.produce(settings.topic("md.tick"), key=b"BTC-USD", value=b"\x07not avro")
    assert producer.flush(15) == 0
    return len(events) + 1


def _counts(url: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        for table in TABLES:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            assert row is not None
            counts[table] = int(row[0])
    return counts


def _run_until(
    settings: Settings, sink: SinkSettings, consumed: int, metrics: AgentMetrics
) -> None:
    """Run the sink in a thread until it has consumed ``consumed`` records, then stop it."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def target() -> None:
        try:
            run(settings, stop.is_set, sink=sink, metrics=metrics, serve_metrics=False)
        except BaseException as exc:  # reported by the test thread below
            failures.append(exc)
            raise

    thread = threading.Thread(target=target, name="sink-under-test")
    thread.start()
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline and not failures:
            seen = sum(
                metrics.value("tapewire_events_in_total", topic=settings.topic(t))
                for t in sink.topics
            )
            if seen >= consumed:
                break
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(30)
    assert not failures, failures
    assert not thread.is_alive()
    seen = sum(
        metrics.value("tapewire_events_in_total", topic=settings.topic(t)) for t in sink.topics
    )
    assert seen >= consumed, f"the sink consumed {seen} of {consumed} records"


def _rewind(settings: Settings, group: str) -> None:
    """Set the (inactive) group's committed offsets back to the start of every partition."""
    consumer = Consumer(consumer_config(settings, group))
    try:
        partitions = [
            TopicPartition(settings.topic(t), p, 0)
            for t in DEFAULT_TOPICS
            for p in range(PARTITIONS)
        ]
        consumer.commit(offsets=partitions, asynchronous=False)
    finally:
        consumer.close()


@pytest.mark.slow
def test_sink_agent_writes_every_event_once_and_rewinding_changes_nothing(
    stack: Any, unique: str, fresh_database: str
) -> None:
    settings = stack.settings(topic_prefix=unique, database_url=fresh_database)
    sink = load_sink_settings(group_id="sink", batch_size=300, poll_timeout_seconds=0.1)
    create_topics(
        settings.bootstrap_servers, {settings.topic(t): PARTITIONS for t in DEFAULT_TOPICS}
    )
    migrate(fresh_database, resource_dir("sql"))
    events = sample_events(START, minutes=6)
    produced = _produce(settings, events)

    _run_until(settings, sink, produced + 1, AgentMetrics("sink"))  # +1: the sink's dead letter
    expected = Counter(row.table for event in events for row in rows_for(event))
    expected["orders"] = sum(e["envelope"]["event_type"] == "order.command" for e in events)
    expected["dead_letters"] += 1
    counts = _counts(fresh_database)
    assert counts == dict(expected)
    with psycopg.connect(fresh_database) as conn:
        (bad,) = conn.execute(
            "SELECT agent, origin_topic, value FROM dead_letters WHERE agent = 'sink'"
        ).fetchall()
    assert bad == ("sink", settings.topic("md.tick"), b"\x07not avro")

    _rewind(settings, settings.topic(sink.group_id))
    _run_until(settings, sink, produced + 1, AgentMetrics("sink"))
    assert _counts(fresh_database) == counts


def test_agent_is_declared_for_the_source_host() -> None:
    assert AGENT.name == "sink"
    assert "Timescale" in AGENT.description
