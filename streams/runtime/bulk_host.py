"""The bulk host: confluent-kafka batch consume → :class:`AgentEngine` → batch produce.

For high-rate paths (tick normalisation, bars, sinks, replay). One blocking loop:

1. ``consume(num_messages=batch_size)`` from the group (plus, when the processor has
   ``broadcast`` inputs, from an unsubscribed consumer that reads every partition of them);
2. the engine decodes, processes, dead-letters; the outputs are produced;
3. at each checkpoint (a snapshot is due, or every ``commit_interval_ms``): flush the producer
   (outputs are durable), write due snapshots (and wait), then commit the processed positions.

On assignment the host recovers the assigned instances with the fenced protocol
(:class:`~streams.runtime.snapshot_store.SnapshotStore`) and assigns the inputs at the
restored offsets (earliest without a snapshot); stateless processors keep the group's
committed offsets. On revocation and on stop it writes final snapshots and commits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
)
from confluent_kafka import TopicPartition as KafkaTopicPartition

from streams.clock import Clock
from streams.errors import BrokerError, BrokerUnavailableError, TapewireError
from streams.runtime.broadcast import BroadcastReader
from streams.runtime.emitter import BatchInterruptedError, ProduceRequest, RawRecord
from streams.runtime.host_base import HostContext
from streams.runtime.kafka_config import consumer_config, producer_config, raw_record

logger = logging.getLogger(__name__)

_T = TypeVar("_T")


class BulkHost:
    """Runs one agent on confluent-kafka until ``stop`` is set; see the module docstring."""

    def __init__(self, context: HostContext, *, batch_size: int = 1000) -> None:
        self.context = context
        self._engine = context.engine
        self._settings = context.settings
        self._clock: Clock = context.clock
        self._batch_size = batch_size
        self._consumer = Consumer(consumer_config(self._settings, context.group_id))
        self._producer = Producer(producer_config(self._settings))
        self._broadcast: BroadcastReader | None = None
        if self._engine.broadcast_topics:
            self._broadcast = BroadcastReader(self._settings, self._engine, context.group_id)
        self._delivery_errors: list[KafkaError] = []
        self._last_commit = self._clock.monotonic()
        self._last_timer = self._clock.monotonic()
        self._lag: int | None = None

    def run(self, stop: threading.Event) -> None:
        """Consume and process until ``stop`` is set, then checkpoint and close."""
        self._consumer.subscribe(
            list(self._engine.partitioned_topics),
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        wait = max(self._settings.fetch_wait_ms or 0, 50) / 1000.0
        try:
            while not stop.is_set():
                messages = self._consumer.consume(num_messages=self._batch_size, timeout=wait)
                self._handle(messages)
                if self._broadcast is not None:
                    self._handle_records(self._broadcast.poll(self._batch_size, timeout=0))
                self._maybe_timer()
                self._checkpoint(force=False)
            self.context.health.stopping()
            self._checkpoint(force=True)
        finally:
            self._close()

    def _handle(self, messages: Sequence[Message]) -> None:
        records: list[RawRecord] = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.fatal():
                    raise BrokerError(f"consumer failed: {error.str()}")
                logger.warning("consumer error: %s", error.str(), extra=self.context.log_extra)
                continue
            records.append(raw_record(message))
        self._handle_records(records)

    def _handle_records(self, records: Sequence[RawRecord]) -> None:
        """Process and produce; a retriable interruption produces what is done and retries."""
        delay = 0.1
        while records:
            try:
                self._produce(self._engine.handle(records))
                return
            except BatchInterruptedError as exc:
                self._produce(exc.done)
                logger.warning("retrying a batch after: %s", exc, extra=self.context.log_extra)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _maybe_timer(self) -> None:
        now = self._clock.monotonic()
        if now - self._last_timer >= 1.0:
            self._last_timer = now
            try:
                requests = self._engine.on_timer()
            except BatchInterruptedError as exc:  # the rest is emitted with the next batch
                logger.warning("timer interrupted: %s", exc, extra=self.context.log_extra)
                requests = exc.done
            assignment = [f"{tp.topic}[{tp.partition}]" for tp in self._consumer.assignment()]
            beat = self.context.heartbeat(assigned=assignment, lag=self._lag)
            self._produce([*requests, beat] if beat is not None else requests)

    def _produce(self, requests: Sequence[ProduceRequest]) -> None:
        for request in requests:
            while True:
                try:
                    self._producer.produce(
                        request.topic,
                        key=request.key,
                        value=request.value,
                        headers=list(request.headers),
                        on_delivery=self._delivered,
                    )
                    break
                except BufferError:
                    self._producer.poll(0.05)  # queue full: let deliveries drain, then retry
        self._producer.poll(0)

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        del message
        if error is not None:
            self._delivery_errors.append(error)

    def _checkpoint(self, *, force: bool) -> None:
        snapshots = self._engine.snapshots(force=force)
        now = self._clock.monotonic()
        commit_due = now - self._last_commit >= (self._settings.commit_interval_ms or 500) / 1000
        if not (snapshots or commit_due or force):
            return
        self._flush()
        store = self.context.store
        if snapshots and store is not None:
            self._with_retry(lambda: store.write(snapshots))
        self._commit()
        self._last_commit = now

    def _flush(self) -> None:
        remaining = self._producer.flush(30)
        errors, self._delivery_errors = self._delivery_errors, []
        if remaining:
            raise BrokerUnavailableError(f"{remaining} outputs not delivered within 30 s")
        if errors:
            raise BrokerError(f"{len(errors)} outputs failed: {errors[0].str()}")

    def _commit(self) -> None:
        positions = self._engine.positions()
        if not positions:
            return
        offsets = [KafkaTopicPartition(t, p, o) for (t, p), o in sorted(positions.items())]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.code() in (KafkaError._NO_OFFSET, KafkaError.REBALANCE_IN_PROGRESS):
                return  # nothing new, or the group is rebalancing: the next commit catches up
            if error.retriable():
                logger.warning("commit failed: %s", error.str(), extra=self.context.log_extra)
                return
            raise BrokerError(f"commit failed: {error.str()}") from exc
        self._update_lag(offsets)

    def _update_lag(self, committed: Sequence[KafkaTopicPartition]) -> None:
        total: int | None = None
        for tp in committed:
            try:
                _, high = self._consumer.get_watermark_offsets(tp, cached=True)
            except KafkaException:
                continue
            if high >= 0:
                lag = max(high - (tp.offset or 0), 0)
                self.context.metrics.lag(tp.topic, tp.partition, lag)
                total = lag + (total or 0)
        self._lag = total

    def _with_retry(self, action: Callable[[], _T]) -> _T:
        """Run ``action``; retriable Tapewire errors back off (up to 5 s) and retry."""
        delay = 0.1
        while True:
            try:
                return action()
            except TapewireError as exc:
                if not exc.retriable:
                    raise
                logger.warning("retrying after %s: %s", type(exc).__name__, exc)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    # -- rebalancing (called from inside consume) ------------------------------------------

    def _on_assign(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        primary = sorted(p.partition for p in partitions if p.topic == self._engine.primary_topic)
        self.context.recover(primary)
        if self._engine.stateful:
            for tp in partitions:
                stored = self._engine.stored_offset(tp.partition, (tp.topic, tp.partition))
                tp.offset = OFFSET_BEGINNING if stored is None else stored
        consumer.assign(partitions)
        if self._broadcast is not None:
            self._broadcast.reassign()
        self.context.health.assigned(True)
        self.context.health.recovered()
        logger.info(
            "assigned %s",
            ", ".join(f"{tp.topic}[{tp.partition}]@{tp.offset}" for tp in partitions),
            extra=self.context.log_extra,
        )

    def _on_revoke(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        del consumer
        self._checkpoint(force=True)
        for tp in partitions:
            if tp.topic == self._engine.primary_topic:
                self._engine.revoke(tp.partition)
        self.context.health.assigned(bool(self._engine.instances))

    def _on_lost(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        del consumer
        for tp in partitions:
            if tp.topic == self._engine.primary_topic:
                self._engine.revoke(tp.partition)
        self.context.health.assigned(bool(self._engine.instances))

    def _close(self) -> None:
        try:
            self._producer.flush(10)
        finally:
            self._consumer.close()
            if self._broadcast is not None:
                self._broadcast.close()
