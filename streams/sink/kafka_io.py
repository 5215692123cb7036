"""confluent-kafka adapters of the sink loop: the group consumer and the dead-letter producer."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition

from streams.clock import Clock
from streams.codec import AvroCodec, dead_letter
from streams.errors import BrokerError, BrokerUnavailableError
from streams.sink.loop import ConsumedRecord

logger = logging.getLogger(__name__)

DEAD_LETTER_EVENT_TYPE = "system.deadletter"


class KafkaRecordSource:
    """A subscribed consumer group (auto-commit off) as the sink loop's record source."""

    def __init__(self, consumer: Consumer, topics: Sequence[str]) -> None:
        self._consumer = consumer
        self._paused = False
        consumer.subscribe(list(topics), on_assign=self._on_assign)

    def poll_batch(self, max_records: int, timeout: float) -> list[ConsumedRecord]:
        messages = self._consumer.consume(num_messages=max_records, timeout=timeout)
        return _records(messages)

    def pause(self) -> None:
        self._paused = True
        self._consumer.pause(self._consumer.assignment())

    def resume(self) -> None:
        self._paused = False
        self._consumer.resume(self._consumer.assignment())

    def keepalive(self) -> None:
        """Serve group callbacks while paused; anything fetched meanwhile is rewound."""
        messages = self._consumer.consume(num_messages=100, timeout=0)
        first: dict[tuple[str, int], int] = {}
        for record in _records(messages):
            first.setdefault((record.topic, record.partition), record.offset)
        for (topic, partition), offset in first.items():
            self._consumer.seek(KafkaTopicPartition(topic, partition, offset))
        if first:
            self._consumer.pause(self._consumer.assignment())

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        partitions = [KafkaTopicPartition(t, p, o) for (t, p), o in sorted(offsets.items())]
        try:
            self._consumer.commit(offsets=partitions, asynchronous=False)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if isinstance(error, KafkaError) and error.fatal():
                raise BrokerError(f"offset commit failed: {error.str()}") from exc
            # A rebalance took the partitions away: the new owner re-reads from the last
            # committed offsets and the idempotent writes make the repeat harmless.
            logger.warning("offset commit failed, the records will be read again: %s", exc)

    def lag(self, offsets: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        """End offset (from the last fetch, no broker round trip) minus ``offsets``.

        Indicative only on the embedded broker, whose end offsets are wrong after a batched
        produce; exact on Redpanda.
        """
        out: dict[tuple[str, int], int] = {}
        for (topic, partition), offset in offsets.items():
            tp = KafkaTopicPartition(topic, partition)
            _, high = self._consumer.get_watermark_offsets(tp, cached=True)
            if high is not None and high >= 0:
                out[(topic, partition)] = max(high - offset, 0)
        return out

    def close(self) -> None:
        self._consumer.close()

    def _on_assign(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        if self._paused and partitions:
            consumer.pause(partitions)


class ProducerDeadLetters:
    """Sends failed records to ``system.deadletter`` (raw key kept, origin in headers)."""

    def __init__(
        self, producer: Producer, codec: AvroCodec, topic: str, agent: str, clock: Clock
    ) -> None:
        self._producer = producer
        self._codec = codec
        self._topic = topic
        self._agent = agent
        self._clock = clock
        self._errors: list[KafkaError] = []

    def send(self, record: ConsumedRecord, error: BaseException) -> None:
        key, value, headers = dead_letter(
            origin_topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            timestamp_ms=record.timestamp_ms,
            key_bytes=record.key,
            value_bytes=record.value,
            error=error,
            agent=self._agent,
            now=self._clock.now(),
        )
        encoded = self._codec.encode_value(self._topic, DEAD_LETTER_EVENT_TYPE, value)
        kafka_headers: list[tuple[str, str | bytes | None]] = list(headers)
        while True:
            try:
                self._producer.produce(
                    self._topic,
                    key=key,
                    value=encoded,
                    headers=kafka_headers,
                    on_delivery=self._done,
                )
                return
            except BufferError:
                self._producer.poll(0.05)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every dead letter is acknowledged; raises if any was not."""
        remaining = self._producer.flush(timeout)
        if remaining:
            raise BrokerUnavailableError(f"{remaining} dead letters not delivered in {timeout} s")
        if self._errors:
            errors, self._errors = self._errors, []
            raise BrokerError(f"dead letters not delivered: {errors[0].str()}")

    def _done(self, error: KafkaError | None, message: Message) -> None:
        del message
        if error is not None:
            self._errors.append(error)


def _records(messages: Sequence[Message]) -> list[ConsumedRecord]:
    records: list[ConsumedRecord] = []
    for message in messages:
        error = message.error()
        if error is not None:
            if error.fatal():
                raise BrokerError(f"consumer failed: {error.str()}")
            logger.warning("consumer error: %s", error.str())
            continue
        records.append(_record(message))
    return records


def _record(message: Message) -> ConsumedRecord:
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    if topic is None or partition is None or offset is None:
        raise BrokerError("consumer returned a record without topic, partition or offset")
    _, timestamp = message.timestamp()
    headers: list[tuple[str, bytes]] = []
    raw_headers = message.headers()
    items = list(raw_headers.items()) if isinstance(raw_headers, dict) else raw_headers or []
    for name, value in items:
        headers.append((name, _as_bytes(value) or b""))
    return ConsumedRecord(
        topic=topic,
        partition=partition,
        offset=offset,
        key=_as_bytes(message.key()),
        value=_as_bytes(message.value()),
        timestamp_ms=timestamp if timestamp >= 0 else None,
        headers=tuple(headers),
    )


def _as_bytes(data: str | bytes | None) -> bytes | None:
    return data.encode("utf-8") if isinstance(data, str) else data
