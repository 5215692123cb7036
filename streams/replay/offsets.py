"""Offsets on the broker, found without trusting its end offsets or timestamp index.

The embedded broker (Tansu) answers ListOffsets(latest) with the first offset of the last
batch + 1 and ``offsets_for_times`` with 0. So the true end of a partition is found by reading
forward from the reported end until nothing more arrives, and a time is resolved from the
records' own timestamps when the broker's answer does not check out. On Redpanda both answers
are verified and used as they are.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import datetime

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from streams.errors import BrokerError, BrokerUnavailableError
from streams.replay.timesearch import first_offset_at_or_after, verify_time_answer

_QUIET_SECONDS = 1.0


class OffsetProbe:
    """Reads offsets and record timestamps of partitions with a throw-away consumer."""

    def __init__(
        self, bootstrap_servers: str, *, extra: Mapping[str, str | int | float | bool] | None = None
    ) -> None:
        config: dict[str, str | int | float | bool] = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"tapewire-probe-{uuid.uuid4().hex[:12]}",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            "fetch.wait.max.ms": 50,
            "auto.offset.reset": "earliest",
        }
        config.update(extra or {})
        self._consumer = Consumer(config)
        self._timestamps: dict[tuple[str, int, int], int] = {}

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self) -> OffsetProbe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def partitions(self, topic: str) -> list[int]:
        try:
            meta = self._consumer.list_topics(topic, timeout=10)
        except KafkaException as exc:
            raise BrokerUnavailableError(f"metadata for {topic}: {exc}") from exc
        info = meta.topics.get(topic)
        if info is None or info.error is not None:
            raise BrokerError(f"topic {topic!r} does not exist on the broker")
        return sorted(info.partitions)

    def reported_watermarks(self, topic: str, partition: int) -> tuple[int, int]:
        try:
            low, high = self._consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=10
            )
        except KafkaException as exc:
            raise BrokerUnavailableError(f"watermarks of {topic}[{partition}]: {exc}") from exc
        return int(low), int(high)

    def true_end(self, topic: str, partition: int) -> int:
        """The next offset to be written: read forward from the reported end until quiet."""
        low, high = self.reported_watermarks(topic, partition)
        start = max(low, high - 1)
        last = self._read_forward(topic, partition, start)
        return max(high, last + 1) if last is not None else max(low, high)

    def _read_forward(self, topic: str, partition: int, start: int) -> int | None:
        self._consumer.assign([TopicPartition(topic, partition, start)])
        last: int | None = None
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < _QUIET_SECONDS:
            batch = self._consumer.consume(num_messages=10_000, timeout=0.2)
            positions = [p for p in (self._remember(m) for m in batch) if p is not None]
            if positions:
                last = max(positions)
                quiet_since = time.monotonic()
        self._consumer.unassign()
        return last

    def _remember(self, msg: Message) -> int | None:
        """Cache a record's timestamp; returns its offset (None for an error event)."""
        topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
        if msg.error() is not None or topic is None or partition is None or offset is None:
            return None
        self._timestamps[(topic, partition, offset)] = int(msg.timestamp()[1])
        return offset

    def timestamp_at(self, topic: str, partition: int, offset: int) -> int:
        """Timestamp (ms) of the record at ``offset``."""
        cached = self._timestamps.get((topic, partition, offset))
        if cached is not None:
            return cached
        self._consumer.assign([TopicPartition(topic, partition, offset)])
        deadline = time.monotonic() + 10.0
        try:
            while time.monotonic() < deadline:
                for msg in self._consumer.consume(num_messages=500, timeout=0.5):
                    self._remember(msg)
                if (topic, partition, offset) in self._timestamps:
                    return self._timestamps[(topic, partition, offset)]
        finally:
            self._consumer.unassign()
        raise BrokerError(f"no record at {topic}[{partition}] offset {offset} within 10 s")

    def offset_for_time(
        self, topic: str, partition: int, when: datetime, low: int, end: int
    ) -> tuple[int, bool]:
        """First offset at or after ``when``; the flag says whether the broker's answer held."""
        target_ms = int(when.timestamp() * 1000)
        if low >= end:
            return end, True
        try:
            answer = self._consumer.offsets_for_times(
                [TopicPartition(topic, partition, target_ms)], timeout=10
            )[0].offset
        except KafkaException as exc:
            raise BrokerUnavailableError(f"timestamp look-up on {topic}: {exc}") from exc
        broker_offset = end if answer < 0 else int(answer)

        def ts(offset: int) -> int:
            return self.timestamp_at(topic, partition, offset)

        if verify_time_answer(broker_offset, target_ms, low, end, ts):
            return broker_offset, True
        return first_offset_at_or_after(target_ms, low, end, ts), False
