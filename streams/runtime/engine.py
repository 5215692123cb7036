"""The host-independent heart of an agent: instances, decode, process, dead letters, snapshots.

:class:`AgentEngine` is synchronous and does no I/O. A host (Faust or bulk) feeds it raw
records as they come off the broker and gets back :class:`ProduceRequest` s to send; it asks
for due snapshots, and for the positions it may commit once those sends are durable. Both
hosts therefore share one implementation of the rules:

- one processor instance per assigned partition of the primary input (the first input that
  is not ``broadcast``); co-partitioned inputs go to the instance of the same partition,
  ``broadcast`` inputs (listed in ``inputs`` or not) to every instance;
- a record at an offset an instance has already processed is skipped (a re-delivery);
- undecodable records and records whose processing raises a non-retriable error become dead
  letters (the agent carries on); a retriable error interrupts the batch
  (:class:`~streams.runtime.emitter.BatchInterruptedError`) for the host to back off and retry;
- every instance of a stateful processor is snapshotted on its schedule with the next input
  offsets its state reflects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from streams.clock import Clock
from streams.codec import AvroCodec
from streams.codec.schemas import fingerprint
from streams.errors import ConfigError, TapewireError
from streams.runtime.emitter import BatchInterruptedError, Emitter, ProduceRequest, RawRecord
from streams.runtime.metrics import AgentMetrics
from streams.runtime.processor import Processor, Record
from streams.runtime.snapshot import (
    SnapshotSchedule,
    StoredSnapshot,
    TopicPartition,
    snapshot_record,
)
from streams.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Instance:
    """One processor and the input position its state reflects."""

    processor: Processor
    schedule: SnapshotSchedule
    next_offsets: dict[TopicPartition, int] = field(default_factory=dict)
    events_processed: int = 0


class AgentEngine:
    """Runs one agent's processor instances; see the module docstring."""

    def __init__(
        self,
        *,
        agent: str,
        build: Callable[[], Processor],
        settings: Settings,
        codec: AvroCodec,
        clock: Clock,
        metrics: AgentMetrics,
    ) -> None:
        self.agent = agent
        self._build = build
        self._settings = settings
        self._codec = codec
        self._clock = clock
        self._metrics = metrics
        template = build()
        self.stateful = template.stateful
        self.state_schema = template.state_schema
        self._batch_overridden = type(template).process_batch is not Processor.process_batch
        self._logical = {settings.topic(t): t for t in (*template.inputs, *template.broadcast)}
        broadcast = set(template.broadcast)
        partitioned = [t for t in template.inputs if t not in broadcast]
        if not partitioned:
            raise ConfigError("inputs", f"{agent} needs at least one input that is not broadcast")
        self.primary_topic = settings.topic(partitioned[0])
        self.partitioned_topics = tuple(settings.topic(t) for t in partitioned)
        self.broadcast_topics = tuple(
            settings.topic(t) for t in dict.fromkeys((*template.broadcast,))
        )
        self._instances: dict[int, _Instance] = {}
        self._emitter = Emitter(
            agent=agent, settings=settings, codec=codec, clock=clock, metrics=metrics
        )
        self._fingerprint = (
            fingerprint(codec.store.expand_inline(template.state_schema))
            if template.state_schema is not None
            else None
        )

    # -- assignment -------------------------------------------------------------------------

    @property
    def instances(self) -> list[int]:
        """Partitions of the primary input with a live processor instance."""
        return sorted(self._instances)

    def assign(self, partition: int, snapshot: StoredSnapshot | None) -> None:
        """Create the instance of ``partition``, restoring ``snapshot`` when there is one."""
        processor = self._build()
        instance = _Instance(
            processor=processor,
            schedule=SnapshotSchedule(
                self._settings.snapshot_every_events,
                self._settings.snapshot_every_seconds,
                self._clock.monotonic(),
            ),
        )
        if snapshot is not None and snapshot.state is not None and self.state_schema is not None:
            if snapshot.state_schema not in (None, self._fingerprint):
                logger.warning(
                    "snapshot state schema differs from the processor's; decoding anyway",
                    extra={"agent": self.agent, "instance": str(partition)},
                )
            processor.restore(self._codec.decode_state(self.state_schema, snapshot.state))
            instance.next_offsets.update(snapshot.offsets)
            instance.events_processed = snapshot.events_processed
        self._instances[partition] = instance

    def revoke(self, partition: int) -> None:
        self._instances.pop(partition, None)

    def input_partitions(self, partition: int) -> list[TopicPartition]:
        """The co-partitioned input partitions an instance reads (primary first)."""
        return [(topic, partition) for topic in self.partitioned_topics]

    def stored_offset(self, partition: int, tp: TopicPartition) -> int | None:
        """Next offset of ``tp`` the instance of ``partition`` reflects (None = never read)."""
        instance = self._instances.get(partition)
        return None if instance is None else instance.next_offsets.get(tp)

    # -- processing -------------------------------------------------------------------------

    def handle(self, records: Sequence[RawRecord]) -> list[ProduceRequest]:
        """Decode and process a batch; returns outputs and dead letters to produce.

        A retriable error raises :class:`BatchInterruptedError` carrying what is already encoded;
        the host produces that, backs off and calls ``handle`` again with the same records:
        those already consumed are skipped, the interrupted one is redone or its stashed
        outputs are emitted, so nothing is lost or applied twice.
        """
        started = self._clock.monotonic()
        out: list[ProduceRequest] = []
        try:
            out.extend(self._emitter.stashed())
            self._handle(records, out)
        except BatchInterruptedError as exc:
            self._emitter.count([*out, *exc.done])
            raise BatchInterruptedError(exc.cause, [*out, *exc.done]) from exc.cause
        except TapewireError as exc:
            if not exc.retriable:
                raise
            self._emitter.count(out)
            raise BatchInterruptedError(exc, out) from exc
        self._emitter.count(out)
        self._metrics.processing(self._clock.monotonic() - started, len(records))
        self._metrics.processor_counters(self._counters())
        return out

    def _counters(self) -> dict[str, float]:
        """Sum of every instance's ``counters`` (a method or a mapping), for the metrics."""
        totals: dict[str, float] = {}
        for partition in self.instances:
            for name, value in processor_counters(self.processor(partition)).items():
                totals[name] = totals.get(name, 0.0) + value
        return totals

    def _handle(self, records: Sequence[RawRecord], out: list[ProduceRequest]) -> None:
        batches: dict[int, list[tuple[RawRecord, Record]]] = {}
        for raw in records:
            targets = self._targets(raw)
            if not targets:
                continue
            self._metrics.events_in(raw.topic)
            try:
                record = self._decode(raw)
            except TapewireError as exc:
                if exc.retriable:
                    raise
                out.append(self._dead_letter_or_consume(raw, exc, targets))
                continue
            for partition, instance in targets:
                if self._batch_overridden:
                    batches.setdefault(partition, []).append((raw, record))
                else:
                    out.extend(self._process(instance, partition, raw, record))
        for partition, items in sorted(batches.items()):
            out.extend(self._process_batch(self._instances[partition], partition, items))

    def on_timer(self) -> list[ProduceRequest]:
        """Call every instance's ``on_timer`` with the clock's time (not retried)."""
        now = self._clock.now()
        out: list[ProduceRequest] = []
        try:
            out.extend(self._emitter.stashed())
            for partition, instance in sorted(self._instances.items()):
                try:
                    outputs = instance.processor.on_timer(now)
                except TapewireError as exc:
                    if exc.retriable:
                        raise
                    self._metrics.error()
                    logger.exception(
                        "on_timer failed", extra={"agent": self.agent, "instance": str(partition)}
                    )
                    continue
                out.extend(self._emitter.outputs(outputs))
        except BatchInterruptedError as exc:
            self._emitter.count([*out, *exc.done])
            raise BatchInterruptedError(exc.cause, [*out, *exc.done]) from exc.cause
        self._emitter.count(out)
        return out

    def _targets(self, raw: RawRecord) -> list[tuple[int, _Instance]]:
        tp = (raw.topic, raw.partition)
        if raw.topic in self.broadcast_topics:
            candidates = sorted(self._instances.items())
        else:
            instance = self._instances.get(raw.partition)
            candidates = [] if instance is None else [(raw.partition, instance)]
        return [(p, i) for p, i in candidates if raw.offset >= i.next_offsets.get(tp, -1)]

    def _decode(self, raw: RawRecord) -> Record:
        if raw.value is None:
            raise _tombstone(raw)
        return Record(
            topic=self._logical[raw.topic],
            key=self._codec.decode_key(raw.key),
            value=self._codec.decode_value(raw.value),
            partition=raw.partition,
            offset=raw.offset,
            timestamp_ms=raw.timestamp_ms,
            headers=raw.headers,
        )

    @staticmethod
    def _consume(instance: _Instance, raw: RawRecord) -> None:
        instance.next_offsets[(raw.topic, raw.partition)] = raw.offset + 1
        instance.events_processed += 1
        instance.schedule.record()

    def _dead_letter_or_consume(
        self, raw: RawRecord, exc: BaseException, targets: Sequence[tuple[int, _Instance]]
    ) -> ProduceRequest:
        """Dead-letter ``raw`` for ``targets``; they consume it even if the encode is stashed."""
        try:
            return self._emitter.dead_letter(raw, exc)
        finally:
            for _, instance in targets:
                self._consume(instance, raw)

    def _process(
        self, instance: _Instance, partition: int, raw: RawRecord, record: Record
    ) -> list[ProduceRequest]:
        """Process one record; consumed once it is processed or dead-lettered."""
        try:
            outputs = instance.processor.process(record)
        except TapewireError as exc:
            if exc.retriable:
                raise  # not consumed: a processor raises retriable errors before mutating
            return [self._dead_letter_or_consume(raw, exc, [(partition, instance)])]
        except Exception as exc:  # a processor bug must not stop the agent: dead-letter it
            logger.exception(
                "processor failed",
                extra={"agent": self.agent, "instance": str(partition), **_origin(raw)},
            )
            return [self._dead_letter_or_consume(raw, exc, [(partition, instance)])]
        try:
            return self._emitter.outputs(outputs)
        except BatchInterruptedError:
            raise
        except TapewireError as exc:  # an output that does not match its schema
            return [self._dead_letter_or_consume(raw, exc, [(partition, instance)])]
        finally:
            if instance.next_offsets.get((raw.topic, raw.partition), -1) <= raw.offset:
                self._consume(instance, raw)

    def _process_batch(
        self, instance: _Instance, partition: int, items: Sequence[tuple[RawRecord, Record]]
    ) -> list[ProduceRequest]:
        """``process_batch`` for processors that override it; a failure is isolated by
        rolling the state back to before the batch and processing record by record."""
        schema = self.state_schema
        before = (
            self._codec.encode_state(schema, instance.processor.snapshot())
            if schema is not None
            else None
        )
        try:
            outputs = instance.processor.process_batch([record for _, record in items])
        except TapewireError as exc:
            if exc.retriable:
                self._roll_back(instance, before)
                raise
            logger.warning(
                "batch failed (%s); replaying it record by record",
                exc,
                extra={"agent": self.agent, "instance": str(partition)},
            )
        except Exception:  # noqa: BLE001 - isolated below, record by record
            logger.warning(
                "batch failed; replaying it record by record",
                extra={"agent": self.agent, "instance": str(partition)},
            )
        else:
            for raw, _ in items:
                self._consume(instance, raw)
            return self._emitter.outputs(outputs)
        self._roll_back(instance, before)
        out: list[ProduceRequest] = []
        for raw, record in items:
            out.extend(self._process(instance, partition, raw, record))
        return out

    def _roll_back(self, instance: _Instance, before: bytes | None) -> None:
        if self.state_schema is not None and before is not None:
            instance.processor.restore(self._codec.decode_state(self.state_schema, before))

    # -- snapshots and positions ------------------------------------------------------------

    def snapshots(self, *, force: bool = False) -> list[tuple[int, dict[str, Any]]]:
        """``(instance partition, system.snapshot record)`` for every instance that is due.

        ``force`` snapshots every instance with unsaved events (clean shutdown, revocation).
        Stateless processors never snapshot: they resume from the group's committed offsets.
        """
        if not self.stateful or self.state_schema is None:
            return []
        now = self._clock.monotonic()
        due: list[tuple[int, dict[str, Any]]] = []
        for partition, instance in sorted(self._instances.items()):
            if not (instance.schedule.due(now) or (force and instance.schedule.pending)):
                continue
            state = self._codec.encode_state(self.state_schema, instance.processor.snapshot())
            due.append(
                (
                    partition,
                    snapshot_record(
                        agent=self.agent,
                        instance=str(partition),
                        state=state,
                        state_schema=self._fingerprint,
                        offsets=instance.next_offsets,
                        events_processed=instance.events_processed,
                        now=self._clock.now(),
                    ),
                )
            )
            instance.schedule.taken(now)
        self._metrics.snapshot_written(len(due))
        return due

    def positions(self) -> dict[TopicPartition, int]:
        """Next offsets of the partitioned inputs of every instance (what to commit)."""
        out: dict[TopicPartition, int] = {}
        for partition, instance in self._instances.items():
            for tp in self.input_partitions(partition):
                if tp in instance.next_offsets:
                    out[tp] = instance.next_offsets[tp]
        return out

    def processor(self, partition: int) -> Processor:
        """The live processor of an instance (tests and tools inspect its state)."""
        return self._instances[partition].processor


class TombstoneError(TapewireError):
    """An input record has no value (a compaction tombstone) where an event was expected."""


def _tombstone(raw: RawRecord) -> TombstoneError:
    return TombstoneError(f"record {raw.topic}[{raw.partition}]@{raw.offset} has no value")


def _origin(raw: RawRecord) -> dict[str, Any]:
    return {"topic": raw.topic, "partition": raw.partition, "offset": raw.offset}


def processor_counters(processor: Processor) -> dict[str, float]:
    """A processor's optional ``counters`` (method returning a mapping, or a mapping)."""
    found = getattr(processor, "counters", None)
    values = found() if callable(found) else found
    if not isinstance(values, Mapping):
        return {}
    return {str(k): float(v) for k, v in values.items() if isinstance(v, int | float)}
