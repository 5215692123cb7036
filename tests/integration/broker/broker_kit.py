"""Helpers of the broker contract tests: client configs per profile, bounded reads."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, Message, Producer, TopicPartition
from streams.dev.session import StackSession
from streams.settings import Settings

ON_EMBEDDED_BROKER = not os.environ.get("TAPEWIRE_BOOTSTRAP_SERVERS")
"""The session runs the embedded Tansu broker (as :meth:`StackSession.from_environment`)."""

CLEANUP_WAIT_S = 20.0
"""How long compaction/retention tests wait for the broker's cleaner (bounded on purpose)."""


def _number(value: int | None, name: str) -> int:
    if value is None:  # the profile validator fills these; None would be a settings bug
        raise AssertionError(f"settings.{name} is unset")
    return value


def consumer_config(stack: StackSession, group: str, **extra: Any) -> dict[str, Any]:
    """A confluent-kafka consumer config with the session's profile timeouts."""
    settings: Settings = stack.settings()
    return {
        "bootstrap.servers": stack.bootstrap_servers,
        "group.id": group,
        "session.timeout.ms": _number(settings.session_timeout_ms, "session_timeout_ms"),
        "heartbeat.interval.ms": _number(settings.heartbeat_interval_ms, "heartbeat_interval_ms"),
        "fetch.wait.max.ms": _number(settings.fetch_wait_ms, "fetch_wait_ms"),
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        **extra,
    }


def aiokafka_consumer_kwargs(stack: StackSession, group: str | None) -> dict[str, Any]:
    """AIOKafkaConsumer keyword arguments with the session's profile timeouts."""
    settings = stack.settings()
    return {
        "bootstrap_servers": stack.bootstrap_servers,
        "group_id": group,
        "session_timeout_ms": _number(settings.session_timeout_ms, "session_timeout_ms"),
        "heartbeat_interval_ms": _number(settings.heartbeat_interval_ms, "heartbeat_interval_ms"),
        "rebalance_timeout_ms": _number(settings.rebalance_timeout_ms, "rebalance_timeout_ms"),
        "fetch_max_wait_ms": _number(settings.fetch_wait_ms, "fetch_wait_ms"),
        "auto_offset_reset": "earliest",
        "enable_auto_commit": False,
    }


def producer(stack: StackSession, **extra: Any) -> Producer:
    return Producer({"bootstrap.servers": stack.bootstrap_servers, "linger.ms": 0, **extra})


def produce_each(
    stack: StackSession, topic: str, records: list[tuple[bytes, bytes]], partition: int = 0
) -> None:
    """Produce ``(key, value)`` records one request at a time (flush after each)."""
    client = producer(stack)
    for key, value in records:
        client.produce(topic, key=key, value=value, partition=partition)
        client.flush(10)


def poll_until(
    consumer: Consumer, done: Callable[[list[Message]], bool], timeout: float = 20.0
) -> list[Message]:
    """Poll until ``done(messages)`` or ``timeout``; raises on a consumer error."""
    messages: list[Message] = []
    deadline = time.monotonic() + timeout
    while not done(messages) and time.monotonic() < deadline:
        for message in consumer.consume(500, timeout=0.2):
            error = message.error()
            if error is not None:
                raise AssertionError(f"consumer error: {error}")
            messages.append(message)
    return messages


def read_partitions(
    stack: StackSession, topic: str, partitions: int, *, idle: float = 1.0, timeout: float = 15.0
) -> list[Message]:
    """Every record of ``topic`` from the beginning, read until ``idle`` seconds bring nothing."""
    consumer = Consumer(consumer_config(stack, f"reader-{topic}"))
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    messages: list[Message] = []
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    try:
        while time.monotonic() < deadline and time.monotonic() - quiet_since < idle:
            batch = consumer.consume(1000, timeout=0.1)
            for message in batch:
                error = message.error()
                if error is not None:
                    raise AssertionError(f"consumer error: {error}")
                messages.append(message)
            if batch:
                quiet_since = time.monotonic()
    finally:
        consumer.close()
    return messages
