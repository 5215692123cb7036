"""librdkafka (confluent-kafka) configuration from :class:`~streams.settings.Settings`, and
the conversion of its messages into the engine's records.

One place maps the profile's timings onto client settings, so the bulk host, the snapshot
store, the source host and the benchmarks agree: ``fetch.wait.max.ms`` from
``fetch_wait_ms`` (10 ms on the embedded broker, whose waiting fetches do not wake on new
data), group session/heartbeat from the profile, auto-commit off (hosts commit after the
effect), ``acks=all`` for producers.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaException, Message
from confluent_kafka.admin import AdminClient

from streams.runtime.emitter import RawRecord
from streams.settings import Settings


def client_config(settings: Settings) -> dict[str, Any]:
    """Connection and security settings shared by every client."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.bootstrap_servers,
        "security.protocol": settings.security_protocol,
        "log_level": 3,
    }
    if settings.sasl_mechanism is not None:
        config["sasl.mechanism"] = settings.sasl_mechanism
    if settings.sasl_username is not None:
        config["sasl.username"] = settings.sasl_username
    if settings.sasl_password is not None:
        config["sasl.password"] = settings.sasl_password.get_secret_value()
    return config


def security_config(settings: Settings) -> dict[str, str | int | float | bool]:
    """Only the security part of :func:`client_config` (for admin tools given a bootstrap)."""
    return {
        k: v for k, v in client_config(settings).items() if k.startswith(("security.", "sasl."))
    }


def consumer_config(settings: Settings, group_id: str, **overrides: Any) -> dict[str, Any]:
    """A group consumer that never auto-commits and starts at earliest without offsets."""
    config = client_config(settings)
    config.update(
        {
            "group.id": group_id,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": settings.session_timeout_ms,
            "heartbeat.interval.ms": settings.heartbeat_interval_ms,
            "fetch.wait.max.ms": settings.fetch_wait_ms,
            "partition.assignment.strategy": "range",
            "enable.partition.eof": False,
        }
    )
    config.update(overrides)
    return config


def producer_config(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """A producer that waits for every replica and batches briefly.

    Keys are partitioned with murmur2 like the Java client and the Faust host (aiokafka), so a
    key lands on the same partition whichever host produced it and co-partitioned topics
    (``md.bar`` from the bulk host, ``indicator.value`` from the Faust host) stay joined.
    librdkafka's default (CRC32) would split them.
    """
    config = client_config(settings)
    config.update(
        {
            "acks": "all",
            "linger.ms": 1 if settings.profile == "embedded" else 5,
            "partitioner": "murmur2_random",
        }
    )
    config.update(overrides)
    return config


def topic_exists(settings: Settings, topic: str, timeout: float = 5.0) -> bool:
    """Whether the broker knows ``topic`` (False too when the broker does not answer)."""
    try:
        metadata = AdminClient(client_config(settings)).list_topics(timeout=timeout)
    except KafkaException:
        return False
    found = metadata.topics.get(topic)
    return found is not None and found.error is None


def raw_record(message: Message) -> RawRecord:
    """A consumed confluent-kafka message as the engine's :class:`RawRecord`."""
    _, timestamp = message.timestamp()
    key, value = message.key(), message.value()
    found = message.headers() or []
    pairs = list(found.items()) if isinstance(found, dict) else found
    return RawRecord(
        topic=message.topic() or "",
        partition=message.partition() or 0,
        offset=message.offset() or 0,
        key=key.encode() if isinstance(key, str) else key,
        value=value.encode() if isinstance(value, str) else value,
        timestamp_ms=timestamp if timestamp >= 0 else None,
        headers=tuple(
            (name, data.encode() if isinstance(data, str) else (data or b""))
            for name, data in pairs
        ),
    )
