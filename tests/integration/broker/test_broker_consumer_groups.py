"""Contract: groups commit offsets and resume there; an inactive group can be rewound."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata
from aiokafka.structs import TopicPartition as AioTopicPartition
from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import ConsumerGroupTopicPartitions, Message, TopicPartition
from streams.dev.session import StackSession
from streams.topics.admin import admin_client, create_topics
from tests.integration.broker.broker_kit import (
    aiokafka_consumer_kwargs,
    consumer_config,
    poll_until,
    produce_each,
)

RECORDS = [(f"k{i}".encode(), f"v{i}".encode()) for i in range(10)]


def _offset(message: Message) -> int:
    offset = message.offset()
    assert offset is not None
    return offset


def _consume_and_commit(stack: StackSession, topic: str, group: str, count: int) -> int:
    """Read ``count`` records in ``group``, commit after the last one; its offset."""
    consumer = KafkaConsumer(consumer_config(stack, group))
    consumer.subscribe([topic])
    try:
        messages = poll_until(consumer, lambda got: len(got) >= count)
        assert len(messages) >= count
        last = messages[count - 1]
        consumer.commit(message=last, asynchronous=False)
        return _offset(last)
    finally:
        consumer.close()


def _first_offset_seen(stack: StackSession, topic: str, group: str) -> int:
    consumer = KafkaConsumer(consumer_config(stack, group))
    consumer.subscribe([topic])
    try:
        messages = poll_until(consumer, lambda got: len(got) >= 1)
        assert messages, "the group received nothing"
        return _offset(messages[0])
    finally:
        consumer.close()


def test_group_resumes_after_its_committed_offset(stack: StackSession, unique: str) -> None:
    topic, group = f"{unique}groups", f"{unique}group"
    create_topics(stack.bootstrap_servers, {topic: 1})
    produce_each(stack, topic, RECORDS)

    last = _consume_and_commit(stack, topic, group, 6)

    assert last == 5
    checker = KafkaConsumer(consumer_config(stack, group))
    try:
        committed = checker.committed([TopicPartition(topic, 0)], timeout=10)
    finally:
        checker.close()
    assert [tp.offset for tp in committed] == [6]
    assert _first_offset_seen(stack, topic, group) == 6


def test_inactive_group_is_rewound_with_the_admin_api(stack: StackSession, unique: str) -> None:
    topic, group = f"{unique}rewind", f"{unique}group"
    create_topics(stack.bootstrap_servers, {topic: 1})
    produce_each(stack, topic, RECORDS)
    assert _consume_and_commit(stack, topic, group, 10) == 9

    admin = admin_client(stack.bootstrap_servers)
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0, 2)])
    for future in admin.alter_consumer_group_offsets([request]).values():
        future.result(timeout=10)
    listed = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
    offsets = {
        (tp.topic, tp.partition): tp.offset
        for future in listed.values()
        for tp in future.result(timeout=10).topic_partitions
    }

    assert offsets == {(topic, 0): 2}
    assert _first_offset_seen(stack, topic, group) == 2


def test_aiokafka_group_commits_and_resumes(stack: StackSession, unique: str) -> None:
    """Faust hosts run on aiokafka groups: join, commit, and a new member resumes there."""
    topic, group = f"{unique}aiogroup", f"{unique}group"
    create_topics(stack.bootstrap_servers, {topic: 1})
    produce_each(stack, topic, RECORDS)
    partition = AioTopicPartition(topic, 0)

    async def read(count: int, commit_after: int | None) -> list[int]:
        consumer = AIOKafkaConsumer(topic, **aiokafka_consumer_kwargs(stack, group))
        await consumer.start()
        try:
            offsets: list[int] = []
            async with asyncio.timeout(20):
                while len(offsets) < count:
                    record = await consumer.getone()
                    offsets.append(record.offset)
            if commit_after is not None:
                await consumer.commit({partition: OffsetAndMetadata(commit_after + 1, "")})
            return offsets
        finally:
            await consumer.stop()

    first = asyncio.run(read(4, commit_after=3))
    resumed = asyncio.run(read(1, commit_after=None))

    assert first == [0, 1, 2, 3]
    assert resumed == [4]
