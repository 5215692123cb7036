"""Contract: records keep key, value, headers, timestamp and per-key order, across clients."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition as AioTopicPartition
from streams.dev.session import StackSession
from streams.topics.admin import create_topics
from tests.integration.broker.broker_kit import aiokafka_consumer_kwargs, producer, read_partitions

T0_MS = 1_700_000_000_000
HEADERS = [("origin-topic", b"md.tick.raw"), ("origin-offset", b"42")]
PRODUCE_HEADERS: list[tuple[str, str | bytes | None]] = list(HEADERS)


def test_confluent_round_trip_keeps_key_value_headers_and_timestamp(
    stack: StackSession, unique: str
) -> None:
    topic = f"{unique}roundtrip"
    create_topics(stack.bootstrap_servers, {topic: 1})
    client = producer(stack)
    for i in range(3):
        client.produce(
            topic, key=f"k{i}", value=f"v{i}".encode(), headers=PRODUCE_HEADERS, timestamp=T0_MS + i
        )
    client.flush(10)

    messages = read_partitions(stack, topic, 1)

    assert [(m.key(), m.value(), m.offset()) for m in messages] == [
        (b"k0", b"v0", 0),
        (b"k1", b"v1", 1),
        (b"k2", b"v2", 2),
    ]
    assert all(m.headers() == HEADERS for m in messages)
    assert [m.timestamp()[1] for m in messages] == [T0_MS, T0_MS + 1, T0_MS + 2]


def test_same_key_always_lands_on_one_partition_in_order(stack: StackSession, unique: str) -> None:
    topic = f"{unique}keyed"
    create_topics(stack.bootstrap_servers, {topic: 3})
    client = producer(stack, **{"linger.ms": 5})
    keys = [f"instrument-{n}" for n in range(6)]
    for i in range(20):
        for key in keys:
            client.produce(topic, key=key, value=str(i).encode())
    client.flush(10)

    messages = read_partitions(stack, topic, 3)

    assert len(messages) == 20 * len(keys)
    for key in keys:
        mine = [m for m in messages if m.key() == key.encode()]
        assert len({m.partition() for m in mine}) == 1, key
        assert [int(m.value() or b"") for m in mine] == list(range(20)), key


def test_aiokafka_writes_what_confluent_reads(stack: StackSession, unique: str) -> None:
    topic = f"{unique}aio-to-ck"
    create_topics(stack.bootstrap_servers, {topic: 1})

    async def produce() -> None:
        client = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers, acks="all")
        await client.start()
        try:
            for i in range(3):
                await client.send_and_wait(
                    topic, f"v{i}".encode(), key=f"k{i}".encode(), headers=HEADERS
                )
        finally:
            await client.stop()

    asyncio.run(produce())
    messages = read_partitions(stack, topic, 1)

    assert [(m.key(), m.value()) for m in messages] == [
        (b"k0", b"v0"),
        (b"k1", b"v1"),
        (b"k2", b"v2"),
    ]
    assert all(m.headers() == HEADERS for m in messages)


def test_confluent_writes_what_aiokafka_reads(stack: StackSession, unique: str) -> None:
    topic = f"{unique}ck-to-aio"
    create_topics(stack.bootstrap_servers, {topic: 1})
    client = producer(stack)
    for i in range(3):
        client.produce(topic, key=f"k{i}", value=f"v{i}".encode(), headers=PRODUCE_HEADERS)
    client.flush(10)

    async def consume() -> list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]]:
        consumer = AIOKafkaConsumer(**aiokafka_consumer_kwargs(stack, None))
        await consumer.start()
        try:
            partition = AioTopicPartition(topic, 0)
            consumer.assign([partition])
            await consumer.seek_to_beginning(partition)
            got: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]] = []
            async with asyncio.timeout(15):
                while len(got) < 3:
                    record = await consumer.getone()
                    got.append((record.key, record.value, list(record.headers)))
            return got
        finally:
            await consumer.stop()

    got = asyncio.run(consume())

    assert got == [(f"k{i}".encode(), f"v{i}".encode(), HEADERS) for i in range(3)]
