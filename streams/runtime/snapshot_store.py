"""The I/O of snapshots: write them, and run the fenced recovery against the broker.

Uses confluent-kafka for both hosts (the Faust host calls it from a worker thread): a
producer that writes ``system.snapshot`` records to explicit partitions of the agent's
compacted snapshot topic, and an unsubscribed consumer that reads snapshot partitions from
the beginning until the fences of :mod:`streams.runtime.recovery` come back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition

from streams.clock import Clock
from streams.codec import AvroCodec
from streams.errors import BrokerError, BrokerUnavailableError, RecoveryError
from streams.runtime.kafka_config import consumer_config, producer_config
from streams.runtime.recovery import FenceScan
from streams.runtime.snapshot import (
    SNAPSHOT_EVENT_TYPE,
    StoredSnapshot,
    fence_key,
    fence_record,
    snapshot_key,
    snapshot_partition,
)
from streams.settings import Settings

logger = logging.getLogger(__name__)


class SnapshotStore:
    """Writes an agent's snapshots and recovers its instances from them."""

    def __init__(
        self,
        *,
        settings: Settings,
        codec: AvroCodec,
        clock: Clock,
        agent: str,
        logical_topic: str,
        recovery_timeout: float = 30.0,
    ) -> None:
        self.agent = agent
        self.topic = settings.topic(logical_topic)
        self._settings = settings
        self._codec = codec
        self._clock = clock
        self._timeout = recovery_timeout
        self._producer = Producer(producer_config(settings, **{"linger.ms": 0}))
        self._partitions: int | None = None
        self._errors: list[KafkaError] = []

    def partitions(self) -> int:
        """Partition count of the snapshot topic (asked once)."""
        if self._partitions is None:
            try:
                metadata = self._producer.list_topics(self.topic, timeout=10)
            except KafkaException as exc:
                raise BrokerUnavailableError(f"metadata of {self.topic}: {exc}") from exc
            topic = metadata.topics.get(self.topic)
            if topic is None or topic.error is not None or not topic.partitions:
                raise RecoveryError(f"snapshot topic {self.topic} does not exist")
            self._partitions = len(topic.partitions)
        return self._partitions

    def write(self, snapshots: Iterable[tuple[int, dict[str, Any]]]) -> int:
        """Produce ``(instance partition, record)`` pairs and wait until all are durable."""
        count = 0
        for partition, record in snapshots:
            self._produce(partition, snapshot_key(self.agent, str(partition)), record)
            count += 1
        if count:
            self._flush()
        return count

    def recover(self, instances: Iterable[int]) -> dict[int, StoredSnapshot | None]:
        """Fence every instance, read its partition to the fence, return latest snapshots."""
        wanted = sorted(set(instances))
        if not wanted:
            return {}
        fences = {instance: uuid.uuid4().hex for instance in wanted}
        now = self._clock.now()
        for instance, fence_id in fences.items():
            record = fence_record(
                agent=self.agent, instance=str(instance), fence_id=fence_id, now=now
            )
            self._produce(instance, fence_key(self.agent, str(instance)), record)
        self._flush()
        by_partition: dict[int, dict[str, str]] = {}
        for instance, fence_id in fences.items():
            part = snapshot_partition(instance, self.partitions())
            by_partition.setdefault(part, {})[str(instance)] = fence_id
        scans = {part: FenceScan(self.agent, f) for part, f in by_partition.items()}
        self._scan(scans)
        return {
            instance: scans[snapshot_partition(instance, self.partitions())].snapshot_of(
                str(instance)
            )
            for instance in wanted
        }

    def close(self) -> None:
        self._producer.flush(10)

    def _produce(self, instance: int, key: str, record: Mapping[str, Any]) -> None:
        self._producer.produce(
            self.topic,
            key=self._codec.encode_key(self.topic, key),
            value=self._codec.encode_value(self.topic, SNAPSHOT_EVENT_TYPE, dict(record)),
            partition=snapshot_partition(instance, self.partitions()),
            on_delivery=self._delivered,
        )

    def _delivered(self, error: KafkaError | None, message: object) -> None:
        del message
        if error is not None:
            self._errors.append(error)

    def _flush(self) -> None:
        remaining = self._producer.flush(self._timeout)
        errors, self._errors = self._errors, []
        if remaining:
            raise BrokerUnavailableError(f"{remaining} snapshot records not delivered in time")
        if errors:
            first = errors[0]
            kind = BrokerUnavailableError if first.retriable() else BrokerError
            raise kind(f"snapshot write to {self.topic} failed: {first.str()}")

    def _scan(self, scans: Mapping[int, FenceScan]) -> None:
        consumer = Consumer(
            consumer_config(self._settings, f"{self.agent}-snapshot-recovery", **{"log_level": 3})
        )
        try:
            consumer.assign(
                [KafkaTopicPartition(self.topic, part, OFFSET_BEGINNING) for part in scans]
            )
            deadline = self._clock.monotonic() + self._timeout
            read = 0
            while not all(scan.complete for scan in scans.values()):
                if self._clock.monotonic() > deadline:
                    raise RecoveryError(
                        f"own fence not seen on {self.topic} after {self._timeout:.0f} s "
                        f"({read} records read)"
                    )
                for message in consumer.consume(num_messages=1000, timeout=0.2):
                    error = message.error()
                    if error is not None:
                        if error.fatal():
                            raise BrokerError(f"reading {self.topic}: {error.str()}")
                        continue
                    read += 1
                    value = message.value()
                    scans[message.partition() or 0].feed(
                        self._codec.decode_key(message.key()),
                        None if value is None else self._codec.decode_value(value),
                    )
            logger.info(
                "read %d snapshot records up to the fences",
                read,
                extra={"agent": self.agent, "topic": self.topic},
            )
        finally:
            consumer.close()
