"""Contract: idempotent producers and transactions.

The platform's correctness never relies on transactions (effects are idempotent instead), but
confluent-kafka's idempotent producer is used by the bulk host and must work everywhere.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError as AioKafkaError
from confluent_kafka import Consumer, TopicPartition
from streams.dev.session import StackSession
from streams.topics.admin import create_topics
from tests.integration.broker.broker_kit import (
    ON_EMBEDDED_BROKER,
    consumer_config,
    poll_until,
    producer,
    read_partitions,
)

AIOKAFKA_INIT_PRODUCER_ID = (
    "embedded Tansu: aiokafka's InitProducerId request fails, so AIOKafkaProducer.start() "
    "raises UnknownError [Error -1] (confluent-kafka's idempotence and transactions work)"
)


def test_confluent_idempotent_producer_writes_each_record_once_in_order(
    stack: StackSession, unique: str
) -> None:
    topic = f"{unique}idempotent"
    create_topics(stack.bootstrap_servers, {topic: 3})
    client = producer(stack, **{"enable.idempotence": True, "linger.ms": 5})
    for i in range(300):
        client.produce(topic, key=f"k{i % 7}", value=str(i).encode())
    assert client.flush(10) == 0

    messages = read_partitions(stack, topic, 3)

    values = [int(m.value() or b"") for m in messages]
    assert sorted(values) == list(range(300))
    for key in {m.key() for m in messages}:
        mine = [int(m.value() or b"") for m in messages if m.key() == key]
        assert mine == sorted(mine), key


def test_confluent_transactions_hide_aborted_records(stack: StackSession, unique: str) -> None:
    topic = f"{unique}transactions"
    create_topics(stack.bootstrap_servers, {topic: 1})
    client = producer(stack, **{"transactional.id": f"{unique}tx"})
    client.init_transactions(15)
    client.begin_transaction()
    client.produce(topic, key=b"k", value=b"committed")
    client.commit_transaction(15)
    client.begin_transaction()
    client.produce(topic, key=b"k", value=b"aborted")
    client.abort_transaction(15)
    client.begin_transaction()
    client.produce(topic, key=b"k", value=b"after")
    client.commit_transaction(15)

    consumer = Consumer(
        consumer_config(stack, f"{unique}reader", **{"isolation.level": "read_committed"})
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    try:
        messages = poll_until(consumer, lambda got: len(got) >= 2, timeout=15)
    finally:
        consumer.close()

    assert [m.value() for m in messages] == [b"committed", b"after"]


AIOKAFKA_XFAIL = pytest.mark.xfail(
    condition=ON_EMBEDDED_BROKER,
    reason=AIOKAFKA_INIT_PRODUCER_ID,
    strict=True,
    raises=AssertionError,
)


def _aiokafka_produce(stack: StackSession, topic: str, **options: Any) -> None:
    async def run() -> None:
        client = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers, **options)
        try:
            await asyncio.wait_for(client.start(), 20)
            if "transactional_id" in options:
                async with client.transaction():
                    await client.send_and_wait(topic, b"v", key=b"k")
            else:
                await client.send_and_wait(topic, b"v", key=b"k")
        finally:
            await client.stop()

    try:
        asyncio.run(run())
    except AioKafkaError as exc:
        raise AssertionError(f"aiokafka producer failed: {exc!r}") from exc


@pytest.mark.xfail(
    condition=ON_EMBEDDED_BROKER,
    reason=AIOKAFKA_INIT_PRODUCER_ID,
    strict=True,
    raises=AssertionError,
)
def test_aiokafka_idempotent_producer(stack: StackSession, unique: str) -> None:
    topic = f"{unique}aio-idempotent"
    create_topics(stack.bootstrap_servers, {topic: 1})

    _aiokafka_produce(stack, topic, enable_idempotence=True)

    assert [m.value() for m in read_partitions(stack, topic, 1)] == [b"v"]


@pytest.mark.xfail(
    condition=ON_EMBEDDED_BROKER,
    reason=AIOKAFKA_INIT_PRODUCER_ID,
    strict=True,
    raises=AssertionError,
)
def test_aiokafka_transactional_producer(stack: StackSession, unique: str) -> None:
    topic = f"{unique}aio-transactional"
    create_topics(stack.bootstrap_servers, {topic: 1})

    _aiokafka_produce(stack, topic, transactional_id=f"{unique}aiotx")

    assert [m.value() for m in read_partitions(stack, topic, 1)] == [b"v"]
