"""Reading and rewriting an agent's snapshot topic for ``tapewire replay``.

Reading never trusts the broker's end offsets (the embedded broker reports wrong ones): before
a rewind that will change the snapshots, :class:`SnapshotTopic` writes its own marker — a
``FENCE`` record under a key of its own, ``"replay:<uuid>"`` — to every partition and reads
each partition from the beginning until the marker comes back; everything written before it
has then been seen. The marker's key is tombstoned afterwards so compaction removes it. A dry
run writes nothing: it reads each partition until it has passed the reported end and nothing
more arrived for a moment (the reported end is at most the true one).

Writes go to the partition each key was read from: tombstones (null values) and re-published
``SNAPSHOT`` records built with :func:`streams.runtime.snapshot.snapshot_record`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition

from streams.clock import Clock, SystemClock
from streams.codec import AvroCodec
from streams.errors import BrokerError, BrokerUnavailableError
from streams.replay.state import (
    HistoryBuilder,
    KeyHistory,
    SnapshotAction,
    StatePlan,
    decide,
)
from streams.replay.targets import TargetKind
from streams.runtime.kafka_config import consumer_config, producer_config
from streams.runtime.snapshot import (
    SNAPSHOT_EVENT_TYPE,
    TopicPartition,
    fence_record,
    snapshot_record,
)
from streams.settings import Settings

MARKER_AGENT = "replay"
_QUIET_SECONDS = 1.0


class SnapshotTopic:
    """One physical snapshot topic: read an agent's key histories, apply replay actions."""

    def __init__(
        self,
        settings: Settings,
        topic: str,
        *,
        codec: AvroCodec | None = None,
        clock: Clock | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.topic = topic
        self._settings = settings
        self._codec = codec if codec is not None else AvroCodec.from_settings(settings)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._timeout = timeout
        self._producer: Producer | None = None
        self._errors: list[KafkaError] = []

    def histories(self, agent: str, *, marker: bool) -> list[KeyHistory]:
        """Every key of ``agent`` with its snapshots; ``marker`` False = write nothing."""
        consumer = Consumer(
            consumer_config(self._settings, f"tapewire-replay-{uuid.uuid4().hex[:12]}")
        )
        try:
            partitions = self._partitions(consumer)
            marker_key = f"{MARKER_AGENT}:{uuid.uuid4().hex}" if marker else None
            if marker_key is not None:
                self._write_markers(marker_key, partitions)
            builder = HistoryBuilder(agent)
            self._read(consumer, partitions, builder, marker_key)
            if marker_key is not None:
                self._produce_all([(p, marker_key, None) for p in partitions])
            return builder.histories()
        finally:
            consumer.close()

    def apply(self, agent: str, actions: Sequence[SnapshotAction]) -> int:
        """Write the tombstones and re-published snapshots; returns the records written."""
        now = self._clock.now()
        writes: list[tuple[int, str, bytes | None]] = []
        for action in actions:
            if not action.writes:
                continue
            if action.kind == "tombstone" or action.snapshot is None:
                writes.append((action.partition, action.key, None))
                continue
            record = snapshot_record(
                agent=agent,
                instance=action.instance,
                state=action.snapshot.state,
                state_schema=action.snapshot.state_schema,
                offsets=action.offsets,
                events_processed=action.snapshot.events_processed,
                now=now,
            )
            value = self._codec.encode_value(self.topic, SNAPSHOT_EVENT_TYPE, record)
            writes.append((action.partition, action.key, value))
        self._produce_all(writes)
        return len(writes)

    # -- internals ------------------------------------------------------------------------

    def _partitions(self, consumer: Consumer) -> list[int]:
        try:
            metadata = consumer.list_topics(self.topic, timeout=10)
        except KafkaException as exc:
            raise BrokerUnavailableError(f"metadata of {self.topic}: {exc}") from exc
        found = metadata.topics.get(self.topic)
        if found is None or found.error is not None or not found.partitions:
            raise BrokerError(f"snapshot topic {self.topic!r} does not exist on the broker")
        return sorted(found.partitions)

    def _write_markers(self, marker_key: str, partitions: Sequence[int]) -> None:
        record = fence_record(
            agent=MARKER_AGENT,
            instance=marker_key.split(":", 1)[1],
            fence_id=marker_key,
            now=self._clock.now(),
        )
        value = self._codec.encode_value(self.topic, SNAPSHOT_EVENT_TYPE, record)
        self._produce_all([(p, marker_key, value) for p in partitions])

    def _read(
        self,
        consumer: Consumer,
        partitions: Sequence[int],
        builder: HistoryBuilder,
        marker_key: str | None,
    ) -> None:
        seen = {p: self._watermarks(consumer, p)[0] for p in partitions}
        pending = set(partitions)
        consumer.assign([KafkaTopicPartition(self.topic, p, OFFSET_BEGINNING) for p in pending])
        deadline = time.monotonic() + self._timeout
        quiet_since = time.monotonic()
        while pending:
            if time.monotonic() > deadline:
                raise BrokerUnavailableError(
                    f"reading {self.topic}: partitions {sorted(pending)} not read to their end "
                    f"within {self._timeout:.0f} s"
                )
            messages = consumer.consume(num_messages=1000, timeout=0.2)
            if messages:
                quiet_since = time.monotonic()
            for message in messages:
                error = message.error()
                if error is not None:
                    if error.fatal():
                        raise BrokerError(f"reading {self.topic}: {error.str()}")
                    continue
                partition, offset = message.partition() or 0, message.offset() or 0
                key = self._codec.decode_key(message.key())
                if marker_key is not None and key == marker_key:
                    pending.discard(partition)
                    continue
                raw = message.value()
                builder.feed(partition, key, None if raw is None else self._codec.decode_value(raw))
                seen[partition] = max(seen[partition], offset + 1)
            if marker_key is None and time.monotonic() - quiet_since >= _QUIET_SECONDS:
                pending = {p for p in pending if self._watermarks(consumer, p)[1] > seen[p]}
                if pending:
                    raise BrokerError(
                        f"reading {self.topic}: partitions {sorted(pending)} stopped before "
                        "their reported end"
                    )

    def _watermarks(self, consumer: Consumer, partition: int) -> tuple[int, int]:
        """The reported (low, end); a quiet partition is read once its end is not beyond."""
        try:
            low, high = consumer.get_watermark_offsets(
                KafkaTopicPartition(self.topic, partition), timeout=10
            )
        except KafkaException as exc:
            raise BrokerUnavailableError(f"watermarks of {self.topic}: {exc}") from exc
        return int(low), int(high)

    def _produce_all(self, writes: Sequence[tuple[int, str, bytes | None]]) -> None:
        if not writes:
            return
        if self._producer is None:
            self._producer = Producer(producer_config(self._settings, **{"linger.ms": 0}))
        producer = self._producer
        for partition, key, value in writes:
            producer.produce(
                self.topic,
                key=self._codec.encode_key(self.topic, key),
                value=value,
                partition=partition,
                on_delivery=self._delivered,
            )
        remaining = producer.flush(self._timeout)
        errors, self._errors = self._errors, []
        if remaining:
            raise BrokerUnavailableError(f"{remaining} records to {self.topic} not delivered")
        if errors:
            raise BrokerError(f"writing to {self.topic} failed: {errors[0].str()}")

    def _delivered(self, error: KafkaError | None, message: object) -> None:
        del message
        if error is not None:
            self._errors.append(error)


def plan_state(
    settings: Settings,
    agent: str,
    topic: str,
    kind: TargetKind,
    targets: Mapping[TopicPartition, int],
    *,
    marker: bool,
) -> StatePlan:
    """Read ``agent``'s keys from the physical snapshot ``topic`` and decide the actions."""
    histories = SnapshotTopic(settings, topic).histories(agent, marker=marker)
    return StatePlan(
        agent=agent,
        topic=topic,
        actions=tuple(decide(kind, histories, targets)),
        scanned_keys=len(histories),
    )


def apply_state(settings: Settings, plan: StatePlan) -> int:
    """Write the plan's tombstones and snapshots; returns the records written."""
    return SnapshotTopic(settings, plan.topic).apply(plan.agent, plan.actions)
