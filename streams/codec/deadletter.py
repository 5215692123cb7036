"""Turning a record that could not be decoded or processed into a ``system.deadletter`` event.

Nothing is dropped: the dead letter keeps the raw key and value bytes, the origin
(topic, partition, offset, timestamp) and the error, both in the event and in headers so
an operator can filter dead letters with any Kafka tool without decoding them. The event
id derives from the origin, so dead-lettering the same record twice (after a crash or a
replay) yields the same event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from streams.clock import from_micros
from streams.events import derive_event_id, envelope

EVENT_TYPE: Final = "system.deadletter"
SCHEMA_VERSION: Final = 1
MAX_MESSAGE_CHARS: Final = 4000

HEADER_ERROR_CLASS: Final = "tapewire.error.class"
HEADER_ERROR_MESSAGE: Final = "tapewire.error.message"
HEADER_ORIGIN_TOPIC: Final = "tapewire.origin.topic"
HEADER_ORIGIN_PARTITION: Final = "tapewire.origin.partition"
HEADER_ORIGIN_OFFSET: Final = "tapewire.origin.offset"
HEADER_AGENT: Final = "tapewire.agent"


def error_class(error: BaseException) -> str:
    """Qualified class name, e.g. ``streams.errors.ValueDecodeError``."""
    kind = type(error)
    return f"{kind.__module__}.{kind.__qualname__}"


def error_message(error: BaseException) -> str:
    """The message with its chain of causes, cut to :data:`MAX_MESSAGE_CHARS`."""
    parts: list[str] = []
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current) or type(current).__name__
        parts.append(text if current is error else f"{type(current).__name__}: {text}")
        current = current.__cause__ or current.__context__
    message = " <- caused by ".join(parts)
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 3] + "..."
    return message


def dead_letter(  # noqa: PLR0917 - a consumed record's fields, in the order hosts have them
    origin_topic: str,
    partition: int,
    offset: int,
    timestamp_ms: int | None,
    key_bytes: bytes | None,
    value_bytes: bytes | None,
    error: BaseException,
    agent: str,
    now: datetime,
) -> tuple[bytes | None, dict[str, Any], list[tuple[str, bytes]]]:
    """Key, ``system.deadletter`` value and headers for a failed record.

    The key is the original key bytes, unchanged (dead letters of one origin key stay
    together); the value is an event dict for the codec; ``now`` comes from the host's clock.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    event_id = derive_event_id(EVENT_TYPE, origin_topic, partition, offset)
    origin_time = (
        from_micros(timestamp_ms * 1000) if timestamp_ms is not None and timestamp_ms >= 0 else None
    )
    kind = error_class(error)
    message = error_message(error)
    value: dict[str, Any] = {
        "envelope": envelope(
            event_type=EVENT_TYPE,
            event_id=event_id,
            event_time=now,
            ingest_time=now,
            agent=agent,
            schema_version=SCHEMA_VERSION,
        ),
        "agent": agent,
        "origin_topic": origin_topic,
        "origin_partition": partition,
        "origin_offset": offset,
        "origin_timestamp": origin_time,
        "error_class": kind,
        "error_message": message,
        "key": key_bytes,
        "value": value_bytes,
    }
    headers = [
        (HEADER_ERROR_CLASS, kind.encode("utf-8")),
        (HEADER_ERROR_MESSAGE, message.encode("utf-8")),
        (HEADER_ORIGIN_TOPIC, origin_topic.encode("utf-8")),
        (HEADER_ORIGIN_PARTITION, str(partition).encode("ascii")),
        (HEADER_ORIGIN_OFFSET, str(offset).encode("ascii")),
        (HEADER_AGENT, agent.encode("utf-8")),
    ]
    return key_bytes, value, headers
