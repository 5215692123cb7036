"""Contract: end offsets (ListOffsets latest, watermarks) and timestamp look-up.

The platform must not depend on the two embedded-broker deviations tested here (lag and
"read to the end" use the last consumed offset, replay by time scans timestamps), but the
contract holds on Redpanda and Kafka and the xfail records exactly how Tansu differs.
"""

from __future__ import annotations

import pytest
from confluent_kafka import Consumer, TopicPartition

# confluent-kafka documents OffsetSpec as public but re-exports it without __all__.
from confluent_kafka.admin import OffsetSpec  # type: ignore[attr-defined]
from streams.dev.session import StackSession
from streams.topics.admin import admin_client, create_topics
from tests.integration.broker.broker_kit import (
    ON_EMBEDDED_BROKER,
    consumer_config,
    produce_each,
    producer,
)

T0_MS = 1_700_000_000_000


def _end_offsets(stack: StackSession, topic: str, unique: str) -> tuple[int, int]:
    """(watermark high, ListOffsets latest) of partition 0."""
    consumer = Consumer(consumer_config(stack, f"{unique}probe"))
    try:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    finally:
        consumer.close()
    admin = admin_client(stack.bootstrap_servers)  # must outlive its futures
    request = {TopicPartition(topic, 0): OffsetSpec.latest()}  # type: ignore[no-untyped-call]
    result = admin.list_offsets(request, request_timeout=10)
    latest = [future.result(timeout=10).offset for future in result.values()]
    return int(high), int(latest[0])


def test_end_offset_after_single_record_produces(stack: StackSession, unique: str) -> None:
    topic = f"{unique}single"
    create_topics(stack.bootstrap_servers, {topic: 1})
    produce_each(stack, topic, [(b"k", str(i).encode()) for i in range(5)])

    assert _end_offsets(stack, topic, unique) == (5, 5)


@pytest.mark.xfail(
    condition=ON_EMBEDDED_BROKER,
    reason=(
        "embedded Tansu: ListOffsets latest and the high watermark answer the first "
        "offset of the last batch + 1 (1 instead of 10 after one batch of 10 records)"
    ),
    strict=True,
    raises=AssertionError,
)
def test_end_offset_after_a_batched_produce(stack: StackSession, unique: str) -> None:
    topic = f"{unique}batched"
    create_topics(stack.bootstrap_servers, {topic: 1})
    client = producer(stack, **{"linger.ms": 200})
    for i in range(10):
        client.produce(topic, key=b"k", value=str(i).encode())
    client.flush(10)

    assert _end_offsets(stack, topic, unique) == (10, 10)


@pytest.mark.xfail(
    condition=ON_EMBEDDED_BROKER,
    reason=(
        "embedded Tansu: timestamp look-up answers offset 0 for any timestamp "
        "(0 instead of 1 for the second record's timestamp)"
    ),
    strict=True,
    raises=AssertionError,
)
def test_offsets_for_times_finds_the_first_record_at_or_after_a_time(
    stack: StackSession, unique: str
) -> None:
    topic = f"{unique}times"
    create_topics(stack.bootstrap_servers, {topic: 1})
    client = producer(stack)
    for i in range(3):
        client.produce(topic, key=b"k", value=str(i).encode(), timestamp=T0_MS + i * 1000)
        client.flush(10)

    consumer = Consumer(consumer_config(stack, f"{unique}probe"))
    try:
        found = [
            consumer.offsets_for_times([TopicPartition(topic, 0, when)], timeout=10)[0].offset
            for when in (T0_MS, T0_MS + 1000, T0_MS + 1500, T0_MS + 10_000)
        ]
    finally:
        consumer.close()

    assert found == [0, 1, 2, -1]  # -1: no record at or after that time
